/* npm cataloger: parsers of the files it reads, and the installed-versus-lockfile reconciliation
 * that the other language catalogers (python, php, ruby) share. */
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

/* Reconciliation shared by the language catalogers.
 *
 * root_of(path, lockfile) returns the length of the prefix of path that names the project the
 * file belongs to (packages match only within one project; return 0 to match across the image),
 * or DD_NPM_NO_ROOT for a file whose packages never match (e.g. a project's own package.json).
 * name_cmp compares two package names as the ecosystem does (strcmp for npm).
 *
 * Moves every package of installed (in order) and then of declared (packages with declared_only
 * set, paths[0] = their lockfile) to out: a declared package whose root, name and version equal
 * an installed one's is merged into it (its lockfile path appended after the installed paths; dev
 * and a missing license taken from the lockfile); the rest stay declared_only, one package per
 * root+name+version with the paths of every lockfile naming it. Both inputs are left empty, also
 * on error (DD_ENOMEM). */
#define DD_NPM_NO_ROOT ((size_t)-1)
typedef size_t (*dd_npm_root_fn)(const char *path, int lockfile);
DD_WARN_UNUSED int dd_npm_reconcile(dd_pkg_list *out, dd_pkg_list *installed, dd_pkg_list *declared,
                                    dd_npm_root_fn root_of,
                                    int (*name_cmp)(const char *a, const char *b));

#endif
