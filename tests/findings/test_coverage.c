/* Tests for ListCoverage and ListCoverageStatistics (src/findings/coverage.c) over scan records
 * inserted directly: repository and image resources, the status mapping of spec 4.4, filters,
 * paging that never repeats a token, grouping, and nothing under BASIC scanning. */
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

static int setup(void **state)
{
    tf_db *db = tf_open();
    tf_exec(db,
            "CREATE TABLE repositories (id INTEGER PRIMARY KEY, name TEXT, created_at INTEGER);"
            "CREATE TABLE manifests (repo_id INTEGER, digest TEXT, media_type TEXT, size INTEGER,"
            " pushed_at INTEGER, last_pulled_at INTEGER);"
            "CREATE TABLE tags (repo_id INTEGER, name TEXT, digest TEXT);"
            "CREATE TABLE scan_repos (repo TEXT PRIMARY KEY, scan_on_push INTEGER,"
            " frequency TEXT, created_at INTEGER);"
            "CREATE TABLE scan_images (repo TEXT, digest TEXT, scan_type TEXT, status TEXT,"
            " description TEXT, reason TEXT, last_scanned_at INTEGER);"
            "INSERT INTO repositories VALUES (1, 'api', 0), (2, 'web', 0), (3, 'old', 0);"
            "INSERT INTO scan_repos VALUES ('api', 0, 'CONTINUOUS_SCAN', 0),"
            " ('web', 0, 'SCAN_ON_PUSH', 0), ('old', 0, 'MANUAL', 0);"
            "INSERT INTO manifests VALUES (1, 'sha256:a1', 'x', 1, 0, 1700000000000),"
            " (1, 'sha256:a2', 'x', 1, 0, NULL), (2, 'sha256:w1', 'x', 1, 0, NULL);"
            "INSERT INTO tags VALUES (1, 'latest', 'sha256:a1'), (1, 'v1', 'sha256:a1'),"
            " (2, 'prod', 'sha256:w1');"
            "INSERT INTO scan_images VALUES"
            " ('api', 'sha256:a1', 'ENHANCED', 'ACTIVE', '', 'SUCCESSFUL', 1700000500000),"
            " ('api', 'sha256:a2', 'ENHANCED', 'PENDING', '', NULL, NULL),"
            " ('web', 'sha256:w1', 'ENHANCED', 'COMPLETE', '', 'SCAN_FREQUENCY_SCAN_ON_PUSH',"
            "  1700000600000),"
            " ('web', 'sha256:w1', 'BASIC', 'COMPLETE', '', NULL, 1),"
            " ('old', 'sha256:o1', 'ENHANCED', 'SCAN_ELIGIBILITY_EXPIRED', '', NULL, NULL);");
    *state = db;
    return 0;
}

static int teardown(void **state)
{
    tf_close(*state);
    return 0;
}

static const dd_coverage_env ENV = {TF_ACCOUNT, TF_REGION, true};

static json_t *cov(tf_db *db, const dd_coverage_env *env, const char *req, int want, dd_err *err)
{
    json_t *r = json_loads(req, 0, NULL);
    json_t *out = NULL;
    dd_sql_conn *c = dd_sql_acquire(db->sql);
    int rc = dd_coverage_list(c, env, r, &out, err);
    dd_sql_release(db->sql, c);
    json_decref(r);
    if (rc != want)
        fail_msg("%s: rc %d (%s)", req, rc, err->msg);
    return out;
}

static const json_t *res(const json_t *out, size_t i)
{
    return json_array_get(json_object_get(out, "coveredResources"), i);
}

static const char *status_code(const json_t *r)
{
    return json_string_value(json_object_get(json_object_get(r, "scanStatus"), "statusCode"));
}

static const char *reason(const json_t *r)
{
    return json_string_value(json_object_get(json_object_get(r, "scanStatus"), "reason"));
}

