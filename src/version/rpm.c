/* RPM version comparison: [E:]V[-R] with librpm's own rpmvercmp() for the version and release,
 * following rpm 4.18's rpmverParse()/rpmverCmp() (lib/rpmver.c):
 *
 * - epoch: the leading digits when a ':' follows them; absent means 0. Compared numerically
 *   (bounded to uint32, the width of RPMTAG_EPOCH / rpmverEVal()).
 * - release: everything after the LAST '-'.
 * - rpmverCmp() compares the releases only when BOTH sides have one: "1.2" == "1.2-5". This is
 *   what advisories relying on version-only bounds expect, and what rpm does for dependency
 *   ranges without a release.
 *
 * Validation (DD_EINVALID). rpm's parseEVR() itself accepts any string; we reject what rpmbuild
 * could never have produced, so garbage in an advisory is reported instead of silently ordered:
 * an empty string, an empty epoch (":1", rpm would read 0), an epoch over UINT32_MAX, an empty
 * version or release ("1:", "-1", "1.0-"), and any character outside rpmbuild's allowed set for
 * Version/Release (ASCII letters and digits plus "._+%{}~^", build/parsePreamble.c
 * ALLOWED_CHARS_VERREL) -- in particular a second '-' or ':' and any non-ASCII byte. */
#include "version/version.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <rpm/rpmver.h>

#include "util/alloc.h"

typedef struct rver {
    uint32_t epoch;
    const char *ver; /* ver_len bytes, not NUL-terminated */
    size_t ver_len;
    const char *rel; /* NUL-terminated tail of the input, or NULL when absent */
} rver;

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool allowed(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("._+%{}~^", c) != NULL);
}

static int check_chars(const char *p, size_t n, size_t base, const char *which, const char *part,
                       dd_err *err)
{
    for (size_t i = 0; i < n; i++)
        if (!allowed(p[i]))
            return dd_err_set_at(err, DD_EINVALID, base + i,
                                 "%s version: character not allowed in rpm %s", which, part);
    return 0;
}

static int parse(const char *s, const char *which, rver *v, dd_err *err)
{
    size_t len = strlen(s), start = 0;
    int rc;

    if (len == 0)
        return dd_err_set_at(err, DD_EINVALID, 0, "%s version: empty", which);

    /* Epoch: leading digits terminated by ':' (rpm's parseEVR()). */
    size_t d = 0;
    while (d < len && is_digit(s[d]))
        d++;
    v->epoch = 0;
    if (d < len && s[d] == ':') {
        if (d == 0)
            return dd_err_set_at(err, DD_EINVALID, 0, "%s version: empty epoch", which);
        uint64_t e = 0;
        for (size_t i = 0; i < d; i++) {
            e = e * 10 + (uint64_t)(s[i] - '0');
            if (e > UINT32_MAX)
                return dd_err_set_at(err, DD_EINVALID, i, "%s version: epoch too big", which);
        }
        v->epoch = (uint32_t)e;
        start = d + 1;
    }

    const char *hy = strrchr(s + start, '-');
    v->ver = s + start;
    if (hy != NULL) {
        v->ver_len = (size_t)(hy - v->ver);
        v->rel = hy + 1;
        if (v->rel[0] == '\0')
            return dd_err_set_at(err, DD_EINVALID, (size_t)(hy - s), "%s version: empty release",
                                 which);
        if ((rc = check_chars(v->rel, strlen(v->rel), (size_t)(v->rel - s), which, "release",
                              err)) != 0)
            return rc;
    } else {
        v->ver_len = len - start;
        v->rel = NULL;
    }
    if (v->ver_len == 0)
        return dd_err_set_at(err, DD_EINVALID, start, "%s version: empty version", which);
    return check_chars(v->ver, v->ver_len, start, which, "version", err);
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

int dd_vers_rpm_cmp(const char *a, const char *b, int *out, dd_err *err)
{
    rver va, vb;
    char *sa = NULL, *sb = NULL;
    int rc;

    if ((rc = parse(a, "first", &va, err)) != 0)
        goto out;
    if ((rc = parse(b, "second", &vb, err)) != 0)
        goto out;
    if (va.epoch != vb.epoch) {
        *out = va.epoch > vb.epoch ? 1 : -1;
        goto out;
    }
    sa = dd_strndup(va.ver, va.ver_len);
    sb = dd_strndup(vb.ver, vb.ver_len);
    if (sa == NULL || sb == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    int r = rpmvercmp(sa, sb);
    if (r == 0 && va.rel != NULL && vb.rel != NULL)
        r = rpmvercmp(va.rel, vb.rel);
    *out = sign(r);
out:
    dd_free(sa);
    dd_free(sb);
    return rc;
}
