/* Fuzz target for the repository name and tag scanners: the same bytes go to both, and a result
 * must agree with a few facts about the grammar. */
#include <stddef.h>
#include <stdint.h>

#include "image/reference.h"
#include "util/limits.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    dd_err err = DD_ERR_INIT;
    int rc = dd_name_validate(s, size, &err);
    if (rc == 0 &&
        (size == 0 || size > DD_LIMIT_REPO_NAME_MAX || s[0] == '/' || s[size - 1] == '/'))
        __builtin_trap();
    if (rc != 0 && (rc != DD_EINVALID || err.offset > size))
        __builtin_trap();

    dd_err_clear(&err);
    rc = dd_tag_validate(s, size, &err);
    if (rc == 0 && (size == 0 || size > DD_LIMIT_TAG_MAX || s[0] == '.' || s[0] == '-'))
        __builtin_trap();
    if (rc != 0 && (rc != DD_EINVALID || err.offset > size))
        __builtin_trap();
    return 0;
}
