/* Blob store: immutable, content-addressed blobs plus upload staging files.
 *
 * Backends: a dd_store is one backend behind a table of operations (internal.h, private to this
 * module); every function below dispatches through that table (store.c), so callers never depend
 * on a backend. The filesystem backend (fs.c) is the embedded default; an S3-compatible object
 * store can be added later as another backend without the registry changing. Open a store with
 * dd_store_open (backend chosen by the location) or a backend's own constructor
 * (dd_store_fs_open). Every backend keeps the contracts documented here.
 *
 * Durability contract (every backend): a blob is visible (stat/open/read succeed) only once its
 * bytes were verified against the digest and durably stored; a crash at any moment leaves either
 * the whole blob or nothing. The filesystem backend writes a temporary file, fsyncs it, renames it
 * into place and fsyncs the directory. */
#ifndef DD_STORE_STORE_H
#define DD_STORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/digest.h"
#include "util/err.h"

typedef struct dd_store dd_store;
typedef struct dd_upload dd_upload;

#define DD_UPLOAD_ID_MAX 37 /* a lowercase UUID v4 + NUL */

/* Opens the store named by url, choosing the backend from it:
 *   a plain path ("/var/lib/drydock", "data")  -> filesystem backend rooted there
 *   file:///absolute/path                       -> filesystem backend (the rest is taken literally,
 *                                                  no percent-decoding; the host must be empty)
 * A string that starts with "<scheme>:" is a URL; write a relative path containing ':' as ./x:y.
 * Object store URLs (s3://...) and any other scheme are refused with DD_EUNSUPPORTED (they are not
 * built in yet); an empty location or a malformed file URL is DD_EINVALID. Error messages never
 * repeat the URL (it may carry credentials). Close with dd_store_close. */
DD_WARN_UNUSED int dd_store_open(dd_store **out, const char *url, dd_err *err);

/* Opens (creating if needed) a filesystem store under root: root/blobs/sha256/<2 hex>/<64 hex> and
 * root/uploads/<id>. Thread-safe: one store is shared by all request threads. */
DD_WARN_UNUSED int dd_store_fs_open(dd_store **out, const char *root, dd_err *err);
/* Closes a store of any backend; NULL-safe. Uploads must be closed first. */
void dd_store_close(dd_store *s);

/* Size of a stored blob; DD_ENOTFOUND when absent. digest must already be validated. */
DD_WARN_UNUSED int dd_store_stat_blob(dd_store *s, const char *digest, uint64_t *size_out,
                                      dd_err *err);
/* Opens a blob for reading (sendfile); the caller closes the fd. DD_ENOTFOUND when absent. */
DD_WARN_UNUSED int dd_store_open_blob(dd_store *s, const char *digest, int *fd_out,
                                      uint64_t *size_out, dd_err *err);
/* Reads a whole blob into memory (manifests, configs); DD_ELIMIT if larger than max. The bytes are
 * re-verified against the digest (DD_EMISMATCH on corruption). *data_out is freed with dd_free. */
DD_WARN_UNUSED int dd_store_read_blob(dd_store *s, const char *digest, size_t max,
                                      uint8_t **data_out, size_t *len_out, dd_err *err);
/* Stores a small in-memory blob durably. Computes its digest into digest_out; if expected is not
 * NULL and differs, nothing is stored and DD_EMISMATCH is returned. Storing an existing blob is a
 * no-op success. */
DD_WARN_UNUSED int dd_store_put_blob(dd_store *s, const void *data, size_t len,
                                     const char *expected, char digest_out[DD_DIGEST_STR_MAX],
                                     dd_err *err);
/* Removes a blob's content (garbage collection). DD_ENOTFOUND when absent. */
DD_WARN_UNUSED int dd_store_delete_blob(dd_store *s, const char *digest, dd_err *err);

/* Upload staging. An upload is an append-only file named by a random UUID. */
DD_WARN_UNUSED int dd_store_upload_create(dd_store *s, char id_out[DD_UPLOAD_ID_MAX], dd_err *err);
/* Bytes received so far; DD_ENOTFOUND for an unknown (or swept) id. id must look like a UUID
 * (anything else is DD_EINVALID, never a path). */
DD_WARN_UNUSED int dd_store_upload_size(dd_store *s, const char *id, uint64_t *size_out,
                                        dd_err *err);
/* Opens an upload for appending. Only one writer at a time: a second open of the same id while the
 * first is open returns DD_EBUSY. The store keeps a running SHA-256 of the bytes across opens (in
 * memory, so a commit does not re-read the file; after a restart it is rebuilt from the file). */
DD_WARN_UNUSED int dd_store_upload_open(dd_store *s, const char *id, dd_upload **out, dd_err *err);
/* Appends bytes (buffered write; not fsync'd until commit). */
DD_WARN_UNUSED int dd_store_upload_write(dd_upload *u, const void *data, size_t len, dd_err *err);
uint64_t dd_store_upload_offset(const dd_upload *u);
/* Releases the writer (flushes; on failure the bytes written in this open are not kept). NULL-safe.
 */
DD_WARN_UNUSED int dd_store_upload_close(dd_upload *u, dd_err *err);
/* Finishes an upload: verifies the content against expected ("sha256:..."), fsyncs, renames into
 * blobs/ and fsyncs the directory. On DD_EMISMATCH the staging file is removed and nothing is
 * stored. On success the staging file is gone and *size_out is the blob size. DD_EBUSY if a writer
 * holds the upload open. */
DD_WARN_UNUSED int dd_store_upload_commit(dd_store *s, const char *id, const char *expected,
                                          uint64_t *size_out, dd_err *err);
/* Cancels an upload (removes its staging file). DD_ENOTFOUND for an unknown id. */
DD_WARN_UNUSED int dd_store_upload_delete(dd_store *s, const char *id, dd_err *err);
/* Removes staging files not written since cutoff_ms (ms since the epoch) and not open; sets
 * *n_removed. Also removes leftover temporary files from interrupted commits. */
DD_WARN_UNUSED int dd_store_upload_sweep(dd_store *s, int64_t cutoff_ms, size_t *n_removed,
                                         dd_err *err);

#endif
