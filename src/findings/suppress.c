/* Inspector2 filters (table filters, module "filters"): saved FilterCriteria with action NONE (a
 * saved view) or SUPPRESS (a suppression rule, spec 5.6). A SUPPRESS filter moves every open
 * finding it matches to SUPPRESSED, now and whenever a finding is created or reopened (store.c
 * asks dd_findings_suppressed); changing or deleting one re-evaluates the open findings, and each
 * status change goes through dd_findings_set_status so it emits its event in the same
 * transaction as the filter change. Filters apply to the findings of their owner's account. */
#include "findings/findings.h"
#include "findings/internal.h"
#include "util/alloc.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

#define MAX_TAGS 50

static const char *const FILTER_MIGRATIONS[] = {
    "CREATE TABLE filters ("
    " arn TEXT PRIMARY KEY,"
    " owner TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " action TEXT NOT NULL CHECK (action IN ('NONE', 'SUPPRESS')),"
    " criteria TEXT NOT NULL,"
    " description TEXT,"
    " reason TEXT,"
    " tags TEXT NOT NULL DEFAULT '{}',"
    " created_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " UNIQUE (owner, name));"
    "CREATE INDEX filters_action ON filters (action);",
};

int dd_findings_migrate_inspector(dd_sql *s, dd_err *err)
{
    int rc = dd_sql_migrate(s, "filters", FILTER_MIGRATIONS,
                            sizeof(FILTER_MIGRATIONS) / sizeof(FILTER_MIGRATIONS[0]), err);
    return rc != 0 ? rc : dd_findings_exports_migrate(s, err);
}

/* ---- evaluation ---- */

typedef struct rule {
    char *owner;
    json_t *criteria;
} rule;

typedef struct rules {
    rule *v;
    size_t n;
} rules;

static void rules_free(rules *r)
{
    for (size_t i = 0; i < r->n; i++) {
        dd_free(r->v[i].owner);
        json_decref(r->v[i].criteria);
    }
    dd_free(r->v);
    r->v = NULL;
    r->n = 0;
}

static const char SQL_RULES[] = "SELECT owner, criteria FROM filters WHERE action = 'SUPPRESS'";

static int rules_load(dd_sql_conn *c, rules *out, dd_err *err)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    out->v = NULL;
    out->n = 0;
    int rc = dd_sql_stmt(c, SQL_RULES, &st, err);
    if (rc != 0)
        return rc;
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        if (out->n == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            rule *nv = dd_reallocarray(out->v, ncap, sizeof(*nv));
            if (nv == NULL) {
                rc = DD_ENOMEM;
                break;
            }
            out->v = nv;
            cap = ncap;
        }
        rule *r = &out->v[out->n];
        r->owner = dd_strdup(dd_sql_col_text(st, 0));
        r->criteria = json_loads(dd_sql_col_text(st, 1), 0, NULL);
        if (r->owner == NULL || r->criteria == NULL) {
            dd_free(r->owner);
            json_decref(r->criteria);
            rc = DD_ENOMEM;
            break;
        }
        out->n++;
    }
    if (rc < 0) {
        sqlite3_reset(st);
        rules_free(out);
        return rc;
    }
    return 0;
}

/* Whether a rule suppresses the finding. Open findings are judged as ACTIVE, so a rule that names
 * findingStatus ACTIVE keeps suppressing what it suppressed. */
static bool rules_match(const rules *r, const json_t *finding)
{
    if (r->n == 0)
        return false;
    const char *acct = json_string_value(json_object_get(finding, "awsAccountId"));
    const char *status = json_string_value(json_object_get(finding, "status"));
    json_t *view = NULL;
    if (status == NULL || strcmp(status, "SUPPRESSED") == 0) {
        view = json_copy((json_t *)finding);
        if (view != NULL)
            json_object_set_new(view, "status", json_string("ACTIVE"));
    }
    bool hit = false;
    for (size_t i = 0; i < r->n && !hit; i++) {
        if (acct != NULL && strcmp(acct, r->v[i].owner) != 0)
            continue;
        hit = dd_filter_match(r->v[i].criteria, view != NULL ? view : finding);
    }
    json_decref(view);
    return hit;
}

