/* Harness shared by the version comparator tests: fixture reading, line and field splitting, the
 * both-way check of "a OP b" vector files against a list of known disagreements. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "util/alloc.h"

char *vtest_slurp(const char *rel)
{
    char path[1024];
    int n = snprintf(path, sizeof(path), "%s/versions/%s", DD_FIXTURES, rel);
    assert_true(n > 0 && (size_t)n < sizeof(path));
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long len = ftell(f);
    assert_true(len >= 0);
    rewind(f);
    char *buf = dd_malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    return buf;
}

char *vtest_next_line(char **cursor)
{
    char *line = *cursor;
    if (line == NULL || *line == '\0')
        return NULL;
    char *nl = strchr(line, '\n');
    if (nl != NULL) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = NULL;
    }
    return line;
}

size_t vtest_fields(char *line, char **f, size_t max, int stop_at_hash)
{
    size_t n = 0;
    char *p = line;
    while (n < max) {
        p += strspn(p, " \t\r");
        if (*p == '\0' || (stop_at_hash && *p == '#'))
            break;
        f[n++] = p;
        p += strcspn(p, " \t\r");
        if (*p == '\0')
            break;
        *p++ = '\0';
    }
    return n;
}

int vtest_to_int(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    assert_true(*end == '\0' && v >= -1 && v <= 1);
    return (int)v;
}

int vtest_cmp_ok(vtest_cmp_fn fn, const char *a, const char *b)
{
    dd_err err = DD_ERR_INIT;
    int r = 99;
    int rc = fn(a, b, &r, &err);
    if (rc != 0)
        fail_msg("cmp(\"%s\", \"%s\") failed: %s", a, b, err.msg);
    return r;
}

int vtest_is_invalid(vtest_cmp_fn fn, const char *v, const char *other)
{
    dd_err err = DD_ERR_INIT;
    int r;
    int rc = fn(v, other, &r, &err);
    if (rc == 0)
        return 0;
    assert_int_equal(rc, DD_EINVALID);
    assert_true(err.msg[0] != 0);
    return 1;
}

int vtest_osv_line(char *line, char **a, char **b)
{
    char *op = strstr(line, " < ");
    int want = -1;
    if (op == NULL && (op = strstr(line, " = ")) != NULL)
        want = 0;
    if (op == NULL && (op = strstr(line, " > ")) != NULL)
        want = 1;
    if (op == NULL)
        fail_msg("unparsed vector line: %s", line);
    *op = 0;
    *a = line;
    *b = op + 3;
    return want;
}

static int is_known_bad(const char *const *known_bad, const char *line)
{
    for (size_t i = 0; known_bad[i] != NULL; i++)
        if (strcmp(known_bad[i], line) == 0)
            return 1;
    return 0;
}

/* Checks want (-1, 0, 1) for a against b and the reverse; returns 1 when both agree. */
static int agrees(vtest_cmp_fn fn, const char *a, const char *b, int want)
{
    dd_err err = DD_ERR_INIT;
    int r1 = 2, r2 = 2;
    if (fn(a, b, &r1, &err) != 0 || fn(b, a, &r2, &err) != 0) {
        printf("  error: %s\n", err.msg);
        return 0;
    }
    return r1 == want && r2 == -want;
}

/* Counts one vector: agreeing, or a listed disagreement that must still disagree. */
static void tally(const char *const *known_bad, const char *line, int ok, size_t *n_ok,
                  size_t *n_bad, size_t *n_fail)
{
    if (is_known_bad(known_bad, line)) {
        (*n_bad)++;
        if (ok) {
            printf("  listed as disagreeing but agrees: %s\n", line);
            (*n_fail)++;
        }
    } else if (ok) {
        (*n_ok)++;
    } else {
        printf("  disagree: %s\n", line);
        (*n_fail)++;
    }
}

void vtest_check_file(const char *rel, vtest_cmp_fn fn, const char *const *known_bad)
{
    char *buf = vtest_slurp(rel), *cur = buf, *line;
    size_t n_ok = 0, n_bad = 0, n_fail = 0;
    while ((line = vtest_next_line(&cur)) != NULL) {
        line[strcspn(line, "\r")] = '\0';
        if (line[0] == '#' || (line[0] == '/' && line[1] == '/'))
            continue;
        char orig[4096];
        snprintf(orig, sizeof(orig), "%s", line);
        char *tok[65];
        size_t n = vtest_fields(line, tok, 65, 0);
        if (n == 0)
            continue;
        assert_true(n <= 64);
        if (strcmp(tok[0], "ascending") == 0 || strcmp(tok[0], "equal") == 0) {
            int eq = tok[0][0] == 'e';
            for (size_t i = 1; i < n; i++)
                for (size_t j = i + 1; j < n; j++) {
                    char pair[4096];
                    snprintf(pair, sizeof(pair), "%s %s %s", tok[i], eq ? "==" : "<", tok[j]);
                    int ok = agrees(fn, tok[i], tok[j], eq ? 0 : -1);
                    tally(known_bad, pair, ok, &n_ok, &n_bad, &n_fail);
                }
            continue;
        }
        assert_int_equal(n, 3);
        int want = strcmp(tok[1], "<") == 0 ? -1 : strcmp(tok[1], ">") == 0 ? 1 : 0;
        if (want == 0)
            assert_true(strcmp(tok[1], "=") == 0 || strcmp(tok[1], "==") == 0);
        tally(known_bad, orig, agrees(fn, tok[0], tok[2], want), &n_ok, &n_bad, &n_fail);
    }
    dd_free(buf);
    printf("%s: %zu vectors agree", rel, n_ok);
    if (n_bad > 0)
        printf(", %zu known disagreements (see test source)", n_bad);
    printf("\n");
    assert_int_equal(n_fail, 0);
    assert_true(n_ok > 0);
}
