/* Tests for the events HTTP API (src/events/route.c) and the streaming response it needs
 * (dd_http_respond_stream): the log's cursor paging and errors, webhook management with the admin
 * check, dead letters and replay, and server-sent events (format, resume with Last-Event-ID or
 * ?after=, push on kick, heartbeats, end on dd_events_stop and on server shutdown). */
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
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "util/log.h"

typedef struct fx {
    etest_env env;
    etest_receiver rx;
    dd_http_server *srv;
    uint16_t port;
} fx;

/* The lead's router would authenticate; here X-Test-Admin says who calls. */
static void route(dd_http_req *req, void *app)
{
    fx *f = app;
    dd_auth_identity id;
    memset(&id, 0, sizeof(id));
    snprintf(id.account, sizeof(id.account), "123456789012");
    const char *a = dd_http_req_header(req, "X-Test-Admin");
    id.admin = a != NULL && strcmp(a, "1") == 0;
    dd_events_route(f->env.ev, req, &id);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    dd_err err = DD_ERR_INIT;
    if (f == NULL)
        return -1;
    dd_log_configure(DD_LOG_OFF, DD_LOG_FORMAT_TEXT, NULL);
    dd_events_options o = DD_EVENTS_OPTIONS_INIT;
    o.account = "123456789012";
    o.region = "us-east-1";
    o.max_attempts = 1;
    o.timeout_ms = 3000;
    o.heartbeat_ms = 400;
    etest_receiver_start(&f->rx);
    etest_env_open(&f->env, &o);
    dd_http_options ho = DD_HTTP_OPTIONS_INIT;
    ho.port = 0;
    ho.conn_timeout_s = 30;
    ho.route = route;
    ho.app = f;
    if (dd_http_server_start(&f->srv, &ho, &err) != 0) {
        fprintf(stderr, "server: %s\n", err.msg);
        return -1;
    }
    f->port = dd_http_server_port(f->srv);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    if (f->srv != NULL)
        dd_http_server_shutdown(f->srv, 3000);
    etest_env_destroy(&f->env);
    etest_receiver_stop(&f->rx);
    free(f);
    return 0;
}

static const char *ADMIN[] = {"X-Test-Admin: 1", "Content-Type: application/json", NULL};
static const char *USER[] = {"X-Test-Admin: 0", NULL};

/* A request whose response must be JSON; *out = the parsed body (json_decref). */
static long call(fx *f, const char *method, const char *target, const char **headers,
                 const char *body, json_t **out)
{
    char *text = NULL;
    long status = etest_http(f->port, method, target, headers, body, &text);
    json_t *j = json_loads(text, 0, NULL);
    if (j == NULL)
        fail_msg("%s %s: %ld, not JSON: %s", method, target, status, text);
    free(text);
    if (out != NULL)
        *out = j;
    else
        json_decref(j);
    return status;
}

/* Checks an error response: status and {"error": code, "message": non-empty}. */
static void expect_error(fx *f, const char *method, const char *target, const char **headers,
                         const char *body, long status, const char *code)
{
    json_t *j = NULL;
    long got = call(f, method, target, headers, body, &j);
    if (got != status)
        fail_msg("%s %s: status %ld, want %ld", method, target, got, status);
    assert_string_equal(json_string_value(json_object_get(j, "error")), code);
    const char *msg = json_string_value(json_object_get(j, "message"));
    assert_non_null(msg);
    assert_true(msg[0] != '\0');
    json_decref(j);
}

