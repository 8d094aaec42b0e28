/* The apk cataloger: installed Alpine (and Wolfi, Chainguard) packages from lib/apk/db/installed.
 *
 * The database is a small line-based text format ("X:value" lines in blank-line separated
 * stanzas, see apk-tools' apk_db_index_read); apk-tools ships no library to read it, so it is
 * parsed by hand here, over spans of the input (no NUL terminator assumed). */
#include "inventory/apk.h"
#include "inventory/catalog.h"
#include "util/alloc.h"

#include <string.h>

#define INSTALLED_PATH "lib/apk/db/installed"

typedef struct span {
    const uint8_t *p;
    size_t len;
} span;

/* The fields of one stanza we use (first occurrence wins). */
typedef struct stanza {
    span name, version, arch, origin, license;
} stanza;

static char *span_dup(span s)
{
    return dd_strndup((const char *)s.p, s.len);
}

/* NULL when the field is absent or empty; sets *nomem on allocation failure. */
static char *opt_dup(span s, int *nomem)
{
    if (s.len == 0)
        return NULL;
    char *c = span_dup(s);
    if (c == NULL)
        *nomem = 1;
    return c;
}

static int emit(const stanza *st, const char *path, int layer, dd_pkg_list *out)
{
    if (st->name.len == 0 || st->version.len == 0)
        return 0;
    int nomem = 0;
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = DD_PKG_APK;
    p.layer = layer;
    p.name = opt_dup(st->name, &nomem);
    p.version = opt_dup(st->version, &nomem);
    p.arch = opt_dup(st->arch, &nomem);
    p.source_name = opt_dup(st->origin, &nomem);
    p.license = opt_dup(st->license, &nomem);
    if (nomem || (path != NULL && dd_strlist_push_str(&p.paths, path) != 0)) {
        dd_pkg_clear(&p);
        return DD_ENOMEM;
    }
    return dd_pkg_list_take(out, &p);
}

int dd_apk_parse(const uint8_t *buf, size_t len, const char *path, int layer, dd_pkg_list *out,
                 dd_err *err)
{
    int rc = 0, bad = 0;
    stanza st;
    memset(&st, 0, sizeof(st));
    size_t off = 0;
    while (off < len) {
        size_t start = off;
        const uint8_t *nl = memchr(buf + off, '\n', len - off);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        off = nl != NULL ? end + 1 : len;
        span line = {buf + start, end - start};
        if (line.len > 0 && line.p[line.len - 1] == '\r')
            line.len--;
        if (line.len == 0) {
            rc = emit(&st, path, layer, out);
            if (rc != 0)
                goto out;
            memset(&st, 0, sizeof(st));
            continue;
        }
        /* a NUL byte would cut the strings we copy: the line is malformed */
        if (line.len < 2 || line.p[1] != ':' || memchr(line.p, '\0', line.len) != NULL) {
            if (!bad)
                dd_err_set_at(err, DD_EINVALID, start, "apk: line at byte %zu is not \"X:value\"",
                              start);
            bad = 1;
            continue;
        }
        span value = {line.p + 2, line.len - 2};
        span *dst = NULL;
        switch (line.p[0]) {
        case 'P':
            dst = &st.name;
            break;
        case 'V':
            dst = &st.version;
            break;
        case 'A':
            dst = &st.arch;
            break;
        case 'o':
            dst = &st.origin;
            break;
        case 'L':
            dst = &st.license;
            break;
        default:
            break;
        }
        if (dst != NULL && dst->p == NULL)
            *dst = value;
    }
    rc = emit(&st, path, layer, out);
    if (rc == 0 && bad)
        rc = DD_EINVALID;
out:
    if (rc == DD_ENOMEM)
        dd_err_set(err, rc, "apk: out of memory");
    return rc;
}

static dd_keep wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                     const dd_extractor **extractor)
{
    (void)mode;
    (void)size;
    (void)extractor;
    return path_len == sizeof(INSTALLED_PATH) - 1 && memcmp(path, INSTALLED_PATH, path_len) == 0
               ? DD_KEEP_WHOLE
               : DD_KEEP_NONE;
}

static int catalog(const dd_rootfs *fs, dd_pkg_list *out,
                   void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                   dd_err *err)
{
    const dd_rfile *f = dd_rootfs_get(fs, INSTALLED_PATH);
    if (f == NULL)
        return 0;
    dd_err perr = DD_ERR_INIT;
    char *abs = dd_asprintf("/%s", f->path);
    if (abs == NULL)
        return dd_err_set(err, DD_ENOMEM, "apk: out of memory");
    int rc = dd_apk_parse(f->data, f->len, abs, f->layer, out, &perr);
    if (rc == DD_EINVALID) {
        if (warn != NULL)
            warn(warn_ctx, abs, perr.msg);
        rc = 0; /* the packages were kept */
    } else if (rc != 0) {
        *err = perr;
    }
    dd_free(abs);
    return rc;
}

const dd_cataloger dd_cataloger_apk = {"apk", wants, catalog};
