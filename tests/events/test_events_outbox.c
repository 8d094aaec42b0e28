/* Tests for src/events/ without the network: the EventBridge envelope, appends inside the caller's
 * transaction (refused outside one, dropped on rollback), the fan-out to subscribed webhooks, the
 * cursor-paged log, the webhook store and the parsers of untrusted input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "events/internal.h"
#include "util/log.h"

static int setup(void **state)
{
    etest_env *e = calloc(1, sizeof(*e));
    if (e == NULL)
        return -1;
    dd_log_configure(DD_LOG_OFF, DD_LOG_FORMAT_TEXT, NULL);
    etest_env_open(e, NULL);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    etest_env *e = *state;
    etest_env_destroy(e);
    free(e);
    return 0;
}

/* The events of the log after `after` (json_decref). */
static json_t *list(etest_env *e, int64_t after, size_t limit, const char *type)
{
    dd_err err = DD_ERR_INIT;
    json_t *out = NULL;
    if (dd_events_list(e->ev, after, limit, type, &out, &err) != 0)
        fail_msg("list: %s", err.msg);
    return out;
}

static bool is_uuid_v4(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return false;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s[i] != '-')
                return false;
        } else if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i])) {
            return false;
        }
    }
    return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

static void test_envelope_shape(void **state)
{
    etest_env *e = *state;
    static const char *const res[] = {"arn:aws:ecr:us-east-1:123456789012:repository/prod/api",
                                      "second", NULL};
    const char *detail =
        "{\"scan-status\":\"INITIAL_SCAN_COMPLETE\",\"finding-severity-counts\":"
        "{\"CRITICAL\":0,\"HIGH\":1,\"MEDIUM\":3,\"TOTAL\":9},\"version\":\"1.0\"}";
    etest_append(e, "aws.inspector2", "Inspector2 Scan", res, detail);
    atomic_store(&e->clk.now_ms, 1741083667999LL); /* 10:21:07.999: seconds truncated */
    etest_append(e, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);

    json_t *out = list(e, 0, 10, NULL);
    json_t *events = json_object_get(out, "events");
    assert_int_equal(json_array_size(events), 2);
    assert_int_equal(json_integer_value(json_object_get(out, "next")), 2);

    json_t *ev1 = json_object_get(json_array_get(events, 0), "event");
    assert_int_equal(json_integer_value(json_object_get(json_array_get(events, 0), "seq")), 1);
    /* exactly the spec's members, in the spec's order */
    static const char *const keys[] = {"version", "id",     "detail-type", "source", "account",
                                       "time",    "region", "resources",   "detail"};
    assert_int_equal(json_object_size(ev1), 9);
    void *it = json_object_iter(ev1);
    for (size_t i = 0; i < 9; i++, it = json_object_iter_next(ev1, it)) {
        assert_non_null(it);
        assert_string_equal(json_object_iter_key(it), keys[i]);
    }
    assert_string_equal(json_string_value(json_object_get(ev1, "version")), "0");
    assert_true(is_uuid_v4(json_string_value(json_object_get(ev1, "id"))));
    assert_string_equal(json_string_value(json_object_get(ev1, "detail-type")), "Inspector2 Scan");
    assert_string_equal(json_string_value(json_object_get(ev1, "source")), "aws.inspector2");
    assert_string_equal(json_string_value(json_object_get(ev1, "account")), "123456789012");
    assert_string_equal(json_string_value(json_object_get(ev1, "time")), "2025-03-04T10:15:30Z");
    assert_string_equal(json_string_value(json_object_get(ev1, "region")), "us-east-1");
    json_t *r = json_object_get(ev1, "resources");
    assert_int_equal(json_array_size(r), 2);
    assert_string_equal(json_string_value(json_array_get(r, 0)), res[0]);
    assert_string_equal(json_string_value(json_array_get(r, 1)), res[1]);
    json_t *want = json_loads(detail, 0, NULL);
    assert_true(json_equal(json_object_get(ev1, "detail"), want));
    json_decref(want);

    json_t *ev2 = json_object_get(json_array_get(events, 1), "event");
    assert_string_equal(json_string_value(json_object_get(ev2, "time")), "2025-03-04T10:21:07Z");
    assert_string_equal(json_string_value(json_object_get(ev2, "source")), "aws.ecr");
    assert_true(json_is_array(json_object_get(ev2, "resources")));
    assert_int_equal(json_array_size(json_object_get(ev2, "resources")), 0);
    assert_true(json_is_object(json_object_get(ev2, "detail")));
    assert_int_equal(json_object_size(json_object_get(ev2, "detail")), 0);
    assert_true(is_uuid_v4(json_string_value(json_object_get(ev2, "id"))));
    assert_string_not_equal(json_string_value(json_object_get(ev1, "id")),
                            json_string_value(json_object_get(ev2, "id")));
    json_decref(out);

    /* the stored row: first resource kept for ordering, body compact JSON */
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM outbox WHERE seq = 1 AND resource ="
                                        " 'arn:aws:ecr:us-east-1:123456789012:repository/prod/api'"
                                        " AND body LIKE '{\"version\":\"0\",\"id\":\"%'"),
                     1);
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM outbox WHERE seq = 2 AND resource IS"
                                        " NULL AND created_at = 1741083667999"),
                     1);
}

