/* Tests for the SemVer 2.0.0 comparator (npm, crates.io): node-semver's comparison and equality
 * fixtures and OSV's SemVer ordering vectors, every case checked in both directions, plus
 * hand-written edge cases of the grammar. */
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
#include "util/alloc.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

#define NPM_DIR DD_FIXTURES "/versions/npm-semver"
#define OSV_FILE "osv-semantic/semver-versions.txt"

static int cmp_ok(const char *a, const char *b)
{
    return vtest_cmp_ok(dd_vers_semver_cmp, a, b);
}

static int is_invalid(const char *v)
{
    return vtest_is_invalid(dd_vers_semver_cmp, v, "1.0.0");
}

/* Checks a <op> b in both directions and reflexively. */
static void check_pair(const char *a, const char *b, int want)
{
    if (cmp_ok(a, b) != want || cmp_ok(b, a) != -want)
        fail_msg("\"%s\" vs \"%s\": want %d, got %d / %d", a, b, want, cmp_ok(a, b), cmp_ok(b, a));
    assert_int_equal(cmp_ok(a, a), 0);
    assert_int_equal(cmp_ok(b, b), 0);
}

static json_t *load_cases(const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (root == NULL)
        fail_msg("%s: %s", path, je.text);
    assert_true(json_is_array(json_object_get(root, "cases")));
    return root;
}

/* node-semver's option argument: true or {"loose": true} select loose parsing. */
static int wants_loose(json_t *c)
{
    json_t *o = json_array_get(c, 2);
    return json_is_true(o) || (json_is_object(o) && json_is_true(json_object_get(o, "loose")));
}

/* [v1, v2, options?]: v1 > v2. Every case is strict SemVer except for a leading "v", which this
 * comparator accepts, so all of them must agree. */
static void test_npm_comparisons(void **state)
{
    (void)state;
    json_t *root = load_cases(NPM_DIR "/comparisons.json"), *c;
    size_t i, n = 0;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        check_pair(json_string_value(json_array_get(c, 0)), json_string_value(json_array_get(c, 1)),
                   1);
        n++;
    }
    assert_int_equal(n, json_array_size(json_object_get(root, "cases")));
    assert_true(n >= 30);
    printf("comparisons.json: %zu vectors agree\n", n);
    json_decref(root);
}

/* Forms that only node-semver's loose mode accepts (after trimming): a leading "=", or "v"
 * followed by whitespace. Decided here independently of the comparator. */
static int loose_only(const char *v)
{
    while (*v == ' ' || *v == '\t')
        v++;
    return v[0] == '=' || (v[0] == 'v' && (v[1] == ' ' || v[1] == '\t'));
}

/* [v1, v2, options?]: v1 == v2. The loose-only spellings ("=1.2.3", "v 1.2.3", " = 1.2.3") are
 * rejected by design (npm publishes only strict versions); each rejected case must be marked loose
 * in the fixture and use such a spelling. */
static void test_npm_equality(void **state)
{
    (void)state;
    json_t *root = load_cases(NPM_DIR "/equality.json"), *c;
    size_t i, n_agree = 0, n_loose = 0, n_expected_loose = 0;
    json_array_foreach(json_object_get(root, "cases"), i, c)
    {
        const char *a = json_string_value(json_array_get(c, 0));
        const char *b = json_string_value(json_array_get(c, 1));
        int needs = loose_only(a) || loose_only(b);
        n_expected_loose += needs;
        if (is_invalid(a) || is_invalid(b)) {
            if (!needs || !wants_loose(c))
                fail_msg("equality case %zu (\"%s\", \"%s\") rejected but not loose-only", i, a, b);
            n_loose++;
            continue;
        }
        if (needs)
            fail_msg("loose-only spelling accepted: \"%s\" / \"%s\"", a, b);
        check_pair(a, b, 0);
        n_agree++;
    }
    assert_int_equal(n_loose, n_expected_loose);
    assert_int_equal(n_agree + n_loose, json_array_size(json_object_get(root, "cases")));
    printf("equality.json: %zu vectors agree, %zu need node-semver loose mode (rejected)\n",
           n_agree, n_loose);
    json_decref(root);
}

