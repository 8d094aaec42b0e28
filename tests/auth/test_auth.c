/* Tests for the key store and the HTTP-facing side of src/auth: opening (migrations, the
 * installation account), key create/list/revoke, first-start bootstrap (generated or from the
 * environment), ECR tokens (expiry on the injected clock, revocation, the token key surviving a
 * reopen), and a live HTTP server on 127.0.0.1 driven over plain sockets to check dd_auth_http
 * (Basic with a key or a token, Bearer), dd_auth_challenge and dd_auth_sigv4 with the spec 11.3
 * request byte for byte. Each test gets a fresh database in a mkdtemp directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "auth/auth.h"
#include "auth/internal.h"
#include "http/http.h"
#include "sql/sql.h"
#include "util/alloc.h"
#include "util/log.h"

#define AKID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define T0 1795821125000LL /* 2026-11-27T23:12:05Z, the time of the spec 11.3 request */

typedef struct fixture {
    char dir[64];
    char path[128];
    int64_t now;
    dd_clock clock;
    dd_sql *sql;
    dd_auth *auth;
    dd_http_server *srv;
} fixture;

static int64_t fake_now(void *ctx)
{
    return ((fixture *)ctx)->now;
}

static void open_auth(fixture *f, const char *account)
{
    dd_err err = DD_ERR_INIT;
    dd_auth_options o = DD_AUTH_OPTIONS_INIT;
    o.account = account;
    o.region = "us-east-1";
    int rc = dd_auth_open(&f->auth, f->sql, &f->clock, &o, &err);
    if (rc != 0)
        fail_msg("dd_auth_open: %s", err.msg);
}

static int setup(void **state)
{
    fixture *f = dd_calloc(1, sizeof(*f));
    dd_err err = DD_ERR_INIT;
    assert_non_null(f);
    dd_log_configure(DD_LOG_ERROR, DD_LOG_FORMAT_TEXT, stderr);
    snprintf(f->dir, sizeof(f->dir), "/tmp/dd_test_auth_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/metadata.sqlite", f->dir);
    f->now = T0;
    f->clock.now_ms = fake_now;
    f->clock.ctx = f;
    assert_int_equal(dd_sql_open(&f->sql, f->path, 2, &err), 0);
    open_auth(f, "123456789012");
    unsetenv("DRYDOCK_ADMIN_ACCESS_KEY_ID");
    unsetenv("DRYDOCK_ADMIN_SECRET_ACCESS_KEY");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char p[160];
    if (f->srv != NULL)
        dd_http_server_shutdown(f->srv, 1000);
    dd_auth_close(f->auth);
    dd_sql_close(f->sql);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(f->dir), 0);
    unsetenv("DRYDOCK_ADMIN_ACCESS_KEY_ID");
    unsetenv("DRYDOCK_ADMIN_SECRET_ACCESS_KEY");
    dd_free(f);
    return 0;
}

static dd_auth_key create(fixture *f, bool admin, const char *repos, bool read_only, const char *id,
                          const char *secret)
{
    dd_auth_key k;
    dd_err err = DD_ERR_INIT;
    dd_auth_key_spec spec = {admin, read_only, repos, "test key", id, secret};
    int rc = dd_auth_key_create(f->auth, &spec, &k, &err);
    if (rc != 0)
        fail_msg("dd_auth_key_create: %s", err.msg);
    return k;
}

/* ---- open ---- */

static void test_open_account(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    dd_auth_key k = create(f, false, NULL, false, NULL, NULL);
    assert_string_equal(k.account, "123456789012");
    /* reopened without an account (as `drydock admin` does): the recorded one */
    dd_auth_close(f->auth);
    open_auth(f, NULL);
    k = create(f, false, NULL, false, NULL, NULL);
    assert_string_equal(k.account, "123456789012");
    /* a new account given: recorded for later keys; existing keys keep theirs */
    dd_auth_close(f->auth);
    open_auth(f, "210987654321");
    k = create(f, false, NULL, false, NULL, NULL);
    assert_string_equal(k.account, "210987654321");
    dd_auth_close(f->auth);
    f->auth = NULL;
    open_auth(f, "");
    k = create(f, false, NULL, false, NULL, NULL);
    assert_string_equal(k.account, "210987654321");

    dd_auth *a = NULL;
    dd_auth_options o = DD_AUTH_OPTIONS_INIT;
    o.account = "12345";
    assert_int_equal(dd_auth_open(&a, f->sql, &f->clock, &o, &err), DD_EINVALID);
    assert_null(a);
    assert_true(dd_auth_registry_required(f->auth));
}

