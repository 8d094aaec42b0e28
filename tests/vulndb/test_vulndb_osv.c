/* OSV importers: every OSV fixture (GHSA, Go, PyPA YAML, Ubuntu, AlmaLinux, Rocky, Bitnami) is
 * imported and its advisories compared with an independent read of the same file with jansson
 * (YAML: with line counts and spot checks); plus GIT ranges, arrays, withdrawn, detection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/alloc.h"
#include "vulndb/import.h"

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FIX DD_FIXTURES "/vulndb/"

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* ---- a sink that checks each advisory against the jansson object of the same id ---------------
 */

typedef struct check_ctx {
    json_t *expect; /* array of OSV objects (JSON files); NULL for YAML */
    int n_put;
    int n_warn;
    /* copies of the last advisory's fields, for YAML spot checks */
    char id[128];
    char eco[64];
    char pkg[128];
    char versions[16384];
    size_t n_aliases;
} check_ctx;

static const char *jstr(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static int64_t jtime(const json_t *o, const char *k)
{
    const char *s = jstr(o, k);
    int64_t ms = 0;
    if (s != NULL)
        assert_int_equal(dd_import_parse_time(s, &ms), 0);
    return ms;
}

static void check_against(const dd_advisory *a, const json_t *o)
{
    assert_string_equal(a->id, jstr(o, "id"));
    const json_t *al = json_object_get(o, "aliases");
    assert_int_equal(a->aliases.n, json_array_size(al));
    for (size_t i = 0; i < a->aliases.n; i++)
        assert_string_equal(a->aliases.items[i], json_string_value(json_array_get(al, i)));
    assert_int_equal(a->related.n, json_array_size(json_object_get(o, "related")));
    if (jstr(o, "summary") != NULL)
        assert_string_equal(a->summary, jstr(o, "summary"));
    else
        assert_null(a->summary);
    if (jstr(o, "details") != NULL)
        assert_string_equal(a->details, jstr(o, "details"));
    assert_true(a->modified_ms == jtime(o, "modified"));
    assert_true(a->published_ms == jtime(o, "published"));
    assert_true(a->withdrawn_ms == jtime(o, "withdrawn"));
    /* severities: each severity[] entry, plus database_specific.severity */
    size_t n_sev = json_array_size(json_object_get(o, "severity"));
    if (json_is_string(json_object_get(json_object_get(o, "database_specific"), "severity")))
        n_sev++;
    assert_int_equal(a->n_severities, n_sev);
    for (size_t i = 0; i < json_array_size(json_object_get(o, "severity")); i++) {
        const json_t *s = json_array_get(json_object_get(o, "severity"), i);
        const char *t = jstr(s, "type");
        if (strncmp(t, "CVSS_V", 6) == 0) {
            assert_int_equal(a->severities[i].type, t[6] == '2'   ? DD_SEV_CVSS_V2
                                                    : t[6] == '3' ? DD_SEV_CVSS_V3
                                                                  : DD_SEV_CVSS_V4);
            assert_string_equal(a->severities[i].vector, jstr(s, "score"));
        } else {
            assert_int_equal(a->severities[i].type, DD_SEV_VENDOR);
            assert_string_equal(a->severities[i].rating, jstr(s, "score"));
        }
    }
    /* affected: entries with a non-GIT range or explicit versions, in order */
    size_t k = 0;
    const json_t *f;
    size_t i;
    json_array_foreach(json_object_get(o, "affected"), i, f)
    {
        const json_t *pkg = json_object_get(f, "package");
        int n_ranges = 0, fixed = 0;
        const json_t *r;
        size_t j;
        json_array_foreach(json_object_get(f, "ranges"), j, r)
        {
            if (strcmp(jstr(r, "type"), "GIT") == 0)
                continue;
            n_ranges++;
            const json_t *e;
            size_t m;
            json_array_foreach(json_object_get(r, "events"), m, e) fixed |=
                json_object_get(e, "fixed") != NULL;
        }
        size_t n_versions = json_array_size(json_object_get(f, "versions"));
        if (n_ranges == 0 && n_versions == 0)
            continue;
        assert_true(k < a->n_affected);
        const dd_affected *af = &a->affected[k++];
        assert_string_equal(af->ecosystem, jstr(pkg, "ecosystem"));
        assert_string_equal(af->package, jstr(pkg, "name"));
        assert_int_equal(af->fix_state, fixed ? DD_FIX_FIXED : DD_FIX_UNKNOWN);
        if (n_ranges > 0) {
            json_t *rj = json_loads(af->ranges_json, 0, NULL);
            assert_non_null(rj);
            assert_int_equal(json_array_size(rj), (size_t)n_ranges);
            json_decref(rj);
        } else {
            assert_null(af->ranges_json);
        }
        if (n_versions > 0) {
            json_t *vj = json_loads(af->versions_json, 0, NULL);
            assert_non_null(vj);
            assert_true(json_equal(vj, json_object_get(f, "versions")));
            json_decref(vj);
        } else {
            assert_null(af->versions_json);
        }
    }
    assert_int_equal(a->n_affected, k);
    assert_int_equal(a->references.n, json_array_size(json_object_get(o, "references")));
}

static int check_put(void *vctx, const dd_advisory *a, dd_err *err)
{
    (void)err;
    check_ctx *c = vctx;
    c->n_put++;
    snprintf(c->id, sizeof(c->id), "%s", a->id);
    c->n_aliases = a->aliases.n;
    if (a->n_affected > 0) {
        snprintf(c->eco, sizeof(c->eco), "%s", a->affected[0].ecosystem);
        snprintf(c->pkg, sizeof(c->pkg), "%s", a->affected[0].package);
        snprintf(c->versions, sizeof(c->versions), "%s",
                 a->affected[0].versions_json ? a->affected[0].versions_json : "");
    }
    if (c->expect != NULL) {
        const json_t *o;
        size_t i;
        int found = 0;
        json_array_foreach(c->expect, i, o)
        {
            if (strcmp(jstr(o, "id"), a->id) == 0) {
                check_against(a, o);
                found = 1;
            }
        }
        assert_true(found);
    }
    return 0;
}

static void count_warn(void *vctx, const char *path, const char *msg)
{
    check_ctx *c = vctx;
    c->n_warn++;
    printf("warning: %s: %s\n", path, msg);
}

/* Imports one file with the importer detect() picks and checks it. */
static void check_file(const char *path, int *n_files, int *n_adv)
{
    size_t len;
    uint8_t *buf = slurp(path, &len);
    const dd_importer *imp = NULL;
    if (dd_importer_osv_json.detect(path, buf, len < 4096 ? len : 4096))
        imp = &dd_importer_osv_json;
    else if (dd_importer_osv_yaml.detect(path, buf, len < 4096 ? len : 4096))
        imp = &dd_importer_osv_yaml;
    assert_non_null(imp);
    check_ctx c;
    memset(&c, 0, sizeof(c));
    if (imp == &dd_importer_osv_json) {
        json_t *root = json_loadb((const char *)buf, len, 0, NULL);
        assert_non_null(root);
        if (json_is_object(root)) {
            c.expect = json_array();
            json_array_append_new(c.expect, root);
        } else {
            c.expect = root;
        }
    }
    dd_import_sink sink = {check_put, count_warn, &c};
    dd_err err = DD_ERR_INIT;
    int rc = imp->import(buf, len, path, &sink, &err);
    if (rc != 0)
        printf("%s: %s\n", path, err.msg);
    assert_int_equal(rc, 0);
    if (c.expect != NULL)
        assert_int_equal((size_t)c.n_put, json_array_size(c.expect));
    else
        assert_int_equal(c.n_put, 1);
    if (imp == &dd_importer_osv_yaml) {
        /* PyPA files: the id is the file name, the package its directory (PEP 503 key). */
        const char *base = strrchr(path, '/') + 1;
        assert_memory_equal(base, c.id, strlen(c.id));
        assert_string_equal(c.eco, "PyPI");
        char dir[256];
        snprintf(dir, sizeof(dir), "%.*s", (int)(base - 1 - path), path);
        char *k1 = NULL, *k2 = NULL;
        assert_int_equal(dd_vulndb_package_key(&k1, "PyPI", strrchr(dir, '/') + 1), 0);
        assert_int_equal(dd_vulndb_package_key(&k2, "PyPI", c.pkg), 0);
        assert_string_equal(k1, k2);
        dd_free(k1);
        dd_free(k2);
        /* aliases: lines "- X" right after "aliases:" */
        const char *p = strstr((const char *)buf, "\naliases:\n");
        size_t n_al = 0;
        if (p != NULL) {
            p += strlen("\naliases:\n");
            while (strncmp(p, "- ", 2) == 0) {
                n_al++;
                p = strchr(p, '\n');
                if (p == NULL)
                    break;
                p++;
            }
        }
        assert_int_equal(c.n_aliases, n_al);
    }
    json_decref(c.expect);
    free(buf);
    (*n_files)++;
    *n_adv += c.n_put;
}

static void walk(const char *dir, int *n_files, int *n_adv)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[1024];
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        struct stat sb;
        assert_int_equal(stat(p, &sb), 0);
        if (S_ISDIR(sb.st_mode))
            walk(p, n_files, n_adv);
        else
            check_file(p, n_files, n_adv);
    }
    closedir(d);
}

