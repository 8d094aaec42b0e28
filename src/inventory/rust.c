/* The Rust cataloger: crates locked by Cargo.lock files, and crates compiled into binaries built
 * with cargo-auditable (their ".dep-v0" JSON kept by the shared ELF extractor, see elf.h).
 *
 * Cargo.lock is TOML, read here by a minimal hand-written reader: no TOML library is packaged
 * for the project's platform alongside its other dependencies, and Cargo writes a narrow subset
 * (tables, [[package]] arrays of tables, "key = value" with basic strings, integers and string
 * arrays, possibly spanning lines). Only name, version and source of [[package]] are read;
 * other values are skipped after checking their strings and brackets balance. */
#include "inventory/rust.h"
#include "inventory/catalog.h"
#include "inventory/elf.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <jansson.h>
#include <string.h>

static int move_pkgs(dd_pkg_list *to, dd_pkg_list *from)
{
    int rc = 0;
    for (size_t i = 0; i < from->n; i++)
        if (rc == 0)
            rc = dd_pkg_list_take(to, &from->items[i]);
    dd_pkg_list_free(from);
    return rc;
}

static int add_crate(dd_pkg_list *l, const char *name, const char *version, const char *path,
                     int layer, bool declared, bool dev)
{
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = DD_PKG_CARGO;
    p.layer = layer;
    p.declared_only = declared;
    p.dev = dev;
    p.name = dd_strdup(name);
    p.version = dd_strdup(version);
    if (p.name == NULL || p.version == NULL ||
        (path != NULL && dd_strlist_push_str(&p.paths, path) != 0)) {
        dd_pkg_clear(&p);
        return DD_ENOMEM;
    }
    return dd_pkg_list_take(l, &p);
}

/* ---- Cargo.lock ----------------------------------------------------------------------------- */

#define VALUE_MAX 4096 /* longest name, version or source kept */
#define NEST_MAX 32    /* deepest array nesting skipped */

typedef struct lex {
    const uint8_t *b;
    size_t len, off;
    dd_err *err;
} lex;

static void skip_blank(lex *x)
{
    while (x->off < x->len && (x->b[x->off] == ' ' || x->b[x->off] == '\t'))
        x->off++;
}

/* Skips blanks, newlines and comments (inside arrays). */
static void skip_space(lex *x)
{
    while (x->off < x->len) {
        uint8_t c = x->b[x->off];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            x->off++;
        } else if (c == '#') {
            while (x->off < x->len && x->b[x->off] != '\n')
                x->off++;
        } else {
            break;
        }
    }
}

/* After a value: blanks, an optional comment, then end of line or input. */
static int end_of_line(lex *x)
{
    skip_blank(x);
    if (x->off < x->len && x->b[x->off] == '#')
        while (x->off < x->len && x->b[x->off] != '\n')
            x->off++;
    if (x->off < x->len && x->b[x->off] == '\r')
        x->off++;
    if (x->off < x->len && x->b[x->off] != '\n')
        return dd_err_set_at(x->err, DD_EINVALID, x->off, "unexpected text after a value");
    if (x->off < x->len)
        x->off++;
    return 0;
}

/* Reads a basic ("...") or literal ('...') one-line string at x->off into out (when non-NULL). */
static int read_string(lex *x, dd_buf *out)
{
    size_t at = x->off;
    uint8_t q = x->b[x->off++];
    if (x->len - x->off >= 2 && x->b[x->off] == q && x->b[x->off + 1] == q)
        return dd_err_set_at(x->err, DD_EINVALID, at, "multi-line strings are not supported");
    while (x->off < x->len) {
        uint8_t c = x->b[x->off++];
        if (c == q)
            return 0;
        if (c == '\n' || c == '\0')
            break;
        if (c == '\\' && q == '"') {
            if (x->off >= x->len)
                break;
            c = x->b[x->off++];
            if (c != '"' && c != '\\')
                return dd_err_set_at(x->err, DD_EINVALID, x->off - 2,
                                     "unsupported escape in a string");
        }
        if (out != NULL) {
            int rc = dd_buf_append(out, &c, 1);
            if (rc == DD_ELIMIT)
                return dd_err_set_at(x->err, DD_EINVALID, at, "string too long");
            if (rc != 0)
                return rc;
        }
    }
    return dd_err_set_at(x->err, DD_EINVALID, at, "unterminated string");
}

