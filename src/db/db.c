/* Metadata store front end: picks a backend from a location (dd_db_open) and implements every
 * public dd_db_* function as a dispatch through the backend's operation table (internal.h), plus
 * the backend-independent dd_db_manifest_free. Nothing here touches a database. */
#include "db/internal.h"
#include "util/url.h"
#include "util/alloc.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

int dd_db_open(dd_db **out, const char *url, dd_err *err)
{
    const char *path;
    size_t n;
    int rc = 0;
    *out = NULL;
    if (url == NULL || url[0] == '\0') {
        rc = dd_err_set(err, DD_EINVALID, "db: empty location");
        goto out;
    }
    n = dd_url_scheme_len(url);
    if (n == 0) {
        rc = dd_db_open_sqlite(out, url, err);
        goto out;
    }
    /* Messages quote the scheme only: the rest of a URL may carry credentials. */
    if (dd_url_scheme_is(url, n, "sqlite")) {
        path = url + n + 1;
        if (strncmp(path, "//", 2) == 0)
            path += 2;
        if (path[0] == '\0') {
            rc = dd_err_set(err, DD_EINVALID, "db: a sqlite URL needs a path (sqlite:PATH)");
            goto out;
        }
        rc = dd_db_open_sqlite(out, path, err);
    } else if (dd_url_scheme_is(url, n, "postgres") || dd_url_scheme_is(url, n, "postgresql")) {
        rc = dd_err_set(err, DD_EUNSUPPORTED,
                        "db: the PostgreSQL backend is not built in yet; use a SQLite path or "
                        "sqlite:PATH");
    } else {
        rc = dd_err_set(err, DD_EUNSUPPORTED,
                        "db: unsupported URL scheme \"%.*s\"; use a SQLite path or sqlite:PATH "
                        "(write a relative path containing ':' as ./name)",
                        (int)(n < DD_URL_SCHEME_SHOWN_MAX ? n : DD_URL_SCHEME_SHOWN_MAX), url);
    }
out:
    return rc;
}

void dd_db_close(dd_db *db)
{
    if (db != NULL)
        db->ops->close(db);
}

void dd_db_manifest_free(dd_db_manifest *m)
{
    if (m == NULL)
        return;
    dd_free(m->digest);
    dd_free(m->media_type);
    dd_free(m->artifact_type);
    dd_free(m->subject);
    dd_free(m->annotations_json);
    memset(m, 0, sizeof(*m));
}

int dd_db_repo_exists(dd_db *db, const char *repo, dd_err *err)
{
    return db->ops->repo_exists(db, repo, err);
}

int dd_db_repo_create(dd_db *db, const char *repo, int64_t now_ms, dd_err *err)
{
    return db->ops->repo_create(db, repo, now_ms, err);
}

int dd_db_repo_delete(dd_db *db, const char *repo, dd_err *err)
{
    return db->ops->repo_delete(db, repo, err);
}

int dd_db_repo_list(dd_db *db, const char *last, size_t n, dd_strlist *out, dd_err *err)
{
    return db->ops->repo_list(db, last, n, out, err);
}

int dd_db_blob_link(dd_db *db, const char *repo, const char *digest, uint64_t size, int64_t now_ms,
                    dd_err *err)
{
    return db->ops->blob_link(db, repo, digest, size, now_ms, err);
}

int dd_db_blob_get(dd_db *db, const char *repo, const char *digest, uint64_t *size_out, dd_err *err)
{
    return db->ops->blob_get(db, repo, digest, size_out, err);
}

int dd_db_blob_unlink(dd_db *db, const char *repo, const char *digest, dd_err *err)
{
    return db->ops->blob_unlink(db, repo, digest, err);
}

int dd_db_manifest_put(dd_db *db, const dd_db_manifest_in *m, dd_err *err)
{
    return db->ops->manifest_put(db, m, err);
}

int dd_db_manifest_get(dd_db *db, const char *repo, const char *digest, dd_db_manifest *out,
                       dd_err *err)
{
    return db->ops->manifest_get(db, repo, digest, out, err);
}

int dd_db_manifest_record_pull(dd_db *db, const char *repo, const char *digest, int64_t now_ms,
                               int64_t granularity_ms, dd_err *err)
{
    return db->ops->manifest_record_pull(db, repo, digest, now_ms, granularity_ms, err);
}

int dd_db_manifest_delete(dd_db *db, const char *repo, const char *digest, dd_err *err)
{
    return db->ops->manifest_delete(db, repo, digest, err);
}

int dd_db_tag_get(dd_db *db, const char *repo, const char *tag, char *digest_out,
                  size_t digest_out_len, dd_err *err)
{
    return db->ops->tag_get(db, repo, tag, digest_out, digest_out_len, err);
}

int dd_db_tag_list(dd_db *db, const char *repo, const char *last, size_t n, dd_strlist *out,
                   dd_err *err)
{
    return db->ops->tag_list(db, repo, last, n, out, err);
}

int dd_db_tag_delete(dd_db *db, const char *repo, const char *tag, dd_err *err)
{
    return db->ops->tag_delete(db, repo, tag, err);
}

int dd_db_referrers(dd_db *db, const char *repo, const char *subject, const char *artifact_type,
                    dd_db_manifest **out, size_t *n_out, dd_err *err)
{
    return db->ops->referrers(db, repo, subject, artifact_type, out, n_out, err);
}

int dd_db_upload_create(dd_db *db, const char *id, const char *repo, int64_t now_ms, dd_err *err)
{
    return db->ops->upload_create(db, id, repo, now_ms, err);
}

int dd_db_upload_get(dd_db *db, const char *id, const char *repo, dd_err *err)
{
    return db->ops->upload_get(db, id, repo, err);
}

int dd_db_upload_touch(dd_db *db, const char *id, int64_t now_ms, dd_err *err)
{
    return db->ops->upload_touch(db, id, now_ms, err);
}

int dd_db_upload_delete(dd_db *db, const char *id, dd_err *err)
{
    return db->ops->upload_delete(db, id, err);
}

int dd_db_upload_finish(dd_db *db, const char *id, const char *repo, const char *digest,
                        uint64_t size, int64_t now_ms, dd_err *err)
{
    return db->ops->upload_finish(db, id, repo, digest, size, now_ms, err);
}

int dd_db_upload_sweep(dd_db *db, int64_t cutoff_ms, dd_strlist *ids_out, dd_err *err)
{
    return db->ops->upload_sweep(db, cutoff_ms, ids_out, err);
}
