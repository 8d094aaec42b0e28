/* Harness shared by the inventory tests: fixture reading and parsing, package lookup, rootfs
 * building, the ELF extractor driven in chunks, invalid-input checks and line-set comparison. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "inventory/elf.h"

uint8_t *itest_slurp(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len_out = (size_t)n;
    return buf;
}

uint8_t *itest_slurp_in(const char *dir, const char *rel, size_t *len_out)
{
    if (dir == NULL)
        return itest_slurp(rel, len_out);
    char path[1024];
    int n = snprintf(path, sizeof(path), "%s/%s", dir, rel);
    assert_true(n > 0 && (size_t)n < sizeof(path));
    return itest_slurp(path, len_out);
}

void itest_parse_file(itest_parse_fn fn, const char *dir, const char *rel, const char *path,
                      int layer, dd_pkg_list *out)
{
    size_t len;
    uint8_t *buf = itest_slurp_in(dir, rel, &len);
    dd_err err = DD_ERR_INIT;
    int rc = fn(buf, len, path, layer, out, &err);
    if (rc != 0)
        print_error("%s: %s\n", rel, err.msg);
    assert_int_equal(rc, 0);
    free(buf);
}

const dd_pkg *itest_find(const dd_pkg_list *l, const char *name, const char *version)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0 &&
            (version == NULL || strcmp(l->items[i].version, version) == 0))
            return &l->items[i];
    return NULL;
}

void itest_add_fixture(dd_rootfs *fs, const char *image_path, const char *dir, const char *rel,
                       int layer)
{
    size_t len;
    uint8_t *buf = itest_slurp_in(dir, rel, &len);
    assert_int_equal(dd_rootfs_add_file(fs, image_path, buf, len, len, 0100644, layer, 0), 0);
    free(buf);
}

void itest_check_invalid(const itest_bad_case *cases, size_t n_cases)
{
    for (size_t i = 0; i < n_cases; i++) {
        dd_pkg_list l = DD_PKG_LIST_INIT;
        dd_err err = DD_ERR_INIT;
        int rc = cases[i].fn((const uint8_t *)cases[i].in, strlen(cases[i].in), "/x", 0, &l, &err);
        if (rc != DD_EINVALID)
            fail_msg("case %zu: rc %d", i, rc);
        assert_int_equal(l.n, 0);
        assert_true(err.msg[0] != '\0');
    }
}

uint8_t *itest_elf_extract(const char *path, const uint8_t *data, size_t len, size_t chunk,
                           size_t *out_len)
{
    void *st = dd_elf_extractor.begin(path, len);
    assert_non_null(st);
    for (size_t off = 0; off < len;) {
        size_t n = len - off < chunk ? len - off : chunk;
        int rc = dd_elf_extractor.feed(st, data + off, n);
        assert_true(rc == 0 || rc == 1);
        off += n;
        if (rc == 1)
            break;
    }
    uint8_t *out = NULL;
    assert_int_equal(dd_elf_extractor.end(st, &out, out_len), 0);
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void itest_sort(dd_strlist *l)
{
    if (l->n > 0)
        qsort(l->items, l->n, sizeof(char *), cmp_str);
}

void itest_assert_same(const dd_strlist *got, const dd_strlist *want, const char *what)
{
    size_t n = got->n < want->n ? got->n : want->n;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(got->items[i], want->items[i]) != 0) {
            print_error("%s: got [%s] want [%s]\n", what, got->items[i], want->items[i]);
            fail();
        }
    }
    if (got->n != want->n)
        print_error("%s: got %zu packages, want %zu\n", what, got->n, want->n);
    assert_int_equal(got->n, want->n);
}
