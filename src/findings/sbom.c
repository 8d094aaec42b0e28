/* Exports (spec 5.7): CreateSbomExport writes one SBOM per covered image matching the
 * ResourceFilterCriteria (CycloneDX via dd_report_cyclonedx — our writer emits CycloneDX 1.5 for
 * the model's CYCLONEDX_1_4 — or SPDX 2.3), and CreateFindingsReport writes the findings matching
 * a FilterCriteria as JSON or CSV. Both run synchronously inside the request and record their
 * outcome in the "exports" tables; the destination is a directory tree under
 * DATA/exports/<bucketName>/<keyPrefix>/ standing in for the S3 bucket. Path parts coming from the
 * request are checked so nothing lands outside that tree. */
#include "findings/findings.h"
#include "findings/internal.h"
#include "report/report.h"
#include "scanning/scanning.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const EXPORT_MIGRATIONS[] = {
    "CREATE TABLE sbom_exports ("
    " id TEXT PRIMARY KEY,"
    " owner TEXT NOT NULL,"
    " format TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " error_code TEXT,"
    " error_message TEXT,"
    " destination TEXT NOT NULL,"
    " criteria TEXT,"
    " n_files INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE TABLE findings_reports ("
    " id TEXT PRIMARY KEY,"
    " owner TEXT NOT NULL,"
    " format TEXT NOT NULL,"
    " status TEXT NOT NULL,"
    " error_code TEXT,"
    " error_message TEXT,"
    " destination TEXT NOT NULL,"
    " criteria TEXT,"
    " n_files INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);",
};

int dd_findings_exports_migrate(dd_sql *s, dd_err *err)
{
    return dd_sql_migrate(s, "exports", EXPORT_MIGRATIONS,
                          sizeof(EXPORT_MIGRATIONS) / sizeof(EXPORT_MIGRATIONS[0]), err);
}

/* ---- destination paths ---- */

static bool segment_ok(const char *s, size_t len)
{
    if (len == 0 || len > 255 || (len == 1 && s[0] == '.') ||
        (len == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f || ch == '\\' || ch == '/')
            return false;
    }
    return true;
}

/* Appends "/seg" for every non-empty segment of a '/'-separated relative path. */
static int append_rel(dd_buf *b, const char *path, const char *what, dd_err *err)
{
    const char *p = path;
    while (*p != '\0') {
        const char *e = strchr(p, '/');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (len > 0) {
            if (!segment_ok(p, len))
                return dd_err_set(err, DD_EINVALID, "%s: invalid path segment", what);
            if (dd_buf_append(b, "/", 1) != 0 || dd_buf_append(b, p, len) != 0)
                return DD_ENOMEM;
        }
        p += len;
        if (*p == '/')
            p++;
    }
    return 0;
}

static int check_destination(const json_t *d, const char *member, dd_err *err)
{
    if (!json_is_object(d))
        return dd_err_set(err, DD_EINVALID, "%s: required", member);
    const char *bucket = json_string_value(json_object_get(d, "bucketName"));
    const json_t *kms = json_object_get(d, "kmsKeyArn");
    const json_t *prefix = json_object_get(d, "keyPrefix");
    if (bucket == NULL || !segment_ok(bucket, strlen(bucket)))
        return dd_err_set(err, DD_EINVALID, "%s.bucketName: required, a plain bucket name", member);
    if (!json_is_string(kms))
        return dd_err_set(err, DD_EINVALID, "%s.kmsKeyArn: required", member);
    if (prefix != NULL && !json_is_string(prefix))
        return dd_err_set(err, DD_EINVALID, "%s.keyPrefix: must be a string", member);
    if (prefix != NULL && strlen(json_string_value(prefix)) > 1024)
        return dd_err_set(err, DD_EINVALID, "%s.keyPrefix: too long", member);
    dd_buf b = DD_BUF_INIT(4096);
    char what[64];
    snprintf(what, sizeof(what), "%s.keyPrefix", member);
    int rc = prefix != NULL ? append_rel(&b, json_string_value(prefix), what, err) : 0;
    dd_buf_free(&b);
    return rc;
}

