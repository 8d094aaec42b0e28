/* Tests of the nodejs-security-wg importer: every advisory of the real vuln/npm directory,
 * checked against a jansson read of the same file (ids, module, one OSV range per "||"
 * alternative), plus conversions of npm range forms to OSV SEMVER events. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vulndb/import.h"

#define DIR_REL "vulndb/nodejs-security-wg/npm"

typedef struct got {
    int n, n_warn;
    char id[128], pkg[256], eco[32], ranges[8192], summary[512];
    size_t n_aliases, n_sev;
    char alias0[128];
    int64_t published;
    dd_fix_state st;
} got;

static void cp(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static int put(void *ctx, const dd_advisory *a, dd_err *err)
{
    (void)err;
    got *g = ctx;
    g->n++;
    cp(g->id, sizeof(g->id), a->id);
    cp(g->summary, sizeof(g->summary), a->summary);
    g->n_aliases = a->aliases.n;
    cp(g->alias0, sizeof(g->alias0), a->aliases.n ? a->aliases.items[0] : NULL);
    g->n_sev = a->n_severities;
    g->published = a->published_ms;
    assert_int_equal(a->n_affected, 1);
    cp(g->pkg, sizeof(g->pkg), a->affected[0].package);
    cp(g->eco, sizeof(g->eco), a->affected[0].ecosystem);
    cp(g->ranges, sizeof(g->ranges), a->affected[0].ranges_json);
    g->st = a->affected[0].fix_state;
    return 0;
}

static void warn_cb(void *ctx, const char *path, const char *msg)
{
    (void)path;
    (void)msg;
    ((got *)ctx)->n_warn++;
}

static int run(const char *doc, size_t len, got *g)
{
    memset(g, 0, sizeof(*g));
    dd_import_sink sink = {put, warn_cb, g};
    dd_err err = DD_ERR_INIT;
    return dd_importer_nodejs_wg.import((const uint8_t *)doc, len, "x.json", &sink, &err);
}

static size_t count_str(const char *h, const char *n)
{
    size_t c = 0;
    for (const char *p = strstr(h, n); p; p = strstr(p + 1, n))
        c++;
    return c;
}

static void test_real_directory(void **state)
{
    (void)state;
    char dpath[1024];
    snprintf(dpath, sizeof(dpath), "%s/%s", DD_FIXTURES, DIR_REL);
    DIR *d = opendir(dpath);
    assert_non_null(d);
    struct dirent *e;
    size_t files = 0, imported = 0, skipped = 0;
    while ((e = readdir(d)) != NULL) {
        size_t nl = strlen(e->d_name);
        if (nl < 5 || strcmp(e->d_name + nl - 5, ".json") != 0)
            continue;
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dpath, e->d_name);
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        static char buf[1 << 20];
        size_t len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        int det = dd_importer_nodejs_wg.detect(path, (const uint8_t *)buf, len > 4096 ? 4096 : len);
        if (strcmp(e->d_name, "index.json") == 0) {
            assert_false(det);
            continue;
        }
        assert_true(det);
        files++;
        got g;
        assert_int_equal(run(buf, len, &g), 0);
        /* Independent read. */
        json_t *root = json_loadb(buf, len, 0, NULL);
        assert_non_null(root);
        json_t *cves = json_object_get(root, "cves");
        char want_id[128];
        if (json_array_size(cves) > 0)
            cp(want_id, sizeof(want_id), json_string_value(json_array_get(cves, 0)));
        else
            snprintf(want_id, sizeof(want_id), "NSWG-ECO-%lld",
                     (long long)json_integer_value(json_object_get(root, "id")));
        const char *vv = json_string_value(json_object_get(root, "vulnerable_versions"));
        if (g.n == 0) {
            skipped++;
            assert_int_equal(g.n_warn, 1);
            printf("skipped %s: vulnerable_versions \"%s\"\n", e->d_name, vv);
            json_decref(root);
            continue;
        }
        imported++;
        assert_string_equal(g.id, want_id);
        assert_int_equal(g.n_aliases, json_array_size(cves)); /* other CVEs + NSWG-ECO-<id> */
        assert_string_equal(g.pkg, json_string_value(json_object_get(root, "module_name")));
        assert_string_equal(g.eco, "npm");
        assert_string_equal(g.summary, json_string_value(json_object_get(root, "title")));
        assert_int_equal(count_str(g.ranges, "\"type\":\"SEMVER\""), count_str(vv, "||") + 1);
        assert_int_equal(count_str(g.ranges, "\"introduced\""), count_str(vv, "||") + 1);
        if (g.published <= 0)
            fprintf(stderr, "%s: published %lld\n", e->d_name, (long long)g.published);
        assert_true(g.published > 0);
        const char *vec = json_string_value(json_object_get(root, "cvss_vector"));
        assert_int_equal(g.n_sev, vec && vec[0] ? 1 : 0);
        json_decref(root);
    }
    closedir(d);
    printf("nodejs-security-wg: %zu files, %zu imported and agree, %zu skipped\n", files, imported,
           skipped);
    assert_int_equal(files, imported + skipped);
    assert_true(skipped <= 2);
}

