/* Tests of the php (Composer) cataloger against real composer.lock and installed.json files
 * (tests/fixtures/pkgdb/lang/php); expected sets are read from the same files with jansson. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "inventory/catalog.h"
#include "inventory/php.h"

#define PHP_DIR DD_FIXTURES "/pkgdb/lang/php"

static void parse_file(itest_parse_fn fn, const char *rel, dd_pkg_list *out)
{
    itest_parse_file(fn, PHP_DIR, rel, "/p/f", 4, out);
}

/* Every entry of arr must be in l with the given flags. */
static void expect_array(const json_t *arr, const dd_pkg_list *l, bool declared, bool dev,
                         const json_t *dev_names)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        const char *name = json_string_value(json_object_get(e, "name"));
        const dd_pkg *p = itest_find(l, name, json_string_value(json_object_get(e, "version")));
        if (p == NULL)
            fail_msg("missing %s", name);
        assert_int_equal(p->declared_only, declared);
        bool want_dev = dev;
        for (size_t j = 0; j < json_array_size(dev_names); j++)
            want_dev |= strcmp(json_string_value(json_array_get(dev_names, j)), name) == 0;
        assert_int_equal(p->dev, want_dev);
        assert_int_equal(p->type, DD_PKG_COMPOSER);
        assert_string_equal(p->paths.items[0], "/p/f");
        assert_int_equal(p->layer, 4);
    }
}

static void test_composer_lock(void **state)
{
    (void)state;
    static const char *const files[] = {"osv-locks-many-with-insecure.composer.lock",
                                        "trivy-with-dev.composer.lock", "syft.composer.lock"};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof(path), PHP_DIR "/%s", files[i]);
        json_t *root = json_load_file(path, 0, NULL);
        assert_non_null(root);
        dd_pkg_list l = DD_PKG_LIST_INIT;
        parse_file(dd_php_composer_lock_parse, files[i], &l);
        const json_t *pk = json_object_get(root, "packages");
        const json_t *dv = json_object_get(root, "packages-dev");
        assert_int_equal(l.n, json_array_size(pk) + json_array_size(dv));
        expect_array(pk, &l, true, false, NULL);
        expect_array(dv, &l, true, true, NULL);
        dd_pkg_list_free(&l);
        json_decref(root);
    }
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_php_composer_lock_parse, "osv-locks-many-with-insecure.composer.lock", &l);
    const dd_pkg *p = itest_find(&l, "drupal/core", "10.4.5");
    assert_non_null(p);
    assert_string_equal(p->license, "GPL-2.0-or-later");
    dd_pkg_list_free(&l);
}

static void test_installed(void **state)
{
    (void)state;
    static const char *const files[] = {"vendor-composer1/installed.json",
                                        "vendor-composer2/installed.json"};
    for (size_t i = 0; i < 2; i++) {
        char path[512];
        snprintf(path, sizeof(path), PHP_DIR "/%s", files[i]);
        json_t *root = json_load_file(path, 0, NULL);
        assert_non_null(root);
        const json_t *pk = json_is_array(root) ? root : json_object_get(root, "packages");
        dd_pkg_list l = DD_PKG_LIST_INIT;
        parse_file(dd_php_installed_json_parse, files[i], &l);
        assert_int_equal(l.n, json_array_size(pk));
        expect_array(pk, &l, false, false, json_object_get(root, "dev-package-names"));
        dd_pkg_list_free(&l);
        json_decref(root);
    }
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_php_installed_json_parse, "vendor-composer2/installed.json", &l);
    const dd_pkg *p = itest_find(&l, "behat/mink", "v1.8.1");
    assert_non_null(p);
    assert_true(p->dev); /* listed in dev-package-names */
    assert_false(itest_find(&l, "asm89/stack-cors", "1.3.0")->dev);
    dd_pkg_list_free(&l);
}

static void add_fixture(dd_rootfs *fs, const char *image_path, const char *fixture, int layer)
{
    itest_add_fixture(fs, image_path, PHP_DIR, fixture, layer);
}

static void test_catalog(void **state)
{
    (void)state;
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    add_fixture(fs, "srv/app/vendor/composer/installed.json", "vendor-composer2/installed.json", 1);
    add_fixture(fs, "srv/app/composer.lock", "syft.composer.lock", 2);
    add_fixture(fs, "srv/app/vendor/x/y/composer.lock", "trivy-with-dev.composer.lock", 1);
    add_fixture(fs, "srv/old/vendor/composer/installed.json", "vendor-composer1/installed.json", 1);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    assert_int_equal(dd_cataloger_php.catalog(fs, &l, NULL, NULL, &err), 0);
    /* 2 + 2 installed (the two projects list the same packages: kept apart), 4 declared */
    assert_int_equal(l.n, 8);
    size_t decl = 0;
    for (size_t i = 0; i < l.n; i++)
        decl += l.items[i].declared_only;
    assert_int_equal(decl, 4);
    assert_string_equal(l.items[0].paths.items[0], "/srv/app/vendor/composer/installed.json");
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);
}

static void test_invalid(void **state)
{
    (void)state;
    static const itest_bad_case cases[] = {
        {dd_php_composer_lock_parse, "{\"packages\": [}"},
        {dd_php_composer_lock_parse, "[]"},
        {dd_php_installed_json_parse, "\"x\""},
        {dd_php_installed_json_parse, ""},
    };
    itest_check_invalid(cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_composer_lock),
        cmocka_unit_test(test_installed),
        cmocka_unit_test(test_catalog),
        cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
