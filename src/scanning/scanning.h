/* ECR scanning semantics: the registry scanning configuration (BASIC/ENHANCED, SCAN_ON_PUSH and
 * CONTINUOUS_SCAN rules with WILDCARD filters), each repository's effective frequency, the
 * per-image scan records and statuses, eligibility (initial 30-day push / 90-day pull windows,
 * continuous rescan durations), the durable scan-job queue and its workers, stored inventories,
 * and the continuous re-match when the vulnerability database changes.
 *
 * Tables (module "scanning" of the sql migrations), in the metadata database:
 *   scan_repos  (repo PRIMARY KEY, scan_on_push, frequency MANUAL|SCAN_ON_PUSH|CONTINUOUS_SCAN,
 *                tag_mutability, tags JSON, created_at)
 *   scan_images (repo, digest, scan_type BASIC|ENHANCED, status (ECR ScanStatus), description,
 *                reason (Inspector2 coverage ScanStatusReason), frequency, initial_done,
 *                first_completed_at, completed_at, vulndb_updated_at, last_scanned_at, os,
 *                platform, arch, severity_counts JSON, basic_findings JSON, inventory BLOB;
 *                PRIMARY KEY (repo, digest, scan_type))
 *   scan_jobs   (id, repo, digest, scan_type, state queued|running, attempts, not_before,
 *                lease_until, last_error)
 *   image_pkgs  (ecosystem, name, repo, digest): which images hold which packages, for the
 *                continuous re-match
 * Settings keys: "scanning.config" (RegistryScanningConfiguration JSON), "inspector.config"
 * (ecrConfiguration JSON), "scanning.vulndb_version" (the DB version last matched).
 *
 * All times come from the injected clock, so tests can move time. */
#ifndef DD_SCANNING_SCANNING_H
#define DD_SCANNING_SCANNING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include <jansson.h>
#include "db/db.h"
#include "events/events.h"
#include "inventory/inventory.h"
#include "sql/sql.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/err.h"
#include "util/strlist.h"

typedef struct dd_scanning dd_scanning;

typedef struct dd_scanning_options {
    const char *data_dir;    /* layer cache under DATA/cache */
    const char *vulndb_path; /* watched: a new DB version triggers the continuous re-match */
    const char *account;
    const char *region;
    unsigned workers;          /* scan worker threads (0: none; tests drive dd_scanning_run_jobs) */
    int64_t initial_push_days; /* default 30 */
    int64_t initial_pull_days; /* default 90 */
    int max_attempts;          /* a failing scan is retried this many times (default 3) */
    int64_t tick_interval_ms;  /* expiry sweep + DB change check period (default 10 s) */
    int64_t max_image_bytes;   /* decompressed bytes a scan may read (0 = default limits) */
    int64_t event_retention_ms; /* the ticker drops older delivered events (0 = keep) */
} dd_scanning_options;

DD_WARN_UNUSED int dd_scanning_open(dd_scanning **out, dd_sql *sql, dd_db *db, dd_store *store,
                                    dd_events *ev, const dd_clock *clock,
                                    const dd_scanning_options *opts, dd_err *err);
void dd_scanning_close(dd_scanning *s); /* stops the threads first; NULL-safe */
/* Starts the worker threads and the ticker (expiry, DB change detection, job recovery). */
DD_WARN_UNUSED int dd_scanning_start(dd_scanning *s, dd_err *err);
void dd_scanning_stop(dd_scanning *s);

/* ---- configuration ---- */

typedef enum dd_scan_freq {
    DD_FREQ_MANUAL = 0,
    DD_FREQ_SCAN_ON_PUSH = 1,
    DD_FREQ_CONTINUOUS = 2,
} dd_scan_freq;

const char *dd_scan_freq_name(dd_scan_freq f);
/* ECR's ScanningRepositoryFilter pattern: ^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$, 1..255. */
bool dd_scan_filter_valid(const char *filter);
/* WILDCARD matching: no '*' = substring; with '*' anchored, '*' = any run (including '/'). */
bool dd_scan_filter_match(const char *filter, const char *name);

/* The stored registry configuration {scanType, rules} (new reference). */
DD_WARN_UNUSED int dd_scanning_config_get(dd_scanning *s, json_t **out, dd_err *err);
/* Validates and replaces the configuration (ENHANCED without rules gets the continuous "*"
 * rule), recomputes every repository's frequency, emits "ECR Scan Resource Change" for the
 * repositories whose frequency changed, and runs the initial-eligibility sweep for images newly
 * covered. DD_EINVALID with a message on a bad configuration. *stored: the normalized
 * configuration (new reference; may be NULL). */
DD_WARN_UNUSED int dd_scanning_config_put(dd_scanning *s, const json_t *config, json_t **stored,
                                          dd_err *err);
/* Switches the scan type, keeping existing rules (Inspector2 Enable/Disable of ECR). */
DD_WARN_UNUSED int dd_scanning_set_scan_type(dd_scanning *s, bool enhanced, dd_err *err);
bool dd_scanning_enhanced(dd_scanning *s);

