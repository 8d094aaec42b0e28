/* ListFindings and BatchGetFindingDetails over the findings table (spec 5.3). Conditions on
 * columns (ARN, status, severity, repository, image digest, vulnerability id, fix/exploit
 * availability, score) become SQL; observation dates narrow the SQL too. When every member of the
 * criteria is exact in SQL, the page comes straight from ORDER BY .. LIMIT .. OFFSET; otherwise the
 * rows are walked in sort order and each document is checked with dd_filter_match. The sort is
 * always SQL (json paths for fields without a column) with the ARN as tie-breaker, and the page
 * token holds the position in that ordered stream plus a hash of the criteria. */
#include "findings/findings.h"
#include "findings/internal.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define SQL_MAX (256u * 1024u)

static const struct {
    const char *member;
    const char *col;
} PUSH_STRINGS[] = {
    {"findingArn", "arn"},
    {"severity", "severity"},
    {"findingStatus", "status"},
    {"ecrImageRepositoryName", "repo"},
    {"ecrImageHash", "digest"},
    {"vulnerabilityId", "vuln_id"},
    {"fixAvailable", "fix_available"},
    {"exploitAvailable", "exploit_available"},
    /* scalar document paths (no array on the way), exact through json_extract */
    {"awsAccountId", "json_extract(doc, '$.awsAccountId')"},
    {"findingType", "json_extract(doc, '$.type')"},
    {"title", "json_extract(doc, '$.title')"},
    {"vulnerabilitySource", "json_extract(doc, '$.packageVulnerabilityDetails.source')"},
    {"vendorSeverity", "json_extract(doc, '$.packageVulnerabilityDetails.vendorSeverity')"},
};

static const struct {
    const char *member;
    const char *col;
} PUSH_DATES[] = {
    {"firstObservedAt", "first_observed_at"},
    {"lastObservedAt", "last_observed_at"},
    {"updatedAt", "updated_at"},
};

#define SEVERITY_RANK                                                                              \
    "(CASE severity WHEN 'CRITICAL' THEN 5 WHEN 'HIGH' THEN 4 WHEN 'MEDIUM' THEN 3 WHEN 'LOW'"     \
    " THEN 2 WHEN 'INFORMATIONAL' THEN 1 ELSE 0 END)"

static const struct {
    const char *field;
    const char *expr;
} SORTS[] = {
    {"AWS_ACCOUNT_ID", "json_extract(doc, '$.awsAccountId')"},
    {"FINDING_TYPE", "json_extract(doc, '$.type')"},
    {"SEVERITY", SEVERITY_RANK},
    {"FIRST_OBSERVED_AT", "first_observed_at"},
    {"LAST_OBSERVED_AT", "last_observed_at"},
    {"FINDING_STATUS", "status"},
    {"RESOURCE_TYPE", "json_extract(doc, '$.resources[0].type')"},
    {"ECR_IMAGE_PUSHED_AT",
     "json_extract(doc, '$.resources[0].details.awsEcrContainerImage.pushedAt')"},
    {"ECR_IMAGE_REPOSITORY_NAME", "repo"},
    {"ECR_IMAGE_REGISTRY",
     "json_extract(doc, '$.resources[0].details.awsEcrContainerImage.registry')"},
    {"NETWORK_PROTOCOL", "json_extract(doc, '$.networkReachabilityDetails.protocol')"},
    {"COMPONENT_TYPE",
     "json_extract(doc, '$.networkReachabilityDetails.networkPath.steps[0].componentType')"},
    {"VULNERABILITY_ID", "vuln_id"},
    {"VULNERABILITY_SOURCE", "json_extract(doc, '$.packageVulnerabilityDetails.source')"},
    {"INSPECTOR_SCORE", "score"},
    {"VENDOR_SEVERITY", "json_extract(doc, '$.packageVulnerabilityDetails.vendorSeverity')"},
    {"EPSS_SCORE", "json_extract(doc, '$.epss.score')"},
};

/* The SQL of one listing and its bindings (JSON strings and numbers). */
typedef struct plan {
    dd_buf sql;
    json_t *binds;
    bool residual; /* some member must be checked in C */
} plan;

static void plan_free(plan *p)
{
    dd_buf_free(&p->sql);
    json_decref(p->binds);
}

