/* Fuzz target for the `drydock db update` feeds file parser: dd_feed_list_parse must succeed or
 * fail with DD_EINVALID, DD_ELIMIT, DD_EDENIED, DD_EUNSUPPORTED or DD_ENOMEM (an offset inside
 * the input), and every feed it returns must have a valid name and an http(s) URL. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "vulndb/update.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_feed_list l = DD_FEED_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    int rc = dd_feed_list_parse(&l, data, size, &err);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ELIMIT && rc != DD_EDENIED &&
        rc != DD_EUNSUPPORTED && rc != DD_ENOMEM)
        __builtin_trap();
    if (rc != 0 && rc != DD_ENOMEM && err.offset > size)
        __builtin_trap();
    for (size_t i = 0; i < l.n; i++) {
        const dd_feed *f = &l.items[i];
        size_t n = strlen(f->name);
        if (n == 0 || n > DD_UPDATE_FEED_NAME_MAX || strchr(f->name, '/') != NULL ||
            f->name[0] == '.')
            __builtin_trap();
        if (strncasecmp(f->url, "http", 4) != 0) /* http or https, any case */
            __builtin_trap();
        if (f->sha256 != NULL && strlen(f->sha256) != 64)
            __builtin_trap();
    }
    dd_feed_list_free(&l);
    return 0;
}
