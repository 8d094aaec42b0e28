/* Tests for the filesystem blob store: blobs, uploads across opens and restarts, digest checks,
 * busy uploads, sweeping, id validation, corruption detection and rollback of failed writes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/store.h"
#include "util/alloc.h"

typedef struct fixture {
    char dir[64];   /* mkdtemp directory */
    char root[128]; /* store root inside it (created by the store) */
    dd_store *s;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    dd_err err = DD_ERR_INIT;
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/dd-store-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
    assert_int_equal(dd_store_fs_open(&f->s, f->root, &err), 0);
    *state = f;
    return 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    fixture *f = *state;
    dd_store_close(f->s);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static void reopen(fixture *f)
{
    dd_err err = DD_ERR_INIT;
    dd_store_close(f->s);
    f->s = NULL;
    assert_int_equal(dd_store_fs_open(&f->s, f->root, &err), 0);
}

static uint8_t *pattern(size_t len, unsigned seed)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        p[i] = (uint8_t)(x >> 16);
    }
    return p;
}

static void digest_of(char out[DD_DIGEST_STR_MAX], const void *data, size_t len)
{
    assert_int_equal(dd_digest_buf(out, data, len), 0);
}

static void upload_path(char *out, size_t n, const fixture *f, const char *id)
{
    snprintf(out, n, "%s/uploads/%s", f->root, id);
}

static void blob_path(char *out, size_t n, const fixture *f, const char *digest)
{
    snprintf(out, n, "%s/blobs/sha256/%.2s/%s", f->root, digest + 7, digest + 7);
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    assert_non_null(d);
    for (struct dirent *de; (de = readdir(d)) != NULL;)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static size_t count_uploads(const fixture *f)
{
    char p[256];
    snprintf(p, sizeof(p), "%s/uploads", f->root);
    return count_entries(p);
}

/* Walks blobs/sha256: every file must be a complete blob named by its own digest. Returns count. */
static size_t check_blob_tree(const fixture *f)
{
    char p[256];
    size_t n = 0;
    for (unsigned i = 0; i < 256; i++) {
        snprintf(p, sizeof(p), "%s/blobs/sha256/%02x", f->root, i);
        DIR *d = opendir(p);
        assert_non_null(d);
        for (struct dirent *de; (de = readdir(d)) != NULL;) {
            if (de->d_name[0] == '.')
                continue;
            char digest[DD_DIGEST_STR_MAX], got[DD_DIGEST_STR_MAX];
            dd_err err = DD_ERR_INIT;
            uint8_t *data = NULL;
            size_t len = 0;
            assert_int_equal(strlen(de->d_name), 64);
            assert_memory_equal(de->d_name, p + strlen(p) - 2, 2);
            snprintf(digest, sizeof(digest), "sha256:%.64s", de->d_name);
            assert_int_equal(dd_store_read_blob(f->s, digest, 64u << 20, &data, &len, &err), 0);
            digest_of(got, data, len);
            assert_string_equal(got, digest);
            dd_free(data);
            n++;
        }
        closedir(d);
    }
    return n;
}

/* Writes data to an upload in one open, in chunks of chunk bytes. */
static void append(dd_store *s, const char *id, const uint8_t *data, size_t len, size_t chunk)
{
    dd_upload *u = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_store_upload_open(s, id, &u, &err), 0);
    uint64_t start = dd_store_upload_offset(u);
    for (size_t off = 0; off < len; off += chunk) {
        size_t n = len - off < chunk ? len - off : chunk;
        assert_int_equal(dd_store_upload_write(u, data + off, n, &err), 0);
    }
    assert_int_equal(dd_store_upload_offset(u), start + len);
    assert_int_equal(dd_store_upload_close(u, &err), 0);
}

static void overwrite(const char *path, const void *data, size_t len, off_t at)
{
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, at), (ssize_t)len);
    close(fd);
}

