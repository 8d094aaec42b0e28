/* Unit tests for src/image/layer.c and cache.c on synthetic layers written with libarchive (and a
 * few hand-made tar headers): whiteouts and opaque directories, replacement of lower paths,
 * symlinks and hard links, extractors, every limit, bad names, digest checks, the contribution
 * cache format, and multi-threaded reads of a temporary OCI layout giving the same result as one
 * thread. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/cache.h"
#include "image/layer.h"
#include "image/rootfs.h"
#include "image/source.h"
#include "util/alloc.h"
#include "util/digest.h"
#include "util/limits.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

/* ---- building tars in memory ----------------------------------------------------------- */

typedef struct mbuf {
    uint8_t *p;
    size_t len, cap;
} mbuf;

static void mb_add(mbuf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

static la_ssize_t mb_write(struct archive *a, void *ud, const void *buf, size_t n)
{
    (void)a;
    mb_add(ud, buf, n);
    return (la_ssize_t)n;
}

/* type: 'f' file, 'd' dir, 'l' symlink, 'h' hard link, 'c' char device. For 'f', data NULL
 * means len bytes of 'x'. */
typedef struct tent {
    const char *name;
    char type;
    const char *data; /* file content, or link target */
    size_t len;
} tent;

enum { F_NONE = 0, F_GZIP = 1, F_ZSTD = 2 };

static mbuf make_tar(const tent *t, size_t n, int filter)
{
    mbuf b = {NULL, 0, 0};
    struct archive *a = archive_write_new();
    assert_non_null(a);
    assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
    if (filter == F_GZIP)
        assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
    else if (filter == F_ZSTD)
        assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
    assert_int_equal(archive_write_set_bytes_in_last_block(a, 1), ARCHIVE_OK);
    assert_int_equal(archive_write_open(a, &b, NULL, mb_write, NULL), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, t[i].name);
        archive_entry_set_mtime(e, 1795737600, 0);
        switch (t[i].type) {
        case 'd':
            archive_entry_set_filetype(e, AE_IFDIR);
            archive_entry_set_perm(e, 0755);
            break;
        case 'l':
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_perm(e, 0777);
            archive_entry_set_symlink(e, t[i].data);
            break;
        case 'h':
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_hardlink(e, t[i].data);
            archive_entry_set_size(e, 0);
            break;
        case 'c':
            archive_entry_set_filetype(e, AE_IFCHR);
            archive_entry_set_perm(e, 0600);
            break;
        default:
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, (la_int64_t)t[i].len);
            break;
        }
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (t[i].type == 'f' && t[i].len > 0) {
            if (t[i].data != NULL) {
                assert_int_equal(archive_write_data(a, t[i].data, t[i].len), (la_ssize_t)t[i].len);
            } else {
                char chunk[4096];
                memset(chunk, 'x', sizeof(chunk));
                for (size_t o = 0; o < t[i].len; o += sizeof(chunk)) {
                    size_t k = t[i].len - o < sizeof(chunk) ? t[i].len - o : sizeof(chunk);
                    assert_int_equal(archive_write_data(a, chunk, k), (la_ssize_t)k);
                }
            }
        }
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return b;
}

/* A raw ustar header (for sizes and names libarchive's writer would not produce). */
static void ustar(mbuf *b, const char *name, uint64_t size, char type)
{
    uint8_t h[512];
    memset(h, 0, sizeof(h));
    memcpy(h, name, strlen(name));
    memcpy(h + 100, "0000644", 7);
    memcpy(h + 108, "0000000", 7);
    memcpy(h + 116, "0000000", 7);
    char sz[16];
    snprintf(sz, sizeof(sz), "%011llo", (unsigned long long)size);
    memcpy(h + 124, sz, 11);
    memcpy(h + 136, "00000000000", 11);
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++)
        sum += h[i];
    char cs[8];
    snprintf(cs, sizeof(cs), "%06o", sum);
    memcpy(h + 148, cs, 7);
    h[155] = ' ';
    mb_add(b, h, sizeof(h));
}

/* ---- reading a blob from memory -------------------------------------------------------- */

typedef struct memsrc {
    const uint8_t *p;
    size_t len, off, block;
} memsrc;

static int mem_next(void *ctx, const uint8_t **buf, size_t *len, dd_err *err)
{
    (void)err;
    memsrc *s = ctx;
    size_t n = s->len - s->off < s->block ? s->len - s->off : s->block;
    *buf = s->p + s->off;
    *len = n;
    s->off += n;
    return 0;
}

/* ---- what the tests keep --------------------------------------------------------------- */

static int ends_with(const char *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    return n >= l && memcmp(p + n - l, s, l) == 0;
}

/* Keeps "*.keep" and "*status" whole, "*.bin" through the head extractor. */
static void *head_begin(const char *path, uint64_t size)
{
    (void)path;
    (void)size;
    uint8_t *st = dd_calloc(1, 16 + sizeof(size_t));
    return st;
}

