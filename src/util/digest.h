/* Content digests ("sha256:<hex>"): validation and streaming SHA-256 through OpenSSL. */
#ifndef DD_UTIL_DIGEST_H
#define DD_UTIL_DIGEST_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/err.h"

/* "sha256:" + 64 hex + NUL. */
#define DD_DIGEST_STR_MAX 72

/* Checks that s[0..len) is a digest we can verify: "sha256:" followed by 64 lowercase hex digits.
 * Returns 0, DD_EINVALID (malformed per the OCI grammar) or DD_EUNSUPPORTED (well-formed but an
 * algorithm we do not implement, e.g. sha512). */
DD_WARN_UNUSED int dd_digest_validate(const char *s, size_t len, dd_err *err);

typedef struct dd_hasher dd_hasher;
DD_WARN_UNUSED int dd_hasher_new(dd_hasher **out);
DD_WARN_UNUSED int dd_hasher_update(dd_hasher *h, const void *data, size_t len);
/* Writes "sha256:<hex>" into out (DD_DIGEST_STR_MAX bytes). The hasher may not be updated after. */
DD_WARN_UNUSED int dd_hasher_final(dd_hasher *h, char out[DD_DIGEST_STR_MAX]);
/* A copy of the state, so a caller can peek at an intermediate digest. */
DD_WARN_UNUSED int dd_hasher_dup(dd_hasher **out, const dd_hasher *h);
void dd_hasher_free(dd_hasher *h);

/* One-shot digest of a buffer. */
DD_WARN_UNUSED int dd_digest_buf(char out[DD_DIGEST_STR_MAX], const void *data, size_t len);

#endif
