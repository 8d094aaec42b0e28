/* Importer for the RustSec advisory database in its native format (rustsec/advisory-db
 * crates/<crate>/RUSTSEC-YYYY-NNNN.md): a Markdown file that opens with a ```toml fenced block
 * holding the [advisory] and [versions] tables (and [affected], ignored here), followed by a
 * "# Title" line and the description.
 *
 * The front matter is TOML, read by the small reader below: Debian 12 packages no C TOML
 * library (only C++ ones: libtoml11-dev, libtomlplusplus-dev, libcpptoml-dev), and the Cargo.lock
 * reader in src/inventory/rust.c keeps its lexer private (and vulndb must not depend on
 * inventory), so its approach is repeated here: table headers, "key = value" lines with basic
 * or literal one-line strings and string arrays (which may span lines); every other value
 * (inline tables, numbers, booleans, nested arrays) is skipped after checking that its strings
 * and brackets balance. Multi-line strings are rejected (the database never uses them).
 *
 * Mapping: id = the RUSTSEC id; aliases and related as listed; summary = the Markdown title,
 * details = the text after it; published = date; withdrawn; cvss as a CVSS v3 (or v4) severity;
 * references = url then references. One affected entry, ecosystem "crates.io", package as
 * given, with one OSV SEMVER range computed from the patched and unaffected requirement lists:
 * the affected versions are those that match none of the requirements.
 *
 * Requirements are Cargo's (doc.rust-lang.org/cargo/reference/specifying-dependencies.html):
 * comparators >=, >, <, <=, =, ^ (also no operator), ~ and the wildcards *, I.*, I.J.*, joined
 * by commas (AND). Each requirement becomes a half-open interval [lo, hi) in SemVer precedence
 * order (dd_vers_semver_cmp), which makes the complement exact as OSV "introduced"/"fixed" pairs:
 * - partial versions expand to Cargo's documented equivalents (">= 1.2" is ">= 1.2.0",
 *   "> 1.2" is ">= 1.3.0", "<= 1.2" is "< 1.3.0", "=1.2" is ">= 1.2.0, < 1.3.0");
 * - upper bounds that Cargo derives by incrementing (^, ~, =I.J, <=I.J, wildcards) get the lowest
 *   pre-release "-0", as rustsec's own OSV export does, so "^1.2.3" is [1.2.3, 2.0.0-0) and does
 *   not cover 2.0.0-alpha;
 * - an inclusive upper bound or exclusive lower bound on a full version v uses v's immediate
 *   successor in SemVer order: 1.2.3 -> 1.2.4-0, 1.2.3-rc.1 -> 1.2.3-rc.1.0. So "<= 1.2.3" is
 *   [.., 1.2.4-0) and "> 1.2.3" is [1.2.4-0, ..), with nothing between 1.2.3 and 1.2.4-0;
 * - versions are ordered by plain SemVer precedence: Cargo's rule that a requirement matches a
 *   pre-release only when one of its comparators names that same major.minor.patch with a
 *   pre-release is not applied (as in rustsec's OSV export), so "< 1.0.0" covers 1.0.0-alpha.
 *
 * Advisories of the database's rust/ folder (the toolchain: package "std", "cargo", "rustdoc")
 * have CVE ids and no crates.io package; they are skipped with a warning (only ids starting with
 * "RUSTSEC-" are imported). Informational advisories ("unmaintained", "unsound", "notice") are
 * imported like the others. */
#include "vulndb/import.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/utf8.h"
#include "version/version.h"

#include <string.h>

#define FIELD_MAX (64u * 1024u) /* longest TOML string kept */
#define ARRAY_MAX 256           /* strings per kept array */
#define NEST_MAX 32             /* deepest nesting of skipped arrays and inline tables */
#define JSON_OUT_MAX (64u * 1024u)
#define VER_MAX 160  /* longest version built from a requirement */
#define NUM_MAX 20   /* digits of a version number */
#define PARTS_MAX 8  /* comparators per requirement */
#define URL_MAX 2048 /* longest reference kept */
#define ID_MAX 64    /* longest id or alias */
#define CRATE_MAX 64 /* crates.io name limit */
#define TITLE_MAX 4096

/* ---- minimal TOML ---------------------------------------------------------------------------
 */

typedef struct lex {
    const uint8_t *b; /* the whole file; offsets in errors are file offsets */
    size_t len;       /* end of the front matter */
    size_t off;
    dd_err *err;
} lex;

static int bad(lex *x, size_t at, const char *what)
{
    return dd_err_set_at(x->err, DD_EINVALID, at, "rustsec: TOML: %s", what);
}

static void skip_blank(lex *x)
{
    while (x->off < x->len && (x->b[x->off] == ' ' || x->b[x->off] == '\t'))
        x->off++;
}

/* Skips blanks, newlines and comments (inside arrays and inline tables). */
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

