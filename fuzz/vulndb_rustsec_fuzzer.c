/* Fuzz target for the RustSec importer (Markdown with a TOML front matter block): import() must
 * only succeed or fail with DD_EINVALID, DD_ELIMIT or DD_ENOMEM (errors pointing inside the
 * input), and every advisory handed to the sink must be well formed. detect() runs on the same
 * bytes. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vulndb/import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int put(void *ctx, const dd_advisory *a, dd_err *err)
{
    (void)ctx;
    (void)err;
    if (a->id == NULL || a->id[0] == '\0')
        __builtin_trap();
    for (size_t i = 0; i < a->n_affected; i++)
        if (a->affected[i].ecosystem == NULL || a->affected[i].package == NULL ||
            a->affected[i].package[0] == '\0')
            __builtin_trap();
    for (size_t i = 0; i < a->aliases.n; i++)
        if (a->aliases.items[i] == NULL)
            __builtin_trap();
    return 0;
}

static void warn(void *ctx, const char *path, const char *msg)
{
    (void)ctx;
    (void)path;
    if (msg == NULL)
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dd_import_sink sink = {put, warn, NULL};
    dd_err err = DD_ERR_INIT;
    (void)dd_importer_rustsec.detect("crates/demo/RUSTSEC-2020-0001.md", data,
                                     size < 4096 ? size : 4096);
    int rc =
        dd_importer_rustsec.import(data, size, "crates/demo/RUSTSEC-2020-0001.md", &sink, &err);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOMEM && rc != DD_ELIMIT)
        __builtin_trap();
    if (rc == DD_EINVALID && err.offset > size)
        __builtin_trap();
    return 0;
}
