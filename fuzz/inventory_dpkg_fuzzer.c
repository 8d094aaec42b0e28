/* Fuzz target for the dpkg status parser: the same bytes as a status file and as a distroless
 * status.d stanza file; results must hold a name and version, errors point inside the input. */
#include <stddef.h>
#include <stdint.h>

#include "inventory/dpkg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const paths[] = {NULL, "/var/lib/dpkg/status.d/x"};
    for (size_t k = 0; k < 2; k++) {
        dd_pkg_list pl = DD_PKG_LIST_INIT;
        dd_err err = DD_ERR_INIT;
        int rc = dd_dpkg_parse(data, size, paths[k], 0, &pl, &err);
        if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOMEM)
            __builtin_trap();
        if (rc == DD_EINVALID && err.offset >= size)
            __builtin_trap();
        for (size_t i = 0; i < pl.n; i++)
            if (pl.items[i].name[0] == '\0' || pl.items[i].source_name == NULL ||
                pl.items[i].source_version == NULL)
                __builtin_trap();
        dd_pkg_list_free(&pl);
    }
    return 0;
}
