/* The continuous re-match. A scan records, for its image, the distinct packages it holds as rows of
 * pkg_keys (one row per package identity: the fields matching depends on, plus the OS release for
 * distro packages) and, per package identity, a fingerprint of what the vulnerability DB says
 * about it. When the DB changes, every identity is matched once (grouped by OS release), the
 * identities whose fingerprint changed are found, and only the images holding one of them are
 * re-matched from their stored inventory and have their findings synced. No layer is read, and an
 * image whose packages all kept their fingerprint costs a few integer comparisons. */
#include "scanning/internal.h"
#include "util/alloc.h"
#include "util/log.h"
#include "vulndb/vulndb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define BATCH 100 /* images re-matched per transaction */
#define FNV_PRIME 0x100000001b3ULL

static uint64_t mix_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= FNV_PRIME;
    }
    return h;
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    if (s != NULL)
        h = mix_bytes(h, s, strlen(s));
    return mix_bytes(h, "", 1); /* separator: NULL and "" differ from "a" + "b" vs "ab" */
}

static uint64_t mix_int(uint64_t h, int64_t v)
{
    return mix_bytes(h, &v, sizeof(v));
}

static uint64_t mix_list(uint64_t h, const dd_strlist *l)
{
    h = mix_int(h, (int64_t)l->n);
    for (size_t i = 0; i < l->n; i++)
        h = mix_str(h, l->items[i]);
    return h;
}

/* Everything about a finding that comes from the vulnerability DB. */
static uint64_t finding_fp(uint64_t h, const dd_finding *f)
{
    char score[32];
    h = mix_str(h, f->id);
    h = mix_list(h, &f->aliases);
    h = mix_list(h, &f->advisories);
    h = mix_str(h, f->fixed_version);
    h = mix_int(h, f->fix_state);
    h = mix_int(h, f->severity);
    h = mix_str(h, f->severity_source);
    snprintf(score, sizeof(score), "%.3f", f->cvss_score);
    h = mix_str(h, score);
    h = mix_str(h, f->cvss_vector);
    for (size_t i = 0; i < f->n_cvss; i++) {
        snprintf(score, sizeof(score), "%d:%.3f", (int)f->cvss[i].type, f->cvss[i].score);
        h = mix_str(h, score);
        h = mix_str(h, f->cvss[i].source);
        h = mix_str(h, f->cvss[i].vector);
        h = mix_str(h, f->cvss[i].rating);
    }
    h = mix_str(h, f->title);
    h = mix_str(h, f->description);
    h = mix_list(h, &f->references);
    h = mix_int(h, f->published_ms);
    return mix_int(h, f->modified_ms);
}

/* fps[i]: fingerprint of package i's findings, in result order. */
static void package_fps(const dd_match_result *m, size_t n_pkgs, uint64_t *fps)
{
    for (size_t i = 0; i < n_pkgs; i++)
        fps[i] = FNV_OFFSET;
    for (size_t k = 0; k < m->n; k++)
        if (m->items[k].pkg < n_pkgs)
            fps[m->items[k].pkg] = finding_fp(fps[m->items[k].pkg], &m->items[k]);
}

static bool is_os_pkg(const dd_pkg *p)
{
    return p->type == DD_PKG_DPKG || p->type == DD_PKG_APK || p->type == DD_PKG_RPM;
}

/* The OS fields the distro ecosystem is derived from (NULL for language packages). */
static json_t *os_part(const dd_inventory *inv)
{
    if (!inv->has_os)
        return json_null();
    json_t *o = json_object();
    const char *v[][2] = {{"id", inv->os.id},
                          {"version_id", inv->os.version_id},
                          {"version", inv->os.version},
                          {"codename", inv->os.codename},
                          {"id_like", inv->os.id_like}};
    for (size_t i = 0; i < 5; i++)
        json_object_set_new(o, v[i][0], v[i][1] != NULL ? json_string(v[i][1]) : json_null());
    return o;
}

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

/* The package identity: [os, type, name, version, arch, source_name, source_version, epoch,
 * owner, declared_only] as compact JSON. */