int dd_findings_suppressed(dd_sql_conn *c, const json_t *finding, bool *out, dd_err *err)
{
    rules r;
    *out = false;
    int rc = rules_load(c, &r, err);
    if (rc != 0)
        return rc;
    *out = rules_match(&r, finding);
    rules_free(&r);
    return 0;
}

typedef struct change {
    char *arn;
    bool suppress;
} change;

static const char SQL_OPEN[] =
    "SELECT arn, status, doc FROM findings WHERE status IN ('ACTIVE', 'SUPPRESSED')";
static const char SQL_SUPPRESSED[] = "SELECT arn, status, NULL FROM findings"
                                     " WHERE status = 'SUPPRESSED'";

int dd_findings_reapply_filters(dd_sql_conn *c, dd_events *ev, int64_t now_ms, size_t *n_changed,
                                dd_err *err)
{
    rules r;
    change *ch = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st;
    if (n_changed != NULL)
        *n_changed = 0;
    int rc = rules_load(c, &r, err);
    if (rc != 0)
        return rc;
    /* Without rules only suppressed findings can change, and their documents need no parsing. */
    if ((rc = dd_sql_stmt(c, r.n > 0 ? SQL_OPEN : SQL_SUPPRESSED, &st, err)) != 0)
        goto out;
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        bool suppressed = strcmp(dd_sql_col_text(st, 1), "SUPPRESSED") == 0;
        bool want = false;
        if (r.n > 0) {
            json_t *doc = json_loads(dd_sql_col_text(st, 2), 0, NULL);
            if (doc == NULL) {
                rc = dd_err_set(err, DD_EDB, "stored finding %s does not parse",
                                dd_sql_col_text(st, 0));
                break;
            }
            want = rules_match(&r, doc);
            json_decref(doc);
        }
        if (want == suppressed)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            change *nv = dd_reallocarray(ch, ncap, sizeof(*nv));
            if (nv == NULL) {
                rc = DD_ENOMEM;
                break;
            }
            ch = nv;
            cap = ncap;
        }
        ch[n].suppress = want;
        if ((ch[n].arn = dd_strdup(dd_sql_col_text(st, 0))) == NULL) {
            rc = DD_ENOMEM;
            break;
        }
        n++;
    }
    if (rc < 0) {
        sqlite3_reset(st);
        goto out;
    }
    rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = dd_findings_set_status(c, ev, ch[i].arn, ch[i].suppress ? "SUPPRESSED" : "ACTIVE",
                                    now_ms, err);
    if (rc == 0 && n_changed != NULL)
        *n_changed = n;
out:
    for (size_t i = 0; i < n; i++)
        dd_free(ch[i].arn);
    dd_free(ch);
    rules_free(&r);
    return rc;
}

/* ---- validation ---- */

static int check_name(const char *name, dd_err *err)
{
    size_t len = strlen(name);
    if (len < 3 || len > 64)
        return dd_err_set(err, DD_EINVALID, "name: must be 3 to 64 characters");
    for (const char *p = name; *p != '\0'; p++) {
        char ch = *p;
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return dd_err_set(err, DD_EINVALID,
                              "name: only letters, digits, '.', '_' and '-' are allowed");
    }
    return 0;
}

static int check_text(const char *s, const char *what, dd_err *err)
{
    size_t n = dd_fc_utf8_len(s);
    if (n < 1 || n > 512)
        return dd_err_set(err, DD_EINVALID, "%s: must be 1 to 512 characters", what);
    return 0;
}

static int check_criteria(const json_t *criteria, dd_err *err)
{
    int rc = dd_filter_criteria_validate(criteria, err);
    if (rc != 0)
        return rc;
    if (json_object_size(criteria) == 0)
        return dd_err_set(err, DD_EINVALID, "filterCriteria: must hold at least one condition");
    return 0;
}

