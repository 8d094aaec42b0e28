/* The final-filesystem view: kept files and symlinks added layer by layer (whiteouts applied as
 * removals), sorted for lookups, with symlink resolution confined to the image root; plus path
 * normalisation and the directory (dir:) loader. */
#include "image/rootfs.h"
#include "util/alloc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PATH_MAX_LEN 4096
#define PATH_MAX_COMPONENTS 256
#define SYMLINK_HOPS 40

typedef struct entry {
    char *path;
    char *target; /* symlinks: target; NULL for files */
    dd_rfile file;
    int deleted;
} entry;

struct dd_rootfs {
    entry *e;
    size_t n, cap;
    /* open-addressing hash: path -> index+1 in e (0 = empty), rebuilt on growth */
    size_t *slots;
    size_t n_slots;
    /* after finish: sorted views */
    dd_rfile *files;
    size_t n_files;
    entry **links;
    size_t n_links;
    char **layers;
    size_t n_layers;
    int finished;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

static int rehash(dd_rootfs *fs, size_t n_slots)
{
    size_t *slots = dd_calloc(n_slots, sizeof(*slots));
    if (slots == NULL)
        return DD_ENOMEM;
    for (size_t i = 0; i < fs->n; i++) {
        if (fs->e[i].deleted)
            continue;
        size_t h = hash_str(fs->e[i].path) & (n_slots - 1);
        while (slots[h] != 0)
            h = (h + 1) & (n_slots - 1);
        slots[h] = i + 1;
    }
    dd_free(fs->slots);
    fs->slots = slots;
    fs->n_slots = n_slots;
    return 0;
}

/* Returns the slot holding path, or the empty slot where it would go. */
static size_t *find_slot(dd_rootfs *fs, const char *path)
{
    size_t h = hash_str(path) & (fs->n_slots - 1);
    for (;;) {
        size_t *s = &fs->slots[h];
        if (*s == 0 || strcmp(fs->e[*s - 1].path, path) == 0)
            return s;
        h = (h + 1) & (fs->n_slots - 1);
    }
}

int dd_rootfs_new(dd_rootfs **out)
{
    *out = NULL;
    dd_rootfs *fs = dd_calloc(1, sizeof(*fs));
    if (fs == NULL)
        return DD_ENOMEM;
    if (rehash(fs, 1024) != 0) {
        dd_free(fs);
        return DD_ENOMEM;
    }
    *out = fs;
    return 0;
}

static void entry_clear(entry *e)
{
    dd_free(e->path);
    dd_free(e->target);
    dd_free((void *)e->file.data);
    memset(e, 0, sizeof(*e));
    e->deleted = 1;
}

/* Drops the table slot of a deleted entry: rebuilding keeps probing chains intact. */
static int after_delete(dd_rootfs *fs)
{
    return rehash(fs, fs->n_slots);
}

static int add_entry(dd_rootfs *fs, char *path, char *target, uint8_t *data, size_t len,
                     uint64_t size, uint32_t mode, int layer, int extracted)
{
    if (fs->n + 1 > fs->n_slots / 2 && rehash(fs, fs->n_slots * 2) != 0)
        goto oom;
    size_t *slot = find_slot(fs, path);
    if (*slot != 0) { /* replace in place */
        entry *old = &fs->e[*slot - 1];
        dd_free(old->path);
        dd_free(old->target);
        dd_free((void *)old->file.data);
        old->path = path;
        old->target = target;
        old->file = (dd_rfile){path, data, len, size, mode, layer, extracted};
        return 0;
    }
    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 256;
        entry *e = dd_reallocarray(fs->e, cap, sizeof(*e));
        if (e == NULL)
            goto oom;
        fs->e = e;
        fs->cap = cap;
    }
    fs->e[fs->n] = (entry){path, target, {path, data, len, size, mode, layer, extracted}, 0};
    fs->n++;
    *slot = fs->n;
    return 0;
oom:
    dd_free(path);
    dd_free(target);
    dd_free(data);
    return DD_ENOMEM;
}

