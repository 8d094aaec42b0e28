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
#include <string.h>

#include "version/version.h"

#define VDIR DD_FIXTURES "/versions"

typedef int (*cmp_fn)(const char *, const char *, int *, dd_err *);

/* "a OP b" lines that disagree with ComparableVersion, exactly as written in the vector file. */
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

static int is_known_bad(const char *line)
{
    for (size_t i = 0; known_bad[i] != NULL; i++)
        if (strcmp(known_bad[i], line) == 0)
            return 1;
    return 0;
}

/* Checks want (-1, 0, 1) for a against b and the reverse; returns 1 when both agree. */
static int agrees(cmp_fn fn, const char *a, const char *b, int want)
{
    dd_err err = DD_ERR_INIT;
    int r1 = 2, r2 = 2;
    if (fn(a, b, &r1, &err) != 0 || fn(b, a, &r2, &err) != 0) {
        printf("  error: %s\n", err.msg);
        return 0;
    }
    return r1 == want && r2 == -want;
}

static int split(char *line, char **tok, int max)
{
    int n = 0;
    for (char *p = line; *p != '\0';) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        if (n == max)
            return max + 1;
        tok[n++] = p;
        while (*p != '\0' && *p != ' ' && *p != '\t')
            p++;
        if (*p != '\0')
            *p++ = '\0';
    }
    return n;
}

/* Reads "a OP b" lines (OP <, >, =, ==), "ascending v..." and "equal v..." lines; "#" and "//"
 * start comments. Prints the count of vectors that agree; fails on any unexpected result. */
static void check_file(const char *rel, cmp_fn fn)
{
    char path[512], line[4096], orig[4096];
    snprintf(path, sizeof(path), VDIR "/%s", rel);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n_ok = 0, n_bad = 0, n_fail = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || (line[0] == '/' && line[1] == '/'))
            continue;
        snprintf(orig, sizeof(orig), "%s", line);
        char *tok[64];
        int n = split(line, tok, 64);
        if (n == 0)
            continue;
        assert_true(n <= 64);
        if (strcmp(tok[0], "ascending") == 0 || strcmp(tok[0], "equal") == 0) {
            int eq = tok[0][0] == 'e';
            for (int i = 1; i < n; i++)
                for (int j = i + 1; j < n; j++) {
                    char pair[4096];
                    snprintf(pair, sizeof(pair), "%s %s %s", tok[i], eq ? "==" : "<", tok[j]);
                    int ok = agrees(fn, tok[i], tok[j], eq ? 0 : -1);
                    if (is_known_bad(pair)) {
                        n_bad++;
                        if (ok) {
                            printf("  listed as disagreeing but agrees: %s\n", pair);
                            n_fail++;
                        }
                    } else if (ok) {
                        n_ok++;
                    } else {
                        printf("  disagree: %s\n", pair);
                        n_fail++;
                    }
                }
            continue;
        }
        assert_int_equal(n, 3);
        int want = strcmp(tok[1], "<") == 0 ? -1 : strcmp(tok[1], ">") == 0 ? 1 : 0;
        if (want == 0)
            assert_true(strcmp(tok[1], "=") == 0 || strcmp(tok[1], "==") == 0);
        int ok = agrees(fn, tok[0], tok[2], want);
        if (is_known_bad(orig)) {
            if (ok) {
                printf("  listed as disagreeing but agrees: %s\n", orig);
                n_fail++;
            }
            n_bad++;
        } else if (ok) {
            n_ok++;
        } else {
            printf("  disagree: %s\n", orig);
            n_fail++;
        }
    }
    fclose(f);
    printf("%s: %zu vectors agree", rel, n_ok);
    if (n_bad > 0)
        printf(", %zu known disagreements (see test source)", n_bad);
    printf("\n");
    assert_int_equal(n_fail, 0);
    assert_true(n_ok > 0);
}

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
    check_file("osv-semantic/packagist-versions.txt", dd_vers_composer_cmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_osv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