static void test_log_api(void **state)
{
    fx *f = *state;
    json_t *j = NULL;
    for (int i = 0; i < 5; i++)
        etest_append(&f->env, "aws.inspector2", i == 3 ? "Inspector2 Scan" : "Inspector2 Finding",
                     NULL, NULL);
    assert_int_equal(call(f, "GET", "/drydock/v1/events?limit=2", USER, NULL, &j), 200);
    json_t *evs = json_object_get(j, "events");
    assert_int_equal(json_array_size(evs), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(evs, 0), "seq")), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(evs, 1), "seq")), 2);
    assert_string_equal(json_string_value(json_object_get(
                            json_object_get(json_array_get(evs, 0), "event"), "version")),
                        "0");
    assert_int_equal(json_integer_value(json_object_get(j, "next")), 2);
    json_decref(j);
    assert_int_equal(call(f, "GET", "/drydock/v1/events?after=2&limit=2", USER, NULL, &j), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "next")), 4);
    json_decref(j);
    assert_int_equal(call(f, "GET", "/drydock/v1/events?after=4", USER, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "events")), 1);
    assert_int_equal(json_integer_value(json_object_get(j, "next")), 5);
    json_decref(j);
    assert_int_equal(call(f, "GET", "/drydock/v1/events?after=5", USER, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "events")), 0);
    assert_int_equal(json_integer_value(json_object_get(j, "next")), 5);
    json_decref(j);
    /* default limit and a detail-type filter (percent-encoded space) */
    assert_int_equal(
        call(f, "GET", "/drydock/v1/events?detail-type=Inspector2%20Scan", USER, NULL, &j), 200);
    evs = json_object_get(j, "events");
    assert_int_equal(json_array_size(evs), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(evs, 0), "seq")), 4);
    json_decref(j);

    expect_error(f, "GET", "/drydock/v1/events?limit=0", USER, NULL, 400, "BadRequest");
    expect_error(f, "GET", "/drydock/v1/events?limit=1001", USER, NULL, 400, "BadRequest");
    expect_error(f, "GET", "/drydock/v1/events?after=-1", USER, NULL, 400, "BadRequest");
    expect_error(f, "GET", "/drydock/v1/events?after=abc", USER, NULL, 400, "BadRequest");
    expect_error(f, "GET", "/drydock/v1/events?after=99999999999999999999", USER, NULL, 400,
                 "BadRequest");
    expect_error(f, "POST", "/drydock/v1/events", USER, "{}", 405, "MethodNotAllowed");
    expect_error(f, "GET", "/drydock/v1/nothing", USER, NULL, 404, "NotFound");
    expect_error(f, "GET", "/drydock/v1/events/other", USER, NULL, 404, "NotFound");
    expect_error(f, "GET", "/drydock/v1/webhooksx", ADMIN, NULL, 404, "NotFound");
}

