/* RubyGems version ordering (DD_VERS_RUBYGEMS), after Gem::Version.
 *
 * A version must match Gem::Version's pattern
 *   \A\s*([0-9]+(?>\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?)?\s*\z
 * (blank means "0"). It is stripped, every "-" reads as ".pre.", and the segments are the runs of
 * digits (numbers) and of letters (strings): "1.0.a1" is [1, 0, "a", 1]. canonical_segments drop
 * trailing zeros from the numeric part (before the first string) and from the rest separately.
 * Comparison walks the canonical segments, a missing segment being 0; a string is lower than a
 * number (so any string makes a prerelease that sorts before the release), strings compare
 * bytewise (case-sensitive, as Ruby does) and numbers by value, as digit strings of any length.
 * Hand-written: the grammar is one regular expression and no C library implements Gem::Version. */
#include "version/version.h"

#include <string.h>

#include "util/alloc.h"

#define GEM_MAX 256

typedef struct seg {
    const char *p;
    size_t len;
    int num;
} seg;

typedef struct gver {
    seg *s;
    size_t n;
} gver;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int bad(dd_err *err, const char *which, const char *v, size_t off, const char *why)
{
    return dd_err_set_at(err, DD_EINVALID, off, "rubygems: %s version \"%.64s\": %s at offset %zu",
                         which, v, why, off);
}

/* Checks the pattern on v[b..e) (already stripped); returns 0 or DD_EINVALID. */
static int check(const char *which, const char *v, size_t b, size_t e, dd_err *err)
{
    size_t i = b;
    if (i == e)
        return 0;
    if (!is_digit(v[i]))
        return bad(err, which, v, i, "must start with a digit");
    while (i < e && is_digit(v[i]))
        i++;
    while (i < e && v[i] == '.') {
        size_t s = ++i;
        while (i < e && (is_digit(v[i]) || is_alpha(v[i])))
            i++;
        if (i == s)
            return bad(err, which, v, i, "empty segment");
    }
    if (i < e && v[i] == '-') {
        for (;;) {
            size_t s = ++i; /* skips the '-' or '.' */
            while (i < e && (is_digit(v[i]) || is_alpha(v[i]) || v[i] == '-'))
                i++;
            if (i == s)
                return bad(err, which, v, i, "empty prerelease segment");
            if (i == e || v[i] != '.')
                break;
        }
    }
    if (i != e)
        return bad(err, which, v, i, "unexpected character");
    return 0;
}

static int parse(const char *which, const char *v, gver *out, dd_err *err)
{
    size_t len = strlen(v), b = 0, e, n = 0;
    out->s = NULL;
    out->n = 0;
    if (len > GEM_MAX)
        return bad(err, which, v, GEM_MAX, "longer than 256 bytes");
    e = len;
    while (b < e && is_space(v[b]))
        b++;
    while (e > b && is_space(v[e - 1]))
        e--;
    int rc = check(which, v, b, e, err);
    if (rc != 0)
        return rc;
    /* at most one segment per byte */
    out->s = dd_mallocarray(e - b + 1, sizeof(seg));
    if (out->s == NULL)
        return DD_ENOMEM;
    for (size_t i = b; i < e;) {
        if (v[i] == '-') { /* "-" reads as ".pre." */
            out->s[n++] = (seg){"pre", 3, 0};
            i++;
        } else if (is_digit(v[i]) || is_alpha(v[i])) {
            size_t s = i;
            int num = is_digit(v[i]);
            while (i < e && (num ? is_digit(v[i]) : is_alpha(v[i])))
                i++;
            seg g = {v + s, i - s, num};
            while (g.num && g.len > 1 && g.p[0] == '0') {
                g.p++;
                g.len--;
            }
            out->s[n++] = g;
        } else {
            i++;
        }
    }
    /* canonical_segments: drop trailing zeros of the numeric part and of the string part */
    size_t first_str = 0;
    while (first_str < n && out->s[first_str].num)
        first_str++;
    size_t tail = n;
    while (tail > first_str && out->s[tail - 1].num && out->s[tail - 1].p[0] == '0')
        tail--;
    size_t head = first_str;
    while (head > 0 && out->s[head - 1].p[0] == '0')
        head--;
    memmove(out->s + head, out->s + first_str, (tail - first_str) * sizeof(seg));
    out->n = head + (tail - first_str);
    return 0;
}

static int cmp_seg(const seg *a, const seg *b)
{
    static const seg zero = {"0", 1, 1};
    if (a == NULL)
        a = &zero;
    if (b == NULL)
        b = &zero;
    if (a->num != b->num)
        return a->num ? 1 : -1;
    if (a->num && a->len != b->len)
        return a->len < b->len ? -1 : 1;
    size_t m = a->len < b->len ? a->len : b->len;
    int r = memcmp(a->p, b->p, m);
    if (r != 0)
        return r < 0 ? -1 : 1;
    return a->len == b->len ? 0 : a->len < b->len ? -1 : 1;
}

int dd_vers_rubygems_cmp(const char *a, const char *b, int *out, dd_err *err)
{
    gver va = {NULL, 0}, vb = {NULL, 0};
    int rc = parse("first", a, &va, err);
    if (rc != 0)
        goto out;
    rc = parse("second", b, &vb, err);
    if (rc != 0)
        goto out;
    *out = 0;
    for (size_t i = 0; i < va.n || i < vb.n; i++) {
        int r = cmp_seg(i < va.n ? &va.s[i] : NULL, i < vb.n ? &vb.s[i] : NULL);
        if (r != 0) {
            *out = r;
            break;
        }
    }
out:
    if (rc == DD_ENOMEM)
        dd_err_set(err, rc, "rubygems: out of memory");
    dd_free(va.s);
    dd_free(vb.s);
    return rc;
}
