/* ListFindingAggregations (spec 5.4): groups the ACTIVE findings by repository, image, image
 * layer, package, title, finding type or account, counts severities ({all, medium, high,
 * critical}), applies the request's filters to the groups, sorts and pages. One SQL pass reads
 * the columns and the few JSON paths a grouping needs; grouping happens in C. Aggregation types
 * that do not apply to container images (AMI, EC2, Lambda, code repositories) answer with no
 * responses. */
#include "findings/findings.h"
#include "findings/internal.h"
#include "util/alloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum agg_type {
    A_REPOSITORY,
    A_ECR_CONTAINER,
    A_IMAGE_LAYER,
    A_PACKAGE,
    A_TITLE,
    A_FINDING_TYPE,
    A_ACCOUNT,
    A_OTHER,
} agg_type;

static const struct {
    const char *type;
    const char *key;
    agg_type t;
} TYPES[] = {
    {"REPOSITORY", "repositoryAggregation", A_REPOSITORY},
    {"AWS_ECR_CONTAINER", "awsEcrContainerAggregation", A_ECR_CONTAINER},
    {"IMAGE_LAYER", "imageLayerAggregation", A_IMAGE_LAYER},
    {"PACKAGE", "packageAggregation", A_PACKAGE},
    {"TITLE", "titleAggregation", A_TITLE},
    {"FINDING_TYPE", "findingTypeAggregation", A_FINDING_TYPE},
    {"ACCOUNT", "accountAggregation", A_ACCOUNT},
    {"AMI", "amiAggregation", A_OTHER},
    {"AWS_EC2_INSTANCE", "ec2InstanceAggregation", A_OTHER},
    {"AWS_LAMBDA_FUNCTION", "lambdaFunctionAggregation", A_OTHER},
    {"LAMBDA_LAYER", "lambdaLayerAggregation", A_OTHER},
    {"CODE_REPOSITORY", "codeRepositoryAggregation", A_OTHER},
};

static const char *const CMP3[] = {"EQUALS", "PREFIX", "NOT_EQUALS", NULL};

typedef struct group {
    char *key;
    json_t *resp;   /* the response item without severityCounts */
    json_t *images; /* set of digests (REPOSITORY) */
    int64_t all, medium, high, critical, fix, exploit;
} group;

typedef struct groups {
    group *v;
    size_t n, cap;
    json_t *index; /* key -> position */
} groups;

static void groups_free(groups *g)
{
    for (size_t i = 0; i < g->n; i++) {
        dd_free(g->v[i].key);
        json_decref(g->v[i].resp);
        json_decref(g->v[i].images);
    }
    dd_free(g->v);
    json_decref(g->index);
}

/* The group for key, created with resp (stolen) when new; NULL on ENOMEM. */
static group *group_get(groups *g, const char *key, json_t *(*make)(void *), void *ctx)
{
    json_t *pos = json_object_get(g->index, key);
    if (pos != NULL)
        return &g->v[json_integer_value(pos)];
    if (g->n == g->cap) {
        size_t ncap = g->cap ? g->cap * 2 : 64;
        group *nv = dd_reallocarray(g->v, ncap, sizeof(*nv));
        if (nv == NULL)
            return NULL;
        g->v = nv;
        g->cap = ncap;
    }
    group *gr = &g->v[g->n];
    memset(gr, 0, sizeof(*gr));
    gr->key = dd_strdup(key);
    gr->resp = make(ctx);
    gr->images = json_object();
    if (gr->key == NULL || gr->resp == NULL || gr->images == NULL ||
        json_object_set_new(g->index, key, json_integer((json_int_t)g->n)) != 0) {
        dd_free(gr->key);
        json_decref(gr->resp);
        json_decref(gr->images);
        return NULL;
    }
    g->n++;
    return gr;
}

