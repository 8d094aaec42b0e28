/* Harness shared by the events tests (compiled into each tests/events executable): a scratch
 * metadata database, a settable clock, a webhook receiver (the project's own HTTP server) that
 * records what it is sent and answers with scripted statuses, and small HTTP clients. */
#ifndef DD_TESTS_EVENTS_COMMON_H
#define DD_TESTS_EVENTS_COMMON_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "events/events.h"
#include "http/http.h"
#include "sql/sql.h"
#include "util/clock.h"

#define RX_MAX 256

typedef struct etest_clock {
    dd_clock clock;
    _Atomic int64_t now_ms;
} etest_clock;

void etest_clock_init(etest_clock *c, int64_t now_ms);

/* One request the receiver got. */
typedef struct etest_rx_item {
    char method[16], path[256], content_type[128], event_id[64], delivery[128], timestamp[32],
        signature[128];
    char *body; /* NUL-terminated */
    size_t body_len;
} etest_rx_item;

typedef struct etest_receiver {
    dd_http_server *srv;
    uint16_t port;
    char url[128]; /* http://127.0.0.1:PORT/hook */
    pthread_mutex_t mu;
    etest_rx_item items[RX_MAX];
    size_t n;
    /* statuses[i] answers request i; past the script, default_status */
    unsigned statuses[RX_MAX];
    size_t n_statuses;
    unsigned default_status;
    atomic_int hang_ms; /* sleep this long before answering */
} etest_receiver;

void etest_receiver_start(etest_receiver *rx);
void etest_receiver_stop(etest_receiver *rx);
size_t etest_receiver_count(etest_receiver *rx);
/* Waits (real time) until the receiver has at least n requests; returns the count. */
size_t etest_receiver_wait(etest_receiver *rx, size_t n, int timeout_ms);

/* A scratch data directory with metadata.sqlite, and the events module on it. */
typedef struct etest_env {
    char dir[256];
    char db_path[300];
    dd_sql *sql;
    dd_events *ev;
    etest_clock clk;
    dd_events_options opts;
} etest_env;

/* Creates the directory and opens sql + events with opts (NULL: defaults with short timeouts). */
void etest_env_open(etest_env *e, const dd_events_options *opts);
/* Closes events and sql (keeps the files) / reopens them. */
void etest_env_close_handles(etest_env *e);
void etest_env_reopen(etest_env *e);
/* Closes everything and removes the directory. */
void etest_env_destroy(etest_env *e);

/* Appends one event in its own transaction and commits; resources: NULL-terminated list. */
void etest_append(etest_env *e, const char *source, const char *type, const char *const *resources,
                  const char *detail_json);
/* Number of rows of a one-integer SQL query. */
int64_t etest_query_int(etest_env *e, const char *sql);

/* HMAC-SHA256(secret, msg) as lowercase hex (out: 65 bytes). */
void etest_hmac_hex(char *out, const char *secret, const char *msg, size_t len);

/* A JSON request with libcurl: status returned, response body in *body (free()). */
long etest_http(uint16_t port, const char *method, const char *target, const char *headers[],
                const char *body, char **resp_body);

#endif
