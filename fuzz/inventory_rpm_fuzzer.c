/* Fuzz target for the rpm header blob decoder (librpm's headerImport behind it) and the NDB
 * container walker: the same bytes go to both; results must hold a name and a version, errors
 * are DD_EINVALID. */
#include <stddef.h>
#include <stdint.h>

#include "inventory/rpm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, dd_pkg_list *pl)
{
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOMEM)
        __builtin_trap();
    for (size_t i = 0; i < pl->n; i++)
        if (pl->items[i].name == NULL || pl->items[i].name[0] == '\0' ||
            pl->items[i].version == NULL)
            __builtin_trap();
    dd_pkg_list_free(pl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    check(dd_rpm_parse_header_blob(data, size, "/var/lib/rpm/Packages", 0, &pl, &err), &pl);
    check(dd_rpm_parse_ndb(data, size, NULL, 0, &pl, &err), &pl);
    return 0;
}
