/* Blob store front end: picks a backend from a location (dd_store_open) and implements every public
 * dd_store_* function as a dispatch through the backend's operation table (internal.h). Backend
 * behaviour (validation, durability, locking) lives in the backends; nothing here touches storage.
 */
#include "store/internal.h"
#include "util/url.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

int dd_store_open(dd_store **out, const char *url, dd_err *err)
{
    size_t n;
    int rc = 0;
    *out = NULL;
    if (url == NULL || url[0] == '\0') {
        rc = dd_err_set(err, DD_EINVALID, "store: empty location");
        goto out;
    }
    n = dd_url_scheme_len(url);
    if (n == 0) {
        rc = dd_store_fs_open(out, url, err);
        goto out;
    }
    /* Messages quote the scheme only: the rest of a URL may carry credentials. */
    if (dd_url_scheme_is(url, n, "file")) {
        if (strncmp(url + n + 1, "///", 3) != 0) {
            rc = dd_err_set(err, DD_EINVALID,
                            "store: a file URL must be file:///absolute/path (empty host)");
            goto out;
        }
        rc = dd_store_fs_open(out, url + n + 3, err);
    } else if (dd_url_scheme_is(url, n, "s3")) {
        rc = dd_err_set(err, DD_EUNSUPPORTED,
                        "store: object store backends (s3://) are not built in yet; use a "
                        "filesystem path or file:///path");
    } else {
        rc = dd_err_set(err, DD_EUNSUPPORTED,
                        "store: unsupported URL scheme \"%.*s\"; use a filesystem path or "
                        "file:///path (write a relative path containing ':' as ./name)",
                        (int)(n < DD_URL_SCHEME_SHOWN_MAX ? n : DD_URL_SCHEME_SHOWN_MAX), url);
    }
out:
    return rc;
}

void dd_store_close(dd_store *s)
{
    if (s != NULL)
        s->ops->close(s);
}

int dd_store_stat_blob(dd_store *s, const char *digest, uint64_t *size_out, dd_err *err)
{
    return s->ops->stat_blob(s, digest, size_out, err);
}

int dd_store_open_blob(dd_store *s, const char *digest, int *fd_out, uint64_t *size_out,
                       dd_err *err)
{
    return s->ops->open_blob(s, digest, fd_out, size_out, err);
}

int dd_store_read_blob(dd_store *s, const char *digest, size_t max, uint8_t **data_out,
                       size_t *len_out, dd_err *err)
{
    return s->ops->read_blob(s, digest, max, data_out, len_out, err);
}

int dd_store_put_blob(dd_store *s, const void *data, size_t len, const char *expected,
                      char digest_out[DD_DIGEST_STR_MAX], dd_err *err)
{
    return s->ops->put_blob(s, data, len, expected, digest_out, err);
}

int dd_store_delete_blob(dd_store *s, const char *digest, dd_err *err)
{
    return s->ops->delete_blob(s, digest, err);
}

int dd_store_upload_create(dd_store *s, char id_out[DD_UPLOAD_ID_MAX], dd_err *err)
{
    return s->ops->upload_create(s, id_out, err);
}

int dd_store_upload_size(dd_store *s, const char *id, uint64_t *size_out, dd_err *err)
{
    return s->ops->upload_size(s, id, size_out, err);
}

int dd_store_upload_open(dd_store *s, const char *id, dd_upload **out, dd_err *err)
{
    return s->ops->upload_open(s, id, out, err);
}

int dd_store_upload_write(dd_upload *u, const void *data, size_t len, dd_err *err)
{
    return u->store->ops->upload_write(u, data, len, err);
}

uint64_t dd_store_upload_offset(const dd_upload *u)
{
    return u->store->ops->upload_offset(u);
}

int dd_store_upload_close(dd_upload *u, dd_err *err)
{
    return u != NULL ? u->store->ops->upload_close(u, err) : 0;
}

int dd_store_upload_commit(dd_store *s, const char *id, const char *expected, uint64_t *size_out,
                           dd_err *err)
{
    return s->ops->upload_commit(s, id, expected, size_out, err);
}

int dd_store_upload_delete(dd_store *s, const char *id, dd_err *err)
{
    return s->ops->upload_delete(s, id, err);
}

int dd_store_upload_sweep(dd_store *s, int64_t cutoff_ms, size_t *n_removed, dd_err *err)
{
    return s->ops->upload_sweep(s, cutoff_ms, n_removed, err);
}