int dd_rootfs_add_file_take(dd_rootfs *fs, const char *path, uint8_t *data, size_t len,
                            uint64_t size, uint32_t mode, int layer, int extracted)
{
    char *p = dd_strdup(path);
    if (p == NULL) {
        dd_free(data);
        return DD_ENOMEM;
    }
    if (data == NULL && (data = dd_malloc(1)) == NULL) {
        dd_free(p);
        return DD_ENOMEM;
    }
    return add_entry(fs, p, NULL, data, len, size, mode, layer, extracted);
}

int dd_rootfs_add_file(dd_rootfs *fs, const char *path, const uint8_t *data, size_t len,
                       uint64_t size, uint32_t mode, int layer, int extracted)
{
    uint8_t *copy = dd_malloc(len);
    if (copy == NULL)
        return DD_ENOMEM;
    if (len > 0)
        memcpy(copy, data, len);
    return dd_rootfs_add_file_take(fs, path, copy, len, size, mode, layer, extracted);
}

int dd_rootfs_add_symlink(dd_rootfs *fs, const char *path, const char *target, int layer)
{
    char *p = dd_strdup(path);
    char *t = dd_strdup(target);
    if (p == NULL || t == NULL) {
        dd_free(p);
        dd_free(t);
        return DD_ENOMEM;
    }
    return add_entry(fs, p, t, NULL, 0, 0, 0120777, layer, 0);
}

static int under(const char *path, const char *dir, size_t dl)
{
    return strncmp(path, dir, dl) == 0 && path[dl] == '/';
}

void dd_rootfs_remove(dd_rootfs *fs, const char *path, int layer)
{
    size_t pl = strlen(path);
    int any = 0;
    for (size_t i = 0; i < fs->n; i++) {
        entry *e = &fs->e[i];
        if (e->deleted || e->file.layer >= layer)
            continue;
        if (strcmp(e->path, path) == 0 || under(e->path, path, pl)) {
            entry_clear(e);
            any = 1;
        }
    }
    if (any && after_delete(fs) != 0)
        return; /* the table keeps its old size; lookups stay correct */
}

void dd_rootfs_remove_below(dd_rootfs *fs, const char *dir, int layer)
{
    size_t dl = strlen(dir);
    int any = 0;
    for (size_t i = 0; i < fs->n; i++) {
        entry *e = &fs->e[i];
        if (!e->deleted && e->file.layer < layer && (dl == 0 || under(e->path, dir, dl))) {
            entry_clear(e);
            any = 1;
        }
    }
    if (any && after_delete(fs) != 0)
        return;
}

int dd_rootfs_set_layers(dd_rootfs *fs, const char *const *digests, size_t n)
{
    char **l = dd_calloc(n ? n : 1, sizeof(*l));
    if (l == NULL)
        return DD_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if ((l[i] = dd_strdup(digests[i] ? digests[i] : "")) == NULL) {
            for (size_t j = 0; j < i; j++)
                dd_free(l[j]);
            dd_free(l);
            return DD_ENOMEM;
        }
    }
    for (size_t i = 0; i < fs->n_layers; i++)
        dd_free(fs->layers[i]);
    dd_free(fs->layers);
    fs->layers = l;
    fs->n_layers = n;
    return 0;
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const dd_rfile *)a)->path, ((const dd_rfile *)b)->path);
}

static int cmp_link(const void *a, const void *b)
{
    return strcmp((*(entry *const *)a)->path, (*(entry *const *)b)->path);
}