static void test_spot_checks(void **state)
{
    (void)state;
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s/101.json", DD_FIXTURES, DIR_REL);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char buf[8192];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    got g;
    assert_int_equal(run(buf, len, &g), 0);
    /* 101.json: marked, "<=0.3.5", no CVE. */
    assert_string_equal(g.id, "NSWG-ECO-101");
    assert_string_equal(g.pkg, "marked");
    assert_string_equal(g.ranges, "[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"},"
                                  "{\"last_affected\":\"0.3.5\"}]}]");
    assert_int_equal(g.st, DD_FIX_UNKNOWN);
    int64_t ms;
    assert_int_equal(dd_import_parse_time("2016-04-18", &ms), 0);
    assert_true(g.published == ms);
}

/* vulnerable_versions -> expected ranges JSON (NULL: refused). */
static void check_range(const char *vv, const char *want)
{
    char doc[2048];
    snprintf(doc, sizeof(doc),
             "{\"id\":7,\"module_name\":\"m\",\"cves\":[\"CVE-1\",\"CVE-2\"],"
             "\"vulnerable_versions\":\"%s\"}",
             vv);
    got g;
    assert_int_equal(run(doc, strlen(doc), &g), 0);
    if (want == NULL) {
        if (g.n != 0)
            fprintf(stderr, "accepted %s as %s\n", vv, g.ranges);
        assert_int_equal(g.n, 0);
        assert_int_equal(g.n_warn, 1);
        return;
    }
    assert_int_equal(g.n, 1);
    assert_string_equal(g.id, "CVE-1");
    assert_string_equal(g.alias0, "CVE-2");
    char full[4096];
    snprintf(full, sizeof(full), "[%s]", want);
    if (strcmp(g.ranges, full) != 0)
        fprintf(stderr, "%s -> %s\n", vv, g.ranges);
    assert_string_equal(g.ranges, full);
}

#define R(ev) "{\"type\":\"SEMVER\",\"events\":[" ev "]}"
#define I(v) "{\"introduced\":\"" v "\"}"
#define F(v) ",{\"fixed\":\"" v "\"}"
#define L(v) ",{\"last_affected\":\"" v "\"}"

