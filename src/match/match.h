/* Matching: an inventory against the vulnerability database gives findings.
 *
 * - OS packages match through the distro's feed: ecosystem from the image's OS ("Debian:12",
 *   "Alpine:v3.18", ...), the SOURCE package (dpkg Source, apk origin; rpm: binary then source
 *   name) and the source version where known.
 * - Language packages installed by the OS package manager (pkg->owner set) are not matched against
 *   their language ecosystem: the owning OS package is, through the distro feed.
 * - Other language packages match their OSV ecosystem (npm, PyPI, Go, Maven, ...), lockfile-only
 *   ones included (the finding says so through the package).
 * - OSV ranges (ECOSYSTEM and SEMVER events, evaluated in version order: introduced, fixed,
 *   last_affected, limit) and explicit version lists; withdrawn advisories and "not affected"
 *   entries never produce findings; a version that does not parse under the ecosystem's scheme is
 *   never guessed at: the candidate is skipped with a warning.
 * - One finding per (package, vulnerability): the vulnerability id is the CVE where one exists
 *   (GHSA and other ids become aliases); an advisory bundling several CVEs (DSA, ALSA) gives one
 *   finding per CVE, naming the advisory. */
#ifndef DD_MATCH_MATCH_H
#define DD_MATCH_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/inventory.h"
#include "util/err.h"
#include "util/strlist.h"
#include "vulndb/vulndb.h"

typedef enum dd_sev_level {
    DD_SEVL_UNKNOWN = 0,
    DD_SEVL_NEGLIGIBLE = 1,
    DD_SEVL_LOW = 2,
    DD_SEVL_MEDIUM = 3,
    DD_SEVL_HIGH = 4,
    DD_SEVL_CRITICAL = 5
} dd_sev_level;

const char *dd_sev_level_name(dd_sev_level l); /* "UNKNOWN", "NEGLIGIBLE", ..., "CRITICAL" */
/* Parses a level name (case-insensitive; "MODERATE" = MEDIUM); -1 when unknown. */
int dd_sev_level_parse(const char *s);

typedef struct dd_finding {
    char *id;              /* CVE where one exists, else the advisory's id */
    dd_strlist aliases;    /* other ids of the same vulnerability (GHSA, DSA, PYSEC, ...) */
    dd_strlist advisories; /* the records that produced it: "source:id" */
    size_t pkg;            /* index into the inventory's packages */
    char *installed;       /* the version compared (source version for distro packages) */
    char *fixed_version;   /* smallest fixed version above the installed one; NULL if none */
    dd_fix_state fix_state;
    dd_sev_level severity;
    char *severity_source; /* "debian", "nvd", "ghsa", "cvss_v3", ... */
    double cvss_score;     /* best CVSS base score (v3, else v4, else v2); -1 when none */
    char *cvss_vector;     /* its vector; NULL when none */
    dd_severity *cvss;     /* every CVSS severity seen (copied) */
    size_t n_cvss;
    char *title;       /* summary; NULL when none */
    char *description; /* details; NULL when none */
    dd_strlist references;
    int64_t published_ms, modified_ms;
} dd_finding;

typedef struct dd_match_result {
    dd_finding *items; /* sorted: severity (high first), package name, id */
    size_t n;
    char *db_version;
    dd_strlist warnings;
} dd_match_result;

DD_WARN_UNUSED int dd_match_inventory(dd_match_result *out, const dd_inventory *inv, dd_vulndb *db,
                                      dd_err *err);
void dd_match_result_free(dd_match_result *r);
/* Sorts findings as dd_match_inventory does (severity, package name, package, id): a result
 * assembled from other results orders like a direct match. */
void dd_match_sort(dd_match_result *r, const dd_inventory *inv);

/* OSV range evaluation, exported for tests: 1 when version is inside the range described by the
 * JSON array of events (already in any order) under scheme s; 0 when not; negative DD_E* when a
 * version does not parse. *fixed_out (may be NULL) receives a copy of the smallest "fixed" event
 * above version, when any. */
DD_WARN_UNUSED int dd_match_range(int scheme, const char *events_json, const char *version,
                                  char **fixed_out, dd_err *err);

#endif
