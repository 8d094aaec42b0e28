/* The OCI Distribution API v1.1 at /v2/: blobs, uploads (monolithic, chunked, streamed, mounts),
 * manifests and indexes, tags, catalog, referrers and deletes, on top of the blob store and the
 * metadata store. Also owns the `serve` configuration table. */
#ifndef DD_REGISTRY_REGISTRY_H
#define DD_REGISTRY_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "db/db.h"
#include "http/http.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/err.h"

typedef struct dd_registry_config {
    char *listen;
    char *data;
    char *db; /* vulnerability DB path; "" = DATA/vulndb.sqlite */
    char *log_format;
    char *log_level;
    int64_t upload_ttl;        /* seconds an idle upload session is kept */
    int64_t sweep_interval;    /* seconds between sweeps of abandoned uploads */
    int64_t shutdown_grace;    /* seconds in-flight requests get on SIGTERM/SIGINT */
    int64_t pull_granularity;  /* seconds: last-pull times closer than this are not rewritten */
    int64_t max_manifest_size; /* bytes */
    int64_t max_blob_size;     /* bytes */
    int64_t conn_timeout;      /* seconds an idle connection is kept */
    int64_t max_connections;
    /* enhanced scanning and the AWS-compatible APIs */
    char *account_id;          /* 12-digit registry id */
    char *region;              /* region the APIs answer for */
    char *public_host;         /* host[:port] clients use ("" = the listen address) */
    char *registry_auth;       /* "required" or "none": credentials on /v2 */
    int64_t scan_workers;      /* scan worker threads */
    int64_t scan_tick;         /* seconds between expiry sweeps / DB change checks */
    int64_t initial_push_days; /* initial eligibility: pushed within this many days */
    int64_t initial_pull_days; /* ... or pulled within this many days */
    int64_t signature_skew;    /* seconds of clock skew allowed on signed requests */
    int64_t webhook_max_attempts;
    int64_t event_retention; /* seconds delivered events stay in the event log */
} dd_registry_config;

extern const dd_config_entry dd_registry_config_table[];
extern const size_t dd_registry_config_n;

typedef struct dd_registry dd_registry;

/* Opens the stores under cfg->data (created if needed): DATA/metadata.sqlite and the blob store.
 * cfg and clock must outlive the registry. */
DD_WARN_UNUSED int dd_registry_open(dd_registry **out, const dd_registry_config *cfg,
                                    const dd_clock *clock, dd_err *err);
void dd_registry_close(dd_registry *r);
/* Callbacks into the layers above (scanning, auth); any may be NULL. */
typedef struct dd_registry_hooks {
    /* A manifest was stored (pushed or re-pushed) in repo. */
    void (*manifest_put)(void *ctx, const char *repo, const char *digest, const char *media_type);
    /* A manifest was deleted by digest. */
    void (*manifest_deleted)(void *ctx, const char *repo, const char *digest);
    /* Called before any /v2 request is handled (repo NULL for /v2/ and the catalog; write for
     * methods other than GET/HEAD; also once for the source of a cross-repository mount). Returns
     * 0 to go on; otherwise it has responded (401/403). */
    int (*authorize)(void *ctx, dd_http_req *req, const char *repo, bool write);
    void *ctx;
} dd_registry_hooks;

void dd_registry_set_hooks(dd_registry *r, const dd_registry_hooks *hooks);
dd_db *dd_registry_db(dd_registry *r);
dd_store *dd_registry_store(dd_registry *r);

/* The HTTP route for everything under /v2 (pass r as the server's app pointer). */
void dd_registry_route(dd_http_req *req, void *r);
/* Removes upload sessions idle for longer than the configured TTL, and their bytes. */
DD_WARN_UNUSED int dd_registry_sweep_uploads(dd_registry *r, size_t *n_removed, dd_err *err);

#endif