static void test_fixtures(void **state)
{
    (void)state;
    static const char *const dirs[] = {"ghsa-osv",      "go-osv",    "pypi-osv",   "ubuntu-osv",
                                       "almalinux-osv", "rocky-osv", "bitnami-osv"};
    int total = 0;
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char p[512];
        int n_files = 0, n_adv = 0;
        snprintf(p, sizeof(p), "%s%s", FIX, dirs[i]);
        walk(p, &n_files, &n_adv);
        printf("%s: %d files, %d advisories agree with jansson\n", dirs[i], n_files, n_adv);
        assert_true(n_files > 0);
        total += n_files;
    }
    assert_true(total >= 33);
}

/* The zstd PyPA advisory: versions list checked against the file's own lines. */
static void test_yaml_versions(void **state)
{
    (void)state;
    const char *path = FIX "pypi-osv/zstd/PYSEC-2023-121.yaml";
    struct stat sb;
    if (stat(path, &sb) != 0)
        skip();
    size_t len;
    uint8_t *buf = slurp(path, &len);
    check_ctx c;
    memset(&c, 0, sizeof(c));
    dd_import_sink sink = {check_put, count_warn, &c};
    assert_int_equal(dd_importer_osv_yaml.import(buf, len, path, &sink, NULL), 0);
    /* versions: the "  - X" lines after "  versions:" */
    const char *p = strstr((const char *)buf, "  versions:\n");
    assert_non_null(p);
    p += strlen("  versions:\n");
    json_t *want = json_array();
    while (strncmp(p, "  - ", 4) == 0) {
        const char *e = strchr(p, '\n');
        json_array_append_new(want, json_stringn(p + 4, (size_t)(e - p - 4)));
        p = e + 1;
    }
    json_t *got = json_loads(c.versions, 0, NULL);
    assert_non_null(got);
    assert_true(json_array_size(want) > 10);
    assert_true(json_equal(want, got));
    assert_string_equal(json_string_value(json_array_get(got, 0)), "1.1.4");
    json_decref(want);
    json_decref(got);
    free(buf);
}