static int head_feed(void *state, const uint8_t *data, size_t len)
{
    uint8_t *st = state;
    size_t *got = (size_t *)(st + 16);
    for (size_t i = 0; i < len && *got < 4; i++)
        st[(*got)++] = data[i];
    return *got >= 4 ? 1 : 0;
}

static int head_end(void *state, uint8_t **out, size_t *out_len)
{
    uint8_t *st = state;
    size_t got = *(size_t *)(st + 16);
    *out = dd_malloc(got);
    memcpy(*out, st, got);
    *out_len = got;
    dd_free(st);
    return 0;
}

static const dd_extractor head_ex = {head_begin, head_feed, head_end};

static dd_keep wants(const char *path, size_t len, uint32_t mode, uint64_t size,
                     const dd_extractor **ex)
{
    (void)mode;
    (void)size;
    if (ends_with(path, len, ".keep") || ends_with(path, len, "status") ||
        ends_with(path, len, "os-release"))
        return DD_KEEP_WHOLE;
    if (ends_with(path, len, ".bin")) {
        *ex = &head_ex;
        return DD_KEEP_EXTRACT;
    }
    return DD_KEEP_NONE;
}

#define DIG_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static dd_layer_args args_for(size_t index, const char *digest)
{
    dd_layer_args a;
    memset(&a, 0, sizeof(a));
    a.index = index;
    a.digest = digest;
    a.wants = wants;
    a.max_layer_bytes = DD_LIMIT_LAYER_DECOMPRESSED_MAX;
    a.max_file_bytes = DD_LIMIT_LAYER_FILE_MAX;
    a.max_entries = DD_LIMIT_LAYER_ENTRIES;
    return a;
}

static int read_layer(dd_contrib **out, const mbuf *b, const dd_layer_args *a, dd_err *err)
{
    memsrc s = {b->p, b->len, 0, 777}; /* odd block size: headers straddle blocks */
    dd_blob_reader r = {mem_next, &s};
    return dd_layer_read(out, &r, a, err);
}

/* Reads the layers in order and merges them into a finished rootfs. */
static dd_rootfs *apply(const mbuf *layers, size_t n)
{
    dd_rootfs *fs = NULL;
    dd_merge *m = NULL;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(dd_merge_new(&m, fs), 0);
    for (size_t i = 0; i < n; i++) {
        dd_contrib *c = NULL;
        dd_err err = DD_ERR_INIT;
        dd_layer_args a = args_for(i, DIG_A);
        int rc = read_layer(&c, &layers[i], &a, &err);
        if (rc != 0)
            fail_msg("layer %zu: %s", i, err.msg);
        assert_int_equal(dd_merge_apply(m, c, (int)i, 1), 0);
        dd_contrib_free(c);
    }
    dd_merge_free(m);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    return fs;
}

static void assert_content(const dd_rootfs *fs, const char *path, const char *content, int layer)
{
    const dd_rfile *f = dd_rootfs_get(fs, path);
    if (f == NULL)
        fail_msg("%s missing", path);
    assert_int_equal(f->len, strlen(content));
    assert_memory_equal(f->data, content, f->len);
    if (layer >= 0)
        assert_int_equal(f->layer, layer);
}

