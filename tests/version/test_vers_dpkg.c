/* Tests for the Debian version comparator (src/version/dpkg.c) against every vector of dpkg's
 * own test data (lib/dpkg/t/t-version.c cases, scripts/t/Dpkg_Version.t), OSV's Debian ordering
 * list, and, when dpkg is installed, `dpkg --compare-versions` on pairs drawn from those files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <jansson.h>

#include "util/alloc.h"
#include "util/strlist.h"
#include "common.h"

extern char **environ;

/* Every valid version seen in the vector files, for the dpkg cross-check. */
static dd_strlist pool = DD_STRLIST_INIT;

static void remember(const char *v)
{
    assert_int_equal(dd_strlist_push_str(&pool, v), 0);
}

/* cmp(a, b), asserting success and antisymmetry. */
static int cmp_ok(const char *a, const char *b)
{
    dd_err err = DD_ERR_INIT;
    int r = 99, back = 99;
    int rc = dd_vers_dpkg_cmp(a, b, &r, &err);
    if (rc != 0)
        fail_msg("cmp('%s', '%s') failed: %d %s", a, b, rc, err.msg);
    assert_int_equal(dd_vers_dpkg_cmp(b, a, &back, &err), 0);
    assert_int_equal(back, -r);
    return r;
}

static int op_result(const char *op)
{
    if (strcmp(op, "<") == 0)
        return -1;
    if (strcmp(op, "=") == 0 || strcmp(op, "==") == 0)
        return 0;
    if (strcmp(op, ">") == 0)
        return 1;
    fail_msg("unknown op %s", op);
    return 2;
}

static void test_dpkg_version_t(void **state)
{
    (void)state;
    char *buf = vtest_slurp("dpkg/Dpkg_Version.t.data.txt"), *cur = buf, *line;
    size_t n = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        char *f[4];
        size_t nf = line[0] == '#' ? 0 : vtest_fields(line, f, 4, 0);
        if (nf == 0)
            continue;
        assert_int_equal(nf, 3);
        int want = vtest_to_int(f[2]), got = cmp_ok(f[0], f[1]);
        if (got != want)
            fail_msg("Dpkg_Version.t: %s vs %s: got %d want %d", f[0], f[1], got, want);
        remember(f[0]);
        remember(f[1]);
        n++;
    }
    dd_free(buf);
    assert_int_equal(n, 43);
    print_message("dpkg: Dpkg_Version.t.data.txt: %zu vectors agree\n", n);
}

/* "[epoch:]version[-revision]" from a t-version.c struct; NULL for the blank version (version
 * null), which has no string form. */
static char *from_struct(json_t *o)
{
    json_t *v = json_object_get(o, "version"), *r = json_object_get(o, "revision");
    if (!json_is_string(v))
        return NULL;
    const char *rev = json_is_string(r) ? json_string_value(r) : "";
    char *s = dd_asprintf("%lld:%s%s%s", (long long)json_integer_value(json_object_get(o, "epoch")),
                          json_string_value(v), rev[0] ? "-" : "", rev);
    assert_non_null(s);
    return s;
}

static bool relation_holds(const char *rel, int c)
{
    if (strcmp(rel, "NONE") == 0)
        return true;
    if (strcmp(rel, "EQ") == 0)
        return c == 0;
    if (strcmp(rel, "LT") == 0)
        return c < 0;
    if (strcmp(rel, "LE") == 0)
        return c <= 0;
    if (strcmp(rel, "GT") == 0)
        return c > 0;
    if (strcmp(rel, "GE") == 0)
        return c >= 0;
    fail_msg("unknown relation %s", rel);
    return false;
}

static bool op_holds(const char *op, int c)
{
    if (strcmp(op, "==") == 0)
        return c == 0;
    if (strcmp(op, "!=") == 0)
        return c != 0;
    if (strcmp(op, "<") == 0)
        return c < 0;
    if (strcmp(op, "<=") == 0)
        return c <= 0;
    if (strcmp(op, ">") == 0)
        return c > 0;
    if (strcmp(op, ">=") == 0)
        return c >= 0;
    fail_msg("unknown op %s", op);
    return false;
}

