/* NuGet version ordering (DD_VERS_NUGET), after NuGet.Versioning's NuGetVersion.TryParse and
 * VersionComparer.Default.
 *
 * Form: 1 to 4 dot-separated numbers (System.Version: each 0..2147483647, leading zeros allowed;
 * missing parts are 0, so "1.0" == "1.0.0.0"), then an optional "-" release label of
 * dot-separated [0-9A-Za-z-] parts (non-empty; a numeric part has no leading zero), then optional
 * "+" build metadata of dot-separated [0-9A-Za-z-] parts. Surrounding whitespace is trimmed.
 * Order: Major, Minor, Patch, Revision; then a version without labels is higher than one with;
 * then labels part by part: parts that parse as an Int32 (as .NET's Int32.TryParse, a leading '-'
 * included) compare as numbers and before other parts, others compare ordinally ignoring case,
 * and fewer parts sort first. Metadata is ignored.
 * Deviation: System.Version would also accept whitespace and a '+' sign inside a number; those
 * are rejected here. Hand-written: a small grammar and no C library implements it. */
#include "version/version.h"

#include <stdint.h>
#include <string.h>

#define NUGET_MAX 256

typedef struct nver {
    long long num[4];
    const char *label; /* release labels, NULL when none */
    size_t label_len;
} nver;

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

static int bad(dd_err *err, const char *which, const char *v, size_t off, const char *why)
{
    return dd_err_set_at(err, DD_EINVALID, off, "nuget: %s version \"%.64s\": %s at offset %zu",
                         which, v, why, off);
}

/* Dot-separated parts of [0-9A-Za-z-] in v[i..e); labels forbid leading zeros on numbers. */
static int check_parts(const char *which, const char *v, size_t i, size_t e, int label, dd_err *err)
{
    for (;;) {
        size_t s = i;
        int digits = 1;
        while (i < e && v[i] != '.') {
            if (!is_ident(v[i]))
                return bad(err, which, v, i, "invalid character");
            digits &= is_digit(v[i]);
            i++;
        }
        if (i == s)
            return bad(err, which, v, i, label ? "empty release label" : "empty metadata part");
        if (label && digits && i - s > 1 && v[s] == '0')
            return bad(err, which, v, s, "leading zero in a numeric release label");
        if (i == e)
            return 0;
        i++;
    }
}

static int parse(const char *which, const char *v, nver *out, dd_err *err)
{
    size_t len = strlen(v), b = 0, e, i, n = 0;
    memset(out, 0, sizeof(*out));
    if (len > NUGET_MAX)
        return bad(err, which, v, NUGET_MAX, "longer than 256 bytes");
    e = len;
    while (b < e && is_space(v[b]))
        b++;
    while (e > b && is_space(v[e - 1]))
        e--;
    i = b;
    for (;;) {
        if (n == 4)
            return bad(err, which, v, i, "more than four numbers");
        if (i == e || !is_digit(v[i]))
            return bad(err, which, v, i, "expected a number");
        long long x = 0;
        while (i < e && is_digit(v[i])) {
            x = x * 10 + (v[i] - '0');
            if (x > INT32_MAX)
                return bad(err, which, v, i, "number larger than 2147483647");
            i++;
        }
        out->num[n++] = x;
        if (i < e && v[i] == '.') {
            i++;
            continue;
        }
        break;
    }
    size_t plus = i;
    while (plus < e && v[plus] != '+')
        plus++;
    if (i < e && v[i] == '-') {
        int rc = check_parts(which, v, i + 1, plus, 1, err);
        if (rc != 0)
            return rc;
        out->label = v + i + 1;
        out->label_len = plus - i - 1;
    } else if (i != plus) {
        return bad(err, which, v, i, "unexpected character");
    }
    if (plus < e)
        return check_parts(which, v, plus + 1, e, 0, err);
    return 0;
}

/* Int32.TryParse on a label part: optional '-', digits, within Int32. */
static int label_int(const char *p, size_t len, long long *out)
{
    size_t i = 0;
    int neg = 0;
    if (len > 0 && p[0] == '-') {
        neg = 1;
        i = 1;
    }
    if (i == len)
        return 0;
    long long x = 0;
    for (; i < len; i++) {
        if (!is_digit(p[i]))
            return 0;
        x = x * 10 + (p[i] - '0');
        if (x > (long long)INT32_MAX + neg)
            return 0;
    }
    *out = neg ? -x : x;
    return 1;
}

static int upper(char c)
{
    return c >= 'a' && c <= 'z' ? c - 'a' + 'A' : (unsigned char)c;
}

static int cmp_part(const char *a, size_t alen, const char *b, size_t blen)
{
    long long x, y;
    int an = label_int(a, alen, &x), bn = label_int(b, blen, &y);
    if (an && bn)
        return x < y ? -1 : x > y;
    if (an || bn)
        return an ? -1 : 1;
    for (size_t i = 0; i < alen && i < blen; i++) {
        int ca = upper(a[i]), cb = upper(b[i]);
        if (ca != cb)
            return ca < cb ? -1 : 1;
    }
    return alen == blen ? 0 : alen < blen ? -1 : 1;
}

static int cmp_labels(const nver *a, const nver *b)
{
    if (a->label == NULL || b->label == NULL)
        return a->label == b->label ? 0 : a->label == NULL ? 1 : -1;
    size_t i = 0, j = 0;
    for (;;) {
        int ae = i > a->label_len, be = j > b->label_len;
        if (ae || be)
            return ae && be ? 0 : ae ? -1 : 1;
        size_t si = i, sj = j;
        while (i < a->label_len && a->label[i] != '.')
            i++;
        while (j < b->label_len && b->label[j] != '.')
            j++;
        int r = cmp_part(a->label + si, i - si, b->label + sj, j - sj);
        if (r != 0)
            return r;
        i++; /* past the '.'; past the end means no more parts */
        j++;
    }
}

int dd_vers_nuget_cmp(const char *a, const char *b, int *out, dd_err *err)
{
    nver va, vb;
    int rc = parse("first", a, &va, err);
    if (rc != 0)
        goto out;
    rc = parse("second", b, &vb, err);
    if (rc != 0)
        goto out;
    *out = 0;
    for (int k = 0; k < 4 && *out == 0; k++)
        if (va.num[k] != vb.num[k])
            *out = va.num[k] < vb.num[k] ? -1 : 1;
    if (*out == 0)
        *out = cmp_labels(&va, &vb);
out:
    return rc;
}
