/* `drydock serve`: configuration, the HTTP server, the upload sweeper and graceful shutdown. */
#include "cli/cli.h"
#include "api/api.h"
#include "http/http.h"
#include "registry/registry.h"
#include "util/alloc.h"
#include "util/log.h"
#include "vulndb/vulndb.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char serve_usage[] =
    "Usage: drydock serve [--listen ADDR:PORT] [--data DIR] [--config FILE] [options]\n"
    "\n"
    "Runs the registry: the OCI Distribution API v1.1 at /v2/, with metadata in SQLite\n"
    "(DIR/metadata.sqlite, WAL) and blobs in DIR/blobs, content-addressed by digest; and, on the\n"
    "same port, the ECR and Inspector2 APIs (SigV4; see docs/scanning.md) with scanning workers,\n"
    "continuous re-matching when the vulnerability DB changes, and event delivery to webhooks.\n"
    "On first start an admin access key is created from DRYDOCK_ADMIN_ACCESS_KEY_ID and\n"
    "DRYDOCK_ADMIN_SECRET_ACCESS_KEY, or generated and printed once on standard output.\n"
    "Stops gracefully on SIGTERM or SIGINT: requests in flight finish, nothing is half-written.\n"
    "\n"
    "Options:\n"
    "  -l, --listen ADDR:PORT   address to listen on (default 127.0.0.1:5000; [::1]:PORT for\n"
    "                           IPv6; port 0 picks a free port, logged at start)\n"
    "  -d, --data DIR           data directory (default ./data)\n"
    "  -c, --config FILE        configuration file of `key = value` lines (see below)\n"
    "      --db FILE            vulnerability database (default DIR/vulndb.sqlite, created from\n"
    "                           the bundled sample database on first start)\n"
    "      --log-format FMT     auto, text or json (default auto: text on a terminal,\n"
    "                           one JSON object per line otherwise)\n"
    "      --log-level LEVEL    debug, info, warn or error (default info)\n"
    "      --set KEY=VALUE      set any configuration key (repeatable)\n"
    "  -h, --help               show this help\n"
    "\n"
    "Flags override the configuration file. Configuration keys, with their defaults:\n";

static const struct option serve_opts[] = {{"listen", required_argument, NULL, 'l'},
                                           {"data", required_argument, NULL, 'd'},
                                           {"db", required_argument, NULL, 'D'},
                                           {"config", required_argument, NULL, 'c'},
                                           {"log-format", required_argument, NULL, 'F'},
                                           {"log-level", required_argument, NULL, 'L'},
                                           {"set", required_argument, NULL, 'S'},
                                           {"help", no_argument, NULL, 'h'},
                                           {NULL, 0, NULL, 0}};

static void print_usage(FILE *out)
{
    fputs(serve_usage, out);
    for (size_t i = 0; i < dd_registry_config_n; i++) {
        const dd_config_entry *e = &dd_registry_config_table[i];
        fprintf(out, "  %s = %s\n      %s\n", e->name, e->def, e->help);
    }
}

/* Splits "host:port", "[v6]:port". */
static int parse_listen(const char *s, char *host, size_t host_len, uint16_t *port)
{
    const char *colon;
    const char *h = s;
    size_t hl;
    if (*s == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return -1;
        h = s + 1;
        hl = (size_t)(close - h);
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return -1;
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= host_len)
        return -1;
    memcpy(host, h, hl);
    host[hl] = '\0';
    unsigned long p = 0;
    const char *q = colon + 1;
    if (*q == '\0')
        return -1;
    for (; *q; q++) {
        if (*q < '0' || *q > '9' || p > 65535)
            return -1;
        p = p * 10 + (unsigned long)(*q - '0');
    }
    if (p > 65535)
        return -1;
    *port = (uint16_t)p;
    return 0;
}

#ifndef DD_SAMPLE_DB
#define DD_SAMPLE_DB ""
#endif

