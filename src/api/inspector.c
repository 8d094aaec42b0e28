/* Inspector2 (restJson1) operations: the route table dd_inspector_ops and thin handlers that check
 * the input against the model, call the findings module (queries, filters, aggregations,
 * coverage, exports) or the scanning module (Enable/Disable, configuration) and answer. Write
 * operations run in one transaction and wake event delivery after the commit. Request-level
 * findings functions report a bad member as "member: reason", which becomes a
 * ValidationException naming that field. */
#include "api/api.h"
#include "findings/findings.h"
#include "util/alloc.h"

#include <stdio.h>
#include <string.h>

#define MAX_TAG_KEYS 50

static int64_t now(dd_api_call *c)
{
    return dd_clock_now_ms(c->api->clock);
}

static const char *account(dd_api_call *c)
{
    return c->id.account[0] != '\0' ? c->id.account : c->api->account;
}

/* Answers a failed findings/scanning call. */
static void fail(dd_api_call *c, int rc, const dd_err *err)
{
    switch (rc) {
    case DD_EINVALID: {
        char field[128] = "";
        const char *msg = err->msg;
        const char *sep = strstr(err->msg, ": ");
        if (sep != NULL && (size_t)(sep - err->msg) < sizeof(field) &&
            memchr(err->msg, ' ', (size_t)(sep - err->msg)) == NULL) {
            memcpy(field, err->msg, (size_t)(sep - err->msg));
            field[sep - err->msg] = '\0';
            msg = sep + 2;
        }
        dd_api_invalid(c, field, "%s", msg);
        return;
    }
    case DD_ENOTFOUND:
        dd_api_error(c, "ResourceNotFoundException", "%s", err->msg);
        return;
    case DD_EEXIST:
        dd_api_error(c, "BadRequestException", "%s", err->msg);
        return;
    case DD_ELIMIT:
        dd_api_error_json(c, "ServiceQuotaExceededException",
                          json_pack("{s:s}", "resourceId", account(c)), "%s", err->msg);
        return;
    default:
        dd_api_internal(c, rc, err);
    }
}

/* An optional member that must be an object (or list when list is set); answers when wrong. */
static const json_t *in_obj(dd_api_call *c, const char *name, bool list, bool required, bool *bad)
{
    json_t *v = json_object_get(c->in, name);
    if (v == NULL || json_is_null(v)) {
        if (required) {
            *bad = true;
            dd_api_invalid(c, name, "Member %s must not be null", name);
        }
        return NULL;
    }
    if (list ? !json_is_array(v) : !json_is_object(v)) {
        *bad = true;
        dd_api_invalid(c, name, "Member %s must be %s", name, list ? "a list" : "an object");
        return NULL;
    }
    return v;
}

/* ---- account status (Enable, Disable, BatchGetAccountStatus) ---- */

static const char *const RESOURCE_TYPES[] = {"EC2", "ECR", "LAMBDA", "LAMBDA_CODE",
                                             "CODE_REPOSITORY"};

static bool resource_types_ok(dd_api_call *c, const json_t *list, size_t min, bool *has_ecr)
{
    *has_ecr = false;
    size_t n = json_array_size(list);
    if (list != NULL && (n < min || n > 5)) {
        dd_api_invalid(c, "resourceTypes", "resourceTypes must hold %zu to 5 items", min);
        return false;
    }
    size_t i;
    const json_t *v;
    json_array_foreach(list, i, v)
    {
        bool ok = false;
        for (size_t k = 0; k < 5; k++)
            ok = ok || (json_is_string(v) && strcmp(json_string_value(v), RESOURCE_TYPES[k]) == 0);
        if (!ok) {
            dd_api_invalid(c, "resourceTypes",
                           "resourceTypes items must be EC2, ECR, LAMBDA, LAMBDA_CODE or "
                           "CODE_REPOSITORY");
            return false;
        }
        if (strcmp(json_string_value(v), "ECR") == 0)
            *has_ecr = true;
    }
    return true;
}

