/* Fuzz target for the Maven version comparator: see version_fuzz.h for the properties
 * checked. Inputs over 4 KiB are skipped. */
#include "version_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return dd_fuzz_vers(data, size, dd_vers_maven_cmp, 4096);
}
