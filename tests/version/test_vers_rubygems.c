/* Tests of the RubyGems comparator (src/version/rubygems.c) against every vector in
 * tests/fixtures/versions/osv-semantic/rubygems-versions.txt, each inequality in both
 * orientations. Vectors that disagree with Gem::Version are listed below with the reason; the
 * test checks that they still disagree, so a change shows up. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "common.h"

/* "a OP b" lines that disagree with Gem::Version, exactly as written in the vector file. */
static const char *const known_bad[] = {
    /* Gem::Version's pattern needs a '.' before letters after the leading number:
     * Gem::Version.new("1beta") raises "Malformed version number string" (osv-scalibr only
     * splits on digit/letter runs). */
    "1 > 1beta",
    "1 > 1gamma",
    NULL,
};

static void test_osv(void **state)
{
    (void)state;
    vtest_check_file("osv-semantic/rubygems-versions.txt", dd_vers_rubygems_cmp, known_bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_osv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