static int check_tags(const json_t *tags, dd_err *err)
{
    if (!json_is_object(tags))
        return dd_err_set(err, DD_EINVALID, "tags: must be a map");
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)tags, k, v)
    {
        size_t kl = dd_fc_utf8_len(k);
        if (kl < 1 || kl > 128 || strncmp(k, "aws:", 4) == 0)
            return dd_err_set(err, DD_EINVALID,
                              "tags: keys must be 1 to 128 characters and not start with aws:");
        if (!json_is_string(v) || dd_fc_utf8_len(json_string_value(v)) > 256)
            return dd_err_set(err, DD_EINVALID, "tags: values must be strings of 0 to 256");
    }
    if (json_object_size(tags) > MAX_TAGS)
        return dd_err_set(err, DD_EINVALID, "tags: at most %d tags", MAX_TAGS);
    return 0;
}

static int check_spec(const dd_filter_spec *in, dd_err *err)
{
    int rc = 0;
    if (in->name != NULL)
        rc = check_name(in->name, err);
    if (rc == 0 && in->action != NULL && strcmp(in->action, "NONE") != 0 &&
        strcmp(in->action, "SUPPRESS") != 0)
        rc = dd_err_set(err, DD_EINVALID, "action: must be NONE or SUPPRESS");
    if (rc == 0 && in->criteria != NULL)
        rc = check_criteria(in->criteria, err);
    if (rc == 0 && in->description != NULL)
        rc = check_text(in->description, "description", err);
    if (rc == 0 && in->reason != NULL)
        rc = check_text(in->reason, "reason", err);
    if (rc == 0 && in->tags != NULL)
        rc = check_tags(in->tags, err);
    return rc;
}

/* ---- storage ---- */

static const char SQL_COUNT[] = "SELECT count(*) FROM filters WHERE owner = ?";
static const char SQL_NAME[] = "SELECT arn FROM filters WHERE owner = ? AND name = ?";
static const char SQL_INSERT[] =
    "INSERT INTO filters (arn, owner, name, action, criteria, description, reason, tags,"
    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_GET[] =
    "SELECT name, action, criteria, description, reason, tags, created_at, updated_at"
    " FROM filters WHERE arn = ? AND owner = ?";
static const char SQL_UPDATE[] =
    "UPDATE filters SET name = ?, action = ?, criteria = ?, description = ?, reason = ?,"
    " updated_at = ? WHERE arn = ?";
static const char SQL_DELETE[] = "DELETE FROM filters WHERE arn = ?";
static const char SQL_SET_TAGS[] = "UPDATE filters SET tags = ?, updated_at = ? WHERE arn = ?";

static int name_taken(dd_sql_conn *c, const char *owner, const char *name, const char *self,
                      dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_NAME, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, owner);
    dd_sql_bind_text(st, 2, name);
    rc = dd_sql_step(c, st, err);
    if (rc == 1) {
        bool same = self != NULL && strcmp(dd_sql_col_text(st, 0), self) == 0;
        sqlite3_reset(st);
        return same ? 0
                    : dd_err_set(err, DD_EEXIST, "A filter named '%.128s' already exists", name);
    }
    return rc;
}

static int set_json_text(sqlite3_stmt *st, int i, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
    if (s == NULL)
        return DD_ENOMEM;
    dd_sql_bind_text(st, i, s);
    free(s);
    return 0;
}

