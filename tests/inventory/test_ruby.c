/* Tests of the ruby cataloger against real gemspecs and Gemfile.lock files (tests/fixtures/
 * pkgdb/lang/ruby). Expected values are read from the fixtures here by simple independent means
 * (the stub comment, counting spec lines) plus spot checks taken from the files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "inventory/catalog.h"
#include "inventory/ruby.h"

#define RUBY_DIR DD_FIXTURES "/pkgdb/lang/ruby"

static void parse_file(itest_parse_fn fn, const char *rel, dd_pkg_list *out)
{
    itest_parse_file(fn, RUBY_DIR, rel, "/p/f", 1, out);
}

static void test_gemspec(void **state)
{
    (void)state;
    static const char *const files[] = {"specifications/bundler.gemspec",
                                        "specifications/multiple_licenses.gemspec",
                                        "specifications/rss-0.2.9.gemspec"};
    for (size_t i = 0; i < 3; i++) {
        size_t len;
        char *text = (char *)itest_slurp_in(RUBY_DIR, files[i], &len);
        char name[128], ver[128];
        const char *stub = strstr(text, "# stub: ");
        assert_non_null(stub);
        int n = 0;
        sscanf(stub + 8, "%127s %127s%n", name, ver, &n); /* test code, trusted input */
        assert_true(n > 0);
        free(text);
        dd_pkg_list l = DD_PKG_LIST_INIT;
        parse_file(dd_ruby_gemspec_parse, files[i], &l);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.items[0].name, name);
        assert_string_equal(l.items[0].version, ver);
        assert_int_equal(l.items[0].type, DD_PKG_GEM);
        assert_false(l.items[0].declared_only);
        dd_pkg_list_free(&l);
    }
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_ruby_gemspec_parse, "specifications/multiple_licenses.gemspec", &l);
    assert_string_equal(l.items[0].license, "Ruby OR BSDL OR PSFL");
    dd_pkg_list_free(&l);
    parse_file(dd_ruby_gemspec_parse, "specifications/bundler.gemspec", &l);
    assert_string_equal(l.items[0].license, "MIT");
    dd_pkg_list_free(&l);

    /* without the stub comment: the assignments */
    const char *spec = "Gem::Specification.new do |spec|\n  spec.name = 'foo'\n"
                       "  spec.version = \"1.2.3\"\n  spec.license = \"MIT\"\nend\n";
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_ruby_gemspec_parse((const uint8_t *)spec, strlen(spec), "/x", 0, &l, &err),
                     0);
    assert_non_null(itest_find(&l, "foo", "1.2.3"));
    assert_string_equal(l.items[0].license, "MIT");
    dd_pkg_list_free(&l);
}

/* Independent count: lines "    x (" in the GEM section. */
static size_t gem_specs(const char *rel)
{
    size_t len, n = 0;
    char *text = (char *)itest_slurp_in(RUBY_DIR, rel, &len);
    bool gem = false;
    for (char *line = text; line != NULL && *line; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        if (*line != ' ' && *line != '\n' && *line)
            gem = strncmp(line, "GEM\n", 4) == 0;
        else if (gem && strncmp(line, "    ", 4) == 0 && line[4] != ' ')
            n++;
    }
    free(text);
    return n;
}

static void test_gemfile_lock(void **state)
{
    (void)state;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_ruby_gemfile_lock_parse, "syft.Gemfile.lock", &l);
    assert_int_equal(l.n, gem_specs("syft.Gemfile.lock"));
    assert_non_null(itest_find(&l, "actionmailer", "4.1.1"));
    assert_non_null(itest_find(&l, "unicorn", "4.8.3"));
    assert_null(itest_find(&l, "google-cloud-errors", "1.3.0")); /* PATH */
    assert_null(itest_find(&l, "turbolinks", "3.0.0"));          /* GIT */
    assert_null(itest_find(&l, "bad-entry", "5.5.5"));           /* not a GEM section */
    for (size_t i = 0; i < l.n; i++)
        assert_true(l.items[i].declared_only);
    dd_pkg_list_free(&l);

    parse_file(dd_ruby_gemfile_lock_parse, "osv-scanner-docs.Gemfile.lock", &l);
    assert_int_equal(l.n, gem_specs("osv-scanner-docs.Gemfile.lock"));
    assert_non_null(itest_find(&l, "ffi", "1.17.4")); /* "1.17.4-x86_64-linux-gnu" */
    assert_non_null(itest_find(&l, "google-protobuf", "4.35.1"));
    assert_non_null(itest_find(&l, "sass-embedded", "1.102.0"));
    dd_pkg_list_free(&l);
}

