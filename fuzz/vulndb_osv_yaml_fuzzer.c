/* Fuzz target for the OSV YAML importer (src/vulndb/osv.c); the checks are in osv_fuzz.h. */
#include "osv_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return osv_fuzz(&dd_importer_osv_yaml, "fuzz.yaml", data, size);
}
