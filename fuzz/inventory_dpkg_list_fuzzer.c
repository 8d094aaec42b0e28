/* Fuzz target for the dpkg .list parser (var/lib/dpkg/info/NAME.list): the bytes go into an owners
 * index twice (as two packages); errors point inside the input, and every path of an accepted list
 * is then found, owned by the first package. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "inventory/dpkg.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_dpkg_owners *o = NULL;
    dd_err err = DD_ERR_INIT;
    if (dd_dpkg_owners_new(&o) != 0)
        return 0;
    int rc = dd_dpkg_list_parse(data, size, "a", o, &err);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOMEM && rc != DD_ELIMIT)
        __builtin_trap();
    if (rc == DD_EINVALID && err.offset >= size)
        __builtin_trap();
    int rc2 = dd_dpkg_list_parse(data, size, "b", o, &err);
    if (rc == 0 && rc2 != 0 && rc2 != DD_ENOMEM)
        __builtin_trap(); /* the same bytes cannot become invalid */
    for (size_t pos = 0; rc == 0 && pos < size;) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t end = nl != NULL ? (size_t)(nl - data) : size;
        size_t s = pos, e = end;
        pos = nl != NULL ? end + 1 : size;
        while (s < e && data[s] == '/')
            s++;
        while (e > s && data[e - 1] == '/')
            e--;
        if (e == s || (e - s == 1 && data[s] == '.'))
            continue;
        char *path = dd_strndup((const char *)data + s, e - s);
        if (path == NULL)
            break;
        const char *owner = dd_dpkg_owners_find(o, path);
        if (owner == NULL || strcmp(owner, "a") != 0)
            __builtin_trap();
        dd_free(path);
    }
    dd_dpkg_owners_free(o);
    return 0;
}