static char *pkg_key(const dd_inventory *inv, const dd_pkg *p, json_t *os)
{
    json_t *k = json_pack("[O,i,o,o,o,o,o,o,o,b]", is_os_pkg(p) ? os : json_null(), (int)p->type,
                          str_or_null(p->name), str_or_null(p->version), str_or_null(p->arch),
                          str_or_null(p->source_name), str_or_null(p->source_version),
                          str_or_null(p->epoch), str_or_null(p->owner), p->declared_only);
    (void)inv;
    char *s = k != NULL ? json_dumps(k, JSON_COMPACT) : NULL;
    json_decref(k);
    return s;
}

static uint64_t image_fp(const uint64_t *fps, size_t n)
{
    uint64_t h = FNV_OFFSET;
    for (size_t i = 0; i < n; i++)
        h = mix_int(h, (int64_t)fps[i]);
    return h;
}

static const char SQL_KEY_PUT[] =
    "INSERT INTO pkg_keys (key, fp) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET fp = ?2"
    " RETURNING id";
static const char SQL_IMAGE_INDEX[] =
    "UPDATE scan_images SET pkg_ids = ?3, match_fp = ?4 WHERE repo = ?1 AND digest = ?2 AND"
    " scan_type = 'ENHANCED'";

int dd_scan_index_packages(dd_sql_conn *c, const char *repo, const char *digest,
                           const dd_inventory *inv, const dd_match_result *m, dd_err *err)
{
    size_t n = inv->pkgs.n;
    uint64_t *fps = dd_calloc(n ? n : 1, sizeof(uint64_t));
    int64_t *ids = dd_calloc(n ? n : 1, sizeof(int64_t));
    json_t *os = os_part(inv);
    int rc = fps != NULL && ids != NULL && os != NULL ? 0 : DD_ENOMEM;
    if (rc == 0)
        package_fps(m, n, fps);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char *key = pkg_key(inv, &inv->pkgs.items[i], os);
        sqlite3_stmt *st;
        char fp[20];
        snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)fps[i]);
        if (key == NULL)
            rc = DD_ENOMEM;
        else if ((rc = dd_sql_stmt(c, SQL_KEY_PUT, &st, err)) == 0) {
            dd_sql_bind_text(st, 1, key);
            dd_sql_bind_text(st, 2, fp);
            if ((rc = dd_sql_step(c, st, err)) == 1) {
                ids[i] = sqlite3_column_int64(st, 0);
                rc = dd_sql_run(c, st, err);
            } else if (rc == 0) {
                rc = dd_err_set(err, DD_EDB, "pkg_keys: no id returned");
            }
        }
        free(key);
    }
    if (rc == 0) {
        sqlite3_stmt *st;
        char fp[20];
        snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)image_fp(fps, n));
        if ((rc = dd_sql_stmt(c, SQL_IMAGE_INDEX, &st, err)) == 0) {
            dd_sql_bind_text(st, 1, repo);
            dd_sql_bind_text(st, 2, digest);
            dd_sql_bind_blob(st, 3, ids, n * sizeof(int64_t));
            dd_sql_bind_text(st, 4, fp);
            rc = dd_sql_run(c, st, err);
        }
    }
    json_decref(os);
    dd_free(fps);
    dd_free(ids);
    return rc;
}

/* ---- the re-match ---- */

typedef struct key_row {
    int64_t id;
    char *key;
    uint64_t old_fp, new_fp;
    char *group; /* the OS part as text ("null" for language packages) */
    char *name;  /* the package name */
} key_row;

/* The match of one OS-release group of package identities, kept for the whole re-match: images
 * take their findings from here instead of matching again. */
typedef struct group_match {
    dd_inventory inv;
    dd_match_result m;
} group_match;

typedef struct rematch {
    key_row *rows;
    size_t n_rows;
    int64_t max_id;
    size_t *by_id;       /* id -> index in rows + 1 (0: unknown) */
    group_match *groups; /* n_groups matched groups */
    size_t n_groups;
    const dd_finding **flist;  /* findings of every row, row after row */
    size_t *f_start, *f_count; /* per row: its slice of flist */
} rematch;

static void rematch_free(rematch *r)
{
    for (size_t i = 0; i < r->n_rows; i++) {
        free(r->rows[i].key);
        free(r->rows[i].group);
        dd_free(r->rows[i].name);
    }
    for (size_t g = 0; g < r->n_groups; g++) {
        dd_match_result_free(&r->groups[g].m);
        dd_inventory_free(&r->groups[g].inv);
    }
    dd_free(r->groups);
    dd_free(r->flist);
    dd_free(r->f_start);
    dd_free(r->f_count);
    dd_free(r->rows);
    dd_free(r->by_id);
}

