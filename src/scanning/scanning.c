/* The scanning service: tables, configuration changes and their effects on repositories and
 * images (frequency changes, the initial-eligibility sweep), image lifecycle hooks, the durable
 * job queue with its workers, the ticker (lease recovery, lost-job reconciliation, rescan-duration
 * expiry, finding retention, vulnerability DB change detection) and the views the ECR API reads. */
#include "scanning/internal.h"
#include "findings/findings.h"
#include "image/layer.h"
#include "image/source.h"
#include "util/alloc.h"
#include "util/log.h"
#include "vulndb/vulndb.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define DAY_MS 86400000LL
#define LEASE_MS (15 * 60 * 1000LL)

static const char *const MIGRATIONS[] = {
    "CREATE TABLE scan_repos ("
    " repo TEXT PRIMARY KEY,"
    " scan_on_push INTEGER NOT NULL DEFAULT 0,"
    " frequency TEXT NOT NULL DEFAULT 'MANUAL',"
    " tag_mutability TEXT NOT NULL DEFAULT 'MUTABLE',"
    " tags TEXT,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE scan_images ("
    " repo TEXT NOT NULL,"
    " digest TEXT NOT NULL,"
    " scan_type TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " description TEXT,"
    " reason TEXT,"
    " frequency TEXT,"
    " initial_done INTEGER NOT NULL DEFAULT 0,"
    " activated_at INTEGER,"
    " first_completed_at INTEGER,"
    " completed_at INTEGER,"
    " vulndb_updated_at INTEGER,"
    " last_scanned_at INTEGER,"
    " os TEXT, platform TEXT, arch TEXT,"
    " severity_counts TEXT,"
    " basic_findings TEXT,"
    " inventory BLOB,"
    " layers TEXT,"
    " pkg_ids BLOB,"
    " match_fp TEXT,"
    " PRIMARY KEY (repo, digest, scan_type));"
    "CREATE INDEX scan_images_status ON scan_images (scan_type, status);"
    "CREATE TABLE scan_jobs ("
    " id INTEGER PRIMARY KEY,"
    " repo TEXT NOT NULL,"
    " digest TEXT NOT NULL,"
    " scan_type TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'queued',"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " not_before INTEGER NOT NULL,"
    " lease_until INTEGER,"
    " last_error TEXT,"
    " UNIQUE (repo, digest, scan_type));"
    "CREATE TABLE pkg_keys ("
    " id INTEGER PRIMARY KEY,"
    " key TEXT NOT NULL UNIQUE,"
    " fp TEXT NOT NULL DEFAULT '');",
};

static const char *const DESC_PENDING = "Pending start of the image scan.";
static const char *const DESC_IN_PROGRESS = "The scan is in progress.";
static const char *const DESC_COMPLETE = "The scan was completed successfully.";
static const char *const DESC_ACTIVE = "Continuous scan is selected for image.";
static const char *const DESC_UNSUPPORTED =
    "The operating system and/or package manager are not supported.";
static const char *const DESC_EXPIRED = "Continuous scan duration has expired for this image.";

static int64_t now_ms(dd_scanning *s)
{
    return dd_clock_now_ms(s->clock);
}

static bool is_index(const char *media_type)
{
    return media_type != NULL && (strstr(media_type, "manifest.list") != NULL ||
                                  strstr(media_type, "image.index") != NULL);
}

/* ---- open / close ---- */

int dd_scanning_open(dd_scanning **out, dd_sql *sql, dd_db *db, dd_store *store, dd_events *ev,
                     const dd_clock *clock, const dd_scanning_options *opts, dd_err *err)
{
    *out = NULL;
    int rc = dd_sql_migrate(sql, "scanning", MIGRATIONS, sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0]),
                            err);
    if (rc == 0)
        rc = dd_findings_migrate(sql, err);
    if (rc != 0)
        return rc;
    dd_scanning *s = dd_calloc(1, sizeof(*s));
    if (s == NULL)
        return DD_ENOMEM;
    s->sql = sql;
    s->db = db;
    s->store = store;
    s->ev = ev;
    s->clock = clock;
    s->o = *opts;
    if (s->o.initial_push_days <= 0)
        s->o.initial_push_days = 30;
    if (s->o.initial_pull_days <= 0)
        s->o.initial_pull_days = 90;
    if (s->o.max_attempts <= 0)
        s->o.max_attempts = 3;
    if (s->o.tick_interval_ms <= 0)
        s->o.tick_interval_ms = 10000;
    s->data_dir = dd_strdup(opts->data_dir != NULL ? opts->data_dir : ".");
    s->vulndb_path = dd_strdup(opts->vulndb_path != NULL ? opts->vulndb_path : "");
    s->account = dd_strdup(opts->account != NULL ? opts->account : "123456789012");
    s->region = dd_strdup(opts->region != NULL ? opts->region : "us-east-1");
    s->cache_dir = s->data_dir != NULL ? dd_asprintf("%s/cache", s->data_dir) : NULL;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    pthread_mutex_init(&s->rematch_mu, NULL);
    if (s->data_dir == NULL || s->vulndb_path == NULL || s->account == NULL || s->region == NULL ||
        s->cache_dir == NULL) {
        dd_scanning_close(s);
        return DD_ENOMEM;
    }
    s->o.data_dir = s->data_dir;
    s->o.vulndb_path = s->vulndb_path;
    s->o.account = s->account;
    s->o.region = s->region;
    *out = s;
    return 0;
}

void dd_scanning_close(dd_scanning *s)
{
    if (s == NULL)
        return;
    dd_scanning_stop(s);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->rematch_mu);
    dd_free(s->data_dir);
    dd_free(s->vulndb_path);
    dd_free(s->account);
    dd_free(s->region);
    dd_free(s->cache_dir);
    dd_free(s->workers);
    dd_free(s);
}

static void wake(dd_scanning *s)
{
    pthread_mutex_lock(&s->mu);
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* Sleeps up to ms or until woken; false when stopping. */
static bool wait_ms(dd_scanning *s, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->mu);
    if (!s->stopping)
        pthread_cond_timedwait(&s->cv, &s->mu, &ts);
    bool go = !s->stopping;
    pthread_mutex_unlock(&s->mu);
    return go;
}

static bool stopping(dd_scanning *s)
{
    pthread_mutex_lock(&s->mu);
    bool st = s->stopping;
    pthread_mutex_unlock(&s->mu);
    return st;
}

static int run_one(dd_scanning *s, bool *ran, dd_err *err);

static void *worker_main(void *arg)
{
    dd_scanning *s = arg;
    while (!stopping(s)) {
        bool ran = false;
        dd_err err = DD_ERR_INIT;
        if (run_one(s, &ran, &err) != 0)
            dd_log(DD_LOG_ERROR, "scan_worker", "error", err.msg, NULL);
        if (!ran)
            wait_ms(s, 1000);
    }
    return NULL;
}

static void *ticker_main(void *arg)
{
    dd_scanning *s = arg;
    while (wait_ms(s, s->o.tick_interval_ms)) {
        dd_err err = DD_ERR_INIT;
        if (dd_scanning_tick(s, &err) != 0)
            dd_log(DD_LOG_ERROR, "scan_tick", "error", err.msg, NULL);
    }
    return NULL;
}

static const char SQL_RESET_RUNNING[] =
    "UPDATE scan_jobs SET state = 'queued', lease_until = NULL WHERE state = 'running'";

int dd_scanning_start(dd_scanning *s, dd_err *err)
{
    /* A single node owns the queue: jobs a previous process was running are run again. */
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_RESET_RUNNING, &st, err);
    if (rc == 0)
        rc = dd_sql_run(c, st, err);
    dd_sql_release(s->sql, c);
    if (rc != 0)
        return rc;
    if ((rc = dd_scanning_tick(s, err)) != 0)
        dd_log(DD_LOG_WARN, "scan_tick", "error", err->msg, NULL);
    s->workers = dd_calloc(s->o.workers ? s->o.workers : 1, sizeof(pthread_t));
    if (s->workers == NULL)
        return DD_ENOMEM;
    s->started = true;
    for (unsigned i = 0; i < s->o.workers; i++) {
        if (pthread_create(&s->workers[i], NULL, worker_main, s) != 0)
            break;
        s->n_workers++;
    }
    if (pthread_create(&s->ticker, NULL, ticker_main, s) != 0) {
        s->started = false;
        dd_scanning_stop(s);
        return dd_err_set(err, DD_EIO, "cannot start the scan ticker");
    }
    return 0;
}

void dd_scanning_stop(dd_scanning *s)
{
    if (s == NULL)
        return;
    pthread_mutex_lock(&s->mu);
    bool was = s->started;
    s->stopping = true;
    s->started = false;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
    for (unsigned i = 0; i < s->n_workers; i++)
        pthread_join(s->workers[i], NULL);
    s->n_workers = 0;
    if (was)
        pthread_join(s->ticker, NULL);
}

/* ---- registry tables (read) ---- */

static const char SQL_IMAGE_META[] =
    "SELECT m.pushed_at, COALESCE(m.last_pulled_at, 0), m.media_type FROM manifests m"
    " JOIN repositories r ON r.id = m.repo_id WHERE r.name = ? AND m.digest = ?";
static const char SQL_IMAGE_TAGS[] =
    "SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repo_id"
    " WHERE r.name = ? AND t.digest = ? ORDER BY t.name";

