/* The OCI Distribution API v1.1 at /v2/: blobs, uploads (monolithic, chunked, streamed, mounts),
 * manifests and indexes, tags, catalog, referrers and deletes, on top of the blob store and the
 * metadata store. Also owns the `serve` configuration table. */
#ifndef DD_REGISTRY_REGISTRY_H
#define DD_REGISTRY_REGISTRY_H

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
} dd_registry_config;

extern const dd_config_entry dd_registry_config_table[];
extern const size_t dd_registry_config_n;

typedef struct dd_registry dd_registry;

/* Opens the stores under cfg->data (created if needed): DATA/metadata.sqlite and the blob store.
 * cfg and clock must outlive the registry. */
DD_WARN_UNUSED int dd_registry_open(dd_registry **out, const dd_registry_config *cfg,
                                    const dd_clock *clock, dd_err *err);
void dd_registry_close(dd_registry *r);
/* The HTTP route for everything under /v2 (pass r as the server's app pointer). */
void dd_registry_route(dd_http_req *req, void *r);
/* Removes upload sessions idle for longer than the configured TTL, and their bytes. */
DD_WARN_UNUSED int dd_registry_sweep_uploads(dd_registry *r, size_t *n_removed, dd_err *err);

#endif
