/* Fuzz target for the composer version comparator: the input is split at the first NUL or newline
 * into two versions; for inputs that parse, comparison must be reflexive and antisymmetric. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "version/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    size_t cut = 0;
    while (cut < size && data[cut] != '\0' && data[cut] != '\n')
        cut++;
    char *a = malloc(cut + 1), *b = malloc(size - cut + 1);
    if (a == NULL || b == NULL)
        goto out;
    memcpy(a, data, cut);
    a[cut] = '\0';
    size_t blen = cut < size ? size - cut - 1 : 0;
    memcpy(b, data + size - blen, blen);
    b[blen] = '\0';
    dd_err err = DD_ERR_INIT;
    int ab = 2, ba = 2, aa = 2;
    int rc1 = dd_vers_composer_cmp(a, b, &ab, &err);
    int rc2 = dd_vers_composer_cmp(b, a, &ba, &err);
    if (rc1 != 0 && rc1 != DD_EINVALID && rc1 != DD_ENOMEM)
        abort();
    if ((rc1 == 0) != (rc2 == 0))
        abort();
    if (rc1 == 0) {
        if (ab < -1 || ab > 1 || ab != -ba)
            abort();
        if (dd_vers_composer_cmp(a, a, &aa, &err) != 0 || aa != 0)
            abort();
    }
out:
    free(a);
    free(b);
    return 0;
}
