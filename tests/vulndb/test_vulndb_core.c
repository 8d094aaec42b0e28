/* The vulnerability database file: writer (put, replace, keep_existing, abort, atomic commit,
 * db_version), reader (info, lookups with package keys), package keys, time parsing, and the
 * lookup speed on a database of the OSV fixtures. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "util/alloc.h"
#include "vulndb/import.h"
#include "vulndb/vulndb.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(g_dir, sizeof(g_dir), "/tmp/dd-vulndb-test-XXXXXX");
    return mkdtemp(g_dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void make_adv(dd_advisory *a, const char *id, const char *pkg, const char *summary)
{
    memset(a, 0, sizeof(*a));
    a->id = dd_strdup(id);
    a->summary = dd_strdup(summary);
    a->published_ms = 1680000000000;
    assert_int_equal(dd_strlist_push_str(&a->aliases, "CVE-2023-0001"), 0);
    assert_int_equal(dd_strlist_push_str(&a->aliases, "GHSA-aaaa-bbbb-cccc"), 0);
    assert_int_equal(dd_strlist_push_str(&a->references, "https://example.org/1"), 0);
    assert_int_equal(dd_strlist_push_str(&a->references, "https://example.org/2"), 0);
    assert_int_equal(dd_advisory_add_severity(a, DD_SEV_CVSS_V3, "nvd",
                                              "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
                     0);
    assert_int_equal(dd_advisory_add_severity(a, DD_SEV_CVSS_V3, "nvd", "CVSS:3.1/bogus"), 0);
    assert_int_equal(dd_advisory_add_severity(a, DD_SEV_VENDOR, "ghsa", "HIGH"), 0);
    assert_int_equal(dd_advisory_add_affected(a, "PyPI", pkg,
                                              "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced"
                                              "\":\"0\"},{\"fixed\":\"1.2\"}]}]",
                                              NULL, DD_FIX_FIXED, NULL),
                     0);
    assert_int_equal(dd_advisory_add_affected(a, "Debian:12", "openssl", NULL, "[\"3.0.8-1\"]",
                                              DD_FIX_NOT_FIXED, "high"),
                     0);
}

typedef struct seen {
    int n;
    char ids[8][64];
    char summary[64];
    size_t n_aliases, n_refs, n_sev;
    double score0;
    char rating0[16];
    double score1;
    char vendor[16];
    int fix;
    char source[32];
} seen;

static int collect(void *ctx, const dd_vuln_candidate *c)
{
    seen *s = ctx;
    if (s->n < 8)
        snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", c->advisory->id);
    s->n++;
    snprintf(s->summary, sizeof(s->summary), "%s",
             c->advisory->summary ? c->advisory->summary : "");
    s->n_aliases = c->advisory->aliases.n;
    s->n_refs = c->advisory->references.n;
    s->n_sev = c->advisory->n_severities;
    assert_int_equal(c->advisory->n_affected, 1);
    assert_ptr_equal(&c->advisory->affected[0], c->affected);
    if (s->n_sev >= 3) {
        s->score0 = c->advisory->severities[0].score;
        snprintf(s->rating0, sizeof(s->rating0), "%s", c->advisory->severities[0].rating);
        s->score1 = c->advisory->severities[1].score;
        snprintf(s->vendor, sizeof(s->vendor), "%s", c->advisory->severities[2].rating);
        assert_null(c->advisory->severities[2].vector);
    }
    s->fix = c->affected->fix_state;
    snprintf(s->source, sizeof(s->source), "%s", c->source);
    return 0;
}

static char *version_of(const char *path)
{
    dd_vulndb *db = NULL;
    dd_vulndb_info info;
    assert_int_equal(dd_vulndb_open(&db, path, NULL), 0);
    assert_int_equal(dd_vulndb_info_get(db, &info, NULL), 0);
    char *v = dd_strdup(info.db_version);
    dd_vulndb_info_clear(&info);
    dd_vulndb_close(db);
    return v;
}

static void test_write_read_replace(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/v.db", g_dir);
    dd_err err = DD_ERR_INIT;
    dd_vulndb_writer *w = NULL;
    dd_advisory a;
    assert_int_equal(dd_vulndb_writer_open(&w, path, true, &err), 0);
    make_adv(&a, "GHSA-1", "Django_REST.framework", "first");
    assert_int_equal(dd_vulndb_writer_put(w, &a, &err), DD_EINVALID); /* no source yet */
    assert_int_equal(dd_vulndb_writer_source(w, "osv", "test", &err), 0);
    assert_int_equal(dd_vulndb_writer_put(w, &a, &err), 0);
    dd_advisory_clear(&a);
    make_adv(&a, "GHSA-2", "django-rest-framework", "second");
    assert_int_equal(dd_vulndb_writer_put(w, &a, &err), 0);
    dd_advisory_clear(&a);
    assert_int_equal(dd_vulndb_writer_commit(w, &err), 0);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0644);

    dd_vulndb *db = NULL;
    assert_int_equal(dd_vulndb_open(&db, path, &err), 0);
    seen s;
    memset(&s, 0, sizeof(s));
    /* PEP 503: any spelling finds both */
    assert_int_equal(dd_vulndb_lookup(db, "PyPI", "DJANGO-rest_framework", collect, &s, &err), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.n_aliases, 2);
    assert_int_equal(s.n_refs, 2);
    assert_int_equal(s.n_sev, 3);
    assert_true(s.score0 > 9.79 && s.score0 < 9.81);
    assert_string_equal(s.rating0, "CRITICAL");
    assert_true(s.score1 < 0); /* bogus vector: no score */
    assert_string_equal(s.vendor, "HIGH");
    assert_int_equal(s.fix, DD_FIX_FIXED);
    assert_string_equal(s.source, "osv");
    memset(&s, 0, sizeof(s));
    assert_int_equal(dd_vulndb_lookup(db, "Debian:12", "openssl", collect, &s, &err), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.fix, DD_FIX_NOT_FIXED);
    memset(&s, 0, sizeof(s));
    assert_int_equal(dd_vulndb_lookup(db, "Debian:11", "openssl", collect, &s, &err), 0);
    assert_int_equal(s.n, 0);
    dd_vulndb_info info;
    assert_int_equal(dd_vulndb_info_get(db, &info, &err), 0);
    assert_int_equal(info.n_advisories, 2);
    assert_int_equal(info.n_affected, 4);
    assert_int_equal(info.sources.n, 1);
    assert_non_null(strstr(info.sources.items[0], "osv: 2 advisories"));
    assert_true(info.built_ms > 1700000000000);
    char *v1 = dd_strdup(info.db_version);
    dd_vulndb_info_clear(&info);

    /* Replace GHSA-1 in a new version, built while db is open: db keeps reading the old file. */
    assert_int_equal(dd_vulndb_writer_open(&w, path, true, &err), 0);
    assert_int_equal(dd_vulndb_writer_source(w, "osv", "test", &err), 0);
    make_adv(&a, "GHSA-1", "other", "replaced");
    assert_int_equal(dd_vulndb_writer_put(w, &a, &err), 0);
    dd_advisory_clear(&a);
    assert_int_equal(dd_vulndb_writer_commit(w, &err), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(dd_vulndb_lookup(db, "PyPI", "django-rest-framework", collect, &s, &err), 0);
    assert_int_equal(s.n, 2); /* the old snapshot */
    dd_vulndb_close(db);

    assert_int_equal(dd_vulndb_open(&db, path, &err), 0);
    memset(&s, 0, sizeof(s));
    assert_int_equal(dd_vulndb_lookup(db, "PyPI", "django-rest-framework", collect, &s, &err), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.ids[0], "GHSA-2");
    memset(&s, 0, sizeof(s));
    assert_int_equal(dd_vulndb_lookup(db, "PyPI", "other", collect, &s, &err), 0);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.summary, "replaced");
    assert_int_equal(s.n_aliases, 2); /* children replaced, not duplicated */
    assert_int_equal(dd_vulndb_info_get(db, &info, &err), 0);
    assert_int_equal(info.n_advisories, 2);
    assert_int_equal(info.n_affected, 4);
    assert_string_not_equal(info.db_version, v1);
    dd_vulndb_info_clear(&info);
    dd_vulndb_close(db);
    dd_free(v1);

    /* Abort leaves the file as it was; so does keep_existing=false until commit. */
    char *before = version_of(path);
    assert_int_equal(dd_vulndb_writer_open(&w, path, false, &err), 0);
    assert_int_equal(dd_vulndb_writer_source(w, "x", NULL, &err), 0);
    dd_vulndb_writer_abort(w);
    char *after = version_of(path);
    assert_string_equal(before, after);
    dd_free(before);
    dd_free(after);
    /* no temporary files are left behind */
    DIR *d = opendir(g_dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        assert_null(strstr(e->d_name, ".tmp-"));
    closedir(d);
}