typedef struct image_meta {
    int64_t pushed_at, last_pulled_at;
    char media_type[128];
    json_t *tags;
} image_meta;

static int load_meta(dd_sql_conn *c, const char *repo, const char *digest, image_meta *m,
                     dd_err *err)
{
    sqlite3_stmt *st;
    memset(m, 0, sizeof(*m));
    int rc = dd_sql_stmt(c, SQL_IMAGE_META, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    dd_sql_bind_text(st, 2, digest);
    if ((rc = dd_sql_step(c, st, err)) <= 0)
        return rc == 0 ? DD_ENOTFOUND : rc;
    m->pushed_at = sqlite3_column_int64(st, 0);
    m->last_pulled_at = sqlite3_column_int64(st, 1);
    snprintf(m->media_type, sizeof(m->media_type), "%s", dd_sql_col_text(st, 2));
    sqlite3_reset(st);
    m->tags = json_array();
    if ((rc = dd_sql_stmt(c, SQL_IMAGE_TAGS, &st, err)) != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    dd_sql_bind_text(st, 2, digest);
    while ((rc = dd_sql_step(c, st, err)) == 1)
        json_array_append_new(m->tags, json_string(dd_sql_col_text(st, 0)));
    return rc;
}

/* ---- configuration ---- */

int dd_scanning_config_get(dd_scanning *s, json_t **out, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    *out = dd_scan_config_load(c, err);
    dd_sql_release(s->sql, c);
    return *out != NULL ? 0 : (err != NULL && err->code != 0 ? err->code : DD_ENOMEM);
}

bool dd_scanning_enhanced(dd_scanning *s)
{
    json_t *cfg = NULL;
    if (dd_scanning_config_get(s, &cfg, NULL) != 0)
        return false;
    const char *t = json_string_value(json_object_get(cfg, "scanType"));
    bool e = t != NULL && strcmp(t, "ENHANCED") == 0;
    json_decref(cfg);
    return e;
}

static bool cfg_enhanced(const json_t *cfg)
{
    const char *t = json_string_value(json_object_get(cfg, "scanType"));
    return t != NULL && strcmp(t, "ENHANCED") == 0;
}

static const char SQL_JOB_PUT[] =
    "INSERT INTO scan_jobs (repo, digest, scan_type, state, attempts, not_before)"
    " VALUES (?, ?, ?, 'queued', 0, ?) ON CONFLICT (repo, digest, scan_type) DO UPDATE SET"
    " state = 'queued', attempts = 0, not_before = excluded.not_before, lease_until = NULL";
static const char SQL_RECORD_PUT[] =
    "INSERT INTO scan_images (repo, digest, scan_type, status, description, reason, frequency,"
    " activated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (repo, digest, scan_type)"
    " DO UPDATE SET status = ?4, description = ?5, reason = ?6, frequency = ?7,"
    " activated_at = ?8, initial_done = 0";

static int queue_job(dd_sql_conn *c, const char *repo, const char *digest, const char *type,
                     int64_t now, dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_JOB_PUT, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    dd_sql_bind_text(st, 2, digest);
    dd_sql_bind_text(st, 3, type);
    dd_sql_bind_int(st, 4, now);
    return dd_sql_run(c, st, err);
}

static int put_record(dd_sql_conn *c, const char *repo, const char *digest, const char *type,
                      const char *status, const char *desc, const char *reason, dd_scan_freq f,
                      int64_t activated, dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_RECORD_PUT, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    dd_sql_bind_text(st, 2, digest);
    dd_sql_bind_text(st, 3, type);
    dd_sql_bind_text(st, 4, status);
    dd_sql_bind_text(st, 5, desc);
    dd_sql_bind_text(st, 6, reason);
    dd_sql_bind_text(st, 7, dd_scan_freq_name(f));
    dd_sql_bind_int(st, 8, activated);
    return dd_sql_run(c, st, err);
}

static const char SQL_SWEEP_CANDIDATES[] =
    "SELECT m.digest, m.pushed_at, COALESCE(m.last_pulled_at, 0), m.media_type FROM manifests m"
    " JOIN repositories r ON r.id = m.repo_id WHERE r.name = ? AND NOT EXISTS (SELECT 1 FROM"
    " scan_images i WHERE i.repo = r.name AND i.digest = m.digest AND i.scan_type = 'ENHANCED')";

/* Initial eligibility (spec 4.3 A) for the images of repo that have no ENHANCED record. */
static int sweep_repo(dd_scanning *s, dd_sql_conn *c, const char *repo, dd_scan_freq f, int64_t now,
                      dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_SWEEP_CANDIDATES, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    dd_strlist eligible = {0}, expired = {0};
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        if (is_index(dd_sql_col_text(st, 3)))
            continue;
        int64_t pushed = sqlite3_column_int64(st, 1), pulled = sqlite3_column_int64(st, 2);
        bool ok = now - pushed <= s->o.initial_push_days * DAY_MS ||
                  (pulled > 0 && now - pulled <= s->o.initial_pull_days * DAY_MS);
        rc = dd_strlist_push_str(ok ? &eligible : &expired, dd_sql_col_text(st, 0));
        if (rc != 0) {
            sqlite3_reset(st);
            break;
        }
    }
    for (size_t i = 0; rc == 0 && i < eligible.n; i++) {
        rc = put_record(c, repo, eligible.items[i], "ENHANCED", "PENDING", DESC_PENDING,
                        "PENDING_INITIAL_SCAN", f, now, err);
        if (rc == 0)
            rc = queue_job(c, repo, eligible.items[i], "ENHANCED", now, err);
    }
    for (size_t i = 0; rc == 0 && i < expired.n; i++)
        rc = put_record(c, repo, expired.items[i], "ENHANCED", "SCAN_ELIGIBILITY_EXPIRED",
                        DESC_EXPIRED, "SCAN_ELIGIBILITY_EXPIRED", f, 0, err);
    dd_strlist_free(&eligible);
    dd_strlist_free(&expired);
    return rc;
}

static const char SQL_REPO_NAMES[] =
    "SELECT name FROM repositories UNION SELECT repo FROM scan_repos ORDER BY 1";
static const char SQL_REPO_GET[] = "SELECT scan_on_push, frequency FROM scan_repos WHERE repo = ?";
static const char SQL_REPO_INSERT[] =
    "INSERT INTO scan_repos (repo, scan_on_push, frequency, tag_mutability, created_at)"
    " VALUES (?, ?, 'MANUAL', ?, ?) ON CONFLICT (repo) DO NOTHING";
static const char SQL_REPO_SET_FREQ[] = "UPDATE scan_repos SET frequency = ? WHERE repo = ?";
static const char SQL_TO_SOP[] =
    "UPDATE scan_images SET status = 'COMPLETE', description = ?2,"
    " reason = 'SCAN_FREQUENCY_SCAN_ON_PUSH', frequency = 'SCAN_ON_PUSH' WHERE repo = ?1 AND"
    " scan_type = 'ENHANCED' AND status = 'ACTIVE'";
static const char SQL_TO_CONT[] =
    "UPDATE scan_images SET status = 'ACTIVE', description = ?2, reason = 'SUCCESSFUL',"
    " frequency = 'CONTINUOUS_SCAN' WHERE repo = ?1 AND scan_type = 'ENHANCED' AND"
    " status = 'COMPLETE'";
static const char SQL_DROP_RECORDS[] =
    "DELETE FROM scan_images WHERE repo = ? AND scan_type = 'ENHANCED'";
static const char SQL_DROP_JOBS[] = "DELETE FROM scan_jobs WHERE repo = ? AND scan_type = ?";

static dd_scan_freq freq_of(const char *s)
{
    if (strcmp(s, "CONTINUOUS_SCAN") == 0)
        return DD_FREQ_CONTINUOUS;
    if (strcmp(s, "SCAN_ON_PUSH") == 0)
        return DD_FREQ_SCAN_ON_PUSH;
    return DD_FREQ_MANUAL;
}

static int exec_repo(dd_sql_conn *c, const char *sql, const char *repo, const char *arg2,
                     dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, sql, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    if (arg2 != NULL)
        dd_sql_bind_text(st, 2, arg2);
    return dd_sql_run(c, st, err);
}

static char *repo_arn(dd_scanning *s, const char *repo)
{
    return dd_asprintf("arn:aws:ecr:%s:%s:repository/%s", s->region, s->account, repo);
}

/* Applies the effect of one repository's frequency change (spec 3.5) under cfg. */
static int apply_change(dd_scanning *s, dd_sql_conn *c, const json_t *cfg, bool entering,
                        const char *repo, dd_scan_freq old, dd_scan_freq nw, int64_t now,
                        dd_err *err)
{
    int rc = 0;
    if (!cfg_enhanced(cfg))
        return 0;
    if (nw == DD_FREQ_MANUAL) {
        if (old != DD_FREQ_MANUAL || entering) {
            size_t n;
            rc = dd_findings_close(c, s->ev, repo, NULL, "SCAN_FREQUENCY_MANUAL", now, &n, err);
            if (rc == 0)
                rc = exec_repo(c, SQL_DROP_RECORDS, repo, NULL, err);
            if (rc == 0)
                rc = exec_repo(c, SQL_DROP_JOBS, repo, "ENHANCED", err);
        }
        return rc;
    }
    if (nw == DD_FREQ_SCAN_ON_PUSH && old == DD_FREQ_CONTINUOUS)
        rc = exec_repo(c, SQL_TO_SOP, repo, DESC_COMPLETE, err);
    else if (nw == DD_FREQ_CONTINUOUS && old == DD_FREQ_SCAN_ON_PUSH)
        rc = exec_repo(c, SQL_TO_CONT, repo, DESC_ACTIVE, err);
    if (rc == 0)
        rc = sweep_repo(s, c, repo, nw, now, err);
    return rc;
}

/* Recomputes every repository's frequency under cfg; emits one "ECR Scan Resource Change" for
 * those that changed (also when switching away from ENHANCED). */
static int recompute(dd_scanning *s, dd_sql_conn *c, const json_t *cfg, bool entering, bool leaving,
                     int64_t now, dd_err *err)
{
    sqlite3_stmt *st;
    dd_strlist names = {0};
    int rc = dd_sql_stmt(c, SQL_REPO_NAMES, &st, err);
    if (rc != 0)
        return rc;
    while ((rc = dd_sql_step(c, st, err)) == 1)
        if ((rc = dd_strlist_push_str(&names, dd_sql_col_text(st, 0))) != 0) {
            sqlite3_reset(st);
            break;
        }
    json_t *changes = json_array();
    for (size_t i = 0; rc == 0 && i < names.n; i++) {
        const char *repo = names.items[i];
        if ((rc = dd_sql_stmt(c, SQL_REPO_INSERT, &st, err)) != 0)
            break;
        dd_sql_bind_text(st, 1, repo);
        dd_sql_bind_int(st, 2, 0);
        dd_sql_bind_text(st, 3, "MUTABLE");
        dd_sql_bind_int(st, 4, now);
        if ((rc = dd_sql_run(c, st, err)) != 0 ||
            (rc = dd_sql_stmt(c, SQL_REPO_GET, &st, err)) != 0)
            break;
        dd_sql_bind_text(st, 1, repo);
        if ((rc = dd_sql_step(c, st, err)) != 1) {
            rc = rc == 0 ? DD_EDB : rc;
            break;
        }
        bool flag = sqlite3_column_int(st, 0) != 0;
        dd_scan_freq old = freq_of(dd_sql_col_text(st, 1));
        sqlite3_reset(st);
        rc = 0;
        dd_scan_freq nw = dd_scan_effective(cfg, repo, flag, NULL);
        if (nw != old || entering) {
            if (nw != old) {
                rc = exec_repo(c, SQL_REPO_SET_FREQ, dd_scan_freq_name(nw), repo, err);
                char *arn = repo_arn(s, repo);
                json_array_append_new(changes,
                                      json_pack("{s:s,s:s,s:s,s:s}", "repository-name", repo,
                                                "repository-arn", arn != NULL ? arn : "",
                                                "scan-frequency", dd_scan_freq_name(nw),
                                                "previous-scan-frequency", dd_scan_freq_name(old)));
                dd_free(arn);
            }
            if (rc == 0)
                rc = apply_change(s, c, cfg, entering, repo, old, nw, now, err);
        }
    }
    if (rc == 0 && json_array_size(changes) > 0 && (cfg_enhanced(cfg) || leaving) &&
        s->ev != NULL) {
        json_t *detail = json_pack("{s:s,s:O,s:s,s:s}", "action-type", "SCAN_FREQUENCY_CHANGE",
                                   "repositories", changes, "resource-type", "REPOSITORY",
                                   "scan-type", cfg_enhanced(cfg) ? "ENHANCED" : "BASIC");
        rc = dd_events_append(s->ev, c, "aws.ecr", "ECR Scan Resource Change", NULL, detail, err);
        json_decref(detail);
    }
    json_decref(changes);
    dd_strlist_free(&names);
    return rc;
}

static int store_config(dd_scanning *s, const json_t *norm, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    json_t *old = NULL;
    char *text = json_dumps(norm, JSON_COMPACT);
    int rc = text != NULL ? dd_sql_begin(c, err) : DD_ENOMEM;
    if (rc == 0 && (old = dd_scan_config_load(c, err)) == NULL)
        rc = DD_EDB;
    if (rc == 0)
        rc = dd_sql_setting_put(c, "scanning.config", text, err);
    if (rc == 0) {
        bool entering = cfg_enhanced(norm) && !cfg_enhanced(old);
        bool leaving = !cfg_enhanced(norm) && cfg_enhanced(old);
        rc = recompute(s, c, norm, entering, leaving, now_ms(s), err);
    }
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(s->sql, c);
    json_decref(old);
    free(text);
    if (rc == 0) {
        dd_events_kick(s->ev);
        wake(s);
    }
    return rc;
}

int dd_scanning_config_put(dd_scanning *s, const json_t *config, json_t **stored, dd_err *err)
{
    json_t *norm = NULL;
    int rc = dd_scan_config_normalize(config, &norm, err);
    if (rc == 0)
        rc = store_config(s, norm, err);
    if (rc == 0 && stored != NULL)
        *stored = json_incref(norm);
    json_decref(norm);
    return rc;
}

int dd_scanning_set_scan_type(dd_scanning *s, bool enhanced, dd_err *err)
{
    json_t *cfg = NULL, *norm = NULL;
    int rc = dd_scanning_config_get(s, &cfg, err);
    if (rc != 0)
        return rc;
    json_t *in = json_pack("{s:s,s:O}", "scanType", enhanced ? "ENHANCED" : "BASIC", "rules",
                           json_object_get(cfg, "rules"));
    /* rules of the other type that it does not accept are dropped */
    json_t *rules = json_object_get(in, "rules");
    for (size_t i = json_array_size(rules); i-- > 0;) {
        const char *f =
            json_string_value(json_object_get(json_array_get(rules, i), "scanFrequency"));
        if (!enhanced && f != NULL && strcmp(f, "SCAN_ON_PUSH") != 0)
            json_array_remove(rules, i);
    }
    if (enhanced && cfg_enhanced(cfg)) {
        json_decref(cfg);
        json_decref(in);
        return 0;
    }
    rc = dd_scan_config_normalize(in, &norm, err);
    if (rc == 0)
        rc = store_config(s, norm, err);
    json_decref(norm);
    json_decref(in);
    json_decref(cfg);
    return rc;
}

int dd_scanning_repo_view(dd_scanning *s, const char *repo, dd_scan_repo_view *out, dd_err *err)
{
    memset(out, 0, sizeof(*out));
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    sqlite3_stmt *st;
    json_t *cfg = dd_scan_config_load(c, err);
    int rc = cfg != NULL ? dd_sql_stmt(c, SQL_REPO_GET, &st, err) : DD_EDB;
    bool flag = false;
    if (rc == 0) {
        dd_sql_bind_text(st, 1, repo);
        rc = dd_sql_step(c, st, err);
        if (rc == 1) {
            flag = sqlite3_column_int(st, 0) != 0;
            sqlite3_reset(st);
            rc = 0;
        } else if (rc == 0) {
            rc = dd_db_repo_exists(s->db, repo, err);
        }
    }
    if (rc == 0) {
        out->frequency = dd_scan_effective(cfg, repo, flag, &out->applied_filters);
        out->scan_on_push = out->frequency != DD_FREQ_MANUAL || (!cfg_enhanced(cfg) && flag);
        if (out->frequency == DD_FREQ_MANUAL) {
            json_decref(out->applied_filters);
            out->applied_filters = json_array();
        }
    }
    json_decref(cfg);
    dd_sql_release(s->sql, c);
    return rc;
}

/* ---- Inspector2 ecrConfiguration ---- */

static const char *const DURATIONS[] = {"LIFETIME", "DAYS_14", "DAYS_30",
                                        "DAYS_60",  "DAYS_90", "DAYS_180"};

static bool in_set(const char *v, const char *const *set, size_t n)
{
    for (size_t i = 0; v != NULL && i < n; i++)
        if (strcmp(v, set[i]) == 0)
            return true;
    return false;
}

static json_t *inspector_load(dd_sql_conn *c, dd_err *err)
{
    char *text = NULL;
    int rc = dd_sql_setting_get(c, "inspector.config", &text, err);
    if (rc == DD_ENOTFOUND)
        return json_pack("{s:s,s:s,s:s,s:I}", "rescanDuration", "LIFETIME",
                         "pullDateRescanDuration", "DAYS_90", "pullDateRescanMode",
                         "LAST_PULL_DATE", "updatedAt", (json_int_t)0);
    if (rc != 0)
        return NULL;
    json_t *v = json_loads(text, 0, NULL);
    dd_free(text);
    return v;
}

int dd_scanning_inspector_config_get(dd_scanning *s, json_t **out, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    json_t *v = inspector_load(c, err);
    dd_sql_release(s->sql, c);
    if (v == NULL)
        return DD_EDB;
    json_t *state = json_pack("{s:O,s:s}", "rescanDuration", json_object_get(v, "rescanDuration"),
                              "status", "SUCCESS");
    json_t *pd = json_object_get(v, "pullDateRescanDuration");
    json_t *pm = json_object_get(v, "pullDateRescanMode");
    if (pd != NULL)
        json_object_set(state, "pullDateRescanDuration", pd);
    if (pm != NULL)
        json_object_set(state, "pullDateRescanMode", pm);
    json_int_t at = json_integer_value(json_object_get(v, "updatedAt"));
    json_object_set_new(state, "updatedAt", json_real((double)at / 1000.0));
    *out = json_pack("{s:{s:o}}", "ecrConfiguration", "rescanDurationState", state);
    json_decref(v);
    return 0;
}

int dd_scanning_inspector_config_put(dd_scanning *s, const json_t *ecr, const json_t *ec2,
                                     dd_err *err)
{
    if (ecr == NULL && ec2 == NULL)
        return dd_err_set(err, DD_EINVALID, "ecrConfiguration or ec2Configuration is required");
    const char *rd = json_string_value(json_object_get(ecr, "rescanDuration"));
    const char *pd = json_string_value(json_object_get(ecr, "pullDateRescanDuration"));
    const char *pm = json_string_value(json_object_get(ecr, "pullDateRescanMode"));
    if (ecr != NULL && (rd == NULL || !in_set(rd, DURATIONS, 6)))
        return dd_err_set(err, DD_EINVALID,
                          "ecrConfiguration.rescanDuration must be one of LIFETIME, DAYS_14, "
                          "DAYS_30, DAYS_60, DAYS_90, DAYS_180");
    if (pd != NULL && !in_set(pd, DURATIONS + 1, 5))
        return dd_err_set(err, DD_EINVALID,
                          "ecrConfiguration.pullDateRescanDuration must be one of DAYS_14, "
                          "DAYS_30, DAYS_60, DAYS_90, DAYS_180");
    static const char *const MODES[] = {"LAST_PULL_DATE", "LAST_IN_USE_AT"};
    if (pm != NULL && !in_set(pm, MODES, 2))
        return dd_err_set(err, DD_EINVALID,
                          "ecrConfiguration.pullDateRescanMode must be LAST_PULL_DATE or "
                          "LAST_IN_USE_AT");
    const char *mode = json_string_value(json_object_get(ec2, "scanMode"));
    static const char *const EC2[] = {"EC2_SSM_AGENT_BASED", "EC2_HYBRID"};
    if (ec2 != NULL && !in_set(mode, EC2, 2))
        return dd_err_set(err, DD_EINVALID,
                          "ec2Configuration.scanMode must be EC2_SSM_AGENT_BASED or EC2_HYBRID");
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    int rc = dd_sql_begin(c, err);
    json_t *v = rc == 0 ? inspector_load(c, err) : NULL;
    if (rc == 0 && v == NULL)
        rc = DD_EDB;
    if (rc == 0) {
        if (rd != NULL)
            json_object_set_new(v, "rescanDuration", json_string(rd));
        if (pd != NULL)
            json_object_set_new(v, "pullDateRescanDuration", json_string(pd));
        if (pm != NULL)
            json_object_set_new(v, "pullDateRescanMode", json_string(pm));
        if (mode != NULL)
            json_object_set_new(v, "ec2ScanMode", json_string(mode));
        json_object_set_new(v, "updatedAt", json_integer(now_ms(s)));
        char *text = json_dumps(v, JSON_COMPACT);
        rc = text != NULL ? dd_sql_setting_put(c, "inspector.config", text, err) : DD_ENOMEM;
        free(text);
    }
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(s->sql, c);
    json_decref(v);
    if (rc == 0)
        wake(s);
    return rc;
}

/* ---- repositories and images ---- */

static const char SQL_REPO_CREATE[] =
    "INSERT INTO scan_repos (repo, scan_on_push, frequency, tag_mutability, created_at)"
    " VALUES (?, ?, 'MANUAL', ?, ?) ON CONFLICT (repo) DO UPDATE SET scan_on_push ="
    " excluded.scan_on_push, tag_mutability = excluded.tag_mutability";

/* Inserts or refreshes one repository's row and frequency, emitting the change event. */
static int ensure_repo(dd_scanning *s, dd_sql_conn *c, const json_t *cfg, const char *repo,
                       int flag, const char *mutability, int64_t now, dd_scan_freq *freq_out,
                       dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_REPO_GET, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    rc = dd_sql_step(c, st, err);
    if (rc < 0)
        return rc;
    bool exists = rc == 1;
    bool cur_flag = exists && sqlite3_column_int(st, 0) != 0;
    dd_scan_freq old = exists ? freq_of(dd_sql_col_text(st, 1)) : DD_FREQ_MANUAL;
    if (exists)
        sqlite3_reset(st);
    if (!exists || flag >= 0 || mutability != NULL) {
        if ((rc = dd_sql_stmt(c, SQL_REPO_CREATE, &st, err)) != 0)
            return rc;
        dd_sql_bind_text(st, 1, repo);
        dd_sql_bind_int(st, 2, flag >= 0 ? flag : cur_flag);
        dd_sql_bind_text(st, 3, mutability != NULL ? mutability : "MUTABLE");
        dd_sql_bind_int(st, 4, now);
        if ((rc = dd_sql_run(c, st, err)) != 0)
            return rc;
        if (flag >= 0)
            cur_flag = flag != 0;
    }
    dd_scan_freq nw = dd_scan_effective(cfg, repo, cur_flag, NULL);
    if (!exists || nw != old) {
        if ((rc = exec_repo(c, SQL_REPO_SET_FREQ, dd_scan_freq_name(nw), repo, err)) != 0)
            return rc;
        if (cfg_enhanced(cfg) && s->ev != NULL && nw != old) {
            char *arn = repo_arn(s, repo);
            json_t *detail = json_pack(
                "{s:s,s:[{s:s,s:s,s:s,s:s}],s:s,s:s}", "action-type", "SCAN_FREQUENCY_CHANGE",
                "repositories", "repository-name", repo, "repository-arn", arn != NULL ? arn : "",
                "scan-frequency", dd_scan_freq_name(nw), "previous-scan-frequency",
                dd_scan_freq_name(old), "resource-type", "REPOSITORY", "scan-type", "ENHANCED");
            dd_free(arn);
            rc = dd_events_append(s->ev, c, "aws.ecr", "ECR Scan Resource Change", NULL, detail,
                                  err);
            json_decref(detail);
            if (rc != 0)
                return rc;
        }
        if (exists && (rc = apply_change(s, c, cfg, false, repo, old, nw, now, err)) != 0)
            return rc;
    }
    *freq_out = nw;
    return 0;
}

int dd_scanning_repo_created(dd_scanning *s, const char *repo, bool scan_on_push,
                             const char *tag_mutability, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    json_t *cfg = NULL;
    dd_scan_freq f;
    int rc = dd_sql_begin(c, err);
    if (rc == 0 && (cfg = dd_scan_config_load(c, err)) == NULL)
        rc = DD_EDB;
    if (rc == 0)
        rc = ensure_repo(s, c, cfg, repo, scan_on_push ? 1 : 0, tag_mutability, now_ms(s), &f, err);
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(s->sql, c);
    json_decref(cfg);
    dd_events_kick(s->ev);
    return rc;
}

int dd_scanning_repo_set_scan_on_push(dd_scanning *s, const char *repo, bool on, dd_err *err)
{
    return dd_scanning_repo_created(s, repo, on, NULL, err);
}

static const char SQL_REPO_DELETE[] = "DELETE FROM scan_repos WHERE repo = ?";
static const char SQL_REPO_IMAGES_DELETE[] = "DELETE FROM scan_images WHERE repo = ?";
static const char SQL_REPO_JOBS_DELETE[] = "DELETE FROM scan_jobs WHERE repo = ?";

static const char SQL_IMAGE_DELETE[] = "DELETE FROM scan_images WHERE repo = ? AND digest = ?";
static const char SQL_IMAGE_JOBS_DELETE[] = "DELETE FROM scan_jobs WHERE repo = ? AND digest = ?";

/* Closes the findings of an image (digest) or of a whole repository (digest NULL) as
 * RESOURCE_TERMINATED and removes their records and jobs, in one transaction. */
static int forget(dd_scanning *s, const char *repo, const char *digest, dd_err *err)
{
    static const char *const repo_sql[] = {SQL_REPO_DELETE, SQL_REPO_IMAGES_DELETE,
                                           SQL_REPO_JOBS_DELETE, NULL};
    static const char *const image_sql[] = {SQL_IMAGE_DELETE, SQL_IMAGE_JOBS_DELETE, NULL};
    const char *const *stmts = digest != NULL ? image_sql : repo_sql;
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    size_t n;
    int rc = dd_sql_begin(c, err);
    if (rc == 0)
        rc = dd_findings_close(c, s->ev, repo, digest, "RESOURCE_TERMINATED", now_ms(s), &n, err);
    for (size_t i = 0; rc == 0 && stmts[i] != NULL; i++)
        rc = exec_repo(c, stmts[i], repo, digest, err);
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(s->sql, c);
    dd_events_kick(s->ev);
    return rc;
}

int dd_scanning_repo_deleted(dd_scanning *s, const char *repo, dd_err *err)
{
    return forget(s, repo, NULL, err);
}

static const char SQL_RECORD_GET[] =
    "SELECT status, completed_at, initial_done FROM scan_images WHERE repo = ? AND digest = ? AND"
    " scan_type = ?";

int dd_scanning_image_pushed(dd_scanning *s, const char *repo, const char *digest,
                             const char *media_type, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    json_t *cfg = NULL;
    dd_scan_freq f = DD_FREQ_MANUAL;
    int64_t now = now_ms(s);
    int rc = dd_sql_begin(c, err);
    if (rc == 0 && (cfg = dd_scan_config_load(c, err)) == NULL)
        rc = DD_EDB;
    if (rc == 0)
        rc = ensure_repo(s, c, cfg, repo, -1, NULL, now, &f, err);
    if (rc == 0 && f != DD_FREQ_MANUAL && !is_index(media_type)) {
        if (cfg_enhanced(cfg)) {
            /* A push (or re-push) registers the image and queues a scan; an expired image becomes
             * eligible again. An image already scanned keeps its status while rescanned. */
            sqlite3_stmt *st;
            bool exists = false;
            if ((rc = dd_sql_stmt(c, SQL_RECORD_GET, &st, err)) == 0) {
                dd_sql_bind_text(st, 1, repo);
                dd_sql_bind_text(st, 2, digest);
                dd_sql_bind_text(st, 3, "ENHANCED");
                rc = dd_sql_step(c, st, err);
                if (rc == 1) {
                    const char *status = dd_sql_col_text(st, 0);
                    exists = strcmp(status, "ACTIVE") == 0 || strcmp(status, "COMPLETE") == 0;
                    sqlite3_reset(st);
                    rc = 0;
                }
            }
            if (rc == 0 && !exists)
                rc = put_record(c, repo, digest, "ENHANCED", "PENDING", DESC_PENDING,
                                "PENDING_INITIAL_SCAN", f, now, err);
            if (rc == 0)
                rc = queue_job(c, repo, digest, "ENHANCED", now, err);
        } else {
            rc = put_record(c, repo, digest, "BASIC", "IN_PROGRESS", DESC_IN_PROGRESS, NULL, f, now,
                            err);
            if (rc == 0)
                rc = queue_job(c, repo, digest, "BASIC", now, err);
        }
    }
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(s->sql, c);
    json_decref(cfg);
    dd_events_kick(s->ev);
    wake(s);
    return rc;
}

int dd_scanning_image_deleted(dd_scanning *s, const char *repo, const char *digest, dd_err *err)
{
    return forget(s, repo, digest, err);
}

/* ---- views ---- */

static const char SQL_COUNTS[] =
    "SELECT severity, status, count(*) FROM findings WHERE repo = ? AND digest = ? AND"
    " status != 'CLOSED' GROUP BY severity, status";

/* ECR findingSeverityCounts over ACTIVE findings (UNTRIAGED counted as UNDEFINED) and the
 * "Inspector2 Scan" counts {CRITICAL, HIGH, MEDIUM, TOTAL} over open ones. */
static int image_counts(dd_sql_conn *c, const char *repo, const char *digest, json_t **ecr,
                        json_t **scan_event, dd_err *err)
{
    sqlite3_stmt *st;
    json_int_t crit = 0, high = 0, med = 0, total = 0;
    *ecr = json_object();
    *scan_event = NULL;
    int rc = dd_sql_stmt(c, SQL_COUNTS, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    dd_sql_bind_text(st, 2, digest);
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        const char *sev = dd_sql_col_text(st, 0);
        json_int_t n = sqlite3_column_int64(st, 2);
        total += n;
        crit += strcmp(sev, "CRITICAL") == 0 ? n : 0;
        high += strcmp(sev, "HIGH") == 0 ? n : 0;
        med += strcmp(sev, "MEDIUM") == 0 ? n : 0;
        if (strcmp(dd_sql_col_text(st, 1), "ACTIVE") != 0)
            continue;
        const char *key = strcmp(sev, "UNTRIAGED") == 0 ? "UNDEFINED" : sev;
        json_t *cur = json_object_get(*ecr, key);
        json_object_set_new(*ecr, key,
                            json_integer(n + (cur != NULL ? json_integer_value(cur) : 0)));
    }
    if (rc < 0)
        return rc;
    *scan_event = json_pack("{s:I,s:I,s:I,s:I}", "CRITICAL", crit, "HIGH", high, "MEDIUM", med,
                            "TOTAL", total);
    return 0;
}

void dd_scan_view_free(dd_scan_view *v)
{
    if (v != NULL) {
        json_decref(v->severity_counts);
        v->severity_counts = NULL;
    }
}

static const char SQL_VIEW[] =
    "SELECT status, description, completed_at, vulndb_updated_at, severity_counts FROM"
    " scan_images WHERE repo = ? AND digest = ? AND scan_type = ?";

int dd_scanning_image_view(dd_scanning *s, const char *repo, const char *digest, dd_scan_view *out,
                           dd_err *err)
{
    memset(out, 0, sizeof(*out));
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    json_t *cfg = dd_scan_config_load(c, err);
    sqlite3_stmt *st;
    int rc = cfg != NULL ? dd_sql_stmt(c, SQL_VIEW, &st, err) : DD_EDB;
    if (rc == 0) {
        const char *type = cfg_enhanced(cfg) ? "ENHANCED" : "BASIC";
        snprintf(out->scan_type, sizeof(out->scan_type), "%s", type);
        dd_sql_bind_text(st, 1, repo);
        dd_sql_bind_text(st, 2, digest);
        dd_sql_bind_text(st, 3, type);
        rc = dd_sql_step(c, st, err);
        if (rc == 1) {
            out->has_record = true;
            snprintf(out->status, sizeof(out->status), "%s", dd_sql_col_text(st, 0));
            snprintf(out->description, sizeof(out->description), "%s", dd_sql_col_text(st, 1));
            if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
                out->has_summary = true;
                out->completed_at_ms = sqlite3_column_int64(st, 2);
                out->vulndb_updated_at_ms = sqlite3_column_int64(st, 3);
                out->severity_counts = json_loads(dd_sql_col_text(st, 4), 0, NULL);
            }
            sqlite3_reset(st);
            rc = 0;
            /* ENHANCED counts are read live: suppression rules change them between scans */
            if (out->has_summary && cfg_enhanced(cfg)) {
                json_t *live = NULL, *scan = NULL;
                rc = image_counts(c, repo, digest, &live, &scan, err);
                json_decref(scan);
                json_decref(out->severity_counts);
                out->severity_counts = live;
            }
            if (out->has_summary && out->severity_counts == NULL)
                out->severity_counts = json_object();
        }
    }
    json_decref(cfg);
    dd_sql_release(s->sql, c);
    return rc;
}

