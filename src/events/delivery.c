/* Webhook delivery: the thread that POSTs pending outbox events with libcurl (HMAC-SHA256 signed),
 * in seq order per webhook (head-of-line: a failing delivery holds back the later ones of its
 * webhook until it succeeds or is dead-lettered), with exponential back-off and jitter. */
#include "events/internal.h"
#include "util/alloc.h"
#include "util/log.h"

#include <curl/curl.h>
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* Longest wait of the idle thread before it looks at the table again (rows replayed by the CLI
 * are noticed within this time). */
#define POLL_MS 5000
/* Wait after a database error. */
#define ERROR_WAIT_MS 1000
#define LAST_ERROR_MAX 256

int dd_events_delivery_init(dd_events *ev, dd_err *err)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return dd_err_set(err, DD_EIO, "events: libcurl initialisation failed");
    ev->curl_global = true;
    return 0;
}

void dd_events_delivery_fini(dd_events *ev)
{
    if (ev->curl != NULL)
        curl_easy_cleanup(ev->curl);
    ev->curl = NULL;
    if (ev->curl_global)
        curl_global_cleanup();
    ev->curl_global = false;
}

static bool stopping(dd_events *ev)
{
    pthread_mutex_lock(&ev->mu);
    bool s = ev->stopping;
    pthread_mutex_unlock(&ev->mu);
    return s;
}

/* ---- one HTTP attempt ---- */

typedef struct attempt {
    long status;                /* HTTP status, 0 when none was received */
    bool aborted;               /* cut short by dd_events_stop: not counted */
    char error[LAST_ERROR_MAX]; /* "" on success */
} attempt;

static size_t discard(char *ptr, size_t size, size_t nmemb, void *ud)
{
    (void)ptr;
    (void)ud;
    return size * nmemb;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal;
    (void)dlnow;
    (void)ultotal;
    (void)ulnow;
    return stopping(ud) ? 1 : 0;
}

/* "sha256=" + hex HMAC-SHA256(secret, ts "." body) into out (at least 72 bytes). */
static int sign(char *out, const char *secret, const char *ts, const char *body, size_t body_len)
{
    static const char hex[] = "0123456789abcdef";
    size_t ts_len = strlen(ts), n;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (!dd_add_size(&n, ts_len, 1) || !dd_add_size(&n, n, body_len))
        return DD_ENOMEM;
    char *msg = dd_malloc(n);
    if (msg == NULL)
        return DD_ENOMEM;
    memcpy(msg, ts, ts_len);
    msg[ts_len] = '.';
    memcpy(msg + ts_len + 1, body, body_len);
    unsigned char *r =
        HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg, n, md, &md_len);
    dd_free(msg);
    if (r == NULL || md_len != 32)
        return DD_EIO;
    memcpy(out, "sha256=", 7);
    for (unsigned i = 0; i < md_len; i++) {
        out[7 + 2 * i] = hex[md[i] >> 4];
        out[7 + 2 * i + 1] = hex[md[i] & 15];
    }
    out[7 + 2 * md_len] = '\0';
    return 0;
}

static int add_header(struct curl_slist **h, const char *name, const char *value)
{
    char line[512];
    int n = snprintf(line, sizeof(line), "%s: %s", name, value);
    if (n < 0 || (size_t)n >= sizeof(line))
        return DD_EINVALID;
    struct curl_slist *l = curl_slist_append(*h, line);
    if (l == NULL)
        return DD_ENOMEM;
    *h = l;
    return 0;
}

