/* Tests for src/scanning: ECR's filter grammar and WILDCARD matching (the spec's table), the
 * configuration rules, effective frequencies, and the state machine on an injected clock: the
 * initial-eligibility sweep (30-day push / 90-day pull windows), re-push making an expired image
 * eligible, frequency changes, StartImageScan under ENHANCED, rescan-duration expiry closing
 * findings, image deletion, and the events each change writes to the outbox. Images are
 * registered in the metadata store directly (no blobs): these tests never run a scan job. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/db.h"
#include "events/events.h"
#include "findings/findings.h"
#include "scanning/scanning.h"
#include "sql/sql.h"
#include "util/alloc.h"
#include "util/digest.h"

#define DAY 86400000LL
#define T0 1790000000000LL /* 2026-09-21 */

typedef struct fixture {
    char dir[64];
    int64_t now;
    dd_clock clock;
    dd_db *db;
    dd_sql *sql;
    dd_events *ev;
    dd_scanning *s;
} fixture;

static int64_t fake_now(void *ctx)
{
    return ((fixture *)ctx)->now;
}

static int setup(void **state)
{
    fixture *f = dd_calloc(1, sizeof(*f));
    dd_err err = DD_ERR_INIT;
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/dd_test_scan_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/metadata.sqlite", f->dir);
    f->now = T0;
    f->clock.now_ms = fake_now;
    f->clock.ctx = f;
    assert_int_equal(dd_db_open_sqlite(&f->db, path, &err), 0);
    assert_int_equal(dd_sql_open(&f->sql, path, 4, &err), 0);
    dd_events_options eo;
    memset(&eo, 0, sizeof(eo));
    eo.account = "123456789012";
    eo.region = "us-east-1";
    assert_int_equal(dd_events_open(&f->ev, f->sql, &f->clock, &eo, &err), 0);
    dd_scanning_options so;
    memset(&so, 0, sizeof(so));
    so.data_dir = f->dir;
    so.vulndb_path = "";
    so.account = "123456789012";
    so.region = "us-east-1";
    assert_int_equal(dd_scanning_open(&f->s, f->sql, f->db, NULL, f->ev, &f->clock, &so, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    dd_scanning_close(f->s);
    dd_events_close(f->ev);
    dd_sql_close(f->sql);
    dd_db_close(f->db);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    dd_free(f);
    return 0;
}

/* Registers a manifest (as the registry would after a push) at the fixture's current time. */
static void push(fixture *f, const char *repo, const char *name, char digest[DD_DIGEST_STR_MAX])
{
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_digest_buf(digest, name, strlen(name)), 0);
    assert_int_equal(dd_db_blob_link(f->db, repo, digest, strlen(name), f->now, &err), 0);
    dd_db_manifest_in m = {repo,
                           digest,
                           "application/vnd.oci.image.manifest.v1+json",
                           NULL,
                           NULL,
                           NULL,
                           strlen(name),
                           name,
                           NULL,
                           0,
                           f->now};
    assert_int_equal(dd_db_manifest_put(f->db, &m, &err), 0);
    assert_int_equal(dd_scanning_image_pushed(f->s, repo, digest, m.media_type, &err), 0);
}

static void status_of(fixture *f, const char *repo, const char *digest, char *out, size_t len)
{
    dd_scan_view v;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_scanning_image_view(f->s, repo, digest, &v, &err), 0);
    snprintf(out, len, "%s", v.has_record ? v.status : "(none)");
    dd_scan_view_free(&v);
}

static void assert_status(fixture *f, const char *repo, const char *digest, const char *want)
{
    char got[64];
    status_of(f, repo, digest, got, sizeof(got));
    assert_string_equal(got, want);
}

static void put_config(fixture *f, const char *json)
{
    dd_err err = DD_ERR_INIT;
    json_t *cfg = json_loads(json, 0, NULL);
    assert_non_null(cfg);
    int rc = dd_scanning_config_put(f->s, cfg, NULL, &err);
    if (rc != 0)
        fail_msg("config_put: %d %s", rc, err.msg);
    json_decref(cfg);
}

