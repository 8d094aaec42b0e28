/* The access key store (table access_keys, module "auth"), first-start
 * bootstrap of an admin key, and the glue between HTTP requests and the pure
 * SigV4 / token / credential code: dd_auth_sigv4, ECR tokens signed with the
 * server token key (settings "auth.token_key"), dd_auth_http. */
#include "auth/auth.h"
#include "auth/internal.h"
#include "util/alloc.h"
#include "util/log.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SETTING_ACCOUNT "auth.account"
#define SETTING_TOKEN_KEY "auth.token_key"
#define DEFAULT_SKEW_MS (5 * 60 * 1000)
#define DEFAULT_TOKEN_TTL_MS (12 * 3600 * 1000)

struct dd_auth {
    dd_sql *sql;
    const dd_clock *clock;
    char account[16];
    char region[64];
    int64_t max_skew_ms;
    int64_t token_ttl_ms;
    bool registry_auth;
    pthread_mutex_t mu; /* guards the cached token key */
    bool have_token_key;
    uint8_t token_key[32];
};

static const char *const MIGRATIONS[] = {
    "CREATE TABLE access_keys ("
    " access_key_id TEXT PRIMARY KEY,"
    " secret TEXT NOT NULL,"
    " account TEXT NOT NULL,"
    " admin INTEGER NOT NULL DEFAULT 0,"
    " repos TEXT NOT NULL DEFAULT '*',"
    " can_push INTEGER NOT NULL DEFAULT 1,"
    " created_at INTEGER NOT NULL,"
    " revoked_at INTEGER,"
    " description TEXT NOT NULL DEFAULT '')",
};

static const char SQL_KEY_GET[] =
    "SELECT access_key_id, secret, account, admin, repos, can_push, created_at,"
    " COALESCE(revoked_at, 0), description FROM access_keys WHERE "
    "access_key_id = ?";
static const char SQL_KEY_LIST[] =
    "SELECT access_key_id, '', account, admin, repos, can_push, created_at,"
    " COALESCE(revoked_at, 0), description FROM access_keys ORDER BY "
    "created_at, access_key_id";
static const char SQL_KEY_PUT[] =
    "INSERT INTO access_keys (access_key_id, secret, account, admin, repos, "
    "can_push, created_at,"
    " description) VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_KEY_REVOKE[] =
    "UPDATE access_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE "
    "access_key_id = ?";
static const char SQL_ADMIN_ACTIVE[] =
    "SELECT 1 FROM access_keys WHERE admin = 1 AND revoked_at IS NULL LIMIT 1";

static bool account_valid(const char *s)
{
    size_t n = strlen(s);
    if (n != 12)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static void copy_col(char *out, size_t cap, sqlite3_stmt *st, int i)
{
    const char *v = dd_sql_col_text(st, i);
    size_t n = strlen(v);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, v, n);
    out[n] = '\0';
}

static void row_to_key(dd_auth_key *k, sqlite3_stmt *st)
{
    memset(k, 0, sizeof(*k));
    copy_col(k->access_key_id, sizeof(k->access_key_id), st, 0);
    copy_col(k->secret, sizeof(k->secret), st, 1);
    copy_col(k->account, sizeof(k->account), st, 2);
    k->admin = sqlite3_column_int64(st, 3) != 0;
    copy_col(k->repos, sizeof(k->repos), st, 4);
    k->can_push = sqlite3_column_int64(st, 5) != 0;
    k->created_ms = sqlite3_column_int64(st, 6);
    k->revoked_ms = sqlite3_column_int64(st, 7);
    copy_col(k->description, sizeof(k->description), st, 8);
}

static void key_to_identity(dd_auth_identity *id, const dd_auth_key *k, bool with_key_id)
{
    memset(id, 0, sizeof(*id));
    if (with_key_id)
        memcpy(id->access_key_id, k->access_key_id, sizeof(id->access_key_id));
    memcpy(id->account, k->account, sizeof(id->account));
    id->admin = k->admin;
    memcpy(id->repos, k->repos, sizeof(id->repos));
    id->can_push = k->can_push;
}

/* Reads one key (secret included): 0, DD_ENOTFOUND or an error. */
static int key_get(dd_auth *a, const char *access_key_id, dd_auth_key *k, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(a->sql);
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_KEY_GET, &st, err);
    if (rc == 0) {
        dd_sql_bind_text(st, 1, access_key_id);
        rc = dd_sql_step(c, st, err);
        if (rc == 1) {
            row_to_key(k, st);
            sqlite3_reset(st);
            rc = 0;
        } else if (rc == 0) {
            rc = DD_ENOTFOUND;
        }
    }
    dd_sql_release(a->sql, c);
    return rc;
}

