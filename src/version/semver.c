/* SemVer 2.0.0 precedence for npm and crates.io (DD_VERS_SEMVER).
 *
 * Grammar (semver.org 2.0.0): MAJOR.MINOR.PATCH, each a decimal number without leading zeros;
 * an optional pre-release "-" followed by dot-separated identifiers of [0-9A-Za-z-] (numeric ones
 * without leading zeros); optional build metadata "+" followed by dot-separated non-empty
 * identifiers of [0-9A-Za-z-]. Build metadata is ignored for precedence.
 *
 * Leniency, matching node-semver's default (non-"loose") parser, which is what npm applies to
 * every published version: surrounding ASCII whitespace is trimmed and a single leading lowercase
 * "v" is accepted ("v1.2.3" == "1.2.3"). The "loose" extras ("=1.2.3", "v 1.2.3", "1.2.3beta")
 * are rejected: registries only publish versions that pass the strict parser. Anything else that
 * is not SemVer is DD_EINVALID with the reason and byte offset.
 *
 * Numbers of any length are compared as digit strings (no leading zeros, so longer is greater),
 * never converted to integers, so nothing can overflow. Parsing is a single bounded pass over the
 * NUL-terminated input; a hand-written scanner because the grammar is a handful of character
 * classes and no library here implements SemVer. */
#include "version/version.h"

#include <string.h>

typedef struct span {
    const char *p;
    size_t len;
} span;

typedef struct semver {
    span num[3];
    span pre; /* identifiers after '-', len 0 when there is no pre-release */
} semver;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_ident(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int fail(dd_err *err, const char *which, const char *v, size_t off, const char *why)
{
    return dd_err_set_at(err, DD_EINVALID, off, "semver: %s version \"%.64s\": %s at offset %zu",
                         which, v, why, off);
}

/* Parses one dot-separated identifier list starting at v[i] and ending before end; numeric
 * identifiers must not have leading zeros when strict_num. Returns the end index or an error. */
static int parse_idents(const char *v, size_t i, size_t end, int strict_num, const char *which,
                        const char *what, size_t *out, dd_err *err)
{
    for (;;) {
        size_t start = i;
        int all_digits = 1;
        while (i < end && is_ident(v[i])) {
            if (!is_digit(v[i]))
                all_digits = 0;
            i++;
        }
        if (i == start)
            return fail(err, which, v, i, what);
        if (strict_num && all_digits && i - start > 1 && v[start] == '0')
            return fail(err, which, v, start, "numeric pre-release identifier has a leading zero");
        if (i < end && v[i] == '.') {
            i++;
            continue;
        }
        break;
    }
    *out = i;
    return 0;
}

static int parse(const char *v, const char *which, semver *out, dd_err *err)
{
    static const char *const missing[3] = {"expected a number (major)", "expected a number (minor)",
                                           "expected a number (patch)"};
    size_t i = 0, end = strlen(v);
    int rc;

    memset(out, 0, sizeof(*out));
    while (i < end && is_space(v[i]))
        i++;
    while (end > i && is_space(v[end - 1]))
        end--;
    if (i < end && v[i] == 'v')
        i++;
    for (int k = 0; k < 3; k++) {
        size_t start = i;
        while (i < end && is_digit(v[i]))
            i++;
        if (i == start)
            return fail(err, which, v, i, missing[k]);
        if (i - start > 1 && v[start] == '0')
            return fail(err, which, v, start, "leading zero in a numeric part");
        out->num[k].p = v + start;
        out->num[k].len = i - start;
        if (k < 2) {
            if (i >= end || v[i] != '.')
                return fail(err, which, v, i, "expected '.' (SemVer needs MAJOR.MINOR.PATCH)");
            i++;
        }
    }
    if (i < end && v[i] == '-') {
        size_t start = ++i;
        if ((rc = parse_idents(v, i, end, 1, which, "empty pre-release identifier", &i, err)) < 0)
            return rc;
        out->pre.p = v + start;
        out->pre.len = i - start;
    }
    if (i < end && v[i] == '+') {
        i++;
        if ((rc = parse_idents(v, i, end, 0, which, "empty build identifier", &i, err)) < 0)
            return rc;
    }
    if (i != end)
        return fail(err, which, v, i, "unexpected character");
    return 0;
}

/* Digit strings without leading zeros: longer is greater, else bytewise. */
static int cmp_num(const char *a, size_t a_len, const char *b, size_t b_len)
{
    if (a_len != b_len)
        return a_len < b_len ? -1 : 1;
    int c = memcmp(a, b, a_len);
    return (c > 0) - (c < 0);
}

static int all_digits(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!is_digit(p[i]))
            return 0;
    return 1;
}

/* SemVer 2.0.0 rule 11: a release outranks its pre-releases; identifiers compare numerically
 * when both are numeric, numeric < alphanumeric, else ASCII order; a longer list wins a tie. */
static int cmp_pre(span a, span b)
{
    if (a.len == 0 || b.len == 0)
        return (a.len == 0) - (b.len == 0);
    size_t i = 0, j = 0;
    for (;;) {
        if (i >= a.len || j >= b.len)
            return (i < a.len) - (j < b.len);
        size_t ie = i, je = j;
        while (ie < a.len && a.p[ie] != '.')
            ie++;
        while (je < b.len && b.p[je] != '.')
            je++;
        int an = all_digits(a.p + i, ie - i), bn = all_digits(b.p + j, je - j);
        int c;
        if (an && bn) {
            c = cmp_num(a.p + i, ie - i, b.p + j, je - j);
        } else if (an || bn) {
            c = an ? -1 : 1;
        } else {
            size_t n = ie - i < je - j ? ie - i : je - j;
            c = memcmp(a.p + i, b.p + j, n);
            c = (c > 0) - (c < 0);
            if (c == 0)
                c = (ie - i > je - j) - (ie - i < je - j);
        }
        if (c != 0)
            return c;
        i = ie + (ie < a.len);
        j = je + (je < b.len);
        /* "a." cannot occur: the parser rejects empty identifiers. */
    }
}

int dd_vers_semver_cmp(const char *a, const char *b, int *out, dd_err *err)
{
    semver x, y;
    int rc;

    if ((rc = parse(a, "first", &x, err)) < 0)
        goto out;
    if ((rc = parse(b, "second", &y, err)) < 0)
        goto out;
    *out = 0;
    for (int k = 0; k < 3 && *out == 0; k++)
        *out = cmp_num(x.num[k].p, x.num[k].len, y.num[k].p, y.num[k].len);
    if (*out == 0)
        *out = cmp_pre(x.pre, y.pre);
out:
    return rc;
}