/* After a value or header: blanks, an optional comment, then end of line or of the block. */
static int end_of_line(lex *x)
{
    skip_blank(x);
    if (x->off < x->len && x->b[x->off] == '#')
        while (x->off < x->len && x->b[x->off] != '\n')
            x->off++;
    if (x->off < x->len && x->b[x->off] == '\r')
        x->off++;
    if (x->off < x->len && x->b[x->off] != '\n')
        return bad(x, x->off, "unexpected text after a value");
    if (x->off < x->len)
        x->off++;
    return 0;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Appends code point cp as UTF-8; 0 when cp is not a scalar value (or is NUL). */
static int put_utf8(uint8_t out[4], size_t *n, unsigned long cp)
{
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        *n = 1;
    } else if (cp < 0x800) {
        out[0] = (uint8_t)(0xC0 | (cp >> 6));
        out[1] = (uint8_t)(0x80 | (cp & 0x3F));
        *n = 2;
    } else if (cp < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (cp >> 12));
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (cp & 0x3F));
        *n = 3;
    } else {
        out[0] = (uint8_t)(0xF0 | (cp >> 18));
        out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (uint8_t)(0x80 | (cp & 0x3F));
        *n = 4;
    }
    return 1;
}

/* Reads a basic ("...", with TOML escapes) or literal ('...') one-line string at x->off into out
 * (when non-NULL; its maximum is FIELD_MAX). */
static int read_string(lex *x, dd_buf *out)
{
    size_t at = x->off;
    uint8_t q = x->b[x->off++];
    if (x->len - x->off >= 2 && x->b[x->off] == q && x->b[x->off + 1] == q)
        return bad(x, at, "multi-line strings are not supported");
    while (x->off < x->len) {
        uint8_t c = x->b[x->off++], enc[4];
        size_t n = 1;
        enc[0] = c;
        if (c == q)
            return 0;
        if (c == '\n' || c == '\r' || (c < 0x20 && c != '\t') || c == 0x7f)
            break;
        if (c == '\\' && q == '"') {
            if (x->off >= x->len)
                break;
            c = x->b[x->off++];
            int digits = c == 'u' ? 4 : c == 'U' ? 8 : 0;
            if (digits > 0) {
                unsigned long cp = 0;
                if (x->len - x->off < (size_t)digits)
                    return bad(x, x->off - 2, "bad \\u escape");
                for (int k = 0; k < digits; k++) {
                    int h = hexval(x->b[x->off++]);
                    if (h < 0)
                        return bad(x, x->off - 1, "bad \\u escape");
                    cp = cp * 16 + (unsigned long)h;
                }
                if (!put_utf8(enc, &n, cp))
                    return bad(x, x->off - (size_t)digits - 2, "bad \\u escape");
            } else {
                const char *from = "btnfr\"\\", *to = "\b\t\n\f\r\"\\";
                const char *p = c != 0 ? strchr(from, c) : NULL;
                if (p == NULL)
                    return bad(x, x->off - 2, "unknown escape in a string");
                enc[0] = (uint8_t)to[p - from];
            }
        }
        if (out != NULL) {
            int rc = dd_buf_append(out, enc, n);
            if (rc == DD_ELIMIT)
                return bad(x, at, "string too long");
            if (rc != 0)
                return dd_err_set(x->err, rc, "rustsec: out of memory");
        }
    }
    return bad(x, at, "unterminated string");
}