/* Number of outbox rows of detail_type (the events module's table). */
static int count_events(fixture *f, const char *detail_type)
{
    dd_sql_conn *c = dd_sql_acquire(f->sql);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(dd_sql_handle(c),
                                        "SELECT count(*) FROM outbox WHERE detail_type = ?", -1,
                                        &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, detail_type, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    dd_sql_release(f->sql, c);
    return n;
}

static void test_filter_table(void **state)
{
    (void)state;
    /* spec 3.2: rows are filters, columns prod, repo-prod, prod-repo, repo-prod-repo, prodrepo */
    const char *names[] = {"prod", "repo-prod", "prod-repo", "repo-prod-repo", "prodrepo"};
    const struct {
        const char *filter;
        const char *want;
    } rows[] = {{"prod", "YYYYY"},
                {"*prod", "YYNNN"},
                {"prod*", "YNYNY"},
                {"*prod*", "YYYYY"},
                {"prod*repo", "NNYNY"}};
    for (size_t r = 0; r < 5; r++)
        for (size_t k = 0; k < 5; k++) {
            bool got = dd_scan_filter_match(rows[r].filter, names[k]);
            if (got != (rows[r].want[k] == 'Y'))
                fail_msg("filter %s on %s: got %d", rows[r].filter, names[k], got);
        }
    assert_true(dd_scan_filter_match("*", "team-a/svc"));
    assert_true(dd_scan_filter_match("team-a/*", "team-a/x/y"));
    assert_false(dd_scan_filter_match("team-a/*", "team-b/x"));
    assert_true(dd_scan_filter_match("a**b", "ab"));
    const char *valid[] = {"*", "team-a/*", "a.b_c/d-e", "a**b", "prod"};
    const char *invalid[] = {"a--b", "a/", "-a", "A", "", "a b", "a//b"};
    for (size_t i = 0; i < 5; i++)
        assert_true(dd_scan_filter_valid(valid[i]));
    for (size_t i = 0; i < 7; i++)
        if (dd_scan_filter_valid(invalid[i]))
            fail_msg("'%s' accepted", invalid[i]);
}

static void test_config_rules(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    json_t *cfg = NULL, *stored = NULL;
    /* never configured: BASIC, no rules */
    assert_int_equal(dd_scanning_config_get(f->s, &cfg, &err), 0);
    assert_string_equal(json_string_value(json_object_get(cfg, "scanType")), "BASIC");
    assert_int_equal(json_array_size(json_object_get(cfg, "rules")), 0);
    json_decref(cfg);
    /* ENHANCED without rules: continuous for everything */
    cfg = json_pack("{s:s}", "scanType", "ENHANCED");
    assert_int_equal(dd_scanning_config_put(f->s, cfg, &stored, &err), 0);
    json_decref(cfg);
    json_t *rule = json_array_get(json_object_get(stored, "rules"), 0);
    assert_string_equal(json_string_value(json_object_get(rule, "scanFrequency")),
                        "CONTINUOUS_SCAN");
    json_decref(stored);
    /* refused: CONTINUOUS under BASIC, two rules of one frequency, bad filter, 3 rules, bad type */
    const char *bad[] = {
        "{\"scanType\":\"BASIC\",\"rules\":[{\"scanFrequency\":\"CONTINUOUS_SCAN\","
        "\"repositoryFilters\":[{\"filter\":\"*\",\"filterType\":\"WILDCARD\"}]}]}",
        "{\"scanType\":\"ENHANCED\",\"rules\":[{\"scanFrequency\":\"SCAN_ON_PUSH\","
        "\"repositoryFilters\":[]},{\"scanFrequency\":\"SCAN_ON_PUSH\",\"repositoryFilters\":[]}]}",
        "{\"scanType\":\"ENHANCED\",\"rules\":[{\"scanFrequency\":\"SCAN_ON_PUSH\","
        "\"repositoryFilters\":[{\"filter\":\"Prod\",\"filterType\":\"WILDCARD\"}]}]}",
        "{\"scanType\":\"ENHANCED\",\"rules\":[{},{},{}]}",
        "{\"scanType\":\"FULL\"}",
        "{\"scanType\":\"ENHANCED\",\"rules\":[{\"scanFrequency\":\"SCAN_ON_PUSH\","
        "\"repositoryFilters\":[{\"filter\":\"a\",\"filterType\":\"PREFIX\"}]}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cfg = json_loads(bad[i], 0, NULL);
        assert_non_null(cfg);
        if (dd_scanning_config_put(f->s, cfg, NULL, &err) != DD_EINVALID)
            fail_msg("accepted: %s", bad[i]);
        json_decref(cfg);
    }
    /* the refused ones changed nothing */
    assert_true(dd_scanning_enhanced(f->s));
}

static void test_effective_frequency(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char d[DD_DIGEST_STR_MAX];
    push(f, "prod/api", "m1", d);
    push(f, "dev/tool", "m2", d);
    push(f, "other", "m3", d);
    put_config(f, "{\"scanType\":\"ENHANCED\",\"rules\":["
                  "{\"scanFrequency\":\"SCAN_ON_PUSH\",\"repositoryFilters\":[{\"filter\":\"*\","
                  "\"filterType\":\"WILDCARD\"}]},"
                  "{\"scanFrequency\":\"CONTINUOUS_SCAN\",\"repositoryFilters\":[{\"filter\":"
                  "\"prod\",\"filterType\":\"WILDCARD\"}]}]}");
    dd_scan_repo_view v;
    assert_int_equal(dd_scanning_repo_view(f->s, "prod/api", &v, &err), 0);
    assert_int_equal(v.frequency, DD_FREQ_CONTINUOUS); /* continuous wins when both match */
    assert_true(v.scan_on_push);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(v.applied_filters, 0), "filter")), "prod");
    json_decref(v.applied_filters);
    assert_int_equal(dd_scanning_repo_view(f->s, "dev/tool", &v, &err), 0);
    assert_int_equal(v.frequency, DD_FREQ_SCAN_ON_PUSH);
    json_decref(v.applied_filters);
    put_config(f, "{\"scanType\":\"ENHANCED\",\"rules\":[{\"scanFrequency\":\"CONTINUOUS_SCAN\","
                  "\"repositoryFilters\":[{\"filter\":\"prod*\",\"filterType\":\"WILDCARD\"}]}]}");
    assert_int_equal(dd_scanning_repo_view(f->s, "other", &v, &err), 0);
    assert_int_equal(v.frequency, DD_FREQ_MANUAL); /* no match: off */
    assert_false(v.scan_on_push);
    assert_int_equal(json_array_size(v.applied_filters), 0);
    json_decref(v.applied_filters);
    assert_int_equal(dd_scanning_repo_view(f->s, "ghost", &v, &err), DD_ENOTFOUND);
    /* BASIC: the repository flag gives scan on push */
    put_config(f, "{\"scanType\":\"BASIC\"}");
    assert_int_equal(dd_scanning_repo_set_scan_on_push(f->s, "other", true, &err), 0);
    assert_int_equal(dd_scanning_repo_view(f->s, "other", &v, &err), 0);
    assert_int_equal(v.frequency, DD_FREQ_SCAN_ON_PUSH);
    json_decref(v.applied_filters);
    /* frequency changes were reported: ENHANCED config changes, nothing for BASIC->BASIC */
    assert_true(count_events(f, "ECR Scan Resource Change") >= 2);
}

