/* OCI Distribution API v1.1 endpoints: request routing under /v2/, blob and upload handlers,
 * manifests, tags, catalog and referrers, errors in the spec's JSON form. */
#include "registry/registry.h"
#include "image/manifest.h"
#include "http/range.h"
#include "image/reference.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/limits.h"
#include "util/log.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define API_VERSION_HEADER "Docker-Distribution-API-Version"
#define MT_JSON "application/json"

const dd_config_entry dd_registry_config_table[] = {
    {"listen", DD_CONFIG_STRING, offsetof(dd_registry_config, listen), "127.0.0.1:5000", 0, 0, NULL,
     "address and port to listen on (ADDR:PORT, [IPv6]:PORT; port 0 picks one)"},
    {"data", DD_CONFIG_STRING, offsetof(dd_registry_config, data), "./data", 0, 0, NULL,
     "data directory: metadata database and blobs"},
    {"db", DD_CONFIG_STRING, offsetof(dd_registry_config, db), "", 0, 0, NULL,
     "vulnerability database (empty: DATA/vulndb.sqlite, created from the bundled sample on "
     "first start)"},
    {"log_format", DD_CONFIG_ENUM, offsetof(dd_registry_config, log_format), "auto", 0, 0,
     "auto|text|json", "log format; auto is text on a terminal, JSON lines otherwise"},
    {"log_level", DD_CONFIG_ENUM, offsetof(dd_registry_config, log_level), "info", 0, 0,
     "debug|info|warn|error", "least severe level logged"},
    {"upload_ttl", DD_CONFIG_SECONDS, offsetof(dd_registry_config, upload_ttl), "24h", 1,
     30 * 86400, NULL, "an upload session idle this long is abandoned and removed"},
    {"sweep_interval", DD_CONFIG_SECONDS, offsetof(dd_registry_config, sweep_interval), "10m", 1,
     86400, NULL, "how often abandoned uploads are swept"},
    {"shutdown_grace", DD_CONFIG_SECONDS, offsetof(dd_registry_config, shutdown_grace), "30s", 0,
     3600, NULL, "on SIGTERM/SIGINT, how long requests in flight may take to finish"},
    {"pull_granularity", DD_CONFIG_SECONDS, offsetof(dd_registry_config, pull_granularity), "60s",
     0, 86400, NULL, "last-pull times are rewritten at most this often per image"},
    {"max_manifest_size", DD_CONFIG_BYTES, offsetof(dd_registry_config, max_manifest_size), "4M",
     1024, DD_LIMIT_MANIFEST_MAX, NULL, "largest manifest accepted"},
    {"max_blob_size", DD_CONFIG_BYTES, offsetof(dd_registry_config, max_blob_size), "64G", 1,
     (int64_t)DD_LIMIT_BLOB_MAX, NULL, "largest blob accepted"},
    {"conn_timeout", DD_CONFIG_SECONDS, offsetof(dd_registry_config, conn_timeout), "300s", 1,
     86400, NULL, "idle connections are closed after this"},
    {"max_connections", DD_CONFIG_INT, offsetof(dd_registry_config, max_connections), "1000", 1,
     65536, NULL, "most simultaneous client connections"},
    {"account_id", DD_CONFIG_STRING, offsetof(dd_registry_config, account_id), "123456789012", 0, 0,
     NULL, "12-digit registry id (ECR registryId, Inspector awsAccountId)"},
    {"region", DD_CONFIG_STRING, offsetof(dd_registry_config, region), "us-east-1", 0, 0, NULL,
     "region the ECR and Inspector2 APIs answer for (signed requests must name it)"},
    {"public_host", DD_CONFIG_STRING, offsetof(dd_registry_config, public_host), "", 0, 0, NULL,
     "host[:port] clients reach the registry at (repositoryUri; empty: the listen address)"},
    {"registry_auth", DD_CONFIG_ENUM, offsetof(dd_registry_config, registry_auth), "required", 0, 0,
     "required|none", "whether /v2 requires credentials (Basic or an ECR token)"},
    {"scan_workers", DD_CONFIG_INT, offsetof(dd_registry_config, scan_workers), "2", 1, 64, NULL,
     "scan worker threads"},
    {"scan_tick", DD_CONFIG_SECONDS, offsetof(dd_registry_config, scan_tick), "10s", 1, 86400, NULL,
     "how often expiry is evaluated and the vulnerability DB is checked for changes"},
    {"initial_push_days", DD_CONFIG_INT, offsetof(dd_registry_config, initial_push_days), "30", 1,
     3650, NULL, "turning enhanced scanning on covers images pushed within this many days"},
    {"initial_pull_days", DD_CONFIG_INT, offsetof(dd_registry_config, initial_pull_days), "90", 1,
     3650, NULL, "... or pulled within this many days"},
    {"signature_skew", DD_CONFIG_SECONDS, offsetof(dd_registry_config, signature_skew), "5m", 1,
     3600, NULL, "clock skew allowed on SigV4-signed requests"},
    {"webhook_max_attempts", DD_CONFIG_INT, offsetof(dd_registry_config, webhook_max_attempts),
     "10", 1, 100, NULL, "webhook delivery attempts before an event is dead-lettered"},
    {"event_retention", DD_CONFIG_SECONDS, offsetof(dd_registry_config, event_retention), "30d",
     3600, 3650 * 86400LL, NULL,
     "events older than this leave the event log once every webhook received them"},
};
const size_t dd_registry_config_n =
    sizeof(dd_registry_config_table) / sizeof(dd_registry_config_table[0]);

struct dd_registry {
    const dd_registry_config *cfg;
    const dd_clock *clock;
    dd_store *store;
    dd_db *db;
    dd_registry_hooks hooks;
};

void dd_registry_set_hooks(dd_registry *r, const dd_registry_hooks *hooks)
{
    r->hooks = *hooks;
}