static const char SQL_KEYS[] = "SELECT id, key, fp FROM pkg_keys ORDER BY id";

static int load_keys(dd_sql_conn *c, rematch *r, dd_err *err)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    int rc = dd_sql_stmt(c, SQL_KEYS, &st, err);
    if (rc != 0)
        return rc;
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        if (r->n_rows == cap) {
            size_t ncap = cap ? cap * 2 : 1024;
            key_row *nr = dd_realloc(r->rows, ncap * sizeof(*nr));
            if (nr == NULL) {
                sqlite3_reset(st);
                return DD_ENOMEM;
            }
            r->rows = nr;
            cap = ncap;
        }
        key_row *k = &r->rows[r->n_rows++];
        memset(k, 0, sizeof(*k));
        k->id = sqlite3_column_int64(st, 0);
        k->key = strdup(dd_sql_col_text(st, 1));
        k->old_fp = strtoull(dd_sql_col_text(st, 2), NULL, 16);
        if (k->key == NULL) {
            sqlite3_reset(st);
            return DD_ENOMEM;
        }
        if (k->id > r->max_id)
            r->max_id = k->id;
    }
    if (rc < 0)
        return rc;
    r->by_id = dd_calloc((size_t)r->max_id + 1, sizeof(size_t));
    if (r->by_id == NULL)
        return DD_ENOMEM;
    for (size_t i = 0; i < r->n_rows; i++)
        r->by_id[r->rows[i].id] = i + 1;
    return 0;
}

static int cmp_group(const void *a, const void *b)
{
    const key_row *x = *(key_row *const *)a, *y = *(key_row *const *)b;
    return strcmp(x->group, y->group);
}

