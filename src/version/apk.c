/* Alpine (apk) version comparison: a port of apk-tools 2.x src/version.c (apk_version_validate()
 * and apk_version_compare_blob(); ported from the 2.12-era file, alpinelinux/apk-tools commit
 * 010497cb, whose token machine the 2.x line keeps):
 *
 *   {digits}{.digits}...{letter}{_suffix{digits}}...{-r digits}
 *   pre-release suffixes _alpha _beta _pre _rc sort before the bare version, post-release
 *   suffixes _cvs _svn _git _hg _p after it; a '.'-component with leading zeros gets a negative
 *   value (minus the number of zeros) followed by the rest of its digits, so "1.05" < "1.5".
 *
 * Both versions must pass apk_version_validate(), else DD_EINVALID. Deviations, on purpose:
 * - apk-tools 2.x accepts the empty string as valid; we reject it (it is no version).
 * - apk-tools 2.x accumulates digit runs in an int, which overflows (undefined behaviour) past
 *   INT_MAX; we compare digit runs numerically at any length.
 * apk-tools 3.x rewrote the comparison; we follow 2.x where they differ:
 * - 3.x accepts a "~hash" commit suffix ("1.0~1234abcd"): DD_EINVALID here.
 * - 3.x rejects a letter followed by digits ("0.1a1", hence "6.0.2p1"), a version not starting
 *   with a digit ("a", ".1", "_pre1", "-r1"), "0.1-r", "0.1-r2-r3" and "0.1_": all valid in 2.x.
 * - 2.x follows a ".0" component, and a '.' directly followed by a letter, with an extra empty
 *   digit token, so "6.0_pre1" > "6.0" and "0.r1" > "0r2" (3.x: '<'); 3.x string-sorts components
 * with leading zeros
 *   ("8.2.0 < 8.2.001"), 2.x ranks them by the count of leading zeros then the value.
 * tests/version/test_vers_apk.c lists every vector of apk-tools' (3.x) version.data on which
 * the two differ. */
#include "version/version.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

enum {
    T_INVALID = -1,
    T_DIGIT_OR_ZERO,
    T_DIGIT,
    T_LETTER,
    T_SUFFIX,
    T_SUFFIX_NO,
    T_REVISION_NO,
    T_END,
};

typedef struct blob {
    const char *p;
    size_t n;
} blob;

/* A token value: an integer, or a digit run too long for one (big, compared by length). */
typedef struct tval {
    int64_t v;
    const char *dig; /* significant digits (no leading zeros) when big */
    size_t n_dig;
    bool big;
} tval;

#define MAX_SMALL_DIGITS 18 /* 10^18 - 1 fits in int64_t */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_lower(char c)
{
    return c >= 'a' && c <= 'z';
}

static tval small(int64_t v)
{
    tval t = {v, NULL, 0, false};
    return t;
}

static int valcmp(const tval *a, const tval *b)
{
    if (a->big && b->big) {
        if (a->n_dig != b->n_dig)
            return a->n_dig < b->n_dig ? -1 : 1;
        int r = memcmp(a->dig, b->dig, a->n_dig);
        return (r > 0) - (r < 0);
    }
    if (a->big)
        return 1;
    if (b->big)
        return -1;
    return (a->v > b->v) - (a->v < b->v);
}

/* apk-tools next_token(): classify what follows a token, consuming separators. */
static void next_token(int *type, blob *b)
{
    int n = T_INVALID;

    if (b->n == 0 || b->p[0] == '\0') {
        n = T_END;
    } else if ((*type == T_DIGIT || *type == T_DIGIT_OR_ZERO) && is_lower(b->p[0])) {
        n = T_LETTER;
    } else if (*type == T_LETTER && is_digit(b->p[0])) {
        n = T_DIGIT;
    } else if (*type == T_SUFFIX && is_digit(b->p[0])) {
        n = T_SUFFIX_NO;
    } else {
        switch (b->p[0]) {
        case '.':
            n = T_DIGIT_OR_ZERO;
            break;
        case '_':
            n = T_SUFFIX;
            break;
        case '-':
            if (b->n > 1 && b->p[1] == 'r') {
                n = T_REVISION_NO;
                b->p++;
                b->n--;
            } else {
                n = T_INVALID;
            }
            break;
        default:
            break;
        }
        b->p++;
        b->n--;
    }

    if (n < *type) {
        if (!((n == T_DIGIT_OR_ZERO && *type == T_DIGIT) ||
              (n == T_SUFFIX && *type == T_SUFFIX_NO) || (n == T_DIGIT && *type == T_LETTER)))
            n = T_INVALID;
    }
    *type = n;
}

