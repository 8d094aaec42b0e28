/* libmicrohttpd wrapper: per-request state machine (headers, body chunks, done), responses,
 * request logs and graceful shutdown. */
#include "http/http.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct dd_http_server {
    struct MHD_Daemon *mhd;
    dd_http_options opts;
    uint16_t port;
    atomic_uint active;
    atomic_int closing;
};

struct dd_http_req {
    dd_http_server *srv;
    struct MHD_Connection *conn;
    const char *method;
    char *path;
    char *raw_target; /* the request target exactly as received (still percent-encoded) */
    int started;      /* on_access has seen the request */
    int64_t started_ms;
    dd_http_body_fn body;
    dd_http_done_fn done;
    dd_http_cleanup_fn cleanup;
    void *state;
    struct MHD_Response *resp;
    unsigned status;
    int queued;
    int failed_body; /* body callback refused: discard the rest */
    uint64_t resp_len;
    uint64_t body_len;
    uint64_t drained;
};

/* Most bytes of a refused request body read and dropped before the connection is closed. */
#define DRAIN_MAX (64u * 1024u * 1024u)

const char *dd_http_req_method(const dd_http_req *r)
{
    return r->method;
}

const char *dd_http_req_path(const dd_http_req *r)
{
    return r->path;
}

const char *dd_http_req_raw_target(const dd_http_req *r)
{
    return r->raw_target != NULL ? r->raw_target : r->path;
}

typedef struct each_ctx {
    dd_http_header_fn fn;
    void *ctx;
} each_ctx;

static enum MHD_Result each_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   const char *value)
{
    each_ctx *e = cls;
    (void)kind;
    return e->fn(e->ctx, key, value != NULL ? value : "") == 0 ? MHD_YES : MHD_NO;
}

void dd_http_req_headers_each(const dd_http_req *r, dd_http_header_fn fn, void *ctx)
{
    each_ctx e = {fn, ctx};
    MHD_get_connection_values(r->conn, MHD_HEADER_KIND, each_header, &e);
}

