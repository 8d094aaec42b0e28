/* Go module and Go toolchain versions (DD_VERS_GO).
 *
 * Module versions follow golang.org/x/mod/semver: "v" + SemVer 2.0.0, where the shorthands
 * "vMAJOR" and "vMAJOR.MINOR" mean vMAJOR.0.0 and vMAJOR.MINOR.0 but may not carry a pre-release
 * or build suffix ("v1.2-pre" is invalid). Pseudo-versions (vX.Y.Z-yyyymmddhhmmss-abcdefabcdef,
 * vX.Y.(Z+1)-0.yyyymmddhhmmss-abcdefabcdef, vX.Y.Z-pre.0.yyyymmddhhmmss-abcdefabcdef) are SemVer
 * pre-releases and already sort correctly under SemVer precedence, and "+incompatible" is build
 * metadata, ignored for precedence, so both need no special handling. OSV's Go records write
 * module versions without the "v" ("1.2.3"), so the "v" is optional; the same grammar applies.
 * Unlike npm, no whitespace is trimmed: x/mod/semver rejects it.
 *
 * Toolchain versions, as used for the "stdlib" and "toolchain" packages: "go" + MAJOR[.MINOR
 * [.PATCH]] + optional alpha|beta|rc N are mapped the way OSV's Go vulnerability database maps
 * release tags to SemVer: go1.21.3 -> 1.21.3, go1.21 -> 1.21.0, go1.21rc2 -> 1.21.0-rc.2,
 * go1.9beta1 -> 1.9.0-beta.1 (and go1 -> 1.0.0). Note that this differs from the go/version
 * package, where the language version "go1.21" sorts before "go1.21rc1"; OSV ranges are written in
 * the SemVer mapping, so that is the order used here.
 *
 * Either form is rewritten to canonical SemVer ("MAJOR.MINOR.PATCH[-pre][+build]") and compared by
 * dd_vers_semver_cmp. The scanner is hand-written: the grammar is a few character classes. */
#include "version/version.h"

#include <string.h>

#include "util/buf.h"

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int fail(dd_err *err, const char *which, const char *v, size_t off, const char *why)
{
    return dd_err_set_at(err, DD_EINVALID, off, "go: %s version \"%.64s\": %s at offset %zu", which,
                         v, why, off);
}

/* Reads up to three dot-separated numbers at v[*i]; returns how many (0 when none). Leading zeros
 * are left for the SemVer check (or rejected here for toolchain versions). */
static int numbers(const char *v, size_t *i, size_t *starts, size_t *lens)
{
    int n = 0;
    while (n < 3) {
        size_t s = *i;
        while (is_digit(v[*i]))
            (*i)++;
        if (*i == s)
            break; /* only possible for the first: a '.' is taken only before a digit */
        starts[n] = s;
        lens[n] = *i - s;
        n++;
        if (n < 3 && v[*i] == '.' && is_digit(v[*i + 1]))
            (*i)++;
        else
            break;
    }
    return n;
}

/* Writes the canonical SemVer form of v into b; *prefix_len is how many leading bytes of v were
 * dropped (for error offsets). */
static int canonical(const char *v, const char *which, dd_buf *b, size_t *prefix_len, dd_err *err)
{
    size_t starts[3], lens[3], i = 0;
    int toolchain = 0, n, rc;

    for (size_t k = 0; v[k]; k++) {
        char c = v[k];
        if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
              c == '-' || c == '+'))
            return fail(err, which, v, k, "character not allowed in a Go version");
    }
    if (v[0] == 'g' && v[1] == 'o') {
        toolchain = 1;
        i = 2;
    } else if (v[0] == 'v') {
        i = 1;
    }
    *prefix_len = i;
    n = numbers(v, &i, starts, lens);
    if (n == 0)
        return fail(err, which, v, i, "expected a number");
    for (int k = 0; k < n; k++) {
        if ((rc = dd_buf_append(b, v + starts[k], lens[k])) < 0 ||
            (k < n - 1 && (rc = dd_buf_append(b, ".", 1)) < 0))
            return dd_err_set(err, rc, "go: out of memory");
    }
    for (int k = n; k < 3; k++)
        if ((rc = dd_buf_append(b, ".0", 2)) < 0)
            return dd_err_set(err, rc, "go: out of memory");

    if (toolchain) {
        static const char *const labels[] = {"alpha", "beta", "rc"};
        for (int k = 0; k < n; k++)
            if (lens[k] > 1 && v[starts[k]] == '0')
                return fail(err, which, v, starts[k], "leading zero in a toolchain version");
        if (v[i] == 0)
            return 0;
        for (size_t l = 0; l < sizeof(labels) / sizeof(labels[0]); l++) {
            size_t ll = strlen(labels[l]);
            if (strncmp(v + i, labels[l], ll) != 0 || !is_digit(v[i + ll]))
                continue;
            size_t s = i + ll, e = s;
            while (is_digit(v[e]))
                e++;
            if (v[e] != 0)
                return fail(err, which, v, e, "unexpected character after the pre-release");
            if (e - s > 1 && v[s] == '0')
                return fail(err, which, v, s, "leading zero in a toolchain version");
            if ((rc = dd_buf_append(b, "-", 1)) < 0 || (rc = dd_buf_append(b, labels[l], ll)) < 0 ||
                (rc = dd_buf_append(b, ".", 1)) < 0 || (rc = dd_buf_append(b, v + s, e - s)) < 0)
                return dd_err_set(err, rc, "go: out of memory");
            return 0;
        }
        return fail(err, which, v, i, "expected alphaN, betaN or rcN after a toolchain version");
    }
    if (v[i] == 0)
        return 0;
    if (v[i] != '-' && v[i] != '+')
        return fail(err, which, v, i, "unexpected character");
    if (n < 3)
        return fail(err, which, v, i,
                    "the shorthands vMAJOR and vMAJOR.MINOR take no pre-release or build");
    if ((rc = dd_buf_append_str(b, v + i)) < 0)
        return dd_err_set(err, rc, "go: out of memory");
    return 0;
}

/* Canonicalises v and checks it under SemVer, reporting errors against the original text. */
static int prepare(const char *v, const char *which, dd_buf *b, dd_err *err)
{
    size_t prefix = 0;
    int rc, r;
    dd_err sub = DD_ERR_INIT;

    if ((rc = canonical(v, which, b, &prefix, err)) < 0)
        return rc;
    if (b->data == NULL)
        return fail(err, which, v, 0, "empty version");
    if ((rc = dd_vers_semver_cmp(b->data, b->data, &r, &sub)) < 0)
        return dd_err_set_at(err, rc, sub.offset + prefix,
                             "go: %s version \"%.64s\" is not SemVer: %s", which, v, sub.msg);
    return 0;
}

int dd_vers_go_cmp(const char *a, const char *b, int *out, dd_err *err)
{
    size_t max = strlen(a) + strlen(b) + 32;
    dd_buf ca = DD_BUF_INIT(max), cb = DD_BUF_INIT(max);
    int rc;

    if ((rc = prepare(a, "first", &ca, err)) < 0)
        goto out;
    if ((rc = prepare(b, "second", &cb, err)) < 0)
        goto out;
    rc = dd_vers_semver_cmp(ca.data, cb.data, out, err);
out:
    dd_buf_free(&ca);
    dd_buf_free(&cb);
    return rc;
}