int dd_rootfs_finish(dd_rootfs *fs)
{
    size_t nf = 0, nl = 0;
    for (size_t i = 0; i < fs->n; i++) {
        if (fs->e[i].deleted)
            continue;
        if (fs->e[i].target != NULL)
            nl++;
        else
            nf++;
    }
    dd_free(fs->files);
    dd_free(fs->links);
    fs->files = dd_calloc(nf ? nf : 1, sizeof(*fs->files));
    fs->links = dd_calloc(nl ? nl : 1, sizeof(*fs->links));
    if (fs->files == NULL || fs->links == NULL)
        return DD_ENOMEM;
    fs->n_files = 0;
    fs->n_links = 0;
    for (size_t i = 0; i < fs->n; i++) {
        entry *e = &fs->e[i];
        if (e->deleted)
            continue;
        if (e->target != NULL)
            fs->links[fs->n_links++] = e;
        else
            fs->files[fs->n_files++] = e->file;
    }
    qsort(fs->files, fs->n_files, sizeof(*fs->files), cmp_file);
    qsort(fs->links, fs->n_links, sizeof(*fs->links), cmp_link);
    fs->finished = 1;
    return 0;
}

void dd_rootfs_free(dd_rootfs *fs)
{
    if (fs == NULL)
        return;
    for (size_t i = 0; i < fs->n; i++)
        if (!fs->e[i].deleted)
            entry_clear(&fs->e[i]);
    for (size_t i = 0; i < fs->n_layers; i++)
        dd_free(fs->layers[i]);
    dd_free(fs->layers);
    dd_free(fs->e);
    dd_free(fs->slots);
    dd_free(fs->files);
    dd_free(fs->links);
    dd_free(fs);
}

size_t dd_rootfs_count(const dd_rootfs *fs)
{
    return fs->n_files;
}

const dd_rfile *dd_rootfs_at(const dd_rootfs *fs, size_t i)
{
    return i < fs->n_files ? &fs->files[i] : NULL;
}

