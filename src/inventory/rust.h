/* The Rust cataloger's parsers: Cargo.lock and cargo-auditable dependency lists. */
#ifndef DD_INVENTORY_RUST_H
#define DD_INVENTORY_RUST_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/pkg.h"
#include "util/err.h"

/* Parses a Cargo.lock (format versions 1 to 4): one package per [[package]] table that has a
 * source (registry or git); tables without one are the workspace's own crates and path
 * dependencies, which no registry publishes, and are skipped. Type DD_PKG_CARGO, declared_only.
 * On error nothing is appended. */
DD_WARN_UNUSED int dd_cargo_parse_lock(const uint8_t *buf, size_t len, const char *path, int layer,
                                       dd_pkg_list *out, dd_err *err);

/* Parses the JSON that cargo-auditable embeds (inflated from the ".dep-v0" section):
 * {"packages":[{"name","version","source","kind",...}]}. Packages whose source is "local" (the
 * binary's own crates and path dependencies) are skipped; kind "build" (build scripts and proc
 * macros: compile-time only) sets dev. Type DD_PKG_CARGO, not declared_only. On error nothing is
 * appended. */
DD_WARN_UNUSED int dd_cargo_parse_auditable(const uint8_t *buf, size_t len, const char *path,
                                            int layer, dd_pkg_list *out, dd_err *err);

#endif
