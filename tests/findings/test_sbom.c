/* Tests for the exports (src/findings/sbom.c): SBOM files per matching image in CycloneDX and SPDX
 * under DATA/exports/<bucket>/<prefix>/<repo>/, NO_FINDINGS_FOUND when nothing matches, path
 * checks on the destination, Get/Cancel, and findings reports in JSON and CSV. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "findings/findings.h"
#include "scanning/scanning.h"
#include "util/alloc.h"

typedef struct fx {
    tf_db *db;
    int calls;
} fx;

static int fake_inventory(void *ctx, const char *repo, const char *digest,
                          struct dd_stored_inventory *out, dd_err *err)
{
    fx *f = ctx;
    (void)err;
    memset(out, 0, sizeof(*out));
    f->calls++;
    if (strcmp(repo, "never") == 0)
        return DD_ENOTFOUND;
    (void)digest;
    out->platform = dd_strdup("linux/amd64");
    assert_int_equal(dd_strlist_push_str(&out->layers, "sha256:l1"), 0);
    out->scanned_at_ms = 1700000000000LL;
    return 0;
}

static void fake_free(void *ctx, struct dd_stored_inventory *si)
{
    (void)ctx;
    dd_stored_inventory_free(si);
}

static int setup(void **state)
{
    fx *f = dd_calloc(1, sizeof(*f));
    f->db = tf_open();
    tf_exec(f->db, "CREATE TABLE repositories (id INTEGER PRIMARY KEY, name TEXT);"
                   "CREATE TABLE tags (repo_id INTEGER, name TEXT, digest TEXT);"
                   "CREATE TABLE scan_images (repo TEXT, digest TEXT, scan_type TEXT);"
                   "INSERT INTO repositories VALUES (1, 'team/api'), (2, 'never');"
                   "INSERT INTO tags VALUES (1, 'latest', 'sha256:aa');"
                   "INSERT INTO scan_images VALUES ('team/api', 'sha256:aa', 'ENHANCED'),"
                   " ('team/api', 'sha256:bb', 'ENHANCED'), ('team/api', 'sha256:bb', 'BASIC'),"
                   " ('never', 'sha256:cc', 'ENHANCED');");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    tf_close(f->db);
    dd_free(f);
    return 0;
}

static dd_export_env env_of(fx *f)
{
    dd_export_env e = {0};
    e.account = TF_ACCOUNT;
    e.region = TF_REGION;
    e.data_dir = f->db->dir;
    e.enhanced = true;
    e.inventory = fake_inventory;
    e.inventory_free = fake_free;
    e.inventory_ctx = f;
    e.now_ms = 1800000000000LL;
    return e;
}

static char *sbom(fx *f, const char *req, int want, dd_err *err)
{
    json_t *r = json_loads(req, 0, NULL);
    assert_non_null(r);
    dd_export_env e = env_of(f);
    char *id = NULL;
    int rc = dd_sbom_export_create(f->db->sql, &e, r, &id, err);
    json_decref(r);
    if (rc != want)
        fail_msg("%s: rc %d (%s)", req, rc, err->msg);
    return id;
}

static json_t *get(fx *f, const char *id, bool report)
{
    dd_err err = DD_ERR_INIT;
    json_t *out = NULL;
    dd_sql_conn *c = dd_sql_acquire(f->db->sql);
    int rc = report ? dd_findings_report_get(c, TF_ACCOUNT, id, &out, &err)
                    : dd_sbom_export_get(c, TF_ACCOUNT, id, &out, &err);
    dd_sql_release(f->db->sql, c);
    assert_int_equal(rc, 0);
    return out;
}

static bool exists(fx *f, const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", f->db->dir, rel);
    return access(p, F_OK) == 0;
}

static json_t *load(fx *f, const char *rel)
{
    char p[512];
    snprintf(p, sizeof(p), "%s/%s", f->db->dir, rel);
    return json_load_file(p, 0, NULL);
}

static void test_sbom_export(void **state)
{
    fx *f = *state;
    dd_err err = DD_ERR_INIT;
    char *id = sbom(f,
                    "{\"reportFormat\":\"CYCLONEDX_1_4\",\"s3Destination\":{\"bucketName\":\"b1\","
                    "\"keyPrefix\":\"/sboms//x/\",\"kmsKeyArn\":\"arn:aws:kms:k\"}}",
                    0, &err);
    json_t *g = get(f, id, false);
    assert_string_equal(json_string_value(json_object_get(g, "status")), "SUCCEEDED");
    assert_string_equal(json_string_value(json_object_get(g, "format")), "CYCLONEDX_1_4");
    assert_string_equal(json_string_value(json_object_get(g, "reportId")), id);
    assert_non_null(json_object_get(g, "s3Destination"));
    json_decref(g);
    /* both team/api images, not the never-inventoried one */
    json_t *doc = load(f, "exports/b1/sboms/x/team/api/aa.cdx.json");
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "bomFormat")), "CycloneDX");
    json_decref(doc);
    assert_true(exists(f, "exports/b1/sboms/x/team/api/bb.cdx.json"));
    assert_false(exists(f, "exports/b1/sboms/x/never"));
    /* cancelling a finished export leaves it as it is */
    dd_sql_conn *c = dd_sql_acquire(f->db->sql);
    assert_int_equal(dd_sbom_export_cancel(c, TF_ACCOUNT, id, 1, &err), 0);
    assert_int_equal(dd_sbom_export_cancel(c, TF_ACCOUNT, "nope", 1, &err), DD_ENOTFOUND);
    json_t *out = NULL;
    assert_int_equal(dd_sbom_export_get(c, "210987654321", id, &out, &err), DD_ENOTFOUND);
    dd_sql_release(f->db->sql, c);
    g = get(f, id, false);
    assert_string_equal(json_string_value(json_object_get(g, "status")), "SUCCEEDED");
    json_decref(g);
    dd_free(id);

    /* SPDX with a tag filter */
    id = sbom(f,
              "{\"reportFormat\":\"SPDX_2_3\",\"resourceFilterCriteria\":{\"ecrImageTags\":"
              "[{\"comparison\":\"EQUALS\",\"value\":\"latest\"}]},"
              "\"s3Destination\":{\"bucketName\":\"b2\",\"kmsKeyArn\":\"k\"}}",
              0, &err);
    doc = load(f, "exports/b2/team/api/aa.spdx.json");
    assert_non_null(doc);
    assert_string_equal(json_string_value(json_object_get(doc, "spdxVersion")), "SPDX-2.3");
    json_decref(doc);
    assert_false(exists(f, "exports/b2/team/api/bb.spdx.json"));
    g = get(f, id, false);
    assert_non_null(json_object_get(g, "filterCriteria"));
    json_decref(g);
    dd_free(id);

    /* nothing matches */
    id = sbom(f,
              "{\"reportFormat\":\"SPDX_2_3\",\"resourceFilterCriteria\":{\"ecrRepositoryName\":"
              "[{\"comparison\":\"EQUALS\",\"value\":\"zzz\"}]},"
              "\"s3Destination\":{\"bucketName\":\"b3\",\"kmsKeyArn\":\"k\"}}",
              0, &err);
    g = get(f, id, false);
    assert_string_equal(json_string_value(json_object_get(g, "status")), "FAILED");
    assert_string_equal(json_string_value(json_object_get(g, "errorCode")), "NO_FINDINGS_FOUND");
    json_decref(g);
    dd_free(id);
}

