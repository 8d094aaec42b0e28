/* Continuous re-match benchmark (not a test: nothing here asserts a time).
 *
 * Builds a data directory holding N_IMAGES continuously scanned images (default 10,000) of
 * N_PKGS packages each (default 300), generated from real inventories: the dpkg packages of the
 * 21 real status files under tests/fixtures/pkgdb form a pool, and image i holds the N_PKGS
 * packages of the pool starting at an offset that depends on i. The OS is set to Debian 11:
 * the Debian DSA list of the shared data (April 2023) predates bookworm, so Debian 11 is the
 * release its fixes name.
 * Images are loaded directly into the metadata tables (as if each had been pushed and scanned),
 * then dd_scanning_rematch is timed three times:
 *   1. initial: no image has a package index yet, so all are matched in full and every finding is
 *      created (with its event) - the worst case, a first import;
 *   2. update: the vulnerability DB (all of ../shared/data/vulndb) is replaced by a newer one, as
 *      `drydock db update` does: "before" has the DSA list without its newest entries (env
 *      BENCH_CUT, default the March-April 2023 ones: " Mar 2023]| Apr 2023]"; BENCH_CUT=" 2023]"
 *      makes four months arrive), "after" the whole list - only images holding a package whose
 *      advisories changed are re-matched;
 *   3. no change, forced: every package identity is matched again, nothing differs.
 * Prints seconds, images re-matched, findings created/updated/closed and events written.
 *
 * Usage: rematch_bench [SOURCE_DIR [WORK_DIR [N_IMAGES [N_PKGS [FEEDS]]]]] (FEEDS defaults to
 * SOURCE_DIR/../shared/data/vulndb, else the bundled sample). */
#include "common.h"
#include "db/db.h"
#include "events/events.h"
#include "inventory/dpkg.h"
#include "scanning/internal.h" /* the stored-inventory encoder, to load images directly */
#include "sql/sql.h"
#include "util/alloc.h"
#include "util/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Copies the feeds to dst, with the DSA list cut to its entries from before `cut` (the list is
 * newest first; an entry starts with a "[DD Mon YYYY]" line; cut lists the " Mon YYYY]" suffixes
 * dropped, '|'-separated). */
static int copy_feeds_before(const char *src, const char *dst, const char *cut)
{
    char *cmd =
        dd_asprintf("rm -rf '%s' && cp -r '%s' '%s' && chmod -R u+w '%s'", dst, src, dst, dst);
    int rc = cmd != NULL && system(cmd) == 0 ? 0 : DD_EIO;
    dd_free(cmd);
    char *list = dd_asprintf("%s/debian-tracker/DSA-list-2023-04", dst);
    FILE *in = list != NULL ? fopen(list, "r") : NULL;
    if (rc != 0 || in == NULL) {
        dd_free(list);
        if (in != NULL)
            fclose(in);
        return rc;
    }
    char *tmp = dd_asprintf("%s.cut", list);
    FILE *out = tmp != NULL ? fopen(tmp, "w") : NULL;
    char line[4096];
    bool keep = false;
    while (out != NULL && fgets(line, sizeof(line), in) != NULL) {
        if (line[0] == '[') {
            keep = true;
            for (const char *p = cut; keep && *p != '\0';) {
                size_t n = strcspn(p, "|");
                char suffix[32];
                snprintf(suffix, sizeof(suffix), "%.*s", (int)n, p);
                if (n > 0 && strstr(line, suffix) != NULL)
                    keep = false;
                p += n + (p[n] == '|');
            }
        }
        if (keep)
            fputs(line, out);
    }
    fclose(in);
    if (out == NULL || fclose(out) != 0 || rename(tmp, list) != 0)
        rc = DD_EIO;
    dd_free(tmp);
    dd_free(list);
    return rc;
}

