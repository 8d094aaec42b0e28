/* Tests for ListFindingAggregations (src/findings/aggregate.c): severity counts over ACTIVE
 * findings for each ECR-relevant aggregation type, per-type filters, sorting, paging tokens, the
 * union-key check and the empty answer for other resource kinds. */
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

static json_t *img_of(json_t *f)
{
    return json_object_get(
        json_object_get(json_array_get(json_object_get(f, "resources"), 0), "details"),
        "awsEcrContainerImage");
}

/* repo "a": img1 {CRITICAL, HIGH, MEDIUM(closed)}, img2 {HIGH, LOW}; repo "b": img3 {CRITICAL x2,
 * one SUPPRESSED}. Packages: openssl everywhere, plus zlib on the a/img2 LOW finding. */
static int setup(void **state)
{
    tf_db *db = tf_open();
    struct {
        const char *repo, *img, *vuln, *sev, *status, *fix, *exploit;
    } rows[] = {
        {"a", "img1", "CVE-1", "CRITICAL", "ACTIVE", "YES", "YES"},
        {"a", "img1", "CVE-2", "HIGH", "ACTIVE", "NO", "NO"},
        {"a", "img1", "CVE-3", "MEDIUM", "CLOSED", "YES", "NO"},
        {"a", "img2", "CVE-2", "HIGH", "ACTIVE", "PARTIAL", "NO"},
        {"a", "img2", "CVE-4", "LOW", "ACTIVE", "NO", "NO"},
        {"b", "img3", "CVE-1", "CRITICAL", "ACTIVE", "YES", "YES"},
        {"b", "img3", "CVE-5", "CRITICAL", "SUPPRESSED", "YES", "NO"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        json_t *f = tf_finding(rows[i].repo, rows[i].img, rows[i].vuln, rows[i].sev, 5, 1.7e9);
        json_object_set_new(f, "status", json_string(rows[i].status));
        json_object_set_new(f, "fixAvailable", json_string(rows[i].fix));
        json_object_set_new(f, "exploitAvailable", json_string(rows[i].exploit));
        if (strcmp(rows[i].img, "img2") == 0) {
            json_object_set_new(img_of(f), "imageTags", json_pack("[s, s]", "v2", "stable"));
            json_object_set_new(img_of(f), "architecture", json_string("arm64"));
        }
        if (strcmp(rows[i].vuln, "CVE-4") == 0)
            json_array_append_new(json_object_get(json_object_get(f, "packageVulnerabilityDetails"),
                                                  "vulnerablePackages"),
                                  json_pack("{s:s, s:s, s:s}", "name", "zlib", "version", "1",
                                            "sourceLayerHash", "sha256:layer2"));
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

static json_t *agg(tf_db *db, const char *req, int want_rc, dd_err *err)
{
    json_t *r = json_loads(req, 0, NULL);
    assert_non_null(r);
    json_t *out = NULL;
    dd_sql_conn *c = dd_sql_acquire(db->sql);
    int rc = dd_findings_aggregate(c, r, &out, err);
    dd_sql_release(db->sql, c);
    json_decref(r);
    if (rc != want_rc)
        fail_msg("%s: rc %d (%s)", req, rc, err->msg);
    return out;
}

static void counts(const json_t *item, int64_t all, int64_t medium, int64_t high, int64_t critical)
{
    const json_t *sc = json_object_get(item, "severityCounts");
    assert_int_equal(json_integer_value(json_object_get(sc, "all")), all);
    assert_int_equal(json_integer_value(json_object_get(sc, "medium")), medium);
    assert_int_equal(json_integer_value(json_object_get(sc, "high")), high);
    assert_int_equal(json_integer_value(json_object_get(sc, "critical")), critical);
    assert_null(json_object_get(sc, "low"));
}

static const json_t *item(const json_t *out, size_t i, const char *key)
{
    const json_t *r = json_array_get(json_object_get(out, "responses"), i);
    assert_int_equal(json_object_size(r), 1); /* a union: exactly one key */
    return json_object_get(r, key);
}

static void test_repository(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    json_t *out = agg(db, "{\"aggregationType\":\"REPOSITORY\"}", 0, &err);
    assert_string_equal(json_string_value(json_object_get(out, "aggregationType")), "REPOSITORY");
    assert_int_equal(json_array_size(json_object_get(out, "responses")), 2);
    /* default: CRITICAL descending; tie broken by name */
    const json_t *a = item(out, 0, "repositoryAggregation");
    assert_string_equal(json_string_value(json_object_get(a, "repository")), "a");
    counts(a, 4, 0, 2, 1);
    assert_int_equal(json_integer_value(json_object_get(a, "affectedImages")), 2);
    assert_string_equal(json_string_value(json_object_get(a, "accountId")), TF_ACCOUNT);
    const json_t *b = item(out, 1, "repositoryAggregation");
    counts(b, 1, 0, 0, 1);
    json_decref(out);
    out =
        agg(db,
            "{\"aggregationType\":\"REPOSITORY\",\"aggregationRequest\":{\"repositoryAggregation\":"
            "{\"sortBy\":\"ALL\",\"sortOrder\":\"ASC\"}}}",
            0, &err);
    assert_string_equal(
        json_string_value(json_object_get(item(out, 0, "repositoryAggregation"), "repository")),
        "b");
    json_decref(out);
    out =
        agg(db,
            "{\"aggregationType\":\"REPOSITORY\",\"aggregationRequest\":{\"repositoryAggregation\":"
            "{\"repositories\":[{\"comparison\":\"NOT_EQUALS\",\"value\":\"a\"}]}}}",
            0, &err);
    assert_int_equal(json_array_size(json_object_get(out, "responses")), 1);
    json_decref(out);
    /* paging: one per page */
    out = agg(db, "{\"aggregationType\":\"REPOSITORY\",\"maxResults\":1}", 0, &err);
    const char *tok = json_string_value(json_object_get(out, "nextToken"));
    assert_non_null(tok);
    char req[512];
    snprintf(req, sizeof(req),
             "{\"aggregationType\":\"REPOSITORY\",\"maxResults\":1,"
             "\"nextToken\":\"%s\"}",
             tok);
    json_t *p2 = agg(db, req, 0, &err);
    assert_string_equal(
        json_string_value(json_object_get(item(p2, 0, "repositoryAggregation"), "repository")),
        "b");
    assert_null(json_object_get(p2, "nextToken"));
    json_decref(p2);
    snprintf(req, sizeof(req), "{\"aggregationType\":\"TITLE\",\"nextToken\":\"%s\"}", tok);
    assert_null(agg(db, req, DD_EINVALID, &err));
    json_decref(out);
}

static void test_container_layer_package(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    json_t *out = agg(db, "{\"aggregationType\":\"AWS_ECR_CONTAINER\"}", 0, &err);
    assert_int_equal(json_array_size(json_object_get(out, "responses")), 3);
    json_decref(out);
    out = agg(db,
              "{\"aggregationType\":\"AWS_ECR_CONTAINER\",\"aggregationRequest\":"
              "{\"awsEcrContainerAggregation\":{\"imageTags\":[{\"comparison\":\"EQUALS\","
              "\"value\":\"stable\"}],\"architectures\":[{\"comparison\":\"EQUALS\",\"value\":"
              "\"arm64\"}]}}}",
              0, &err);
    assert_int_equal(json_array_size(json_object_get(out, "responses")), 1);
    const json_t *c = item(out, 0, "awsEcrContainerAggregation");
    counts(c, 2, 0, 1, 0);
    assert_string_equal(json_string_value(json_object_get(c, "repository")), "a");
    assert_string_equal(json_string_value(json_object_get(c, "architecture")), "arm64");
    assert_int_equal(json_array_size(json_object_get(c, "imageTags")), 2);
    assert_non_null(strstr(json_string_value(json_object_get(c, "resourceId")), ":repository/a/"));
    json_decref(out);
    out = agg(db, "{\"aggregationType\":\"PACKAGE\"}", 0, &err);
    assert_int_equal(json_array_size(json_object_get(out, "responses")), 2);
    const json_t *p0 = item(out, 0, "packageAggregation");
    assert_string_equal(json_string_value(json_object_get(p0, "packageName")), "openssl");
    counts(p0, 5, 0, 2, 2);
    counts(item(out, 1, "packageAggregation"), 1, 0, 0, 0);
    json_decref(out);
    out = agg(
        db,
        "{\"aggregationType\":\"IMAGE_LAYER\",\"aggregationRequest\":{\"imageLayerAggregation\":"
        "{\"layerHashes\":[{\"comparison\":\"EQUALS\",\"value\":\"sha256:layer2\"}]}}}",
        0, &err);
    assert_int_equal(json_array_size(json_object_get(out, "responses")), 1);
    c = item(out, 0, "imageLayerAggregation");
    assert_string_equal(json_string_value(json_object_get(c, "layerHash")), "sha256:layer2");
    counts(c, 1, 0, 0, 0);
    json_decref(out);
}

static void test_title_account_other(void **state)
{
    tf_db *db = *state;
    dd_err err = DD_ERR_INIT;
    json_t *out = agg(db,
                      "{\"aggregationType\":\"TITLE\",\"aggregationRequest\":{\"titleAggregation\":"
                      "{\"vulnerabilityIds\":[{\"comparison\":\"EQUALS\",\"value\":\"CVE-2\"}],"
                      "\"resourceType\":\"AWS_ECR_CONTAINER_IMAGE\"}}}",
                      0, &err);
    assert_int_equal(json_array_size(json_object_get(out, "responses")), 1);
    counts(item(out, 0, "titleAggregation"), 2, 0, 2, 0);
    json_decref(out);
    out = agg(db,
              "{\"aggregationType\":\"TITLE\",\"aggregationRequest\":{\"titleAggregation\":"
              "{\"resourceType\":\"AWS_LAMBDA_FUNCTION\"}}}",
              0, &err);
    assert_int_equal(json_array_size(json_object_get(out, "responses")), 0);
    json_decref(out);
    out = agg(db, "{\"aggregationType\":\"ACCOUNT\"}", 0, &err);
    const json_t *a = item(out, 0, "accountAggregation");
    counts(a, 5, 0, 2, 2);
    assert_int_equal(json_integer_value(json_object_get(a, "fixAvailableCount")), 3);
    assert_int_equal(json_integer_value(json_object_get(a, "exploitAvailableCount")), 2);
    json_decref(out);
    out = agg(db,
              "{\"aggregationType\":\"FINDING_TYPE\",\"accountIds\":[{\"comparison\":"
              "\"EQUALS\",\"value\":\"000000000000\"}]}",
              0, &err);
    assert_int_equal(json_array_size(json_object_get(out, "responses")), 0);
    json_decref(out);
    out = agg(db, "{\"aggregationType\":\"AMI\"}", 0, &err);
    assert_true(json_is_array(json_object_get(out, "responses")));
    assert_int_equal(json_array_size(json_object_get(out, "responses")), 0);
    json_decref(out);
    /* errors */
    agg(db, "{\"aggregationType\":\"REPOSITORY\",\"aggregationRequest\":{\"titleAggregation\":{}}}",
        DD_EINVALID, &err);
    assert_memory_equal(err.msg, "aggregationRequest:", 19);
    agg(db, "{\"aggregationType\":\"NOPE\"}", DD_EINVALID, &err);
    agg(db, "{}", DD_EINVALID, &err);
    agg(db, "{\"aggregationType\":\"PACKAGE\",\"maxResults\":0}", DD_EINVALID, &err);
    agg(db,
        "{\"aggregationType\":\"PACKAGE\",\"aggregationRequest\":{\"packageAggregation\":"
        "{\"sortBy\":\"AFFECTED_IMAGES\"}}}",
        DD_EINVALID, &err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_repository),
        cmocka_unit_test(test_container_layer_package),
        cmocka_unit_test(test_title_account_other),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
