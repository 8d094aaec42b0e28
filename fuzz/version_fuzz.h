/* The body shared by the version comparator fuzz targets (fuzz/version_<scheme>_fuzzer.c): the
 * input is split at its first NUL or newline into two versions a and b (bytes after a NUL in b are
 * ignored: b is a C string). Each version alone must compare equal to itself or fail with
 * DD_EINVALID (an offset inside it and a message); a and b must compare in both orders exactly
 * when both are valid, with results in {-1, 0, 1} and opposite signs. DD_ENOMEM ends the run
 * quietly; any violation aborts. */
#ifndef DD_FUZZ_VERSION_FUZZ_H
#define DD_FUZZ_VERSION_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "version/version.h"

typedef int (*dd_fuzz_vers_cmp_fn)(const char *a, const char *b, int *out, dd_err *err);

static inline int dd_fuzz_vers_check_one(dd_fuzz_vers_cmp_fn cmp, const char *v)
{
    dd_err err = DD_ERR_INIT;
    int r = 99;
    int rc = cmp(v, v, &r, &err);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOMEM)
        abort();
    if (rc == 0 && r != 0)
        abort(); /* not reflexive */
    if (rc == DD_EINVALID && (err.offset > strlen(v) || err.msg[0] == '\0'))
        abort();
    return rc;
}

/* Inputs longer than max_size are skipped (0: no limit). Returns 0, as libFuzzer expects. */
static inline int dd_fuzz_vers(const uint8_t *data, size_t size, dd_fuzz_vers_cmp_fn cmp,
                               size_t max_size)
{
    if (max_size != 0 && size > max_size)
        return 0;
    size_t cut = 0;
    while (cut < size && data[cut] != '\0' && data[cut] != '\n')
        cut++;
    char *a = dd_strndup((const char *)data, cut);
    char *b =
        dd_strndup(cut < size ? (const char *)data + cut + 1 : "", cut < size ? size - cut - 1 : 0);
    if (a == NULL || b == NULL)
        goto out;
    int va = dd_fuzz_vers_check_one(cmp, a), vb = dd_fuzz_vers_check_one(cmp, b);
    dd_err err = DD_ERR_INIT;
    int ab = 99, ba = 99;
    int rab = cmp(a, b, &ab, &err);
    int rba = cmp(b, a, &ba, &err);
    if (va == DD_ENOMEM || vb == DD_ENOMEM || rab == DD_ENOMEM || rba == DD_ENOMEM)
        goto out;
    if ((rab == 0) != (va == 0 && vb == 0) || (rba == 0) != (rab == 0))
        abort(); /* validity must not depend on the other side or the order */
    if (rab == 0 && (ab < -1 || ab > 1 || ab != -ba))
        abort(); /* not antisymmetric */
out:
    dd_free(a);
    dd_free(b);
    return 0;
}

#endif
