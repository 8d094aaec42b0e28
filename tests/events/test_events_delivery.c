/* Tests for webhook delivery (src/events/delivery.c) against a real local receiver: headers and
 * HMAC signature, back-off on failures with the injected clock, dead letters and replay, order per
 * webhook, delivery after a restart, the delivery thread (kick, prompt stop). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "util/log.h"

typedef struct fx {
    etest_env env;
    etest_receiver rx, rx2;
} fx;

static int setup_with(void **state, const dd_events_options *opts)
{
    fx *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    dd_log_configure(DD_LOG_OFF, DD_LOG_FORMAT_TEXT, NULL);
    etest_receiver_start(&f->rx);
    etest_receiver_start(&f->rx2);
    etest_env_open(&f->env, opts);
    *state = f;
    return 0;
}

static int setup(void **state)
{
    dd_events_options o = DD_EVENTS_OPTIONS_INIT;
    o.account = "123456789012";
    o.region = "eu-west-1";
    o.retry_base_ms = 1000;
    o.retry_max_ms = 300000;
    o.max_attempts = 10;
    o.timeout_ms = 3000;
    return setup_with(state, &o);
}

static int setup_three_attempts(void **state)
{
    dd_events_options o = DD_EVENTS_OPTIONS_INIT;
    o.retry_base_ms = 1000;
    o.retry_max_ms = 3000;
    o.max_attempts = 3;
    o.timeout_ms = 3000;
    return setup_with(state, &o);
}

static int teardown(void **state)
{
    fx *f = *state;
    etest_env_destroy(&f->env);
    etest_receiver_stop(&f->rx);
    etest_receiver_stop(&f->rx2);
    free(f);
    return 0;
}

static char *add_hook(fx *f, const char *url, const char *secret, const char *type)
{
    dd_err err = DD_ERR_INIT;
    json_t *out = NULL;
    const char *types[] = {type};
    if (dd_events_webhook_add(f->env.ev, url, secret, types, type != NULL ? 1 : 0, &out, &err) != 0)
        fail_msg("webhook add: %s", err.msg);
    char *id = strdup(json_string_value(json_object_get(out, "id")));
    json_decref(out);
    return id;
}

static size_t deliver(fx *f)
{
    dd_err err = DD_ERR_INIT;
    size_t n = 0;
    if (dd_events_deliver_due(f->env.ev, &n, &err) != 0)
        fail_msg("deliver: %s", err.msg);
    return n;
}

static int64_t row_int(fx *f, const char *col, const char *wid, int64_t seq)
{
    char q[256];
    snprintf(q, sizeof(q), "SELECT %s FROM deliveries WHERE webhook_id = '%s' AND seq = %lld", col,
             wid, (long long)seq);
    return etest_query_int(&f->env, q);
}

static int64_t state_is(fx *f, const char *wid, int64_t seq, const char *state)
{
    char q[256];
    snprintf(q, sizeof(q),
             "SELECT COUNT(*) FROM deliveries WHERE webhook_id = '%s' AND seq = %lld AND state ="
             " '%s'",
             wid, (long long)seq, state);
    return etest_query_int(&f->env, q);
}

static void advance(fx *f, int64_t ms)
{
    atomic_fetch_add(&f->env.clk.now_ms, ms);
}

static void test_delivery_headers_and_signature(void **state)
{
    fx *f = *state;
    char *wid = add_hook(f, f->rx.url, "s3cret-key", NULL);
    static const char *const res[] = {"arn:aws:ecr:eu-west-1:123456789012:repository/app", NULL};
    etest_append(&f->env, "aws.inspector2", "Inspector2 Scan", res,
                 "{\"scan-status\":\"INITIAL_SCAN_COMPLETE\"}");
    assert_int_equal(deliver(f), 1);
    assert_int_equal(etest_receiver_count(&f->rx), 1);
    etest_rx_item *it = &f->rx.items[0];
    assert_string_equal(it->method, "POST");
    assert_string_equal(it->path, "/hook");
    assert_string_equal(it->content_type, "application/json");

    /* the body is the stored envelope, byte for byte */
    dd_sql_conn *c = dd_sql_acquire(f->env.sql);
    sqlite3_stmt *st = NULL;
    assert_int_equal(
        sqlite3_prepare_v2(dd_sql_handle(c), "SELECT id, body FROM outbox", -1, &st, NULL),
        SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char *event_id = strdup((const char *)sqlite3_column_text(st, 0));
    char *body = strdup((const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
    dd_sql_release(f->env.sql, c);
    assert_string_equal(it->body, body);
    assert_string_equal(it->event_id, event_id);
    json_t *env = json_loads(it->body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(env, "id")), event_id);
    assert_string_equal(json_string_value(json_object_get(env, "region")), "eu-west-1");
    json_decref(env);

    char want[160];
    snprintf(want, sizeof(want), "%s-1", wid);
    assert_string_equal(it->delivery, want);
    assert_string_equal(it->timestamp, "1741083330"); /* the injected clock, in seconds */

    /* X-Drydock-Signature: sha256=hex(HMAC-SHA256(secret, timestamp "." body)) */
    size_t n = strlen(it->timestamp) + 1 + it->body_len;
    char *msg = malloc(n + 1);
    snprintf(msg, n + 1, "%s.%s", it->timestamp, it->body);
    char hex[65];
    etest_hmac_hex(hex, "s3cret-key", msg, n);
    snprintf(want, sizeof(want), "sha256=%s", hex);
    assert_string_equal(it->signature, want);
    etest_hmac_hex(hex, "other-key", msg, n); /* a different secret does not verify */
    snprintf(want, sizeof(want), "sha256=%s", hex);
    assert_string_not_equal(it->signature, want);
    free(msg);

    assert_int_equal(state_is(f, wid, 1, "delivered"), 1);
    assert_int_equal(row_int(f, "attempts", wid, 1), 1);
    assert_int_equal(row_int(f, "last_status", wid, 1), 200);
    assert_int_equal(row_int(f, "delivered_at", wid, 1), 1741083330000LL);
    /* nothing left */
    assert_int_equal(deliver(f), 0);
    assert_int_equal(etest_receiver_count(&f->rx), 1);
    free(event_id);
    free(body);
    free(wid);
}

static void test_retry_backoff_then_success(void **state)
{
    fx *f = *state;
    f->rx.statuses[0] = 500;
    f->rx.statuses[1] = 404;
    f->rx.statuses[2] = 204;
    f->rx.n_statuses = 3;
    char *wid = add_hook(f, f->rx.url, "k", NULL);
    etest_append(&f->env, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    int64_t t0 = atomic_load(&f->env.clk.now_ms);

    assert_int_equal(deliver(f), 1);
    assert_int_equal(state_is(f, wid, 1, "pending"), 1);
    assert_int_equal(row_int(f, "attempts", wid, 1), 1);
    assert_int_equal(row_int(f, "last_status", wid, 1), 500);
    int64_t next = row_int(f, "next_attempt_at", wid, 1);
    assert_true(next >= t0 + 900 && next <= t0 + 1000); /* base, with at most 10% jitter */
    assert_int_equal(etest_query_int(&f->env, "SELECT COUNT(*) FROM deliveries WHERE last_error"
                                              " LIKE '%500%'"),
                     1);

    /* not due yet: nothing sent */
    advance(f, next - t0 - 1);
    assert_int_equal(deliver(f), 0);
    assert_int_equal(etest_receiver_count(&f->rx), 1);
    advance(f, 1);
    int64_t t1 = atomic_load(&f->env.clk.now_ms);
    assert_int_equal(deliver(f), 1);
    assert_int_equal(row_int(f, "attempts", wid, 1), 2);
    assert_int_equal(row_int(f, "last_status", wid, 1), 404);
    next = row_int(f, "next_attempt_at", wid, 1);
    assert_true(next >= t1 + 1800 && next <= t1 + 2000); /* doubled */

    advance(f, next - t1);
    assert_int_equal(deliver(f), 1);
    assert_int_equal(state_is(f, wid, 1, "delivered"), 1);
    assert_int_equal(row_int(f, "attempts", wid, 1), 3);
    assert_int_equal(row_int(f, "last_status", wid, 1), 204);
    assert_int_equal(etest_receiver_count(&f->rx), 3);
    /* the same event and delivery id on every attempt, so receivers can de-duplicate */
    for (int i = 1; i < 3; i++) {
        assert_string_equal(f->rx.items[i].event_id, f->rx.items[0].event_id);
        assert_string_equal(f->rx.items[i].delivery, f->rx.items[0].delivery);
        assert_string_equal(f->rx.items[i].body, f->rx.items[0].body);
    }
    free(wid);
}

static void test_backoff_cap(void **state)
{
    fx *f = *state; /* retry_base 1 s, cap 3 s, 3 attempts */
    f->rx.default_status = 500;
    char *wid = add_hook(f, f->rx.url, "k", NULL);
    etest_append(&f->env, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    static const int64_t want[] = {1000, 2000};
    for (int i = 0; i < 2; i++) {
        int64_t now = atomic_load(&f->env.clk.now_ms);
        assert_int_equal(deliver(f), 1);
        int64_t d = row_int(f, "next_attempt_at", wid, 1) - now;
        if (d < want[i] * 9 / 10 || d > want[i])
            fail_msg("attempt %d: delay %lld, want about %lld", i + 1, (long long)d,
                     (long long)want[i]);
        advance(f, d);
    }
    free(wid);
    /* a longer series with the 5-minute default cap */
    etest_env_close_handles(&f->env);
    f->env.opts.max_attempts = 20;
    f->env.opts.retry_max_ms = 10000;
    etest_env_reopen(&f->env);
    static const int64_t want2[] = {1000, 2000, 4000, 8000, 10000, 10000, 10000};
    /* the old delivery was attempted twice; give it a fresh webhook instead */
    wid = add_hook(f, f->rx2.url, "k", NULL);
    f->rx2.default_status = 503;
    etest_append(&f->env, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    for (int i = 0; i < 7; i++) {
        int64_t now = atomic_load(&f->env.clk.now_ms);
        deliver(f);
        int64_t d = row_int(f, "next_attempt_at", wid, 2) - now;
        if (d < want2[i] * 9 / 10 || d > want2[i])
            fail_msg("attempt %d: delay %lld, want about %lld", i + 1, (long long)d,
                     (long long)want2[i]);
        advance(f, 10000);
    }
    free(wid);
}

static void test_dead_letter_and_replay(void **state)
{
    fx *f = *state; /* 3 attempts */
    dd_err err = DD_ERR_INIT;
    f->rx.default_status = 503;
    char *wid = add_hook(f, f->rx.url, "k", NULL);
    etest_append(&f->env, "aws.inspector2", "Inspector2 Finding", NULL, "{\"n\":1}");
    etest_append(&f->env, "aws.inspector2", "Inspector2 Finding", NULL, "{\"n\":2}");
    size_t total = 0;
    for (int i = 0; i < 10 && state_is(f, wid, 2, "dead") == 0; i++) {
        total += deliver(f);
        advance(f, 3000);
    }
    assert_int_equal(total, 6); /* three attempts each */
    assert_int_equal(state_is(f, wid, 1, "dead"), 1);
    assert_int_equal(state_is(f, wid, 2, "dead"), 1);
    assert_int_equal(etest_receiver_count(&f->rx), 6);
    assert_int_equal(deliver(f), 0); /* the dead are left alone */

    json_t *dl = NULL;
    assert_int_equal(dd_events_dead_letters(f->env.ev, wid, &dl, &err), 0);
    assert_int_equal(json_array_size(dl), 2);
    json_t *d0 = json_array_get(dl, 0);
    assert_int_equal(json_integer_value(json_object_get(d0, "seq")), 1);
    assert_int_equal(json_integer_value(json_object_get(d0, "attempts")), 3);
    assert_int_equal(json_integer_value(json_object_get(d0, "lastStatus")), 503);
    assert_non_null(strstr(json_string_value(json_object_get(d0, "lastError")), "503"));
    json_t *ev = json_object_get(d0, "event");
    assert_string_equal(json_string_value(json_object_get(ev, "detail-type")),
                        "Inspector2 Finding");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "detail"), "n")), 1);
    assert_string_equal(json_string_value(json_object_get(ev, "id")), f->rx.items[0].event_id);
    json_decref(dl);

    /* replay one */
    f->rx.default_status = 200;
    size_t n = 0;
    assert_int_equal(dd_events_replay(f->env.ev, wid, 2, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(state_is(f, wid, 2, "pending"), 1);
    assert_int_equal(row_int(f, "attempts", wid, 2), 0);
    assert_int_equal(dd_events_dead_letters(f->env.ev, wid, &dl, &err), 0);
    assert_int_equal(json_array_size(dl), 1);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(dl, 0), "seq")), 1);
    json_decref(dl);
    assert_int_equal(deliver(f), 1);
    assert_int_equal(state_is(f, wid, 2, "delivered"), 1);
    assert_int_equal(dd_events_replay(f->env.ev, wid, 2, &n, &err), DD_ENOTFOUND);
    assert_int_equal(dd_events_replay(f->env.ev, wid, 77, &n, &err), DD_ENOTFOUND);

    /* replay all */
    assert_int_equal(dd_events_replay(f->env.ev, wid, -1, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(deliver(f), 1);
    assert_int_equal(state_is(f, wid, 1, "delivered"), 1);
    assert_int_equal(dd_events_dead_letters(f->env.ev, wid, &dl, &err), 0);
    assert_int_equal(json_array_size(dl), 0);
    json_decref(dl);
    json_t *list = NULL;
    assert_int_equal(dd_events_webhook_list(f->env.ev, &list, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "delivered")), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(list, 0), "dead")), 0);
    json_decref(list);
    free(wid);
}

