/* The findings table and its write path: the scanner's per-image sync (create, update, reopen,
 * close), status changes from suppression rules, retention, and the "Inspector2 Finding" event for
 * every change, appended in the caller's transaction. */
#include "findings/findings.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/digest.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const MIGRATIONS[] = {
    "CREATE TABLE findings ("
    " arn TEXT PRIMARY KEY,"
    " repo TEXT NOT NULL,"
    " digest TEXT NOT NULL,"
    " vuln_id TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " severity TEXT NOT NULL,"
    " score REAL,"
    " fix_available TEXT,"
    " exploit_available TEXT,"
    " first_observed_at INTEGER NOT NULL,"
    " last_observed_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " closed_at INTEGER,"
    " close_reason TEXT,"
    " content_hash TEXT NOT NULL,"
    " pkgs TEXT NOT NULL DEFAULT '',"
    " doc TEXT NOT NULL);"
    "CREATE INDEX findings_image ON findings (repo, digest);"
    "CREATE INDEX findings_updated ON findings (updated_at);"
    "CREATE INDEX findings_vuln ON findings (vuln_id);",
};

int dd_findings_migrate(dd_sql *s, dd_err *err)
{
    int rc =
        dd_sql_migrate(s, "findings", MIGRATIONS, sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0]), err);
    return rc != 0 ? rc : dd_findings_migrate_inspector(s, err);
}

/* Content hash of a finding as the scanner built it (no status or timestamps): compact JSON with
 * sorted keys, so equal content hashes equal. */
static int content_hash(const json_t *f, char out[DD_DIGEST_STR_MAX])
{
    char *s = json_dumps(f, JSON_COMPACT | JSON_SORT_KEYS);
    if (s == NULL)
        return DD_ENOMEM;
    int rc = dd_digest_buf(out, s, strlen(s));
    free(s);
    return rc;
}

static json_t *time_json(int64_t ms)
{
    return json_real((double)ms / 1000.0);
}

/* A stored doc: the scanner's content plus status and the three timestamps. */
static json_t *make_doc(const json_t *content, const char *status, int64_t first, int64_t last,
                        int64_t updated)
{
    json_t *d = json_deep_copy(content);
    if (d == NULL)
        return NULL;
    json_object_set_new(d, "status", json_string(status));
    json_object_set_new(d, "firstObservedAt", time_json(first));
    json_object_set_new(d, "lastObservedAt", time_json(last));
    json_object_set_new(d, "updatedAt", time_json(updated));
    return d;
}

/* "Tue Mar 04 10:21:07.512 UTC 2025" */
static json_t *event_time(const json_t *v)
{
    if (!json_is_number(v))
        return NULL;
    double secs = json_number_value(v);
    time_t t = (time_t)floor(secs);
    int ms = (int)llround((secs - floor(secs)) * 1000.0);
    if (ms >= 1000)
        ms = 999;
    struct tm tm;
    gmtime_r(&t, &tm);
    char date[32], out[64];
    strftime(date, sizeof(date), "%a %b %d %H:%M:%S", &tm);
    snprintf(out, sizeof(out), "%s.%03d UTC %d", date, ms, tm.tm_year + 1900);
    return json_string(out);
}

static void convert_time(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    json_t *s = event_time(v);
    if (s != NULL)
        json_object_set_new(obj, key, s);
}