dd_db *dd_registry_db(dd_registry *r)
{
    return r->db;
}

dd_store *dd_registry_store(dd_registry *r)
{
    return r->store;
}

int dd_registry_open(dd_registry **out, const dd_registry_config *cfg, const dd_clock *clock,
                     dd_err *err)
{
    int rc = 0;
    char *dbpath = NULL;
    dd_registry *r = NULL;
    *out = NULL;
    if (mkdir(cfg->data, 0755) != 0 && errno != EEXIST) {
        rc = dd_err_errno(err, errno, cfg->data);
        goto out;
    }
    r = dd_calloc(1, sizeof(*r));
    dbpath = dd_asprintf("%s/metadata.sqlite", cfg->data);
    if (r == NULL || dbpath == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    r->cfg = cfg;
    r->clock = clock;
    rc = dd_store_open(&r->store, cfg->data, err);
    if (rc == 0)
        rc = dd_db_open(&r->db, dbpath, err);
    if (rc != 0)
        goto out;
    *out = r;
    r = NULL;
out:
    dd_registry_close(r);
    dd_free(dbpath);
    return rc;
}

void dd_registry_close(dd_registry *r)
{
    if (r == NULL)
        return;
    dd_db_close(r->db);
    dd_store_close(r->store);
    dd_free(r);
}

int dd_registry_sweep_uploads(dd_registry *r, size_t *n_removed, dd_err *err)
{
    dd_strlist ids = DD_STRLIST_INIT;
    size_t n_files = 0;
    int64_t cutoff = dd_clock_now_ms(r->clock) - r->cfg->upload_ttl * 1000;
    *n_removed = 0;
    int rc = dd_db_upload_sweep(r->db, cutoff, &ids, err);
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < ids.n; i++) {
        dd_err e2 = DD_ERR_INIT;
        int rc2 = dd_store_upload_delete(r->store, ids.items[i], &e2);
        if (rc2 != 0 && rc2 != DD_ENOTFOUND)
            dd_log(DD_LOG_WARN, "upload_sweep_failed", "upload", ids.items[i], "error", e2.msg,
                   NULL);
    }
    /* Staging files without a session row (a crash between the two) age out the same way. */
    rc = dd_store_upload_sweep(r->store, cutoff, &n_files, err);
    *n_removed = ids.n > n_files ? ids.n : n_files;
out:
    dd_strlist_free(&ids);
    return rc;
}

/* ---- responses ---------------------------------------------------------------------------- */

static void respond_json(dd_http_req *req, unsigned status, json_t *body)
{
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (text == NULL || dd_http_respond_buf(req, status, MT_JSON, text, strlen(text)) != 0) {
        static const char oom[] = "{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"out of "
                                  "memory\"}]}";
        if (dd_http_respond_buf(req, 500, MT_JSON, oom, sizeof(oom) - 1) != 0)
            dd_log(DD_LOG_ERROR, "respond_failed", NULL);
    }
    free(text);
    json_decref(body);
    dd_http_resp_header(req, API_VERSION_HEADER, "registry/2.0");
}

/* Errors as the distribution spec writes them: {"errors":[{"code","message","detail"}]}. */
static void respond_error(dd_http_req *req, unsigned status, const char *code, const char *message,
                          const char *detail)
{
    json_t *e = json_pack("{s:s,s:s}", "code", code, "message", message);
    if (e != NULL && detail != NULL && *detail != '\0')
        json_object_set_new(e, "detail", json_string(detail));
    json_t *body = e ? json_pack("{s:[o]}", "errors", e) : NULL;
    respond_json(req, status, body);
}

static void respond_internal(dd_http_req *req, int rc, const dd_err *err)
{
    dd_log(DD_LOG_ERROR, "internal_error", "path", dd_http_req_path(req), "code", dd_strerror(rc),
           "error", err ? err->msg : "", NULL);
    if (rc == DD_EBUSY)
        respond_error(req, 503, "UNAVAILABLE", "the service is busy, retry", NULL);
    else
        respond_error(req, 500, "UNKNOWN", "internal error", err ? err->msg : NULL);
}

static void respond_empty(dd_http_req *req, unsigned status)
{
    if (dd_http_respond_buf(req, status, NULL, "", 0) == 0)
        dd_http_resp_header(req, API_VERSION_HEADER, "registry/2.0");
}

/* ---- routing ------------------------------------------------------------------------------ */

typedef enum route_kind {
    R_BASE,
    R_CATALOG,
    R_TAGS,
    R_MANIFEST,
    R_BLOB,
    R_UPLOAD_START,
    R_UPLOAD,
    R_REFERRERS,
    R_NONE
} route_kind;

typedef struct route {
    route_kind kind;
    char *name;      /* repository, owned */
    const char *arg; /* reference, digest or upload id: points into the path */
} route;

/* Finds the last occurrence of needle in s[0..len). */
static const char *find_last(const char *s, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    if (len < nl)
        return NULL;
    for (size_t i = len - nl + 1; i-- > 0;)
        if (memcmp(s + i, needle, nl) == 0)
            return s + i;
    return NULL;
}

/* Splits "/v2/<name>/<endpoint>". The name may itself contain "blobs" or "manifests" components,
 * so each endpoint is matched at its last occurrence and must leave no '/' in its argument. */
