/* The cataloger interface: one cataloger per package format. A cataloger says which files it
 * wants while layers are read (wants), then turns the kept files of the final filesystem into
 * packages (catalog). Its parsers of file formats are exported separately for fuzzing and tests. */
#ifndef DD_INVENTORY_CATALOG_H
#define DD_INVENTORY_CATALOG_H

#include <stddef.h>
#include <drydock/common.h>
#include "image/rootfs.h"
#include "inventory/pkg.h"
#include "util/err.h"

typedef struct dd_cataloger {
    const char *name; /* "dpkg", "npm", ... */
    dd_wants_fn wants;
    /* Appends the packages found in fs to out. Bad input in one file is not fatal: the cataloger
     * skips that file and reports it through warn (may be called many times), and goes on. Only
     * DD_ENOMEM (or a bug) is returned as an error. Set paths and layer from the dd_rfile. */
    int (*catalog)(const dd_rootfs *fs, dd_pkg_list *out,
                   void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                   dd_err *err);
} dd_cataloger;

/* The catalogers built in, in a fixed order, terminated by an entry with name == NULL. */
extern const dd_cataloger *const dd_catalogers[];

/* Each cataloger module defines one of these (src/inventory/<name>.c). */
extern const dd_cataloger dd_cataloger_dpkg, dd_cataloger_apk, dd_cataloger_rpm, dd_cataloger_npm,
    dd_cataloger_python, dd_cataloger_go, dd_cataloger_java, dd_cataloger_ruby, dd_cataloger_rust,
    dd_cataloger_php, dd_cataloger_dotnet;

/* Helpers shared by catalogers. */
/* True when path ends with suffix (e.g. "/package.json") or equals it without the leading '/'. */
int dd_path_has_suffix(const char *path, size_t path_len, const char *suffix);
/* True when path ends with ext (e.g. ".jar") */
int dd_path_has_ext(const char *path, size_t path_len, const char *ext);
/* The base name of path (after the last '/'). */
const char *dd_path_base(const char *path);

#endif
