/* The top-level HTTP route of `serve` and the AWS API front end: /v2 goes to the registry (after
 * authentication), /drydock/v1 to Drydock's own endpoints, and everything else is ECR
 * (awsJson1_1: POST / with X-Amz-Target) or Inspector2 (restJson1: method + path). AWS requests
 * are read whole (SigV4 signs the body), verified, parsed as JSON and handed to the operation's
 * handler, whose answer is written in the protocol's shape. */
#include "api/api.h"
#include "report/report.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/evp.h>

#define ECR_TARGET_PREFIX "AmazonEC2ContainerRegistry_V20150921."
#define ECR_CONTENT_TYPE "application/x-amz-json-1.1"
#define API_BODY_MAX (8u * 1024u * 1024u) /* PutImage carries manifests up to 4 MiB */

typedef struct pending {
    dd_api_call call;
    const dd_api_json_op *json_op;
    const dd_api_rest_op *rest_op;
    char *label;
    dd_buf body;
} pending;

/* ---- responses ---- */

/* A response from a constant body; a failure to queue it leaves the connection to be closed. */
static void respond_raw(dd_http_req *req, unsigned status, const char *ctype, const char *body,
                        size_t len)
{
    if (dd_http_respond_buf(req, status, ctype, body, len) != 0)
        dd_log(DD_LOG_WARN, "api_respond", "error", "cannot queue response", NULL);
}

static void send_json(dd_api_call *c, unsigned status, json_t *body)
{
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    const char *ctype = c->protocol == DD_API_ECR ? ECR_CONTENT_TYPE : "application/json";
    int rc = dd_http_respond_buf(c->req, status, ctype, text != NULL ? text : "{}",
                                 text != NULL ? strlen(text) : 2);
    if (rc == 0)
        dd_http_resp_header(c->req, "x-amzn-RequestId", c->request_id);
    free(text);
}

void dd_api_ok(dd_api_call *c, json_t *out)
{
    send_json(c, 200, out);
    json_decref(out);
}

static unsigned inspector_status(const char *type)
{
    static const struct {
        const char *type;
        unsigned status;
    } map[] = {{"ValidationException", 400},
               {"BadRequestException", 400},
               {"IncompleteSignatureException", 400},
               {"AccessDeniedException", 403},
               {"MissingAuthenticationTokenException", 403},
               {"UnrecognizedClientException", 403},
               {"InvalidSignatureException", 403},
               {"ResourceNotFoundException", 404},
               {"UnknownOperationException", 404},
               {"ConflictException", 409},
               {"ServiceQuotaExceededException", 402},
               {"ThrottlingException", 429},
               {"InternalServerException", 500}};
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(map[i].type, type) == 0)
            return map[i].status;
    return 400;
}

static unsigned error_status(const dd_api_call *c, const char *type)
{
    if (c->protocol == DD_API_INSPECTOR)
        return inspector_status(type);
    if (strcmp(type, "ServerException") == 0)
        return 500;
    if (strcmp(type, "MissingAuthenticationTokenException") == 0)
        return 403;
    return 400;
}

static void verror(dd_api_call *c, const char *type, json_t *extra, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    json_t *body = extra != NULL ? extra : json_object();
    json_object_set_new(body, "__type", json_string(type));
    json_object_set_new(body, "message", json_string(msg));
    unsigned status = error_status(c, type);
    char *text = json_dumps(body, JSON_COMPACT);
    const char *ctype = c->protocol == DD_API_ECR ? ECR_CONTENT_TYPE : "application/json";
    int rc = dd_http_respond_buf(c->req, status, ctype, text != NULL ? text : "{}",
                                 text != NULL ? strlen(text) : 2);
    if (rc == 0) {
        dd_http_resp_header(c->req, "x-amzn-RequestId", c->request_id);
        dd_http_resp_header(c->req, "x-amzn-ErrorType", type);
    }
    free(text);
    json_decref(body);
}

void dd_api_error(dd_api_call *c, const char *type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(c, type, NULL, fmt, ap);
    va_end(ap);
}

void dd_api_error_json(dd_api_call *c, const char *type, json_t *extra, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    verror(c, type, extra, fmt, ap);
    va_end(ap);
}

void dd_api_invalid(dd_api_call *c, const char *field, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->protocol == DD_API_INSPECTOR) {
        json_t *extra = json_pack("{s:s,s:[{s:s,s:s}]}", "reason", "FIELD_VALIDATION_FAILED",
                                  "fields", "name", field != NULL ? field : "", "message", msg);
        dd_api_error_json(c, "ValidationException", extra, "%s", msg);
    } else {
        dd_api_error(c, "InvalidParameterException", "%s", msg);
    }
}