static void test_initial_eligibility(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char recent[DD_DIGEST_STR_MAX], pulled[DD_DIGEST_STR_MAX], stale[DD_DIGEST_STR_MAX];
    push(f, "app", "recent", recent);
    f->now = T0 + 5 * DAY;
    push(f, "app", "pulled", pulled);
    push(f, "app", "stale", stale);
    /* BASIC without scan on push: no record */
    assert_status(f, "app", stale, "(none)");
    /* 40 days after the first push: "pulled" was pulled 20 days ago, "stale" never */
    f->now = T0 + 25 * DAY;
    assert_int_equal(dd_db_manifest_record_pull(f->db, "app", pulled, f->now, 0, &err), 0);
    char again[DD_DIGEST_STR_MAX];
    push(f, "app", "recent", again); /* re-push: pushed_at stays, activity does not count */
    f->now = T0 + 36 * DAY;
    put_config(f, "{\"scanType\":\"ENHANCED\"}");
    /* recent: pushed 36 days ago, never pulled -> expired; pulled: pulled 11 days ago -> pending */
    assert_status(f, "app", recent, "SCAN_ELIGIBILITY_EXPIRED");
    assert_status(f, "app", pulled, "PENDING");
    assert_status(f, "app", stale, "SCAN_ELIGIBILITY_EXPIRED");
    /* re-pushing an expired image makes it eligible again */
    push(f, "app", "stale", stale);
    assert_status(f, "app", stale, "PENDING");
    /* a new image in the continuous repository is registered at once */
    char fresh[DD_DIGEST_STR_MAX];
    push(f, "app", "fresh", fresh);
    assert_status(f, "app", fresh, "PENDING");
    /* StartImageScan is refused under ENHANCED */
    assert_int_equal(dd_scanning_start_scan(f->s, "app", fresh,
                                            "application/vnd.oci.image.manifest.v1+json", &err),
                     DD_EUNSUPPORTED);
    assert_string_equal(err.msg, "This feature is disabled");
    /* indexes are not scanned */
    assert_int_equal(
        dd_scanning_start_scan(f->s, "app", fresh, "application/vnd.oci.image.index.v1+json", &err),
        DD_EINVALID);
}