static void post(dd_events *ev, const char *url, const char *secret, const char *webhook_id,
                 int64_t seq, const char *event_id, const char *body, size_t body_len, attempt *a)
{
    struct curl_slist *h = NULL;
    char ts[32], delivery[96], sig[80], errbuf[CURL_ERROR_SIZE];
    memset(a, 0, sizeof(*a));
    errbuf[0] = '\0';
    if (ev->curl == NULL && (ev->curl = curl_easy_init()) == NULL) {
        snprintf(a->error, sizeof(a->error), "libcurl: no handle");
        goto out;
    }
    CURL *cu = ev->curl;
    int64_t now = dd_clock_now_ms(ev->clock);
    snprintf(ts, sizeof(ts), "%lld", (long long)(now >= 0 ? now / 1000 : 0));
    snprintf(delivery, sizeof(delivery), "%s-%lld", webhook_id, (long long)seq);
    if (sign(sig, secret, ts, body, body_len) != 0) {
        snprintf(a->error, sizeof(a->error), "cannot sign the request");
        goto out;
    }
    if (add_header(&h, "Content-Type", "application/json") != 0 ||
        add_header(&h, "User-Agent", "drydock/" DD_VERSION) != 0 ||
        add_header(&h, "X-Drydock-Event-Id", event_id) != 0 ||
        add_header(&h, "X-Drydock-Delivery", delivery) != 0 ||
        add_header(&h, "X-Drydock-Timestamp", ts) != 0 ||
        add_header(&h, "X-Drydock-Signature", sig) != 0 || add_header(&h, "Expect", "") != 0) {
        snprintf(a->error, sizeof(a->error), "cannot build the request headers");
        goto out;
    }
    curl_easy_reset(cu);
    curl_easy_setopt(cu, CURLOPT_URL, url);
    curl_easy_setopt(cu, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(cu, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(cu, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(cu, CURLOPT_TIMEOUT_MS, (long)ev->opts.timeout_ms);
    curl_easy_setopt(cu, CURLOPT_CONNECTTIMEOUT_MS, (long)ev->opts.timeout_ms);
    curl_easy_setopt(cu, CURLOPT_POST, 1L);
    curl_easy_setopt(cu, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(cu, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(cu, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(cu, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(cu, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(cu, CURLOPT_XFERINFODATA, ev);
    curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode cc = curl_easy_perform(cu);
    curl_easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &a->status);
    if (cc == CURLE_ABORTED_BY_CALLBACK) {
        a->aborted = true;
        snprintf(a->error, sizeof(a->error), "stopped");
    } else if (cc != CURLE_OK) {
        a->status = 0;
        snprintf(a->error, sizeof(a->error), "%s%s%s", curl_easy_strerror(cc),
                 errbuf[0] ? ": " : "", errbuf);
    } else if (a->status < 200 || a->status > 299) {
        snprintf(a->error, sizeof(a->error), "HTTP status %ld", a->status);
    }
    /* the header list and error buffer die here: do not leave them attached to the handle */
    curl_easy_setopt(cu, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(cu, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(cu, CURLOPT_POSTFIELDS, NULL);
out:
    curl_slist_free_all(h);
}

/* ---- one pass ---- */

static int64_t backoff_ms(const dd_events_options *o, int64_t attempts)
{
    int64_t d = o->retry_base_ms;
    for (int64_t i = 1; i < attempts && d < o->retry_max_ms; i++)
        d = d > INT64_MAX / 2 ? INT64_MAX : d * 2;
    if (d > o->retry_max_ms)
        d = o->retry_max_ms;
    uint32_t r = 0;
    if (d >= 10 && getrandom(&r, sizeof(r), 0) == (ssize_t)sizeof(r))
        d -= (int64_t)(r % (uint32_t)(d / 10 + 1)); /* jitter: up to 10% earlier */
    return d;
}

static const char SQL_HEADS[] =
    "SELECT DISTINCT d.webhook_id FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id"
    " WHERE d.state = 'pending' AND w.enabled = 1 ORDER BY d.webhook_id";
static const char SQL_HEAD[] =
    "SELECT d.seq, d.attempts, d.next_attempt_at, o.id, o.body, w.url, w.secret"
    " FROM deliveries d JOIN outbox o ON o.seq = d.seq JOIN webhooks w ON w.id = d.webhook_id"
    " WHERE d.webhook_id = ? AND d.state = 'pending' AND w.enabled = 1 ORDER BY d.seq LIMIT 1";
static const char SQL_DELIVERED[] =
    "UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, delivered_at = ?,"
    " last_status = ?, last_error = NULL WHERE webhook_id = ? AND seq = ? AND state = 'pending'";
static const char SQL_FAILED[] =
    "UPDATE deliveries SET state = ?, attempts = ?, next_attempt_at = ?, last_status = ?,"
    " last_error = ? WHERE webhook_id = ? AND seq = ? AND state = 'pending'";

typedef struct head {
    int64_t seq, attempts, next_at;
    char event_id[64];
    char *body, *url, *secret;
    size_t body_len;
} head;

static void head_clear(head *h)
{
    dd_free(h->body);
    dd_free(h->url);
    dd_free(h->secret);
    memset(h, 0, sizeof(*h));
}

/* Loads the first pending delivery of webhook wid: 1 found, 0 none, or an error. */
static int load_head(dd_events *ev, const char *wid, head *h, dd_err *err)
{
    sqlite3_stmt *st;
    dd_sql_conn *c = dd_sql_acquire(ev->sql);
    int rc = dd_sql_stmt(c, SQL_HEAD, &st, err);
    if (rc == 0) {
        dd_sql_bind_text(st, 1, wid);
        rc = dd_sql_step(c, st, err);
    }
    if (rc == 1) {
        h->seq = sqlite3_column_int64(st, 0);
        h->attempts = sqlite3_column_int64(st, 1);
        h->next_at = sqlite3_column_int64(st, 2);
        snprintf(h->event_id, sizeof(h->event_id), "%s", dd_sql_col_text(st, 3));
        h->body_len = (size_t)sqlite3_column_bytes(st, 4);
        h->body = dd_strndup(dd_sql_col_text(st, 4), h->body_len);
        h->url = dd_strdup(dd_sql_col_text(st, 5));
        h->secret = dd_strdup(dd_sql_col_text(st, 6));
        sqlite3_reset(st);
        if (h->body == NULL || h->url == NULL || h->secret == NULL)
            rc = DD_ENOMEM;
    }
    dd_sql_release(ev->sql, c);
    return rc;
}

/* Records the outcome of an attempt; *done tells whether the delivery left the pending state. */
static int record(dd_events *ev, const char *wid, const head *h, const attempt *a, bool *dead,
                  int64_t *next_at, dd_err *err)
{
    sqlite3_stmt *st;
    int rc;
    int64_t now = dd_clock_now_ms(ev->clock);
    int64_t attempts = h->attempts + 1;
    dd_sql_conn *c = dd_sql_acquire(ev->sql);
    *dead = false;
    *next_at = 0;
    if (a->error[0] == '\0') {
        if ((rc = dd_sql_stmt(c, SQL_DELIVERED, &st, err)) == 0) {
            dd_sql_bind_int(st, 1, now);
            dd_sql_bind_int(st, 2, a->status);
            dd_sql_bind_text(st, 3, wid);
            dd_sql_bind_int(st, 4, h->seq);
            rc = dd_sql_run(c, st, err);
        }
        goto out;
    }
    *dead = attempts >= ev->opts.max_attempts;
    *next_at = now + backoff_ms(&ev->opts, attempts);
    if ((rc = dd_sql_stmt(c, SQL_FAILED, &st, err)) == 0) {
        dd_sql_bind_text(st, 1, *dead ? "dead" : "pending");
        dd_sql_bind_int(st, 2, attempts);
        dd_sql_bind_int(st, 3, *dead ? now : *next_at);
        dd_sql_bind_int(st, 4, a->status);
        dd_sql_bind_text(st, 5, a->error);
        dd_sql_bind_text(st, 6, wid);
        dd_sql_bind_int(st, 7, h->seq);
        rc = dd_sql_run(c, st, err);
    }
    char seq[24], n[24], status[24];
    snprintf(seq, sizeof(seq), "%lld", (long long)h->seq);
    snprintf(n, sizeof(n), "%lld", (long long)attempts);
    snprintf(status, sizeof(status), "%ld", a->status);
    dd_log(DD_LOG_WARN, *dead ? "webhook_delivery_dead" : "webhook_delivery_failed", "webhook", wid,
           "seq", seq, "attempts", n, "status", status, "error", a->error, NULL);
out:
    dd_sql_release(ev->sql, c);
    return rc;
}

/* Lists the webhooks with pending deliveries into *ids (dd_free each and the array). */
static int pending_webhooks(dd_events *ev, char ***ids, size_t *n, dd_err *err)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    dd_sql_conn *c = dd_sql_acquire(ev->sql);
    int rc = dd_sql_stmt(c, SQL_HEADS, &st, err);
    while (rc == 0 && (rc = dd_sql_step(c, st, err)) == 1) {
        rc = 0;
        if (*n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char **p = dd_reallocarray(*ids, ncap, sizeof(*p));
            if (p == NULL) {
                rc = DD_ENOMEM;
                break;
            }
            *ids = p;
            cap = ncap;
        }
        if (((*ids)[*n] = dd_strdup(dd_sql_col_text(st, 0))) == NULL) {
            rc = DD_ENOMEM;
            break;
        }
        (*n)++;
    }
    if (rc != 0)
        sqlite3_reset(st);
    dd_sql_release(ev->sql, c);
    return rc;
}

/* One pass; *next_due = earliest next attempt of a webhook's head left pending (INT64_MAX when
 * none). */
static int pass(dd_events *ev, size_t *n_sent, int64_t *next_due, dd_err *err)
{
    char **ids = NULL;
    size_t n_ids = 0;
    head h = {0};
    *n_sent = 0;
    *next_due = INT64_MAX;
    pthread_mutex_lock(&ev->deliver_mu);
    int rc = pending_webhooks(ev, &ids, &n_ids, err);
    for (size_t i = 0; rc == 0 && i < n_ids; i++) {
        for (;;) {
            if (stopping(ev))
                goto out;
            head_clear(&h);
            if ((rc = load_head(ev, ids[i], &h, err)) <= 0)
                break;
            rc = 0;
            if (h.next_at > dd_clock_now_ms(ev->clock)) {
                if (h.next_at < *next_due)
                    *next_due = h.next_at;
                break;
            }
            attempt a;
            post(ev, h.url, h.secret, ids[i], h.seq, h.event_id, h.body, h.body_len, &a);
            if (a.aborted)
                goto out;
            (*n_sent)++;
            bool dead;
            int64_t next_at;
            if ((rc = record(ev, ids[i], &h, &a, &dead, &next_at, err)) != 0)
                break;
            if (a.error[0] != '\0' && !dead) { /* head-of-line: the rest waits for this one */
                if (next_at < *next_due)
                    *next_due = next_at;
                break;
            }
        }
    }
out:
    head_clear(&h);
    for (size_t i = 0; i < n_ids; i++)
        dd_free(ids[i]);
    dd_free(ids);
    pthread_mutex_unlock(&ev->deliver_mu);
    return rc;
}

int dd_events_deliver_due(dd_events *ev, size_t *n_sent, dd_err *err)
{
    size_t n = 0;
    int64_t next_due;
    int rc = pass(ev, &n, &next_due, err);
    if (n_sent != NULL)
        *n_sent = n;
    return rc;
}

/* ---- the thread ---- */

static void wait_ms(dd_events *ev, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&ev->cv, &ev->mu, &ts);
}

static void *thread_main(void *arg)
{
    dd_events *ev = arg;
    pthread_mutex_lock(&ev->mu);
    while (!ev->stopping) {
        uint64_t gen = ev->generation;
        pthread_mutex_unlock(&ev->mu);
        dd_err err = DD_ERR_INIT;
        size_t n;
        int64_t next_due, wait = POLL_MS;
        int rc = pass(ev, &n, &next_due, &err);
        if (rc != 0) {
            dd_log(DD_LOG_ERROR, "webhook_delivery_error", "error", err.msg, NULL);
            wait = ERROR_WAIT_MS;
        } else if (next_due != INT64_MAX) {
            int64_t d = next_due - dd_clock_now_ms(ev->clock);
            wait = d < 0 ? 0 : d > POLL_MS ? POLL_MS : d;
        }
        pthread_mutex_lock(&ev->mu);
        if (ev->stopping || ev->generation != gen || wait <= 0)
            continue;
        wait_ms(ev, wait);
    }
    pthread_mutex_unlock(&ev->mu);
    return NULL;
}

int dd_events_start(dd_events *ev, dd_err *err)
{
    int rc = 0;
    pthread_mutex_lock(&ev->mu);
    if (!ev->running) {
        ev->stopping = false;
        int e = pthread_create(&ev->thread, NULL, thread_main, ev);
        if (e != 0)
            rc = dd_err_errno(err, e, "events: delivery thread");
        else
            ev->running = true;
    }
    pthread_mutex_unlock(&ev->mu);
    return rc;
}

void dd_events_stop(dd_events *ev)
{
    if (ev == NULL)
        return;
    pthread_mutex_lock(&ev->mu);
    ev->stopping = true;
    bool running = ev->running;
    ev->running = false;
    pthread_cond_broadcast(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
    if (running)
        pthread_join(ev->thread, NULL);
}