static int is_bare(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

/* Reads a key (bare or quoted, possibly dotted) into key (its first part) and *n_parts. */
static int read_key(lex *x, dd_buf *key, int *n_parts)
{
    int rc;
    *n_parts = 0;
    dd_buf_reset(key);
    for (;;) {
        skip_blank(x);
        if (x->off >= x->len)
            return bad(x, x->off, "expected a key");
        uint8_t c = x->b[x->off];
        dd_buf *into = *n_parts == 0 ? key : NULL;
        if (c == '"' || c == '\'') {
            if ((rc = read_string(x, into)) != 0)
                return rc;
        } else {
            size_t s = x->off;
            while (x->off < x->len && is_bare(x->b[x->off]))
                x->off++;
            if (x->off == s)
                return bad(x, s, "expected a key");
            if (into != NULL && (rc = dd_buf_append(into, x->b + s, x->off - s)) != 0)
                return rc == DD_ELIMIT ? bad(x, s, "key too long")
                                       : dd_err_set(x->err, rc, "rustsec: out of memory");
        }
        if (++*n_parts > NEST_MAX)
            return bad(x, x->off, "key has too many parts");
        skip_blank(x);
        if (x->off < x->len && x->b[x->off] == '.') {
            x->off++;
            continue;
        }
        return 0;
    }
}

/* Skips a value that is not kept: strings, arrays and inline tables (any depth, any lines), bare
 * tokens (numbers, booleans, dates). */
static int skip_value(lex *x)
{
    char stack[NEST_MAX];
    int depth = 0, rc;
    size_t at = x->off;
    do {
        if (depth > 0)
            skip_space(x);
        if (x->off >= x->len)
            return bad(x, at, "value not closed");
        uint8_t c = x->b[x->off];
        if (c == '"' || c == '\'') {
            if ((rc = read_string(x, NULL)) != 0)
                return rc;
        } else if (c == '[' || c == '{') {
            if (depth >= NEST_MAX)
                return bad(x, x->off, "values nested too deep");
            stack[depth++] = c == '[' ? ']' : '}';
            x->off++;
        } else if (depth > 0 && (c == ']' || c == '}')) {
            if (stack[depth - 1] != (char)c)
                return bad(x, x->off, "mismatched bracket");
            depth--;
            x->off++;
        } else if (depth > 0 && (c == ',' || (c == '=' && stack[depth - 1] == '}') ||
                                 (c == '.' && stack[depth - 1] == '}'))) {
            x->off++;
        } else {
            size_t s = x->off;
            while (x->off < x->len && x->b[x->off] != ',' && x->b[x->off] != ']' &&
                   x->b[x->off] != '}' && x->b[x->off] != '=' && x->b[x->off] != ' ' &&
                   x->b[x->off] != '\t' && x->b[x->off] != '\r' && x->b[x->off] != '\n' &&
                   x->b[x->off] != '#' && x->b[x->off] != '[' && x->b[x->off] != '{' &&
                   x->b[x->off] != '"' && x->b[x->off] != '\'')
                x->off++;
            if (x->off == s)
                return bad(x, s, "bad value");
        }
    } while (depth > 0);
    return 0;
}

/* A string value into *out (freed with dd_free). */
static int read_str_value(lex *x, char **out)
{
    dd_buf b = DD_BUF_INIT(FIELD_MAX);
    int rc;
    if (x->off >= x->len || (x->b[x->off] != '"' && x->b[x->off] != '\''))
        return bad(x, x->off, "expected a string");
    if ((rc = read_string(x, &b)) == 0 && (*out = dd_buf_take(&b)) == NULL)
        rc = dd_err_set(x->err, DD_ENOMEM, "rustsec: out of memory");
    dd_buf_free(&b);
    return rc;
}

/* An array of strings appended to out. */
static int read_str_array(lex *x, dd_strlist *out)
{
    dd_buf b = DD_BUF_INIT(FIELD_MAX);
    int rc = 0;
    size_t at = x->off;
    if (x->off >= x->len || x->b[x->off] != '[')
        return bad(x, x->off, "expected an array of strings");
    x->off++;
    for (;;) {
        skip_space(x);
        if (x->off >= x->len) {
            rc = bad(x, at, "array not closed");
            goto out;
        }
        if (x->b[x->off] == ']') {
            x->off++;
            break;
        }
        if (x->b[x->off] != '"' && x->b[x->off] != '\'') {
            rc = bad(x, x->off, "expected a string in the array");
            goto out;
        }
        dd_buf_reset(&b);
        if ((rc = read_string(x, &b)) != 0)
            goto out;
        if (out->n >= ARRAY_MAX) {
            rc = bad(x, at, "array too long");
            goto out;
        }
        if (dd_strlist_push(out, b.data ? b.data : "", b.len) != 0) {
            rc = dd_err_set(x->err, DD_ENOMEM, "rustsec: out of memory");
            goto out;
        }
        skip_space(x);
        if (x->off < x->len && x->b[x->off] == ',') {
            x->off++;
        } else if (x->off < x->len && x->b[x->off] != ']') {
            rc = bad(x, x->off, "expected ',' or ']'");
            goto out;
        }
    }
out:
    dd_buf_free(&b);
    return rc;
}

/* What the front matter says. */
typedef struct front {
    char *id, *package, *date, *url, *cvss, *withdrawn;
    dd_strlist aliases, related, references, patched, unaffected;
} front;

static void front_clear(front *f)
{
    dd_free(f->id);
    dd_free(f->package);
    dd_free(f->date);
    dd_free(f->url);
    dd_free(f->cvss);
    dd_free(f->withdrawn);
    dd_strlist_free(&f->aliases);
    dd_strlist_free(&f->related);
    dd_strlist_free(&f->references);
    dd_strlist_free(&f->patched);
    dd_strlist_free(&f->unaffected);
}

enum { T_ROOT, T_ADVISORY, T_VERSIONS, T_OTHER };

/* Reads a table header at x->off ('['); sets *table. */
static int read_header(lex *x, int *table, int *seen)
{
    dd_buf key = DD_BUF_INIT(256);
    int rc, parts, array = 0;
    size_t at = x->off;
    x->off++;
    if (x->off < x->len && x->b[x->off] == '[') {
        array = 1;
        x->off++;
    }
    if ((rc = read_key(x, &key, &parts)) != 0)
        goto out;
    for (int k = 0; k <= array; k++) {
        if (x->off >= x->len || x->b[x->off] != ']') {
            rc = bad(x, x->off, "expected ']'");
            goto out;
        }
        x->off++;
    }
    if ((rc = end_of_line(x)) != 0)
        goto out;
    *table = T_OTHER;
    if (!array && parts == 1 && key.data != NULL && strcmp(key.data, "advisory") == 0)
        *table = T_ADVISORY;
    else if (!array && parts == 1 && key.data != NULL && strcmp(key.data, "versions") == 0)
        *table = T_VERSIONS;
    if (*table != T_OTHER) {
        if (seen[*table])
            rc = bad(x, at, "table defined twice");
        seen[*table] = 1;
    }
out:
    dd_buf_free(&key);
    return rc;
}

static int key_is(const dd_buf *k, const char *s)
{
    return k->data != NULL && strcmp(k->data, s) == 0;
}

/* Parses the TOML block x->b[x->off..x->len) into f. */
static int parse_front(lex *x, front *f)
{
    dd_buf key = DD_BUF_INIT(FIELD_MAX);
    int rc = 0, table = T_ROOT, seen[4] = {0, 0, 0, 0}, parts;
    while (x->off < x->len) {
        skip_space(x);
        if (x->off >= x->len)
            break;
        if (x->b[x->off] == '[') {
            if ((rc = read_header(x, &table, seen)) != 0)
                goto out;
            continue;
        }
        size_t at = x->off;
        if ((rc = read_key(x, &key, &parts)) != 0)
            goto out;
        if (x->off >= x->len || x->b[x->off] != '=') {
            rc = bad(x, x->off, "expected '='");
            goto out;
        }
        x->off++;
        skip_blank(x);
        char **str = NULL;
        dd_strlist *list = NULL;
        if (parts == 1 && table == T_ADVISORY) {
            str = key_is(&key, "id")          ? &f->id
                  : key_is(&key, "package")   ? &f->package
                  : key_is(&key, "date")      ? &f->date
                  : key_is(&key, "url")       ? &f->url
                  : key_is(&key, "cvss")      ? &f->cvss
                  : key_is(&key, "withdrawn") ? &f->withdrawn
                                              : NULL;
            list = key_is(&key, "aliases")      ? &f->aliases
                   : key_is(&key, "related")    ? &f->related
                   : key_is(&key, "references") ? &f->references
                                                : NULL;
        } else if (parts == 1 && table == T_VERSIONS) {
            list = key_is(&key, "patched")      ? &f->patched
                   : key_is(&key, "unaffected") ? &f->unaffected
                                                : NULL;
        }
        if (str != NULL) {
            if (*str != NULL) {
                rc = bad(x, at, "duplicate key");
                goto out;
            }
            rc = read_str_value(x, str);
        } else if (list != NULL) {
            if (list->n > 0) {
                rc = bad(x, at, "duplicate key");
                goto out;
            }
            rc = read_str_array(x, list);
        } else {
            rc = skip_value(x);
        }
        if (rc != 0 || (rc = end_of_line(x)) != 0)
            goto out;
    }
out:
    dd_buf_free(&key);
    return rc;
}

/* ---- Cargo requirements as SemVer intervals -------------------------------------------------
 */

/* [lo, hi): an unset bound is unbounded. */
typedef struct ival {
    int lo_set, hi_set;
    char lo[VER_MAX], hi[VER_MAX];
} ival;

static int vcmp(const char *a, const char *b, int *out)
{
    dd_err e = DD_ERR_INIT;
    return dd_vers_semver_cmp(a, b, out, &e) == 0;
}

typedef struct span {
    const char *p;
    size_t len;
} span;

/* A comparator's version: n numeric parts (0..3, then wild when a wildcard follows), and a
 * pre-release (only with 3 parts; build metadata is dropped). */
typedef struct cver {
    int n, wild;
    span num[3], pre;
} cver;

/* Writes major.minor.patch from v into out, incrementing part inc (-1: none) and zeroing those
 * after it, then "-pre" when pre is non-NULL. 0 when it does not fit or does not parse. */
static int build(char out[VER_MAX], const cver *v, int inc, const char *pre, size_t pre_len)
{
    size_t o = 0;
    for (int k = 0; k < 3; k++) {
        const char *p = "0";
        size_t len = 1;
        if (k < v->n && (inc < 0 || k <= inc)) {
            p = v->num[k].p;
            len = v->num[k].len;
        }
        if (o + len + 2 >= VER_MAX)
            return 0;
        if (k > 0)
            out[o++] = '.';
        size_t start = o;
        memcpy(out + o, p, len);
        o += len;
        if (k == inc) {
            /* decimal increment of out[start..o) */
            size_t j = o;
            while (j > start && out[j - 1] == '9')
                out[--j] = '0';
            if (j == start) {
                memmove(out + start + 1, out + start, o - start);
                out[start] = '1';
                o++;
            } else {
                out[j - 1]++;
            }
        }
    }
    if (pre != NULL) {
        if (o + pre_len + 2 >= VER_MAX)
            return 0;
        out[o++] = '-';
        memcpy(out + o, pre, pre_len);
        o += pre_len;
    }
    out[o] = '\0';
    int c;
    return vcmp(out, out, &c);
}

/* The version itself (partial ones filled with zeros), with its pre-release. */
static int full(char out[VER_MAX], const cver *v)
{
    return build(out, v, -1, v->pre.len > 0 ? v->pre.p : NULL, v->pre.len);
}

/* The lowest version above v in SemVer precedence: 1.2.3 -> 1.2.4-0, 1.2.3-rc.1 -> 1.2.3-rc.1.0
 * (a longer identifier list sorts after its prefix, and "0" is the lowest identifier). */
static int succ(char out[VER_MAX], const cver *v)
{
    if (v->pre.len == 0)
        return build(out, v, 2, "0", 1);
    size_t len;
    if (!full(out, v) || (len = strlen(out)) + 3 > VER_MAX)
        return 0;
    memcpy(out + len, ".0", 3);
    return 1;
}

/* The first version past "the same I" (inc 0), "the same I.J" (inc 1) or "the same I.J.K"
 * (inc 2) as v, as an exclusive upper bound: its lowest pre-release. */
static int next_excl(char out[VER_MAX], const cver *v, int inc)
{
    return build(out, v, inc, "0", 1);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses a comparator's version s[0..len). */
static int parse_cver(const char *s, size_t len, cver *v)
{
    size_t i = 0;
    memset(v, 0, sizeof(*v));
    for (;;) {
        if (i < len && (s[i] == '*' || s[i] == 'x' || s[i] == 'X')) {
            v->wild = 1;
            i++;
            /* "1.*.*" is allowed by Cargo */
            while (i + 1 < len && s[i] == '.' &&
                   (s[i + 1] == '*' || s[i + 1] == 'x' || s[i + 1] == 'X'))
                i += 2;
            return i == len;
        }
        size_t st = i;
        while (i < len && is_digit(s[i]))
            i++;
        if (i == st || i - st > NUM_MAX || (i - st > 1 && s[st] == '0'))
            return 0;
        v->num[v->n].p = s + st;
        v->num[v->n].len = i - st;
        v->n++;
        if (i == len)
            return 1;
        if (v->n < 3 && s[i] == '.') {
            i++;
            continue;
        }
        break;
    }
    if (v->n != 3)
        return 0;
    if (s[i] == '-') {
        size_t st = ++i;
        while (i < len && s[i] != '+')
            i++;
        v->pre.p = s + st;
        v->pre.len = i - st;
        if (v->pre.len == 0)
            return 0;
    }
    if (i < len && s[i] == '+')
        i = len; /* build metadata: checked by the full parse below, ignored for order */
    if (i != len)
        return 0;
    /* validate the whole thing (pre-release and build identifiers) with the SemVer parser */
    char tmp[VER_MAX];
    int c;
    if (len >= VER_MAX)
        return 0;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    return vcmp(tmp, tmp, &c);
}

/* Narrows iv with a lower (is_lo) or upper bound b. */
static int tighten(ival *iv, const char *b, int is_lo)
{
    char *cur = is_lo ? iv->lo : iv->hi;
    int *set = is_lo ? &iv->lo_set : &iv->hi_set, c;
    if (*set) {
        if (!vcmp(b, cur, &c))
            return 0;
        if ((is_lo && c <= 0) || (!is_lo && c >= 0))
            return 1;
    }
    size_t len = strlen(b);
    if (len >= VER_MAX)
        return 0;
    memcpy(cur, b, len + 1);
    *set = 1;
    return 1;
}

/* One comparator "op version" into iv. */
static int comparator(const char *op, size_t ol, const char *vs, size_t vl, ival *iv)
{
    cver v;
    char lo[VER_MAX], hi[VER_MAX];
    int has_lo = 0, has_hi = 0;
#define OP(x) (ol == sizeof(x) - 1 && memcmp(op, x, ol) == 0)
    if (!parse_cver(vs, vl, &v))
        return 0;
    if (v.wild) {
        /* "*", "I.*", "I.J.*": the same as "=I" / "=I.J" (nothing for "*") */
        if (!(ol == 0 || OP("=")) || v.n > 2)
            return 0;
        if (v.n == 0)
            return 1;
    }
    if (ol == 0 || OP("^")) {
        /* ^I.J.K: the leftmost non-zero part stays (or the last given one when all are zero) */
        int keep = 0;
        if (v.n >= 2 && v.num[0].len == 1 && v.num[0].p[0] == '0') {
            keep = 1;
            if (v.n == 3 && v.num[1].len == 1 && v.num[1].p[0] == '0')
                keep = 2;
        }
        if (v.wild)
            keep = v.n - 1; /* "1.*", "1.2.*" behave like "=1", "=1.2" */
        has_lo = full(lo, &v);
        has_hi = next_excl(hi, &v, keep);
        if (!has_lo || !has_hi)
            return 0;
    } else if (OP("~")) {
        has_lo = full(lo, &v);
        has_hi = next_excl(hi, &v, v.n == 1 ? 0 : 1);
        if (!has_lo || !has_hi)
            return 0;
    } else if (OP("=")) {
        has_lo = full(lo, &v);
        has_hi = v.n == 3 ? succ(hi, &v) : next_excl(hi, &v, v.n - 1);
        if (!has_lo || !has_hi)
            return 0;
    } else if (OP(">=")) {
        if (!(has_lo = full(lo, &v)))
            return 0;
    } else if (OP(">")) {
        if (!(has_lo = v.n == 3 ? succ(lo, &v) : build(lo, &v, v.n - 1, NULL, 0)))
            return 0;
    } else if (OP("<")) {
        if (!(has_hi = full(hi, &v)))
            return 0;
    } else if (OP("<=")) {
        if (!(has_hi = v.n == 3 ? succ(hi, &v) : next_excl(hi, &v, v.n - 1)))
            return 0;
    } else {
        return 0;
    }
#undef OP
    return (!has_lo || tighten(iv, lo, 1)) && (!has_hi || tighten(iv, hi, 0));
}

static int part(void *ctx, const char *op, size_t ol, const char *v, size_t vl)
{
    return comparator(op, ol, v, vl, ctx);
}

/* Parses a requirement ("^1.2.3", ">= 1.2.3, < 1.3.0", ...) into *iv; *empty when nothing
 * matches it. 0 when malformed or unsupported. */
static int parse_req(const char *s, ival *iv, int *empty)
{
    memset(iv, 0, sizeof(*iv));
    *empty = 0;
    if (!dd_import_req_split(s, "><=^~", PARTS_MAX, part, iv))
        return 0;
    if (iv->lo_set && iv->hi_set) {
        int c;
        if (!vcmp(iv->lo, iv->hi, &c))
            return 0;
        *empty = c >= 0;
    }
    /* "0.0.0-0" is the lowest SemVer version: no bound */
    if (iv->lo_set && strcmp(iv->lo, "0.0.0-0") == 0)
        iv->lo_set = 0;
    return 1;
}

static int event(dd_buf *b, int *first, const char *kind, const char *v)
{
    int rc = dd_buf_printf(b, "%s{\"%s\":\"", *first ? "" : ",", kind);
    *first = 0;
    if (rc == 0)
        rc = dd_buf_append_json_escaped(b, v, strlen(v));
    if (rc == 0)
        rc = dd_buf_append_str(b, "\"}");
    return rc;
}

/* The versions in none of the intervals, as one OSV SEMVER range (*out NULL when every version
 * is in one). 0, DD_EINVALID (versions do not compare) or DD_ENOMEM. */
static int complement_to_osv(char **out, ival *iv, size_t n, int *has_fix)
{
    dd_buf b = DD_BUF_INIT(JSON_OUT_MAX);
    int rc = 0, first = 1, c;
    *out = NULL;
    *has_fix = 0;
    /* insertion sort by lower bound, unbounded first (n is small; comparisons can fail) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            int less;
            if (!iv[j].lo_set || !iv[j - 1].lo_set) {
                less = !iv[j].lo_set && iv[j - 1].lo_set;
            } else {
                if (!vcmp(iv[j].lo, iv[j - 1].lo, &c))
                    return DD_EINVALID;
                less = c < 0;
            }
            if (!less)
                break;
            ival t = iv[j];
            iv[j] = iv[j - 1];
            iv[j - 1] = t;
        }
    if ((rc = dd_buf_append_str(&b, "[{\"type\":\"SEMVER\",\"events\":[")) != 0)
        goto out;
    if (n == 0) {
        rc = event(&b, &first, "introduced", "0");
        goto close;
    }
    if (iv[0].lo_set) {
        if ((rc = event(&b, &first, "introduced", "0")) != 0 ||
            (rc = event(&b, &first, "fixed", iv[0].lo)) != 0)
            goto out;
        *has_fix = 1;
    }
    const char *reach = iv[0].hi_set ? iv[0].hi : NULL; /* NULL: unbounded */
    for (size_t i = 1; i < n && reach != NULL; i++) {
        c = -1;
        if (iv[i].lo_set && !vcmp(iv[i].lo, reach, &c)) {
            rc = DD_EINVALID;
            goto out;
        }
        if (!iv[i].lo_set || c <= 0) {
            /* overlaps or touches [.., reach): extend */
            if (!iv[i].hi_set) {
                reach = NULL;
            } else {
                if (!vcmp(iv[i].hi, reach, &c)) {
                    rc = DD_EINVALID;
                    goto out;
                }
                if (c > 0)
                    reach = iv[i].hi;
            }
            continue;
        }
        /* the gap [reach, lo) is affected */
        if ((rc = event(&b, &first, "introduced", reach)) != 0 ||
            (rc = event(&b, &first, "fixed", iv[i].lo)) != 0)
            goto out;
        *has_fix = 1;
        reach = iv[i].hi_set ? iv[i].hi : NULL;
    }
    if (reach != NULL && (rc = event(&b, &first, "introduced", reach)) != 0)
        goto out;
    if (first) {
        /* everything is patched or unaffected: no range */
        dd_buf_free(&b);
        return 0;
    }
close:
    if (rc == 0)
        rc = dd_buf_append_str(&b, "]}]");
    if (rc == 0 && (*out = dd_buf_take(&b)) == NULL)
        rc = DD_ENOMEM;
out:
    if (rc == DD_ELIMIT)
        rc = DD_EINVALID;
    dd_buf_free(&b);
    return rc;
}

/* Appends the intervals of the requirement strings in l to iv[*n..] (room for cap). */
static int read_reqs(const dd_strlist *l, ival *iv, size_t *n, size_t cap)
{
    for (size_t i = 0; i < l->n; i++) {
        int empty;
        if (*n >= cap || !parse_req(l->items[i], &iv[*n], &empty))
            return 0;
        if (!empty)
            (*n)++;
    }
    return 1;
}

/* ---- the advisory ---------------------------------------------------------------------------
 */

static void warn(const dd_import_sink *sink, const char *path, const char *msg)
{
    if (sink->warn != NULL)
        sink->warn(sink->ctx, path, msg);
}

/* An id or alias: letters, digits, '-', '.', '_', 1..ID_MAX bytes. */
static int id_ok(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return 0;
    }
    return 1;
}

/* A crates.io name: ASCII letters, digits, '-', '_', 1..CRATE_MAX bytes. */
static int crate_ok(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > CRATE_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (!is_bare((uint8_t)s[i]))
            return 0;
    return 1;
}

static int url_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > URL_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

static int has(const dd_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return 1;
    return 0;
}

/* Adds the valid, new ids of from to to; *dropped counts the invalid ones. */
static int add_ids(dd_strlist *to, const dd_strlist *from, const char *self, int *dropped)
{
    for (size_t i = 0; i < from->n; i++) {
        const char *s = from->items[i];
        if (!id_ok(s)) {
            (*dropped)++;
            continue;
        }
        if (strcmp(s, self) != 0 && !has(to, s) && dd_strlist_push_str(to, s) != 0)
            return DD_ENOMEM;
    }
    return 0;
}

static int add_url(dd_strlist *to, const char *s, int *dropped)
{
    if (!url_ok(s)) {
        (*dropped)++;
        return 0;
    }
    if (!has(to, s) && dd_strlist_push_str(to, s) != 0)
        return DD_ENOMEM;
    return 0;
}

static int is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The end of the line starting at i (the offset of its '\n', or len). */
static size_t line_end(const uint8_t *b, size_t len, size_t i)
{
    const uint8_t *nl = memchr(b + i, '\n', len - i);
    return nl ? (size_t)(nl - b) : len;
}

/* Offset of the first line (from 0) that holds a NUL or ill-formed UTF-8, or len when none.
 * Line by line: a '\n' is never inside a well-formed sequence. */
static size_t first_bad_text(const uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t e = line_end(b, len, i);
        if (memchr(b + i, '\0', e - i) != NULL || !dd_utf8_valid((const char *)b + i, e - i))
            return i;
        i = e + 1;
    }
    return len;
}

