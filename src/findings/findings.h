/* Findings with Inspector2's lifecycle, stored in the metadata database (module "findings"):
 *
 *   findings (arn TEXT PRIMARY KEY, repo TEXT, digest TEXT, vuln_id TEXT, status TEXT
 *             ACTIVE|SUPPRESSED|CLOSED, severity TEXT, score REAL, fix_available TEXT,
 *             exploit_available TEXT, first_observed_at INTEGER, last_observed_at INTEGER,
 *             updated_at INTEGER, closed_at INTEGER, close_reason TEXT, content_hash TEXT,
 *             doc TEXT -- the Inspector2 Finding object exactly as ListFindings serves it
 *             (epoch-second timestamps, status, resources, packageVulnerabilityDetails...))
 *
 * One finding per (image, vulnerability id); its ARN is deterministic (first 32 hex of
 * SHA-256(account|image resource id|vulnerability id)), so rescans update the same finding and a
 * closed finding that reappears is reopened. Every create, material update (content, severity,
 * score, fix availability, status) and close appends an "Inspector2 Finding" event in the same
 * transaction.
 *
 * store.c: the write path used by the scanner. filter.c, suppress.c, aggregate.c, sbom.c: the
 * Inspector2 FilterCriteria engine, suppression rules (table filters, module "filters"),
 * aggregations and SBOM exports. */
#ifndef DD_FINDINGS_FINDINGS_H
#define DD_FINDINGS_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include <jansson.h>
#include "events/events.h"
#include "sql/sql.h"
#include "util/err.h"
#include "util/strlist.h"

/* Runs the "findings" and "filters" migrations. */
DD_WARN_UNUSED int dd_findings_migrate(dd_sql *s, dd_err *err);

typedef struct dd_findings_delta {
    size_t created, updated, closed, unchanged;
} dd_findings_delta;

/* Makes the stored findings of image (repo, digest) equal `current`: a JSON array of Finding
 * objects built by the scanner (findingArn, awsAccountId, type, title, description, severity,
 * inspectorScore, packageVulnerabilityDetails, remediation, resources, fixAvailable, ...; no
 * status or timestamps). New ones are created ACTIVE (SUPPRESSED when a suppression rule
 * matches) with firstObservedAt = lastObservedAt = updatedAt = now; changed ones (or CLOSED ones
 * reappearing) are updated; open ones not in `current` are CLOSED. c must be in a transaction;
 * events go through ev (NULL: none). */
DD_WARN_UNUSED int dd_findings_sync(dd_sql_conn *c, dd_events *ev, const char *repo,
                                    const char *digest, json_t *current, int64_t now_ms,
                                    dd_findings_delta *delta, dd_err *err);
/* The same, limited to the vulnerability ids that are keys of the JSON object `scope` (NULL: no
 * limit): open findings outside it are left as they are, whether or not `current` lists them.
 * The continuous re-match uses it to touch only the findings of packages whose advisories
 * changed. */
DD_WARN_UNUSED int dd_findings_sync_scoped(dd_sql_conn *c, dd_events *ev, const char *repo,
                                           const char *digest, json_t *current, const json_t *scope,
                                           int64_t now_ms, dd_findings_delta *delta, dd_err *err);
/* Adds to the object ids (as keys) the vulnerability ids of the open findings of image (repo,
 * digest) that list a package named in names. */
DD_WARN_UNUSED int dd_findings_ids_for_packages(dd_sql_conn *c, const char *repo,
                                                const char *digest, const dd_strlist *names,
                                                json_t *ids, dd_err *err);
/* Closes every open finding of image (repo, digest), or of every image of repo when digest is
 * NULL, recording reason. c must be in a transaction. */
DD_WARN_UNUSED int dd_findings_close(dd_sql_conn *c, dd_events *ev, const char *repo,
                                     const char *digest, const char *reason, int64_t now_ms,
                                     size_t *n_closed, dd_err *err);
/* Sets the status of an open finding to ACTIVE or SUPPRESSED (no-op when equal), updating doc and
 * updatedAt and appending the event. c must be in a transaction. */