int dd_scanning_start_scan(dd_scanning *s, const char *repo, const char *digest,
                           const char *media_type, dd_err *err)
{
    if (is_index(media_type))
        return dd_err_set(err, DD_EINVALID, "The image is a manifest list or index");
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    json_t *cfg = NULL;
    int64_t now = now_ms(s);
    int rc = dd_sql_begin(c, err);
    if (rc == 0 && (cfg = dd_scan_config_load(c, err)) == NULL)
        rc = DD_EDB;
    if (rc == 0 && cfg_enhanced(cfg))
        rc = dd_err_set(err, DD_EUNSUPPORTED, "This feature is disabled");
    sqlite3_stmt *st;
    if (rc == 0 && (rc = dd_sql_stmt(c, SQL_RECORD_GET, &st, err)) == 0) {
        dd_sql_bind_text(st, 1, repo);
        dd_sql_bind_text(st, 2, digest);
        dd_sql_bind_text(st, 3, "BASIC");
        rc = dd_sql_step(c, st, err);
        if (rc == 1) {
            bool running = strcmp(dd_sql_col_text(st, 0), "IN_PROGRESS") == 0;
            int64_t done = sqlite3_column_int64(st, 1);
            sqlite3_reset(st);
            rc = 0;
            if (running || (done > 0 && now - done < DAY_MS))
                rc = dd_err_set(err, DD_ELIMIT,
                                "The scan quota per image has been exceeded. Wait and try again.");
        }
    }
    if (rc == 0) {
        sqlite3_stmt *st2;
        dd_scan_freq f = DD_FREQ_MANUAL;
        if ((rc = dd_sql_stmt(c, SQL_REPO_GET, &st2, err)) == 0) {
            dd_sql_bind_text(st2, 1, repo);
            if ((rc = dd_sql_step(c, st2, err)) == 1) {
                f = freq_of(dd_sql_col_text(st2, 1));
                sqlite3_reset(st2);
            }
            rc = rc < 0 ? rc : 0;
        }
        if (rc == 0)
            rc = put_record(c, repo, digest, "BASIC", "IN_PROGRESS", DESC_IN_PROGRESS, NULL, f, now,
                            err);
    }
    if (rc == 0)
        rc = queue_job(c, repo, digest, "BASIC", now, err);
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(s->sql, c);
    json_decref(cfg);
    wake(s);
    return rc;
}

