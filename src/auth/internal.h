/* Private to src/auth: the pieces of SigV4 verification as pure functions (no HTTP, no database),
 * the parsers of the Authorization header (untrusted input: each takes (buf, len) and has a fuzz
 * target), base64, ECR token encoding and repository-scope patterns. */
#ifndef DD_AUTH_INTERNAL_H
#define DD_AUTH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "auth/auth.h"
#include "util/buf.h"
#include "util/err.h"

#define DD_SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
/* Longest Authorization header value parsed (longer ones are refused). */
#define DD_AUTH_HEADER_MAX 8192
#define DD_SIGV4_SIGNED_HEADERS_MAX 2048
/* Most request headers looked at when verifying a signature. */
#define DD_SIGV4_HEADERS_MAX 256
/* Most query parameters in a signed request. */
#define DD_SIGV4_QUERY_PARAMS_MAX 1024
/* Largest canonical request built (the request target and signed headers are bounded by the HTTP
 * layer's connection memory anyway). */
#define DD_SIGV4_CANONICAL_MAX (1024u * 1024u)
/* Access key ids: 16..63 characters of [A-Za-z0-9]; secrets: 16..128 printable ASCII. */
#define DD_AUTH_KEY_ID_MIN 16
#define DD_AUTH_KEY_ID_MAX 63
#define DD_AUTH_SECRET_MIN 16
#define DD_AUTH_SECRET_MAX 128
/* Longest ECR token (password) accepted. */
#define DD_AUTH_TOKEN_MAX 512

/* ---- SigV4 ---------------------------------------------------------------------------------- */

/* The parts of `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
 */
typedef struct dd_sigv4_auth {
    char access_key_id[DD_AUTH_KEY_ID_MAX + 1];
    char date[9]; /* YYYYMMDD */
    char region[64];
    char service[64];
    char signed_headers[DD_SIGV4_SIGNED_HEADERS_MAX + 1];
    char signature[65]; /* 64 lowercase hex */
} dd_sigv4_auth;

/* Parses an Authorization header value buf[0..len) (no terminator needed). 0, or DD_EINVALID with
 * a static reason in *why. On success SignedHeaders passed dd_sigv4_check_signed_headers. */
DD_WARN_UNUSED int dd_sigv4_parse_authorization(dd_sigv4_auth *out, const char *buf, size_t len,
                                                const char **why);
/* SignedHeaders rules (spec 1.6 step 5): non-empty lowercase header names separated by ';',
 * strictly sorted, including host. 0 or DD_EINVALID with a static reason in *why. */
DD_WARN_UNUSED int dd_sigv4_check_signed_headers(const char *s, size_t len, const char **why);
/* Whether the (valid) SignedHeaders list s contains the lowercase name. */
bool dd_sigv4_is_signed(const char *s, const char *name);

/* A timestamp header value: ISO 8601 basic (YYYYMMDDTHHMMSSZ, X-Amz-Date) or, when http_date,
 * also RFC 1123 (Date: Sun, 06 Nov 1994 08:49:37 GMT). Gives ms since the epoch and the ISO basic
 * form used in the string to sign. 0 or DD_EINVALID. */
DD_WARN_UNUSED int dd_sigv4_parse_date(int64_t *ms_out, char amz_out[17], const char *buf,
                                       size_t len, bool http_date);

/* Appends the canonical URI of a raw request target (path and query, still percent-encoded, as
 * received) to out: dot and empty segments removed, then every byte but A-Z a-z 0-9 - _ . ~ /
 * percent-encoded (so an encoded path is double-encoded). Always starts with '/'. */
DD_WARN_UNUSED int dd_sigv4_canonical_uri(dd_buf *out, const char *target, size_t len);
/* Appends the canonical query string of the raw target's query (if any): parameters decoded and
 * re-encoded, sorted by key then value, joined with '&'. */
DD_WARN_UNUSED int dd_sigv4_canonical_query(dd_buf *out, const char *target, size_t len);

typedef struct dd_sigv4_header {
    const char *name;
    const char *value;
} dd_sigv4_header;

/* An HTTP request as SigV4 sees it. */
typedef struct dd_sigv4_request {
    const char *method;
    const char *raw_target; /* path and query exactly as received */
    const dd_sigv4_header *headers;
    size_t n_headers; /* in the order received; repeated names appear repeatedly */
} dd_sigv4_request;

/* Builds the canonical request (spec 1.6 step 6) into out (reset first). DD_EINVALID with a
 * message in err when a signed header is absent from the request. */
DD_WARN_UNUSED int dd_sigv4_canonical_request(dd_buf *out, const dd_sigv4_request *r,
                                              const char *signed_headers, const char *payload_hash,
                                              dd_err *err);
/* Lowercase hex SHA-256 of data. */
void dd_sigv4_sha256_hex(char out[65], const void *data, size_t len);
/* "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex SHA-256 of the canonical request>" into out. */
DD_WARN_UNUSED int dd_sigv4_string_to_sign(dd_buf *out, const char *amz_date, const char *scope,
                                           const char *canonical, size_t canonical_len);
