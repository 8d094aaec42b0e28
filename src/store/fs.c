/* Filesystem backend of the blob store (its dd_store_ops, see internal.h): content-addressed blobs
 * under root/blobs/sha256/<2 hex>/<64 hex> and append-only upload staging files under
 * root/uploads/<uuid>. A mutex-protected table keeps each upload's running SHA-256 between opens,
 * so a commit does not re-read the file. A blob becomes visible only through rename() of a
 * verified, fsync'd file in root/uploads/ (same filesystem), followed by an fsync of the blob's
 * directory. */
#include "store/internal.h"
#include "util/alloc.h"
#include "util/limits.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_BUF_LEN (1024u * 1024u) /* write buffer of an open upload; read chunk when hashing */
#define TMP_PREFIX "tmp-"          /* put_blob temporaries in root/uploads/ */
#define TMP_PREFIX_LEN 4
#define BLOB_REL_MAX 68 /* "ab/" + 64 hex + NUL, relative to blobs/sha256 */
#define DIR_MODE 0755
#define FILE_MODE 0644

/* One upload known to this process: its cached hash state and whether someone holds it. */
struct entry {
    struct entry *next;
    char id[DD_UPLOAD_ID_MAX];
    dd_hasher *h; /* covers the first `hashed` bytes of the file; NULL when unknown */
    uint64_t hashed;
    bool busy; /* a writer or a commit holds the upload */
};

typedef struct fs_store {
    dd_store base;
    int sha_fd; /* root/blobs/sha256 */
    int up_fd;  /* root/uploads */
    bool lock_ok;
    pthread_mutex_t lock; /* guards entries */
    struct entry *entries;
} fs_store;

typedef struct fs_upload {
    dd_upload base; /* base.store is the fs_store */
    char id[DD_UPLOAD_ID_MAX];
    int fd;
    dd_hasher *h;       /* covers `offset` bytes, including buffered ones */
    dd_hasher *snap;    /* state at open, restored if this open fails */
    uint64_t open_size; /* file size at open */
    uint64_t offset;    /* open_size + bytes accepted by write */
    uint8_t *buf;
    size_t buf_len;
    int failed; /* first error of a write; the open's bytes are then discarded */
} fs_upload;

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A lowercase UUID: 36 characters, dashes at 8, 13, 18 and 23. Checked before any path is built. */
static int check_id(const char *id, dd_err *err)
{
    if (id == NULL)
        return dd_err_set(err, DD_EINVALID, "missing upload id");
    for (size_t i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? id[i] != '-' : !is_hex(id[i]))
            return dd_err_set_at(err, DD_EINVALID, i, "upload id must be a lowercase UUID");
    }
    if (id[36] != '\0')
        return dd_err_set_at(err, DD_EINVALID, 36, "upload id must be a lowercase UUID");
    return 0;
}

static int check_digest(const char *digest, dd_err *err)
{
    if (digest == NULL)
        return dd_err_set(err, DD_EINVALID, "missing digest");
    return dd_digest_validate(digest, strnlen(digest, DD_DIGEST_STR_MAX), err);
}

/* rel = "ab/abcd..." (under blobs/sha256) and sub = "ab", from a validated sha256 digest. */
static void blob_rel(char rel[BLOB_REL_MAX], char sub[3], const char *digest)
{
    const char *hex = digest + 7;
    sub[0] = rel[0] = hex[0];
    sub[1] = rel[1] = hex[1];
    sub[2] = '\0';
    rel[2] = '/';
    memcpy(rel + 3, hex, 64);
    rel[67] = '\0';
}