size_t dd_rootfs_lower_bound(const dd_rootfs *fs, const char *prefix)
{
    size_t lo = 0, hi = fs->n_files;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(fs->files[mid].path, prefix) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t dd_rootfs_n_layers(const dd_rootfs *fs)
{
    return fs->n_layers;
}

const char *dd_rootfs_layer_digest(const dd_rootfs *fs, size_t i)
{
    return i < fs->n_layers ? fs->layers[i] : "";
}

static const dd_rfile *find_file(const dd_rootfs *fs, const char *path)
{
    size_t i = dd_rootfs_lower_bound(fs, path);
    return (i < fs->n_files && strcmp(fs->files[i].path, path) == 0) ? &fs->files[i] : NULL;
}

static const char *find_link(const dd_rootfs *fs, const char *path)
{
    size_t lo = 0, hi = fs->n_links;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(fs->links[mid]->path, path);
        if (c == 0)
            return fs->links[mid]->target;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *dd_rootfs_symlink(const dd_rootfs *fs, const char *path)
{
    return find_link(fs, path);
}

/* Resolves symlinks component by component, confined to the root: ".." at the root stays at the
 * root, absolute targets restart from the root. */
const dd_rfile *dd_rootfs_get(const dd_rootfs *fs, const char *path)
{
    char cur[PATH_MAX_LEN + 1];  /* resolved so far */
    char rest[PATH_MAX_LEN + 1]; /* still to walk */
    size_t cl = 0;
    int hops = 0;
    if (!fs->finished || strlen(path) > PATH_MAX_LEN)
        return NULL;
    const dd_rfile *direct = find_file(fs, path);
    if (direct != NULL)
        return direct;
    memcpy(rest, path, strlen(path) + 1);
    cur[0] = '\0';
    char *r = rest;
    while (*r != '\0') {
        while (*r == '/')
            r++;
        if (*r == '\0')
            break;
        char *slash = strchr(r, '/');
        size_t n = slash ? (size_t)(slash - r) : strlen(r);
        if (n == 1 && r[0] == '.') {
            r += n;
            continue;
        }
        if (n == 2 && r[0] == '.' && r[1] == '.') {
            char *last = strrchr(cur, '/');
            cl = last ? (size_t)(last - cur) : 0;
            cur[cl] = '\0';
            r += n;
            continue;
        }
        if (cl + 1 + n > PATH_MAX_LEN)
            return NULL;
        size_t save = cl;
        if (cl > 0)
            cur[cl++] = '/';
        memcpy(cur + cl, r, n);
        cl += n;
        cur[cl] = '\0';
        r += n;
        const char *target = find_link(fs, cur);
        if (target == NULL)
            continue;
        if (++hops > SYMLINK_HOPS)
            return NULL;
        /* rest := target + "/" + remaining */
        char tmp[PATH_MAX_LEN + 1];
        size_t tl = strlen(target), rl = strlen(r);
        if (tl + 1 + rl > PATH_MAX_LEN)
            return NULL;
        memcpy(tmp, target, tl);
        tmp[tl] = '/';
        memcpy(tmp + tl + 1, r, rl + 1);
        memcpy(rest, tmp, tl + 1 + rl + 1);
        r = rest;
        if (target[0] == '/') {
            cl = 0;
        } else {
            cl = save;
        }
        cur[cl] = '\0';
    }
    return find_file(fs, cur);
}

int dd_path_normalize(char *out, const char *in, size_t len, dd_err *err)
{
    size_t o = 0, comps = 0, i = 0;
    if (len > PATH_MAX_LEN)
        return dd_err_set(err, DD_ELIMIT, "path longer than %d bytes", PATH_MAX_LEN);
    while (i < len) {
        while (i < len && in[i] == '/')
            i++;
        size_t s = i;
        while (i < len && in[i] != '/') {
            if (in[i] == '\0')
                return dd_err_set_at(err, DD_EINVALID, i, "NUL byte in path");
            i++;
        }
        size_t n = i - s;
        if (n == 0 || (n == 1 && in[s] == '.'))
            continue;
        if (n == 2 && in[s] == '.' && in[s + 1] == '.')
            return dd_err_set_at(err, DD_EINVALID, s, "'..' in path");
        if (++comps > PATH_MAX_COMPONENTS)
            return dd_err_set(err, DD_ELIMIT, "path deeper than %d components",
                              PATH_MAX_COMPONENTS);
        if (o > 0)
            out[o++] = '/';
        memcpy(out + o, in + s, n);
        o += n;
    }
    out[o] = '\0';
    if (o == 0)
        return dd_err_set(err, DD_EINVALID, "empty path");
    return 0;
}

/* ---- dir: loader --------------------------------------------------------------------------- */

typedef struct walk {
    dd_rootfs *fs;
    dd_wants_fn wants;
    uint64_t max_file;
    dd_err *err;
    char path[PATH_MAX_LEN + 2];
    int depth;
} walk;

static int keep_file(walk *w, int dfd, const char *name, const char *rel, const struct stat *st)
{
    const dd_extractor *ex = NULL;
    dd_keep k = w->wants(rel, strlen(rel), st->st_mode, (uint64_t)st->st_size, &ex);
    if (k == DD_KEEP_NONE)
        return 0;
    if (k == DD_KEEP_WHOLE && (uint64_t)st->st_size > w->max_file)
        return dd_err_set(w->err, DD_ELIMIT, "%s: %lld bytes, over the %llu-byte file limit", rel,
                          (long long)st->st_size, (unsigned long long)w->max_file);
    int rc = 0;
    uint8_t *buf = NULL, *out = NULL;
    size_t out_len = 0;
    void *state = NULL;
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return dd_err_errno(w->err, errno, rel);
    size_t cap = k == DD_KEEP_WHOLE ? (size_t)st->st_size : 1 << 20;
    buf = dd_malloc(cap ? cap : 1);
    if (buf == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if (k == DD_KEEP_EXTRACT && (state = ex->begin(rel, (uint64_t)st->st_size)) == NULL)
        goto out;
    size_t got = 0;
    for (;;) {
        ssize_t n =
            read(fd, buf + (k == DD_KEEP_WHOLE ? got : 0), k == DD_KEEP_WHOLE ? cap - got : cap);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = dd_err_errno(w->err, errno, rel);
            break;
        }
        if (n == 0)
            break;
        if (k == DD_KEEP_WHOLE) {
            got += (size_t)n;
            if (got == cap)
                break;
        } else {
            int f = ex->feed(state, buf, (size_t)n);
            if (f < 0) {
                rc = dd_err_set(w->err, f, "%s: extractor failed", rel);
                break;
            }
            if (f == 1)
                break;
        }
    }
    if (k == DD_KEEP_EXTRACT) {
        int e = ex->end(state, &out, &out_len);
        state = NULL;
        if (rc == 0 && e != 0)
            rc = dd_err_set(w->err, e, "%s: extractor failed", rel);
        if (rc == 0 && out != NULL) {
            rc = dd_rootfs_add_file_take(w->fs, rel, out, out_len, (uint64_t)st->st_size,
                                         st->st_mode, 0, 1);
            out = NULL;
        }
    } else if (rc == 0) {
        rc =
            dd_rootfs_add_file_take(w->fs, rel, buf, got, (uint64_t)st->st_size, st->st_mode, 0, 0);
        buf = NULL;
    }
out:
    dd_free(out);
    dd_free(buf);
    close(fd);
    return rc;
}

static int walk_dir(walk *w, int dfd, size_t base_len)
{
    int rc = 0;
    DIR *d = fdopendir(dfd);
    if (d == NULL) {
        close(dfd);
        return dd_err_errno(w->err, errno, w->path[0] ? w->path : ".");
    }
    if (++w->depth > PATH_MAX_COMPONENTS) {
        rc = dd_err_set(w->err, DD_ELIMIT, "%s: directory tree too deep", w->path);
        goto out;
    }
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        size_t nl = strlen(name);
        if (base_len + nl + 1 > PATH_MAX_LEN) {
            rc = dd_err_set(w->err, DD_ELIMIT, "%s/%s: path too long", w->path, name);
            break;
        }
        size_t at = base_len;
        if (at > 0)
            w->path[at++] = '/';
        memcpy(w->path + at, name, nl + 1);
        struct stat st;
        if (fstatat(dirfd(d), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = dd_err_errno(w->err, errno, w->path);
            break;
        }
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
            if (sub < 0) {
                rc = dd_err_errno(w->err, errno, w->path);
                break;
            }
            rc = walk_dir(w, sub, at + nl);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX_LEN + 1];
            ssize_t n = readlinkat(dirfd(d), name, target, PATH_MAX_LEN);
            if (n < 0) {
                rc = dd_err_errno(w->err, errno, w->path);
                break;
            }
            target[n] = '\0';
            rc = dd_rootfs_add_symlink(w->fs, w->path, target, 0);
        } else if (S_ISREG(st.st_mode)) {
            rc = keep_file(w, dirfd(d), name, w->path, &st);
        }
        w->path[base_len] = '\0';
    }
out:
    w->depth--;
    closedir(d);
    return rc;
}

int dd_rootfs_from_dir(dd_rootfs **out, const char *dir, dd_wants_fn wants, uint64_t max_file,
                       dd_err *err)
{
    dd_rootfs *fs = NULL;
    *out = NULL;
    int rc = dd_rootfs_new(&fs);
    if (rc != 0)
        return rc;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        rc = dd_err_errno(err, errno, dir);
        goto out;
    }
    walk w = {.fs = fs, .wants = wants, .max_file = max_file, .err = err};
    rc = walk_dir(&w, dfd, 0);
    if (rc == 0) {
        const char *none = "";
        rc = dd_rootfs_set_layers(fs, &none, 1);
    }
    if (rc == 0)
        rc = dd_rootfs_finish(fs);
    if (rc == 0) {
        *out = fs;
        fs = NULL;
    }
out:
    dd_rootfs_free(fs);
    return rc;
}
