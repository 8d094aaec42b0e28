/* Tests for the RPM version comparator (src/version/rpm.c): rpm's own rpmvercmp vectors
 * (tests/rpmvercmp.at), claircore's NEVRA compare/parse vectors, and librpm's rpmverCmp() as
 * ground truth for [E:]V[-R] on every pair of versions found in those files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rpm/rpmver.h>

#include "util/alloc.h"
#include "util/strlist.h"
#include "common.h"

/* Every EVR seen in the vector files, for the rpmverCmp() cross-check. */
static dd_strlist pool = DD_STRLIST_INIT;

static void remember(const char *v)
{
    assert_int_equal(dd_strlist_push_str(&pool, v), 0);
}

/* cmp(a, b) or the error code (negative, below -1), checking antisymmetry on success. */
static int cmp(const char *a, const char *b, dd_err *err)
{
    int r = 99, back = 99;
    int rc = dd_vers_rpm_cmp(a, b, &r, err);
    if (rc != 0)
        return rc * 10;
    assert_int_equal(dd_vers_rpm_cmp(b, a, &back, err), 0);
    assert_int_equal(back, -r);
    return r;
}

static int cmp_ok(const char *a, const char *b)
{
    dd_err err = DD_ERR_INIT;
    int r = cmp(a, b, &err);
    if (r < -1)
        fail_msg("cmp('%s', '%s') failed: %d %s", a, b, r / 10, err.msg);
    return r;
}

static void test_rpmvercmp_cases(void **state)
{
    (void)state;
    char *buf = vtest_slurp("rpm/rpmvercmp-cases.txt"), *cur = buf, *line;
    size_t n = 0, n_odd = 0, n_odd_agree = 0, n_odd_invalid = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        char *f[4];
        bool odd = strncmp(line, "# oddity:", 9) == 0;
        if (odd)
            line += 9;
        else if (line[0] == '#')
            continue;
        size_t nf = vtest_fields(line, f, 4, 0);
        if (nf == 0)
            continue;
        assert_int_equal(nf, 3);
        int want = vtest_to_int(f[2]);
        if (!odd) {
            int got = cmp_ok(f[0], f[1]);
            if (got != want)
                fail_msg("rpmvercmp.at: %s vs %s: got %d want %d", f[0], f[1], got, want);
            remember(f[0]);
            remember(f[1]);
            n++;
            continue;
        }
        /* Oddities were disabled upstream (dnl): they state what rpm arguably should do. We
         * report, not assert: our answer is librpm's rpmvercmp by construction. The non-ASCII
         * ones are DD_EINVALID here (outside rpmbuild's allowed characters). */
        dd_err err = DD_ERR_INIT;
        int got = cmp(f[0], f[1], &err);
        n_odd++;
        if (got == DD_EINVALID * 10)
            n_odd_invalid++;
        else if (got == want)
            n_odd_agree++;
        else
            print_message("rpm: oddity %s vs %s: rpm says %d, upstream's disabled test %d\n", f[0],
                          f[1], got, want);
    }
    dd_free(buf);
    assert_int_equal(n, 91);
    assert_int_equal(n_odd, 12);
    print_message("rpm: rpmvercmp-cases.txt: %zu vectors agree; %zu disabled oddities: %zu agree, "
                  "%zu DD_EINVALID (non-ASCII), %zu differ (listed above)\n",
                  n, n_odd, n_odd_agree, n_odd_invalid, n_odd - n_odd_agree - n_odd_invalid);
}

/* claircore's NEVRA split (internal/rpmver Parse): with two or more '-', the name is everything
 * before the second-to-last one; the EVR is "[E:]V-R"; a trailing ".arch" from its fixed list is
 * split off the release. Fills name/arch (NULL when absent) and evr (allocated). */
static void split_nevra(const char *s, char **name, char **evr, char **arch)
{
    static const char *const arches[] = {"aarch64", "i386",  "i686", "noarch", "ppc64le",
                                         "riscv",   "s390x", "src",  "x86_64"};
    size_t n_dash = 0;
    for (const char *p = s; *p; p++)
        n_dash += *p == '-';
    assert_true(n_dash >= 1);
    *name = NULL;
    *arch = NULL;
    if (n_dash >= 2) {
        const char *last = strrchr(s, '-'), *p = last;
        while (p[-1] != '-')
            p--;
        *name = dd_strndup(s, (size_t)(p - 1 - s));
        s = p;
    }
    const char *dot = strrchr(strchr(s, '-'), '.');
    size_t evr_len = strlen(s);
    if (dot != NULL) {
        for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++) {
            if (strcmp(dot + 1, arches[i]) == 0) {
                *arch = dd_strdup(arches[i]);
                evr_len = (size_t)(dot - s);
            }
        }
    }
    *evr = dd_strndup(s, evr_len);
}

/* claircore's comparePtr(): absent sorts first, else rpmvercmp. */
static int cmp_opt(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return (a != NULL) - (b != NULL);
    int r = rpmvercmp(a, b);
    return (r > 0) - (r < 0);
}

