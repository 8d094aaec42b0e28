/* Layer contribution cache: encodes a dd_contrib into the length-prefixed, checksummed format
 * described in cache.h, writes it with a temporary file and rename, and reads it back, refusing
 * anything that does not check out (so a corrupt or truncated file only costs a re-read). */
#include "image/cache.h"
#include "util/alloc.h"
#include "util/digest.h"
#include "util/limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC "DDLCONT\n"
#define MAGIC_LEN 8
#define TRAILER_LEN (DD_DIGEST_STR_MAX - 1) /* "sha256:" + 64 hex */
#define WRITE_BUF (1u << 20)
/* kind, extracted, mode, size, path_len, target_len, data_len */
#define OP_MIN_LEN (1 + 1 + 4 + 8 + 4 + 4 + 8)

/* ---- writer: to a file descriptor (buffered) or to memory; hashes everything it writes ---- */

typedef struct writer {
    int fd; /* -1: memory */
    uint8_t *buf;
    size_t used, cap;
    uint64_t total;
    dd_hasher *h;
    dd_err *err;
} writer;

static int w_flush(writer *w)
{
    size_t off = 0;
    while (off < w->used) {
        ssize_t n = write(w->fd, w->buf + off, w->used - off);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return dd_err_errno(w->err, errno, "layer cache: write");
        }
        off += (size_t)n;
    }
    w->used = 0;
    return 0;
}

static int w_put(writer *w, const void *data, size_t len)
{
    int rc;
    if (len == 0)
        return 0;
    if (len > DD_LIMIT_CACHE_FILE_MAX || w->total + len > DD_LIMIT_CACHE_FILE_MAX)
        return dd_err_set(w->err, DD_ELIMIT, "layer cache: contribution over %llu bytes",
                          (unsigned long long)DD_LIMIT_CACHE_FILE_MAX);
    w->total += len;
    if (w->h != NULL && (rc = dd_hasher_update(w->h, data, len)) != 0)
        return dd_err_set(w->err, rc, "layer cache: hashing failed");
    const uint8_t *p = data;
    if (w->fd < 0) {
        if (w->cap - w->used < len) {
            size_t cap = w->cap ? w->cap : 4096;
            while (cap - w->used < len) {
                if (!dd_mul_size(&cap, cap, 2))
                    return dd_err_set(w->err, DD_ENOMEM, "layer cache: out of memory");
            }
            uint8_t *nb = dd_realloc(w->buf, cap);
            if (nb == NULL)
                return dd_err_set(w->err, DD_ENOMEM, "layer cache: out of memory");
            w->buf = nb;
            w->cap = cap;
        }
        memcpy(w->buf + w->used, p, len);
        w->used += len;
        return 0;
    }
    while (len > 0) {
        size_t n = w->cap - w->used < len ? w->cap - w->used : len;
        memcpy(w->buf + w->used, p, n);
        w->used += n;
        p += n;
        len -= n;
        if (w->used == w->cap && (rc = w_flush(w)) != 0)
            return rc;
    }
    return 0;
}

static int w_u8(writer *w, uint8_t v)
{
    return w_put(w, &v, 1);
}

static int w_u32(writer *w, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    return w_put(w, b, 4);
}

static int w_u64(writer *w, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return w_put(w, b, 8);
}

static int w_str(writer *w, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    int rc = w_u32(w, (uint32_t)n);
    return rc ? rc : w_put(w, s, n);
}

