/* Tests for ListFindings and BatchGetFindingDetails (src/findings/query.c): default order and page
 * size, every kind of sort (SEVERITY by rank), paging with and without conditions evaluated in C,
 * tokens that never repeat and are refused for other criteria, and input errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "common.h"
#include "findings/findings.h"
#include "util/alloc.h"

static const char *const SEVS[] = {"LOW",    "CRITICAL", "UNTRIAGED",
                                   "MEDIUM", "HIGH",     "INFORMATIONAL"};

/* 30 findings: i-th has updatedAt 1700000000 + i (i = 29 newest), severity SEVS[i % 6], score i /
 * 3, repository repo<i % 3>, tag "t<i % 4>". */
static int setup(void **state)
{
    tf_db *db = tf_open();
    for (int i = 0; i < 30; i++) {
        char repo[16], seed[16], vuln[32], tag[8];
        snprintf(repo, sizeof(repo), "repo%d", i % 3);
        snprintf(seed, sizeof(seed), "img%d", i % 5);
        snprintf(vuln, sizeof(vuln), "CVE-2024-%04d", i);
        snprintf(tag, sizeof(tag), "t%d", i % 4);
        json_t *f = tf_finding(repo, seed, vuln, SEVS[i % 6], i / 3.0, 1700000000.0 + i);
        json_t *img = json_object_get(
            json_object_get(json_array_get(json_object_get(f, "resources"), 0), "details"),
            "awsEcrContainerImage");
        json_object_set_new(img, "imageTags", json_pack("[s]", tag));
        tf_put(db, f);
        json_decref(f);
    }
    *state = db;
    return 0;
}

static int teardown(void **state)
{
    tf_close(*state);
    return 0;
}

static json_t *list(tf_db *db, const char *criteria, const char *sort, size_t max,
                    const char *token, int want_rc, dd_err *err)
{
    json_t *cr = criteria ? json_loads(criteria, 0, NULL) : NULL;
    json_t *so = sort ? json_loads(sort, 0, NULL) : NULL;
    dd_findings_query q = {cr, so, max, token};
    json_t *out = NULL;
    dd_sql_conn *c = dd_sql_acquire(db->sql);
    int rc = dd_findings_list(c, &q, &out, err);
    dd_sql_release(db->sql, c);
    json_decref(cr);
    json_decref(so);
    if (rc != want_rc)
        fail_msg("rc %d (%s), want %d", rc, err->msg, want_rc);
    return out;
}

static const char *vuln_of(const json_t *f)
{
    return json_string_value(
        json_object_get(json_object_get(f, "packageVulnerabilityDetails"), "vulnerabilityId"));
}

static void test_default_order_and_pages(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    json_t *p1 = list(db, NULL, NULL, 0, NULL, 0, &err);
    json_t *f = json_object_get(p1, "findings");
    assert_int_equal(json_array_size(f), 25);
    assert_string_equal(vuln_of(json_array_get(f, 0)), "CVE-2024-0029");
    assert_string_equal(vuln_of(json_array_get(f, 24)), "CVE-2024-0005");
    const char *tok = json_string_value(json_object_get(p1, "nextToken"));
    assert_non_null(tok);
    json_t *p2 = list(db, NULL, NULL, 0, tok, 0, &err);
    f = json_object_get(p2, "findings");
    assert_int_equal(json_array_size(f), 5);
    assert_string_equal(vuln_of(json_array_get(f, 0)), "CVE-2024-0004");
    assert_null(json_object_get(p2, "nextToken"));
    /* exactly one full page: no token */
    json_t *p3 = list(db, NULL, NULL, 30, NULL, 0, &err);
    assert_int_equal(json_array_size(json_object_get(p3, "findings")), 30);
    assert_null(json_object_get(p3, "nextToken"));
    json_decref(p1);
    json_decref(p2);
    json_decref(p3);
}

static int rank(const char *s)
{
    for (int i = 0; i < 6; i++) {
        static const char *const order[] = {"UNTRIAGED", "INFORMATIONAL", "LOW",
                                            "MEDIUM",    "HIGH",          "CRITICAL"};
        if (strcmp(order[i], s) == 0)
            return i;
    }
    return -1;
}