/* The brief lookup leaves out references and details; dd_vulndb_get_details gives them. */
static void test_brief_and_details(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/brief.db", g_dir);
    dd_err err = DD_ERR_INIT;
    dd_vulndb_writer *w = NULL;
    dd_advisory a;
    assert_int_equal(dd_vulndb_writer_open(&w, path, false, &err), 0);
    assert_int_equal(dd_vulndb_writer_source(w, "osv", "test", &err), 0);
    make_adv(&a, "GHSA-1", "django", "first");
    a.details = dd_strdup("long text");
    assert_int_equal(dd_strlist_push_str(&a.references, "https://example.org/3"), 0);
    assert_int_equal(dd_vulndb_writer_put(w, &a, &err), 0);
    dd_advisory_clear(&a);
    make_adv(&a, "GHSA-2", "django", "second");
    assert_int_equal(dd_vulndb_writer_put(w, &a, &err), 0);
    dd_advisory_clear(&a);
    assert_int_equal(dd_vulndb_writer_commit(w, &err), 0);

    dd_vulndb *db = NULL;
    assert_int_equal(dd_vulndb_open(&db, path, &err), 0);
    seen s;
    memset(&s, 0, sizeof(s));
    assert_int_equal(dd_vulndb_lookup_brief(db, "PyPI", "Django", collect, &s, &err), 0);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.n_refs, 0);
    assert_int_equal(s.n_aliases, 2); /* the rest as dd_vulndb_lookup gives it */
    assert_int_equal(s.n_sev, 3);
    assert_string_equal(s.summary, "second");

    dd_strlist refs = DD_STRLIST_INIT;
    char *details = NULL;
    assert_int_equal(dd_vulndb_get_details(db, "osv", "GHSA-1", &refs, &details, &err), 0);
    assert_int_equal(refs.n, 3);
    assert_string_equal(refs.items[0], "https://example.org/1");
    assert_string_equal(refs.items[2], "https://example.org/3");
    assert_string_equal(details, "long text");
    dd_free(details);
    /* appends; no details gives NULL */
    assert_int_equal(dd_vulndb_get_details(db, "osv", "GHSA-2", &refs, &details, &err), 0);
    assert_int_equal(refs.n, 5);
    assert_null(details);
    dd_strlist_free(&refs);
    assert_int_equal(dd_vulndb_get_details(db, "osv", "GHSA-3", NULL, NULL, &err), DD_ENOTFOUND);
    assert_int_equal(dd_vulndb_get_details(db, "rubysec", "GHSA-1", NULL, &details, &err),
                     DD_ENOTFOUND);
    assert_null(details);
    dd_vulndb_close(db);
}