int dd_auth_open(dd_auth **out, dd_sql *sql, const dd_clock *clock, const dd_auth_options *opts,
                 dd_err *err)
{
    *out = NULL;
    const char *region = opts->region != NULL ? opts->region : "";
    if (opts->account != NULL && opts->account[0] != '\0' && !account_valid(opts->account))
        return dd_err_set(err, DD_EINVALID, "account id must be 12 digits");
    if (strlen(region) >= 64)
        return dd_err_set(err, DD_EINVALID, "region name too long");
    int rc =
        dd_sql_migrate(sql, "auth", MIGRATIONS, sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0]), err);
    if (rc != 0)
        return rc;
    dd_auth *a = dd_calloc(1, sizeof(*a));
    if (a == NULL)
        return DD_ENOMEM;
    a->sql = sql;
    a->clock = clock;
    memcpy(a->region, region, strlen(region) + 1);
    a->max_skew_ms = opts->max_skew_ms > 0 ? opts->max_skew_ms : DEFAULT_SKEW_MS;
    a->token_ttl_ms = opts->token_ttl_ms > 0 ? opts->token_ttl_ms : DEFAULT_TOKEN_TTL_MS;
    a->registry_auth = opts->registry_auth;
    pthread_mutex_init(&a->mu, NULL);

    /* the installation's account: given (and recorded), else recorded, else the
     * default */
    char *saved = NULL;
    dd_sql_conn *c = dd_sql_acquire(sql);
    rc = dd_sql_setting_get(c, SETTING_ACCOUNT, &saved, err);
    if (rc == DD_ENOTFOUND)
        rc = 0;
    if (rc == 0 && opts->account != NULL && opts->account[0] != '\0') {
        memcpy(a->account, opts->account, 13);
        if (saved == NULL || strcmp(saved, opts->account) != 0)
            rc = dd_sql_setting_put(c, SETTING_ACCOUNT, opts->account, err);
    } else if (rc == 0 && saved != NULL && account_valid(saved)) {
        memcpy(a->account, saved, 13);
    } else if (rc == 0) {
        memcpy(a->account, DD_AUTH_DEFAULT_ACCOUNT, 13);
    }
    dd_sql_release(sql, c);
    dd_free(saved);
    if (rc != 0) {
        dd_auth_close(a);
        return rc;
    }
    *out = a;
    return 0;
}

void dd_auth_close(dd_auth *a)
{
    if (a == NULL)
        return;
    OPENSSL_cleanse(a->token_key, sizeof(a->token_key));
    pthread_mutex_destroy(&a->mu);
    dd_free(a);
}

bool dd_auth_registry_required(const dd_auth *a)
{
    return a->registry_auth;
}

/* ---- keys
 * -----------------------------------------------------------------------------------
 */

static int random_bytes(uint8_t *out, size_t n, dd_err *err)
{
    if (RAND_bytes(out, (int)n) != 1)
        return dd_err_set(err, DD_EIO, "no random bytes from OpenSSL");
    return 0;
}

/* "DDAK" + 16 characters of RFC 4648 base32 (10 random bytes). */
static int gen_key_id(char out[21], dd_err *err)
{
    static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    uint8_t r[10];
    int rc = random_bytes(r, sizeof(r), err);
    if (rc != 0)
        return rc;
    memcpy(out, "DDAK", 4);
    for (size_t i = 0; i < 16; i++) {
        size_t bit = i * 5;
        unsigned v = ((unsigned)r[bit / 8] << 8 | (bit / 8 + 1 < 10 ? r[bit / 8 + 1] : 0u)) >>
                     (11 - bit % 8);
        out[4 + i] = b32[v & 31];
    }
    out[20] = '\0';
    return 0;
}

/* 40 characters of base64 (30 random bytes), like an AWS secret access key. */
static int gen_secret(char out[41], dd_err *err)
{
    uint8_t r[30];
    int rc = random_bytes(r, sizeof(r), err);
    if (rc != 0)
        return rc;
    dd_b64_encode(out, r, sizeof(r), false);
    OPENSSL_cleanse(r, sizeof(r));
    return 0;
}