static void test_put_stat_read_open(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char d[DD_DIGEST_STR_MAX], want[DD_DIGEST_STR_MAX], buf[64];
    uint8_t *data = NULL;
    size_t len = 0;
    uint64_t size = 0;
    int fd = -1;

    digest_of(want, "hello", 5);
    assert_int_equal(dd_store_stat_blob(f->s, want, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_store_put_blob(f->s, "hello", 5, NULL, d, &err), 0);
    assert_string_equal(d, want);
    assert_int_equal(dd_store_stat_blob(f->s, d, &size, &err), 0);
    assert_int_equal(size, 5);
    assert_int_equal(dd_store_put_blob(f->s, "hello", 5, want, d, &err), 0); /* no-op */

    assert_int_equal(dd_store_read_blob(f->s, d, 5, &data, &len, &err), 0);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    dd_free(data);
    assert_int_equal(dd_store_read_blob(f->s, d, 4, &data, &len, &err), DD_ELIMIT);
    assert_null(data);

    assert_int_equal(dd_store_open_blob(f->s, d, &fd, &size, &err), 0);
    assert_int_equal(size, 5);
    assert_int_equal(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
    assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
    assert_int_equal(read(fd, buf, sizeof(buf)), 5);
    assert_memory_equal(buf, "hello", 5);
    close(fd);

    /* The empty blob is a blob too. */
    assert_int_equal(dd_store_put_blob(f->s, "", 0, NULL, d, &err), 0);
    assert_int_equal(dd_store_read_blob(f->s, d, 0, &data, &len, &err), 0);
    assert_int_equal(len, 0);
    dd_free(data);

    digest_of(want, "absent", 6);
    assert_int_equal(dd_store_open_blob(f->s, want, &fd, &size, &err), DD_ENOTFOUND);
    assert_int_equal(fd, -1);
    assert_int_equal(dd_store_read_blob(f->s, want, 100, &data, &len, &err), DD_ENOTFOUND);
    assert_int_equal(check_blob_tree(f), 2);
}

static void test_put_mismatch_stores_nothing(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char d[DD_DIGEST_STR_MAX], other[DD_DIGEST_STR_MAX], real[DD_DIGEST_STR_MAX];
    uint64_t size = 0;

    digest_of(other, "other", 5);
    digest_of(real, "payload", 7);
    assert_int_equal(dd_store_put_blob(f->s, "payload", 7, other, d, &err), DD_EMISMATCH);
    assert_int_equal(err.code, DD_EMISMATCH);
    assert_int_equal(dd_store_stat_blob(f->s, real, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_store_stat_blob(f->s, other, &size, &err), DD_ENOTFOUND);
    assert_int_equal(count_uploads(f), 0);
    assert_int_equal(check_blob_tree(f), 0);
}

static void test_upload_cycles_commit(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char id[DD_UPLOAD_ID_MAX], d[DD_DIGEST_STR_MAX];
    size_t total = 3 * 1024 * 1024 + 12345;
    uint8_t *data = pattern(total, 1);
    uint64_t size = 1;
    int fd = -1;

    assert_int_equal(dd_store_upload_create(f->s, id, &err), 0);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '4'); /* version 4 */
    assert_int_equal(dd_store_upload_size(f->s, id, &size, &err), 0);
    assert_int_equal(size, 0);

    /* Small chunks (buffered), 1 MiB chunks (direct) and odd sizes across three opens. */
    size_t cut1 = 100000, cut2 = cut1 + 2 * 1024 * 1024 + 7;
    append(f->s, id, data, cut1, 4096);
    assert_int_equal(dd_store_upload_size(f->s, id, &size, &err), 0);
    assert_int_equal(size, cut1);
    append(f->s, id, data + cut1, cut2 - cut1, 1024 * 1024);
    assert_int_equal(dd_store_upload_size(f->s, id, &size, &err), 0);
    assert_int_equal(size, cut2);
    append(f->s, id, data + cut2, total - cut2, 777777);

    digest_of(d, data, total);
    assert_int_equal(dd_store_upload_commit(f->s, id, d, &size, &err), 0);
    assert_int_equal(size, total);
    assert_int_equal(dd_store_upload_size(f->s, id, &size, &err), DD_ENOTFOUND);
    assert_int_equal(count_uploads(f), 0);

    uint8_t *back = malloc(total);
    assert_non_null(back);
    assert_int_equal(dd_store_open_blob(f->s, d, &fd, &size, &err), 0);
    assert_int_equal(size, total);
    size_t got = 0;
    for (ssize_t n; got < total && (n = read(fd, back + got, total - got)) > 0;)
        got += (size_t)n;
    close(fd);
    assert_int_equal(got, total);
    assert_memory_equal(back, data, total);
    free(back);
    free(data);
}

/* Tampering with the staging file behind the store's back (same size) goes unnoticed at commit:
 * proof that the running hash from memory was used rather than a re-read. */
static void test_upload_hash_reused(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char id[DD_UPLOAD_ID_MAX], d[DD_DIGEST_STR_MAX], p[256];
    uint8_t *data = pattern(5000, 2), *more = pattern(3000, 3), *all = malloc(8000);
    uint8_t *got = NULL;
    size_t len = 0;
    uint64_t size = 0;

    assert_non_null(all);
    memcpy(all, data, 5000);
    memcpy(all + 5000, more, 3000);
    assert_int_equal(dd_store_upload_create(f->s, id, &err), 0);
    append(f->s, id, data, 5000, 1000);
    upload_path(p, sizeof(p), f, id);
    overwrite(p, "XXXX", 4, 10);
    append(f->s, id, more, 3000, 3000); /* reopen with the cached hash */
    overwrite(p, "YYYY", 4, 6000);
    digest_of(d, all, 8000);
    assert_int_equal(dd_store_upload_commit(f->s, id, d, &size, &err), 0);
    assert_int_equal(size, 8000);
    /* The stored bytes are the tampered ones, which read_blob's re-verification catches. */
    assert_int_equal(dd_store_read_blob(f->s, d, 8000, &got, &len, &err), DD_EMISMATCH);
    assert_null(got);
    free(data);
    free(more);
    free(all);
}

/* A cached hash that does not cover the whole file (it grew behind the store's back) is not
 * trusted: commit rebuilds it from the file. */
static void test_stale_hash_rebuilt(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char id[DD_UPLOAD_ID_MAX], d[DD_DIGEST_STR_MAX], p[256];
    uint64_t size = 0;

    assert_int_equal(dd_store_upload_create(f->s, id, &err), 0);
    append(f->s, id, (const uint8_t *)"abc", 3, 3);
    upload_path(p, sizeof(p), f, id);
    overwrite(p, "def", 3, 3);
    digest_of(d, "abcdef", 6);
    assert_int_equal(dd_store_upload_commit(f->s, id, d, &size, &err), 0);
    assert_int_equal(size, 6);
}

static void test_commit_wrong_digest(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char id[DD_UPLOAD_ID_MAX], d[DD_DIGEST_STR_MAX], real[DD_DIGEST_STR_MAX];
    uint64_t size = 0;

    assert_int_equal(dd_store_upload_create(f->s, id, &err), 0);
    append(f->s, id, (const uint8_t *)"some bytes", 10, 10);
    digest_of(d, "other bytes", 11);
    digest_of(real, "some bytes", 10);
    assert_int_equal(dd_store_upload_commit(f->s, id, d, &size, &err), DD_EMISMATCH);
    assert_int_equal(dd_store_upload_size(f->s, id, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_store_stat_blob(f->s, d, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_store_stat_blob(f->s, real, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_store_upload_commit(f->s, id, real, &size, &err), DD_ENOTFOUND);
    assert_int_equal(count_uploads(f), 0);
    assert_int_equal(check_blob_tree(f), 0);
    /* A malformed or unsupported expected digest is refused before anything happens. */
    assert_int_equal(dd_store_upload_create(f->s, id, &err), 0);
    assert_int_equal(dd_store_upload_commit(f->s, id, "sha256:abc", &size, &err), DD_EINVALID);
    assert_int_equal(dd_store_upload_commit(f->s, id, NULL, &size, &err), DD_EINVALID);
    assert_int_equal(dd_store_upload_size(f->s, id, &size, &err), 0);
}

static void test_upload_after_restart(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char id[DD_UPLOAD_ID_MAX], id2[DD_UPLOAD_ID_MAX], d[DD_DIGEST_STR_MAX], p[256];
    size_t total = 2 * 1024 * 1024 + 999;
    uint8_t *data = pattern(total, 4), *got = NULL;
    uint64_t size = 0;
    size_t len = 0;

    assert_int_equal(dd_store_upload_create(f->s, id, &err), 0);
    assert_int_equal(dd_store_upload_create(f->s, id2, &err), 0);
    append(f->s, id, data, 1500000, 65536);
    append(f->s, id2, data, 1000, 1000);
    reopen(f);
    assert_int_equal(dd_store_upload_size(f->s, id, &size, &err), 0);
    assert_int_equal(size, 1500000);
    append(f->s, id, data + 1500000, total - 1500000, 100000);
    digest_of(d, data, total);
    assert_int_equal(dd_store_upload_commit(f->s, id, d, &size, &err), 0);
    assert_int_equal(size, total);
    assert_int_equal(dd_store_read_blob(f->s, d, total, &got, &len, &err), 0);
    assert_int_equal(len, total);
    assert_memory_equal(got, data, total);
    dd_free(got);

    /* After a restart the hash comes from the file, so tampering is caught at commit. */
    upload_path(p, sizeof(p), f, id2);
    overwrite(p, "ZZ", 2, 0);
    reopen(f);
    digest_of(d, data, 1000);
    assert_int_equal(dd_store_upload_commit(f->s, id2, d, &size, &err), DD_EMISMATCH);
    assert_int_equal(dd_store_stat_blob(f->s, d, &size, &err), DD_ENOTFOUND);
    assert_int_equal(count_uploads(f), 0);
    free(data);
}

static void test_concurrent_open_busy(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char id[DD_UPLOAD_ID_MAX], d[DD_DIGEST_STR_MAX];
    dd_upload *u = NULL, *u2 = NULL;
    uint64_t size = 0;
    size_t n = 9;

    assert_int_equal(dd_store_upload_create(f->s, id, &err), 0);
    assert_int_equal(dd_store_upload_open(f->s, id, &u, &err), 0);
    assert_int_equal(dd_store_upload_write(u, "abc", 3, &err), 0);
    assert_int_equal(dd_store_upload_open(f->s, id, &u2, &err), DD_EBUSY);
    assert_null(u2);
    digest_of(d, "abc", 3);
    assert_int_equal(dd_store_upload_commit(f->s, id, d, &size, &err), DD_EBUSY);
    assert_int_equal(dd_store_upload_delete(f->s, id, &err), DD_EBUSY);
    assert_int_equal(dd_store_upload_sweep(f->s, INT64_MAX, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(dd_store_upload_close(u, &err), 0);
    assert_int_equal(dd_store_upload_close(NULL, &err), 0);
    assert_int_equal(dd_store_upload_open(f->s, id, &u2, &err), 0);
    assert_int_equal(dd_store_upload_offset(u2), 3);
    assert_int_equal(dd_store_upload_close(u2, &err), 0);
    assert_int_equal(dd_store_upload_commit(f->s, id, d, &size, &err), 0);
    assert_int_equal(size, 3);
}

/* A write that fails (here: RLIMIT_FSIZE) discards that open's bytes; file and hash agree after. */
static void test_write_failure_rolls_back(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char id[DD_UPLOAD_ID_MAX], d[DD_DIGEST_STR_MAX];
    size_t big = 2 * 1024 * 1024;
    uint8_t *data = pattern(1000 + big, 5);
    dd_upload *u = NULL;
    uint64_t size = 0;
    struct rlimit old, lim;

    assert_int_equal(dd_store_upload_create(f->s, id, &err), 0);
    append(f->s, id, data, 1000, 1000);
    assert_int_equal(dd_store_upload_open(f->s, id, &u, &err), 0);
    assert_int_equal(dd_store_upload_write(u, data + 1000, 200, &err), 0); /* buffered */

    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 1500;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int wrc = dd_store_upload_write(u, data + 1200, big - 200, &err);
    int wrc2 = dd_store_upload_write(u, "x", 1, &err);
    int crc = dd_store_upload_close(u, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);

    assert_int_equal(wrc, DD_EIO);
    assert_int_equal(wrc2, DD_EIO);
    assert_int_equal(crc, DD_EIO);
    assert_int_equal(dd_store_upload_size(f->s, id, &size, &err), 0);
    assert_int_equal(size, 1000);
    append(f->s, id, data + 1000, big, 300000);
    digest_of(d, data, 1000 + big);
    assert_int_equal(dd_store_upload_commit(f->s, id, d, &size, &err), 0);
    assert_int_equal(size, 1000 + big);
    free(data);
}

static void test_delete(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char id[DD_UPLOAD_ID_MAX], d[DD_DIGEST_STR_MAX];
    uint64_t size = 0;

    assert_int_equal(dd_store_upload_create(f->s, id, &err), 0);
    append(f->s, id, (const uint8_t *)"abc", 3, 3);
    assert_int_equal(dd_store_upload_delete(f->s, id, &err), 0);
    assert_int_equal(dd_store_upload_size(f->s, id, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_store_upload_delete(f->s, id, &err), DD_ENOTFOUND);
    dd_upload *u = NULL;
    assert_int_equal(dd_store_upload_open(f->s, id, &u, &err), DD_ENOTFOUND);
    assert_null(u);

    assert_int_equal(dd_store_put_blob(f->s, "blob", 4, NULL, d, &err), 0);
    assert_int_equal(dd_store_delete_blob(f->s, d, &err), 0);
    assert_int_equal(dd_store_stat_blob(f->s, d, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_store_delete_blob(f->s, d, &err), DD_ENOTFOUND);
    assert_int_equal(check_blob_tree(f), 0);
}

static void age(const char *path, int64_t seconds)
{
    struct timespec ts[2];
    clock_gettime(CLOCK_REALTIME, &ts[0]);
    ts[0].tv_sec -= seconds;
    ts[1] = ts[0];
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "t", 1), 1);
    close(fd);
}

static void test_sweep(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char old_id[DD_UPLOAD_ID_MAX], new_id[DD_UPLOAD_ID_MAX], busy_id[DD_UPLOAD_ID_MAX];
    char p[256];
    dd_upload *u = NULL;
    uint64_t size = 0;
    size_t n = 99;
    struct timespec now;

    assert_int_equal(dd_store_upload_create(f->s, old_id, &err), 0);
    assert_int_equal(dd_store_upload_create(f->s, new_id, &err), 0);
    assert_int_equal(dd_store_upload_create(f->s, busy_id, &err), 0);
    append(f->s, old_id, (const uint8_t *)"old", 3, 3);
    append(f->s, new_id, (const uint8_t *)"new", 3, 3);
    upload_path(p, sizeof(p), f, old_id);
    age(p, 7200);
    upload_path(p, sizeof(p), f, busy_id);
    age(p, 7200);
    assert_int_equal(dd_store_upload_open(f->s, busy_id, &u, &err), 0);
    /* Leftovers of interrupted blob writes (one old, one fresh) and a file the store did not make.
     */
    snprintf(p, sizeof(p), "%s/uploads/tmp-old", f->root);
    touch(p);
    age(p, 7200);
    snprintf(p, sizeof(p), "%s/uploads/tmp-fresh", f->root);
    touch(p);
    snprintf(p, sizeof(p), "%s/uploads/README", f->root);
    touch(p);
    age(p, 7200);

    clock_gettime(CLOCK_REALTIME, &now);
    int64_t cutoff = (int64_t)now.tv_sec * 1000 - 3600 * 1000;
    assert_int_equal(dd_store_upload_sweep(f->s, cutoff, &n, &err), 0);
    assert_int_equal(n, 2); /* old_id and tmp-old */
    assert_int_equal(dd_store_upload_size(f->s, old_id, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_store_upload_size(f->s, new_id, &size, &err), 0);
    assert_int_equal(size, 3);
    assert_int_equal(dd_store_upload_size(f->s, busy_id, &size, &err), 0);
    assert_int_equal(count_uploads(f), 4); /* new, busy, tmp-fresh, README */
    assert_int_equal(dd_store_upload_close(u, &err), 0);

    /* Once released, the old upload goes too; the fresh one stays. */
    assert_int_equal(dd_store_upload_sweep(f->s, cutoff, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(dd_store_upload_size(f->s, busy_id, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_store_upload_size(f->s, new_id, &size, &err), 0);
}

static void test_invalid_ids(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    static const char *bad[] = {
        "../x",
        "",
        "../../../../../../../../../../../../../../etc/passwd",
        "0123456789abcdef0123456789abcdef0123",
        "0123456789ABCDEF-0123-4567-89ab-cdef0123",
        "01234567-89AB-4def-8123-456789abcdef",
        "01234567-89ab-4def-8123-456789abcdef0",
        "01234567-89ab-4def-8123-456789abcde",
        "0123456-789ab-4def-8123-456789abcdef",
        "01234567-89ab-4def-8123/456789abcdef",
        "01234567-89ab-4def-8123-456789abcde/",
        "........-....-....-....-............",
    };
    char d[DD_DIGEST_STR_MAX];
    uint64_t size = 0;
    dd_upload *u = NULL;
    size_t n = 0;

    digest_of(d, "x", 1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(dd_store_upload_size(f->s, bad[i], &size, &err), DD_EINVALID);
        assert_int_equal(dd_store_upload_open(f->s, bad[i], &u, &err), DD_EINVALID);
        assert_null(u);
        assert_int_equal(dd_store_upload_commit(f->s, bad[i], d, &size, &err), DD_EINVALID);
        assert_int_equal(dd_store_upload_delete(f->s, bad[i], &err), DD_EINVALID);
    }
    assert_int_equal(dd_store_upload_size(f->s, NULL, &size, &err), DD_EINVALID);
    /* A valid-looking id that was never created is simply unknown. */
    assert_int_equal(
        dd_store_upload_size(f->s, "01234567-89ab-4def-8123-456789abcdef", &size, &err),
        DD_ENOTFOUND);
    assert_int_equal(dd_store_upload_open(f->s, "01234567-89ab-4def-8123-456789abcdef", &u, &err),
                     DD_ENOTFOUND);
    assert_int_equal(dd_store_upload_sweep(f->s, INT64_MAX, &n, &err), 0);

    /* Digests are checked before becoming paths, too. */
    int fd = -1;
    uint8_t *data = NULL;
    size_t len = 0;
    assert_int_equal(dd_store_stat_blob(f->s, "sha256:../../../../etc/passwd", &size, &err),
                     DD_EINVALID);
    assert_int_equal(dd_store_open_blob(f->s, "sha256:..", &fd, &size, &err), DD_EINVALID);
    assert_int_equal(dd_store_read_blob(f->s, "../x", 10, &data, &len, &err), DD_EINVALID);
    assert_int_equal(dd_store_delete_blob(f->s, "sha256:/", &err), DD_EINVALID);
    assert_int_equal(dd_store_put_blob(f->s, "x", 1, "sha256:..", d, &err), DD_EINVALID);
}

static void test_read_blob_detects_corruption(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char d[DD_DIGEST_STR_MAX], p[256];
    uint8_t *data = NULL;
    size_t len = 0;

    assert_int_equal(dd_store_put_blob(f->s, "{\"schemaVersion\":2}", 19, NULL, d, &err), 0);
    blob_path(p, sizeof(p), f, d);
    overwrite(p, "3", 1, 17);
    assert_int_equal(dd_store_read_blob(f->s, d, 1024, &data, &len, &err), DD_EMISMATCH);
    assert_int_equal(err.code, DD_EMISMATCH);
    assert_null(data);
    assert_int_equal(len, 0);
}

static void test_no_temporaries_visible(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char d[DD_DIGEST_STR_MAX], id[DD_UPLOAD_ID_MAX], bad[DD_DIGEST_STR_MAX];
    uint64_t size = 0;

    for (unsigned i = 0; i < 20; i++) {
        uint8_t *data = pattern(100 + i, 100 + i);
        assert_int_equal(dd_store_put_blob(f->s, data, 100 + i, NULL, d, &err), 0);
        free(data);
    }
    digest_of(bad, "nope", 4);
    assert_int_equal(dd_store_put_blob(f->s, "data", 4, bad, d, &err), DD_EMISMATCH);
    assert_int_equal(dd_store_upload_create(f->s, id, &err), 0);
    append(f->s, id, (const uint8_t *)"uploaded", 8, 3);
    digest_of(d, "uploaded", 8);
    assert_int_equal(dd_store_upload_commit(f->s, id, d, &size, &err), 0);
    assert_int_equal(check_blob_tree(f), 21);
    assert_int_equal(count_uploads(f), 0);
}

/* Many threads pushing at once: each upload is committed whole and correct. */
typedef struct worker {
    dd_store *s;
    unsigned seed;
    int rc;
    char digest[DD_DIGEST_STR_MAX];
} worker;

static void *run_worker(void *arg)
{
    worker *w = arg;
    dd_err err = DD_ERR_INIT;
    char id[DD_UPLOAD_ID_MAX];
    size_t len = 1024 * 1024 + w->seed * 1000;
    uint8_t *data = pattern(len, w->seed);
    dd_upload *u = NULL;
    uint64_t size = 0;
    int rc = dd_store_upload_create(w->s, id, &err);
    for (size_t off = 0; rc == 0 && off < len; off += 100000) {
        size_t n = len - off < 100000 ? len - off : 100000;
        rc = dd_store_upload_open(w->s, id, &u, &err);
        if (rc == 0)
            rc = dd_store_upload_write(u, data + off, n, &err);
        if (u != NULL) {
            int crc = dd_store_upload_close(u, &err);
            rc = rc != 0 ? rc : crc;
            u = NULL;
        }
    }
    if (rc == 0)
        rc = dd_digest_buf(w->digest, data, len);
    if (rc == 0)
        rc = dd_store_upload_commit(w->s, id, w->digest, &size, &err);
    if (rc == 0 && size != len)
        rc = DD_EMISMATCH;
    w->rc = rc;
    free(data);
    return NULL;
}

static void test_threads(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    pthread_t t[8];
    worker w[8];
    uint64_t size = 0;

    for (unsigned i = 0; i < 8; i++) {
        w[i] = (worker){f->s, i + 10, -1, {0}};
        assert_int_equal(pthread_create(&t[i], NULL, run_worker, &w[i]), 0);
    }
    for (unsigned i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(t[i], NULL), 0);
        assert_int_equal(w[i].rc, 0);
        assert_int_equal(dd_store_stat_blob(f->s, w[i].digest, &size, &err), 0);
    }
    assert_int_equal(check_blob_tree(f), 8);
    assert_int_equal(count_uploads(f), 0);
}

/* dd_store_open picks the backend from the location: plain paths and file:/// URLs are the
 * filesystem backend; object stores and other schemes are refused without echoing the URL. */
static void test_open_url(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char url[256], d[DD_DIGEST_STR_MAX], id[DD_UPLOAD_ID_MAX];
    dd_store *s = NULL;
    dd_upload *u = NULL;
    uint64_t size = 0;

    /* A plain path opens the same store as dd_store_fs_open; every call dispatches to it. */
    assert_int_equal(dd_store_open(&s, f->root, &err), 0);
    assert_non_null(s);
    assert_int_equal(dd_store_put_blob(s, "via path", 8, NULL, d, &err), 0);
    assert_int_equal(dd_store_stat_blob(f->s, d, &size, &err), 0);
    assert_int_equal(size, 8);
    assert_int_equal(dd_store_upload_create(s, id, &err), 0);
    assert_int_equal(dd_store_upload_open(s, id, &u, &err), 0);
    assert_int_equal(dd_store_upload_write(u, "abc", 3, &err), 0);
    assert_int_equal(dd_store_upload_offset(u), 3);
    assert_int_equal(dd_store_upload_close(u, &err), 0);
    assert_int_equal(dd_store_upload_close(NULL, &err), 0);
    dd_store_close(s);
    s = NULL;

    /* file:///abs/path (scheme case-insensitive). */
    snprintf(url, sizeof(url), "file://%s", f->root);
    assert_int_equal(dd_store_open(&s, url, &err), 0);
    assert_int_equal(dd_store_stat_blob(s, d, &size, &err), 0);
    assert_int_equal(dd_store_upload_size(s, id, &size, &err), 0);
    assert_int_equal(size, 3);
    dd_store_close(s);
    s = NULL;
    snprintf(url, sizeof(url), "FILE://%s", f->root);
    assert_int_equal(dd_store_open(&s, url, &err), 0);
    dd_store_close(s);
    s = NULL;

    /* A ':' after the first character of an absolute path is still a path. */
    snprintf(url, sizeof(url), "%s/with:colon", f->dir);
    assert_int_equal(dd_store_open(&s, url, &err), 0);
    dd_store_close(s);
    s = NULL;

    /* Object stores are not built in yet; the message names the scheme, never the rest. */
    s = (dd_store *)&err; /* must be reset to NULL on failure */
    dd_err_clear(&err);
    assert_int_equal(dd_store_open(&s, "s3://AKIAEXAMPLE:s3cr3t@minio:9000/bucket", &err),
                     DD_EUNSUPPORTED);
    assert_null(s);
    assert_int_equal(err.code, DD_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "not built in"));
    assert_null(strstr(err.msg, "s3cr3t"));
    assert_null(strstr(err.msg, "bucket"));
    assert_int_equal(dd_store_open(&s, "S3://bucket/prefix", &err), DD_EUNSUPPORTED);
    assert_int_equal(dd_store_open(&s, "gs://bucket", &err), DD_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "\"gs\""));
    assert_int_equal(dd_store_open(&s, "data:x", &err), DD_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "./"));
    assert_null(s);

    /* Malformed locations. */
    assert_int_equal(dd_store_open(&s, "", &err), DD_EINVALID);
    assert_int_equal(dd_store_open(&s, NULL, &err), DD_EINVALID);
    assert_int_equal(dd_store_open(&s, "file://host/srv/x", &err), DD_EINVALID);
    assert_int_equal(dd_store_open(&s, "file:relative", &err), DD_EINVALID);
    assert_int_equal(dd_store_open(&s, "file:/one/slash", &err), DD_EINVALID);
    assert_null(s);
    dd_store_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_stat_read_open, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_mismatch_stores_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_cycles_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_hash_reused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stale_hash_rebuilt, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_wrong_digest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_upload_after_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_open_busy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_failure_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_blob_detects_corruption, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_temporaries_visible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_url, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
