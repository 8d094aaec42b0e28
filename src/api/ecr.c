/* ECR operations (awsJson1_1) on top of the registry's metadata and the scanning service:
 * repositories, images, authorization tokens, the registry and repository scanning
 * configuration, StartImageScan, DescribeImages with scan status, and DescribeImageScanFindings in
 * its BASIC and ENHANCED shapes. */
#include "api/api.h"
#include "util/alloc.h"
#include "util/digest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#define DAY_MS 86400000LL

/* ---- shared helpers ---- */

/* ECR's RepositoryName: 2..256, [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+(...)*)* */
static bool repo_name_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 256)
        return false;
    size_t i = 0;
    for (;;) {
        /* component */
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i])))
            return false;
        while (islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]))
            i++;
        if (s[i] == '\0')
            return true;
        if (s[i] == '/') {
            i++;
            continue;
        }
        if (s[i] == '.' || (s[i] == '_' && s[i + 1] != '_'))
            i++;
        else if (s[i] == '_' && s[i + 1] == '_')
            i += 2;
        else if (s[i] == '-')
            while (s[i] == '-')
                i++;
        else
            return false;
    }
}

static bool registry_id_ok(dd_api_call *c, bool *bad)
{
    json_t *v = json_object_get(c->in, "registryId");
    if (v == NULL || json_is_null(v))
        return true;
    if (!json_is_string(v)) {
        *bad = true;
        dd_api_invalid(c, "registryId", "registryId must be a string");
        return false;
    }
    return strcmp(json_string_value(v), c->id.account) == 0;
}

/* The repository named in the request, validated and existing; NULL after answering otherwise. */
static const char *want_repo(dd_api_call *c)
{
    bool bad = false;
    const char *repo = dd_api_in_str(c, c->in, "repositoryName", true, &bad);
    if (bad)
        return NULL;
    if (!repo_name_valid(repo)) {
        dd_api_error(c, "InvalidParameterException",
                     "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must "
                     "satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/"
                     ")*[a-z0-9]+(?:[._-][a-z0-9]+)*''");
        return NULL;
    }
    dd_err err = DD_ERR_INIT;
    bool same = registry_id_ok(c, &bad);
    if (bad)
        return NULL;
    int rc = same ? dd_db_repo_exists(c->api->db, repo, &err) : DD_ENOTFOUND;
    if (rc == DD_ENOTFOUND) {
        dd_api_error(c, "RepositoryNotFoundException",
                     "The repository with name '%s' does not exist in the registry with id '%s'",
                     repo, c->id.account);
        return NULL;
    }
    if (rc != 0) {
        dd_api_internal(c, rc, &err);
        return NULL;
    }
    if (!dd_auth_allows(&c->id, repo, false)) {
        dd_api_error(c, "AccessDeniedException", "Not authorized to access repository '%s'", repo);
        return NULL;
    }
    return repo;
}

static bool need_admin_or_write(dd_api_call *c, const char *repo)
{
    if (repo != NULL ? dd_auth_allows(&c->id, repo, true) : c->id.admin)
        return true;
    dd_api_error(c, "AccessDeniedException", "User %s is not authorized to perform %s",
                 c->id.access_key_id, c->op);
    return false;
}

typedef struct image_row {
    char digest[DD_DIGEST_STR_MAX];
    char media_type[128];
    int64_t size, pushed_at, last_pulled_at;
    json_t *tags;
} image_row;

static const char SQL_IMAGES[] =
    "SELECT m.digest, m.media_type, m.pushed_at, COALESCE(m.last_pulled_at, 0),"
    " (SELECT COALESCE(SUM(b.size), 0) FROM manifest_refs f JOIN blobs b ON b.digest ="
    " f.ref_digest WHERE f.repo_id = m.repo_id AND f.manifest_digest = m.digest AND f.kind = 0)"
    " + m.size FROM manifests m JOIN repositories r ON r.id = m.repo_id WHERE r.name = ?"
    " ORDER BY m.pushed_at, m.digest";
static const char SQL_TAGS_OF[] =
    "SELECT t.name FROM tags t JOIN repositories r ON r.id = t.repo_id WHERE r.name = ? AND"
    " t.digest = ? ORDER BY t.name";

static void rows_free(image_row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_decref(rows[i].tags);
    dd_free(rows);
}

static int load_images(dd_sql_conn *c, const char *repo, image_row **out, size_t *n_out,
                       dd_err *err)
{
    sqlite3_stmt *st;
    image_row *rows = NULL;
    size_t n = 0, cap = 0;
    int rc = dd_sql_stmt(c, SQL_IMAGES, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, repo);
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            image_row *nr = dd_realloc(rows, ncap * sizeof(*nr));
            if (nr == NULL) {
                sqlite3_reset(st);
                rc = DD_ENOMEM;
                break;
            }
            rows = nr;
            cap = ncap;
        }
        image_row *r = &rows[n++];
        memset(r, 0, sizeof(*r));
        snprintf(r->digest, sizeof(r->digest), "%s", dd_sql_col_text(st, 0));
        snprintf(r->media_type, sizeof(r->media_type), "%s", dd_sql_col_text(st, 1));
        r->pushed_at = sqlite3_column_int64(st, 2);
        r->last_pulled_at = sqlite3_column_int64(st, 3);
        r->size = sqlite3_column_int64(st, 4);
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rows[i].tags = json_array();
        if ((rc = dd_sql_stmt(c, SQL_TAGS_OF, &st, err)) != 0)
            break;
        dd_sql_bind_text(st, 1, repo);
        dd_sql_bind_text(st, 2, rows[i].digest);
        while ((rc = dd_sql_step(c, st, err)) == 1)
            json_array_append_new(rows[i].tags, json_string(dd_sql_col_text(st, 0)));
    }
    if (rc != 0) {
        rows_free(rows, n);
        return rc;
    }
    *out = rows;
    *n_out = n;
    return 0;
}