int dd_auth_key_create(dd_auth *a, const dd_auth_key_spec *spec, dd_auth_key *out, dd_err *err)
{
    dd_auth_key k;
    memset(&k, 0, sizeof(k));
    memset(out, 0, sizeof(*out));
    int rc = dd_auth_scope_normalize(k.repos, sizeof(k.repos),
                                     spec->repos != NULL ? spec->repos : "*", err);
    if (rc != 0)
        return rc;
    const char *desc = spec->description != NULL ? spec->description : "";
    if (strlen(desc) > DD_AUTH_DESCRIPTION_MAX)
        return dd_err_set(err, DD_EINVALID, "description longer than %d bytes",
                          DD_AUTH_DESCRIPTION_MAX);
    memcpy(k.description, desc, strlen(desc) + 1);
    if (spec->access_key_id != NULL) {
        if (!dd_auth_key_id_valid(spec->access_key_id, strlen(spec->access_key_id)))
            return dd_err_set(err, DD_EINVALID, "access key id must be %d to %d letters or digits",
                              DD_AUTH_KEY_ID_MIN, DD_AUTH_KEY_ID_MAX);
        memcpy(k.access_key_id, spec->access_key_id, strlen(spec->access_key_id) + 1);
    } else if ((rc = gen_key_id(k.access_key_id, err)) != 0) {
        return rc;
    }
    if (spec->secret != NULL) {
        if (!dd_auth_secret_valid(spec->secret, strlen(spec->secret)))
            return dd_err_set(err, DD_EINVALID,
                              "secret access key must be %d to %d printable characters without "
                              "spaces",
                              DD_AUTH_SECRET_MIN, DD_AUTH_SECRET_MAX);
        memcpy(k.secret, spec->secret, strlen(spec->secret) + 1);
    } else if ((rc = gen_secret(k.secret, err)) != 0) {
        return rc;
    }
    memcpy(k.account, a->account, sizeof(k.account));
    k.admin = spec->admin;
    k.can_push = !spec->read_only;
    k.created_ms = dd_clock_now_ms(a->clock);

    dd_sql_conn *c = dd_sql_acquire(a->sql);
    sqlite3_stmt *st;
    rc = dd_sql_begin(c, err);
    if (rc == 0)
        rc = dd_sql_stmt(c, SQL_KEY_GET, &st, err);
    if (rc == 0) {
        dd_sql_bind_text(st, 1, k.access_key_id);
        rc = dd_sql_step(c, st, err);
        if (rc == 1) {
            sqlite3_reset(st);
            rc = dd_err_set(err, DD_EEXIST, "access key %s already exists", k.access_key_id);
        }
    }
    if (rc == 0)
        rc = dd_sql_stmt(c, SQL_KEY_PUT, &st, err);
    if (rc == 0) {
        dd_sql_bind_text(st, 1, k.access_key_id);
        dd_sql_bind_text(st, 2, k.secret);
        dd_sql_bind_text(st, 3, k.account);
        dd_sql_bind_int(st, 4, k.admin);
        dd_sql_bind_text(st, 5, k.repos);
        dd_sql_bind_int(st, 6, k.can_push);
        dd_sql_bind_int(st, 7, k.created_ms);
        dd_sql_bind_text(st, 8, k.description);
        rc = dd_sql_run(c, st, err);
    }
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(a->sql, c);
    if (rc == 0)
        *out = k;
    OPENSSL_cleanse(&k, sizeof(k));
    return rc;
}

int dd_auth_key_list(dd_auth *a, dd_auth_key **out, size_t *n_out, dd_err *err)
{
    *out = NULL;
    *n_out = 0;
    dd_auth_key *keys = NULL;
    size_t n = 0, cap = 0;
    dd_sql_conn *c = dd_sql_acquire(a->sql);
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_KEY_LIST, &st, err);
    while (rc == 0 && (rc = dd_sql_step(c, st, err)) == 1) {
        rc = 0;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            dd_auth_key *p = dd_reallocarray(keys, ncap, sizeof(*keys));
            if (p == NULL) {
                sqlite3_reset(st);
                rc = DD_ENOMEM;
                break;
            }
            keys = p;
            cap = ncap;
        }
        row_to_key(&keys[n++], st);
    }
    dd_sql_release(a->sql, c);
    if (rc != 0) {
        dd_free(keys);
        return rc;
    }
    *out = keys;
    *n_out = n;
    return 0;
}

