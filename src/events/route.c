/* The events HTTP API under /drydock/v1: the cursor-paged log (GET /events), server-sent events
 * (GET /events/stream) and webhook management (admin only), with JSON errors
 * {"error": ..., "message": ...}. */
#include "events/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MT_JSON "application/json"
#define PREFIX "/drydock/v1"
#define WEBHOOK_ID_MAX 64
/* SSE: events read per query, longest single wait inside a read, re-query interval without a
 * kick (events appended by another process), and most bytes buffered for one read. */
#define SSE_BATCH 100
#define SSE_SLICE_MS 1000
#define SSE_REQUERY_MS 5000
#define SSE_BUF_MAX (64u * 1024u * 1024u)

/* ---- responses ---- */

static void respond_json(dd_http_req *req, unsigned status, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    if (text == NULL || dd_http_respond_buf(req, status, MT_JSON, text, strlen(text)) != 0) {
        static const char oom[] = "{\"error\":\"InternalError\",\"message\":\"out of memory\"}";
        if (dd_http_respond_buf(req, 500, MT_JSON, oom, sizeof(oom) - 1) != 0)
            dd_log(DD_LOG_ERROR, "respond_failed", NULL);
    }
    dd_free(text);
    json_decref(body);
}

static void respond_error(dd_http_req *req, unsigned status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void respond_error(dd_http_req *req, unsigned status, const char *code, const char *fmt, ...)
{
    char msg[DD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    respond_json(req, status, json_pack("{s:s, s:s}", "error", code, "message", msg));
}

static void respond_rc(dd_http_req *req, int rc, const dd_err *err)
{
    const char *msg = err != NULL && err->msg[0] ? err->msg : dd_strerror(rc);
    if (rc == DD_EINVALID) {
        respond_error(req, 400, "BadRequest", "%s", msg);
    } else if (rc == DD_ENOTFOUND) {
        respond_error(req, 404, "NotFound", "%s", msg);
    } else {
        dd_log(DD_LOG_ERROR, "internal_error", "path", dd_http_req_path(req), "code",
               dd_strerror(rc), "error", msg, NULL);
        if (rc == DD_EBUSY)
            respond_error(req, 503, "ServiceUnavailable", "the service is busy, retry");
        else
            respond_error(req, 500, "InternalError", "internal error");
    }
}

static void method_not_allowed(dd_http_req *req, const char *allow)
{
    respond_error(req, 405, "MethodNotAllowed", "method %s not allowed here",
                  dd_http_req_method(req));
    dd_http_resp_header(req, "Allow", allow);
}

static bool method_is(dd_http_req *req, const char *m)
{
    return strcmp(dd_http_req_method(req), m) == 0;
}

/* A query parameter as a number in [0, max]; *out = def when absent. Responds 400 and returns
 * false when malformed. */
static bool query_uint(dd_http_req *req, const char *name, int64_t def, int64_t max, int64_t *out)
{
    const char *v = dd_http_req_query(req, name);
    *out = def;
    if (v == NULL)
        return true;
    if (dd_events_parse_uint(v, strlen(v), max, out) != 0) {
        respond_error(req, 400, "BadRequest", "%s must be an integer from 0 to %lld", name,
                      (long long)max);
        return false;
    }
    return true;
}

/* ---- the log ---- */

static void handle_list(dd_events *ev, dd_http_req *req)
{
    dd_err err = DD_ERR_INIT;
    int64_t after, limit;
    json_t *out = NULL;
    if (!query_uint(req, "after", 0, INT64_MAX, &after) ||
        !query_uint(req, "limit", DD_EVENTS_PAGE_DEFAULT, DD_EVENTS_PAGE_MAX, &limit))
        return;
    if (limit < 1) {
        respond_error(req, 400, "BadRequest", "limit must be from 1 to %d", DD_EVENTS_PAGE_MAX);
        return;
    }
    const char *type = dd_http_req_query(req, "detail-type");
    int rc = dd_events_list(ev, after, (size_t)limit, type, &out, &err);
    if (rc != 0)
        respond_rc(req, rc, &err);
    else
        respond_json(req, 200, out);
}

/* ---- server-sent events ---- */

typedef struct sse {
    dd_events *ev;
    int64_t cursor; /* last seq sent */
    char *detail_type;
    dd_buf out; /* bytes not yet handed to the server */
    size_t off;
    uint64_t seen_gen;
    bool queried;
    int64_t last_query_ms, last_send_ms; /* monotonic */
} sse;

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char SQL_SSE_ALL[] =
    "SELECT seq, detail_type, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?";
static const char SQL_SSE_TYPE[] = "SELECT seq, detail_type, body FROM outbox"
                                   " WHERE seq > ? AND detail_type = ? ORDER BY seq LIMIT ?";

/* Appends the events after the cursor to s->out as SSE records. */
static int sse_fetch(sse *s, dd_err *err)
{
    sqlite3_stmt *st;
    dd_sql_conn *c = dd_sql_acquire(s->ev->sql);
    int rc = dd_sql_stmt(c, s->detail_type != NULL ? SQL_SSE_TYPE : SQL_SSE_ALL, &st, err);
    if (rc == 0) {
        dd_sql_bind_int(st, 1, s->cursor);
        if (s->detail_type != NULL) {
            dd_sql_bind_text(st, 2, s->detail_type);
            dd_sql_bind_int(st, 3, SSE_BATCH);
        } else {
            dd_sql_bind_int(st, 2, SSE_BATCH);
        }
    }
    while (rc == 0 && (rc = dd_sql_step(c, st, err)) == 1) {
        int64_t seq = sqlite3_column_int64(st, 0);
        char type[DD_EVENTS_DETAIL_TYPE_MAX + 1];
        snprintf(type, sizeof(type), "%s", dd_sql_col_text(st, 1));
        for (char *p = type; *p; p++) /* a line break would end the field */
            if (*p == '\r' || *p == '\n')
                *p = ' ';
        rc = dd_buf_printf(&s->out, "id: %lld\nevent: %s\ndata: ", (long long)seq, type);
        if (rc == 0)
            rc =
                dd_buf_append(&s->out, dd_sql_col_text(st, 2), (size_t)sqlite3_column_bytes(st, 2));
        if (rc == 0)
            rc = dd_buf_append_str(&s->out, "\n\n");
        if (rc != 0) {
            sqlite3_reset(st);
            break;
        }
        s->cursor = seq;
    }
    dd_sql_release(s->ev->sql, c);
    return rc;
}

static int64_t sse_copy(sse *s, char *buf, size_t max)
{
    size_t n = s->out.len - s->off;
    if (n > max)
        n = max;
    memcpy(buf, s->out.data + s->off, n);
    s->off += n;
    if (s->off == s->out.len) {
        dd_buf_reset(&s->out);
        s->off = 0;
    }
    return (int64_t)n;
}

static int64_t sse_read(void *ctx, char *buf, size_t max)
{
    sse *s = ctx;
    dd_events *ev = s->ev;
    if (s->off < s->out.len)
        return sse_copy(s, buf, max);
    pthread_mutex_lock(&ev->mu);
    bool stop = ev->stopping;
    uint64_t gen = ev->generation;
    pthread_mutex_unlock(&ev->mu);
    if (stop)
        return DD_HTTP_STREAM_END;
    int64_t now = mono_ms();
    if (!s->queried || gen != s->seen_gen || now - s->last_query_ms >= SSE_REQUERY_MS) {
        dd_err err = DD_ERR_INIT;
        s->queried = true;
        s->seen_gen = gen;
        s->last_query_ms = now;
        if (sse_fetch(s, &err) != 0) {
            dd_log(DD_LOG_ERROR, "event_stream_error", "error", err.msg, NULL);
            return DD_HTTP_STREAM_ERROR;
        }
        if (s->out.len > 0) {
            s->last_send_ms = now;
            /* a full batch: more may be waiting, query again on the next read */
            s->queried = false;
            return sse_copy(s, buf, max);
        }
        s->queried = true;
    }
    int64_t due = s->last_send_ms + ev->opts.heartbeat_ms;
    if (now >= due) {
        if (dd_buf_append_str(&s->out, ": ping\n\n") != 0)
            return DD_HTTP_STREAM_ERROR;
        s->last_send_ms = now;
        return sse_copy(s, buf, max);
    }
    int64_t wait = due - now < SSE_SLICE_MS ? due - now : SSE_SLICE_MS;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(wait / 1000);
    ts.tv_nsec += (long)(wait % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&ev->mu);
    if (!ev->stopping && ev->generation == gen)
        pthread_cond_timedwait(&ev->cv, &ev->mu, &ts);
    pthread_mutex_unlock(&ev->mu);
    return DD_HTTP_STREAM_AGAIN;
}

static void sse_free(void *ctx)
{
    sse *s = ctx;
    dd_events *ev = s->ev;
    dd_buf_free(&s->out);
    dd_free(s->detail_type);
    dd_free(s);
    pthread_mutex_lock(&ev->mu);
    ev->n_streams--;
    pthread_mutex_unlock(&ev->mu);
}

static void handle_stream(dd_events *ev, dd_http_req *req)
{
    int64_t after;
    const char *last = dd_http_req_header(req, "Last-Event-ID");
    if (last != NULL && *last != '\0') { /* a reconnecting EventSource: resume after it */
        if (dd_events_parse_uint(last, strlen(last), INT64_MAX, &after) != 0) {
            respond_error(req, 400, "BadRequest", "Last-Event-ID must be an event seq");
            return;
        }
    } else if (!query_uint(req, "after", 0, INT64_MAX, &after)) {
        return;
    }
    const char *type = dd_http_req_query(req, "detail-type");
    pthread_mutex_lock(&ev->mu);
    bool stop = ev->stopping;
    pthread_mutex_unlock(&ev->mu);
    if (stop) {
        respond_error(req, 503, "ServiceUnavailable", "the server is stopping");
        return;
    }
    sse *s = dd_calloc(1, sizeof(*s));
    if (s == NULL) {
        respond_rc(req, DD_ENOMEM, NULL);
        return;
    }
    s->ev = ev;
    s->cursor = after;
    dd_buf_init(&s->out, SSE_BUF_MAX);
    s->last_send_ms = mono_ms();
    if ((type != NULL && (s->detail_type = dd_strdup(type)) == NULL) ||
        dd_buf_append_str(&s->out, "retry: 3000\n\n") != 0) {
        dd_buf_free(&s->out);
        dd_free(s);
        respond_rc(req, DD_ENOMEM, NULL);
        return;
    }
    pthread_mutex_lock(&ev->mu);
    ev->n_streams++;
    pthread_mutex_unlock(&ev->mu);
    if (dd_http_respond_stream(req, 200, "text/event-stream", sse_read, s, sse_free) != 0) {
        respond_rc(req, DD_ENOMEM, NULL); /* s was released by the failed call */
        return;
    }
    dd_http_resp_header(req, "Cache-Control", "no-cache");
    dd_http_resp_header(req, "X-Accel-Buffering", "no");
}

/* ---- webhooks ---- */

typedef struct create_ctx {
    dd_events *ev;
    dd_buf body;
} create_ctx;

static int create_body(dd_http_req *req, const char *data, size_t len)
{
    create_ctx *c = dd_http_req_state(req);
    int rc = dd_buf_append(&c->body, data, len);
    if (rc == DD_ELIMIT) {
        respond_error(req, 413, "PayloadTooLarge", "body larger than %u bytes", DD_EVENTS_BODY_MAX);
        return -1;
    }
    if (rc != 0) {
        respond_rc(req, rc, NULL);
        return -1;
    }
    return 0;
}

static void create_done(dd_http_req *req)
{
    create_ctx *c = dd_http_req_state(req);
    dd_err err = DD_ERR_INIT;
    json_t *root = NULL, *out = NULL;
    dd_events_webhook_spec spec;
    int rc = dd_events_parse_webhook_body(c->body.data != NULL ? c->body.data : "", c->body.len,
                                          &root, &spec, &err);
    if (rc == 0)
        rc = dd_events_webhook_add(c->ev, spec.url, spec.secret, spec.detail_types,
                                   spec.n_detail_types, &out, &err);
    if (rc != 0)
        respond_rc(req, rc, &err);
    else
        respond_json(req, 201, out);
    json_decref(root);
}

static void create_cleanup(dd_http_req *req)
{
    create_ctx *c = dd_http_req_state(req);
    if (c != NULL) {
        dd_buf_free(&c->body);
        dd_free(c);
    }
    dd_http_req_set_state(req, NULL);
}

static void handle_create(dd_events *ev, dd_http_req *req)
{
    int64_t cl = dd_http_req_content_length(req);
    if (cl > (int64_t)DD_EVENTS_BODY_MAX) {
        respond_error(req, 413, "PayloadTooLarge", "body larger than %u bytes", DD_EVENTS_BODY_MAX);
        return;
    }
    create_ctx *c = dd_calloc(1, sizeof(*c));
    if (c == NULL) {
        respond_rc(req, DD_ENOMEM, NULL);
        return;
    }
    c->ev = ev;
    dd_buf_init(&c->body, DD_EVENTS_BODY_MAX);
    dd_http_req_set_state(req, c);
    dd_http_req_expect_body(req, create_body, create_done, create_cleanup);
}

static void handle_webhooks(dd_events *ev, dd_http_req *req)
{
    if (method_is(req, "POST")) {
        handle_create(ev, req);
    } else if (method_is(req, "GET")) {
        dd_err err = DD_ERR_INIT;
        json_t *list = NULL;
        int rc = dd_events_webhook_list(ev, &list, &err);
        if (rc != 0)
            respond_rc(req, rc, &err);
        else
            respond_json(req, 200, json_pack("{s:o}", "webhooks", list));
    } else {
        method_not_allowed(req, "GET, POST");
    }
}

static void handle_webhook(dd_events *ev, dd_http_req *req, const char *id, const char *action)
{
    dd_err err = DD_ERR_INIT;
    json_t *out = NULL;
    int rc;
    if (action == NULL) {
        if (!method_is(req, "DELETE")) {
            method_not_allowed(req, "DELETE");
            return;
        }
        if ((rc = dd_events_webhook_remove(ev, id, &err)) != 0)
            respond_rc(req, rc, &err);
        else
            respond_json(req, 200, json_pack("{s:s}", "id", id));
    } else if (strcmp(action, "dead-letters") == 0) {
        if (!method_is(req, "GET")) {
            method_not_allowed(req, "GET");
            return;
        }
        if ((rc = dd_events_dead_letters(ev, id, &out, &err)) != 0)
            respond_rc(req, rc, &err);
        else
            respond_json(req, 200, json_pack("{s:o}", "deliveries", out));
    } else if (strcmp(action, "replay") == 0) {
        int64_t seq;
        size_t n = 0;
        if (!method_is(req, "POST")) {
            method_not_allowed(req, "POST");
            return;
        }
        if (!query_uint(req, "seq", -1, INT64_MAX, &seq))
            return;
        if ((rc = dd_events_replay(ev, id, seq, &n, &err)) != 0) {
            respond_rc(req, rc, &err);
            return;
        }
        dd_events_kick(ev);
        respond_json(req, 200, json_pack("{s:I}", "replayed", (json_int_t)n));
    } else {
        respond_error(req, 404, "NotFound", "no such endpoint");
    }
}

void dd_events_route(dd_events *ev, dd_http_req *req, const dd_auth_identity *id)
{
    const char *path = dd_http_req_path(req);
    size_t plen = strlen(PREFIX);
    if (ev == NULL) {
        respond_error(req, 503, "ServiceUnavailable", "events are not enabled");
        return;
    }
    if (strncmp(path, PREFIX, plen) != 0) {
        respond_error(req, 404, "NotFound", "no such endpoint");
        return;
    }
    const char *p = path + plen;
    if (strcmp(p, "/events") == 0) {
        if (!method_is(req, "GET"))
            method_not_allowed(req, "GET");
        else
            handle_list(ev, req);
        return;
    }
    if (strcmp(p, "/events/stream") == 0) {
        if (!method_is(req, "GET"))
            method_not_allowed(req, "GET");
        else
            handle_stream(ev, req);
        return;
    }
    if (strncmp(p, "/webhooks", 9) != 0 || (p[9] != '\0' && p[9] != '/')) {
        respond_error(req, 404, "NotFound", "no such endpoint");
        return;
    }
    if (id == NULL || !id->admin) {
        respond_error(req, 403, "Forbidden", "managing webhooks requires an administrator");
        return;
    }
    p += 9;
    if (*p == '\0') {
        handle_webhooks(ev, req);
        return;
    }
    p++; /* the '/' */
    const char *slash = strchr(p, '/');
    size_t n = slash != NULL ? (size_t)(slash - p) : strlen(p);
    if (n == 0 || n > WEBHOOK_ID_MAX || (slash != NULL && strchr(slash + 1, '/') != NULL)) {
        respond_error(req, 404, "NotFound", "no such endpoint");
        return;
    }
    char wid[WEBHOOK_ID_MAX + 1];
    memcpy(wid, p, n);
    wid[n] = '\0';
    handle_webhook(ev, req, wid, slash != NULL ? slash + 1 : NULL);
}