static int add_strings(plan *p, const char *col, const json_t *list)
{
    int rc = 0;
    bool first_pos = true;
    size_t i;
    const json_t *f;
    /* (pos OR pos ...) */
    json_array_foreach(list, i, f)
    {
        const char *cmp = json_string_value(json_object_get(f, "comparison"));
        if (strcmp(cmp, "NOT_EQUALS") == 0)
            continue;
        rc |= dd_buf_append_str(&p->sql, first_pos ? " AND (" : " OR ");
        first_pos = false;
        if (strcmp(cmp, "PREFIX") == 0)
            rc |= dd_buf_printf(&p->sql, "instr(%s, ?) = 1", col);
        else
            rc |= dd_buf_printf(&p->sql, "%s = ?", col);
        json_array_append(p->binds, json_object_get(f, "value"));
    }
    if (!first_pos)
        rc |= dd_buf_append_str(&p->sql, ")");
    json_array_foreach(list, i, f)
    {
        const char *cmp = json_string_value(json_object_get(f, "comparison"));
        if (strcmp(cmp, "NOT_EQUALS") != 0)
            continue;
        rc |= dd_buf_printf(&p->sql, " AND %s IS NOT ?", col);
        json_array_append(p->binds, json_object_get(f, "value"));
    }
    return rc != 0 ? DD_ENOMEM : 0;
}

/* Ranges; scale multiplies the bounds (1000 for seconds against ms columns), and slack widens
 * them when the comparison is not exact. */
static int add_ranges(plan *p, const char *col, const json_t *list, const char *lo_name,
                      const char *hi_name, double scale, double slack)
{
    int rc = dd_buf_append_str(&p->sql, " AND (");
    size_t i;
    const json_t *f;
    json_array_foreach(list, i, f)
    {
        const json_t *lo = json_object_get(f, lo_name);
        const json_t *hi = json_object_get(f, hi_name);
        rc |= dd_buf_printf(&p->sql, "%s(%s IS NOT NULL", i ? " OR " : "", col);
        if (json_is_number(lo)) {
            rc |= dd_buf_printf(&p->sql, " AND %s >= ?", col);
            json_array_append_new(p->binds, json_real(json_number_value(lo) * scale - slack));
        }
        if (json_is_number(hi)) {
            rc |= dd_buf_printf(&p->sql, " AND %s <= ?", col);
            json_array_append_new(p->binds, json_real(json_number_value(hi) * scale + slack));
        }
        rc |= dd_buf_append_str(&p->sql, ")");
    }
    rc |= dd_buf_append_str(&p->sql, ")");
    return rc != 0 ? DD_ENOMEM : 0;
}

static int sort_expr(const json_t *sort, const char **expr, bool *desc, dd_err *err)
{
    *expr = "updated_at";
    *desc = true;
    if (sort == NULL || json_is_null(sort))
        return 0;
    if (!json_is_object(sort))
        return dd_err_set(err, DD_EINVALID, "sortCriteria: must be an object");
    const char *field = json_string_value(json_object_get(sort, "field"));
    const char *order = json_string_value(json_object_get(sort, "sortOrder"));
    if (field == NULL)
        return dd_err_set(err, DD_EINVALID, "sortCriteria.field: required");
    if (order == NULL || (strcmp(order, "ASC") != 0 && strcmp(order, "DESC") != 0))
        return dd_err_set(err, DD_EINVALID, "sortCriteria.sortOrder: must be ASC or DESC");
    for (size_t i = 0; i < sizeof(SORTS) / sizeof(SORTS[0]); i++) {
        if (strcmp(SORTS[i].field, field) == 0) {
            *expr = SORTS[i].expr;
            *desc = strcmp(order, "DESC") == 0;
            return 0;
        }
    }
    return dd_err_set(err, DD_EINVALID, "sortCriteria.field: unknown sort field '%.64s'", field);
}

