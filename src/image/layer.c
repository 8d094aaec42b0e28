/* Layer reading: streams layer blobs through libarchive into per-layer contributions (kept files,
 * symlinks, whiteouts, opaque directories, replaced paths, in entry order), reads the layers of an
 * image on several threads with an optional contribution cache, and merges the contributions in
 * layer order into a dd_rootfs. */
#include "image/layer.h"
#include "image/cache.h"
#include "util/alloc.h"
#include "util/limits.h"
#include "util/log.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define READ_BLOCK (1u << 20)   /* bytes per read() of a layer blob */
#define ARENA_BLOCK (64u << 10) /* bytes per block of the path arenas */
#define MSG_PATH_MAX 120        /* bytes of an entry name quoted in an error */
#define ZERO_BLOCK 65536

static const uint8_t zeros[ZERO_BLOCK];

/* ---- arena: stable copies of strings, freed all at once ---------------------------------- */

typedef struct ablock {
    struct ablock *next;
    size_t used, cap;
    char data[];
} ablock;

typedef struct arena {
    ablock *head;
} arena;

static char *arena_copy(arena *a, const char *s, size_t n)
{
    size_t need, total;
    if (!dd_add_size(&need, n, 1))
        return NULL;
    if (a->head == NULL || a->head->cap - a->head->used < need) {
        size_t cap = need > ARENA_BLOCK ? need : ARENA_BLOCK;
        if (!dd_add_size(&total, sizeof(ablock), cap))
            return NULL;
        ablock *b = dd_malloc(total);
        if (b == NULL)
            return NULL;
        b->cap = cap;
        b->used = 0;
        if (need > ARENA_BLOCK && a->head != NULL) { /* keep the current block for small strings */
            b->next = a->head->next;
            a->head->next = b;
            b->used = need;
            if (n > 0)
                memcpy(b->data, s, n);
            b->data[n] = '\0';
            return b->data;
        }
        b->next = a->head;
        a->head = b;
    }
    char *p = a->head->data + a->head->used;
    if (n > 0)
        memcpy(p, s, n);
    p[n] = '\0';
    a->head->used += need;
    return p;
}

static void arena_free(arena *a)
{
    ablock *b = a->head;
    while (b != NULL) {
        ablock *next = b->next;
        dd_free(b);
        b = next;
    }
    a->head = NULL;
}

/* ---- string map: open addressing, keys are stable strings owned elsewhere ---------------- */

typedef struct mnode {
    const char *key; /* NULL: empty slot */
    size_t klen;
    uint64_t hash;
    /* merge bookkeeping */
    int layer;     /* layer of the present entry */
    int present;   /* a kept file or symlink is at key */
    size_t n_desc; /* present entries strictly below key */
    /* kept-file index of a layer being read (hard links) */
    size_t op;
    dd_keep keep;
    const dd_extractor *ex;
} mnode;

typedef struct smap {
    mnode *slots;
    size_t n_slots, n;
} smap;

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

static mnode *smap_find(const smap *m, const char *key, size_t klen, uint64_t h)
{
    if (m->n_slots == 0)
        return NULL;
    size_t i = (size_t)h & (m->n_slots - 1);
    for (;;) {
        mnode *s = &m->slots[i];
        if (s->key == NULL)
            return NULL;
        if (s->hash == h && s->klen == klen && memcmp(s->key, key, klen) == 0)
            return s;
        i = (i + 1) & (m->n_slots - 1);
    }
}

static int smap_grow(smap *m)
{
    size_t n_slots = m->n_slots ? m->n_slots * 2 : 256;
    mnode *slots = dd_calloc(n_slots, sizeof(*slots));
    if (slots == NULL)
        return DD_ENOMEM;
    for (size_t j = 0; j < m->n_slots; j++) {
        if (m->slots[j].key == NULL)
            continue;
        size_t i = (size_t)m->slots[j].hash & (n_slots - 1);
        while (slots[i].key != NULL)
            i = (i + 1) & (n_slots - 1);
        slots[i] = m->slots[j];
    }
    dd_free(m->slots);
    m->slots = slots;
    m->n_slots = n_slots;
    return 0;
}

/* Finds key or inserts it; a new node's key is stable_key (or, when NULL, a copy in a). */
static int smap_ensure(smap *m, arena *a, const char *key, size_t klen, const char *stable_key,
                       mnode **out)
{
    uint64_t h = hash_bytes(key, klen);
    mnode *s = smap_find(m, key, klen, h);
    if (s != NULL) {
        *out = s;
        return 0;
    }
    if ((m->n + 1) * 2 > m->n_slots && smap_grow(m) != 0)
        return DD_ENOMEM;
    if (stable_key == NULL && (stable_key = arena_copy(a, key, klen)) == NULL)
        return DD_ENOMEM;
    size_t i = (size_t)h & (m->n_slots - 1);
    while (m->slots[i].key != NULL)
        i = (i + 1) & (m->n_slots - 1);
    s = &m->slots[i];
    memset(s, 0, sizeof(*s));
    s->key = stable_key;
    s->klen = klen;
    s->hash = h;
    m->n++;
    *out = s;
    return 0;
}

static void smap_free(smap *m)
{
    dd_free(m->slots);
    memset(m, 0, sizeof(*m));
}

/* ---- contributions ----------------------------------------------------------------------- */

struct dd_contrib {
    dd_layer_op *ops;
    size_t n, cap;
    arena names;
    uint64_t n_entries, tar_bytes;
};

int dd_contrib_new(dd_contrib **out)
{
    *out = dd_calloc(1, sizeof(**out));
    return *out ? 0 : DD_ENOMEM;
}

void dd_contrib_free(dd_contrib *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n; i++)
        dd_free(c->ops[i].data);
    dd_free(c->ops);
    arena_free(&c->names);
    dd_free(c);
}