DD_WARN_UNUSED int dd_findings_set_status(dd_sql_conn *c, dd_events *ev, const char *arn,
                                          const char *status, int64_t now_ms, dd_err *err);
/* Deletes CLOSED findings past their retention (3 days when closed because the image went away
 * or became ineligible, else 30 days). */
DD_WARN_UNUSED int dd_findings_purge(dd_sql_conn *c, int64_t now_ms, size_t *n_purged, dd_err *err);
/* The "Inspector2 Finding" event detail for a stored Finding doc: timestamps as
 * "EEE MMM dd HH:mm:ss.SSS UTC yyyy" strings, resources with provider fields and details.image.
 * New reference. */
json_t *dd_finding_event_detail(const json_t *finding);

/* ---- filter.c: FilterCriteria (Inspector2) ---- */

/* Checks a FilterCriteria object against the model (known members, list sizes 1..10, comparison
 * enums, value lengths). 0, or DD_EINVALID with the offending member named in err. */
DD_WARN_UNUSED int dd_filter_criteria_validate(const json_t *criteria, dd_err *err);
/* Whether a Finding doc satisfies criteria (members AND-ed; EQUALS/PREFIX OR-ed within a member,
 * NOT_EQUALS AND-ed; list-valued fields match when any element does). */
bool dd_filter_match(const json_t *criteria, const json_t *finding);

/* ---- suppress.c: suppression rules ---- */

/* Whether any SUPPRESS filter matches the finding doc. */
DD_WARN_UNUSED int dd_findings_suppressed(dd_sql_conn *c, const json_t *finding, bool *out,
                                          dd_err *err);
/* Re-evaluates every open finding against the SUPPRESS filters after a filter was created,
 * changed or deleted, moving findings between ACTIVE and SUPPRESSED (with events). c must be in a
 * transaction. */
DD_WARN_UNUSED int dd_findings_reapply_filters(dd_sql_conn *c, dd_events *ev, int64_t now_ms,
                                               size_t *n_changed, dd_err *err);

/* ==== Inspector2 queries: query.c, suppress.c (rules), aggregate.c, coverage.c, sbom.c ====
 * Request-level functions take the request members the handler received and report a bad
 * member as DD_EINVALID with the message "<member>: <reason>" (e.g. "nextToken: invalid token"),
 * so the handler can name the field in its ValidationException. Page tokens are opaque, bound to
 * the criteria of the request that produced them, and never repeat within one listing. */

/* Runs the migrations of the modules "filters" (table filters) and "exports" (sbom_exports,
 * findings_reports). dd_findings_migrate is expected to call it; calling it again is harmless. */
DD_WARN_UNUSED int dd_findings_migrate_inspector(dd_sql *s, dd_err *err);

/* ---- query.c: ListFindings, BatchGetFindingDetails ---- */

typedef struct dd_findings_query {
    const json_t *filter_criteria; /* FilterCriteria or NULL */
    const json_t *sort_criteria;   /* {field, sortOrder} or NULL: updatedAt DESC */
    size_t max_results;            /* 1..100; 0 = 25 */
    const char *next_token;        /* NULL or "" for the first page */
} dd_findings_query;

/* One page: *out = {"findings": [Finding...], "nextToken"?} (new reference). Order: the sort
 * field (SEVERITY by rank, UNTRIAGED lowest), then findingArn ascending. */
DD_WARN_UNUSED int dd_findings_list(dd_sql_conn *c, const dd_findings_query *q, json_t **out,
                                    dd_err *err);

/* Called with each matching Finding doc (borrowed); a non-zero return stops the walk. */
typedef int (*dd_findings_scan_fn)(void *ctx, json_t *doc);
/* Walks the findings matching criteria in sort order, skipping the first `offset` positions of
 * the ordered stream and stopping after max matches (0 = no limit). *next_out: the position where
 * the next page starts, or 0 when nothing is left. */