/* load_images on a pooled connection; answers ServerException and returns -1 on failure. */
static int images_of(dd_api_call *c, const char *repo, image_row **rows, size_t *n)
{
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = load_images(conn, repo, rows, n, &err);
    dd_sql_release(c->api->sql, conn);
    if (rc != 0) {
        dd_api_internal(c, rc, &err);
        return -1;
    }
    return 0;
}

/* Resolves an ImageIdentifier against rows: index into rows, -1 when not found, -2 when the tag
 * and digest disagree, -3 when neither is given or malformed. */
static int resolve_id(const json_t *id, image_row *rows, size_t n)
{
    const char *tag = json_string_value(json_object_get(id, "imageTag"));
    const char *digest = json_string_value(json_object_get(id, "imageDigest"));
    if (!json_is_object(id) || (tag == NULL && digest == NULL))
        return -3;
    int found = -1;
    for (size_t i = 0; i < n; i++) {
        if (digest != NULL && strcmp(rows[i].digest, digest) != 0)
            continue;
        if (tag != NULL) {
            bool has = false;
            size_t k;
            json_t *t;
            json_array_foreach(rows[i].tags, k, t) if (strcmp(json_string_value(t), tag) == 0) has =
                true;
            if (!has) {
                if (digest != NULL)
                    return -2;
                continue;
            }
        }
        found = (int)i;
        break;
    }
    return found;
}

/* Paging over n items: start offset from nextToken ({"o": N, "op": name}); -1 after answering an
 * invalid token. */
static long page_start(dd_api_call *c)
{
    const char *tok = json_string_value(json_object_get(c->in, "nextToken"));
    if (tok == NULL)
        return 0;
    json_t *pos = dd_api_token_decode(tok);
    json_t *o = json_object_get(pos, "o");
    const char *op = json_string_value(json_object_get(pos, "op"));
    long start =
        json_is_integer(o) && op != NULL && strcmp(op, c->op) == 0 && json_integer_value(o) >= 0
            ? (long)json_integer_value(o)
            : -1;
    json_decref(pos);
    if (start < 0)
        dd_api_error(c, "InvalidParameterException", "Invalid parameter at 'nextToken'");
    return start;
}

static void set_next(dd_api_call *c, json_t *out, size_t next, size_t total)
{
    if (next >= total)
        return;
    json_t *pos = json_pack("{s:I,s:s}", "o", (json_int_t)next, "op", c->op);
    char *tok = dd_api_token_encode(pos);
    if (tok != NULL)
        json_object_set_new(out, "nextToken", json_string(tok));
    dd_free(tok);
    json_decref(pos);
}

static json_t *repository_json(dd_api_call *c, const char *repo, int64_t created_ms, bool sop,
                               const char *mutability)
{
    char *arn = dd_api_repo_arn(c->api, repo);
    char *uri = dd_asprintf("%s/%s", c->api->registry_host, repo);
    json_t *r = json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,s:{s:b},s:{s:s}}", "repositoryArn",
                          arn != NULL ? arn : "", "registryId", c->api->account, "repositoryName",
                          repo, "repositoryUri", uri != NULL ? uri : "", "createdAt",
                          dd_api_time(created_ms), "imageTagMutability",
                          mutability != NULL ? mutability : "MUTABLE", "imageScanningConfiguration",
                          "scanOnPush", sop, "encryptionConfiguration", "encryptionType", "AES256");
    dd_free(arn);
    dd_free(uri);
    return r;
}

static const char SQL_REPO_INFO[] =
    "SELECT r.created_at, COALESCE(s.scan_on_push, 0), COALESCE(s.tag_mutability, 'MUTABLE')"
    " FROM repositories r LEFT JOIN scan_repos s ON s.repo = r.name WHERE r.name = ?";

static json_t *repository_of(dd_api_call *c, dd_sql_conn *conn, const char *repo, dd_err *err)
{
    sqlite3_stmt *st;
    if (dd_sql_stmt(conn, SQL_REPO_INFO, &st, err) != 0)
        return NULL;
    dd_sql_bind_text(st, 1, repo);
    if (dd_sql_step(conn, st, err) != 1)
        return NULL;
    int64_t created = sqlite3_column_int64(st, 0);
    bool sop = sqlite3_column_int(st, 1) != 0;
    char mut[40];
    snprintf(mut, sizeof(mut), "%s", dd_sql_col_text(st, 2));
    sqlite3_reset(st);
    return repository_json(c, repo, created, sop, mut);
}

/* ---- repositories ---- */