json_t *dd_finding_event_detail(const json_t *finding)
{
    json_t *d = json_deep_copy(finding);
    if (d == NULL)
        return NULL;
    convert_time(d, "firstObservedAt");
    convert_time(d, "lastObservedAt");
    convert_time(d, "updatedAt");
    json_t *pvd = json_object_get(d, "packageVulnerabilityDetails");
    if (pvd != NULL) {
        convert_time(pvd, "vendorCreatedAt");
        convert_time(pvd, "vendorUpdatedAt");
    }
    json_t *ed = json_object_get(d, "exploitabilityDetails");
    if (ed != NULL)
        convert_time(ed, "lastKnownExploitAt");
    size_t i;
    json_t *res;
    json_array_foreach(json_object_get(d, "resources"), i, res)
    {
        json_object_set_new(res, "provider", json_string("AWS"));
        json_object_set(res, "providerAccountId", json_object_get(d, "awsAccountId"));
        json_t *details = json_object_get(res, "details");
        json_t *img = json_object_get(details, "awsEcrContainerImage");
        if (img == NULL)
            continue;
        convert_time(img, "pushedAt");
        convert_time(img, "lastInUseAt");
        json_t *neutral = json_object();
        const char *keys[] = {"repositoryName", "registry",     "imageTags",
                              "pushedAt",       "architecture", "platform"};
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
            json_t *v = json_object_get(img, keys[k]);
            if (v != NULL)
                json_object_set(neutral, keys[k], v);
        }
        json_object_set(neutral, "imageDigest", json_object_get(img, "imageHash"));
        json_object_set_new(details, "image", neutral);
    }
    return d;
}

static int emit(dd_sql_conn *c, dd_events *ev, const json_t *doc, dd_err *err)
{
    if (ev == NULL)
        return 0;
    json_t *detail = dd_finding_event_detail(doc);
    json_t *resources = json_array();
    if (detail == NULL || resources == NULL) {
        json_decref(detail);
        json_decref(resources);
        return DD_ENOMEM;
    }
    json_t *res0 = json_array_get(json_object_get(doc, "resources"), 0);
    if (json_is_string(json_object_get(res0, "id")))
        json_array_append(resources, json_object_get(res0, "id"));
    int rc =
        dd_events_append(ev, c, "aws.inspector2", "Inspector2 Finding", resources, detail, err);
    json_decref(detail);
    json_decref(resources);
    return rc;
}

static const char SQL_UPSERT[] =
    "INSERT INTO findings (arn, repo, digest, vuln_id, status, severity, score, fix_available,"
    " exploit_available, first_observed_at, last_observed_at, updated_at, closed_at, close_reason,"
    " content_hash, doc, pkgs) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14,"
    " ?15, ?16, ?17) ON CONFLICT (arn) DO UPDATE SET status = ?5, severity = ?6, score = ?7,"
    " fix_available = ?8, exploit_available = ?9, first_observed_at = ?10,"
    " last_observed_at = ?11, updated_at = ?12, closed_at = ?13, close_reason = ?14,"
    " content_hash = ?15, doc = ?16, pkgs = ?17";

/* "\n" + each vulnerable package's name + "\n": what a re-match scopes findings by. */
static char *package_names(const json_t *doc)
{
    dd_buf b = DD_BUF_INIT(1u << 20);
    size_t i;
    json_t *vp;
    int rc = dd_buf_append(&b, "\n", 1);
    json_array_foreach(
        json_object_get(json_object_get(doc, "packageVulnerabilityDetails"), "vulnerablePackages"),
        i, vp)
    {
        const char *name = json_string_value(json_object_get(vp, "name"));
        if (rc == 0 && name != NULL && (rc = dd_buf_append_str(&b, name)) == 0)
            rc = dd_buf_append(&b, "\n", 1);
    }
    char *out = rc == 0 ? dd_buf_take(&b) : NULL;
    dd_buf_free(&b);
    return out;
}