static int parse_route(route *rt, const char *path)
{
    rt->kind = R_NONE;
    rt->name = NULL;
    rt->arg = NULL;
    if (strcmp(path, "/v2") == 0 || strcmp(path, "/v2/") == 0) {
        rt->kind = R_BASE;
        return 0;
    }
    if (strncmp(path, "/v2/", 4) != 0)
        return 0;
    const char *p = path + 4;
    size_t len = strlen(p);
    if (strcmp(p, "_catalog") == 0) {
        rt->kind = R_CATALOG;
        return 0;
    }
    static const struct {
        const char *sep;
        route_kind kind;
    } eps[] = {{"/tags/list", R_TAGS},
               {"/blobs/uploads/", R_UPLOAD},
               {"/manifests/", R_MANIFEST},
               {"/referrers/", R_REFERRERS},
               {"/blobs/", R_BLOB}};
    for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
        const char *at = find_last(p, len, eps[i].sep);
        if (at == NULL || at == p)
            continue;
        const char *arg = at + strlen(eps[i].sep);
        if (eps[i].kind == R_TAGS && *arg != '\0')
            continue;
        if (strchr(arg, '/') != NULL)
            continue;
        rt->kind = eps[i].kind;
        if (rt->kind == R_UPLOAD && *arg == '\0')
            rt->kind = R_UPLOAD_START;
        rt->arg = arg;
        rt->name = dd_strndup(p, (size_t)(at - p));
        return rt->name == NULL ? DD_ENOMEM : 0;
    }
    if (len >= 14 && strcmp(p + len - 14, "/blobs/uploads") == 0) {
        rt->kind = R_UPLOAD_START;
        rt->arg = p + len;
        rt->name = dd_strndup(p, len - 14);
        return rt->name == NULL ? DD_ENOMEM : 0;
    }
    return 0;
}

static int method_is(dd_http_req *req, const char *m)
{
    return strcmp(dd_http_req_method(req), m) == 0;
}

static int is_digest_ref(const char *ref)
{
    return strchr(ref, ':') != NULL;
}

/* Validates a digest argument; responds and returns non-zero when it is not usable. */
static int check_digest(dd_http_req *req, const char *digest)
{
    dd_err err = DD_ERR_INIT;
    int rc = digest ? dd_digest_validate(digest, strlen(digest), &err) : DD_EINVALID;
    if (rc == 0)
        return 0;
    if (digest == NULL)
        snprintf(err.msg, sizeof(err.msg), "a digest is required");
    respond_error(req, 400, rc == DD_EUNSUPPORTED ? "UNSUPPORTED" : "DIGEST_INVALID",
                  rc == DD_EUNSUPPORTED ? "digest algorithm not supported"
                                        : "provided digest is invalid",
                  err.msg);
    return 1;
}

/* Parses the n query parameter: absent means the hard cap. Responds on error. */
static int page_size(dd_http_req *req, size_t *n_out)
{
    const char *v = dd_http_req_query(req, "n");
    *n_out = DD_LIMIT_PAGE_MAX;
    if (v == NULL)
        return 0;
    size_t n = 0;
    if (*v == '\0')
        goto bad;
    for (const char *p = v; *p; p++) {
        if (*p < '0' || *p > '9' || n > DD_LIMIT_PAGE_MAX)
            goto bad;
        n = n * 10 + (size_t)(*p - '0');
    }
    *n_out = n < DD_LIMIT_PAGE_MAX ? n : DD_LIMIT_PAGE_MAX;
    return 0;
bad:
    respond_error(req, 400, "PAGINATION_NUMBER_INVALID", "invalid number of results requested", v);
    return 1;
}

/* ---- catalog and tags --------------------------------------------------------------------- */

static void respond_list(dd_http_req *req, const char *base, const char *key, const char *name,
                         dd_strlist *items, size_t n)
{
    json_t *arr = json_array();
    size_t shown = items->n > n ? n : items->n;
    for (size_t i = 0; i < shown; i++)
        json_array_append_new(arr, json_string(items->items[i]));
    json_t *body =
        name ? json_pack("{s:s,s:o}", "name", name, key, arr) : json_pack("{s:o}", key, arr);
    respond_json(req, 200, body);
    if (items->n > n && n > 0) {
        char *link = dd_asprintf("<%s?n=%zu&last=%s>; rel=\"next\"", base, n, items->items[n - 1]);
        if (link != NULL)
            dd_http_resp_header(req, "Link", link);
        dd_free(link);
    }
}

static void handle_catalog(dd_registry *reg, dd_http_req *req)
{
    dd_strlist names = DD_STRLIST_INIT;
    dd_err err = DD_ERR_INIT;
    size_t n;
    if (!method_is(req, "GET") && !method_is(req, "HEAD")) {
        respond_error(req, 405, "UNSUPPORTED", "method not allowed", NULL);
        return;
    }
    if (page_size(req, &n) != 0)
        return;
    int rc = dd_db_repo_list(reg->db, dd_http_req_query(req, "last"), n + 1, &names, &err);
    if (rc != 0)
        respond_internal(req, rc, &err);
    else
        respond_list(req, "/v2/_catalog", "repositories", NULL, &names, n);
    dd_strlist_free(&names);
}

static void handle_tags(dd_registry *reg, dd_http_req *req, const char *name)
{
    dd_strlist tags = DD_STRLIST_INIT;
    dd_err err = DD_ERR_INIT;
    size_t n;
    if (!method_is(req, "GET") && !method_is(req, "HEAD")) {
        respond_error(req, 405, "UNSUPPORTED", "method not allowed", NULL);
        return;
    }
    if (page_size(req, &n) != 0)
        return;
    int rc = dd_db_tag_list(reg->db, name, dd_http_req_query(req, "last"), n + 1, &tags, &err);
    if (rc == DD_ENOTFOUND) {
        respond_error(req, 404, "NAME_UNKNOWN", "repository name not known to registry", name);
    } else if (rc != 0) {
        respond_internal(req, rc, &err);
    } else {
        char *base = dd_asprintf("/v2/%s/tags/list", name);
        respond_list(req, base ? base : "", "tags", name, &tags, n);
        dd_free(base);
    }
    dd_strlist_free(&tags);
}

/* ---- blobs -------------------------------------------------------------------------------- */