/* DATA/exports/<bucket>[/<prefix>] into b. */
static int dest_dir(dd_buf *b, const char *data_dir, const json_t *d, dd_err *err)
{
    if (dd_buf_printf(b, "%s/exports", data_dir) != 0)
        return DD_ENOMEM;
    int rc = append_rel(b, json_string_value(json_object_get(d, "bucketName")), "bucketName", err);
    const char *prefix = json_string_value(json_object_get(d, "keyPrefix"));
    if (rc == 0 && prefix != NULL)
        rc = append_rel(b, prefix, "keyPrefix", err);
    return rc;
}

/* mkdir -p of the directory part of path. */
static int mkdirs_for(const char *path, dd_err *err)
{
    char *p = dd_strdup(path);
    if (p == NULL)
        return DD_ENOMEM;
    int rc = 0;
    for (char *s = p + 1; *s != '\0'; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0755) != 0 && errno != EEXIST) {
            rc = dd_err_errno(err, errno, "mkdir");
            break;
        }
        *s = '/';
    }
    dd_free(p);
    return rc;
}

typedef int (*write_fn)(FILE *f, void *ctx, dd_err *err);

/* Writes path atomically (temporary file, then rename). */
static int write_file(const char *path, write_fn fn, void *ctx, dd_err *err)
{
    int rc = mkdirs_for(path, err);
    if (rc != 0)
        return rc;
    char *tmp = dd_asprintf("%s.tmp", path);
    if (tmp == NULL)
        return DD_ENOMEM;
    FILE *f = fopen(tmp, "w");
    if (f == NULL) {
        rc = dd_err_errno(err, errno, "open export file");
        dd_free(tmp);
        return rc;
    }
    rc = fn(f, ctx, err);
    if (fclose(f) != 0 && rc == 0)
        rc = dd_err_errno(err, errno, "write export file");
    if (rc == 0 && rename(tmp, path) != 0)
        rc = dd_err_errno(err, errno, "rename export file");
    if (rc != 0)
        unlink(tmp);
    dd_free(tmp);
    return rc;
}

/* ---- records ---- */

typedef enum kind { SBOM, REPORT } kind;

static const char SQL_SBOM_INSERT[] =
    "INSERT INTO sbom_exports (id, owner, format, status, error_code, error_message, destination,"
    " criteria, n_files, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_REPORT_INSERT[] =
    "INSERT INTO findings_reports (id, owner, format, status, error_code, error_message,"
    " destination, criteria, n_files, created_at, updated_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_SBOM_GET[] =
    "SELECT format, status, error_code, error_message, destination, criteria FROM sbom_exports"
    " WHERE id = ? AND owner = ?";
static const char SQL_REPORT_GET[] =
    "SELECT format, status, error_code, error_message, destination, criteria"
    " FROM findings_reports WHERE id = ? AND owner = ?";
static const char SQL_SBOM_CANCEL[] =
    "UPDATE sbom_exports SET status = 'CANCELLED', updated_at = ? WHERE id = ? AND owner = ?"
    " AND status = 'IN_PROGRESS'";
static const char SQL_REPORT_CANCEL[] =
    "UPDATE findings_reports SET status = 'CANCELLED', updated_at = ? WHERE id = ? AND owner = ?"
    " AND status = 'IN_PROGRESS'";

typedef struct outcome {
    const char *status;
    const char *error_code;
    char message[DD_ERR_MSG_MAX];
    int64_t n_files;
} outcome;

static int record(dd_sql_conn *c, kind k, const dd_export_env *env, const char *id,
                  const char *format, const outcome *o, const json_t *dest, const json_t *criteria,
                  dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, k == SBOM ? SQL_SBOM_INSERT : SQL_REPORT_INSERT, &st, err);
    if (rc != 0)
        return rc;
    char *d = json_dumps(dest, JSON_COMPACT | JSON_SORT_KEYS);
    char *cr = criteria != NULL ? json_dumps(criteria, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (d == NULL || (criteria != NULL && cr == NULL)) {
        free(d);
        free(cr);
        return DD_ENOMEM;
    }
    dd_sql_bind_text(st, 1, id);
    dd_sql_bind_text(st, 2, env->account);
    dd_sql_bind_text(st, 3, format);
    dd_sql_bind_text(st, 4, o->status);
    dd_sql_bind_text(st, 5, o->error_code);
    dd_sql_bind_text(st, 6, o->error_code != NULL ? o->message : NULL);
    dd_sql_bind_text(st, 7, d);
    dd_sql_bind_text(st, 8, cr);
    dd_sql_bind_int(st, 9, o->n_files);
    dd_sql_bind_int(st, 10, env->now_ms);
    dd_sql_bind_int(st, 11, env->now_ms);
    free(d);
    free(cr);
    return dd_sql_run(c, st, err);
}

