/* PEP 440 versions for PyPI (DD_VERS_PEP440), with the parsing and ordering of pypa/packaging's
 * packaging.version.Version (the reference implementation pip uses).
 *
 * Accepted: [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local], case-insensitive, with PEP 440's
 * normalisations: surrounding whitespace (ASCII and Unicode, as Python's \s), a leading "v",
 * "-", "_" or "." (or nothing) before and inside the pre, post and dev parts, an omitted number
 * meaning 0, the spellings alpha -> a, beta -> b, c/pre/preview -> rc, rev/r -> post, the implicit
 * post release "1.0-1", and leading zeros in numbers. Local labels are [a-z0-9] segments separated
 * by "-", "_" or ".". Anything else, e.g. "1.0-foo" or the pre-PEP 440 "LegacyVersion" forms
 * that packaging 22 dropped, is DD_EINVALID.
 *
 * Order (packaging's _cmpkey): epoch; release with trailing zeros ignored (1.0 == 1.0.0); pre
 * (a < b < rc, and a release with only a dev part sorts before every pre-release of it: 1.0.dev0
 * < 1.0a0; a release without pre sorts after its pre-releases); post (none first); dev (none
 * last, so X.devN < X for any X); local (none first; segments compare numerically when numeric,
 * case-insensitively otherwise, numeric > alphanumeric, a longer list wins a tie).
 *
 * Numbers of any length are compared as digit strings, never converted, so nothing overflows.
 * The scanner is hand-written (PEP 440's grammar is one regular expression; C has no portable
 * equivalent of Python's), single pass and bounded by the input length. */
#include "version/version.h"

#include <string.h>

typedef struct span {
    const char *p;
    size_t len;
} span;

enum { PRE_NONE = -1, PRE_A = 0, PRE_B = 1, PRE_RC = 2 };

