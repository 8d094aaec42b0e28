/* Fuzz target for dd_go_parse_mod. */
#include <stddef.h>
#include <stdint.h>

#include "inventory/go.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    int rc = dd_go_parse_mod(data, size, "/go.mod", 0, &l, &err);
    if (rc != 0 && l.n != 0)
        __builtin_trap();
    for (size_t i = 0; i < l.n; i++)
        if (l.items[i].name == NULL || l.items[i].version == NULL || !l.items[i].declared_only)
            __builtin_trap();
    dd_pkg_list_free(&l);
    return 0;
}