/* Splits the Markdown after the front matter into the "# Title" and the rest. */
static int split_markdown(const uint8_t *b, size_t len, size_t i, dd_advisory *a)
{
    while (i < len && is_ws(b[i]))
        i++;
    /* back to the start of the first non-blank line */
    while (i > 0 && b[i - 1] != '\n' && is_ws(b[i - 1]))
        i--;
    size_t j = i;
    while (j < len && (b[j] == ' ' || b[j] == '\t'))
        j++;
    if (j + 1 < len && b[j] == '#' && (b[j + 1] == ' ' || b[j + 1] == '\t')) {
        size_t e = line_end(b, len, j), s = j + 1;
        while (s < e && is_ws(b[s]))
            s++;
        size_t t = e;
        while (t > s && is_ws(b[t - 1]))
            t--;
        if (t > s && t - s <= TITLE_MAX &&
            (a->summary = dd_strndup((const char *)b + s, t - s)) == NULL)
            return DD_ENOMEM;
        i = e;
    }
    while (i < len && is_ws(b[i]))
        i++;
    size_t e = len;
    while (e > i && is_ws(b[e - 1]))
        e--;
    if (e > i && (a->details = dd_strndup((const char *)b + i, e - i)) == NULL)
        return DD_ENOMEM;
    return 0;
}

