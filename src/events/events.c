/* The events outbox: schema (module "events"), the EventBridge envelope written in the caller's
 * transaction with one pending delivery per subscribed webhook, the cursor-paged log, and the
 * webhook store (add, list, remove, dead letters, replay) shared by the API and the CLI. */
#include "events/internal.h"
#include "report/report.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define DEFAULT_RETRY_BASE_MS 1000
#define DEFAULT_RETRY_MAX_MS (5 * 60 * 1000)
#define DEFAULT_MAX_ATTEMPTS 10
#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_HEARTBEAT_MS 15000
/* Most dead letters returned at once (oldest first). */
#define DEAD_LETTERS_MAX 1000
/* How long dd_events_close waits for SSE streams to notice the stop. */
#define CLOSE_STREAMS_WAIT_MS 5000

static const char *const MIGRATIONS[] = {
    "CREATE TABLE outbox ("
    " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    " id TEXT NOT NULL UNIQUE,"
    " detail_type TEXT NOT NULL,"
    " source TEXT NOT NULL,"
    " resource TEXT,"
    " body TEXT NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE INDEX outbox_detail_type ON outbox (detail_type, seq);"
    "CREATE INDEX outbox_resource ON outbox (resource, seq);"
    "CREATE TABLE webhooks ("
    " id TEXT PRIMARY KEY,"
    " url TEXT NOT NULL,"
    " secret TEXT NOT NULL,"
    " detail_types TEXT NOT NULL DEFAULT '',"
    " created_at INTEGER NOT NULL,"
    " enabled INTEGER NOT NULL DEFAULT 1);"
    "CREATE TABLE deliveries ("
    " webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,"
    " seq INTEGER NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_at INTEGER NOT NULL,"
    " last_error TEXT,"
    " last_status INTEGER,"
    " delivered_at INTEGER,"
    " PRIMARY KEY (webhook_id, seq)) WITHOUT ROWID;"
    "CREATE INDEX deliveries_state ON deliveries (state, webhook_id, seq);",
};

/* ---- small helpers (also used by the fuzz target) ---- */

void dd_events_format_time(char *out, size_t out_len, int64_t ms)
{
    int64_t secs = ms / 1000;
    if (ms < 0 && ms % 1000 != 0)
        secs--;
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || strftime(out, out_len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, out_len, "1970-01-01T00:00:00Z");
}

int dd_events_parse_uint(const char *s, size_t len, int64_t max, int64_t *out)
{
    if (s == NULL || len == 0 || len > 19)
        return DD_EINVALID;
    int64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return DD_EINVALID;
        int d = s[i] - '0';
        if (v > (max - d) / 10)
            return DD_EINVALID;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static bool printable(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            return false;
    }
    return true;
}

