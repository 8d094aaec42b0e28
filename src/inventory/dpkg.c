/* The dpkg cataloger: installed Debian and Ubuntu packages from var/lib/dpkg/status and from the
 * per-package stanza files that distroless images keep in var/lib/dpkg/status.d/; and the index
 * of var/lib/dpkg/info/NAME.list file lists that other catalogers ask which package owns a path.
 *
 * The status file is deb822 (RFC 822-like stanzas). The only C parser of it, libdpkg, is a static
 * library bound to dpkg's in-memory database and aborts on bad input, so this small line-based
 * format is parsed by hand here, over spans of the input (no NUL terminator assumed). The .list
 * files are one path per line, read by hand for the same reason. */
#include "inventory/dpkg.h"
#include "inventory/catalog.h"
#include "util/alloc.h"

#include <stdbool.h>
#include <string.h>

#define STATUS_PATH "var/lib/dpkg/status"
#define STATUS_D_DIR "var/lib/dpkg/status.d/"

typedef struct span {
    const uint8_t *p;
    size_t len;
} span;

/* The fields of one stanza we use (first occurrence wins). */
typedef struct stanza {
    span package, version, arch, source, status;
    int has_package, has_version, has_arch, has_source, has_status;
    int bad; /* a malformed line was seen: the stanza is dropped */
} stanza;

static int is_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static span trim(const uint8_t *p, size_t len)
{
    while (len > 0 && is_space(p[0])) {
        p++;
        len--;
    }
    while (len > 0 && is_space(p[len - 1]))
        len--;
    return (span){p, len};
}

/* ASCII case-insensitive comparison with a literal: deb822 field names ignore case. */
static int name_is(span s, const char *lit)
{
    size_t n = strlen(lit);
    if (s.len != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t a = s.p[i], b = (uint8_t)lit[i];
        if (a >= 'A' && a <= 'Z')
            a = (uint8_t)(a - 'A' + 'a');
        if (b >= 'A' && b <= 'Z')
            b = (uint8_t)(b - 'A' + 'a');
        if (a != b)
            return 0;
    }
    return 1;
}

static int span_eq(span s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len == n && memcmp(s.p, lit, n) == 0;
}

/* The third word of "Status: want flag state" says whether the package's files are on disk. */
static int state_on_disk(span status)
{
    size_t i = 0, word = 0;
    span w = {NULL, 0};
    while (i < status.len && word < 3) {
        while (i < status.len && is_space(status.p[i]))
            i++;
        size_t start = i;
        while (i < status.len && !is_space(status.p[i]))
            i++;
        if (i > start) {
            w = (span){status.p + start, i - start};
            word++;
        }
    }
    if (word != 3)
        return 0;
    static const char *const on_disk[] = {"installed",      "half-configured",  "unpacked",
                                          "half-installed", "triggers-awaited", "triggers-pending"};
    for (size_t k = 0; k < sizeof(on_disk) / sizeof(on_disk[0]); k++)
        if (span_eq(w, on_disk[k]))
            return 1;
    return 0;
}

static char *span_dup(span s)
{
    return dd_strndup((const char *)s.p, s.len);
}

/* "name" or "name (version)". */
static void split_source(span src, span *name, span *version)
{
    const uint8_t *paren = memchr(src.p, '(', src.len);
    if (paren == NULL) {
        *name = trim(src.p, src.len);
        *version = (span){NULL, 0};
        return;
    }
    *name = trim(src.p, (size_t)(paren - src.p));
    const uint8_t *v = paren + 1;
    size_t vlen = src.len - (size_t)(v - src.p);
    const uint8_t *close = memchr(v, ')', vlen);
    if (close != NULL)
        vlen = (size_t)(close - v);
    *version = trim(v, vlen);
}

static int emit(const stanza *st, int status_d, const char *path, int layer, dd_pkg_list *out)
{
    if (st->bad || st->package.len == 0 || st->version.len == 0)
        return 0;
    if (st->has_status ? !state_on_disk(st->status) : !status_d)
        return 0;

    span src_name = st->package, src_version = st->version;
    if (st->has_source) {
        span n, v;
        split_source(st->source, &n, &v);
        if (n.len > 0)
            src_name = n;
        if (v.len > 0)
            src_version = v;
    }

    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = DD_PKG_DPKG;
    p.layer = layer;
    p.name = span_dup(st->package);
    p.version = span_dup(st->version);
    p.source_name = span_dup(src_name);
    p.source_version = span_dup(src_version);
    if (st->has_arch && st->arch.len > 0)
        p.arch = span_dup(st->arch);
    if (p.name == NULL || p.version == NULL || p.source_name == NULL || p.source_version == NULL ||
        (st->has_arch && st->arch.len > 0 && p.arch == NULL) ||
        (path != NULL && dd_strlist_push_str(&p.paths, path) != 0)) {
        dd_pkg_clear(&p);
        return DD_ENOMEM;
    }
    return dd_pkg_list_take(out, &p);
}