static int keep_put(void *vctx, const dd_advisory *a, dd_err *err)
{
    (void)err;
    dd_advisory *out = vctx;
    /* keep what the checks need */
    out->withdrawn_ms = a->withdrawn_ms;
    out->n_affected += a->n_affected;
    out->n_severities += a->n_severities;
    for (size_t i = 0; i < a->n_affected; i++) {
        if (a->affected[i].ranges_json != NULL)
            assert_null(strstr(a->affected[i].ranges_json, "GIT"));
        if (out->summary == NULL && a->affected[i].versions_json != NULL)
            out->summary = dd_strdup(a->affected[i].versions_json);
    }
    return 0;
}

static void test_git_array_withdrawn(void **state)
{
    (void)state;
    static const char doc[] =
        "[{\"id\":\"X-1\",\"modified\":\"2023-01-01T00:00:00Z\","
        "\"withdrawn\":\"2023-02-01T00:00:00Z\",\"affected\":["
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"a\"},\"ranges\":[{\"type\":\"GIT\","
        "\"repo\":\"r\",\"events\":[{\"introduced\":\"0\"}]}]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"b\"},\"ranges\":[{\"type\":\"GIT\","
        "\"repo\":\"r\",\"events\":[{\"introduced\":\"0\"}]}],\"versions\":[\"1.0\"]},"
        "{\"package\":{\"ecosystem\":\"npm\",\"name\":\"c\"},\"ranges\":[{\"type\":\"GIT\","
        "\"events\":[{\"introduced\":\"0\"}]},{\"type\":\"SEMVER\",\"events\":[{\"introduced\":"
        "\"0\"},{\"fixed\":\"2.0.0\"}]}]}],"
        "\"severity\":[{\"type\":\"CVSS_V3\",\"score\":\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/"
        "I:H/A:H\"}],\"database_specific\":{\"severity\":\"HIGH\"}},"
        "42, {\"no\":\"id\"}]";
    dd_advisory got;
    memset(&got, 0, sizeof(got));
    check_ctx wc;
    memset(&wc, 0, sizeof(wc));
    dd_import_sink sink = {keep_put, count_warn, &got};
    sink.warn = NULL;
    assert_int_equal(
        dd_importer_osv_json.import((const uint8_t *)doc, strlen(doc), "x.json", &sink, NULL), 0);
    assert_int_equal(got.n_affected, 2); /* a dropped (GIT only), b kept (versions), c kept */
    assert_int_equal(got.n_severities, 2);
    assert_true(got.withdrawn_ms > 0);
    assert_string_equal(got.summary, "[\"1.0\"]");
    dd_free(got.summary);
    /* not OSV at all */
    dd_err err = DD_ERR_INIT;
    assert_int_equal(
        dd_importer_osv_json.import((const uint8_t *)"{\"a\":1}", 7, "x.json", &sink, &err),
        DD_EINVALID);
    assert_int_equal(
        dd_importer_osv_json.import((const uint8_t *)"{\"id\":", 6, "x.json", &sink, &err),
        DD_EINVALID);
    assert_int_equal(
        dd_importer_osv_yaml.import((const uint8_t *)"a: [1, 2", 8, "x.yaml", &sink, &err),
        DD_EINVALID);
    assert_int_equal(
        dd_importer_osv_yaml.import((const uint8_t *)"a: &x 1\nb: *x\n", 14, "x.yaml", &sink, &err),
        DD_EINVALID);
}

static void test_detect(void **state)
{
    (void)state;
    const char *j = "{\"id\": \"GHSA-x\", \"modified\": \"2023-01-01T00:00:00Z\"}";
    const char *y = "id: PYSEC-1\nmodified: 2023-01-01T00:00:00Z\n";
    assert_true(dd_importer_osv_json.detect("a/b.json", (const uint8_t *)j, strlen(j)));
    assert_false(dd_importer_osv_json.detect("a/b.yaml", (const uint8_t *)j, strlen(j)));
    assert_false(dd_importer_osv_json.detect("a/b.json", (const uint8_t *)"{\"id\": 1}", 9));
    assert_true(dd_importer_osv_yaml.detect("a/b.yaml", (const uint8_t *)y, strlen(y)));
    assert_true(dd_importer_osv_yaml.detect("a/b.yml", (const uint8_t *)y, strlen(y)));
    assert_false(dd_importer_osv_yaml.detect("a/b.json", (const uint8_t *)y, strlen(y)));
    assert_false(dd_importer_osv_yaml.detect("a/b.yaml", (const uint8_t *)"gem: x\n", 7));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_yaml_versions),
        cmocka_unit_test(test_git_array_withdrawn),
        cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
