/* Metadata store: repositories, blob links, manifests, tags, referrers and upload sessions.
 *
 * Backends: a dd_db is one backend behind a table of operations (internal.h, private to this
 * module); every function below dispatches through that table (db.c), so callers never depend on a
 * backend. SQLite (sqlite.c, WAL mode) is the embedded default; PostgreSQL can be added later as
 * another backend without the registry changing. Open a database with dd_db_open (backend chosen
 * by the location) or a backend's own constructor (dd_db_open_sqlite). Every backend keeps the
 * contracts documented here.
 *
 * Every mutating call is one transaction: it happens whole or not at all. Thread-safe: each call
 * takes a connection from a small pool (or serialises on one), with a busy timeout.
 *
 * Names, tags and digests passed in are already validated by the caller. Times are ms since the
 * epoch, supplied by the caller (from an injectable clock). */
#ifndef DD_DB_DB_H
#define DD_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/err.h"
#include "util/strlist.h"

typedef struct dd_db dd_db;

/* Opens the database named by url, choosing the backend from it:
 *   a plain path ("/var/lib/drydock/meta.db")   -> SQLite database at that path
 *   sqlite:PATH or sqlite://PATH                -> SQLite database at PATH (sqlite:///abs/x.db is
 *                                                  /abs/x.db; PATH is taken literally)
 * A string that starts with "<scheme>:" is a URL; write a relative path containing ':' as ./x:y.
 * postgres:// and postgresql:// (and any other scheme) are refused with DD_EUNSUPPORTED: those
 * backends are not built in yet. An empty location or sqlite: without a path is DD_EINVALID.
 * Error messages never repeat the URL (it may carry a password). Close with dd_db_close. */
DD_WARN_UNUSED int dd_db_open(dd_db **out, const char *url, dd_err *err);

/* Opens or creates the SQLite database at path (schema created or migrated; WAL; synchronous=FULL
 * so an acknowledged commit survives power loss). */
DD_WARN_UNUSED int dd_db_open_sqlite(dd_db **out, const char *path, dd_err *err);
/* Closes a database of any backend; NULL-safe. */
void dd_db_close(dd_db *db);

/* Repositories exist once something was pushed to them. */
DD_WARN_UNUSED int dd_db_repo_exists(dd_db *db, const char *repo, dd_err *err); /* 0/ENOTFOUND */
/* Creates an empty repository (ECR CreateRepository); DD_EEXIST when it exists. */
DD_WARN_UNUSED int dd_db_repo_create(dd_db *db, const char *repo, int64_t now_ms, dd_err *err);
/* Deletes a repository with its manifests, tags, refs and blob links in one transaction (blob
 * contents stay in the store); DD_ENOTFOUND when absent. */
DD_WARN_UNUSED int dd_db_repo_delete(dd_db *db, const char *repo, dd_err *err);
/* Names sorted (byte order) strictly after `last` (NULL: from the start), at most n. */
DD_WARN_UNUSED int dd_db_repo_list(dd_db *db, const char *last, size_t n, dd_strlist *out,
                                   dd_err *err);

/* Blob links: a blob is visible in a repository only when linked to it. */
DD_WARN_UNUSED int dd_db_blob_link(dd_db *db, const char *repo, const char *digest, uint64_t size,
                                   int64_t now_ms, dd_err *err); /* creates repo if needed */
/* 0 and the size when repo has the blob; DD_ENOTFOUND otherwise. */
DD_WARN_UNUSED int dd_db_blob_get(dd_db *db, const char *repo, const char *digest,
                                  uint64_t *size_out, dd_err *err);
/* DD_ENOTFOUND when repo did not have it. */
DD_WARN_UNUSED int dd_db_blob_unlink(dd_db *db, const char *repo, const char *digest, dd_err *err);

typedef enum dd_ref_kind { DD_REF_BLOB = 0, DD_REF_MANIFEST = 1 } dd_ref_kind;

typedef struct dd_db_ref {
    const char *digest;
    dd_ref_kind kind; /* BLOB: config/layer/blob; MANIFEST: an index entry */
} dd_db_ref;

typedef struct dd_db_manifest_in {
    const char *repo;
    const char *digest;
    const char *media_type;
    const char *artifact_type;    /* for referrers; NULL if none */
    const char *subject;          /* digest of the subject manifest; NULL if none */
    const char *annotations_json; /* JSON object text of the manifest's annotations; NULL */
    uint64_t size;
    const char *tag;       /* NULL when pushed by digest */
    const dd_db_ref *refs; /* what it references; all must be present in repo */
    size_t n_refs;
    int64_t now_ms;
} dd_db_manifest_in;