/* One ACTIVE finding as read from the table. */
typedef struct row {
    const char *repo, *digest, *severity, *fix, *exploit, *vuln_id, *account, *title, *type,
        *resource_type, *resource_id;
    json_t *image;    /* details.awsEcrContainerImage (parsed when needed) */
    json_t *packages; /* vulnerablePackages (parsed when needed) */
} row;

typedef struct ctx {
    agg_type t;
    const json_t *req; /* the type's aggregationRequest member (may be NULL) */
    const json_t *account_ids;
    groups g;
    const row *r;
    const char *extra; /* layer hash or package name for the group being made */
} ctx;

static bool str_ok(const json_t *list, const char *v)
{
    if (list == NULL)
        return true;
    const char *vals[1] = {v};
    return dd_fc_match_strings(list, vals, v != NULL ? 1 : 0);
}

static json_t *make_resp(void *p)
{
    ctx *x = p;
    const row *r = x->r;
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    switch (x->t) {
    case A_REPOSITORY:
        json_object_set_new(o, "repository", json_string(r->repo));
        json_object_set_new(o, "accountId", json_string(r->account));
        break;
    case A_ECR_CONTAINER: {
        json_object_set_new(o, "resourceId", json_string(r->resource_id));
        json_object_set_new(o, "imageSha", json_string(r->digest));
        json_object_set_new(o, "repository", json_string(r->repo));
        const json_t *arch = json_object_get(r->image, "architecture");
        if (json_is_string(arch))
            json_object_set(o, "architecture", (json_t *)arch);
        const json_t *tags = json_object_get(r->image, "imageTags");
        json_object_set_new(o, "imageTags",
                            json_is_array(tags) ? json_deep_copy(tags) : json_array());
        json_object_set_new(o, "accountId", json_string(r->account));
        const json_t *liu = json_object_get(r->image, "lastInUseAt");
        if (json_is_number(liu))
            json_object_set(o, "lastInUseAt", (json_t *)liu);
        const json_t *iuc = json_object_get(r->image, "inUseCount");
        if (json_is_number(iuc))
            json_object_set(o, "inUseCount", (json_t *)iuc);
        break;
    }
    case A_IMAGE_LAYER:
        json_object_set_new(o, "repository", json_string(r->repo));
        json_object_set_new(o, "resourceId", json_string(r->resource_id));
        json_object_set_new(o, "layerHash", json_string(x->extra));
        json_object_set_new(o, "accountId", json_string(r->account));
        break;
    case A_PACKAGE:
        json_object_set_new(o, "packageName", json_string(x->extra));
        json_object_set_new(o, "accountId", json_string(r->account));
        break;
    case A_TITLE:
        json_object_set_new(o, "title", json_string(r->title));
        json_object_set_new(o, "vulnerabilityId", json_string(r->vuln_id));
        json_object_set_new(o, "accountId", json_string(r->account));
        break;
    case A_FINDING_TYPE:
    case A_ACCOUNT:
    case A_OTHER:
        json_object_set_new(o, "accountId", json_string(r->account));
        break;
    }
    return o;
}

static int count(ctx *x, const char *key)
{
    group *g = group_get(&x->g, key, make_resp, x);
    if (g == NULL)
        return DD_ENOMEM;
    const row *r = x->r;
    g->all++;
    if (strcmp(r->severity, "MEDIUM") == 0)
        g->medium++;
    else if (strcmp(r->severity, "HIGH") == 0)
        g->high++;
    else if (strcmp(r->severity, "CRITICAL") == 0)
        g->critical++;
    if (strcmp(r->fix, "YES") == 0 || strcmp(r->fix, "PARTIAL") == 0)
        g->fix++;
    if (strcmp(r->exploit, "YES") == 0)
        g->exploit++;
    if (x->t == A_REPOSITORY)
        json_object_set_new(g->images, r->digest, json_true());
    return 0;
}

static char *join(const char *a, const char *b, const char *c)
{
    return dd_asprintf("%s\x1f%s\x1f%s", a, b != NULL ? b : "", c != NULL ? c : "");
}