DD_WARN_UNUSED int dd_findings_scan(dd_sql_conn *c, const json_t *criteria, const json_t *sort,
                                    uint64_t offset, size_t max, dd_findings_scan_fn fn, void *ctx,
                                    uint64_t *next_out, dd_err *err);

/* BatchGetFindingDetails for 1..10 ARNs: *out = {"findingDetails": [...], "errors": [...]}. */
DD_WARN_UNUSED int dd_findings_details(dd_sql_conn *c, const json_t *arns, json_t **out,
                                       dd_err *err);

/* ---- suppress.c: filters (CreateFilter, ListFilters, UpdateFilter, DeleteFilter, tags) ---- */

#define DD_FILTERS_MAX_DEFAULT 500

/* A filter as given to create/update; NULL members are absent (update: unchanged). */
typedef struct dd_filter_spec {
    const char *name;        /* 3..64 of [A-Za-z0-9._-] */
    const char *action;      /* NONE | SUPPRESS */
    const json_t *criteria;  /* FilterCriteria */
    const char *description; /* 1..512 */
    const char *reason;      /* 1..512 */
    const json_t *tags;      /* map; create only */
} dd_filter_spec;

/* Creates a filter owned by account; ARN arn:aws:inspector2:<region>:<account>:owner/<account>/
 * filter/<id> (*arn_out, dd_free). A SUPPRESS filter suppresses matching open findings at once
 * (events through ev). c must be in a transaction. DD_EINVALID, DD_EEXIST (name taken),
 * DD_ELIMIT (more than max_filters filters). */
DD_WARN_UNUSED int dd_filters_create(dd_sql_conn *c, dd_events *ev, const char *account,
                                     const char *region, const dd_filter_spec *in,
                                     size_t max_filters, int64_t now_ms, char **arn_out,
                                     dd_err *err);
/* Changes the given members of filter arn and re-applies suppression. c in a transaction.
 * DD_ENOTFOUND, DD_EINVALID, DD_EEXIST. */
DD_WARN_UNUSED int dd_filters_update(dd_sql_conn *c, dd_events *ev, const char *account,
                                     const char *arn, const dd_filter_spec *in, int64_t now_ms,
                                     dd_err *err);
/* Deletes filter arn; findings it suppressed return to ACTIVE. c in a transaction. */
DD_WARN_UNUSED int dd_filters_delete(dd_sql_conn *c, dd_events *ev, const char *account,
                                     const char *arn, int64_t now_ms, dd_err *err);
/* ListFilters: *out = {"filters": [Filter...], "nextToken"?}; arns (list) and action (NULL =
 * any) narrow the listing; ordered by creation. */
DD_WARN_UNUSED int dd_filters_list(dd_sql_conn *c, const char *account, const json_t *arns,
                                   const char *action, size_t max_results, const char *next_token,
                                   json_t **out, dd_err *err);
/* Tags of a filter: *out = the tags object (new reference). DD_ENOTFOUND. */
DD_WARN_UNUSED int dd_filters_tags_get(dd_sql_conn *c, const char *account, const char *arn,
                                       json_t **out, dd_err *err);
/* Adds/overwrites tags (keys 1..128 not starting with "aws:", values 0..256, at most 50). */
DD_WARN_UNUSED int dd_filters_tags_add(dd_sql_conn *c, const char *account, const char *arn,
                                       const json_t *tags, int64_t now_ms, dd_err *err);
DD_WARN_UNUSED int dd_filters_tags_remove(dd_sql_conn *c, const char *account, const char *arn,
                                          const char *const *keys, size_t n_keys, int64_t now_ms,
                                          dd_err *err);

/* ---- aggregate.c: ListFindingAggregations ---- */

/* request: the ListFindingAggregations input (aggregationType, aggregationRequest, accountIds,
 * maxResults, nextToken). *out = {"aggregationType", "responses": [...], "nextToken"?}. Counts
 * cover ACTIVE findings only. */
DD_WARN_UNUSED int dd_findings_aggregate(dd_sql_conn *c, const json_t *request, json_t **out,
                                         dd_err *err);

