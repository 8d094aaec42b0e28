/* Tests of the npm cataloger against real package.json files and lockfiles (tests/fixtures/pkgdb/
 * lang/npm). Expected sets are derived here from the fixtures themselves with jansson (the
 * simplest walk of each format) or by counting lines, plus spot checks taken from the files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "inventory/catalog.h"
#include "inventory/npm.h"
#include "util/alloc.h"

#define NPM_DIR DD_FIXTURES "/pkgdb/lang/npm"

static void parse_file(itest_parse_fn fn, const char *name, dd_pkg_list *out)
{
    itest_parse_file(fn, NPM_DIR, name, "/p/lock", 3, out);
}

/* A set of "name@version" strings (kept simple: a sorted array). */
typedef struct sset {
    char **s;
    size_t n, cap;
} sset;

static void sset_add(sset *t, const char *name, const char *ver)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s@%s", name, ver);
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->s[i], buf) == 0)
            return;
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->s = realloc(t->s, t->cap * sizeof(char *));
    }
    t->s[t->n++] = strdup(buf);
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sset_free(sset *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->s[i]);
    free(t->s);
    memset(t, 0, sizeof(*t));
}

static void assert_same(sset *want, const dd_pkg_list *got)
{
    sset g = {0};
    for (size_t i = 0; i < got->n; i++)
        sset_add(&g, got->items[i].name, got->items[i].version);
    qsort(want->s, want->n, sizeof(char *), cmpstr);
    qsort(g.s, g.n, sizeof(char *), cmpstr);
    for (size_t i = 0; i < want->n || i < g.n; i++) {
        const char *w = i < want->n ? want->s[i] : "(none)";
        const char *h = i < g.n ? g.s[i] : "(none)";
        if (strcmp(w, h) != 0)
            fail_msg("want %s, got %s", w, h);
    }
    sset_free(&g);
}

/* ---- package-lock.json ---- */

static void v1_walk(json_t *deps, sset *want)
{
    const char *k;
    json_t *v;
    json_object_foreach(deps, k, v)
    {
        const char *ver = json_string_value(json_object_get(v, "version"));
        if (strncmp(ver, "npm:", 4) == 0) { /* alias: real name@version */
            char *spec = strdup(ver + 4);
            char *at = strchr(spec + 1, '@');
            *at = '\0';
            sset_add(want, spec, at + 1);
            free(spec);
        } else {
            sset_add(want, k, ver);
        }
        json_t *sub = json_object_get(v, "dependencies");
        if (sub != NULL)
            v1_walk(sub, want);
    }
}

static void check_lock(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), NPM_DIR "/%s", name);
    json_t *root = json_load_file(path, 0, NULL);
    assert_non_null(root);
    sset want = {0};
    json_t *pkgs = json_object_get(root, "packages");
    if (pkgs != NULL) {
        const char *k;
        json_t *v;
        json_object_foreach(pkgs, k, v)
        {
            const char *nm = strrchr(k, '/') ? strstr(k, "node_modules/") : NULL;
            if (nm == NULL)
                continue;
            const char *last = k, *p;
            while ((p = strstr(last, "node_modules/")) != NULL)
                last = p + strlen("node_modules/");
            const char *n = json_string_value(json_object_get(v, "name"));
            if (json_is_true(json_object_get(v, "link"))) /* a workspace: its version is there */
                v = json_object_get(pkgs, json_string_value(json_object_get(v, "resolved")));
            sset_add(&want, n ? n : last, json_string_value(json_object_get(v, "version")));
        }
    } else {
        v1_walk(json_object_get(root, "dependencies"), &want);
    }
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_npm_package_lock_parse, name, &l);
    assert_true(l.n >= want.n);
    assert_same(&want, &l);
    for (size_t i = 0; i < l.n; i++) {
        assert_true(l.items[i].declared_only);
        assert_int_equal(l.items[i].layer, 3);
        assert_int_equal(l.items[i].paths.n, 1);
        assert_string_equal(l.items[i].paths.items[0], "/p/lock");
    }
    sset_free(&want);
    dd_pkg_list_free(&l);
    json_decref(root);
}