static void test_bad_destinations(void **state)
{
    fx *f = *state;
    dd_err err = DD_ERR_INIT;
    const char *bad[] = {
        "{\"reportFormat\":\"CYCLONEDX_1_5\",\"s3Destination\":{\"bucketName\":\"b\","
        "\"kmsKeyArn\":\"k\"}}",
        "{\"reportFormat\":\"SPDX_2_3\"}",
        "{\"reportFormat\":\"SPDX_2_3\",\"s3Destination\":{\"bucketName\":\"..\","
        "\"kmsKeyArn\":\"k\"}}",
        "{\"reportFormat\":\"SPDX_2_3\",\"s3Destination\":{\"bucketName\":\"a/b\","
        "\"kmsKeyArn\":\"k\"}}",
        "{\"reportFormat\":\"SPDX_2_3\",\"s3Destination\":{\"bucketName\":\"b\","
        "\"keyPrefix\":\"x/../../etc\",\"kmsKeyArn\":\"k\"}}",
        "{\"reportFormat\":\"SPDX_2_3\",\"s3Destination\":{\"bucketName\":\"b\"}}",
        "{\"reportFormat\":\"SPDX_2_3\",\"s3Destination\":{\"bucketName\":\"b\","
        "\"kmsKeyArn\":\"k\"},\"resourceFilterCriteria\":{\"ecrImageTags\":[{\"comparison\":"
        "\"PREFIX\",\"value\":\"x\"}]}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *id = sbom(f, bad[i], DD_EINVALID, &err);
        assert_null(id);
    }
    assert_int_equal(f->calls, 0);
    assert_int_equal(tf_int(f->db, "SELECT count(*) FROM sbom_exports", NULL), 0);
}