/* ---- jobs ---- */

static const char SQL_CLAIM[] =
    "UPDATE scan_jobs SET state = 'running', lease_until = ?1, attempts = attempts + 1"
    " WHERE id = (SELECT id FROM scan_jobs WHERE state = 'queued' AND not_before <= ?2"
    " ORDER BY not_before, id LIMIT 1) RETURNING id, repo, digest, scan_type, attempts";
static const char SQL_JOB_DONE[] = "DELETE FROM scan_jobs WHERE id = ? AND state = 'running'";
static const char SQL_JOB_RETRY[] =
    "UPDATE scan_jobs SET state = 'queued', not_before = ?, last_error = ?, lease_until = NULL"
    " WHERE id = ?";
static const char SQL_JOB_ALIVE[] = "SELECT 1 FROM scan_jobs WHERE id = ? AND state = 'running'";
static const char SQL_FREQ_NOW[] = "SELECT frequency FROM scan_repos WHERE repo = ?";
static const char SQL_RECORD_DONE[] =
    "UPDATE scan_images SET status = ?4, description = ?5, reason = ?6, frequency = ?7,"
    " initial_done = 1, first_completed_at = COALESCE(first_completed_at, ?8), completed_at = ?8,"
    " vulndb_updated_at = ?9, last_scanned_at = ?8, os = ?10, platform = ?11, arch = ?12,"
    " severity_counts = ?13, basic_findings = ?14, inventory = ?15, layers = ?16"
    " WHERE repo = ?1 AND digest = ?2 AND scan_type = ?3";