static void test_append_outside_transaction(void **state)
{
    etest_env *e = *state;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *c = dd_sql_acquire(e->sql);
    int rc = dd_events_append(e->ev, c, "aws.ecr", "ECR Scan Resource Change", NULL, NULL, &err);
    dd_sql_release(e->sql, c);
    assert_int_equal(rc, DD_EINVALID);
    assert_non_null(strstr(err.msg, "transaction"));
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM outbox"), 0);
}

static void test_append_invalid(void **state)
{
    etest_env *e = *state;
    dd_err err = DD_ERR_INIT;
    json_t *not_array = json_object(), *bad_item = json_pack("[s, i]", "ok", 3);
    json_t *not_object = json_array();
    dd_sql_conn *c = dd_sql_acquire(e->sql);
    assert_int_equal(dd_sql_begin(c, &err), 0);
    assert_int_equal(dd_events_append(e->ev, c, "aws.ecr", "T", not_array, NULL, &err),
                     DD_EINVALID);
    assert_int_equal(dd_events_append(e->ev, c, "aws.ecr", "T", bad_item, NULL, &err), DD_EINVALID);
    assert_int_equal(dd_events_append(e->ev, c, "aws.ecr", "T", NULL, not_object, &err),
                     DD_EINVALID);
    assert_int_equal(dd_events_append(e->ev, c, "aws.ecr", "", NULL, NULL, &err), DD_EINVALID);
    assert_int_equal(dd_events_append(e->ev, c, "", "T", NULL, NULL, &err), DD_EINVALID);
    assert_int_equal(dd_events_append(e->ev, c, "aws.ecr", "A,B", NULL, NULL, &err), DD_EINVALID);
    assert_int_equal(dd_sql_commit(c, &err), 0);
    dd_sql_release(e->sql, c);
    json_decref(not_array);
    json_decref(bad_item);
    json_decref(not_object);
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM outbox"), 0);
}

static void test_rollback_drops_event(void **state)
{
    etest_env *e = *state;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_events_webhook_add(e->ev, "http://127.0.0.1:9/x", "s", NULL, 0, NULL, &err),
                     0);
    dd_sql_conn *c = dd_sql_acquire(e->sql);
    assert_int_equal(dd_sql_begin(c, &err), 0);
    assert_int_equal(dd_sql_exec(c, "INSERT INTO settings (key, value) VALUES ('k', 'v')", &err),
                     0);
    assert_int_equal(
        dd_events_append(e->ev, c, "aws.ecr", "ECR Scan Resource Change", NULL, NULL, &err), 0);
    dd_sql_rollback(c);
    dd_sql_release(e->sql, c);
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM outbox"), 0);
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM deliveries"), 0);
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM settings WHERE key = 'k'"), 0);

    /* the same with a commit keeps the change, the event and its delivery */
    c = dd_sql_acquire(e->sql);
    assert_int_equal(dd_sql_begin(c, &err), 0);
    assert_int_equal(dd_sql_exec(c, "INSERT INTO settings (key, value) VALUES ('k', 'v')", &err),
                     0);
    assert_int_equal(
        dd_events_append(e->ev, c, "aws.ecr", "ECR Scan Resource Change", NULL, NULL, &err), 0);
    assert_int_equal(dd_sql_commit(c, &err), 0);
    dd_sql_release(e->sql, c);
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM outbox"), 1);
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM deliveries WHERE state = 'pending'"),
                     1);
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM settings WHERE key = 'k'"), 1);
}

static json_t *add_webhook(etest_env *e, const char *url, const char *secret,
                           const char *const *types, size_t n)
{
    dd_err err = DD_ERR_INIT;
    json_t *out = NULL;
    if (dd_events_webhook_add(e->ev, url, secret, types, n, &out, &err) != 0)
        fail_msg("webhook add: %s", err.msg);
    return out;
}