void dd_api_internal(dd_api_call *c, int rc, const dd_err *err)
{
    dd_log(DD_LOG_ERROR, "api_error", "operation", c->op != NULL ? c->op : "", "error",
           err != NULL && err->msg[0] ? err->msg : "internal error", NULL);
    (void)rc;
    dd_api_error(c, c->protocol == DD_API_INSPECTOR ? "InternalServerException" : "ServerException",
                 "An internal error occurred. Request id %s.", c->request_id);
}

/* ---- JSON helpers ---- */

json_t *dd_api_time(int64_t ms)
{
    return json_real((double)ms / 1000.0);
}

const char *dd_api_in_str(dd_api_call *c, json_t *obj, const char *name, bool required, bool *bad)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v)) {
        if (required) {
            *bad = true;
            dd_api_invalid(c, name,
                           "1 validation error detected: Value null at '%s' failed to "
                           "satisfy constraint: Member must not be null",
                           name);
        }
        return NULL;
    }
    if (!json_is_string(v)) {
        *bad = true;
        dd_api_invalid(c, name, "Value at '%s' must be a string", name);
        return NULL;
    }
    return json_string_value(v);
}

int64_t dd_api_in_int(dd_api_call *c, json_t *obj, const char *name, int64_t def, int64_t min,
                      int64_t max, bool *bad)
{
    json_t *v = json_object_get(obj, name);
    if (v == NULL || json_is_null(v))
        return def;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        *bad = true;
        dd_api_invalid(c, name,
                       "1 validation error detected: Value at '%s' failed to satisfy constraint: "
                       "Member must be an integer between %lld and %lld",
                       name, (long long)min, (long long)max);
        return def;
    }
    return json_integer_value(v);
}

char *dd_api_token_encode(const json_t *pos)
{
    char *text = json_dumps(pos, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL)
        return NULL;
    size_t n = strlen(text);
    char *out = dd_malloc(4 * ((n + 2) / 3) + 1);
    if (out != NULL) {
        int len = EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)n);
        while (len > 0 && out[len - 1] == '=')
            len--;
        out[len] = '\0';
        for (int i = 0; i < len; i++)
            out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
    }
    free(text);
    return out;
}

json_t *dd_api_token_decode(const char *token)
{
    size_t n = strlen(token);
    if (n == 0 || n > 8192)
        return NULL;
    char *b = dd_malloc(n + 4);
    unsigned char *raw = dd_malloc(n + 4);
    json_t *out = NULL;
    if (b == NULL || raw == NULL)
        goto out;
    for (size_t i = 0; i < n; i++) {
        char ch = token[i];
        if (ch == '-')
            ch = '+';
        else if (ch == '_')
            ch = '/';
        else if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                   (ch >= '0' && ch <= '9')))
            goto out;
        b[i] = ch;
    }
    size_t m = n;
    while (m % 4 != 0)
        b[m++] = '=';
    int len = EVP_DecodeBlock(raw, (const unsigned char *)b, (int)m);
    if (len < 0)
        goto out;
    size_t pad = m - n;
    len -= (int)pad;
    if (len <= 0)
        goto out;
    out = json_loadb((const char *)raw, (size_t)len, 0, NULL);
    if (out != NULL && !json_is_object(out)) {
        json_decref(out);
        out = NULL;
    }
out:
    dd_free(b);
    dd_free(raw);
    return out;
}

char *dd_api_repo_arn(const dd_api *a, const char *repo)
{
    return dd_asprintf("arn:aws:ecr:%s:%s:repository/%s", a->region, a->account, repo);
}

char *dd_api_image_resource_id(const dd_api *a, const char *repo, const char *digest)
{
    return dd_asprintf("arn:aws:ecr:%s:%s:repository/%s/%s", a->region, a->account, repo, digest);
}

/* ---- routing ---- */

static void call_init(dd_api_call *c, dd_http_req *req, dd_api *api, dd_api_protocol p)
{
    memset(c, 0, sizeof(*c));
    c->req = req;
    c->api = api;
    c->protocol = p;
    if (dd_report_uuid(c->request_id) != 0)
        snprintf(c->request_id, sizeof(c->request_id), "00000000-0000-4000-8000-000000000000");
}

static int body_chunk(dd_http_req *req, const char *data, size_t len)
{
    pending *p = dd_http_req_state(req);
    if (dd_buf_append(&p->body, data, len) != 0) {
        dd_api_error(&p->call,
                     p->call.protocol == DD_API_ECR ? "InvalidParameterException"
                                                    : "ValidationException",
                     "The request body is too large");
        return -1;
    }
    return 0;
}

static void body_cleanup(dd_http_req *req)
{
    pending *p = dd_http_req_state(req);
    if (p == NULL)
        return;
    dd_buf_free(&p->body);
    dd_free(p->label);
    dd_free(p);
    dd_http_req_set_state(req, NULL);
}