static void test_open_default_account(void **state)
{
    fixture *f = *state;
    /* a database where no account was ever recorded */
    char path2[160];
    dd_err err = DD_ERR_INIT;
    dd_sql *sql = NULL;
    dd_auth *a = NULL;
    snprintf(path2, sizeof(path2), "%s/other.sqlite", f->dir);
    assert_int_equal(dd_sql_open(&sql, path2, 1, &err), 0);
    dd_auth_options o = DD_AUTH_OPTIONS_INIT;
    o.registry_auth = false;
    assert_int_equal(dd_auth_open(&a, sql, &f->clock, &o, &err), 0);
    assert_false(dd_auth_registry_required(a));
    dd_auth_key_spec spec = {false, false, NULL, NULL, NULL, NULL};
    dd_auth_key k;
    assert_int_equal(dd_auth_key_create(a, &spec, &k, &err), 0);
    assert_string_equal(k.account, DD_AUTH_DEFAULT_ACCOUNT);
    dd_auth_close(a);
    /* migrations ran once: opening again works and keeps the key */
    assert_int_equal(dd_auth_open(&a, sql, &f->clock, &o, &err), 0);
    dd_auth_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(dd_auth_key_list(a, &keys, &n, &err), 0);
    assert_int_equal(n, 1);
    dd_free(keys);
    dd_auth_close(a);
    dd_sql_close(sql);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[200];
        snprintf(p, sizeof(p), "%s%s", path2, suffixes[i]);
        unlink(p);
    }
}

/* ---- keys ---- */

static void test_key_create_generated(void **state)
{
    fixture *f = *state;
    dd_auth_key k = create(f, false, " team-a/* , prod ", true, NULL, NULL);
    assert_int_equal(strlen(k.access_key_id), 20);
    assert_memory_equal(k.access_key_id, "DDAK", 4);
    for (size_t i = 4; i < 20; i++)
        assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k.access_key_id[i]));
    assert_int_equal(strlen(k.secret), 40);
    assert_true(dd_auth_secret_valid(k.secret, 40));
    assert_string_equal(k.repos, "team-a/*,prod");
    assert_false(k.can_push);
    assert_false(k.admin);
    assert_int_equal(k.created_ms, T0);
    assert_int_equal(k.revoked_ms, 0);
    assert_string_equal(k.description, "test key");
    dd_auth_key k2 = create(f, true, NULL, false, NULL, NULL);
    assert_string_not_equal(k.access_key_id, k2.access_key_id);
    assert_string_not_equal(k.secret, k2.secret);
    assert_string_equal(k2.repos, "*");
    assert_true(k2.can_push);
    assert_true(k2.admin);
}

static void test_key_create_invalid(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    dd_auth_key k;
    create(f, false, NULL, false, AKID, SECRET);
    dd_auth_key_spec dup = {false, false, NULL, NULL, AKID, "another-secret-0123456789"};
    assert_int_equal(dd_auth_key_create(f->auth, &dup, &k, &err), DD_EEXIST);
    dd_auth_key_spec bad_scope = {false, false, "Prod", NULL, NULL, NULL};
    assert_int_equal(dd_auth_key_create(f->auth, &bad_scope, &k, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "not allowed"));
    dd_auth_key_spec bad_id = {false, false, NULL, NULL, "AWS", SECRET};
    assert_int_equal(dd_auth_key_create(f->auth, &bad_id, &k, &err), DD_EINVALID);
    dd_auth_key_spec bad_id2 = {false, false, NULL, NULL, "AKIA-OSFODNN7EXAMPLE", SECRET};
    assert_int_equal(dd_auth_key_create(f->auth, &bad_id2, &k, &err), DD_EINVALID);
    dd_auth_key_spec bad_secret = {false, false, NULL, NULL, "AKIAIOSFODNN7EXAMPL2", "short"};
    assert_int_equal(dd_auth_key_create(f->auth, &bad_secret, &k, &err), DD_EINVALID);
    dd_auth_key_spec spaced = {
        false, false, NULL, NULL, "AKIAIOSFODNN7EXAMPL2", "has a space in it 12345"};
    assert_int_equal(dd_auth_key_create(f->auth, &spaced, &k, &err), DD_EINVALID);
    char desc[DD_AUTH_DESCRIPTION_MAX + 2];
    memset(desc, 'd', sizeof(desc) - 1);
    desc[sizeof(desc) - 1] = '\0';
    dd_auth_key_spec long_desc = {false, false, NULL, desc, NULL, NULL};
    assert_int_equal(dd_auth_key_create(f->auth, &long_desc, &k, &err), DD_EINVALID);
    dd_auth_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(dd_auth_key_list(f->auth, &keys, &n, &err), 0);
    assert_int_equal(n, 1); /* nothing half-created */
    dd_free(keys);
}