static void set_field(stanza *st, span name, span value)
{
    struct {
        const char *name;
        span *dst;
        int *has;
    } fields[] = {
        {"Package", &st->package, &st->has_package}, {"Version", &st->version, &st->has_version},
        {"Architecture", &st->arch, &st->has_arch},  {"Source", &st->source, &st->has_source},
        {"Status", &st->status, &st->has_status},
    };
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        if (name_is(name, fields[i].name)) {
            if (!*fields[i].has) {
                *fields[i].dst = value;
                *fields[i].has = 1;
            }
            return;
        }
    }
}

int dd_dpkg_parse(const uint8_t *buf, size_t len, const char *path, int layer, dd_pkg_list *out,
                  dd_err *err)
{
    int rc = 0, bad = 0;
    int status_d = path != NULL && strstr(path, "/status.d/") != NULL;
    stanza st;
    memset(&st, 0, sizeof(st));
    size_t off = 0;
    while (off < len) {
        size_t start = off;
        const uint8_t *nl = memchr(buf + off, '\n', len - off);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        off = nl != NULL ? end + 1 : len;
        span line = {buf + start, end - start};
        if (trim(line.p, line.len).len == 0) {
            rc = emit(&st, status_d, path, layer, out);
            if (rc != 0)
                goto out;
            memset(&st, 0, sizeof(st));
            continue;
        }
        if (st.bad || line.p[0] == ' ' || line.p[0] == '\t')
            continue; /* continuation line: none of the fields we use spans lines */
        const uint8_t *colon = memchr(line.p, ':', line.len);
        size_t name_len = colon != NULL ? (size_t)(colon - line.p) : 0;
        /* a NUL byte would cut the strings we copy: the line is malformed */
        int name_ok = name_len > 0 && memchr(line.p, '\0', line.len) == NULL;
        for (size_t i = 0; name_ok && i < name_len; i++)
            name_ok = !is_space(line.p[i]);
        if (!name_ok) {
            st.bad = 1;
            if (!bad)
                dd_err_set_at(err, DD_EINVALID, start,
                              "dpkg: line at byte %zu is not \"Field: value\" text", start);
            bad = 1;
            continue;
        }
        set_field(&st, (span){line.p, name_len}, trim(colon + 1, line.len - name_len - 1));
    }
    rc = emit(&st, status_d, path, layer, out);
    if (rc == 0 && bad)
        rc = DD_EINVALID;
out:
    if (rc == DD_ENOMEM)
        dd_err_set(err, rc, "dpkg: out of memory");
    return rc;
}

/* Distroless: var/lib/dpkg/status.d/NAME, directly in the directory, not NAME.md5sums. */
static int is_status_d_file(const char *path, size_t path_len)
{
    size_t dl = sizeof(STATUS_D_DIR) - 1;
    if (path_len <= dl || memcmp(path, STATUS_D_DIR, dl) != 0)
        return 0;
    if (memchr(path + dl, '/', path_len - dl) != NULL)
        return 0;
    return !dd_path_has_ext(path, path_len, ".md5sums");
}

/* ---- file lists: which package owns a path ---- */

/* An indexed path: a span of a borrowed .list buffer, without leading and trailing '/'. */
typedef struct owner_ent {
    const char *path;
    size_t len;
    size_t pkg; /* index in pkgs */
} owner_ent;

struct dd_dpkg_owners {
    owner_ent *e;
    size_t n, cap;
    uint32_t *slots; /* open addressing: index+1 in e, 0 = empty; n_slots is a power of two */
    size_t n_slots;
    dd_strlist pkgs;
    size_t n_lists;
    unsigned merged; /* bit i: merged_dirs[i] is a symlink to usr/merged_dirs[i] */
};

static const char *const merged_dirs[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};
#define N_MERGED (sizeof(merged_dirs) / sizeof(merged_dirs[0]))

/* FNV-1a over the concatenation a + b (lookups of "usr/" + path need no copy). */
static uint64_t hash2(const char *a, size_t al, const char *b, size_t bl)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < al; i++)
        h = (h ^ (uint8_t)a[i]) * 1099511628211ull;
    for (size_t i = 0; i < bl; i++)
        h = (h ^ (uint8_t)b[i]) * 1099511628211ull;
    return h;
}

