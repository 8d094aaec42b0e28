/* Tests of the NuGet comparator (src/version/nuget.c) against every vector in
 * tests/fixtures/versions/osv-semantic/nuget-versions.txt, each inequality in both orientations.
 * Vectors that disagree with NuGet.Versioning are listed below with the reason; the test checks
 * that they still disagree, so a change shows up. */
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
    /* System.Version parts are Int32: NuGetVersion.TryParse rejects these 30-digit numbers
     * (osv-scalibr compares them as big integers). */
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

static void test_osv(void **state)
{
    (void)state;
    check_file("osv-semantic/nuget-versions.txt", dd_vers_nuget_cmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_osv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