static int64_t deliveries_of(etest_env *e, const char *wid)
{
    char q[256];
    snprintf(q, sizeof(q), "SELECT COUNT(*) FROM deliveries WHERE webhook_id = '%s'", wid);
    return etest_query_int(e, q);
}

static void test_fanout_filters(void **state)
{
    etest_env *e = *state;
    dd_err err = DD_ERR_INIT;
    static const char *const only_findings[] = {"Inspector2 Finding"};
    static const char *const two[] = {"ECR Scan Resource Change", "Inspector2 Scan"};
    json_t *all = add_webhook(e, "http://127.0.0.1:9/all", "s", NULL, 0);
    json_t *fin = add_webhook(e, "https://example.com/f", "s", only_findings, 1);
    json_t *tw = add_webhook(e, "http://example.com:8080/two?x=1", "s", two, 2);
    json_t *off = add_webhook(e, "http://example.com/off", "s", NULL, 0);
    const char *wall = json_string_value(json_object_get(all, "id"));
    const char *wfin = json_string_value(json_object_get(fin, "id"));
    const char *wtw = json_string_value(json_object_get(tw, "id"));
    const char *woff = json_string_value(json_object_get(off, "id"));
    char q[256];
    snprintf(q, sizeof(q), "UPDATE webhooks SET enabled = 0 WHERE id = '%s'", woff);
    dd_sql_conn *c = dd_sql_acquire(e->sql);
    assert_int_equal(dd_sql_exec(c, q, &err), 0);
    dd_sql_release(e->sql, c);

    etest_append(e, "aws.inspector2", "Inspector2 Finding", NULL, NULL);
    etest_append(e, "aws.inspector2", "Inspector2 Scan", NULL, NULL);
    etest_append(e, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    etest_append(e, "aws.inspector2", "Inspector2 Finding", NULL, NULL);
    etest_append(e, "aws.inspector2", "Inspector2", NULL, NULL); /* a prefix, not a match */

    assert_int_equal(deliveries_of(e, wall), 5);
    assert_int_equal(deliveries_of(e, wfin), 2);
    assert_int_equal(deliveries_of(e, wtw), 2);
    assert_int_equal(deliveries_of(e, woff), 0);
    snprintf(q, sizeof(q), "SELECT SUM(seq) FROM deliveries WHERE webhook_id = '%s'", wfin);
    assert_int_equal(etest_query_int(e, q), 1 + 4);
    snprintf(q, sizeof(q), "SELECT SUM(seq) FROM deliveries WHERE webhook_id = '%s'", wtw);
    assert_int_equal(etest_query_int(e, q), 2 + 3);

    /* removing a webhook removes its deliveries */
    assert_int_equal(dd_events_webhook_remove(e->ev, wfin, &err), 0);
    assert_int_equal(deliveries_of(e, wfin), 0);
    assert_int_equal(deliveries_of(e, wall), 5);
    assert_int_equal(dd_events_webhook_remove(e->ev, wfin, &err), DD_ENOTFOUND);
    json_decref(all);
    json_decref(fin);
    json_decref(tw);
    json_decref(off);
}

static void test_list_paging(void **state)
{
    etest_env *e = *state;
    dd_err err = DD_ERR_INIT;
    json_t *out = NULL;
    for (int i = 0; i < 7; i++)
        etest_append(e, "aws.inspector2", i % 2 == 0 ? "Inspector2 Finding" : "Inspector2 Scan",
                     NULL, NULL);
    int64_t after = 0;
    int64_t want_pages[][3] = {{1, 2, 3}, {4, 5, 6}, {7, 0, 0}};
    for (int p = 0; p < 3; p++) {
        out = list(e, after, 3, NULL);
        json_t *evs = json_object_get(out, "events");
        size_t n = p < 2 ? 3 : 1;
        assert_int_equal(json_array_size(evs), n);
        for (size_t i = 0; i < n; i++) {
            json_t *item = json_array_get(evs, i);
            int64_t seq = json_integer_value(json_object_get(item, "seq"));
            assert_int_equal(seq, want_pages[p][i]);
            const char *type =
                json_string_value(json_object_get(json_object_get(item, "event"), "detail-type"));
            assert_string_equal(type,
                                (seq - 1) % 2 == 0 ? "Inspector2 Finding" : "Inspector2 Scan");
        }
        after = json_integer_value(json_object_get(out, "next"));
        assert_int_equal(after, want_pages[p][n - 1]);
        json_decref(out);
    }
    /* past the end: nothing, next stays */
    out = list(e, 7, 100, NULL);
    assert_int_equal(json_array_size(json_object_get(out, "events")), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "next")), 7);
    json_decref(out);
    out = list(e, 1000, 100, NULL);
    assert_int_equal(json_integer_value(json_object_get(out, "next")), 1000);
    json_decref(out);

    /* by detail-type: seqs 1, 3, 5, 7 are findings */
    out = list(e, 1, 2, "Inspector2 Finding");
    json_t *evs = json_object_get(out, "events");
    assert_int_equal(json_array_size(evs), 2);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(evs, 0), "seq")), 3);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(evs, 1), "seq")), 5);
    assert_int_equal(json_integer_value(json_object_get(out, "next")), 5);
    json_decref(out);
    out = list(e, 0, 100, "Nothing Like This");
    assert_int_equal(json_array_size(json_object_get(out, "events")), 0);
    json_decref(out);

    assert_int_equal(dd_events_list(e->ev, 0, 0, NULL, &out, &err), DD_EINVALID);
    assert_null(out);
    assert_int_equal(dd_events_list(e->ev, 0, 1001, NULL, &out, &err), DD_EINVALID);
    assert_int_equal(dd_events_list(e->ev, -1, 10, NULL, &out, &err), DD_EINVALID);
    out = list(e, 0, 1000, NULL);
    assert_int_equal(json_array_size(json_object_get(out, "events")), 7);
    json_decref(out);
}

