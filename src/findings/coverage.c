/* ListCoverage and ListCoverageStatistics (spec 5.5): the repositories (AWS_ECR_REPOSITORY, with
 * their effective scan frequency) and images (AWS_ECR_CONTAINER_IMAGE, from the ENHANCED scan
 * records) Inspector2 covers while the registry uses enhanced scanning. scanStatus follows the
 * table of spec 4.4: the record's reason column when set, else derived from its ECR status; the
 * status code is ACTIVE while the resource is (to be) monitored, INACTIVE otherwise. Reads the
 * scanning tables (scan_repos, scan_images) and the registry's repositories/manifests/tags. */
#include "findings/findings.h"
#include "findings/internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <string.h>

static const char *const CMP2[] = {"EQUALS", "NOT_EQUALS", NULL};

/* CoverageFilterCriteria members. */
static const char *const COV_STRINGS[] = {"scanStatusCode",
                                          "scanStatusReason",
                                          "accountId",
                                          "resourceId",
                                          "resourceType",
                                          "scanType",
                                          "ecrRepositoryName",
                                          "ecrImageTags",
                                          "lambdaFunctionName",
                                          "lambdaFunctionRuntime",
                                          "scanMode",
                                          "codeRepositoryProjectName",
                                          "codeRepositoryProviderType",
                                          "codeRepositoryProviderTypeVisibility",
                                          "lastScannedCommitId"};
static const char *const COV_MAPS[] = {"ec2InstanceTags", "lambdaFunctionTags"};
static const char *const COV_DATES[] = {"lastScannedAt", "imagePulledAt", "ecrImageLastInUseAt"};

static int validate(const json_t *fc, dd_err *err)
{
    if (fc == NULL)
        return 0;
    if (!json_is_object(fc))
        return dd_err_set(err, DD_EINVALID, "filterCriteria: must be an object");
    char path[96];
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(COV_STRINGS) / sizeof(COV_STRINGS[0]); i++) {
        const json_t *l = json_object_get(fc, COV_STRINGS[i]);
        snprintf(path, sizeof(path), "filterCriteria.%s", COV_STRINGS[i]);
        if (l != NULL)
            rc = dd_fc_validate_strings(l, CMP2, 1024, path, err);
    }
    for (size_t i = 0; rc == 0 && i < 2; i++) {
        const json_t *l = json_object_get(fc, COV_MAPS[i]);
        snprintf(path, sizeof(path), "filterCriteria.%s", COV_MAPS[i]);
        if (l != NULL)
            rc = dd_fc_validate_maps(l, 1024, 1, 1024, path, err);
    }
    for (size_t i = 0; rc == 0 && i < 3; i++) {
        const json_t *l = json_object_get(fc, COV_DATES[i]);
        snprintf(path, sizeof(path), "filterCriteria.%s", COV_DATES[i]);
        if (l != NULL)
            rc = dd_fc_validate_dates(l, path, err);
    }
    const json_t *l = json_object_get(fc, "ecrImageInUseCount");
    if (rc == 0 && l != NULL)
        rc = dd_fc_validate_numbers(l, "filterCriteria.ecrImageInUseCount", err);
    return rc;
}

/* The values a CoveredResource offers to the filters. */
typedef struct item {
    const char *code, *reason, *resource_id, *resource_type, *repo;
    const char *tags[64];
    size_t n_tags;
    bool has_scanned, has_pulled;
    double scanned, pulled;
} item;

static bool strings_ok(const json_t *fc, const char *member, const char *const *vals, size_t n)
{
    const json_t *l = json_object_get(fc, member);
    return l == NULL || dd_fc_match_strings(l, vals, n);
}

static bool one_ok(const json_t *fc, const char *member, const char *v)
{
    const char *vals[1] = {v};
    return strings_ok(fc, member, vals, v != NULL ? 1 : 0);
}

