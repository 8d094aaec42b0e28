/* Private to src/db: the backend interface behind db.h. Each backend (sqlite.c; later PostgreSQL)
 * defines a struct whose first member is a `dd_db` pointing at its const `dd_db_ops` table. db.c
 * implements the public dd_db_* functions by dispatching through that table, so the registry never
 * sees a backend. Each operation has exactly the contract documented for the matching public
 * function in db.h (transactions, DD_E* codes, ownership of results); the pointers are never NULL.
 */
#ifndef DD_DB_INTERNAL_H
#define DD_DB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "db/db.h"
#include "util/err.h"
#include "util/strlist.h"

typedef struct dd_db_ops {
    /* Releases everything the database handle holds; db is never NULL (db.c checks). */
    void (*close)(dd_db *db);
    int (*repo_exists)(dd_db *db, const char *repo, dd_err *err);
    int (*repo_list)(dd_db *db, const char *last, size_t n, dd_strlist *out, dd_err *err);
    int (*repo_create)(dd_db *db, const char *repo, int64_t now_ms, dd_err *err);
    int (*repo_delete)(dd_db *db, const char *repo, dd_err *err);
    int (*blob_link)(dd_db *db, const char *repo, const char *digest, uint64_t size, int64_t now_ms,
                     dd_err *err);
    int (*blob_get)(dd_db *db, const char *repo, const char *digest, uint64_t *size_out,
                    dd_err *err);
    int (*blob_unlink)(dd_db *db, const char *repo, const char *digest, dd_err *err);
    int (*manifest_put)(dd_db *db, const dd_db_manifest_in *m, dd_err *err);
    int (*manifest_get)(dd_db *db, const char *repo, const char *digest, dd_db_manifest *out,
                        dd_err *err);
    int (*manifest_record_pull)(dd_db *db, const char *repo, const char *digest, int64_t now_ms,
                                int64_t granularity_ms, dd_err *err);
    int (*manifest_delete)(dd_db *db, const char *repo, const char *digest, dd_err *err);
    int (*tag_get)(dd_db *db, const char *repo, const char *tag, char *digest_out,
                   size_t digest_out_len, dd_err *err);
    int (*tag_list)(dd_db *db, const char *repo, const char *last, size_t n, dd_strlist *out,
                    dd_err *err);
    int (*tag_delete)(dd_db *db, const char *repo, const char *tag, dd_err *err);
    int (*referrers)(dd_db *db, const char *repo, const char *subject, const char *artifact_type,
                     dd_db_manifest **out, size_t *n_out, dd_err *err);
    int (*upload_create)(dd_db *db, const char *id, const char *repo, int64_t now_ms, dd_err *err);
    int (*upload_get)(dd_db *db, const char *id, const char *repo, dd_err *err);
    int (*upload_touch)(dd_db *db, const char *id, int64_t now_ms, dd_err *err);
    int (*upload_delete)(dd_db *db, const char *id, dd_err *err);
    int (*upload_finish)(dd_db *db, const char *id, const char *repo, const char *digest,
                         uint64_t size, int64_t now_ms, dd_err *err);
    int (*upload_sweep)(dd_db *db, int64_t cutoff_ms, dd_strlist *ids_out, dd_err *err);
} dd_db_ops;

/* The first member of every backend's database struct. */
struct dd_db {
    const dd_db_ops *ops;
};

#endif