static void handle_blob(dd_registry *reg, dd_http_req *req, const char *name, const char *digest)
{
    dd_err err = DD_ERR_INIT;
    uint64_t size = 0;
    int fd = -1;
    if (check_digest(req, digest) != 0)
        return;
    int is_get = method_is(req, "GET"), is_head = method_is(req, "HEAD");
    if (method_is(req, "DELETE")) {
        int rc = dd_db_blob_unlink(reg->db, name, digest, &err);
        if (rc == DD_ENOTFOUND)
            respond_error(req, 404, "BLOB_UNKNOWN", "blob unknown to registry", digest);
        else if (rc != 0)
            respond_internal(req, rc, &err);
        else
            respond_empty(req, 202);
        return;
    }
    if (!is_get && !is_head) {
        respond_error(req, 405, "UNSUPPORTED", "method not allowed", NULL);
        return;
    }
    int rc = dd_db_blob_get(reg->db, name, digest, &size, &err);
    if (rc == 0)
        rc = dd_store_open_blob(reg->store, digest, &fd, &size, &err);
    if (rc == DD_ENOTFOUND) {
        respond_error(req, 404, "BLOB_UNKNOWN", "blob unknown to registry", digest);
        return;
    }
    if (rc != 0) {
        respond_internal(req, rc, &err);
        return;
    }
    uint64_t start = 0, end = size ? size - 1 : 0;
    const char *rh = dd_http_req_header(req, "Range");
    dd_range_result pr = dd_http_parse_range(rh, rh ? strlen(rh) : 0, size, &start, &end);
    char cr[96];
    if (pr == DD_RANGE_UNSATISFIABLE) {
        close(fd);
        respond_error(req, 416, "BLOB_UNKNOWN", "requested range not satisfiable", NULL);
        snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)size);
        dd_http_resp_header(req, "Content-Range", cr);
        return;
    }
    uint64_t len = pr == DD_RANGE_OK ? end - start + 1 : size;
    rc = dd_http_respond_fd(req, pr == DD_RANGE_OK ? 206 : 200, "application/octet-stream", fd,
                            start, len);
    if (rc != 0) {
        respond_internal(req, rc, NULL);
        return;
    }
    dd_http_resp_header(req, API_VERSION_HEADER, "registry/2.0");
    dd_http_resp_header(req, "Docker-Content-Digest", digest);
    dd_http_resp_header(req, "Accept-Ranges", "bytes");
    char etag[DD_DIGEST_STR_MAX + 2];
    snprintf(etag, sizeof(etag), "\"%s\"", digest);
    dd_http_resp_header(req, "ETag", etag);
    if (pr == DD_RANGE_OK) {
        snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)start,
                 (unsigned long long)end, (unsigned long long)size);
        dd_http_resp_header(req, "Content-Range", cr);
    }
}

/* ---- uploads ------------------------------------------------------------------------------ */

typedef enum upload_mode { UP_PATCH, UP_PUT, UP_MONOLITHIC } upload_mode;

typedef struct upload_ctx {
    dd_registry *reg;
    char *name;
    char id[DD_UPLOAD_ID_MAX];
    char *digest; /* PUT / monolithic POST */
    upload_mode mode;
    dd_upload *up;
    int64_t expect_len; /* from Content-Range or Content-Length, -1 if unknown */
    uint64_t start;
} upload_ctx;

static void upload_headers(dd_http_req *req, const char *name, const char *id, uint64_t offset)
{
    char *loc = dd_asprintf("/v2/%s/blobs/uploads/%s", name, id);
    char range[48];
    snprintf(range, sizeof(range), "0-%llu", (unsigned long long)(offset > 0 ? offset - 1 : 0));
    if (loc != NULL)
        dd_http_resp_header(req, "Location", loc);
    dd_http_resp_header(req, "Range", range);
    dd_http_resp_header(req, "Docker-Upload-UUID", id);
    dd_http_resp_header(req, "OCI-Chunk-Min-Length", "0");
    dd_free(loc);
}

static void blob_created(dd_http_req *req, const char *name, const char *digest)
{
    respond_empty(req, 201);
    char *loc = dd_asprintf("/v2/%s/blobs/%s", name, digest);
    if (loc != NULL)
        dd_http_resp_header(req, "Location", loc);
    dd_http_resp_header(req, "Docker-Content-Digest", digest);
    dd_free(loc);
}

static void upload_ctx_free(upload_ctx *u)
{
    if (u == NULL)
        return;
    if (u->up != NULL) {
        dd_err err = DD_ERR_INIT;
        if (dd_store_upload_close(u->up, &err) != 0)
            dd_log(DD_LOG_WARN, "upload_close_failed", "upload", u->id, "error", err.msg, NULL);
    }
    dd_free(u->name);
    dd_free(u->digest);
    dd_free(u);
}

static void upload_cleanup(dd_http_req *req)
{
    upload_ctx_free(dd_http_req_state(req));
    dd_http_req_set_state(req, NULL);
}

static int upload_body(dd_http_req *req, const char *data, size_t len)
{
    upload_ctx *u = dd_http_req_state(req);
    dd_err err = DD_ERR_INIT;
    uint64_t off = dd_store_upload_offset(u->up);
    if (off + len > (uint64_t)u->reg->cfg->max_blob_size) {
        respond_error(req, 413, "SIZE_INVALID", "blob larger than the configured maximum", NULL);
        return 1;
    }
    int rc = dd_store_upload_write(u->up, data, len, &err);
    if (rc != 0) {
        respond_internal(req, rc, &err);
        return 1;
    }
    return 0;
}