/* Stores (or re-tags) a manifest in one transaction: creates the repository if needed, checks that
 * every ref is present in the repository (blobs linked, manifests stored) and otherwise returns
 * DD_ENOTFOUND naming the first missing digest in err (nothing changed); records the manifest with
 * pushed_at = now (kept from the first push when the digest already exists), its refs, and points
 * the tag at it (moving the tag if it pointed elsewhere). */
DD_WARN_UNUSED int dd_db_manifest_put(dd_db *db, const dd_db_manifest_in *m, dd_err *err);

/* A stored manifest as the registry needs it. Strings are owned; free with dd_db_manifest_free. */
typedef struct dd_db_manifest {
    char *digest;
    char *media_type;
    char *artifact_type;    /* NULL if none */
    char *subject;          /* NULL if none */
    char *annotations_json; /* NULL if none */
    uint64_t size;
    int64_t pushed_at_ms;
    int64_t last_pulled_at_ms; /* 0 if never pulled */
} dd_db_manifest;

void dd_db_manifest_free(dd_db_manifest *m); /* frees the strings, not m itself; NULL-safe */

/* Looks a manifest up by digest in repo; DD_ENOTFOUND when absent. */
DD_WARN_UNUSED int dd_db_manifest_get(dd_db *db, const char *repo, const char *digest,
                                      dd_db_manifest *out, dd_err *err);
/* Records a pull (manifest GET): sets last_pulled_at = now unless it is already within
 * granularity_ms of now (so hot images do not write on every pull). */
DD_WARN_UNUSED int dd_db_manifest_record_pull(dd_db *db, const char *repo, const char *digest,
                                              int64_t now_ms, int64_t granularity_ms, dd_err *err);
/* Deletes a manifest by digest with every tag that points to it and its refs. DD_ENOTFOUND when
 * absent. */
DD_WARN_UNUSED int dd_db_manifest_delete(dd_db *db, const char *repo, const char *digest,
                                         dd_err *err);

/* Tags. dd_db_tag_get writes the digest (DD_DIGEST_STR_MAX bytes); DD_ENOTFOUND when absent. */
DD_WARN_UNUSED int dd_db_tag_get(dd_db *db, const char *repo, const char *tag, char *digest_out,
                                 size_t digest_out_len, dd_err *err);
/* Tag names of repo sorted (byte order) strictly after `last` (NULL: from the start), at most n.
 * DD_ENOTFOUND when the repository does not exist. */
DD_WARN_UNUSED int dd_db_tag_list(dd_db *db, const char *repo, const char *last, size_t n,
                                  dd_strlist *out, dd_err *err);
/* DD_ENOTFOUND when absent. The manifest stays. */
DD_WARN_UNUSED int dd_db_tag_delete(dd_db *db, const char *repo, const char *tag, dd_err *err);

/* Referrers: manifests in repo whose subject is `subject`, optionally only those whose
 * artifact_type equals artifact_type (NULL: all). Sorted by digest. Each entry is filled like
 * dd_db_manifest_get; free each with dd_db_manifest_free and the array with dd_free. */
DD_WARN_UNUSED int dd_db_referrers(dd_db *db, const char *repo, const char *subject,
                                   const char *artifact_type, dd_db_manifest **out, size_t *n_out,
                                   dd_err *err);

/* Upload sessions (the bytes live in the blob store under the same id). */
DD_WARN_UNUSED int dd_db_upload_create(dd_db *db, const char *id, const char *repo, int64_t now_ms,
                                       dd_err *err);
/* 0 when the session exists for that repo; DD_ENOTFOUND otherwise (including another repo's id). */
DD_WARN_UNUSED int dd_db_upload_get(dd_db *db, const char *id, const char *repo, dd_err *err);
DD_WARN_UNUSED int dd_db_upload_touch(dd_db *db, const char *id, int64_t now_ms, dd_err *err);
DD_WARN_UNUSED int dd_db_upload_delete(dd_db *db, const char *id, dd_err *err);
/* Ends a session and links the finished blob to its repository, in one transaction. */
DD_WARN_UNUSED int dd_db_upload_finish(dd_db *db, const char *id, const char *repo,
                                       const char *digest, uint64_t size, int64_t now_ms,
                                       dd_err *err);
/* Deletes sessions not touched since cutoff_ms and returns their ids (so their files can go). */
DD_WARN_UNUSED int dd_db_upload_sweep(dd_db *db, int64_t cutoff_ms, dd_strlist *ids_out,
                                      dd_err *err);

#endif