static void test_pull_window_configurable(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char a[DD_DIGEST_STR_MAX];
    push(f, "svc", "a", a);
    f->now = T0 + 100 * DAY;
    assert_int_equal(dd_db_manifest_record_pull(f->db, "svc", a, T0 + 5 * DAY, 0, &err), 0);
    put_config(f, "{\"scanType\":\"ENHANCED\"}");
    assert_status(f, "svc", a, "SCAN_ELIGIBILITY_EXPIRED"); /* pulled 95 days ago */
}

static void test_basic_scan_on_push_and_manual(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    put_config(f, "{\"scanType\":\"BASIC\",\"rules\":[{\"scanFrequency\":\"SCAN_ON_PUSH\","
                  "\"repositoryFilters\":[{\"filter\":\"web\",\"filterType\":\"WILDCARD\"}]}]}");
    char w[DD_DIGEST_STR_MAX], o[DD_DIGEST_STR_MAX];
    push(f, "web", "w", w);
    push(f, "other", "o", o);
    assert_status(f, "web", w, "IN_PROGRESS");
    assert_status(f, "other", o, "(none)");
    /* manual scan of the other image is queued; a second one within 24 h is refused */
    assert_int_equal(dd_scanning_start_scan(f->s, "other", o,
                                            "application/vnd.oci.image.manifest.v1+json", &err),
                     0);
    assert_status(f, "other", o, "IN_PROGRESS");
    assert_int_equal(dd_scanning_start_scan(f->s, "other", o,
                                            "application/vnd.oci.image.manifest.v1+json", &err),
                     DD_ELIMIT);
}

/* A finding doc as the scanner builds it. */
static json_t *finding(const char *repo, const char *digest, const char *vuln)
{
    char arn[128];
    char key[300];
    char dg[DD_DIGEST_STR_MAX];
    snprintf(key, sizeof(key), "%s|%s|%s", repo, digest, vuln);
    assert_int_equal(dd_digest_buf(dg, key, strlen(key)), 0);
    snprintf(arn, sizeof(arn), "arn:aws:inspector2:us-east-1:123456789012:finding/%.32s", dg + 7);
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:[{s:s,s:s}]},s:[{s:s,s:s}]}", "findingArn",
                     arn, "awsAccountId", "123456789012", "type", "PACKAGE_VULNERABILITY", "title",
                     vuln, "description", "d", "severity", "HIGH", "packageVulnerabilityDetails",
                     "vulnerabilityId", vuln, "vulnerablePackages", "name", "openssl", "version",
                     "3.0.1", "resources", "type", "AWS_ECR_CONTAINER_IMAGE", "id", digest);
}

