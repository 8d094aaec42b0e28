/* Private to src/events/: the dd_events structure shared by the outbox (events.c), the delivery
 * thread (delivery.c) and the HTTP API (route.c), and the parsers of untrusted input (fuzzed). */
#ifndef DD_EVENTS_INTERNAL_H
#define DD_EVENTS_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "events/events.h"

/* Limits on webhook definitions (request bodies and the CLI). */
#define DD_EVENTS_URL_MAX 2048
#define DD_EVENTS_SECRET_MAX 256
#define DD_EVENTS_DETAIL_TYPE_MAX 128
#define DD_EVENTS_DETAIL_TYPES_MAX 64
/* Largest request body of the webhook API. */
#define DD_EVENTS_BODY_MAX (64u * 1024u)
/* Page size of the log API: default and cap. */
#define DD_EVENTS_PAGE_DEFAULT 100
#define DD_EVENTS_PAGE_MAX 1000

struct dd_events {
    dd_sql *sql;
    const dd_clock *clock;
    dd_events_options opts; /* account and region point at the copies below */
    char *account;
    char *region;

    pthread_mutex_t mu;
    pthread_cond_t cv;   /* CLOCK_MONOTONIC; signalled by kick and stop */
    uint64_t generation; /* bumped by every kick */
    bool stopping;       /* delivery and SSE streams end */
    bool running;        /* the delivery thread exists */
    unsigned n_streams;  /* SSE streams alive (they hold ev) */
    pthread_t thread;

    pthread_mutex_t deliver_mu; /* one delivery pass at a time; guards curl */
    void *curl;                 /* CURL *, created on first use */
    bool curl_global;           /* curl_global_init succeeded */
};

/* A webhook definition as accepted from a request body or the CLI. Strings borrowed from the
 * parsed input. */
typedef struct dd_events_webhook_spec {
    const char *url;
    const char *secret; /* NULL: generate one */
    const char *detail_types[DD_EVENTS_DETAIL_TYPES_MAX];
    size_t n_detail_types;
} dd_events_webhook_spec;

/* Parses the JSON body of POST /drydock/v1/webhooks ({"url", "secret"?, "detailTypes"?}). On
 * success *root holds the parsed document the spec borrows from (json_decref it). DD_EINVALID
 * with a message otherwise. */
DD_WARN_UNUSED int dd_events_parse_webhook_body(const char *buf, size_t len, json_t **root,
                                                dd_events_webhook_spec *spec, dd_err *err);
/* Validates the parts of a webhook definition: URL (http or https with a host), secret, detail
 * types (1..128 printable characters without commas). */
DD_WARN_UNUSED int dd_events_check_spec(const dd_events_webhook_spec *spec, dd_err *err);
/* Parses a non-negative decimal integer of s[0..len) no larger than max (no sign, no spaces, at
 * most 19 digits). DD_EINVALID otherwise. */
DD_WARN_UNUSED int dd_events_parse_uint(const char *s, size_t len, int64_t max, int64_t *out);

/* delivery.c: libcurl's global state (from dd_events_open) and the delivery handle (released by
 * dd_events_close). */
DD_WARN_UNUSED int dd_events_delivery_init(dd_events *ev, dd_err *err);
void dd_events_delivery_fini(dd_events *ev);

/* Formats ms since the epoch as YYYY-MM-DDTHH:MM:SSZ (out: at least 21 bytes). */
void dd_events_format_time(char *out, size_t out_len, int64_t ms);

#endif