static bool item_match(const json_t *fc, const item *it, const char *account)
{
    if (fc == NULL)
        return true;
    if (!one_ok(fc, "scanStatusCode", it->code) || !one_ok(fc, "scanStatusReason", it->reason) ||
        !one_ok(fc, "accountId", account) || !one_ok(fc, "resourceId", it->resource_id) ||
        !one_ok(fc, "resourceType", it->resource_type) || !one_ok(fc, "scanType", "PACKAGE") ||
        !one_ok(fc, "ecrRepositoryName", it->repo) ||
        !strings_ok(fc, "ecrImageTags", it->tags, it->n_tags))
        return false;
    /* Members for other resource kinds: no value here. */
    static const char *const absent[] = {"lambdaFunctionName",
                                         "lambdaFunctionRuntime",
                                         "scanMode",
                                         "codeRepositoryProjectName",
                                         "codeRepositoryProviderType",
                                         "codeRepositoryProviderTypeVisibility",
                                         "lastScannedCommitId"};
    for (size_t i = 0; i < sizeof(absent) / sizeof(absent[0]); i++)
        if (!strings_ok(fc, absent[i], NULL, 0))
            return false;
    for (size_t i = 0; i < 2; i++)
        if (json_object_get(fc, COV_MAPS[i]) != NULL)
            return false;
    const json_t *l;
    if ((l = json_object_get(fc, "lastScannedAt")) != NULL &&
        !dd_fc_match_dates(l, it->has_scanned, it->scanned))
        return false;
    if ((l = json_object_get(fc, "imagePulledAt")) != NULL &&
        !dd_fc_match_dates(l, it->has_pulled, it->pulled))
        return false;
    if (json_object_get(fc, "ecrImageLastInUseAt") != NULL ||
        json_object_get(fc, "ecrImageInUseCount") != NULL)
        return false; /* no runtime usage data */
    return true;
}

/* ScanStatusReason from an ECR status (spec 4.4) when the record carries none. */
static const char *reason_of(const char *status)
{
    static const struct {
        const char *status, *reason;
    } map[] = {
        {"PENDING", "PENDING_INITIAL_SCAN"},
        {"IN_PROGRESS", "SCAN_IN_PROGRESS"},
        {"ACTIVE", "SUCCESSFUL"},
        {"COMPLETE", "SCAN_FREQUENCY_SCAN_ON_PUSH"},
        {"SCAN_ELIGIBILITY_EXPIRED", "SCAN_ELIGIBILITY_EXPIRED"},
        {"UNSUPPORTED_IMAGE", "UNSUPPORTED_OS"},
        {"FAILED", "INTERNAL_ERROR"},
        {"IMAGE_ARCHIVED", "IMAGE_ARCHIVED"},
        {"FINDINGS_UNAVAILABLE", "SCAN_ELIGIBILITY_EXPIRED"},
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].status, status) == 0)
            return map[i].reason;
    return "SCAN_FREQUENCY_MANUAL";
}

static const char *code_of(const char *reason)
{
    static const char *const active[] = {"PENDING_INITIAL_SCAN", "SCAN_IN_PROGRESS", "SUCCESSFUL",
                                         "INTERNAL_ERROR", "PENDING_REVIVAL_SCAN"};
    for (size_t i = 0; i < sizeof(active) / sizeof(active[0]); i++)
        if (strcmp(active[i], reason) == 0)
            return "ACTIVE";
    return "INACTIVE";
}

static const char SQL_REPOS[] =
    "SELECT s.repo, s.frequency, (SELECT max(i.last_scanned_at) FROM scan_images i"
    " WHERE i.repo = s.repo AND i.scan_type = 'ENHANCED') FROM scan_repos s ORDER BY s.repo";
static const char SQL_IMAGES[] =
    "SELECT si.repo, si.digest, coalesce(si.status, ''), coalesce(si.reason, ''),"
    " si.last_scanned_at, m.last_pulled_at,"
    " (SELECT json_group_array(name) FROM (SELECT t.name FROM tags t"
    "   WHERE t.repo_id = r.id AND t.digest = si.digest ORDER BY t.name))"
    " FROM scan_images si LEFT JOIN repositories r ON r.name = si.repo"
    " LEFT JOIN manifests m ON m.repo_id = r.id AND m.digest = si.digest"
    " WHERE si.scan_type = 'ENHANCED' ORDER BY si.repo, si.digest";

typedef int (*visit_fn)(void *ctx, const item *it, json_t *resource);

/* Calls fn for every covered resource matching fc, in listing order. resource is built only
 * when build is set (new reference handed to fn, which must take or drop it). */