static void test_package_lock_all(void **state)
{
    (void)state;
    static const char *const files[] = {
        "collapse-white-space.v1.package-lock.json",
        "osv-fix-in-place.v2.package-lock.json",
        "scalibr-alias.v2.package-lock.json",
        "scalibr-bundled-dependencies.v3.package-lock.json",
        "scalibr-nested-dependencies-dup.v2.package-lock.json",
        "scalibr-remediation.v1.package-lock.json",
        "scalibr-remediation.v2.package-lock.json",
        "syft-alias-package-lock-1.json",
        "syft-package-lock-3.json",
        "trivy-happy.v1.package-lock.json",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        check_lock(files[i]);
}

static void test_package_lock_spot(void **state)
{
    (void)state;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_npm_package_lock_parse, "trivy-happy.v1.package-lock.json", &l);
    const dd_pkg *p = itest_find(&l, "ansi-colors", "3.2.3");
    assert_non_null(p);
    assert_true(p->dev);
    assert_non_null(p = itest_find(&l, "debug", "2.6.9")); /* nested under body-parser */
    assert_false(p->dev);
    assert_non_null(itest_find(&l, "@babel/parser", "7.23.6"));
    dd_pkg_list_free(&l);

    parse_file(dd_npm_package_lock_parse, "syft-alias-package-lock-1.json", &l);
    assert_int_equal(l.n, 3);
    assert_non_null(itest_find(&l, "case", "1.6.3"));                     /* case-alias */
    assert_non_null(itest_find(&l, "@bundled-es-modules/chai", "4.2.2")); /* chai alias */
    dd_pkg_list_free(&l);

    parse_file(dd_npm_package_lock_parse, "scalibr-alias.v2.package-lock.json", &l);
    assert_non_null(itest_find(&l, "@babel/code-frame", "7.0.0"));
    assert_non_null(itest_find(&l, "string-width", "4.2.0"));
    assert_non_null(itest_find(&l, "string-width", "5.1.2"));
    dd_pkg_list_free(&l);

    parse_file(dd_npm_package_lock_parse, "scalibr-bundled-dependencies.v3.package-lock.json", &l);
    assert_int_equal(l.n, 3);
    assert_non_null(p = itest_find(&l, "semver", "7.7.2"));
    assert_true(p->dev);
    assert_string_equal(p->license, "ISC");
    dd_pkg_list_free(&l);
}

/* ---- yarn.lock ---- */

/* Independent count for classic files: unindented non-comment lines (entries), minus exact
 * duplicate header lines. */
static size_t yarn_classic_headers(const char *name)
{
    char path[512];
    size_t len, n = 0;
    snprintf(path, sizeof(path), NPM_DIR "/%s", name);
    char *buf = (char *)itest_slurp(path, &len);
    buf = realloc(buf, len + 1);
    buf[len] = '\0';
    sset seen = {0};
    for (char *line = buf, *nl; line != NULL && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        if (*line && *line != '#' && *line != ' ') {
            size_t before = seen.n;
            sset_add(&seen, line, "");
            n += seen.n > before;
        }
    }
    sset_free(&seen);
    free(buf);
    return n;
}

static void test_yarn_classic(void **state)
{
    (void)state;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_npm_yarn_lock_parse, "syft-yarn-v1-deps.yarn.lock", &l);
    /* one package per distinct entry (the file repeats "@types/qs@^6.2.31" verbatim) */
    sset s = {0};
    for (size_t i = 0; i < l.n; i++)
        sset_add(&s, l.items[i].name, l.items[i].version);
    assert_int_equal(s.n, yarn_classic_headers("syft-yarn-v1-deps.yarn.lock"));
    sset_free(&s);
    assert_non_null(itest_find(&l, "@babel/code-frame", "7.10.4"));
    assert_non_null(itest_find(&l, "ajv", "6.12.3"));
    assert_non_null(itest_find(&l, "atob", "2.1.2"));
    dd_pkg_list_free(&l);

    parse_file(dd_npm_yarn_lock_parse, "trivy-alias.yarn.lock", &l);
    assert_int_equal(l.n, yarn_classic_headers("trivy-alias.yarn.lock"));
    assert_non_null(itest_find(&l, "debug", "4.3.4"));              /* foo-debug@npm:debug@^4.3 */
    assert_non_null(itest_find(&l, "@types/jsonstream", "0.8.33")); /* foo-json@npm:@types/... */
    assert_non_null(itest_find(&l, "ms", "2.1.3"));                 /* foo-ms@npm:ms */
    assert_non_null(itest_find(&l, "@types/uuid", "9.0.7"));
    assert_non_null(itest_find(&l, "ms", "2.1.2"));
    dd_pkg_list_free(&l);
}

