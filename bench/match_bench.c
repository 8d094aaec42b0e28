/* Matching benchmark (not a test: nothing here asserts a time).
 *
 * 1. Imports every feed file under VULNDB_DIR (default ../shared/data/vulndb) into a fresh
 *    database with the importers and the writer, as `drydock db import` does; prints the import
 *    time and the database size.
 * 2. Builds 10,000 packages from the real package lists of tests/fixtures/pkgdb: every dpkg
 *    status file and apk installed file (parsed directly), and the language packages the
 *    catalogers find in tests/fixtures/pkgdb/lang (dd_rootfs_from_dir + dd_inventory_build, the
 *    lockfile fixtures also under their canonical names, see catalog_lang). That base set is
 *    repeated in order until there are 10,000 packages, split into two inventories: the dpkg and
 *    language packages with the OS Debian 12, the apk packages with Alpine 3.18.
 * 3. Times dd_match_inventory over both inventories (one "match" = both calls), best of 5 runs.
 *
 * Usage: match_bench [SOURCE_DIR [VULNDB_DIR [WORK_DIR]]] (defaults: the source tree it was built
 * from, SOURCE_DIR/../shared/data/vulndb, /tmp). The database is WORK_DIR/match-bench.sqlite. */
#include "common.h"
#include "image/rootfs.h"
#include "inventory/apk.h"
#include "inventory/dpkg.h"
#include "inventory/inventory.h"
#include "match/match.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "vulndb/import.h"
#include "vulndb/vulndb.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define N_PKGS 10000
#ifndef RUNS
#define RUNS 5
#endif

/* Lockfile fixtures carry their origin in the name ("trivy-happy.v1.package-lock.json"): each
 * file the catalogers do not take as is is copied under the first suffix of its name after a '.'
 * or '-' that they do take ("package-lock.json"), one directory per file, so that every lockfile
 * counts. Files they take as is (node_modules, site-packages, jars, ...) are copied unchanged. */
typedef struct stage_ctx {
    const char *from, *to;
    size_t n;
} stage_ctx;

static int write_file(const char *path, const uint8_t *data, size_t len, mode_t mode)
{
    char *dir = dd_strdup(path);
    if (dir == NULL)
        return DD_ENOMEM;
    for (char *p = dir + 1; *p != '\0'; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(dir, 0755);
            *p = '/';
        }
    }
    dd_free(dir);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return DD_EIO;
    int rc = fwrite(data, 1, len, f) == len ? 0 : DD_EIO;
    if (fclose(f) != 0 || chmod(path, mode & 0777) != 0)
        rc = DD_EIO;
    return rc;
}

static int wanted(const char *rel, const struct stat *sb)
{
    const dd_extractor *ex = NULL;
    return dd_inventory_wants(rel, strlen(rel), (uint32_t)sb->st_mode, (uint64_t)sb->st_size,
                              &ex) != DD_KEEP_NONE;
}

static int stage_one(void *ctx, const char *path)
{
    stage_ctx *sc = ctx;
    const char *rel = path + strlen(sc->from) + 1;
    uint8_t *buf = NULL;
    size_t len = 0;
    char *dst = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return DD_EIO;
    int rc = bench_read_file(&buf, &len, path);
    if (rc != 0)
        return rc;
    if (wanted(rel, &sb)) {
        dst = dd_asprintf("%s/%s", sc->to, rel);
    } else {
        const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        for (const char *p = base; *p != '\0' && dst == NULL; p++) {
            if (*p != '.' && *p != '-')
                continue;
            char *cand = dd_asprintf("renamed/%zu/%s", sc->n, p + 1);
            if (cand == NULL) {
                rc = DD_ENOMEM;
                goto out;
            }
            if (wanted(cand, &sb))
                dst = dd_asprintf("%s/%s", sc->to, cand);
            dd_free(cand);
        }
        sc->n++;
    }
    if (dst != NULL)
        rc = write_file(dst, buf, len, sb.st_mode);
out:
    dd_free(dst);
    dd_free(buf);
    return rc;
}

static int catalog_lang(dd_inventory *out, const char *lang_dir, const char *work)
{
    int rc = 0;
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    char *stage = dd_asprintf("%s/match-bench-lang-XXXXXX", work);
    char *cmd = NULL;
    if (stage == NULL)
        return DD_ENOMEM;
    if (mkdtemp(stage) == NULL) {
        rc = DD_EIO;
        goto out;
    }
    stage_ctx sc = {lang_dir, stage, 0};
    if ((rc = bench_walk(lang_dir, 0, stage_one, &sc)) != 0 ||
        (rc = dd_rootfs_from_dir(&fs, stage, dd_inventory_wants, FILE_MAX, &err)) != 0 ||
        (rc = dd_inventory_build(out, fs, &err)) != 0)
        fprintf(stderr, "match_bench: %s: %s\n", lang_dir, err.msg);
out:
    dd_rootfs_free(fs);
    if ((cmd = dd_asprintf("rm -rf '%s'", stage)) != NULL && system(cmd) != 0)
        fprintf(stderr, "match_bench: could not remove %s\n", stage);
    dd_free(cmd);
    dd_free(stage);
    return rc;
}

static int set_os(dd_inventory *inv, const char *id, const char *version_id)
{
    inv->has_os = 1;
    inv->os.id = dd_strdup(id);
    inv->os.version_id = dd_strdup(version_id);
    return inv->os.id != NULL && inv->os.version_id != NULL ? 0 : DD_ENOMEM;
}

/* ---- 3. matching ----------------------------------------------------------------------------- */