/* Matches every package identity once, grouped by OS release, and sets new_fp. */
static int match_keys(rematch *r, dd_vulndb *vdb, dd_err *err)
{
    int rc = 0;
    size_t n = r->n_rows ? r->n_rows : 1;
    key_row **order = dd_calloc(n, sizeof(key_row *));
    r->groups = dd_calloc(n, sizeof(group_match));
    r->f_start = dd_calloc(n, sizeof(size_t));
    r->f_count = dd_calloc(n, sizeof(size_t));
    if (order == NULL || r->groups == NULL || r->f_start == NULL || r->f_count == NULL) {
        dd_free(order);
        return DD_ENOMEM;
    }
    for (size_t i = 0; i < r->n_rows && rc == 0; i++) {
        key_row *k = &r->rows[i];
        json_t *key = json_loads(k->key, 0, NULL);
        k->group =
            key != NULL ? json_dumps(json_array_get(key, 0), JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        const char *name = json_string_value(json_array_get(key, 2));
        if ((k->name = dd_strdup(name != NULL ? name : "")) == NULL)
            rc = DD_ENOMEM;
        json_decref(key);
        if (k->group == NULL)
            k->group = strdup("null");
        if (k->group == NULL)
            rc = DD_ENOMEM;
        order[i] = k;
    }
    if (rc == 0)
        qsort(order, r->n_rows, sizeof(*order), cmp_group);
    for (size_t start = 0; rc == 0 && start < r->n_rows;) {
        size_t end = start;
        while (end < r->n_rows && strcmp(order[end]->group, order[start]->group) == 0)
            end++;
        /* one inventory for the group, in the stored format */
        json_t *inv_json = json_object();
        json_t *pkgs = json_array();
        json_t *os = json_loads(order[start]->group, JSON_DECODE_ANY, NULL);
        if (json_is_object(os))
            json_object_set(inv_json, "os", os);
        json_decref(os);
        for (size_t i = start; i < end; i++) {
            json_t *key = json_loads(order[i]->key, 0, NULL);
            if (!json_is_array(key) || json_array_size(key) != 10) {
                json_decref(key);
                json_array_append_new(pkgs, json_null()); /* decodes as an error below */
                continue;
            }
            json_array_append_new(pkgs, json_pack("[O,O,O,O,O,O,O,O,O,b,[],i,n,n]",
                                                  json_array_get(key, 1), json_array_get(key, 2),
                                                  json_array_get(key, 3), json_array_get(key, 4),
                                                  json_array_get(key, 5), json_array_get(key, 6),
                                                  json_array_get(key, 7), json_array_get(key, 8),
                                                  json_array_get(key, 9), 0, -1));
            json_decref(key);
        }
        json_object_set_new(inv_json, "pkgs", pkgs);
        group_match *gm = &r->groups[r->n_groups];
        rc = dd_scan_inventory_decode(&gm->inv, inv_json, err);
        json_decref(inv_json);
        if (rc == 0) {
            r->n_groups++;
            rc = dd_match_inventory(&gm->m, &gm->inv, vdb, err);
        }
        if (rc == 0) {
            uint64_t *fps = dd_calloc(end - start, sizeof(uint64_t));
            if (fps == NULL)
                rc = DD_ENOMEM;
            else {
                package_fps(&gm->m, end - start, fps);
                for (size_t i = start; i < end; i++)
                    order[i]->new_fp = fps[i - start];
                dd_free(fps);
            }
            for (size_t k = 0; rc == 0 && k < gm->m.n; k++)
                r->f_count[order[start + gm->m.items[k].pkg] - r->rows]++;
        }
        start = end;
    }
    /* every row's findings as one slice of flist, in result order */
    size_t total = 0;
    for (size_t i = 0; rc == 0 && i < r->n_rows; i++) {
        r->f_start[i] = total;
        total += r->f_count[i];
        r->f_count[i] = 0;
    }
    if (rc == 0 && (r->flist = dd_calloc(total ? total : 1, sizeof(dd_finding *))) == NULL)
        rc = DD_ENOMEM;
    for (size_t g = 0, start = 0; rc == 0 && g < r->n_groups; g++) {
        group_match *gm = &r->groups[g];
        for (size_t k = 0; k < gm->m.n; k++) {
            size_t row = (size_t)(order[start + gm->m.items[k].pkg] - r->rows);
            r->flist[r->f_start[row] + r->f_count[row]++] = &gm->m.items[k];
        }
        start += gm->inv.pkgs.n;
    }
    dd_free(order);
    return rc;
}

static const char SQL_ELIGIBLE[] =
    "SELECT i.repo, i.digest, i.pkg_ids, i.match_fp FROM scan_images i JOIN scan_repos r ON"
    " r.repo = i.repo WHERE i.scan_type = 'ENHANCED' AND i.status = 'ACTIVE' AND r.frequency ="
    " 'CONTINUOUS_SCAN' AND i.inventory IS NOT NULL";
static const char SQL_IMAGE_FULL[] =
    "SELECT inventory, layers, arch, platform, pkg_ids FROM scan_images WHERE repo = ? AND"
    " digest = ? AND scan_type = 'ENHANCED'";
static const char SQL_KEY_FP[] = "UPDATE pkg_keys SET fp = ? WHERE id = ?";

static const char SQL_IMAGE_FP[] =
    "UPDATE scan_images SET match_fp = ?3 WHERE repo = ?1 AND digest = ?2 AND"
    " scan_type = 'ENHANCED'";

static int set_image_fp(dd_sql_conn *c, const char *repo, const char *digest, uint64_t fp,
                        dd_err *err)
{
    sqlite3_stmt *st;
    char text[20];
    snprintf(text, sizeof(text), "%016llx", (unsigned long long)fp);
    int rc = dd_sql_stmt(c, SQL_IMAGE_FP, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    dd_sql_bind_text(st, 2, digest);
    dd_sql_bind_text(st, 3, text);
    return dd_sql_run(c, st, err);
}

/* The row of package i of an image (ids from its index), or NULL when the index is stale. */
static const key_row *row_of(const rematch *r, const int64_t *ids, size_t i)
{
    int64_t id;
    memcpy(&id, ids + i, sizeof(id)); /* blob alignment is not guaranteed */
    size_t at = id > 0 && id <= r->max_id ? r->by_id[id] : 0;
    return at != 0 ? &r->rows[at - 1] : NULL;
}

/* For an indexed image: the vulnerability ids that involve a package whose fingerprint moved, in
 * the new results or in the stored findings (scope), and which packages those findings need
 * (want). -1 when the index does not fit (then the caller matches in full). */
static int scope_of(const rematch *r, dd_sql_conn *c, const char *repo, const char *digest,
                    const int64_t *ids, size_t n, json_t *scope, unsigned char *want, dd_err *err)
{
    dd_strlist changed = {0};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const key_row *k = row_of(r, ids, i);
        if (k == NULL) {
            rc = -1;
            break;
        }
        if (k->new_fp == k->old_fp)
            continue;
        rc = dd_strlist_push_str(&changed, k->name);
        size_t row = (size_t)(k - r->rows);
        for (size_t f = 0; rc == 0 && f < r->f_count[row]; f++)
            json_object_set_new(scope, r->flist[r->f_start[row] + f]->id, json_true());
    }
    if (rc == 0 && changed.n > 0)
        rc = dd_findings_ids_for_packages(c, repo, digest, &changed, scope, err);
    dd_strlist_free(&changed);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t row = (size_t)(row_of(r, ids, i) - r->rows);
        for (size_t f = 0; !want[i] && f < r->f_count[row]; f++)
            want[i] = json_object_get(scope, r->flist[r->f_start[row] + f]->id) != NULL;
    }
    return rc;
}