/* Berry: packages are the entries with a "resolution:" line that is not a workspace. */
static void count_resolutions(const char *name, size_t *npm, size_t *workspace)
{
    char path[512], line[2048];
    snprintf(path, sizeof(path), NPM_DIR "/%s", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    *npm = *workspace = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "  resolution: ", 14) != 0)
            continue;
        if (strstr(line, "@workspace:") != NULL)
            (*workspace)++;
        else
            (*npm)++;
    }
    fclose(f);
}

static void test_yarn_berry(void **state)
{
    (void)state;
    size_t npm, ws;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_npm_yarn_lock_parse, "syft-yarn-berry.yarn.lock", &l);
    count_resolutions("syft-yarn-berry.yarn.lock", &npm, &ws);
    assert_int_equal(l.n, npm);
    assert_non_null(itest_find(&l, "@babel/code-frame", "7.10.4"));
    assert_non_null(itest_find(&l, "@types/qs", "6.9.4"));
    dd_pkg_list_free(&l);

    parse_file(dd_npm_yarn_lock_parse, "trivy-monorepo.yarn.lock", &l);
    count_resolutions("trivy-monorepo.yarn.lock", &npm, &ws);
    assert_true(ws > 0);
    assert_int_equal(l.n, npm);
    assert_non_null(itest_find(&l, "is-number", "6.0.0"));
    assert_non_null(itest_find(&l, "is-number", "7.0.0"));
    assert_null(itest_find(&l, "package1", "0.0.0-use.local"));
    dd_pkg_list_free(&l);
}

/* ---- pnpm-lock.yaml ---- */

/* Independent count: lines indented by exactly two spaces in the "packages:" section. */
static size_t pnpm_count(const char *name)
{
    char path[512], line[4096];
    snprintf(path, sizeof(path), NPM_DIR "/%s", name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = 0;
    bool in = false;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (line[0] != ' ' && line[0] != '\n')
            in = strncmp(line, "packages:", 9) == 0;
        else if (in && line[0] == ' ' && line[1] == ' ' && line[2] != ' ')
            n++;
    }
    fclose(f);
    return n;
}

static void test_pnpm(void **state)
{
    (void)state;
    static const char *const files[] = {
        "syft-pnpm-v5-peer-suffix.pnpm-lock.yaml", "syft-pnpm-v6.pnpm-lock.yaml",
        "syft-pnpm-v9.pnpm-lock.yaml", "trivy-no-node_modules.pnpm-lock.yaml"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        dd_pkg_list l = DD_PKG_LIST_INIT;
        parse_file(dd_npm_pnpm_lock_parse, files[i], &l);
        assert_int_equal(l.n, pnpm_count(files[i]));
        for (size_t j = 0; j < l.n; j++) {
            assert_null(strchr(l.items[j].version, '('));
            assert_null(strchr(l.items[j].version, '_'));
        }
        dd_pkg_list_free(&l);
    }
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_npm_pnpm_lock_parse, "syft-pnpm-v5-peer-suffix.pnpm-lock.yaml", &l);
    assert_non_null(itest_find(&l, "acorn", "8.8.0"));
    assert_non_null(itest_find(&l, "acorn-jsx", "5.3.2"));
    assert_non_null(itest_find(&l, "webpack-cli", "4.10.0"));
    dd_pkg_list_free(&l);
    parse_file(dd_npm_pnpm_lock_parse, "syft-pnpm-v6.pnpm-lock.yaml", &l);
    assert_non_null(itest_find(&l, "@testing-library/react", "13.4.0"));
    assert_non_null(itest_find(&l, "react-dom", "18.2.0"));
    dd_pkg_list_free(&l);
    parse_file(dd_npm_pnpm_lock_parse, "syft-pnpm-v9.pnpm-lock.yaml", &l);
    assert_non_null(itest_find(&l, "@babel/helper-plugin-utils", "7.24.7"));
    assert_non_null(itest_find(&l, "rollup", "4.18.0"));
    dd_pkg_list_free(&l);
}