static void test_webhook_api(void **state)
{
    fx *f = *state;
    json_t *j = NULL;
    char body[512], target[256];
    snprintf(body, sizeof(body),
             "{\"url\":\"%s\",\"secret\":\"topsecret\",\"detailTypes\":[\"Inspector2 Finding\"]}",
             f->rx.url);
    /* non-admins may not manage webhooks */
    expect_error(f, "POST", "/drydock/v1/webhooks", USER, body, 403, "Forbidden");
    expect_error(f, "GET", "/drydock/v1/webhooks", USER, NULL, 403, "Forbidden");
    expect_error(f, "DELETE", "/drydock/v1/webhooks/x", USER, NULL, 403, "Forbidden");
    assert_int_equal(etest_query_int(&f->env, "SELECT COUNT(*) FROM webhooks"), 0);

    assert_int_equal(call(f, "POST", "/drydock/v1/webhooks", ADMIN, body, &j), 201);
    char *id1 = strdup(json_string_value(json_object_get(j, "id")));
    assert_string_equal(json_string_value(json_object_get(j, "url")), f->rx.url);
    assert_null(json_object_get(j, "secret"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "detailTypes"), 0)),
                        "Inspector2 Finding");
    json_decref(j);
    /* without a secret one is generated and returned once */
    assert_int_equal(
        call(f, "POST", "/drydock/v1/webhooks", ADMIN, "{\"url\":\"https://h.example/x\"}", &j),
        201);
    char *id2 = strdup(json_string_value(json_object_get(j, "id")));
    const char *gen = json_string_value(json_object_get(j, "secret"));
    assert_non_null(gen);
    assert_int_equal(strlen(gen), 64);
    char *secret2 = strdup(gen);
    json_decref(j);

    /* invalid bodies */
    expect_error(f, "POST", "/drydock/v1/webhooks", ADMIN, "{\"url\":\"ftp://h/\"}", 400,
                 "BadRequest");
    expect_error(f, "POST", "/drydock/v1/webhooks", ADMIN, "{\"url\":\"http://h/\",\"x\":1}", 400,
                 "BadRequest");
    expect_error(f, "POST", "/drydock/v1/webhooks", ADMIN, "not json", 400, "BadRequest");
    expect_error(f, "POST", "/drydock/v1/webhooks", ADMIN, "", 400, "BadRequest");
    char *big = malloc(70000);
    memset(big, ' ', 69999);
    big[69999] = '\0';
    memcpy(big, "{\"url\":\"http://h/\"}", 19);
    expect_error(f, "POST", "/drydock/v1/webhooks", ADMIN, big, 413, "PayloadTooLarge");
    free(big);
    expect_error(f, "PUT", "/drydock/v1/webhooks", ADMIN, "{}", 405, "MethodNotAllowed");

    /* the list never shows secrets */
    char *text = NULL;
    assert_int_equal(etest_http(f->port, "GET", "/drydock/v1/webhooks", ADMIN, NULL, &text), 200);
    assert_null(strstr(text, "topsecret"));
    assert_null(strstr(text, secret2));
    assert_null(strstr(text, "\"secret\""));
    j = json_loads(text, 0, NULL);
    free(text);
    assert_int_equal(json_array_size(json_object_get(j, "webhooks")), 2);
    json_decref(j);

    /* delete */
    expect_error(f, "DELETE", "/drydock/v1/webhooks/no-such-id", ADMIN, NULL, 404, "NotFound");
    snprintf(target, sizeof(target), "/drydock/v1/webhooks/%s", id2);
    assert_int_equal(call(f, "DELETE", target, ADMIN, NULL, &j), 200);
    json_decref(j);
    expect_error(f, "DELETE", target, ADMIN, NULL, 404, "NotFound");
    expect_error(f, "GET", target, ADMIN, NULL, 405, "MethodNotAllowed");
    assert_int_equal(call(f, "GET", "/drydock/v1/webhooks", ADMIN, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "webhooks")), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(j, "webhooks"), 0), "id")),
        id1);
    json_decref(j);
    snprintf(target, sizeof(target), "/drydock/v1/webhooks/%s/unknown", id1);
    expect_error(f, "GET", target, ADMIN, NULL, 404, "NotFound");
    snprintf(target, sizeof(target), "/drydock/v1/webhooks/%s/dead-letters/x", id1);
    expect_error(f, "GET", target, ADMIN, NULL, 404, "NotFound");
    free(id1);
    free(id2);
    free(secret2);
}

