/* The .NET cataloger's parsers: *.deps.json (what an app was published with) and NuGet
 * packages.lock.json (what a project resolved). */
#ifndef DD_INVENTORY_DOTNET_H
#define DD_INVENTORY_DOTNET_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/pkg.h"
#include "util/err.h"

/* Parses a .deps.json: one package per "libraries" entry "Name/Version" whose "type" is
 * "package" (projects and runtime packs are skipped). Type DD_PKG_NUGET; installed, so not
 * declared_only. On error nothing is appended. */
DD_WARN_UNUSED int dd_dotnet_parse_deps(const uint8_t *buf, size_t len, const char *path, int layer,
                                        dd_pkg_list *out, dd_err *err);

/* Parses a packages.lock.json: the "resolved" version of every dependency of every target
 * framework (type "Project" skipped), once per name and version. Type DD_PKG_NUGET,
 * declared_only. On error nothing is appended. */
DD_WARN_UNUSED int dd_dotnet_parse_packages_lock(const uint8_t *buf, size_t len, const char *path,
                                                 int layer, dd_pkg_list *out, dd_err *err);

#endif
