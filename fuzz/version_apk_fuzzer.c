/* Fuzz target for the Alpine (apk) version comparator: see version_fuzz.h for the properties
 * checked. */
#include "version_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return dd_fuzz_vers(data, size, dd_vers_apk_cmp, 0);
}