/* Writes doc (with its status/timestamps) for image (repo, digest). */
static int store(dd_sql_conn *c, const char *repo, const char *digest, const json_t *doc,
                 const char *hash, int64_t first, int64_t last, int64_t updated, int64_t closed_at,
                 const char *close_reason, dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_UPSERT, &st, err);
    if (rc != 0)
        return rc;
    char *text = json_dumps(doc, JSON_COMPACT);
    if (text == NULL)
        return DD_ENOMEM;
    const json_t *pvd = json_object_get(doc, "packageVulnerabilityDetails");
    dd_sql_bind_text(st, 1, json_string_value(json_object_get(doc, "findingArn")));
    dd_sql_bind_text(st, 2, repo);
    dd_sql_bind_text(st, 3, digest);
    dd_sql_bind_text(st, 4, json_string_value(json_object_get(pvd, "vulnerabilityId")));
    dd_sql_bind_text(st, 5, json_string_value(json_object_get(doc, "status")));
    dd_sql_bind_text(st, 6, json_string_value(json_object_get(doc, "severity")));
    json_t *score = json_object_get(doc, "inspectorScore");
    if (json_is_number(score))
        dd_sql_bind_double(st, 7, json_number_value(score));
    dd_sql_bind_text(st, 8, json_string_value(json_object_get(doc, "fixAvailable")));
    dd_sql_bind_text(st, 9, json_string_value(json_object_get(doc, "exploitAvailable")));
    dd_sql_bind_int(st, 10, first);
    dd_sql_bind_int(st, 11, last);
    dd_sql_bind_int(st, 12, updated);
    if (closed_at > 0)
        dd_sql_bind_int(st, 13, closed_at);
    dd_sql_bind_text(st, 14, close_reason);
    dd_sql_bind_text(st, 15, hash);
    dd_sql_bind_text(st, 16, text);
    char *names = package_names(doc);
    dd_sql_bind_text(st, 17, names != NULL ? names : "");
    rc = dd_sql_run(c, st, err);
    dd_free(names);
    free(text);
    return rc;
}

typedef struct existing {
    char *arn;
    char *status;
    char *hash;
    int64_t first;
    int64_t last;
    char *vuln_id;
    json_t *doc; /* read only when the finding is written (most are unchanged) */
    bool seen;
} existing;

static void existing_free(existing *e, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dd_free(e[i].arn);
        dd_free(e[i].status);
        dd_free(e[i].hash);
        dd_free(e[i].vuln_id);
        json_decref(e[i].doc);
    }
    dd_free(e);
}

static const char SQL_IMAGE[] =
    "SELECT arn, status, content_hash, first_observed_at, last_observed_at, vuln_id FROM"
    " findings WHERE repo = ? AND digest = ? ORDER BY arn";
static const char SQL_REPO[] =
    "SELECT arn, status, content_hash, first_observed_at, last_observed_at, vuln_id FROM"
    " findings WHERE repo = ? ORDER BY arn";
static const char SQL_DOC[] = "SELECT doc FROM findings WHERE arn = ?";

static int load(dd_sql_conn *c, const char *repo, const char *digest, existing **out, size_t *n_out,
                dd_err *err)
{
    sqlite3_stmt *st;
    existing *v = NULL;
    size_t n = 0, cap = 0;
    int rc = dd_sql_stmt(c, digest != NULL ? SQL_IMAGE : SQL_REPO, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    if (digest != NULL)
        dd_sql_bind_text(st, 2, digest);
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            existing *nv = dd_realloc(v, ncap * sizeof(*nv));
            if (nv == NULL) {
                rc = DD_ENOMEM;
                break;
            }
            v = nv;
            cap = ncap;
        }
        existing *e = &v[n++];
        memset(e, 0, sizeof(*e));
        e->arn = dd_strdup(dd_sql_col_text(st, 0));
        e->status = dd_strdup(dd_sql_col_text(st, 1));
        e->hash = dd_strdup(dd_sql_col_text(st, 2));
        e->first = sqlite3_column_int64(st, 3);
        e->last = sqlite3_column_int64(st, 4);
        e->vuln_id = dd_strdup(dd_sql_col_text(st, 5));
        if (e->arn == NULL || e->status == NULL || e->hash == NULL || e->vuln_id == NULL) {
            rc = DD_ENOMEM;
            break;
        }
    }
    if (rc < 0) {
        sqlite3_reset(st);
        existing_free(v, n);
        return rc;
    }
    *out = v;
    *n_out = n;
    return 0;
}

static existing *find(existing *v, size_t n, const char *arn)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v[mid].arn, arn);
        if (c == 0)
            return &v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* Parses e's stored document on first use. */
static int existing_doc(dd_sql_conn *c, existing *e, dd_err *err)
{
    if (e->doc != NULL)
        return 0;
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_DOC, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, e->arn);
    if ((rc = dd_sql_step(c, st, err)) != 1)
        return rc < 0 ? rc : dd_err_set(err, DD_EDB, "finding %s vanished", e->arn);
    e->doc = json_loads(dd_sql_col_text(st, 0), 0, NULL);
    sqlite3_reset(st);
    if (e->doc == NULL)
        return dd_err_set(err, DD_EDB, "finding %s: stored document is not JSON", e->arn);
    return 0;
}