static void test_list(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    json_t *out = cov(db, &ENV, "{}", 0, &err);
    assert_int_equal(json_array_size(json_object_get(out, "coveredResources")), 7);
    assert_null(json_object_get(out, "nextToken"));
    /* repositories first, by name */
    const json_t *r0 = res(out, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "resourceType")),
                        "AWS_ECR_REPOSITORY");
    assert_string_equal(json_string_value(json_object_get(r0, "resourceId")),
                        "arn:aws:ecr:us-east-1:123456789012:repository/api");
    assert_string_equal(json_string_value(json_object_get(r0, "scanType")), "PACKAGE");
    assert_string_equal(
        json_string_value(json_object_get(
            json_object_get(json_object_get(r0, "resourceMetadata"), "ecrRepository"),
            "scanFrequency")),
        "CONTINUOUS_SCAN");
    assert_string_equal(status_code(r0), "ACTIVE");
    assert_true(json_is_number(json_object_get(r0, "lastScannedAt")));
    const json_t *r1 = res(out, 1); /* old: MANUAL */
    assert_string_equal(status_code(r1), "INACTIVE");
    assert_string_equal(reason(r1), "SCAN_FREQUENCY_MANUAL");
    /* images */
    const json_t *a1 = res(out, 3);
    assert_string_equal(json_string_value(json_object_get(a1, "resourceId")),
                        "arn:aws:ecr:us-east-1:123456789012:repository/api/sha256:a1");
    assert_string_equal(status_code(a1), "ACTIVE");
    assert_string_equal(reason(a1), "SUCCESSFUL");
    const json_t *meta = json_object_get(json_object_get(a1, "resourceMetadata"), "ecrImage");
    assert_int_equal(json_array_size(json_object_get(meta, "tags")), 2);
    assert_true(json_number_value(json_object_get(meta, "imagePulledAt")) == 1700000000.0);
    assert_true(json_number_value(json_object_get(a1, "lastScannedAt")) == 1700000500.0);
    const json_t *a2 = res(out, 4); /* PENDING without reason -> derived */
    assert_string_equal(reason(a2), "PENDING_INITIAL_SCAN");
    assert_string_equal(status_code(a2), "ACTIVE");
    assert_null(json_object_get(a2, "lastScannedAt"));
    const json_t *o1 = res(out, 5);
    assert_string_equal(reason(o1), "SCAN_ELIGIBILITY_EXPIRED");
    assert_string_equal(status_code(o1), "INACTIVE");
    const json_t *w1 = res(out, 6);
    assert_string_equal(reason(w1), "SCAN_FREQUENCY_SCAN_ON_PUSH");
    assert_string_equal(status_code(w1), "INACTIVE");
    json_decref(out);
    /* BASIC: nothing covered */
    dd_coverage_env basic = {TF_ACCOUNT, TF_REGION, false};
    out = cov(db, &basic, "{}", 0, &err);
    assert_int_equal(json_array_size(json_object_get(out, "coveredResources")), 0);
    json_decref(out);
}