static void assert_absent(const dd_rootfs *fs, const char *path)
{
    if (dd_rootfs_get(fs, path) != NULL)
        fail_msg("%s should be gone", path);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_whiteouts(void **state)
{
    (void)state;
    const tent l0[] = {
        {"./", 'd', NULL, 0},
        {"./a/", 'd', NULL, 0},
        {"./a/x.keep", 'f', "x0", 2},
        {"./a/y.keep", 'f', "y0", 2},
        {"./a/sub/z.keep", 'f', "z0", 2},
        {"./d/", 'd', NULL, 0},
        {"./d/old.keep", 'f', "old", 3},
        {"./d/deep/older.keep", 'f', "older", 5},
        {"./e/", 'd', NULL, 0},
        {"./e/e.keep", 'f', "e0", 2},
        {"./top.keep", 'f', "top", 3},
        {"./link", 'l', "a/y.keep", 0},
    };
    const tent l1[] = {
        {"a/.wh.x.keep", 'f', NULL, 0},   {"a/.wh.sub", 'f', NULL, 0},
        {"d/new1.keep", 'f', "n1", 2}, /* before the opaque marker: stays */
        {"d/.wh..wh..opq", 'f', NULL, 0}, {"d/new2.keep", 'f', "n2", 2},
        {".wh.link", 'f', NULL, 0},       {".wh.top.keep", 'f', NULL, 0},
        {"e/.wh..wh.plnk", 'f', NULL, 0}, /* aufs metadata: ignored */
    };
    const tent l2[] = {
        {"top.keep", 'f', "top2", 4}, /* recreated after its whiteout */
        {"a/x.keep", 'f', "x2", 2},
    };
    mbuf b[3] = {make_tar(l0, 12, F_GZIP), make_tar(l1, 8, F_NONE), make_tar(l2, 2, F_ZSTD)};
    dd_rootfs *fs = apply(b, 3);
    assert_content(fs, "a/x.keep", "x2", 2);
    assert_content(fs, "a/y.keep", "y0", 0);
    assert_absent(fs, "a/sub/z.keep");
    assert_absent(fs, "d/old.keep");
    assert_absent(fs, "d/deep/older.keep");
    assert_content(fs, "d/new1.keep", "n1", 1);
    assert_content(fs, "d/new2.keep", "n2", 1);
    assert_content(fs, "e/e.keep", "e0", 0);
    assert_absent(fs, "link");
    assert_content(fs, "top.keep", "top2", 2);
    assert_int_equal(dd_rootfs_count(fs), 6);
    dd_rootfs_free(fs);
    for (int i = 0; i < 3; i++)
        free(b[i].p);
}

static void test_opaque_root_and_replacement(void **state)
{
    (void)state;
    const tent l0[] = {
        {"f.keep", 'f', "file", 4},    /* becomes a directory */
        {"dir/in.keep", 'f', "in", 2}, /* dir becomes a file */
        {"gone.keep", 'f', "gone", 4}, /* overwritten by a file not kept */
        {"sym", 'l', "dir", 0},        /* becomes a directory */
        {"dev.keep", 'f', "dev", 3},   /* becomes a device */
        {"keep/a.keep", 'f', "a", 1},  /* untouched */
        {"ln/t.keep", 'f', "t", 1},    /* under a dir that becomes a symlink */
    };
    const tent l1[] = {
        {"f.keep/", 'd', NULL, 0},    {"f.keep/child.keep", 'f', "c", 1}, {"dir", 'f', "nokeep", 6},
        {"gone.keep", 'h', "dir", 0}, /* hard link to a file not kept: replaces, keeps nothing */
        {"sym/", 'd', NULL, 0},       {"dev.keep", 'c', NULL, 0},         {"ln", 'l', "keep", 0},
    };
    mbuf b[2] = {make_tar(l0, 7, F_NONE), make_tar(l1, 7, F_GZIP)};
    dd_rootfs *fs = apply(b, 2);
    assert_content(fs, "f.keep/child.keep", "c", 1);
    assert_absent(fs, "dir/in.keep");
    assert_absent(fs, "gone.keep");
    assert_absent(fs, "dev.keep");
    assert_content(fs, "keep/a.keep", "a", 0);
    assert_absent(fs, "ln/t.keep");
    /* ln is now a symlink to keep/: resolution goes through it */
    assert_content(fs, "ln/a.keep", "a", 0);
    dd_rootfs_free(fs);

    /* An opaque marker at the root hides every lower path; the layer's own entries stay. */
    const tent o1[] = {{".wh..wh..opq", 'f', NULL, 0}, {"new.keep", 'f', "new", 3}};
    mbuf c[2] = {b[0], make_tar(o1, 2, F_NONE)};
    fs = apply(c, 2);
    assert_int_equal(dd_rootfs_count(fs), 1);
    assert_content(fs, "new.keep", "new", 1);
    dd_rootfs_free(fs);
    for (int i = 0; i < 2; i++)
        free(b[i].p);
    free(c[1].p);
}

static void test_symlinks_and_hard_links(void **state)
{
    (void)state;
    const tent l0[] = {
        {"usr/lib/os-release", 'f', "ID=debian\n", 10},
        {"etc/os-release", 'l', "../usr/lib/os-release", 0},
        {"var/lib/dpkg/status", 'f', "Package: x\n", 11},
        {"backup/status", 'h', "var/lib/dpkg/status", 0}, /* kept: a copy */
        {"backup/other", 'h', "var/lib/dpkg/status", 0},  /* not wanted */
        {"abs", 'l', "/usr/lib", 0},
        {"up", 'l', "../../../../usr", 0},
        {"x.bin", 'f', "ELF-and-more", 12},
        {"y.bin", 'h', "x.bin", 0},
    };
    mbuf b = make_tar(l0, 9, F_GZIP);
    dd_rootfs *fs = apply(&b, 1);
    const dd_rfile *f = dd_rootfs_get(fs, "etc/os-release");
    assert_non_null(f);
    assert_string_equal(f->path, "usr/lib/os-release");
    assert_content(fs, "backup/status", "Package: x\n", 0);
    assert_absent(fs, "backup/other");
    assert_content(fs, "abs/os-release", "ID=debian\n", 0);
    assert_content(fs, "up/lib/os-release", "ID=debian\n", 0); /* clamped at the root */
    f = dd_rootfs_get(fs, "x.bin");
    assert_non_null(f);
    assert_int_equal(f->extracted, 1);
    assert_int_equal(f->len, 4);
    assert_int_equal(f->size, 12);
    assert_memory_equal(f->data, "ELF-", 4);
    f = dd_rootfs_get(fs, "y.bin");
    assert_non_null(f);
    assert_int_equal(f->extracted, 1);
    assert_memory_equal(f->data, "ELF-", 4);
    dd_rootfs_free(fs);
    free(b.p);
}

static void test_bad_names(void **state)
{
    (void)state;
    const char *bad[] = {"../etc/passwd", "a/../../b.keep", "/../escape", "./a/../b"};
    for (size_t i = 0; i < 4; i++) {
        mbuf b = {NULL, 0, 0};
        ustar(&b, "ok.keep", 0, '0');
        ustar(&b, bad[i], 0, '0');
        uint8_t zero[1024] = {0};
        mb_add(&b, zero, sizeof(zero));
        dd_contrib *c = NULL;
        dd_err err = DD_ERR_INIT;
        dd_layer_args a = args_for(3, DIG_A);
        assert_int_equal(read_layer(&c, &b, &a, &err), DD_EINVALID);
        assert_null(c);
        assert_non_null(strstr(err.msg, "layer 3 (" DIG_A ")"));
        assert_non_null(strstr(err.msg, "'..'"));
        assert_non_null(strstr(err.msg, bad[i]));
        free(b.p);
    }
    /* Absolute names are taken relative to the root. */
    const tent abs[] = {{"/etc/abs.keep", 'f', "abs", 3}};
    mbuf b = make_tar(abs, 1, F_NONE);
    dd_rootfs *fs = apply(&b, 1);
    assert_content(fs, "etc/abs.keep", "abs", 0);
    dd_rootfs_free(fs);
    free(b.p);
}

static void test_limits(void **state)
{
    (void)state;
    dd_err err = DD_ERR_INIT;
    dd_contrib *c = NULL;
    /* entries */
    tent many[100];
    char names[100][16];
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof(names[i]), "f%03d", i);
        many[i] = (tent){names[i], 'f', "", 0};
    }
    mbuf b = make_tar(many, 100, F_GZIP);
    dd_layer_args a = args_for(1, DIG_A);
    a.max_entries = 50;
    assert_int_equal(read_layer(&c, &b, &a, &err), DD_ELIMIT);
    assert_non_null(strstr(err.msg, "layer 1 (" DIG_A "): more than 50 entries"));
    a.max_entries = 100;
    assert_int_equal(read_layer(&c, &b, &a, &err), 0);
    dd_contrib_free(c);
    c = NULL;
    free(b.p);

    /* kept file bytes */
    const tent big[] = {{"var/lib/dpkg/status", 'f', NULL, 1000}};
    b = make_tar(big, 1, F_ZSTD);
    a = args_for(0, DIG_A);
    a.max_file_bytes = 999;
    assert_int_equal(read_layer(&c, &b, &a, &err), DD_ELIMIT);
    assert_non_null(strstr(err.msg, DIG_A));
    assert_non_null(strstr(err.msg, "over the 999-byte file limit"));
    assert_non_null(strstr(err.msg, "var/lib/dpkg/status"));
    a.max_file_bytes = 1000;
    assert_int_equal(read_layer(&c, &b, &a, &err), 0);
    dd_contrib_free(c);
    c = NULL;
    free(b.p);

    /* decompressed bytes: real content, and a header that claims more than is there */
    const tent fat[] = {{"a", 'f', NULL, 2u << 20}, {"b.keep", 'f', "b", 1}};
    b = make_tar(fat, 2, F_GZIP);
    a = args_for(2, DIG_A);
    a.max_layer_bytes = 1u << 20;
    assert_int_equal(read_layer(&c, &b, &a, &err), DD_ELIMIT);
    assert_non_null(strstr(err.msg, "layer 2 (" DIG_A "): layer over the 1048576-byte"));
    free(b.p);
    b = (mbuf){NULL, 0, 0};
    ustar(&b, "huge", 07777777777ull, '0'); /* 1 GiB claimed, 1 KiB present */
    uint8_t some[1024] = {0};
    mb_add(&b, some, sizeof(some));
    a.max_layer_bytes = 64u << 20;
    assert_int_equal(read_layer(&c, &b, &a, &err), DD_ELIMIT);
    assert_non_null(strstr(err.msg, "huge"));
    /* under the limit the same header is a truncated layer: an error, not a hang */
    a.max_layer_bytes = DD_LIMIT_LAYER_DECOMPRESSED_MAX;
    assert_int_equal(read_layer(&c, &b, &a, &err), DD_EINVALID);
    free(b.p);

    /* path depth */
    char deep[2 * 300 + 16];
    for (int i = 0; i < 300; i++)
        memcpy(deep + 2 * i, "d/", 2);
    memcpy(deep + 600, "x", 2);
    const tent dp[] = {{deep, 'f', "", 0}};
    b = make_tar(dp, 1, F_NONE);
    assert_int_equal(read_layer(&c, &b, &a, &err), DD_ELIMIT);
    assert_non_null(strstr(err.msg, "256 components"));
    free(b.p);
}