int dd_filters_create(dd_sql_conn *c, dd_events *ev, const char *account, const char *region,
                      const dd_filter_spec *in, size_t max_filters, int64_t now_ms, char **arn_out,
                      dd_err *err)
{
    *arn_out = NULL;
    if (in->name == NULL)
        return dd_err_set(err, DD_EINVALID, "name: required");
    if (in->action == NULL)
        return dd_err_set(err, DD_EINVALID, "action: required");
    if (in->criteria == NULL)
        return dd_err_set(err, DD_EINVALID, "filterCriteria: required");
    int rc = check_spec(in, err);
    if (rc != 0)
        return rc;
    sqlite3_stmt *st;
    if ((rc = dd_sql_stmt(c, SQL_COUNT, &st, err)) != 0)
        return rc;
    dd_sql_bind_text(st, 1, account);
    if ((rc = dd_sql_step(c, st, err)) != 1)
        return rc < 0 ? rc : dd_err_set(err, DD_EDB, "count failed");
    int64_t count = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if ((uint64_t)count >= max_filters)
        return dd_err_set(err, DD_ELIMIT, "The account already has %lld filters (quota %zu)",
                          (long long)count, max_filters);
    if ((rc = name_taken(c, account, in->name, NULL, err)) != 0)
        return rc;
    unsigned char rnd[16];
    if (RAND_bytes(rnd, sizeof(rnd)) != 1)
        return dd_err_set(err, DD_EIO, "no randomness for the filter id");
    char id[33];
    for (size_t i = 0; i < sizeof(rnd); i++)
        snprintf(id + 2 * i, 3, "%02x", rnd[i]);
    char *arn =
        dd_asprintf("arn:aws:inspector2:%s:%s:owner/%s/filter/%s", region, account, account, id);
    if (arn == NULL)
        return DD_ENOMEM;
    if ((rc = dd_sql_stmt(c, SQL_INSERT, &st, err)) != 0)
        goto out;
    dd_sql_bind_text(st, 1, arn);
    dd_sql_bind_text(st, 2, account);
    dd_sql_bind_text(st, 3, in->name);
    dd_sql_bind_text(st, 4, in->action);
    json_t *empty = json_object();
    rc = set_json_text(st, 5, in->criteria);
    if (rc == 0)
        rc = set_json_text(st, 8, in->tags != NULL ? in->tags : empty);
    json_decref(empty);
    if (rc != 0) {
        sqlite3_reset(st);
        goto out;
    }
    dd_sql_bind_text(st, 6, in->description);
    dd_sql_bind_text(st, 7, in->reason);
    dd_sql_bind_int(st, 9, now_ms);
    dd_sql_bind_int(st, 10, now_ms);
    if ((rc = dd_sql_run(c, st, err)) != 0)
        goto out;
    if (strcmp(in->action, "SUPPRESS") == 0 &&
        (rc = dd_findings_reapply_filters(c, ev, now_ms, NULL, err)) != 0)
        goto out;
    *arn_out = arn;
    arn = NULL;
out:
    dd_free(arn);
    return rc;
}

/* The stored filter as the API shows it (Filter shape). */
static int load_filter(dd_sql_conn *c, const char *account, const char *arn, json_t **out,
                       dd_err *err)
{
    sqlite3_stmt *st;
    *out = NULL;
    int rc = dd_sql_stmt(c, SQL_GET, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, arn);
    dd_sql_bind_text(st, 2, account);
    if ((rc = dd_sql_step(c, st, err)) <= 0)
        return rc < 0 ? rc : dd_err_set(err, DD_ENOTFOUND, "Filter %.200s not found", arn);
    json_t *f = json_object();
    json_t *criteria = json_loads(dd_sql_col_text(st, 2), 0, NULL);
    json_t *tags = json_loads(dd_sql_col_text(st, 5), 0, NULL);
    if (f == NULL || criteria == NULL || tags == NULL) {
        sqlite3_reset(st);
        json_decref(f);
        json_decref(criteria);
        json_decref(tags);
        return DD_ENOMEM;
    }
    json_object_set_new(f, "arn", json_string(arn));
    json_object_set_new(f, "ownerId", json_string(account));
    json_object_set_new(f, "name", json_string(dd_sql_col_text(st, 0)));
    json_object_set_new(f, "criteria", criteria);
    json_object_set_new(f, "action", json_string(dd_sql_col_text(st, 1)));
    json_object_set_new(f, "createdAt", dd_fc_time(sqlite3_column_int64(st, 6)));
    json_object_set_new(f, "updatedAt", dd_fc_time(sqlite3_column_int64(st, 7)));
    if (sqlite3_column_type(st, 3) != SQLITE_NULL)
        json_object_set_new(f, "description", json_string(dd_sql_col_text(st, 3)));
    if (sqlite3_column_type(st, 4) != SQLITE_NULL)
        json_object_set_new(f, "reason", json_string(dd_sql_col_text(st, 4)));
    json_object_set_new(f, "tags", tags);
    sqlite3_reset(st);
    *out = f;
    return 0;
}

