/* Tests of the Maven comparator (src/version/maven.c) against every vector in
 * tests/fixtures/versions/maven/ (claircore's compare.list and the data of Maven's own
 * ComparableVersionTest) and versions/osv-semantic/maven-versions.txt. Each inequality is checked
 * in both orientations. Vectors that disagree with Maven's ComparableVersion (3.9.x) are listed
 * below with the reason; the test checks that they still disagree, so a change shows up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common.h"

/* "a OP b" lines that disagree with ComparableVersion, exactly as written in the vector file. */
static const char *const known_bad[] = {
    /* claircore (from go-mvn-version): pre-MNG-7644 behaviour. Maven 3.8.7 (checked with the
     * maven-artifact jar) and 3.9 read ".a" as "-a" and drop the zeros: both are "2-a". */
    "2.0.a < 2.0.0.a",
    /* ComparableVersionTest as stored (apache/maven 5bc542f) predates MNG-7644; newer Maven
     * dropped "2.0.0.a" from VERSIONS_NUMBER and moved "2.0.a" before "2-1". */
    "2-1 < 2.0.a",
    "2-1 < 2.0.0.a",
    /* osv-scalibr follows the POM reference text, where "ga" is trimmed like "" anywhere; Maven
     * keeps "ga-1" as a qualifier with a number (3.8.7 jar and 3.9 code: 1-1 > 1-ga-1). */
    "1-1 = 1-ga-1",
    /* Maven 3.9's CombinationItem reads "bar-1" as "bar1" (a qualifier with a number), so the
     * sides differ (1); Maven 3.8.7, without CombinationItem, says equal as osv-scalibr does. */
    "1-1.foo-bar-1-baz-0.1 = 1-1.foo-bar1baz-.1",
    NULL,
};

static void test_claircore(void **state)
{
    (void)state;
    vtest_check_file("maven/claircore-maven-compare.list", dd_vers_maven_cmp, known_bad);
}

static void test_comparableversiontest(void **state)
{
    (void)state;
    vtest_check_file("maven/maven-comparableversiontest.txt", dd_vers_maven_cmp, known_bad);
}

static void test_osv(void **state)
{
    (void)state;
    vtest_check_file("osv-semantic/maven-versions.txt", dd_vers_maven_cmp, known_bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_claircore),
        cmocka_unit_test(test_comparableversiontest),
        cmocka_unit_test(test_osv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
