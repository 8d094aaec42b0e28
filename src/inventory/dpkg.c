/* The dpkg cataloger: installed Debian and Ubuntu packages from var/lib/dpkg/status and from the
 * per-package stanza files that distroless images keep in var/lib/dpkg/status.d/.
 *
 * The status file is deb822 (RFC 822-like stanzas). The only C parser of it, libdpkg, is a static
 * library bound to dpkg's in-memory database and aborts on bad input, so this small line-based
 * format is parsed by hand here, over spans of the input (no NUL terminator assumed). */
#include "inventory/dpkg.h"
#include "inventory/catalog.h"
#include "util/alloc.h"

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

static dd_keep wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                     const dd_extractor **extractor)
{
    (void)mode;
    (void)size;
    (void)extractor;
    if (path_len == sizeof(STATUS_PATH) - 1 && memcmp(path, STATUS_PATH, path_len) == 0)
        return DD_KEEP_WHOLE;
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
out:
    return rc;
}

const dd_cataloger dd_cataloger_dpkg = {"dpkg", wants, catalog};
