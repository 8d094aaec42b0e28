/* Fuzz target for dd_java_parse_manifest, and dd_java_parse_pom_properties on the same bytes. */
#include <stddef.h>
#include <stdint.h>

#include "inventory/java.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    if (dd_java_parse_manifest(data, size, "/a.jar", 0, &l, &err) != 0 && l.n != 0)
        __builtin_trap();
    if (l.n > 1)
        __builtin_trap();
    dd_pkg_list_free(&l);
    if (dd_java_parse_pom_properties(data, size, "/a.jar", 0, &l, &err) != 0 && l.n != 0)
        __builtin_trap();
    if (l.n > 1)
        __builtin_trap();
    dd_pkg_list_free(&l);
    return 0;
}