static void test_corrupt_and_mismatch(void **state)
{
    (void)state;
    dd_err err = DD_ERR_INIT;
    dd_contrib *c = NULL;
    const tent t[] = {{"status", 'f', "hello", 5}};
    mbuf b = make_tar(t, 1, F_GZIP);
    char digest[DD_DIGEST_STR_MAX];
    assert_int_equal(dd_digest_buf(digest, b.p, b.len), 0);

    dd_layer_args a = args_for(0, digest);
    int verified = 0;
    uint64_t blob = 0;
    a.verify = 1;
    a.size = b.len;
    a.verified_out = &verified;
    a.blob_read = &blob;
    assert_int_equal(read_layer(&c, &b, &a, &err), 0);
    assert_int_equal(verified, 1);
    assert_int_equal(blob, b.len);
    dd_contrib_free(c);
    c = NULL;

    a.size = b.len + 1;
    assert_int_equal(read_layer(&c, &b, &a, &err), DD_EMISMATCH);
    a.size = b.len;
    a.digest = DIG_A;
    assert_int_equal(read_layer(&c, &b, &a, &err), DD_EMISMATCH);
    assert_non_null(strstr(err.msg, "does not match its digest"));
    /* verify == 2 checks only uncompressed blobs */
    a.verify = 2;
    assert_int_equal(read_layer(&c, &b, &a, &err), 0);
    assert_int_equal(verified, 0);
    dd_contrib_free(c);
    c = NULL;

    /* a flipped byte in the deflate stream, and a cut stream */
    a = args_for(0, DIG_A);
    b.p[b.len / 2] ^= 0x55;
    assert_int_equal(read_layer(&c, &b, &a, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "corrupt layer"));
    b.p[b.len / 2] ^= 0x55;
    mbuf cut = {b.p, b.len / 2, 0};
    assert_int_equal(read_layer(&c, &cut, &a, &err), DD_EINVALID);
    /* not a tar at all */
    mbuf junk = {(uint8_t *)"this is not a tar archive, not at all", 37, 0};
    assert_int_equal(read_layer(&c, &junk, &a, &err), DD_EINVALID);
    /* an empty blob is an empty layer */
    mbuf empty = {(uint8_t *)"", 0, 0};
    assert_int_equal(read_layer(&c, &empty, &a, &err), 0);
    assert_int_equal(dd_contrib_n_ops(c), 0);
    dd_contrib_free(c);
    free(b.p);
}