/* The TOML block: [*start, *end) between the opening "```toml" line and the closing "```" line;
 * *after is the offset past the closing line. */
static int find_front(const uint8_t *b, size_t len, size_t *start, size_t *end, size_t *after,
                      dd_err *err)
{
    size_t i = 0;
    while (i < len && is_ws(b[i]))
        i++;
    if (len - i < 7 || memcmp(b + i, "```toml", 7) != 0)
        return dd_err_set_at(err, DD_EINVALID, i, "rustsec: no ```toml front matter");
    size_t e = line_end(b, len, i);
    for (size_t k = i + 7; k < e; k++)
        if (!is_ws(b[k]))
            return dd_err_set_at(err, DD_EINVALID, k, "rustsec: text after ```toml");
    *start = e < len ? e + 1 : len;
    for (size_t l = *start; l < len;) {
        size_t le = line_end(b, len, l), t = le;
        while (t > l && is_ws(b[t - 1]))
            t--;
        if (t - l == 3 && memcmp(b + l, "```", 3) == 0) {
            *end = l;
            *after = le < len ? le + 1 : len;
            return 0;
        }
        l = le + 1;
    }
    return dd_err_set_at(err, DD_EINVALID, i, "rustsec: front matter not closed by ```");
}

static int rustsec_detect(const char *path, const uint8_t *head, size_t head_len)
{
    if (path != NULL) {
        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        size_t n = strlen(base);
        if (n > 11 && memcmp(base, "RUSTSEC-", 8) == 0 && strcmp(base + n - 3, ".md") == 0)
            return 1;
    }
    return head_len >= 7 && memcmp(head, "```toml", 7) == 0 &&
           memmem(head, head_len, "id = \"RUSTSEC-", 14) != NULL;
}

