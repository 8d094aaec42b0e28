/* Private to src/report: the CycloneDX vulnerabilities section (cdx_vulns.c) and the helpers that
 * it shares with the SARIF writer (sarif.c). */
#ifndef DD_REPORT_INTERNAL_H
#define DD_REPORT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <drydock/common.h>
#include "report/report.h"

/* Adds "vulnerabilities" to a CycloneDX 1.5 BOM object built by dd_report_cyclonedx (components
 * carry bom-refs "pkg-<i>" for inventory package i): one entry per distinct id among the shown
 * findings, affecting every package it was found in. An empty array when nothing is shown; nothing
 * at all when r->findings is NULL. 0 or DD_ENOMEM (bom may then hold a partial section). Scores
 * are JSON reals: dump with JSON_REAL_PRECISION(15) or less to print 9.8 rather than
 * 9.8000000000000007. */
DD_WARN_UNUSED int dd_report_cyclonedx_vulns(json_t *bom, const dd_scan_report *r);

/* Whether finding i passed the report's filters (r->shown NULL = all shown). */
bool dd_report_shown(const dd_scan_report *r, size_t i);

/* A JSON string of s; ill-formed UTF-8 (text from advisories and image files) is replaced by
 * U+FFFD rather than failing. NULL when s is NULL or on allocation failure. */
json_t *dd_report_text(const char *s);

/* The well-known database that publishes ids like id ("NVD" for CVE-, "GitHub Advisories" for
 * GHSA-, "Debian" for DSA-/DLA-, ...), or NULL. */
const char *dd_report_id_source(const char *id);

/* *out = the public page of a vulnerability id of a well-known database (NVD, GitHub advisories,
 * Debian security tracker, Go, RustSec, OSV for PYSEC), freed with dd_free; NULL when the prefix
 * is not known or the id has characters that do not belong in a URL. 0 or DD_ENOMEM. */
DD_WARN_UNUSED int dd_report_id_url(char **out, const char *id);

/* Whether s is an absolute http(s) URL of printable ASCII without spaces, quotes or angle
 * brackets (fit for SARIF helpUri and CycloneDX advisories). */
bool dd_report_is_http_url(const char *s);

#endif
