/* The HTTP server wrapper around libmicrohttpd: one thread per connection, streaming request bodies
 * handed to the application chunk by chunk, responses from memory or from a file descriptor
 * (sendfile), request logging, and a graceful shutdown that lets in-flight requests finish. */
#ifndef DD_HTTP_HTTP_H
#define DD_HTTP_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/err.h"

typedef struct dd_http_server dd_http_server;
typedef struct dd_http_req dd_http_req;

/* Called once per request when its headers have arrived. The route either responds at once (any
 * dd_http_respond_*) or installs body/done callbacks with dd_http_req_expect_body. */
typedef void (*dd_http_route_fn)(dd_http_req *req, void *app);
/* Receives the next chunk of the request body. Return 0 to go on; on failure respond (the rest of
 * the body is then discarded and the connection closed) and return non-zero. */
typedef int (*dd_http_body_fn)(dd_http_req *req, const char *data, size_t len);
/* Called once the whole body was received; must respond. */
typedef void (*dd_http_done_fn)(dd_http_req *req);
/* Called when the request ends, however it ended (client gone, error, success). */
typedef void (*dd_http_cleanup_fn)(dd_http_req *req);

typedef struct dd_http_options {
    const char *host;         /* numeric IPv4 or IPv6 address */
    uint16_t port;            /* 0: pick a free port (see dd_http_server_port) */
    size_t conn_memory_limit; /* bytes of buffer per connection (also the largest body chunk) */
    unsigned conn_timeout_s;  /* idle connection timeout */
    unsigned max_connections;
    dd_http_route_fn route;
    void *app;
} dd_http_options;

#define DD_HTTP_OPTIONS_INIT                                                                       \
    {                                                                                              \
        "127.0.0.1", 5000, 256 * 1024, 300, 1000, NULL, NULL                                       \
    }

DD_WARN_UNUSED int dd_http_server_start(dd_http_server **out, const dd_http_options *opts,
                                        dd_err *err);
uint16_t dd_http_server_port(const dd_http_server *s);
/* Stops accepting connections, waits up to grace_ms for requests in flight to finish (new
 * responses carry "Connection: close"), then stops the server and frees it. */
void dd_http_server_shutdown(dd_http_server *s, int64_t grace_ms);
/* Number of requests being processed right now. */
unsigned dd_http_server_active(const dd_http_server *s);

/* Request accessors. Strings are borrowed, valid until the request ends. */
const char *dd_http_req_method(const dd_http_req *r);
const char *dd_http_req_path(const dd_http_req *r); /* decoded path, without the query */
const char *dd_http_req_header(const dd_http_req *r, const char *name); /* NULL if absent */
/* The request target (path and query) exactly as received, still percent-encoded. */
const char *dd_http_req_raw_target(const dd_http_req *r);
/* Calls fn for every request header in the order received (repeated headers appear repeatedly);
 * fn returns non-zero to stop. */
typedef int (*dd_http_header_fn)(void *ctx, const char *name, const char *value);
void dd_http_req_headers_each(const dd_http_req *r, dd_http_header_fn fn, void *ctx);
const char *dd_http_req_query(const dd_http_req *r, const char *name); /* NULL if absent */
/* Content-Length as sent, or -1 if absent (chunked). */
int64_t dd_http_req_content_length(const dd_http_req *r);
void *dd_http_req_app(const dd_http_req *r);
void dd_http_req_set_state(dd_http_req *r, void *state);
void *dd_http_req_state(const dd_http_req *r);
void dd_http_req_expect_body(dd_http_req *r, dd_http_body_fn body, dd_http_done_fn done,
                             dd_http_cleanup_fn cleanup);
int dd_http_req_responded(const dd_http_req *r);

/* Responses: exactly one per request. Headers added with dd_http_resp_header apply to it. */
DD_WARN_UNUSED int dd_http_respond_buf(dd_http_req *r, unsigned status, const char *content_type,
                                       const void *data, size_t len);
/* Serves len bytes of fd from offset (sendfile); takes ownership of fd. */
DD_WARN_UNUSED int dd_http_respond_fd(dd_http_req *r, unsigned status, const char *content_type,
                                      int fd, uint64_t offset, uint64_t len);
/* Streaming responses (chunked, length unknown; built on MHD_create_response_from_callback).
 * The read function fills buf[0..max) and returns the number of bytes written (> 0),
 * DD_HTTP_STREAM_AGAIN when nothing is ready yet, DD_HTTP_STREAM_END to end the body normally or
 * DD_HTTP_STREAM_ERROR to abort the connection. It runs on the connection's thread and may block,
 * but only briefly (about a second at most) before returning DD_HTTP_STREAM_AGAIN: between calls
 * the wrapper checks whether the server is shutting down and then ends the body. */
#define DD_HTTP_STREAM_AGAIN 0
#define DD_HTTP_STREAM_END (-1)
#define DD_HTTP_STREAM_ERROR (-2)
typedef int64_t (*dd_http_stream_fn)(void *ctx, char *buf, size_t max);
/* Releases ctx once the response is gone (after the last read). */
typedef void (*dd_http_stream_free_fn)(void *ctx);
/* Responds with a body produced by read. ctx is handed over: free_fn (may be NULL) is called on
 * it when the response is released, or at once when this fails. */
DD_WARN_UNUSED int dd_http_respond_stream(dd_http_req *r, unsigned status, const char *content_type,
                                          dd_http_stream_fn read, void *ctx,
                                          dd_http_stream_free_fn free_fn);
/* Whether the server r belongs to is shutting down. */
int dd_http_req_server_closing(const dd_http_req *r);
/* Adds a response header; call after dd_http_respond_*. */
void dd_http_resp_header(dd_http_req *r, const char *name, const char *value);

#endif