static void test_findings_report(void **state)
{
    fx *f = *state;
    dd_err err = DD_ERR_INIT;
    for (int i = 0; i < 3; i++) {
        char vuln[16];
        snprintf(vuln, sizeof(vuln), "CVE-%d", i);
        json_t *d = tf_finding("team/api", "aa", vuln, i == 0 ? "HIGH" : "LOW", 1, 1.7e9 + i);
        if (i == 2)
            json_object_set_new(d, "title", json_string("=cmd() \"quoted\""));
        tf_put(f->db, d);
        json_decref(d);
    }
    dd_export_env e = env_of(f);
    const char *formats[] = {"JSON", "CSV"};
    for (int k = 0; k < 2; k++) {
        char req[256];
        snprintf(req, sizeof(req),
                 "{\"reportFormat\":\"%s\",\"filterCriteria\":{\"severity\":[{\"comparison\":"
                 "\"EQUALS\",\"value\":\"LOW\"}]},\"s3Destination\":{\"bucketName\":\"r\","
                 "\"kmsKeyArn\":\"k\"}}",
                 formats[k]);
        json_t *r = json_loads(req, 0, NULL);
        char *id = NULL;
        dd_sql_conn *c = dd_sql_acquire(f->db->sql);
        assert_int_equal(dd_findings_report_create(c, &e, r, &id, &err), 0);
        dd_sql_release(f->db->sql, c);
        json_decref(r);
        json_t *g = get(f, id, true);
        assert_string_equal(json_string_value(json_object_get(g, "status")), "SUCCEEDED");
        assert_non_null(json_object_get(g, "destination"));
        json_decref(g);
        char rel[128];
        snprintf(rel, sizeof(rel), "exports/r/%s.%s", id, k == 0 ? "json" : "csv");
        if (k == 0) {
            json_t *doc = load(f, rel);
            assert_int_equal(json_array_size(json_object_get(doc, "findings")), 2);
            json_decref(doc);
        } else {
            char p[512], line[4096];
            snprintf(p, sizeof(p), "%s/%s", f->db->dir, rel);
            FILE *fp = fopen(p, "r");
            assert_non_null(fp);
            int lines = 0;
            bool escaped = false;
            while (fgets(line, sizeof(line), fp) != NULL) {
                lines++;
                if (strstr(line, "\"'=cmd() \"\"quoted\"\"\"") != NULL)
                    escaped = true;
            }
            fclose(fp);
            assert_int_equal(lines, 3);
            assert_true(escaped);
        }
        dd_free(id);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sbom_export, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_destinations, setup, teardown),
        cmocka_unit_test_setup_teardown(test_findings_report, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
