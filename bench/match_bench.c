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
#define FILE_MAX (512u * 1024u * 1024u)
#define DEPTH_MAX 32

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int read_file(uint8_t **out, size_t *len_out, const char *path)
{
    *out = NULL;
    *len_out = 0;
    int rc = 0;
    dd_buf b = DD_BUF_INIT(FILE_MAX);
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return DD_EIO;
    uint8_t chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if ((rc = dd_buf_append(&b, chunk, n)) != 0)
            goto out;
    }
    if (ferror(f)) {
        rc = DD_EIO;
        goto out;
    }
    *len_out = b.len;
    *out = (uint8_t *)dd_buf_take(&b);
    if (*out == NULL)
        rc = DD_ENOMEM;
out:
    dd_buf_free(&b);
    fclose(f);
    return rc;
}

/* Calls fn for every regular file under dir, in sorted order per directory (dot entries
 * skipped), as `drydock db import` walks its PATHs. */
typedef int (*file_fn)(void *ctx, const char *path);

static int walk(const char *dir, int depth, file_fn fn, void *ctx)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "match_bench: %s: %s\n", dir, strerror(errno));
        return DD_EIO;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char *p = NULL;
        struct stat sb;
        if (rc == 0 && names[i]->d_name[0] != '.' &&
            (p = dd_asprintf("%s/%s", dir, names[i]->d_name)) != NULL && lstat(p, &sb) == 0) {
            if (S_ISREG(sb.st_mode))
                rc = fn(ctx, p);
            else if (S_ISDIR(sb.st_mode) && depth < DEPTH_MAX)
                rc = walk(p, depth + 1, fn, ctx);
        }
        dd_free(p);
        free(names[i]);
    }
    free(names);
    return rc;
}

/* ---- 1. import ------------------------------------------------------------------------------- */

typedef struct importer_ctx {
    dd_vulndb_writer *w;
    const dd_importer *cur;
    size_t n_files, n_unknown, n_failed, n_advisories, n_warnings;
} importer_ctx;

static int sink_put(void *ctx, const dd_advisory *a, dd_err *err)
{
    importer_ctx *ic = ctx;
    ic->n_advisories++;
    return dd_vulndb_writer_put(ic->w, a, err);
}

static void sink_warn(void *ctx, const char *path, const char *msg)
{
    (void)path;
    (void)msg;
    ((importer_ctx *)ctx)->n_warnings++;
}

static int import_one(void *ctx, const char *path)
{
    importer_ctx *ic = ctx;
    uint8_t *buf = NULL;
    size_t len = 0;
    dd_err err = DD_ERR_INIT;
    int rc = 0;
    if (read_file(&buf, &len, path) != 0) {
        ic->n_failed++;
        goto out;
    }
    const dd_importer *imp = dd_import_detect(path, buf, len < 4096 ? len : 4096);
    if (imp == NULL) {
        ic->n_unknown++;
        goto out;
    }
    if (imp != ic->cur) {
        if ((rc = dd_vulndb_writer_source(ic->w, imp->source, "match_bench", &err)) != 0)
            goto out;
        ic->cur = imp;
    }
    dd_import_sink sink = {sink_put, sink_warn, ic};
    rc = imp->import(buf, len, path, &sink, &err);
    if (rc == DD_EINVALID || rc == DD_ELIMIT || rc == DD_EUNSUPPORTED) {
        ic->n_failed++;
        rc = 0;
    } else if (rc == 0) {
        ic->n_files++;
    }
out:
    if (rc != 0)
        fprintf(stderr, "match_bench: import %s: %s\n", path, err.msg);
    dd_free(buf);
    return rc;
}

static int build_db(const char *db_path, const char *feeds)
{
    importer_ctx ic;
    memset(&ic, 0, sizeof(ic));
    dd_err err = DD_ERR_INIT;
    unlink(db_path);
    double t0 = now_ms();
    int rc = dd_vulndb_writer_open(&ic.w, db_path, false, &err);
    if (rc == 0 && (rc = walk(feeds, 0, import_one, &ic)) != 0)
        dd_vulndb_writer_abort(ic.w);
    else if (rc == 0)
        rc = dd_vulndb_writer_commit(ic.w, &err);
    if (rc != 0) {
        fprintf(stderr, "match_bench: import: %s\n", err.msg[0] ? err.msg : dd_strerror(rc));
        return rc;
    }
    double t1 = now_ms();
    struct stat sb;
    if (stat(db_path, &sb) != 0)
        return DD_EIO;
    printf("import %s: %.0f ms, %zu files (%zu of unknown format, %zu failed), %zu advisories, "
           "%zu warnings; database %.1f MiB\n",
           feeds, t1 - t0, ic.n_files, ic.n_unknown, ic.n_failed, ic.n_advisories, ic.n_warnings,
           (double)sb.st_size / (1024.0 * 1024.0));
    return 0;
}