static int encode(writer *w, const char *key, const char *digest, const dd_contrib *c)
{
    int rc;
    uint64_t n_entries, tar_bytes;
    char sum[DD_DIGEST_STR_MAX];
    dd_contrib_totals(c, &n_entries, &tar_bytes);
    size_t n = dd_contrib_n_ops(c);
    if (strlen(key) > DD_LIMIT_PATH_MAX || strlen(digest) > DD_LIMIT_DIGEST_MAX)
        return dd_err_set(w->err, DD_EINVALID, "layer cache: key or digest too long");
    if ((rc = w_put(w, MAGIC, MAGIC_LEN)) != 0 || (rc = w_u32(w, DD_CACHE_VERSION)) != 0 ||
        (rc = w_str(w, key)) != 0 || (rc = w_str(w, digest)) != 0 ||
        (rc = w_u64(w, n_entries)) != 0 || (rc = w_u64(w, tar_bytes)) != 0 ||
        (rc = w_u64(w, n)) != 0)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const dd_layer_op *op = dd_contrib_op(c, i);
        if (op->kind == DD_OP_FILE && op->data == NULL && op->len > 0)
            return dd_err_set(w->err, DD_EINVALID, "layer cache: file data already handed over");
        if ((rc = w_u8(w, op->kind)) != 0 || (rc = w_u8(w, op->extracted)) != 0 ||
            (rc = w_u32(w, op->mode)) != 0 || (rc = w_u64(w, op->size)) != 0 ||
            (rc = w_str(w, op->path)) != 0 || (rc = w_str(w, op->target)) != 0 ||
            (rc = w_u64(w, op->len)) != 0 || (rc = w_put(w, op->data, op->len)) != 0)
            return rc;
    }
    dd_hasher *h = w->h;
    w->h = NULL; /* the trailer is not part of what it sums */
    rc = dd_hasher_final(h, sum);
    dd_hasher_free(h);
    if (rc != 0)
        return dd_err_set(w->err, rc, "layer cache: hashing failed");
    return w_put(w, sum, TRAILER_LEN);
}

int dd_cache_encode(uint8_t **out, size_t *out_len, const char *key, const char *digest,
                    const dd_contrib *c, dd_err *err)
{
    writer w = {.fd = -1, .err = err};
    *out = NULL;
    *out_len = 0;
    int rc = dd_hasher_new(&w.h);
    if (rc != 0)
        goto out;
    rc = encode(&w, key, digest, c);
    if (rc == 0) {
        *out = w.buf;
        *out_len = w.used;
        w.buf = NULL;
    }
out:
    dd_hasher_free(w.h);
    dd_free(w.buf);
    return rc;
}

/* File name of a (digest, key) pair: "<algo>-<hex>-<16 hex of sha256(key)>.ddlc". */
static char *cache_path(const char *dir, const char *key, const char *digest, dd_err *err)
{
    char kd[DD_DIGEST_STR_MAX];
    const char *colon = strchr(digest, ':');
    if (colon == NULL || dd_digest_validate(digest, strlen(digest), NULL) != 0) {
        dd_err_set(err, DD_EINVALID, "layer cache: not a usable digest");
        return NULL;
    }
    if (dd_digest_buf(kd, key, strlen(key)) != 0) {
        dd_err_set(err, DD_ENOMEM, "layer cache: hashing failed");
        return NULL;
    }
    char *p =
        dd_asprintf("%s/%.*s-%s-%.16s.ddlc", dir, (int)(colon - digest), digest, colon + 1, kd + 7);
    if (p == NULL)
        dd_err_set(err, DD_ENOMEM, "layer cache: out of memory");
    return p;
}

