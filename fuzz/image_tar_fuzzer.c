/* Fuzz target for the layer reader (src/image/layer.c) and the contribution cache format
 * (src/image/cache.c): every input is read as a layer blob (tar, gzip or zstd) with small limits;
 * a contribution that reads is encoded, decoded back and compared, then merged twice (as layers 0
 * and 1) into a rootfs whose files are all looked up again. Every input is also decoded as a cache
 * file. Failures must leave nothing behind and say why. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "image/cache.h"
#include "image/layer.h"
#include "image/rootfs.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_DIGEST "sha256:0000000000000000000000000000000000000000000000000000000000000000"
#define FUZZ_KEY "fuzz"

typedef struct src {
    const uint8_t *p;
    size_t len, off;
} src;

/* Small, uneven blocks so headers straddle reads. */
static int next(void *ctx, const uint8_t **buf, size_t *len, dd_err *err)
{
    (void)err;
    src *s = ctx;
    size_t n = s->len - s->off;
    if (n > 1000)
        n = 1000;
    *buf = s->p + s->off;
    *len = n;
    s->off += n;
    return 0;
}

static void *ex_begin(const char *path, uint64_t size)
{
    (void)size;
    if (path[0] == 'n')
        return NULL; /* "not for me" */
    return dd_calloc(1, sizeof(size_t));
}

static int ex_feed(void *state, const uint8_t *data, size_t len)
{
    size_t *n = state;
    *n += len;
    if (len > 0 && data[0] == 'E')
        return -2; /* an extractor error */
    return *n > 4096 ? 1 : 0;
}

static int ex_end(void *state, uint8_t **out, size_t *out_len)
{
    size_t *n = state;
    *out = NULL;
    *out_len = 0;
    if (*n % 2 == 0) {
        *out = dd_malloc(sizeof(*n));
        if (*out != NULL) {
            memcpy(*out, n, sizeof(*n));
            *out_len = sizeof(*n);
        }
    }
    dd_free(state);
    return 0;
}

static const dd_extractor extractor = {ex_begin, ex_feed, ex_end};

static dd_keep wants(const char *path, size_t len, uint32_t mode, uint64_t size,
                     const dd_extractor **ex)
{
    if (path == NULL || strlen(path) != len || (mode & 0170000) != 0100000)
        __builtin_trap();
    (void)size;
    if (len >= 4 && memcmp(path + len - 4, ".bin", 4) == 0) {
        *ex = &extractor;
        return DD_KEEP_EXTRACT;
    }
    if (len % 3 == 0 || (len >= 6 && memcmp(path + len - 6, "status", 6) == 0))
        return DD_KEEP_WHOLE;
    return DD_KEEP_NONE;
}

static void check_failure(int rc, const void *out, const dd_err *err)
{
    if (rc >= 0 || out != NULL || err->code != rc || err->msg[0] == '\0')
        __builtin_trap();
}

static void same(const dd_contrib *a, const dd_contrib *b)
{
    if (dd_contrib_n_ops(a) != dd_contrib_n_ops(b))
        __builtin_trap();
    for (size_t i = 0; i < dd_contrib_n_ops(a); i++) {
        const dd_layer_op *x = dd_contrib_op(a, i), *y = dd_contrib_op(b, i);
        if (x->kind != y->kind || strcmp(x->path, y->path) != 0 || x->len != y->len ||
            x->size != y->size || x->mode != y->mode || x->extracted != y->extracted ||
            (x->len > 0 && memcmp(x->data, y->data, x->len) != 0) ||
            (x->target != NULL && strcmp(x->target, y->target) != 0))
            __builtin_trap();
    }
}

static void merge_and_look(dd_contrib *c, dd_contrib *d)
{
    dd_rootfs *fs = NULL;
    dd_merge *m = NULL;
    if (dd_rootfs_new(&fs) != 0)
        return;
    if (dd_merge_new(&m, fs) != 0)
        goto out;
    if (dd_merge_apply(m, c, 0, 0) != 0 || dd_merge_apply(m, d, 1, 1) != 0)
        goto out;
    if (dd_rootfs_finish(fs) != 0)
        goto out;
    for (size_t i = 0; i < dd_rootfs_count(fs); i++) {
        const dd_rfile *f = dd_rootfs_at(fs, i);
        if (f == NULL || f->layer != 1)
            __builtin_trap(); /* layer 1 rewrote everything layer 0 had */
        if (dd_rootfs_get(fs, f->path) == NULL)
            __builtin_trap();
    }
    for (size_t i = 0; i < dd_contrib_n_ops(c); i++) /* through symlinks: must not crash */
        (void)dd_rootfs_get(fs, dd_contrib_op(c, i)->path);
out:
    dd_merge_free(m);
    dd_rootfs_free(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_contrib *c = NULL, *d = NULL;
    dd_err err = DD_ERR_INIT;
    uint8_t *enc = NULL;
    size_t enc_len = 0;
    src s = {data, size, 0};
    dd_blob_reader r = {next, &s};
    dd_layer_args a;
    memset(&a, 0, sizeof(a));
    a.index = 0;
    a.digest = FUZZ_DIGEST;
    a.verify = 2;
    a.wants = wants;
    a.max_layer_bytes = 64u << 20;
    a.max_file_bytes = 1u << 20;
    a.max_entries = 100000;
    int rc = dd_layer_read(&c, &r, &a, &err);
    if (rc != 0) {
        check_failure(rc, c, &err);
    } else {
        if (c == NULL || dd_cache_encode(&enc, &enc_len, FUZZ_KEY, FUZZ_DIGEST, c, &err) != 0 ||
            dd_cache_decode(&d, enc, enc_len, FUZZ_KEY, FUZZ_DIGEST, &err) != 0)
            __builtin_trap();
        same(c, d);
        merge_and_look(c, d);
    }
    dd_free(enc);
    dd_contrib_free(c);
    dd_contrib_free(d);
    d = NULL;
    err = (dd_err)DD_ERR_INIT;
    rc = dd_cache_decode(&d, data, size, FUZZ_KEY, FUZZ_DIGEST, &err);
    if (rc != 0)
        check_failure(rc, d, &err);
    dd_contrib_free(d);
    return 0;
}