static void test_dpkg_t_version(void **state)
{
    (void)state;
    char *buf = vtest_slurp("dpkg/dpkg-t-version-cases.jsonl"), *cur = buf, *line;
    size_t n_parse_ok = 0, n_parse_err = 0, n_parse_warn = 0, n_cmp = 0, n_rel = 0, n_blank = 0,
           n_info = 0, n_header = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);
        assert_non_null(o);
        const char *kind = json_string_value(json_object_get(o, "kind"));
        assert_non_null(kind);
        dd_err err = DD_ERR_INIT;
        if (strcmp(kind, "header") == 0) {
            n_header++;
        } else if (strcmp(kind, "is_informative") == 0) {
            /* dpkg_version_is_informative() is about the blank struct, which has no string
             * form (the empty string is DD_EINVALID): not applicable. */
            n_info++;
        } else if (strcmp(kind, "parse") == 0) {
            const char *in = json_string_value(json_object_get(o, "input"));
            const char *res = json_string_value(json_object_get(o, "result"));
            int r;
            int rc = dd_vers_dpkg_cmp(in, in, &r, &err);
            if (strcmp(res, "error") == 0) {
                if (rc != DD_EINVALID)
                    fail_msg("parse '%s': want DD_EINVALID, got %d", in, rc);
                n_parse_err++;
            } else if (strcmp(res, "warning") == 0) {
                /* dpkg --compare-versions warns and compares: accepted. */
                if (rc != 0)
                    fail_msg("parse '%s' (dpkg warning): want accepted, got %d %s", in, rc,
                             err.msg);
                remember(in);
                n_parse_warn++;
            } else {
                assert_string_equal(res, "ok");
                if (rc != 0)
                    fail_msg("parse '%s': %d %s", in, rc, err.msg);
                /* Same as its parts spelled out: epoch, version and revision split right. */
                char *canon = from_struct(json_object_get(o, "expect"));
                if (cmp_ok(in, canon) != 0)
                    fail_msg("parse '%s' != '%s'", in, canon);
                remember(in);
                dd_free(canon);
                n_parse_ok++;
            }
        } else if (strcmp(kind, "compare") == 0 || strcmp(kind, "relate") == 0) {
            char *a = from_struct(json_object_get(o, "a"));
            char *b = from_struct(json_object_get(o, "b"));
            if (a == NULL || b == NULL) {
                n_blank++; /* the blank version: no string form */
            } else if (kind[0] == 'c') {
                const char *op = json_string_value(json_object_get(o, "op"));
                if (!op_holds(op, cmp_ok(a, b)))
                    fail_msg("compare %s %s %s does not hold", a, op, b);
                n_cmp++;
            } else {
                const char *rel = json_string_value(json_object_get(o, "relation"));
                bool want = json_is_true(json_object_get(o, "expect"));
                if (relation_holds(rel, cmp_ok(a, b)) != want)
                    fail_msg("relate %s %s %s != %d", a, rel, b, want);
                n_rel++;
            }
            dd_free(a);
            dd_free(b);
        } else {
            fail_msg("unknown kind %s", kind);
        }
        json_decref(o);
    }
    dd_free(buf);
    size_t n = n_parse_ok + n_parse_err + n_parse_warn + n_cmp + n_rel;
    assert_int_equal(n + n_blank + n_info + n_header, 114);
    print_message("dpkg: dpkg-t-version-cases.jsonl: %zu vectors agree (parse ok %zu, error %zu, "
                  "warning-accepted %zu, compare %zu, relate %zu); %zu blank-version records and "
                  "%zu is_informative records not applicable\n",
                  n, n_parse_ok, n_parse_err, n_parse_warn, n_cmp, n_rel, n_blank, n_info);
}

