/* Harness shared by the version comparator tests (compiled into each tests/version executable):
 * reading vector files and checking "a OP b" lines. Each test keeps its own data. */
#ifndef DD_TESTS_VERSION_COMMON_H
#define DD_TESTS_VERSION_COMMON_H

#include <stddef.h>

#include "version/version.h"

/* Any dd_vers_*_cmp. */
typedef int (*vtest_cmp_fn)(const char *a, const char *b, int *out, dd_err *err);

/* The fixture tests/fixtures/versions/<rel> as a NUL-terminated string; free with dd_free. */
char *vtest_slurp(const char *rel);

/* Cuts the next line off *cursor (modified in place); NULL at the end. */
char *vtest_next_line(char **cursor);

/* Splits line (modified in place) into at most max blank-separated fields. With stop_at_hash, a
 * field starting with '#' ends the line (a trailing comment). */
size_t vtest_fields(char *line, char **f, size_t max, int stop_at_hash);

/* "-1", "0" or "1" as an int; anything else fails the test. */
int vtest_to_int(const char *s);

/* cmp(a, b), failing the test on an error. */
int vtest_cmp_ok(vtest_cmp_fn fn, const char *a, const char *b);

/* 1 when cmp(v, other) is DD_EINVALID with a message, 0 when it succeeds; fails otherwise. */
int vtest_is_invalid(vtest_cmp_fn fn, const char *v, const char *other);

/* Splits an OSV ordering line "a < b", "a = b" or "a > b" (modified in place) into *a and *b and
 * returns -1, 0 or 1; fails the test on a line without an operator. */
int vtest_osv_line(char *line, char **a, char **b);

/* Checks every vector of tests/fixtures/versions/<rel> with fn, each inequality both ways: "a OP
 * b" lines (OP <, >, =, ==), "ascending v..." and "equal v..." lines (every pair); "#" and "//"
 * start comments. Lines in known_bad (NULL-terminated, written as in the file, "a == b" or "a < b"
 * for pairs) must still disagree. Prints the count of vectors that agree. */
void vtest_check_file(const char *rel, vtest_cmp_fn fn, const char *const *known_bad);

#endif