static int plan_build(plan *p, const json_t *criteria, const json_t *sort, dd_err *err)
{
    const char *expr;
    bool desc;
    int rc = sort_expr(sort, &expr, &desc, err);
    if (rc != 0)
        return rc;
    dd_buf_init(&p->sql, SQL_MAX);
    p->binds = json_array();
    p->residual = false;
    if (p->binds == NULL)
        return DD_ENOMEM;
    if (dd_buf_append_str(&p->sql, "SELECT arn FROM findings WHERE 1") != 0)
        return DD_ENOMEM;
    const char *key;
    const json_t *list;
    json_object_foreach((json_t *)criteria, key, list)
    {
        bool exact = false;
        for (size_t i = 0; i < sizeof(PUSH_STRINGS) / sizeof(PUSH_STRINGS[0]); i++) {
            if (strcmp(PUSH_STRINGS[i].member, key) == 0) {
                if ((rc = add_strings(p, PUSH_STRINGS[i].col, list)) != 0)
                    return rc;
                exact = true;
            }
        }
        if (strcmp(key, "inspectorScore") == 0) {
            if ((rc = add_ranges(p, "score", list, "lowerInclusive", "upperInclusive", 1.0, 0.0)) !=
                0)
                return rc;
            exact = true;
        }
        for (size_t i = 0; i < sizeof(PUSH_DATES) / sizeof(PUSH_DATES[0]); i++)
            if (strcmp(PUSH_DATES[i].member, key) == 0 &&
                (rc = add_ranges(p, PUSH_DATES[i].col, list, "startInclusive", "endInclusive",
                                 1000.0, 1.0)) != 0)
                return rc;
        if (!exact)
            p->residual = true;
    }
    if (dd_buf_printf(&p->sql, " ORDER BY %s %s, arn ASC LIMIT ? OFFSET ?", expr,
                      desc ? "DESC" : "ASC") != 0)
        return DD_ENOMEM;
    return 0;
}

static int plan_prepare(dd_sql_conn *c, const plan *p, int64_t limit, uint64_t offset,
                        sqlite3_stmt **out, dd_err *err)
{
    sqlite3 *h = dd_sql_handle(c);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(h, p->sql.data, -1, &st, NULL) != SQLITE_OK)
        return dd_err_set(err, DD_EDB, "findings query: %s", sqlite3_errmsg(h));
    size_t i;
    const json_t *v;
    int k = 1;
    json_array_foreach(p->binds, i, v)
    {
        if (json_is_string(v))
            dd_sql_bind_text(st, k, json_string_value(v));
        else
            dd_sql_bind_double(st, k, json_number_value(v));
        k++;
    }
    dd_sql_bind_int(st, k++, limit);
    dd_sql_bind_int(st, k, (int64_t)offset);
    *out = st;
    return 0;
}

static const char SQL_DOC[] = "SELECT doc FROM findings WHERE arn = ?";

static int load_doc(dd_sql_conn *c, const char *arn, json_t **out, dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_DOC, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, arn);
    rc = dd_sql_step(c, st, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        *out = NULL;
        return DD_ENOTFOUND;
    }
    json_error_t je;
    *out = json_loads(dd_sql_col_text(st, 0), 0, &je);
    sqlite3_reset(st);
    return *out != NULL ? 0 : dd_err_set(err, DD_EDB, "stored finding %s does not parse", arn);
}