/* Skips a value that is not kept: a string, an array (any depth, any lines) or a bare token
 * (integer, boolean). */
static int skip_value(lex *x)
{
    int depth = 0;
    size_t at = x->off;
    do {
        if (depth > 0)
            skip_space(x);
        if (x->off >= x->len)
            return dd_err_set_at(x->err, DD_EINVALID, at, "value not closed");
        uint8_t c = x->b[x->off];
        if (c == '"' || c == '\'') {
            int rc = read_string(x, NULL);
            if (rc != 0)
                return rc;
        } else if (c == '[') {
            if (++depth > NEST_MAX)
                return dd_err_set_at(x->err, DD_EINVALID, x->off, "arrays nested too deep");
            x->off++;
        } else if (c == ']' && depth > 0) {
            depth--;
            x->off++;
        } else if (c == ',' && depth > 0) {
            x->off++;
        } else if (c == '{') {
            return dd_err_set_at(x->err, DD_EINVALID, x->off, "inline tables are not supported");
        } else {
            size_t s = x->off;
            while (x->off < x->len && x->b[x->off] != ',' && x->b[x->off] != ']' &&
                   x->b[x->off] != ' ' && x->b[x->off] != '\t' && x->b[x->off] != '\r' &&
                   x->b[x->off] != '\n' && x->b[x->off] != '#')
                x->off++;
            if (x->off == s)
                return dd_err_set_at(x->err, DD_EINVALID, s, "bad value");
        }
    } while (depth > 0);
    return 0;
}

typedef struct crate {
    dd_buf name, version, source;
    int have_name, have_version, have_source;
    size_t at; /* offset of its [[package]] header */
} crate;

static void crate_reset(crate *c)
{
    dd_buf_reset(&c->name);
    dd_buf_reset(&c->version);
    dd_buf_reset(&c->source);
    c->have_name = c->have_version = c->have_source = 0;
}

static int crate_flush(crate *c, int open, const char *path, int layer, dd_pkg_list *l, dd_err *err)
{
    if (!open)
        return 0;
    if (!c->have_name || !c->have_version || c->name.len == 0 || c->version.len == 0)
        return dd_err_set_at(err, DD_EINVALID, c->at, "[[package]] without name or version");
    int rc = 0;
    if (c->have_source && c->source.len > 0)
        rc = add_crate(l, c->name.data, c->version.data, path, layer, true, false);
    crate_reset(c);
    return rc;
}

int dd_cargo_parse_lock(const uint8_t *buf, size_t len, const char *path, int layer,
                        dd_pkg_list *out, dd_err *err)
{
    int rc = 0, in_pkg = 0;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    crate c;
    memset(&c, 0, sizeof(c));
    dd_buf_init(&c.name, VALUE_MAX);
    dd_buf_init(&c.version, VALUE_MAX);
    dd_buf_init(&c.source, VALUE_MAX);
    lex x = {buf, len, 0, err};
    while (rc == 0 && x.off < len) {
        skip_space(&x);
        if (x.off >= len)
            break;
        size_t at = x.off;
        if (buf[x.off] == '[') {
            /* A table header: [[package]] opens a crate; anything else closes it. */
            const uint8_t *nl = memchr(buf + x.off, '\n', len - x.off);
            size_t e = nl ? (size_t)(nl - buf) : len;
            size_t ll = e - x.off;
            while (ll > 0 && (buf[x.off + ll - 1] == '\r' || buf[x.off + ll - 1] == ' '))
                ll--;
            if ((rc = crate_flush(&c, in_pkg, path, layer, &l, err)) != 0)
                break;
            in_pkg = ll == 11 && memcmp(buf + x.off, "[[package]]", 11) == 0;
            if (!in_pkg && (ll < 2 || buf[x.off + ll - 1] != ']'))
                rc = dd_err_set_at(err, DD_EINVALID, at, "bad table header");
            c.at = at;
            x.off = e;
            continue;
        }
        /* key = value */
        size_t ks = x.off;
        dd_buf *keep = NULL;
        int *have = NULL;
        if (buf[x.off] == '"') {
            if ((rc = read_string(&x, NULL)) != 0) /* quoted key ([metadata] checksums) */
                break;
        } else {
            while (x.off < len && (buf[x.off] == '_' || buf[x.off] == '-' ||
                                   (buf[x.off] >= 'a' && buf[x.off] <= 'z') ||
                                   (buf[x.off] >= 'A' && buf[x.off] <= 'Z') ||
                                   (buf[x.off] >= '0' && buf[x.off] <= '9')))
                x.off++;
            size_t kl = x.off - ks;
            if (kl == 0) {
                rc = dd_err_set_at(err, DD_EINVALID, at, "expected a key");
                break;
            }
            if (in_pkg && kl == 4 && memcmp(buf + ks, "name", 4) == 0)
                keep = &c.name, have = &c.have_name;
            else if (in_pkg && kl == 7 && memcmp(buf + ks, "version", 7) == 0)
                keep = &c.version, have = &c.have_version;
            else if (in_pkg && kl == 6 && memcmp(buf + ks, "source", 6) == 0)
                keep = &c.source, have = &c.have_source;
        }
        skip_blank(&x);
        if (x.off >= len || buf[x.off] != '=') {
            rc = dd_err_set_at(err, DD_EINVALID, x.off, "expected '='");
            break;
        }
        x.off++;
        skip_blank(&x);
        if (keep != NULL) {
            if (x.off >= len || (buf[x.off] != '"' && buf[x.off] != '\'')) {
                rc = dd_err_set_at(err, DD_EINVALID, x.off, "expected a string");
                break;
            }
            if (*have) {
                rc = dd_err_set_at(err, DD_EINVALID, ks, "duplicate key");
                break;
            }
            dd_buf_reset(keep);
            if ((rc = read_string(&x, keep)) != 0)
                break;
            *have = 1;
        } else if ((rc = skip_value(&x)) != 0) {
            break;
        }
        rc = end_of_line(&x);
    }
    if (rc == 0)
        rc = crate_flush(&c, in_pkg, path, layer, &l, err);
    dd_buf_free(&c.name);
    dd_buf_free(&c.version);
    dd_buf_free(&c.source);
    if (rc == 0)
        return move_pkgs(out, &l);
    dd_pkg_list_free(&l);
    return rc;
}