/* Account ids other than the caller's land in failedAccounts. */
static bool account_ids_ok(dd_api_call *c, const json_t *ids, json_t *failed)
{
    size_t i;
    const json_t *v;
    if (json_array_size(ids) > 100) {
        dd_api_invalid(c, "accountIds", "accountIds must hold at most 100 items");
        return false;
    }
    json_array_foreach(ids, i, v)
    {
        const char *id = json_string_value(v);
        if (id == NULL || strlen(id) != 12 || strspn(id, "0123456789") != 12) {
            dd_api_invalid(c, "accountIds", "accountIds items must be 12-digit account ids");
            return false;
        }
        if (strcmp(id, account(c)) != 0)
            json_array_append_new(failed, json_pack("{s:s, s:s, s:s}", "accountId", id, "errorCode",
                                                    "ACCESS_DENIED", "errorMessage",
                                                    "Not the caller's account"));
    }
    return true;
}

static json_t *account_entry(dd_api_call *c, bool ecr)
{
    const char *st = ecr ? "ENABLED" : "DISABLED";
    return json_pack("{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "accountId", account(c), "status",
                     st, "resourceStatus", "ec2", "DISABLED", "ecr", st, "lambda", "DISABLED",
                     "lambdaCode", "DISABLED", "codeRepository", "DISABLED");
}

static void enable_disable(dd_api_call *c, bool enable)
{
    bool bad = false, has_ecr = false;
    const json_t *types = in_obj(c, "resourceTypes", true, enable, &bad);
    const json_t *ids = in_obj(c, "accountIds", true, false, &bad);
    if (bad || !resource_types_ok(c, types, enable ? 1 : 0, &has_ecr))
        return;
    if (!enable && json_array_size(types) == 0)
        has_ecr = true; /* Disable without types: everything */
    json_t *failed = json_array();
    if (!account_ids_ok(c, ids, failed)) {
        json_decref(failed);
        return;
    }
    dd_err err = DD_ERR_INIT;
    int rc = 0;
    if (has_ecr && c->api->scanning != NULL)
        rc = dd_scanning_set_scan_type(c->api->scanning, enable, &err);
    if (rc != 0) {
        json_decref(failed);
        fail(c, rc, &err);
        return;
    }
    dd_events_kick(c->api->events);
    bool ecr = c->api->scanning != NULL && dd_scanning_enhanced(c->api->scanning);
    json_t *out = json_pack("{s:[o]}", "accounts", account_entry(c, ecr));
    if (json_array_size(failed) > 0)
        json_object_set(out, "failedAccounts", failed);
    json_decref(failed);
    dd_api_ok(c, out);
}

static void op_enable(dd_api_call *c)
{
    enable_disable(c, true);
}

static void op_disable(dd_api_call *c)
{
    enable_disable(c, false);
}

static void op_batch_get_account_status(dd_api_call *c)
{
    bool bad = false;
    const json_t *ids = in_obj(c, "accountIds", true, false, &bad);
    if (bad)
        return;
    json_t *failed = json_array();
    if (!account_ids_ok(c, ids, failed)) {
        json_decref(failed);
        return;
    }
    bool ecr = c->api->scanning != NULL && dd_scanning_enhanced(c->api->scanning);
    const char *st = ecr ? "ENABLED" : "DISABLED";
    json_t *acct =
        json_pack("{s:s, s:{s:s}, s:{s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s}}}", "accountId",
                  account(c), "state", "status", st, "resourceState", "ec2", "status", "DISABLED",
                  "ecr", "status", st, "lambda", "status", "DISABLED", "lambdaCode", "status",
                  "DISABLED", "codeRepository", "status", "DISABLED");
    json_t *out = json_pack("{s:[o]}", "accounts", acct);
    if (json_array_size(failed) > 0)
        json_object_set(out, "failedAccounts", failed);
    json_decref(failed);
    dd_api_ok(c, out);
}

/* ---- configuration ---- */

static void op_get_configuration(dd_api_call *c)
{
    json_t *out = NULL;
    dd_err err = DD_ERR_INIT;
    if (c->api->scanning == NULL) {
        dd_api_error(c, "ResourceNotFoundException", "Scanning is not configured");
        return;
    }
    int rc = dd_scanning_inspector_config_get(c->api->scanning, &out, &err);
    if (rc != 0) {
        fail(c, rc, &err);
        return;
    }
    dd_api_ok(c, out);
}