/* The image's findings in scope, assembled from the group matches (shallow copies owned by the
 * groups: free only m->items), ordered as a direct match orders them. */
static int assemble(const rematch *r, const dd_inventory *inv, const int64_t *ids,
                    const json_t *scope, dd_match_result *m)
{
    memset(m, 0, sizeof(*m));
    size_t total = 0;
    for (size_t i = 0; i < inv->pkgs.n; i++)
        total += r->f_count[row_of(r, ids, i) - r->rows];
    if ((m->items = dd_calloc(total ? total : 1, sizeof(dd_finding))) == NULL)
        return DD_ENOMEM;
    for (size_t i = 0; i < inv->pkgs.n; i++) {
        size_t row = (size_t)(row_of(r, ids, i) - r->rows);
        for (size_t f = 0; f < r->f_count[row]; f++) {
            const dd_finding *src = r->flist[r->f_start[row] + f];
            if (json_object_get(scope, src->id) == NULL)
                continue;
            m->items[m->n] = *src;
            m->items[m->n++].pkg = i;
        }
    }
    dd_match_sort(m, inv);
    return 0;
}

/* Re-matches one image from its stored inventory and syncs its findings. indexed: the image's
 * package index is current and fp is its new fingerprint: only the findings of packages whose
 * fingerprint moved are synced, and only the packages they need are decoded. Otherwise the image
 * is matched in full and its index rebuilt. */
