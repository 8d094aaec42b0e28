/* Fuzz target for the SemVer 2.0.0 (npm, crates.io) version comparator: see version_fuzz.h for the
 * properties checked. */
#include "version_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return dd_fuzz_vers(data, size, dd_vers_semver_cmp, 0);
}