/* Commits a finished upload: digest verified by the store, then linked in one transaction. */
static void upload_commit(dd_http_req *req, upload_ctx *u)
{
    dd_err err = DD_ERR_INIT;
    uint64_t size = 0;
    int rc = dd_store_upload_commit(u->reg->store, u->id, u->digest, &size, &err);
    if (rc == DD_EMISMATCH) {
        dd_err e2 = DD_ERR_INIT;
        if (dd_db_upload_delete(u->reg->db, u->id, &e2) != 0)
            dd_log(DD_LOG_WARN, "upload_delete_failed", "upload", u->id, NULL);
        respond_error(req, 400, "DIGEST_INVALID", "provided digest did not match uploaded content",
                      err.msg);
        return;
    }
    if (rc == DD_EBUSY) {
        respond_error(req, 409, "BLOB_UPLOAD_INVALID", "upload is being written by another request",
                      NULL);
        return;
    }
    if (rc == 0)
        rc = dd_db_upload_finish(u->reg->db, u->id, u->name, u->digest, size,
                                 dd_clock_now_ms(u->reg->clock), &err);
    if (rc != 0) {
        respond_internal(req, rc, &err);
        return;
    }
    blob_created(req, u->name, u->digest);
}

static void upload_done(dd_http_req *req)
{
    upload_ctx *u = dd_http_req_state(req);
    dd_err err = DD_ERR_INIT;
    uint64_t end = dd_store_upload_offset(u->up);
    if (u->expect_len >= 0 && end - u->start != (uint64_t)u->expect_len) {
        /* The client sent fewer bytes than it declared: keep what arrived, report the offset. */
        respond_error(req, 400, "BLOB_UPLOAD_INVALID", "body shorter than declared", NULL);
        upload_headers(req, u->name, u->id, end);
        return;
    }
    int rc = dd_store_upload_close(u->up, &err);
    u->up = NULL;
    if (rc == 0)
        rc = dd_db_upload_touch(u->reg->db, u->id, dd_clock_now_ms(u->reg->clock), &err);
    if (rc != 0) {
        respond_internal(req, rc, &err);
        return;
    }
    if (u->mode == UP_PATCH) {
        respond_empty(req, 202);
        upload_headers(req, u->name, u->id, end);
        return;
    }
    upload_commit(req, u);
}