static int count_findings(fixture *f, const char *status)
{
    dd_sql_conn *c = dd_sql_acquire(f->sql);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(dd_sql_handle(c),
                                        "SELECT count(*) FROM findings WHERE status = ?", -1, &st,
                                        NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int n = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    dd_sql_release(f->sql, c);
    return n;
}

static void sync_findings(fixture *f, const char *repo, const char *digest, json_t *docs,
                          dd_findings_delta *d)
{
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *c = dd_sql_acquire(f->sql);
    assert_int_equal(dd_sql_begin(c, &err), 0);
    int rc = dd_findings_sync(c, f->ev, repo, digest, docs, f->now, d, &err);
    if (rc != 0)
        fail_msg("sync: %s", err.msg);
    assert_int_equal(dd_sql_commit(c, &err), 0);
    dd_sql_release(f->sql, c);
}

static void test_findings_lifecycle(void **state)
{
    fixture *f = *state;
    char d[DD_DIGEST_STR_MAX];
    push(f, "app", "img", d);
    json_t *docs =
        json_pack("[o,o]", finding("app", d, "CVE-2024-1"), finding("app", d, "CVE-2024-2"));
    dd_findings_delta delta;
    sync_findings(f, "app", d, docs, &delta);
    assert_int_equal(delta.created, 2);
    assert_int_equal(count_events(f, "Inspector2 Finding"), 2);
    /* the same content again: nothing changes, no events */
    f->now += DAY;
    sync_findings(f, "app", d, docs, &delta);
    assert_int_equal(delta.unchanged, 2);
    assert_int_equal(count_events(f, "Inspector2 Finding"), 2);
    /* CVE-2024-2 gone, CVE-2024-1 changed severity */
    json_object_set_new(json_array_get(docs, 0), "severity", json_string("CRITICAL"));
    json_array_remove(docs, 1);
    sync_findings(f, "app", d, docs, &delta);
    assert_int_equal(delta.updated, 1);
    assert_int_equal(delta.closed, 1);
    assert_int_equal(count_findings(f, "CLOSED"), 1);
    assert_int_equal(count_events(f, "Inspector2 Finding"), 4);
    /* a closed finding that reappears is reopened under the same ARN */
    json_array_append_new(docs, finding("app", d, "CVE-2024-2"));
    sync_findings(f, "app", d, docs, &delta);
    assert_int_equal(delta.updated, 1);
    assert_int_equal(count_findings(f, "ACTIVE"), 2);
    assert_int_equal(count_findings(f, "CLOSED"), 0);
    /* deleting the image closes them */
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_scanning_image_deleted(f->s, "app", d, &err), 0);
    assert_int_equal(count_findings(f, "CLOSED"), 2);
    /* closed findings of a deleted image are purged after 3 days */
    f->now += 4 * DAY;
    assert_int_equal(dd_scanning_tick(f->s, &err), 0);
    assert_int_equal(count_findings(f, "CLOSED"), 0);
    json_decref(docs);
}

static void test_rescan_duration_expiry(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    put_config(f, "{\"scanType\":\"ENHANCED\"}");
    char a[DD_DIGEST_STR_MAX], b[DD_DIGEST_STR_MAX];
    push(f, "svc", "a", a);
    f->now = T0 + 20 * DAY;
    push(f, "svc", "b", b);
    /* pretend both were scanned: ACTIVE with one finding each */
    dd_sql_conn *c = dd_sql_acquire(f->sql);
    assert_int_equal(dd_sql_exec(c, "UPDATE scan_images SET status = 'ACTIVE'", &err), 0);
    dd_sql_release(f->sql, c);
    json_t *da = json_pack("[o]", finding("svc", a, "CVE-1")),
           *db = json_pack("[o]", finding("svc", b, "CVE-1"));
    dd_findings_delta delta;
    sync_findings(f, "svc", a, da, &delta);
    sync_findings(f, "svc", b, db, &delta);
    /* LIFETIME (default): nothing expires, even a year later */
    f->now = T0 + 365 * DAY;
    assert_int_equal(dd_scanning_tick(f->s, &err), 0);
    assert_status(f, "svc", a, "ACTIVE");
    /* DAYS_30 by push date: at T0+40 a (pushed T0) expires, b (T0+20) does not */
    f->now = T0 + 40 * DAY;
    json_t *ecr = json_pack("{s:s}", "rescanDuration", "DAYS_30");
    assert_int_equal(dd_scanning_inspector_config_put(f->s, ecr, NULL, &err), 0);
    json_decref(ecr);
    assert_int_equal(dd_scanning_tick(f->s, &err), 0);
    assert_status(f, "svc", a, "SCAN_ELIGIBILITY_EXPIRED");
    assert_status(f, "svc", b, "ACTIVE");
    assert_int_equal(count_findings(f, "CLOSED"), 1);
    /* a pull keeps b monitored through the pull window */
    ecr = json_pack("{s:s,s:s,s:s}", "rescanDuration", "DAYS_30", "pullDateRescanDuration",
                    "DAYS_14", "pullDateRescanMode", "LAST_PULL_DATE");
    assert_int_equal(dd_scanning_inspector_config_put(f->s, ecr, NULL, &err), 0);
    json_decref(ecr);
    assert_int_equal(dd_db_manifest_record_pull(f->db, "svc", b, T0 + 45 * DAY, 0, &err), 0);
    f->now = T0 + 55 * DAY; /* 35 days after push, 10 after the pull */
    assert_int_equal(dd_scanning_tick(f->s, &err), 0);
    assert_status(f, "svc", b, "ACTIVE");
    f->now = T0 + 60 * DAY; /* 15 days after the pull */
    assert_int_equal(dd_scanning_tick(f->s, &err), 0);
    assert_status(f, "svc", b, "SCAN_ELIGIBILITY_EXPIRED");
    /* b's finding is closed; a's, closed 20 days ago for ineligibility, was purged after 3 */
    assert_int_equal(count_findings(f, "CLOSED"), 1);
    /* the configuration reads back with its update time */
    json_t *got = NULL;
    assert_int_equal(dd_scanning_inspector_config_get(f->s, &got, &err), 0);
    json_t *st = json_object_get(json_object_get(got, "ecrConfiguration"), "rescanDurationState");
    assert_string_equal(json_string_value(json_object_get(st, "rescanDuration")), "DAYS_30");
    assert_string_equal(json_string_value(json_object_get(st, "pullDateRescanDuration")),
                        "DAYS_14");
    json_decref(got);
    /* bad enums are refused */
    ecr = json_pack("{s:s}", "rescanDuration", "DAYS_7");
    assert_int_equal(dd_scanning_inspector_config_put(f->s, ecr, NULL, &err), DD_EINVALID);
    json_decref(ecr);
    json_decref(da);
    json_decref(db);
}