static void test_filters(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    struct {
        const char *req;
        size_t n;
    } cases[] = {
        {"{\"filterCriteria\":{\"resourceType\":[{\"comparison\":\"EQUALS\",\"value\":"
         "\"AWS_ECR_CONTAINER_IMAGE\"}]}}",
         4},
        {"{\"filterCriteria\":{\"scanStatusCode\":[{\"comparison\":\"NOT_EQUALS\",\"value\":"
         "\"ACTIVE\"}]}}",
         3},
        {"{\"filterCriteria\":{\"ecrRepositoryName\":[{\"comparison\":\"EQUALS\",\"value\":"
         "\"api\"}],\"resourceType\":[{\"comparison\":\"EQUALS\",\"value\":"
         "\"AWS_ECR_CONTAINER_IMAGE\"}]}}",
         2},
        {"{\"filterCriteria\":{\"ecrImageTags\":[{\"comparison\":\"EQUALS\",\"value\":\"v1\"}]}}",
         1},
        {"{\"filterCriteria\":{\"imagePulledAt\":[{\"startInclusive\":1700000000,"
         "\"endInclusive\":1700000000}]}}",
         1},
        {"{\"filterCriteria\":{\"lastScannedAt\":[{\"startInclusive\":1700000550}]}}", 2},
        {"{\"filterCriteria\":{\"scanStatusReason\":[{\"comparison\":\"EQUALS\",\"value\":"
         "\"SUCCESSFUL\"},{\"comparison\":\"EQUALS\",\"value\":\"PENDING_INITIAL_SCAN\"}]}}",
         4},
        {"{\"filterCriteria\":{\"accountId\":[{\"comparison\":\"EQUALS\",\"value\":"
         "\"000000000000\"}]}}",
         0},
        {"{\"filterCriteria\":{\"lambdaFunctionName\":[{\"comparison\":\"EQUALS\",\"value\":"
         "\"f\"}]}}",
         0},
        {"{\"filterCriteria\":{\"ec2InstanceTags\":[{\"comparison\":\"EQUALS\",\"key\":\"k\","
         "\"value\":\"v\"}]}}",
         0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *out = cov(db, &ENV, cases[i].req, 0, &err);
        size_t n = json_array_size(json_object_get(out, "coveredResources"));
        if (n != cases[i].n)
            fail_msg("%s: %zu resources, want %zu", cases[i].req, n, cases[i].n);
        json_decref(out);
    }
    cov(db, &ENV,
        "{\"filterCriteria\":{\"scanStatusCode\":[{\"comparison\":\"PREFIX\","
        "\"value\":\"A\"}]}}",
        DD_EINVALID, &err);
    assert_memory_equal(err.msg, "filterCriteria.scanStatusCode", 29);
    cov(db, &ENV, "{\"maxResults\":201}", DD_EINVALID, &err);
}

static void test_paging(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    char seen[8][256];
    size_t n = 0, pages = 0;
    char prev_tok[256] = "";
    char req[512] = "{\"maxResults\":2}";
    for (;;) {
        json_t *out = cov(db, &ENV, req, 0, &err);
        json_t *l = json_object_get(out, "coveredResources");
        for (size_t i = 0; i < json_array_size(l); i++) {
            const char *id = json_string_value(json_object_get(json_array_get(l, i), "resourceId"));
            for (size_t k = 0; k < n; k++)
                assert_string_not_equal(seen[k], id);
            snprintf(seen[n++], 256, "%s", id);
        }
        pages++;
        const char *tok = json_string_value(json_object_get(out, "nextToken"));
        if (tok == NULL) {
            json_decref(out);
            break;
        }
        assert_string_not_equal(tok, prev_tok);
        snprintf(prev_tok, sizeof(prev_tok), "%s", tok);
        snprintf(req, sizeof(req), "{\"maxResults\":2,\"nextToken\":\"%s\"}", tok);
        json_decref(out);
    }
    assert_int_equal(n, 7);
    assert_int_equal(pages, 4);
    /* a token for other criteria */
    snprintf(req, sizeof(req),
             "{\"nextToken\":\"%s\",\"filterCriteria\":{\"scanType\":[{\"comparison\":\"EQUALS\","
             "\"value\":\"PACKAGE\"}]}}",
             prev_tok);
    cov(db, &ENV, req, DD_EINVALID, &err);
    assert_memory_equal(err.msg, "nextToken:", 10);
}

static void test_statistics(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *c = dd_sql_acquire(db->sql);
    json_t *r = json_pack("{s:s}", "groupBy", "SCAN_STATUS_CODE");
    json_t *out = NULL;
    assert_int_equal(dd_coverage_statistics(c, &ENV, r, &out, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "totalCounts")), 7);
    json_t *g = json_object_get(out, "countsByGroup");
    assert_int_equal(json_array_size(g), 2);
    int64_t sum = 0;
    for (size_t i = 0; i < 2; i++) {
        assert_string_equal(json_string_value(json_object_get(json_array_get(g, i), "groupKey")),
                            "SCAN_STATUS_CODE");
        sum += json_integer_value(json_object_get(json_array_get(g, i), "count"));
    }
    assert_int_equal(sum, 7);
    json_decref(out);
    json_decref(r);
    r = json_pack("{s:{s:[{s:s, s:s}]}}", "filterCriteria", "resourceType", "comparison", "EQUALS",
                  "value", "AWS_ECR_REPOSITORY");
    assert_int_equal(dd_coverage_statistics(c, &ENV, r, &out, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(out, "totalCounts")), 3);
    assert_null(json_object_get(out, "countsByGroup"));
    json_decref(out);
    json_decref(r);
    r = json_pack("{s:s}", "groupBy", "COLOR");
    assert_int_equal(dd_coverage_statistics(c, &ENV, r, &out, &err), DD_EINVALID);
    json_decref(r);
    dd_sql_release(db->sql, c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_paging),
        cmocka_unit_test(test_statistics),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