/* Percent-decodes s (a path label) into a new string; NULL when malformed. */
static char *pct_decode(const char *s)
{
    size_t n = strlen(s);
    char *out = dd_malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi, lo;
            if (i + 2 >= n) {
                dd_free(out);
                return NULL;
            }
            char h = s[i + 1], l = s[i + 2];
            hi = h >= '0' && h <= '9'   ? h - '0'
                 : h >= 'a' && h <= 'f' ? h - 'a' + 10
                 : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                        : -1;
            lo = l >= '0' && l <= '9'   ? l - '0'
                 : l >= 'a' && l <= 'f' ? l - 'a' + 10
                 : l >= 'A' && l <= 'F' ? l - 'A' + 10
                                        : -1;
            if (hi < 0 || lo < 0) {
                dd_free(out);
                return NULL;
            }
            out[k++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return out;
}

/* Inspector2 operations that read only: an unscoped key (every repository) may call them. The
 * others change registry-wide state (scan type, rescan durations, suppression rules, exports)
 * and need an admin key. Findings, coverage and aggregations span repositories and are not
 * filtered by scope, so a key limited to some repositories gets AccessDenied on every
 * Inspector2 operation (its ECR operations work on its repositories). */
static const char *const INSPECTOR_READ_OPS[] = {"BatchGetAccountStatus",
                                                 "GetConfiguration",
                                                 "ListFindings",
                                                 "BatchGetFindingDetails",
                                                 "ListFindingAggregations",
                                                 "ListCoverage",
                                                 "ListCoverageStatistics",
                                                 "ListFilters",
                                                 "GetSbomExport",
                                                 "GetFindingsReportStatus",
                                                 "ListTagsForResource"};

static bool inspector_allowed(const dd_api_call *c)
{
    if (c->id.admin)
        return true;
    if (strcmp(c->id.repos, "*") != 0)
        return false;
    for (size_t i = 0; i < sizeof(INSPECTOR_READ_OPS) / sizeof(INSPECTOR_READ_OPS[0]); i++)
        if (strcmp(INSPECTOR_READ_OPS[i], c->op) == 0)
            return true;
    return false;
}

static void body_done(dd_http_req *req)
{
    pending *p = dd_http_req_state(req);
    dd_api_call *c = &p->call;
    const char *service = c->protocol == DD_API_ECR ? "ecr" : "inspector2";
    const char *code = NULL;
    char msg[512] = "";
    if (dd_auth_sigv4(c->api->auth, req, p->body.data, p->body.len, service, &c->id, &code, msg,
                      sizeof(msg)) != 0) {
        dd_api_error(c, code != NULL ? code : "InvalidSignatureException", "%s", msg);
        return;
    }
    json_t *in = NULL;
    if (p->body.len == 0) {
        in = json_object();
    } else {
        json_error_t jerr;
        in = json_loadb(p->body.data, p->body.len, JSON_REJECT_DUPLICATES, &jerr);
        if (in == NULL || !json_is_object(in)) {
            json_decref(in);
            if (c->protocol == DD_API_INSPECTOR)
                dd_api_error_json(c, "ValidationException",
                                  json_pack("{s:s}", "reason", "CANNOT_PARSE"),
                                  "The request body is not a JSON object");
            else
                dd_api_error(c, "SerializationException", "The request body is not a JSON object");
            return;
        }
    }
    if (c->protocol == DD_API_INSPECTOR && !inspector_allowed(c)) {
        json_decref(in);
        dd_api_error(c, "AccessDeniedException",
                     "User %s is not authorized to perform inspector2:%s%s", c->id.access_key_id,
                     c->op,
                     c->id.admin || strcmp(c->id.repos, "*") == 0
                         ? ""
                         : " (keys limited to some repositories may use ECR operations only)");
        return;
    }
    c->in = in;
    if (p->label != NULL)
        c->path_label = p->label;
    dd_log(DD_LOG_DEBUG, "api_call", "operation", c->op, "access_key", c->id.access_key_id, NULL);
    if (p->json_op != NULL)
        p->json_op->fn(c);
    else
        p->rest_op->fn(c);
    if (!dd_http_req_responded(req))
        dd_api_internal(c, DD_EINVALID, NULL);
    json_decref(in);
    c->in = NULL;
}

static void expect(dd_http_req *req, pending *p)
{
    dd_buf_init(&p->body, API_BODY_MAX);
    dd_http_req_set_state(req, p);
    dd_http_req_expect_body(req, body_chunk, body_done, body_cleanup);
}

static void route_ecr(dd_http_req *req, dd_api *api, const char *target)
{
    pending *p = dd_calloc(1, sizeof(*p));
    if (p == NULL) {
        respond_raw(req, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    call_init(&p->call, req, api, DD_API_ECR);
    const char *op = strncmp(target, ECR_TARGET_PREFIX, strlen(ECR_TARGET_PREFIX)) == 0
                         ? target + strlen(ECR_TARGET_PREFIX)
                         : NULL;
    for (size_t i = 0; op != NULL && i < dd_ecr_ops_n; i++)
        if (strcmp(dd_ecr_ops[i].name, op) == 0) {
            p->json_op = &dd_ecr_ops[i];
            p->call.op = dd_ecr_ops[i].name;
        }
    if (p->json_op == NULL) {
        p->call.op = "unknown";
        dd_api_error(&p->call, "UnknownOperationException", "Unknown operation %s", target);
        dd_free(p);
        return;
    }
    expect(req, p);
}

static void route_inspector(dd_http_req *req, dd_api *api)
{
    const char *method = dd_http_req_method(req);
    const char *raw = dd_http_req_raw_target(req);
    size_t raw_len = strcspn(raw, "?");
    pending *p = dd_calloc(1, sizeof(*p));
    if (p == NULL) {
        respond_raw(req, 500, "text/plain", "out of memory\n", 14);
        return;
    }
    call_init(&p->call, req, api, DD_API_INSPECTOR);
    for (size_t i = 0; i < dd_inspector_ops_n && p->rest_op == NULL; i++) {
        const dd_api_rest_op *op = &dd_inspector_ops[i];
        if (strcmp(op->method, method) != 0)
            continue;
        const char *brace = strchr(op->path, '{');
        if (brace == NULL) {
            if (strlen(op->path) == raw_len && strncmp(op->path, raw, raw_len) == 0)
                p->rest_op = op;
            continue;
        }
        size_t prefix = (size_t)(brace - op->path);
        if (raw_len > prefix && strncmp(op->path, raw, prefix) == 0 &&
            memchr(raw + prefix, '/', raw_len - prefix) == NULL) {
            char *enc = dd_strndup(raw + prefix, raw_len - prefix);
            p->label = enc != NULL ? pct_decode(enc) : NULL;
            dd_free(enc);
            if (p->label != NULL)
                p->rest_op = op;
        }
    }
    if (p->rest_op == NULL) {
        p->call.op = "unknown";
        dd_api_error(&p->call, "UnknownOperationException", "No operation at %s %s", method,
                     dd_http_req_path(req));
        dd_free(p->label);
        dd_free(p);
        return;
    }
    p->call.op = p->rest_op->name;
    expect(req, p);
}

static void unauthorized(dd_api *api, dd_http_req *req, bool registry)
{
    const char *body = registry ? "{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":"
                                  "\"authentication required\"}]}"
                                : "{\"error\":\"Unauthorized\",\"message\":\"authentication "
                                  "required\"}";
    if (dd_http_respond_buf(req, 401, "application/json", body, strlen(body)) == 0)
        dd_auth_challenge(api->auth, req);
}

static void denied(dd_http_req *req, bool registry)
{
    const char *body = registry ? "{\"errors\":[{\"code\":\"DENIED\",\"message\":"
                                  "\"requested access to the resource is denied\"}]}"
                                : "{\"error\":\"Forbidden\",\"message\":\"access denied\"}";
    respond_raw(req, 403, "application/json", body, strlen(body));
}

/* Registry hook: authentication and per-repository permission of /v2 requests. */
int dd_api_registry_authorize(void *ctx, dd_http_req *req, const char *repo, bool write)
{
    dd_api *api = ctx;
    if (!dd_auth_registry_required(api->auth))
        return 0;
    dd_auth_identity id;
    int rc = dd_auth_http(api->auth, req, &id);
    if (rc != 0) {
        unauthorized(api, req, true);
        return -1;
    }
    if (repo != NULL && !dd_auth_allows(&id, repo, write)) {
        denied(req, true);
        return -1;
    }
    return 0;
}

void dd_api_route(dd_http_req *req, void *app)
{
    dd_api *api = app;
    const char *path = dd_http_req_path(req);
    if (strcmp(path, "/v2") == 0 || strncmp(path, "/v2/", 4) == 0) {
        dd_registry_route(req, api->registry);
        return;
    }
    if (strncmp(path, "/drydock/v1/", 12) == 0) {
        dd_auth_identity id;
        if (dd_auth_http(api->auth, req, &id) != 0) {
            unauthorized(api, req, false);
            return;
        }
        dd_events_route(api->events, req, &id);
        return;
    }
    if (strcmp(path, "/healthz") == 0) {
        respond_raw(req, 200, "text/plain", "ok\n", 3);
        return;
    }
    const char *target = dd_http_req_header(req, "X-Amz-Target");
    if (target != NULL && strcmp(dd_http_req_method(req), "POST") == 0 && strcmp(path, "/") == 0) {
        route_ecr(req, api, target);
        return;
    }
    route_inspector(req, api);
}
