/* Fuzz target for dd_java_parse_archive (zip archives, nested ones included). */
#include <stddef.h>
#include <stdint.h>

#include "inventory/java.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    if (dd_java_parse_archive(data, size, "/app/a-1.0.war", 0, &l, &err) != 0 && l.n != 0)
        __builtin_trap();
    for (size_t i = 0; i < l.n; i++)
        if (l.items[i].name == NULL || l.items[i].version == NULL || l.items[i].paths.n != 1)
            __builtin_trap();
    dd_pkg_list_free(&l);
    return 0;
}