int dd_cache_store(const char *dir, const char *key, const char *digest, const dd_contrib *c,
                   dd_err *err)
{
    int rc = 0;
    char *path = NULL, *tmp = NULL;
    writer w = {.fd = -1, .err = err};
    if ((path = cache_path(dir, key, digest, err)) == NULL) {
        rc = err ? err->code : DD_ENOMEM;
        goto out;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        rc = dd_err_errno(err, errno, "layer cache: mkdir");
        goto out;
    }
    if ((tmp = dd_asprintf("%s/.tmp-XXXXXX", dir)) == NULL ||
        (w.buf = dd_malloc(WRITE_BUF)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "layer cache: out of memory");
        goto out;
    }
    w.cap = WRITE_BUF;
    if ((w.fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
        rc = dd_err_errno(err, errno, "layer cache: create");
        dd_free(tmp);
        tmp = NULL;
        goto out;
    }
    if ((rc = dd_hasher_new(&w.h)) != 0 || (rc = encode(&w, key, digest, c)) != 0 ||
        (rc = w_flush(&w)) != 0)
        goto out;
    if (close(w.fd) != 0) {
        w.fd = -1;
        rc = dd_err_errno(err, errno, "layer cache: close");
        goto out;
    }
    w.fd = -1;
    if (rename(tmp, path) != 0) {
        rc = dd_err_errno(err, errno, "layer cache: rename");
        goto out;
    }
    dd_free(tmp);
    tmp = NULL;
out:
    if (w.fd >= 0)
        close(w.fd);
    if (tmp != NULL)
        unlink(tmp);
    dd_hasher_free(w.h);
    dd_free(w.buf);
    dd_free(tmp);
    dd_free(path);
    return rc;
}

/* ---- reader: a bounded cursor over the file's bytes ---- */

typedef struct cur {
    const uint8_t *p;
    size_t len, off;
} cur;

static int r_take(cur *c, size_t n, const uint8_t **out)
{
    if (c->len - c->off < n)
        return -1;
    *out = c->p + c->off;
    c->off += n;
    return 0;
}

static int r_u8(cur *c, uint8_t *v)
{
    const uint8_t *b;
    if (r_take(c, 1, &b) != 0)
        return -1;
    *v = b[0];
    return 0;
}

static int r_u32(cur *c, uint32_t *v)
{
    const uint8_t *b;
    if (r_take(c, 4, &b) != 0)
        return -1;
    *v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    return 0;
}

static int r_u64(cur *c, uint64_t *v)
{
    const uint8_t *b;
    if (r_take(c, 8, &b) != 0)
        return -1;
    *v = 0;
    for (int i = 7; i >= 0; i--)
        *v = *v << 8 | b[i];
    return 0;
}

/* A string field of at most max bytes without NUL bytes. */
static int r_str(cur *c, size_t max, const char **s, size_t *len)
{
    uint32_t n;
    const uint8_t *b;
    if (r_u32(c, &n) != 0 || n > max || r_take(c, n, &b) != 0 || memchr(b, 0, n) != NULL)
        return -1;
    *s = (const char *)b;
    *len = n;
    return 0;
}

int dd_cache_decode(dd_contrib **out, const uint8_t *buf, size_t len, const char *key,
                    const char *digest, dd_err *err)
{
    int rc = 0;
    dd_contrib *c = NULL;
    char sum[DD_DIGEST_STR_MAX];
    uint32_t version;
    uint64_t n_entries, tar_bytes, n_ops;
    const char *s;
    size_t sl;
    const uint8_t *magic;
    *out = NULL;
    if (len < MAGIC_LEN + TRAILER_LEN)
        return dd_err_set(err, DD_EINVALID, "layer cache: file truncated");
    if ((rc = dd_digest_buf(sum, buf, len - TRAILER_LEN)) != 0)
        return dd_err_set(err, rc, "layer cache: hashing failed");
    if (memcmp(sum, buf + len - TRAILER_LEN, TRAILER_LEN) != 0)
        return dd_err_set(err, DD_EINVALID, "layer cache: checksum mismatch");
    cur r = {buf, len - TRAILER_LEN, 0};
    if (r_take(&r, MAGIC_LEN, &magic) != 0 || memcmp(magic, MAGIC, MAGIC_LEN) != 0)
        return dd_err_set(err, DD_EINVALID, "layer cache: bad magic");
    if (r_u32(&r, &version) != 0 || version != DD_CACHE_VERSION)
        return dd_err_set(err, DD_EINVALID, "layer cache: unsupported version");
    if (r_str(&r, DD_LIMIT_PATH_MAX, &s, &sl) != 0 || sl != strlen(key) || memcmp(s, key, sl) != 0)
        return dd_err_set(err, DD_EINVALID, "layer cache: written for another cache key");
    if (r_str(&r, DD_LIMIT_DIGEST_MAX, &s, &sl) != 0 || sl != strlen(digest) ||
        memcmp(s, digest, sl) != 0)
        return dd_err_set(err, DD_EINVALID, "layer cache: written for another layer");
    if (r_u64(&r, &n_entries) != 0 || r_u64(&r, &tar_bytes) != 0 || r_u64(&r, &n_ops) != 0 ||
        n_ops > (r.len - r.off) / OP_MIN_LEN)
        return dd_err_set(err, DD_EINVALID, "layer cache: bad header");
    if ((rc = dd_contrib_new(&c)) != 0) {
        dd_err_set(err, rc, "layer cache: out of memory");
        goto out;
    }
    dd_contrib_set_totals(c, n_entries, tar_bytes);
    for (uint64_t i = 0; i < n_ops; i++) {
        uint8_t kind, extracted;
        uint32_t mode;
        uint64_t size, dlen;
        const char *path, *target;
        size_t plen, tlen;
        const uint8_t *data;
        uint8_t *copy = NULL;
        if (r_u8(&r, &kind) != 0 || r_u8(&r, &extracted) != 0 || r_u32(&r, &mode) != 0 ||
            r_u64(&r, &size) != 0 || r_str(&r, DD_LIMIT_PATH_MAX, &path, &plen) != 0 ||
            r_str(&r, DD_LIMIT_PATH_MAX, &target, &tlen) != 0 || r_u64(&r, &dlen) != 0 ||
            kind < DD_OP_FILE || kind > DD_OP_REPLACE || extracted > 1 ||
            dlen > DD_LIMIT_LAYER_FILE_MAX || r_take(&r, (size_t)dlen, &data) != 0 ||
            (kind != DD_OP_FILE && dlen != 0) || (plen == 0 && kind != DD_OP_OPAQUE)) {
            rc = dd_err_set(err, DD_EINVALID, "layer cache: bad entry %llu", (unsigned long long)i);
            goto out;
        }
        if (kind == DD_OP_FILE) {
            if ((copy = dd_malloc((size_t)dlen)) == NULL) {
                rc = dd_err_set(err, DD_ENOMEM, "layer cache: out of memory");
                goto out;
            }
            if (dlen > 0)
                memcpy(copy, data, (size_t)dlen);
        }
        rc = dd_contrib_add(c, (dd_op_kind)kind, path, plen, target, tlen, mode, size, copy,
                            (size_t)dlen, extracted);
        if (rc != 0) {
            dd_err_set(err, rc, "layer cache: out of memory");
            goto out;
        }
    }
    if (r.off != r.len) {
        rc = dd_err_set(err, DD_EINVALID, "layer cache: trailing bytes");
        goto out;
    }
    *out = c;
    c = NULL;
out:
    dd_contrib_free(c);
    return rc;
}

int dd_cache_load(dd_contrib **out, const char *dir, const char *key, const char *digest,
                  dd_err *err)
{
    int rc = 0, fd = -1;
    uint8_t *buf = NULL;
    char *path = NULL;
    struct stat st;
    *out = NULL;
    if ((path = cache_path(dir, key, digest, err)) == NULL)
        return err ? err->code : DD_ENOMEM;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = dd_err_errno(err, errno, "layer cache: open");
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rc = dd_err_errno(err, errno, "layer cache: stat");
        goto out;
    }
    if (!S_ISREG(st.st_mode) || st.st_size < 0 || (uint64_t)st.st_size > DD_LIMIT_CACHE_FILE_MAX ||
        (uint64_t)st.st_size > SIZE_MAX) {
        rc = dd_err_set(err, DD_ELIMIT, "layer cache: file too large");
        goto out;
    }
    size_t len = (size_t)st.st_size, got = 0;
    if ((buf = dd_malloc(len)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "layer cache: out of memory");
        goto out;
    }
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = dd_err_errno(err, errno, "layer cache: read");
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    rc = dd_cache_decode(out, buf, got, key, digest, err);
out:
    if (fd >= 0)
        close(fd);
    dd_free(buf);
    dd_free(path);
    return rc;
}