static int enum_ok(const json_t *req, const char *member, const char *value)
{
    const char *want = json_string_value(json_object_get(req, member));
    return want == NULL || (value != NULL && strcmp(want, value) == 0);
}

/* Groups one finding. */
static int add_row(ctx *x)
{
    const row *r = x->r;
    const json_t *q = x->req;
    if (x->account_ids != NULL && !str_ok(x->account_ids, r->account))
        return 0;
    char *key = NULL;
    int rc = 0;
    switch (x->t) {
    case A_REPOSITORY:
        if (!str_ok(json_object_get(q, "repositories"), r->repo))
            return 0;
        key = join(r->account, r->repo, NULL);
        break;
    case A_ECR_CONTAINER: {
        if (!str_ok(json_object_get(q, "resourceIds"), r->resource_id) ||
            !str_ok(json_object_get(q, "imageShas"), r->digest) ||
            !str_ok(json_object_get(q, "repositories"), r->repo) ||
            !str_ok(json_object_get(q, "architectures"),
                    json_string_value(json_object_get(r->image, "architecture"))))
            return 0;
        const json_t *tl = json_object_get(q, "imageTags");
        if (tl != NULL) {
            const char *tags[64];
            size_t n = 0, i;
            const json_t *t;
            json_array_foreach(json_object_get(r->image, "imageTags"), i, t)
            {
                if (json_is_string(t) && n < 64)
                    tags[n++] = json_string_value(t);
            }
            if (!dd_fc_match_strings(tl, tags, n))
                return 0;
        }
        const json_t *dl = json_object_get(q, "lastInUseAt");
        const json_t *liu = json_object_get(r->image, "lastInUseAt");
        if (dl != NULL && !dd_fc_match_dates(dl, json_is_number(liu), json_number_value(liu)))
            return 0;
        const json_t *nl = json_object_get(q, "inUseCount");
        const json_t *iuc = json_object_get(r->image, "inUseCount");
        if (nl != NULL && !dd_fc_match_numbers(nl, json_is_number(iuc), json_number_value(iuc)))
            return 0;
        key = join(r->account, r->resource_id, NULL);
        break;
    }
    case A_IMAGE_LAYER:
    case A_PACKAGE: {
        if (x->t == A_IMAGE_LAYER && (!str_ok(json_object_get(q, "repositories"), r->repo) ||
                                      !str_ok(json_object_get(q, "resourceIds"), r->resource_id)))
            return 0;
        /* Each distinct layer (package name) of the finding counts the finding once. */
        json_t *seen = json_object();
        if (seen == NULL)
            return DD_ENOMEM;
        size_t i;
        const json_t *p;
        json_array_foreach(r->packages, i, p)
        {
            const char *v = json_string_value(
                json_object_get(p, x->t == A_IMAGE_LAYER ? "sourceLayerHash" : "name"));
            if (v == NULL || json_object_get(seen, v) != NULL)
                continue;
            json_object_set_new(seen, v, json_true());
            const json_t *fl =
                json_object_get(q, x->t == A_IMAGE_LAYER ? "layerHashes" : "packageNames");
            if (!str_ok(fl, v))
                continue;
            char *k = x->t == A_IMAGE_LAYER ? join(r->account, r->resource_id, v)
                                            : join(r->account, v, NULL);
            if (k == NULL) {
                rc = DD_ENOMEM;
                break;
            }
            x->extra = v;
            rc = count(x, k);
            dd_free(k);
            if (rc != 0)
                break;
        }
        json_decref(seen);
        return rc;
    }
    case A_TITLE:
        if (!str_ok(json_object_get(q, "titles"), r->title) ||
            !str_ok(json_object_get(q, "vulnerabilityIds"), r->vuln_id) ||
            !enum_ok(q, "resourceType", r->resource_type) || !enum_ok(q, "findingType", r->type))
            return 0;
        key = join(r->account, r->title, r->vuln_id);
        break;
    case A_FINDING_TYPE:
    case A_ACCOUNT:
        if (!enum_ok(q, "resourceType", r->resource_type) || !enum_ok(q, "findingType", r->type))
            return 0;
        key = join(r->account, NULL, NULL);
        break;
    case A_OTHER:
        return 0;
    }
    if (key == NULL)
        return DD_ENOMEM;
    rc = count(x, key);
    dd_free(key);
    return rc;
}