static void op_create_repository(dd_api_call *c)
{
    bool bad = false;
    const char *repo = dd_api_in_str(c, c->in, "repositoryName", true, &bad);
    if (bad)
        return;
    if (!repo_name_valid(repo)) {
        dd_api_error(c, "InvalidParameterException",
                     "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must "
                     "satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/"
                     ")*[a-z0-9]+(?:[._-][a-z0-9]+)*''");
        return;
    }
    if (!registry_id_ok(c, &bad) || !need_admin_or_write(c, repo)) {
        if (!bad && !dd_http_req_responded(c->req))
            dd_api_error(c, "InvalidParameterException", "registryId does not match the caller");
        return;
    }
    const char *mut = dd_api_in_str(c, c->in, "imageTagMutability", false, &bad);
    if (bad)
        return;
    if (mut != NULL && strcmp(mut, "MUTABLE") != 0 && strcmp(mut, "IMMUTABLE") != 0) {
        dd_api_invalid(c, "imageTagMutability",
                       "imageTagMutability must be MUTABLE or IMMUTABLE (exclusion filters are "
                       "not supported)");
        return;
    }
    json_t *tags = json_object_get(c->in, "tags");
    if (tags != NULL && json_array_size(tags) > 50) {
        dd_api_error(c, "TooManyTagsException", "A repository can have at most 50 tags");
        return;
    }
    bool sop = json_is_true(
        json_object_get(json_object_get(c->in, "imageScanningConfiguration"), "scanOnPush"));
    dd_err err = DD_ERR_INIT;
    int rc = dd_db_repo_create(c->api->db, repo, dd_clock_now_ms(c->api->clock), &err);
    if (rc == DD_EEXIST) {
        dd_api_error(c, "RepositoryAlreadyExistsException",
                     "The repository with name '%s' already exists in the registry with id '%s'",
                     repo, c->api->account);
        return;
    }
    if (rc == 0)
        rc = dd_scanning_repo_created(c->api->scanning, repo, sop, mut, &err);
    if (rc != 0) {
        dd_api_internal(c, rc, &err);
        return;
    }
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    json_t *r = repository_of(c, conn, repo, &err);
    dd_sql_release(c->api->sql, conn);
    if (r == NULL) {
        dd_api_internal(c, DD_EDB, &err);
        return;
    }
    dd_api_ok(c, json_pack("{s:o}", "repository", r));
}

static void op_describe_repositories(dd_api_call *c)
{
    bool bad = false;
    json_t *names = json_object_get(c->in, "repositoryNames");
    int64_t max = dd_api_in_int(c, c->in, "maxResults", 100, 1, 1000, &bad);
    if (bad)
        return;
    if (names != NULL &&
        (!json_is_array(names) || json_array_size(names) < 1 || json_array_size(names) > 100)) {
        dd_api_invalid(c, "repositoryNames", "repositoryNames must list 1 to 100 names");
        return;
    }
    if (names != NULL && (json_object_get(c->in, "nextToken") != NULL ||
                          json_object_get(c->in, "maxResults") != NULL)) {
        dd_api_error(c, "InvalidParameterException",
                     "nextToken and maxResults cannot be used with repositoryNames");
        return;
    }
    if (!registry_id_ok(c, &bad)) {
        if (!bad)
            dd_api_ok(c, json_pack("{s:[]}", "repositories"));
        return;
    }
    long start = page_start(c);
    if (start < 0)
        return;
    dd_err err = DD_ERR_INIT;
    dd_strlist all = {0};
    int rc = 0;
    if (names != NULL) {
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n)
        {
            const char *name = json_string_value(n);
            if (name == NULL || dd_db_repo_exists(c->api->db, name, &err) != 0) {
                dd_api_error(c, "RepositoryNotFoundException",
                             "The repository with name '%s' does not exist in the registry with "
                             "id '%s'",
                             name != NULL ? name : "", c->api->account);
                dd_strlist_free(&all);
                return;
            }
            if (!dd_auth_allows(&c->id, name, false)) {
                dd_api_error(c, "AccessDeniedException", "Not authorized to access repository '%s'",
                             name);
                dd_strlist_free(&all);
                return;
            }
            if ((rc = dd_strlist_push_str(&all, name)) != 0)
                break;
        }
    } else {
        const char *last = NULL;
        for (;;) {
            dd_strlist page = {0};
            if ((rc = dd_db_repo_list(c->api->db, last, 1000, &page, &err)) != 0)
                break;
            for (size_t i = 0; rc == 0 && i < page.n; i++)
                rc = dd_strlist_push_str(&all, page.items[i]);
            size_t got = page.n;
            dd_strlist_free(&page);
            if (got < 1000 || rc != 0)
                break;
            last = all.items[all.n - 1];
        }
    }
    json_t *repos = json_array();
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    size_t end = names != NULL ? all.n : (size_t)start + (size_t)max;
    for (size_t i = (size_t)start; rc == 0 && i < all.n && i < end; i++) {
        if (!dd_auth_allows(&c->id, all.items[i], false))
            continue;
        json_t *r = repository_of(c, conn, all.items[i], &err);
        if (r != NULL)
            json_array_append_new(repos, r);
    }
    dd_sql_release(c->api->sql, conn);
    if (rc != 0) {
        json_decref(repos);
        dd_strlist_free(&all);
        dd_api_internal(c, rc, &err);
        return;
    }
    json_t *out = json_pack("{s:o}", "repositories", repos);
    if (names == NULL)
        set_next(c, out, end, all.n);
    dd_strlist_free(&all);
    dd_api_ok(c, out);
}

static void op_delete_repository(dd_api_call *c)
{
    const char *repo = want_repo(c);
    if (repo == NULL || !need_admin_or_write(c, repo))
        return;
    bool force = json_is_true(json_object_get(c->in, "force"));
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    image_row *rows = NULL;
    size_t n = 0;
    int rc = load_images(conn, repo, &rows, &n, &err);
    json_t *r = rc == 0 ? repository_of(c, conn, repo, &err) : NULL;
    dd_sql_release(c->api->sql, conn);
    rows_free(rows, n);
    if (rc != 0 || r == NULL) {
        dd_api_internal(c, rc != 0 ? rc : DD_EDB, &err);
        return;
    }
    if (n > 0 && !force) {
        json_decref(r);
        dd_api_error(c, "RepositoryNotEmptyException",
                     "The repository with name '%s' in registry with id '%s' cannot be deleted "
                     "because it still contains images",
                     repo, c->api->account);
        return;
    }
    rc = dd_db_repo_delete(c->api->db, repo, &err);
    if (rc == 0)
        rc = dd_scanning_repo_deleted(c->api->scanning, repo, &err);
    if (rc != 0) {
        json_decref(r);
        dd_api_internal(c, rc, &err);
        return;
    }
    dd_api_ok(c, json_pack("{s:o}", "repository", r));
}

