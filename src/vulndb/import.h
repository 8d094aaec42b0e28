/* Importers: each turns one file of a feed format into advisories handed to a sink, without
 * touching a database (so they are pure, testable and fuzzable). `drydock db import` detects the
 * format of each file, runs its importer, and writes what the sink receives. */
#ifndef DD_VULNDB_IMPORT_H
#define DD_VULNDB_IMPORT_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/err.h"
#include "vulndb/vulndb.h"

/* Receives each advisory; the advisory is owned by the importer and freed after the call.
 * Non-zero return stops the import and is returned. */
typedef struct dd_import_sink {
    int (*put)(void *ctx, const dd_advisory *a, dd_err *err);
    /* Problems in one record that do not stop the file (skipped record, bad version...). */
    void (*warn)(void *ctx, const char *path, const char *msg);
    void *ctx;
} dd_import_sink;

/* An importer of one format. `source` is the source name its advisories are recorded under. */
typedef struct dd_importer {
    const char *format; /* "osv-json", "osv-yaml", "debian-tracker-json", "debian-dsa-list",
                           "alpine-secdb", "rubysec", "nodejs-security-wg", "rustsec" */
    const char *source; /* "osv", "debian-tracker", "debian-dsa", "alpine-secdb", "rubysec", ... */
    /* Cheap check on the file name and its first bytes (up to 4 KiB): 1 = this format. */
    int (*detect)(const char *path, const uint8_t *head, size_t head_len);
    /* Parses buf (the whole file) and feeds the sink. Bad records are warned about and skipped;
     * a file that is not this format at all is DD_EINVALID. */
    int (*import)(const uint8_t *buf, size_t len, const char *path, const dd_import_sink *sink,
                  dd_err *err);
} dd_importer;

/* Built-in importers, NULL-terminated, in detection order. */
extern const dd_importer *const dd_importers[];
extern const dd_importer dd_importer_osv_json, dd_importer_osv_yaml,
    dd_importer_debian_tracker_json, dd_importer_debian_dsa_list, dd_importer_alpine_secdb,
    dd_importer_rubysec, dd_importer_nodejs_wg, dd_importer_redhat_csaf, dd_importer_rustsec;

/* The importer whose detect() accepts the file, or NULL. */
const dd_importer *dd_import_detect(const char *path, const uint8_t *head, size_t head_len);

/* Helpers for importers. */
/* Parses an RFC 3339 / ISO 8601 date or date-time ("2023-04-21", "2023-04-21T10:00:00Z",
 * "...+02:00", fractional seconds) into ms since the epoch; DD_EINVALID otherwise. */
DD_WARN_UNUSED int dd_import_parse_time(const char *s, int64_t *ms_out);

/* One part of a version requirement: its operator (possibly empty) and its version (not
 * empty), both trimmed. Returns 1 to go on, 0 to refuse the requirement. */
typedef int (*dd_req_part_fn)(void *ctx, const char *op, size_t op_len, const char *v,
                              size_t v_len);
/* Splits a comma-separated requirement ("~> 1.2, >= 1.2.4", ">= 1.2.3, < 1.3.0") into parts: a
 * run of op_chars is the operator, the rest the version. 1 when every part was accepted; 0 when
 * a part is empty, there are more than max_parts, or fn refused one. */
DD_WARN_UNUSED int dd_import_req_split(const char *s, const char *op_chars, int max_parts,
                                       dd_req_part_fn fn, void *ctx);
/* Debian release codename -> OSV ecosystem ("bookworm" -> "Debian:12", "sid" -> "Debian:sid");
 * NULL when unknown. */
const char *dd_import_debian_ecosystem(const char *codename);

#endif
