/* Fuzz target for the Go module and toolchain version comparator: see version_fuzz.h for the
 * properties checked. */
#include "version_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return dd_fuzz_vers(data, size, dd_vers_go_cmp, 0);
}