/* ---- package.json and the cataloger ---- */

/* Expected installed packages: node_modules/<x>/package.json and node_modules/@s/<x>/... read
 * with jansson. */
static void installed_from_dir(const char *nm_dir, sset *want)
{
    DIR *d = opendir(nm_dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[1024];
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "%s/%s", nm_dir, e->d_name);
        if (e->d_name[0] == '@') {
            installed_from_dir(path, want);
            continue;
        }
        strncat(path, "/package.json", sizeof(path) - strlen(path) - 1);
        json_t *j = json_load_file(path, 0, NULL);
        assert_non_null(j);
        sset_add(want, json_string_value(json_object_get(j, "name")),
                 json_string_value(json_object_get(j, "version")));
        json_decref(j);
    }
    closedir(d);
}

static void test_catalog_dir(void **state)
{
    (void)state;
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rootfs_from_dir(&fs, NPM_DIR, dd_cataloger_npm.wants, 1 << 24, &err), 0);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    assert_int_equal(dd_cataloger_npm.catalog(fs, &l, NULL, NULL, &err), 0);
    sset want = {0};
    installed_from_dir(NPM_DIR "/node_modules", &want);
    assert_int_equal(want.n, 7);
    assert_same(&want, &l);
    const dd_pkg *p = itest_find(&l, "@actions/core", "1.6.0");
    assert_non_null(p);
    assert_string_equal(p->paths.items[0], "/node_modules/@actions/core/package.json");
    assert_false(p->declared_only);
    assert_int_equal(p->layer, 0);
    assert_string_equal(p->license, "MIT");
    sset_free(&want);
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);
}

static void add_fixture(dd_rootfs *fs, const char *image_path, const char *fixture, int layer)
{
    itest_add_fixture(fs, image_path, NPM_DIR, fixture, layer);
}

static int warned;
static void count_warn(void *ctx, const char *path, const char *msg)
{
    (void)ctx;
    (void)path;
    (void)msg;
    warned++;
}

static void test_catalog_reconcile(void **state)
{
    (void)state;
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    static const char *const lock = "collapse-white-space.v1.package-lock.json";
    assert_int_equal(dd_rootfs_new(&fs), 0);
    add_fixture(fs, "proj/package-lock.json", lock, 1);
    add_fixture(fs, "proj/package.json", "node_modules/collapse-white-space/package.json", 1);
    add_fixture(fs, "proj/node_modules/once/package.json", "node_modules/once/package.json", 2);
    add_fixture(fs, "proj/node_modules/end-of-stream/package.json",
                "node_modules/end-of-stream/package.json", 2);
    add_fixture(fs, "proj/node_modules/insert-css/package.json",
                "node_modules/insert-css/package.json", 2);
    /* not package roots, or lockfiles inside a package: ignored */
    add_fixture(fs, "proj/node_modules/once/lib/package.json", "node_modules/accepts/package.json",
                2);
    add_fixture(fs, "proj/node_modules/once/package-lock.json", lock, 2);
    /* another project: its once is not the lockfile's */
    add_fixture(fs, "other/node_modules/once/package.json", "node_modules/once/package.json", 2);
    assert_int_equal(
        dd_rootfs_add_file(fs, "bad/yarn.lock", (const uint8_t *)"x\n", 2, 2, 0100644, 1, 0), 0);
    assert_int_equal(dd_rootfs_finish(fs), 0);

    dd_pkg_list l = DD_PKG_LIST_INIT;
    warned = 0;
    assert_int_equal(dd_cataloger_npm.catalog(fs, &l, count_warn, NULL, &err), 0);
    assert_int_equal(warned, 1);

    /* expected: distinct name@version of the lockfile, read with jansson */
    json_t *root = json_load_file(NPM_DIR "/collapse-white-space.v1.package-lock.json", 0, NULL);
    sset want = {0};
    v1_walk(json_object_get(root, "dependencies"), &want);
    json_decref(root);
    size_t n_decl = 0, n_inst = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (l.items[i].declared_only) {
            n_decl++;
            assert_string_equal(l.items[i].paths.items[0], "/proj/package-lock.json");
            assert_int_equal(l.items[i].layer, 1);
        } else {
            n_inst++;
        }
    }
    /* once and end-of-stream are in the lockfile and installed in /proj */
    assert_int_equal(n_decl, want.n - 2);
    assert_int_equal(n_inst, 5); /* 3 in /proj, 1 in /other, the project itself */
    for (size_t i = 0; i < l.n; i++) {
        const dd_pkg *p = &l.items[i];
        if (strcmp(p->name, "once") == 0 &&
            strcmp(p->paths.items[0], "/proj/node_modules/once/package.json") == 0) {
            assert_int_equal(p->paths.n, 2);
            assert_string_equal(p->paths.items[1], "/proj/package-lock.json");
            assert_true(p->dev);
            assert_int_equal(p->layer, 2);
        } else if (strcmp(p->name, "once") == 0) {
            assert_string_equal(p->paths.items[0], "/other/node_modules/once/package.json");
            assert_int_equal(p->paths.n, 1);
        } else if (strcmp(p->name, "insert-css") == 0) {
            assert_int_equal(p->paths.n, 1);
        } else if (strcmp(p->name, "collapse-white-space") == 0 && !p->declared_only) {
            assert_string_equal(p->version, "2.0.0");
            assert_string_equal(p->paths.items[0], "/proj/package.json");
        }
    }
    const dd_pkg *cws = itest_find(&l, "collapse-white-space", "1.0.6");
    assert_non_null(cws);
    assert_true(cws->declared_only);
    sset_free(&want);
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);
}

