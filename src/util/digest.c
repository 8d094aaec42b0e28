/* Digest validation and SHA-256 via OpenSSL's EVP interface. */
#include "util/digest.h"
#include "util/alloc.h"

#include <openssl/evp.h>
#include <string.h>

struct dd_hasher {
    EVP_MD_CTX *ctx;
};

static int is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_alg_component(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* OCI image-spec grammar: algorithm ":" encoded, algorithm = component (separator component)*,
 * component = [a-z0-9]+, separator = [+._-], encoded = [a-zA-Z0-9=_-]+ */
int dd_digest_validate(const char *s, size_t len, dd_err *err)
{
    size_t colon = 0;
    while (colon < len && s[colon] != ':')
        colon++;
    if (colon == 0 || colon >= len - 1 || len > DD_DIGEST_STR_MAX * 2)
        return dd_err_set(err, DD_EINVALID, "digest must be algorithm:hex");
    for (size_t i = 0; i < colon; i++) {
        char c = s[i];
        int comp = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        int sep = c == '+' || c == '.' || c == '_' || c == '-';
        /* a separator sits between two components: not first, not last, not after another */
        if (!comp && !(sep && i > 0 && i < colon - 1 && is_alg_component(s[i - 1])))
            return dd_err_set_at(err, DD_EINVALID, i, "bad character in digest algorithm");
    }
    for (size_t i = colon + 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '=' || c == '_' || c == '-'))
            return dd_err_set_at(err, DD_EINVALID, i, "bad character in digest");
    }
    if (colon != 6 || memcmp(s, "sha256", 6) != 0)
        return dd_err_set(err, DD_EUNSUPPORTED, "unsupported digest algorithm (only sha256)");
    if (len != 7 + 64)
        return dd_err_set(err, DD_EINVALID, "sha256 digest must have 64 hex digits");
    for (size_t i = 7; i < len; i++)
        if (!is_lower_hex(s[i]))
            return dd_err_set_at(err, DD_EINVALID, i, "sha256 digest must be lowercase hex");
    return 0;
}

int dd_hasher_new(dd_hasher **out)
{
    *out = NULL;
    dd_hasher *h = dd_calloc(1, sizeof(*h));
    if (h == NULL)
        return DD_ENOMEM;
    h->ctx = EVP_MD_CTX_new();
    if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
        dd_hasher_free(h);
        return DD_ENOMEM;
    }
    *out = h;
    return 0;
}

int dd_hasher_update(dd_hasher *h, const void *data, size_t len)
{
    return EVP_DigestUpdate(h->ctx, data, len) == 1 ? 0 : DD_EIO;
}

int dd_hasher_final(dd_hasher *h, char out[DD_DIGEST_STR_MAX])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1 || n != 32)
        return DD_EIO;
    memcpy(out, "sha256:", 7);
    for (unsigned i = 0; i < n; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[7 + 2 * i + 1] = hex[md[i] & 15];
    }
    out[7 + 64] = '\0';
    return 0;
}

int dd_hasher_dup(dd_hasher **out, const dd_hasher *h)
{
    *out = NULL;
    dd_hasher *c = dd_calloc(1, sizeof(*c));
    if (c == NULL)
        return DD_ENOMEM;
    c->ctx = EVP_MD_CTX_new();
    if (c->ctx == NULL || EVP_MD_CTX_copy_ex(c->ctx, h->ctx) != 1) {
        dd_hasher_free(c);
        return DD_ENOMEM;
    }
    *out = c;
    return 0;
}

void dd_hasher_free(dd_hasher *h)
{
    if (h == NULL)
        return;
    EVP_MD_CTX_free(h->ctx);
    dd_free(h);
}

int dd_digest_buf(char out[DD_DIGEST_STR_MAX], const void *data, size_t len)
{
    dd_hasher *h = NULL;
    int rc = dd_hasher_new(&h);
    if (rc == 0)
        rc = dd_hasher_update(h, data, len);
    if (rc == 0)
        rc = dd_hasher_final(h, out);
    dd_hasher_free(h);
    return rc;
}
