/* PHP (Composer) cataloger: parsers of composer.lock and vendor/composer/installed.json. */
#ifndef DD_INVENTORY_PHP_H
#define DD_INVENTORY_PHP_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/pkg.h"
#include "util/err.h"

/* Both parsers append to out only on success (nothing on error), set paths[0] = path and
 * layer = layer, and return 0, DD_ENOMEM or DD_EINVALID (with the byte offset in err). */

/* composer.lock: "packages" and "packages-dev" (dev), declared_only. */
DD_WARN_UNUSED int dd_php_composer_lock_parse(const uint8_t *buf, size_t len, const char *path,
                                              int layer, dd_pkg_list *out, dd_err *err);
/* vendor/composer/installed.json: Composer 1 (an array of packages) or Composer 2 ({"packages":
 * [...], "dev-package-names": [...]}, the latter setting dev); installed packages. */
DD_WARN_UNUSED int dd_php_installed_json_parse(const uint8_t *buf, size_t len, const char *path,
                                               int layer, dd_pkg_list *out, dd_err *err);

#endif
