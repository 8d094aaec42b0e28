/* The Go cataloger: modules compiled into Go binaries (build info kept by the shared ELF
 * extractor, see elf.h) and modules required by go.mod files.
 *
 * go.mod is read by hand: it is a small line-based format (Go's modfile grammar) for which no C
 * library exists; only module, require and replace matter here, other directives are skipped. */
#include "inventory/go.h"
#include "inventory/catalog.h"
#include "inventory/elf.h"
#include "util/alloc.h"

#include <string.h>

typedef struct span {
    const char *p;
    size_t n;
} span;

static const uint8_t go_magic[14] = {0xff, ' ', 'G', 'o', ' ', 'b', 'u',
                                     'i',  'l', 'd', 'i', 'n', 'f', ':'};
#define GO_HDR 32u
#define SENTINEL 16u

static int span_eq(span a, const char *s)
{
    size_t n = strlen(s);
    return a.n == n && memcmp(a.p, s, n) == 0;
}

static int span_same(span a, span b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Moves every package of from to the end of to (to takes ownership). */
static int move_pkgs(dd_pkg_list *to, dd_pkg_list *from)
{
    int rc = 0;
    for (size_t i = 0; i < from->n; i++)
        if (rc == 0)
            rc = dd_pkg_list_take(to, &from->items[i]);
    dd_pkg_list_free(from);
    return rc;
}

static int add_pkg(dd_pkg_list *l, dd_pkg_type type, span name, span version, const char *path,
                   int layer, bool declared)
{
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = type;
    p.layer = layer;
    p.declared_only = declared;
    p.name = dd_strndup(name.p, name.n);
    p.version = dd_strndup(version.p, version.n);
    if (p.name == NULL || p.version == NULL ||
        (path != NULL && dd_strlist_push_str(&p.paths, path) != 0)) {
        dd_pkg_clear(&p);
        return DD_ENOMEM;
    }
    return dd_pkg_list_take(l, &p);
}

/* ---- build info ----------------------------------------------------------------------------- */

static int read_uvarint(const uint8_t *b, size_t len, size_t *off, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*off >= len)
            return -1;
        uint8_t c = b[(*off)++];
        v |= (uint64_t)(c & 0x7f) << shift;
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

static int read_string(const uint8_t *b, size_t len, size_t *off, span *out, dd_err *err)
{
    size_t at = *off;
    uint64_t n;
    if (read_uvarint(b, len, off, &n) != 0 || n > len - *off)
        return dd_err_set_at(err, DD_EINVALID, at, "build info string runs past the end");
    out->p = (const char *)b + *off;
    out->n = (size_t)n;
    *off += (size_t)n;
    return 0;
}

/* Splits line into tab-separated fields; returns how many (at most max). */
static size_t split_tabs(span line, span *f, size_t max)
{
    size_t n = 0;
    const char *p = line.p, *end = line.p + line.n;
    while (n < max) {
        const char *t = memchr(p, '\t', (size_t)(end - p));
        f[n++] = (span){p, (size_t)((t ? t : end) - p)};
        if (t == NULL)
            break;
        p = t + 1;
    }
    return n;
}

static int is_local_path(span p)
{
    return p.n > 0 && (p.p[0] == '.' || p.p[0] == '/');
}

/* Parses the modinfo lines (between the sentinels) into l. */
static int parse_modinfo(span mod, size_t base, const char *path, int layer, dd_pkg_list *l,
                         dd_err *err)
{
    int rc = 0;
    span prev_name = {NULL, 0};
    int have_prev = 0;
    size_t off = 0;
    while (off < mod.n) {
        const char *nl = memchr(mod.p + off, '\n', mod.n - off);
        span line = {mod.p + off, (size_t)((nl ? nl : mod.p + mod.n) - (mod.p + off))};
        size_t at = base + off;
        off += line.n + (nl != NULL);
        span f[5];
        size_t nf = split_tabs(line, f, 5);
        int is_mod = span_eq(f[0], "mod"), is_dep = span_eq(f[0], "dep");
        int is_repl = span_eq(f[0], "=>");
        if (!is_mod && !is_dep && !is_repl)
            continue; /* path, build and unknown lines */
        if (nf < 3 || f[1].n == 0)
            return dd_err_set_at(err, DD_EINVALID, at, "invalid module line");
        if (memchr(line.p, '\0', line.n) != NULL)
            return dd_err_set_at(err, DD_EINVALID, at, "NUL byte in a module line");
        if (is_repl) {
            if (!have_prev)
                return dd_err_set_at(err, DD_EINVALID, at, "replacement without a module");
            dd_pkg *p = &l->items[l->n - 1];
            char *name = is_local_path(f[1]) ? dd_strndup(prev_name.p, prev_name.n)
                                             : dd_strndup(f[1].p, f[1].n);
            char *version = dd_strndup(f[2].p, f[2].n);
            if (name == NULL || version == NULL) {
                dd_free(name);
                dd_free(version);
                return DD_ENOMEM;
            }
            dd_free(p->name);
            dd_free(p->version);
            p->name = name;
            p->version = version;
            have_prev = 0; /* one replacement per module */
            continue;
        }
        if ((rc = add_pkg(l, DD_PKG_GOBINARY, f[1], f[2], path, layer, false)) != 0)
            return rc;
        prev_name = f[1];
        have_prev = 1;
    }
    return 0;
}

int dd_go_parse_buildinfo(const uint8_t *buf, size_t len, const char *path, int layer,
                          dd_pkg_list *out, dd_err *err)
{
    int rc = 0;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    static const span stdlib = {"stdlib", 6};
    if (len < GO_HDR || memcmp(buf, go_magic, sizeof(go_magic)) != 0) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "not Go build info (magic)");
        goto out;
    }
    if (buf[14] != 4 && buf[14] != 8) {
        rc = dd_err_set_at(err, DD_EINVALID, 14, "bad pointer size %u", buf[14]);
        goto out;
    }
    if (!(buf[15] & 2)) {
        /* Pointer format (Go < 1.18): the strings live in the data segment, not kept. */
        rc = add_pkg(&l, DD_PKG_GOBINARY, stdlib, (span){"", 0}, path, layer, false);
        goto out;
    }
    size_t off = GO_HDR;
    span version, mod;
    if ((rc = read_string(buf, len, &off, &version, err)) != 0)
        goto out;
    size_t mod_at = off;
    if ((rc = read_string(buf, len, &off, &mod, err)) != 0)
        goto out;
    if (memchr(version.p, '\0', version.n) != NULL) {
        rc = dd_err_set_at(err, DD_EINVALID, GO_HDR, "NUL byte in the Go version");
        goto out;
    }
    /* As debug/buildinfo: modinfo is framed by 16-byte sentinels, the last line ends in '\n'. */
    if (mod.n >= 2 * SENTINEL + 1 && mod.p[mod.n - SENTINEL - 1] == '\n') {
        mod.p += SENTINEL;
        mod.n -= 2 * SENTINEL;
        if ((rc = parse_modinfo(mod, mod_at + SENTINEL, path, layer, &l, err)) != 0)
            goto out;
    }
    if (version.n > 0)
        rc = add_pkg(&l, DD_PKG_GOBINARY, stdlib, version, path, layer, false);
