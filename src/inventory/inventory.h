/* An image's inventory: its OS and every package the catalogers find in its final filesystem,
 * each with its purl, in a deterministic order. */
#ifndef DD_INVENTORY_INVENTORY_H
#define DD_INVENTORY_INVENTORY_H

#include <stddef.h>
#include <drydock/common.h>
#include "image/rootfs.h"
#include "inventory/os.h"
#include "inventory/pkg.h"
#include "util/err.h"
#include "util/strlist.h"

/* Bump when what catalogers keep from layers changes: it keys the per-layer cache. */
#define DD_INVENTORY_CACHE_KEY "inv1"

typedef struct dd_inventory {
    dd_os os;
    int has_os;          /* 0: no recognised OS (language packages are still inventoried) */
    dd_pkg_list pkgs;    /* sorted by type, name, version, first path */
    char **purls;        /* purls[i] belongs to pkgs.items[i] */
    dd_strlist warnings; /* "path: message" for files that could not be parsed */
} dd_inventory;

/* The union of what OS detection and every cataloger want (a dd_wants_fn). */
dd_keep dd_inventory_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                           const dd_extractor **extractor);
/* Detects the OS, runs every cataloger over fs, computes purls and sorts. */
DD_WARN_UNUSED int dd_inventory_build(dd_inventory *out, const dd_rootfs *fs, dd_err *err);
void dd_inventory_free(dd_inventory *inv);
/* Number of packages of each type (counts has DD_PKG_TYPE_COUNT slots). */
void dd_inventory_counts(const dd_inventory *inv, size_t *counts);

#endif
