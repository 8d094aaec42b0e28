/* CVSS scores: every vector of the claircore lists (v2, v3.1 and v4.0 scores, v2/v3 error lists,
 * v3/v4 round-trip lists) plus ratings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vulndb/cvss.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LISTS DD_FIXTURES "/vulndb/cvss-vectors/"

typedef enum { L_SCORE, L_ERROR, L_ROUNDTRIP } list_kind;

/* Checks every vector line of file; returns the number checked. Lines: "VECTOR [score] [# ...]";
 * in error lists a vector marked "#OK" must parse and every other must be rejected. */
static int check_list(const char *name, list_kind kind)
{
    char path[512];
    snprintf(path, sizeof(path), "%s%s", LISTS, name);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[1024];
    int n = 0, bad = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t i = 0;
        while (line[i] == ' ' || line[i] == '\t')
            i++;
        if (line[i] == '#' || line[i] == '\n' || line[i] == '\0')
            continue;
        char vec[600];
        size_t k = 0;
        while (line[i] && line[i] != ' ' && line[i] != '\t' && line[i] != '\n' && k < 599)
            vec[k++] = line[i++];
        vec[k] = '\0';
        double score = -1;
        int version = 0;
        dd_err err = DD_ERR_INIT;
        int rc = dd_cvss_base_score(vec, &score, &version, &err);
        n++;
        if (kind == L_SCORE) {
            double want = strtod(line + i, NULL);
            if (rc != 0 || fabs(score - want) > 0.01) {
                printf("%s: %s: want %.1f, got %.1f (rc %d %s)\n", name, vec, want, score, rc,
                       err.msg);
                bad++;
            }
        } else if (kind == L_ERROR) {
            int ok = strstr(line, "#OK") != NULL;
            if ((rc == 0) != ok) {
                printf("%s: %s: expected %s\n", name, vec, ok ? "to parse" : "an error");
                bad++;
            }
        } else if (rc != 0) {
            printf("%s: %s: does not parse: %s\n", name, vec, err.msg);
            bad++;
        }
    }
    fclose(f);
    printf("%s: %d vectors agree\n", name, n - bad);
    assert_int_equal(bad, 0);
    assert_true(n > 0);
    return n;
}

static void test_lists(void **state)
{
    (void)state;
    check_list("v2_score.list", L_SCORE);
    check_list("v31_score.list", L_SCORE);
    check_list("v4_score.list", L_SCORE);
    check_list("v2_error.list", L_ERROR);
    check_list("v3_error.list", L_ERROR);
    check_list("v3_roundtrip.list", L_ROUNDTRIP);
    check_list("v4_roundtrip.list", L_ROUNDTRIP);
}

static void test_versions_and_ratings(void **state)
{
    (void)state;
    double s;
    int v;
    assert_int_equal(
        dd_cvss_base_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", &s, &v, NULL), 0);
    assert_int_equal(v, 3);
    assert_true(fabs(s - 9.8) < 0.01);
    assert_int_equal(dd_cvss_base_score("AV:N/AC:L/Au:N/C:P/I:P/A:P", &s, &v, NULL), 0);
    assert_int_equal(v, 2);
    assert_true(fabs(s - 7.5) < 0.01);
    /* NVD's parenthesised v2 form */
    assert_int_equal(dd_cvss_base_score("(AV:N/AC:L/Au:N/C:P/I:P/A:P)", &s, &v, NULL), 0);
    assert_int_equal(dd_cvss_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/"
                                        "SI:N/SA:N",
                                        &s, &v, NULL),
                     0);
    assert_int_equal(v, 4);
    assert_true(fabs(s - 9.3) < 0.01);
    /* v3.0 rounds up where 3.1's Roundup keeps the value (a known 3.0/3.1 difference) */
    double s30, s31;
    assert_int_equal(
        dd_cvss_base_score("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", &s30, NULL, NULL), 0);
    assert_int_equal(
        dd_cvss_base_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", &s31, NULL, NULL), 0);
    assert_true(fabs(s30 - 5.5) < 0.01 && fabs(s31 - 5.5) < 0.01);
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_cvss_base_score("", &s, NULL, &err), DD_EINVALID);
    assert_int_equal(dd_cvss_base_score("CVSS:4.0/AV:N", &s, NULL, &err), DD_EINVALID);
    assert_string_equal(dd_cvss_rating(0.0, 3), "NONE");
    assert_string_equal(dd_cvss_rating(3.9, 3), "LOW");
    assert_string_equal(dd_cvss_rating(4.0, 4), "MEDIUM");
    assert_string_equal(dd_cvss_rating(8.9, 3), "HIGH");
    assert_string_equal(dd_cvss_rating(9.0, 3), "CRITICAL");
    assert_string_equal(dd_cvss_rating(6.9, 2), "MEDIUM");
    assert_string_equal(dd_cvss_rating(7.0, 2), "HIGH");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_versions_and_ratings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
