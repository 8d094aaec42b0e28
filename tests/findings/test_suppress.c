/* Tests for filters and suppression rules (src/findings/suppress.c): status flips when SUPPRESS
 * filters are created, changed and deleted (with an event per change in the outbox), closed
 * findings untouched, new findings suppressed on arrival through store.c, name/quota/owner rules,
 * ListFilters paging and tags. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common.h"
#include "events/events.h"
#include "findings/findings.h"
#include "util/alloc.h"
#include "util/clock.h"

typedef struct fx {
    tf_db *db;
    dd_events *ev;
    json_t *docs[6]; /* LOW, HIGH, LOW (CLOSED), CRITICAL, LOW, MEDIUM */
} fx;

static int64_t fixed_now(void *ctx)
{
    (void)ctx;
    return 1800000000000LL;
}
static const dd_clock CLOCK = {fixed_now, NULL};

static int setup(void **state)
{
    fx *f = dd_calloc(1, sizeof(*f));
    dd_err err = DD_ERR_INIT;
    f->db = tf_open();
    dd_events_options eo;
    memset(&eo, 0, sizeof(eo));
    eo.account = TF_ACCOUNT;
    eo.region = TF_REGION;
    assert_int_equal(dd_events_open(&f->ev, f->db->sql, &CLOCK, &eo, &err), 0);
    static const char *const sev[] = {"LOW", "HIGH", "LOW", "CRITICAL", "LOW", "MEDIUM"};
    for (int i = 0; i < 6; i++) {
        char vuln[32];
        snprintf(vuln, sizeof(vuln), "CVE-2024-%04d", i);
        f->docs[i] = tf_finding(i < 3 ? "app" : "web", "img", vuln, sev[i], 5.0, 1700000000.0);
        if (i == 2)
            json_object_set_new(f->docs[i], "status", json_string("CLOSED"));
        tf_put(f->db, f->docs[i]);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    dd_events_close(f->ev);
    tf_close(f->db);
    for (int i = 0; i < 6; i++)
        json_decref(f->docs[i]);
    dd_free(f);
    return 0;
}

static const char *arn_of(fx *f, int i)
{
    return json_string_value(json_object_get(f->docs[i], "findingArn"));
}

static void expect(fx *f, const char *want)
{
    for (int i = 0; i < 6; i++) {
        char st[16];
        tf_status(f->db, arn_of(f, i), st);
        char w = want[i];
        const char *ws = w == 'A' ? "ACTIVE" : w == 'S' ? "SUPPRESSED" : "CLOSED";
        if (strcmp(st, ws) != 0)
            fail_msg("finding %d is %s, want %s", i, st, ws);
    }
}

static int64_t events(fx *f)
{
    return tf_int(f->db, "SELECT count(*) FROM outbox WHERE detail_type = 'Inspector2 Finding'",
                  NULL);
}

static int create(fx *f, const char *name, const char *action, const char *criteria, size_t max,
                  char **arn, dd_err *err)
{
    json_t *cr = json_loads(criteria, 0, NULL);
    dd_filter_spec s = {name, action, cr, NULL, NULL, NULL};
    dd_sql_conn *c = dd_sql_acquire(f->db->sql);
    int rc = dd_sql_begin(c, err);
    if (rc == 0)
        rc = dd_filters_create(c, f->ev, TF_ACCOUNT, TF_REGION, &s, max, 1800000000000LL, arn, err);
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(f->db->sql, c);
    json_decref(cr);
    return rc;
}

static int update(fx *f, const char *arn, const dd_filter_spec *s, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(f->db->sql);
    int rc = dd_sql_begin(c, err);
    if (rc == 0)
        rc = dd_filters_update(c, f->ev, TF_ACCOUNT, arn, s, 1800000001000LL, err);
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(f->db->sql, c);
    return rc;
}

static const char *LOW = "{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"LOW\"}]}";

static void test_suppress_flips(void **state)
{
    fx *f = *state;
    dd_err err = DD_ERR_INIT;
    char *arn = NULL;
    expect(f, "AACAAA");
    assert_int_equal(events(f), 0);
    assert_int_equal(create(f, "low-noise", "SUPPRESS", LOW, 500, &arn, &err), 0);
    assert_non_null(strstr(arn, "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/"
                                "filter/"));
    assert_true(strlen(arn) <= 128);
    expect(f, "SACASA");
    assert_int_equal(events(f), 2);
    /* the served document changed too, with a new updatedAt */
    assert_int_equal(tf_int(f->db, "SELECT updated_at FROM findings WHERE arn = ?", arn_of(f, 0)),
                     1800000000000LL);
    /* relaxing the rule to HIGH: LOW findings return to ACTIVE, HIGH is suppressed */
    json_t *high =
        json_loads("{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"HIGH\"}]}", 0, NULL);
    dd_filter_spec s = {NULL, NULL, high, "why", NULL, NULL};
    assert_int_equal(update(f, arn, &s, &err), 0);
    expect(f, "ASCAAA");
    assert_int_equal(events(f), 5);
    /* action NONE: a saved view, nothing suppressed */
    dd_filter_spec none = {NULL, "NONE", NULL, NULL, NULL, NULL};
    assert_int_equal(update(f, arn, &none, &err), 0);
    expect(f, "AACAAA");
    /* back to SUPPRESS, then delete */
    dd_filter_spec sup = {NULL, "SUPPRESS", NULL, NULL, NULL, NULL};
    assert_int_equal(update(f, arn, &sup, &err), 0);
    expect(f, "ASCAAA");
    dd_sql_conn *c = dd_sql_acquire(f->db->sql);
    assert_int_equal(dd_sql_begin(c, &err), 0);
    assert_int_equal(dd_filters_delete(c, f->ev, TF_ACCOUNT, arn, 1800000002000LL, &err), 0);
    assert_int_equal(dd_sql_commit(c, &err), 0);
    assert_int_equal(dd_filters_delete(c, f->ev, TF_ACCOUNT, arn, 1800000002000LL, &err),
                     DD_ENOTFOUND);
    dd_sql_release(f->db->sql, c);
    expect(f, "AACAAA");
    json_decref(high);
    dd_free(arn);
}

static void test_rule_on_status_and_new_findings(void **state)
{
    fx *f = *state;
    dd_err err = DD_ERR_INIT;
    char *arn = NULL;
    /* a rule naming findingStatus ACTIVE keeps what it suppressed (no flapping) */
    assert_int_equal(create(f, "web-active", "SUPPRESS",
                            "{\"findingStatus\":[{\"comparison\":\"EQUALS\",\"value\":\"ACTIVE\"}],"
                            "\"ecrImageRepositoryName\":[{\"comparison\":\"EQUALS\",\"value\":"
                            "\"web\"}]}",
                            500, &arn, &err),
                     0);
    expect(f, "AACSSS");
    dd_sql_conn *c = dd_sql_acquire(f->db->sql);
    size_t n = 99;
    assert_int_equal(dd_sql_begin(c, &err), 0);
    assert_int_equal(dd_findings_reapply_filters(c, f->ev, 1800000003000LL, &n, &err), 0);
    assert_int_equal(dd_sql_commit(c, &err), 0);
    assert_int_equal(n, 0);
    expect(f, "AACSSS");
    /* a new finding from the scanner (no status yet) */
    json_t *nf = tf_finding("web", "img2", "CVE-2025-0001", "LOW", 1.0, 1700000000.0);
    json_object_del(nf, "status");
    bool sup = false;
    assert_int_equal(dd_findings_suppressed(c, nf, &sup, &err), 0);
    assert_true(sup);
    json_t *other = tf_finding("app", "img2", "CVE-2025-0001", "LOW", 1.0, 1700000000.0);
    assert_int_equal(dd_findings_suppressed(c, other, &sup, &err), 0);
    assert_false(sup);
    /* another account's finding is not governed by this account's rules */
    json_object_set_new(nf, "awsAccountId", json_string("210987654321"));
    assert_int_equal(dd_findings_suppressed(c, nf, &sup, &err), 0);
    assert_false(sup);
    /* through the scanner's write path: created SUPPRESSED */
    json_t *cur = json_array();
    json_t *scanned = tf_finding("web", "img3", "CVE-2025-0002", "HIGH", 1.0, 1700000000.0);
    json_object_del(scanned, "status");
    json_object_del(scanned, "updatedAt");
    json_object_del(scanned, "firstObservedAt");
    json_object_del(scanned, "lastObservedAt");
    json_array_append(cur, scanned);
    char digest[72];
    tf_digest(digest, "img3");
    dd_findings_delta d;
    assert_int_equal(dd_sql_begin(c, &err), 0);
    assert_int_equal(dd_findings_sync(c, f->ev, "web", digest, cur, 1800000004000LL, &d, &err), 0);
    assert_int_equal(dd_sql_commit(c, &err), 0);
    dd_sql_release(f->db->sql, c);
    assert_int_equal(d.created, 1);
    char st[16];
    tf_status(f->db, json_string_value(json_object_get(scanned, "findingArn")), st);
    assert_string_equal(st, "SUPPRESSED");
    json_decref(cur);
    json_decref(scanned);
    json_decref(nf);
    json_decref(other);
    dd_free(arn);
}

static void test_rules_and_errors(void **state)
{
    fx *f = *state;
    dd_err err = DD_ERR_INIT;
    char *a1 = NULL, *a2 = NULL, *a3 = NULL;
    assert_int_equal(create(f, "one", "NONE", LOW, 2, &a1, &err), 0);
    assert_int_equal(create(f, "one", "NONE", LOW, 2, &a2, &err), DD_EEXIST);
    assert_int_equal(create(f, "two", "NONE", LOW, 2, &a2, &err), 0);
    assert_int_equal(create(f, "three", "NONE", LOW, 2, &a3, &err), DD_ELIMIT);
    assert_null(a3);
    assert_int_equal(create(f, "x", "NONE", LOW, 500, &a3, &err), DD_EINVALID);
    assert_memory_equal(err.msg, "name:", 5);
    assert_int_equal(create(f, "has space", "NONE", LOW, 500, &a3, &err), DD_EINVALID);
    assert_int_equal(create(f, "okname", "HIDE", LOW, 500, &a3, &err), DD_EINVALID);
    assert_memory_equal(err.msg, "action:", 7);
    assert_int_equal(create(f, "okname", "NONE", "{}", 500, &a3, &err), DD_EINVALID);
    assert_memory_equal(err.msg, "filterCriteria", 14);
    assert_int_equal(create(f, "okname", "NONE",
                            "{\"severity\":[{\"comparison\":\"X\",\"value\":\"L\"}]}", 500, &a3,
                            &err),
                     DD_EINVALID);
    /* rename onto a taken name, unknown ARN, other account */
    dd_filter_spec ren = {"one", NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(update(f, a2, &ren, &err), DD_EEXIST);
    dd_filter_spec same = {"two", NULL, NULL, NULL, NULL, NULL};
    assert_int_equal(update(f, a2, &same, &err), 0);
    assert_int_equal(update(f,
                            "arn:aws:inspector2:us-east-1:123456789012:owner/123456789012/"
                            "filter/nope",
                            &same, &err),
                     DD_ENOTFOUND);
    char desc[600];
    memset(desc, 'd', 513);
    desc[513] = '\0';
    dd_filter_spec longdesc = {NULL, NULL, NULL, desc, NULL, NULL};
    assert_int_equal(update(f, a2, &longdesc, &err), DD_EINVALID);
    assert_memory_equal(err.msg, "description:", 12);
    dd_sql_conn *c = dd_sql_acquire(f->db->sql);
    json_t *out = NULL;
    assert_int_equal(dd_filters_list(c, "210987654321", NULL, NULL, 0, NULL, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "filters")), 0);
    json_decref(out);
    dd_sql_release(f->db->sql, c);
    dd_free(a1);
    dd_free(a2);
}

static void test_list_and_tags(void **state)
{
    fx *f = *state;
    dd_err err = DD_ERR_INIT;
    char *arns[5];
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof(name), "view-%d", i);
        assert_int_equal(create(f, name, i == 3 ? "SUPPRESS" : "NONE", LOW, 500, &arns[i], &err),
                         0);
    }
    dd_sql_conn *c = dd_sql_acquire(f->db->sql);
    /* pages of 2: 2 + 2 + 1, tokens differ */
    json_t *out = NULL;
    char *tok = NULL;
    size_t total = 0, pages = 0;
    char prev[4096] = "";
    do {
        assert_int_equal(dd_filters_list(c, TF_ACCOUNT, NULL, NULL, 2, tok, &out, &err), 0);
        dd_free(tok);
        tok = NULL;
        json_t *fl = json_object_get(out, "filters");
        total += json_array_size(fl);
        pages++;
        json_t *f0 = json_array_get(fl, 0);
        assert_non_null(json_object_get(f0, "criteria"));
        assert_string_equal(json_string_value(json_object_get(f0, "ownerId")), TF_ACCOUNT);
        assert_true(json_is_number(json_object_get(f0, "createdAt")));
        const char *nt = json_string_value(json_object_get(out, "nextToken"));
        if (nt != NULL) {
            assert_string_not_equal(nt, prev);
            snprintf(prev, sizeof(prev), "%s", nt);
            tok = dd_strdup(nt);
        }
        json_decref(out);
    } while (tok != NULL);
    assert_int_equal(total, 5);
    assert_int_equal(pages, 3);
    assert_int_equal(dd_filters_list(c, TF_ACCOUNT, NULL, "SUPPRESS", 0, NULL, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "filters")), 1);
    json_decref(out);
    json_t *sel = json_pack("[s, s]", arns[1], arns[4]);
    assert_int_equal(dd_filters_list(c, TF_ACCOUNT, sel, NULL, 0, NULL, &out, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "filters")), 2);
    json_decref(out);
    assert_int_equal(dd_filters_list(c, TF_ACCOUNT, NULL, NULL, 2, "garbage", &out, &err),
                     DD_EINVALID);
    json_decref(sel);
    /* tags */
    json_t *tags = json_pack("{s:s, s:s}", "team", "a", "env", "prod");
    assert_int_equal(dd_filters_tags_add(c, TF_ACCOUNT, arns[0], tags, 1, &err), 0);
    json_t *bad = json_pack("{s:s}", "aws:reserved", "x");
    assert_int_equal(dd_filters_tags_add(c, TF_ACCOUNT, arns[0], bad, 1, &err), DD_EINVALID);
    const char *rm[] = {"env", "absent"};
    assert_int_equal(dd_filters_tags_remove(c, TF_ACCOUNT, arns[0], rm, 2, 2, &err), 0);
    json_t *got = NULL;
    assert_int_equal(dd_filters_tags_get(c, TF_ACCOUNT, arns[0], &got, &err), 0);
    assert_int_equal(json_object_size(got), 1);
    assert_string_equal(json_string_value(json_object_get(got, "team")), "a");
    json_decref(got);
    assert_int_equal(dd_filters_tags_get(c, "210987654321", arns[0], &got, &err), DD_ENOTFOUND);
    dd_sql_release(f->db->sql, c);
    json_decref(tags);
    json_decref(bad);
    for (int i = 0; i < 5; i++)
        dd_free(arns[i]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_suppress_flips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_on_status_and_new_findings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rules_and_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list_and_tags, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