/* The slot holding a + b, or the empty slot where it would go. */
static size_t find_slot(const dd_dpkg_owners *o, const char *a, size_t al, const char *b, size_t bl)
{
    size_t mask = o->n_slots - 1, h = (size_t)hash2(a, al, b, bl) & mask;
    while (o->slots[h] != 0) {
        const owner_ent *e = &o->e[o->slots[h] - 1];
        if (e->len == al + bl && memcmp(e->path, a, al) == 0 && memcmp(e->path + al, b, bl) == 0)
            break;
        h = (h + 1) & mask;
    }
    return h;
}

static const owner_ent *lookup(const dd_dpkg_owners *o, const char *a, size_t al, const char *b,
                               size_t bl)
{
    if (o->n_slots == 0)
        return NULL;
    uint32_t s = o->slots[find_slot(o, a, al, b, bl)];
    return s != 0 ? &o->e[s - 1] : NULL;
}

/* Room for extra more entries, the table at most half full. */
static int reserve(dd_dpkg_owners *o, size_t extra)
{
    size_t need = o->n + extra;
    if (need > o->cap) {
        size_t cap = o->cap ? o->cap : 256;
        while (cap < need)
            cap *= 2;
        owner_ent *e = dd_reallocarray(o->e, cap, sizeof(*e));
        if (e == NULL)
            return DD_ENOMEM;
        o->e = e;
        o->cap = cap;
    }
    if (need * 2 <= o->n_slots)
        return 0;
    size_t n_slots = o->n_slots ? o->n_slots : 512;
    while (need * 2 > n_slots)
        n_slots *= 2;
    uint32_t *slots = dd_calloc(n_slots, sizeof(*slots));
    if (slots == NULL)
        return DD_ENOMEM;
    dd_free(o->slots);
    o->slots = slots;
    o->n_slots = n_slots;
    for (size_t i = 0; i < o->n; i++)
        o->slots[find_slot(o, "", 0, o->e[i].path, o->e[i].len)] = (uint32_t)(i + 1);
    return 0;
}

/* The next line of a .list from *pos: its offset and span (without "\n"). */
static bool next_line(const uint8_t *buf, size_t len, size_t *pos, size_t *start, span *line)
{
    if (*pos >= len)
        return false;
    const uint8_t *nl = memchr(buf + *pos, '\n', len - *pos);
    size_t end = nl != NULL ? (size_t)(nl - buf) : len;
    *start = *pos;
    *line = (span){buf + *pos, end - *pos};
    *pos = nl != NULL ? end + 1 : len;
    return true;
}

/* A line's path without leading and trailing '/'; empty for "", "/" and "/.". */
static span list_path(span line)
{
    while (line.len > 0 && line.p[0] == '/') {
        line.p++;
        line.len--;
    }
    while (line.len > 0 && line.p[line.len - 1] == '/')
        line.len--;
    if (line.len == 1 && line.p[0] == '.')
        line.len = 0;
    return line;
}

int dd_dpkg_owners_new(dd_dpkg_owners **out)
{
    *out = dd_calloc(1, sizeof(**out));
    return *out != NULL ? 0 : DD_ENOMEM;
}

int dd_dpkg_list_parse(const uint8_t *buf, size_t len, const char *pkg, dd_dpkg_owners *owners,
                       dd_err *err)
{
    size_t pos = 0, start, n_paths = 0;
    span line;
    int rc = 0;
    if (len == 0)
        return 0;
    /* first pass: a bad line rejects the whole list before anything is indexed */
    while (next_line(buf, len, &pos, &start, &line)) {
        if (line.len == 0)
            continue;
        if (line.p[0] != '/' || memchr(line.p, '\0', line.len) != NULL)
            return dd_err_set_at(err, DD_EINVALID, start,
                                 "dpkg: .list line at byte %zu is not an absolute path", start);
        n_paths++;
    }
    if (n_paths > DD_DPKG_OWNERS_MAX - owners->n)
        return dd_err_set(err, DD_ELIMIT, "dpkg: over %u indexed paths",
                          (unsigned)DD_DPKG_OWNERS_MAX);
    if ((rc = reserve(owners, n_paths)) != 0 || (rc = dd_strlist_push_str(&owners->pkgs, pkg)) != 0)
        return dd_err_set(err, rc, "dpkg: out of memory");
    pos = 0;
    while (next_line(buf, len, &pos, &start, &line)) {
        span p = list_path(line);
        if (p.len == 0)
            continue;
        size_t h = find_slot(owners, "", 0, (const char *)p.p, p.len);
        if (owners->slots[h] != 0)
            continue; /* first owner wins */
        owners->e[owners->n] = (owner_ent){(const char *)p.p, p.len, owners->pkgs.n - 1};
        owners->slots[h] = (uint32_t)++owners->n;
    }
    return 0;
}