static const char SQL_ROWS[] =
    "SELECT repo, digest, severity, coalesce(fix_available, ''), coalesce(exploit_available, ''),"
    " vuln_id, coalesce(json_extract(doc, '$.awsAccountId'), ''),"
    " coalesce(json_extract(doc, '$.title'), ''), coalesce(json_extract(doc, '$.type'), ''),"
    " coalesce(json_extract(doc, '$.resources[0].type'), ''),"
    " coalesce(json_extract(doc, '$.resources[0].id'), ''),"
    " json_extract(doc, '$.resources[0].details.awsEcrContainerImage'),"
    " json_extract(doc, '$.packageVulnerabilityDetails.vulnerablePackages')"
    " FROM findings WHERE status = 'ACTIVE' ORDER BY arn";

static int collect(dd_sql_conn *c, ctx *x, dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_ROWS, &st, err);
    if (rc != 0)
        return rc;
    bool want_image = x->t == A_ECR_CONTAINER;
    bool want_pkgs = x->t == A_IMAGE_LAYER || x->t == A_PACKAGE;
    json_t *images = json_object();
    if (images == NULL)
        return DD_ENOMEM;
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        row r = {0};
        r.repo = dd_sql_col_text(st, 0);
        r.digest = dd_sql_col_text(st, 1);
        r.severity = dd_sql_col_text(st, 2);
        r.fix = dd_sql_col_text(st, 3);
        r.exploit = dd_sql_col_text(st, 4);
        r.vuln_id = dd_sql_col_text(st, 5);
        r.account = dd_sql_col_text(st, 6);
        r.title = dd_sql_col_text(st, 7);
        r.type = dd_sql_col_text(st, 8);
        r.resource_type = dd_sql_col_text(st, 9);
        r.resource_id = dd_sql_col_text(st, 10);
        if (want_image) {
            /* one parse per image: the rows of an image share its details */
            r.image = json_incref(json_object_get(images, r.resource_id));
            if (r.image == NULL) {
                r.image = json_loads(dd_sql_col_text(st, 11), 0, NULL);
                if (r.image != NULL)
                    json_object_set(images, r.resource_id, r.image);
            }
        }
        if (want_pkgs)
            r.packages = json_loads(dd_sql_col_text(st, 12), 0, NULL);
        x->r = &r;
        rc = add_row(x);
        x->r = NULL;
        json_decref(r.image);
        json_decref(r.packages);
        if (rc != 0) {
            sqlite3_reset(st);
            break;
        }
    }
    json_decref(images);
    return rc < 0 ? rc : 0;
}

typedef struct sorter {
    const char *by;
    bool desc;
} sorter;

static int64_t metric(const group *g, const char *by)
{
    if (strcmp(by, "HIGH") == 0)
        return g->high;
    if (strcmp(by, "ALL") == 0)
        return g->all;
    if (strcmp(by, "AFFECTED_IMAGES") == 0)
        return (int64_t)json_object_size(g->images);
    return g->critical;
}

static int cmp_groups(const void *a, const void *b, void *arg)
{
    const group *x = a, *y = b;
    const sorter *so = arg;
    int64_t mx = metric(x, so->by), my = metric(y, so->by);
    if (mx != my)
        return (mx < my) == so->desc ? 1 : -1;
    return strcmp(x->key, y->key);
}

