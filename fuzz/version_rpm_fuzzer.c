/* Fuzz target for the RPM version comparator: the input is split at the first NUL or newline
 * into two versions a and b; for valid inputs comparison must be reflexive and antisymmetric, and
 * both orders must agree on validity. Any violation aborts. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/alloc.h"
#include "version/version.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check(const char *v)
{
    dd_err err = DD_ERR_INIT;
    int r = 99;
    int rc = dd_vers_rpm_cmp(v, v, &r, &err);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOMEM)
        abort();
    if (rc == 0 && r != 0)
        abort(); /* not reflexive */
    if (rc == DD_EINVALID && err.offset > strlen(v))
        abort();
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cut = 0;
    while (cut < size && data[cut] != '\0' && data[cut] != '\n')
        cut++;
    char *a = dd_strndup((const char *)data, cut);
    char *b =
        dd_strndup(cut < size ? (const char *)data + cut + 1 : "", cut < size ? size - cut - 1 : 0);
    if (a == NULL || b == NULL)
        goto out;
    /* Bytes after an embedded NUL in b are ignored: b is a C string. */
    int va = check(a), vb = check(b);
    dd_err err = DD_ERR_INIT;
    int ab = 99, ba = 99;
    int rab = dd_vers_rpm_cmp(a, b, &ab, &err);
    int rba = dd_vers_rpm_cmp(b, a, &ba, &err);
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