static int rematch_image(dd_scanning *s, const rematch *r, dd_sql_conn *c, const char *repo,
                         const char *digest, bool indexed, uint64_t fp, dd_vulndb *vdb,
                         int64_t built_ms, int64_t now, dd_rematch_stats *stats, dd_err *err)
{
    sqlite3_stmt *st;
    json_t *layers_json = NULL, *scope = NULL;
    char *arch = NULL, *platform = NULL, *text = NULL;
    int64_t *ids = NULL;
    unsigned char *want = NULL;
    dd_strlist layers = {0};
    dd_inventory inv;
    dd_match_result m;
    memset(&inv, 0, sizeof(inv));
    memset(&m, 0, sizeof(m));
    bool assembled = false, have_inv = false;
    int rc = dd_sql_stmt(c, SQL_IMAGE_FULL, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    dd_sql_bind_text(st, 2, digest);
    if ((rc = dd_sql_step(c, st, err)) != 1)
        return rc;
    size_t text_len = (size_t)sqlite3_column_bytes(st, 0);
    text = dd_malloc(text_len + 1);
    if (text != NULL) {
        memcpy(text, sqlite3_column_blob(st, 0), text_len);
        text[text_len] = '\0';
    }
    layers_json = json_loads(dd_sql_col_text(st, 1), 0, NULL);
    arch = dd_strdup(dd_sql_col_text(st, 2));
    platform = sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : dd_strdup(dd_sql_col_text(st, 3));
    size_t n_ids = (size_t)sqlite3_column_bytes(st, 4) / sizeof(int64_t);
    if (n_ids > 0 && (ids = dd_malloc(n_ids * sizeof(int64_t))) != NULL)
        memcpy(ids, sqlite3_column_blob(st, 4), n_ids * sizeof(int64_t));
    sqlite3_reset(st);
    rc = text != NULL && arch != NULL ? 0 : DD_ENOMEM;
    size_t n_lines = 0;
    for (size_t i = 0; rc == 0 && i < text_len; i++)
        n_lines += text[i] == '\n';
    if (rc == 0 && indexed && ids != NULL && n_ids == n_lines) {
        scope = json_object();
        want = dd_calloc(n_ids, 1);
        rc = scope != NULL && want != NULL
                 ? scope_of(r, c, repo, digest, ids, n_ids, scope, want, err)
                 : DD_ENOMEM;
        assembled = rc == 0;
        if (rc == -1)
            rc = 0; /* the index does not fit: match in full */
    }
    if (rc == 0) {
        rc = dd_scan_inventory_parse(&inv, text, text_len, assembled ? want : NULL,
                                     assembled ? n_ids : 0, err);
        have_inv = rc == 0;
        if (rc == DD_EINVALID) {
            dd_log(DD_LOG_WARN, "rematch_skip", "repository", repo, "digest", digest, "error",
                   "stored inventory unreadable", NULL);
            rc = 0;
            goto out;
        }
    }
    size_t k;
    json_t *l;
    json_array_foreach(layers_json, k, l)
    {
        if (rc == 0 && json_is_string(l))
            rc = dd_strlist_push_str(&layers, json_string_value(l));
    }
    if (rc == 0)
        rc = assembled ? assemble(r, &inv, ids, scope, &m) : dd_match_inventory(&m, &inv, vdb, err);
    if (rc == 0) {
        dd_findings_delta d = {0, 0, 0, 0};
        if (!assembled || json_object_size(scope) > 0)
            rc = dd_scan_apply_rematch(s, c, repo, digest, &inv, &m, &layers, arch, platform, scope,
                                       built_ms, now, &d, err);
        stats->created += d.created;
        stats->updated += d.updated;
        stats->closed += d.closed;
        stats->packages_rematched += assembled ? json_object_size(scope) : inv.pkgs.n;
        if (rc == 0 && assembled)
            rc = set_image_fp(c, repo, digest, fp, err);
        else if (rc == 0)
            rc = dd_scan_index_packages(c, repo, digest, &inv, &m, err);
    }
out:
    if (assembled) /* shallow copies: the groups own the findings */
        dd_free(m.items);
    else
        dd_match_result_free(&m);
    if (have_inv)
        dd_inventory_free(&inv);
    json_decref(scope);
    json_decref(layers_json);
    dd_free(ids);
    dd_free(want);
    dd_free(text);
    dd_free(arch);
    dd_free(platform);
    dd_strlist_free(&layers);
    return rc;
}

int dd_scanning_rematch(dd_scanning *s, bool force, dd_rematch_stats *stats, dd_err *err)
{
    memset(stats, 0, sizeof(*stats));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (s->vulndb_path[0] == '\0')
        return 0;
    pthread_mutex_lock(&s->rematch_mu);
    dd_vulndb *vdb = NULL;
    dd_vulndb_info vi;
    memset(&vi, 0, sizeof(vi));
    char *last = NULL;
    dd_sql_conn *c = NULL;
    rematch r;
    memset(&r, 0, sizeof(r));
    dd_strlist repos = {0}, digests = {0};
    uint64_t *fps = NULL; /* per changed image: its new fingerprint, 0 when not indexed */
    size_t n_checked = 0, fps_cap = 0;
    int rc = dd_vulndb_open(&vdb, s->vulndb_path, err);
    if (rc == 0)
        rc = dd_vulndb_info_get(vdb, &vi, err);
    if (rc != 0)
        goto out;
    c = dd_sql_acquire(s->sql);
    rc = dd_sql_setting_get(c, "scanning.vulndb_version", &last, err);
    if (rc == DD_ENOTFOUND) { /* first start: the initial scans use this version */
        rc = dd_sql_setting_put(c, "scanning.vulndb_version", vi.db_version, err);
        goto out;
    }
    if (rc != 0 || (!force && strcmp(last, vi.db_version) == 0))
        goto out;
    dd_log(DD_LOG_INFO, "rematch_start", "from", last, "to", vi.db_version, NULL);
    /* The fingerprints and the first images commit together; the events always commit with the
     * findings they report. */
    int64_t now = dd_clock_now_ms(s->clock);
    if ((rc = dd_sql_begin(c, err)) != 0 || (rc = load_keys(c, &r, err)) != 0 ||
        (rc = match_keys(&r, vdb, err)) != 0)
        goto out;
    sqlite3_stmt *st;
    for (size_t i = 0; i < r.n_rows && rc == 0; i++) {
        if (r.rows[i].new_fp == r.rows[i].old_fp)
            continue;
        char fp[20];
        snprintf(fp, sizeof(fp), "%016llx", (unsigned long long)r.rows[i].new_fp);
        if ((rc = dd_sql_stmt(c, SQL_KEY_FP, &st, err)) == 0) {
            dd_sql_bind_text(st, 1, fp);
            dd_sql_bind_int(st, 2, r.rows[i].id);
            rc = dd_sql_run(c, st, err);
        }
    }
    /* images whose fingerprint moved (or that were never indexed) */
    if (rc == 0 && (rc = dd_sql_stmt(c, SQL_ELIGIBLE, &st, err)) == 0) {
        while ((rc = dd_sql_step(c, st, err)) == 1) {
            n_checked++;
            const int64_t *ids = sqlite3_column_blob(st, 2);
            size_t n = (size_t)sqlite3_column_bytes(st, 2) / sizeof(int64_t);
            bool changed = ids == NULL || sqlite3_column_type(st, 3) == SQLITE_NULL;
            uint64_t h = FNV_OFFSET;
            for (size_t i = 0; !changed && i < n; i++) {
                int64_t id;
                memcpy(&id, ids + i, sizeof(id)); /* blob alignment is not guaranteed */
                size_t at = id > 0 && id <= r.max_id ? r.by_id[id] : 0;
                if (at == 0) {
                    changed = true;
                    break;
                }
                h = mix_int(h, (int64_t)r.rows[at - 1].new_fp);
            }
            bool indexed = !changed;
            if (!changed)
                changed = strtoull(dd_sql_col_text(st, 3), NULL, 16) != h;
            if (!changed)
                continue;
            if (repos.n == fps_cap) {
                size_t ncap = fps_cap ? fps_cap * 2 : 256;
                uint64_t *nf = dd_realloc(fps, ncap * sizeof(*nf));
                if (nf == NULL) {
                    rc = DD_ENOMEM;
                    sqlite3_reset(st);
                    break;
                }
                fps = nf;
                fps_cap = ncap;
            }
            fps[repos.n] = indexed ? h : 0;
            if ((rc = dd_strlist_push_str(&repos, dd_sql_col_text(st, 0))) != 0 ||
                (rc = dd_strlist_push_str(&digests, dd_sql_col_text(st, 1))) != 0) {
                sqlite3_reset(st);
                break;
            }
        }
    }
    /* commit in batches: each image's findings and events stay atomic, and the WAL stays small;
     * after a crash the version is not recorded yet, so the next tick resumes: images already
     * synced now match their fingerprint and are skipped */
    for (size_t i = 0; rc == 0 && i < repos.n; i++) {
        rc = rematch_image(s, &r, c, repos.items[i], digests.items[i], fps[i] != 0, fps[i], vdb,
                           vi.built_ms, now, stats, err);
        stats->images++;
        if (rc == 0 && i % BATCH == BATCH - 1 && (rc = dd_sql_commit(c, err)) == 0) {
            dd_events_kick(s->ev);
            rc = dd_sql_begin(c, err);
        }
    }
    if (rc == 0)
        rc = dd_sql_setting_put(c, "scanning.vulndb_version", vi.db_version, err);
    if (rc == 0)
        rc = dd_sql_commit(c, err);
out:
    if (c != NULL)
        dd_sql_release(s->sql, c);
    rematch_free(&r);
    dd_strlist_free(&repos);
    dd_strlist_free(&digests);
    dd_free(fps);
    dd_free(last);
    dd_vulndb_info_clear(&vi);
    dd_vulndb_close(vdb);
    pthread_mutex_unlock(&s->rematch_mu);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    stats->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (rc == 0 && n_checked > 0) {
        char buf[200];
        snprintf(buf, sizeof(buf),
                 "%zu images checked, %zu re-matched, %zu created, %zu updated, %zu closed, "
                 "%.2f s",
                 n_checked, stats->images, stats->created, stats->updated, stats->closed,
                 stats->seconds);
        dd_log(DD_LOG_INFO, "rematch_done", "summary", buf, NULL);
    }
    dd_events_kick(s->ev);
    return rc;
}
