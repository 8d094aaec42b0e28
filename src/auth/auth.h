/* Access keys, AWS SigV4 verification for the ECR/Inspector2 APIs, ECR authorization tokens, and
 * HTTP authentication of /v2 and /drydock/v1 (Basic with an access key or an ECR token).
 * Keys live in the metadata database (table access_keys, module "auth"). */
#ifndef DD_AUTH_AUTH_H
#define DD_AUTH_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <drydock/common.h>
#include "http/http.h"
#include "sql/sql.h"
#include "util/clock.h"
#include "util/err.h"

typedef struct dd_auth dd_auth;

/* Longest repository scope of a key (bytes, without the NUL) and longest key description. */
#define DD_AUTH_REPOS_MAX 1023
#define DD_AUTH_DESCRIPTION_MAX 255
/* The account of keys when no installation account was ever configured (see dd_auth_open). */
#define DD_AUTH_DEFAULT_ACCOUNT "123456789012"

typedef struct dd_auth_identity {
    char access_key_id[64]; /* "" for an ECR token holder */
    char account[16];       /* 12-digit account id */
    bool admin;
    /* Repositories the caller may use: comma-separated ECR WILDCARD patterns ("*" = all; see
     * dd_auth_allows). A token holder gets the scope of the key that issued the token. */
    char repos[DD_AUTH_REPOS_MAX + 1];
    bool can_push; /* false for a read-only key */
} dd_auth_identity;

typedef struct dd_auth_options {
    const char *account;  /* the installation's account id */
    const char *region;   /* the region the server answers for ("" = any) */
    int64_t max_skew_ms;  /* allowed clock skew of signed requests (default 5 min) */
    int64_t token_ttl_ms; /* ECR authorization token lifetime (default 12 h) */
    bool registry_auth;   /* /v2 requires credentials */
} dd_auth_options;

#define DD_AUTH_OPTIONS_INIT                                                                       \
    {                                                                                              \
        NULL, "", 5 * 60 * 1000, 12 * 3600 * 1000, true                                            \
    }

/* Opens the key store (runs the "auth" migrations). opts is copied; clock must outlive it.
 * opts->account, when set (12 digits), is the installation's account: it is recorded in the
 * settings table ("auth.account") so that `drydock admin` creates keys for the same account. When
 * NULL or "", the recorded account is used, else DD_AUTH_DEFAULT_ACCOUNT. region NULL = "";
 * max_skew_ms and token_ttl_ms <= 0 take the defaults (5 min, 12 h). */
DD_WARN_UNUSED int dd_auth_open(dd_auth **out, dd_sql *sql, const dd_clock *clock,
                                const dd_auth_options *opts, dd_err *err);
void dd_auth_close(dd_auth *a); /* NULL-safe */

/* First start: when no admin key exists, creates one from DRYDOCK_ADMIN_ACCESS_KEY_ID /
 * DRYDOCK_ADMIN_SECRET_ACCESS_KEY, or generates one and writes it once to `announce` (the secret
 * is never logged again). *created tells whether a key was made. With both variables set, a key of
 * that id is added when it does not exist yet (even if other admin keys exist); an existing one is
 * left unchanged (its secret is not replaced). Only one of the two set is DD_EINVALID. announce
 * NULL = stderr. */
DD_WARN_UNUSED int dd_auth_bootstrap(dd_auth *a, FILE *announce, bool *created, dd_err *err);

/* Verifies the SigV4 signature of an AWS API request whose whole body is body[0..len), for the
 * credential-scope service `service` ("ecr" or "inspector2"). 0 and *id filled when valid;
 * otherwise -1 with *code set to the AWS error type (MissingAuthenticationTokenException,
 * IncompleteSignatureException, UnrecognizedClientException, InvalidSignatureException) and a
 * message in msg. *code is "InternalFailure" (answer 500) when the key store failed. */
int dd_auth_sigv4(dd_auth *a, dd_http_req *req, const void *body, size_t len, const char *service,
                  dd_auth_identity *id, const char **code, char *msg, size_t msg_len);

/* Issues an ECR authorization token for id: *password (dd_free) is the secret that
 * GetAuthorizationToken returns as base64("AWS:" + password); valid until *expires_ms. */
DD_WARN_UNUSED int dd_auth_issue_token(dd_auth *a, const dd_auth_identity *id, char **password,
                                       int64_t *expires_ms, dd_err *err);

/* Authenticates a plain HTTP request (/v2, /drydock/v1) from its Authorization header: Basic with
 * user "AWS" and an ECR token, Basic with an access key id and its secret, or Bearer with an ECR
 * token. 0 and *id filled; DD_ENOTFOUND when no credentials were sent; DD_EDENIED when they are
 * wrong, revoked or expired. The caller answers 401 with dd_auth_challenge. Another negative code
 * (DD_EDB, DD_ENOMEM) when the key store failed (answer 500). */
int dd_auth_http(dd_auth *a, dd_http_req *req, dd_auth_identity *id);
/* Adds the WWW-Authenticate header of a 401 to a response already started. */
void dd_auth_challenge(dd_auth *a, dd_http_req *req);
/* Whether /v2 requires credentials (option registry_auth). */
bool dd_auth_registry_required(const dd_auth *a);

/* Whether id may read (write false) or push to / delete from (write true) repository repo. Admins
 * may do everything. Otherwise repo must match one pattern of id->repos, and writing needs
 * can_push. A pattern without '*' matches exactly that name (unlike ECR scanning filters, where
 * it would match as a substring: for permissions that would be surprising); with '*' it is
 * anchored at both ends and each '*' matches any run of characters, '/' included ("prod*",
 * "*-prod", "*"; "team-a/" followed by '*' covers everything under team-a/). A zeroed identity
 * may do nothing. */
bool dd_auth_allows(const dd_auth_identity *id, const char *repo, bool write);

/* ---- key management (drydock admin) ---- */

typedef struct dd_auth_key {
    char access_key_id[64];
    char secret[129]; /* filled only by dd_auth_key_create */
    char account[16];
    bool admin;
    bool can_push;
    char repos[DD_AUTH_REPOS_MAX + 1];
    char description[DD_AUTH_DESCRIPTION_MAX + 1];
    int64_t created_ms;
    int64_t revoked_ms; /* 0 while active */
} dd_auth_key;

typedef struct dd_auth_key_spec {
    bool admin;
    bool read_only;            /* no push or delete */
    const char *repos;         /* scope (comma-separated patterns); NULL = "*" */
    const char *description;   /* NULL = "" */
    const char *access_key_id; /* NULL = generate ("DDAK" + 16 base32 characters) */
    const char *secret;        /* NULL = generate (40 characters) */
} dd_auth_key_spec;

/* Creates a key for the installation's account; *out receives it with its secret (the only time
 * the secret is handed out). DD_EINVALID for a bad scope, id or secret; DD_EEXIST when the id is
 * taken. */
DD_WARN_UNUSED int dd_auth_key_create(dd_auth *a, const dd_auth_key_spec *spec, dd_auth_key *out,
                                      dd_err *err);
/* All keys, revoked ones included, oldest first, without secrets. *out is freed with dd_free. */
DD_WARN_UNUSED int dd_auth_key_list(dd_auth *a, dd_auth_key **out, size_t *n_out, dd_err *err);
/* Revokes a key (its signatures, Basic logins and the ECR tokens it issued stop working).
 * DD_ENOTFOUND when unknown; revoking a revoked key keeps its first revocation time. */
DD_WARN_UNUSED int dd_auth_key_revoke(dd_auth *a, const char *access_key_id, dd_err *err);

#endif
