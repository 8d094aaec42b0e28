/* Private to src/store: the backend interface behind store.h. Each backend (fs.c; later an object
 * store) defines a struct whose first member is a `dd_store` pointing at its const `dd_store_ops`
 * table, and an upload struct whose first member is a `dd_upload` pointing at its store. store.c
 * implements the public dd_store_* functions by dispatching through these tables, so the registry
 * never sees a backend. Each operation has exactly the contract documented for the matching public
 * function in store.h; the pointers are never NULL. */
#ifndef DD_STORE_INTERNAL_H
#define DD_STORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "store/store.h"
#include "util/digest.h"
#include "util/err.h"

typedef struct dd_store_ops {
    /* Releases everything the store holds; s is never NULL (store.c checks). */
    void (*close)(dd_store *s);
    int (*stat_blob)(dd_store *s, const char *digest, uint64_t *size_out, dd_err *err);
    int (*open_blob)(dd_store *s, const char *digest, int *fd_out, uint64_t *size_out, dd_err *err);
    int (*read_blob)(dd_store *s, const char *digest, size_t max, uint8_t **data_out,
                     size_t *len_out, dd_err *err);
    int (*put_blob)(dd_store *s, const void *data, size_t len, const char *expected,
                    char digest_out[DD_DIGEST_STR_MAX], dd_err *err);
    int (*delete_blob)(dd_store *s, const char *digest, dd_err *err);
    int (*upload_create)(dd_store *s, char id_out[DD_UPLOAD_ID_MAX], dd_err *err);
    int (*upload_size)(dd_store *s, const char *id, uint64_t *size_out, dd_err *err);
    /* Sets (*out)->store to s. */
    int (*upload_open)(dd_store *s, const char *id, dd_upload **out, dd_err *err);
    int (*upload_write)(dd_upload *u, const void *data, size_t len, dd_err *err);
    uint64_t (*upload_offset)(const dd_upload *u);
    /* u is never NULL (store.c checks). */
    int (*upload_close)(dd_upload *u, dd_err *err);
    int (*upload_commit)(dd_store *s, const char *id, const char *expected, uint64_t *size_out,
                         dd_err *err);
    int (*upload_delete)(dd_store *s, const char *id, dd_err *err);
    int (*upload_sweep)(dd_store *s, int64_t cutoff_ms, size_t *n_removed, dd_err *err);
} dd_store_ops;

/* The first member of every backend's store struct. */
struct dd_store {
    const dd_store_ops *ops;
};

/* The first member of every backend's upload struct: upload calls dispatch through its store. */
struct dd_upload {
    dd_store *store;
};

#endif