/* ---- images ---- */

/* tagStatus filter: 0 any, 1 tagged, 2 untagged; -1 after answering a bad value. */
static int tag_status(dd_api_call *c)
{
    json_t *f = json_object_get(c->in, "filter");
    const char *ts = json_string_value(json_object_get(f, "tagStatus"));
    if (ts == NULL || strcmp(ts, "ANY") == 0)
        return 0;
    if (strcmp(ts, "TAGGED") == 0)
        return 1;
    if (strcmp(ts, "UNTAGGED") == 0)
        return 2;
    dd_api_invalid(c, "filter.tagStatus", "tagStatus must be TAGGED, UNTAGGED or ANY");
    return -1;
}

static void op_list_images(dd_api_call *c)
{
    const char *repo = want_repo(c);
    if (repo == NULL)
        return;
    bool bad = false;
    int64_t max = dd_api_in_int(c, c->in, "maxResults", 100, 1, 1000, &bad);
    int ts = bad ? -1 : tag_status(c);
    long start = ts < 0 ? -1 : page_start(c);
    if (start < 0)
        return;
    image_row *rows = NULL;
    size_t n = 0;
    if (images_of(c, repo, &rows, &n) != 0)
        return;
    json_t *all = json_array();
    for (size_t i = 0; i < n; i++) {
        size_t nt = json_array_size(rows[i].tags);
        if (nt == 0 && ts != 1)
            json_array_append_new(all, json_pack("{s:s}", "imageDigest", rows[i].digest));
        size_t k;
        json_t *t;
        json_array_foreach(rows[i].tags, k, t) if (ts != 2) json_array_append_new(
            all, json_pack("{s:s,s:O}", "imageDigest", rows[i].digest, "imageTag", t));
    }
    rows_free(rows, n);
    json_t *page = json_array();
    size_t end = (size_t)start + (size_t)max;
    for (size_t i = (size_t)start; i < json_array_size(all) && i < end; i++)
        json_array_append(page, json_array_get(all, i));
    json_t *out = json_pack("{s:o}", "imageIds", page);
    set_next(c, out, end, json_array_size(all));
    json_decref(all);
    dd_api_ok(c, out);
}

static json_t *image_detail(dd_api_call *c, const char *repo, const image_row *r, dd_err *err)
{
    json_t *d = json_object();
    json_object_set_new(d, "registryId", json_string(c->api->account));
    json_object_set_new(d, "repositoryName", json_string(repo));
    json_object_set_new(d, "imageDigest", json_string(r->digest));
    if (json_array_size(r->tags) > 0)
        json_object_set(d, "imageTags", r->tags);
    json_object_set_new(d, "imageSizeInBytes", json_integer(r->size));
    json_object_set_new(d, "imagePushedAt", dd_api_time(r->pushed_at));
    json_object_set_new(d, "imageManifestMediaType", json_string(r->media_type));
    if (r->last_pulled_at > 0)
        json_object_set_new(d, "lastRecordedPullTime", dd_api_time(r->last_pulled_at));
    json_object_set_new(d, "imageStatus", json_string("ACTIVE"));
    dd_scan_view v;
    if (dd_scanning_image_view(c->api->scanning, repo, r->digest, &v, err) == 0) {
        if (v.has_record)
            json_object_set_new(
                d, "imageScanStatus",
                json_pack("{s:s,s:s}", "status", v.status, "description", v.description));
        if (v.has_summary) {
            json_t *sum =
                json_pack("{s:o,s:o,s:O}", "imageScanCompletedAt", dd_api_time(v.completed_at_ms),
                          "vulnerabilitySourceUpdatedAt", dd_api_time(v.vulndb_updated_at_ms),
                          "findingSeverityCounts", v.severity_counts);
            json_object_set_new(d, "imageScanFindingsSummary", sum);
        }
        dd_scan_view_free(&v);
    }
    return d;
}

static void op_describe_images(dd_api_call *c)
{
    const char *repo = want_repo(c);
    if (repo == NULL)
        return;
    bool bad = false;
    json_t *ids = json_object_get(c->in, "imageIds");
    int64_t max = dd_api_in_int(c, c->in, "maxResults", 100, 1, 1000, &bad);
    int ts = bad ? -1 : tag_status(c);
    if (ts < 0)
        return;
    if (ids != NULL &&
        (!json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > 100)) {
        dd_api_invalid(c, "imageIds", "imageIds must list 1 to 100 image identifiers");
        return;
    }
    if (ids != NULL && (json_object_get(c->in, "nextToken") != NULL ||
                        json_object_get(c->in, "maxResults") != NULL)) {
        dd_api_error(c, "InvalidParameterException",
                     "Cannot specify nextToken or maxResults together with imageIds");
        return;
    }
    long start = page_start(c);
    if (start < 0)
        return;
    dd_err err = DD_ERR_INIT;
    image_row *rows = NULL;
    size_t n = 0;
    if (images_of(c, repo, &rows, &n) != 0)
        return;
    json_t *details = json_array();
    json_t *out = NULL;
    if (ids != NULL) {
        size_t i;
        json_t *id;
        json_array_foreach(ids, i, id)
        {
            int k = resolve_id(id, rows, n);
            if (k == -3) {
                dd_api_invalid(c, "imageIds", "An image identifier needs imageDigest or imageTag");
                goto out;
            }
            if (k < 0) {
                dd_api_error(c, "ImageNotFoundException",
                             "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not "
                             "exist within the repository with name '%s' in the registry with id "
                             "'%s'",
                             json_string_value(json_object_get(id, "imageDigest")) ?: "null",
                             json_string_value(json_object_get(id, "imageTag")) ?: "null", repo,
                             c->api->account);
                goto out;
            }
            json_array_append_new(details, image_detail(c, repo, &rows[k], &err));
        }
        out = json_pack("{s:O}", "imageDetails", details);
    } else {
        size_t matched = 0, end = (size_t)start + (size_t)max;
        for (size_t i = 0; i < n; i++) {
            size_t nt = json_array_size(rows[i].tags);
            if ((ts == 1 && nt == 0) || (ts == 2 && nt > 0))
                continue;
            if (matched >= (size_t)start && matched < end)
                json_array_append_new(details, image_detail(c, repo, &rows[i], &err));
            matched++;
        }
        out = json_pack("{s:O}", "imageDetails", details);
        set_next(c, out, end, matched);
    }
    dd_api_ok(c, out);
out:
    json_decref(details);
    rows_free(rows, n);
}