static int close_one(dd_sql_conn *c, dd_events *ev, const char *repo, const char *digest,
                     existing *e, const char *reason, int64_t now_ms, dd_err *err)
{
    int rc = existing_doc(c, e, err);
    if (rc != 0)
        return rc;
    json_object_set_new(e->doc, "status", json_string("CLOSED"));
    json_object_set_new(e->doc, "updatedAt", time_json(now_ms));
    rc = store(c, repo, digest, e->doc, e->hash, e->first, e->last, now_ms, now_ms, reason, err);
    return rc != 0 ? rc : emit(c, ev, e->doc, err);
}

int dd_findings_sync(dd_sql_conn *c, dd_events *ev, const char *repo, const char *digest,
                     json_t *current, int64_t now_ms, dd_findings_delta *delta, dd_err *err)
{
    return dd_findings_sync_scoped(c, ev, repo, digest, current, NULL, now_ms, delta, err);
}

static bool in_scope(const json_t *scope, const existing *e)
{
    return scope == NULL || json_object_get(scope, e->vuln_id) != NULL;
}

int dd_findings_sync_scoped(dd_sql_conn *c, dd_events *ev, const char *repo, const char *digest,
                            json_t *current, const json_t *scope, int64_t now_ms,
                            dd_findings_delta *delta, dd_err *err)
{
    existing *old = NULL;
    size_t n_old = 0;
    dd_findings_delta d = {0, 0, 0, 0};
    int rc = load(c, repo, digest, &old, &n_old, err);
    if (rc != 0)
        return rc;
    size_t i;
    json_t *f;
    json_array_foreach(current, i, f)
    {
        const char *arn = json_string_value(json_object_get(f, "findingArn"));
        if (arn == NULL) {
            rc = dd_err_set(err, DD_EINVALID, "finding without findingArn");
            goto out;
        }
        char hash[DD_DIGEST_STR_MAX];
        if ((rc = content_hash(f, hash)) != 0)
            goto out;
        existing *e = find(old, n_old, arn);
        if (e != NULL)
            e->seen = true;
        bool was_closed = e != NULL && strcmp(e->status, "CLOSED") == 0;
        if (e != NULL && !was_closed && strcmp(e->hash, hash) == 0) {
            d.unchanged++;
            continue;
        }
        bool suppressed = false;
        if ((rc = dd_findings_suppressed(c, f, &suppressed, err)) != 0)
            goto out;
        const char *status = suppressed ? "SUPPRESSED" : "ACTIVE";
        int64_t first = e != NULL ? e->first : now_ms;
        json_t *doc = make_doc(f, status, first, now_ms, now_ms);
        if (doc == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        rc = store(c, repo, digest, doc, hash, first, now_ms, now_ms, 0, NULL, err);
        if (rc == 0)
            rc = emit(c, ev, doc, err);
        json_decref(doc);
        if (rc != 0)
            goto out;
        if (e == NULL)
            d.created++;
        else
            d.updated++;
    }
    for (size_t k = 0; k < n_old; k++) {
        existing *e = &old[k];
        if (e->seen || strcmp(e->status, "CLOSED") == 0)
            continue;
        if (!in_scope(scope, e))
            continue;
        if ((rc = close_one(c, ev, repo, digest, e, "NOT_OBSERVED", now_ms, err)) != 0)
            goto out;
        d.closed++;
    }
    if (delta != NULL)
        *delta = d;
out:
    existing_free(old, n_old);
    return rc;
}

int dd_findings_close(dd_sql_conn *c, dd_events *ev, const char *repo, const char *digest,
                      const char *reason, int64_t now_ms, size_t *n_closed, dd_err *err)
{
    existing *old = NULL;
    size_t n_old = 0, n = 0;
    int rc = load(c, repo, digest, &old, &n_old, err);
    if (rc != 0)
        return rc;
    for (size_t k = 0; k < n_old && rc == 0; k++) {
        existing *e = &old[k];
        if (strcmp(e->status, "CLOSED") == 0)
            continue;
        if ((rc = existing_doc(c, e, err)) != 0)
            break;
        json_t *res0 = json_array_get(json_object_get(e->doc, "resources"), 0);
        json_t *img = json_object_get(json_object_get(res0, "details"), "awsEcrContainerImage");
        const char *hash = json_string_value(json_object_get(img, "imageHash"));
        rc = close_one(c, ev, repo, digest != NULL ? digest : (hash != NULL ? hash : ""), e, reason,
                       now_ms, err);
        n++;
    }
    existing_free(old, n_old);
    if (n_closed != NULL)
        *n_closed = n;
    return rc;
}

static const char SQL_IMAGE_PKGS[] =
    "SELECT vuln_id, pkgs FROM findings WHERE repo = ? AND digest = ? AND status != 'CLOSED'";

int dd_findings_ids_for_packages(dd_sql_conn *c, const char *repo, const char *digest,
                                 const dd_strlist *names, json_t *ids, dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_IMAGE_PKGS, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    dd_sql_bind_text(st, 2, digest);
    char line[1100];
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        const char *pkgs = dd_sql_col_text(st, 1);
        for (size_t i = 0; i < names->n; i++) {
            snprintf(line, sizeof(line), "\n%s\n", names->items[i]);
            if (strstr(pkgs, line) != NULL) {
                json_object_set_new(ids, dd_sql_col_text(st, 0), json_true());
                break;
            }
        }
    }
    return rc;
}

