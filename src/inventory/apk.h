/* apk database: lib/apk/db/installed (Alpine, Wolfi, Chainguard). */
#ifndef DD_INVENTORY_APK_H
#define DD_INVENTORY_APK_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/pkg.h"
#include "util/err.h"

/* Parses an apk "installed" database and appends one DD_PKG_APK package per stanza (stanzas are
 * separated by blank lines; lines are "X:value" with a one-letter key). Sets name (P), version
 * (V), arch (A, NULL when absent), source_name (o, the origin; NULL when absent), license (L;
 * NULL when absent), paths = {path} (when path is not NULL) and layer. Stanzas without P or V
 * are skipped.
 *
 * Lines that are not "X:value" are skipped (the stanza they are in still counts): the packages
 * are appended anyway, and the first such line is reported as DD_EINVALID with its offset.
 * DD_ENOMEM on allocation failure. */
DD_WARN_UNUSED int dd_apk_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                                dd_pkg_list *out, dd_err *err);

#endif