static const char SQL_RECORD_FAILED[] =
    "UPDATE scan_images SET status = 'FAILED', description = ?4, reason = 'INTERNAL_ERROR'"
    " WHERE repo = ?1 AND digest = ?2 AND scan_type = ?3";

typedef struct scan_result {
    int outcome; /* 0 ok, 1 unsupported image (OS), 2 unsupported media type */
    dd_inventory inv;
    bool has_inv;
    dd_match_result m;
    bool has_match;
    char *platform_token;
    char arch[32];
    dd_strlist layers;
    int64_t vulndb_built_ms;
} scan_result;

static void scan_result_free(scan_result *r)
{
    if (r->has_inv)
        dd_inventory_free(&r->inv);
    if (r->has_match)
        dd_match_result_free(&r->m);
    dd_free(r->platform_token);
    dd_strlist_free(&r->layers);
}

/* Reads the image from the registry's store and inventories it (layers cached under
 * DATA/cache), then matches it. Runs outside any transaction. */
static int scan_image(dd_scanning *s, const char *repo, const char *digest, scan_result *r,
                      dd_err *err)
{
    memset(r, 0, sizeof(*r));
    char *target = dd_asprintf("registry:%s@%s", repo, digest);
    if (target == NULL)
        return DD_ENOMEM;
    dd_image *img = NULL;
    dd_rootfs *fs = NULL;
    dd_vulndb *vdb = NULL;
    dd_image_options io = DD_IMAGE_OPTIONS_INIT;
    io.data_dir = s->data_dir;
    int rc = dd_image_open(&img, target, &io, err);
    if (rc == DD_EUNSUPPORTED || rc == DD_EINVALID) {
        r->outcome = 2;
        rc = 0;
        goto out;
    }
    if (rc != 0)
        goto out;
    const dd_image_info *info = dd_image_get_info(img);
    snprintf(r->arch, sizeof(r->arch), "%s", info->architecture != NULL ? info->architecture : "");
    for (size_t i = 0; i < info->n_layers; i++)
        if ((rc = dd_strlist_push_str(&r->layers, info->layers[i].digest)) != 0)
            goto out;
    mkdir(s->cache_dir, 0755);
    dd_read_options ro;
    memset(&ro, 0, sizeof(ro));
    ro.threads = 2;
    ro.cache_dir = s->cache_dir;
    ro.cache_key = DD_INVENTORY_CACHE_KEY;
    if (s->o.max_image_bytes > 0)
        ro.max_layer_bytes = (uint64_t)s->o.max_image_bytes;
    if ((rc = dd_image_read_rootfs(&fs, img, dd_inventory_wants, &ro, err)) != 0)
        goto out;
    if ((rc = dd_inventory_build(&r->inv, fs, err)) != 0)
        goto out;
    r->has_inv = true;
    r->platform_token = dd_scan_platform_token(&r->inv);
    if (!dd_scan_os_supported(&r->inv))
        r->outcome = 1;
    if ((rc = dd_vulndb_open(&vdb, s->vulndb_path, err)) != 0)
        goto out;
    dd_vulndb_info vi;
    memset(&vi, 0, sizeof(vi));
    if (dd_vulndb_info_get(vdb, &vi, err) == 0) {
        r->vulndb_built_ms = vi.built_ms;
        dd_vulndb_info_clear(&vi);
    }
    if ((rc = dd_match_inventory(&r->m, &r->inv, vdb, err)) != 0)
        goto out;
    r->has_match = true;
out:
    dd_vulndb_close(vdb);
    dd_rootfs_free(fs);
    dd_image_free(img);
    dd_free(target);
    return rc;
}

