/* The vulnerability database: an immutable, versioned SQLite file built by importers (OSV JSON and
 * YAML, the Debian security tracker and its DSA/DLA lists, Alpine secdb, RubySec, ...) and read by
 * the matcher. Schema: docs/vulndb.md.
 *
 * Model. An advisory (one record of one source: a GHSA, a CVE in the Debian tracker, a DSA, an
 * Alpine secfix) has ids, text, times, severities and references, and affects packages. Each
 * affected entry names an OSV ecosystem ("npm", "PyPI", "Debian:12", "Alpine:v3.18", ...) and a
 * package (for distros: the SOURCE package, Alpine: the origin), with OSV-style ranges (events in
 * order) and/or explicit versions, and for distro feeds a fix state. Lookups are by (ecosystem,
 * package key); the key is the package name normalised for its ecosystem (PyPI: PEP 503; NuGet,
 * Packagist: lowercase; others as written).
 *
 * Writing never edits a database in use: a writer builds DB.tmp-<random> (copying the previous DB
 * first when importing into it), and dd_vulndb_writer_commit fsyncs and renames it over the target
 * atomically with a new db_version. */
#ifndef DD_VULNDB_VULNDB_H
#define DD_VULNDB_VULNDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/err.h"
#include "util/strlist.h"

/* Fix states of distro feeds (OSV-derived entries have DD_FIX_UNKNOWN unless a fixed event). */
typedef enum dd_fix_state {
    DD_FIX_UNKNOWN = 0,
    DD_FIX_FIXED = 1,        /* a fixed version exists */
    DD_FIX_NOT_FIXED = 2,    /* affected, no fix yet ("open") */
    DD_FIX_WILL_NOT_FIX = 3, /* the distro decided not to fix ("ignored", "no-dsa" postponed...) */
    DD_FIX_END_OF_LIFE = 4,  /* the release is no longer supported */
    DD_FIX_NOT_AFFECTED = 5  /* never reported as a finding */
} dd_fix_state;

const char *dd_fix_state_name(dd_fix_state s); /* "fixed", "not-fixed", "will-not-fix", ... */

typedef enum dd_sev_type {
    DD_SEV_CVSS_V2 = 0,
    DD_SEV_CVSS_V3 = 1, /* 3.0 and 3.1 vectors */
    DD_SEV_CVSS_V4 = 2,
    DD_SEV_VENDOR = 3 /* a rating word from the source: "high", "Moderate", "unimportant" */
} dd_sev_type;

typedef struct dd_severity {
    dd_sev_type type;
    char *source; /* who says so: "nvd", "ghsa", "debian", "alpine", "osv", ... */
    char *vector; /* CVSS vector (CVSS types); NULL for vendor ratings */
    double score; /* computed base score for CVSS types (-1 when the vector does not parse) */
    char *rating; /* CVSS: NONE/LOW/MEDIUM/HIGH/CRITICAL from the score; vendor: as given */
} dd_severity;

typedef struct dd_affected {
    char *ecosystem;     /* OSV ecosystem name, with release for distros ("Debian:12") */
    char *package;       /* name as the source writes it */
    char *ranges_json;   /* JSON array of OSV ranges [{"type":"ECOSYSTEM","events":[...]}]; GIT
                            ranges are dropped by importers; NULL when none */
    char *versions_json; /* JSON array of explicit affected versions; NULL when none */
    dd_fix_state fix_state;
    char *vendor_severity; /* per-package urgency from distro feeds ("high", "low"); NULL */
} dd_affected;

typedef struct dd_advisory {
    char *id;             /* the source's id: "GHSA-...", "CVE-2023-1234", "DSA-5393-1", ... */
    dd_strlist aliases;   /* other ids (CVE, GHSA, PYSEC, GO, RUSTSEC, DSA/DLA, USN, RHSA, ...) */
    dd_strlist related;   /* OSV "related" ids (not aliases) */
    char *summary;        /* NULL when absent */
    char *details;        /* NULL when absent */
    int64_t published_ms; /* 0 when unknown */
    int64_t modified_ms;  /* 0 when unknown */
    int64_t withdrawn_ms; /* 0 when not withdrawn */
    dd_severity *severities;
    size_t n_severities;
    dd_strlist references; /* URLs */
    dd_affected *affected;
    size_t n_affected;
} dd_advisory;