/* Lines of the OSV file that use versions outside SemVer 2.0.0: OSV's own SemVer parser is lenient
 * (a single component; a fourth and fifth component, which its comment says it treats as build
 * metadata). Under SemVer 2.0.0 and node-semver these versions are invalid, so the comparator must
 * reject them rather than guess. */
static const char *const osv_not_semver[] = {
    "999999999999999999999999999991 < 999999999999999999999999999999",
    "1.1.3.4.5 = 1.1.3.4.5",
};

/* OSV format: "a < b", "a = b" or "a > b" a line; blank lines and "//" comments skipped. */
static void test_osv_semver(void **state)
{
    (void)state;
    char *text = vtest_slurp(OSV_FILE), *cur = text, *line;
    size_t n_agree = 0, n_invalid = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        if (line[0] == 0 || strncmp(line, "//", 2) == 0)
            continue;
        size_t k, n_known = sizeof(osv_not_semver) / sizeof(osv_not_semver[0]);
        for (k = 0; k < n_known; k++)
            if (strcmp(line, osv_not_semver[k]) == 0)
                break;
        char *a, *b;
        int want = vtest_osv_line(line, &a, &b);
        if (k < n_known) {
            assert_true(is_invalid(a) || is_invalid(b));
            n_invalid++;
            continue;
        }
        check_pair(a, b, want);
        n_agree++;
    }
    assert_int_equal(n_invalid, sizeof(osv_not_semver) / sizeof(osv_not_semver[0]));
    assert_true(n_agree >= 80);
    printf("semver-versions.txt: %zu vectors agree, %zu use non-SemVer versions (rejected)\n",
           n_agree, n_invalid);
    dd_free(text);
}

static void test_grammar(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",       "v",         "1",           "1.2",        "1.2.3.4",   "01.2.3",     "1.02.3",
        "1.2.03", "1.2.3-",    "1.2.3+",      "1.2.3-a..b", "1.2.3-a.",  "1.2.3+a..b", "1.2.3-01",
        "=1.2.3", "v 1.2.3",   "V1.2.3",      "vv1.2.3",    "1.2.3 x",   "1.2.3-a_b",  "1.2.3-é",
        "-1.2.3", "1.2.3beta", "1.2.3-a+b+c", "1 .2.3",     "1.2.3\x01", "a.b.c",      "1.2.-3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (!is_invalid(bad[i]))
            fail_msg("\"%s\" accepted", bad[i]);

    /* err names the version and the offset of the problem */
    dd_err err = DD_ERR_INIT;
    int r;
    assert_int_equal(dd_vers_semver_cmp("1.0.0", "1.2.03", &r, &err), DD_EINVALID);
    assert_int_equal(err.offset, 4);
    assert_non_null(strstr(err.msg, "second"));
    assert_non_null(strstr(err.msg, "1.2.03"));

    /* numeric rules without overflow, pre-release rules, build metadata ignored */
    check_pair("18446744073709551616.0.0", "18446744073709551615.0.0", 1);
    check_pair("1.0.0-99999999999999999999999", "1.0.0-100000000000000000000000", -1);
    check_pair("1.0.0-0", "1.0.0-a", -1);
    check_pair("1.0.0-9", "1.0.0-10", -1);
    check_pair("1.0.0-a-1", "1.0.0-a", 1);
    check_pair("1.0.0-0a", "1.0.0-1", 1); /* "0a" is alphanumeric: leading zero allowed */
    check_pair("1.0.0-alpha", "1.0.0-alpha.0", -1);
    check_pair("1.0.0-B", "1.0.0-a", -1); /* ASCII order */
    check_pair("1.0.0+0001", "1.0.0+zzz", 0);
    check_pair("1.0.0-rc.1+build.7", "1.0.0-rc.1", 0);
    check_pair(" v1.0.0\n", "1.0.0", 0);
    check_pair("0.0.0", "0.0.0-0", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_npm_comparisons),
        cmocka_unit_test(test_npm_equality),
        cmocka_unit_test(test_osv_semver),
        cmocka_unit_test(test_grammar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