/* ---- coverage.c: ListCoverage, ListCoverageStatistics ---- */

typedef struct dd_coverage_env {
    const char *account;
    const char *region;
    bool enhanced; /* registry scan type ENHANCED (ECR scanning enabled in Inspector2) */
} dd_coverage_env;

/* request: {maxResults? (1..200, default 100), nextToken?, filterCriteria?}. Repositories (in name
 * order) then images (by repository, digest) from the scanning tables. Nothing under BASIC. */
DD_WARN_UNUSED int dd_coverage_list(dd_sql_conn *c, const dd_coverage_env *env,
                                    const json_t *request, json_t **out, dd_err *err);
/* request: {filterCriteria?, groupBy?, nextToken?} -> {countsByGroup?, totalCounts}. */
DD_WARN_UNUSED int dd_coverage_statistics(dd_sql_conn *c, const dd_coverage_env *env,
                                          const json_t *request, json_t **out, dd_err *err);

/* ---- sbom.c: CreateSbomExport / GetSbomExport / CancelSbomExport, findings reports ---- */

struct dd_stored_inventory;
/* Fetches an image's stored inventory (dd_scanning_image_inventory); DD_ENOTFOUND when never
 * inventoried. */
typedef int (*dd_export_inventory_fn)(void *ctx, const char *repo, const char *digest,
                                      struct dd_stored_inventory *out, dd_err *err);

typedef struct dd_export_env {
    const char *account;
    const char *region;
    const char *data_dir; /* files go under DATA/exports/<bucketName>/<keyPrefix>/ */
    bool enhanced;        /* registry scan type (images are covered only under ENHANCED) */
    dd_export_inventory_fn inventory;
    void (*inventory_free)(void *ctx, struct dd_stored_inventory *si); /* releases *si */
    void *inventory_ctx;
    int64_t now_ms;
} dd_export_env;

/* Runs an SBOM export synchronously: one CycloneDX 1.5 or SPDX 2.3 JSON file per image matching
 * resourceFilterCriteria, at <repo>/<digest hex>.{cdx,spdx}.json below the destination. The
 * export is recorded SUCCEEDED, or FAILED with errorCode (NO_FINDINGS_FOUND when no image
 * matched). *report_id: a UUID (dd_free). DD_EINVALID for a bad request. Takes the pool, not a
 * connection: env->inventory may borrow connections of its own, so none is held meanwhile. */
DD_WARN_UNUSED int dd_sbom_export_create(dd_sql *sql, const dd_export_env *env,
                                         const json_t *request, char **report_id, dd_err *err);
/* GetSbomExport output (new reference); DD_ENOTFOUND. */
DD_WARN_UNUSED int dd_sbom_export_get(dd_sql_conn *c, const char *account, const char *report_id,
                                      json_t **out, dd_err *err);
/* Marks an IN_PROGRESS export CANCELLED (finished ones stay as they are); DD_ENOTFOUND. */
DD_WARN_UNUSED int dd_sbom_export_cancel(dd_sql_conn *c, const char *account, const char *report_id,
                                         int64_t now_ms, dd_err *err);
/* CreateFindingsReport: the findings matching filterCriteria as <reportId>.json ({"findings":
 * [...]}) or <reportId>.csv below the destination; recorded like an SBOM export. */
DD_WARN_UNUSED int dd_findings_report_create(dd_sql_conn *c, const dd_export_env *env,
                                             const json_t *request, char **report_id, dd_err *err);
/* GetFindingsReportStatus output (new reference); DD_ENOTFOUND. */
DD_WARN_UNUSED int dd_findings_report_get(dd_sql_conn *c, const char *account,
                                          const char *report_id, json_t **out, dd_err *err);
/* Marks an IN_PROGRESS report CANCELLED; DD_ENOTFOUND. */
DD_WARN_UNUSED int dd_findings_report_cancel(dd_sql_conn *c, const char *account,
                                             const char *report_id, int64_t now_ms, dd_err *err);

#endif