static int get(dd_sql_conn *c, kind k, const char *account, const char *id, json_t **out,
               dd_err *err)
{
    sqlite3_stmt *st;
    *out = NULL;
    int rc = dd_sql_stmt(c, k == SBOM ? SQL_SBOM_GET : SQL_REPORT_GET, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, id);
    dd_sql_bind_text(st, 2, account);
    if ((rc = dd_sql_step(c, st, err)) <= 0)
        return rc < 0 ? rc : dd_err_set(err, DD_ENOTFOUND, "Report %.64s not found", id);
    json_t *o = json_pack("{s:s, s:s}", "reportId", id, "status", dd_sql_col_text(st, 1));
    if (o == NULL) {
        sqlite3_reset(st);
        return DD_ENOMEM;
    }
    if (k == SBOM)
        json_object_set_new(o, "format", json_string(dd_sql_col_text(st, 0)));
    if (sqlite3_column_type(st, 2) != SQLITE_NULL)
        json_object_set_new(o, "errorCode", json_string(dd_sql_col_text(st, 2)));
    if (sqlite3_column_type(st, 3) != SQLITE_NULL && dd_sql_col_text(st, 3)[0] != '\0')
        json_object_set_new(o, "errorMessage", json_string(dd_sql_col_text(st, 3)));
    json_t *dest = json_loads(dd_sql_col_text(st, 4), 0, NULL);
    if (dest != NULL)
        json_object_set_new(o, k == SBOM ? "s3Destination" : "destination", dest);
    if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
        json_t *cr = json_loads(dd_sql_col_text(st, 5), 0, NULL);
        if (cr != NULL)
            json_object_set_new(o, "filterCriteria", cr);
    }
    sqlite3_reset(st);
    *out = o;
    return 0;
}

static int cancel(dd_sql_conn *c, kind k, const char *account, const char *id, int64_t now_ms,
                  dd_err *err)
{
    json_t *cur = NULL;
    int rc = get(c, k, account, id, &cur, err);
    json_decref(cur);
    if (rc != 0)
        return rc;
    sqlite3_stmt *st;
    if ((rc = dd_sql_stmt(c, k == SBOM ? SQL_SBOM_CANCEL : SQL_REPORT_CANCEL, &st, err)) != 0)
        return rc;
    dd_sql_bind_int(st, 1, now_ms);
    dd_sql_bind_text(st, 2, id);
    dd_sql_bind_text(st, 3, account);
    return dd_sql_run(c, st, err);
}

int dd_sbom_export_get(dd_sql_conn *c, const char *account, const char *report_id, json_t **out,
                       dd_err *err)
{
    return get(c, SBOM, account, report_id, out, err);
}

int dd_sbom_export_cancel(dd_sql_conn *c, const char *account, const char *report_id,
                          int64_t now_ms, dd_err *err)
{
    return cancel(c, SBOM, account, report_id, now_ms, err);
}

int dd_findings_report_get(dd_sql_conn *c, const char *account, const char *report_id, json_t **out,
                           dd_err *err)
{
    return get(c, REPORT, account, report_id, out, err);
}

int dd_findings_report_cancel(dd_sql_conn *c, const char *account, const char *report_id,
                              int64_t now_ms, dd_err *err)
{
    return cancel(c, REPORT, account, report_id, now_ms, err);
}

/* ---- SBOM export ---- */

static const char *const RCMP[] = {"EQUALS", "NOT_EQUALS", NULL};
static const char *const RSTRINGS[] = {"accountId",         "resourceId",         "resourceType",
                                       "ecrRepositoryName", "lambdaFunctionName", "ecrImageTags"};
static const char *const RMAPS[] = {"ec2InstanceTags", "lambdaFunctionTags"};

