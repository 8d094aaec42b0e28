/* Tests for the apk cataloger: the real installed databases under tests/fixtures/pkgdb/apk are
 * parsed and compared with an independent reading of the same files by awk in paragraph mode,
 * plus spot checks of values taken from the fixtures, the corrupt fixture, the cataloger end to end
 * on a rootfs directory, and hand-written edge cases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "image/rootfs.h"
#include "inventory/apk.h"
#include "inventory/catalog.h"
#include "util/alloc.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

#define APK_DIR DD_FIXTURES "/pkgdb/apk"

/* "name\tversion\tarch\torigin" per package, in file order. */
static void pkg_lines(const dd_pkg_list *pl, dd_strlist *out)
{
    for (size_t i = 0; i < pl->n; i++) {
        const dd_pkg *p = &pl->items[i];
        assert_int_equal(p->type, DD_PKG_APK);
        char *s = dd_asprintf("%s\t%s\t%s\t%s", p->name, p->version, p->arch ? p->arch : "",
                              p->source_name ? p->source_name : "");
        assert_non_null(s);
        assert_int_equal(dd_strlist_push_str(out, s), 0);
        dd_free(s);
    }
}

/* awk reads blank-line separated records; the first P:, V:, A:, o: of each record count. */
static void awk_lines(const char *file, dd_strlist *out)
{
    char *cmd = dd_asprintf("awk 'BEGIN{RS=\"\";FS=\"\\n\"} {n=\"\";v=\"\";a=\"\";o=\"\";"
                            "for(i=1;i<=NF;i++){k=substr($i,1,2);x=substr($i,3);"
                            "if(k==\"P:\"&&n==\"\")n=x;if(k==\"V:\"&&v==\"\")v=x;"
                            "if(k==\"A:\"&&a==\"\")a=x;if(k==\"o:\"&&o==\"\")o=x}"
                            "if(n!=\"\"&&v!=\"\")print n\"\\t\"v\"\\t\"a\"\\t\"o}' '%s'",
                            file);
    assert_non_null(cmd);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[4096];
    while (fgets(line, sizeof(line), p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        assert_int_equal(dd_strlist_push_str(out, line), 0);
    }
    assert_int_equal(pclose(p), 0);
    dd_free(cmd);
}

static size_t count_lines_starting(const uint8_t *buf, size_t len, const char *prefix)
{
    size_t n = 0, pl = strlen(prefix);
    for (size_t i = 0; i < len;) {
        if (len - i >= pl && memcmp(buf + i, prefix, pl) == 0)
            n++;
        const uint8_t *nl = memchr(buf + i, '\n', len - i);
        i = nl ? (size_t)(nl - buf) + 1 : len;
    }
    return n;
}

/* n_skipped: stanzas with a P: line but no version */
static void check_file(const char *rel, int want_rc, size_t n_skipped, dd_pkg_list *pl)
{
    char *file = dd_asprintf("%s/%s", APK_DIR, rel);
    size_t len;
    uint8_t *buf = itest_slurp(file, &len);
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_apk_parse(buf, len, "/lib/apk/db/installed", 2, pl, &err), want_rc);
    /* every P: line is one package in these files, but for the version-less ones */
    assert_int_equal(pl->n + n_skipped, count_lines_starting(buf, len, "P:"));
    dd_strlist got = DD_STRLIST_INIT, want = DD_STRLIST_INIT;
    pkg_lines(pl, &got);
    awk_lines(file, &want);
    assert_int_equal(got.n, want.n);
    for (size_t i = 0; i < got.n; i++)
        assert_string_equal(got.items[i], want.items[i]);
    for (size_t i = 0; i < pl->n; i++) {
        assert_string_equal(pl->items[i].paths.items[0], "/lib/apk/db/installed");
        assert_int_equal(pl->items[i].layer, 2);
    }
    dd_strlist_free(&got);
    dd_strlist_free(&want);
    free(buf);
    dd_free(file);
}

static void test_fixtures(void **state)
{
    (void)state;
    dd_pkg_list pl = DD_PKG_LIST_INIT;

    check_file("alpine-3.18-scalibr/lib/apk/db/installed", 0, 0, &pl);
    assert_int_equal(pl.n, 15);
    const dd_pkg *p = itest_find(&pl, "alpine-baselayout-data", NULL);
    assert_non_null(p);
    assert_string_equal(p->version, "3.4.3-r1");
    assert_string_equal(p->source_name, "alpine-baselayout");
    assert_string_equal(p->license, "GPL-2.0-only");
    dd_pkg_list_free(&pl);

    check_file("alpine-3.4-trivy/lib/apk/db/installed", 0, 1, &pl);
    assert_int_equal(pl.n, 15);
    assert_null(itest_find(&pl, "invalidPackageWithoutAVersion", NULL));
    p = itest_find(&pl, "musl", NULL);
    assert_non_null(p);
    assert_string_equal(p->version, "1.1.14-r10");
    assert_string_equal(p->arch, "x86_64");
    dd_pkg_list_free(&pl);

    check_file("fixtures/scalibr-different-arch.installed", 0, 0, &pl);
    assert_int_equal(pl.n, 1);
    assert_string_equal(pl.items[0].arch, "noarch");
    dd_pkg_list_free(&pl);

    check_file("fixtures/syft-multiple-1.installed", 0, 0, &pl);
    assert_int_equal(pl.n, 4);
    p = itest_find(&pl, "musl", NULL);
    assert_non_null(p);
    assert_string_equal(p->version, "1.2.4_git20230717-r4");
    p = itest_find(&pl, "busybox-binsh", NULL);
    assert_non_null(p);
    assert_string_equal(p->source_name, "busybox");
    dd_pkg_list_free(&pl);

    /* corrupt: a free-text first line; the package that follows is still reported */
    check_file("fixtures/syft-corrupt.installed", DD_EINVALID, 0, &pl);
    assert_int_equal(pl.n, 1);
    assert_string_equal(pl.items[0].name, "alpine-baselayout-data");
    assert_string_equal(pl.items[0].version, "3.2.0-r22");
    dd_pkg_list_free(&pl);
}