static const char SQL_ONE[] =
    "SELECT repo, digest, status, content_hash, first_observed_at, last_observed_at, doc"
    " FROM findings WHERE arn = ?";

int dd_findings_set_status(dd_sql_conn *c, dd_events *ev, const char *arn, const char *status,
                           int64_t now_ms, dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_ONE, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, arn);
    if ((rc = dd_sql_step(c, st, err)) <= 0)
        return rc == 0 ? dd_err_set(err, DD_ENOTFOUND, "finding %s not found", arn) : rc;
    char *repo = dd_strdup(dd_sql_col_text(st, 0));
    char *digest = dd_strdup(dd_sql_col_text(st, 1));
    char *cur = dd_strdup(dd_sql_col_text(st, 2));
    char *hash = dd_strdup(dd_sql_col_text(st, 3));
    int64_t first = sqlite3_column_int64(st, 4), last = sqlite3_column_int64(st, 5);
    json_t *doc = json_loads(dd_sql_col_text(st, 6), 0, NULL);
    sqlite3_reset(st);
    if (repo == NULL || digest == NULL || cur == NULL || hash == NULL || doc == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if (strcmp(cur, status) == 0 || strcmp(cur, "CLOSED") == 0)
        goto out;
    json_object_set_new(doc, "status", json_string(status));
    json_object_set_new(doc, "updatedAt", time_json(now_ms));
    rc = store(c, repo, digest, doc, hash, first, last, now_ms, 0, NULL, err);
    if (rc == 0)
        rc = emit(c, ev, doc, err);
out:
    dd_free(repo);
    dd_free(digest);
    dd_free(cur);
    dd_free(hash);
    json_decref(doc);
    return rc;
}

static const char SQL_PURGE[] =
    "DELETE FROM findings WHERE status = 'CLOSED' AND ((close_reason IN ('RESOURCE_TERMINATED',"
    " 'SCAN_ELIGIBILITY_EXPIRED', 'SCAN_FREQUENCY_MANUAL') AND closed_at < ?1) OR closed_at < ?2)";

int dd_findings_purge(dd_sql_conn *c, int64_t now_ms, size_t *n_purged, dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_PURGE, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_int(st, 1, now_ms - 3 * 86400000LL);
    dd_sql_bind_int(st, 2, now_ms - 30 * 86400000LL);
    rc = dd_sql_run(c, st, err);
    if (rc == 0 && n_purged != NULL)
        *n_purged = (size_t)dd_sql_changes(c);
    return rc;
}
