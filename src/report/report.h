/* Inventory reports: drydock's JSON (docs/scan-json.md), a table for terminals, CycloneDX 1.5 JSON
 * and SPDX 2.3 JSON. Used by `drydock scan` and, later, the server's SBOM export. */
#ifndef DD_REPORT_REPORT_H
#define DD_REPORT_REPORT_H

#include <stdint.h>
#include <stdio.h>
#include <drydock/common.h>
#include "inventory/inventory.h"
#include "match/match.h"
#include "util/err.h"

typedef struct dd_report_layer {
    const char *digest;
    const char *media_type;
} dd_report_layer;

typedef struct dd_scan_report {
    const char *target;          /* as given, e.g. "oci:images:node-app" */
    const char *name;            /* image name for documents (e.g. "node-app") */
    const char *manifest_digest; /* NULL for dir: targets */
    const char *config_digest;   /* NULL for dir: targets */
    const char *platform;        /* "linux/amd64"; NULL when unknown */
    const dd_report_layer *layers;
    size_t n_layers;
    const dd_inventory *inv;
    int64_t time_ms;    /* when the scan ran (documents' timestamps) */
    const char *serial; /* a UUID for the CycloneDX serialNumber / SPDX namespace */
    /* Vulnerability findings (NULL when no database was used); shown[i] says whether finding i
     * passed the filters (severity, unfixed, ignore file); shown NULL = all shown. */
    const dd_match_result *findings;
    const unsigned char *shown;
} dd_scan_report;

DD_WARN_UNUSED int dd_report_json(FILE *out, const dd_scan_report *r, dd_err *err);
DD_WARN_UNUSED int dd_report_table(FILE *out, const dd_scan_report *r, int color, dd_err *err);
DD_WARN_UNUSED int dd_report_cyclonedx(FILE *out, const dd_scan_report *r, dd_err *err);
DD_WARN_UNUSED int dd_report_spdx(FILE *out, const dd_scan_report *r, dd_err *err);
/* SARIF 2.1.0: one rule per vulnerability id, one result per shown finding. */
DD_WARN_UNUSED int dd_report_sarif(FILE *out, const dd_scan_report *r, dd_err *err);

/* A random UUID v4 (lowercase) into out (37 bytes). */
DD_WARN_UNUSED int dd_report_uuid(char out[37]);

#endif