const char *dd_http_req_header(const dd_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *dd_http_req_query(const dd_http_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int64_t dd_http_req_content_length(const dd_http_req *r)
{
    const char *v = dd_http_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (v == NULL || *v == '\0')
        return -1;
    int64_t n = 0;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || n > (INT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (*p - '0');
    }
    return n;
}

void *dd_http_req_app(const dd_http_req *r)
{
    return r->srv->opts.app;
}

void dd_http_req_set_state(dd_http_req *r, void *state)
{
    r->state = state;
}

void *dd_http_req_state(const dd_http_req *r)
{
    return r->state;
}

void dd_http_req_expect_body(dd_http_req *r, dd_http_body_fn body, dd_http_done_fn done,
                             dd_http_cleanup_fn cleanup)
{
    r->body = body;
    r->done = done;
    r->cleanup = cleanup;
}

int dd_http_req_responded(const dd_http_req *r)
{
    return r->resp != NULL;
}

static void set_resp(dd_http_req *r, unsigned status, struct MHD_Response *resp,
                     const char *content_type, uint64_t len)
{
    if (r->resp != NULL)
        MHD_destroy_response(r->resp);
    r->resp = resp;
    r->status = status;
    r->resp_len = len;
    if (content_type != NULL)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (atomic_load(&r->srv->closing))
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
}

int dd_http_respond_buf(dd_http_req *r, unsigned status, const char *content_type, const void *data,
                        size_t len)
{
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (resp == NULL)
        return DD_ENOMEM;
    set_resp(r, status, resp, content_type, len);
    return 0;
}

int dd_http_respond_fd(dd_http_req *r, unsigned status, const char *content_type, int fd,
                       uint64_t offset, uint64_t len)
{
    struct MHD_Response *resp = MHD_create_response_from_fd_at_offset64(len, fd, offset);
    if (resp == NULL) {
        close(fd);
        return DD_ENOMEM;
    }
    set_resp(r, status, resp, content_type, len);
    return 0;
}

/* A streaming body: the application's reader, called until it ends or the server closes. */
typedef struct stream_ctx {
    dd_http_server *srv;
    dd_http_req *req; /* valid while reads happen (the request outlives its response's reads) */
    dd_http_stream_fn read;
    dd_http_stream_free_fn free_fn;
    void *ctx;
} stream_ctx;

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    stream_ctx *s = cls;
    (void)pos;
    if (max == 0)
        return 0;
    for (;;) {
        if (atomic_load(&s->srv->closing))
            return MHD_CONTENT_READER_END_OF_STREAM;
        int64_t n = s->read(s->ctx, buf, max);
        if (n > 0) {
            if ((uint64_t)n > max) /* a reader bug: never let it claim more than it may write */
                return MHD_CONTENT_READER_END_WITH_ERROR;
            s->req->resp_len += (uint64_t)n;
            return (ssize_t)n;
        }
        if (n == DD_HTTP_STREAM_END)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (n != DD_HTTP_STREAM_AGAIN)
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
}

static void stream_free(void *cls)
{
    stream_ctx *s = cls;
    if (s->free_fn != NULL)
        s->free_fn(s->ctx);
    dd_free(s);
}

int dd_http_respond_stream(dd_http_req *r, unsigned status, const char *content_type,
                           dd_http_stream_fn read, void *ctx, dd_http_stream_free_fn free_fn)
{
    stream_ctx *s = dd_calloc(1, sizeof(*s));
    if (s == NULL) {
        if (free_fn != NULL)
            free_fn(ctx);
        return DD_ENOMEM;
    }
    s->srv = r->srv;
    s->req = r;
    s->read = read;
    s->free_fn = free_fn;
    s->ctx = ctx;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, s, stream_free);
    if (resp == NULL) {
        stream_free(s);
        return DD_ENOMEM;
    }
    set_resp(r, status, resp, content_type, 0);
    return 0;
}

int dd_http_req_server_closing(const dd_http_req *r)
{
    return atomic_load(&r->srv->closing);
}

void dd_http_resp_header(dd_http_req *r, const char *name, const char *value)
{
    if (r->resp != NULL)
        MHD_add_response_header(r->resp, name, value);
}

static enum MHD_Result queue(dd_http_req *r)
{
    if (r->resp == NULL) {
        static const char body[] = "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"internal "
                                   "error: no response\"}]}";
        if (dd_http_respond_buf(r, 500, "application/json", body, sizeof(body) - 1) != 0)
            return MHD_NO;
    }
    r->queued = 1;
    return MHD_queue_response(r->conn, r->status, r->resp);
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **con_cls)
{
    dd_http_server *srv = cls;
    dd_http_req *r = *con_cls;
    (void)version;

    if (r == NULL || !r->started) {
        if (r == NULL && (r = dd_calloc(1, sizeof(*r))) == NULL)
            return MHD_NO;
        *con_cls = r;
        r->started = 1;
        r->path = dd_strdup(url);
        if (r->path == NULL)
            return MHD_NO;
        r->srv = srv;
        r->conn = conn;
        r->method = method;
        r->started_ms = dd_clock_now_ms(dd_clock_system());
        atomic_fetch_add(&srv->active, 1);
        srv->opts.route(r, srv->opts.app);
        if (r->resp != NULL)
            return queue(r);
        if (r->done == NULL) /* a route must respond or expect a body */
            return queue(r);
        return MHD_YES;
    }
    if (r->queued)
        return MHD_YES;
    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        r->body_len += n;
        if (r->failed_body) {
            /* Drain a refused body so the client reads our error instead of a connection reset
             * (closing with unread input makes TCP send RST). Past a bound, close: libmicrohttpd
             * cannot queue a response in the middle of a body, so the client sees a reset. */
            r->drained += n;
            return r->drained > DRAIN_MAX ? MHD_NO : MHD_YES;
        }
        if (r->body(r, upload_data, n) != 0)
            r->failed_body = 1;
        return MHD_YES;
    }
    if (r->resp == NULL && r->done != NULL)
        r->done(r);
    return queue(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    dd_http_server *srv = cls;
    dd_http_req *r = *con_cls;
    (void)conn;
    if (r == NULL)
        return;
    if (!r->started || r->path == NULL) { /* never reached the application */
        dd_free(r->raw_target);
        dd_free(r->path);
        dd_free(r);
        *con_cls = NULL; /* `active` is only counted once the request fully started */
        return;
    }
    if (r->cleanup != NULL)
        r->cleanup(r);
    int64_t ms = dd_clock_now_ms(dd_clock_system()) - r->started_ms;
    char status[16], dur[32], in[32], out[32];
    snprintf(status, sizeof(status), "%u", r->resp ? r->status : 0);
    snprintf(dur, sizeof(dur), "%lld", (long long)ms);
    snprintf(in, sizeof(in), "%llu", (unsigned long long)r->body_len);
    snprintf(out, sizeof(out), "%llu", (unsigned long long)r->resp_len);
    dd_log(toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? DD_LOG_INFO : DD_LOG_WARN, "request",
           "method", r->method, "path", r->path, "status", status, "duration_ms", dur, "bytes_in",
           in, "bytes_out", out, "outcome",
           toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "ok" : "aborted", NULL);
    if (r->resp != NULL)
        MHD_destroy_response(r->resp);
    dd_free(r->path);
    dd_free(r->raw_target);
    dd_free(r);
    *con_cls = NULL;
    atomic_fetch_sub(&srv->active, 1);
}

/* Called with the raw request target before libmicrohttpd unescapes it; SigV4 signs the path as
 * sent. What it returns becomes the request's context, so the request is allocated here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    (void)cls;
    (void)conn;
    dd_http_req *r = dd_calloc(1, sizeof(*r));
    if (r != NULL)
        r->raw_target = dd_strdup(uri != NULL ? uri : "");
    return r;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    dd_log(DD_LOG_WARN, "http", "detail", msg, NULL);
}

int dd_http_server_start(dd_http_server **out, const dd_http_options *opts, dd_err *err)
{
    *out = NULL;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, opts->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(opts->port);
    } else if (inet_pton(AF_INET6, opts->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(opts->port);
        flags |= MHD_USE_IPv6;
    } else {
        return dd_err_set(err, DD_EINVALID, "listen address '%s' is not a numeric IP address",
                          opts->host);
    }
    dd_http_server *s = dd_calloc(1, sizeof(*s));
    if (s == NULL)
        return DD_ENOMEM;
    s->opts = *opts;
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_URI_LOG_CALLBACK, on_uri, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        opts->conn_memory_limit, MHD_OPTION_CONNECTION_TIMEOUT, opts->conn_timeout_s,
        MHD_OPTION_CONNECTION_LIMIT, opts->max_connections, MHD_OPTION_LISTEN_BACKLOG_SIZE,
        (unsigned)1024, MHD_OPTION_END);
    if (s->mhd == NULL) {
        int e = errno;
        dd_free(s);
        return dd_err_set(err, DD_EIO, "cannot listen on %s:%u: %s", opts->host,
                          (unsigned)opts->port, e ? strerror(e) : "libmicrohttpd refused");
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : opts->port;
    *out = s;
    return 0;
}

uint16_t dd_http_server_port(const dd_http_server *s)
{
    return s->port;
}

unsigned dd_http_server_active(const dd_http_server *s)
{
    return atomic_load(&((dd_http_server *)s)->active);
}

void dd_http_server_shutdown(dd_http_server *s, int64_t grace_ms)
{
    if (s == NULL)
        return;
    atomic_store(&s->closing, 1);
    /* MHD's threads may still use the listening socket until MHD_stop_daemon returns, so it is
     * only shut down here (new connections are refused) and closed after the stop. */
    MHD_socket lfd = MHD_quiesce_daemon(s->mhd);
    if (lfd != MHD_INVALID_SOCKET)
        shutdown(lfd, SHUT_RDWR);
    int64_t deadline = dd_clock_now_ms(dd_clock_system()) + grace_ms;
    while (atomic_load(&s->active) > 0 && dd_clock_now_ms(dd_clock_system()) < deadline) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    unsigned left = atomic_load(&s->active);
    if (left > 0) {
        char n[16];
        snprintf(n, sizeof(n), "%u", left);
        dd_log(DD_LOG_WARN, "shutdown_grace_expired", "requests_cut", n, NULL);
    }
    MHD_stop_daemon(s->mhd);
    if (lfd != MHD_INVALID_SOCKET)
        close(lfd);
    dd_free(s);
}
