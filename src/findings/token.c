/* Opaque, stable page tokens for the Inspector2 list operations: base64url of {"o":offset,"h":hash}
 * where hash is derived from the request's criteria, so a token only continues the listing that
 * produced it. */
#include "findings/internal.h"
#include "util/alloc.h"
#include "util/digest.h"

#include <stdio.h>
#include <string.h>

#define TOKEN_MAX 4096

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64url(const char *in, size_t len)
{
    char *out = dd_malloc(len / 3 * 4 + 5);
    if (out == NULL)
        return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        unsigned v =
            (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        out[o++] = B64[v >> 6 & 63];
        out[o++] = B64[v & 63];
    }
    if (i < len) {
        unsigned v = (unsigned char)in[i] << 16;
        if (i + 1 < len)
            v |= (unsigned char)in[i + 1] << 8;
        out[o++] = B64[v >> 18 & 63];
        out[o++] = B64[v >> 12 & 63];
        if (i + 1 < len)
            out[o++] = B64[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

static int b64val(char c)
{
    const char *p = c != '\0' ? strchr(B64, c) : NULL;
    return p != NULL ? (int)(p - B64) : -1;
}

/* Decodes into out (at least len bytes); returns the length or -1. */
static long unb64url(const char *in, size_t len, char *out)
{
    size_t o = 0;
    unsigned acc = 0;
    int bits = 0;
    if (len % 4 == 1)
        return -1;
    for (size_t i = 0; i < len; i++) {
        int v = b64val(in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6 | (unsigned)v) & 0xFFFFFF;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)(acc >> bits & 0xFF);
        }
    }
    return (long)o;
}

char *dd_fc_token_encode(uint64_t offset, const char *hash)
{
    char json[128];
    int n =
        snprintf(json, sizeof(json), "{\"o\":%llu,\"h\":\"%s\"}", (unsigned long long)offset, hash);
    if (n < 0 || (size_t)n >= sizeof(json))
        return NULL;
    return b64url(json, (size_t)n);
}

int dd_fc_token_decode(const char *token, const char *hash, uint64_t *offset, dd_err *err)
{
    size_t len = strlen(token);
    if (len == 0 || len > TOKEN_MAX)
        return dd_err_set(err, DD_EINVALID, "nextToken: invalid token");
    char buf[TOKEN_MAX];
    long n = unb64url(token, len, buf);
    if (n <= 0)
        return dd_err_set(err, DD_EINVALID, "nextToken: invalid token");
    json_t *j = json_loadb(buf, (size_t)n, 0, NULL);
    const json_t *o = json_object_get(j, "o");
    const char *h = json_string_value(json_object_get(j, "h"));
    int rc = 0;
    if (!json_is_integer(o) || json_integer_value(o) < 0 || h == NULL)
        rc = dd_err_set(err, DD_EINVALID, "nextToken: invalid token");
    else if (strcmp(h, hash) != 0)
        rc = dd_err_set(err, DD_EINVALID,
                        "nextToken: the token belongs to a request with other criteria");
    else
        *offset = (uint64_t)json_integer_value(o);
    json_decref(j);
    return rc;
}

int dd_fc_request_hash(char out[17], const char *kind, const json_t *const *parts, size_t n)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return DD_ENOMEM;
    json_array_append_new(arr, json_string(kind));
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, parts[i] != NULL ? json_deep_copy(parts[i]) : json_null());
    char *s = json_dumps(arr, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    json_decref(arr);
    if (s == NULL)
        return DD_ENOMEM;
    char d[DD_DIGEST_STR_MAX];
    int rc = dd_digest_buf(d, s, strlen(s));
    free(s);
    if (rc != 0)
        return rc;
    memcpy(out, d + 7, 16);
    out[16] = '\0';
    return 0;
}
