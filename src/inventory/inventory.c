/* Inventory orchestration: the combined `wants`, OS detection, catalogers, purls, ordering. */
#include "inventory/inventory.h"
#include "inventory/catalog.h"
#include "inventory/purl.h"
#include "util/alloc.h"
#include "util/utf8.h"

#include <stdlib.h>
#include <string.h>

dd_keep dd_inventory_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                           const dd_extractor **extractor)
{
    dd_keep k = dd_os_wants(path, path_len, mode, size, extractor);
    for (size_t i = 0; k == DD_KEEP_NONE && dd_catalogers[i] != NULL; i++)
        k = dd_catalogers[i]->wants(path, path_len, mode, size, extractor);
    return k;
}

typedef struct warn_ctx {
    dd_strlist *list;
    int rc;
} warn_ctx;

static void on_warn(void *ctx, const char *path, const char *msg)
{
    warn_ctx *w = ctx;
    char *line = dd_asprintf("%s: %s", path, msg);
    if (line == NULL || dd_strlist_push_str(w->list, line) != 0)
        w->rc = DD_ENOMEM;
    dd_free(line);
}

static int cmp_str(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int cmp_pkg(const void *x, const void *y)
{
    const dd_pkg *a = x, *b = y;
    if (a->type != b->type)
        return a->type < b->type ? -1 : 1;
    int c = cmp_str(a->name, b->name);
    if (c == 0)
        c = cmp_str(a->version, b->version);
    if (c == 0)
        c = cmp_str(a->paths.n ? a->paths.items[0] : NULL, b->paths.n ? b->paths.items[0] : NULL);
    if (c == 0)
        c = cmp_str(a->arch, b->arch);
    return c;
}

/* Replaces *slot by a repaired copy when it is not well-formed UTF-8: every string of an
 * inventory comes from image files, and reports (JSON, SBOMs) need valid text. */
static int fix_utf8(char **slot)
{
    if (*slot == NULL || dd_utf8_valid(*slot, strlen(*slot)))
        return 0;
    char *c = dd_utf8_sanitize(*slot, false);
    if (c == NULL)
        return DD_ENOMEM;
    dd_free(*slot);
    *slot = c;
    return 0;
}

static int sanitize(dd_inventory *inv)
{
    int rc = 0;
    char **os[] = {&inv->os.id,          &inv->os.version_id, &inv->os.version, &inv->os.codename,
                   &inv->os.pretty_name, &inv->os.id_like,    &inv->os.source};
    for (size_t i = 0; i < sizeof(os) / sizeof(os[0]) && rc == 0; i++)
        rc = fix_utf8(os[i]);
    for (size_t i = 0; i < inv->pkgs.n && rc == 0; i++) {
        dd_pkg *p = &inv->pkgs.items[i];
        char **f[] = {&p->name,           &p->version, &p->arch,  &p->source_name,
                      &p->source_version, &p->epoch,   &p->owner, &p->license};
        for (size_t k = 0; k < sizeof(f) / sizeof(f[0]) && rc == 0; k++)
            rc = fix_utf8(f[k]);
        for (size_t k = 0; k < p->paths.n && rc == 0; k++)
            rc = fix_utf8(&p->paths.items[k]);
    }
    for (size_t i = 0; i < inv->warnings.n && rc == 0; i++)
        rc = fix_utf8(&inv->warnings.items[i]);
    return rc;
}

int dd_inventory_build(dd_inventory *inv, const dd_rootfs *fs, dd_err *err)
{
    int rc = 0;
    memset(inv, 0, sizeof(*inv));
    rc = dd_os_detect(fs, &inv->os, err);
    if (rc == 0)
        inv->has_os = 1;
    else if (rc != DD_ENOTFOUND)
        goto out;
    rc = 0;
    warn_ctx w = {&inv->warnings, 0};
    for (size_t i = 0; dd_catalogers[i] != NULL; i++) {
        rc = dd_catalogers[i]->catalog(fs, &inv->pkgs, on_warn, &w, err);
        if (rc == 0)
            rc = w.rc;
        if (rc != 0)
            goto out;
    }
    if ((rc = sanitize(inv)) != 0)
        goto out;
    if (inv->pkgs.n > 1)
        qsort(inv->pkgs.items, inv->pkgs.n, sizeof(dd_pkg), cmp_pkg);
    inv->purls = dd_calloc(inv->pkgs.n ? inv->pkgs.n : 1, sizeof(char *));
    if (inv->purls == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < inv->pkgs.n && rc == 0; i++)
        rc = dd_purl_build(&inv->purls[i], &inv->pkgs.items[i], inv->has_os ? &inv->os : NULL);
out:
    if (rc != 0)
        dd_inventory_free(inv);
    return rc;
}

void dd_inventory_free(dd_inventory *inv)
{
    if (inv->purls != NULL)
        for (size_t i = 0; i < inv->pkgs.n; i++)
            dd_free(inv->purls[i]);
    dd_free(inv->purls);
    dd_pkg_list_free(&inv->pkgs);
    dd_os_clear(&inv->os);
    dd_strlist_free(&inv->warnings);
    memset(inv, 0, sizeof(*inv));
}

void dd_inventory_counts(const dd_inventory *inv, size_t *counts)
{
    memset(counts, 0, sizeof(size_t) * DD_PKG_TYPE_COUNT);
    for (size_t i = 0; i < inv->pkgs.n; i++)
        counts[inv->pkgs.items[i].type]++;
}