static void test_cache_format(void **state)
{
    (void)state;
    dd_err err = DD_ERR_INIT;
    const tent t[] = {{"a/status", 'f', "st", 2}, {"a/.wh.b", 'f', NULL, 0},
                      {"l", 'l', "a", 0},         {"o/.wh..wh..opq", 'f', NULL, 0},
                      {"d/", 'd', NULL, 0},       {"n", 'f', "zz", 2},
                      {"e.bin", 'f', "12345", 5}};
    mbuf b = make_tar(t, 7, F_NONE);
    dd_contrib *c = NULL, *d = NULL;
    dd_layer_args a = args_for(0, DIG_A);
    assert_int_equal(read_layer(&c, &b, &a, &err), 0);
    uint8_t *enc = NULL;
    size_t len = 0;
    assert_int_equal(dd_cache_encode(&enc, &len, "key1", DIG_A, c, &err), 0);
    assert_int_equal(dd_cache_decode(&d, enc, len, "key1", DIG_A, &err), 0);
    assert_int_equal(dd_contrib_n_ops(d), dd_contrib_n_ops(c));
    for (size_t i = 0; i < dd_contrib_n_ops(c); i++) {
        const dd_layer_op *x = dd_contrib_op(c, i), *y = dd_contrib_op(d, i);
        assert_int_equal(x->kind, y->kind);
        assert_string_equal(x->path, y->path);
        assert_int_equal(x->len, y->len);
        assert_int_equal(x->mode, y->mode);
        assert_int_equal(x->extracted, y->extracted);
        if (x->target)
            assert_string_equal(x->target, y->target);
        if (x->len)
            assert_memory_equal(x->data, y->data, x->len);
    }
    uint64_t ne, tb, ne2, tb2;
    dd_contrib_totals(c, &ne, &tb);
    dd_contrib_totals(d, &ne2, &tb2);
    assert_int_equal(ne, ne2);
    assert_int_equal(tb, tb2);
    assert_int_equal(ne, 7);
    dd_contrib_free(d);
    d = NULL;
    /* another key, another layer, every flipped byte, every truncation: refused */
    assert_int_equal(dd_cache_decode(&d, enc, len, "key2", DIG_A, &err), DD_EINVALID);
    assert_int_equal(dd_cache_decode(&d, enc, len, "key1", "sha256:00", &err), DD_EINVALID);
    for (size_t i = 0; i < len; i++) {
        enc[i] ^= 0x01;
        assert_int_equal(dd_cache_decode(&d, enc, len, "key1", DIG_A, &err), DD_EINVALID);
        enc[i] ^= 0x01;
        assert_int_equal(dd_cache_decode(&d, enc, i, "key1", DIG_A, &err), DD_EINVALID);
    }
    assert_null(d);
    dd_free(enc);
    dd_contrib_free(c);
    free(b.p);
}