int dd_contrib_add(dd_contrib *c, dd_op_kind kind, const char *path, size_t path_len,
                   const char *target, size_t target_len, uint32_t mode, uint64_t size,
                   uint8_t *data, size_t len, int extracted)
{
    int rc = 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        dd_layer_op *ops = dd_reallocarray(c->ops, cap, sizeof(*ops));
        if (ops == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        c->ops = ops;
        c->cap = cap;
    }
    const char *p = arena_copy(&c->names, path, path_len);
    const char *t = target ? arena_copy(&c->names, target, target_len) : NULL;
    if (p == NULL || (target != NULL && t == NULL)) {
        rc = DD_ENOMEM;
        goto out;
    }
    c->ops[c->n++] = (dd_layer_op){(uint8_t)kind, extracted ? 1 : 0, mode, size, p, t, data, len};
    data = NULL;
out:
    dd_free(data);
    return rc;
}

size_t dd_contrib_n_ops(const dd_contrib *c)
{
    return c->n;
}

const dd_layer_op *dd_contrib_op(const dd_contrib *c, size_t i)
{
    return i < c->n ? &c->ops[i] : NULL;
}

void dd_contrib_set_totals(dd_contrib *c, uint64_t n_entries, uint64_t tar_bytes)
{
    c->n_entries = n_entries;
    c->tar_bytes = tar_bytes;
}

void dd_contrib_totals(const dd_contrib *c, uint64_t *n_entries, uint64_t *tar_bytes)
{
    *n_entries = c->n_entries;
    *tar_bytes = c->tar_bytes;
}

/* ---- reading one layer ------------------------------------------------------------------- */

typedef struct reader {
    const dd_layer_args *args;
    const dd_blob_reader *src;
    dd_hasher *h;
    uint64_t blob_bytes;
    int eof;
    int src_rc;
    dd_err src_err;
    dd_contrib *c;
    smap kept; /* path -> FILE op, for hard links */
    char path[DD_LIMIT_PATH_MAX + 2];
    char link[DD_LIMIT_PATH_MAX + 2];
} reader;

/* Quotes an untrusted entry name for an error message: control bytes become '?', long names are
 * cut (with "...") so the reason before them always fits. */