/* Length of a prefix of b matching one of names; *idx its index, or -1. */
static size_t match_suffix(const blob *b, const char *const *names, int n_names, int *idx)
{
    for (int k = 0; k < n_names; k++) {
        size_t l = strlen(names[k]);
        if (l <= b->n && memcmp(names[k], b->p, l) == 0) {
            *idx = k;
            return l;
        }
    }
    *idx = -1;
    return 0;
}

/* apk-tools get_token(): the value of the token of kind *type at b, then advance. */
static tval get_token(int *type, blob *b)
{
    static const char *const pre[] = {"alpha", "beta", "pre", "rc"};
    static const char *const post[] = {"cvs", "svn", "git", "hg", "p"};
    size_t i = 0;
    int nt = T_INVALID, k;
    tval v = small(0);

    if (b->n == 0) {
        *type = T_END;
        return v;
    }

    switch (*type) {
    case T_DIGIT_OR_ZERO:
        /* Leading zero digits get a special treatment. */
        if (b->p[0] == '0') {
            while (i < b->n && b->p[i] == '0')
                i++;
            nt = T_DIGIT;
            v = small(-(int64_t)i);
            break;
        }
        /* fall through */
    case T_DIGIT:
    case T_SUFFIX_NO:
    case T_REVISION_NO: {
        while (i < b->n && b->p[i] == '0')
            i++;
        size_t s = i;
        while (i < b->n && is_digit(b->p[i]))
            i++;
        if (i - s > MAX_SMALL_DIGITS) {
            v.big = true;
            v.dig = b->p + s;
            v.n_dig = i - s;
        } else {
            for (size_t j = s; j < i; j++)
                v.v = v.v * 10 + (b->p[j] - '0');
        }
        break;
    }
    case T_LETTER:
        v = small((unsigned char)b->p[i++]);
        break;
    case T_SUFFIX:
        i = match_suffix(b, pre, 4, &k);
        if (k >= 0) {
            v = small(k - 4);
            break;
        }
        i = match_suffix(b, post, 5, &k);
        if (k >= 0) {
            v = small(k);
            break;
        }
        /* invalid suffix */
        *type = T_INVALID;
        return small(-1);
    default:
        *type = T_INVALID;
        return small(-1);
    }
    b->p += i;
    b->n -= i;
    if (b->n == 0)
        *type = T_END;
    else if (nt != T_INVALID)
        *type = nt;
    else
        next_token(type, b);
    return v;
}

static int validate(const char *s, const char *which, dd_err *err)
{
    blob b = {s, strlen(s)};
    int t = T_DIGIT;

    if (b.n == 0)
        return dd_err_set_at(err, DD_EINVALID, 0, "%s version: empty", which);
    while (t != T_END && t != T_INVALID) {
        const char *before = b.p;
        (void)get_token(&t, &b);
        if (t == T_INVALID)
            return dd_err_set_at(err, DD_EINVALID, (size_t)(before - s),
                                 "%s version: not a valid apk version", which);
    }
    return 0;
}

int dd_vers_apk_cmp(const char *a, const char *b, int *out, dd_err *err)
{
    int rc;

    if ((rc = validate(a, "first", err)) != 0)
        goto out;
    if ((rc = validate(b, "second", err)) != 0)
        goto out;

    blob ba = {a, strlen(a)}, bb = {b, strlen(b)};
    int at = T_DIGIT, bt = T_DIGIT, tt;
    tval av = small(0), bv = small(0);
    int c = 0;

    while (at == bt && at != T_END && at != T_INVALID && c == 0) {
        av = get_token(&at, &ba);
        bv = get_token(&bt, &bb);
        c = valcmp(&av, &bv);
    }
    /* The value of this token differs? */
    if (c != 0) {
        *out = c;
        goto out;
    }
    /* Both at the end (validated input is never T_INVALID)? */
    if (at == bt) {
        *out = 0;
        goto out;
    }
    /* Leading components are equal: the longer version is greater unless what follows is a
     * pre-release suffix. */
    tt = at;
    if (at == T_SUFFIX) {
        tval s = get_token(&tt, &ba);
        if (s.v < 0) {
            *out = -1;
            goto out;
        }
    }
    tt = bt;
    if (bt == T_SUFFIX) {
        tval s = get_token(&tt, &bb);
        if (s.v < 0) {
            *out = 1;
            goto out;
        }
    }
    *out = at > bt ? -1 : (bt > at ? 1 : 0);
out:
    return rc;
}