static void test_claircore_compare(void **state)
{
    (void)state;
    char *buf = vtest_slurp("rpm/claircore-rpm-nevra-compare.txt"), *cur = buf, *line;
    size_t n = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        char *f[4];
        size_t nf = line[0] == '#' ? 0 : vtest_fields(line, f, 4, 0);
        if (nf == 0)
            continue;
        assert_int_equal(nf, 3);
        int want = strcmp(f[1], "<") == 0 ? -1 : (strcmp(f[1], ">") == 0 ? 1 : 0);
        if (want == 0)
            assert_string_equal(f[1], "==");
        char *na, *ea, *aa, *nb, *eb, *ab;
        split_nevra(f[0], &na, &ea, &aa);
        split_nevra(f[2], &nb, &eb, &ab);
        /* Name, then our EVR comparison, then arch: claircore's Compare(). */
        int got = cmp_opt(na, nb);
        if (got == 0)
            got = cmp_ok(ea, eb);
        if (got == 0)
            got = cmp_opt(aa, ab);
        if (got != want)
            fail_msg("claircore compare: %s %s %s: got %d", f[0], f[1], f[2], got);
        remember(ea);
        remember(eb);
        dd_free(na), dd_free(ea), dd_free(aa), dd_free(nb), dd_free(eb), dd_free(ab);
        n++;
    }
    dd_free(buf);
    assert_int_equal(n, 12);
    print_message("rpm: claircore-rpm-nevra-compare.txt: %zu vectors agree\n", n);
}

static const char *unquote(const char *s)
{
    return strcmp(s, "''") == 0 || strcmp(s, "\"\"") == 0 ? NULL : s;
}

/* The parse vectors, applied to EVRs: the input's EVR equals "E:V-R" built from the expected
 * parts (absent epoch = 0). */
static void test_claircore_parse(void **state)
{
    (void)state;
    char *buf = vtest_slurp("rpm/claircore-rpm-nevra-parse.txt"), *cur = buf, *line;
    size_t n = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        char *f[7];
        size_t nf = line[0] == '#' ? 0 : vtest_fields(line, f, 7, 0);
        if (nf == 0)
            continue;
        assert_int_equal(nf, 6);
        char *name, *evr, *arch;
        split_nevra(f[0], &name, &evr, &arch);
        const char *e = unquote(f[2]);
        char *built = dd_asprintf("%s:%s-%s", e ? e : "0", f[3], f[4]);
        assert_non_null(built);
        if (cmp_ok(evr, built) != 0)
            fail_msg("claircore parse: %s: EVR %s != %s", f[0], evr, built);
        /* Epoch present or not, the same EVR with a larger release sorts after. */
        char *later = dd_asprintf("%s:%s-%s.1", e ? e : "0", f[3], f[4]);
        assert_int_equal(cmp_ok(evr, later), -1);
        remember(evr);
        dd_free(name), dd_free(evr), dd_free(arch), dd_free(built), dd_free(later);
        n++;
    }
    dd_free(buf);
    assert_int_equal(n, 4);
    print_message("rpm: claircore-rpm-nevra-parse.txt: %zu vectors agree\n", n);
}

/* librpm's own EVR comparison, rpmverParse() + rpmverCmp(), on every pair of the pool. */
static void test_against_rpmvercmp(void **state)
{
    (void)state;
    size_t n = 0;
    for (size_t i = 0; i < pool.n; i++) {
        for (size_t j = 0; j < pool.n; j++) {
            rpmver va = rpmverParse(pool.items[i]), vb = rpmverParse(pool.items[j]);
            assert_true(va != NULL && vb != NULL);
            int r = rpmverCmp(va, vb);
            int want = (r > 0) - (r < 0);
            rpmverFree(va);
            rpmverFree(vb);
            int got = cmp_ok(pool.items[i], pool.items[j]);
            if (got != want)
                fail_msg("rpmverCmp(%s, %s) = %d, we %d", pool.items[i], pool.items[j], want, got);
            n++;
        }
    }
    print_message("rpm: librpm rpmverCmp: %zu pairs agree\n", n);
}

static void test_rules(void **state)
{
    (void)state;
    dd_err err = DD_ERR_INIT;
    int r;
    /* Absent release on either side: releases are not compared (rpmverCmp). */
    assert_int_equal(cmp_ok("1.2", "1.2-5"), 0);
    assert_int_equal(cmp_ok("1:1.2", "1:1.2-0.el9"), 0);
    assert_int_equal(cmp_ok("1.2-1", "1.2-2"), -1);
    /* Missing epoch is 0; epochs compare numerically. */
    assert_int_equal(cmp_ok("0:1.0-1", "1.0-1"), 0);
    assert_int_equal(cmp_ok("10:1", "9:2"), 1);
    assert_int_equal(cmp_ok("4294967295:1", "1"), 1);
    assert_int_equal(dd_vers_rpm_cmp("4294967296:1", "1", &r, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "first version"));
    /* Invalid: empty parts, characters rpmbuild refuses, a second '-'. */
    const char *bad[] = {"",        ":1",  "1:",  "-1",          "1.0-", "1:-1",
                         "1.0-1-2", "a:1", "1 0", "1.0\xce\xb1", "1/2",  "1-2:3"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (dd_vers_rpm_cmp("1", bad[i], &r, &err) != DD_EINVALID)
            fail_msg("'%s' accepted", bad[i]);
        assert_non_null(strstr(err.msg, "second version"));
    }
    /* Digit runs longer than any integer. */
    assert_int_equal(cmp_ok("1.123456789012345678901234567890", "1.99999999999999999999"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rpmvercmp_cases), cmocka_unit_test(test_claircore_compare),
        cmocka_unit_test(test_claircore_parse), cmocka_unit_test(test_against_rpmvercmp),
        cmocka_unit_test(test_rules),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    dd_strlist_free(&pool);
    return rc;
}
