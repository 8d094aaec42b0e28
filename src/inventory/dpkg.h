/* dpkg databases: the status file (var/lib/dpkg/status) and distroless per-package stanza files
 * (var/lib/dpkg/status.d/NAME). */
#ifndef DD_INVENTORY_DPKG_H
#define DD_INVENTORY_DPKG_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
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

#endif