void dd_advisory_clear(dd_advisory *a); /* frees everything a owns */
/* Appenders (copies of the strings are taken). */
DD_WARN_UNUSED int dd_advisory_add_severity(dd_advisory *a, dd_sev_type type, const char *source,
                                            const char *vector_or_rating);
DD_WARN_UNUSED int dd_advisory_add_affected(dd_advisory *a, const char *ecosystem,
                                            const char *package, const char *ranges_json,
                                            const char *versions_json, dd_fix_state state,
                                            const char *vendor_severity);

/* Normalises a package name for lookups in ecosystem (see the header comment); *out freed with
 * dd_free. */
DD_WARN_UNUSED int dd_vulndb_package_key(char **out, const char *ecosystem, const char *name);

/* ---- writing ---------------------------------------------------------------------------------
 */

typedef struct dd_vulndb_writer dd_vulndb_writer;

/* Starts a new version of the database at path: from the existing file's content when
 * keep_existing and it exists, else empty. */
DD_WARN_UNUSED int dd_vulndb_writer_open(dd_vulndb_writer **out, const char *path,
                                         bool keep_existing, dd_err *err);
/* Declares the source of the advisories that follow ("osv", "debian-tracker", "alpine-secdb",
 * "rubysec", ...); url/origin is informational. Replaces nothing by itself. */
DD_WARN_UNUSED int dd_vulndb_writer_source(dd_vulndb_writer *w, const char *name,
                                           const char *origin, dd_err *err);
/* Inserts or replaces (same source and id) an advisory. Computes CVSS scores of severities whose
 * score is negative. */
DD_WARN_UNUSED int dd_vulndb_writer_put(dd_vulndb_writer *w, const dd_advisory *a, dd_err *err);
/* Finishes: records counts and a new db_version, fsyncs, renames over path. On error the
 * temporary file is removed and path is untouched. Frees w either way. */
DD_WARN_UNUSED int dd_vulndb_writer_commit(dd_vulndb_writer *w, dd_err *err);
void dd_vulndb_writer_abort(dd_vulndb_writer *w);

/* ---- reading ---------------------------------------------------------------------------------
 */

typedef struct dd_vulndb dd_vulndb;

typedef struct dd_vulndb_info {
    char *db_version; /* changes with every commit */
    int64_t built_ms;
    int64_t n_advisories;
    int64_t n_affected;
    dd_strlist sources; /* "name: N advisories, imported <time>" lines */
} dd_vulndb_info;

DD_WARN_UNUSED int dd_vulndb_open(dd_vulndb **out, const char *path, dd_err *err);
void dd_vulndb_close(dd_vulndb *db);
DD_WARN_UNUSED int dd_vulndb_info_get(dd_vulndb *db, dd_vulndb_info *out, dd_err *err);
void dd_vulndb_info_clear(dd_vulndb_info *i);

/* One candidate for a package: an affected entry with its advisory. */
typedef struct dd_vuln_candidate {
    const dd_advisory *advisory; /* the advisory with only this affected entry loaded */
    const dd_affected *affected;
    const char *source; /* source name */
} dd_vuln_candidate;

/* Calls fn for every affected entry of (ecosystem, package name); the pointers are valid during
 * the call only. fn returns 0 to go on, non-zero to stop (returned). Thread-safe per dd_vulndb
 * handle? No: use one handle per thread. */
typedef int (*dd_vuln_fn)(void *ctx, const dd_vuln_candidate *c);
DD_WARN_UNUSED int dd_vulndb_lookup(dd_vulndb *db, const char *ecosystem, const char *package,
                                    dd_vuln_fn fn, void *ctx, dd_err *err);
/* As dd_vulndb_lookup, but the candidates' advisories carry no references (empty list) and no
 * details (NULL): what matching needs per candidate, without the long texts, which it fetches
 * once per finding with dd_vulndb_get_details. */
DD_WARN_UNUSED int dd_vulndb_lookup_brief(dd_vulndb *db, const char *ecosystem, const char *package,
                                          dd_vuln_fn fn, void *ctx, dd_err *err);
/* The texts dd_vulndb_lookup_brief leaves out, of the advisory (source, id): appends its
 * references in order to *references and sets *details to a copy of its details (NULL when it
 * has none; freed with dd_free). Either out-parameter may be NULL. DD_ENOTFOUND when there is no
 * such advisory. Allowed inside a lookup callback. */
DD_WARN_UNUSED int dd_vulndb_get_details(dd_vulndb *db, const char *source, const char *id,
                                         dd_strlist *references, char **details, dd_err *err);

#endif