static size_t vulnerable_pkgs(const dd_match_result *r, size_t n_pkgs)
{
    unsigned char *seen = dd_calloc(n_pkgs ? n_pkgs : 1, 1);
    size_t n = 0;
    if (seen == NULL)
        return 0;
    for (size_t i = 0; i < r->n; i++) {
        if (!seen[r->items[i].pkg]) {
            seen[r->items[i].pkg] = 1;
            n++;
        }
    }
    dd_free(seen);
    return n;
}

int main(int argc, char **argv)
{
    const char *src = argc > 1 ? argv[1] : DD_SOURCE_DIR;
    const char *work = argc > 3 ? argv[3] : "/tmp";
    char *feeds = argc > 2 ? dd_strdup(argv[2]) : dd_asprintf("%s/../shared/data/vulndb", src);
    char *db_path = dd_asprintf("%s/match-bench.sqlite", work);
    char *pkgdb = dd_asprintf("%s/tests/fixtures/pkgdb", src);
    char *lang_dir = dd_asprintf("%s/tests/fixtures/pkgdb/lang", src);
    dd_pkg_list dpkg = DD_PKG_LIST_INIT, apk = DD_PKG_LIST_INIT;
    dd_inventory lang, inv[2];
    const dd_pkg **base = NULL;
    dd_vulndb *db = NULL;
    dd_err err = DD_ERR_INIT;
    int status = 1;
    memset(&lang, 0, sizeof(lang));
    memset(inv, 0, sizeof(inv));
    if (feeds == NULL || db_path == NULL || pkgdb == NULL || lang_dir == NULL)
        goto out;

    if (bench_build_db(db_path, feeds) != 0)
        goto out;

    os_files of = {&dpkg, &apk, 0, 0};
    if (bench_walk(pkgdb, 0, bench_parse_os_file, &of) != 0 ||
        catalog_lang(&lang, lang_dir, work) != 0)
        goto out;
    size_t n_lang = 0;
    for (size_t i = 0; i < lang.pkgs.n; i++)
        n_lang += lang.pkgs.items[i].type > DD_PKG_RPM;
    printf("packages: %zu dpkg from %zu status files, %zu apk from %zu installed files, %zu "
           "language packages from the lockfile fixtures\n",
           dpkg.n, of.n_dpkg_files, apk.n, of.n_apk_files, n_lang);
    /* the base set in order (dpkg, language, apk), repeated until N_PKGS */
    size_t n_base = dpkg.n + apk.n + n_lang;
    base = dd_calloc(n_base ? n_base : 1, sizeof(*base));
    if (base == NULL || n_base == 0 || set_os(&inv[0], "debian", "12") != 0 ||
        set_os(&inv[1], "alpine", "3.18") != 0)
        goto out;
    size_t k = 0;
    for (size_t i = 0; i < dpkg.n; i++)
        base[k++] = &dpkg.items[i];
    for (size_t i = 0; i < lang.pkgs.n; i++)
        if (lang.pkgs.items[i].type > DD_PKG_RPM)
            base[k++] = &lang.pkgs.items[i];
    for (size_t i = 0; i < apk.n; i++)
        base[k++] = &apk.items[i];
    for (size_t i = 0; i < N_PKGS; i++) {
        const dd_pkg *p = base[i % n_base];
        if (bench_pkg_copy(&inv[p->type == DD_PKG_APK].pkgs, p) != 0)
            goto out;
    }
    printf("inventories: %zu packages as Debian 12 (dpkg + language), %zu as Alpine 3.18 (apk)\n",
           inv[0].pkgs.n, inv[1].pkgs.n);

    if (dd_vulndb_open(&db, db_path, &err) != 0) {
        fprintf(stderr, "match_bench: %s: %s\n", db_path, err.msg);
        goto out;
    }
    double best = -1;
    size_t n_findings = 0, n_vulnerable = 0, n_refs = 0;
    for (int run = 0; run < RUNS; run++) {
        dd_match_result res[2];
        double t0 = bench_now_ms();
        for (int k = 0; k < 2; k++) {
            if (dd_match_inventory(&res[k], &inv[k], db, &err) != 0) {
                fprintf(stderr, "match_bench: match: %s\n", err.msg);
                if (k == 1)
                    dd_match_result_free(&res[0]);
                goto out;
            }
        }
        double t = bench_now_ms() - t0;
        if (best < 0 || t < best)
            best = t;
        n_findings = res[0].n + res[1].n;
        n_vulnerable =
            vulnerable_pkgs(&res[0], inv[0].pkgs.n) + vulnerable_pkgs(&res[1], inv[1].pkgs.n);
        n_refs = 0;
        for (int k = 0; k < 2; k++) {
            for (size_t i = 0; i < res[k].n; i++)
                n_refs += res[k].items[i].references.n;
            dd_match_result_free(&res[k]);
        }
    }
    printf("match %d packages: %.1f ms (%zu findings)\n", N_PKGS, best, n_findings);
    printf("  best of %d runs; %zu packages (%.1f%%) have findings; %zu references in all\n", RUNS,
           n_vulnerable, 100.0 * (double)n_vulnerable / N_PKGS, n_refs);
    status = 0;
out:
    dd_vulndb_close(db);
    dd_free(base);
    dd_inventory_free(&inv[0]);
    dd_inventory_free(&inv[1]);
    dd_inventory_free(&lang);
    dd_pkg_list_free(&dpkg);
    dd_pkg_list_free(&apk);
    dd_free(feeds);
    dd_free(db_path);
    dd_free(pkgdb);
    dd_free(lang_dir);
    return status;
}