static void op_batch_delete_image(dd_api_call *c)
{
    const char *repo = want_repo(c);
    if (repo == NULL || !need_admin_or_write(c, repo))
        return;
    json_t *ids = json_object_get(c->in, "imageIds");
    if (!json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > 100) {
        dd_api_invalid(c, "imageIds", "imageIds must list 1 to 100 image identifiers");
        return;
    }
    json_t *done = json_array(), *failures = json_array();
    size_t i;
    json_t *id;
    dd_err err = DD_ERR_INIT;
    json_array_foreach(ids, i, id)
    {
        image_row *rows = NULL;
        size_t n = 0;
        if (images_of(c, repo, &rows, &n) != 0) {
            json_decref(done);
            json_decref(failures);
            return;
        }
        int rc;
        int k = resolve_id(id, rows, n);
        const char *tag = json_string_value(json_object_get(id, "imageTag"));
        const char *digest = json_string_value(json_object_get(id, "imageDigest"));
        if (k < 0) {
            const char *code = k == -3   ? "MissingDigestAndTag"
                               : k == -2 ? "ImageTagDoesNotMatchDigest"
                                         : "ImageNotFound";
            json_array_append_new(
                failures,
                json_pack("{s:O,s:s,s:s}", "imageId", id, "failureCode", code, "failureReason",
                          k == -1 ? "Requested image not found" : "Invalid image identifier"));
            rows_free(rows, n);
            continue;
        }
        char dg[DD_DIGEST_STR_MAX];
        snprintf(dg, sizeof(dg), "%s", rows[k].digest);
        bool whole = digest != NULL || json_array_size(rows[k].tags) <= 1;
        if (whole) {
            rc = dd_db_manifest_delete(c->api->db, repo, dg, &err);
            if (rc == 0)
                rc = dd_scanning_image_deleted(c->api->scanning, repo, dg, &err);
        } else {
            rc = dd_db_tag_delete(c->api->db, repo, tag, &err);
        }
        rows_free(rows, n);
        if (rc != 0 && rc != DD_ENOTFOUND) {
            json_decref(done);
            json_decref(failures);
            dd_api_internal(c, rc, &err);
            return;
        }
        json_t *did = json_pack("{s:s}", "imageDigest", dg);
        if (tag != NULL)
            json_object_set_new(did, "imageTag", json_string(tag));
        json_array_append_new(done, did);
    }
    dd_api_ok(c, json_pack("{s:o,s:o}", "imageIds", done, "failures", failures));
}

static void op_batch_get_image(dd_api_call *c)
{
    const char *repo = want_repo(c);
    if (repo == NULL)
        return;
    json_t *ids = json_object_get(c->in, "imageIds");
    if (!json_is_array(ids) || json_array_size(ids) < 1 || json_array_size(ids) > 100) {
        dd_api_invalid(c, "imageIds", "imageIds must list 1 to 100 image identifiers");
        return;
    }
    dd_err err = DD_ERR_INIT;
    image_row *rows = NULL;
    size_t n = 0;
    if (images_of(c, repo, &rows, &n) != 0)
        return;
    json_t *images = json_array(), *failures = json_array();
    size_t i;
    json_t *id;
    int64_t now = dd_clock_now_ms(c->api->clock);
    json_array_foreach(ids, i, id)
    {
        int k = resolve_id(id, rows, n);
        if (k < 0) {
            json_array_append_new(failures,
                                  json_pack("{s:O,s:s,s:s}", "imageId", id, "failureCode",
                                            k == -3 ? "MissingDigestAndTag" : "ImageNotFound",
                                            "failureReason", "Requested image not found"));
            continue;
        }
        int fd = -1;
        uint64_t size = 0;
        char *buf = NULL;
        int rc = dd_store_open_blob(dd_registry_store(c->api->registry), rows[k].digest, &fd, &size,
                                    &err);
        if (rc == 0 && size <= 4u * 1024u * 1024u && (buf = dd_malloc(size + 1)) != NULL) {
            size_t got = 0;
            while (got < size) {
                ssize_t r = read(fd, buf + got, size - got);
                if (r <= 0)
                    break;
                got += (size_t)r;
            }
            if (got == size) {
                json_t *img = json_pack("{s:s,s:s,s:O,s:s%,s:s}", "registryId", c->api->account,
                                        "repositoryName", repo, "imageId", id, "imageManifest", buf,
                                        (size_t)size, "imageManifestMediaType", rows[k].media_type);
                json_t *iid = json_object_get(img, "imageId");
                json_object_set_new(iid, "imageDigest", json_string(rows[k].digest));
                json_array_append_new(images, img);
                if (dd_db_manifest_record_pull(c->api->db, repo, rows[k].digest, now, 60000,
                                               &err) != 0) {
                    /* the pull time is best effort; the manifest was served */
                }
            }
        }
        if (fd >= 0)
            close(fd);
        dd_free(buf);
    }
    rows_free(rows, n);
    dd_api_ok(c, json_pack("{s:o,s:o}", "images", images, "failures", failures));
}