static void test_key_list_and_revoke(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    dd_auth_key *keys = NULL;
    size_t n = 99;
    assert_int_equal(dd_auth_key_list(f->auth, &keys, &n, &err), 0);
    assert_int_equal(n, 0);
    dd_free(keys);
    dd_auth_key a = create(f, true, NULL, false, NULL, NULL);
    f->now += 1000;
    dd_auth_key b = create(f, false, "x/*", true, NULL, NULL);
    f->now += 1000;
    assert_int_equal(dd_auth_key_revoke(f->auth, b.access_key_id, &err), 0);
    f->now += 1000;
    assert_int_equal(dd_auth_key_revoke(f->auth, b.access_key_id, &err), 0);
    assert_int_equal(dd_auth_key_revoke(f->auth, "DDAKNOSUCHKEY0000000", &err), DD_ENOTFOUND);
    assert_int_equal(dd_auth_key_list(f->auth, &keys, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0].access_key_id, a.access_key_id);
    assert_string_equal(keys[1].access_key_id, b.access_key_id);
    assert_string_equal(keys[0].secret, ""); /* never listed */
    assert_string_equal(keys[1].secret, "");
    assert_true(keys[0].admin);
    assert_int_equal(keys[0].revoked_ms, 0);
    assert_int_equal(keys[1].revoked_ms, T0 + 2000); /* the first revocation time stays */
    assert_string_equal(keys[1].repos, "x/*");
    assert_false(keys[1].can_push);
    assert_int_equal(keys[1].created_ms, T0 + 1000);
    dd_free(keys);
}

/* ---- bootstrap ---- */

typedef struct reply {
    int status;
    char head[4096];
    char body[4096];
} reply;
static void start_server(fixture *f);
static reply get_with(fixture *f, const char *authorization);
static char *basic_header(const char *user, const char *pass);

static char *bootstrap(fixture *f, int want_rc, bool want_created)
{
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    assert_non_null(mem);
    bool created = !want_created;
    dd_err err = DD_ERR_INIT;
    int rc = dd_auth_bootstrap(f->auth, mem, &created, &err);
    fclose(mem);
    if (rc != want_rc)
        fail_msg("bootstrap: %d (%s), want %d", rc, err.msg, want_rc);
    if (rc == 0)
        assert_int_equal(created, want_created);
    return text;
}