/* var/lib/dpkg/info/NAME.list, directly in the directory. */
static int is_list_file(const char *path, size_t path_len)
{
    size_t dl = sizeof(DD_DPKG_INFO_DIR) - 1;
    if (path_len <= dl + 5 || memcmp(path, DD_DPKG_INFO_DIR, dl) != 0)
        return 0;
    if (memchr(path + dl, '/', path_len - dl) != NULL)
        return 0;
    return dd_path_has_ext(path, path_len, ".list");
}

/* "usr/DIR" or "/usr/DIR" (a trailing '/' allowed). */
static bool is_usr_link(const char *target, const char *dir)
{
    while (*target == '/')
        target++;
    size_t tl = strlen(target), dl = strlen(dir);
    while (tl > 0 && target[tl - 1] == '/')
        tl--;
    return tl == 4 + dl && memcmp(target, "usr/", 4) == 0 && memcmp(target + 4, dir, dl) == 0;
}

int dd_dpkg_owners_load(dd_dpkg_owners **out, const dd_rootfs *fs,
                        void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                        dd_err *err)
{
    dd_dpkg_owners *o = NULL;
    char *abs = NULL, *pkg = NULL, *msg = NULL;
    size_t dl = sizeof(DD_DPKG_INFO_DIR) - 1;
    int rc = dd_dpkg_owners_new(&o);
    *out = NULL;
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < N_MERGED; i++) {
        const char *t = dd_rootfs_symlink(fs, merged_dirs[i]);
        if (t != NULL && is_usr_link(t, merged_dirs[i]))
            o->merged |= 1u << i;
    }
    size_t n = dd_rootfs_count(fs);
    for (size_t i = dd_rootfs_lower_bound(fs, DD_DPKG_INFO_DIR); i < n; i++) {
        const dd_rfile *f = dd_rootfs_at(fs, i);
        size_t pl = strlen(f->path);
        if (pl < dl || memcmp(f->path, DD_DPKG_INFO_DIR, dl) != 0)
            break;
        if (!is_list_file(f->path, pl))
            continue;
        o->n_lists++;
        /* "NAME.list" or "NAME:ARCH.list" */
        const char *base = f->path + dl;
        size_t bl = pl - dl - 5;
        const char *colon = memchr(base, ':', bl);
        if ((abs = dd_asprintf("/%s", f->path)) == NULL ||
            (pkg = dd_strndup(base, colon != NULL ? (size_t)(colon - base) : bl)) == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        dd_err perr = DD_ERR_INIT;
        if (f->extracted || f->len > DD_DPKG_LIST_MAX) {
            msg = dd_asprintf("dpkg: %llu bytes, over the %u-byte .list limit: not read",
                              (unsigned long long)f->size, (unsigned)DD_DPKG_LIST_MAX);
            if (msg == NULL) {
                rc = DD_ENOMEM;
                goto out;
            }
        } else if (*pkg == '\0') {
            dd_err_set(&perr, DD_EINVALID, "dpkg: .list file without a package name");
        } else if ((rc = dd_dpkg_list_parse(f->data, f->len, pkg, o, &perr)) == DD_ENOMEM) {
            goto out;
        }
        rc = 0;
        if (warn != NULL && (msg != NULL || perr.code != 0))
            warn(warn_ctx, abs, msg != NULL ? msg : perr.msg);
        dd_free(msg);
        dd_free(abs);
        dd_free(pkg);
        msg = abs = pkg = NULL;
    }
    *out = o;
    o = NULL;
out:
    dd_free(msg);
    dd_free(abs);
    dd_free(pkg);
    dd_dpkg_owners_free(o);
    if (rc == DD_ENOMEM)
        dd_err_set(err, rc, "dpkg: out of memory");
    return rc;
}

const char *dd_dpkg_owners_find(const dd_dpkg_owners *owners, const char *path)
{
    if (owners == NULL || path == NULL)
        return NULL;
    while (*path == '/')
        path++;
    size_t len = strlen(path);
    while (len > 0 && path[len - 1] == '/')
        len--;
    const owner_ent *e = lookup(owners, "", 0, path, len);
    for (size_t i = 0; e == NULL && i < N_MERGED; i++) {
        if (!(owners->merged & (1u << i)))
            continue;
        const char *d = merged_dirs[i];
        size_t dl = strlen(d);
        if (len >= 4 + dl && memcmp(path, "usr/", 4) == 0 && memcmp(path + 4, d, dl) == 0 &&
            (len == 4 + dl || path[4 + dl] == '/'))
            e = lookup(owners, "", 0, path + 4, len - 4); /* usr/lib/x listed as /lib/x */
        else if (len >= dl && memcmp(path, d, dl) == 0 && (len == dl || path[dl] == '/'))
            e = lookup(owners, "usr/", 4, path, len); /* lib/x listed as /usr/lib/x */
    }
    return e != NULL ? owners->pkgs.items[e->pkg] : NULL;
}