typedef struct pep {
    span epoch;   /* digits, empty for 0 */
    span release; /* digits and dots */
    int pre;      /* PRE_* */
    span pre_n;
    int has_post;
    span post_n;
    int has_dev;
    span dev_n;
    int has_local;
    span local; /* after '+' */
} pep;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_sep(char c)
{
    return c == '-' || c == '_' || c == '.';
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Length of the whitespace character (as Python's str.isspace) starting at v[i], else 0. */
static size_t space_at(const unsigned char *v, size_t i, size_t end)
{
    unsigned char c = v[i];
    if (c == ' ' || (c >= 0x09 && c <= 0x0d) || (c >= 0x1c && c <= 0x1f))
        return 1;
    if (c == 0xc2 && i + 1 < end && (v[i + 1] == 0x85 || v[i + 1] == 0xa0))
        return 2;
    if (i + 2 >= end)
        return 0;
    if (c == 0xe1 && v[i + 1] == 0x9a && v[i + 2] == 0x80)
        return 3; /* U+1680 */
    if (c == 0xe2 && v[i + 1] == 0x80 &&
        (v[i + 2] <= 0x8a || v[i + 2] == 0xa8 || v[i + 2] == 0xa9 || v[i + 2] == 0xaf) &&
        v[i + 2] >= 0x80)
        return 3; /* U+2000..U+200A, U+2028, U+2029, U+202F */
    if (c == 0xe2 && v[i + 1] == 0x81 && v[i + 2] == 0x9f)
        return 3; /* U+205F */
    if (c == 0xe3 && v[i + 1] == 0x80 && v[i + 2] == 0x80)
        return 3; /* U+3000 */
    return 0;
}

/* Length of the whitespace character ending just before v[end] (not before v[start]), else 0. */
static size_t space_before(const unsigned char *v, size_t start, size_t end)
{
    for (size_t n = 1; n <= 3 && n <= end - start; n++)
        if (space_at(v, end - n, end) == n)
            return n;
    return 0;
}

static int fail(dd_err *err, const char *which, const char *v, size_t off, const char *why)
{
    return dd_err_set_at(err, DD_EINVALID, off, "pep440: %s version \"%.64s\": %s at offset %zu",
                         which, v, why, off);
}

/* Case-insensitive match of word at v[i..end); returns its length or 0. */
static size_t word_at(const char *v, size_t i, size_t end, const char *word)
{
    size_t n = strlen(word);
    if (end - i < n)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (lower(v[i + k]) != word[k])
            return 0;
    return n;
}

static span digits_at(const char *v, size_t *i, size_t end)
{
    span s = {v + *i, 0};
    while (*i < end && is_digit(v[*i]))
        (*i)++;
    s.len = (size_t)(v + *i - s.p);
    return s;
}

/* After a pre/post/dev label: an optional separator and number ([-_.]?[0-9]+)?. A separator not
 * followed by a digit is left for the next part. */
static span label_number(const char *v, size_t *i, size_t end)
{
    size_t j = *i;
    if (j < end && is_sep(v[j]))
        j++;
    if (j < end && is_digit(v[j])) {
        *i = j;
        return digits_at(v, i, end);
    }
    span none = {v + *i, 0};
    return none;
}

/* Tries [-_.]?(one of words) at v[*i]; on a match advances *i and returns the word's index. */
static int label_at(const char *v, size_t *i, size_t end, const char *const *words, int n_words)
{
    size_t j = *i;
    if (j < end && is_sep(v[j]))
        j++;
    for (int k = 0; k < n_words; k++) {
        size_t n = word_at(v, j, end, words[k]);
        if (n) {
            *i = j + n;
            return k;
        }
    }
    return -1;
}

static int parse(const char *v, const char *which, pep *out, dd_err *err)
{
    /* Longer spellings first: each is tried as a whole word, and no shorter spelling can be
     * followed by what completes a longer one, so the first match is the regex's match. */
    static const char *const pre_words[] = {"alpha", "beta", "preview", "pre", "rc", "a", "b", "c"};
    static const int pre_kinds[] = {PRE_A, PRE_B, PRE_RC, PRE_RC, PRE_RC, PRE_A, PRE_B, PRE_RC};
    static const char *const post_words[] = {"post", "rev", "r"};
    static const char *const dev_words[] = {"dev"};
    const unsigned char *u = (const unsigned char *)v;
    size_t i = 0, end = strlen(v), n;
    int k;

    memset(out, 0, sizeof(*out));
    out->pre = PRE_NONE;
    while (i < end && (n = space_at(u, i, end)) > 0)
        i += n;
    while (end > i && (n = space_before(u, i, end)) > 0)
        end -= n;
    if (i < end && (v[i] == 'v' || v[i] == 'V'))
        i++;

    size_t start = i;
    span num = digits_at(v, &i, end);
    if (num.len > 0 && i < end && v[i] == '!') {
        out->epoch = num;
        start = ++i;
        num = digits_at(v, &i, end);
    }
    if (num.len == 0)
        return fail(err, which, v, i, "expected a release number");
    while (i + 1 < end && v[i] == '.' && is_digit(v[i + 1])) {
        i++;
        digits_at(v, &i, end);
    }
    out->release.p = v + start;
    out->release.len = i - start;

    if ((k = label_at(v, &i, end, pre_words, 8)) >= 0) {
        out->pre = pre_kinds[k];
        out->pre_n = label_number(v, &i, end);
    }
    if (i + 1 < end && v[i] == '-' && is_digit(v[i + 1])) {
        i++;
        out->has_post = 1;
        out->post_n = digits_at(v, &i, end);
    } else if (label_at(v, &i, end, post_words, 3) >= 0) {
        out->has_post = 1;
        out->post_n = label_number(v, &i, end);
    }
    if (label_at(v, &i, end, dev_words, 1) >= 0) {
        out->has_dev = 1;
        out->dev_n = label_number(v, &i, end);
    }
    if (i < end && v[i] == '+') {
        size_t ls = ++i;
        for (;;) {
            size_t s = i;
            while (i < end && is_alnum(v[i]))
                i++;
            if (i == s)
                return fail(err, which, v, i, "empty local version segment");
            if (i + 1 < end && is_sep(v[i]) && is_alnum(v[i + 1]))
                i++;
            else
                break;
        }
        out->has_local = 1;
        out->local.p = v + ls;
        out->local.len = i - ls;
    }
    if (i != end)
        return fail(err, which, v, i, "not a PEP 440 version: unexpected character");
    return 0;
}

/* Decimal digit strings of any length, leading zeros ignored; empty means 0. */
static int cmp_dec(const char *a, size_t a_len, const char *b, size_t b_len)
{
    while (a_len > 0 && *a == '0')
        a++, a_len--;
    while (b_len > 0 && *b == '0')
        b++, b_len--;
    if (a_len != b_len)
        return a_len < b_len ? -1 : 1;
    int c = a_len ? memcmp(a, b, a_len) : 0;
    return (c > 0) - (c < 0);
}

/* Next component of a separated list at s.p[*i]: [*i, end of component); *i moves past it and
 * its separator. */
static span next_part(span s, size_t *i)
{
    span p = {s.p + *i, 0};
    while (*i < s.len && !is_sep(s.p[*i]))
        (*i)++;
    p.len = (size_t)(s.p + *i - p.p);
    if (*i < s.len)
        (*i)++;
    return p;
}

/* Release segments compared with the shorter padded with zeros (== trailing zeros stripped). */
static int cmp_release(span a, span b)
{
    size_t i = 0, j = 0;
    while (i < a.len || j < b.len) {
        span x = {"", 0}, y = {"", 0};
        if (i < a.len)
            x = next_part(a, &i);
        if (j < b.len)
            y = next_part(b, &j);
        int c = cmp_dec(x.p, x.len, y.p, y.len);
        if (c)
            return c;
    }
    return 0;
}

static int all_digits(span s)
{
    for (size_t i = 0; i < s.len; i++)
        if (!is_digit(s.p[i]))
            return 0;
    return 1;
}

static int cmp_local(span a, span b)
{
    size_t i = 0, j = 0;
    for (;;) {
        if (i >= a.len || j >= b.len)
            return (i < a.len) - (j < b.len);
        span x = next_part(a, &i), y = next_part(b, &j);
        int xn = all_digits(x), yn = all_digits(y), c = 0;
        if (xn && yn) {
            c = cmp_dec(x.p, x.len, y.p, y.len);
        } else if (xn || yn) {
            c = xn ? 1 : -1;
        } else {
            size_t n = x.len < y.len ? x.len : y.len;
            for (size_t k = 0; k < n && c == 0; k++)
                c = (lower(x.p[k]) > lower(y.p[k])) - (lower(x.p[k]) < lower(y.p[k]));
            if (c == 0)
                c = (x.len > y.len) - (x.len < y.len);
        }
        if (c)
            return c;
    }
}

/* Rank of the pre-release part: -1 (dev-only release, before all its pre-releases), 0..2 (a, b,
 * rc), 3 (no pre-release: after all of them). */
static int pre_rank(const pep *v)
{
    if (v->pre == PRE_NONE)
        return !v->has_post && v->has_dev ? -1 : 3;
    return v->pre;
}

static int cmp_pep(const pep *a, const pep *b)
{
    int c;
    if ((c = cmp_dec(a->epoch.p, a->epoch.len, b->epoch.p, b->epoch.len)))
        return c;
    if ((c = cmp_release(a->release, b->release)))
        return c;
    int ra = pre_rank(a), rb = pre_rank(b);
    if (ra != rb)
        return ra < rb ? -1 : 1;
    if (ra >= 0 && ra <= 2 && (c = cmp_dec(a->pre_n.p, a->pre_n.len, b->pre_n.p, b->pre_n.len)))
        return c;
    if (a->has_post != b->has_post)
        return a->has_post ? 1 : -1;
    if (a->has_post && (c = cmp_dec(a->post_n.p, a->post_n.len, b->post_n.p, b->post_n.len)))
        return c;
    if (a->has_dev != b->has_dev)
        return a->has_dev ? -1 : 1;
    if (a->has_dev && (c = cmp_dec(a->dev_n.p, a->dev_n.len, b->dev_n.p, b->dev_n.len)))
        return c;
    if (a->has_local != b->has_local)
        return a->has_local ? 1 : -1;
    return a->has_local ? cmp_local(a->local, b->local) : 0;
}

int dd_vers_pep440_cmp(const char *a, const char *b, int *out, dd_err *err)
{
    pep x, y;
    int rc;

    if ((rc = parse(a, "first", &x, err)) < 0)
        goto out;
    if ((rc = parse(b, "second", &y, err)) < 0)
        goto out;
    *out = cmp_pep(&x, &y);
out:
    return rc;
}