/* ---- 2. packages ----------------------------------------------------------------------------- */

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* dpkg status files: var/lib/dpkg/status, distroless status.d/<name> (not *.md5sums) and the
 * loose files of dpkg/fixtures/. */
static int is_dpkg_status(const char *path)
{
    const char *base = strrchr(path, '/') + 1;
    if (ends_with(path, "/var/lib/dpkg/status") || strstr(path, "/dpkg/fixtures/") != NULL)
        return 1;
    return strstr(path, "/status.d/") != NULL && strchr(base, '.') == NULL;
}

static int is_apk_installed(const char *path)
{
    return ends_with(path, "/lib/apk/db/installed") || ends_with(path, ".installed");
}

typedef struct os_files {
    dd_pkg_list *dpkg, *apk;
    size_t n_dpkg_files, n_apk_files;
} os_files;

static int parse_os_file(void *ctx, const char *path)
{
    os_files *of = ctx;
    int dpkg = is_dpkg_status(path), apk = !dpkg && is_apk_installed(path);
    if (!dpkg && !apk)
        return 0;
    uint8_t *buf = NULL;
    size_t len = 0;
    dd_err err = DD_ERR_INIT;
    int rc = read_file(&buf, &len, path);
    if (rc != 0)
        return rc;
    /* malformed stanzas are dropped; the others are kept (DD_EINVALID) */
    rc = dpkg ? dd_dpkg_parse(buf, len, path, 0, of->dpkg, &err)
              : dd_apk_parse(buf, len, path, 0, of->apk, &err);
    dd_free(buf);
    if (rc == DD_EINVALID)
        rc = 0;
    if (dpkg)
        of->n_dpkg_files++;
    else
        of->n_apk_files++;
    return rc;
}

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
    int rc = read_file(&buf, &len, path);
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
    if ((rc = walk(lang_dir, 0, stage_one, &sc)) != 0 ||
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

static int copy_opt(char **dst, const char *src)
{
    return src == NULL || (*dst = dd_strdup(src)) != NULL ? 0 : DD_ENOMEM;
}

static int pkg_copy(dd_pkg_list *l, const dd_pkg *p)
{
    dd_pkg *q = NULL;
    int rc = dd_pkg_list_add(l, p->type, p->name, p->version,
                             p->paths.n > 0 ? p->paths.items[0] : NULL, &q);
    if (rc != 0)
        return rc;
    q->declared_only = p->declared_only;
    q->dev = p->dev;
    q->layer = p->layer;
    if ((rc = copy_opt(&q->arch, p->arch)) != 0 ||
        (rc = copy_opt(&q->source_name, p->source_name)) != 0 ||
        (rc = copy_opt(&q->source_version, p->source_version)) != 0 ||
        (rc = copy_opt(&q->epoch, p->epoch)) != 0 || (rc = copy_opt(&q->owner, p->owner)) != 0)
        return rc;
    return 0;
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

    if (build_db(db_path, feeds) != 0)
        goto out;

    os_files of = {&dpkg, &apk, 0, 0};
    if (walk(pkgdb, 0, parse_os_file, &of) != 0 || catalog_lang(&lang, lang_dir, work) != 0)
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
        if (pkg_copy(&inv[p->type == DD_PKG_APK].pkgs, p) != 0)
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
        double t0 = now_ms();
        for (int k = 0; k < 2; k++) {
            if (dd_match_inventory(&res[k], &inv[k], db, &err) != 0) {
                fprintf(stderr, "match_bench: match: %s\n", err.msg);
                if (k == 1)
                    dd_match_result_free(&res[0]);
                goto out;
            }
        }
        double t = now_ms() - t0;
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