/* Status and coverage reason for a finished ENHANCED scan under frequency f. */
static void finished_status(int outcome, dd_scan_freq f, const char **status, const char **desc,
                            const char **reason)
{
    if (outcome == 1) {
        *status = "UNSUPPORTED_IMAGE";
        *desc = DESC_UNSUPPORTED;
        *reason = "UNSUPPORTED_OS";
    } else if (outcome == 2) {
        *status = "UNSUPPORTED_IMAGE";
        *desc = DESC_UNSUPPORTED;
        *reason = "UNSUPPORTED_MEDIA_TYPE";
    } else if (f == DD_FREQ_CONTINUOUS) {
        *status = "ACTIVE";
        *desc = DESC_ACTIVE;
        *reason = "SUCCESSFUL";
    } else {
        *status = "COMPLETE";
        *desc = DESC_COMPLETE;
        *reason = "SCAN_FREQUENCY_SCAN_ON_PUSH";
    }
}

/* Writes the results of a scan of (repo, digest, type) (or a re-match when inventory_only): the
 * record, the stored inventory, the package index, the findings and the initial-scan event. c is
 * in a transaction. */
static int record_results(dd_scanning *s, dd_sql_conn *c, const char *repo, const char *digest,
                          const char *type, scan_result *r, int64_t now, dd_findings_delta *delta,
                          dd_err *err)
{
    sqlite3_stmt *st;
    image_meta meta;
    json_t *docs = NULL, *counts = NULL, *basic = NULL, *layers = NULL;
    json_t *scan_counts = NULL;
    char *inv_text = NULL, *counts_text = NULL, *basic_text = NULL, *layers_text = NULL;
    char *resource_id = NULL;
    dd_scan_freq f = DD_FREQ_MANUAL;
    bool enhanced = strcmp(type, "ENHANCED") == 0;
    int rc = load_meta(c, repo, digest, &meta, err);
    if (rc != 0)
        goto out;
    if ((rc = dd_sql_stmt(c, SQL_FREQ_NOW, &st, err)) != 0)
        goto out;
    dd_sql_bind_text(st, 1, repo);
    if ((rc = dd_sql_step(c, st, err)) == 1) {
        f = freq_of(dd_sql_col_text(st, 0));
        sqlite3_reset(st);
    }
    if (rc < 0)
        goto out;
    rc = 0;
    bool initial_done = false;
    if ((rc = dd_sql_stmt(c, SQL_RECORD_GET, &st, err)) != 0)
        goto out;
    dd_sql_bind_text(st, 1, repo);
    dd_sql_bind_text(st, 2, digest);
    dd_sql_bind_text(st, 3, type);
    if ((rc = dd_sql_step(c, st, err)) <= 0) { /* record gone meanwhile: nothing to write */
        rc = rc < 0 ? rc : 0;
        goto out;
    }
    initial_done = sqlite3_column_int(st, 2) != 0;
    sqlite3_reset(st);
    resource_id =
        dd_asprintf("arn:aws:ecr:%s:%s:repository/%s/%s", s->region, s->account, repo, digest);
    layers = json_array();
    for (size_t i = 0; i < r->layers.n; i++)
        json_array_append_new(layers, json_string(r->layers.items[i]));
    layers_text = json_dumps(layers, JSON_COMPACT);
    if (r->has_inv) {
        inv_text = dd_scan_inventory_text(&r->inv);
    }
    if (r->has_match && enhanced) {
        dd_scan_image_meta im = {s->account,        s->region, repo,           digest,
                                 resource_id,       meta.tags, meta.pushed_at, r->arch,
                                 r->platform_token, &r->layers};
        docs = dd_scan_finding_docs(&r->m, &r->inv, &im);
        if (docs == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        if ((rc = dd_findings_sync(c, s->ev, repo, digest, docs, now, delta, err)) != 0 ||
            (rc = image_counts(c, repo, digest, &counts, &scan_counts, err)) != 0)
            goto out;
    } else if (r->has_match) {
        basic = dd_scan_basic_findings(&r->m, &r->inv);
        counts = dd_scan_basic_counts(basic);
        basic_text = basic != NULL ? json_dumps(basic, JSON_COMPACT) : NULL;
    } else {
        counts = json_object();
    }
    counts_text = counts != NULL ? json_dumps(counts, JSON_COMPACT) : NULL;
    const char *status, *desc, *reason;
    if (enhanced)
        finished_status(r->outcome, f, &status, &desc, &reason);
    else {
        status = r->outcome == 2 ? "UNSUPPORTED_IMAGE" : "COMPLETE";
        desc = r->outcome == 2 ? DESC_UNSUPPORTED : DESC_COMPLETE;
        reason = NULL;
    }
    if ((rc = dd_sql_stmt(c, SQL_RECORD_DONE, &st, err)) != 0)
        goto out;
    dd_sql_bind_text(st, 1, repo);
    dd_sql_bind_text(st, 2, digest);
    dd_sql_bind_text(st, 3, type);
    dd_sql_bind_text(st, 4, status);
    dd_sql_bind_text(st, 5, desc);
    dd_sql_bind_text(st, 6, reason);
    dd_sql_bind_text(st, 7, dd_scan_freq_name(f));
    dd_sql_bind_int(st, 8, now);
    dd_sql_bind_int(st, 9, r->vulndb_built_ms > 0 ? r->vulndb_built_ms : now);
    if (r->has_inv && r->inv.has_os) {
        char eco[64];
        if (dd_os_ecosystem(&r->inv.os, eco, sizeof(eco)) == 0)
            dd_sql_bind_text(st, 10, eco);
    }
    dd_sql_bind_text(st, 11, r->platform_token);
    dd_sql_bind_text(st, 12, r->arch);
    dd_sql_bind_text(st, 13, counts_text);
    dd_sql_bind_text(st, 14, basic_text);
    if (inv_text != NULL)
        dd_sql_bind_blob(st, 15, inv_text, strlen(inv_text));
    dd_sql_bind_text(st, 16, layers_text);
    if ((rc = dd_sql_run(c, st, err)) != 0)
        goto out;
    if (enhanced && r->has_inv && r->has_match &&
        (rc = dd_scan_index_packages(c, repo, digest, &r->inv, &r->m, err)) != 0)
        goto out;
    if (enhanced && !initial_done && s->ev != NULL) {
        char *arn = repo_arn(s, repo);
        json_t *detail =
            json_pack("{s:s,s:s,s:o,s:s,s:O,s:s}", "scan-status", "INITIAL_SCAN_COMPLETE",
                      "repository-name", arn != NULL ? arn : "", "finding-severity-counts",
                      scan_counts != NULL ? json_incref(scan_counts)
                                          : json_pack("{s:i,s:i,s:i,s:i}", "CRITICAL", 0, "HIGH", 0,
                                                      "MEDIUM", 0, "TOTAL", 0),
                      "image-digest", digest, "image-tags", meta.tags, "version", "1.0");
        json_t *res = json_pack("[s]", arn != NULL ? arn : "");
        rc = dd_events_append(s->ev, c, "aws.inspector2", "Inspector2 Scan", res, detail, err);
        json_decref(detail);
        json_decref(res);
        dd_free(arn);
    }
out:
    json_decref(meta.tags);
    json_decref(docs);
    json_decref(scan_counts);
    json_decref(counts);
    json_decref(basic);
    json_decref(layers);
    dd_free(inv_text);
    free(counts_text);
    free(basic_text);
    free(layers_text);
    dd_free(resource_id);
    return rc;
}

static const char SQL_REMATCH_DONE[] =
    "UPDATE scan_images SET completed_at = ?3, vulndb_updated_at = ?4, last_scanned_at = ?3,"
    " severity_counts = ?5 WHERE repo = ?1 AND digest = ?2 AND scan_type = 'ENHANCED'";

int dd_scan_apply_rematch(dd_scanning *s, dd_sql_conn *c, const char *repo, const char *digest,
                          const dd_inventory *inv, const dd_match_result *m,
                          const dd_strlist *layers, const char *arch, const char *platform,
                          const json_t *scope, int64_t vulndb_built_ms, int64_t now,
                          dd_findings_delta *d, dd_err *err)
{
    image_meta meta;
    char *resource_id =
        dd_asprintf("arn:aws:ecr:%s:%s:repository/%s/%s", s->region, s->account, repo, digest);
    int rc = resource_id != NULL ? load_meta(c, repo, digest, &meta, err) : DD_ENOMEM;
    json_t *docs = NULL;
    if (rc == 0) {
        dd_scan_image_meta im = {s->account, s->region,      repo, digest,   resource_id,
                                 meta.tags,  meta.pushed_at, arch, platform, layers};
        docs = dd_scan_finding_docs(m, inv, &im);
        rc = docs != NULL
                 ? dd_findings_sync_scoped(c, s->ev, repo, digest, docs, scope, now, d, err)
                 : DD_ENOMEM;
        json_decref(meta.tags);
    }
    if (rc == 0 && d->created + d->updated + d->closed > 0) {
        json_t *counts = NULL, *scan_counts = NULL;
        rc = image_counts(c, repo, digest, &counts, &scan_counts, err);
        char *ct = counts != NULL ? json_dumps(counts, JSON_COMPACT) : NULL;
        json_decref(scan_counts);
        sqlite3_stmt *st;
        if (rc == 0 && ct == NULL)
            rc = DD_ENOMEM;
        if (rc == 0 && (rc = dd_sql_stmt(c, SQL_REMATCH_DONE, &st, err)) == 0) {
            dd_sql_bind_text(st, 1, repo);
            dd_sql_bind_text(st, 2, digest);
            dd_sql_bind_int(st, 3, now);
            dd_sql_bind_int(st, 4, vulndb_built_ms > 0 ? vulndb_built_ms : now);
            dd_sql_bind_text(st, 5, ct);
            rc = dd_sql_run(c, st, err);
        }
        free(ct);
        json_decref(counts);
    }
    json_decref(docs);
    dd_free(resource_id);
    return rc;
}

static int run_one(dd_scanning *s, bool *ran, dd_err *err)
{
    *ran = false;
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    sqlite3_stmt *st;
    int64_t now = now_ms(s);
    char repo[512] = "", digest[DD_DIGEST_STR_MAX] = "", type[16] = "";
    int64_t id = 0;
    int attempts = 0;
    int rc = dd_sql_stmt(c, SQL_CLAIM, &st, err);
    if (rc == 0) {
        dd_sql_bind_int(st, 1, now + LEASE_MS);
        dd_sql_bind_int(st, 2, now);
        rc = dd_sql_step(c, st, err);
        if (rc == 1) {
            id = sqlite3_column_int64(st, 0);
            snprintf(repo, sizeof(repo), "%s", dd_sql_col_text(st, 1));
            snprintf(digest, sizeof(digest), "%s", dd_sql_col_text(st, 2));
            snprintf(type, sizeof(type), "%s", dd_sql_col_text(st, 3));
            attempts = sqlite3_column_int(st, 4);
            rc = dd_sql_run(c, st, err); /* finish the statement so the write commits */
        }
    }
    dd_sql_release(s->sql, c);
    if (rc != 0 || id == 0)
        return rc;
    *ran = true;

    scan_result r;
    dd_err serr = DD_ERR_INIT;
    int64_t t0 = now_ms(s);
    int src = scan_image(s, repo, digest, &r, &serr);
    c = dd_sql_acquire(s->sql);
    now = now_ms(s);
    rc = dd_sql_begin(c, err);
    if (rc == 0 && (rc = dd_sql_stmt(c, SQL_JOB_ALIVE, &st, err)) == 0) {
        dd_sql_bind_int(st, 1, id);
        rc = dd_sql_step(c, st, err);
        if (rc == 1)
            sqlite3_reset(st);
        bool alive = rc == 1;
        rc = rc < 0 ? rc : 0;
        if (rc == 0 && !alive) { /* deleted meanwhile (image or repository gone) */
            dd_sql_rollback(c);
            goto done;
        }
    }
    if (rc == 0 && src == 0) {
        dd_findings_delta delta = {0, 0, 0, 0};
        rc = record_results(s, c, repo, digest, type, &r, now, &delta, err);
        if (rc == 0 && (rc = dd_sql_stmt(c, SQL_JOB_DONE, &st, err)) == 0) {
            dd_sql_bind_int(st, 1, id);
            rc = dd_sql_run(c, st, err);
        }
        if (rc == 0) {
            char ms[32], nf[32];
            snprintf(ms, sizeof(ms), "%lld", (long long)(now - t0));
            snprintf(nf, sizeof(nf), "%zu", r.has_match ? r.m.n : 0);
            dd_log(DD_LOG_INFO, "scan_complete", "repository", repo, "digest", digest, "type", type,
                   "findings", nf, "duration_ms", ms, NULL);
        }
    } else if (rc == 0) {
        /* the scan failed: retry with back-off, then record FAILED */
        dd_log(DD_LOG_WARN, "scan_failed", "repository", repo, "digest", digest, "error", serr.msg,
               NULL);
        if (attempts < s->o.max_attempts) {
            if ((rc = dd_sql_stmt(c, SQL_JOB_RETRY, &st, err)) == 0) {
                dd_sql_bind_int(st, 1, now + 2000LL * (1LL << (attempts < 10 ? attempts : 10)));
                dd_sql_bind_text(st, 2, serr.msg);
                dd_sql_bind_int(st, 3, id);
                rc = dd_sql_run(c, st, err);
            }
        } else {
            char desc[200];
            snprintf(desc, sizeof(desc), "The scan failed: %.160s", serr.msg);
            if ((rc = dd_sql_stmt(c, SQL_RECORD_FAILED, &st, err)) == 0) {
                dd_sql_bind_text(st, 1, repo);
                dd_sql_bind_text(st, 2, digest);
                dd_sql_bind_text(st, 3, type);
                dd_sql_bind_text(st, 4, desc);
                rc = dd_sql_run(c, st, err);
            }
            if (rc == 0 && (rc = dd_sql_stmt(c, SQL_JOB_DONE, &st, err)) == 0) {
                dd_sql_bind_int(st, 1, id);
                rc = dd_sql_run(c, st, err);
            }
        }
    }
    if (rc == 0)
        rc = dd_sql_commit(c, err);
done:
    dd_sql_release(s->sql, c);
    scan_result_free(&r); /* scan_image zeroes it first, so this holds on failure too */
    dd_events_kick(s->ev);
    return rc;
}

int dd_scanning_run_jobs(dd_scanning *s, size_t *n_run, dd_err *err)
{
    size_t n = 0;
    for (;;) {
        bool ran = false;
        int rc = run_one(s, &ran, err);
        if (rc != 0)
            return rc;
        if (!ran)
            break;
        n++;
    }
    if (n_run != NULL)
        *n_run = n;
    return 0;
}

/* ---- tick: leases, lost jobs, expiry, retention, DB changes ---- */

static const char SQL_EXPIRED_LEASES[] =
    "UPDATE scan_jobs SET state = 'queued', lease_until = NULL WHERE state = 'running' AND"
    " lease_until < ?";
static const char SQL_LOST[] =
    "SELECT r.name, m.digest, m.media_type FROM manifests m JOIN repositories r ON r.id ="
    " m.repo_id JOIN scan_repos s ON s.repo = r.name WHERE s.frequency != 'MANUAL' AND NOT"
    " EXISTS (SELECT 1 FROM scan_images i WHERE i.repo = r.name AND i.digest = m.digest AND"
    " i.scan_type = 'ENHANCED')";
static const char SQL_ACTIVE_IMAGES[] =
    "SELECT i.repo, i.digest, m.pushed_at, COALESCE(m.last_pulled_at, 0),"
    " COALESCE(i.activated_at, 0) FROM scan_images i JOIN repositories r ON r.name = i.repo"
    " JOIN manifests m ON m.repo_id = r.id AND m.digest = i.digest WHERE i.scan_type ="
    " 'ENHANCED' AND i.status IN ('ACTIVE', 'PENDING', 'IN_PROGRESS')";
static const char SQL_EXPIRE[] =
    "UPDATE scan_images SET status = 'SCAN_ELIGIBILITY_EXPIRED', description = ?3,"
    " reason = 'SCAN_ELIGIBILITY_EXPIRED' WHERE repo = ?1 AND digest = ?2 AND"
    " scan_type = 'ENHANCED'";

static int64_t duration_days(const char *d)
{
    if (d == NULL || strncmp(d, "DAYS_", 5) != 0)
        return -1; /* LIFETIME */
    return strtoll(d + 5, NULL, 10);
}

/* Images whose continuous-scan window lapsed (spec 4.3 B) become SCAN_ELIGIBILITY_EXPIRED and
 * their findings are closed. */
static int expire(dd_scanning *s, dd_sql_conn *c, int64_t now, size_t *n_expired, dd_err *err)
{
    json_t *cfg = inspector_load(c, err);
    if (cfg == NULL)
        return DD_EDB;
    int64_t push_days = duration_days(json_string_value(json_object_get(cfg, "rescanDuration")));
    int64_t pull_days =
        duration_days(json_string_value(json_object_get(cfg, "pullDateRescanDuration")));
    json_decref(cfg);
    *n_expired = 0;
    if (push_days < 0)
        return 0;
    sqlite3_stmt *st;
    dd_strlist repos = {0}, digests = {0};
    int rc = dd_sql_stmt(c, SQL_ACTIVE_IMAGES, &st, err);
    if (rc != 0)
        return rc;
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        int64_t pushed = sqlite3_column_int64(st, 2), pulled = sqlite3_column_int64(st, 3);
        int64_t activated = sqlite3_column_int64(st, 4);
        int64_t from = activated > pushed ? activated : pushed;
        bool ok = now - from <= push_days * DAY_MS ||
                  (pull_days > 0 && pulled > 0 && now - pulled <= pull_days * DAY_MS);
        if (!ok && ((rc = dd_strlist_push_str(&repos, dd_sql_col_text(st, 0))) != 0 ||
                    (rc = dd_strlist_push_str(&digests, dd_sql_col_text(st, 1))) != 0)) {
            sqlite3_reset(st);
            break;
        }
    }
    for (size_t i = 0; rc == 0 && i < repos.n; i++) {
        size_t n;
        rc = dd_findings_close(c, s->ev, repos.items[i], digests.items[i],
                               "SCAN_ELIGIBILITY_EXPIRED", now, &n, err);
        if (rc == 0 && (rc = dd_sql_stmt(c, SQL_EXPIRE, &st, err)) == 0) {
            dd_sql_bind_text(st, 1, repos.items[i]);
            dd_sql_bind_text(st, 2, digests.items[i]);
            dd_sql_bind_text(st, 3, DESC_EXPIRED);
            rc = dd_sql_run(c, st, err);
        }
        if (rc == 0)
            rc = exec_repo(c, SQL_IMAGE_JOBS_DELETE, repos.items[i], digests.items[i], err);
    }
    *n_expired = repos.n;
    dd_strlist_free(&repos);
    dd_strlist_free(&digests);
    return rc;
}