/* ---- registry, auth ---- */

static void op_get_authorization_token(dd_api_call *c)
{
    char *pw = NULL;
    int64_t expires = 0;
    dd_err err = DD_ERR_INIT;
    int rc = dd_auth_issue_token(c->api->auth, &c->id, &pw, &expires, &err);
    if (rc != 0) {
        dd_api_internal(c, rc, &err);
        return;
    }
    char *plain = dd_asprintf("AWS:%s", pw);
    size_t n = plain != NULL ? strlen(plain) : 0;
    char *b64 = plain != NULL ? dd_malloc(4 * ((n + 2) / 3) + 1) : NULL;
    if (b64 == NULL) {
        dd_free(pw);
        dd_free(plain);
        dd_api_internal(c, DD_ENOMEM, NULL);
        return;
    }
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)plain, (int)n);
    char *endpoint = dd_asprintf("https://%s", c->api->registry_host);
    dd_api_ok(c, json_pack("{s:[{s:s,s:o,s:s}]}", "authorizationData", "authorizationToken", b64,
                           "expiresAt", dd_api_time(expires), "proxyEndpoint",
                           endpoint != NULL ? endpoint : ""));
    dd_free(endpoint);
    dd_free(b64);
    dd_free(plain);
    dd_free(pw);
}

static void op_describe_registry(dd_api_call *c)
{
    dd_api_ok(c, json_pack("{s:s,s:{s:[]}}", "registryId", c->api->account,
                           "replicationConfiguration", "rules"));
}

/* ---- scanning configuration ---- */

static void op_get_registry_scanning_configuration(dd_api_call *c)
{
    json_t *cfg = NULL;
    dd_err err = DD_ERR_INIT;
    int rc = dd_scanning_config_get(c->api->scanning, &cfg, &err);
    if (rc != 0) {
        dd_api_internal(c, rc, &err);
        return;
    }
    dd_api_ok(c,
              json_pack("{s:s,s:o}", "registryId", c->api->account, "scanningConfiguration", cfg));
}

static void op_put_registry_scanning_configuration(dd_api_call *c)
{
    if (!need_admin_or_write(c, NULL))
        return;
    json_t *stored = NULL;
    dd_err err = DD_ERR_INIT;
    int rc = dd_scanning_config_put(c->api->scanning, c->in, &stored, &err);
    if (rc == DD_EINVALID) {
        dd_api_error(c, "ValidationException", "%s", err.msg);
        return;
    }
    if (rc != 0) {
        dd_api_internal(c, rc, &err);
        return;
    }
    dd_api_ok(c, json_pack("{s:o}", "registryScanningConfiguration", stored));
}

static void op_batch_get_repository_scanning_configuration(dd_api_call *c)
{
    json_t *names = json_object_get(c->in, "repositoryNames");
    if (!json_is_array(names) || json_array_size(names) < 1 || json_array_size(names) > 25) {
        dd_api_invalid(c, "repositoryNames", "repositoryNames must list 1 to 25 names");
        return;
    }
    json_t *configs = json_array(), *failures = json_array();
    size_t i;
    json_t *n;
    dd_err err = DD_ERR_INIT;
    json_array_foreach(names, i, n)
    {
        const char *repo = json_string_value(n);
        dd_scan_repo_view v;
        int rc = repo != NULL && repo_name_valid(repo)
                     ? dd_scanning_repo_view(c->api->scanning, repo, &v, &err)
                     : DD_ENOTFOUND;
        if (rc == DD_ENOTFOUND) {
            json_array_append_new(failures,
                                  json_pack("{s:s,s:s,s:s}", "repositoryName", repo ? repo : "",
                                            "failureCode", "REPOSITORY_NOT_FOUND", "failureReason",
                                            "The repository could not be found."));
            continue;
        }
        if (rc != 0) {
            json_decref(configs);
            json_decref(failures);
            dd_api_internal(c, rc, &err);
            return;
        }
        char *arn = dd_api_repo_arn(c->api, repo);
        json_array_append_new(configs,
                              json_pack("{s:s,s:s,s:b,s:s,s:o}", "repositoryArn", arn ? arn : "",
                                        "repositoryName", repo, "scanOnPush", v.scan_on_push,
                                        "scanFrequency", dd_scan_freq_name(v.frequency),
                                        "appliedScanFilters", v.applied_filters));
        dd_free(arn);
    }
    if (json_array_size(configs) == 0) {
        json_decref(configs);
        json_decref(failures);
        dd_api_error(c, "RepositoryNotFoundException",
                     "None of the requested repositories exist in the registry with id '%s'",
                     c->api->account);
        return;
    }
    dd_api_ok(c, json_pack("{s:o,s:o}", "scanningConfigurations", configs, "failures", failures));
}

static void op_put_image_scanning_configuration(dd_api_call *c)
{
    const char *repo = want_repo(c);
    if (repo == NULL || !need_admin_or_write(c, repo))
        return;
    json_t *isc = json_object_get(c->in, "imageScanningConfiguration");
    if (!json_is_object(isc)) {
        dd_api_invalid(c, "imageScanningConfiguration", "imageScanningConfiguration is required");
        return;
    }
    bool on = json_is_true(json_object_get(isc, "scanOnPush"));
    dd_err err = DD_ERR_INIT;
    int rc = dd_scanning_repo_set_scan_on_push(c->api->scanning, repo, on, &err);
    if (rc != 0) {
        dd_api_internal(c, rc, &err);
        return;
    }
    dd_api_ok(c, json_pack("{s:s,s:s,s:{s:b}}", "registryId", c->api->account, "repositoryName",
                           repo, "imageScanningConfiguration", "scanOnPush", on));
}

