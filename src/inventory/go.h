/* The Go cataloger's parsers: build info of Go binaries and go.mod files. */
#ifndef DD_INVENTORY_GO_H
#define DD_INVENTORY_GO_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/pkg.h"
#include "util/err.h"

/* Parses Go build info: buf starts at the "\xff Go buildinf:" magic (the ".go.buildinfo" section
 * or what the ELF extractor kept). Go >= 1.18 (inline format) yields the main module (its version
 * as written, e.g. "(devel)"), every dep ("=>" replacements applied: the replacement's path and
 * version; a local replacement keeps the dep's path with the replacement's empty version), and
 * the toolchain as "stdlib" with the version as the runtime wrote it ("go1.22.0"). The pointer
 * format of Go < 1.18 needs the data segment, which a forward-only reader does not keep: it
 * yields "stdlib" with an empty (unknown) version and no modules. Type DD_PKG_GOBINARY; paths[0]
 * = path. On error nothing is appended. */
DD_WARN_UNUSED int dd_go_parse_buildinfo(const uint8_t *buf, size_t len, const char *path,
                                         int layer, dd_pkg_list *out, dd_err *err);

/* Parses a go.mod: every require (single and block form), with replace directives applied
 * (version-specific before wildcard; a module replaced by a local directory is dropped, as it
 * is no longer the published module). Type DD_PKG_GOMOD, declared_only. On error nothing is
 * appended. */
DD_WARN_UNUSED int dd_go_parse_mod(const uint8_t *buf, size_t len, const char *path, int layer,
                                   dd_pkg_list *out, dd_err *err);

#endif
