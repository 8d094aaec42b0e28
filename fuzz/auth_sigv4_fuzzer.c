/* Fuzz target for SigV4 verification (src/auth/sigv4.c). The whole input goes to the Authorization
 * header parser, the date parser and the canonical URI/query builders; then it is read as a
 * request: the first line is the raw target, each further line "Name: value" a header (the rest
 * after an empty line is the body), and dd_sigv4_verify runs on it with a fixed key. Aborts when a
 * documented post-condition fails. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_HEADERS 32

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static void check_parsers(const char *s, size_t len)
{
    dd_sigv4_auth a;
    const char *why = NULL;
    int rc = dd_sigv4_parse_authorization(&a, s, len, &why);
    if (rc != 0 && rc != DD_EINVALID)
        abort();
    if (why == NULL || (rc != 0 && why[0] == '\0'))
        abort();
    if (rc == 0) {
        if (strlen(a.signature) != 64 || !is_lower_hex(a.signature, 64) || strlen(a.date) != 8 ||
            a.access_key_id[0] == '\0' || a.region[0] == '\0' || a.service[0] == '\0' ||
            !dd_sigv4_is_signed(a.signed_headers, "host") ||
            dd_sigv4_check_signed_headers(a.signed_headers, strlen(a.signed_headers), &why) != 0)
            abort();
    }
    int64_t ms = 0;
    char amz[17];
    if (dd_sigv4_parse_date(&ms, amz, s, len, true) == 0) {
        int64_t ms2 = 0;
        char amz2[17];
        /* the normalised form parses back to the same instant */
        if (strlen(amz) != 16 || dd_sigv4_parse_date(&ms2, amz2, amz, 16, false) != 0 ||
            ms2 != ms || strcmp(amz, amz2) != 0)
            abort();
    }
    dd_buf b = DD_BUF_INIT(1u << 22);
    if (dd_sigv4_canonical_uri(&b, s, len) == 0) {
        if (b.len == 0 || b.data[0] != '/')
            abort();
        for (size_t i = 0; i < b.len; i++) /* only unreserved, '/' and %XX remain */
            if (!((b.data[i] >= 'A' && b.data[i] <= 'Z') ||
                  (b.data[i] >= 'a' && b.data[i] <= 'z') ||
                  (b.data[i] >= '0' && b.data[i] <= '9') || strchr("-_.~/%", b.data[i]) != NULL))
                abort();
    }
    dd_buf_reset(&b);
    int q = dd_sigv4_canonical_query(&b, s, len);
    if (q != 0 && q != DD_ELIMIT && q != DD_ENOMEM)
        abort();
    dd_buf_free(&b);
}

static int lookup(void *ctx, const char *access_key_id, char *secret, size_t secret_len,
                  dd_auth_identity *id)
{
    (void)ctx;
    if (strcmp(access_key_id, "AKIAIOSFODNN7EXAMPLE") != 0)
        return DD_ENOTFOUND;
    static const char s[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    if (sizeof(s) > secret_len)
        return DD_EINVALID;
    memcpy(secret, s, sizeof(s));
    memcpy(id->access_key_id, access_key_id, strlen(access_key_id) + 1);
    return 0;
}

static void check_request(const char *s, size_t len)
{
    /* a NUL-separated copy: lines become strings */
    char *copy = malloc(len + 1);
    if (copy == NULL)
        return;
    memcpy(copy, s, len);
    copy[len] = '\0';
    dd_sigv4_header h[MAX_HEADERS];
    size_t n = 0, p = 0;
    const char *target = copy, *body = "";
    size_t body_len = 0;
    char *nl = memchr(copy, '\n', len);
    if (nl != NULL) {
        *nl = '\0';
        p = (size_t)(nl - copy) + 1;
        while (p < len && n < MAX_HEADERS) {
            char *line = copy + p;
            char *e = memchr(line, '\n', len - p);
            size_t ll = e != NULL ? (size_t)(e - line) : len - p;
            line[ll] = '\0';
            p += ll + 1;
            if (ll == 0) {
                body = copy + p < copy + len ? copy + p : "";
                body_len = p < len ? len - p : 0;
                break;
            }
            char *colon = strchr(line, ':');
            if (colon == NULL)
                continue;
            *colon = '\0';
            char *v = colon + 1;
            while (*v == ' ')
                v++;
            h[n].name = line;
            h[n].value = v;
            n++;
        }
    }
    dd_sigv4_request r = {"POST", target, h, n};
    dd_sigv4_verify_opts o = {"ecr", "us-east-1", 1795821125000LL, 5 * 60 * 1000, lookup, NULL};
    dd_auth_identity id;
    const char *code = NULL;
    char msg[256];
    int rc = dd_sigv4_verify(&r, body, body_len, &o, &id, &code, msg, sizeof(msg));
    if (rc == 0 && (code != NULL || strcmp(id.access_key_id, "AKIAIOSFODNN7EXAMPLE") != 0))
        abort();
    if (rc != 0 && (rc != -1 || code == NULL || id.access_key_id[0] != '\0' ||
                    memchr(msg, '\0', sizeof(msg)) == NULL))
        abort();
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exactly-sized copy, so a sanitizer sees any read past len */
    char *s = malloc(size ? size : 1);
    if (s == NULL)
        return 0;
    if (size > 0)
        memcpy(s, data, size);
    check_parsers(s, size);
    check_request(s, size);
    free(s);
    return 0;
}