/* The signing key chain kDate, kRegion, kService, kSigning; steps (4 x 32 bytes) may be NULL. */
DD_WARN_UNUSED int dd_sigv4_signing_key(uint8_t out[32], uint8_t steps[4][32], const char *secret,
                                        const char *date, const char *region, const char *service);
/* Lowercase hex HMAC-SHA256(key, data). */
DD_WARN_UNUSED int dd_sigv4_hmac_hex(char out[65], const uint8_t key[32], const void *data,
                                     size_t len);

/* Looks up an access key: 0 with the secret (NUL-terminated, at most secret_len - 1 bytes) and the
 * identity filled; DD_ENOTFOUND when unknown or revoked; another negative code on failure. */
typedef int (*dd_sigv4_lookup_fn)(void *ctx, const char *access_key_id, char *secret,
                                  size_t secret_len, dd_auth_identity *id);

typedef struct dd_sigv4_verify_opts {
    const char *service; /* expected credential-scope service */
    const char *region;  /* expected region; "" or NULL accepts any */
    int64_t now_ms;
    int64_t max_skew_ms;
    dd_sigv4_lookup_fn lookup;
    void *lookup_ctx;
} dd_sigv4_verify_opts;

/* The whole verification of spec 1.6 over a request and its body, as dd_auth_sigv4 documents:
 * 0 with *id filled, or -1 with *code (MissingAuthenticationTokenException,
 * IncompleteSignatureException, UnrecognizedClientException, InvalidSignatureException, or
 * InternalFailure when the lookup failed) and a message. */
int dd_sigv4_verify(const dd_sigv4_request *r, const void *body, size_t body_len,
                    const dd_sigv4_verify_opts *o, dd_auth_identity *id, const char **code,
                    char *msg, size_t msg_len);

/* ---- base64 --------------------------------------------------------------------------------- */

/* Characters written by dd_b64_encode for n bytes (without the NUL). Standard base64 is padded,
 * base64url (url) is not. */
size_t dd_b64_encoded_len(size_t n, bool url);
/* Writes the encoding and a NUL (dd_b64_encoded_len + 1 bytes). */
void dd_b64_encode(char *out, const uint8_t *in, size_t n, bool url);
/* Strict decoding of in[0..len): only the alphabet's characters, padding optional (standard only,
 * and then exactly right), unused trailing bits zero. DD_EINVALID, or DD_ELIMIT when the result
 * would not fit in out_cap bytes. */
DD_WARN_UNUSED int dd_b64_decode(uint8_t *out, size_t out_cap, size_t *out_len, const char *in,
                                 size_t len, bool url);

/* ---- HTTP credentials ----------------------------------------------------------------------- */

typedef enum dd_auth_cred_kind {
    DD_AUTH_CRED_BASIC = 1,
    DD_AUTH_CRED_BEARER = 2
} dd_auth_cred_kind;

typedef struct dd_auth_cred {
    dd_auth_cred_kind kind;
    char user[DD_AUTH_KEY_ID_MAX + 1]; /* Basic only */
    char pass[DD_AUTH_TOKEN_MAX + 1];  /* Basic password or Bearer token */
} dd_auth_cred;

/* Parses an Authorization header value for HTTP authentication: `Basic base64(user:pass)` or
 * `Bearer token` (scheme case-insensitive). 0; DD_ENOTFOUND when buf is empty or blank;
 * DD_EINVALID when malformed, another scheme, or a part is too long or contains control bytes. */
DD_WARN_UNUSED int dd_auth_parse_credentials(dd_auth_cred *out, const char *buf, size_t len);

/* ---- ECR tokens ----------------------------------------------------------------------------- */

typedef struct dd_auth_token_claims {
    char account[16];
    char access_key_id[DD_AUTH_KEY_ID_MAX + 1];
    int64_t expires_ms;
} dd_auth_token_claims;

/* base64url(payload) "." base64url(HMAC-SHA256(key, payload)) where payload is
 * "1|<account>|<access key id>|<expires ms>". *out is freed with dd_free. */
DD_WARN_UNUSED int dd_auth_token_make(char **out, const uint8_t key[32], const char *account,
                                      const char *access_key_id, int64_t expires_ms);
/* Checks the token's form and signature (not its expiry): 0 with *out filled; DD_EINVALID when
 * malformed; DD_EDENIED when the signature does not match. */
DD_WARN_UNUSED int dd_auth_token_check(dd_auth_token_claims *out, const uint8_t key[32],
                                       const char *tok, size_t len);

/* ---- repository scopes ---------------------------------------------------------------------- */

/* Whether name matches one WILDCARD pattern pat[0..len): without '*' an exact match; with '*' an
 * anchored glob where each '*' matches any run of characters, '/' included. */
bool dd_auth_wildcard_match(const char *pat, size_t len, const char *name);
/* Validates and normalises a scope (comma-separated patterns of [a-z0-9._/-*], 1..255 characters
 * each, whitespace around them dropped) into out (out_len bytes). 0 or DD_EINVALID with a message.
 */
DD_WARN_UNUSED int dd_auth_scope_normalize(char *out, size_t out_len, const char *scope,
                                           dd_err *err);

/* Whether s is a well-formed access key id / secret (limits above). */
bool dd_auth_key_id_valid(const char *s, size_t len);
bool dd_auth_secret_valid(const char *s, size_t len);

#endif
