/* Fuzz target for dd_dotnet_parse_deps, and dd_dotnet_parse_packages_lock on the same bytes. */
#include <stddef.h>
#include <stdint.h>

#include "inventory/dotnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    if (dd_dotnet_parse_deps(data, size, "/a.deps.json", 0, &l, &err) != 0 && l.n != 0)
        __builtin_trap();
    dd_pkg_list_free(&l);
    if (dd_dotnet_parse_packages_lock(data, size, "/packages.lock.json", 0, &l, &err) != 0 &&
        l.n != 0)
        __builtin_trap();
    dd_pkg_list_free(&l);
    return 0;
}