/* The image named by imageId in repo: its row (caller frees rows) or answers. */
static int find_image(dd_api_call *c, const char *repo, image_row **rows, size_t *n)
{
    json_t *id = json_object_get(c->in, "imageId");
    if (images_of(c, repo, rows, n) != 0)
        return -1;
    int k = resolve_id(id, *rows, *n);
    if (k == -3) {
        dd_api_invalid(c, "imageId", "imageId needs imageDigest or imageTag");
        return -1;
    }
    if (k < 0) {
        dd_api_error(c, "ImageNotFoundException",
                     "The image with imageId {imageDigest:'%s', imageTag:'%s'} does not exist "
                     "within the repository with name '%s' in the registry with id '%s'",
                     json_string_value(json_object_get(id, "imageDigest")) ?: "null",
                     json_string_value(json_object_get(id, "imageTag")) ?: "null", repo,
                     c->api->account);
        return -1;
    }
    return k;
}

static json_t *image_id_out(dd_api_call *c, const image_row *r)
{
    json_t *id = json_pack("{s:s}", "imageDigest", r->digest);
    const char *tag =
        json_string_value(json_object_get(json_object_get(c->in, "imageId"), "imageTag"));
    if (tag != NULL)
        json_object_set_new(id, "imageTag", json_string(tag));
    return id;
}

static void op_start_image_scan(dd_api_call *c)
{
    const char *repo = want_repo(c);
    if (repo == NULL)
        return;
    image_row *rows = NULL;
    size_t n = 0;
    int k = find_image(c, repo, &rows, &n);
    if (k < 0) {
        rows_free(rows, n);
        return;
    }
    dd_err err = DD_ERR_INIT;
    int rc =
        dd_scanning_start_scan(c->api->scanning, repo, rows[k].digest, rows[k].media_type, &err);
    if (rc == DD_EUNSUPPORTED)
        dd_api_error(c, "ValidationException", "This feature is disabled");
    else if (rc == DD_ELIMIT)
        dd_api_error(c, "LimitExceededException", "%s", err.msg);
    else if (rc == DD_EINVALID)
        dd_api_error(c, "UnsupportedImageTypeException", "%s", err.msg);
    else if (rc != 0)
        dd_api_internal(c, rc, &err);
    else
        dd_api_ok(c, json_pack("{s:s,s:s,s:o,s:{s:s,s:s}}", "registryId", c->api->account,
                               "repositoryName", repo, "imageId", image_id_out(c, &rows[k]),
                               "imageScanStatus", "status", "IN_PROGRESS", "description",
                               "The scan is in progress."));
    rows_free(rows, n);
}

static const char SQL_BASIC_FINDINGS[] =
    "SELECT basic_findings FROM scan_images WHERE repo = ? AND digest = ? AND scan_type = 'BASIC'";
static const char SQL_ENHANCED_FINDINGS[] =
    "SELECT doc FROM findings WHERE repo = ? AND digest = ? AND status != 'CLOSED'"
    " ORDER BY CASE severity WHEN 'CRITICAL' THEN 0 WHEN 'HIGH' THEN 1 WHEN 'MEDIUM' THEN 2"
    " WHEN 'LOW' THEN 3 WHEN 'INFORMATIONAL' THEN 4 ELSE 5 END, vuln_id, arn";

/* Inspector2 Finding -> ECR EnhancedImageScanFinding (spec 2.7). */
static json_t *enhanced_of(const json_t *f)
{
    json_t *e = json_object();
    const char *keys[] = {"awsAccountId",   "findingArn", "description",  "title",
                          "type",           "severity",   "status",       "firstObservedAt",
                          "lastObservedAt", "updatedAt",  "fixAvailable", "exploitAvailable"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(f, keys[i]);
        if (v != NULL)
            json_object_set(e, keys[i], v);
    }
    json_t *score = json_object_get(f, "inspectorScore");
    if (score != NULL)
        json_object_set(e, "score", score);
    json_t *adj = json_object_get(json_object_get(f, "inspectorScoreDetails"), "adjustedCvss");
    if (adj != NULL) {
        json_t *cvss = json_object();
        const char *ck[] = {"score", "scoreSource", "scoringVector", "version", "adjustments"};
        for (size_t i = 0; i < 5; i++)
            if (json_object_get(adj, ck[i]) != NULL)
                json_object_set(cvss, ck[i], json_object_get(adj, ck[i]));
        json_object_set_new(e, "scoreDetails", json_pack("{s:o}", "cvss", cvss));
    }
    json_t *rec = json_object_get(json_object_get(f, "remediation"), "recommendation");
    if (rec != NULL) {
        json_t *r = json_object();
        if (json_object_get(rec, "text") != NULL)
            json_object_set(r, "text", json_object_get(rec, "text"));
        if (json_object_get(rec, "Url") != NULL)
            json_object_set(r, "url", json_object_get(rec, "Url"));
        json_object_set_new(e, "remediation", json_pack("{s:o}", "recommendation", r));
    }
    json_t *pvd = json_deep_copy(json_object_get(f, "packageVulnerabilityDetails"));
    if (pvd != NULL) {
        size_t i;
        json_t *vp;
        json_array_foreach(json_object_get(pvd, "vulnerablePackages"), i, vp)
        {
            json_object_del(vp, "remediation");
            json_object_del(vp, "sourceLambdaLayerArn");
        }
        json_object_set_new(e, "packageVulnerabilityDetails", pvd);
    }
    json_t *res = json_deep_copy(json_object_get(f, "resources"));
    size_t i;
    json_t *r;
    json_array_foreach(res, i, r)
    {
        json_object_del(r, "partition");
        json_object_del(r, "region");
    }
    if (res != NULL)
        json_object_set_new(e, "resources", res);
    return e;
}