int dd_auth_key_revoke(dd_auth *a, const char *access_key_id, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(a->sql);
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_KEY_REVOKE, &st, err);
    if (rc == 0) {
        dd_sql_bind_int(st, 1, dd_clock_now_ms(a->clock));
        dd_sql_bind_text(st, 2, access_key_id);
        rc = dd_sql_run(c, st, err);
    }
    if (rc == 0 && dd_sql_changes(c) == 0)
        rc = dd_err_set(err, DD_ENOTFOUND, "no access key %s", access_key_id);
    dd_sql_release(a->sql, c);
    return rc;
}

int dd_auth_bootstrap(dd_auth *a, FILE *announce, bool *created, dd_err *err)
{
    *created = false;
    if (announce == NULL)
        announce = stderr;
    const char *env_id = getenv("DRYDOCK_ADMIN_ACCESS_KEY_ID");
    const char *env_secret = getenv("DRYDOCK_ADMIN_SECRET_ACCESS_KEY");
    bool have_id = env_id != NULL && env_id[0] != '\0';
    bool have_secret = env_secret != NULL && env_secret[0] != '\0';
    if (have_id != have_secret)
        return dd_err_set(err, DD_EINVALID,
                          "set both DRYDOCK_ADMIN_ACCESS_KEY_ID and "
                          "DRYDOCK_ADMIN_SECRET_ACCESS_KEY, or neither");
    dd_auth_key k;
    int rc;
    if (have_id) {
        rc = key_get(a, env_id, &k, err);
        if (rc == 0) {
            if (k.revoked_ms != 0 || !k.admin)
                dd_log(DD_LOG_WARN, "auth_bootstrap", "access_key_id", k.access_key_id, "detail",
                       k.revoked_ms != 0 ? "the key from the environment is revoked"
                                         : "the key from the environment is not an admin key",
                       NULL);
            else if (strcmp(k.secret, env_secret) != 0)
                dd_log(DD_LOG_WARN, "auth_bootstrap", "access_key_id", k.access_key_id, "detail",
                       "the key exists with another secret; the stored secret stays", NULL);
            OPENSSL_cleanse(&k, sizeof(k));
            return 0;
        }
        if (rc != DD_ENOTFOUND)
            return rc;
        dd_auth_key_spec spec = {true,   false,     "*", "admin key from the environment",
                                 env_id, env_secret};
        rc = dd_auth_key_create(a, &spec, &k, err);
        if (rc != 0)
            return rc;
        fprintf(announce,
                "drydock: created admin access key %s from "
                "DRYDOCK_ADMIN_ACCESS_KEY_ID\n",
                k.access_key_id);
        fflush(announce);
        OPENSSL_cleanse(&k, sizeof(k));
        *created = true;
        return 0;
    }
    dd_sql_conn *c = dd_sql_acquire(a->sql);
    sqlite3_stmt *st;
    rc = dd_sql_stmt(c, SQL_ADMIN_ACTIVE, &st, err);
    if (rc == 0) {
        rc = dd_sql_step(c, st, err);
        if (rc == 1)
            sqlite3_reset(st);
    }
    dd_sql_release(a->sql, c);
    if (rc != 0) /* 1: an active admin key exists */
        return rc < 0 ? rc : 0;
    dd_auth_key_spec spec = {true, false, "*", "first admin key", NULL, NULL};
    rc = dd_auth_key_create(a, &spec, &k, err);
    if (rc != 0)
        return rc;
    fprintf(announce,
            "drydock: created the first admin access key (the secret is shown "
            "only now):\n"
            "  access key id:     %s\n"
            "  secret access key: %s\n"
            "  export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=%s\n",
            k.access_key_id, k.secret, k.access_key_id, k.secret);
    fflush(announce);
    OPENSSL_cleanse(&k, sizeof(k));
    *created = true;
    return 0;
}

/* ---- SigV4
 * ----------------------------------------------------------------------------------
 */

typedef struct header_list {
    dd_sigv4_header *items;
    size_t n, cap;
    bool too_many, nomem;
} header_list;

static int collect_header(void *ctx, const char *name, const char *value)
{
    header_list *l = ctx;
    if (l->n == DD_SIGV4_HEADERS_MAX) {
        l->too_many = true;
        return 1;
    }
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 32;
        dd_sigv4_header *p = dd_reallocarray(l->items, ncap, sizeof(*p));
        if (p == NULL) {
            l->nomem = true;
            return 1;
        }
        l->items = p;
        l->cap = ncap;
    }
    l->items[l->n].name = name;
    l->items[l->n].value = value;
    l->n++;
    return 0;
}