static void add_fixture(dd_rootfs *fs, const char *image_path, const char *fixture)
{
    itest_add_fixture(fs, image_path, RUBY_DIR, fixture, 1);
}

static void test_catalog(void **state)
{
    (void)state;
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    add_fixture(fs, "usr/lib/ruby/gems/3.1.0/specifications/default/bundler-2.1.4.gemspec",
                "specifications/bundler.gemspec");
    add_fixture(fs, "var/lib/gems/3.1.0/specifications/rss-0.2.9.gemspec",
                "specifications/rss-0.2.9.gemspec");
    add_fixture(fs, "var/lib/gems/3.1.0/gems/rss-0.2.9/rss.gemspec",
                "specifications/rss-0.2.9.gemspec"); /* a gem's own source gemspec: not kept */
    add_fixture(fs, "srv/site/Gemfile.lock", "osv-scanner-docs.Gemfile.lock");
    const char *lock = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rss (0.2.9)\n"
                       "    rake (13.0.1)\n\nPLATFORMS\n  ruby\n";
    assert_int_equal(dd_rootfs_add_file(fs, "srv/app/Gemfile.lock", (const uint8_t *)lock,
                                        strlen(lock), strlen(lock), 0100644, 2, 0),
                     0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    assert_int_equal(dd_cataloger_ruby.wants("var/lib/gems/3.1.0/gems/rss-0.2.9/rss.gemspec", 46,
                                             0100644, 1, NULL),
                     DD_KEEP_NONE);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    assert_int_equal(dd_cataloger_ruby.catalog(fs, &l, NULL, NULL, &err), 0);
    size_t decl = 0;
    for (size_t i = 0; i < l.n; i++)
        decl += l.items[i].declared_only;
    assert_int_equal(l.n - decl, 2);
    /* srv/app's lockfile names rss 0.2.9 too (installed): merged */
    const dd_pkg *p = itest_find(&l, "rss", "0.2.9");
    assert_non_null(p);
    assert_false(p->declared_only);
    assert_int_equal(p->paths.n, 2);
    assert_string_equal(p->paths.items[1], "/srv/app/Gemfile.lock");
    assert_null(p->owner);
    assert_int_equal(decl, gem_specs("osv-scanner-docs.Gemfile.lock") + 1); /* + rake */
    assert_non_null(p = itest_find(&l, "rake", "13.0.1"));
    assert_int_equal(p->layer, 2);
    assert_non_null(p = itest_find(&l, "bundler", "2.1.4"));
    assert_string_equal(p->owner, "dpkg");
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);
}

/* With dpkg file lists in the image, a gem whose gemspec a list names is owned by that package
 * (NAME:ARCH.list gives NAME); one in usr/lib/ruby that no list names has no owner. */
static void test_dpkg_owner(void **state)
{
    (void)state;
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    add_fixture(fs, "usr/share/rubygems-integration/all/specifications/rss-0.2.9.gemspec",
                "specifications/rss-0.2.9.gemspec");
    add_fixture(fs, "usr/lib/ruby/gems/3.1.0/specifications/default/bundler-2.1.4.gemspec",
                "specifications/bundler.gemspec");
    const char *list = "/.\n/usr\n/usr/share/rubygems-integration/all/specifications/"
                       "rss-0.2.9.gemspec\n";
    assert_int_equal(dd_rootfs_add_file(fs, "var/lib/dpkg/info/ruby-rss:amd64.list",
                                        (const uint8_t *)list, strlen(list), strlen(list), 0100644,
                                        0, 0),
                     0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    assert_int_equal(dd_cataloger_ruby.catalog(fs, &l, NULL, NULL, &err), 0);
    assert_int_equal(l.n, 2);
    const dd_pkg *p = itest_find(&l, "rss", "0.2.9");
    assert_non_null(p);
    assert_string_equal(p->owner, "ruby-rss");
    assert_non_null(p = itest_find(&l, "bundler", "2.1.4"));
    assert_null(p->owner);
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);
}

static void test_invalid(void **state)
{
    (void)state;
    static const itest_bad_case cases[] = {
        {dd_ruby_gemspec_parse, "Gem::Specification.new do |s|\nend\n"},
        {dd_ruby_gemspec_parse, "# stub: onlyname\n"},
        {dd_ruby_gemfile_lock_parse, "GEM\n  specs:\n    rack\n"},
        {dd_ruby_gemfile_lock_parse, "GEM\n  specs:\n    rack (-x86)\n"},
    };
    itest_check_invalid(cases, sizeof(cases) / sizeof(cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemspec),    cmocka_unit_test(test_gemfile_lock),
        cmocka_unit_test(test_catalog),    cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_dpkg_owner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
