/* Fuzz target for the HTTP credential and token code of src/auth (token.c, scope.c): the
 * Authorization Basic/Bearer parser, strict base64 in both alphabets (a decoded input encodes back
 * to itself), ECR token checking with a fixed key (a token made from the claims checks back), and
 * repository scopes (a normalised scope normalises to itself; each pattern matches itself when it
 * has no '*'). Aborts when such a post-condition fails. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t KEY[32] = {7};

static void check_b64(const char *s, size_t len, bool url)
{
    uint8_t out[1024];
    size_t n = 0;
    int rc = dd_b64_decode(out, sizeof(out), &n, s, len, url);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ELIMIT)
        abort();
    if (rc != 0)
        return;
    char *enc = malloc(dd_b64_encoded_len(n, url) + 1);
    if (enc == NULL)
        return;
    dd_b64_encode(enc, out, n, url);
    size_t el = strlen(enc), il = len;
    while (el > 0 && enc[el - 1] == '=')
        el--;
    while (il > 0 && s[il - 1] == '=')
        il--;
    if (el != il || memcmp(enc, s, el) != 0)
        abort();
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size ? size : 1); /* exactly sized: reads past len are caught */
    if (s == NULL)
        return 0;
    if (size > 0)
        memcpy(s, data, size);

    dd_auth_cred c;
    int rc = dd_auth_parse_credentials(&c, s, size);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOTFOUND)
        abort();
    if (rc == 0 && (c.pass[0] == '\0' || (c.kind == DD_AUTH_CRED_BASIC && c.user[0] == '\0') ||
                    (c.kind != DD_AUTH_CRED_BASIC && c.kind != DD_AUTH_CRED_BEARER)))
        abort();

    check_b64(s, size, false);
    check_b64(s, size, true);

    dd_auth_token_claims cl;
    rc = dd_auth_token_check(&cl, KEY, s, size);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_EDENIED)
        abort();
    if (rc == 0) {
        char *tok = NULL;
        if (dd_auth_token_make(&tok, KEY, cl.account, cl.access_key_id, cl.expires_ms) != 0)
            abort();
        dd_auth_token_claims cl2;
        if (dd_auth_token_check(&cl2, KEY, tok, strlen(tok)) != 0 ||
            memcmp(&cl, &cl2, sizeof(cl)) != 0)
            abort();
        dd_free(tok);
    }

    /* scopes need a C string */
    char *z = malloc(size + 1);
    if (z != NULL) {
        memcpy(z, s, size);
        z[size] = '\0';
        char norm[DD_AUTH_REPOS_MAX + 1], again[DD_AUTH_REPOS_MAX + 1];
        if (strlen(z) == size && dd_auth_scope_normalize(norm, sizeof(norm), z, NULL) == 0) {
            if (dd_auth_scope_normalize(again, sizeof(again), norm, NULL) != 0 ||
                strcmp(norm, again) != 0)
                abort();
            char *p = norm;
            for (;;) {
                char *e = strchr(p, ',');
                size_t l = e != NULL ? (size_t)(e - p) : strlen(p);
                char name[256];
                memcpy(name, p, l);
                name[l] = '\0';
                if (!dd_auth_wildcard_match(p, l, name)) /* '*' matches itself too */
                    abort();
                if (e == NULL)
                    break;
                p = e + 1;
            }
        }
        dd_auth_identity id;
        memset(&id, 0, sizeof(id));
        memcpy(id.repos, "team-a/*,prod", 14);
        (void)dd_auth_allows(&id, z, size % 2 == 0);
        free(z);
    }
    free(s);
    return 0;
}