static void test_sorts(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    json_t *p =
        list(db, NULL, "{\"field\":\"SEVERITY\",\"sortOrder\":\"DESC\"}", 100, NULL, 0, &err);
    json_t *f = json_object_get(p, "findings");
    assert_int_equal(json_array_size(f), 30);
    assert_string_equal(json_string_value(json_object_get(json_array_get(f, 0), "severity")),
                        "CRITICAL");
    assert_string_equal(json_string_value(json_object_get(json_array_get(f, 29), "severity")),
                        "UNTRIAGED");
    for (size_t i = 1; i < 30; i++) {
        const json_t *a = json_array_get(f, i - 1), *b = json_array_get(f, i);
        int ra = rank(json_string_value(json_object_get(a, "severity")));
        int rb = rank(json_string_value(json_object_get(b, "severity")));
        assert_true(ra >= rb);
        if (ra == rb) /* tie-breaker: ARN ascending */
            assert_true(strcmp(json_string_value(json_object_get(a, "findingArn")),
                               json_string_value(json_object_get(b, "findingArn"))) < 0);
    }
    json_decref(p);
    p = list(db, NULL, "{\"field\":\"SEVERITY\",\"sortOrder\":\"ASC\"}", 1, NULL, 0, &err);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(p, "findings"), 0), "severity")),
                        "UNTRIAGED");
    json_decref(p);
    p = list(db, NULL, "{\"field\":\"INSPECTOR_SCORE\",\"sortOrder\":\"ASC\"}", 100, NULL, 0, &err);
    f = json_object_get(p, "findings");
    for (size_t i = 1; i < json_array_size(f); i++)
        assert_true(
            json_number_value(json_object_get(json_array_get(f, i - 1), "inspectorScore")) <=
            json_number_value(json_object_get(json_array_get(f, i), "inspectorScore")));
    json_decref(p);
    p = list(db, NULL, "{\"field\":\"VULNERABILITY_ID\",\"sortOrder\":\"ASC\"}", 2, NULL, 0, &err);
    assert_string_equal(vuln_of(json_array_get(json_object_get(p, "findings"), 0)),
                        "CVE-2024-0000");
    json_decref(p);
    p = list(db, NULL, "{\"field\":\"ECR_IMAGE_REPOSITORY_NAME\",\"sortOrder\":\"DESC\"}", 1, NULL,
             0, &err);
    json_t *first = json_array_get(json_object_get(p, "findings"), 0);
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(
                json_object_get(json_array_get(json_object_get(first, "resources"), 0), "details"),
                "awsEcrContainerImage"),
            "repositoryName")),
        "repo2");
    json_decref(p);
    /* every SortField is accepted */
    static const char *const fields[] = {
        "AWS_ACCOUNT_ID",   "FINDING_TYPE",   "FIRST_OBSERVED_AT",    "LAST_OBSERVED_AT",
        "FINDING_STATUS",   "RESOURCE_TYPE",  "ECR_IMAGE_PUSHED_AT",  "ECR_IMAGE_REGISTRY",
        "NETWORK_PROTOCOL", "COMPONENT_TYPE", "VULNERABILITY_SOURCE", "VENDOR_SEVERITY",
        "EPSS_SCORE"};
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        char s[96];
        snprintf(s, sizeof(s), "{\"field\":\"%s\",\"sortOrder\":\"ASC\"}", fields[i]);
        p = list(db, NULL, s, 100, NULL, 0, &err);
        assert_int_equal(json_array_size(json_object_get(p, "findings")), 30);
        json_decref(p);
    }
    p = list(db, NULL, "{\"field\":\"FIRST_OBSERVED_AT\",\"sortOrder\":\"ASC\"}", 1, NULL, 0, &err);
    assert_string_equal(vuln_of(json_array_get(json_object_get(p, "findings"), 0)),
                        "CVE-2024-0000");
    json_decref(p);
}

/* Pages through everything with max per page; checks no token repeats and returns the ids. */
static size_t walk(tf_db *db, const char *criteria, const char *sort, size_t max, char ids[][32])
{
    dd_err err = DD_ERR_INIT;
    char *tokens[64];
    size_t n_tokens = 0, n = 0;
    char *tok = NULL;
    for (;;) {
        json_t *p = list(db, criteria, sort, max, tok, 0, &err);
        json_t *f = json_object_get(p, "findings");
        assert_true(json_array_size(f) <= max);
        for (size_t i = 0; i < json_array_size(f); i++)
            snprintf(ids[n++], 32, "%s", vuln_of(json_array_get(f, i)));
        const char *next = json_string_value(json_object_get(p, "nextToken"));
        if (next == NULL) {
            json_decref(p);
            break;
        }
        assert_int_not_equal(json_array_size(f), 0);
        for (size_t i = 0; i < n_tokens; i++)
            assert_string_not_equal(tokens[i], next);
        tok = dd_strdup(next);
        tokens[n_tokens++] = tok;
        json_decref(p);
    }
    for (size_t i = 0; i < n_tokens; i++)
        dd_free(tokens[i]);
    return n;
}

