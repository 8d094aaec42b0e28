/* Python cataloger: parsers of installed package metadata and of lockfiles. */
#ifndef DD_INVENTORY_PYTHON_H
#define DD_INVENTORY_PYTHON_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/pkg.h"
#include "util/err.h"

/* Every parser appends to out only on success (nothing on error), sets paths[0] = path and
 * layer = layer, and returns 0, DD_ENOMEM or DD_EINVALID (with the byte offset in err). */

/* A *.dist-info/METADATA, *.egg-info/PKG-INFO or *.egg-info file (core metadata: RFC 822 headers
 * up to the first blank line): one installed package (Name as written, Version, license from
 * License-Expression, License or a "License ::" classifier). DD_EINVALID without Name/Version. */
DD_WARN_UNUSED int dd_python_metadata_parse(const uint8_t *buf, size_t len, const char *path,
                                            int layer, dd_pkg_list *out, dd_err *err);
/* poetry.lock and uv.lock ([[package]] tables of TOML): declared_only packages; poetry's
 * category = "dev" or groups without "main" set dev; uv's project itself (source virtual or
 * editable) is left out. */
DD_WARN_UNUSED int dd_python_poetry_lock_parse(const uint8_t *buf, size_t len, const char *path,
                                               int layer, dd_pkg_list *out, dd_err *err);
DD_WARN_UNUSED int dd_python_uv_lock_parse(const uint8_t *buf, size_t len, const char *path,
                                           int layer, dd_pkg_list *out, dd_err *err);
/* Pipfile.lock (JSON): "default" and "develop" (dev) entries with a "==" version. */
DD_WARN_UNUSED int dd_python_pipfile_lock_parse(const uint8_t *buf, size_t len, const char *path,
                                                int layer, dd_pkg_list *out, dd_err *err);
/* requirements.txt: lines pinning one version with "==" (or "==="), extras and markers allowed;
 * every other line is skipped, so this never fails on content (declared_only packages). */
DD_WARN_UNUSED int dd_python_requirements_parse(const uint8_t *buf, size_t len, const char *path,
                                                int layer, dd_pkg_list *out, dd_err *err);

/* Compares two names after PEP 503 normalisation (case folded, runs of "-_." as one "-"). */
int dd_python_name_cmp(const char *a, const char *b);

#endif
