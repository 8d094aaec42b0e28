/* Tests of the Composer comparator (src/version/composer.c) against every vector in
 * tests/fixtures/versions/osv-semantic/packagist-versions.txt, each inequality in both
 * orientations. Vectors that disagree with Composer (VersionParser::normalize + version_compare)
 * are listed below with the reason; the test checks that they still disagree, so a change shows up.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "common.h"

/* "a OP b" lines that disagree with Composer, exactly as written in the vector file. */
static const char *const known_bad[] = {
    /* php-src's version_compare tests, not Composer versions: normalize() rejects "4.3-2RC1",
     * "4.3-2" ("Invalid version string"); a number after "-" needs a stability word. */
    "4.3-2RC1 < 4.3-2RC2",
    "4.3-2RC2 > 4.3-2beta5",
    "4.3-2 > 4.3-2beta1",
    /* Composer normalises both to 1.0.0.0 (raw version_compare says 1.0.0 > 1.0). */
    "1.0.0 > 1.0",
    /* "#" is not valid in a Composer version (version_compare's special form only). */
    "1.2.3.# = 1.2.3",
    "1.2.3.# = 1.2.3.#",
    "1.2.3.# = 1.2.3.1",
    "1.2.3.#.1 > 1.2.3",
    "1.2.3.#.p3 > 1.2.3",
    "1.2.3.#.beta < 1.2.3",
    /* normalize() takes 1-5 leading digits (classical) or a date of at most 22 digits; a
     * 30-digit number is "Invalid version string". */
    "999999999999999999999999999991 < 999999999999999999999999999999",
    "999999999999999999999999999991.999999999999999999999999999991.999999999999999999999999999991 "
    "< "
    "999999999999999999999999999999.999999999999999999999999999991.999999999999999999999999999991",
    NULL,
};

/* Normalisation spot checks from composer/semver's VersionParserTest and ComparatorTest. */
static void test_normalize(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        int want;
    } c[] = {
        {"1.0", "1.0.0.0", 0},
        {"v1.0.0", "1.0.0", 0},
        {"1.0.0+build", "1.0.0", 0},
        {"1.0rc1", "1.0.0-RC1", 0},
        {"1.0.0-rc.1", "1.0.0RC1", 0},
        {"1.0-pl1", "1.0.0-patch1", 0},
        {"2010-01-02", "2010.01.02", -1} /* date form vs classical 2010.01.02.0 */,
        {"1.x-dev", "1.9999999", 1},
        {"1.0-dev", "1.0.0-alpha", -1},
        {"dev-master", "0.0.1", -1},
        {"master", "dev-master", 0},
        {"dev-a", "dev-b", -1},
        {"1.0.0-beta2", "1.0.0-beta10", -1},
        {"1.0.0", "1.0.0-patch1", -1},
    };
    for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        dd_err err = DD_ERR_INIT;
        int r = 2;
        assert_int_equal(dd_vers_composer_cmp(c[i].a, c[i].b, &r, &err), 0);
        if (r != c[i].want)
            printf("  %s vs %s: %d, want %d\n", c[i].a, c[i].b, r, c[i].want);
        assert_int_equal(r, c[i].want);
    }
    static const char *const badv[] = {"", "feature", "1.0.0.0.0", "1.0-foo", "dev", "x1"};
    for (size_t i = 0; i < sizeof(badv) / sizeof(badv[0]); i++) {
        dd_err err = DD_ERR_INIT;
        int r;
        assert_int_equal(dd_vers_composer_cmp(badv[i], "1", &r, &err), DD_EINVALID);
    }
}

static void test_osv(void **state)
{
    (void)state;
    vtest_check_file("osv-semantic/packagist-versions.txt", dd_vers_composer_cmp, known_bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_osv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
