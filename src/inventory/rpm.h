/* rpm databases: sqlite (rpmdb.sqlite), BerkeleyDB (Packages) and NDB (Packages.db), and the
 * header blobs they store. */
#ifndef DD_INVENTORY_RPM_H
#define DD_INVENTORY_RPM_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/pkg.h"
#include "util/err.h"

/* Decodes one rpm header blob (as stored in an rpm database: index count, data length, index
 * entries, data; big-endian) with librpm and appends one DD_PKG_RPM package: name, version
 * ("E:V-R" when the header has an epoch, else "V-R"), epoch (NULL when absent), arch, source_name
 * and source_version ("V-R") from the source rpm file name "name-V-R.src.rpm" (NULL when absent
 * or not of that form), license, paths = {path} (when path is not NULL) and layer. gpg-pubkey
 * pseudo-packages (imported signing keys) are skipped. DD_EINVALID when the blob does not decode
 * or lacks a name, version or release. */
DD_WARN_UNUSED int dd_rpm_parse_header_blob(const uint8_t *buf, size_t len, const char *path,
                                            int layer, dd_pkg_list *out, dd_err *err);

/* The three database formats; each appends the packages of every header it holds. A header that
 * does not decode is skipped and the first such failure returned as DD_EINVALID after the
 * others were appended; a file that is not a database of the format is DD_EINVALID too. */
/* sqlite: the blobs of the Packages table, read in memory with sqlite3 (read-only). */
DD_WARN_UNUSED int dd_rpm_parse_sqlite(const uint8_t *buf, size_t len, const char *path, int layer,
                                       dd_pkg_list *out, dd_err *err);
/* NDB (SUSE): the slot table and its blobs. */
DD_WARN_UNUSED int dd_rpm_parse_ndb(const uint8_t *buf, size_t len, const char *path, int layer,
                                    dd_pkg_list *out, dd_err *err);
/* BerkeleyDB hash (RHEL <= 8, CentOS, Amazon Linux 2): librpm's read-only bdb_ro backend on a
 * private copy in a new temporary directory (under $TMPDIR, else /tmp), removed afterwards.
 * Serialised: librpm keeps the database path in global macros. DD_EIO when the copy cannot be
 * written. */
DD_WARN_UNUSED int dd_rpm_parse_bdb(const uint8_t *buf, size_t len, const char *path, int layer,
                                    dd_pkg_list *out, dd_err *err);

#endif
