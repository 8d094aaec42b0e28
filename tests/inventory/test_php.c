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

#include "inventory/catalog.h"
#include "inventory/php.h"

#define PHP_DIR DD_FIXTURES "/pkgdb/lang/php"

typedef int (*parse_fn)(const uint8_t *, size_t, const char *, int, dd_pkg_list *, dd_err *);

static uint8_t *slurp(const char *rel, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), PHP_DIR "/%s", rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void parse_file(parse_fn fn, const char *rel, dd_pkg_list *out)
{
    size_t len;
    uint8_t *buf = slurp(rel, &len);
    dd_err err = DD_ERR_INIT;
    int rc = fn(buf, len, "/p/f", 4, out, &err);
    if (rc != 0)
        print_error("%s: %s\n", rel, err.msg);
    assert_int_equal(rc, 0);
    free(buf);
}

static const dd_pkg *find(const dd_pkg_list *l, const char *name, const char *ver)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0 && strcmp(l->items[i].version, ver) == 0)
            return &l->items[i];
    return NULL;
}

/* Every entry of arr must be in l with the given flags. */
static void expect_array(const json_t *arr, const dd_pkg_list *l, bool declared, bool dev,
                         const json_t *dev_names)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        const char *name = json_string_value(json_object_get(e, "name"));
        const dd_pkg *p = find(l, name, json_string_value(json_object_get(e, "version")));
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
    const dd_pkg *p = find(&l, "drupal/core", "10.4.5");
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
    const dd_pkg *p = find(&l, "behat/mink", "v1.8.1");
    assert_non_null(p);
    assert_true(p->dev); /* listed in dev-package-names */
    assert_false(find(&l, "asm89/stack-cors", "1.3.0")->dev);
    dd_pkg_list_free(&l);
}

static void add_fixture(dd_rootfs *fs, const char *image_path, const char *fixture, int layer)
{
    size_t len;
    uint8_t *buf = slurp(fixture, &len);
    assert_int_equal(dd_rootfs_add_file(fs, image_path, buf, len, len, 0100644, layer, 0), 0);
    free(buf);
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
    static const struct {
        parse_fn fn;
        const char *in;
    } cases[] = {
        {dd_php_composer_lock_parse, "{\"packages\": [}"},
        {dd_php_composer_lock_parse, "[]"},
        {dd_php_installed_json_parse, "\"x\""},
        {dd_php_installed_json_parse, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        dd_pkg_list l = DD_PKG_LIST_INIT;
        dd_err err = DD_ERR_INIT;
        int rc = cases[i].fn((const uint8_t *)cases[i].in, strlen(cases[i].in), "/x", 0, &l, &err);
        if (rc != DD_EINVALID)
            fail_msg("case %zu: rc %d", i, rc);
        assert_int_equal(l.n, 0);
        assert_true(err.msg[0] != '\0');
    }
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