static const char *quote(char *buf, size_t cap, const char *s)
{
    size_t o = 0;
    for (; *s != '\0' && o + 4 < cap; s++)
        buf[o++] = ((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s;
    if (*s != '\0') {
        memcpy(buf + o, "...", 3);
        o += 3;
    }
    buf[o] = '\0';
    return buf;
}

static int layer_err(const dd_layer_args *a, dd_err *err, int code, const char *what,
                     const char *name)
{
    char q[MSG_PATH_MAX + 1];
    return dd_err_set(err, code, "layer %zu (%s): %s%s%s", a->index, a->digest[0] ? a->digest : "?",
                      what, name ? ": " : "", name ? quote(q, sizeof(q), name) : "");
}

static int cancelled(const dd_layer_args *a)
{
    return a->failed_at != NULL && __atomic_load_n(a->failed_at, __ATOMIC_RELAXED) < a->seq;
}

/* Pulls the next block of the blob, hashing and counting it. 0 with *len 0 at the end. */
static int pull(reader *r, const uint8_t **buf, size_t *len)
{
    *len = 0;
    if (r->eof)
        return 0;
    if (cancelled(r->args))
        return dd_err_set(&r->src_err, DD_EBUSY, "cancelled");
    int rc = r->src->next(r->src->ctx, buf, len, &r->src_err);
    if (rc != 0)
        return rc;
    if (*len == 0) {
        r->eof = 1;
        return 0;
    }
    if (r->h != NULL && (rc = dd_hasher_update(r->h, *buf, *len)) != 0)
        return dd_err_set(&r->src_err, rc, "hashing failed");
    r->blob_bytes += *len;
    if (r->args->progress != NULL)
        __atomic_fetch_add(r->args->progress, *len, __ATOMIC_RELAXED);
    return 0;
}

static la_ssize_t read_cb(struct archive *a, void *ud, const void **buf)
{
    reader *r = ud;
    const uint8_t *b = NULL;
    size_t len = 0;
    int rc = pull(r, &b, &len);
    if (rc != 0) {
        r->src_rc = rc;
        archive_set_error(a, EIO, "%s", r->src_err.msg);
        return ARCHIVE_FATAL;
    }
    *buf = b;
    return (la_ssize_t)len;
}

/* A libarchive failure: the source's error when the source failed, else libarchive's. */
static int archive_fail(reader *r, struct archive *a, dd_err *err, const char *name)
{
    if (r->src_rc != 0) {
        char what[DD_ERR_MSG_MAX];
        snprintf(what, sizeof(what), "%s", r->src_err.msg);
        return layer_err(r->args, err, r->src_rc, what, NULL);
    }
    const char *msg = archive_error_string(a);
    char what[DD_ERR_MSG_MAX];
    snprintf(what, sizeof(what), "corrupt layer: %s", msg ? msg : "unreadable tar");
    return layer_err(r->args, err, DD_EINVALID, what, name);
}

/* Names that are the root itself ("", ".", "./", "/", "./."). */
static int is_root_name(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '/' &&
            !(s[i] == '.' && (i + 1 == n || s[i + 1] == '/') && (i == 0 || s[i - 1] == '/')))
            return 0;
    return 1;
}

static int add_op(reader *r, dd_err *err, dd_op_kind kind, const char *path, size_t plen,
                  const char *target, size_t tlen, uint32_t mode, uint64_t size, uint8_t *data,
                  size_t len, int extracted)
{
    int rc = dd_contrib_add(r->c, kind, path, plen, target, tlen, mode, size, data, len, extracted);
    if (rc != 0)
        return layer_err(r->args, err, rc, "out of memory", NULL);
    return 0;
}

/* Records a kept file so later hard links in the same layer can copy it. */
static int remember_kept(reader *r, dd_err *err, dd_keep keep, const dd_extractor *ex)
{
    const dd_layer_op *op = &r->c->ops[r->c->n - 1];
    mnode *n;
    if (smap_ensure(&r->kept, NULL, op->path, strlen(op->path), op->path, &n) != 0)
        return layer_err(r->args, err, DD_ENOMEM, "out of memory", NULL);
    n->op = r->c->n - 1;
    n->keep = keep;
    n->ex = ex;
    return 0;
}

static int read_whole(reader *r, struct archive *a, dd_err *err, const char *path, size_t plen,
                      uint32_t mode, uint64_t size)
{
    char what[96];
    if (size > r->args->max_file_bytes) {
        snprintf(what, sizeof(what), "file of %llu bytes over the %llu-byte file limit",
                 (unsigned long long)size, (unsigned long long)r->args->max_file_bytes);
        return layer_err(r->args, err, DD_ELIMIT, what, path);
    }
    uint8_t *buf = dd_malloc((size_t)size);
    if (buf == NULL)
        return layer_err(r->args, err, DD_ENOMEM, "out of memory", path);
    size_t got = 0;
    while (got < size) {
        la_ssize_t n = archive_read_data(a, buf + got, (size_t)size - got);
        if (n < 0) {
            dd_free(buf);
            return archive_fail(r, a, err, path);
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    int rc = add_op(r, err, DD_OP_FILE, path, plen, NULL, 0, mode, size, buf, got, 0);
    return rc ? rc : remember_kept(r, err, DD_KEEP_WHOLE, NULL);
}

static int read_extract(reader *r, struct archive *a, dd_err *err, const char *path, size_t plen,
                        uint32_t mode, uint64_t size, const dd_extractor *ex)
{
    int rc = 0, e;
    uint8_t *out = NULL;
    size_t out_len = 0;
    void *state = ex->begin(path, size);
    if (state == NULL)
        return add_op(r, err, DD_OP_REPLACE, path, plen, NULL, 0, 0, 0, NULL, 0, 0);
    la_int64_t at = 0;
    for (;;) {
        const void *block;
        size_t n;
        la_int64_t off;
        int ar = archive_read_data_block(a, &block, &n, &off);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar < ARCHIVE_WARN) {
            rc = archive_fail(r, a, err, path);
            break;
        }
        int f = 0;
        while (off > at && f == 0) { /* a hole of a sparse file reads as zeros */
            size_t z = (uint64_t)(off - at) > ZERO_BLOCK ? ZERO_BLOCK : (size_t)(off - at);
            f = ex->feed(state, zeros, z);
            at += (la_int64_t)z;
        }
        if (f == 0 && n > 0)
            f = ex->feed(state, block, n);
        at = off + (la_int64_t)n;
        if (f < 0) {
            rc = layer_err(r->args, err, f, "extractor failed", path);
            break;
        }
        if (f == 1)
            break;
    }
    e = ex->end(state, &out, &out_len);
    if (rc == 0 && e != 0)
        rc = layer_err(r->args, err, e, "extractor failed", path);
    if (rc == 0 && out != NULL && out_len > r->args->max_file_bytes) {
        char what[96];
        snprintf(what, sizeof(what), "extractor output of %zu bytes over the %llu-byte file limit",
                 out_len, (unsigned long long)r->args->max_file_bytes);
        rc = layer_err(r->args, err, DD_ELIMIT, what, path);
    }
    if (rc != 0) {
        dd_free(out);
        return rc;
    }
    if (out == NULL)
        return add_op(r, err, DD_OP_REPLACE, path, plen, NULL, 0, 0, 0, NULL, 0, 0);
    rc = add_op(r, err, DD_OP_FILE, path, plen, NULL, 0, mode, size, out, out_len, 1);
    return rc ? rc : remember_kept(r, err, DD_KEEP_EXTRACT, ex);
}

/* A hard link: a copy of its target's kept content when `wants` keeps the link the same way. */
static int hard_link(reader *r, dd_err *err, const char *path, size_t plen, const char *hl)
{
    int rc = dd_path_normalize(r->link, hl, strlen(hl), err);
    if (rc != 0) {
        char what[DD_ERR_MSG_MAX];
        snprintf(what, sizeof(what), "bad hard link target (%.100s)", err ? err->msg : "");
        return layer_err(r->args, err, rc, what, path);
    }
    size_t ll = strlen(r->link);
    mnode *n = smap_find(&r->kept, r->link, ll, hash_bytes(r->link, ll));
    if (n != NULL) {
        const dd_layer_op *t = &r->c->ops[n->op];
        const dd_extractor *ex = NULL;
        dd_keep k = r->args->wants(path, plen, t->mode, t->size, &ex);
        if (k != DD_KEEP_NONE && k == n->keep && (k == DD_KEEP_WHOLE || ex == n->ex)) {
            uint8_t *copy = dd_malloc(t->len);
            if (copy == NULL)
                return layer_err(r->args, err, DD_ENOMEM, "out of memory", path);
            if (t->len > 0)
                memcpy(copy, t->data, t->len);
            rc = add_op(r, err, DD_OP_FILE, path, plen, NULL, 0, t->mode, t->size, copy, t->len,
                        t->extracted);
            return rc ? rc : remember_kept(r, err, k, ex);
        }
    }
    return add_op(r, err, DD_OP_REPLACE, path, plen, NULL, 0, 0, 0, NULL, 0, 0);
}

static int entry(reader *r, struct archive *a, struct archive_entry *e, dd_err *err)
{
    char what[160];
    int rc;
    const char *name = archive_entry_pathname(e);
    if (name == NULL)
        return layer_err(r->args, err, DD_EINVALID, "entry without a usable name", NULL);
    size_t nl = strlen(name);
    mode_t ft = archive_entry_filetype(e);
    const char *hl = archive_entry_hardlink(e);
    la_int64_t esize = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
    if (esize < 0)
        return layer_err(r->args, err, DD_EINVALID, "negative entry size", name);
    uint64_t size = (uint64_t)esize;
    uint64_t pos = (uint64_t)archive_filter_bytes(a, 0);
    if (size > r->args->max_layer_bytes || pos > r->args->max_layer_bytes - size) {
        snprintf(what, sizeof(what), "layer over the %llu-byte decompressed limit",
                 (unsigned long long)r->args->max_layer_bytes);
        return layer_err(r->args, err, DD_ELIMIT, what, name);
    }
    if (is_root_name(name, nl)) {
        if (ft == AE_IFDIR || ft == 0)
            return 0;
        return layer_err(r->args, err, DD_EINVALID, "non-directory entry for the root", name);
    }
    dd_err ne = DD_ERR_INIT;
    if ((rc = dd_path_normalize(r->path, name, nl, &ne)) != 0) {
        snprintf(what, sizeof(what), "bad entry name (%.100s)", ne.msg);
        return layer_err(r->args, err, rc, what, name);
    }
    char *path = r->path;
    size_t plen = strlen(path);
    char *slash = strrchr(path, '/');
    char *base = slash ? slash + 1 : path;
    size_t dlen = slash ? (size_t)(slash - path) : 0;

    if (strncmp(base, ".wh.", 4) == 0) {
        if (strcmp(base, ".wh..wh..opq") == 0)
            return add_op(r, err, DD_OP_OPAQUE, path, dlen, NULL, 0, 0, 0, NULL, 0, 0);
        const char *victim = base + 4;
        size_t vl = strlen(victim);
        if (strncmp(victim, ".wh.", 4) == 0 || vl == 0 || strcmp(victim, ".") == 0 ||
            strcmp(victim, "..") == 0)
            return 0; /* aufs metadata (.wh..wh.plnk, ...) or a meaningless name */
        memmove(base, victim, vl + 1);
        return add_op(r, err, DD_OP_WHITEOUT, path, plen - 4, NULL, 0, 0, 0, NULL, 0, 0);
    }
    if (hl != NULL && size == 0)
        return hard_link(r, err, path, plen, hl);
    if (ft == AE_IFDIR)
        return add_op(r, err, DD_OP_DIR, path, plen, NULL, 0, 0, 0, NULL, 0, 0);
    if (ft == AE_IFLNK) {
        const char *target = archive_entry_symlink(e);
        if (target == NULL)
            target = "";
        size_t tl = strlen(target);
        if (tl > DD_LIMIT_PATH_MAX)
            return layer_err(r->args, err, DD_ELIMIT, "symlink target too long", path);
        return add_op(r, err, DD_OP_SYMLINK, path, plen, target, tl, 0120777, 0, NULL, 0, 0);
    }
    if (ft != AE_IFREG && hl == NULL)
        return add_op(r, err, DD_OP_REPLACE, path, plen, NULL, 0, 0, 0, NULL, 0, 0);
    uint32_t mode = (uint32_t)archive_entry_mode(e);
    if ((mode & 0170000) == 0)
        mode |= 0100000;
    const dd_extractor *ex = NULL;
    dd_keep k = r->args->wants(path, plen, mode, size, &ex);
    if (k == DD_KEEP_WHOLE)
        return read_whole(r, a, err, path, plen, mode, size);
    if (k == DD_KEEP_EXTRACT && ex != NULL)
        return read_extract(r, a, err, path, plen, mode, size, ex);
    return add_op(r, err, DD_OP_REPLACE, path, plen, NULL, 0, 0, 0, NULL, 0, 0);
}

int dd_layer_read(dd_contrib **out, const dd_blob_reader *src, const dd_layer_args *args,
                  dd_err *err)
{
    int rc = 0;
    struct archive *a = NULL;
    reader *r = NULL;
    uint64_t n_entries = 0;
    char what[DD_ERR_MSG_MAX];
    *out = NULL;
    if (args->verified_out != NULL)
        *args->verified_out = 0;
    if ((r = dd_calloc(1, sizeof(*r))) == NULL) {
        rc = layer_err(args, err, DD_ENOMEM, "out of memory", NULL);
        goto out;
    }
    r->args = args;
    r->src = src;
    if ((rc = dd_contrib_new(&r->c)) != 0 ||
        (args->verify != 0 && (rc = dd_hasher_new(&r->h)) != 0)) {
        rc = layer_err(args, err, rc, "out of memory", NULL);
        goto out;
    }
    if ((a = archive_read_new()) == NULL) {
        rc = layer_err(args, err, DD_ENOMEM, "out of memory", NULL);
        goto out;
    }
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_empty(a);
    if (archive_read_open(a, r, NULL, read_cb, NULL) != ARCHIVE_OK) {
        rc = archive_fail(r, a, err, NULL);
        goto out;
    }
    for (;;) {
        struct archive_entry *e;
        int ar = archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar < ARCHIVE_WARN) {
            rc = archive_fail(r, a, err, NULL);
            goto out;
        }
        if (++n_entries > args->max_entries) {
            snprintf(what, sizeof(what), "more than %llu entries",
                     (unsigned long long)args->max_entries);
            rc = layer_err(args, err, DD_ELIMIT, what, NULL);
            goto out;
        }
        if ((rc = entry(r, a, e, err)) != 0)
            goto out;
    }
    uint64_t tar_bytes = (uint64_t)archive_filter_bytes(a, 0);
    int compressed = archive_filter_code(a, 0) != ARCHIVE_FILTER_NONE;
    if (tar_bytes > args->max_layer_bytes) {
        snprintf(what, sizeof(what), "layer over the %llu-byte decompressed limit",
                 (unsigned long long)args->max_layer_bytes);
        rc = layer_err(args, err, DD_ELIMIT, what, NULL);
        goto out;
    }
    /* Drain what the tar reader left (end padding) so the whole blob is hashed and counted. */
    for (;;) {
        const uint8_t *b;
        size_t len;
        if ((rc = pull(r, &b, &len)) != 0) {
            rc = layer_err(args, err, rc, r->src_err.msg, NULL);
            goto out;
        }
        if (len == 0)
            break;
    }
    if (args->verify == 1 || (args->verify == 2 && !compressed)) {
        char got[DD_DIGEST_STR_MAX];
        if ((rc = dd_hasher_final(r->h, got)) != 0) {
            rc = layer_err(args, err, rc, "hashing failed", NULL);
            goto out;
        }
        if (strcmp(got, args->digest) != 0) {
            snprintf(what, sizeof(what), "content does not match its digest (got %s)", got);
            rc = layer_err(args, err, DD_EMISMATCH, what, NULL);
            goto out;
        }
        if (args->verify == 1 && args->size != 0 && args->size != r->blob_bytes) {
            snprintf(what, sizeof(what), "blob is %llu bytes, the manifest says %llu",
                     (unsigned long long)r->blob_bytes, (unsigned long long)args->size);
            rc = layer_err(args, err, DD_EMISMATCH, what, NULL);
            goto out;
        }
        if (args->verified_out != NULL)
            *args->verified_out = 1;
    }
    dd_contrib_set_totals(r->c, n_entries, tar_bytes);
    *out = r->c;
    r->c = NULL;
out:
    if (r != NULL && args->blob_read != NULL)
        *args->blob_read = r->blob_bytes;
    if (a != NULL)
        archive_read_free(a);
    if (r != NULL) {
        dd_contrib_free(r->c);
        dd_hasher_free(r->h);
        smap_free(&r->kept);
        dd_free(r);
    }
    return rc;
}

/* ---- merging contributions into a rootfs ------------------------------------------------- */

struct dd_merge {
    dd_rootfs *fs;
    smap map; /* every present path and every ancestor directory of one */
    arena keys;
    size_t n_present;
};

int dd_merge_new(dd_merge **out, dd_rootfs *fs)
{
    *out = dd_calloc(1, sizeof(**out));
    if (*out == NULL)
        return DD_ENOMEM;
    (*out)->fs = fs;
    return 0;
}

void dd_merge_free(dd_merge *m)
{
    if (m == NULL)
        return;
    smap_free(&m->map);
    arena_free(&m->keys);
    dd_free(m);
}

static mnode *node_get(dd_merge *m, const char *p, size_t n)
{
    return smap_find(&m->map, p, n, hash_bytes(p, n));
}

/* Marks path present (written by layer); counts it below each of its ancestors. */
static int mark_present(dd_merge *m, const char *p, int layer)
{
    size_t n = strlen(p);
    mnode *node;
    if (smap_ensure(&m->map, &m->keys, p, n, NULL, &node) != 0)
        return DD_ENOMEM;
    node->layer = layer;
    if (node->present)
        return 0;
    node->present = 1;
    m->n_present++;
    for (size_t i = 0; i < n; i++) {
        if (p[i] != '/')
            continue;
        mnode *anc;
        if (smap_ensure(&m->map, &m->keys, p, i, NULL, &anc) != 0)
            return DD_ENOMEM;
        anc->n_desc++;
    }
    return 0;
}

static void unmark(dd_merge *m, mnode *node)
{
    node->present = 0;
    m->n_present--;
    for (size_t i = 0; i < node->klen; i++) {
        if (node->key[i] != '/')
            continue;
        mnode *anc = node_get(m, node->key, i);
        if (anc != NULL && anc->n_desc > 0)
            anc->n_desc--;
    }
}

/* Removes what layers below `layer` put at p and below it (below_only: strictly below; p "" =
 * everything), in the bookkeeping and, when anything matched, in the rootfs. */
static void remove_lower(dd_merge *m, const char *p, int layer, int below_only)
{
    size_t pl = strlen(p);
    int any = 0;
    for (size_t i = 0; i < m->map.n_slots; i++) {
        mnode *s = &m->map.slots[i];
        if (s->key == NULL || !s->present || s->layer >= layer)
            continue;
        int hit;
        if (pl == 0)
            hit = below_only;
        else if (s->klen == pl)
            hit = !below_only && memcmp(s->key, p, pl) == 0;
        else
            hit = s->klen > pl && s->key[pl] == '/' && memcmp(s->key, p, pl) == 0;
        if (hit) {
            unmark(m, s);
            any = 1;
        }
    }
    if (!any)
        return;
    if (below_only)
        dd_rootfs_remove_below(m->fs, p, layer);
    else
        dd_rootfs_remove(m->fs, p, layer);
}

int dd_merge_apply(dd_merge *m, dd_contrib *c, int layer, int take)
{
    int rc = 0;
    for (size_t i = 0; i < c->n && rc == 0; i++) {
        dd_layer_op *op = &c->ops[i];
        mnode *node = node_get(m, op->path, strlen(op->path));
        int lower_here = node != NULL && node->present && node->layer < layer;
        int below = node != NULL && node->n_desc > 0;
        switch (op->kind) {
        case DD_OP_FILE:
            if (below)
                remove_lower(m, op->path, layer, 0);
            if (take) {
                rc = dd_rootfs_add_file_take(m->fs, op->path, op->data, op->len, op->size, op->mode,
                                             layer, op->extracted);
                op->data = NULL;
            } else {
                rc = dd_rootfs_add_file(m->fs, op->path, op->data, op->len, op->size, op->mode,
                                        layer, op->extracted);
            }
            if (rc == 0)
                rc = mark_present(m, op->path, layer);
            break;
        case DD_OP_SYMLINK:
            if (below)
                remove_lower(m, op->path, layer, 0);
            rc = dd_rootfs_add_symlink(m->fs, op->path, op->target ? op->target : "", layer);
            if (rc == 0)
                rc = mark_present(m, op->path, layer);
            break;
        case DD_OP_REPLACE:
        case DD_OP_WHITEOUT:
            if (lower_here || below)
                remove_lower(m, op->path, layer, 0);
            break;
        case DD_OP_DIR:
            if (lower_here)
                remove_lower(m, op->path, layer, 0);
            break;
        case DD_OP_OPAQUE:
            if (op->path[0] == '\0' ? m->n_present > 0 : below)
                remove_lower(m, op->path, layer, 1);
            break;
        default:
            break;
        }
    }
    return rc;
}

/* ---- reading an image -------------------------------------------------------------------- */

enum { U_PENDING = 0, U_RUNNING, U_DONE, U_FAILED };

typedef struct ulayer {
    size_t first;      /* first position (layer index) holding this blob */
    size_t uses, used; /* positions holding it; merged so far */
    dd_contrib *c;
    int state;
    int rc;
    dd_err err;
} ulayer;

typedef struct job {
    dd_image *img;
    const dd_image_info *info;
    dd_wants_fn wants;
    uint64_t max_layer, max_file, max_entries;
    const char *cache_dir, *cache_key;
    ulayer *u;
    size_t n_u;
    size_t *pos2u;
    size_t n_pos;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next_u;
    size_t failed_at; /* lowest failed ulayer (SIZE_MAX: none); atomic */
    uint64_t progress_bytes;
    dd_read_stats st;
} job;

static uint64_t lim(uint64_t asked, uint64_t def)
{
    return (asked == 0 || asked > def) ? def : asked;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int media_type_ok(const char *mt)
{
    return mt[0] == '\0' || strstr(mt, "tar") != NULL;
}

/* Checks a cached contribution against this read's limits, as reading the layer would. */
static int check_cached(const job *j, size_t pos, const dd_contrib *c, dd_err *err)
{
    dd_layer_args a = {.index = pos, .digest = j->info->layers[pos].digest};
    char what[128];
    if (c->n_entries > j->max_entries) {
        snprintf(what, sizeof(what), "more than %llu entries", (unsigned long long)j->max_entries);
        return layer_err(&a, err, DD_ELIMIT, what, NULL);
    }
    if (c->tar_bytes > j->max_layer) {
        snprintf(what, sizeof(what), "layer over the %llu-byte decompressed limit",
                 (unsigned long long)j->max_layer);
        return layer_err(&a, err, DD_ELIMIT, what, NULL);
    }
    for (size_t i = 0; i < c->n; i++) {
        const dd_layer_op *op = &c->ops[i];
        if (op->kind == DD_OP_FILE &&
            (op->len > j->max_file || (!op->extracted && op->size > j->max_file))) {
            snprintf(what, sizeof(what), "file of %llu bytes over the %llu-byte file limit",
                     (unsigned long long)op->size, (unsigned long long)j->max_file);
            return layer_err(&a, err, DD_ELIMIT, what, op->path);
        }
    }
    return 0;
}

/* Takes layer u from the cache when possible: 1 if it did, 0 if it must be read. */
static int from_cache(job *j, size_t u, dd_err *err)
{
    if (j->cache_dir == NULL)
        return 0;
    size_t pos = j->u[u].first;
    dd_contrib *c = NULL;
    dd_err ce = DD_ERR_INIT;
    int rc = dd_cache_load(&c, j->cache_dir, j->cache_key, j->info->layers[pos].digest, &ce);
    if (rc == DD_ENOTFOUND)
        return 0;
    if (rc != 0) {
        dd_log(DD_LOG_WARN, "layer_cache_ignored", "digest", j->info->layers[pos].digest, "reason",
               ce.msg, NULL);
        return 0;
    }
    if ((rc = check_cached(j, pos, c, err)) != 0) {
        dd_contrib_free(c);
        return rc;
    }
    j->u[u].c = c;
    return 1;
}

static void to_cache(job *j, size_t u)
{
    if (j->cache_dir == NULL)
        return;
    dd_err ce = DD_ERR_INIT;
    const char *digest = j->info->layers[j->u[u].first].digest;
    if (dd_cache_store(j->cache_dir, j->cache_key, digest, j->u[u].c, &ce) != 0)
        dd_log(DD_LOG_WARN, "layer_cache_store_failed", "digest", digest, "reason", ce.msg, NULL);
}

static void count_read(job *j, const dd_contrib *c, uint64_t blob_bytes)
{
    pthread_mutex_lock(&j->mu);
    j->st.layers_read++;
    j->st.compressed_bytes += blob_bytes;
    j->st.decompressed_bytes += c ? c->tar_bytes : 0;
    j->st.entries += c ? c->n_entries : 0;
    pthread_mutex_unlock(&j->mu);
}

static void layer_args(job *j, size_t u, dd_layer_args *a)
{
    size_t pos = j->u[u].first;
    memset(a, 0, sizeof(*a));
    a->index = pos;
    a->digest = j->info->layers[pos].digest;
    a->size = j->info->layers[pos].size;
    a->wants = j->wants;
    a->max_layer_bytes = j->max_layer;
    a->max_file_bytes = j->max_file;
    a->max_entries = j->max_entries;
    a->failed_at = &j->failed_at;
    a->seq = u;
    a->progress = &j->progress_bytes;
}

/* Blocks of a file descriptor. */
typedef struct fd_src {
    int fd;
    uint8_t *buf;
} fd_src;

static int fd_next(void *ctx, const uint8_t **buf, size_t *len, dd_err *err)
{
    fd_src *s = ctx;
    for (;;) {
        ssize_t n = read(s->fd, s->buf, READ_BLOCK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return dd_err_errno(err, errno, "read");
        *buf = s->buf;
        *len = (size_t)n;
        return 0;
    }
}

/* Reads ulayer u of an oci: or registry: image (cache first). */
static int read_one(job *j, size_t u, dd_err *err)
{
    int rc = 0, verify = 0, verified = 0;
    fd_src s = {-1, NULL};
    uint64_t blob = 0;
    dd_contrib *c = NULL;
    dd_layer_args a;
    if ((rc = from_cache(j, u, err)) != 0) {
        if (rc == 1) {
            pthread_mutex_lock(&j->mu);
            j->st.layers_cached++;
            pthread_mutex_unlock(&j->mu);
            rc = 0;
        }
        goto out;
    }
    layer_args(j, u, &a);
    if ((rc = dd_image_open_layer(&s.fd, &verify, j->img, a.index, err)) != 0)
        goto out;
    if ((s.buf = dd_malloc(READ_BLOCK)) == NULL) {
        rc = layer_err(&a, err, DD_ENOMEM, "out of memory", NULL);
        goto out;
    }
    a.verify = verify;
    a.verified_out = &verified;
    a.blob_read = &blob;
    dd_blob_reader br = {fd_next, &s};
    rc = dd_layer_read(&c, &br, &a, err);
    count_read(j, c, blob);
    if (rc != 0)
        goto out;
    j->u[u].c = c;
    if (verified || verify == 0)
        to_cache(j, u);
out:
    if (s.fd >= 0)
        close(s.fd);
    dd_free(s.buf);
    return rc;
}

static void *worker(void *arg)
{
    job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->mu);
        size_t u = j->next_u;
        if (u >= j->n_u || u > __atomic_load_n(&j->failed_at, __ATOMIC_RELAXED)) {
            pthread_mutex_unlock(&j->mu);
            break;
        }
        j->next_u++;
        j->u[u].state = U_RUNNING;
        pthread_mutex_unlock(&j->mu);
        dd_err e = DD_ERR_INIT;
        int rc = read_one(j, u, &e);
        pthread_mutex_lock(&j->mu);
        j->u[u].rc = rc;
        j->u[u].err = e;
        j->u[u].state = rc ? U_FAILED : U_DONE;
        if (rc != 0 && u < __atomic_load_n(&j->failed_at, __ATOMIC_RELAXED))
            __atomic_store_n(&j->failed_at, u, __ATOMIC_RELAXED);
        pthread_cond_broadcast(&j->cv);
        pthread_mutex_unlock(&j->mu);
    }
    return NULL;
}

typedef struct progress {
    const dd_read_options *ro;
    int64_t last_ms;
} progress;

static void report(progress *p, job *j, size_t done, int force)
{
    if (p->ro == NULL || p->ro->progress == NULL)
        return;
    int64_t now = now_ms();
    if (!force && now - p->last_ms < DD_READ_PROGRESS_MS)
        return;
    p->last_ms = now;
    p->ro->progress(p->ro->progress_ctx, done, j->n_pos,
                    __atomic_load_n(&j->progress_bytes, __ATOMIC_RELAXED));
}

/* docker-archive: members come in archive order from one stream, read here one after another. */
typedef struct member_ctx {
    job *j;
    progress *p;
    size_t done;
} member_ctx;

static int on_member(void *ctx, size_t i, const dd_blob_reader *r, int verify, dd_err *err)
{
    member_ctx *mc = ctx;
    job *j = mc->j;
    size_t u = j->pos2u[i];
    dd_layer_args a;
    int verified = 0;
    uint64_t blob = 0;
    dd_contrib *c = NULL;
    layer_args(j, u, &a);
    a.verify = verify;
    a.size = 0; /* checked through the digest only */
    a.verified_out = &verified;
    a.blob_read = &blob;
    int rc = dd_layer_read(&c, r, &a, err);
    count_read(j, c, blob);
    if (rc != 0)
        return rc;
    j->u[u].c = c;
    j->u[u].state = U_DONE;
    if (verified)
        to_cache(j, u);
    report(mc->p, j, ++mc->done, 0);
    return 0;
}

static int read_archive(job *j, progress *p, dd_err *err)
{
    int rc = 0;
    unsigned char *wanted = dd_calloc(j->n_pos, 1);
    if (wanted == NULL)
        return dd_err_set(err, DD_ENOMEM, "out of memory");
    int any = 0;
    for (size_t u = 0; u < j->n_u; u++) {
        if ((rc = from_cache(j, u, err)) < 0)
            goto out;
        if (rc == 1) {
            j->u[u].state = U_DONE;
            j->st.layers_cached++;
            rc = 0;
            continue;
        }
        wanted[j->u[u].first] = 1;
        any = 1;
    }
    if (any) {
        member_ctx mc = {j, p, 0};
        rc = dd_image_archive_layers(j->img, wanted, on_member, &mc, err);
    }
out:
    dd_free(wanted);
    return rc;
}

/* Merges position pos (waiting for its layer when threads read them). */
static int merge_pos(job *j, dd_merge *m, size_t pos, progress *p, int threaded, dd_err *err)
{
    ulayer *u = &j->u[j->pos2u[pos]];
    if (threaded) {
        pthread_mutex_lock(&j->mu);
        while (u->state != U_DONE && u->state != U_FAILED) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += DD_READ_PROGRESS_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&j->cv, &j->mu, &ts);
            pthread_mutex_unlock(&j->mu);
            report(p, j, pos, 0);
            pthread_mutex_lock(&j->mu);
        }
        pthread_mutex_unlock(&j->mu);
    }
    if (u->state == U_FAILED) {
        if (err != NULL)
            *err = u->err;
        return u->rc;
    }
    if (u->c == NULL)
        return dd_err_set(err, DD_ENOTFOUND, "layer %zu (%s): not read", pos,
                          j->info->layers[pos].digest);
    int take = u->used + 1 == u->uses;
    int rc = dd_merge_apply(m, u->c, (int)pos, take);
    u->used++;
    if (take) {
        dd_contrib_free(u->c);
        u->c = NULL;
    }
    if (rc != 0)
        return dd_err_set(err, rc, "layer %zu (%s): out of memory while merging", pos,
                          j->info->layers[pos].digest);
    report(p, j, pos + 1, 0);
    return 0;
}