static void test_bootstrap_generated(void **state)
{
    fixture *f = *state;
    char *text = bootstrap(f, 0, true);
    dd_err err = DD_ERR_INIT;
    dd_auth_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(dd_auth_key_list(f->auth, &keys, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_true(keys[0].admin);
    char want[200];
    assert_non_null(strstr(text, keys[0].access_key_id));
    snprintf(want, sizeof(want),
             "export AWS_ACCESS_KEY_ID=%s AWS_SECRET_ACCESS_KEY=", keys[0].access_key_id);
    const char *exp = strstr(text, want);
    assert_non_null(exp);
    /* the printed secret is the key's: it authenticates */
    char secret[64] = "";
    const char *s = exp + strlen(want);
    size_t sl = strcspn(s, "\n");
    assert_int_equal(sl, 40);
    memcpy(secret, s, sl);
    start_server(f);
    char *h = basic_header(keys[0].access_key_id, secret);
    reply r = get_with(f, h);
    assert_int_equal(r.status, 200);
    assert_non_null(strstr(r.body, "admin=1 push=1 repos=*"));
    dd_free(h);
    dd_free(keys);
    free(text);
    /* an admin key exists now: nothing more */
    text = bootstrap(f, 0, false);
    assert_string_equal(text, "");
    free(text);
    assert_int_equal(dd_auth_key_list(f->auth, &keys, &n, &err), 0);
    assert_int_equal(n, 1);
    dd_free(keys);
}

static void test_bootstrap_after_revoke(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    dd_auth_key a = create(f, true, NULL, false, NULL, NULL);
    create(f, false, NULL, false, NULL, NULL); /* not an admin */
    free(bootstrap(f, 0, false));
    assert_int_equal(dd_auth_key_revoke(f->auth, a.access_key_id, &err), 0);
    char *text = bootstrap(f, 0, true); /* no active admin key left */
    assert_non_null(strstr(text, "secret access key"));
    free(text);
}

static void test_bootstrap_env(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    setenv("DRYDOCK_ADMIN_ACCESS_KEY_ID", AKID, 1);
    free(bootstrap(f, DD_EINVALID, false)); /* the secret is missing */
    setenv("DRYDOCK_ADMIN_SECRET_ACCESS_KEY", SECRET, 1);
    char *text = bootstrap(f, 0, true);
    assert_non_null(strstr(text, AKID));
    assert_null(strstr(text, SECRET)); /* the operator knows it: not echoed */
    free(text);
    free(bootstrap(f, 0, false));
    /* another secret for the same id changes nothing */
    setenv("DRYDOCK_ADMIN_SECRET_ACCESS_KEY", "another-secret-0123456789", 1);
    free(bootstrap(f, 0, false));
    dd_auth_key *keys = NULL;
    size_t n = 0;
    assert_int_equal(dd_auth_key_list(f->auth, &keys, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(keys[0].access_key_id, AKID);
    assert_true(keys[0].admin);
    assert_string_equal(keys[0].repos, "*");
    dd_free(keys);
    /* a new id is added although an admin key exists */
    setenv("DRYDOCK_ADMIN_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPL2", 1);
    free(bootstrap(f, 0, true));
    assert_int_equal(dd_auth_key_list(f->auth, &keys, &n, &err), 0);
    assert_int_equal(n, 2);
    dd_free(keys);
    /* malformed values are refused */
    setenv("DRYDOCK_ADMIN_ACCESS_KEY_ID", "bad id", 1);
    free(bootstrap(f, DD_EINVALID, false));
    unsetenv("DRYDOCK_ADMIN_ACCESS_KEY_ID");
    free(bootstrap(f, DD_EINVALID, false)); /* only the secret */
}

/* ---- live HTTP ---- */

typedef struct rstate {
    char body[4096];
    size_t len;
} rstate;

static void respond(dd_http_req *req, unsigned status, const char *text)
{
    if (dd_http_respond_buf(req, status, "text/plain", text, strlen(text)) != 0)
        return;
}

static int on_body(dd_http_req *req, const char *data, size_t len)
{
    rstate *s = dd_http_req_state(req);
    if (s->len + len > sizeof(s->body)) {
        respond(req, 413, "too big");
        return 1;
    }
    memcpy(s->body + s->len, data, len);
    s->len += len;
    return 0;
}

/* Signed requests (Authorization AWS4-...) go through dd_auth_sigv4 (service ecr when
 * X-Amz-Target is present, else inspector2); the rest through dd_auth_http. The body tells the
 * identity or the failure. */
static void on_done(dd_http_req *req)
{
    fixture *f = dd_http_req_app(req);
    rstate *s = dd_http_req_state(req);
    const char *auth = dd_http_req_header(req, "Authorization");
    dd_auth_identity id;
    char out[2048];
    if (auth != NULL && strncmp(auth, "AWS4-", 5) == 0) {
        const char *service = dd_http_req_header(req, "X-Amz-Target") ? "ecr" : "inspector2";
        const char *code = NULL;
        char msg[256];
        if (dd_auth_sigv4(f->auth, req, s->body, s->len, service, &id, &code, msg, sizeof(msg)) ==
            0) {
            snprintf(out, sizeof(out), "ok %s %s", id.access_key_id, id.account);
            respond(req, 200, out);
        } else {
            snprintf(out, sizeof(out), "%s: %s", code, msg);
            respond(req, 403, out);
        }
        return;
    }
    int rc = dd_auth_http(f->auth, req, &id);
    if (rc == 0) {
        snprintf(out, sizeof(out), "ok [%s] %s admin=%d push=%d repos=%s", id.access_key_id,
                 id.account, id.admin, id.can_push, id.repos);
        respond(req, 200, out);
    } else {
        respond(req, 401, dd_strerror(rc));
        dd_auth_challenge(f->auth, req);
    }
}

static void on_cleanup(dd_http_req *req)
{
    dd_free(dd_http_req_state(req));
}

static void route(dd_http_req *req, void *app)
{
    (void)app;
    rstate *s = dd_calloc(1, sizeof(*s));
    if (s == NULL) {
        respond(req, 500, "nomem");
        return;
    }
    dd_http_req_set_state(req, s);
    dd_http_req_expect_body(req, on_body, on_done, on_cleanup);
}

static void start_server(fixture *f)
{
    dd_http_options o = DD_HTTP_OPTIONS_INIT;
    dd_err err = DD_ERR_INIT;
    o.port = 0;
    o.route = route;
    o.app = f;
    assert_int_equal(dd_http_server_start(&f->srv, &o, &err), 0);
}

/* Sends raw (a whole HTTP/1.1 request with Connection: close) and reads the reply to EOF. */
static reply exchange(fixture *f, const char *raw)
{
    reply r;
    memset(&r, 0, sizeof(r));
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {15, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(dd_http_server_port(f->srv));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    size_t len = strlen(raw), off = 0;
    while (off < len) {
        ssize_t n = write(fd, raw + off, len - off);
        assert_true(n > 0);
        off += (size_t)n;
    }
    char buf[8192];
    size_t got = 0;
    for (;;) {
        ssize_t n = read(fd, buf + got, sizeof(buf) - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
        if (got == sizeof(buf) - 1)
            break;
    }
    close(fd);
    buf[got] = '\0';
    const char *sep = strstr(buf, "\r\n\r\n");
    assert_non_null(sep);
    assert_true(got > 12);
    r.status = (int)strtol(buf + 9, NULL, 10);
    snprintf(r.head, sizeof(r.head), "%.*s", (int)(sep - buf), buf);
    snprintf(r.body, sizeof(r.body), "%s", sep + 4);
    return r;
}

static reply get_with(fixture *f, const char *authorization)
{
    char raw[2048];
    snprintf(raw, sizeof(raw),
             "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%sConnection: close\r\n\r\n",
             authorization != NULL ? "Authorization: " : "",
             authorization != NULL ? authorization : "", authorization != NULL ? "\r\n" : "");
    return exchange(f, raw);
}

static char *basic_header(const char *user, const char *pass)
{
    char up[1024];
    snprintf(up, sizeof(up), "%s:%s", user, pass);
    size_t len = strlen(up);
    char *h = dd_malloc(6 + dd_b64_encoded_len(len, false) + 1);
    assert_non_null(h);
    memcpy(h, "Basic ", 6);
    dd_b64_encode(h + 6, (const uint8_t *)up, len, false);
    return h;
}

static void expect_denied(const reply *r, const char *why)
{
    assert_int_equal(r->status, 401);
    assert_string_equal(r->body, why);
    assert_non_null(
        strstr(r->head, "WWW-Authenticate: Basic realm=\"drydock\",service=\"ecr.amazonaws.com\""));
}

static void test_http_basic_key(void **state)
{
    fixture *f = *state;
    start_server(f);
    dd_err err = DD_ERR_INIT;
    dd_auth_key k = create(f, false, "team-a/*", true, NULL, NULL);
    reply r = get_with(f, NULL);
    expect_denied(&r, "ENOTFOUND");
    char *h = basic_header(k.access_key_id, k.secret);
    r = get_with(f, h);
    assert_int_equal(r.status, 200);
    char want[512];
    snprintf(want, sizeof(want), "ok [%s] 123456789012 admin=0 push=0 repos=team-a/*",
             k.access_key_id);
    assert_string_equal(r.body, want);
    dd_free(h);
    /* wrong secret, unknown id, garbage */
    char wrong[sizeof(k.secret)];
    snprintf(wrong, sizeof(wrong), "%s", k.secret);
    wrong[0] = wrong[0] == 'A' ? 'B' : 'A';
    h = basic_header(k.access_key_id, wrong);
    r = get_with(f, h);
    expect_denied(&r, "EDENIED");
    dd_free(h);
    h = basic_header("DDAKNOSUCHKEY0000000", k.secret);
    r = get_with(f, h);
    expect_denied(&r, "EDENIED");
    dd_free(h);
    r = get_with(f, "Basic !!!");
    expect_denied(&r, "EDENIED");
    r = get_with(f, "Negotiate abc");
    expect_denied(&r, "EDENIED");
    /* revoked */
    assert_int_equal(dd_auth_key_revoke(f->auth, k.access_key_id, &err), 0);
    h = basic_header(k.access_key_id, k.secret);
    r = get_with(f, h);
    expect_denied(&r, "EDENIED");
    dd_free(h);
}

static void test_http_tokens(void **state)
{
    fixture *f = *state;
    start_server(f);
    dd_err err = DD_ERR_INIT;
    dd_auth_key k = create(f, true, NULL, false, NULL, NULL);
    dd_auth_identity id;
    memset(&id, 0, sizeof(id));
    snprintf(id.access_key_id, sizeof(id.access_key_id), "%s", k.access_key_id);
    snprintf(id.account, sizeof(id.account), "%s", k.account);
    char *pw = NULL;
    int64_t exp = 0;
    assert_int_equal(dd_auth_issue_token(f->auth, &id, &pw, &exp, &err), 0);
    assert_int_equal(exp, T0 + 12 * 3600 * 1000LL);

    char *h = basic_header("AWS", pw);
    reply r = get_with(f, h);
    assert_int_equal(r.status, 200);
    /* a token holder has no key id but the key's rights */
    assert_string_equal(r.body, "ok [] 123456789012 admin=1 push=1 repos=*");
    char bearer[700];
    snprintf(bearer, sizeof(bearer), "Bearer %s", pw);
    r = get_with(f, bearer);
    assert_int_equal(r.status, 200);

    /* a token is not the secret of a key: user must be AWS */
    char *h2 = basic_header(k.access_key_id, pw);
    r = get_with(f, h2);
    expect_denied(&r, "EDENIED");
    dd_free(h2);
    /* tampered */
    char *bad = dd_strdup(pw);
    bad[3] = bad[3] == 'A' ? 'B' : 'A';
    h2 = basic_header("AWS", bad);
    r = get_with(f, h2);
    expect_denied(&r, "EDENIED");
    dd_free(h2);
    dd_free(bad);

    /* the token key is kept in the database: valid after a reopen */
    dd_auth_close(f->auth);
    f->auth = NULL;
    dd_http_server_shutdown(f->srv, 1000);
    f->srv = NULL;
    open_auth(f, "123456789012");
    start_server(f);
    r = get_with(f, h);
    assert_int_equal(r.status, 200);

    /* expiry on the injected clock */
    f->now = exp - 1;
    r = get_with(f, h);
    assert_int_equal(r.status, 200);
    f->now = exp;
    r = get_with(f, h);
    expect_denied(&r, "EDENIED");
    f->now = T0;
    /* revoking the issuing key kills its tokens */
    assert_int_equal(dd_auth_key_revoke(f->auth, k.access_key_id, &err), 0);
    r = get_with(f, h);
    expect_denied(&r, "EDENIED");
    dd_free(h);
    dd_free(pw);

    /* only a key holder gets a token */
    memset(&id, 0, sizeof(id));
    assert_int_equal(dd_auth_issue_token(f->auth, &id, &pw, &exp, &err), DD_EINVALID);
    assert_null(pw);
}

static void test_http_token_ttl_option(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    dd_auth_close(f->auth);
    dd_auth_options o = DD_AUTH_OPTIONS_INIT;
    o.token_ttl_ms = 60 * 1000;
    assert_int_equal(dd_auth_open(&f->auth, f->sql, &f->clock, &o, &err), 0);
    dd_auth_key k = create(f, false, NULL, false, NULL, NULL);
    dd_auth_identity id;
    memset(&id, 0, sizeof(id));
    snprintf(id.access_key_id, sizeof(id.access_key_id), "%s", k.access_key_id);
    snprintf(id.account, sizeof(id.account), "%s", k.account);
    char *pw = NULL;
    int64_t exp = 0;
    assert_int_equal(dd_auth_issue_token(f->auth, &id, &pw, &exp, &err), 0);
    assert_int_equal(exp, T0 + 60 * 1000);
    dd_free(pw);
}

static const char ECR_REQUEST[] =
    "POST / HTTP/1.1\r\n"
    "Host: 127.0.0.1:18733\r\n"
    "Accept-Encoding: identity\r\n"
    "X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.GetRegistryScanningConfiguration\r\n"
    "Content-Type: application/x-amz-json-1.1\r\n"
    "User-Agent: aws-cli/2.9.19 Python/3.11.2 Linux/6.18.44-fc-v657 source/x86_64.debian.12 "
    "prompt/off command/ecr.get-registry-scanning-configuration\r\n"
    "X-Amz-Date: 20261127T231205Z\r\n"
    "Authorization: AWS4-HMAC-SHA256 "
    "Credential=AKIAIOSFODNN7EXAMPLE/20261127/us-east-1/ecr/aws4_request, "
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
    "Signature=a2a84284a0e6f5a35aab215dff6cc364deb56e316c363fb1b19c852f54fb9e00\r\n"
    "Content-Length: 2\r\n"
    "Connection: close\r\n"
    "\r\n"
    "{}";

static void test_http_sigv4(void **state)
{
    fixture *f = *state;
    start_server(f);
    dd_err err = DD_ERR_INIT;
    reply r = exchange(f, ECR_REQUEST);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "UnrecognizedClientException"));
    create(f, false, NULL, false, AKID, SECRET);
    r = exchange(f, ECR_REQUEST);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok " AKID " 123456789012");
    /* another body under the same signature */
    char *raw = dd_strdup(ECR_REQUEST);
    raw[strlen(raw) - 1] = ']';
    r = exchange(f, raw);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "InvalidSignatureException"));
    dd_free(raw);
    /* 10 minutes later */
    f->now = T0 + 10 * 60 * 1000;
    r = exchange(f, ECR_REQUEST);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "InvalidSignatureException: Signature expired"));
    f->now = T0;
    /* revoked */
    assert_int_equal(dd_auth_key_revoke(f->auth, AKID, &err), 0);
    r = exchange(f, ECR_REQUEST);
    assert_int_equal(r.status, 403);
    assert_non_null(strstr(r.body, "UnrecognizedClientException"));
}

/* The Inspector2 request of spec 11.2 (no body). */
static void test_http_sigv4_inspector(void **state)
{
    fixture *f = *state;
    start_server(f);
    create(f, false, NULL, false, AKID, SECRET);
    f->now = T0 + 1000;
    reply r =
        exchange(f, "POST /configuration/get HTTP/1.1\r\n"
                    "Host: 127.0.0.1:18733\r\n"
                    "Accept-Encoding: identity\r\n"
                    "X-Amz-Date: 20261127T231206Z\r\n"
                    "Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
                    "20261127/us-east-1/inspector2/aws4_request, "
                    "SignedHeaders=host;x-amz-date, "
                    "Signature=bfd90c2c737b25a805eb1994ec8965f3f780cf4a029a986f7ed3d44f0cc3ab7d"
                    "\r\n"
                    "Content-Length: 0\r\n"
                    "Connection: close\r\n\r\n");
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "ok " AKID " 123456789012");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_default_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_create_generated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_create_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_list_and_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_generated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_after_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bootstrap_env, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_basic_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_tokens, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_token_ttl_option, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_sigv4, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_sigv4_inspector, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