static int64_t count(dd_sql *sql, const char *q)
{
    dd_sql_conn *c = dd_sql_acquire(sql);
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(dd_sql_handle(c), q, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    dd_sql_release(sql, c);
    return n;
}

static int run(const char *what, dd_scanning *s, dd_sql *sql, bool force)
{
    dd_err err = DD_ERR_INIT;
    dd_rematch_stats st;
    int64_t ev0 = count(sql, "SELECT count(*) FROM outbox");
    double t0 = bench_now_ms();
    if (dd_scanning_rematch(s, force, &st, &err) != 0) {
        fprintf(stderr, "rematch_bench: %s: %s\n", what, err.msg);
        return 1;
    }
    double t = (bench_now_ms() - t0) / 1000.0;
    int64_t ev1 = count(sql, "SELECT count(*) FROM outbox");
    printf("%-8s %.2f s: %zu images re-matched, %zu findings created, %zu updated, %zu closed, "
           "%lld events\n",
           what, t, st.images, st.created, st.updated, st.closed, (long long)(ev1 - ev0));
    return 0;
}

static const char SQL_REPO[] = "INSERT INTO repositories (name, created_at) VALUES (?, ?)";
static const char SQL_BLOB[] = "INSERT INTO blobs (digest, size, created_at) VALUES (?, 1, ?)";
static const char SQL_MAN[] =
    "INSERT INTO manifests (repo_id, digest, media_type, size, pushed_at) VALUES ((SELECT id FROM"
    " repositories WHERE name = ?), ?, 'application/vnd.oci.image.manifest.v1+json', 1, ?)";
static const char SQL_SREPO[] =
    "INSERT INTO scan_repos (repo, frequency, created_at) VALUES (?, 'CONTINUOUS_SCAN', ?)";
static const char SQL_IMG[] =
    "INSERT INTO scan_images (repo, digest, scan_type, status, description, reason, frequency,"
    " initial_done, completed_at, arch, platform, inventory, layers) VALUES (?, ?, 'ENHANCED',"
    " 'ACTIVE', 'Continuous scan is selected for image.', 'SUCCESSFUL', 'CONTINUOUS_SCAN', 1, ?,"
    " 'amd64', 'DEBIAN_11', ?, '[\"sha256:0000000000000000000000000000000000000000000000000000000"
    "000000000\"]')";

static int step(dd_sql_conn *c, const char *sql, const char *a, const char *b, int64_t n,
                const char *blob)
{
    sqlite3_stmt *st;
    dd_err err = DD_ERR_INIT;
    int rc = dd_sql_stmt(c, sql, &st, &err);
    if (rc != 0)
        return rc;
    int i = 1;
    dd_sql_bind_text(st, i++, a);
    if (b != NULL)
        dd_sql_bind_text(st, i++, b);
    dd_sql_bind_int(st, i++, n);
    if (blob != NULL)
        dd_sql_bind_blob(st, i, blob, strlen(blob));
    rc = dd_sql_run(c, st, &err);
    if (rc != 0)
        fprintf(stderr, "rematch_bench: %s\n", err.msg);
    return rc;
}

int main(int argc, char **argv)
{
    const char *src = argc > 1 ? argv[1] : DD_SOURCE_DIR;
    const char *work = argc > 2 ? argv[2] : "/tmp";
    size_t n_images = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
    size_t n_pkgs = argc > 4 ? strtoul(argv[4], NULL, 10) : 300;
    char *dir = dd_asprintf("%s/rematch-bench", work);
    char *feeds = argc > 5 ? dd_strdup(argv[5]) : dd_asprintf("%s/../shared/data/vulndb", src);
    struct stat sb;
    if (feeds != NULL && stat(feeds, &sb) != 0) {
        dd_free(feeds);
        feeds = dd_asprintf("%s/share/vulndb-sample", src);
    }
    char *pkgdb = dd_asprintf("%s/tests/fixtures/pkgdb", src);
    char *tmp_feeds = dd_asprintf("%s/rematch-bench-feeds", work);
    char *before = dd_asprintf("%s/rematch-bench-before.sqlite", work);
    char *meta = NULL, *vdb = NULL, *cmd = NULL;
    dd_pkg_list dpkg = DD_PKG_LIST_INIT, apk = DD_PKG_LIST_INIT, file_first = DD_PKG_LIST_INIT;
    dd_db *db = NULL;
    dd_sql *sql = NULL;
    dd_events *ev = NULL;
    dd_scanning *s = NULL;
    dd_err err = DD_ERR_INIT;
    int status = 1;
    if (dir == NULL || feeds == NULL || pkgdb == NULL || tmp_feeds == NULL || before == NULL)
        goto out;
    if ((cmd = dd_asprintf("rm -rf '%s' && mkdir -p '%s'", dir, dir)) == NULL || system(cmd) != 0)
        goto out;
    meta = dd_asprintf("%s/metadata.sqlite", dir);
    vdb = dd_asprintf("%s/vulndb.sqlite", dir);
    /* the DB before the update: the DSA list without its newest entries */
    const char *cut = getenv("BENCH_CUT") ? getenv("BENCH_CUT") : " Mar 2023]| Apr 2023]";
    printf("update: the DSA entries dated%s arrive\n", cut);
    if (copy_feeds_before(feeds, tmp_feeds, cut) != 0 || bench_build_db(before, tmp_feeds) != 0 ||
        bench_build_db(vdb, feeds) != 0)
        goto out;
    char *after = dd_asprintf("%s.after", vdb);
    if (after == NULL || rename(vdb, after) != 0 ||
        (cmd = (dd_free(cmd), dd_asprintf("cp '%s' '%s'", before, vdb))) == NULL ||
        system(cmd) != 0) {
        dd_free(after);
        goto out;
    }

    /* the package pool: every status file, and each file's own packages for its images */
    os_files of = {&dpkg, &apk, 0, 0};
    if (bench_walk(pkgdb, 0, bench_parse_os_file, &of) != 0 || dpkg.n == 0) {
        dd_free(after);
        goto out;
    }
    printf("pool: %zu dpkg packages from %zu real status files; %zu images of %zu packages\n",
           dpkg.n, of.n_dpkg_files, n_images, n_pkgs);

    if (dd_db_open_sqlite(&db, meta, &err) != 0 || dd_sql_open(&sql, meta, 4, &err) != 0) {
        dd_free(after);
        goto out;
    }
    dd_events_options eo;
    memset(&eo, 0, sizeof(eo));
    eo.account = "123456789012";
    eo.region = "us-east-1";
    dd_scanning_options so;
    memset(&so, 0, sizeof(so));
    so.data_dir = dir;
    so.vulndb_path = vdb;
    so.account = "123456789012";
    so.region = "us-east-1";
    if (dd_events_open(&ev, sql, dd_clock_system(), &eo, &err) != 0 ||
        dd_scanning_open(&s, sql, db, NULL, getenv("BENCH_NO_EVENTS") ? NULL : ev,
                         dd_clock_system(), &so, &err) != 0) {
        fprintf(stderr, "rematch_bench: %s\n", err.msg);
        dd_free(after);
        goto out;
    }
    json_t *cfg = json_pack("{s:s}", "scanType", "ENHANCED");
    int rc = dd_scanning_config_put(s, cfg, NULL, &err);
    json_decref(cfg);
    if (rc != 0) {
        dd_free(after);
        goto out;
    }

    double t0 = bench_now_ms();
    dd_sql_conn *c = dd_sql_acquire(sql);
    rc = dd_sql_begin(c, &err);
    int64_t now = dd_clock_now_ms(dd_clock_system());
    size_t n_repos = n_images / 50 ? n_images / 50 : 1;
    for (size_t r = 0; rc == 0 && r < n_repos; r++) {
        char repo[64];
        snprintf(repo, sizeof(repo), "bench/app%zu", r);
        rc = step(c, SQL_REPO, repo, NULL, now, NULL);
        if (rc == 0)
            rc = step(c, SQL_SREPO, repo, NULL, now, NULL);
    }
    for (size_t i = 0; rc == 0 && i < n_images; i++) {
        char repo[64], name[64], digest[DD_DIGEST_STR_MAX];
        snprintf(repo, sizeof(repo), "bench/app%zu", i % n_repos);
        snprintf(name, sizeof(name), "image-%zu", i);
        if ((rc = dd_digest_buf(digest, name, strlen(name))) != 0)
            break;
        dd_inventory inv;
        memset(&inv, 0, sizeof(inv));
        inv.has_os = 1;
        inv.os.id = dd_strdup("debian");
        inv.os.version_id = dd_strdup("11");
        /* a window of the pool that differs per image, like images sharing a base */
        size_t start = (i * 37) % dpkg.n;
        for (size_t k = 0; rc == 0 && k < n_pkgs && k < dpkg.n; k++)
            rc = bench_pkg_copy(&inv.pkgs, &dpkg.items[(start + k) % dpkg.n]);
        char *text = rc == 0 ? dd_scan_inventory_text(&inv) : NULL;
        if (text == NULL)
            rc = rc != 0 ? rc : DD_ENOMEM;
        if (rc == 0)
            rc = step(c, SQL_BLOB, digest, NULL, now, NULL);
        if (rc == 0)
            rc = step(c, SQL_MAN, repo, digest, now, NULL);
        if (rc == 0)
            rc = step(c, SQL_IMG, repo, digest, now, text);
        dd_free(text);
        dd_inventory_free(&inv);
    }
    if (rc == 0)
        rc = dd_sql_setting_put(c, "scanning.vulndb_version", "none", &err);
    if (rc == 0)
        rc = dd_sql_commit(c, &err);
    dd_sql_release(sql, c);
    if (rc != 0) {
        fprintf(stderr, "rematch_bench: loading images: %s\n", err.msg);
        dd_free(after);
        goto out;
    }
    printf("loaded %zu images in %.1f s\n", n_images, (bench_now_ms() - t0) / 1000.0);

    if (run("initial", s, sql, false) != 0) {
        dd_free(after);
        goto out;
    }
    /* `drydock db update`: the new DB replaces the old one atomically */
    rc = rename(after, vdb);
    dd_free(after);
    if (rc != 0 || run("update", s, sql, false) != 0 || run("forced", s, sql, true) != 0)
        goto out;
    printf("findings stored: %lld (%lld open)\n",
           (long long)count(sql, "SELECT count(*) FROM findings"),
           (long long)count(sql, "SELECT count(*) FROM findings WHERE status != 'CLOSED'"));
    status = 0;
out:
    dd_scanning_close(s);
    dd_events_close(ev);
    dd_sql_close(sql);
    dd_db_close(db);
    dd_pkg_list_free(&dpkg);
    dd_pkg_list_free(&apk);
    dd_pkg_list_free(&file_first);
    dd_free(dir);
    dd_free(feeds);
    dd_free(pkgdb);
    dd_free(tmp_feeds);
    dd_free(before);
    dd_free(meta);
    dd_free(vdb);
    dd_free(cmd);
    return status;
}
