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

#include <stdio.h>
#include <string.h>

#include "version/version.h"

#define VDIR DD_FIXTURES "/versions"

typedef int (*cmp_fn)(const char *, const char *, int *, dd_err *);

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

static void test_claircore(void **state)
{
    (void)state;
    check_file("maven/claircore-maven-compare.list", dd_vers_maven_cmp);
}

static void test_comparableversiontest(void **state)
{
    (void)state;
    check_file("maven/maven-comparableversiontest.txt", dd_vers_maven_cmp);
}

static void test_osv(void **state)
{
    (void)state;
    check_file("osv-semantic/maven-versions.txt", dd_vers_maven_cmp);
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