static int check_resource_criteria(const json_t *rc_, dd_err *err)
{
    if (rc_ == NULL)
        return 0;
    if (!json_is_object(rc_))
        return dd_err_set(err, DD_EINVALID, "resourceFilterCriteria: must be an object");
    char path[96];
    for (size_t i = 0; i < sizeof(RSTRINGS) / sizeof(RSTRINGS[0]); i++) {
        const json_t *l = json_object_get(rc_, RSTRINGS[i]);
        snprintf(path, sizeof(path), "resourceFilterCriteria.%s", RSTRINGS[i]);
        if (l != NULL && dd_fc_validate_strings(l, RCMP, 1024, path, err) != 0)
            return DD_EINVALID;
    }
    for (size_t i = 0; i < 2; i++) {
        const json_t *l = json_object_get(rc_, RMAPS[i]);
        snprintf(path, sizeof(path), "resourceFilterCriteria.%s", RMAPS[i]);
        if (l != NULL && dd_fc_validate_maps(l, 1024, 1, 1024, path, err) != 0)
            return DD_EINVALID;
    }
    return 0;
}

static bool one(const json_t *crit, const char *member, const char *v)
{
    const json_t *l = json_object_get(crit, member);
    const char *vals[1] = {v};
    return l == NULL || dd_fc_match_strings(l, vals, v != NULL ? 1 : 0);
}

static bool image_match(const json_t *crit, const dd_export_env *env, const char *repo,
                        const char *id, const json_t *tags)
{
    if (crit == NULL)
        return true;
    if (!one(crit, "accountId", env->account) || !one(crit, "resourceId", id) ||
        !one(crit, "resourceType", "AWS_ECR_CONTAINER_IMAGE") ||
        !one(crit, "ecrRepositoryName", repo) || !one(crit, "lambdaFunctionName", NULL))
        return false;
    const json_t *tl = json_object_get(crit, "ecrImageTags");
    if (tl != NULL) {
        const char *vals[64];
        size_t n = 0, i;
        const json_t *t;
        json_array_foreach(tags, i, t)
        {
            if (json_is_string(t) && n < 64)
                vals[n++] = json_string_value(t);
        }
        if (!dd_fc_match_strings(tl, vals, n))
            return false;
    }
    for (size_t i = 0; i < 2; i++)
        if (json_object_get(crit, RMAPS[i]) != NULL)
            return false; /* EC2/Lambda tags: never an image */
    return true;
}

static const char SQL_IMAGES[] =
    "SELECT si.repo, si.digest,"
    " (SELECT json_group_array(name) FROM (SELECT t.name FROM tags t JOIN repositories r"
    "   ON r.id = t.repo_id WHERE r.name = si.repo AND t.digest = si.digest ORDER BY t.name))"
    " FROM (SELECT DISTINCT repo, digest FROM scan_images"
    "       WHERE ?1 = 0 OR scan_type = 'ENHANCED') si ORDER BY si.repo, si.digest";

typedef struct sbom_doc {
    const dd_scan_report *r;
    bool spdx;
} sbom_doc;

static int write_sbom(FILE *f, void *ctx, dd_err *err)
{
    sbom_doc *d = ctx;
    return d->spdx ? dd_report_spdx(f, d->r, err) : dd_report_cyclonedx(f, d->r, err);
}