static void op_update_configuration(dd_api_call *c)
{
    bool bad = false;
    const json_t *ecr = in_obj(c, "ecrConfiguration", false, false, &bad);
    const json_t *ec2 = in_obj(c, "ec2Configuration", false, false, &bad);
    if (bad)
        return;
    if (c->api->scanning == NULL) {
        dd_api_internal(c, DD_EINVALID, NULL);
        return;
    }
    dd_err err = DD_ERR_INIT;
    int rc = dd_scanning_inspector_config_put(c->api->scanning, ecr, ec2, &err);
    if (rc == DD_EINVALID) {
        const char *field = ecr != NULL && strncmp(err.msg, "ec2", 3) != 0 ? "ecrConfiguration"
                                                                           : "ec2Configuration";
        dd_api_invalid(c, field, "%s", err.msg);
        return;
    }
    if (rc != 0) {
        fail(c, rc, &err);
        return;
    }
    dd_api_ok(c, NULL);
}

/* ---- findings ---- */

static void op_list_findings(dd_api_call *c)
{
    bool bad = false;
    dd_findings_query q = {0};
    q.max_results = (size_t)dd_api_in_int(c, c->in, "maxResults", 25, 1, 100, &bad);
    if (!bad)
        q.next_token = dd_api_in_str(c, c->in, "nextToken", false, &bad);
    if (!bad)
        q.filter_criteria = in_obj(c, "filterCriteria", false, false, &bad);
    if (!bad)
        q.sort_criteria = in_obj(c, "sortCriteria", false, false, &bad);
    if (bad)
        return;
    json_t *out = NULL;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = dd_findings_list(conn, &q, &out, &err);
    dd_sql_release(c->api->sql, conn);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, out);
}

static void op_batch_get_finding_details(dd_api_call *c)
{
    bool bad = false;
    const json_t *arns = in_obj(c, "findingArns", true, true, &bad);
    if (bad)
        return;
    json_t *out = NULL;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = dd_findings_details(conn, arns, &out, &err);
    dd_sql_release(c->api->sql, conn);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, out);
}

static void op_list_finding_aggregations(dd_api_call *c)
{
    json_t *out = NULL;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = dd_findings_aggregate(conn, c->in, &out, &err);
    dd_sql_release(c->api->sql, conn);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, out);
}

/* ---- coverage ---- */

static void coverage(dd_api_call *c, bool stats)
{
    dd_coverage_env env = {account(c), c->api->region,
                           c->api->scanning != NULL && dd_scanning_enhanced(c->api->scanning)};
    json_t *out = NULL;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = stats ? dd_coverage_statistics(conn, &env, c->in, &out, &err)
                   : dd_coverage_list(conn, &env, c->in, &out, &err);
    dd_sql_release(c->api->sql, conn);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, out);
}

static void op_list_coverage(dd_api_call *c)
{
    coverage(c, false);
}

static void op_list_coverage_statistics(dd_api_call *c)
{
    coverage(c, true);
}

/* ---- filters ---- */

/* Runs fn in a write transaction and wakes event delivery after the commit. */
typedef int (*write_fn)(dd_sql_conn *conn, dd_api_call *c, void *ctx, dd_err *err);

static int in_tx(dd_api_call *c, write_fn fn, void *ctx, dd_err *err)
{
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = dd_sql_begin(conn, err);
    if (rc == 0)
        rc = fn(conn, c, ctx, err);
    if (rc == 0)
        rc = dd_sql_commit(conn, err);
    if (rc != 0)
        dd_sql_rollback(conn);
    dd_sql_release(c->api->sql, conn);
    if (rc == 0)
        dd_events_kick(c->api->events);
    return rc;
}

typedef struct filter_op {
    dd_filter_spec spec;
    const char *arn;
    char *arn_out;
} filter_op;

