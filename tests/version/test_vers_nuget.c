/* Tests of the NuGet comparator (src/version/nuget.c) against every vector in
 * tests/fixtures/versions/osv-semantic/nuget-versions.txt, each inequality in both orientations.
 * Vectors that disagree with NuGet.Versioning are listed below with the reason; the test checks
 * that they still disagree, so a change shows up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common.h"

/* "a OP b" lines that disagree with NuGet.Versioning, exactly as written in the vector file. */
static const char *const known_bad[] = {
    /* System.Version parts are Int32: NuGetVersion.TryParse rejects these 30-digit numbers
     * (osv-scalibr compares them as big integers). */
    "999999999999999999999999999991 < 999999999999999999999999999999",
    "999999999999999999999999999991.999999999999999999999999999991.999999999999999999999999999991 "
    "< "
    "999999999999999999999999999999.999999999999999999999999999991.999999999999999999999999999991",
    NULL,
};

static void test_osv(void **state)
{
    (void)state;
    vtest_check_file("osv-semantic/nuget-versions.txt", dd_vers_nuget_cmp, known_bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_osv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