static int n_warn;
static void count_warn(void *ctx, const char *path, const char *msg)
{
    (void)ctx;
    (void)msg;
    assert_string_equal(path, "/lib/apk/db/installed");
    n_warn++;
}

static void test_catalog_rootfs_dir(void **state)
{
    (void)state;
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rootfs_from_dir(&fs, APK_DIR "/alpine-3.18-scalibr", dd_cataloger_apk.wants,
                                        64u << 20, &err),
                     0);
    assert_int_equal(dd_rootfs_count(fs), 1);
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    n_warn = 0;
    assert_string_equal(dd_cataloger_apk.name, "apk");
    assert_int_equal(dd_cataloger_apk.catalog(fs, &pl, count_warn, NULL, &err), 0);
    assert_int_equal(n_warn, 0);
    assert_int_equal(pl.n, 15);
    for (size_t i = 0; i < pl.n; i++) {
        assert_string_equal(pl.items[i].paths.items[0], "/lib/apk/db/installed");
        assert_int_equal(pl.items[i].layer, 0);
    }
    dd_pkg_list_free(&pl);
    dd_rootfs_free(fs);

    /* the corrupt database: a warning, and its package */
    size_t len;
    uint8_t *buf = itest_slurp(APK_DIR "/fixtures/syft-corrupt.installed", &len);
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(dd_rootfs_add_file(fs, "lib/apk/db/installed", buf, len, len, 0100644, 0, 0),
                     0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    n_warn = 0;
    assert_int_equal(dd_cataloger_apk.catalog(fs, &pl, count_warn, NULL, &err), 0);
    assert_int_equal(n_warn, 1);
    assert_int_equal(pl.n, 1);
    dd_pkg_list_free(&pl);
    dd_rootfs_free(fs);
    free(buf);

    assert_int_equal(dd_cataloger_apk.wants("lib/apk/db/installed", 20, 0100644, 1, NULL),
                     DD_KEEP_WHOLE);
    assert_int_equal(dd_cataloger_apk.wants("lib/apk/db/installed.new", 24, 0100644, 1, NULL),
                     DD_KEEP_NONE);
}

static void test_edge_cases(void **state)
{
    (void)state;
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    static const char crlf[] = "\r\nP:a\r\nV:1-r0\r\nA:aarch64\r\nP:ignored\r\n\r\n\r\n"
                               "P:b\r\nX\r\nV:2-r1";
    assert_int_equal(dd_apk_parse((const uint8_t *)crlf, sizeof(crlf) - 1, NULL, 0, &pl, &err),
                     DD_EINVALID);
    assert_int_equal(err.offset, (size_t)(strstr(crlf, "X\r") - crlf));
    assert_int_equal(pl.n, 2);
    assert_string_equal(pl.items[0].name, "a");
    assert_string_equal(pl.items[0].version, "1-r0");
    assert_string_equal(pl.items[0].arch, "aarch64");
    assert_null(pl.items[0].source_name);
    assert_null(pl.items[0].license);
    assert_int_equal(pl.items[0].paths.n, 0);
    assert_string_equal(pl.items[1].name, "b");
    assert_string_equal(pl.items[1].version, "2-r1");
    assert_null(pl.items[1].arch);
    dd_pkg_list_free(&pl);

    static const char partial[] = "P:\nV:1\n\nV:2\n\nP:x\n\nP:y\nV:\n";
    assert_int_equal(
        dd_apk_parse((const uint8_t *)partial, sizeof(partial) - 1, NULL, 0, &pl, &err), 0);
    assert_int_equal(pl.n, 0);
    /* a NUL byte in a line (found by the fuzzer: it made an empty version) skips the line */
    static const char nul[] = "P:a\nV:\0\nV:1\n";
    assert_int_equal(dd_apk_parse((const uint8_t *)nul, sizeof(nul) - 1, NULL, 0, &pl, &err),
                     DD_EINVALID);
    assert_int_equal(err.offset, 4);
    assert_int_equal(pl.n, 1);
    assert_string_equal(pl.items[0].version, "1");
    dd_pkg_list_free(&pl);

    assert_int_equal(dd_apk_parse((const uint8_t *)"", 0, NULL, 0, &pl, &err), 0);
    assert_int_equal(pl.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_catalog_rootfs_dir),
        cmocka_unit_test(test_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