int dd_scanning_tick(dd_scanning *s, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    sqlite3_stmt *st;
    int64_t now = now_ms(s);
    size_t n_expired = 0, n_purged = 0;
    json_t *cfg = NULL;
    int rc = dd_sql_begin(c, err);
    if (rc == 0 && (rc = dd_sql_stmt(c, SQL_EXPIRED_LEASES, &st, err)) == 0) {
        dd_sql_bind_int(st, 1, now);
        rc = dd_sql_run(c, st, err);
    }
    if (rc == 0 && (cfg = dd_scan_config_load(c, err)) == NULL)
        rc = DD_EDB;
    if (rc == 0 && cfg_enhanced(cfg)) {
        /* pushes whose hook was lost to a crash between the manifest commit and the queueing */
        dd_strlist repos = {0}, digests = {0};
        if ((rc = dd_sql_stmt(c, SQL_LOST, &st, err)) == 0) {
            while ((rc = dd_sql_step(c, st, err)) == 1)
                if (!is_index(dd_sql_col_text(st, 2)) &&
                    ((rc = dd_strlist_push_str(&repos, dd_sql_col_text(st, 0))) != 0 ||
                     (rc = dd_strlist_push_str(&digests, dd_sql_col_text(st, 1))) != 0)) {
                    sqlite3_reset(st);
                    break;
                }
        }
        for (size_t i = 0; rc == 0 && i < repos.n; i++) {
            dd_scan_freq f = dd_scan_effective(cfg, repos.items[i], false, NULL);
            rc = put_record(c, repos.items[i], digests.items[i], "ENHANCED", "PENDING",
                            DESC_PENDING, "PENDING_INITIAL_SCAN", f, now, err);
            if (rc == 0)
                rc = queue_job(c, repos.items[i], digests.items[i], "ENHANCED", now, err);
        }
        dd_strlist_free(&repos);
        dd_strlist_free(&digests);
        if (rc == 0)
            rc = expire(s, c, now, &n_expired, err);
    }
    if (rc == 0)
        rc = dd_findings_purge(c, now, &n_purged, err);
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(s->sql, c);
    json_decref(cfg);
    dd_events_kick(s->ev);
    if (rc == 0 && s->ev != NULL && s->o.event_retention_ms > 0) {
        size_t n_events = 0;
        rc = dd_events_purge(s->ev, now - s->o.event_retention_ms, &n_events, err);
    }
    if (rc == 0 && n_expired > 0) {
        char n[32];
        snprintf(n, sizeof(n), "%zu", n_expired);
        dd_log(DD_LOG_INFO, "scan_expired", "images", n, NULL);
    }
    if (rc == 0) {
        dd_rematch_stats rs;
        rc = dd_scanning_rematch(s, false, &rs, err);
    }
    wake(s);
    return rc;
}

