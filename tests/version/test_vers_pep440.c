/* Tests for the PEP 440 comparator (PyPI): OSV's PyPI ordering vectors, and pypa/packaging's own
 * version tables (the ordered VERSIONS list checked over every pair, the invalid versions and the
 * normalisations), plus hand-written edge cases. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "util/alloc.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

#define OSV_FILE "osv-semantic/pypi-versions.txt"
#define PKG_FILE "pep440/packaging_test_version.txt"

static int cmp_ok(const char *a, const char *b)
{
    return vtest_cmp_ok(dd_vers_pep440_cmp, a, b);
}

static int is_invalid(const char *v)
{
    return vtest_is_invalid(dd_vers_pep440_cmp, v, v);
}

static void check_pair(const char *a, const char *b, int want)
{
    if (cmp_ok(a, b) != want || cmp_ok(b, a) != -want)
        fail_msg("\"%s\" vs \"%s\": want %d, got %d / %d", a, b, want, cmp_ok(a, b), cmp_ok(b, a));
    assert_int_equal(cmp_ok(a, a), 0);
}

/* Versions in the OSV file that PEP 440 does not allow: the pre-PEP 440 "LegacyVersion" forms,
 * which the file keeps on purpose (its comment says packaging no longer accepts them) and which
 * packaging >= 22 rejects as InvalidVersion. They must be DD_EINVALID, not ordered by a guess. */
static const char *const osv_legacy[] = {"0.1-bulbasaur",
                                         "0.1-charmander",
                                         "0.9-doduo",
                                         "0.9-eevee",
                                         "0.9-fearow",
                                         "0.9-gyarados",
                                         "0.9-horsea",
                                         "0.9-ivysaur",
                                         "-class.-jw.util.version.version-pre",
                                         "-class.-jw.util.version.version-preview",
                                         "-class.-jw.util.version.version-dev"};

static int is_legacy(const char *v)
{
    for (size_t i = 0; i < sizeof(osv_legacy) / sizeof(osv_legacy[0]); i++)
        if (strcmp(v, osv_legacy[i]) == 0)
            return 1;
    return 0;
}

static void test_osv_pypi(void **state)
{
    (void)state;
    char *text = vtest_slurp(OSV_FILE), *cur = text, *line;
    size_t n_agree = 0, n_legacy = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        if (line[0] == 0 || strncmp(line, "//", 2) == 0)
            continue;
        char *a, *b;
        int want = vtest_osv_line(line, &a, &b);
        if (is_legacy(a) || is_legacy(b)) {
            assert_int_equal(is_invalid(a), is_legacy(a));
            assert_int_equal(is_invalid(b), is_legacy(b));
            n_legacy++;
            continue;
        }
        check_pair(a, b, want);
        n_agree++;
    }
    assert_int_equal(n_legacy, 11);
    assert_int_equal(n_agree, 26);
    printf("pypi-versions.txt: %zu vectors agree, %zu use legacy non-PEP 440 versions "
           "(rejected)\n",
           n_agree, n_legacy);
    dd_free(text);
}

/* Undoes the fixture's escapes (\t, \n, \uXXXX as UTF-8) in place. */
static void unescape(char *s)
{
    char *w = s;
    while (*s) {
        if (s[0] == '\\' && s[1] == 't') {
            *w++ = '\t';
            s += 2;
        } else if (s[0] == '\\' && s[1] == 'n') {
            *w++ = '\n';
            s += 2;
        } else if (s[0] == '\\' && s[1] == 'u') {
            char hex[5] = {s[2], s[3], s[4], s[5], 0};
            unsigned long cp = strtoul(hex, NULL, 16);
            if (cp < 0x80) {
                *w++ = (char)cp;
            } else if (cp < 0x800) {
                *w++ = (char)(0xc0 | (cp >> 6));
                *w++ = (char)(0x80 | (cp & 0x3f));
            } else {
                *w++ = (char)(0xe0 | (cp >> 12));
                *w++ = (char)(0x80 | ((cp >> 6) & 0x3f));
                *w++ = (char)(0x80 | (cp & 0x3f));
            }
            s += 6;
        } else {
            *w++ = *s++;
        }
    }
    *w = 0;
}

#define MAX_ROWS 256