typedef struct dd_scan_repo_view {
    dd_scan_freq frequency;
    bool scan_on_push;
    json_t *applied_filters; /* array (new reference) */
} dd_scan_repo_view;
/* Effective frequency of a repository (DD_ENOTFOUND when it does not exist). */
DD_WARN_UNUSED int dd_scanning_repo_view(dd_scanning *s, const char *repo, dd_scan_repo_view *out,
                                         dd_err *err);

/* Inspector2 ecrConfiguration as GetConfiguration returns it ({rescanDurationState: {...}}),
 * and UpdateConfiguration (members omitted keep their values; DD_EINVALID on bad enums). */
DD_WARN_UNUSED int dd_scanning_inspector_config_get(dd_scanning *s, json_t **out, dd_err *err);
DD_WARN_UNUSED int dd_scanning_inspector_config_put(dd_scanning *s, const json_t *ecr_config,
                                                    const json_t *ec2_config, dd_err *err);

/* ---- repository and image lifecycle (hooks from the registry and the ECR API) ---- */

/* A repository was created (CreateRepository or first push). Records scan_on_push (BASIC flag)
 * and computes its frequency; under ENHANCED emits the frequency change event. */
DD_WARN_UNUSED int dd_scanning_repo_created(dd_scanning *s, const char *repo, bool scan_on_push,
                                            const char *tag_mutability, dd_err *err);
DD_WARN_UNUSED int dd_scanning_repo_set_scan_on_push(dd_scanning *s, const char *repo, bool on,
                                                     dd_err *err);
/* The repository and its images are gone: findings closed, records and jobs removed. */
DD_WARN_UNUSED int dd_scanning_repo_deleted(dd_scanning *s, const char *repo, dd_err *err);
/* A manifest was pushed (or re-pushed) to repo: queues a scan when the repository's frequency
 * asks for one (an expired image becomes eligible again). Indexes are not scanned. */
DD_WARN_UNUSED int dd_scanning_image_pushed(dd_scanning *s, const char *repo, const char *digest,
                                            const char *media_type, dd_err *err);
/* The image was deleted: findings closed, record and jobs removed. */
DD_WARN_UNUSED int dd_scanning_image_deleted(dd_scanning *s, const char *repo, const char *digest,
                                             dd_err *err);

/* ---- scans ---- */

typedef struct dd_scan_view {
    bool has_record; /* a scan record exists under the current scan type */
    char status[40]; /* ECR ScanStatus */
    char description[160];
    bool has_summary; /* a scan completed at least once */
    int64_t completed_at_ms;
    int64_t vulndb_updated_at_ms;
    json_t *severity_counts; /* FindingSeverityCounts (new reference, NULL without summary) */
    char scan_type[16];
} dd_scan_view;
void dd_scan_view_free(dd_scan_view *v);
DD_WARN_UNUSED int dd_scanning_image_view(dd_scanning *s, const char *repo, const char *digest,
                                          dd_scan_view *out, dd_err *err);

/* StartImageScan: DD_EUNSUPPORTED under ENHANCED ("This feature is disabled"), DD_ELIMIT when the
 * image was already scanned in the last 24 h, DD_EINVALID for an index. Queues a BASIC scan. */
DD_WARN_UNUSED int dd_scanning_start_scan(dd_scanning *s, const char *repo, const char *digest,
                                          const char *media_type, dd_err *err);

/* Runs queued jobs in the calling thread until none is due (tests, benchmarks). */
DD_WARN_UNUSED int dd_scanning_run_jobs(dd_scanning *s, size_t *n_run, dd_err *err);
/* One tick: expire images past their window, close their findings, recover abandoned jobs, and
 * re-match when the vulnerability DB changed. */
DD_WARN_UNUSED int dd_scanning_tick(dd_scanning *s, dd_err *err);

typedef struct dd_rematch_stats {
    size_t images, packages_rematched, created, updated, closed;
    double seconds;
} dd_rematch_stats;
/* Re-matches the stored inventories of eligible continuously scanned images against the current
 * vulnerability DB (no layer is read) when its version differs from the last one matched (force:
 * always). */
DD_WARN_UNUSED int dd_scanning_rematch(dd_scanning *s, bool force, dd_rematch_stats *st,
                                       dd_err *err);

/* The stored inventory of a scanned image (ENHANCED record, else BASIC), decoded; with its layer
 * digests and platform for SBOM documents. DD_ENOTFOUND when the image was never inventoried. */
typedef struct dd_stored_inventory {
    dd_inventory inv;
    dd_strlist layers; /* layer digests in order */
    char *platform;    /* "linux/amd64" */
    char *config_digest;
    int64_t scanned_at_ms;
} dd_stored_inventory;
DD_WARN_UNUSED int dd_scanning_image_inventory(dd_scanning *s, const char *repo, const char *digest,
                                               dd_stored_inventory *out, dd_err *err);
void dd_stored_inventory_free(dd_stored_inventory *si);

#endif
