/* Unit tests of OSV range evaluation (dd_match_range) and severity names: introduced, fixed,
 * last_affected and limit events in any order, "0", the smallest fix above the version, and
 * versions that do not parse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "match/match.h"
#include "util/alloc.h"
#include "version/version.h"

static int in_range(dd_vers_scheme s, const char *events, const char *v, const char *want_fix)
{
    char *fixed = NULL;
    dd_err err = DD_ERR_INIT;
    int rc = dd_match_range((int)s, events, v, &fixed, &err);
    if (want_fix == NULL)
        assert_null(fixed);
    else if (rc == 1) {
        assert_non_null(fixed);
        assert_string_equal(fixed, want_fix);
    }
    dd_free(fixed);
    return rc;
}

static void test_introduced_fixed(void **state)
{
    (void)state;
    const char *ev = "[{\"introduced\":\"0\"},{\"fixed\":\"4.17.20\"}]";
    assert_int_equal(in_range(DD_VERS_SEMVER, ev, "4.17.15", "4.17.20"), 1);
    assert_int_equal(in_range(DD_VERS_SEMVER, ev, "4.17.20", NULL), 0);
    assert_int_equal(in_range(DD_VERS_SEMVER, ev, "5.0.0", NULL), 0);
    assert_int_equal(in_range(DD_VERS_SEMVER, ev, "0.0.1", "4.17.20"), 1);
}

static void test_unsorted_and_reintroduced(void **state)
{
    (void)state;
    /* events out of order; affected in [1.0, 1.5) and [2.0, 2.3) */
    const char *ev = "[{\"fixed\":\"2.3.0\"},{\"introduced\":\"2.0.0\"},{\"fixed\":\"1.5.0\"},"
                     "{\"introduced\":\"1.0.0\"}]";
    assert_int_equal(in_range(DD_VERS_SEMVER, ev, "0.9.0", NULL), 0);
    assert_int_equal(in_range(DD_VERS_SEMVER, ev, "1.0.0", "1.5.0"), 1);
    assert_int_equal(in_range(DD_VERS_SEMVER, ev, "1.7.0", NULL), 0);
    assert_int_equal(in_range(DD_VERS_SEMVER, ev, "2.1.0", "2.3.0"), 1);
    assert_int_equal(in_range(DD_VERS_SEMVER, ev, "2.3.0", NULL), 0);
}

static void test_last_affected_and_limit(void **state)
{
    (void)state;
    const char *la = "[{\"introduced\":\"1.0\"},{\"last_affected\":\"1.4\"}]";
    assert_int_equal(in_range(DD_VERS_PEP440, la, "1.4", NULL), 1);
    assert_int_equal(in_range(DD_VERS_PEP440, la, "1.4.post1", NULL), 0);
    assert_int_equal(in_range(DD_VERS_PEP440, la, "1.0rc1", NULL), 0);
    const char *lim = "[{\"introduced\":\"0\"},{\"limit\":\"3.0\"}]";
    assert_int_equal(in_range(DD_VERS_PEP440, lim, "2.9", NULL), 1);
    assert_int_equal(in_range(DD_VERS_PEP440, lim, "3.0", NULL), 0);
}

static void test_distro_versions(void **state)
{
    (void)state;
    /* dpkg: '~' sorts before the release, epochs dominate */
    const char *ev = "[{\"introduced\":\"0\"},{\"fixed\":\"2.36-9+deb12u4\"}]";
    assert_int_equal(in_range(DD_VERS_DPKG, ev, "2.36-9+deb12u3", "2.36-9+deb12u4"), 1);
    assert_int_equal(in_range(DD_VERS_DPKG, ev, "2.36-9+deb12u14", NULL), 0);
    assert_int_equal(in_range(DD_VERS_DPKG, ev, "2.36-9+deb12u4~1", "2.36-9+deb12u4"), 1);
    const char *ep = "[{\"introduced\":\"0\"},{\"fixed\":\"1:1.0-1\"}]";
    assert_int_equal(in_range(DD_VERS_DPKG, ep, "9.9-9", "1:1.0-1"), 1);
    /* apk: _rc before the release, -r revisions */
    const char *apk = "[{\"introduced\":\"0\"},{\"fixed\":\"1.2.3-r1\"}]";
    assert_int_equal(in_range(DD_VERS_APK, apk, "1.2.3_rc1-r5", "1.2.3-r1"), 1);
    assert_int_equal(in_range(DD_VERS_APK, apk, "1.2.3-r1", NULL), 0);
}

static void test_invalid(void **state)
{
    (void)state;
    char *fixed = NULL;
    dd_err err = DD_ERR_INIT;
    /* a version that does not parse is an error, never a guess */
    int rc = dd_match_range((int)DD_VERS_SEMVER, "[{\"introduced\":\"0\"},{\"fixed\":\"1.2.3\"}]",
                            "not a version", &fixed, &err);
    assert_true(rc < 0);
    assert_null(fixed);
    assert_true(strlen(err.msg) > 0);
    rc = dd_match_range((int)DD_VERS_SEMVER, "{\"introduced\":\"0\"}", "1.0.0", &fixed, &err);
    assert_int_equal(rc, DD_EINVALID);
    /* no events: not affected */
    assert_int_equal(in_range(DD_VERS_SEMVER, "[]", "1.0.0", NULL), 0);
}

static void test_severity_names(void **state)
{
    (void)state;
    assert_int_equal(dd_sev_level_parse("critical"), DD_SEVL_CRITICAL);
    assert_int_equal(dd_sev_level_parse("MODERATE"), DD_SEVL_MEDIUM);
    assert_int_equal(dd_sev_level_parse("unimportant"), DD_SEVL_NEGLIGIBLE);
    assert_int_equal(dd_sev_level_parse("bogus"), -1);
    assert_string_equal(dd_sev_level_name(DD_SEVL_HIGH), "HIGH");
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_introduced_fixed),
                                       cmocka_unit_test(test_unsorted_and_reintroduced),
                                       cmocka_unit_test(test_last_affected_and_limit),
                                       cmocka_unit_test(test_distro_versions),
                                       cmocka_unit_test(test_invalid),
                                       cmocka_unit_test(test_severity_names)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