static void test_packaging_tables(void **state)
{
    (void)state;
    char *text = vtest_slurp(PKG_FILE), *cur = text, *line;
    const char *ordered[MAX_ROWS];
    size_t n_ordered = 0, n_pairs = 0, n_invalid = 0, n_norm = 0;
    int section = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        if (line[0] == '#' || line[0] == 0)
            continue;
        if (strcmp(line, "[ordered]") == 0 || strcmp(line, "[invalid]") == 0 ||
            strcmp(line, "[normalized]") == 0) {
            section = line[1];
            continue;
        }
        if (section == 'o') {
            assert_true(n_ordered < MAX_ROWS);
            ordered[n_ordered++] = line;
        } else if (section == 'i') {
            unescape(line);
            if (!is_invalid(line))
                fail_msg("invalid version \"%s\" accepted", line);
            n_invalid++;
        } else if (section == 'n') {
            char *tab = strchr(line, '\t');
            assert_non_null(tab);
            *tab++ = 0;
            unescape(line);
            check_pair(line, tab, 0);
            n_norm++;
        }
    }
    /* "This list must be in the correct sorting order": upstream checks every pair */
    for (size_t i = 0; i < n_ordered; i++) {
        for (size_t j = i; j < n_ordered; j++) {
            check_pair(ordered[i], ordered[j], i == j ? 0 : -1);
            n_pairs++;
        }
    }
    assert_int_equal(n_ordered, 92);
    assert_int_equal(n_invalid, 20);
    assert_int_equal(n_norm, 102);
    printf("packaging_test_version.txt: %zu vectors agree (%zu ordered versions as %zu pairs, "
           "%zu invalid, %zu normalisations)\n",
           n_pairs + n_invalid + n_norm, n_ordered, n_pairs, n_invalid, n_norm);
    dd_free(text);
}

static void test_edges(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",          "v",       "1.0-foo", "french toast",    "1.0+",
        "1.0+a.",    "1.0+.a",  "1.0a1a1", "1.0.post1.post2", "1.0.dev1.dev2",
        "1.0dev1a1", "1!",      "!1.0",    "1!2!3",           "1.0-",
        "1.0_",      "1.0..a",  "1.0a.",   "1.0-a-",          "1.0 +a",
        "1.0+a b",   "1.0\x01", "1,0",     "1.0alphabet",     "1.0-preview-",
        "1.0r-",     "vv1.0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (!is_invalid(bad[i]))
            fail_msg("\"%s\" accepted", bad[i]);

    dd_err err = DD_ERR_INIT;
    int r;
    assert_int_equal(dd_vers_pep440_cmp("1.0", "1.0-foo", &r, &err), DD_EINVALID);
    assert_int_equal(err.offset, 3);
    assert_non_null(strstr(err.msg, "second"));

    check_pair("1.0", "1.0.0", 0);
    check_pair("1", "1.0.0.0.0", 0);
    check_pair("1.0.0.0.1", "1", 1);
    check_pair("1.0a", "1.0a0", 0);
    check_pair("1.0-1", "1.0.post1", 0);
    check_pair("1.0a-1", "1.0a1", 0); /* the number after '-' belongs to the pre-release */
    check_pair("1.0a.post1", "1.0a0.post1", 0);
    check_pair("V1.0", "1.0", 0);
    check_pair("1.0.dev0", "1.0a0", -1);
    check_pair("1.0.post0.dev0", "1.0", 1);
    check_pair("1.0a1.dev0", "1.0a1", -1);
    check_pair("1.0a1.post0.dev0", "1.0a1", 1);
    check_pair("1.0+abc", "1.0+ABC", 0);
    check_pair("1.0+a-b_c", "1.0+a.b.c", 0);
    check_pair("1.0+007", "1.0+7", 0);
    check_pair("1.0+7", "1.0+z", 1);
    check_pair("1.0+1.0", "1.0+1", 1); /* local segments are not zero-padded */
    check_pair("2!0.1", "1!99", 1);
    check_pair("18446744073709551617", "18446744073709551616", 1);
    check_pair("1.99999999999999999999999999", "1.100000000000000000000000000", -1);
    check_pair("1.0rc99999999999999999999999", "1.0", -1);
    check_pair("1.0.post99999999999999999999", "1.0.post100000000000000000000", -1);
    check_pair("000000000000000000000001.0", "1", 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_osv_pypi),
        cmocka_unit_test(test_packaging_tables),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