static int sigv4_lookup(void *ctx, const char *access_key_id, char *secret, size_t secret_len,
                        dd_auth_identity *id)
{
    dd_auth *a = ctx;
    dd_auth_key k;
    dd_err err = DD_ERR_INIT;
    int rc = key_get(a, access_key_id, &k, &err);
    if (rc == 0 && k.revoked_ms != 0)
        rc = DD_ENOTFOUND;
    if (rc == 0 && strlen(k.secret) >= secret_len)
        rc = DD_EINVALID;
    if (rc == 0) {
        memcpy(secret, k.secret, strlen(k.secret) + 1);
        key_to_identity(id, &k, true);
    } else if (rc != DD_ENOTFOUND) {
        dd_log(DD_LOG_ERROR, "auth_lookup", "detail", err.msg, NULL);
    }
    OPENSSL_cleanse(&k, sizeof(k));
    return rc;
}

int dd_auth_sigv4(dd_auth *a, dd_http_req *req, const void *body, size_t len, const char *service,
                  dd_auth_identity *id, const char **code, char *msg, size_t msg_len)
{
    header_list l = {NULL, 0, 0, false, false};
    dd_http_req_headers_each(req, collect_header, &l);
    int ret;
    if (l.too_many || l.nomem) {
        memset(id, 0, sizeof(*id));
        *code = l.nomem ? "InternalFailure" : "IncompleteSignatureException";
        if (msg != NULL && msg_len > 0)
            snprintf(msg, msg_len, "%s", l.nomem ? "Out of memory" : "Too many request headers");
        ret = -1;
    } else {
        dd_sigv4_request r = {dd_http_req_method(req), dd_http_req_raw_target(req), l.items, l.n};
        dd_sigv4_verify_opts o = {service,        a->region,    dd_clock_now_ms(a->clock),
                                  a->max_skew_ms, sigv4_lookup, a};
        ret = dd_sigv4_verify(&r, body, len, &o, id, code, msg, msg_len);
    }
    dd_free(l.items);
    return ret;
}

/* ---- ECR tokens
 * -----------------------------------------------------------------------------
 */

