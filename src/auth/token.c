/* HTTP credentials and ECR authorization tokens: strict base64, the parser of
 * `Authorization: Basic ...` / `Bearer ...`, and the HMAC-signed token format
 * (see internal.h). Pure functions; auth.c adds the key store, the server token
 * key and the clock. */
#include "auth/internal.h"
#include "util/alloc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

bool dd_auth_key_id_valid(const char *s, size_t len)
{
    if (len < DD_AUTH_KEY_ID_MIN || len > DD_AUTH_KEY_ID_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
            return false;
    }
    return true;
}

bool dd_auth_secret_valid(const char *s, size_t len)
{
    if (len < DD_AUTH_SECRET_MIN || len > DD_AUTH_SECRET_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
            return false;
    return true;
}

/* ---- base64
 * ---------------------------------------------------------------------------------
 */

size_t dd_b64_encoded_len(size_t n, bool url)
{
    if (url)
        return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
    return (n + 2) / 3 * 4;
}

void dd_b64_encode(char *out, const uint8_t *in, size_t n, bool url)
{
    const char *a = url ? B64URL : B64;
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        out[o++] = a[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        if (!url) {
            out[o++] = '=';
            out[o++] = '=';
        }
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = a[v >> 18];
        out[o++] = a[(v >> 12) & 63];
        out[o++] = a[(v >> 6) & 63];
        if (!url)
            out[o++] = '=';
    }
    out[o] = '\0';
}

static int b64_value(char c, bool url)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == (url ? '-' : '+'))
        return 62;
    if (c == (url ? '_' : '/'))
        return 63;
    return -1;
}

int dd_b64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in, size_t len,
                  bool url)
{
    *out_len = 0;
    size_t pad = 0;
    if (!url && len % 4 == 0 && len > 0) {
        if (in[len - 1] == '=')
            pad++;
        if (pad == 1 && in[len - 2] == '=')
            pad++;
    }
    size_t n = len - pad; /* data characters */
    if (n % 4 == 1)
        return DD_EINVALID;
    if (pad > 0 && (n + pad) % 4 != 0)
        return DD_EINVALID;
    size_t need = n / 4 * 3 + (n % 4 == 0 ? 0 : n % 4 - 1);
    if (need > out_cap)
        return DD_ELIMIT;
    uint32_t acc = 0;
    size_t bits = 0, o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(in[i], url);
        if (v < 0)
            return DD_EINVALID;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) /* unused trailing bits must be zero */
        return DD_EINVALID;
    *out_len = o;
    return 0;
}

/* ---- credentials
 * ----------------------------------------------------------------------------
 */

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static bool printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
            return false;
    return true;
}

int dd_auth_parse_credentials(dd_auth_cred *out, const char *buf, size_t len)
{
    memset(out, 0, sizeof(*out));
    size_t p = 0, e = len;
    while (p < e && is_ws(buf[p]))
        p++;
    while (e > p && is_ws(buf[e - 1]))
        e--;
    if (p == e)
        return DD_ENOTFOUND;
    if (e - p > DD_AUTH_HEADER_MAX)
        return DD_EINVALID;
    size_t s = p;
    while (p < e && !is_ws(buf[p]))
        p++;
    size_t scheme_len = p - s;
    while (p < e && is_ws(buf[p]))
        p++;
    const char *v = buf + p;
    size_t vlen = e - p;
    if (vlen == 0)
        return DD_EINVALID;
    if (scheme_len == 6 && strncasecmp(buf + s, "Bearer", 6) == 0) {
        if (vlen > DD_AUTH_TOKEN_MAX || !printable(v, vlen) || memchr(v, ' ', vlen) != NULL)
            return DD_EINVALID;
        out->kind = DD_AUTH_CRED_BEARER;
        memcpy(out->pass, v, vlen);
        out->pass[vlen] = '\0';
        return 0;
    }
    if (scheme_len != 5 || strncasecmp(buf + s, "Basic", 5) != 0)
        return DD_EINVALID;
    uint8_t dec[DD_AUTH_KEY_ID_MAX + 1 + DD_AUTH_TOKEN_MAX + 1];
    size_t dlen = 0;
    if (dd_b64_decode(dec, sizeof(dec), &dlen, v, vlen, false) != 0)
        return DD_EINVALID;
    const uint8_t *colon = memchr(dec, ':', dlen);
    if (colon == NULL)
        return DD_EINVALID;
    size_t ulen = (size_t)(colon - dec), plen = dlen - ulen - 1;
    if (ulen == 0 || ulen > DD_AUTH_KEY_ID_MAX || plen == 0 || plen > DD_AUTH_TOKEN_MAX ||
        !printable((const char *)dec, dlen)) {
        OPENSSL_cleanse(dec, sizeof(dec));
        return DD_EINVALID;
    }
    out->kind = DD_AUTH_CRED_BASIC;
    memcpy(out->user, dec, ulen);
    out->user[ulen] = '\0';
    memcpy(out->pass, colon + 1, plen);
    out->pass[plen] = '\0';
    OPENSSL_cleanse(dec, sizeof(dec));
    return 0;
}