static bool read_spec(dd_api_call *c, dd_filter_spec *s)
{
    bool bad = false;
    s->name = dd_api_in_str(c, c->in, "name", false, &bad);
    if (!bad)
        s->action = dd_api_in_str(c, c->in, "action", false, &bad);
    if (!bad)
        s->description = dd_api_in_str(c, c->in, "description", false, &bad);
    if (!bad)
        s->reason = dd_api_in_str(c, c->in, "reason", false, &bad);
    if (!bad)
        s->criteria = in_obj(c, "filterCriteria", false, false, &bad);
    if (!bad)
        s->tags = in_obj(c, "tags", false, false, &bad);
    return !bad;
}

static int do_create(dd_sql_conn *conn, dd_api_call *c, void *ctx, dd_err *err)
{
    filter_op *f = ctx;
    return dd_filters_create(conn, c->api->events, account(c), c->api->region, &f->spec,
                             DD_FILTERS_MAX_DEFAULT, now(c), &f->arn_out, err);
}

static void op_create_filter(dd_api_call *c)
{
    filter_op f = {0};
    if (!read_spec(c, &f.spec))
        return;
    if (f.spec.name == NULL || f.spec.action == NULL || f.spec.criteria == NULL) {
        const char *m = f.spec.name == NULL     ? "name"
                        : f.spec.action == NULL ? "action"
                                                : "filterCriteria";
        dd_api_invalid(c, m, "Member %s must not be null", m);
        return;
    }
    dd_err err = DD_ERR_INIT;
    int rc = in_tx(c, do_create, &f, &err);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, json_pack("{s:s}", "arn", f.arn_out));
    dd_free(f.arn_out);
}

static int do_update(dd_sql_conn *conn, dd_api_call *c, void *ctx, dd_err *err)
{
    filter_op *f = ctx;
    return dd_filters_update(conn, c->api->events, account(c), f->arn, &f->spec, now(c), err);
}

static void op_update_filter(dd_api_call *c)
{
    filter_op f = {0};
    bool bad = false;
    f.arn = dd_api_in_str(c, c->in, "filterArn", true, &bad);
    if (bad || !read_spec(c, &f.spec))
        return;
    f.spec.tags = NULL; /* not an UpdateFilter member */
    dd_err err = DD_ERR_INIT;
    int rc = in_tx(c, do_update, &f, &err);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, json_pack("{s:s}", "arn", f.arn));
}

static int do_delete(dd_sql_conn *conn, dd_api_call *c, void *ctx, dd_err *err)
{
    filter_op *f = ctx;
    return dd_filters_delete(conn, c->api->events, account(c), f->arn, now(c), err);
}

static void op_delete_filter(dd_api_call *c)
{
    filter_op f = {0};
    bool bad = false;
    f.arn = dd_api_in_str(c, c->in, "arn", true, &bad);
    if (bad)
        return;
    dd_err err = DD_ERR_INIT;
    int rc = in_tx(c, do_delete, &f, &err);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, json_pack("{s:s}", "arn", f.arn));
}

static void op_list_filters(dd_api_call *c)
{
    bool bad = false;
    size_t max = (size_t)dd_api_in_int(c, c->in, "maxResults", 100, 1, 100, &bad);
    const char *token = bad ? NULL : dd_api_in_str(c, c->in, "nextToken", false, &bad);
    const char *action = bad ? NULL : dd_api_in_str(c, c->in, "action", false, &bad);
    const json_t *arns = bad ? NULL : in_obj(c, "arns", true, false, &bad);
    if (bad)
        return;
    json_t *out = NULL;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = dd_filters_list(conn, account(c), arns, action, max, token, &out, &err);
    dd_sql_release(c->api->sql, conn);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, out);
}

/* ---- tags (filters are the only taggable resources) ---- */

static bool arn_ok(dd_api_call *c)
{
    const char *arn = c->path_label;
    if (arn == NULL || arn[0] == '\0' || strlen(arn) > 1011) {
        dd_api_invalid(c, "resourceArn", "resourceArn must be 1 to 1011 characters");
        return false;
    }
    return true;
}

static int do_tag(dd_sql_conn *conn, dd_api_call *c, void *ctx, dd_err *err)
{
    return dd_filters_tags_add(conn, account(c), c->path_label, ctx, now(c), err);
}

