/* Fuzz target for the Go module and toolchain version comparator: the input is split at its first
 * NUL or newline into two versions a and b. Errors must be DD_EINVALID with an offset inside the
 * offending version; for valid inputs the order must be reflexive and antisymmetric, with results
 * in {-1, 0, 1}. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "util/alloc.h"
#include "version/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 0 when v is valid, 1 when invalid (checked), traps on any other outcome. */
static int check_one(const char *v)
{
    dd_err err = DD_ERR_INIT;
    int r = 7;
    int rc = dd_vers_go_cmp(v, v, &r, &err);
    if (rc == 0 && r != 0)
        __builtin_trap();
    if (rc != 0 && (rc != DD_EINVALID || err.offset > strlen(v) || err.msg[0] == 0))
        __builtin_trap();
    return rc != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cut = 0;
    while (cut < size && data[cut] != 0 && data[cut] != '\n')
        cut++;
    char *a = dd_strndup((const char *)data, cut);
    char *b =
        dd_strndup(cut < size ? (const char *)data + cut + 1 : "", cut < size ? size - cut - 1 : 0);
    if (a == NULL || b == NULL)
        goto out;
    int bad_a = check_one(a), bad_b = check_one(b);
    dd_err err = DD_ERR_INIT;
    int ab = 7, ba = 7;
    int rc1 = dd_vers_go_cmp(a, b, &ab, &err);
    int rc2 = dd_vers_go_cmp(b, a, &ba, &err);
    if ((rc1 == 0) != (!bad_a && !bad_b) || (rc2 == 0) != (rc1 == 0))
        __builtin_trap();
    if (rc1 == 0 && (ab < -1 || ab > 1 || ab != -ba))
        __builtin_trap();
out:
    dd_free(a);
    dd_free(b);
    return 0;
}