static void test_paging_residual(void **state)
{
    tf_db *db = *state;
    char ids[64][32];
    /* ecrImageTags is evaluated in C: tag t1 = i % 4 == 1 -> 1,5,9,...,29 (8 findings) */
    const char *crit = "{\"ecrImageTags\":[{\"comparison\":\"EQUALS\",\"value\":\"t1\"}]}";
    size_t n = walk(db, crit, "{\"field\":\"VULNERABILITY_ID\",\"sortOrder\":\"ASC\"}", 3, ids);
    assert_int_equal(n, 8);
    for (size_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof(want), "CVE-2024-%04zu", 1 + 4 * i);
        assert_string_equal(ids[i], want);
    }
    /* SQL-only conditions: severity CRITICAL (i % 6 == 1) and repo0 (i % 3 == 0): none */
    n = walk(db,
             "{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"CRITICAL\"}],"
             "\"ecrImageRepositoryName\":[{\"comparison\":\"EQUALS\",\"value\":\"repo0\"}]}",
             NULL, 2, ids);
    assert_int_equal(n, 0);
    /* severity CRITICAL or HIGH (i % 6 in {1, 4}): 10 findings, by pages of 4 */
    n = walk(db,
             "{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"CRITICAL\"},"
             "{\"comparison\":\"EQUALS\",\"value\":\"HIGH\"}],"
             "\"vulnerabilityId\":[{\"comparison\":\"PREFIX\",\"value\":\"CVE-2024-00\"},"
             "{\"comparison\":\"NOT_EQUALS\",\"value\":\"CVE-2024-0004\"}]}",
             "{\"field\":\"VULNERABILITY_ID\",\"sortOrder\":\"DESC\"}", 4, ids);
    assert_int_equal(n, 9);
    assert_string_equal(ids[0], "CVE-2024-0028");
    assert_string_equal(ids[8], "CVE-2024-0001");
    /* mixed SQL + C + dates: updatedAt >= 1700000020 and tag t0 -> 20, 24, 28 */
    n = walk(db,
             "{\"updatedAt\":[{\"startInclusive\":1700000020}],"
             "\"ecrImageTags\":[{\"comparison\":\"EQUALS\",\"value\":\"t0\"}],"
             "\"inspectorScore\":[{\"lowerInclusive\":0}]}",
             NULL, 1, ids);
    assert_int_equal(n, 3);
    assert_string_equal(ids[0], "CVE-2024-0028");
    assert_string_equal(ids[2], "CVE-2024-0020");
}

static void test_tokens_and_errors(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    const char *crit = "{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"LOW\"}]}";
    json_t *p = list(db, NULL, NULL, 2, NULL, 0, &err);
    const char *tok = json_string_value(json_object_get(p, "nextToken"));
    assert_non_null(tok);
    /* a token of another listing */
    json_t *x = list(db, crit, NULL, 2, tok, DD_EINVALID, &err);
    assert_null(x);
    assert_memory_equal(err.msg, "nextToken:", 10);
    x = list(db, NULL, "{\"field\":\"SEVERITY\",\"sortOrder\":\"ASC\"}", 2, tok, DD_EINVALID, &err);
    assert_null(x);
    /* the same token again continues the same listing (stable) */
    json_t *a = list(db, NULL, NULL, 2, tok, 0, &err);
    json_t *b = list(db, NULL, NULL, 2, tok, 0, &err);
    assert_true(json_equal(a, b));
    json_decref(a);
    json_decref(b);
    json_decref(p);
    x = list(db, NULL, NULL, 2, "not-a-token!", DD_EINVALID, &err);
    assert_memory_equal(err.msg, "nextToken:", 10);
    x = list(db, NULL, NULL, 2, "eyJvIjotMSwiaCI6IngifQ", DD_EINVALID, &err);
    x = list(db, NULL, NULL, 101, NULL, DD_EINVALID, &err);
    assert_memory_equal(err.msg, "maxResults:", 11);
    x = list(db, NULL, "{\"field\":\"COLOR\",\"sortOrder\":\"ASC\"}", 2, NULL, DD_EINVALID, &err);
    assert_memory_equal(err.msg, "sortCriteria.field:", 19);
    x = list(db, NULL, "{\"field\":\"SEVERITY\",\"sortOrder\":\"UP\"}", 2, NULL, DD_EINVALID, &err);
    assert_memory_equal(err.msg, "sortCriteria.sortOrder:", 23);
    x = list(db, "{\"severity\":[{\"comparison\":\"IS\",\"value\":\"LOW\"}]}", NULL, 2, NULL,
             DD_EINVALID, &err);
    assert_memory_equal(err.msg, "filterCriteria.severity", 23);
    (void)x;
}

static void test_details(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    json_t *f = tf_finding("repo0", "img0", "CVE-2024-0000", "LOW", 0, 1700000000.0);
    const char *missing = "arn:aws:inspector2:us-east-1:123456789012:finding/"
                          "00000000000000000000000000000000";
    json_t *arns = json_pack("[O, s]", json_object_get(f, "findingArn"), missing);
    json_t *out = NULL;
    dd_sql_conn *c = dd_sql_acquire(db->sql);
    assert_int_equal(dd_findings_details(c, arns, &out, &err), 0);
    json_t *d = json_object_get(out, "findingDetails");
    assert_int_equal(json_array_size(d), 1);
    assert_true(json_equal(json_object_get(json_array_get(d, 0), "findingArn"),
                           json_object_get(f, "findingArn")));
    json_t *e = json_object_get(out, "errors");
    assert_int_equal(json_array_size(e), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(e, 0), "errorCode")),
                        "FINDING_DETAILS_NOT_FOUND");
    json_decref(out);
    json_t *none = json_array();
    assert_int_equal(dd_findings_details(c, none, &out, &err), DD_EINVALID);
    dd_sql_release(db->sql, c);
    json_decref(none);
    json_decref(arns);
    json_decref(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_order_and_pages),
        cmocka_unit_test(test_sorts),
        cmocka_unit_test(test_paging_residual),
        cmocka_unit_test(test_tokens_and_errors),
        cmocka_unit_test(test_details),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
