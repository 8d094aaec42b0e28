/* Tests for the continuous re-match (src/scanning/rematch.c) against real advisories: an image
 * holding lodash 4.17.15 is stored as scanned; replacing the vulnerability DB with one that adds
 * NSWG-ECO-516 (lodash >=4.17.15 <4.17.19) creates the finding with its event; the same version
 * again does nothing; a forced re-match with nothing changed re-matches no image; a DB without
 * the advisory closes the finding; an image past its continuous-scan window is not re-matched. */
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
#include "scanning/internal.h"
#include "sql/sql.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/digest.h"
#include "vulndb/import.h"
#include "vulndb/vulndb.h"

#define NSWG DD_FIXTURES "/vulndb/nodejs-security-wg/npm/"

typedef struct fixture {
    char dir[64];
    char vdb[128];
    int64_t now;
    dd_clock clock;
    dd_db *db;
    dd_sql *sql;
    dd_events *ev;
    dd_scanning *s;
    char digest[DD_DIGEST_STR_MAX];
} fixture;

static int64_t fake_now(void *ctx)
{
    return ((fixture *)ctx)->now;
}

static int sink_put(void *ctx, const dd_advisory *a, dd_err *err)
{
    return dd_vulndb_writer_put(ctx, a, err);
}

static void sink_warn(void *ctx, const char *path, const char *msg)
{
    (void)ctx;
    (void)path;
    (void)msg;
}

/* A vulnerability DB at path made of the given nodejs-security-wg files (replaced atomically). */
static void build_db(const char *path, const char *const *files, size_t n)
{
    dd_err err = DD_ERR_INIT;
    dd_vulndb_writer *w = NULL;
    assert_int_equal(dd_vulndb_writer_open(&w, path, false, &err), 0);
    for (size_t i = 0; i < n; i++) {
        char p[256];
        snprintf(p, sizeof(p), "%s%s", NSWG, files[i]);
        FILE *f = fopen(p, "rb");
        assert_non_null(f);
        static char buf[1 << 16];
        size_t len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        const dd_importer *imp = dd_import_detect(p, (const uint8_t *)buf, len);
        assert_non_null(imp);
        assert_int_equal(dd_vulndb_writer_source(w, imp->source, "test", &err), 0);
        dd_import_sink sink = {sink_put, sink_warn, w};
        if (imp->import((const uint8_t *)buf, len, p, &sink, &err) != 0)
            fail_msg("import %s: %s", p, err.msg);
    }
    assert_int_equal(dd_vulndb_writer_commit(w, &err), 0);
}