static void op_tag_resource(dd_api_call *c)
{
    bool bad = false;
    const json_t *tags = in_obj(c, "tags", false, true, &bad);
    if (bad || !arn_ok(c))
        return;
    dd_err err = DD_ERR_INIT;
    int rc = in_tx(c, do_tag, (void *)tags, &err);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, NULL);
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..len) into a new string; NULL when malformed or on ENOMEM. */
static char *pct_decode_n(const char *s, size_t len)
{
    char *out = dd_malloc(len + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
        int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            dd_free(out);
            return NULL;
        }
        out[o++] = (char)(hi << 4 | lo);
        i += 2;
    }
    out[o] = '\0';
    return out;
}

typedef struct untag {
    char *keys[MAX_TAG_KEYS];
    size_t n;
} untag;

static int do_untag(dd_sql_conn *conn, dd_api_call *c, void *ctx, dd_err *err)
{
    untag *u = ctx;
    return dd_filters_tags_remove(conn, account(c), c->path_label, (const char *const *)u->keys,
                                  u->n, now(c), err);
}

static void op_untag_resource(dd_api_call *c)
{
    if (!arn_ok(c))
        return;
    untag u = {{0}, 0};
    const char *raw = dd_http_req_raw_target(c->req);
    const char *q = raw != NULL ? strchr(raw, '?') : NULL;
    bool ok = true;
    while (q != NULL && *q != '\0' && ok) {
        q++;
        size_t len = strcspn(q, "&");
        const char *eq = memchr(q, '=', len);
        if (eq != NULL && (size_t)(eq - q) == 7 && strncmp(q, "tagKeys", 7) == 0) {
            if (u.n == MAX_TAG_KEYS) {
                dd_api_invalid(c, "tagKeys", "tagKeys must hold at most %d keys", MAX_TAG_KEYS);
                ok = false;
                break;
            }
            char *k = pct_decode_n(eq + 1, len - 8);
            if (k == NULL) {
                dd_api_invalid(c, "tagKeys", "tagKeys is not validly encoded");
                ok = false;
                break;
            }
            u.keys[u.n++] = k;
        }
        q += len;
    }
    if (ok) {
        dd_err err = DD_ERR_INIT;
        int rc = in_tx(c, do_untag, &u, &err);
        if (rc != 0)
            fail(c, rc, &err);
        else
            dd_api_ok(c, NULL);
    }
    for (size_t i = 0; i < u.n; i++)
        dd_free(u.keys[i]);
}

static void op_list_tags_for_resource(dd_api_call *c)
{
    if (!arn_ok(c))
        return;
    json_t *tags = NULL;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = dd_filters_tags_get(conn, account(c), c->path_label, &tags, &err);
    dd_sql_release(c->api->sql, conn);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, json_pack("{s:o}", "tags", tags));
}

/* ---- exports ---- */

static int inventory(void *ctx, const char *repo, const char *digest, dd_stored_inventory *out,
                     dd_err *err)
{
    return dd_scanning_image_inventory(ctx, repo, digest, out, err);
}

static void inventory_free(void *ctx, dd_stored_inventory *si)
{
    (void)ctx;
    dd_stored_inventory_free(si);
}

static dd_export_env export_env(dd_api_call *c)
{
    dd_export_env env = {0};
    env.account = account(c);
    env.region = c->api->region;
    env.data_dir = c->api->data_dir;
    env.enhanced = c->api->scanning != NULL && dd_scanning_enhanced(c->api->scanning);
    env.inventory = inventory;
    env.inventory_free = inventory_free;
    env.inventory_ctx = c->api->scanning;
    env.now_ms = now(c);
    return env;
}

static void op_create_sbom_export(dd_api_call *c)
{
    if (c->api->scanning == NULL || c->api->data_dir == NULL) {
        dd_api_internal(c, DD_EINVALID, NULL);
        return;
    }
    dd_export_env env = export_env(c);
    char *id = NULL;
    dd_err err = DD_ERR_INIT;
    int rc = dd_sbom_export_create(c->api->sql, &env, c->in, &id, &err);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, json_pack("{s:s}", "reportId", id));
    dd_free(id);
}

typedef int (*report_get_fn)(dd_sql_conn *, const char *, const char *, json_t **, dd_err *);
typedef int (*report_cancel_fn)(dd_sql_conn *, const char *, const char *, int64_t, dd_err *);