int dd_filters_update(dd_sql_conn *c, dd_events *ev, const char *account, const char *arn,
                      const dd_filter_spec *in, int64_t now_ms, dd_err *err)
{
    json_t *f = NULL;
    int rc = check_spec(in, err);
    if (rc == 0 && in->tags != NULL)
        rc = dd_err_set(err, DD_EINVALID, "tags: use TagResource");
    if (rc == 0)
        rc = load_filter(c, account, arn, &f, err);
    if (rc != 0)
        return rc;
    const char *old_action = json_string_value(json_object_get(f, "action"));
    bool was_suppress = strcmp(old_action, "SUPPRESS") == 0;
    const char *name = in->name != NULL ? in->name : json_string_value(json_object_get(f, "name"));
    const char *action = in->action != NULL ? in->action : old_action;
    const json_t *criteria = in->criteria != NULL ? in->criteria : json_object_get(f, "criteria");
    const char *desc = in->description != NULL
                           ? in->description
                           : json_string_value(json_object_get(f, "description"));
    const char *reason =
        in->reason != NULL ? in->reason : json_string_value(json_object_get(f, "reason"));
    sqlite3_stmt *st;
    if (in->name != NULL && (rc = name_taken(c, account, name, arn, err)) != 0)
        goto out;
    if ((rc = dd_sql_stmt(c, SQL_UPDATE, &st, err)) != 0)
        goto out;
    dd_sql_bind_text(st, 1, name);
    dd_sql_bind_text(st, 2, action);
    if ((rc = set_json_text(st, 3, criteria)) != 0) {
        sqlite3_reset(st);
        goto out;
    }
    dd_sql_bind_text(st, 4, desc);
    dd_sql_bind_text(st, 5, reason);
    dd_sql_bind_int(st, 6, now_ms);
    dd_sql_bind_text(st, 7, arn);
    if ((rc = dd_sql_run(c, st, err)) != 0)
        goto out;
    if (was_suppress || strcmp(action, "SUPPRESS") == 0)
        rc = dd_findings_reapply_filters(c, ev, now_ms, NULL, err);
out:
    json_decref(f);
    return rc;
}

int dd_filters_delete(dd_sql_conn *c, dd_events *ev, const char *account, const char *arn,
                      int64_t now_ms, dd_err *err)
{
    json_t *f = NULL;
    int rc = load_filter(c, account, arn, &f, err);
    if (rc != 0)
        return rc;
    bool was_suppress = strcmp(json_string_value(json_object_get(f, "action")), "SUPPRESS") == 0;
    json_decref(f);
    sqlite3_stmt *st;
    if ((rc = dd_sql_stmt(c, SQL_DELETE, &st, err)) != 0)
        return rc;
    dd_sql_bind_text(st, 1, arn);
    if ((rc = dd_sql_run(c, st, err)) != 0)
        return rc;
    return was_suppress ? dd_findings_reapply_filters(c, ev, now_ms, NULL, err) : 0;
}

static const char SQL_LIST[] = "SELECT arn, action FROM filters WHERE owner = ?"
                               " ORDER BY created_at, arn";

static bool in_list(const json_t *arns, const char *arn)
{
    size_t i;
    const json_t *a;
    json_array_foreach(arns, i, a)
    {
        if (json_is_string(a) && strcmp(json_string_value(a), arn) == 0)
            return true;
    }
    return false;
}

