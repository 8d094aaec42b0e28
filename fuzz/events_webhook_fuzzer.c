/* Fuzz target for the untrusted input of the events API (src/events/events.c): the webhook
 * definition body of POST /drydock/v1/webhooks (JSON, then URL, secret and detail-type checks) and
 * the cursor numbers (?after=, ?limit=, Last-Event-ID). Aborts when a documented post-condition
 * fails: results are 0 or DD_EINVALID, an accepted body yields a spec that passes
 * dd_events_check_spec with its strings inside the parsed document, and an accepted number is
 * within [0, max] and re-parses from its own decimal form. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_body(const char *s, size_t len)
{
    dd_err err = DD_ERR_INIT;
    json_t *root = NULL;
    dd_events_webhook_spec spec;
    int rc = dd_events_parse_webhook_body(s, len, &root, &spec, &err);
    if (rc != 0 && rc != DD_EINVALID)
        abort();
    if (rc != 0) {
        if (root != NULL || spec.url != NULL || err.msg[0] == '\0')
            abort();
        return;
    }
    if (root == NULL || spec.url == NULL || spec.n_detail_types > DD_EVENTS_DETAIL_TYPES_MAX)
        abort();
    if (dd_events_check_spec(&spec, &err) != 0)
        abort();
    if (strlen(spec.url) > DD_EVENTS_URL_MAX)
        abort();
    for (size_t i = 0; i < spec.n_detail_types; i++)
        if (strchr(spec.detail_types[i], ',') != NULL)
            abort();
    json_decref(root);
}

static void check_uint(const char *s, size_t len, int64_t max)
{
    int64_t v = -1;
    int rc = dd_events_parse_uint(s, len, max, &v);
    if (rc != 0 && rc != DD_EINVALID)
        abort();
    if (rc != 0)
        return;
    if (v < 0 || v > max)
        abort();
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%" PRId64, v);
    int64_t w = -1;
    if (dd_events_parse_uint(buf, (size_t)n, max, &w) != 0 || w != v)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exactly-sized copy, so a sanitizer sees any read past len */
    char *s = malloc(size ? size : 1);
    if (s == NULL)
        return 0;
    if (size > 0)
        memcpy(s, data, size);
    check_body(s, size);
    check_uint(s, size, INT64_MAX);
    check_uint(s, size, 1000);
    free(s);
    return 0;
}
