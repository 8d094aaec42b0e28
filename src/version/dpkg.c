/* Debian version comparison (Debian policy 5.6.12), a port of dpkg's lib/dpkg/version.c and
 * parsehelp.c parseversion() as `dpkg --compare-versions` applies them:
 *
 *   [epoch:]upstream[-revision]   surrounding blanks (space, tab) are ignored
 *
 * - epoch: the digits before the FIRST ':', at most INT_MAX (dpkg: "epoch in version is too big").
 *   dpkg reads the epoch with strtol, which also takes a leading sign or whitespace ("+1:0",
 *   "-0:0"); we take digits only and reject those as DD_EINVALID.
 * - revision: everything after the LAST '-' (must not be empty); upstream may hold '-' and ':'.
 * - Errors (DD_EINVALID), as in dpkg: empty string, embedded blanks, empty/non-numeric/negative/too
 *   big epoch, nothing after the colon, empty revision, empty upstream version.
 * - dpkg's *warnings* (upstream not starting with a digit, characters outside [A-Za-z0-9.+~-:] in
 *   upstream or outside [A-Za-z0-9.+~] in the revision) are accepted and compared, exactly as
 *   `dpkg --compare-versions` does (it prints the warning and compares the parsed parts):
 *   `dpkg --compare-versions a1 lt 9` is false, not an error.
 *
 * Comparison (verrevcmp): alternate non-digit and digit runs; in non-digit runs '~' sorts before
 * everything (even the end of the string), then the end, then letters, then all other bytes;
 * digit runs compare numerically at any length (leading zeros stripped, no integer conversion).
 * dpkg's order() works on a plain `char`, signed on the platforms Debian ships most, so bytes >=
 * 0x80 (only possible in "warning" versions) sort after letters and before ASCII punctuation; we
 * reproduce that on every platform by casting to signed char. */
#include "version/version.h"

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct dver {
    unsigned long epoch;
    const char *ver; /* upstream version, ver_len bytes, not NUL-terminated */
    size_t ver_len;
    const char *rev; /* revision, rev_len bytes ("" when absent) */
    size_t rev_len;
} dver;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses s into v; which names the version ("first"/"second") in error messages. Offsets in err
 * are byte offsets into s. */
static int parse(const char *s, const char *which, dver *v, dd_err *err)
{
    size_t len = strlen(s);
    size_t start = 0, end;

    while (start < len && is_blank(s[start]))
        start++;
    if (start == len)
        return dd_err_set_at(err, DD_EINVALID, 0, "%s version: version string is empty", which);
    end = start;
    while (end < len && !is_blank(s[end]))
        end++;
    for (size_t i = end; i < len; i++)
        if (!is_blank(s[i]))
            return dd_err_set_at(err, DD_EINVALID, i,
                                 "%s version: version string has embedded spaces", which);

    v->epoch = 0;
    const char *colon = memchr(s + start, ':', end - start);
    if (colon != NULL) {
        size_t c = (size_t)(colon - s);
        if (c == start)
            return dd_err_set_at(err, DD_EINVALID, start, "%s version: epoch is empty", which);
        unsigned long e = 0;
        for (size_t i = start; i < c; i++) {
            if (!is_digit(s[i]))
                return dd_err_set_at(err, DD_EINVALID, i, "%s version: epoch is not a number",
                                     which);
            e = e * 10 + (unsigned long)(s[i] - '0');
            if (e > INT_MAX)
                return dd_err_set_at(err, DD_EINVALID, i, "%s version: epoch is too big", which);
        }
        if (c + 1 == end)
            return dd_err_set_at(err, DD_EINVALID, c, "%s version: nothing after colon", which);
        v->epoch = e;
        start = c + 1;
    }

    /* Revision after the last hyphen. */
    size_t hy = end;
    for (size_t i = end; i > start; i--) {
        if (s[i - 1] == '-') {
            hy = i - 1;
            break;
        }
    }
    v->ver = s + start;
    if (hy < end) {
        if (hy + 1 == end)
            return dd_err_set_at(err, DD_EINVALID, hy, "%s version: revision is empty", which);
        v->ver_len = hy - start;
        v->rev = s + hy + 1;
        v->rev_len = end - hy - 1;
    } else {
        v->ver_len = end - start;
        v->rev = "";
        v->rev_len = 0;
    }
    if (v->ver_len == 0)
        return dd_err_set_at(err, DD_EINVALID, start, "%s version: upstream version is empty",
                             which);
    /* dpkg's remaining checks (leading digit, allowed characters) are warnings that
     * `dpkg --compare-versions` accepts: see the file comment. */
    return 0;
}

/* dpkg's order(): '~' < end-of-string and digits < letters < everything else. */
static int order(int c)
{
    if (c >= '0' && c <= '9')
        return 0;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return c;
    if (c == '~')
        return -1;
    if (c != 0)
        return c + 256;
    return 0;
}

/* Byte i of (p, n) as dpkg sees it: 0 past the end, else the signed char value. */
static int at(const char *p, size_t n, size_t i)
{
    return i < n ? (int)(signed char)p[i] : 0;
}

/* dpkg's verrevcmp() on counted strings; returns <0, 0, >0. */
static int verrevcmp(const char *a, size_t an, const char *b, size_t bn)
{
    size_t i = 0, j = 0;

    while (i < an || j < bn) {
        int first_diff = 0;

        while ((i < an && !is_digit(a[i])) || (j < bn && !is_digit(b[j]))) {
            int ac = order(at(a, an, i));
            int bc = order(at(b, bn, j));
            if (ac != bc)
                return ac - bc;
            /* Equal orders with one side at its end cannot happen (order(0) == 0 only for
             * digits and the end, and this loop runs only while one side is a non-digit). */
            i++;
            j++;
        }
        while (i < an && a[i] == '0')
            i++;
        while (j < bn && b[j] == '0')
            j++;
        while (i < an && j < bn && is_digit(a[i]) && is_digit(b[j])) {
            if (!first_diff)
                first_diff = a[i] - b[j];
            i++;
            j++;
        }
        if (i < an && is_digit(a[i]))
            return 1;
        if (j < bn && is_digit(b[j]))
            return -1;
        if (first_diff)
            return first_diff;
    }
    return 0;
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

int dd_vers_dpkg_cmp(const char *a, const char *b, int *out, dd_err *err)
{
    dver va, vb;
    int rc;

    if ((rc = parse(a, "first", &va, err)) != 0)
        goto out;
    if ((rc = parse(b, "second", &vb, err)) != 0)
        goto out;
    if (va.epoch != vb.epoch) {
        *out = va.epoch > vb.epoch ? 1 : -1;
        goto out;
    }
    int r = verrevcmp(va.ver, va.ver_len, vb.ver, vb.ver_len);
    if (r == 0)
        r = verrevcmp(va.rev, va.rev_len, vb.rev, vb.rev_len);
    *out = sign(r);
out:
    return rc;
}
