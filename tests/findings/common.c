/* Scratch databases and Finding documents for the findings tests (see common.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "findings/findings.h"
#include "util/alloc.h"
#include "util/digest.h"

tf_db *tf_open(void)
{
    tf_db *db = dd_calloc(1, sizeof(*db));
    dd_err err = DD_ERR_INIT;
    assert_non_null(db);
    snprintf(db->dir, sizeof(db->dir), "/tmp/dd_test_findings_XXXXXX");
    assert_non_null(mkdtemp(db->dir));
    snprintf(db->path, sizeof(db->path), "%s/metadata.sqlite", db->dir);
    assert_int_equal(dd_sql_open(&db->sql, db->path, 2, &err), 0);
    assert_int_equal(dd_findings_migrate(db->sql, &err), 0);
    assert_int_equal(dd_findings_migrate_inspector(db->sql, &err), 0);
    /* a second run applies nothing */
    assert_int_equal(dd_findings_migrate_inspector(db->sql, &err), 0);
    return db;
}

void tf_close(tf_db *db)
{
    dd_sql_close(db->sql);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", db->dir);
    assert_int_equal(system(cmd), 0);
    dd_free(db);
}

void tf_digest(char out[72], const char *seed)
{
    assert_int_equal(dd_digest_buf(out, seed, strlen(seed)), 0);
}

json_t *tf_finding(const char *repo, const char *digest_seed, const char *vuln,
                   const char *severity, double score, double updated_s)
{
    char digest[72], arn[128], id[512], hash[72], seed[256];
    tf_digest(digest, digest_seed);
    snprintf(seed, sizeof(seed), "%s|%s|%s", repo, digest, vuln);
    tf_digest(hash, seed);
    snprintf(arn, sizeof(arn), "arn:aws:inspector2:%s:%s:finding/%.32s", TF_REGION, TF_ACCOUNT,
             hash + 7);
    snprintf(id, sizeof(id), "arn:aws:ecr:%s:%s:repository/%s/%s", TF_REGION, TF_ACCOUNT, repo,
             digest);
    json_t *f = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:f, s:f, s:s, s:s,"
        " s:{s:{s:s, s:s}},"
        " s:{s:s, s:s, s:s, s:[], s:s, s:[{s:s, s:s, s:i, s:s, s:s, s:s, s:s}]},"
        " s:[{s:s, s:s, s:s, s:s, s:{}, s:{s:{s:s, s:s, s:s, s:[s], s:f, s:s}}}]}",
        "findingArn", arn, "awsAccountId", TF_ACCOUNT, "type", "PACKAGE_VULNERABILITY", "title",
        vuln, "description", "desc", "severity", severity, "status", "ACTIVE", "inspectorScore",
        score, "firstObservedAt", updated_s - 100, "lastObservedAt", updated_s, "updatedAt",
        updated_s, "fixAvailable", "YES", "exploitAvailable", "NO", "remediation", "recommendation",
        "text", "upgrade", "Url", "https://example.com", "packageVulnerabilityDetails",
        "vulnerabilityId", vuln, "source", "DEBIAN_CVE", "vendorSeverity", "medium",
        "relatedVulnerabilities", "sourceUrl", "https://example.com", "vulnerablePackages", "name",
        "openssl", "version", "3.0.1", "epoch", 0, "arch", "X86_64", "packageManager", "OS",
        "fixedInVersion", "3.0.2", "sourceLayerHash", "sha256:layer1", "resources", "type",
        "AWS_ECR_CONTAINER_IMAGE", "id", id, "partition", "aws", "region", TF_REGION, "tags",
        "details", "awsEcrContainerImage", "repositoryName", repo, "imageHash", digest, "registry",
        TF_ACCOUNT, "imageTags", "latest", "pushedAt", updated_s - 1000, "architecture", "amd64");
    assert_non_null(f);
    return f;
}

static const char SQL_PUT[] =
    "INSERT INTO findings (arn, repo, digest, vuln_id, status, severity, score, fix_available,"
    " exploit_available, first_observed_at, last_observed_at, updated_at, content_hash, doc)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'x', ?)";

void tf_put(tf_db *db, const json_t *doc)
{
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *c = dd_sql_acquire(db->sql);
    sqlite3_stmt *st;
    assert_int_equal(dd_sql_stmt(c, SQL_PUT, &st, &err), 0);
    const json_t *img = json_object_get(
        json_object_get(json_array_get(json_object_get(doc, "resources"), 0), "details"),
        "awsEcrContainerImage");
#define S(o, k) json_string_value(json_object_get((o), (k)))
    dd_sql_bind_text(st, 1, S(doc, "findingArn"));
    dd_sql_bind_text(st, 2, S(img, "repositoryName"));
    dd_sql_bind_text(st, 3, S(img, "imageHash"));
    dd_sql_bind_text(st, 4,
                     S(json_object_get(doc, "packageVulnerabilityDetails"), "vulnerabilityId"));
    dd_sql_bind_text(st, 5, S(doc, "status"));
    dd_sql_bind_text(st, 6, S(doc, "severity"));
    dd_sql_bind_double(st, 7, json_number_value(json_object_get(doc, "inspectorScore")));
    dd_sql_bind_text(st, 8, S(doc, "fixAvailable"));
    dd_sql_bind_text(st, 9, S(doc, "exploitAvailable"));
#undef S
    const char *times[] = {"firstObservedAt", "lastObservedAt", "updatedAt"};
    for (int i = 0; i < 3; i++)
        dd_sql_bind_int(st, 10 + i,
                        (int64_t)(json_number_value(json_object_get(doc, times[i])) * 1000.0));
    char *text = json_dumps(doc, JSON_COMPACT);
    dd_sql_bind_text(st, 13, text);
    free(text);
    assert_int_equal(dd_sql_run(c, st, &err), 0);
    dd_sql_release(db->sql, c);
}

void tf_status(tf_db *db, const char *arn, char out[16])
{
    dd_sql_conn *c = dd_sql_acquire(db->sql);
    sqlite3_stmt *st = NULL;
    out[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(dd_sql_handle(c),
                                        "SELECT status, json_extract(doc, '$.status') FROM"
                                        " findings WHERE arn = ?",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, arn, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        /* the column and the served document must agree */
        assert_string_equal(sqlite3_column_text(st, 0), sqlite3_column_text(st, 1));
        snprintf(out, 16, "%s", sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    dd_sql_release(db->sql, c);
}

int64_t tf_int(tf_db *db, const char *sql, const char *arg)
{
    dd_sql_conn *c = dd_sql_acquire(db->sql);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(dd_sql_handle(c), sql, -1, &st, NULL), SQLITE_OK);
    if (arg != NULL)
        sqlite3_bind_text(st, 1, arg, -1, SQLITE_TRANSIENT);
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    dd_sql_release(db->sql, c);
    return v;
}

void tf_exec(tf_db *db, const char *sql)
{
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *c = dd_sql_acquire(db->sql);
    int rc = dd_sql_exec(c, sql, &err);
    if (rc != 0)
        fail_msg("%s: %s", sql, err.msg);
    dd_sql_release(db->sql, c);
}