/* ---- whole images in a temporary OCI layout ------------------------------------------- */

static char tmpdir[256];

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void put_blob(const char *root, const void *data, size_t len, char digest[72])
{
    char path[512];
    assert_int_equal(dd_digest_buf(digest, data, len), 0);
    snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, digest + 7);
    write_file(path, data, len);
}

/* Writes an OCI layout with one image "img" made of the given layer blobs. */
static void make_layout(const char *root, const mbuf *layers, size_t n, const char *media_type)
{
    char path[512], digest[72], cfgd[72], mand[72];
    snprintf(path, sizeof(path), "mkdir -p %s/blobs/sha256", root);
    assert_int_equal(system(path), 0);
    snprintf(path, sizeof(path), "%s/oci-layout", root);
    write_file(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
    char cfg[8192] = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
                     "\"diff_ids\":[";
    char man[8192];
    snprintf(man, sizeof(man), "%s", "");
    for (size_t i = 0; i < n; i++) {
        /* diff_ids are not checked by the reader; any digest does */
        snprintf(cfg + strlen(cfg), sizeof(cfg) - strlen(cfg), "%s\"%s\"", i ? "," : "", DIG_A);
    }
    snprintf(cfg + strlen(cfg), sizeof(cfg) - strlen(cfg), "]}}");
    put_blob(root, cfg, strlen(cfg), cfgd);
    snprintf(man, sizeof(man),
             "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
             "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
             "\"digest\":\"%s\",\"size\":%zu},\"layers\":[",
             cfgd, strlen(cfg));
    for (size_t i = 0; i < n; i++) {
        put_blob(root, layers[i].p, layers[i].len, digest);
        snprintf(man + strlen(man), sizeof(man) - strlen(man),
                 "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}", i ? "," : "",
                 media_type, digest, layers[i].len);
    }
    snprintf(man + strlen(man), sizeof(man) - strlen(man), "]}");
    put_blob(root, man, strlen(man), mand);
    char idx[1024];
    snprintf(idx, sizeof(idx),
             "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
             "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"%s\",\"size\":%zu,"
             "\"annotations\":{\"org.opencontainers.image.ref.name\":\"img\"}}]}",
             mand, strlen(man));
    snprintf(path, sizeof(path), "%s/index.json", root);
    write_file(path, idx, strlen(idx));
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/dd-test-layer-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
    return system(cmd);
}

typedef struct prog {
    int calls;
    size_t last_done, last_total;
} prog;

static void on_progress(void *ctx, size_t done, size_t total, uint64_t bytes)
{
    (void)bytes;
    prog *p = ctx;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
}

/* Six layers, each rewriting and whiting out what the ones below wrote. */
static void six_layers(mbuf *b)
{
    for (int i = 0; i < 6; i++) {
        char n1[32], n2[32], d1[32], w[32], o[32];
        snprintf(n1, sizeof(n1), "l%d/mine.keep", i);
        snprintf(n2, sizeof(n2), "shared/status");
        snprintf(d1, sizeof(d1), "layer %d", i);
        snprintf(w, sizeof(w), "l%d/.wh.mine.keep", i > 0 ? i - 1 : 9);
        snprintf(o, sizeof(o), "opq%d/.wh..wh..opq", i);
        tent t[] = {{n1, 'f', d1, strlen(d1)},
                    {n2, 'f', d1, strlen(d1)},
                    {w, 'f', NULL, 0},
                    {o, 'f', NULL, 0},
                    {"opq0/x.keep", 'f', d1, strlen(d1)},
                    {"opq5/y.keep", 'f', d1, strlen(d1)},
                    {"filler", 'f', NULL, 200000}};
        b[i] = make_tar(t, 7, i % 2 ? F_ZSTD : F_GZIP);
    }
}

static char *dump(const dd_rootfs *fs)
{
    size_t cap = 1 << 16, len = 0;
    char *s = calloc(1, cap);
    for (size_t i = 0; i < dd_rootfs_count(fs); i++) {
        const dd_rfile *f = dd_rootfs_at(fs, i);
        len += (size_t)snprintf(s + len, cap - len, "%s L%d %.*s\n", f->path, f->layer, (int)f->len,
                                (const char *)f->data);
    }
    return s;
}

static void test_image_threads_deterministic(void **state)
{
    (void)state;
    char root[300];
    snprintf(root, sizeof(root), "%s/six", tmpdir);
    mbuf b[6];
    six_layers(b);
    make_layout(root, b, 6, "application/vnd.oci.image.layer.v1.tar+gzip");
    char target[320];
    snprintf(target, sizeof(target), "oci:%s:img", root);
    char *first = NULL;
    for (int threads = 1; threads <= 8; threads++) {
        dd_image *img = NULL;
        dd_err err = DD_ERR_INIT;
        assert_int_equal(dd_image_open(&img, target, NULL, &err), 0);
        dd_rootfs *fs = NULL;
        dd_read_stats st;
        prog p = {0, 0, 0};
        dd_read_options ro = DD_READ_OPTIONS_INIT;
        ro.threads = threads;
        ro.stats = &st;
        ro.progress = on_progress;
        ro.progress_ctx = &p;
        if (dd_image_read_rootfs(&fs, img, wants, &ro, &err) != 0)
            fail_msg("%s", err.msg);
        assert_int_equal(st.layers_read, 6);
        assert_int_equal(st.layers_total, 6);
        assert_true(p.calls >= 1);
        assert_int_equal(p.last_done, 6);
        assert_int_equal(p.last_total, 6);
        assert_int_equal(dd_rootfs_n_layers(fs), 6);
        assert_content(fs, "shared/status", "layer 5", 5);
        assert_content(fs, "l5/mine.keep", "layer 5", 5);
        assert_absent(fs, "l4/mine.keep");
        assert_absent(fs, "l0/mine.keep");
        assert_content(fs, "opq0/x.keep", "layer 5", 5);
        assert_content(fs, "opq5/y.keep", "layer 5", 5);
        char *s = dump(fs);
        if (first == NULL)
            first = s;
        else {
            assert_string_equal(first, s);
            free(s);
        }
        dd_rootfs_free(fs);
        dd_image_free(img);
    }
    free(first);
    for (int i = 0; i < 6; i++)
        free(b[i].p);
}

static void test_image_errors(void **state)
{
    (void)state;
    char root[300], target[320], path[600];
    mbuf b[6];
    six_layers(b);
    /* layers 2 and 4 corrupt: always layer 2 is reported, whatever the threads do */
    b[2].p[b[2].len / 2] ^= 0x5a;
    b[4].p[b[4].len / 2] ^= 0x5a;
    snprintf(root, sizeof(root), "%s/bad", tmpdir);
    make_layout(root, b, 6, "application/vnd.oci.image.layer.v1.tar+gzip");
    snprintf(target, sizeof(target), "oci:%s:img", root);
    for (int threads = 1; threads <= 8; threads++) {
        for (int rep = 0; rep < 3; rep++) {
            dd_image *img = NULL;
            dd_err err = DD_ERR_INIT;
            assert_int_equal(dd_image_open(&img, target, NULL, &err), 0);
            dd_rootfs *fs = NULL;
            dd_read_options ro = DD_READ_OPTIONS_INIT;
            ro.threads = threads;
            assert_int_equal(dd_image_read_rootfs(&fs, img, wants, &ro, &err), DD_EINVALID);
            assert_null(fs);
            assert_true(strncmp(err.msg, "layer 2 (sha256:", 16) == 0);
            dd_image_free(img);
        }
    }
    /* a blob whose bytes no longer match its name */
    const dd_image_info *info;
    dd_image *img = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_image_open(&img, target, NULL, &err), 0);
    info = dd_image_get_info(img);
    snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, info->layers[1].digest + 7);
    write_file(path, b[0].p, b[0].len);
    dd_rootfs *fs = NULL;
    assert_int_equal(dd_image_read_rootfs(&fs, img, wants, NULL, &err), DD_EMISMATCH);
    assert_true(strncmp(err.msg, "layer 1 (", 9) == 0);
    /* a missing blob */
    unlink(path);
    assert_int_equal(dd_image_read_rootfs(&fs, img, wants, NULL, &err), DD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "layer 1"));
    /* a cache without a key */
    dd_read_options ro = DD_READ_OPTIONS_INIT;
    ro.cache_dir = tmpdir;
    assert_int_equal(dd_image_read_rootfs(&fs, img, wants, &ro, &err), DD_EINVALID);
    dd_image_free(img);
    /* a layer that is not a tar */
    snprintf(root, sizeof(root), "%s/helm", tmpdir);
    make_layout(root, b, 1, "application/vnd.cncf.helm.chart.content.v1.tar+gzip");
    snprintf(target, sizeof(target), "oci:%s:img", root);
    assert_int_equal(dd_image_open(&img, target, NULL, &err), 0);
    dd_image_free(img);
    snprintf(root, sizeof(root), "%s/wasm", tmpdir);
    make_layout(root, b, 1, "application/wasm");
    snprintf(target, sizeof(target), "oci:%s:img", root);
    assert_int_equal(dd_image_open(&img, target, NULL, &err), 0);
    assert_int_equal(dd_image_read_rootfs(&fs, img, wants, NULL, &err), DD_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "application/wasm"));
    dd_image_free(img);
    for (int i = 0; i < 6; i++)
        free(b[i].p);
}