static int rustsec_import(const uint8_t *buf, size_t len, const char *path,
                          const dd_import_sink *sink, dd_err *err)
{
    int rc = 0, dropped = 0, has_fix = 0;
    front f;
    dd_advisory a;
    ival *iv = NULL;
    size_t n_iv = 0, fs = 0, fe = 0, after = 0, cap = 0;
    char *ranges = NULL;
    lex x = {buf, 0, 0, err};
    memset(&f, 0, sizeof(f));
    memset(&a, 0, sizeof(a));

    size_t badat = first_bad_text(buf, len);
    if (badat < len) {
        rc = dd_err_set_at(err, DD_EINVALID, badat, "rustsec: NUL byte or bad UTF-8");
        goto out;
    }
    if ((rc = find_front(buf, len, &fs, &fe, &after, err)) != 0)
        goto out;
    x.len = fe;
    x.off = fs;
    if ((rc = parse_front(&x, &f)) != 0)
        goto out;
    if (f.id == NULL || f.package == NULL) {
        rc = dd_err_set_at(err, DD_EINVALID, fs, "rustsec: [advisory] without id or package");
        goto out;
    }
    if (strncmp(f.id, "RUSTSEC-", 8) != 0) {
        warn(sink, path, "rustsec: not a crates.io advisory (Rust toolchain), skipped");
        goto out;
    }
    if (!id_ok(f.id)) {
        warn(sink, path, "rustsec: bad id, record skipped");
        goto out;
    }
    if (!crate_ok(f.package)) {
        warn(sink, path, "rustsec: bad package name, record skipped");
        goto out;
    }
    cap = f.patched.n + f.unaffected.n;
    if (cap > 0 && (iv = dd_mallocarray(cap, sizeof(*iv))) == NULL)
        goto nomem;
    if (!read_reqs(&f.patched, iv, &n_iv, cap) || !read_reqs(&f.unaffected, iv, &n_iv, cap)) {
        warn(sink, path, "rustsec: unsupported version requirement, record skipped");
        goto out;
    }
    if ((rc = complement_to_osv(&ranges, iv, n_iv, &has_fix)) != 0) {
        if (rc == DD_ENOMEM)
            goto nomem;
        rc = 0;
        warn(sink, path, "rustsec: versions do not compare, record skipped");
        goto out;
    }
    if ((a.id = dd_strdup(f.id)) == NULL || add_ids(&a.aliases, &f.aliases, a.id, &dropped) != 0 ||
        add_ids(&a.related, &f.related, a.id, &dropped) != 0)
        goto nomem;
    if (dropped > 0)
        warn(sink, path, "rustsec: bad alias or related id ignored");
    if (f.date != NULL && dd_import_parse_time(f.date, &a.published_ms) != 0) {
        a.published_ms = 0;
        warn(sink, path, "rustsec: bad date ignored");
    }
    if (f.withdrawn != NULL && dd_import_parse_time(f.withdrawn, &a.withdrawn_ms) != 0) {
        a.withdrawn_ms = 0;
        warn(sink, path, "rustsec: bad withdrawn date ignored");
    }
    if (f.cvss != NULL) {
        int v3 = strncmp(f.cvss, "CVSS:3.", 7) == 0, v4 = strncmp(f.cvss, "CVSS:4.", 7) == 0;
        if ((v3 || v4) && strlen(f.cvss) <= 256 && url_ok(f.cvss)) {
            if (dd_advisory_add_severity(&a, v3 ? DD_SEV_CVSS_V3 : DD_SEV_CVSS_V4, "rustsec",
                                         f.cvss) != 0)
                goto nomem;
        } else {
            warn(sink, path, "rustsec: unsupported cvss ignored");
        }
    }
    dropped = 0;
    if (f.url != NULL && add_url(&a.references, f.url, &dropped) != 0)
        goto nomem;
    for (size_t i = 0; i < f.references.n; i++)
        if (add_url(&a.references, f.references.items[i], &dropped) != 0)
            goto nomem;
    if (dropped > 0)
        warn(sink, path, "rustsec: bad reference URL ignored");
    if ((rc = split_markdown(buf, len, after, &a)) != 0)
        goto nomem;
    if (ranges != NULL &&
        dd_advisory_add_affected(&a, "crates.io", f.package, ranges, NULL,
                                 has_fix ? DD_FIX_FIXED : DD_FIX_UNKNOWN, NULL) != 0)
        goto nomem;
    rc = sink->put(sink->ctx, &a, err);
    goto out;
nomem:
    rc = dd_err_set(err, DD_ENOMEM, "rustsec: out of memory");
out:
    dd_free(iv);
    dd_free(ranges);
    dd_advisory_clear(&a);
    front_clear(&f);
    return rc;
}

const dd_importer dd_importer_rustsec = {
    "rustsec",
    "rustsec",
    rustsec_detect,
    rustsec_import,
};
