/* Fuzz target for the apk installed-database parser: results must hold a name and a version,
 * errors point inside the input. */
#include <stddef.h>
#include <stdint.h>

#include "inventory/apk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    int rc = dd_apk_parse(data, size, "/lib/apk/db/installed", 0, &pl, &err);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOMEM)
        __builtin_trap();
    if (rc == DD_EINVALID && err.offset >= size)
        __builtin_trap();
    for (size_t i = 0; i < pl.n; i++)
        if (pl.items[i].name == NULL || pl.items[i].name[0] == '\0' ||
            pl.items[i].version == NULL || pl.items[i].version[0] == '\0' ||
            pl.items[i].paths.n != 1)
            __builtin_trap();
    dd_pkg_list_free(&pl);
    return 0;
}
