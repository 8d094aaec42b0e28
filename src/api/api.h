/* The AWS-compatible API front end on the same port as /v2: ECR (awsJson1_1, POST / with
 * X-Amz-Target) and Inspector2 (restJson1, method + path), SigV4-authenticated, plus Drydock's own
 * /drydock/v1 endpoints. Also the top-level HTTP route of `serve`, which hands /v2 to the registry.
 *
 * A handler receives a dd_api_call with the parsed JSON body and the caller's identity and answers
 * with exactly one dd_api_ok / dd_api_error*. Error status codes follow the protocol: every ECR
 * client error is 400 (ServerException 500); Inspector2 errors carry the status of their shape and
 * the x-amzn-ErrorType header. Every response carries x-amzn-RequestId. */
#ifndef DD_API_API_H
#define DD_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include <jansson.h>
#include "auth/auth.h"
#include "db/db.h"
#include "events/events.h"
#include "http/http.h"
#include "registry/registry.h"
#include "scanning/scanning.h"
#include "sql/sql.h"
#include "util/clock.h"

/* Everything the handlers use; owned by `serve` (or a test), outlives the server. */
typedef struct dd_api {
    const dd_clock *clock;
    dd_registry *registry;
    dd_db *db;
    dd_sql *sql;
    dd_auth *auth;
    dd_events *events;
    dd_scanning *scanning;
    const char *account;       /* 12-digit registry id of this installation */
    const char *region;        /* e.g. "us-east-1" */
    const char *registry_host; /* host[:port] used in repositoryUri and proxyEndpoint */
    const char *data_dir;
} dd_api;

typedef enum dd_api_protocol {
    DD_API_ECR = 0,
    DD_API_INSPECTOR = 1,
    DD_API_DRYDOCK = 2
} dd_api_protocol;

typedef struct dd_api_call {
    dd_http_req *req;
    dd_api *api;
    dd_api_protocol protocol;
    const char *op;      /* operation name, e.g. "DescribeImages" */
    json_t *in;          /* the request body as a JSON object ({} when empty); borrowed */
    dd_auth_identity id; /* the authenticated caller */
    char request_id[40];
    const char *path_label; /* restJson1 {label} decoded (e.g. resourceArn), or NULL */
} dd_api_call;

typedef void (*dd_api_handler)(dd_api_call *c);

/* One restJson1 route: method, path (a trailing "{label}" segment captures the rest). */
typedef struct dd_api_rest_op {
    const char *method;
    const char *path;
    const char *name;
    dd_api_handler fn;
} dd_api_rest_op;

/* One awsJson1_1 operation (name after the target prefix). */
typedef struct dd_api_json_op {
    const char *name;
    dd_api_handler fn;
} dd_api_json_op;

/* Tables provided by ecr.c and inspector.c. */
extern const dd_api_json_op dd_ecr_ops[];
extern const size_t dd_ecr_ops_n;
extern const dd_api_rest_op dd_inspector_ops[];
extern const size_t dd_inspector_ops_n;

/* The HTTP route of `serve` (pass the dd_api as the server's app pointer). */
void dd_api_route(dd_http_req *req, void *api);

/* The registry's authorize hook (ctx is the dd_api): /v2 authentication when the configuration
 * requires it, and per-repository permissions. */
int dd_api_registry_authorize(void *ctx, dd_http_req *req, const char *repo, bool write);

/* 200 with out as the body (steals the reference; NULL sends {}). */
void dd_api_ok(dd_api_call *c, json_t *out);
/* An error of the AWS shape `type` (e.g. "RepositoryNotFoundException") with a printf message.
 * The HTTP status comes from the protocol and the type (see api.c). */
void dd_api_error(dd_api_call *c, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* An error with extra body members (extra is stolen; may be NULL). */
void dd_api_error_json(dd_api_call *c, const char *type, json_t *extra, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Inspector2 ValidationException with reason FIELD_VALIDATION_FAILED and one field entry (ECR:
 * plain ValidationException/InvalidParameterException message). */
void dd_api_invalid(dd_api_call *c, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Maps a DD_E* failure of an internal call to ServerException / InternalServerException and logs
 * it. */
void dd_api_internal(dd_api_call *c, int rc, const dd_err *err);

/* JSON helpers. Timestamps on the wire are epoch seconds (a number with a fraction). */
json_t *dd_api_time(int64_t ms);
/* Input accessors: NULL/default when absent; *bad set to true (and an error answered) when the
 * member is present with the wrong JSON type. */
const char *dd_api_in_str(dd_api_call *c, json_t *obj, const char *name, bool required, bool *bad);
int64_t dd_api_in_int(dd_api_call *c, json_t *obj, const char *name, int64_t def, int64_t min,
                      int64_t max, bool *bad);

/* Opaque pagination tokens: base64url of a JSON object, HMAC-free (they only carry a position). */
char *dd_api_token_encode(const json_t *pos);   /* dd_free */
json_t *dd_api_token_decode(const char *token); /* NULL when malformed */

/* ARNs and ids (1.7 of the spec). Return new strings (dd_free). */
char *dd_api_repo_arn(const dd_api *a, const char *repo);
char *dd_api_image_resource_id(const dd_api *a, const char *repo, const char *digest);

#endif