/* ---- ECR tokens
 * -----------------------------------------------------------------------------
 */

#define PAYLOAD_MAX 160

static int token_mac(uint8_t out[32], const uint8_t key[32], const void *data, size_t len)
{
    unsigned out_len = 0;
    if (HMAC(EVP_sha256(), key, 32, data, len, out, &out_len) == NULL || out_len != 32)
        return DD_EINVALID;
    return 0;
}

int dd_auth_token_make(char **out, const uint8_t key[32], const char *account,
                       const char *access_key_id, int64_t expires_ms)
{
    *out = NULL;
    char payload[PAYLOAD_MAX];
    int n = snprintf(payload, sizeof(payload), "1|%s|%s|%lld", account, access_key_id,
                     (long long)expires_ms);
    if (n < 0 || (size_t)n >= sizeof(payload) || expires_ms < 0)
        return DD_EINVALID;
    uint8_t mac[32];
    if (token_mac(mac, key, payload, (size_t)n) != 0)
        return DD_EINVALID;
    size_t plen = dd_b64_encoded_len((size_t)n, true), mlen = dd_b64_encoded_len(32, true);
    char *tok = dd_malloc(plen + 1 + mlen + 1);
    if (tok == NULL)
        return DD_ENOMEM;
    dd_b64_encode(tok, (const uint8_t *)payload, (size_t)n, true);
    tok[plen] = '.';
    dd_b64_encode(tok + plen + 1, mac, 32, true);
    *out = tok;
    return 0;
}

/* Takes the next '|'-separated field of p[0..len) starting at *pos. */
static bool field(const char *p, size_t len, size_t *pos, const char **f, size_t *flen)
{
    if (*pos > len)
        return false;
    const char *bar = memchr(p + *pos, '|', len - *pos);
    size_t end = bar != NULL ? (size_t)(bar - p) : len;
    *f = p + *pos;
    *flen = end - *pos;
    *pos = end + 1;
    return true;
}

int dd_auth_token_check(dd_auth_token_claims *out, const uint8_t key[32], const char *tok,
                        size_t len)
{
    memset(out, 0, sizeof(*out));
    if (len > DD_AUTH_TOKEN_MAX)
        return DD_EINVALID;
    const char *dot = memchr(tok, '.', len);
    if (dot == NULL)
        return DD_EINVALID;
    size_t p64 = (size_t)(dot - tok);
    uint8_t payload[PAYLOAD_MAX], mac[33], want[32];
    size_t plen = 0, mlen = 0;
    if (dd_b64_decode(payload, sizeof(payload), &plen, tok, p64, true) != 0 ||
        dd_b64_decode(mac, sizeof(mac), &mlen, dot + 1, len - p64 - 1, true) != 0 || mlen != 32)
        return DD_EINVALID;
    if (token_mac(want, key, payload, plen) != 0)
        return DD_EINVALID;
    if (CRYPTO_memcmp(want, mac, 32) != 0)
        return DD_EDENIED;
    const char *p = (const char *)payload, *f;
    size_t pos = 0, flen = 0;
    if (!field(p, plen, &pos, &f, &flen) || flen != 1 || f[0] != '1')
        return DD_EINVALID;
    if (!field(p, plen, &pos, &f, &flen) || flen == 0 || flen >= sizeof(out->account))
        return DD_EINVALID;
    for (size_t i = 0; i < flen; i++)
        if (f[i] < '0' || f[i] > '9')
            return DD_EINVALID;
    memcpy(out->account, f, flen);
    if (!field(p, plen, &pos, &f, &flen) || !dd_auth_key_id_valid(f, flen))
        return DD_EINVALID;
    memcpy(out->access_key_id, f, flen);
    if (!field(p, plen, &pos, &f, &flen) || flen == 0 || flen > 18 || pos <= plen)
        return DD_EINVALID;
    int64_t v = 0;
    for (size_t i = 0; i < flen; i++) {
        if (f[i] < '0' || f[i] > '9')
            return DD_EINVALID;
        v = v * 10 + (f[i] - '0');
    }
    out->expires_ms = v;
    return 0;
}