static int check_url(const char *url, dd_err *err)
{
    int rc = 0;
    char *scheme = NULL, *host = NULL;
    CURLU *u = NULL;
    size_t len = url != NULL ? strlen(url) : 0;
    if (len == 0 || len > DD_EVENTS_URL_MAX || !printable(url, len) || strchr(url, ' ') != NULL) {
        rc = dd_err_set(err, DD_EINVALID, "webhook url must be 1 to %d printable characters",
                        DD_EVENTS_URL_MAX);
        goto out;
    }
    if ((u = curl_url()) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        rc = dd_err_set(err, DD_EINVALID, "webhook url is not a valid absolute URL");
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        rc = dd_err_set(err, DD_EINVALID, "webhook url must use http or https");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
        rc = dd_err_set(err, DD_EINVALID, "webhook url has no host");
        goto out;
    }
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

int dd_events_check_spec(const dd_events_webhook_spec *spec, dd_err *err)
{
    int rc = check_url(spec->url, err);
    if (rc != 0)
        return rc;
    if (spec->secret != NULL) {
        size_t n = strlen(spec->secret);
        if (n == 0 || n > DD_EVENTS_SECRET_MAX || !printable(spec->secret, n))
            return dd_err_set(err, DD_EINVALID,
                              "webhook secret must be 1 to %d printable characters",
                              DD_EVENTS_SECRET_MAX);
    }
    if (spec->n_detail_types > DD_EVENTS_DETAIL_TYPES_MAX)
        return dd_err_set(err, DD_EINVALID, "at most %d detail types", DD_EVENTS_DETAIL_TYPES_MAX);
    for (size_t i = 0; i < spec->n_detail_types; i++) {
        const char *t = spec->detail_types[i];
        size_t n = t != NULL ? strlen(t) : 0;
        if (n == 0 || n > DD_EVENTS_DETAIL_TYPE_MAX || !printable(t, n) ||
            memchr(t, ',', n) != NULL)
            return dd_err_set(err, DD_EINVALID,
                              "detail type %zu must be 1 to %d printable characters without commas",
                              i + 1, DD_EVENTS_DETAIL_TYPE_MAX);
    }
    return 0;
}

int dd_events_parse_webhook_body(const char *buf, size_t len, json_t **root,
                                 dd_events_webhook_spec *spec, dd_err *err)
{
    int rc = 0;
    json_error_t je;
    json_t *doc = NULL;
    *root = NULL;
    memset(spec, 0, sizeof(*spec));
    if (len > DD_EVENTS_BODY_MAX) {
        rc = dd_err_set(err, DD_EINVALID, "body larger than %u bytes", DD_EVENTS_BODY_MAX);
        goto out;
    }
    doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL) {
        rc = dd_err_set_at(err, DD_EINVALID, (size_t)(je.position < 0 ? 0 : je.position),
                           "body is not JSON: %s", je.text);
        goto out;
    }
    if (!json_is_object(doc)) {
        rc = dd_err_set(err, DD_EINVALID, "body must be a JSON object");
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(doc, key, v)
    {
        if (strcmp(key, "url") == 0) {
            if (!json_is_string(v)) {
                rc = dd_err_set(err, DD_EINVALID, "url must be a string");
                goto out;
            }
            spec->url = json_string_value(v);
        } else if (strcmp(key, "secret") == 0) {
            if (!json_is_string(v)) {
                rc = dd_err_set(err, DD_EINVALID, "secret must be a string");
                goto out;
            }
            spec->secret = json_string_value(v);
        } else if (strcmp(key, "detailTypes") == 0) {
            if (!json_is_array(v)) {
                rc = dd_err_set(err, DD_EINVALID, "detailTypes must be an array of strings");
                goto out;
            }
            if (json_array_size(v) > DD_EVENTS_DETAIL_TYPES_MAX) {
                rc = dd_err_set(err, DD_EINVALID, "at most %d detail types",
                                DD_EVENTS_DETAIL_TYPES_MAX);
                goto out;
            }
            size_t i;
            json_t *t;
            json_array_foreach(v, i, t)
            {
                if (!json_is_string(t)) {
                    rc = dd_err_set(err, DD_EINVALID, "detailTypes must be an array of strings");
                    goto out;
                }
                spec->detail_types[spec->n_detail_types++] = json_string_value(t);
            }
        } else {
            rc = dd_err_set(err, DD_EINVALID, "unknown member '%.64s'", key);
            goto out;
        }
    }
    if (spec->url == NULL) {
        rc = dd_err_set(err, DD_EINVALID, "url is required");
        goto out;
    }
    /* json strings may hold NUL bytes: refuse them rather than cut the value short */
    if (strlen(spec->url) != json_string_length(json_object_get(doc, "url")) ||
        (spec->secret != NULL &&
         strlen(spec->secret) != json_string_length(json_object_get(doc, "secret")))) {
        rc = dd_err_set(err, DD_EINVALID, "strings must not contain NUL characters");
        goto out;
    }
    for (size_t i = 0; i < spec->n_detail_types; i++)
        if (strlen(spec->detail_types[i]) !=
            json_string_length(json_array_get(json_object_get(doc, "detailTypes"), i))) {
            rc = dd_err_set(err, DD_EINVALID, "strings must not contain NUL characters");
            goto out;
        }
    rc = dd_events_check_spec(spec, err);
out:
    if (rc != 0) {
        json_decref(doc);
        memset(spec, 0, sizeof(*spec));
    } else {
        *root = doc;
    }
    return rc;
}

/* ---- open / close ---- */

int dd_events_open(dd_events **out, dd_sql *sql, const dd_clock *clock,
                   const dd_events_options *opts, dd_err *err)
{
    int rc = 0;
    dd_events *ev = NULL;
    *out = NULL;
    dd_events_options def = DD_EVENTS_OPTIONS_INIT;
    if (opts == NULL)
        opts = &def;
    rc = dd_sql_migrate(sql, "events", MIGRATIONS, sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0]), err);
    if (rc != 0)
        goto out;
    ev = dd_calloc(1, sizeof(*ev));
    if (ev == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    ev->sql = sql;
    ev->clock = clock;
    ev->opts = *opts;
    ev->account = dd_strdup(opts->account != NULL ? opts->account : "");
    ev->region = dd_strdup(opts->region != NULL ? opts->region : "");
    pthread_mutex_init(&ev->mu, NULL);
    pthread_mutex_init(&ev->deliver_mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&ev->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (ev->account == NULL || ev->region == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    ev->opts.account = ev->account;
    ev->opts.region = ev->region;
    if (ev->opts.retry_base_ms <= 0)
        ev->opts.retry_base_ms = DEFAULT_RETRY_BASE_MS;
    if (ev->opts.retry_max_ms <= 0)
        ev->opts.retry_max_ms = DEFAULT_RETRY_MAX_MS;
    if (ev->opts.retry_max_ms < ev->opts.retry_base_ms)
        ev->opts.retry_max_ms = ev->opts.retry_base_ms;
    if (ev->opts.max_attempts <= 0)
        ev->opts.max_attempts = DEFAULT_MAX_ATTEMPTS;
    if (ev->opts.timeout_ms <= 0)
        ev->opts.timeout_ms = DEFAULT_TIMEOUT_MS;
    if (ev->opts.heartbeat_ms <= 0)
        ev->opts.heartbeat_ms = DEFAULT_HEARTBEAT_MS;
    rc = dd_events_delivery_init(ev, err);
out:
    if (rc != 0) {
        dd_events_close(ev);
        ev = NULL;
    }
    *out = ev;
    return rc;
}

void dd_events_close(dd_events *ev)
{
    if (ev == NULL)
        return;
    dd_events_stop(ev);
    /* SSE streams still open end at their next read; wait for their contexts to be released. */
    struct timespec step = {0, 10 * 1000 * 1000};
    int waited = 0;
    pthread_mutex_lock(&ev->mu);
    while (ev->n_streams > 0 && waited < CLOSE_STREAMS_WAIT_MS) {
        pthread_mutex_unlock(&ev->mu);
        nanosleep(&step, NULL);
        waited += 10;
        pthread_mutex_lock(&ev->mu);
    }
    unsigned left = ev->n_streams;
    pthread_mutex_unlock(&ev->mu);
    if (left > 0) {
        /* Freeing now would let those streams touch freed memory: leak instead. */
        dd_log(DD_LOG_ERROR, "events_close_streams_left", "detail",
               "event streams still open; shut the HTTP server down before closing events", NULL);
        return;
    }
    dd_events_delivery_fini(ev);
    pthread_mutex_destroy(&ev->mu);
    pthread_mutex_destroy(&ev->deliver_mu);
    pthread_cond_destroy(&ev->cv);
    dd_free(ev->account);
    dd_free(ev->region);
    dd_free(ev);
}

void dd_events_kick(dd_events *ev)
{
    if (ev == NULL)
        return;
    pthread_mutex_lock(&ev->mu);
    ev->generation++;
    pthread_cond_broadcast(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
}

/* ---- append ---- */

static const char SQL_OUTBOX_INSERT[] =
    "INSERT INTO outbox (id, detail_type, source, resource, body, created_at)"
    " VALUES (?, ?, ?, ?, ?, ?)";
static const char SQL_DELIVERIES_FANOUT[] =
    "INSERT INTO deliveries (webhook_id, seq, state, attempts, next_attempt_at)"
    " SELECT id, ?1, 'pending', 0, ?2 FROM webhooks WHERE enabled = 1 AND (detail_types = ''"
    " OR instr(',' || detail_types || ',', ',' || ?3 || ',') > 0)";

int dd_events_append(dd_events *ev, dd_sql_conn *c, const char *source, const char *detail_type,
                     json_t *resources, json_t *detail, dd_err *err)
{
    int rc = 0;
    json_t *env = NULL;
    char *body = NULL;
    sqlite3_stmt *st;
    char id[37], when[32];
    if (!dd_sql_in_tx(c)) {
        rc = dd_err_set(err, DD_EINVALID, "events: append needs the caller's transaction");
        goto out;
    }
    if (source == NULL || source[0] == '\0' || detail_type == NULL || detail_type[0] == '\0' ||
        memchr(detail_type, ',', strlen(detail_type)) != NULL) {
        rc = dd_err_set(err, DD_EINVALID, "events: source and detail-type are required");
        goto out;
    }
    if (resources != NULL) {
        size_t i;
        json_t *r;
        if (!json_is_array(resources)) {
            rc = dd_err_set(err, DD_EINVALID, "events: resources must be an array");
            goto out;
        }
        json_array_foreach(resources, i, r)
        {
            if (!json_is_string(r)) {
                rc = dd_err_set(err, DD_EINVALID, "events: resources must be strings");
                goto out;
            }
        }
    }
    if (detail != NULL && !json_is_object(detail)) {
        rc = dd_err_set(err, DD_EINVALID, "events: detail must be an object");
        goto out;
    }
    if ((rc = dd_report_uuid(id)) != 0) {
        dd_err_set(err, rc, "events: no random bytes for the event id");
        goto out;
    }
    int64_t now = dd_clock_now_ms(ev->clock);
    dd_events_format_time(when, sizeof(when), now);
    env = json_object();
    if (env == NULL || json_object_set_new(env, "version", json_string("0")) != 0 ||
        json_object_set_new(env, "id", json_string(id)) != 0 ||
        json_object_set_new(env, "detail-type", json_string(detail_type)) != 0 ||
        json_object_set_new(env, "source", json_string(source)) != 0 ||
        json_object_set_new(env, "account", json_string(ev->account)) != 0 ||
        json_object_set_new(env, "time", json_string(when)) != 0 ||
        json_object_set_new(env, "region", json_string(ev->region)) != 0 ||
        json_object_set_new(env, "resources",
                            resources != NULL ? json_incref(resources) : json_array()) != 0 ||
        json_object_set_new(env, "detail", detail != NULL ? json_incref(detail) : json_object()) !=
            0) {
        rc = DD_ENOMEM;
        goto out;
    }
    if ((body = json_dumps(env, JSON_COMPACT)) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    const char *first = json_string_value(json_array_get(resources, 0));
    if ((rc = dd_sql_stmt(c, SQL_OUTBOX_INSERT, &st, err)) != 0)
        goto out;
    dd_sql_bind_text(st, 1, id);
    dd_sql_bind_text(st, 2, detail_type);
    dd_sql_bind_text(st, 3, source);
    dd_sql_bind_text(st, 4, first);
    dd_sql_bind_text(st, 5, body);
    dd_sql_bind_int(st, 6, now);
    if ((rc = dd_sql_run(c, st, err)) != 0)
        goto out;
    int64_t seq = dd_sql_last_rowid(c);
    if ((rc = dd_sql_stmt(c, SQL_DELIVERIES_FANOUT, &st, err)) != 0)
        goto out;
    dd_sql_bind_int(st, 1, seq);
    dd_sql_bind_int(st, 2, now);
    dd_sql_bind_text(st, 3, detail_type);
    rc = dd_sql_run(c, st, err);
out:
    json_decref(env);
    dd_free(body);
    return rc;
}

/* ---- the log ---- */

static const char SQL_LIST_ALL[] =
    "SELECT seq, body FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?";
static const char SQL_LIST_TYPE[] =
    "SELECT seq, body FROM outbox WHERE seq > ? AND detail_type = ? ORDER BY seq LIMIT ?";

static const char SQL_PURGE_DELIVERIES[] =
    "DELETE FROM deliveries WHERE state = 'delivered' AND seq IN (SELECT seq FROM outbox WHERE"
    " created_at < ?)";
static const char SQL_PURGE_OUTBOX[] =
    "DELETE FROM outbox WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE"
    " d.seq = outbox.seq)";

int dd_events_purge(dd_events *ev, int64_t before_ms, size_t *n_out, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(ev->sql);
    sqlite3_stmt *st;
    size_t n = 0;
    int rc = dd_sql_begin(c, err);
    if (rc == 0 && (rc = dd_sql_stmt(c, SQL_PURGE_DELIVERIES, &st, err)) == 0) {
        dd_sql_bind_int(st, 1, before_ms);
        rc = dd_sql_run(c, st, err);
    }
    if (rc == 0 && (rc = dd_sql_stmt(c, SQL_PURGE_OUTBOX, &st, err)) == 0) {
        dd_sql_bind_int(st, 1, before_ms);
        rc = dd_sql_run(c, st, err);
        n = rc == 0 ? (size_t)dd_sql_changes(c) : 0;
    }
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(ev->sql, c);
    if (n_out != NULL)
        *n_out = rc == 0 ? n : 0;
    return rc;
}

int dd_events_list(dd_events *ev, int64_t after, size_t limit, const char *detail_type,
                   json_t **out, dd_err *err)
{
    int rc = 0;
    json_t *res = NULL, *arr = NULL;
    sqlite3_stmt *st;
    dd_sql_conn *c = NULL;
    *out = NULL;
    if (limit == 0 || limit > DD_EVENTS_PAGE_MAX || after < 0) {
        rc = dd_err_set(err, DD_EINVALID, "events: limit must be 1 to %d and after >= 0",
                        DD_EVENTS_PAGE_MAX);
        goto out;
    }
    res = json_object();
    arr = json_array();
    if (res == NULL || arr == NULL || json_object_set(res, "events", arr) != 0) {
        rc = DD_ENOMEM;
        goto out;
    }
    c = dd_sql_acquire(ev->sql);
    if ((rc = dd_sql_stmt(c, detail_type != NULL ? SQL_LIST_TYPE : SQL_LIST_ALL, &st, err)) != 0)
        goto out;
    dd_sql_bind_int(st, 1, after);
    if (detail_type != NULL) {
        dd_sql_bind_text(st, 2, detail_type);
        dd_sql_bind_int(st, 3, (int64_t)limit);
    } else {
        dd_sql_bind_int(st, 2, (int64_t)limit);
    }
    int64_t next = after;
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        int64_t seq = sqlite3_column_int64(st, 0);
        const char *body = (const char *)sqlite3_column_text(st, 1);
        int n = sqlite3_column_bytes(st, 1);
        json_t *event = body != NULL ? json_loadb(body, (size_t)n, 0, NULL) : NULL;
        json_t *item = json_object();
        if (item == NULL || json_array_append_new(arr, item) != 0 ||
            json_object_set_new(item, "seq", json_integer(seq)) != 0 ||
            json_object_set_new(item, "event", event != NULL ? event : json_null()) != 0) {
            if (item == NULL)
                json_decref(event);
            sqlite3_reset(st);
            rc = DD_ENOMEM;
            goto out;
        }
        next = seq;
    }
    if (rc < 0)
        goto out;
    rc = json_object_set_new(res, "next", json_integer(next)) == 0 ? 0 : DD_ENOMEM;
out:
    dd_sql_release(ev->sql, c);
    json_decref(arr);
    if (rc != 0)
        json_decref(res);
    else
        *out = res;
    return rc;
}

/* ---- webhooks ---- */

static json_t *split_types(const char *list)
{
    json_t *a = json_array();
    if (a == NULL)
        return NULL;
    const char *p = list;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        if (n > 0 && json_array_append_new(a, json_stringn(p, n)) != 0) {
            json_decref(a);
            return NULL;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return a;
}

static json_t *webhook_json(const char *id, const char *url, const char *types, bool enabled,
                            int64_t created_at)
{
    char when[40];
    dd_time_format_rfc3339(when, sizeof(when), created_at);
    return json_pack("{s:s, s:s, s:o*, s:b, s:s}", "id", id, "url", url, "detailTypes",
                     split_types(types), "enabled", enabled, "createdAt", when);
}

static const char SQL_WEBHOOK_INSERT[] =
    "INSERT INTO webhooks (id, url, secret, detail_types, created_at, enabled)"
    " VALUES (?, ?, ?, ?, ?, 1)";

int dd_events_webhook_add(dd_events *ev, const char *url, const char *secret,
                          const char *const *detail_types, size_t n_detail_types, json_t **out,
                          dd_err *err)
{
    int rc = 0;
    dd_sql_conn *c = NULL;
    sqlite3_stmt *st;
    dd_buf types = DD_BUF_INIT(DD_EVENTS_DETAIL_TYPES_MAX * (DD_EVENTS_DETAIL_TYPE_MAX + 1) + 1);
    json_t *res = NULL;
    char id[37], gen[65];
    if (out != NULL)
        *out = NULL;
    dd_events_webhook_spec spec = {.url = url, .secret = secret};
    if (n_detail_types > DD_EVENTS_DETAIL_TYPES_MAX) {
        rc = dd_err_set(err, DD_EINVALID, "at most %d detail types", DD_EVENTS_DETAIL_TYPES_MAX);
        goto out;
    }
    for (size_t i = 0; i < n_detail_types; i++)
        spec.detail_types[i] = detail_types[i];
    spec.n_detail_types = n_detail_types;
    if ((rc = dd_events_check_spec(&spec, err)) != 0)
        goto out;
    if ((rc = dd_report_uuid(id)) != 0) {
        dd_err_set(err, rc, "no random bytes for the webhook id");
        goto out;
    }
    if (secret == NULL) {
        unsigned char b[32];
        static const char hex[] = "0123456789abcdef";
        if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
            rc = dd_err_set(err, DD_EIO, "no random bytes for the webhook secret");
            goto out;
        }
        for (size_t i = 0; i < sizeof(b); i++) {
            gen[2 * i] = hex[b[i] >> 4];
            gen[2 * i + 1] = hex[b[i] & 15];
        }
        gen[64] = '\0';
    }
    for (size_t i = 0; i < n_detail_types; i++)
        if ((i > 0 && (rc = dd_buf_append_str(&types, ",")) != 0) ||
            (rc = dd_buf_append_str(&types, detail_types[i])) != 0)
            goto out;
    const char *list = types.data != NULL ? types.data : "";
    int64_t now = dd_clock_now_ms(ev->clock);
    c = dd_sql_acquire(ev->sql);
    if ((rc = dd_sql_stmt(c, SQL_WEBHOOK_INSERT, &st, err)) != 0)
        goto out;
    dd_sql_bind_text(st, 1, id);
    dd_sql_bind_text(st, 2, url);
    dd_sql_bind_text(st, 3, secret != NULL ? secret : gen);
    dd_sql_bind_text(st, 4, list);
    dd_sql_bind_int(st, 5, now);
    if ((rc = dd_sql_run(c, st, err)) != 0)
        goto out;
    if (out != NULL) {
        res = webhook_json(id, url, list, true, now);
        if (res == NULL ||
            (secret == NULL && json_object_set_new(res, "secret", json_string(gen)) != 0)) {
            rc = DD_ENOMEM;
            goto out;
        }
        *out = res;
        res = NULL;
    }
    dd_log(DD_LOG_INFO, "webhook_added", "webhook", id, NULL);
out:
    dd_sql_release(ev->sql, c);
    json_decref(res);
    dd_buf_free(&types);
    return rc;
}

static const char SQL_WEBHOOK_LIST[] =
    "SELECT w.id, w.url, w.detail_types, w.enabled, w.created_at,"
    " (SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.id AND d.state = 'pending'),"
    " (SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.id AND d.state = 'delivered'),"
    " (SELECT COUNT(*) FROM deliveries d WHERE d.webhook_id = w.id AND d.state = 'dead')"
    " FROM webhooks w ORDER BY w.rowid";

int dd_events_webhook_list(dd_events *ev, json_t **out, dd_err *err)
{
    int rc = 0;
    sqlite3_stmt *st;
    json_t *arr = json_array();
    dd_sql_conn *c = dd_sql_acquire(ev->sql);
    *out = NULL;
    if (arr == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if ((rc = dd_sql_stmt(c, SQL_WEBHOOK_LIST, &st, err)) != 0)
        goto out;
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        json_t *w =
            webhook_json(dd_sql_col_text(st, 0), dd_sql_col_text(st, 1), dd_sql_col_text(st, 2),
                         sqlite3_column_int(st, 3) != 0, sqlite3_column_int64(st, 4));
        if (w == NULL || json_array_append_new(arr, w) != 0 ||
            json_object_set_new(w, "pending", json_integer(sqlite3_column_int64(st, 5))) != 0 ||
            json_object_set_new(w, "delivered", json_integer(sqlite3_column_int64(st, 6))) != 0 ||
            json_object_set_new(w, "dead", json_integer(sqlite3_column_int64(st, 7))) != 0) {
            sqlite3_reset(st);
            rc = DD_ENOMEM;
            goto out;
        }
    }
out:
    dd_sql_release(ev->sql, c);
    if (rc != 0)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}

static const char SQL_WEBHOOK_EXISTS[] = "SELECT 1 FROM webhooks WHERE id = ?";

static int webhook_exists(dd_sql_conn *c, const char *id, dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_WEBHOOK_EXISTS, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, id);
    rc = dd_sql_step(c, st, err);
    if (rc == 1) {
        sqlite3_reset(st);
        return 0;
    }
    if (rc == 0)
        return dd_err_set(err, DD_ENOTFOUND, "no webhook '%.64s'", id);
    return rc;
}

static const char SQL_WEBHOOK_DEL_DELIVERIES[] = "DELETE FROM deliveries WHERE webhook_id = ?";
static const char SQL_WEBHOOK_DELETE[] = "DELETE FROM webhooks WHERE id = ?";

int dd_events_webhook_remove(dd_events *ev, const char *id, dd_err *err)
{
    sqlite3_stmt *st;
    dd_sql_conn *c = dd_sql_acquire(ev->sql);
    int rc = dd_sql_begin(c, err);
    if (rc == 0)
        rc = webhook_exists(c, id, err);
    if (rc == 0 && (rc = dd_sql_stmt(c, SQL_WEBHOOK_DEL_DELIVERIES, &st, err)) == 0) {
        dd_sql_bind_text(st, 1, id);
        rc = dd_sql_run(c, st, err);
    }
    if (rc == 0 && (rc = dd_sql_stmt(c, SQL_WEBHOOK_DELETE, &st, err)) == 0) {
        dd_sql_bind_text(st, 1, id);
        rc = dd_sql_run(c, st, err);
    }
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(ev->sql, c); /* rolls back on failure */
    if (rc == 0)
        dd_log(DD_LOG_INFO, "webhook_removed", "webhook", id, NULL);
    return rc;
}

static const char SQL_DEAD_LETTERS[] =
    "SELECT d.seq, d.attempts, d.last_error, d.last_status, o.body FROM deliveries d"
    " JOIN outbox o ON o.seq = d.seq WHERE d.webhook_id = ? AND d.state = 'dead'"
    " ORDER BY d.seq LIMIT ?";

int dd_events_dead_letters(dd_events *ev, const char *webhook_id, json_t **out, dd_err *err)
{
    int rc = 0;
    sqlite3_stmt *st;
    json_t *arr = json_array();
    dd_sql_conn *c = dd_sql_acquire(ev->sql);
    *out = NULL;
    if (arr == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if ((rc = webhook_exists(c, webhook_id, err)) != 0)
        goto out;
    if ((rc = dd_sql_stmt(c, SQL_DEAD_LETTERS, &st, err)) != 0)
        goto out;
    dd_sql_bind_text(st, 1, webhook_id);
    dd_sql_bind_int(st, 2, DEAD_LETTERS_MAX);
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        const char *body = (const char *)sqlite3_column_text(st, 4);
        int n = sqlite3_column_bytes(st, 4);
        json_t *event = body != NULL ? json_loadb(body, (size_t)n, 0, NULL) : NULL;
        json_t *d =
            json_pack("{s:I, s:I, s:s, s:I, s:o}", "seq", (json_int_t)sqlite3_column_int64(st, 0),
                      "attempts", (json_int_t)sqlite3_column_int64(st, 1), "lastError",
                      dd_sql_col_text(st, 2), "lastStatus", (json_int_t)sqlite3_column_int64(st, 3),
                      "event", event != NULL ? event : json_null());
        if (d == NULL || json_array_append_new(arr, d) != 0) {
            sqlite3_reset(st);
            rc = DD_ENOMEM;
            goto out;
        }
    }
out:
    dd_sql_release(ev->sql, c);
    if (rc != 0)
        json_decref(arr);
    else
        *out = arr;
    return rc;
}

static const char SQL_REPLAY_ALL[] =
    "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?"
    " WHERE webhook_id = ? AND state = 'dead'";
static const char SQL_REPLAY_ONE[] =
    "UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = ?"
    " WHERE webhook_id = ? AND state = 'dead' AND seq = ?";

int dd_events_replay(dd_events *ev, const char *webhook_id, int64_t seq, size_t *n_out, dd_err *err)
{
    sqlite3_stmt *st;
    int64_t n = 0;
    dd_sql_conn *c = dd_sql_acquire(ev->sql);
    int rc = dd_sql_begin(c, err);
    if (rc == 0)
        rc = webhook_exists(c, webhook_id, err);
    if (rc == 0 &&
        (rc = dd_sql_stmt(c, seq >= 0 ? SQL_REPLAY_ONE : SQL_REPLAY_ALL, &st, err)) == 0) {
        dd_sql_bind_int(st, 1, dd_clock_now_ms(ev->clock));
        dd_sql_bind_text(st, 2, webhook_id);
        if (seq >= 0)
            dd_sql_bind_int(st, 3, seq);
        rc = dd_sql_run(c, st, err);
        n = dd_sql_changes(c);
    }
    if (rc == 0 && seq >= 0 && n == 0)
        rc = dd_err_set(err, DD_ENOTFOUND, "no dead delivery of event %lld for this webhook",
                        (long long)seq);
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(ev->sql, c);
    if (rc == 0 && n_out != NULL)
        *n_out = (size_t)n;
    return rc;
}