static int export_image(const dd_export_env *env, const char *dir, const char *repo,
                        const char *digest, bool spdx, bool *written, dd_err *err)
{
    dd_stored_inventory si;
    memset(&si, 0, sizeof(si));
    *written = false;
    int rc = env->inventory(env->inventory_ctx, repo, digest, &si, err);
    if (rc == DD_ENOTFOUND) {
        dd_err_clear(err);
        return 0;
    }
    if (rc != 0)
        return rc;
    dd_report_layer *layers = NULL;
    char *path = NULL, *name = NULL;
    char serial[37];
    if (si.layers.n > 0 && (layers = dd_calloc(si.layers.n, sizeof(*layers))) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < si.layers.n; i++)
        layers[i].digest = si.layers.items[i];
    if ((rc = dd_report_uuid(serial)) != 0)
        goto out;
    const char *hex = strncmp(digest, "sha256:", 7) == 0 ? digest + 7 : digest;
    name = dd_asprintf("%s@%s", repo, digest);
    path = dd_asprintf("%s/%s/%s.%s.json", dir, repo, hex, spdx ? "spdx" : "cdx");
    if (name == NULL || path == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    dd_scan_report r = {0};
    r.target = name;
    r.name = repo;
    r.manifest_digest = digest;
    r.config_digest = si.config_digest;
    r.platform = si.platform;
    r.layers = layers;
    r.n_layers = si.layers.n;
    r.inv = &si.inv;
    r.time_ms = si.scanned_at_ms != 0 ? si.scanned_at_ms : env->now_ms;
    r.serial = serial;
    sbom_doc d = {&r, spdx};
    if ((rc = write_file(path, write_sbom, &d, err)) == 0)
        *written = true;
out:
    dd_free(layers);
    dd_free(path);
    dd_free(name);
    env->inventory_free(env->inventory_ctx, &si);
    return rc;
}

/* Repository names are validated by the registry; still refuse anything that would climb out. */
static bool repo_path_ok(const char *repo)
{
    if (repo[0] == '\0' || repo[0] == '/')
        return false;
    const char *p = repo;
    while (*p != '\0') {
        const char *e = strchr(p, '/');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (!segment_ok(p, len))
            return false;
        p += len;
        if (*p == '/')
            p++;
    }
    return true;
}

/* The images (repo, digest) matching crit, as [[repo, digest]...]. */
static int list_images(dd_sql_conn *c, const dd_export_env *env, const json_t *crit, json_t **out,
                       dd_err *err)
{
    sqlite3_stmt *st;
    json_t *images = json_array();
    *out = NULL;
    if (images == NULL)
        return DD_ENOMEM;
    int rc = dd_sql_stmt(c, SQL_IMAGES, &st, err);
    if (rc != 0)
        goto out;
    dd_sql_bind_int(st, 1, env->enhanced ? 1 : 0);
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        const char *repo = dd_sql_col_text(st, 0), *digest = dd_sql_col_text(st, 1);
        json_t *tags = json_loads(dd_sql_col_text(st, 2), 0, NULL);
        char *id = dd_asprintf("arn:aws:ecr:%s:%s:repository/%s/%s", env->region, env->account,
                               repo, digest);
        if (id != NULL && repo_path_ok(repo) && image_match(crit, env, repo, id, tags))
            json_array_append_new(images, json_pack("[s,s]", repo, digest));
        dd_free(id);
        json_decref(tags);
    }
    if (rc < 0)
        goto out;
    rc = 0;
    *out = images;
    images = NULL;
out:
    json_decref(images);
    return rc;
}

static void fail_outcome(outcome *o, int rc, const dd_err *err)
{
    o->status = "FAILED";
    o->error_code = "INTERNAL_ERROR";
    snprintf(o->message, sizeof(o->message), "%s",
             err->msg[0] != '\0' ? err->msg : dd_strerror(rc));
}

int dd_sbom_export_create(dd_sql *sql, const dd_export_env *env, const json_t *request,
                          char **report_id, dd_err *err)
{
    *report_id = NULL;
    const char *format = json_string_value(json_object_get(request, "reportFormat"));
    if (format == NULL || (strcmp(format, "CYCLONEDX_1_4") != 0 && strcmp(format, "SPDX_2_3") != 0))
        return dd_err_set(err, DD_EINVALID, "reportFormat: must be CYCLONEDX_1_4 or SPDX_2_3");
    const json_t *dest = json_object_get(request, "s3Destination");
    const json_t *crit = json_object_get(request, "resourceFilterCriteria");
    int rc = check_destination(dest, "s3Destination", err);
    if (rc == 0)
        rc = check_resource_criteria(crit, err);
    if (rc != 0)
        return rc;
    char id[37];
    if ((rc = dd_report_uuid(id)) != 0)
        return rc;
    dd_buf dir = DD_BUF_INIT(8192);
    outcome o = {"SUCCEEDED", NULL, "", 0};
    dd_err werr = DD_ERR_INIT;
    json_t *images = NULL;
    bool spdx = strcmp(format, "SPDX_2_3") == 0;
    rc = dest_dir(&dir, env->data_dir, dest, &werr);
    if (rc == 0) {
        /* No connection is held while the inventories are read (they take their own). */
        dd_sql_conn *c = dd_sql_acquire(sql);
        rc = list_images(c, env, crit, &images, &werr);
        dd_sql_release(sql, c);
    }
    size_t i;
    const json_t *img;
    json_array_foreach(images, i, img)
    {
        bool written = false;
        if (rc != 0)
            break;
        rc = export_image(env, dir.data, json_string_value(json_array_get(img, 0)),
                          json_string_value(json_array_get(img, 1)), spdx, &written, &werr);
        o.n_files += written ? 1 : 0;
    }
    if (rc == DD_ENOMEM)
        goto out;
    if (rc != 0)
        fail_outcome(&o, rc, &werr);
    else if (o.n_files == 0) {
        o.status = "FAILED";
        o.error_code = "NO_FINDINGS_FOUND";
        snprintf(o.message, sizeof(o.message), "No scanned image matched the criteria");
    }
    dd_sql_conn *c = dd_sql_acquire(sql);
    rc = record(c, SBOM, env, id, format, &o, dest, crit, err);
    dd_sql_release(sql, c);
    if (rc == 0 && (*report_id = dd_strdup(id)) == NULL)
        rc = DD_ENOMEM;
out:
    json_decref(images);
    dd_buf_free(&dir);
    return rc;
}