static void report_get(dd_api_call *c, report_get_fn fn)
{
    bool bad = false;
    const char *id = dd_api_in_str(c, c->in, "reportId", true, &bad);
    if (bad)
        return;
    json_t *out = NULL;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = fn(conn, account(c), id, &out, &err);
    dd_sql_release(c->api->sql, conn);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, out);
}

static void report_cancel(dd_api_call *c, report_cancel_fn fn)
{
    bool bad = false;
    const char *id = dd_api_in_str(c, c->in, "reportId", true, &bad);
    if (bad)
        return;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = fn(conn, account(c), id, now(c), &err);
    dd_sql_release(c->api->sql, conn);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, json_pack("{s:s}", "reportId", id));
}

static void op_get_sbom_export(dd_api_call *c)
{
    report_get(c, dd_sbom_export_get);
}

static void op_cancel_sbom_export(dd_api_call *c)
{
    report_cancel(c, dd_sbom_export_cancel);
}

static void op_create_findings_report(dd_api_call *c)
{
    if (c->api->data_dir == NULL) {
        dd_api_internal(c, DD_EINVALID, NULL);
        return;
    }
    dd_export_env env = export_env(c);
    char *id = NULL;
    dd_err err = DD_ERR_INIT;
    dd_sql_conn *conn = dd_sql_acquire(c->api->sql);
    int rc = dd_findings_report_create(conn, &env, c->in, &id, &err);
    dd_sql_release(c->api->sql, conn);
    if (rc != 0)
        fail(c, rc, &err);
    else
        dd_api_ok(c, json_pack("{s:s}", "reportId", id));
    dd_free(id);
}

static void op_get_findings_report_status(dd_api_call *c)
{
    report_get(c, dd_findings_report_get);
}

static void op_cancel_findings_report(dd_api_call *c)
{
    report_cancel(c, dd_findings_report_cancel);
}

const dd_api_rest_op dd_inspector_ops[] = {
    {"POST", "/enable", "Enable", op_enable},
    {"POST", "/disable", "Disable", op_disable},
    {"POST", "/status/batch/get", "BatchGetAccountStatus", op_batch_get_account_status},
    {"POST", "/configuration/get", "GetConfiguration", op_get_configuration},
    {"POST", "/configuration/update", "UpdateConfiguration", op_update_configuration},
    {"POST", "/findings/list", "ListFindings", op_list_findings},
    {"POST", "/findings/details/batch/get", "BatchGetFindingDetails", op_batch_get_finding_details},
    {"POST", "/findings/aggregation/list", "ListFindingAggregations", op_list_finding_aggregations},
    {"POST", "/coverage/list", "ListCoverage", op_list_coverage},
    {"POST", "/coverage/statistics/list", "ListCoverageStatistics", op_list_coverage_statistics},
    {"POST", "/filters/create", "CreateFilter", op_create_filter},
    {"POST", "/filters/list", "ListFilters", op_list_filters},
    {"POST", "/filters/update", "UpdateFilter", op_update_filter},
    {"POST", "/filters/delete", "DeleteFilter", op_delete_filter},
    {"POST", "/sbomexport/create", "CreateSbomExport", op_create_sbom_export},
    {"POST", "/sbomexport/get", "GetSbomExport", op_get_sbom_export},
    {"POST", "/sbomexport/cancel", "CancelSbomExport", op_cancel_sbom_export},
    {"POST", "/reporting/create", "CreateFindingsReport", op_create_findings_report},
    {"POST", "/reporting/status/get", "GetFindingsReportStatus", op_get_findings_report_status},
    {"POST", "/reporting/cancel", "CancelFindingsReport", op_cancel_findings_report},
    {"POST", "/tags/{resourceArn}", "TagResource", op_tag_resource},
    {"DELETE", "/tags/{resourceArn}", "UntagResource", op_untag_resource},
    {"GET", "/tags/{resourceArn}", "ListTagsForResource", op_list_tags_for_resource},
};

const size_t dd_inspector_ops_n = sizeof(dd_inspector_ops) / sizeof(dd_inspector_ops[0]);