static int each(dd_sql_conn *c, const dd_coverage_env *env, const json_t *fc, bool build,
                visit_fn fn, void *ctx, dd_err *err)
{
    if (!env->enhanced)
        return 0;
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_REPOS, &st, err);
    if (rc != 0)
        return rc;
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        const char *repo = dd_sql_col_text(st, 0);
        const char *freq = dd_sql_col_text(st, 1);
        if (freq[0] == '\0')
            freq = "MANUAL";
        bool manual = strcmp(freq, "MANUAL") == 0;
        char *arn = dd_asprintf("arn:aws:ecr:%s:%s:repository/%s", env->region, env->account, repo);
        if (arn == NULL) {
            sqlite3_reset(st);
            return DD_ENOMEM;
        }
        item it = {0};
        it.code = manual ? "INACTIVE" : "ACTIVE";
        it.reason = manual ? "SCAN_FREQUENCY_MANUAL" : "SUCCESSFUL";
        it.resource_id = arn;
        it.resource_type = "AWS_ECR_REPOSITORY";
        it.repo = repo;
        it.has_scanned = sqlite3_column_type(st, 2) != SQLITE_NULL;
        it.scanned = (double)sqlite3_column_int64(st, 2) / 1000.0;
        json_t *res = NULL;
        rc = 0;
        if (item_match(fc, &it, env->account)) {
            if (build) {
                res = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:{s:s, s:s}}}",
                                "resourceType", it.resource_type, "resourceId", arn, "accountId",
                                env->account, "scanType", "PACKAGE", "scanStatus", "statusCode",
                                it.code, "reason", it.reason, "resourceMetadata", "ecrRepository",
                                "name", repo, "scanFrequency", freq);
                if (res != NULL && it.has_scanned)
                    json_object_set_new(res, "lastScannedAt",
                                        dd_fc_time(sqlite3_column_int64(st, 2)));
                if (res == NULL)
                    rc = DD_ENOMEM;
            }
            if (rc == 0)
                rc = fn(ctx, &it, res);
        }
        dd_free(arn);
        if (rc != 0) {
            sqlite3_reset(st);
            return rc;
        }
    }
    if (rc < 0)
        return rc;
    if ((rc = dd_sql_stmt(c, SQL_IMAGES, &st, err)) != 0)
        return rc;
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        const char *repo = dd_sql_col_text(st, 0);
        const char *digest = dd_sql_col_text(st, 1);
        const char *status = dd_sql_col_text(st, 2);
        const char *reason = dd_sql_col_text(st, 3);
        if (reason[0] == '\0')
            reason = reason_of(status);
        json_t *tags = json_loads(dd_sql_col_text(st, 6), 0, NULL);
        char *id = dd_asprintf("arn:aws:ecr:%s:%s:repository/%s/%s", env->region, env->account,
                               repo, digest);
        if (id == NULL) {
            json_decref(tags);
            sqlite3_reset(st);
            return DD_ENOMEM;
        }
        item it = {0};
        it.code = code_of(reason);
        it.reason = reason;
        it.resource_id = id;
        it.resource_type = "AWS_ECR_CONTAINER_IMAGE";
        it.repo = repo;
        size_t i;
        const json_t *t;
        json_array_foreach(tags, i, t)
        {
            if (json_is_string(t) && it.n_tags < 64)
                it.tags[it.n_tags++] = json_string_value(t);
        }
        it.has_scanned = sqlite3_column_type(st, 4) != SQLITE_NULL;
        it.scanned = (double)sqlite3_column_int64(st, 4) / 1000.0;
        it.has_pulled = sqlite3_column_type(st, 5) != SQLITE_NULL;
        it.pulled = (double)sqlite3_column_int64(st, 5) / 1000.0;
        json_t *res = NULL;
        rc = 0;
        if (item_match(fc, &it, env->account)) {
            if (build) {
                json_t *tl = json_is_array(tags) ? json_incref(tags) : json_array();
                json_t *meta = json_pack("{s:o}", "tags", tl);
                if (meta != NULL && it.has_pulled)
                    json_object_set_new(meta, "imagePulledAt",
                                        dd_fc_time(sqlite3_column_int64(st, 5)));
                res = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:{s:o}}", "resourceType",
                                it.resource_type, "resourceId", id, "accountId", env->account,
                                "scanType", "PACKAGE", "scanStatus", "statusCode", it.code,
                                "reason", it.reason, "resourceMetadata", "ecrImage", meta);
                if (res != NULL && it.has_scanned)
                    json_object_set_new(res, "lastScannedAt",
                                        dd_fc_time(sqlite3_column_int64(st, 4)));
                if (res == NULL)
                    rc = DD_ENOMEM;
            }
            if (rc == 0)
                rc = fn(ctx, &it, res);
        }
        dd_free(id);
        json_decref(tags);
        if (rc != 0) {
            sqlite3_reset(st);
            return rc;
        }
    }
    return rc < 0 ? rc : 0;
}

typedef struct page {
    uint64_t pos, offset, max;
    json_t *list;
    bool more;
} page;

static int page_add(void *ctx, const item *it, json_t *res)
{
    (void)it;
    page *p = ctx;
    uint64_t pos = p->pos++;
    if (pos < p->offset) {
        json_decref(res);
        return 0;
    }
    if (pos >= p->offset + p->max) {
        json_decref(res);
        p->more = true;
        return 1; /* stop: another page exists */
    }
    return json_array_append_new(p->list, res) == 0 ? 0 : DD_ENOMEM;
}