static void op_describe_image_scan_findings(dd_api_call *c)
{
    const char *repo = want_repo(c);
    if (repo == NULL)
        return;
    bool bad = false;
    int64_t max = dd_api_in_int(c, c->in, "maxResults", 100, 1, 1000, &bad);
    long start = bad ? -1 : page_start(c);
    if (start < 0)
        return;
    image_row *rows = NULL;
    size_t n = 0;
    int k = find_image(c, repo, &rows, &n);
    if (k < 0) {
        rows_free(rows, n);
        return;
    }
    dd_err err = DD_ERR_INIT;
    dd_scan_view v;
    int rc = dd_scanning_image_view(c->api->scanning, repo, rows[k].digest, &v, &err);
    if (rc != 0) {
        rows_free(rows, n);
        dd_api_internal(c, rc, &err);
        return;
    }
    if (!v.has_record) {
        dd_api_error(c, "ScanNotFoundException",
                     "Image scan does not exist for the image with '{imageDigest:'%s'}' in the "
                     "repository with name '%s' in the registry with id '%s'",
                     rows[k].digest, repo, c->api->account);
        rows_free(rows, n);
        return;
    }
    bool enhanced = strcmp(v.scan_type, "ENHANCED") == 0;
    json_t *all = json_array();
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    sqlite3_stmt *st;
    if ((rc = dd_sql_stmt(conn, enhanced ? SQL_ENHANCED_FINDINGS : SQL_BASIC_FINDINGS, &st,
                          &err)) == 0) {
        dd_sql_bind_text(st, 1, repo);
        dd_sql_bind_text(st, 2, rows[k].digest);
        while ((rc = dd_sql_step(conn, st, &err)) == 1) {
            json_t *j = json_loads(dd_sql_col_text(st, 0), 0, NULL);
            if (enhanced && j != NULL)
                json_array_append_new(all, enhanced_of(j));
            else if (json_is_array(j))
                json_array_extend(all, j);
            json_decref(j);
        }
    }
    dd_sql_release(c->api->sql, conn);
    if (rc != 0) {
        json_decref(all);
        dd_scan_view_free(&v);
        rows_free(rows, n);
        dd_api_internal(c, rc, &err);
        return;
    }
    json_t *page = json_array();
    size_t end = (size_t)start + (size_t)max;
    for (size_t i = (size_t)start; i < json_array_size(all) && i < end; i++)
        json_array_append(page, json_array_get(all, i));
    json_t *findings = json_object();
    if (v.has_summary) {
        json_object_set_new(findings, "imageScanCompletedAt", dd_api_time(v.completed_at_ms));
        json_object_set_new(findings, "vulnerabilitySourceUpdatedAt",
                            dd_api_time(v.vulndb_updated_at_ms));
        json_object_set(findings, "findingSeverityCounts", v.severity_counts);
    }
    if (enhanced) {
        json_object_set_new(findings, "findings", json_array());
        json_object_set_new(findings, "enhancedFindings", page);
    } else {
        json_object_set_new(findings, "findings", page);
    }
    json_t *out =
        json_pack("{s:s,s:s,s:o,s:{s:s,s:s},s:o}", "registryId", c->api->account, "repositoryName",
                  repo, "imageId", image_id_out(c, &rows[k]), "imageScanStatus", "status", v.status,
                  "description", v.description, "imageScanFindings", findings);
    set_next(c, out, end, json_array_size(all));
    json_decref(all);
    dd_scan_view_free(&v);
    rows_free(rows, n);
    dd_api_ok(c, out);
}

static void op_get_account_setting(dd_api_call *c)
{
    bool bad = false;
    const char *name = dd_api_in_str(c, c->in, "name", true, &bad);
    if (bad)
        return;
    const char *value = strcmp(name, "BASIC_SCAN_TYPE_VERSION") == 0 ? "AWS_NATIVE"
                        : strcmp(name, "REGISTRY_POLICY_SCOPE") == 0 ? "V2"
                        : strcmp(name, "BLOB_MOUNTING") == 0         ? "ENABLED"
                                                                     : NULL;
    if (value == NULL) {
        dd_api_error(c, "ValidationException", "Unknown account setting '%s'", name);
        return;
    }
    dd_api_ok(c, json_pack("{s:s,s:s}", "name", name, "value", value));
}

const dd_api_json_op dd_ecr_ops[] = {
    {"CreateRepository", op_create_repository},
    {"DescribeRepositories", op_describe_repositories},
    {"DeleteRepository", op_delete_repository},
    {"ListImages", op_list_images},
    {"DescribeImages", op_describe_images},
    {"BatchDeleteImage", op_batch_delete_image},
    {"BatchGetImage", op_batch_get_image},
    {"GetAuthorizationToken", op_get_authorization_token},
    {"DescribeRegistry", op_describe_registry},
    {"GetRegistryScanningConfiguration", op_get_registry_scanning_configuration},
    {"PutRegistryScanningConfiguration", op_put_registry_scanning_configuration},
    {"BatchGetRepositoryScanningConfiguration", op_batch_get_repository_scanning_configuration},
    {"PutImageScanningConfiguration", op_put_image_scanning_configuration},
    {"StartImageScan", op_start_image_scan},
    {"DescribeImageScanFindings", op_describe_image_scan_findings},
    {"GetAccountSetting", op_get_account_setting},
};
const size_t dd_ecr_ops_n = sizeof(dd_ecr_ops) / sizeof(dd_ecr_ops[0]);