static void test_wants(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        int keep;
    } cases[] = {
        {"app/package.json", 1},
        {"package.json", 1},
        {"app/node_modules/a/package.json", 1},
        {"app/node_modules/@s/a/package.json", 1},
        {"app/node_modules/a/node_modules/b/package.json", 1},
        {"app/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json", 1},
        {"app/node_modules/a/lib/package.json", 0},
        {"app/node_modules/@s/package.json", 0},
        {"app/node_modules/.bin/package.json", 0},
        {"app/node_modules/package.json", 0},
        {"app/package-lock.json", 1},
        {"app/yarn.lock", 1},
        {"app/pnpm-lock.yaml", 1},
        {"app/node_modules/a/yarn.lock", 0},
        {"app/node_modules/.package-lock.json", 0},
        {"app/mypackage.json", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const dd_extractor *ex = NULL;
        dd_keep k = dd_cataloger_npm.wants(cases[i].path, strlen(cases[i].path), 0100644, 10, &ex);
        if ((k == DD_KEEP_WHOLE) != cases[i].keep)
            fail_msg("wants(%s) = %d", cases[i].path, (int)k);
    }
}

static void test_invalid(void **state)
{
    (void)state;
    static const itest_bad_case cases[] = {
        {dd_npm_package_json_parse, "{\"name\": \"x\""},
        {dd_npm_package_json_parse, "[1]"},
        {dd_npm_package_lock_parse, "{\"packages\": {\"node_modules/a\": {\"version\": 1"},
        {dd_npm_yarn_lock_parse, "  version \"1\"\n"},
        {dd_npm_yarn_lock_parse, "a@1\n"},
        {dd_npm_yarn_lock_parse, "__metadata:\n  version: [\n"},
        {dd_npm_pnpm_lock_parse, "packages: {a: [}\n"},
        {dd_npm_pnpm_lock_parse, "- a\n- b\n"},
    };
    itest_check_invalid(cases, sizeof(cases) / sizeof(cases[0]));
    /* a package.json without a version is no package, and no error */
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    const char *pj = "{\"name\": \"app\", \"private\": true}";
    assert_int_equal(dd_npm_package_json_parse((const uint8_t *)pj, strlen(pj), "/x", 0, &l, &err),
                     0);
    assert_int_equal(l.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_package_lock_all),
        cmocka_unit_test(test_package_lock_spot),
        cmocka_unit_test(test_yarn_classic),
        cmocka_unit_test(test_yarn_berry),
        cmocka_unit_test(test_pnpm),
        cmocka_unit_test(test_catalog_dir),
        cmocka_unit_test(test_catalog_reconcile),
        cmocka_unit_test(test_wants),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
