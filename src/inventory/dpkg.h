/* dpkg databases: the status file (var/lib/dpkg/status), distroless per-package stanza files
 * (var/lib/dpkg/status.d/NAME), and the per-package file lists (var/lib/dpkg/info/NAME.list)
 * that say which package owns a path. */
#ifndef DD_INVENTORY_DPKG_H
#define DD_INVENTORY_DPKG_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "image/rootfs.h"
#include "inventory/pkg.h"
#include "util/err.h"

/* Parses a dpkg status file (or a distroless status.d stanza file) and appends one DD_PKG_DPKG
 * package per stanza whose files are on disk: Status current state "installed", "half-configured",
 * "unpacked", "half-installed", "triggers-awaited" or "triggers-pending" (dpkg-query -W shows
 * those plus "config-files", which we leave out: only conffiles remain). A stanza without Status
 * counts as installed when path contains "/status.d/" (distroless writes none) and as
 * not-installed otherwise, as dpkg does. Stanzas without Package or Version are skipped.
 *
 * Sets name, version, arch (NULL when absent), source_name/source_version (from "Source: name" or
 * "Source: name (version)", defaulting to the package's own name and version), paths = {path} (may
 * be NULL: no path) and layer.
 *
 * A malformed line (not "Field: value", a continuation or a blank line) drops its stanza; parsing
 * resumes at the next blank line. The packages of the other stanzas are appended anyway and the
 * first such error is returned as DD_EINVALID with its offset. DD_ENOMEM on allocation failure. */
DD_WARN_UNUSED int dd_dpkg_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                                 dd_pkg_list *out, dd_err *err);

/* Which dpkg package owns a path: an index of the file lists var/lib/dpkg/info/NAME.list (one
 * absolute path per line, as dpkg writes them; "NAME:ARCH.list" for multi-arch packages), built
 * once per rootfs by a cataloger and queried for many paths. Immutable once loaded; it borrows
 * the .list bytes (the rootfs, or the buffers given to dd_dpkg_list_parse), which must outlive
 * it. */
typedef struct dd_dpkg_owners dd_dpkg_owners;

#define DD_DPKG_INFO_DIR "var/lib/dpkg/info/"
/* Bounds (kept here, beside their only user): a .list larger than DD_DPKG_LIST_MAX bytes is
 * skipped with a warning (real ones reach a few MiB: google-cloud-cli's is 3.8 MiB); at most
 * DD_DPKG_OWNERS_MAX paths are indexed per image, the lists that would pass it are skipped. */
#define DD_DPKG_LIST_MAX (16u * 1024u * 1024u)
#define DD_DPKG_OWNERS_MAX 4000000u

/* An empty index; /usr-merge spellings are not tried (see dd_dpkg_owners_load). */
DD_WARN_UNUSED int dd_dpkg_owners_new(dd_dpkg_owners **out);

/* Parses one .list file of package pkg (a name without ":arch") into the index. Lines are
 * absolute paths; "/." (the root) and empty lines are skipped; leading and trailing '/' are
 * dropped ("/usr/lib/" indexes "usr/lib"). A path already indexed keeps its first owner
 * (directories are listed by many packages). A line that does not start with '/' or holds a
 * NUL byte makes the whole list invalid: nothing of it is kept, DD_EINVALID with the line's
 * offset. DD_ELIMIT when the index would pass DD_DPKG_OWNERS_MAX (nothing kept either),
 * DD_ENOMEM. buf is borrowed (see above). */
DD_WARN_UNUSED int dd_dpkg_list_parse(const uint8_t *buf, size_t len, const char *pkg,
                                      dd_dpkg_owners *owners, dd_err *err);

/* Builds the index of fs from its var/lib/dpkg/info/NAME.list files (kept by dd_cataloger_dpkg's
 * wants), in name order, so a path listed by several packages belongs to the first by name. A
 * list that is invalid, too large or would pass the index bound is skipped and reported through
 * warn (when not NULL). When fs has a /usr-merge symlink (bin, sbin, lib, lib32, lib64, libx32
 * -> usr/...), lookups also try the other spelling: Debian 12 lists "/lib/x" for files that
 * live at usr/lib/x. Only DD_ENOMEM is returned as an error. */
DD_WARN_UNUSED int dd_dpkg_owners_load(dd_dpkg_owners **out, const dd_rootfs *fs,
                                       void (*warn)(void *ctx, const char *path, const char *msg),
                                       void *warn_ctx, dd_err *err);

/* The package owning path (an in-image path, with or without a leading '/'; normalised as in
 * rootfs.h), borrowed from the index, or NULL. owners may be NULL. */
const char *dd_dpkg_owners_find(const dd_dpkg_owners *owners, const char *path);

/* Number of .list files seen while loading, valid or not: 0 means the image has no dpkg file
 * lists at all. */
size_t dd_dpkg_owners_n_lists(const dd_dpkg_owners *owners);

void dd_dpkg_owners_free(dd_dpkg_owners *owners);

#endif
