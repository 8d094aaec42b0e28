/* Tests for the Alpine version comparator (src/version/apk.c, apk-tools 2.x rules) against
 * apk-tools' test/unit/version.data and OSV's Alpine ordering list. version.data comes from
 * apk-tools master (3.x line, commit 90b974fd): where 3.x changed the rules, its vectors
 * disagree with 2.x; those are counted and listed, not special-cased (see apk.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "common.h"

/* Vectors where apk-tools 2.x (our rules) and the data disagree, listed by the tests when they
 * run. version.data (3.x): 2 compare strings 2.x rejects ("23_foo", "1.0bc"; version.data
 * compares without validating), 3 are 3.x's fixed zero handling ("6.0_pre1 < 6.0": 2.x says '>'
 * because "0" is followed by an extra empty digit token; "8.2.0 < 8.2.001", "8.2.0015 < 8.2.002":
 * 3.x string-sorts components with leading zeros), 3 use 3.x's "~hash" syntax; 9 validity lines
 * are 3.x grammar ("0.1_pre2~1234abcd" valid; "0.1a1", "0.1-r", "0.1-r2-r3", ".1", "a",
 * "_pre1", "-r1", "0.1_" invalid; all the reverse in 2.x). alpine-versions.txt (osv-scalibr):
 * 16 compare strings that are invalid under apk_version_validate() (uppercase letters, "-r-0",
 * "-ruff", unknown suffixes "_blah"/"_csv"/"_foo", "1.0bc"), and 2 ("0.r1 < 0r2",
 * "0.8.21.r2 < 0.8.21r2") that 2.x orders '>' (a letter right after '.' makes an extra empty
 * digit token, which sorts before a letter token). */
#define APK_DATA_DIFFER 8
#define APK_VALID_DIFFER 9
#define OSV_TOTAL 778
#define OSV_DIFFER 18

/* cmp(a, b) or the error code times 10 (always < -1), checking antisymmetry on success. */
static int cmp(const char *a, const char *b)
{
    dd_err err = DD_ERR_INIT;
    int r = 99, back = 99;
    int rc = dd_vers_apk_cmp(a, b, &r, &err);
    if (rc != 0) {
        assert_int_equal(rc, DD_EINVALID);
        return rc * 10;
    }
    assert_int_equal(dd_vers_apk_cmp(b, a, &back, &err), 0);
    assert_int_equal(back, -r);
    return r;
}

static bool valid(const char *v)
{
    dd_err err = DD_ERR_INIT;
    int r;
    int rc = dd_vers_apk_cmp(v, v, &r, &err);
    assert_true(rc == 0 || rc == DD_EINVALID);
    if (rc == 0)
        assert_int_equal(r, 0);
    return rc == 0;
}

static const char *show(int r)
{
    return r == -1 ? "<" : r == 0 ? "=" : r == 1 ? ">" : "invalid";
}

static void test_apk_tools_version_data(void **state)
{
    (void)state;
    char *buf = vtest_slurp("apk/apk-tools-version.data"), *cur = buf, *line;
    size_t n_agree = 0, n_differ = 0, n_fuzzy = 0, n_valid_agree = 0, n_valid_differ = 0;
    size_t lineno = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        char *f[4];
        lineno++;
        size_t nf = vtest_fields(line, f, 4, 1);
        if (nf == 0)
            continue;
        if (nf == 1) {
            /* Validity vector: "v" is valid, "!v" is not. */
            bool want = f[0][0] != '!';
            const char *v = want ? f[0] : f[0] + 1;
            if (valid(v) == want) {
                n_valid_agree++;
            } else {
                n_valid_differ++;
                print_message("apk: version.data:%zu: '%s' %s in 3.x, %s in 2.x\n", lineno, v,
                              want ? "valid" : "invalid", want ? "invalid" : "valid");
            }
            continue;
        }
        assert_int_equal(nf, 3);
        int want;
        if (strcmp(f[1], "<") == 0) {
            want = -1;
        } else if (strcmp(f[1], "=") == 0) {
            want = 0;
        } else if (strcmp(f[1], ">") == 0) {
            want = 1;
        } else {
            /* "~", "<~", ">~", "!~": apk's fuzzy (prefix) match, not a total order. */
            assert_true(strchr(f[1], '~') != NULL);
            n_fuzzy++;
            continue;
        }
        int got = cmp(f[0], f[2]);
        if (got == want) {
            n_agree++;
        } else {
            n_differ++;
            print_message("apk: version.data:%zu: %s %s %s, 2.x rules: %s\n", lineno, f[0], f[1],
                          f[2], show(got));
        }
    }
    dd_free(buf);
    print_message("apk: apk-tools-version.data: %zu vectors agree, %zu differ (listed above: "
                  "3.x data, 2.x rules); validity: %zu agree, %zu differ; %zu fuzzy-match lines "
                  "not applicable\n",
                  n_agree, n_differ, n_valid_agree, n_valid_differ, n_fuzzy);
    /* Pinned so that any change in behaviour shows up; see the listed lines for why. */
    assert_int_equal(n_agree + n_differ, 738);
    assert_int_equal(n_differ, APK_DATA_DIFFER);
    assert_int_equal(n_valid_agree + n_valid_differ, 31);
    assert_int_equal(n_valid_differ, APK_VALID_DIFFER);
    assert_int_equal(n_fuzzy, 16);
}