/* ---- findings report ---- */

typedef struct report_ctx {
    FILE *f;
    bool csv;
    size_t n;
    dd_sql_conn *c;
    const json_t *crit;
} report_ctx;

static void csv_cell(FILE *f, const char *s, bool last)
{
    fputc('"', f);
    if (s != NULL && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@'))
        fputc('\'', f); /* keep spreadsheets from evaluating it */
    for (const char *p = s != NULL ? s : ""; *p != '\0'; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
    fputc(last ? '\n' : ',', f);
}

static const char *CSV_HEADER = "Finding ARN,AWS Account Id,Severity,Status,Title,Vulnerability "
                                "Id,Source,Inspector Score,Fix Available,Exploit Available,"
                                "Resource ID,Repository Name,Image Hash,Image Tags,Affected "
                                "Packages,Fixed Versions,First Seen,Last Seen,Last Updated\n";

static char *joined(const json_t *doc, const char *path, const char *suffix_path)
{
    const json_t *v[256], *w[256];
    size_t n = dd_fc_values(doc, path, v, 256);
    size_t m = suffix_path != NULL ? dd_fc_values(doc, suffix_path, w, 256) : 0;
    dd_buf b = DD_BUF_INIT(1 << 20);
    for (size_t i = 0; i < n && i < 256; i++) {
        int rc = dd_buf_append_str(&b, i ? "; " : "");
        if (json_is_string(v[i]))
            rc |= dd_buf_append_str(&b, json_string_value(v[i]));
        if (suffix_path != NULL && i < m && json_is_string(w[i]))
            rc |= dd_buf_printf(&b, " %s", json_string_value(w[i]));
        if (rc != 0)
            break;
    }
    char *s = dd_buf_take(&b);
    return s != NULL ? s : dd_strdup("");
}

static void csv_time(FILE *f, const json_t *v, bool last)
{
    char buf[40] = "";
    if (json_is_number(v))
        dd_time_format_rfc3339(buf, sizeof(buf), (int64_t)(json_number_value(v) * 1000.0));
    csv_cell(f, buf, last);
}

static int report_row(void *p, json_t *doc)
{
    report_ctx *x = p;
    if (!x->csv) {
        if (x->n > 0)
            fputc(',', x->f);
        if (json_dumpf(doc, x->f, JSON_COMPACT) != 0)
            return DD_EIO;
        x->n++;
        return 0;
    }
    const json_t *pvd = json_object_get(doc, "packageVulnerabilityDetails");
    char score[32] = "";
    const json_t *sc = json_object_get(doc, "inspectorScore");
    if (json_is_number(sc))
        snprintf(score, sizeof(score), "%.1f", json_number_value(sc));
    char *tags = joined(doc, "resources.details.awsEcrContainerImage.imageTags", NULL);
    char *pkgs = joined(doc, "packageVulnerabilityDetails.vulnerablePackages.name",
                        "packageVulnerabilityDetails.vulnerablePackages.version");
    char *fixed =
        joined(doc, "packageVulnerabilityDetails.vulnerablePackages.fixedInVersion", NULL);
    if (tags == NULL || pkgs == NULL || fixed == NULL) {
        dd_free(tags);
        dd_free(pkgs);
        dd_free(fixed);
        return DD_ENOMEM;
    }
    const json_t *res0 = json_array_get(json_object_get(doc, "resources"), 0);
    const json_t *ecr = json_object_get(json_object_get(res0, "details"), "awsEcrContainerImage");
#define S(o, k) json_string_value(json_object_get((o), (k)))
    csv_cell(x->f, S(doc, "findingArn"), false);
    csv_cell(x->f, S(doc, "awsAccountId"), false);
    csv_cell(x->f, S(doc, "severity"), false);
    csv_cell(x->f, S(doc, "status"), false);
    csv_cell(x->f, S(doc, "title"), false);
    csv_cell(x->f, S(pvd, "vulnerabilityId"), false);
    csv_cell(x->f, S(pvd, "source"), false);
    csv_cell(x->f, score, false);
    csv_cell(x->f, S(doc, "fixAvailable"), false);
    csv_cell(x->f, S(doc, "exploitAvailable"), false);
    csv_cell(x->f, S(res0, "id"), false);
    csv_cell(x->f, S(ecr, "repositoryName"), false);
    csv_cell(x->f, S(ecr, "imageHash"), false);
#undef S
    csv_cell(x->f, tags, false);
    csv_cell(x->f, pkgs, false);
    csv_cell(x->f, fixed, false);
    csv_time(x->f, json_object_get(doc, "firstObservedAt"), false);
    csv_time(x->f, json_object_get(doc, "lastObservedAt"), false);
    csv_time(x->f, json_object_get(doc, "updatedAt"), true);
    dd_free(tags);
    dd_free(pkgs);
    dd_free(fixed);
    x->n++;
    return 0;
}

static int write_report(FILE *f, void *p, dd_err *err)
{
    report_ctx *x = p;
    uint64_t next = 0;
    x->f = f;
    if (x->csv)
        fputs(CSV_HEADER, f);
    else
        fputs("{\"findings\":[", f);
    int rc = dd_findings_scan(x->c, x->crit, NULL, 0, 0, report_row, x, &next, err);
    if (rc == 0 && !x->csv)
        fputs("]}\n", f);
    if (rc == 0 && ferror(f))
        rc = dd_err_set(err, DD_EIO, "write findings report failed");
    return rc;
}

int dd_findings_report_create(dd_sql_conn *c, const dd_export_env *env, const json_t *request,
                              char **report_id, dd_err *err)
{
    *report_id = NULL;
    const char *format = json_string_value(json_object_get(request, "reportFormat"));
    if (format == NULL || (strcmp(format, "CSV") != 0 && strcmp(format, "JSON") != 0))
        return dd_err_set(err, DD_EINVALID, "reportFormat: must be CSV or JSON");
    const json_t *dest = json_object_get(request, "s3Destination");
    const json_t *crit = json_object_get(request, "filterCriteria");
    int rc = check_destination(dest, "s3Destination", err);
    if (rc == 0)
        rc = dd_filter_criteria_validate(crit, err);
    if (rc != 0)
        return rc;
    char id[37];
    if ((rc = dd_report_uuid(id)) != 0)
        return rc;
    dd_buf path = DD_BUF_INIT(8192);
    outcome o = {"SUCCEEDED", NULL, "", 0};
    dd_err werr = DD_ERR_INIT;
    report_ctx x = {NULL, strcmp(format, "CSV") == 0, 0, c, crit};
    rc = dest_dir(&path, env->data_dir, dest, &werr);
    if (rc == 0 && dd_buf_printf(&path, "/%s.%s", id, x.csv ? "csv" : "json") != 0)
        rc = DD_ENOMEM;
    if (rc == 0)
        rc = write_file(path.data, write_report, &x, &werr);
    if (rc == DD_ENOMEM)
        goto out;
    if (rc != 0)
        fail_outcome(&o, rc, &werr);
    else {
        o.n_files = 1;
        if (x.n == 0) {
            o.status = "FAILED";
            o.error_code = "NO_FINDINGS_FOUND";
            snprintf(o.message, sizeof(o.message), "No finding matched the criteria");
        }
    }
    if ((rc = record(c, REPORT, env, id, format, &o, dest, crit, err)) != 0)
        goto out;
    if ((*report_id = dd_strdup(id)) == NULL)
        rc = DD_ENOMEM;
out:
    dd_buf_free(&path);
    return rc;
}