/* A random (version 4) UUID in lowercase. */
static int gen_id(char out[DD_UPLOAD_ID_MAX], dd_err *err)
{
    static const char hex[] = "0123456789abcdef";
    uint8_t r[16];
    size_t got = 0, o = 0;
    while (got < sizeof(r)) {
        ssize_t n = getrandom(r + got, sizeof(r) - got, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return dd_err_errno(err, errno, "getrandom");
        got += (size_t)n;
    }
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40);
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80);
    for (size_t i = 0; i < sizeof(r); i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[r[i] >> 4];
        out[o++] = hex[r[i] & 15];
    }
    out[o] = '\0';
    return 0;
}

static int write_all(int fd, const void *data, size_t len, const char *what, dd_err *err)
{
    const uint8_t *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return dd_err_errno(err, errno, what);
        if (n == 0)
            return dd_err_set(err, DD_EIO, "%s: wrote nothing", what);
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int64_t mtime_ms(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000 + st->st_mtim.tv_nsec / 1000000;
}

/* Reads exactly len bytes at off. */
static int read_full(int fd, uint8_t *buf, size_t len, uint64_t off, const char *what, dd_err *err)
{
    for (size_t got = 0; got < len;) {
        ssize_t n = pread(fd, buf + got, len - got, (off_t)(off + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? dd_err_errno(err, errno, what)
                         : dd_err_set(err, DD_EIO, "%s: file shrank", what);
        got += (size_t)n;
    }
    return 0;
}

/* Opens a regular file in dir (never through a symlink) and reports its size. */
static int open_reg(int dir, const char *name, int flags, int *fd_out, uint64_t *size_out,
                    const char *what, dd_err *err)
{
    struct stat st;
    int rc = 0, fd = openat(dir, name, flags | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 || fstat(fd, &st) != 0)
        rc = dd_err_errno(err, errno, what);
    else if (!S_ISREG(st.st_mode))
        rc = dd_err_set(err, DD_EIO, "%s: not a regular file", what);
    if (rc != 0 && fd >= 0) {
        close(fd);
        fd = -1;
    }
    *fd_out = fd;
    *size_out = rc == 0 ? (uint64_t)st.st_size : 0;
    return rc;
}

/* Hashes the first size bytes of fd into a new hasher (rebuilding an upload's state). */
static int hash_fd(dd_hasher **out, int fd, uint64_t size, dd_err *err)
{
    dd_hasher *h = NULL;
    uint8_t *buf = dd_malloc(IO_BUF_LEN);
    int rc = buf == NULL ? DD_ENOMEM : dd_hasher_new(&h);
    if (rc != 0) {
        dd_err_set(err, rc, "out of memory");
        goto out;
    }
    for (uint64_t off = 0, want = 0; off < size; off += want) {
        want = size - off < IO_BUF_LEN ? size - off : IO_BUF_LEN;
        if ((rc = read_full(fd, buf, (size_t)want, off, "read upload", err)) != 0)
            goto out;
        if ((rc = dd_hasher_update(h, buf, (size_t)want)) != 0) {
            dd_err_set(err, rc, "hashing failed");
            goto out;
        }
    }
    *out = h;
    h = NULL;
out:
    dd_hasher_free(h);
    dd_free(buf);
    return rc;
}

static struct entry **find_slot(fs_store *s, const char *id)
{
    struct entry **p = &s->entries;
    while (*p != NULL && strcmp((*p)->id, id) != 0)
        p = &(*p)->next;
    return p;
}

static void drop_slot(struct entry **p)
{
    struct entry *e = *p;
    if (e == NULL)
        return;
    *p = e->next;
    dd_hasher_free(e->h);
    dd_free(e);
}

/* Marks an upload busy (one writer or committer at a time) and hands over its cached hash state. */
static int claim(fs_store *s, const char *id, dd_hasher **h_out, uint64_t *hashed_out, dd_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&s->lock);
    struct entry **p = find_slot(s, id);
    if (*p == NULL) {
        if ((*p = dd_calloc(1, sizeof(**p))) == NULL) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
        memcpy((*p)->id, id, DD_UPLOAD_ID_MAX);
    } else if ((*p)->busy) {
        rc = dd_err_set(err, DD_EBUSY, "upload %s is in use", id);
        goto out;
    }
    (*p)->busy = true;
    *h_out = (*p)->h;
    *hashed_out = (*p)->hashed;
    (*p)->h = NULL;
out:
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Ends a claim, taking h: keeps it (covering `hashed` bytes; NULL = unknown) for the next open, or
 * forgets the upload entirely. */
static void release(fs_store *s, const char *id, dd_hasher *h, uint64_t hashed, bool forget)
{
    pthread_mutex_lock(&s->lock);
    struct entry **p = find_slot(s, id);
    if (*p != NULL && !forget) {
        (*p)->busy = false;
        (*p)->h = h;
        (*p)->hashed = hashed;
        h = NULL;
    } else {
        drop_slot(p);
    }
    pthread_mutex_unlock(&s->lock);
    dd_hasher_free(h);
}

/* mkdir (if missing) and open a directory; fsyncs parent when the directory was created. */
static int mkdir_open(int parent, const char *name, int *fd_out, dd_err *err)
{
    bool created = mkdirat(parent, name, DIR_MODE) == 0;
    if (!created && errno != EEXIST)
        return dd_err_errno(err, errno, "create store directory");
    if ((*fd_out = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return dd_err_errno(err, errno, "open store directory");
    if (created && fsync(parent) != 0)
        return dd_err_errno(err, errno, "fsync store directory");
    return 0;
}

static const dd_store_ops FS_OPS;

static void fs_free(fs_store *s)
{
    if (s == NULL)
        return;
    while (s->entries != NULL)
        drop_slot(&s->entries);
    if (s->sha_fd >= 0)
        close(s->sha_fd);
    if (s->up_fd >= 0)
        close(s->up_fd);
    if (s->lock_ok)
        pthread_mutex_destroy(&s->lock);
    dd_free(s);
}

int dd_store_fs_open(dd_store **out, const char *root, dd_err *err)
{
    fs_store *s = NULL;
    int root_fd = -1, blobs_fd = -1, parent_fd = -1, rc = 0;
    bool created = false;
    *out = NULL;
    if ((s = dd_calloc(1, sizeof(*s))) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    s->base.ops = &FS_OPS;
    s->sha_fd = s->up_fd = -1;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        rc = dd_err_set(err, DD_ENOMEM, "cannot create store mutex");
        goto out;
    }
    s->lock_ok = true;
    created = mkdir(root, DIR_MODE) == 0;
    if (!created && errno != EEXIST) {
        rc = dd_err_errno(err, errno, "create store root");
        goto out;
    }
    if ((root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        rc = dd_err_errno(err, errno, "open store root");
        goto out;
    }
    if (created && ((parent_fd = openat(root_fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
                    fsync(parent_fd) != 0)) {
        rc = dd_err_errno(err, errno, "fsync parent of store root");
        goto out;
    }
    if ((rc = mkdir_open(root_fd, "blobs", &blobs_fd, err)) != 0 ||
        (rc = mkdir_open(blobs_fd, "sha256", &s->sha_fd, err)) != 0 ||
        (rc = mkdir_open(root_fd, "uploads", &s->up_fd, err)) != 0)
        goto out;
    /* All 256 fan-out directories exist from the start, so no blob write ever creates one. */
    created = false;
    for (unsigned i = 0; i < 256; i++) {
        char sub[3];
        snprintf(sub, sizeof(sub), "%02x", i);
        if (mkdirat(s->sha_fd, sub, DIR_MODE) == 0) {
            created = true;
        } else if (errno != EEXIST) {
            rc = dd_err_errno(err, errno, "create blob directory");
            goto out;
        }
    }
    if (created && fsync(s->sha_fd) != 0) {
        rc = dd_err_errno(err, errno, "fsync blob directory");
        goto out;
    }
    *out = &s->base;
    s = NULL;
out:
    if (root_fd >= 0)
        close(root_fd);
    if (blobs_fd >= 0)
        close(blobs_fd);
    if (parent_fd >= 0)
        close(parent_fd);
    fs_free(s);
    return rc;
}

static void fs_close(dd_store *base)
{
    fs_free((fs_store *)base);
}

static int fs_open_blob(dd_store *base, const char *digest, int *fd_out, uint64_t *size_out,
                        dd_err *err)
{
    fs_store *s = (fs_store *)base;
    char rel[BLOB_REL_MAX], sub[3];
    int rc = check_digest(digest, err);
    *fd_out = -1;
    if (rc != 0)
        goto out;
    blob_rel(rel, sub, digest);
    rc = open_reg(s->sha_fd, rel, O_RDONLY, fd_out, size_out, "open blob", err);
out:
    return rc;
}

static int fs_stat_blob(dd_store *base, const char *digest, uint64_t *size_out, dd_err *err)
{
    int fd = -1, rc = fs_open_blob(base, digest, &fd, size_out, err);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int fs_read_blob(dd_store *base, const char *digest, size_t max, uint8_t **data_out,
                        size_t *len_out, dd_err *err)
{
    uint8_t *data = NULL;
    uint64_t size = 0;
    char got[DD_DIGEST_STR_MAX];
    int fd = -1, rc;
    *data_out = NULL;
    *len_out = 0;
    if ((rc = fs_open_blob(base, digest, &fd, &size, err)) != 0)
        goto out;
    if (size > max) {
        rc = dd_err_set(err, DD_ELIMIT, "blob of %llu bytes exceeds %zu", (unsigned long long)size,
                        max);
        goto out;
    }
    if ((data = dd_malloc((size_t)size)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = read_full(fd, data, (size_t)size, 0, "read blob", err)) != 0)
        goto out;
    if ((rc = dd_digest_buf(got, data, (size_t)size)) != 0) {
        dd_err_set(err, rc, "hashing failed");
        goto out;
    }
    if (strcmp(got, digest) != 0) {
        rc =
            dd_err_set(err, DD_EMISMATCH, "stored blob %s is corrupt (content is %s)", digest, got);
        goto out;
    }
    *data_out = data;
    *len_out = (size_t)size;
    data = NULL;
out:
    if (fd >= 0)
        close(fd);
    dd_free(data);
    return rc;
}

/* Makes the fully written file uploads/<name> (open as fd) a visible blob: fsync it, rename it into
 * place and fsync both directories. *moved tells whether the rename happened. */
static int publish(fs_store *s, int fd, const char *name, const char *digest, bool *moved,
                   dd_err *err)
{
    char rel[BLOB_REL_MAX], sub[3];
    int dir_fd = -1, rc = 0;
    *moved = false;
    blob_rel(rel, sub, digest);
    if (fsync(fd) != 0) {
        rc = dd_err_errno(err, errno, "fsync blob");
        goto out;
    }
    if ((dir_fd = openat(s->sha_fd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        renameat(s->up_fd, name, s->sha_fd, rel) != 0) {
        rc = dd_err_errno(err, errno, "move blob into place");
        goto out;
    }
    *moved = true;
    if (fsync(dir_fd) != 0 || fsync(s->up_fd) != 0)
        rc = dd_err_errno(err, errno, "fsync blob directory");
out:
    if (dir_fd >= 0)
        close(dir_fd);
    return rc;
}

static int fs_put_blob(dd_store *base, const void *data, size_t len, const char *expected,
                       char digest_out[DD_DIGEST_STR_MAX], dd_err *err)
{
    fs_store *s = (fs_store *)base;
    char tmp[TMP_PREFIX_LEN + DD_UPLOAD_ID_MAX];
    uint64_t size = 0;
    int fd = -1, rc = 0;
    bool moved = false;
    if (expected != NULL && (rc = check_digest(expected, err)) != 0)
        goto out;
    if ((rc = dd_digest_buf(digest_out, data, len)) != 0) {
        dd_err_set(err, rc, "hashing failed");
        goto out;
    }
    if (expected != NULL && strcmp(expected, digest_out) != 0) {
        rc =
            dd_err_set(err, DD_EMISMATCH, "content digest is %s, not the expected one", digest_out);
        goto out;
    }
    if (fs_stat_blob(base, digest_out, &size, NULL) == 0)
        goto out; /* already stored */
    memcpy(tmp, TMP_PREFIX, TMP_PREFIX_LEN);
    if ((rc = gen_id(tmp + TMP_PREFIX_LEN, err)) != 0)
        goto out;
    fd = openat(s->up_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, FILE_MODE);
    if (fd < 0) {
        rc = dd_err_errno(err, errno, "create temporary blob");
        goto out;
    }
    if ((rc = write_all(fd, data, len, "write temporary blob", err)) == 0)
        rc = publish(s, fd, tmp, digest_out, &moved, err);
    if (!moved)
        unlinkat(s->up_fd, tmp, 0);
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

static int fs_delete_blob(dd_store *base, const char *digest, dd_err *err)
{
    fs_store *s = (fs_store *)base;
    char rel[BLOB_REL_MAX], sub[3];
    int rc = check_digest(digest, err);
    if (rc != 0)
        goto out;
    blob_rel(rel, sub, digest);
    if (unlinkat(s->sha_fd, rel, 0) != 0)
        rc = dd_err_errno(err, errno, "remove blob");
out:
    return rc;
}

static int fs_upload_create(dd_store *base, char id_out[DD_UPLOAD_ID_MAX], dd_err *err)
{
    fs_store *s = (fs_store *)base;
    int fd = -1, rc = gen_id(id_out, err);
    if (rc != 0)
        goto out;
    fd = openat(s->up_fd, id_out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, FILE_MODE);
    if (fd < 0 || close(fd) != 0)
        rc = dd_err_errno(err, errno, "create upload");
out:
    return rc;
}

static int fs_upload_size(dd_store *base, const char *id, uint64_t *size_out, dd_err *err)
{
    fs_store *s = (fs_store *)base;
    int fd = -1, rc = check_id(id, err);
    if (rc == 0)
        rc = open_reg(s->up_fd, id, O_RDONLY, &fd, size_out, "open upload", err);
    if (fd >= 0)
        close(fd);
    return rc;
}

static int fs_upload_open(dd_store *base, const char *id, dd_upload **out, dd_err *err)
{
    fs_store *s = (fs_store *)base;
    fs_upload *u = NULL;
    dd_hasher *h = NULL;
    uint64_t hashed = 0;
    bool claimed = false;
    int rc;
    *out = NULL;
    if ((rc = check_id(id, err)) != 0 || (rc = claim(s, id, &h, &hashed, err)) != 0)
        goto out;
    claimed = true;
    if ((u = dd_calloc(1, sizeof(*u))) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    u->base.store = base;
    u->fd = -1;
    memcpy(u->id, id, DD_UPLOAD_ID_MAX);
    if ((rc = open_reg(s->up_fd, id, O_RDWR | O_APPEND, &u->fd, &u->open_size, "open upload",
                       err)) != 0)
        goto out;
    u->offset = u->open_size;
    if (h == NULL || hashed != u->open_size) { /* restart, or an earlier open failed partway */
        dd_hasher_free(h);
        h = NULL;
        if ((rc = hash_fd(&h, u->fd, u->open_size, err)) != 0)
            goto out;
    }
    if ((u->buf = dd_malloc(IO_BUF_LEN)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = dd_hasher_dup(&u->snap, h)) != 0) {
        dd_err_set(err, rc, "cannot copy the hash state");
        goto out;
    }
    u->h = h;
    h = NULL;
    *out = &u->base;
    u = NULL;
out:
    if (u != NULL) {
        if (u->fd >= 0)
            close(u->fd);
        dd_hasher_free(u->snap);
        dd_free(u->buf);
        dd_free(u);
    }
    if (claimed && rc != 0)
        release(s, id, h, hashed, true); /* the next open rebuilds the hash from the file */
    return rc;
}

static int flush(fs_upload *u, dd_err *err)
{
    int rc = 0;
    if (u->buf_len > 0)
        rc = write_all(u->fd, u->buf, u->buf_len, "write upload", err);
    u->buf_len = 0;
    return rc;
}

static int fs_upload_write(dd_upload *base, const void *data, size_t len, dd_err *err)
{
    fs_upload *u = (fs_upload *)base;
    int rc = u->failed;
    if (rc != 0) {
        dd_err_set(err, rc, "an earlier write to this upload failed");
        goto out;
    }
    if (len == 0)
        goto out;
    if (u->offset > DD_LIMIT_BLOB_MAX || len > DD_LIMIT_BLOB_MAX - u->offset) {
        rc = dd_err_set(err, DD_ELIMIT, "upload exceeds the blob size limit");
        goto out;
    }
    if ((rc = dd_hasher_update(u->h, data, len)) != 0)
        dd_err_set(err, rc, "hashing failed");
    if (rc == 0 && len > IO_BUF_LEN - u->buf_len)
        rc = flush(u, err);
    if (rc == 0 && len >= IO_BUF_LEN) {
        rc = write_all(u->fd, data, len, "write upload", err);
    } else if (rc == 0) {
        memcpy(u->buf + u->buf_len, data, len);
        u->buf_len += len;
    }
    if (rc != 0) {
        u->failed = rc;
        goto out;
    }
    u->offset += len;
out:
    return rc;
}

static uint64_t fs_upload_offset(const dd_upload *base)
{
    return ((const fs_upload *)base)->offset;
}

static int fs_upload_close(dd_upload *base, dd_err *err)
{
    fs_upload *u = (fs_upload *)base;
    dd_hasher *keep = NULL;
    uint64_t hashed = 0;
    int rc = 0;
    if (u == NULL)
        goto out;
    if ((rc = u->failed) != 0)
        dd_err_set(err, rc, "a write failed; this open's bytes were discarded");
    else
        rc = flush(u, err);
    if (rc == 0) {
        keep = u->h;
        u->h = NULL;
        hashed = u->offset;
    } else if (ftruncate(u->fd, (off_t)u->open_size) == 0) {
        keep = u->snap; /* file and hash agree again on the size at open */
        u->snap = NULL;
        hashed = u->open_size;
    }
    if (close(u->fd) != 0 && rc == 0) {
        rc = dd_err_errno(err, errno, "close upload");
        dd_hasher_free(keep);
        keep = NULL;
    }
    release((fs_store *)u->base.store, u->id, keep, hashed, false);
    dd_hasher_free(u->h);
    dd_hasher_free(u->snap);
    dd_free(u->buf);
    dd_free(u);
out:
    return rc;
}

static int fs_upload_commit(dd_store *base, const char *id, const char *expected,
                            uint64_t *size_out, dd_err *err)
{
    fs_store *s = (fs_store *)base;
    dd_hasher *h = NULL, *fin = NULL;
    uint64_t hashed = 0, size = 0;
    char got[DD_DIGEST_STR_MAX];
    int fd = -1, rc;
    bool claimed = false, gone = false;
    if ((rc = check_id(id, err)) != 0 || (rc = check_digest(expected, err)) != 0 ||
        (rc = claim(s, id, &h, &hashed, err)) != 0)
        goto out;
    claimed = true;
    if ((rc = open_reg(s->up_fd, id, O_RDONLY, &fd, &size, "open upload", err)) != 0) {
        gone = rc == DD_ENOTFOUND;
        goto out;
    }
    if (h == NULL || hashed != size) {
        dd_hasher_free(h);
        h = NULL;
        if ((rc = hash_fd(&h, fd, size, err)) != 0)
            goto out;
        hashed = size;
    }
    if ((rc = dd_hasher_dup(&fin, h)) != 0 || (rc = dd_hasher_final(fin, got)) != 0) {
        dd_err_set(err, rc, "hashing failed");
        goto out;
    }
    if (strcmp(got, expected) != 0) {
        rc = dd_err_set(err, DD_EMISMATCH, "upload digest is %s, not the expected one", got);
        gone = true;
        unlinkat(s->up_fd, id, 0);
        goto out;
    }
    if ((rc = publish(s, fd, id, expected, &gone, err)) == 0 && size_out != NULL)
        *size_out = size;
out:
    if (fd >= 0)
        close(fd);
    dd_hasher_free(fin);
    if (claimed)
        release(s, id, h, hashed, gone);
    return rc;
}

static int fs_upload_delete(dd_store *base, const char *id, dd_err *err)
{
    fs_store *s = (fs_store *)base;
    struct entry **p = NULL;
    int rc = check_id(id, err);
    if (rc != 0)
        goto out;
    pthread_mutex_lock(&s->lock);
    p = find_slot(s, id);
    if (*p != NULL && (*p)->busy)
        rc = dd_err_set(err, DD_EBUSY, "upload %s is in use", id);
    else if (unlinkat(s->up_fd, id, 0) != 0)
        rc = dd_err_errno(err, errno, "remove upload");
    if (rc != DD_EBUSY)
        drop_slot(p);
    pthread_mutex_unlock(&s->lock);
out:
    return rc;
}

static int fs_upload_sweep(dd_store *base, int64_t cutoff_ms, size_t *n_removed, dd_err *err)
{
    fs_store *s = (fs_store *)base;
    DIR *d = NULL;
    size_t n = 0;
    int fd = -1, rc = 0;
    if ((fd = openat(s->up_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
        (d = fdopendir(fd)) == NULL) {
        rc = dd_err_errno(err, errno, "open uploads directory");
        goto out;
    }
    fd = -1; /* owned by d */
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (de == NULL) {
            if (errno != 0 && rc == 0)
                rc = dd_err_errno(err, errno, "read uploads directory");
            break;
        }
        bool tmp = strncmp(de->d_name, TMP_PREFIX, TMP_PREFIX_LEN) == 0;
        if (!tmp && check_id(de->d_name, NULL) != 0)
            continue;
        struct stat st;
        pthread_mutex_lock(&s->lock);
        struct entry **p = tmp ? NULL : find_slot(s, de->d_name);
        if ((p == NULL || *p == NULL || !(*p)->busy) &&
            fstatat(s->up_fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
            mtime_ms(&st) < cutoff_ms) {
            if (unlinkat(s->up_fd, de->d_name, 0) == 0) {
                n++;
                if (p != NULL)
                    drop_slot(p);
            } else if (errno != ENOENT && rc == 0) {
                rc = dd_err_errno(err, errno, "remove stale upload");
            }
        }
        pthread_mutex_unlock(&s->lock);
    }
out:
    if (d != NULL)
        closedir(d);
    if (fd >= 0)
        close(fd);
    if (n_removed != NULL)
        *n_removed = n;
    return rc;
}

static const dd_store_ops FS_OPS = {
    .close = fs_close,
    .stat_blob = fs_stat_blob,
    .open_blob = fs_open_blob,
    .read_blob = fs_read_blob,
    .put_blob = fs_put_blob,
    .delete_blob = fs_delete_blob,
    .upload_create = fs_upload_create,
    .upload_size = fs_upload_size,
    .upload_open = fs_upload_open,
    .upload_write = fs_upload_write,
    .upload_offset = fs_upload_offset,
    .upload_close = fs_upload_close,
    .upload_commit = fs_upload_commit,
    .upload_delete = fs_upload_delete,
    .upload_sweep = fs_upload_sweep,
};