int dd_findings_scan(dd_sql_conn *c, const json_t *criteria, const json_t *sort, uint64_t offset,
                     size_t max, dd_findings_scan_fn fn, void *ctx, uint64_t *next_out, dd_err *err)
{
    plan p = {DD_BUF_INIT(SQL_MAX), NULL, false};
    sqlite3_stmt *st = NULL;
    json_t *doc = NULL;
    uint64_t pos = offset;
    size_t got = 0;
    *next_out = 0;
    int rc = dd_filter_criteria_validate(criteria, err);
    if (rc == 0)
        rc = plan_build(&p, criteria, sort, err);
    if (rc != 0)
        goto out;
    /* Without residual conditions, max + 1 rows tell whether another page exists. */
    int64_t limit = p.residual || max == 0 ? -1 : (int64_t)max + 1;
    if ((rc = plan_prepare(c, &p, limit, offset, &st, err)) != 0)
        goto out;
    for (;;) {
        int s = sqlite3_step(st);
        if (s == SQLITE_DONE)
            break;
        if (s != SQLITE_ROW) {
            rc = dd_err_set(err, DD_EDB, "findings query: %s", sqlite3_errmsg(dd_sql_handle(c)));
            goto out;
        }
        char *arn = dd_strdup((const char *)sqlite3_column_text(st, 0));
        if (arn == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        rc = load_doc(c, arn, &doc, err);
        dd_free(arn);
        if (rc == DD_ENOTFOUND) {
            rc = 0;
            pos++;
            continue;
        }
        if (rc != 0)
            goto out;
        if (!p.residual || dd_filter_match(criteria, doc)) {
            if (max != 0 && got == max) {
                *next_out = pos; /* another match: the next page starts here */
                break;
            }
            rc = fn(ctx, doc);
            got++;
            if (rc != 0)
                goto out;
        }
        json_decref(doc);
        doc = NULL;
        pos++;
    }
out:
    json_decref(doc);
    sqlite3_finalize(st);
    plan_free(&p);
    return rc;
}

static int append_doc(void *ctx, json_t *doc)
{
    return json_array_append(ctx, doc) == 0 ? 0 : DD_ENOMEM;
}

int dd_findings_list(dd_sql_conn *c, const dd_findings_query *q, json_t **out, dd_err *err)
{
    *out = NULL;
    size_t max = q->max_results != 0 ? q->max_results : 25;
    if (max > 100)
        return dd_err_set(err, DD_EINVALID, "maxResults: must be 1 to 100");
    char hash[17];
    const json_t *parts[] = {q->filter_criteria, q->sort_criteria};
    int rc = dd_fc_request_hash(hash, "ListFindings", parts, 2);
    if (rc != 0)
        return rc;
    uint64_t offset = 0, next = 0;
    if (q->next_token != NULL && q->next_token[0] != '\0' &&
        (rc = dd_fc_token_decode(q->next_token, hash, &offset, err)) != 0)
        return rc;
    json_t *list = json_array();
    json_t *res = json_object();
    if (list == NULL || res == NULL) {
        json_decref(list);
        json_decref(res);
        return DD_ENOMEM;
    }
    json_object_set_new(res, "findings", list);
    rc = dd_findings_scan(c, q->filter_criteria, q->sort_criteria, offset, max, append_doc, list,
                          &next, err);
    if (rc == 0 && next != 0) {
        char *tok = dd_fc_token_encode(next, hash);
        if (tok == NULL)
            rc = DD_ENOMEM;
        else
            json_object_set_new(res, "nextToken", json_string(tok));
        dd_free(tok);
    }
    if (rc != 0) {
        json_decref(res);
        return rc;
    }
    *out = res;
    return 0;
}

int dd_findings_details(dd_sql_conn *c, const json_t *arns, json_t **out, dd_err *err)
{
    *out = NULL;
    size_t n = json_array_size(arns);
    if (!json_is_array(arns) || n < 1 || n > 10)
        return dd_err_set(err, DD_EINVALID, "findingArns: must hold 1 to 10 ARNs");
    json_t *details = json_array(), *errors = json_array(), *res = json_object();
    int rc = details && errors && res ? 0 : DD_ENOMEM;
    size_t i;
    const json_t *a;
    json_array_foreach(arns, i, a)
    {
        if (rc != 0)
            break;
        const char *arn = json_string_value(a);
        if (arn == NULL || strlen(arn) > 100) {
            rc = dd_err_set(err, DD_EINVALID, "findingArns[%zu]: must be a finding ARN", i);
            break;
        }
        json_t *doc = NULL;
        rc = load_doc(c, arn, &doc, err);
        if (rc == DD_ENOTFOUND) {
            rc = 0;
            json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "findingArn", arn,
                                                    "errorCode", "FINDING_DETAILS_NOT_FOUND",
                                                    "errorMessage", "Finding not found"));
            continue;
        }
        if (rc != 0)
            break;
        json_t *d = json_pack("{s:s}", "findingArn", arn);
        const json_t *pvd = json_object_get(doc, "packageVulnerabilityDetails");
        const json_t *refs = json_object_get(pvd, "referenceUrls");
        if (json_is_array(refs)) {
            json_t *r = json_array();
            for (size_t k = 0; k < json_array_size(refs) && k < 100; k++)
                json_array_append(r, json_array_get(refs, k));
            json_object_set_new(d, "referenceUrls", r);
        }
        const json_t *epss = json_object_get(json_object_get(doc, "epss"), "score");
        if (json_is_number(epss))
            json_object_set(d, "epssScore", (json_t *)epss);
        const json_t *exp =
            json_object_get(json_object_get(doc, "exploitabilityDetails"), "lastKnownExploitAt");
        if (json_is_number(exp))
            json_object_set_new(d, "exploitObserved",
                                json_pack("{s:O}", "lastSeen", (json_t *)exp));
        json_array_append_new(details, d);
        json_decref(doc);
    }
    if (rc != 0) {
        json_decref(details);
        json_decref(errors);
        json_decref(res);
        return rc;
    }
    json_object_set_new(res, "findingDetails", details);
    json_object_set_new(res, "errors", errors);
    *out = res;
    return 0;
}
