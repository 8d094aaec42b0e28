/* Shared by the OSV JSON and YAML importer fuzz targets: a sink that reads every field of every
 * advisory (so bad pointers or unterminated strings show up under ASan) and checks the documented
 * invariants (an id, affected entries with ecosystem and package, ranges/versions that are valid
 * JSON arrays), and the run of one importer over the input. */
#ifndef DD_FUZZ_OSV_FUZZ_H
#define DD_FUZZ_OSV_FUZZ_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vulndb/import.h"

static void check_json_array(const char *s)
{
    if (s == NULL)
        return;
    json_t *j = json_loads(s, 0, NULL);
    if (!json_is_array(j) || json_array_size(j) == 0)
        abort();
    json_decref(j);
}

static int put(void *ctx, const dd_advisory *a, dd_err *err)
{
    (void)ctx;
    (void)err;
    if (a->id == NULL || a->id[0] == '\0')
        abort();
    size_t n = strlen(a->id);
    for (size_t i = 0; i < a->aliases.n; i++)
        n += strlen(a->aliases.items[i]);
    for (size_t i = 0; i < a->references.n; i++)
        n += strlen(a->references.items[i]);
    for (size_t i = 0; i < a->n_severities; i++) {
        const dd_severity *s = &a->severities[i];
        if ((s->type == DD_SEV_VENDOR) != (s->vector == NULL))
            abort();
        n += strlen(s->source) + (s->vector ? strlen(s->vector) : strlen(s->rating));
    }
    for (size_t i = 0; i < a->n_affected; i++) {
        const dd_affected *f = &a->affected[i];
        if (f->ecosystem == NULL || f->package == NULL ||
            (f->ranges_json == NULL && f->versions_json == NULL))
            abort();
        check_json_array(f->ranges_json);
        check_json_array(f->versions_json);
    }
    return n == 0; /* never true: keeps the reads */
}

static void warn(void *ctx, const char *path, const char *msg)
{
    (void)ctx;
    if (strlen(path) + strlen(msg) == 0)
        abort();
}

static int osv_fuzz(const dd_importer *imp, const char *name, const uint8_t *data, size_t size)
{
    dd_import_sink sink = {put, warn, NULL};
    dd_err err = DD_ERR_INIT;
    int rc = imp->import(data, size, name, &sink, &err);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOMEM)
        abort();
    (void)imp->detect(name, data, size);
    return 0;
}

#endif