static void test_not_a_db(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/junk.db", g_dir);
    FILE *f = fopen(path, "w");
    fputs("not a database", f);
    fclose(f);
    dd_err err = DD_ERR_INIT;
    dd_vulndb_writer *w = NULL;
    assert_int_not_equal(dd_vulndb_writer_open(&w, path, true, &err), 0);
    assert_null(w);
    dd_vulndb *db = NULL;
    assert_int_not_equal(dd_vulndb_open(&db, path, &err), 0);
    assert_null(db);
    f = fopen(path, "r");
    char buf[32] = {0};
    assert_non_null(fgets(buf, sizeof(buf), f));
    fclose(f);
    assert_string_equal(buf, "not a database");
}

static void test_package_key_and_time(void **state)
{
    (void)state;
    char *k = NULL;
    assert_int_equal(dd_vulndb_package_key(&k, "PyPI", "Foo.Bar__baz-"), 0);
    assert_string_equal(k, "foo-bar-baz-");
    dd_free(k);
    assert_int_equal(dd_vulndb_package_key(&k, "NuGet", "Newtonsoft.Json"), 0);
    assert_string_equal(k, "newtonsoft.json");
    dd_free(k);
    assert_int_equal(dd_vulndb_package_key(&k, "Packagist", "Symfony/HTTP-Kernel"), 0);
    assert_string_equal(k, "symfony/http-kernel");
    dd_free(k);
    assert_int_equal(dd_vulndb_package_key(&k, "npm", "@Scope/Pkg"), 0);
    assert_string_equal(k, "@Scope/Pkg");
    dd_free(k);
    int64_t ms;
    assert_int_equal(dd_import_parse_time("1970-01-01T00:00:00Z", &ms), 0);
    assert_true(ms == 0);
    assert_int_equal(dd_import_parse_time("2023-04-21", &ms), 0);
    assert_true(ms == 1682035200000LL);
    assert_int_equal(dd_import_parse_time("2023-04-21T10:00:00.123456Z", &ms), 0);
    assert_true(ms == 1682071200123LL);
    assert_int_equal(dd_import_parse_time("2023-04-21T12:00:00+02:00", &ms), 0);
    assert_true(ms == 1682071200000LL);
    assert_int_equal(dd_import_parse_time("2024-02-29T00:00:00Z", &ms), 0);
    assert_int_equal(dd_import_parse_time("2023-02-29", &ms), DD_EINVALID);
    assert_int_equal(dd_import_parse_time("2023-04-21T25:00:00Z", &ms), DD_EINVALID);
    assert_int_equal(dd_import_parse_time("2023-04-21Tx", &ms), DD_EINVALID);
    assert_int_equal(dd_import_parse_time("2023-04-21Z junk", &ms), DD_EINVALID);
    assert_int_equal(dd_import_parse_time("", &ms), DD_EINVALID);
    assert_string_equal(dd_import_debian_ecosystem("bookworm"), "Debian:12");
    assert_string_equal(dd_import_debian_ecosystem("sid"), "Debian:sid");
    assert_null(dd_import_debian_ecosystem("nope"));
    assert_string_equal(dd_fix_state_name(DD_FIX_WILL_NOT_FIX), "will-not-fix");
}