static void test_dead_letters_api(void **state)
{
    fx *f = *state; /* one attempt, then dead */
    json_t *j = NULL;
    char body[256], target[256];
    f->rx.default_status = 500;
    snprintf(body, sizeof(body), "{\"url\":\"%s\",\"secret\":\"k\"}", f->rx.url);
    assert_int_equal(call(f, "POST", "/drydock/v1/webhooks", ADMIN, body, &j), 201);
    char *id = strdup(json_string_value(json_object_get(j, "id")));
    json_decref(j);
    static const char *const res[] = {"arn:aws:ecr:us-east-1:123456789012:repository/r", NULL};
    etest_append(&f->env, "aws.inspector2", "Inspector2 Finding", res, "{\"k\":\"v\"}");
    dd_err err = DD_ERR_INIT;
    size_t n = 0;
    assert_int_equal(dd_events_deliver_due(f->env.ev, &n, &err), 0);
    assert_int_equal(n, 1);

    snprintf(target, sizeof(target), "/drydock/v1/webhooks/%s/dead-letters", id);
    expect_error(f, "GET", target, USER, NULL, 403, "Forbidden");
    assert_int_equal(call(f, "GET", target, ADMIN, NULL, &j), 200);
    json_t *d = json_object_get(j, "deliveries");
    assert_int_equal(json_array_size(d), 1);
    json_t *d0 = json_array_get(d, 0);
    assert_int_equal(json_integer_value(json_object_get(d0, "seq")), 1);
    assert_int_equal(json_integer_value(json_object_get(d0, "attempts")), 1);
    assert_int_equal(json_integer_value(json_object_get(d0, "lastStatus")), 500);
    assert_true(json_is_string(json_object_get(d0, "lastError")));
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(d0, "event"), "resources"), 0)),
                        res[0]);
    json_decref(j);
    expect_error(f, "GET", "/drydock/v1/webhooks/nope/dead-letters", ADMIN, NULL, 404, "NotFound");

    /* replay: back to pending, delivered on the next pass */
    f->rx.default_status = 200;
    snprintf(target, sizeof(target), "/drydock/v1/webhooks/%s/replay?seq=x", id);
    expect_error(f, "POST", target, ADMIN, NULL, 400, "BadRequest");
    snprintf(target, sizeof(target), "/drydock/v1/webhooks/%s/replay?seq=9", id);
    expect_error(f, "POST", target, ADMIN, NULL, 404, "NotFound");
    snprintf(target, sizeof(target), "/drydock/v1/webhooks/%s/replay?seq=1", id);
    expect_error(f, "GET", target, ADMIN, NULL, 405, "MethodNotAllowed");
    assert_int_equal(call(f, "POST", target, ADMIN, NULL, &j), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "replayed")), 1);
    json_decref(j);
    expect_error(f, "POST", target, ADMIN, NULL, 404, "NotFound"); /* nothing dead any more */
    snprintf(target, sizeof(target), "/drydock/v1/webhooks/%s/dead-letters", id);
    assert_int_equal(call(f, "GET", target, ADMIN, NULL, &j), 200);
    assert_int_equal(json_array_size(json_object_get(j, "deliveries")), 0);
    json_decref(j);
    assert_int_equal(dd_events_deliver_due(f->env.ev, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(etest_receiver_count(&f->rx), 2);
    /* replay without seq when nothing is dead: zero */
    snprintf(target, sizeof(target), "/drydock/v1/webhooks/%s/replay", id);
    assert_int_equal(call(f, "POST", target, ADMIN, NULL, &j), 200);
    assert_int_equal(json_integer_value(json_object_get(j, "replayed")), 0);
    json_decref(j);
    free(id);
}

/* ---- SSE client: raw socket, HTTP/1.1, chunked decoding ---- */

typedef struct sse_conn {
    int fd;
    char head[4096];
    size_t head_len;
    int status;
    bool chunked;
    char raw[256 * 1024]; /* undecoded bytes after the head */
    size_t raw_len;
    char text[256 * 1024]; /* decoded body */
    size_t text_len;
    bool ended; /* last chunk or EOF seen */
} sse_conn;

static sse_conn *sse_open(fx *f, const char *target, const char *extra)
{
    sse_conn *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->fd >= 0);
    struct timeval tv = {0, 100 * 1000};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(f->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n%s\r\n",
                     target, extra != NULL ? extra : "");
    assert_int_equal(send(c->fd, req, (size_t)n, MSG_NOSIGNAL), n);
    return c;
}

static void sse_close(sse_conn *c)
{
    close(c->fd);
    free(c);
}