/* The seq of a received request, from its X-Drydock-Delivery "<webhook>-<seq>". */
static int64_t rx_seq(const etest_rx_item *it)
{
    const char *dash = strrchr(it->delivery, '-');
    return dash != NULL ? strtoll(dash + 1, NULL, 10) : -1;
}

static void test_order_per_webhook(void **state)
{
    fx *f = *state;
    f->rx.statuses[0] = 500; /* webhook A fails its first attempt */
    f->rx.n_statuses = 1;
    char *wa = add_hook(f, f->rx.url, "a", NULL);
    char *wb = add_hook(f, f->rx2.url, "b", NULL);
    static const char *const r1[] = {"repo/one", NULL}, *const r2[] = {"repo/two", NULL};
    etest_append(&f->env, "aws.inspector2", "Inspector2 Finding", r1, "{\"n\":1}");
    etest_append(&f->env, "aws.inspector2", "Inspector2 Finding", r1, "{\"n\":2}");
    etest_append(&f->env, "aws.inspector2", "Inspector2 Finding", r2, "{\"n\":3}");

    assert_int_equal(deliver(f), 1 + 3);
    /* A: seq 1 failed, so 2 and 3 wait behind it; B got everything, in order */
    assert_int_equal(etest_receiver_count(&f->rx), 1);
    assert_int_equal(rx_seq(&f->rx.items[0]), 1);
    assert_int_equal(etest_receiver_count(&f->rx2), 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(rx_seq(&f->rx2.items[i]), i + 1);
    assert_int_equal(state_is(f, wa, 2, "pending"), 1);
    assert_int_equal(row_int(f, "attempts", wa, 2), 0);

    /* even when its retry time is reached, seq 2 is not sent before seq 1 */
    assert_int_equal(deliver(f), 0);
    advance(f, 1000);
    assert_int_equal(deliver(f), 3);
    assert_int_equal(etest_receiver_count(&f->rx), 4);
    for (int i = 1; i < 4; i++)
        assert_int_equal(rx_seq(&f->rx.items[i]), i);
    assert_int_equal(etest_query_int(&f->env, "SELECT COUNT(*) FROM deliveries WHERE state ="
                                              " 'delivered'"),
                     6);
    (void)wb;
    free(wa);
    free(wb);
}

static void test_restart_delivers_pending(void **state)
{
    fx *f = *state;
    dd_err err = DD_ERR_INIT;
    char *wid = add_hook(f, f->rx.url, "k", NULL);
    etest_append(&f->env, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    etest_append(&f->env, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    /* "crash" after the commit: nothing was delivered */
    etest_env_close_handles(&f->env);
    assert_int_equal(etest_receiver_count(&f->rx), 0);
    etest_env_reopen(&f->env);
    assert_int_equal(deliver(f), 2);
    assert_int_equal(etest_receiver_count(&f->rx), 2);

    /* the same with the delivery thread of a restarted server */
    etest_append(&f->env, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    etest_env_close_handles(&f->env);
    etest_env_reopen(&f->env);
    assert_int_equal(dd_events_start(f->env.ev, &err), 0);
    assert_int_equal(etest_receiver_wait(&f->rx, 3, 5000), 3);
    assert_int_equal(rx_seq(&f->rx.items[2]), 3);
    dd_events_stop(f->env.ev);
    assert_int_equal(state_is(f, wid, 3, "delivered"), 1);
    free(wid);
}

static void test_thread_kick_and_prompt_stop(void **state)
{
    fx *f = *state;
    dd_err err = DD_ERR_INIT;
    char *wid = add_hook(f, f->rx.url, "k", NULL);
    assert_int_equal(dd_events_start(f->env.ev, &err), 0);
    assert_int_equal(dd_events_start(f->env.ev, &err), 0); /* already running: no-op */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    etest_append(&f->env, "aws.ecr", "ECR Scan Resource Change", NULL, NULL); /* kicks */
    assert_int_equal(etest_receiver_wait(&f->rx, 1, 3000), 1);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* well before the thread's idle poll: the kick woke it */
    assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2500);

    /* a receiver that hangs longer than the stop may take */
    atomic_store(&f->rx.hang_ms, 2500);
    etest_append(&f->env, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    struct timespec pause = {0, 300 * 1000 * 1000};
    nanosleep(&pause, NULL);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    dd_events_stop(f->env.ev);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    int64_t ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    if (ms > 1600)
        fail_msg("stop took %lld ms", (long long)ms);
    /* the cut attempt is not counted: the delivery is still pending and will be sent */
    assert_int_equal(state_is(f, wid, 2, "pending"), 1);
    assert_int_equal(row_int(f, "attempts", wid, 2), 0);
    atomic_store(&f->rx.hang_ms, 0);
    etest_receiver_wait(&f->rx, 2, 4000); /* let the hung request finish */
    assert_int_equal(dd_events_start(f->env.ev, &err), 0);
    assert_int_equal(etest_receiver_wait(&f->rx, 3, 5000), 3);
    dd_events_stop(f->env.ev);
    assert_int_equal(state_is(f, wid, 2, "delivered"), 1);
    free(wid);
}

static void test_unreachable_and_filter(void **state)
{
    fx *f = *state;
    /* a port nobody listens on */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/", (unsigned)ntohs(sa.sin_port));
    char *dead = add_hook(f, url, "k", NULL);
    char *only = add_hook(f, f->rx.url, "k", "Inspector2 Scan");
    etest_append(&f->env, "aws.inspector2", "Inspector2 Finding", NULL, NULL);
    etest_append(&f->env, "aws.inspector2", "Inspector2 Scan", NULL, NULL);
    assert_int_equal(deliver(f), 2); /* one failed connect, one scan event */
    assert_int_equal(row_int(f, "attempts", dead, 1), 1);
    assert_int_equal(row_int(f, "last_status", dead, 1), 0);
    assert_int_equal(state_is(f, dead, 1, "pending"), 1);
    assert_int_equal(etest_query_int(&f->env, "SELECT COUNT(*) FROM deliveries WHERE last_error"
                                              " LIKE '%onnect%'"),
                     1);
    assert_int_equal(etest_receiver_count(&f->rx), 1);
    assert_int_equal(rx_seq(&f->rx.items[0]), 2);
    json_t *env = json_loads(f->rx.items[0].body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(env, "detail-type")), "Inspector2 Scan");
    json_decref(env);
    free(dead);
    free(only);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delivery_headers_and_signature, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retry_backoff_then_success, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backoff_cap, setup_three_attempts, teardown),
        cmocka_unit_test_setup_teardown(test_dead_letter_and_replay, setup_three_attempts,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_order_per_webhook, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart_delivers_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_thread_kick_and_prompt_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_and_filter, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