/* Groups positions by digest (a blob listed twice is read once). */
static int plan(job *j, dd_err *err)
{
    j->n_pos = j->info->n_layers;
    j->pos2u = dd_calloc(j->n_pos, sizeof(*j->pos2u));
    j->u = dd_calloc(j->n_pos, sizeof(*j->u));
    if (j->pos2u == NULL || j->u == NULL)
        return dd_err_set(err, DD_ENOMEM, "out of memory");
    for (size_t pos = 0; pos < j->n_pos; pos++) {
        const dd_image_layer *l = &j->info->layers[pos];
        if (!media_type_ok(l->media_type))
            return dd_err_set(err, DD_EUNSUPPORTED,
                              "layer %zu (%s): media type %.80s is not a filesystem layer", pos,
                              l->digest, l->media_type);
        size_t u = j->n_u;
        for (size_t k = 0; k < j->n_u; k++) {
            if (strcmp(j->info->layers[j->u[k].first].digest, l->digest) == 0) {
                u = k;
                break;
            }
        }
        if (u == j->n_u) {
            j->u[u].first = pos;
            j->n_u++;
        }
        j->u[u].uses++;
        j->pos2u[pos] = u;
    }
    return 0;
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (n > DD_LIMIT_READ_THREADS ? DD_LIMIT_READ_THREADS : (int)n);
}