/* Copies src to dst through a temporary file, fsync'd and renamed (never a half-written DB). */
static int copy_file(const char *src, const char *dst, dd_err *err)
{
    int rc = 0;
    char *tmp = dd_asprintf("%s.tmp-copy", dst);
    FILE *in = fopen(src, "rb"), *out = NULL;
    if (tmp == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if (in == NULL) {
        rc = dd_err_errno(err, errno, src);
        goto out;
    }
    if ((out = fopen(tmp, "wb")) == NULL) {
        rc = dd_err_errno(err, errno, tmp);
        goto out;
    }
    char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        if (fwrite(buf, 1, n, out) != n) {
            rc = dd_err_errno(err, errno, tmp);
            goto out;
        }
    if (ferror(in) || fflush(out) != 0 || fsync(fileno(out)) != 0) {
        rc = dd_err_errno(err, errno, tmp);
        goto out;
    }
    if (rename(tmp, dst) != 0)
        rc = dd_err_errno(err, errno, dst);
out:
    if (in != NULL)
        fclose(in);
    if (out != NULL)
        fclose(out);
    if (rc != 0 && tmp != NULL)
        unlink(tmp);
    dd_free(tmp);
    return rc;
}

/* Makes sure the vulnerability DB exists (DATA/vulndb.sqlite from the bundled sample on first
 * start), opens it to check it, and logs its version. */
static int prepare_vulndb(const dd_registry_config *cfg, dd_err *err)
{
    int rc = 0;
    char *path = cfg->db[0] ? dd_strdup(cfg->db) : dd_asprintf("%s/vulndb.sqlite", cfg->data);
    dd_vulndb *db = NULL;
    dd_vulndb_info info;
    memset(&info, 0, sizeof(info));
    if (path == NULL)
        return DD_ENOMEM;
    if (access(path, F_OK) != 0) {
        const char *sample = getenv("DRYDOCK_SAMPLE_DB");
        if (sample == NULL || sample[0] == '\0')
            sample = DD_SAMPLE_DB;
        if (cfg->db[0] || sample[0] == '\0' || access(sample, R_OK) != 0) {
            rc = dd_err_set(err, DD_ENOTFOUND,
                            "vulnerability database %s not found (build it with `drydock db "
                            "import`, or set DRYDOCK_SAMPLE_DB)",
                            path);
            goto out;
        }
        if ((rc = copy_file(sample, path, err)) != 0)
            goto out;
        dd_log(DD_LOG_INFO, "vulndb_created", "path", path, "from", sample, NULL);
    }
    if ((rc = dd_vulndb_open(&db, path, err)) != 0 ||
        (rc = dd_vulndb_info_get(db, &info, err)) != 0)
        goto out;
    char n[32];
    snprintf(n, sizeof(n), "%lld", (long long)info.n_advisories);
    dd_log(DD_LOG_INFO, "vulndb", "path", path, "version", info.db_version, "advisories", n, NULL);
out:
    dd_vulndb_info_clear(&info);
    dd_vulndb_close(db);
    dd_free(path);
    return rc;
}

/* Registry hooks into scanning: a push queues a scan, a delete closes findings. Failures are
 * logged: the ticker's reconciliation queues pushes whose hook failed. */
static void on_manifest_put(void *ctx, const char *repo, const char *digest, const char *media_type)
{
    dd_api *api = ctx;
    dd_err err = DD_ERR_INIT;
    if (dd_scanning_image_pushed(api->scanning, repo, digest, media_type, &err) != 0)
        dd_log(DD_LOG_ERROR, "scan_enqueue", "repository", repo, "digest", digest, "error", err.msg,
               NULL);
}

static void on_manifest_deleted(void *ctx, const char *repo, const char *digest)
{
    dd_api *api = ctx;
    dd_err err = DD_ERR_INIT;
    if (dd_scanning_image_deleted(api->scanning, repo, digest, &err) != 0)
        dd_log(DD_LOG_ERROR, "scan_delete", "repository", repo, "digest", digest, "error", err.msg,
               NULL);
}

typedef struct sweeper {
    dd_registry *reg;
    int64_t interval_s;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stop;
} sweeper;

static void *sweep_loop(void *arg)
{
    sweeper *sw = arg;
    pthread_mutex_lock(&sw->lock);
    while (!sw->stop) {
        pthread_mutex_unlock(&sw->lock);
        size_t n = 0;
        dd_err err = DD_ERR_INIT;
        if (dd_registry_sweep_uploads(sw->reg, &n, &err) != 0) {
            dd_log(DD_LOG_WARN, "upload_sweep_failed", "error", err.msg, NULL);
        } else if (n > 0) {
            char s[32];
            snprintf(s, sizeof(s), "%zu", n);
            dd_log(DD_LOG_INFO, "uploads_swept", "removed", s, NULL);
        }
        pthread_mutex_lock(&sw->lock);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += sw->interval_s;
        while (!sw->stop && pthread_cond_timedwait(&sw->cond, &sw->lock, &ts) != ETIMEDOUT)
            ;
    }
    pthread_mutex_unlock(&sw->lock);
    return NULL;
}

int dd_cmd_serve(int argc, char **argv)
{
    dd_registry_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    dd_err err = DD_ERR_INIT;
    int status = 1;
    dd_registry *reg = NULL;
    dd_http_server *srv = NULL;
    const char *config_file = NULL;
    dd_strlist sets = DD_STRLIST_INIT; /* flag overrides, applied after the file, in order */
    sweeper sw = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
    pthread_t sweep_thread;
    int sweeping = 0;
    char *vulndb_path = NULL, *meta_path = NULL;
    dd_sql *sql = NULL;
    dd_auth *auth = NULL;
    dd_events *events = NULL;
    dd_scanning *scanning = NULL;
    dd_api api;
    memset(&api, 0, sizeof(api));
    char public_host[300] = "";

    if (dd_config_defaults(&cfg, dd_registry_config_table, dd_registry_config_n, &err) != 0)
        goto fail;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":l:d:c:h", serve_opts, NULL)) != -1) {
        const char *key = NULL;
        switch (c) {
        case 'l':
            key = "listen";
            break;
        case 'd':
            key = "data";
            break;
        case 'D':
            key = "db";
            break;
        case 'F':
            key = "log_format";
            break;
        case 'L':
            key = "log_level";
            break;
        case 'c':
            config_file = optarg;
            break;
        case 'S': {
            if (strchr(optarg, '=') == NULL) {
                fprintf(stderr, "drydock serve: --set needs KEY=VALUE, got '%s'\n", optarg);
                status = 2;
                goto out;
            }
            if (dd_strlist_push_str(&sets, optarg) != 0)
                goto fail;
            break;
        }
        case 'h':
            print_usage(stdout);
            status = 0;
            goto out;
        default:
            status = dd_cli_bad_option("serve", argv[optind - 1], serve_opts);
            goto out;
        }
        if (key != NULL) {
            char *kv = dd_asprintf("%s=%s", key, optarg);
            if (kv == NULL || dd_strlist_push_str(&sets, kv) != 0) {
                dd_free(kv);
                goto fail;
            }
            dd_free(kv);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "drydock serve: unexpected argument '%s'\nTry 'drydock serve --help'.\n",
                argv[optind]);
        status = 2;
        goto out;
    }
    if (config_file != NULL && dd_config_load_file(&cfg, dd_registry_config_table,
                                                   dd_registry_config_n, config_file, &err) != 0)
        goto fail;
    for (size_t i = 0; i < sets.n; i++) {
        char *eq = strchr(sets.items[i], '=');
        *eq = '\0';
        dd_err sub = DD_ERR_INIT;
        if (dd_config_set(&cfg, dd_registry_config_table, dd_registry_config_n, sets.items[i],
                          eq + 1, &sub) != 0) {
            fprintf(stderr, "drydock serve: %s\n", sub.msg);
            status = 2;
            goto out;
        }
    }

    dd_log_format fmt = strcmp(cfg.log_format, "json") == 0   ? DD_LOG_FORMAT_JSON
                        : strcmp(cfg.log_format, "text") == 0 ? DD_LOG_FORMAT_TEXT
                        : isatty(STDERR_FILENO)               ? DD_LOG_FORMAT_TEXT
                                                              : DD_LOG_FORMAT_JSON;
    dd_log_configure((dd_log_level)dd_log_level_parse(cfg.log_level), fmt, stderr);

    char host[64];
    uint16_t port = 0;
    if (parse_listen(cfg.listen, host, sizeof(host), &port) != 0) {
        fprintf(stderr, "drydock serve: --listen must be ADDR:PORT, got '%s'\n", cfg.listen);
        status = 2;
        goto out;
    }

    /* Signals are taken synchronously by this thread; every thread started below inherits the
     * mask, so SIGTERM/SIGINT never interrupt a request half-way. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (dd_registry_open(&reg, &cfg, dd_clock_system(), &err) != 0)
        goto fail;
    if (prepare_vulndb(&cfg, &err) != 0)
        goto fail;
    if (strlen(cfg.account_id) != 12 || strspn(cfg.account_id, "0123456789") != 12) {
        fprintf(stderr, "drydock serve: account_id must be 12 digits, got '%s'\n", cfg.account_id);
        status = 2;
        goto out;
    }
    vulndb_path = cfg.db[0] ? dd_strdup(cfg.db) : dd_asprintf("%s/vulndb.sqlite", cfg.data);
    meta_path = dd_asprintf("%s/metadata.sqlite", cfg.data);
    if (vulndb_path == NULL || meta_path == NULL)
        goto fail;
    /* the metadata database holds the access keys' secrets (SigV4 needs them in clear) */
    if (chmod(meta_path, 0600) != 0)
        dd_log(DD_LOG_WARN, "chmod", "path", meta_path, "error", strerror(errno), NULL);
    if (dd_sql_open(&sql, meta_path, 8, &err) != 0)
        goto fail;
    dd_auth_options ao;
    memset(&ao, 0, sizeof(ao));
    ao.account = cfg.account_id;
    ao.region = cfg.region;
    ao.max_skew_ms = cfg.signature_skew * 1000;
    ao.token_ttl_ms = 12 * 3600 * 1000LL;
    ao.registry_auth = strcmp(cfg.registry_auth, "required") == 0;
    if (dd_auth_open(&auth, sql, dd_clock_system(), &ao, &err) != 0)
        goto fail;
    bool created = false;
    if (dd_auth_bootstrap(auth, stdout, &created, &err) != 0)
        goto fail;
    fflush(stdout);
    dd_events_options eo;
    memset(&eo, 0, sizeof(eo));
    eo.account = cfg.account_id;
    eo.region = cfg.region;
    eo.retry_base_ms = 1000;
    eo.retry_max_ms = 300000;
    eo.max_attempts = (int)cfg.webhook_max_attempts;
    eo.timeout_ms = 10000;
    if (dd_events_open(&events, sql, dd_clock_system(), &eo, &err) != 0)
        goto fail;
    dd_scanning_options so;
    memset(&so, 0, sizeof(so));
    so.data_dir = cfg.data;
    so.vulndb_path = vulndb_path;
    so.account = cfg.account_id;
    so.region = cfg.region;
    so.workers = (unsigned)cfg.scan_workers;
    so.initial_push_days = cfg.initial_push_days;
    so.initial_pull_days = cfg.initial_pull_days;
    so.tick_interval_ms = cfg.scan_tick * 1000;
    so.event_retention_ms = cfg.event_retention * 1000;
    if (dd_scanning_open(&scanning, sql, dd_registry_db(reg), dd_registry_store(reg), events,
                         dd_clock_system(), &so, &err) != 0)
        goto fail;
    api.clock = dd_clock_system();
    api.registry = reg;
    api.db = dd_registry_db(reg);
    api.sql = sql;
    api.auth = auth;
    api.events = events;
    api.scanning = scanning;
    api.account = cfg.account_id;
    api.region = cfg.region;
    api.data_dir = cfg.data;
    dd_registry_hooks hooks = {on_manifest_put, on_manifest_deleted, dd_api_registry_authorize,
                               &api};
    dd_registry_set_hooks(reg, &hooks);
    dd_http_options hopts = DD_HTTP_OPTIONS_INIT;
    hopts.host = host;
    hopts.port = port;
    hopts.conn_timeout_s = (unsigned)cfg.conn_timeout;
    hopts.max_connections = (unsigned)cfg.max_connections;
    hopts.route = dd_api_route;
    hopts.app = &api;
    if (dd_http_server_start(&srv, &hopts, &err) != 0)
        goto fail;
    if (cfg.public_host[0])
        snprintf(public_host, sizeof(public_host), "%s", cfg.public_host);
    else
        snprintf(public_host, sizeof(public_host), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
                 (unsigned)dd_http_server_port(srv));
    api.registry_host = public_host;
    if (dd_events_start(events, &err) != 0 || dd_scanning_start(scanning, &err) != 0)
        goto fail;

    sw.reg = reg;
    sw.interval_s = cfg.sweep_interval;
    if (pthread_create(&sweep_thread, NULL, sweep_loop, &sw) == 0)
        sweeping = 1;

    char portstr[8];
    snprintf(portstr, sizeof(portstr), "%u", (unsigned)dd_http_server_port(srv));
    dd_log(DD_LOG_INFO, "listening", "address", host, "port", portstr, "data", cfg.data, "version",
           DD_VERSION, NULL);

    int sig = 0;
    sigwait(&sigs, &sig);
    dd_log(DD_LOG_INFO, "shutting_down", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
    dd_http_server_shutdown(srv, cfg.shutdown_grace * 1000);
    srv = NULL;
    status = 0;
    goto out;

fail:
    fprintf(stderr, "drydock serve: %s\n", err.msg[0] ? err.msg : dd_strerror(err.code));
    status = 1;
out:
    if (sweeping) {
        pthread_mutex_lock(&sw.lock);
        sw.stop = 1;
        pthread_cond_signal(&sw.cond);
        pthread_mutex_unlock(&sw.lock);
        pthread_join(sweep_thread, NULL);
    }
    dd_http_server_shutdown(srv, 0);
    dd_scanning_close(scanning);
    dd_events_close(events);
    dd_auth_close(auth);
    dd_sql_close(sql);
    dd_free(vulndb_path);
    dd_free(meta_path);
    dd_registry_close(reg);
    if (status == 0 && reg != NULL)
        dd_log(DD_LOG_INFO, "stopped", NULL);
    dd_strlist_free(&sets);
    dd_config_free(&cfg, dd_registry_config_table, dd_registry_config_n);
    return status;
}