/* ---- cargo-auditable ------------------------------------------------------------------------ */

int dd_cargo_parse_auditable(const uint8_t *buf, size_t len, const char *path, int layer,
                             dd_pkg_list *out, dd_err *err)
{
    int rc = 0;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    json_error_t je;
    json_t *root = json_loadb((const char *)buf, len, 0, &je);
    if (root == NULL) {
        rc = dd_err_set_at(err, DD_EINVALID, je.position > 0 ? (size_t)je.position : 0, "JSON: %s",
                           je.text);
        goto out;
    }
    json_t *pkgs = json_object_get(root, "packages");
    if (!json_is_array(pkgs)) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "no \"packages\" array");
        goto out;
    }
    size_t i;
    json_t *p;
    json_array_foreach(pkgs, i, p)
    {
        const char *name = json_string_value(json_object_get(p, "name"));
        const char *version = json_string_value(json_object_get(p, "version"));
        const char *source = json_string_value(json_object_get(p, "source"));
        const char *kind = json_string_value(json_object_get(p, "kind"));
        if (name == NULL || version == NULL || name[0] == '\0' || version[0] == '\0') {
            rc = dd_err_set_at(err, DD_EINVALID, 0, "package %zu without name or version", i);
            goto out;
        }
        if (source != NULL && strcmp(source, "local") == 0)
            continue;
        bool build = kind != NULL && strcmp(kind, "build") == 0;
        if ((rc = add_crate(&l, name, version, path, layer, false, build)) != 0)
            goto out;
    }
out:
    json_decref(root);
    if (rc == 0)
        return move_pkgs(out, &l);
    dd_pkg_list_free(&l);
    return rc;
}

/* ---- cataloger ------------------------------------------------------------------------------ */

static int is_lock(const char *path, size_t len)
{
    return dd_path_has_suffix(path, len, "/Cargo.lock");
}

static dd_keep rust_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                          const dd_extractor **extractor)
{
    if (is_lock(path, path_len))
        return DD_KEEP_WHOLE;
    return dd_elf_wants(path, path_len, mode, size, extractor);
}

static int rust_catalog(const dd_rootfs *fs, dd_pkg_list *out,
                        void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                        dd_err *err)
{
    return dd_elf_catalog(fs, DD_ELF_REC_CARGO, is_lock, dd_cargo_parse_lock,
                          dd_cargo_parse_auditable, out, warn, warn_ctx, err);
}

const dd_cataloger dd_cataloger_rust = {"rust", rust_wants, rust_catalog};