static int validate(agg_type t, const json_t *q, const char *key, dd_err *err)
{
    static const char *const lists[] = {"repositories",  "resourceIds", "imageShas",
                                        "architectures", "imageTags",   "layerHashes",
                                        "packageNames",  "titles",      "vulnerabilityIds"};
    char path[96];
    if (!json_is_object(q))
        return dd_err_set(err, DD_EINVALID, "aggregationRequest.%s: must be an object", key);
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        const json_t *l = json_object_get(q, lists[i]);
        snprintf(path, sizeof(path), "aggregationRequest.%s.%s", key, lists[i]);
        int rc = l != NULL ? dd_fc_validate_strings(l, CMP3, 1024, path, err) : 0;
        if (rc != 0)
            return rc;
    }
    const json_t *d = json_object_get(q, "lastInUseAt");
    snprintf(path, sizeof(path), "aggregationRequest.%s.lastInUseAt", key);
    if (d != NULL && dd_fc_validate_dates(d, path, err) != 0)
        return DD_EINVALID;
    const json_t *n = json_object_get(q, "inUseCount");
    snprintf(path, sizeof(path), "aggregationRequest.%s.inUseCount", key);
    if (n != NULL && dd_fc_validate_numbers(n, path, err) != 0)
        return DD_EINVALID;
    const char *order = json_string_value(json_object_get(q, "sortOrder"));
    if (json_object_get(q, "sortOrder") != NULL &&
        (order == NULL || (strcmp(order, "ASC") != 0 && strcmp(order, "DESC") != 0)))
        return dd_err_set(err, DD_EINVALID, "aggregationRequest.%s.sortOrder: must be ASC or DESC",
                          key);
    const char *by = json_string_value(json_object_get(q, "sortBy"));
    if (json_object_get(q, "sortBy") != NULL) {
        bool ok = by != NULL && (strcmp(by, "CRITICAL") == 0 || strcmp(by, "HIGH") == 0 ||
                                 strcmp(by, "ALL") == 0 ||
                                 (t == A_REPOSITORY && strcmp(by, "AFFECTED_IMAGES") == 0));
        if (!ok)
            return dd_err_set(err, DD_EINVALID, "aggregationRequest.%s.sortBy: invalid value", key);
    }
    static const char *const RT[] = {"AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER_IMAGE",
                                     "AWS_LAMBDA_FUNCTION", "CODE_REPOSITORY", NULL};
    static const char *const FT[] = {"NETWORK_REACHABILITY", "PACKAGE_VULNERABILITY",
                                     "CODE_VULNERABILITY", NULL};
    const char *names[] = {"resourceType", "findingType"};
    const char *const *enums[] = {RT, FT};
    for (size_t k = 0; k < 2; k++) {
        const json_t *v = json_object_get(q, names[k]);
        if (v == NULL)
            continue;
        bool ok = false;
        for (size_t i = 0; json_is_string(v) && enums[k][i] != NULL; i++)
            ok = ok || strcmp(enums[k][i], json_string_value(v)) == 0;
        if (!ok)
            return dd_err_set(err, DD_EINVALID, "aggregationRequest.%s.%s: invalid value", key,
                              names[k]);
    }
    return 0;
}