out:
    if (rc == 0)
        return move_pkgs(out, &l);
    dd_pkg_list_free(&l);
    return rc;
}

/* ---- go.mod --------------------------------------------------------------------------------- */

typedef struct req {
    span path, version;
} req;

typedef struct repl {
    span old, old_version, new, new_version; /* new_version.n == 0: a local directory */
} repl;

typedef struct modfile {
    req *reqs;
    size_t n_reqs, cap_reqs;
    repl *repls;
    size_t n_repls, cap_repls;
} modfile;

static int grow(void **items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = dd_reallocarray(*items, c, size);
    if (p == NULL)
        return DD_ENOMEM;
    *items = p;
    *cap = c;
    return 0;
}

/* Splits a go.mod line (comment already cut) into tokens: runs of non-space, "quoted" or
 * `raw` strings (quotes dropped; escapes are not interpreted: module paths have none). Returns
 * the count, or -1 on an unterminated quote; at most max tokens are stored, more are counted. */
static int tokenize(span line, span *tok, int max)
{
    int n = 0;
    size_t i = 0;
    while (i < line.n) {
        char c = line.p[i];
        if (c == ' ' || c == '\t' || c == '\r') {
            i++;
            continue;
        }
        span t;
        if (c == '"' || c == '`') {
            const char *q = memchr(line.p + i + 1, c, line.n - i - 1);
            if (q == NULL)
                return -1;
            t = (span){line.p + i + 1, (size_t)(q - (line.p + i + 1))};
            i = (size_t)(q - line.p) + 1;
        } else {
            size_t j = i;
            while (j < line.n && line.p[j] != ' ' && line.p[j] != '\t' && line.p[j] != '\r')
                j++;
            t = (span){line.p + i, j - i};
            i = j;
        }
        if (n < max)
            tok[n] = t;
        n++;
    }
    return n;
}

/* Cuts a "//" comment (outside quotes) off line. */
static span cut_comment(span line)
{
    char quote = 0;
    for (size_t i = 0; i < line.n; i++) {
        char c = line.p[i];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '`') {
            quote = c;
        } else if (c == '/' && i + 1 < line.n && line.p[i + 1] == '/') {
            return (span){line.p, i};
        }
    }
    return line;
}