/* Opens the upload for writing and checks Content-Range; responds on failure. */
static int upload_begin(dd_http_req *req, upload_ctx *u)
{
    dd_err err = DD_ERR_INIT;
    int rc = dd_store_upload_open(u->reg->store, u->id, &u->up, &err);
    if (rc == DD_EBUSY) {
        respond_error(req, 409, "BLOB_UPLOAD_INVALID", "upload is being written by another request",
                      NULL);
        return 1;
    }
    if (rc == DD_ENOTFOUND) {
        respond_error(req, 404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", u->id);
        return 1;
    }
    if (rc != 0) {
        respond_internal(req, rc, &err);
        return 1;
    }
    u->start = dd_store_upload_offset(u->up);
    u->expect_len = dd_http_req_content_length(req);
    const char *cr = dd_http_req_header(req, "Content-Range");
    if (cr != NULL) {
        uint64_t a, b;
        if (dd_http_parse_content_range(cr, strlen(cr), &a, &b) != 0 || a != u->start ||
            (u->expect_len >= 0 && (uint64_t)u->expect_len != b - a + 1)) {
            respond_error(req, 416, "BLOB_UPLOAD_INVALID",
                          "content range does not continue the upload", cr);
            upload_headers(req, u->name, u->id, u->start);
            return 1;
        }
        u->expect_len = (int64_t)(b - a + 1);
    }
    return 0;
}

static upload_ctx *upload_ctx_new(dd_registry *reg, const char *name)
{
    upload_ctx *u = dd_calloc(1, sizeof(*u));
    if (u == NULL)
        return NULL;
    u->reg = reg;
    u->expect_len = -1;
    u->name = dd_strdup(name);
    if (u->name == NULL) {
        dd_free(u);
        return NULL;
    }
    return u;
}

static int new_session(dd_registry *reg, const char *name, char id[DD_UPLOAD_ID_MAX], dd_err *err)
{
    int rc = dd_store_upload_create(reg->store, id, err);
    if (rc == 0)
        rc = dd_db_upload_create(reg->db, id, name, dd_clock_now_ms(reg->clock), err);
    return rc;
}

/* Cross-repository mount: link the blob when the source repository has it. */
static int try_mount(dd_registry *reg, dd_http_req *req, const char *name, const char *digest,
                     const char *from)
{
    dd_err err = DD_ERR_INIT;
    uint64_t size = 0, stored = 0;
    if (from == NULL || dd_name_validate(from, strlen(from), NULL) != 0)
        return 0;
    if (dd_db_blob_get(reg->db, from, digest, &size, &err) != 0)
        return 0;
    if (dd_store_stat_blob(reg->store, digest, &stored, &err) != 0)
        return 0;
    int rc = dd_db_blob_link(reg->db, name, digest, stored, dd_clock_now_ms(reg->clock), &err);
    if (rc != 0) {
        respond_internal(req, rc, &err);
        return 1;
    }
    blob_created(req, name, digest);
    return 1;
}

static void handle_upload_start(dd_registry *reg, dd_http_req *req, const char *name)
{
    dd_err err = DD_ERR_INIT;
    if (!method_is(req, "POST")) {
        respond_error(req, 405, "UNSUPPORTED", "method not allowed", NULL);
        return;
    }
    const char *mount = dd_http_req_query(req, "mount");
    const char *digest = dd_http_req_query(req, "digest");
    if (mount != NULL) {
        if (check_digest(req, mount) != 0)
            return;
        if (try_mount(reg, req, name, mount, dd_http_req_query(req, "from")))
            return;
    }
    upload_ctx *u = upload_ctx_new(reg, name);
    if (u == NULL) {
        respond_internal(req, DD_ENOMEM, NULL);
        return;
    }
    int rc = new_session(reg, name, u->id, &err);
    if (rc != 0) {
        upload_ctx_free(u);
        respond_internal(req, rc, &err);
        return;
    }
    if (digest == NULL || mount != NULL) {
        respond_empty(req, 202);
        upload_headers(req, name, u->id, 0);
        upload_ctx_free(u);
        return;
    }
    if (check_digest(req, digest) != 0) {
        upload_ctx_free(u);
        return;
    }
    u->mode = UP_MONOLITHIC;
    u->digest = dd_strdup(digest);
    dd_http_req_set_state(req, u);
    dd_http_req_expect_body(req, upload_body, upload_done, upload_cleanup);
    if (u->digest == NULL)
        respond_internal(req, DD_ENOMEM, NULL);
    else
        upload_begin(req, u);
}

static void handle_upload(dd_registry *reg, dd_http_req *req, const char *name, const char *id)
{
    dd_err err = DD_ERR_INIT;
    int rc = dd_db_upload_get(reg->db, id, name, &err);
    if (rc == DD_ENOTFOUND || (rc == DD_EINVALID)) {
        respond_error(req, 404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", id);
        return;
    }
    if (rc != 0) {
        respond_internal(req, rc, &err);
        return;
    }
    if (method_is(req, "GET")) {
        uint64_t size = 0;
        rc = dd_store_upload_size(reg->store, id, &size, &err);
        if (rc == DD_ENOTFOUND) {
            respond_error(req, 404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", id);
        } else if (rc != 0) {
            respond_internal(req, rc, &err);
        } else {
            respond_empty(req, 204);
            upload_headers(req, name, id, size);
        }
        return;
    }
    if (method_is(req, "DELETE")) {
        rc = dd_store_upload_delete(reg->store, id, &err);
        if (rc == 0 || rc == DD_ENOTFOUND)
            rc = dd_db_upload_delete(reg->db, id, &err);
        if (rc == DD_EBUSY)
            respond_error(req, 409, "BLOB_UPLOAD_INVALID",
                          "upload is being written by another request", NULL);
        else if (rc != 0 && rc != DD_ENOTFOUND)
            respond_internal(req, rc, &err);
        else
            respond_empty(req, 204);
        return;
    }
    int is_put = method_is(req, "PUT");
    if (!is_put && !method_is(req, "PATCH")) {
        respond_error(req, 405, "UNSUPPORTED", "method not allowed", NULL);
        return;
    }
    const char *digest = dd_http_req_query(req, "digest");
    if (is_put && check_digest(req, digest) != 0)
        return;
    upload_ctx *u = upload_ctx_new(reg, name);
    if (u == NULL) {
        respond_internal(req, DD_ENOMEM, NULL);
        return;
    }
    snprintf(u->id, sizeof(u->id), "%s", id);
    u->mode = is_put ? UP_PUT : UP_PATCH;
    dd_http_req_set_state(req, u);
    dd_http_req_expect_body(req, upload_body, upload_done, upload_cleanup);
    if (is_put && (u->digest = dd_strdup(digest)) == NULL) {
        respond_internal(req, DD_ENOMEM, NULL);
        return;
    }
    upload_begin(req, u);
}

/* ---- manifests ---------------------------------------------------------------------------- */

typedef struct manifest_ctx {
    dd_registry *reg;
    char *name;
    char *reference;
    dd_buf body;
} manifest_ctx;

static void manifest_cleanup(dd_http_req *req)
{
    manifest_ctx *m = dd_http_req_state(req);
    if (m == NULL)
        return;
    dd_buf_free(&m->body);
    dd_free(m->name);
    dd_free(m->reference);
    dd_free(m);
    dd_http_req_set_state(req, NULL);
}

static int manifest_body(dd_http_req *req, const char *data, size_t len)
{
    manifest_ctx *m = dd_http_req_state(req);
    int rc = dd_buf_append(&m->body, data, len);
    if (rc == DD_ELIMIT) {
        respond_error(req, 413, "SIZE_INVALID", "manifest too large", NULL);
        return 1;
    }
    if (rc != 0) {
        respond_internal(req, rc, NULL);
        return 1;
    }
    return 0;
}

static int collect_refs(const dd_manifest *man, dd_db_ref **out, size_t *n_out)
{
    size_t n = man->kind == DD_MANIFEST_INDEX ? man->n_manifests : man->n_layers + 1;
    dd_db_ref *refs = dd_mallocarray(n ? n : 1, sizeof(*refs));
    if (refs == NULL)
        return DD_ENOMEM;
    if (man->kind == DD_MANIFEST_INDEX) {
        for (size_t i = 0; i < man->n_manifests; i++)
            refs[i] = (dd_db_ref){man->manifests[i].digest, DD_REF_MANIFEST};
    } else {
        refs[0] = (dd_db_ref){man->config.digest, DD_REF_BLOB};
        for (size_t i = 0; i < man->n_layers; i++)
            refs[i + 1] = (dd_db_ref){man->layers[i].digest, DD_REF_BLOB};
    }
    *out = refs;
    *n_out = n;
    return 0;
}

static void manifest_done(dd_http_req *req)
{
    manifest_ctx *m = dd_http_req_state(req);
    dd_registry *reg = m->reg;
    dd_err err = DD_ERR_INIT;
    dd_manifest *man = NULL;
    dd_db_ref *refs = NULL;
    size_t n_refs = 0;
    char digest[DD_DIGEST_STR_MAX];
    const uint8_t *bytes = (const uint8_t *)(m->body.data ? m->body.data : "");

    int rc = dd_digest_buf(digest, bytes, m->body.len);
    if (rc != 0) {
        respond_internal(req, rc, NULL);
        goto out;
    }
    if (is_digest_ref(m->reference) && strcmp(digest, m->reference) != 0) {
        respond_error(req, 400, "DIGEST_INVALID", "manifest digest does not match the reference",
                      digest);
        goto out;
    }
    rc = dd_manifest_parse(&man, bytes, m->body.len, dd_http_req_header(req, "Content-Type"), &err);
    if (rc != 0) {
        respond_error(req, 400, rc == DD_EUNSUPPORTED ? "UNSUPPORTED" : "MANIFEST_INVALID",
                      "manifest invalid", err.msg);
        goto out;
    }
    rc = collect_refs(man, &refs, &n_refs);
    if (rc != 0) {
        respond_internal(req, rc, NULL);
        goto out;
    }
    rc = dd_store_put_blob(reg->store, bytes, m->body.len, digest, digest, &err);
    if (rc != 0) {
        respond_internal(req, rc, &err);
        goto out;
    }
    dd_db_manifest_in in = {
        .repo = m->name,
        .digest = digest,
        .media_type = man->media_type,
        .artifact_type = man->artifact_type,
        .subject = man->subject ? man->subject->digest : NULL,
        .annotations_json = man->annotations_json,
        .size = m->body.len,
        .tag = is_digest_ref(m->reference) ? NULL : m->reference,
        .refs = refs,
        .n_refs = n_refs,
        .now_ms = dd_clock_now_ms(reg->clock),
    };
    rc = dd_db_manifest_put(reg->db, &in, &err);
    if (rc == DD_ENOTFOUND) {
        respond_error(req, 400, "MANIFEST_BLOB_UNKNOWN",
                      "manifest references a blob or manifest unknown to the repository", err.msg);
        goto out;
    }
    if (rc != 0) {
        respond_internal(req, rc, &err);
        goto out;
    }
    if (reg->hooks.manifest_put != NULL)
        reg->hooks.manifest_put(reg->hooks.ctx, m->name, digest, man->media_type);
    respond_empty(req, 201);
    char *loc = dd_asprintf("/v2/%s/manifests/%s", m->name, digest);
    if (loc != NULL)
        dd_http_resp_header(req, "Location", loc);
    dd_free(loc);
    dd_http_resp_header(req, "Docker-Content-Digest", digest);
    if (man->subject != NULL)
        dd_http_resp_header(req, "OCI-Subject", man->subject->digest);
    dd_log(DD_LOG_INFO, "manifest_pushed", "repository", m->name, "reference", m->reference,
           "digest", digest, "media_type", man->media_type, NULL);
out:
    dd_free(refs);
    dd_manifest_free(man);
}

/* Resolves a tag or digest to a stored manifest; responds when it cannot. */
static int resolve_manifest(dd_registry *reg, dd_http_req *req, const char *name, const char *ref,
                            dd_db_manifest *out)
{
    dd_err err = DD_ERR_INIT;
    char digest[DD_DIGEST_STR_MAX];
    int rc;
    if (is_digest_ref(ref)) {
        snprintf(digest, sizeof(digest), "%s", ref);
    } else {
        rc = dd_db_tag_get(reg->db, name, ref, digest, sizeof(digest), &err);
        if (rc != 0)
            goto fail;
    }
    rc = dd_db_manifest_get(reg->db, name, digest, out, &err);
    if (rc == 0)
        return 0;
fail:
    if (rc == DD_ENOTFOUND) {
        if (dd_db_repo_exists(reg->db, name, NULL) != 0)
            respond_error(req, 404, "NAME_UNKNOWN", "repository name not known to registry", name);
        else
            respond_error(req, 404, "MANIFEST_UNKNOWN", "manifest unknown", ref);
    } else {
        respond_internal(req, rc, &err);
    }
    return 1;
}

static void handle_manifest(dd_registry *reg, dd_http_req *req, const char *name, const char *ref)
{
    dd_err err = DD_ERR_INIT;
    int rc;
    if (is_digest_ref(ref)) {
        if (check_digest(req, ref) != 0)
            return;
    } else if (dd_tag_validate(ref, strlen(ref), &err) != 0) {
        respond_error(req, 400, "TAG_INVALID", "manifest tag did not match URI", err.msg);
        return;
    }
    if (method_is(req, "PUT")) {
        int64_t cl = dd_http_req_content_length(req);
        if (cl > reg->cfg->max_manifest_size) {
            respond_error(req, 413, "SIZE_INVALID", "manifest too large", NULL);
            return;
        }
        manifest_ctx *m = dd_calloc(1, sizeof(*m));
        if (m == NULL) {
            respond_internal(req, DD_ENOMEM, NULL);
            return;
        }
        dd_buf_init(&m->body, (size_t)reg->cfg->max_manifest_size);
        m->reg = reg;
        m->name = dd_strdup(name);
        m->reference = dd_strdup(ref);
        dd_http_req_set_state(req, m);
        dd_http_req_expect_body(req, manifest_body, manifest_done, manifest_cleanup);
        if (m->name == NULL || m->reference == NULL)
            respond_internal(req, DD_ENOMEM, NULL);
        return;
    }
    if (method_is(req, "DELETE")) {
        if (is_digest_ref(ref)) {
            rc = dd_db_manifest_delete(reg->db, name, ref, &err);
            if (rc == 0 && reg->hooks.manifest_deleted != NULL)
                reg->hooks.manifest_deleted(reg->hooks.ctx, name, ref);
        } else
            rc = dd_db_tag_delete(reg->db, name, ref, &err);
        if (rc == DD_ENOTFOUND)
            respond_error(req, 404, "MANIFEST_UNKNOWN", "manifest unknown", ref);
        else if (rc != 0)
            respond_internal(req, rc, &err);
        else
            respond_empty(req, 202);
        return;
    }
    int is_get = method_is(req, "GET");
    if (!is_get && !method_is(req, "HEAD")) {
        respond_error(req, 405, "UNSUPPORTED", "method not allowed", NULL);
        return;
    }
    dd_db_manifest man = {0};
    if (resolve_manifest(reg, req, name, ref, &man) != 0)
        return;
    int fd = -1;
    uint64_t size = 0;
    rc = dd_store_open_blob(reg->store, man.digest, &fd, &size, &err);
    if (rc == 0)
        rc = dd_http_respond_fd(req, 200, man.media_type, fd, 0, size);
    if (rc != 0) {
        respond_internal(req, rc, &err);
        goto out;
    }
    dd_http_resp_header(req, API_VERSION_HEADER, "registry/2.0");
    dd_http_resp_header(req, "Docker-Content-Digest", man.digest);
    char etag[DD_DIGEST_STR_MAX + 2];
    snprintf(etag, sizeof(etag), "\"%s\"", man.digest);
    dd_http_resp_header(req, "ETag", etag);
    if (is_get) {
        int64_t now = dd_clock_now_ms(reg->clock);
        rc = dd_db_manifest_record_pull(reg->db, name, man.digest, now,
                                        reg->cfg->pull_granularity * 1000, &err);
        if (rc != 0)
            dd_log(DD_LOG_WARN, "record_pull_failed", "repository", name, "digest", man.digest,
                   "error", err.msg, NULL);
    }
out:
    dd_db_manifest_free(&man);
}

/* ---- referrers ---------------------------------------------------------------------------- */

static void handle_referrers(dd_registry *reg, dd_http_req *req, const char *name,
                             const char *digest)
{
    dd_err err = DD_ERR_INIT;
    dd_db_manifest *refs = NULL;
    size_t n = 0;
    if (!method_is(req, "GET") && !method_is(req, "HEAD")) {
        respond_error(req, 405, "UNSUPPORTED", "method not allowed", NULL);
        return;
    }
    if (check_digest(req, digest) != 0)
        return;
    const char *at = dd_http_req_query(req, "artifactType");
    if (at != NULL && *at == '\0')
        at = NULL;
    int rc = dd_db_referrers(reg->db, name, digest, at, &refs, &n, &err);
    if (rc != 0 && rc != DD_ENOTFOUND) {
        respond_internal(req, rc, &err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *d = json_pack("{s:s,s:s,s:I}", "mediaType", refs[i].media_type, "digest",
                              refs[i].digest, "size", (json_int_t)refs[i].size);
        if (d == NULL)
            continue;
        if (refs[i].artifact_type != NULL)
            json_object_set_new(d, "artifactType", json_string(refs[i].artifact_type));
        if (refs[i].annotations_json != NULL) {
            json_t *a = json_loads(refs[i].annotations_json, 0, NULL);
            if (a != NULL)
                json_object_set_new(d, "annotations", a);
        }
        json_array_append_new(list, d);
        dd_db_manifest_free(&refs[i]);
    }
    dd_free(refs);
    json_t *body = json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType", DD_MT_OCI_INDEX,
                             "manifests", list);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL || dd_http_respond_buf(req, 200, DD_MT_OCI_INDEX, text, strlen(text)) != 0) {
        free(text);
        respond_internal(req, DD_ENOMEM, NULL);
        return;
    }
    free(text);
    dd_http_resp_header(req, API_VERSION_HEADER, "registry/2.0");
    if (at != NULL)
        dd_http_resp_header(req, "OCI-Filters-Applied", "artifactType");
}

/* ---- entry -------------------------------------------------------------------------------- */

void dd_registry_route(dd_http_req *req, void *app)
{
    dd_registry *reg = app;
    route rt;
    dd_err err = DD_ERR_INIT;
    if (parse_route(&rt, dd_http_req_path(req)) != 0) {
        respond_internal(req, DD_ENOMEM, NULL);
        return;
    }
    if (rt.kind == R_NONE) {
        respond_error(req, 404, "NOT_FOUND", "no such endpoint", dd_http_req_path(req));
        goto out;
    }
    if (reg->hooks.authorize != NULL &&
        reg->hooks.authorize(reg->hooks.ctx, req,
                             rt.kind == R_BASE || rt.kind == R_CATALOG ? NULL : rt.name,
                             !method_is(req, "GET") && !method_is(req, "HEAD")) != 0)
        goto out;
    if (rt.kind == R_UPLOAD_START && dd_http_req_query(req, "from") != NULL &&
        reg->hooks.authorize != NULL &&
        reg->hooks.authorize(reg->hooks.ctx, req, dd_http_req_query(req, "from"), false) != 0)
        goto out;
    if (rt.kind == R_BASE) {
        if (method_is(req, "GET") || method_is(req, "HEAD"))
            respond_json(req, 200, json_object());
        else
            respond_error(req, 405, "UNSUPPORTED", "method not allowed", NULL);
        goto out;
    }
    if (rt.kind == R_CATALOG) {
        handle_catalog(reg, req);
        goto out;
    }
    if (dd_name_validate(rt.name, strlen(rt.name), &err) != 0) {
        respond_error(req, 400, "NAME_INVALID", "invalid repository name", err.msg);
        goto out;
    }
    switch (rt.kind) {
    case R_TAGS:
        handle_tags(reg, req, rt.name);
        break;
    case R_MANIFEST:
        handle_manifest(reg, req, rt.name, rt.arg);
        break;
    case R_BLOB:
        handle_blob(reg, req, rt.name, rt.arg);
        break;
    case R_UPLOAD_START:
        handle_upload_start(reg, req, rt.name);
        break;
    case R_UPLOAD:
        handle_upload(reg, req, rt.name, rt.arg);
        break;
    case R_REFERRERS:
        handle_referrers(reg, req, rt.name, rt.arg);
        break;
    default:
        break;
    }
out:
    dd_free(rt.name);
}