/* ---- a database of the OSV fixtures, and lookup speed ---------------------------------------- */

static int put_into(void *ctx, const dd_advisory *a, dd_err *err)
{
    return dd_vulndb_writer_put(ctx, a, err);
}

static void import_dir(dd_vulndb_writer *w, const char *dir, int *n)
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
        if (S_ISDIR(sb.st_mode)) {
            import_dir(w, p, n);
            continue;
        }
        FILE *f = fopen(p, "rb");
        uint8_t *buf = malloc((size_t)sb.st_size + 1);
        assert_int_equal(fread(buf, 1, (size_t)sb.st_size, f), (size_t)sb.st_size);
        fclose(f);
        const dd_importer *imp =
            dd_importer_osv_json.detect(p, buf, (size_t)sb.st_size)   ? &dd_importer_osv_json
            : dd_importer_osv_yaml.detect(p, buf, (size_t)sb.st_size) ? &dd_importer_osv_yaml
                                                                      : NULL;
        if (imp != NULL) {
            dd_import_sink sink = {put_into, NULL, w};
            assert_int_equal(imp->import(buf, (size_t)sb.st_size, p, &sink, NULL), 0);
            (*n)++;
        }
        free(buf);
    }
    closedir(d);
}

static int count_cb(void *ctx, const dd_vuln_candidate *c)
{
    (void)c;
    (*(size_t *)ctx)++;
    return 0;
}

static void test_fixture_db_and_speed(void **state)
{
    (void)state;
    char path[512];
    snprintf(path, sizeof(path), "%s/osv.db", g_dir);
    dd_vulndb_writer *w = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_vulndb_writer_open(&w, path, false, &err), 0);
    assert_int_equal(dd_vulndb_writer_source(w, "osv", DD_FIXTURES "/vulndb", &err), 0);
    int n = 0;
    static const char *const dirs[] = {"ghsa-osv",      "go-osv",    "pypi-osv",   "ubuntu-osv",
                                       "almalinux-osv", "rocky-osv", "bitnami-osv"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
        char p[512];
        snprintf(p, sizeof(p), "%s/vulndb/%s", DD_FIXTURES, dirs[i]);
        import_dir(w, p, &n);
    }
    assert_int_equal(dd_vulndb_writer_commit(w, &err), 0);
    dd_vulndb *db = NULL;
    assert_int_equal(dd_vulndb_open(&db, path, &err), 0);
    size_t hits = 0;
    assert_int_equal(dd_vulndb_lookup(db, "npm", "lodash", count_cb, &hits, &err), 0);
    assert_true(hits >= 1);
    static const char *const pk[][2] = {
        {"npm", "lodash"},   {"npm", "minimist"},   {"npm", "jquery"}, {"npm", "axios"},
        {"npm", "express"},  {"npm", "node-fetch"}, {"npm", "semver"}, {"PyPI", "zstd"},
        {"npm", "left-pad"}, {"PyPI", "requests"}};
    hits = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(dd_vulndb_lookup(db, pk[i % 10][0], pk[i % 10][1], count_cb, &hits, &err),
                         0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    printf("%d fixture files; 10000 lookups: %zu candidates in %.1f ms\n", n, hits, ms);
    dd_vulndb_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_read_replace),
        cmocka_unit_test(test_brief_and_details),
        cmocka_unit_test(test_not_a_db),
        cmocka_unit_test(test_package_key_and_time),
        cmocka_unit_test(test_fixture_db_and_speed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