static void test_osv_debian(void **state)
{
    (void)state;
    char *buf = vtest_slurp("osv-semantic/debian-versions.txt"), *cur = buf, *line;
    size_t n = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        char *f[4];
        size_t nf = vtest_fields(line, f, 4, 0);
        if (nf == 0 || f[0][0] == '#')
            continue;
        assert_int_equal(nf, 3);
        int want = op_result(f[1]), got = cmp_ok(f[0], f[2]);
        if (got != want)
            fail_msg("debian-versions: %s %s %s: got %d", f[0], f[1], f[2], got);
        remember(f[0]);
        remember(f[2]);
        n++;
    }
    dd_free(buf);
    assert_int_equal(n, 30);
    print_message("dpkg: osv-semantic/debian-versions.txt: %zu vectors agree\n", n);
}

/* Exit status of `dpkg --compare-versions a op b`, -1 if dpkg cannot run. */
static int dpkg_says(const char *a, const char *op, const char *b)
{
    char *argv[] = {"dpkg", "--compare-versions", (char *)a, (char *)op, (char *)b, NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int st;
    assert_int_equal(posix_spawn_file_actions_init(&fa), 0);
    assert_int_equal(posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0), 0);
    int rc = posix_spawnp(&pid, "dpkg", &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

/* Ground truth from the real dpkg for pseudo-random pairs of the versions above. */
static void test_against_dpkg(void **state)
{
    (void)state;
    if (dpkg_says("1", "lt", "2") != 0) {
        print_message("dpkg: dpkg not available, cross-check skipped\n");
        skip();
    }
    uint64_t x = 0x9e3779b97f4a7c15ull;
    size_t n = 0;
    assert_true(pool.n > 50);
    for (size_t i = 0; i < 300; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const char *a = pool.items[(x >> 33) % pool.n];
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        const char *b = pool.items[(x >> 33) % pool.n];
        if (a[0] == '-' || b[0] == '-') /* dpkg would take it for an option */
            continue;
        int lt = dpkg_says(a, "lt", b), gt = dpkg_says(a, "gt", b);
        assert_true((lt == 0 || lt == 1) && (gt == 0 || gt == 1));
        int want = lt == 0 ? -1 : (gt == 0 ? 1 : 0);
        int got = cmp_ok(a, b);
        if (got != want)
            fail_msg("dpkg --compare-versions '%s' '%s': dpkg %d, we %d", a, b, want, got);
        n++;
    }
    print_message("dpkg: dpkg --compare-versions: %zu random pairs agree\n", n);
}

static void test_errors_and_edges(void **state)
{
    (void)state;
    dd_err err = DD_ERR_INIT;
    int r;
    /* Epoch bound is INT_MAX, as in dpkg. */
    assert_int_equal(dd_vers_dpkg_cmp("2147483647:1", "1", &r, &err), 0);
    assert_int_equal(r, 1);
    assert_int_equal(dd_vers_dpkg_cmp("2147483648:1", "1", &r, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "first version"));
    assert_int_equal(dd_vers_dpkg_cmp("1", "1:", &r, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "second version"));
    assert_int_equal(err.offset, 1);
    /* Sign before the epoch (dpkg's strtol takes it): rejected on purpose. */
    assert_int_equal(dd_vers_dpkg_cmp("+1:0", "1", &r, &err), DD_EINVALID);
    /* Digit runs of any length, leading zeros ignored. */
    assert_int_equal(cmp_ok("1.000000000000000000000000000000000000000000123456789012345678901",
                            "1.99999999999999999999"),
                     1);
    assert_int_equal(cmp_ok("00000000000000000000000000000000000001", "1"), 0);
    /* a1 does not start with a digit: dpkg warns and compares it. */
    assert_int_equal(cmp_ok("a1", "9"), 1);
    /* High bytes sort after letters, before ASCII punctuation (dpkg's signed char order()). */
    assert_int_equal(cmp_ok("1\xc3", "1z"), 1);
    assert_int_equal(cmp_ok("1\xc3", "1+"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dpkg_version_t),   cmocka_unit_test(test_dpkg_t_version),
        cmocka_unit_test(test_osv_debian),       cmocka_unit_test(test_against_dpkg),
        cmocka_unit_test(test_errors_and_edges),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    dd_strlist_free(&pool);
    return rc;
}
