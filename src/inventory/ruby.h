/* Ruby cataloger: parsers of installed gem specifications and of Gemfile.lock. */
#ifndef DD_INVENTORY_RUBY_H
#define DD_INVENTORY_RUBY_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/pkg.h"
#include "util/err.h"

/* Both parsers append to out only on success (nothing on error), set paths[0] = path and
 * layer = layer, and return 0, DD_ENOMEM or DD_EINVALID (with the byte offset in err). */

/* An installed specifications/NAME.gemspec (Ruby code as RubyGems writes it): name and version from
 * the "# stub: name version platform" comment, else from `x.name = "..."` / `x.version = "..."`,
 * licenses from `x.licenses = [...]` / `x.license = "..."`. DD_EINVALID without name/version. */
DD_WARN_UNUSED int dd_ruby_gemspec_parse(const uint8_t *buf, size_t len, const char *path,
                                         int layer, dd_pkg_list *out, dd_err *err);
/* Gemfile.lock: the `name (version)` lines of the GEM section's specs (platform suffixes such as
 * "-x86_64-linux" are dropped from the version); declared_only. */
DD_WARN_UNUSED int dd_ruby_gemfile_lock_parse(const uint8_t *buf, size_t len, const char *path,
                                              int layer, dd_pkg_list *out, dd_err *err);

#endif