int dd_filters_list(dd_sql_conn *c, const char *account, const json_t *arns, const char *action,
                    size_t max_results, const char *next_token, json_t **out, dd_err *err)
{
    *out = NULL;
    size_t max = max_results != 0 ? max_results : 100;
    if (max > 100)
        return dd_err_set(err, DD_EINVALID, "maxResults: must be 1 to 100");
    if (arns != NULL && !json_is_array(arns))
        return dd_err_set(err, DD_EINVALID, "arns: must be a list");
    if (action != NULL && strcmp(action, "NONE") != 0 && strcmp(action, "SUPPRESS") != 0)
        return dd_err_set(err, DD_EINVALID, "action: must be NONE or SUPPRESS");
    char hash[17];
    json_t *act = action != NULL ? json_string(action) : NULL;
    const json_t *parts[] = {arns, act};
    int rc = dd_fc_request_hash(hash, "ListFilters", parts, 2);
    json_decref(act);
    if (rc != 0)
        return rc;
    uint64_t offset = 0, pos = 0;
    if (next_token != NULL && next_token[0] != '\0' &&
        (rc = dd_fc_token_decode(next_token, hash, &offset, err)) != 0)
        return rc;
    /* Collect the matching ARNs first (the statement cannot stay open across load_filter). */
    json_t *matched = json_array(), *filters = json_array(), *res = json_object();
    sqlite3_stmt *st;
    if (matched == NULL || filters == NULL || res == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if ((rc = dd_sql_stmt(c, SQL_LIST, &st, err)) != 0)
        goto out;
    dd_sql_bind_text(st, 1, account);
    while ((rc = dd_sql_step(c, st, err)) == 1) {
        const char *arn = dd_sql_col_text(st, 0);
        if (action != NULL && strcmp(dd_sql_col_text(st, 1), action) != 0)
            continue;
        if (arns != NULL && !in_list(arns, arn))
            continue;
        json_array_append_new(matched, json_string(arn));
    }
    if (rc < 0)
        goto out;
    rc = 0;
    for (pos = offset; pos < json_array_size(matched) && pos < offset + max; pos++) {
        json_t *f = NULL;
        if ((rc = load_filter(c, account, json_string_value(json_array_get(matched, pos)), &f,
                              err)) != 0)
            goto out;
        json_array_append_new(filters, f);
    }
    json_object_set(res, "filters", filters);
    if (pos < json_array_size(matched)) {
        char *tok = dd_fc_token_encode(pos, hash);
        if (tok == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        json_object_set_new(res, "nextToken", json_string(tok));
        dd_free(tok);
    }
    *out = res;
    res = NULL;
out:
    json_decref(matched);
    json_decref(filters);
    json_decref(res);
    return rc;
}

int dd_filters_tags_get(dd_sql_conn *c, const char *account, const char *arn, json_t **out,
                        dd_err *err)
{
    json_t *f = NULL;
    *out = NULL;
    int rc = load_filter(c, account, arn, &f, err);
    if (rc != 0)
        return rc;
    *out = json_incref(json_object_get(f, "tags"));
    json_decref(f);
    return 0;
}

static int store_tags(dd_sql_conn *c, const char *arn, const json_t *tags, int64_t now_ms,
                      dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_SET_TAGS, &st, err);
    if (rc != 0)
        return rc;
    if ((rc = set_json_text(st, 1, tags)) != 0) {
        sqlite3_reset(st);
        return rc;
    }
    dd_sql_bind_int(st, 2, now_ms);
    dd_sql_bind_text(st, 3, arn);
    return dd_sql_run(c, st, err);
}

int dd_filters_tags_add(dd_sql_conn *c, const char *account, const char *arn, const json_t *tags,
                        int64_t now_ms, dd_err *err)
{
    json_t *cur = NULL;
    int rc = check_tags(tags, err);
    if (rc == 0)
        rc = dd_filters_tags_get(c, account, arn, &cur, err);
    if (rc != 0)
        return rc;
    json_object_update(cur, (json_t *)tags);
    if (json_object_size(cur) > MAX_TAGS)
        rc = dd_err_set(err, DD_EINVALID, "tags: at most %d tags", MAX_TAGS);
    else
        rc = store_tags(c, arn, cur, now_ms, err);
    json_decref(cur);
    return rc;
}

int dd_filters_tags_remove(dd_sql_conn *c, const char *account, const char *arn,
                           const char *const *keys, size_t n_keys, int64_t now_ms, dd_err *err)
{
    json_t *cur = NULL;
    int rc = dd_filters_tags_get(c, account, arn, &cur, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n_keys; i++)
        json_object_del(cur, keys[i]);
    rc = store_tags(c, arn, cur, now_ms, err);
    json_decref(cur);
    return rc;
}
