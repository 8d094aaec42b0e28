/* Shared helpers of the C benchmarks (see common.h). */
#include "common.h"
#include "inventory/apk.h"
#include "inventory/dpkg.h"
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

double bench_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int bench_read_file(uint8_t **out, size_t *len_out, const char *path)
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

int bench_walk(const char *dir, int depth, file_fn fn, void *ctx)
{
    struct dirent **names = NULL;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        fprintf(stderr, "bench: %s: %s\n", dir, strerror(errno));
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
                rc = bench_walk(p, depth + 1, fn, ctx);
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
    if (bench_read_file(&buf, &len, path) != 0) {
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
        fprintf(stderr, "bench: import %s: %s\n", path, err.msg);
    dd_free(buf);
    return rc;
}

int bench_build_db(const char *db_path, const char *feeds)
{
    importer_ctx ic;
    memset(&ic, 0, sizeof(ic));
    dd_err err = DD_ERR_INIT;
    unlink(db_path);
    double t0 = bench_now_ms();
    int rc = dd_vulndb_writer_open(&ic.w, db_path, false, &err);
    if (rc == 0 && (rc = bench_walk(feeds, 0, import_one, &ic)) != 0)
        dd_vulndb_writer_abort(ic.w);
    else if (rc == 0)
        rc = dd_vulndb_writer_commit(ic.w, &err);
    if (rc != 0) {
        fprintf(stderr, "bench: import: %s\n", err.msg[0] ? err.msg : dd_strerror(rc));
        return rc;
    }
    double t1 = bench_now_ms();
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

int bench_ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* dpkg status files: var/lib/dpkg/status, distroless status.d/<name> (not *.md5sums) and the
 * loose files of dpkg/fixtures/. */
int bench_is_dpkg_status(const char *path)
{
    const char *base = strrchr(path, '/') + 1;
    if (bench_ends_with(path, "/var/lib/dpkg/status") || strstr(path, "/dpkg/fixtures/") != NULL)
        return 1;
    return strstr(path, "/status.d/") != NULL && strchr(base, '.') == NULL;
}

int bench_is_apk_installed(const char *path)
{
    return bench_ends_with(path, "/lib/apk/db/installed") || bench_ends_with(path, ".installed");
}

int bench_parse_os_file(void *ctx, const char *path)
{
    os_files *of = ctx;
    int dpkg = bench_is_dpkg_status(path), apk = !dpkg && bench_is_apk_installed(path);
    if (!dpkg && !apk)
        return 0;
    uint8_t *buf = NULL;
    size_t len = 0;
    dd_err err = DD_ERR_INIT;
    int rc = bench_read_file(&buf, &len, path);
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

static int copy_opt(char **dst, const char *src)
{
    return src == NULL || (*dst = dd_strdup(src)) != NULL ? 0 : DD_ENOMEM;
}

int bench_pkg_copy(dd_pkg_list *l, const dd_pkg *p)
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