int dd_coverage_list(dd_sql_conn *c, const dd_coverage_env *env, const json_t *request,
                     json_t **out, dd_err *err)
{
    *out = NULL;
    const json_t *fc = json_object_get(request, "filterCriteria");
    int rc = validate(fc, err);
    if (rc != 0)
        return rc;
    const json_t *mr = json_object_get(request, "maxResults");
    uint64_t max = 100;
    if (mr != NULL) {
        if (!json_is_integer(mr) || json_integer_value(mr) < 1 || json_integer_value(mr) > 200)
            return dd_err_set(err, DD_EINVALID, "maxResults: must be 1 to 200");
        max = (uint64_t)json_integer_value(mr);
    }
    char hash[17];
    const json_t *parts[] = {fc};
    if ((rc = dd_fc_request_hash(hash, "ListCoverage", parts, 1)) != 0)
        return rc;
    page p = {0, 0, max, json_array(), false};
    const char *tok = json_string_value(json_object_get(request, "nextToken"));
    if (tok != NULL && tok[0] != '\0' && (rc = dd_fc_token_decode(tok, hash, &p.offset, err)) != 0)
        goto out;
    if (p.list == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    rc = each(c, env, fc, true, page_add, &p, err);
    if (rc == 1)
        rc = 0;
    if (rc != 0)
        goto out;
    json_t *res = json_pack("{s:O}", "coveredResources", p.list);
    if (res == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if (p.more) {
        /* Offsets only grow, so a listing never hands out the same token twice. */
        char *t = dd_fc_token_encode(p.offset + max, hash);
        if (t == NULL) {
            json_decref(res);
            rc = DD_ENOMEM;
            goto out;
        }
        json_object_set_new(res, "nextToken", json_string(t));
        dd_free(t);
    }
    *out = res;
out:
    json_decref(p.list);
    return rc;
}

typedef struct stats {
    const char *account;
    const char *group_by;
    int64_t total;
    json_t *counts; /* value -> count */
} stats;

static int stats_add(void *ctx, const item *it, json_t *res)
{
    (void)res;
    stats *s = ctx;
    s->total++;
    if (s->group_by == NULL)
        return 0;
    const char *v = "";
    if (strcmp(s->group_by, "SCAN_STATUS_CODE") == 0)
        v = it->code;
    else if (strcmp(s->group_by, "SCAN_STATUS_REASON") == 0)
        v = it->reason;
    else if (strcmp(s->group_by, "ACCOUNT_ID") == 0)
        v = s->account;
    else if (strcmp(s->group_by, "RESOURCE_TYPE") == 0)
        v = it->resource_type;
    else if (strcmp(s->group_by, "ECR_REPOSITORY_NAME") == 0)
        v = it->repo;
    json_t *n = json_object_get(s->counts, v);
    return json_object_set_new(s->counts, v, json_integer(json_integer_value(n) + 1)) == 0
               ? 0
               : DD_ENOMEM;
}

int dd_coverage_statistics(dd_sql_conn *c, const dd_coverage_env *env, const json_t *request,
                           json_t **out, dd_err *err)
{
    *out = NULL;
    const json_t *fc = json_object_get(request, "filterCriteria");
    int rc = validate(fc, err);
    if (rc != 0)
        return rc;
    const json_t *gb = json_object_get(request, "groupBy");
    static const char *const GROUPS[] = {"SCAN_STATUS_CODE", "SCAN_STATUS_REASON", "ACCOUNT_ID",
                                         "RESOURCE_TYPE", "ECR_REPOSITORY_NAME"};
    stats s = {env->account, NULL, 0, json_object()};
    if (s.counts == NULL)
        return DD_ENOMEM;
    if (gb != NULL) {
        for (size_t i = 0; i < sizeof(GROUPS) / sizeof(GROUPS[0]); i++)
            if (json_is_string(gb) && strcmp(GROUPS[i], json_string_value(gb)) == 0)
                s.group_by = GROUPS[i];
        if (s.group_by == NULL) {
            json_decref(s.counts);
            return dd_err_set(err, DD_EINVALID, "groupBy: invalid value");
        }
    }
    if ((rc = each(c, env, fc, false, stats_add, &s, err)) != 0) {
        json_decref(s.counts);
        return rc;
    }
    json_t *res = json_pack("{s:I}", "totalCounts", (json_int_t)s.total);
    if (res != NULL && s.group_by != NULL) {
        json_t *list = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(s.counts, k, v)
        {
            json_array_append_new(list,
                                  json_pack("{s:O, s:s}", "count", v, "groupKey", s.group_by));
        }
        json_object_set_new(res, "countsByGroup", list);
    }
    json_decref(s.counts);
    if (res == NULL)
        return DD_ENOMEM;
    *out = res;
    return 0;
}