static void test_frequency_change_effects(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    put_config(f, "{\"scanType\":\"ENHANCED\"}");
    char a[DD_DIGEST_STR_MAX];
    push(f, "team/x", "a", a);
    dd_sql_conn *c = dd_sql_acquire(f->sql);
    assert_int_equal(dd_sql_exec(c, "UPDATE scan_images SET status = 'ACTIVE'", &err), 0);
    dd_sql_release(f->sql, c);
    json_t *da = json_pack("[o]", finding("team/x", a, "CVE-9"));
    dd_findings_delta delta;
    sync_findings(f, "team/x", a, da, &delta);
    /* continuous -> scan on push: status COMPLETE */
    put_config(f, "{\"scanType\":\"ENHANCED\",\"rules\":[{\"scanFrequency\":\"SCAN_ON_PUSH\","
                  "\"repositoryFilters\":[{\"filter\":\"team\",\"filterType\":\"WILDCARD\"}]}]}");
    assert_status(f, "team/x", a, "COMPLETE");
    /* -> back to continuous: ACTIVE */
    put_config(f, "{\"scanType\":\"ENHANCED\"}");
    assert_status(f, "team/x", a, "ACTIVE");
    /* -> MANUAL: no status, findings closed */
    put_config(f,
               "{\"scanType\":\"ENHANCED\",\"rules\":[{\"scanFrequency\":\"SCAN_ON_PUSH\","
               "\"repositoryFilters\":[{\"filter\":\"nothing\",\"filterType\":\"WILDCARD\"}]}]}");
    assert_status(f, "team/x", a, "(none)");
    assert_int_equal(count_findings(f, "CLOSED"), 1);
    /* switching to BASIC hides ENHANCED results */
    put_config(f, "{\"scanType\":\"ENHANCED\"}");
    assert_status(f, "team/x", a, "PENDING");
    put_config(f, "{\"scanType\":\"BASIC\"}");
    assert_status(f, "team/x", a, "(none)");
    put_config(f, "{\"scanType\":\"ENHANCED\"}");
    assert_status(f, "team/x", a, "PENDING");
    json_decref(da);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_table),
        cmocka_unit_test_setup_teardown(test_config_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_effective_frequency, setup, teardown),
        cmocka_unit_test_setup_teardown(test_initial_eligibility, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pull_window_configurable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_basic_scan_on_push_and_manual, setup, teardown),
        cmocka_unit_test_setup_teardown(test_findings_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rescan_duration_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frequency_change_effects, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
