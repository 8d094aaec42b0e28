/* Fuzz target for dd_npm_yarn_lock_parse (classic and berry): every input is parsed; a failure must
 * leave the list empty and say why and where, a success must give every package a name, a version
 * and its path. */
#include <stddef.h>
#include <stdint.h>

#include "inventory/npm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef int (*parse_fn)(const uint8_t *, size_t, const char *, int, dd_pkg_list *, dd_err *);

static void run(parse_fn fn, const uint8_t *data, size_t size)
{
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    int rc = fn(data, size, "/f", 1, &l, &err);
    if (rc != 0 && rc != DD_ENOMEM &&
        (l.n != 0 || err.code != rc || err.msg[0] == '\0' || err.offset > size))
        __builtin_trap();
    for (size_t i = 0; i < l.n; i++)
        if (l.items[i].name == NULL || l.items[i].version == NULL || l.items[i].paths.n == 0 ||
            l.items[i].layer != 1)
            __builtin_trap();
    dd_pkg_list_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(dd_npm_yarn_lock_parse, data, size);
    return 0;
}
