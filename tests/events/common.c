/* Harness of the events tests: scratch database, settable clock, webhook receiver, HTTP client. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <dirent.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static int64_t clock_now(void *ctx)
{
    etest_clock *c = ctx;
    return atomic_load(&c->now_ms);
}

void etest_clock_init(etest_clock *c, int64_t now_ms)
{
    c->clock.now_ms = clock_now;
    c->clock.ctx = c;
    atomic_store(&c->now_ms, now_ms);
}

/* ---- receiver ---- */

typedef struct rx_req {
    char *body;
    size_t len, cap;
} rx_req;

static int rx_body(dd_http_req *req, const char *data, size_t len)
{
    rx_req *r = dd_http_req_state(req);
    if (r->len + len + 1 > r->cap) {
        size_t cap = (r->len + len + 1) * 2;
        char *p = realloc(r->body, cap);
        if (p == NULL)
            return -1;
        r->body = p;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, len);
    r->len += len;
    r->body[r->len] = '\0';
    return 0;
}

static void copy_header(dd_http_req *req, const char *name, char *out, size_t n)
{
    const char *v = dd_http_req_header(req, name);
    snprintf(out, n, "%s", v != NULL ? v : "");
}

static void rx_done(dd_http_req *req)
{
    etest_receiver *rx = dd_http_req_app(req);
    rx_req *r = dd_http_req_state(req);
    int hang = atomic_load(&rx->hang_ms);
    if (hang > 0) {
        struct timespec ts = {hang / 1000, (long)(hang % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    unsigned status = rx->default_status;
    pthread_mutex_lock(&rx->mu);
    if (rx->n < RX_MAX) {
        etest_rx_item *it = &rx->items[rx->n];
        memset(it, 0, sizeof(*it));
        snprintf(it->method, sizeof(it->method), "%s", dd_http_req_method(req));
        snprintf(it->path, sizeof(it->path), "%s", dd_http_req_path(req));
        copy_header(req, "Content-Type", it->content_type, sizeof(it->content_type));
        copy_header(req, "X-Drydock-Event-Id", it->event_id, sizeof(it->event_id));
        copy_header(req, "X-Drydock-Delivery", it->delivery, sizeof(it->delivery));
        copy_header(req, "X-Drydock-Timestamp", it->timestamp, sizeof(it->timestamp));
        copy_header(req, "X-Drydock-Signature", it->signature, sizeof(it->signature));
        it->body = r->body != NULL ? r->body : strdup("");
        it->body_len = r->len;
        r->body = NULL;
        if (rx->n < rx->n_statuses)
            status = rx->statuses[rx->n];
        rx->n++;
    }
    pthread_mutex_unlock(&rx->mu);
    if (dd_http_respond_buf(req, status, "text/plain", "ok", 2) != 0)
        fprintf(stderr, "receiver: respond failed\n");
}

static void rx_cleanup(dd_http_req *req)
{
    rx_req *r = dd_http_req_state(req);
    if (r != NULL) {
        free(r->body);
        free(r);
    }
    dd_http_req_set_state(req, NULL);
}

static void rx_route(dd_http_req *req, void *app)
{
    (void)app;
    rx_req *r = calloc(1, sizeof(*r));
    if (r == NULL) {
        if (dd_http_respond_buf(req, 500, "text/plain", "oom", 3) != 0)
            fprintf(stderr, "receiver: respond failed\n");
        return;
    }
    dd_http_req_set_state(req, r);
    dd_http_req_expect_body(req, rx_body, rx_done, rx_cleanup);
}

void etest_receiver_start(etest_receiver *rx)
{
    dd_err err = DD_ERR_INIT;
    memset(rx, 0, sizeof(*rx));
    pthread_mutex_init(&rx->mu, NULL);
    rx->default_status = 200;
    dd_http_options o = DD_HTTP_OPTIONS_INIT;
    o.port = 0;
    o.conn_timeout_s = 30;
    o.route = rx_route;
    o.app = rx;
    if (dd_http_server_start(&rx->srv, &o, &err) != 0)
        fail_msg("receiver: %s", err.msg);
    rx->port = dd_http_server_port(rx->srv);
    snprintf(rx->url, sizeof(rx->url), "http://127.0.0.1:%u/hook", (unsigned)rx->port);
}

void etest_receiver_stop(etest_receiver *rx)
{
    dd_http_server_shutdown(rx->srv, 2000);
    for (size_t i = 0; i < rx->n; i++)
        free(rx->items[i].body);
    pthread_mutex_destroy(&rx->mu);
}

size_t etest_receiver_count(etest_receiver *rx)
{
    pthread_mutex_lock(&rx->mu);
    size_t n = rx->n;
    pthread_mutex_unlock(&rx->mu);
    return n;
}

size_t etest_receiver_wait(etest_receiver *rx, size_t n, int timeout_ms)
{
    size_t got = 0;
    for (int waited = 0; waited <= timeout_ms; waited += 10) {
        if ((got = etest_receiver_count(rx)) >= n)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return got;
}

/* ---- environment ---- */

static void open_handles(etest_env *e)
{
    dd_err err = DD_ERR_INIT;
    if (dd_sql_open(&e->sql, e->db_path, 4, &err) != 0)
        fail_msg("sql open: %s", err.msg);
    if (dd_events_open(&e->ev, e->sql, &e->clk.clock, &e->opts, &err) != 0)
        fail_msg("events open: %s", err.msg);
}

void etest_env_open(etest_env *e, const dd_events_options *opts)
{
    memset(e, 0, sizeof(*e));
    snprintf(e->dir, sizeof(e->dir), "/tmp/dd-events-test-XXXXXX");
    assert_non_null(mkdtemp(e->dir));
    snprintf(e->db_path, sizeof(e->db_path), "%s/metadata.sqlite", e->dir);
    etest_clock_init(&e->clk, 1741083330000LL); /* 2025-03-04T10:15:30Z */
    if (opts != NULL) {
        e->opts = *opts;
    } else {
        dd_events_options d = DD_EVENTS_OPTIONS_INIT;
        d.account = "123456789012";
        d.region = "us-east-1";
        d.timeout_ms = 3000;
        e->opts = d;
    }
    open_handles(e);
}

void etest_env_close_handles(etest_env *e)
{
    dd_events_close(e->ev);
    dd_sql_close(e->sql);
    e->ev = NULL;
    e->sql = NULL;
}

void etest_env_reopen(etest_env *e)
{
    open_handles(e);
}

void etest_env_destroy(etest_env *e)
{
    etest_env_close_handles(e);
    DIR *d = opendir(e->dir);
    if (d != NULL) {
        struct dirent *de;
        char p[600];
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            snprintf(p, sizeof(p), "%s/%s", e->dir, de->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(e->dir);
}

void etest_append(etest_env *e, const char *source, const char *type, const char *const *resources,
                  const char *detail_json)
{
    dd_err err = DD_ERR_INIT;
    json_t *res = NULL, *detail = NULL;
    if (resources != NULL) {
        res = json_array();
        for (size_t i = 0; resources[i] != NULL; i++)
            json_array_append_new(res, json_string(resources[i]));
    }
    if (detail_json != NULL) {
        detail = json_loads(detail_json, 0, NULL);
        assert_non_null(detail);
    }
    dd_sql_conn *c = dd_sql_acquire(e->sql);
    if (dd_sql_begin(c, &err) != 0 ||
        dd_events_append(e->ev, c, source, type, res, detail, &err) != 0 ||
        dd_sql_commit(c, &err) != 0) {
        dd_sql_release(e->sql, c);
        fail_msg("append: %s", err.msg);
    }
    dd_sql_release(e->sql, c);
    json_decref(res);
    json_decref(detail);
    dd_events_kick(e->ev);
}

int64_t etest_query_int(etest_env *e, const char *sql)
{
    dd_sql_conn *c = dd_sql_acquire(e->sql);
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(dd_sql_handle(c), sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else
        fprintf(stderr, "query failed: %s: %s\n", sql, sqlite3_errmsg(dd_sql_handle(c)));
    sqlite3_finalize(st);
    dd_sql_release(e->sql, c);
    return v;
}

void etest_hmac_hex(char *out, const char *secret, const char *msg, size_t len)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, len, md, &n);
    for (unsigned i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[2 * n] = '\0';
}

/* ---- HTTP client ---- */

typedef struct sink {
    char *p;
    size_t n;
} sink;

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t k = size * nmemb;
    char *q = realloc(s->p, s->n + k + 1);
    if (q == NULL)
        return 0;
    memcpy(q + s->n, ptr, k);
    s->n += k;
    q[s->n] = '\0';
    s->p = q;
    return k;
}

long etest_http(uint16_t port, const char *method, const char *target, const char *headers[],
                const char *body, char **resp_body)
{
    CURL *c = curl_easy_init();
    struct curl_slist *h = NULL;
    sink s = {NULL, 0};
    char url[1024];
    long status = 0;
    assert_non_null(c);
    snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", (unsigned)port, target);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        h = curl_slist_append(h, headers[i]);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    if (body != NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    CURLcode cc = curl_easy_perform(c);
    if (cc != CURLE_OK)
        fail_msg("%s %s: %s", method, target, curl_easy_strerror(cc));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    if (resp_body != NULL)
        *resp_body = s.p != NULL ? s.p : strdup("");
    else
        free(s.p);
    return status;
}