static int setup(void **state)
{
    fixture *f = dd_calloc(1, sizeof(*f));
    dd_err err = DD_ERR_INIT;
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/dd_test_rematch_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/metadata.sqlite", f->dir);
    snprintf(f->vdb, sizeof(f->vdb), "%s/vulndb.sqlite", f->dir);
    const char *old[] = {"368.json"};
    build_db(f->vdb, old, 1);
    f->now = 1790000000000LL;
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
    so.vulndb_path = f->vdb;
    assert_int_equal(dd_scanning_open(&f->s, f->sql, f->db, NULL, f->ev, &f->clock, &so, &err), 0);
    json_t *cfg = json_pack("{s:s}", "scanType", "ENHANCED");
    assert_int_equal(dd_scanning_config_put(f->s, cfg, NULL, &err), 0);
    json_decref(cfg);

    /* the image, pushed then "scanned": an ACTIVE record with its stored inventory */
    const char *name = "app-image";
    assert_int_equal(dd_digest_buf(f->digest, name, strlen(name)), 0);
    assert_int_equal(dd_db_blob_link(f->db, "app", f->digest, 1, f->now, &err), 0);
    dd_db_manifest_in m = {"app", f->digest, "application/vnd.oci.image.manifest.v1+json",
                           NULL,  NULL,      NULL,
                           1,     "1",       NULL,
                           0,     f->now};
    assert_int_equal(dd_db_manifest_put(f->db, &m, &err), 0);
    assert_int_equal(dd_scanning_image_pushed(f->s, "app", f->digest, m.media_type, &err), 0);
    dd_inventory inv;
    memset(&inv, 0, sizeof(inv));
    dd_pkg *p = NULL;
    assert_int_equal(dd_pkg_list_add(&inv.pkgs, DD_PKG_NPM, "lodash", "4.17.15",
                                     "/app/node_modules/lodash/package.json", &p),
                     0);
    assert_int_equal(dd_pkg_list_add(&inv.pkgs, DD_PKG_NPM, "left-pad", "1.3.0",
                                     "/app/node_modules/left-pad/package.json", &p),
                     0);
    char *text = dd_scan_inventory_text(&inv);
    assert_non_null(text);
    dd_sql_conn *c = dd_sql_acquire(f->sql);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(dd_sql_handle(c),
                                        "UPDATE scan_images SET status = 'ACTIVE', inventory = ?,"
                                        " layers = '[]', arch = 'amd64'",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_blob(st, 1, text, (int)strlen(text), SQLITE_TRANSIENT);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    assert_int_equal(dd_sql_exec(c, "DELETE FROM scan_jobs", &err), 0);
    dd_sql_release(f->sql, c);
    dd_free(text);
    dd_inventory_free(&inv);
    /* the first check records the DB version the initial scan used */
    dd_rematch_stats rs;
    assert_int_equal(dd_scanning_rematch(f->s, false, &rs, &err), 0);
    assert_int_equal(rs.images, 0);
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

static int64_t count(fixture *f, const char *q)
{
    dd_sql_conn *c = dd_sql_acquire(f->sql);
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(dd_sql_handle(c), q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    dd_sql_release(f->sql, c);
    return n;
}

static void replace_db(fixture *f, const char *const *files, size_t n)
{
    char tmp[160];
    snprintf(tmp, sizeof(tmp), "%s.new", f->vdb);
    build_db(tmp, files, n);
    assert_int_equal(rename(tmp, f->vdb), 0);
}

static void test_rematch_creates_and_closes(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    dd_rematch_stats rs;
    assert_int_equal(count(f, "SELECT count(*) FROM findings"), 0);
    /* a DB update adding NSWG-ECO-516 */
    const char *newer[] = {"368.json", "516.json"};
    replace_db(f, newer, 2);
    f->now += 1000;
    assert_int_equal(dd_scanning_rematch(f->s, false, &rs, &err), 0);
    assert_int_equal(rs.images, 1);
    assert_int_equal(rs.created, 1);
    assert_int_equal(count(f, "SELECT count(*) FROM findings WHERE status = 'ACTIVE' AND"
                              " vuln_id = 'NSWG-ECO-516'"),
                     1);
    assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE detail_type ="
                              " 'Inspector2 Finding'"),
                     1);
    assert_int_equal(count(f, "SELECT count(*) FROM scan_images WHERE pkg_ids IS NOT NULL"), 1);
    /* the record shows the re-match */
    dd_scan_view v;
    assert_int_equal(dd_scanning_image_view(f->s, "app", f->digest, &v, &err), 0);
    assert_string_equal(v.status, "ACTIVE");
    assert_true(v.has_summary);
    assert_int_equal(v.completed_at_ms, f->now);
    dd_scan_view_free(&v);
    /* the same DB version: nothing runs */
    assert_int_equal(dd_scanning_rematch(f->s, false, &rs, &err), 0);
    assert_int_equal(rs.images, 0);
    /* forced with nothing changed: every identity is matched, no image differs */
    assert_int_equal(dd_scanning_rematch(f->s, true, &rs, &err), 0);
    assert_int_equal(rs.images, 0);
    assert_int_equal(rs.created + rs.updated + rs.closed, 0);
    /* the advisory disappears: the finding is closed, with its event */
    const char *older[] = {"368.json"};
    replace_db(f, older, 1);
    f->now += 1000;
    assert_int_equal(dd_scanning_rematch(f->s, false, &rs, &err), 0);
    assert_int_equal(rs.images, 1);
    assert_int_equal(rs.closed, 1);
    assert_int_equal(count(f, "SELECT count(*) FROM findings WHERE status = 'CLOSED'"), 1);
    assert_int_equal(count(f, "SELECT count(*) FROM outbox WHERE detail_type ="
                              " 'Inspector2 Finding'"),
                     2);
}

static void test_expired_image_not_rematched(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    dd_rematch_stats rs;
    json_t *ecr = json_pack("{s:s}", "rescanDuration", "DAYS_14");
    assert_int_equal(dd_scanning_inspector_config_put(f->s, ecr, NULL, &err), 0);
    json_decref(ecr);
    f->now += 15 * 86400000LL;
    const char *newer[] = {"368.json", "516.json"};
    replace_db(f, newer, 2);
    assert_int_equal(dd_scanning_tick(f->s, &err), 0); /* expires, then checks the DB */
    dd_scan_view v;
    assert_int_equal(dd_scanning_image_view(f->s, "app", f->digest, &v, &err), 0);
    assert_string_equal(v.status, "SCAN_ELIGIBILITY_EXPIRED");
    dd_scan_view_free(&v);
    assert_int_equal(count(f, "SELECT count(*) FROM findings"), 0);
    assert_int_equal(dd_scanning_rematch(f->s, true, &rs, &err), 0);
    assert_int_equal(rs.images, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_rematch_creates_and_closes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_image_not_rematched, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
