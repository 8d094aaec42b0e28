/* Tests of the .NET cataloger on real .deps.json and packages.lock.json files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "inventory/catalog.h"
#include "inventory/dotnet.h"

#define LANG DD_FIXTURES "/pkgdb/lang/dotnet/"

static size_t count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static const dd_pkg *expect(const dd_pkg_list *l, const char *name, const char *version)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0) {
            assert_string_equal(l->items[i].version, version);
            assert_int_equal(l->items[i].type, DD_PKG_NUGET);
            return &l->items[i];
        }
    fail_msg("package %s missing", name);
    return NULL;
}

static void test_deps(void **state)
{
    (void)state;
    static const char *const files[] = {"TestLibrary.deps.json", "trivy-without-runtime.deps.json",
                                        "net8-app-single-file.deps.json"};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof(path), LANG "%s", files[i]);
        size_t len;
        uint8_t *b = itest_slurp(path, &len);
        dd_pkg_list l = DD_PKG_LIST_INIT;
        dd_err err = DD_ERR_INIT;
        assert_int_equal(dd_dotnet_parse_deps(b, len, "/app/x.deps.json", 3, &l, &err), 0);
        /* one package per library of type "package" (projects, runtime packs skipped) */
        assert_int_equal(l.n, count((char *)b, "\"type\": \"package\""));
        for (size_t j = 0; j < l.n; j++) {
            assert_false(l.items[j].declared_only);
            assert_int_equal(l.items[j].layer, 3);
            assert_string_equal(l.items[j].paths.items[0], "/app/x.deps.json");
        }
        if (i == 0) {
            expect(&l, "Newtonsoft.Json", "13.0.1");
            expect(&l, "AWSSDK.Core", "3.7.10.6");
            for (size_t j = 0; j < l.n; j++) /* "TestLibrary/1.0.0" is the project itself */
                assert_string_not_equal(l.items[j].name, "TestLibrary");
        } else if (i == 1) {
            expect(&l, "JsonDiffPatch", "2.0.61");
        }
        dd_pkg_list_free(&l);
        free(b);
    }
}

static void test_packages_lock(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = itest_slurp(LANG "net8-app.packages.lock.json", &len);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_dotnet_parse_packages_lock(b, len, "/src/packages.lock.json", 0, &l, &err),
                     0);
    /* every entry of both frameworks (net8.0, net8.0/win-x64) resolves a distinct package */
    assert_int_equal(l.n, count((char *)b, "\"resolved\""));
    expect(&l, "Humanizer", "2.14.1");
    expect(&l, "Newtonsoft.Json", "13.0.3");
    for (size_t j = 0; j < l.n; j++)
        assert_true(l.items[j].declared_only);
    dd_pkg_list_free(&l);
    free(b);

    b = itest_slurp(LANG "scalibr.packages.lock.json", &len);
    assert_int_equal(dd_dotnet_parse_packages_lock(b, len, "/p.json", 0, &l, &err), 0);
    assert_int_equal(l.n, count((char *)b, "\"resolved\""));
    expect(&l, "Core.Dep", "1.24.0");
    expect(&l, "Some.Dep.One", "1.1.1");
    dd_pkg_list_free(&l);
    free(b);

    /* Two frameworks resolving the same package give it once; projects are skipped. */
    static const char made[] =
        "{\"version\":1,\"dependencies\":{\"net6.0\":{\"A\":{\"type\":\"Direct\",\"resolved\":"
        "\"1.0.0\"},\"P\":{\"type\":\"Project\"}},\"net8.0\":{\"A\":{\"type\":\"Transitive\","
        "\"resolved\":\"1.0.0\"},\"B\":{\"type\":\"CentralTransitive\",\"resolved\":\"2.0.0\"}}}}";
    assert_int_equal(
        dd_dotnet_parse_packages_lock((const uint8_t *)made, sizeof(made) - 1, "/p", 0, &l, &err),
        0);
    assert_int_equal(l.n, 2);
    expect(&l, "A", "1.0.0");
    expect(&l, "B", "2.0.0");
    dd_pkg_list_free(&l);

    static const char *const bad[] = {"[]", "{\"dependencies\":[]}", "{\"dependencies\":{\"x\":1}}",
                                      "{", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(dd_dotnet_parse_packages_lock((const uint8_t *)bad[i], strlen(bad[i]),
                                                       "/p", 0, &l, &err),
                         DD_EINVALID);
        assert_int_equal(l.n, 0);
    }
    static const char bad_deps[] = "{\"libraries\":{\"A/1\":{\"type\":\"package\"},"
                                   "\"NoVersion\":{\"type\":\"package\"}}}";
    assert_int_equal(
        dd_dotnet_parse_deps((const uint8_t *)bad_deps, sizeof(bad_deps) - 1, "/p", 0, &l, &err),
        DD_EINVALID);
    assert_int_equal(l.n, 0);
}

static void count_warn(void *ctx, const char *path, const char *msg)
{
    (void)path;
    (void)msg;
    (*(int *)ctx)++;
}

static void test_catalog(void **state)
{
    (void)state;
    const dd_extractor *ex = NULL;
    assert_int_equal(dd_cataloger_dotnet.wants("app/App.deps.json", 17, 0100644, 10, &ex),
                     DD_KEEP_WHOLE);
    assert_int_equal(dd_cataloger_dotnet.wants("packages.lock.json", 18, 0100644, 10, &ex),
                     DD_KEEP_WHOLE);
    assert_int_equal(dd_cataloger_dotnet.wants("app/deps.json", 13, 0100644, 10, &ex),
                     DD_KEEP_NONE);
    size_t dl, ll;
    uint8_t *deps = itest_slurp(LANG "trivy-without-runtime.deps.json", &dl);
    uint8_t *lock = itest_slurp(LANG "scalibr.packages.lock.json", &ll);
    dd_rootfs *fs = NULL;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(dd_rootfs_add_file(fs, "app/hello2.deps.json", deps, dl, dl, 0100644, 1, 0),
                     0);
    assert_int_equal(dd_rootfs_add_file(fs, "src/packages.lock.json", lock, ll, ll, 0100644, 0, 0),
                     0);
    assert_int_equal(
        dd_rootfs_add_file(fs, "bad/x.deps.json", (const uint8_t *)"{", 1, 1, 0100644, 0, 0), 0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    int warned = 0;
    assert_int_equal(dd_cataloger_dotnet.catalog(fs, &l, count_warn, &warned, &err), 0);
    assert_int_equal(warned, 1);
    assert_int_equal(l.n, count((char *)deps, "\"type\": \"package\"") +
                              count((char *)lock, "\"resolved\""));
    const dd_pkg *p = expect(&l, "JsonDiffPatch", "2.0.61");
    assert_string_equal(p->paths.items[0], "/app/hello2.deps.json");
    assert_int_equal(p->layer, 1);
    p = expect(&l, "Core.Dep", "1.24.0");
    assert_string_equal(p->paths.items[0], "/src/packages.lock.json");
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);
    free(deps);
    free(lock);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deps),
        cmocka_unit_test(test_packages_lock),
        cmocka_unit_test(test_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