/* ---- stored inventories ---- */

static const char SQL_INVENTORY[] =
    "SELECT inventory, layers, arch, completed_at FROM scan_images WHERE repo = ? AND digest = ?"
    " AND inventory IS NOT NULL ORDER BY scan_type = 'ENHANCED' DESC LIMIT 1";

int dd_scanning_image_inventory(dd_scanning *s, const char *repo, const char *digest,
                                dd_stored_inventory *out, dd_err *err)
{
    memset(out, 0, sizeof(*out));
    dd_sql_conn *c = dd_sql_acquire(s->sql);
    sqlite3_stmt *st;
    json_t *layers = NULL;
    int rc = dd_sql_stmt(c, SQL_INVENTORY, &st, err);
    if (rc == 0) {
        dd_sql_bind_text(st, 1, repo);
        dd_sql_bind_text(st, 2, digest);
        rc = dd_sql_step(c, st, err);
        if (rc == 0)
            rc = DD_ENOTFOUND;
    }
    if (rc == 1) {
        rc = dd_scan_inventory_parse(&out->inv, sqlite3_column_blob(st, 0),
                                     (size_t)sqlite3_column_bytes(st, 0), NULL, 0, err);
        layers = json_loads(dd_sql_col_text(st, 1), 0, NULL);
        const char *arch = dd_sql_col_text(st, 2);
        out->platform = dd_asprintf("linux/%s", *arch ? arch : "amd64");
        out->scanned_at_ms = sqlite3_column_int64(st, 3);
        sqlite3_reset(st);
        size_t k;
        json_t *l;
        json_array_foreach(layers, k, l) if (rc == 0 && json_is_string(l)) rc =
            dd_strlist_push_str(&out->layers, json_string_value(l));
    }
    dd_sql_release(s->sql, c);
    json_decref(layers);
    if (rc != 0)
        dd_stored_inventory_free(out);
    return rc;
}

void dd_stored_inventory_free(dd_stored_inventory *si)
{
    if (si == NULL)
        return;
    dd_inventory_free(&si->inv);
    dd_strlist_free(&si->layers);
    dd_free(si->platform);
    dd_free(si->config_digest);
    memset(si, 0, sizeof(*si));
}