size_t dd_dpkg_owners_n_lists(const dd_dpkg_owners *owners)
{
    return owners != NULL ? owners->n_lists : 0;
}

void dd_dpkg_owners_free(dd_dpkg_owners *owners)
{
    if (owners == NULL)
        return;
    dd_free(owners->e);
    dd_free(owners->slots);
    dd_strlist_free(&owners->pkgs);
    dd_free(owners);
}

/* ---- the cataloger ---- */

/* A .list over DD_DPKG_LIST_MAX: kept as an empty extracted file, so that the owners index can
 * report it skipped instead of failing the whole image at the file limit. */
static void *big_begin(const char *path, uint64_t size)
{
    (void)path;
    (void)size;
    static const char marker = 0;
    return (void *)&marker;
}

static int big_feed(void *state, const uint8_t *data, size_t len)
{
    (void)state;
    (void)data;
    (void)len;
    return 1;
}

static int big_end(void *state, uint8_t **out, size_t *out_len)
{
    (void)state;
    *out_len = 0;
    *out = dd_malloc(1);
    return *out != NULL ? 0 : DD_ENOMEM;
}

static const dd_extractor big_list = {big_begin, big_feed, big_end};

static dd_keep wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                     const dd_extractor **extractor)
{
    (void)mode;
    if (path_len == sizeof(STATUS_PATH) - 1 && memcmp(path, STATUS_PATH, path_len) == 0)
        return DD_KEEP_WHOLE;
    if (is_list_file(path, path_len)) {
        if (size <= DD_DPKG_LIST_MAX)
            return DD_KEEP_WHOLE;
        if (extractor == NULL)
            return DD_KEEP_NONE;
        *extractor = &big_list;
        return DD_KEEP_EXTRACT;
    }
    return is_status_d_file(path, path_len) ? DD_KEEP_WHOLE : DD_KEEP_NONE;
}

static int parse_file(const dd_rfile *f, dd_pkg_list *out,
                      void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                      dd_err *err)
{
    dd_err perr = DD_ERR_INIT;
    char *abs = dd_asprintf("/%s", f->path);
    if (abs == NULL)
        return dd_err_set(err, DD_ENOMEM, "dpkg: out of memory");
    int rc = dd_dpkg_parse(f->data, f->len, abs, f->layer, out, &perr);
    if (rc == DD_EINVALID) {
        if (warn != NULL)
            warn(warn_ctx, abs, perr.msg);
        rc = 0; /* the well-formed stanzas were kept */
    } else if (rc != 0) {
        *err = perr;
    }
    dd_free(abs);
    return rc;
}

static int catalog(const dd_rootfs *fs, dd_pkg_list *out,
                   void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                   dd_err *err)
{
    int rc = 0;
    dd_dpkg_owners *owners = NULL;
    const dd_rfile *status = dd_rootfs_get(fs, STATUS_PATH);
    if (status != NULL) {
        rc = parse_file(status, out, warn, warn_ctx, err);
        if (rc != 0)
            goto out;
    }
    size_t n = dd_rootfs_count(fs);
    for (size_t i = dd_rootfs_lower_bound(fs, STATUS_D_DIR); i < n; i++) {
        const dd_rfile *f = dd_rootfs_at(fs, i);
        size_t pl = strlen(f->path);
        if (pl < sizeof(STATUS_D_DIR) - 1 ||
            memcmp(f->path, STATUS_D_DIR, sizeof(STATUS_D_DIR) - 1) != 0)
            break;
        if (!is_status_d_file(f->path, pl))
            continue;
        rc = parse_file(f, out, warn, warn_ctx, err);
        if (rc != 0)
            goto out;
    }
    /* The catalogers that ask for owners load the index silently: bad .list files are reported
     * once, here. */
    if (warn != NULL && dd_rootfs_lower_bound(fs, DD_DPKG_INFO_DIR) < n)
        rc = dd_dpkg_owners_load(&owners, fs, warn, warn_ctx, err);
out:
    dd_dpkg_owners_free(owners);
    return rc;
}

const dd_cataloger dd_cataloger_dpkg = {"dpkg", wants, catalog};