static int add_directive(modfile *m, span verb, span *tok, int n, size_t at, dd_err *err)
{
    if (span_eq(verb, "require")) {
        if (n != 2)
            return dd_err_set_at(err, DD_EINVALID, at, "require: want path and version");
        if (grow((void **)&m->reqs, &m->cap_reqs, m->n_reqs, sizeof(*m->reqs)) != 0)
            return DD_ENOMEM;
        m->reqs[m->n_reqs++] = (req){tok[0], tok[1]};
        return 0;
    }
    if (span_eq(verb, "replace")) {
        int arrow = n >= 2 && span_eq(tok[1], "=>") ? 1 : n >= 3 && span_eq(tok[2], "=>") ? 2 : 0;
        int rest = n - arrow - 1;
        if (arrow == 0 || rest < 1 || rest > 2)
            return dd_err_set_at(err, DD_EINVALID, at,
                                 "replace: want old [version] => new [version]");
        if (grow((void **)&m->repls, &m->cap_repls, m->n_repls, sizeof(*m->repls)) != 0)
            return DD_ENOMEM;
        repl r = {tok[0], {NULL, 0}, tok[arrow + 1], {NULL, 0}};
        if (arrow == 2)
            r.old_version = tok[1];
        if (rest == 2)
            r.new_version = tok[arrow + 2];
        m->repls[m->n_repls++] = r;
        return 0;
    }
    return 0; /* module, go, toolchain, exclude, retract, godebug, tool, ...: not needed */
}

static int parse_modfile(modfile *m, const uint8_t *buf, size_t len, dd_err *err)
{
    span block = {NULL, 0}; /* the verb of the open "verb (" block */
    int in_block = 0;
    size_t off = 0, block_at = 0;
    while (off < len) {
        const char *s = (const char *)buf + off;
        const char *nl = memchr(s, '\n', len - off);
        span line = {s, (size_t)((nl ? nl : (const char *)buf + len) - s)};
        size_t at = off;
        off += line.n + (nl != NULL);
        if (memchr(line.p, '\0', line.n) != NULL)
            return dd_err_set_at(err, DD_EINVALID, at, "NUL byte");
        span tok[8];
        int n = tokenize(cut_comment(line), tok, 8);
        if (n < 0)
            return dd_err_set_at(err, DD_EINVALID, at, "unterminated string");
        if (n == 0)
            continue;
        if (n > 8)
            return dd_err_set_at(err, DD_EINVALID, at, "too many fields");
        if (in_block) {
            if (n == 1 && span_eq(tok[0], ")")) {
                in_block = 0;
                continue;
            }
            int rc = add_directive(m, block, tok, n, at, err);
            if (rc != 0)
                return rc;
            continue;
        }
        if (n == 2 && span_eq(tok[1], "(")) {
            block = tok[0];
            in_block = 1;
            block_at = at;
            continue;
        }
        int rc = add_directive(m, tok[0], tok + 1, n - 1, at, err);
        if (rc != 0)
            return rc;
    }
    if (in_block)
        return dd_err_set_at(err, DD_EINVALID, block_at, "block not closed");
    return 0;
}

int dd_go_parse_mod(const uint8_t *buf, size_t len, const char *path, int layer, dd_pkg_list *out,
                    dd_err *err)
{
    int rc = 0;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    modfile m;
    memset(&m, 0, sizeof(m));
    if ((rc = parse_modfile(&m, buf, len, err)) != 0)
        goto out;
    for (size_t i = 0; i < m.n_reqs; i++) {
        req r = m.reqs[i];
        const repl *hit = NULL;
        for (size_t j = 0; j < m.n_repls; j++) {
            const repl *c = &m.repls[j];
            if (!span_same(c->old, r.path))
                continue;
            if (c->old_version.n > 0 && span_same(c->old_version, r.version)) {
                hit = c; /* version-specific wins */
                break;
            }
            if (c->old_version.n == 0)
                hit = c;
        }
        if (hit != NULL) {
            if (hit->new_version.n == 0)
                continue; /* replaced by a local directory */
            r.path = hit->new;
            r.version = hit->new_version;
        }
        if ((rc = add_pkg(&l, DD_PKG_GOMOD, r.path, r.version, path, layer, true)) != 0)
            goto out;
    }
out:
    dd_free(m.reqs);
    dd_free(m.repls);
    if (rc == 0)
        return move_pkgs(out, &l);
    dd_pkg_list_free(&l);
    return rc;
}

/* ---- cataloger ------------------------------------------------------------------------------ */

/* go.mod files, except in vendored trees and the module cache (those are dependencies' own). */
static int is_gomod(const char *path, size_t len)
{
    if (!dd_path_has_suffix(path, len, "/go.mod"))
        return 0;
    if (strncmp(path, "vendor/", 7) == 0 || strstr(path, "/vendor/") != NULL)
        return 0;
    return strncmp(path, "pkg/mod/", 8) != 0 && strstr(path, "/pkg/mod/") == NULL;
}

static dd_keep go_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                        const dd_extractor **extractor)
{
    if (is_gomod(path, path_len))
        return DD_KEEP_WHOLE;
    return dd_elf_wants(path, path_len, mode, size, extractor);
}

static int go_catalog(const dd_rootfs *fs, dd_pkg_list *out,
                      void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                      dd_err *err)
{
    return dd_elf_catalog(fs, DD_ELF_REC_GO, is_gomod, dd_go_parse_mod, dd_go_parse_buildinfo, out,
                          warn, warn_ctx, err);
}

const dd_cataloger dd_cataloger_go = {"go", go_wants, go_catalog};