static size_t count_cache_files(const char *dir)
{
    size_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL)
        n += strstr(e->d_name, ".ddlc") != NULL;
    if (d != NULL)
        closedir(d);
    return n;
}

static void test_image_cache(void **state)
{
    (void)state;
    char root[300], target[320], cache[300];
    mbuf b[6];
    six_layers(b);
    snprintf(root, sizeof(root), "%s/cached", tmpdir);
    make_layout(root, b, 6, "application/vnd.oci.image.layer.v1.tar+gzip");
    snprintf(target, sizeof(target), "oci:%s:img", root);
    snprintf(cache, sizeof(cache), "%s/cache", tmpdir);
    char *want = NULL;
    for (int round = 0; round < 4; round++) {
        dd_image *img = NULL;
        dd_err err = DD_ERR_INIT;
        dd_rootfs *fs = NULL;
        dd_read_stats st;
        dd_read_options ro = DD_READ_OPTIONS_INIT;
        ro.cache_dir = cache;
        ro.cache_key = round == 3 ? "other-catalogers" : "catalogers-1";
        ro.stats = &st;
        assert_int_equal(dd_image_open(&img, target, NULL, &err), 0);
        if (dd_image_read_rootfs(&fs, img, wants, &ro, &err) != 0)
            fail_msg("%s", err.msg);
        char *s = dump(fs);
        if (round == 0) {
            want = s;
            assert_int_equal(st.layers_read, 6);
            assert_int_equal(st.layers_cached, 0);
            assert_int_equal(count_cache_files(cache), 6);
            /* corrupt one cache file: it is re-read next time */
            char path[700];
            const char *d = dd_image_get_info(img)->layers[3].digest;
            DIR *dir = opendir(cache);
            struct dirent *e;
            while ((e = readdir(dir)) != NULL) {
                if (strstr(e->d_name, d + 7) == NULL)
                    continue;
                snprintf(path, sizeof(path), "%s/%s", cache, e->d_name);
                FILE *f = fopen(path, "r+b");
                fseek(f, 40, SEEK_SET);
                fputc('!', f);
                fclose(f);
            }
            closedir(dir);
        } else {
            assert_string_equal(want, s);
            free(s);
            if (round == 1) {
                assert_int_equal(st.layers_read, 1);
                assert_int_equal(st.layers_cached, 5);
                assert_true(st.compressed_bytes == b[3].len);
            } else if (round == 2) {
                assert_int_equal(st.layers_read, 0);
                assert_int_equal(st.layers_cached, 6);
                assert_int_equal(st.compressed_bytes, 0);
            } else {
                assert_int_equal(st.layers_read, 6); /* another key: nothing shared */
                assert_int_equal(count_cache_files(cache), 12);
            }
        }
        dd_rootfs_free(fs);
        dd_image_free(img);
    }
    /* limits apply to cached layers too */
    dd_image *img = NULL;
    dd_err err = DD_ERR_INIT;
    dd_rootfs *fs = NULL;
    dd_read_options ro = DD_READ_OPTIONS_INIT;
    ro.cache_dir = cache;
    ro.cache_key = "catalogers-1";
    ro.max_entries = 3;
    assert_int_equal(dd_image_open(&img, target, NULL, &err), 0);
    assert_int_equal(dd_image_read_rootfs(&fs, img, wants, &ro, &err), DD_ELIMIT);
    assert_true(strncmp(err.msg, "layer 0 (", 9) == 0);
    dd_image_free(img);
    free(want);
    for (int i = 0; i < 6; i++)
        free(b[i].p);
}

