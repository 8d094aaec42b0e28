/* Harness shared by the tests/findings executables: a scratch metadata database with the
 * findings, filters and exports tables, Finding documents with sensible defaults, and direct
 * inserts that fill the columns the way store.c does. */
#ifndef DD_TESTS_FINDINGS_COMMON_H
#define DD_TESTS_FINDINGS_COMMON_H

#include <stdint.h>
#include <jansson.h>
#include "sql/sql.h"

#define TF_ACCOUNT "123456789012"
#define TF_REGION "us-east-1"

typedef struct tf_db {
    char dir[64];
    char path[128];
    dd_sql *sql;
} tf_db;

/* Opens a fresh database in a temporary directory and runs the findings migrations. */
tf_db *tf_open(void);
/* Closes and removes everything under the directory. */
void tf_close(tf_db *db);

/* "sha256:" + 64 hex derived from seed. */
void tf_digest(char out[72], const char *seed);
/* A Finding doc for image repo@sha256(digest_seed) and vulnerability vuln; status ACTIVE,
 * timestamps at updated_s seconds. New reference. */
json_t *tf_finding(const char *repo, const char *digest_seed, const char *vuln,
                   const char *severity, double score, double updated_s);
/* Inserts doc into findings (columns taken from the doc; times as ms). */
void tf_put(tf_db *db, const json_t *doc);
/* Status column of finding arn ("" when absent). Copies into out. */
void tf_status(tf_db *db, const char *arn, char out[16]);
/* One integer from a query with an optional text parameter. */
int64_t tf_int(tf_db *db, const char *sql, const char *arg);
/* Runs SQL statements. */
void tf_exec(tf_db *db, const char *sql);

#endif