/* Decodes what can be decoded of raw into text. */
static void sse_decode(sse_conn *c)
{
    if (!c->chunked) {
        memcpy(c->text + c->text_len, c->raw, c->raw_len);
        c->text_len += c->raw_len;
        c->raw_len = 0;
        c->text[c->text_len] = '\0';
        return;
    }
    for (;;) {
        char *crlf = memmem(c->raw, c->raw_len, "\r\n", 2);
        if (crlf == NULL)
            return;
        size_t size = strtoul(c->raw, NULL, 16);
        size_t line = (size_t)(crlf - c->raw) + 2;
        if (size == 0) {
            c->ended = true;
            return;
        }
        if (c->raw_len < line + size + 2)
            return;
        assert_true(c->text_len + size < sizeof(c->text));
        memcpy(c->text + c->text_len, c->raw + line, size);
        c->text_len += size;
        c->text[c->text_len] = '\0';
        memmove(c->raw, c->raw + line + size + 2, c->raw_len - line - size - 2);
        c->raw_len -= line + size + 2;
    }
}

/* Reads for up to timeout_ms or until `want` appears in the decoded text (NULL: until the end). */
static bool sse_read_until(sse_conn *c, const char *want, int timeout_ms)
{
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (want != NULL && c->text_len > 0 && strstr(c->text, want) != NULL)
            return true;
        if (c->ended)
            return want == NULL;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > timeout_ms)
            return false;
        char buf[8192];
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            continue;
        if (n <= 0) {
            c->ended = true;
            continue;
        }
        size_t k = (size_t)n;
        if (c->status == 0) {
            assert_true(c->head_len + k < sizeof(c->head));
            memcpy(c->head + c->head_len, buf, k);
            c->head_len += k;
            c->head[c->head_len] = '\0';
            char *end = strstr(c->head, "\r\n\r\n");
            if (end == NULL)
                continue;
            c->status = atoi(c->head + 9);
            c->chunked = strcasestr(c->head, "Transfer-Encoding: chunked") != NULL;
            size_t hl = (size_t)(end + 4 - c->head);
            k = c->head_len - hl;
            memcpy(buf, end + 4, k);
            end[2] = '\0';
            c->head_len = hl;
        }
        assert_true(c->raw_len + k < sizeof(c->raw));
        memcpy(c->raw + c->raw_len, buf, k);
        c->raw_len += k;
        sse_decode(c);
    }
}