static void test_duplicate_layers(void **state)
{
    (void)state;
    char root[300], target[320];
    const tent t0[] = {{"a.keep", 'f', "a", 1}};
    const tent t1[] = {{".wh.a.keep", 'f', NULL, 0}, {"b.keep", 'f', "b", 1}};
    mbuf x = make_tar(t0, 1, F_GZIP), y = make_tar(t1, 1 + 1, F_GZIP);
    mbuf b[3] = {x, y, x}; /* the same blob at 0 and 2: read once, applied twice */
    snprintf(root, sizeof(root), "%s/dup", tmpdir);
    make_layout(root, b, 3, "application/vnd.oci.image.layer.v1.tar+gzip");
    snprintf(target, sizeof(target), "oci:%s:img", root);
    dd_image *img = NULL;
    dd_err err = DD_ERR_INIT;
    dd_rootfs *fs = NULL;
    dd_read_stats st;
    dd_read_options ro = DD_READ_OPTIONS_INIT;
    ro.stats = &st;
    assert_int_equal(dd_image_open(&img, target, NULL, &err), 0);
    assert_int_equal(dd_image_read_rootfs(&fs, img, wants, &ro, &err), 0);
    assert_int_equal(st.layers_read, 2);
    assert_int_equal(st.layers_total, 3);
    assert_content(fs, "a.keep", "a", 2);
    assert_content(fs, "b.keep", "b", 1);
    dd_rootfs_free(fs);
    dd_image_free(img);
    free(x.p);
    free(y.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whiteouts),
        cmocka_unit_test(test_opaque_root_and_replacement),
        cmocka_unit_test(test_symlinks_and_hard_links),
        cmocka_unit_test(test_bad_names),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_corrupt_and_mismatch),
        cmocka_unit_test(test_cache_format),
        cmocka_unit_test(test_image_threads_deterministic),
        cmocka_unit_test(test_image_errors),
        cmocka_unit_test(test_image_cache),
        cmocka_unit_test(test_duplicate_layers),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
