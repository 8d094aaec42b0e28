/* Harness shared by the inventory tests (compiled into each tests/inventory executable): reading
 * fixtures, parsing them, finding packages, building rootfs directories, comparing line sets. */
#ifndef DD_TESTS_INVENTORY_COMMON_H
#define DD_TESTS_INVENTORY_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "image/rootfs.h"
#include "inventory/catalog.h"
#include "util/strlist.h"

/* Any dd_*_parse of one package file: (buf, len, path, layer, out, err). */
typedef int (*itest_parse_fn)(const uint8_t *, size_t, const char *, int, dd_pkg_list *, dd_err *);

/* Input that fn must reject with DD_EINVALID, an error message and no packages. */
typedef struct itest_bad_case {
    itest_parse_fn fn;
    const char *in;
} itest_bad_case;

/* The whole file at path, NUL-terminated (not counted in *len_out); free with free(). */
uint8_t *itest_slurp(const char *path, size_t *len_out);

/* The same for the file dir/rel (rel alone when dir is NULL). */
uint8_t *itest_slurp_in(const char *dir, const char *rel, size_t *len_out);

/* Parses dir/rel (rel alone when dir is NULL) with fn as if found at path in layer, appending to
 * out; fails on an error. */
void itest_parse_file(itest_parse_fn fn, const char *dir, const char *rel, const char *path,
                      int layer, dd_pkg_list *out);

/* The first package named name (and of that version, unless version is NULL); NULL if none. */
const dd_pkg *itest_find(const dd_pkg_list *l, const char *name, const char *version);

/* Adds the fixture dir/rel (rel alone when dir is NULL) to fs at image_path (mode 0644) in layer.
 */
void itest_add_fixture(dd_rootfs *fs, const char *image_path, const char *dir, const char *rel,
                       int layer);

/* Checks that every case is DD_EINVALID with a message and no packages. */
void itest_check_invalid(const itest_bad_case *cases, size_t n_cases);

/* Runs the ELF extractor, as for a file at path, over data fed chunk bytes at a time; returns its
 * output (free with dd_free) and its length in *out_len. */
uint8_t *itest_elf_extract(const char *path, const uint8_t *data, size_t len, size_t chunk,
                           size_t *out_len);

/* Sorts l in strcmp order. */
void itest_sort(dd_strlist *l);

/* Fails unless the sorted lists got and want hold the same lines; what names the check. */
void itest_assert_same(const dd_strlist *got, const dd_strlist *want, const char *what);

#endif