static void test_osv_alpine(void **state)
{
    (void)state;
    char *buf = vtest_slurp("osv-semantic/alpine-versions.txt"), *cur = buf, *line;
    size_t n_agree = 0, n_differ = 0, lineno = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        char *f[4];
        lineno++;
        size_t nf = vtest_fields(line, f, 4, 1);
        if (nf == 0)
            continue;
        assert_int_equal(nf, 3);
        int want = strcmp(f[1], "<") == 0 ? -1 : strcmp(f[1], ">") == 0 ? 1 : 0;
        if (want == 0)
            assert_string_equal(f[1], "=");
        int got = cmp(f[0], f[2]);
        if (got == want) {
            n_agree++;
        } else {
            n_differ++;
            print_message("apk: alpine-versions.txt:%zu: %s %s %s, 2.x rules: %s\n", lineno, f[0],
                          f[1], f[2], show(got));
        }
    }
    dd_free(buf);
    print_message("apk: osv-semantic/alpine-versions.txt: %zu vectors agree, %zu differ (listed "
                  "above)\n",
                  n_agree, n_differ);
    assert_int_equal(n_agree + n_differ, OSV_TOTAL);
    assert_int_equal(n_differ, OSV_DIFFER);
}

static void test_rules(void **state)
{
    (void)state;
    dd_err err = DD_ERR_INIT;
    int r;
    assert_int_equal(cmp("1.1_alpha", "1.1"), -1);
    /* apk-tools 2.x quirk (fixed in 3.x): after a ".0" component, a pre-release suffix sorts
     * after the bare version. */
    assert_int_equal(cmp("1.0_alpha", "1.0"), 1);
    assert_int_equal(cmp("1.0_rc1", "1.0_rc2"), -1);
    assert_int_equal(cmp("1.0_p1", "1.0"), 1);
    assert_int_equal(cmp("1.0_git20240101", "1.0_p1"), -1);
    assert_int_equal(cmp("1.0-r1", "1.0"), 1);
    assert_int_equal(cmp("1.0a", "1.0"), 1);
    assert_int_equal(cmp("1.05", "1.5"), -1); /* leading zero in a '.' component */
    /* Digit runs longer than any integer compare numerically. */
    assert_int_equal(cmp("1.123456789012345678901234567890", "1.99999999999999999999"), 1);
    assert_int_equal(cmp("1.0-r123456789012345678901234567890", "1.0-r99999999999999999999"), 1);
    /* Empty is not a version (apk-tools 2.x would accept it). */
    assert_int_equal(dd_vers_apk_cmp("1", "", &r, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "second version"));
    assert_int_equal(dd_vers_apk_cmp("1.0_foo", "1", &r, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "first version"));
    assert_int_equal(err.offset, 4); /* the unknown suffix "foo" */
    assert_int_equal(dd_vers_apk_cmp("1.0A", "1", &r, &err), DD_EINVALID);
    assert_int_equal(dd_vers_apk_cmp("1.0-2", "1", &r, &err), DD_EINVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apk_tools_version_data),
        cmocka_unit_test(test_osv_alpine),
        cmocka_unit_test(test_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