static void test_range_forms(void **state)
{
    (void)state;
    check_range("<4.17.5", R(I("0") F("4.17.5")));
    check_range("<= 1.2.3", R(I("0") L("1.2.3")));
    check_range(">=1.0.0 <1.2.3 || >=2.0.0 <2.0.4",
                R(I("1.0.0") F("1.2.3")) "," R(I("2.0.0") F("2.0.4")));
    check_range(">= 1.0.0 < 2.0.0", R(I("1.0.0") F("2.0.0")));
    check_range("*", R(I("0")));
    check_range("1.2.3", R(I("1.2.3") L("1.2.3")));
    check_range("=1.0.0-rc.1", R(I("1.0.0-rc.1") L("1.0.0-rc.1")));
    check_range("1.2.x || 2.x", R(I("1.2.0") F("1.3.0-0")) "," R(I("2.0.0") F("3.0.0-0")));
    check_range("1.2.3 - 2.3.4", R(I("1.2.3") L("2.3.4")));
    check_range("1.2 - 2.3", R(I("1.2.0") F("2.4.0-0")));
    check_range(">1.2.3 <=2.0.0", R(I("1.2.4-0") L("2.0.0")));
    check_range(">1.2.3-beta", R(I("1.2.3-beta.0")));
    check_range("<1.2 || >= 2 <2.1", R(I("0") F("1.2.0-0")) "," R(I("2.0.0") F("2.1.0-0")));
    check_range("<=1.2", R(I("0") F("1.3.0-0")));
    check_range("~1.2.3-pre", R(I("1.2.3-pre") F("1.3.0-0")));
    check_range("^1.2.3", R(I("1.2.3") F("2.0.0-0")));
    check_range("^0.2.3", R(I("0.2.3") F("0.3.0-0")));
    check_range("^0.0.3", R(I("0.0.3") F("0.0.4-0")));
    check_range("<=v0.3.0-alpha1", R(I("0") L("0.3.0-alpha1")));
    check_range(">=1.0.0+build.1", R(I("1.0.0")));
    check_range("<1.0.0 || < 0.9.0 >0.8.0", R(I("0") F("1.0.0")) "," R(I("0.8.1-0") F("0.9.0")));
    /* unsupported or malformed */
    check_range("", NULL);
    check_range("<1 <2", NULL);
    check_range(">=1 >=2", NULL);
    check_range("1.x.3", NULL);
    check_range("abc", NULL);
    check_range("<1.0.0 ||", NULL);
    check_range("01.2.3", NULL);
    check_range("!=1.0.0", NULL);
    check_range("<*", NULL);
    check_range("1.2-pre", NULL);
    check_range("99999999999999999999.0.0", NULL);
    check_range("1.0.0-\\\"x", NULL);
}

static void test_bad_records(void **state)
{
    (void)state;
    got g;
    assert_int_equal(run("[]", 2, &g), DD_EINVALID);
    assert_int_equal(run("{\"a\":1}", 7, &g), DD_EINVALID);
    assert_int_equal(run("{", 1, &g), DD_EINVALID);
    const char *nomod = "{\"id\":1,\"module_name\":\"a b\",\"vulnerable_versions\":\"*\"}";
    assert_int_equal(run(nomod, strlen(nomod), &g), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.n_warn, 1);
    const char *noid = "{\"module_name\":\"a\",\"vulnerable_versions\":\"*\"}";
    assert_int_equal(run(noid, strlen(noid), &g), 0);
    assert_int_equal(g.n, 0);
    const char *badcve = "{\"id\":\"5\",\"module_name\":\"a\",\"vulnerable_versions\":\"<1.0.0\","
                         "\"cves\":[1,\"\"],\"cvss_vector\":\"AV:N/AC:L/Au:N/C:P/I:P/A:P\"}";
    assert_int_equal(run(badcve, strlen(badcve), &g), 0);
    assert_int_equal(g.n, 1);
    assert_string_equal(g.id, "NSWG-ECO-5");
    assert_int_equal(g.n_warn, 2);
    assert_int_equal(g.st, DD_FIX_FIXED);
    assert_false(dd_importer_nodejs_wg.detect("a/index.json", (const uint8_t *)"{}", 2));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_directory),
        cmocka_unit_test(test_spot_checks),
        cmocka_unit_test(test_range_forms),
        cmocka_unit_test(test_bad_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