int dd_image_read_rootfs(dd_rootfs **out, dd_image *img, dd_wants_fn wants,
                         const dd_read_options *ro, dd_err *err)
{
    int rc = 0, sync_init = 0;
    size_t n_threads = 0, started = 0;
    pthread_t *threads = NULL;
    dd_rootfs *fs = NULL;
    dd_merge *m = NULL;
    const char **digests = NULL;
    dd_read_options defaults = DD_READ_OPTIONS_INIT;
    job j;
    progress p = {ro, now_ms()};
    *out = NULL;
    memset(&j, 0, sizeof(j));
    if (ro == NULL)
        ro = &defaults;
    j.img = img;
    j.info = dd_image_get_info(img);
    j.wants = wants;
    j.max_layer = lim(ro->max_layer_bytes, DD_LIMIT_LAYER_DECOMPRESSED_MAX);
    j.max_file = lim(ro->max_file_bytes, DD_LIMIT_LAYER_FILE_MAX);
    j.max_entries = lim(ro->max_entries, DD_LIMIT_LAYER_ENTRIES);
    j.failed_at = SIZE_MAX;
    if (ro->cache_dir != NULL) {
        if (ro->cache_key == NULL || ro->cache_key[0] == '\0') {
            rc = dd_err_set(err, DD_EINVALID, "a layer cache needs a cache key");
            goto out;
        }
        j.cache_dir = ro->cache_dir;
        j.cache_key = ro->cache_key;
    }
    if (j.info->transport == DD_IMAGE_TRANSPORT_DIR) {
        j.st.layers_total = 1;
        rc = dd_rootfs_from_dir(out, dd_image_dir_path(img), wants, j.max_file, err);
        if (rc == 0)
            j.st.layers_read = 1;
        goto out;
    }
    if ((rc = plan(&j, err)) != 0)
        goto out;
    j.st.layers_total = j.n_pos;
    if ((rc = dd_rootfs_new(&fs)) != 0 || (rc = dd_merge_new(&m, fs)) != 0) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    if (pthread_mutex_init(&j.mu, NULL) != 0) {
        rc = dd_err_set(err, DD_ENOMEM, "cannot create a mutex");
        goto out;
    }
    if (pthread_cond_init(&j.cv, NULL) != 0) {
        pthread_mutex_destroy(&j.mu);
        rc = dd_err_set(err, DD_ENOMEM, "cannot create a condition variable");
        goto out;
    }
    sync_init = 1;
    int threaded = j.info->transport != DD_IMAGE_TRANSPORT_DOCKER_ARCHIVE;
    if (!threaded) {
        if ((rc = read_archive(&j, &p, err)) != 0)
            goto out;
    } else if (j.n_u > 0) {
        n_threads = ro->threads > 0 ? (size_t)ro->threads : (size_t)online_cpus();
        if (n_threads > DD_LIMIT_READ_THREADS)
            n_threads = DD_LIMIT_READ_THREADS;
        if (n_threads > j.n_u)
            n_threads = j.n_u;
        if ((threads = dd_calloc(n_threads, sizeof(*threads))) == NULL) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
        for (; started < n_threads; started++) {
            if (pthread_create(&threads[started], NULL, worker, &j) != 0)
                break;
        }
        if (started == 0) {
            rc = dd_err_set(err, DD_ENOMEM, "cannot start reader threads");
            goto out;
        }
    }
    for (size_t pos = 0; pos < j.n_pos; pos++) {
        if ((rc = merge_pos(&j, m, pos, &p, threaded, err)) != 0)
            goto out;
    }
    if ((digests = dd_calloc(j.n_pos ? j.n_pos : 1, sizeof(*digests))) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t pos = 0; pos < j.n_pos; pos++)
        digests[pos] = j.info->layers[pos].digest;
    if ((rc = dd_rootfs_set_layers(fs, digests, j.n_pos)) != 0 ||
        (rc = dd_rootfs_finish(fs)) != 0) {
        rc = dd_err_set(err, rc, "out of memory");
        goto out;
    }
    report(&p, &j, j.n_pos, 1);
    *out = fs;
    fs = NULL;
out:
    if (started > 0) {
        pthread_mutex_lock(&j.mu); /* stop what is left (on error) */
        __atomic_store_n(&j.failed_at, 0, __ATOMIC_RELAXED);
        j.next_u = j.n_u;
        pthread_mutex_unlock(&j.mu);
        for (size_t t = 0; t < started; t++)
            pthread_join(threads[t], NULL);
    }
    if (sync_init) {
        pthread_cond_destroy(&j.cv);
        pthread_mutex_destroy(&j.mu);
    }
    if (j.u != NULL)
        for (size_t u = 0; u < j.n_u; u++)
            dd_contrib_free(j.u[u].c);
    if (ro->stats != NULL)
        *ro->stats = j.st;
    dd_free(j.u);
    dd_free(j.pos2u);
    dd_free(threads);
    dd_free(digests);
    dd_merge_free(m);
    dd_rootfs_free(fs);
    return rc;
}