int dd_findings_aggregate(dd_sql_conn *c, const json_t *request, json_t **out, dd_err *err)
{
    *out = NULL;
    const char *type = json_string_value(json_object_get(request, "aggregationType"));
    if (type == NULL)
        return dd_err_set(err, DD_EINVALID, "aggregationType: required");
    size_t ti = 0;
    while (ti < sizeof(TYPES) / sizeof(TYPES[0]) && strcmp(TYPES[ti].type, type) != 0)
        ti++;
    if (ti == sizeof(TYPES) / sizeof(TYPES[0]))
        return dd_err_set(err, DD_EINVALID, "aggregationType: unknown value '%.64s'", type);
    ctx x = {TYPES[ti].t, NULL, NULL, {NULL, 0, 0, NULL}, NULL, NULL};
    const json_t *ar = json_object_get(request, "aggregationRequest");
    int rc = 0;
    if (ar != NULL) {
        if (!json_is_object(ar) || json_object_size(ar) != 1)
            return dd_err_set(err, DD_EINVALID,
                              "aggregationRequest: exactly one member must be set");
        x.req = json_object_get(ar, TYPES[ti].key);
        if (x.req == NULL)
            return dd_err_set(err, DD_EINVALID, "aggregationRequest: %s expects member %s", type,
                              TYPES[ti].key);
        if ((rc = validate(x.t, x.req, TYPES[ti].key, err)) != 0)
            return rc;
    }
    x.account_ids = json_object_get(request, "accountIds");
    if (x.account_ids != NULL &&
        (rc = dd_fc_validate_strings(x.account_ids, CMP3, 1024, "accountIds", err)) != 0)
        return rc;
    const json_t *mr = json_object_get(request, "maxResults");
    size_t max = 100;
    if (mr != NULL) {
        if (!json_is_integer(mr) || json_integer_value(mr) < 1 || json_integer_value(mr) > 100)
            return dd_err_set(err, DD_EINVALID, "maxResults: must be 1 to 100");
        max = (size_t)json_integer_value(mr);
    }
    char hash[17];
    const json_t *parts[] = {json_object_get(request, "aggregationType"), ar, x.account_ids};
    if ((rc = dd_fc_request_hash(hash, "ListFindingAggregations", parts, 3)) != 0)
        return rc;
    uint64_t offset = 0;
    const char *tok = json_string_value(json_object_get(request, "nextToken"));
    if (tok != NULL && tok[0] != '\0' && (rc = dd_fc_token_decode(tok, hash, &offset, err)) != 0)
        return rc;

    json_t *res = json_object(), *responses = json_array();
    x.g.index = json_object();
    if (res == NULL || responses == NULL || x.g.index == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    json_object_set_new(res, "aggregationType", json_string(type));
    if (x.t != A_OTHER && (rc = collect(c, &x, err)) != 0)
        goto out;
    const char *by = json_string_value(json_object_get(x.req, "sortBy"));
    const char *order = json_string_value(json_object_get(x.req, "sortOrder"));
    sorter so = {by != NULL ? by : "CRITICAL", order == NULL || strcmp(order, "DESC") == 0};
    if (x.g.n > 1)
        qsort_r(x.g.v, x.g.n, sizeof(group), cmp_groups, &so);
    uint64_t pos;
    for (pos = offset; pos < x.g.n && pos < offset + max; pos++) {
        group *g = &x.g.v[pos];
        json_t *item = g->resp;
        json_object_set_new(item, "severityCounts",
                            json_pack("{s:I, s:I, s:I, s:I}", "all", (json_int_t)g->all, "medium",
                                      (json_int_t)g->medium, "high", (json_int_t)g->high,
                                      "critical", (json_int_t)g->critical));
        if (x.t == A_REPOSITORY)
            json_object_set_new(item, "affectedImages",
                                json_integer((json_int_t)json_object_size(g->images)));
        if (x.t == A_FINDING_TYPE || x.t == A_ACCOUNT) {
            json_object_set_new(item, "exploitAvailableCount", json_integer(g->exploit));
            json_object_set_new(item, "fixAvailableCount", json_integer(g->fix));
        }
        json_array_append_new(responses, json_pack("{s:O}", TYPES[ti].key, item));
    }
    if (pos < x.g.n) {
        char *t = dd_fc_token_encode(pos, hash);
        if (t == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        json_object_set_new(res, "nextToken", json_string(t));
        dd_free(t);
    }
    json_object_set(res, "responses", responses);
    *out = res;
    res = NULL;
out:
    json_decref(responses);
    json_decref(res);
    groups_free(&x.g);
    return rc;
}