/* The SSE record "id: N\nevent: T\ndata: <stored body>\n\n" of seq. */
static char *record_of(fx *f, int64_t seq)
{
    char q[128];
    snprintf(q, sizeof(q), "SELECT detail_type, body FROM outbox WHERE seq = %lld", (long long)seq);
    dd_sql_conn *c = dd_sql_acquire(f->env.sql);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(dd_sql_handle(c), q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    size_t n = 64 + (size_t)sqlite3_column_bytes(st, 0) + (size_t)sqlite3_column_bytes(st, 1);
    char *r = malloc(n);
    snprintf(r, n, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)seq,
             (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    dd_sql_release(f->env.sql, c);
    return r;
}

static void test_sse_stream(void **state)
{
    fx *f = *state;
    etest_append(&f->env, "aws.inspector2", "Inspector2 Finding", NULL, "{\"n\":1}");
    etest_append(&f->env, "aws.ecr", "ECR Scan Resource Change", NULL, "{\"n\":2}");
    sse_conn *c = sse_open(f, "/drydock/v1/events/stream", NULL);
    char *r1 = record_of(f, 1), *r2 = record_of(f, 2);
    assert_true(sse_read_until(c, r2, 3000));
    assert_int_equal(c->status, 200);
    assert_non_null(strcasestr(c->head, "Content-Type: text/event-stream"));
    assert_non_null(strcasestr(c->head, "Cache-Control: no-cache"));
    assert_true(c->chunked);
    /* records in order, each whole */
    char *p1 = strstr(c->text, r1), *p2 = strstr(c->text, r2);
    assert_non_null(p1);
    assert_true(p2 > p1);
    /* a new event is pushed once kicked */
    etest_append(&f->env, "aws.inspector2", "Inspector2 Scan", NULL, "{\"n\":3}");
    char *r3 = record_of(f, 3);
    assert_true(sse_read_until(c, r3, 2000));
    /* heartbeats while idle (400 ms here) */
    size_t before = c->text_len;
    assert_true(sse_read_until(c, ": ping\n\n", 2000));
    assert_non_null(strstr(c->text + before, ": ping\n\n"));
    /* no event twice */
    assert_null(strstr(strstr(c->text, r1) + 1, r1));
    /* dd_events_stop ends the stream */
    dd_events_stop(f->env.ev);
    assert_true(sse_read_until(c, NULL, 3000));
    sse_close(c);
    free(r1);
    free(r2);
    free(r3);
}

static void test_sse_resume(void **state)
{
    fx *f = *state;
    for (int i = 0; i < 4; i++)
        etest_append(&f->env, "aws.inspector2", i % 2 ? "Inspector2 Scan" : "Inspector2 Finding",
                     NULL, NULL);
    char *r[5];
    for (int i = 1; i <= 4; i++)
        r[i] = record_of(f, i);
    /* Last-Event-ID wins over ?after= (a reconnecting EventSource keeps its URL) */
    sse_conn *c = sse_open(f, "/drydock/v1/events/stream?after=0", "Last-Event-ID: 2\r\n");
    assert_true(sse_read_until(c, r[4], 3000));
    assert_null(strstr(c->text, r[1]));
    assert_null(strstr(c->text, r[2]));
    assert_non_null(strstr(c->text, r[3]));
    sse_close(c);
    c = sse_open(f, "/drydock/v1/events/stream?after=3", NULL);
    assert_true(sse_read_until(c, r[4], 3000));
    assert_null(strstr(c->text, r[3]));
    sse_close(c);
    /* a detail-type filter */
    c = sse_open(f, "/drydock/v1/events/stream?detail-type=Inspector2%20Scan", NULL);
    assert_true(sse_read_until(c, r[4], 3000));
    assert_non_null(strstr(c->text, r[2]));
    assert_null(strstr(c->text, r[1]));
    assert_null(strstr(c->text, r[3]));
    sse_close(c);
    /* bad cursors */
    c = sse_open(f, "/drydock/v1/events/stream", "Last-Event-ID: abc\r\n");
    sse_read_until(c, "\"BadRequest\"", 3000);
    assert_int_equal(c->status, 400);
    sse_close(c);
    c = sse_open(f, "/drydock/v1/events/stream?after=-4", NULL);
    sse_read_until(c, "\"BadRequest\"", 3000);
    assert_int_equal(c->status, 400);
    sse_close(c);
    for (int i = 1; i <= 4; i++)
        free(r[i]);
}

static void test_sse_ends_on_server_shutdown(void **state)
{
    fx *f = *state;
    etest_append(&f->env, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    sse_conn *c = sse_open(f, "/drydock/v1/events/stream", NULL);
    assert_true(sse_read_until(c, "id: 1\n", 3000));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dd_http_server_shutdown(f->srv, 10000); /* waits for requests in flight, the stream too */
    f->srv = NULL;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (ms > 3000)
        fail_msg("shutdown took %lld ms with a stream open", (long long)ms);
    assert_true(sse_read_until(c, NULL, 3000));
    sse_close(c);
    /* its context was released: closing events does not wait */
    clock_gettime(CLOCK_MONOTONIC, &t0);
    etest_env_close_handles(&f->env);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms < 1000);
    etest_env_reopen(&f->env);
}

static void test_sse_client_gone(void **state)
{
    fx *f = *state;
    /* streams whose clients leave are released (heartbeat write fails) */
    for (int i = 0; i < 3; i++) {
        sse_conn *c = sse_open(f, "/drydock/v1/events/stream", NULL);
        assert_true(sse_read_until(c, "retry:", 3000));
        sse_close(c);
    }
    int waited = 0;
    while (dd_http_server_active(f->srv) > 0 && waited < 5000) {
        struct timespec ts = {0, 50 * 1000 * 1000};
        nanosleep(&ts, NULL);
        waited += 50;
    }
    assert_int_equal(dd_http_server_active(f->srv), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_log_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_webhook_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_letters_api, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sse_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sse_resume, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sse_ends_on_server_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sse_client_gone, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