static void test_webhook_store(void **state)
{
    etest_env *e = *state;
    dd_err err = DD_ERR_INIT;
    json_t *out = NULL;
    static const char *const types[] = {"Inspector2 Finding", "ECR Scan Resource Change"};
    json_t *a = add_webhook(e, "https://hooks.example.com/drydock", "my-secret", types, 2);
    assert_null(json_object_get(a, "secret")); /* given secrets are not echoed */
    assert_true(is_uuid_v4(json_string_value(json_object_get(a, "id"))));
    assert_string_equal(json_string_value(json_object_get(a, "url")),
                        "https://hooks.example.com/drydock");
    json_t *t = json_object_get(a, "detailTypes");
    assert_int_equal(json_array_size(t), 2);
    assert_string_equal(json_string_value(json_array_get(t, 1)), "ECR Scan Resource Change");
    assert_true(json_is_true(json_object_get(a, "enabled")));
    assert_string_equal(json_string_value(json_object_get(a, "createdAt")),
                        "2025-03-04T10:15:30.000Z");

    json_t *b = add_webhook(e, "http://127.0.0.1:1/x", NULL, NULL, 0);
    const char *gen = json_string_value(json_object_get(b, "secret"));
    assert_non_null(gen);
    assert_int_equal(strlen(gen), 64);
    for (size_t i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", gen[i]));
    char q[256];
    snprintf(q, sizeof(q), "SELECT COUNT(*) FROM webhooks WHERE id = '%s' AND secret = '%s'",
             json_string_value(json_object_get(b, "id")), gen);
    assert_int_equal(etest_query_int(e, q), 1);

    etest_append(e, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    assert_int_equal(dd_events_webhook_list(e->ev, &out, &err), 0);
    assert_int_equal(json_array_size(out), 2);
    char *text = json_dumps(out, 0);
    assert_null(strstr(text, "secret"));
    assert_null(strstr(text, gen));
    assert_null(strstr(text, "my-secret"));
    free(text);
    json_t *first = json_array_get(out, 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")),
                        json_string_value(json_object_get(a, "id")));
    assert_int_equal(json_integer_value(json_object_get(first, "pending")), 1);
    assert_int_equal(json_integer_value(json_object_get(first, "dead")), 0);
    assert_int_equal(json_array_size(json_object_get(json_array_get(out, 1), "detailTypes")), 0);
    json_decref(out);

    /* invalid definitions */
    static const char *const bad_urls[] = {
        "ftp://example.com/x", "file:///etc/passwd",  "http://",        "not a url", "",
        "gopher://h/",         "http://exa mple.com", "http://e.com/\n"};
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
        if (dd_events_webhook_add(e->ev, bad_urls[i], "s", NULL, 0, NULL, &err) != DD_EINVALID)
            fail_msg("url '%s' accepted", bad_urls[i]);
    }
    static const char *const bad_types[][1] = {{"A,B"}, {""}, {"tab\there"}};
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(
            dd_events_webhook_add(e->ev, "http://h/", "s", bad_types[i], 1, NULL, &err),
            DD_EINVALID);
    char longtype[DD_EVENTS_DETAIL_TYPE_MAX + 2];
    memset(longtype, 'x', sizeof(longtype) - 1);
    longtype[sizeof(longtype) - 1] = '\0';
    const char *lt[] = {longtype};
    assert_int_equal(dd_events_webhook_add(e->ev, "http://h/", "s", lt, 1, NULL, &err),
                     DD_EINVALID);
    assert_int_equal(dd_events_webhook_add(e->ev, "http://h/", "", NULL, 0, NULL, &err),
                     DD_EINVALID);
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM webhooks"), 2);

    /* unknown ids */
    assert_int_equal(dd_events_webhook_remove(e->ev, "nope", &err), DD_ENOTFOUND);
    assert_int_equal(dd_events_dead_letters(e->ev, "nope", &out, &err), DD_ENOTFOUND);
    assert_int_equal(dd_events_replay(e->ev, "nope", -1, NULL, &err), DD_ENOTFOUND);
    size_t n = 99;
    assert_int_equal(
        dd_events_replay(e->ev, json_string_value(json_object_get(a, "id")), -1, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(
        dd_events_replay(e->ev, json_string_value(json_object_get(a, "id")), 1, &n, &err),
        DD_ENOTFOUND); /* pending, not dead */
    json_decref(a);
    json_decref(b);
}

typedef struct body_case {
    const char *in;
    int want;
} body_case;

static void test_parse_webhook_body(void **state)
{
    (void)state;
    static const body_case cases[] = {
        {"{\"url\":\"https://h.example/x\"}", 0},
        {"{\"url\":\"http://h/x\",\"secret\":\"abc\",\"detailTypes\":[\"Inspector2 Finding\"]}", 0},
        {"{\"url\":\"http://h/x\",\"detailTypes\":[]}", 0},
        {"", DD_EINVALID},
        {"[]", DD_EINVALID},
        {"{}", DD_EINVALID},
        {"{\"url\":1}", DD_EINVALID},
        {"{\"url\":\"http://h/\",\"secret\":5}", DD_EINVALID},
        {"{\"url\":\"http://h/\",\"detailTypes\":\"x\"}", DD_EINVALID},
        {"{\"url\":\"http://h/\",\"detailTypes\":[1]}", DD_EINVALID},
        {"{\"url\":\"http://h/\",\"detailType\":[\"x\"]}", DD_EINVALID}, /* unknown member */
        {"{\"url\":\"http://h/\",\"url\":\"http://i/\"}", DD_EINVALID},  /* duplicate */
        {"{\"url\":\"http://h/\\u0000x\"}", DD_EINVALID},
        {"{\"url\":\"http://h/\",\"secret\":\"a\\u0000b\"}", DD_EINVALID},
        {"{\"url\":\"http://h/\",\"detailTypes\":[\"a\\u0000b\"]}", DD_EINVALID},
        {"{\"url\":\"ftp://h/\"}", DD_EINVALID},
        {"{\"url\":\"http://h/\"", DD_EINVALID},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dd_err err = DD_ERR_INIT;
        json_t *root = NULL;
        dd_events_webhook_spec spec;
        int rc = dd_events_parse_webhook_body(cases[i].in, strlen(cases[i].in), &root, &spec, &err);
        if (rc != cases[i].want)
            fail_msg("case %zu '%s': got %d (%s), want %d", i, cases[i].in, rc, err.msg,
                     cases[i].want);
        if (rc == 0) {
            assert_non_null(root);
            assert_non_null(spec.url);
        } else {
            assert_null(root);
            assert_true(err.msg[0] != '\0');
        }
        json_decref(root);
    }
    /* borrowed strings of a good body */
    dd_err err = DD_ERR_INIT;
    json_t *root = NULL;
    dd_events_webhook_spec spec;
    const char *in = "{\"url\":\"http://h/x\",\"secret\":\"abc\",\"detailTypes\":[\"A\",\"B\"]}";
    assert_int_equal(dd_events_parse_webhook_body(in, strlen(in), &root, &spec, &err), 0);
    assert_string_equal(spec.url, "http://h/x");
    assert_string_equal(spec.secret, "abc");
    assert_int_equal(spec.n_detail_types, 2);
    assert_string_equal(spec.detail_types[1], "B");
    json_decref(root);
    /* too many detail types */
    char big[8192];
    size_t o = (size_t)snprintf(big, sizeof(big), "{\"url\":\"http://h/\",\"detailTypes\":[");
    for (int i = 0; i <= DD_EVENTS_DETAIL_TYPES_MAX; i++)
        o += (size_t)snprintf(big + o, sizeof(big) - o, "%s\"t%d\"", i ? "," : "", i);
    snprintf(big + o, sizeof(big) - o, "]}");
    assert_int_equal(dd_events_parse_webhook_body(big, strlen(big), &root, &spec, &err),
                     DD_EINVALID);
    /* only len bytes count: a body cut short is not JSON */
    assert_int_equal(dd_events_parse_webhook_body(in, 10, &root, &spec, &err), DD_EINVALID);
    char *huge = malloc(DD_EVENTS_BODY_MAX + 2);
    assert_non_null(huge);
    memset(huge, ' ', DD_EVENTS_BODY_MAX + 1);
    memcpy(huge, in, strlen(in));
    assert_int_equal(dd_events_parse_webhook_body(huge, DD_EVENTS_BODY_MAX + 1, &root, &spec, &err),
                     DD_EINVALID);
    assert_int_equal(dd_events_parse_webhook_body(huge, DD_EVENTS_BODY_MAX, &root, &spec, &err), 0);
    json_decref(root);
    free(huge);
}

static void test_parse_uint(void **state)
{
    (void)state;
    int64_t v = -5;
    assert_int_equal(dd_events_parse_uint("0", 1, INT64_MAX, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(dd_events_parse_uint("123", 3, INT64_MAX, &v), 0);
    assert_int_equal(v, 123);
    assert_int_equal(dd_events_parse_uint("9223372036854775807", 19, INT64_MAX, &v), 0);
    assert_true(v == INT64_MAX);
    assert_int_equal(dd_events_parse_uint("9223372036854775808", 19, INT64_MAX, &v), DD_EINVALID);
    assert_int_equal(dd_events_parse_uint("99999999999999999999", 20, INT64_MAX, &v), DD_EINVALID);
    assert_int_equal(dd_events_parse_uint("1000", 4, 1000, &v), 0);
    assert_int_equal(v, 1000);
    assert_int_equal(dd_events_parse_uint("1001", 4, 1000, &v), DD_EINVALID);
    static const char *const bad[] = {"", "-1", "+1", " 1", "1 ", "1a", "0x10", "1.5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (dd_events_parse_uint(bad[i], strlen(bad[i]), INT64_MAX, &v) != DD_EINVALID)
            fail_msg("'%s' accepted", bad[i]);
    assert_int_equal(dd_events_parse_uint("12x", 2, 100, &v), 0); /* only len bytes */
    assert_int_equal(v, 12);
    assert_int_equal(dd_events_parse_uint(NULL, 0, 100, &v), DD_EINVALID);
}

static void test_format_time(void **state)
{
    (void)state;
    char out[32];
    dd_events_format_time(out, sizeof(out), 0);
    assert_string_equal(out, "1970-01-01T00:00:00Z");
    dd_events_format_time(out, sizeof(out), -1);
    assert_string_equal(out, "1969-12-31T23:59:59Z");
    dd_events_format_time(out, sizeof(out), 1741083330999LL);
    assert_string_equal(out, "2025-03-04T10:15:30Z");
    dd_events_format_time(out, sizeof(out), 951782400000LL); /* leap day 2000 */
    assert_string_equal(out, "2000-02-29T00:00:00Z");
}

static void test_migrations_idempotent(void **state)
{
    etest_env *e = *state;
    /* reopening runs no migration twice and keeps the data */
    etest_append(e, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    etest_env_close_handles(e);
    etest_env_reopen(e);
    assert_int_equal(etest_query_int(e, "SELECT COUNT(*) FROM outbox"), 1);
    assert_int_equal(
        etest_query_int(e, "SELECT version FROM schema_versions WHERE module = 'events'"), 1);
    etest_append(e, "aws.ecr", "ECR Scan Resource Change", NULL, NULL);
    assert_int_equal(etest_query_int(e, "SELECT MAX(seq) FROM outbox"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_envelope_shape, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_outside_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(test_append_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_drops_event, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fanout_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_webhook_store, setup, teardown),
        cmocka_unit_test(test_parse_webhook_body),
        cmocka_unit_test(test_parse_uint),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test_setup_teardown(test_migrations_idempotent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
