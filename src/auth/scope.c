/* Per-repository permissions of access keys: scopes are comma-separated ECR
 * WILDCARD patterns, matched exactly without '*' and as anchored globs with it
 * (see dd_auth_allows in auth.h). */
#include "auth/internal.h"

#include <string.h>

bool dd_auth_wildcard_match(const char *pat, size_t len, const char *name)
{
    size_t nlen = strlen(name);
    const char *star = memchr(pat, '*', len);
    if (star == NULL)
        return len == nlen && memcmp(pat, name, len) == 0;
    size_t pre = (size_t)(star - pat);
    if (nlen < pre || memcmp(name, pat, pre) != 0)
        return false;
    const char *last = pat + len; /* just after the last '*' */
    while (last[-1] != '*')
        last--;
    size_t suf = (size_t)(pat + len - last);
    if (nlen - pre < suf || memcmp(name + nlen - suf, last, suf) != 0)
        return false;
    /* the pieces between the first and the last '*', in order, leftmost first */
    size_t pos = pre, end = nlen - suf;
    const char *p = star + 1;
    while (p < last) {
        const char *q = memchr(p, '*', (size_t)(last - p));
        size_t piece = (size_t)(q - p);
        if (piece > 0) {
            const char *hit = memmem(name + pos, end - pos, p, piece);
            if (hit == NULL)
                return false;
            pos = (size_t)(hit - name) + piece;
        }
        p = q + 1;
    }
    return true;
}

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int dd_auth_scope_normalize(char *out, size_t out_len, const char *scope, dd_err *err)
{
    size_t o = 0, n_patterns = 0;
    const char *p = scope;
    if (out_len == 0)
        return dd_err_set(err, DD_EINVALID, "no room for the repository scope");
    out[0] = '\0';
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        const char *s = p;
        while (len > 0 && is_ws(*s)) {
            s++;
            len--;
        }
        while (len > 0 && is_ws(s[len - 1]))
            len--;
        if (len == 0 || len > 255)
            return dd_err_set(err, DD_EINVALID,
                              "repository pattern %zu is empty or longer than 255 characters",
                              n_patterns + 1);
        for (size_t i = 0; i < len; i++) {
            char c = s[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == '-' || c == '/' || c == '*'))
                return dd_err_set(err, DD_EINVALID,
                                  "repository pattern %zu: '%c' is not allowed (lowercase "
                                  "letters, digits, . _ - / and *)",
                                  n_patterns + 1, c >= 0x21 && c < 0x7f ? c : '?');
        }
        if (o + (o > 0) + len >= out_len)
            return dd_err_set(err, DD_EINVALID, "repository scope longer than %zu characters",
                              out_len - 1);
        if (o > 0)
            out[o++] = ',';
        memcpy(out + o, s, len);
        o += len;
        out[o] = '\0';
        n_patterns++;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return 0;
}

bool dd_auth_allows(const dd_auth_identity *id, const char *repo, bool write)
{
    if (id == NULL || repo == NULL)
        return false;
    if (id->admin)
        return true;
    if (write && !id->can_push)
        return false;
    const char *p = id->repos;
    size_t max = sizeof(id->repos);
    size_t total = strnlen(p, max);
    if (total == max) /* not terminated: refuse rather than read past it */
        return false;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (len > 0 && dd_auth_wildcard_match(p, len, repo))
            return true;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return false;
}
