/* Fuzz target for dd_cargo_parse_lock, and dd_cargo_parse_auditable on the same bytes. */
#include <stddef.h>
#include <stdint.h>

#include "inventory/rust.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    if (dd_cargo_parse_lock(data, size, "/Cargo.lock", 0, &l, &err) != 0 && l.n != 0)
        __builtin_trap();
    for (size_t i = 0; i < l.n; i++)
        if (l.items[i].name[0] == '\0' || l.items[i].version[0] == '\0')
            __builtin_trap();
    dd_pkg_list_free(&l);
    if (dd_cargo_parse_auditable(data, size, "/bin/x", 0, &l, &err) != 0 && l.n != 0)
        __builtin_trap();
    dd_pkg_list_free(&l);
    return 0;
}
