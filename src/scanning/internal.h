/* Private to src/scanning. */
#ifndef DD_SCANNING_INTERNAL_H
#define DD_SCANNING_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <jansson.h>
#include "inventory/inventory.h"
#include "match/match.h"
#include "findings/findings.h"
#include "scanning/scanning.h"

struct dd_scanning {
    dd_sql *sql;
    dd_db *db;
    dd_store *store;
    dd_events *ev;
    const dd_clock *clock;
    dd_scanning_options o;
    char *data_dir, *vulndb_path, *account, *region, *cache_dir;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stopping;
    bool started;
    pthread_t *workers;
    unsigned n_workers;
    pthread_t ticker;
    pthread_mutex_t rematch_mu; /* one re-match at a time */
};

/* invcodec.c */
json_t *dd_scan_inventory_encode(const dd_inventory *inv);
DD_WARN_UNUSED int dd_scan_inventory_decode(dd_inventory *out, const json_t *o, dd_err *err);
/* The stored form: the OS object on the first line, then one package row per line (compact
 * JSON never holds a raw newline), so a reader can decode only the packages it needs. free(). */
char *dd_scan_inventory_text(const dd_inventory *inv);
/* Decodes the stored form; with want (n_want entries), packages whose want[i] is 0 are
 * placeholders (empty name and version) that only keep the indices. */
DD_WARN_UNUSED int dd_scan_inventory_parse(dd_inventory *out, const char *text, size_t len,
                                           const unsigned char *want, size_t n_want, dd_err *err);

/* What the finding documents say about the image. */
typedef struct dd_scan_image_meta {
    const char *account, *region, *repo, *digest;
    const char *resource_id; /* image resource id */
    json_t *tags;            /* array of strings (borrowed) */
    int64_t pushed_at_ms;
    const char *architecture; /* "amd64" */
    const char *platform;     /* "DEBIAN_12" or NULL */
    const dd_strlist *layers; /* layer digests, by index */
} dd_scan_image_meta;

/* docs.c: Inspector2 Finding objects (no status/timestamps) for the match result, one per
 * vulnerability id. New reference (array). */
json_t *dd_scan_finding_docs(const dd_match_result *m, const dd_inventory *inv,
                             const dd_scan_image_meta *meta);
/* ECR BASIC ImageScanFinding list (OS packages only). */
json_t *dd_scan_basic_findings(const dd_match_result *m, const dd_inventory *inv);
/* ECR findingSeverityCounts of BASIC findings. */
json_t *dd_scan_basic_counts(const json_t *findings);
/* "DEBIAN_12", "ALPINE_LINUX_3_18", ... for the OS; NULL without one. dd_free. */
char *dd_scan_platform_token(const dd_inventory *inv);
/* Whether enhanced scanning supports the OS (the table in docs.c). */
bool dd_scan_os_supported(const dd_inventory *inv);

/* config.c */
json_t *dd_scan_config_load(dd_sql_conn *c, dd_err *err); /* {scanType, rules}; NULL on error */
dd_scan_freq dd_scan_effective(const json_t *cfg, const char *repo, bool scan_on_push_flag,
                               json_t **applied);
DD_WARN_UNUSED int dd_scan_config_normalize(const json_t *in, json_t **out, dd_err *err);

/* rematch.c: the package index of a scanned image (pkg_keys rows, scan_images.pkg_ids and
 * match_fp) from its inventory and match result. c is in a transaction. */
DD_WARN_UNUSED int dd_scan_index_packages(dd_sql_conn *c, const char *repo, const char *digest,
                                          const dd_inventory *inv, const dd_match_result *m,
                                          dd_err *err);
/* scanning.c: writes a re-match of one image (findings sync limited to the vulnerability ids
 * in scope, NULL: all; counts). */
DD_WARN_UNUSED int dd_scan_apply_rematch(dd_scanning *s, dd_sql_conn *c, const char *repo,
                                         const char *digest, const dd_inventory *inv,
                                         const dd_match_result *m, const dd_strlist *layers,
                                         const char *arch, const char *platform,
                                         const json_t *scope, int64_t vulndb_built_ms, int64_t now,
                                         dd_findings_delta *d, dd_err *err);

#endif
