/* npm cataloger: parsers of the files it reads. The installed-versus-lockfile reconciliation it
 * defines, shared with the other language catalogers, is declared in catalog.h. */
#ifndef DD_INVENTORY_NPM_H
#define DD_INVENTORY_NPM_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/pkg.h"
#include "util/err.h"

/* Every parser appends to out only on success (nothing on error), sets paths[0] = path and
 * layer = layer, and returns 0, DD_ENOMEM or DD_EINVALID (with the byte offset in err). */

/* A package.json: one package when it has a non-empty "name" and "version", none otherwise. */
DD_WARN_UNUSED int dd_npm_package_json_parse(const uint8_t *buf, size_t len, const char *path,
                                             int layer, dd_pkg_list *out, dd_err *err);
/* package-lock.json (or npm-shrinkwrap.json) v1 ("dependencies" tree) and v2/v3 ("packages" map).
 * Packages are declared_only; "dev": true sets dev. npm: aliases report the real package. */
DD_WARN_UNUSED int dd_npm_package_lock_parse(const uint8_t *buf, size_t len, const char *path,
                                             int layer, dd_pkg_list *out, dd_err *err);
/* yarn.lock: classic (v1) and berry (v2+, YAML). Packages are declared_only. */
DD_WARN_UNUSED int dd_npm_yarn_lock_parse(const uint8_t *buf, size_t len, const char *path,
                                          int layer, dd_pkg_list *out, dd_err *err);
/* pnpm-lock.yaml, lockfileVersion 5 to 9. Packages are declared_only; "dev: true" sets dev. */
DD_WARN_UNUSED int dd_npm_pnpm_lock_parse(const uint8_t *buf, size_t len, const char *path,
                                          int layer, dd_pkg_list *out, dd_err *err);

#endif