static int hex_decode32(uint8_t out[32], const char *s)
{
    if (strlen(s) != 64)
        return DD_EINVALID;
    for (size_t i = 0; i < 32; i++) {
        int v = 0;
        for (size_t j = 0; j < 2; j++) {
            char c = s[2 * i + j];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0)
                return DD_EINVALID;
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

/* The server token key: loaded from the settings table, created there on first
 * use. */
static int token_key(dd_auth *a, uint8_t key[32], dd_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&a->mu);
    if (!a->have_token_key) {
        char *hex = NULL;
        char fresh[65];
        dd_sql_conn *c = dd_sql_acquire(a->sql);
        rc = dd_sql_begin(c, err);
        if (rc == 0)
            rc = dd_sql_setting_get(c, SETTING_TOKEN_KEY, &hex, err);
        if (rc == 0) {
            if (hex_decode32(a->token_key, hex) != 0)
                rc = dd_err_set(err, DD_EDB, "setting %s is not 64 hex digits", SETTING_TOKEN_KEY);
        } else if (rc == DD_ENOTFOUND) {
            rc = random_bytes(a->token_key, 32, err);
            for (size_t i = 0; rc == 0 && i < 32; i++) {
                fresh[2 * i] = "0123456789abcdef"[a->token_key[i] >> 4];
                fresh[2 * i + 1] = "0123456789abcdef"[a->token_key[i] & 15];
            }
            fresh[64] = '\0';
            if (rc == 0)
                rc = dd_sql_setting_put(c, SETTING_TOKEN_KEY, fresh, err);
            OPENSSL_cleanse(fresh, sizeof(fresh));
        }
        if (rc == 0)
            rc = dd_sql_commit(c, err);
        dd_sql_release(a->sql, c);
        if (hex != NULL) {
            OPENSSL_cleanse(hex, strlen(hex));
            dd_free(hex);
        }
        a->have_token_key = rc == 0;
    }
    if (rc == 0)
        memcpy(key, a->token_key, 32);
    pthread_mutex_unlock(&a->mu);
    return rc;
}

int dd_auth_issue_token(dd_auth *a, const dd_auth_identity *id, char **password,
                        int64_t *expires_ms, dd_err *err)
{
    *password = NULL;
    *expires_ms = 0;
    if (!dd_auth_key_id_valid(id->access_key_id, strnlen(id->access_key_id, 64)))
        return dd_err_set(err, DD_EINVALID, "an ECR token is issued only to an access key");
    uint8_t key[32];
    int rc = token_key(a, key, err);
    if (rc != 0)
        return rc;
    int64_t exp = dd_clock_now_ms(a->clock) + a->token_ttl_ms;
    rc = dd_auth_token_make(password, key, id->account, id->access_key_id, exp);
    OPENSSL_cleanse(key, sizeof(key));
    if (rc != 0)
        return dd_err_set(err, rc, "cannot make a token: %s", dd_strerror(rc));
    *expires_ms = exp;
    return 0;
}

/* Validates an ECR token: signature, expiry, and the issuing key still active.
 */
static int token_identity(dd_auth *a, const char *tok, dd_auth_identity *id)
{
    uint8_t key[32];
    dd_err err = DD_ERR_INIT;
    int rc = token_key(a, key, &err);
    if (rc != 0) {
        dd_log(DD_LOG_ERROR, "auth_token_key", "detail", err.msg, NULL);
        return rc;
    }
    dd_auth_token_claims cl;
    rc = dd_auth_token_check(&cl, key, tok, strlen(tok));
    OPENSSL_cleanse(key, sizeof(key));
    if (rc != 0)
        return DD_EDENIED;
    if (cl.expires_ms <= dd_clock_now_ms(a->clock))
        return DD_EDENIED;
    dd_auth_key k;
    rc = key_get(a, cl.access_key_id, &k, &err);
    if (rc == DD_ENOTFOUND)
        return DD_EDENIED;
    if (rc != 0) {
        dd_log(DD_LOG_ERROR, "auth_lookup", "detail", err.msg, NULL);
        return rc;
    }
    if (k.revoked_ms == 0 && strcmp(k.account, cl.account) == 0) {
        key_to_identity(id, &k, false);
        rc = 0;
    } else {
        rc = DD_EDENIED;
    }
    OPENSSL_cleanse(&k, sizeof(k));
    return rc;
}

/* Compares secrets in time independent of where they differ (hashing hides the
 * lengths). */
static bool secret_equal(const char *a, const char *b)
{
    char ha[65], hb[65];
    dd_sigv4_sha256_hex(ha, a, strlen(a));
    dd_sigv4_sha256_hex(hb, b, strlen(b));
    return ha[0] != '\0' && CRYPTO_memcmp(ha, hb, 64) == 0;
}

int dd_auth_http(dd_auth *a, dd_http_req *req, dd_auth_identity *id)
{
    memset(id, 0, sizeof(*id));
    const char *h = dd_http_req_header(req, "Authorization");
    if (h == NULL)
        return DD_ENOTFOUND;
    dd_auth_cred cred;
    int rc = dd_auth_parse_credentials(&cred, h, strlen(h));
    if (rc == DD_ENOTFOUND)
        return DD_ENOTFOUND;
    if (rc != 0)
        return DD_EDENIED;
    if (cred.kind == DD_AUTH_CRED_BEARER ||
        (cred.kind == DD_AUTH_CRED_BASIC && strcmp(cred.user, "AWS") == 0)) {
        rc = token_identity(a, cred.pass, id);
    } else {
        dd_auth_key k;
        dd_err err = DD_ERR_INIT;
        rc = key_get(a, cred.user, &k, &err);
        if (rc == 0 && k.revoked_ms == 0 && secret_equal(k.secret, cred.pass))
            key_to_identity(id, &k, true);
        else if (rc == 0 || rc == DD_ENOTFOUND)
            rc = DD_EDENIED;
        else
            dd_log(DD_LOG_ERROR, "auth_lookup", "detail", err.msg, NULL);
        OPENSSL_cleanse(&k, sizeof(k));
    }
    OPENSSL_cleanse(&cred, sizeof(cred));
    if (rc != 0)
        memset(id, 0, sizeof(*id));
    return rc;
}

void dd_auth_challenge(dd_auth *a, dd_http_req *req)
{
    (void)a;
    dd_http_resp_header(req, "WWW-Authenticate",
                        "Basic realm=\"drydock\",service=\"ecr.amazonaws.com\"");
}
