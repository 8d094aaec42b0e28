/* Inspector2 FilterCriteria: validation against the model and evaluation against stored Finding
 * documents (spec 5.3). Every member maps to a dotted path of the Finding; arrays on the path are
 * flattened, so list-valued fields (image tags, related vulnerabilities, resources) match when any
 * element does. Members of other resource kinds (EC2, Lambda, code, network) map to where those
 * findings keep the value, so they match nothing in ECR findings except through NOT_EQUALS. */
#include "findings/findings.h"
#include "findings/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define MAX_CONDITIONS 10
#define MAX_VALUES 256

typedef enum kind { K_STRING, K_DATE, K_NUMBER, K_MAP, K_PORT, K_PACKAGE } kind;

typedef struct member {
    const char *name;
    kind k;
    const char *path;
} member;

#define ECR_IMG "resources.details.awsEcrContainerImage."
#define EC2 "resources.details.awsEc2Instance."
#define LAMBDA "resources.details.awsLambdaFunction."
#define CODE_REPO "resources.details.codeRepository."
#define PVD "packageVulnerabilityDetails."

static const member MEMBERS[] = {
    {"findingArn", K_STRING, "findingArn"},
    {"awsAccountId", K_STRING, "awsAccountId"},
    {"findingType", K_STRING, "type"},
    {"severity", K_STRING, "severity"},
    {"firstObservedAt", K_DATE, "firstObservedAt"},
    {"lastObservedAt", K_DATE, "lastObservedAt"},
    {"updatedAt", K_DATE, "updatedAt"},
    {"findingStatus", K_STRING, "status"},
    {"title", K_STRING, "title"},
    {"inspectorScore", K_NUMBER, "inspectorScore"},
    {"resourceType", K_STRING, "resources.type"},
    {"resourceId", K_STRING, "resources.id"},
    {"resourceTags", K_MAP, "resources.tags"},
    {"ec2InstanceImageId", K_STRING, EC2 "imageId"},
    {"ec2InstanceVpcId", K_STRING, EC2 "vpcId"},
    {"ec2InstanceSubnetId", K_STRING, EC2 "subnetId"},
    {"ecrImagePushedAt", K_DATE, ECR_IMG "pushedAt"},
    {"ecrImageArchitecture", K_STRING, ECR_IMG "architecture"},
    {"ecrImageRegistry", K_STRING, ECR_IMG "registry"},
    {"ecrImageRepositoryName", K_STRING, ECR_IMG "repositoryName"},
    {"ecrImageTags", K_STRING, ECR_IMG "imageTags"},
    {"ecrImageHash", K_STRING, ECR_IMG "imageHash"},
    {"ecrImageLastInUseAt", K_DATE, ECR_IMG "lastInUseAt"},
    {"ecrImageInUseCount", K_NUMBER, ECR_IMG "inUseCount"},
    {"portRange", K_PORT, "networkReachabilityDetails.openPortRange"},
    {"networkProtocol", K_STRING, "networkReachabilityDetails.protocol"},
    {"componentId", K_STRING, "networkReachabilityDetails.networkPath.steps.componentId"},
    {"componentType", K_STRING, "networkReachabilityDetails.networkPath.steps.componentType"},
    {"vulnerabilityId", K_STRING, PVD "vulnerabilityId"},
    {"vulnerabilitySource", K_STRING, PVD "source"},
    {"vendorSeverity", K_STRING, PVD "vendorSeverity"},
    {"vulnerablePackages", K_PACKAGE, PVD "vulnerablePackages"},
    {"relatedVulnerabilities", K_STRING, PVD "relatedVulnerabilities"},
    {"fixAvailable", K_STRING, "fixAvailable"},
    {"lambdaFunctionName", K_STRING, LAMBDA "functionName"},
    {"lambdaFunctionLayers", K_STRING, LAMBDA "layers"},
    {"lambdaFunctionRuntime", K_STRING, LAMBDA "runtime"},
    {"lambdaFunctionLastModifiedAt", K_DATE, LAMBDA "lastModifiedAt"},
    {"lambdaFunctionExecutionRoleArn", K_STRING, LAMBDA "executionRoleArn"},
    {"exploitAvailable", K_STRING, "exploitAvailable"},
    {"codeVulnerabilityDetectorName", K_STRING, "codeVulnerabilityDetails.detectorName"},
    {"codeVulnerabilityDetectorTags", K_STRING, "codeVulnerabilityDetails.detectorTags"},
    {"codeVulnerabilityFilePath", K_STRING, "codeVulnerabilityDetails.filePath.filePath"},
    {"epssScore", K_NUMBER, "epss.score"},
    {"codeRepositoryProjectName", K_STRING, CODE_REPO "projectName"},
    {"codeRepositoryProviderType", K_STRING, CODE_REPO "providerType"},
};

static const char *const FINDING_COMPARISONS[] = {"EQUALS", "PREFIX", "NOT_EQUALS", NULL};

static const member *member_find(const char *name)
{
    for (size_t i = 0; i < sizeof(MEMBERS) / sizeof(MEMBERS[0]); i++)
        if (strcmp(MEMBERS[i].name, name) == 0)
            return &MEMBERS[i];
    return NULL;
}

size_t dd_fc_utf8_len(const char *s)
{
    size_t n = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if ((*p & 0xC0) != 0x80)
            n++;
    return n;
}

json_t *dd_fc_time(int64_t ms)
{
    return json_real((double)ms / 1000.0);
}

/* ---- validation ---- */

static int check_list(const json_t *list, const char *path, dd_err *err)
{
    if (!json_is_array(list))
        return dd_err_set(err, DD_EINVALID, "%s: must be a list", path);
    size_t n = json_array_size(list);
    if (n < 1 || n > MAX_CONDITIONS)
        return dd_err_set(err, DD_EINVALID, "%s: must hold 1 to %d conditions", path,
                          MAX_CONDITIONS);
    return 0;
}

static int check_string_filter(const json_t *f, const char *const *allowed, size_t max_len,
                               const char *path, dd_err *err)
{
    if (!json_is_object(f))
        return dd_err_set(err, DD_EINVALID, "%s: must be an object", path);
    const json_t *cmp = json_object_get(f, "comparison");
    const json_t *val = json_object_get(f, "value");
    if (!json_is_string(cmp))
        return dd_err_set(err, DD_EINVALID, "%s.comparison: required string", path);
    bool ok = false;
    for (size_t i = 0; allowed[i] != NULL; i++)
        if (strcmp(allowed[i], json_string_value(cmp)) == 0)
            ok = true;
    if (!ok) {
        char list[64] = "";
        size_t used = 0;
        for (size_t i = 0; allowed[i] != NULL && used < sizeof(list); i++)
            used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s", i ? ", " : "",
                                     allowed[i]);
        return dd_err_set(err, DD_EINVALID, "%s.comparison: must be one of %s", path, list);
    }
    if (!json_is_string(val))
        return dd_err_set(err, DD_EINVALID, "%s.value: required string", path);
    size_t len = dd_fc_utf8_len(json_string_value(val));
    if (len < 1 || len > max_len)
        return dd_err_set(err, DD_EINVALID, "%s.value: length must be 1 to %zu", path, max_len);
    return 0;
}

static int check_bound(const json_t *f, const char *name, const char *path, dd_err *err)
{
    const json_t *v = json_object_get(f, name);
    if (v != NULL && !json_is_number(v))
        return dd_err_set(err, DD_EINVALID, "%s.%s: must be a number", path, name);
    if (v != NULL && !isfinite(json_number_value(v)))
        return dd_err_set(err, DD_EINVALID, "%s.%s: must be finite", path, name);
    return 0;
}

static int check_range(const json_t *f, const char *lo, const char *hi, const char *path,
                       dd_err *err)
{
    if (!json_is_object(f))
        return dd_err_set(err, DD_EINVALID, "%s: must be an object", path);
    int rc = check_bound(f, lo, path, err);
    if (rc == 0)
        rc = check_bound(f, hi, path, err);
    return rc;
}

/* Checks a condition list (1..MAX_CONDITIONS) and each condition with fn, under "path[i]". */
typedef int (*condition_fn)(const json_t *f, const char *path, const void *ctx, dd_err *err);

static int each_condition(const json_t *list, const char *path, condition_fn fn, const void *ctx,
                          dd_err *err)
{
    int rc = check_list(list, path, err);
    char p[160];
    size_t i;
    const json_t *f;
    json_array_foreach(list, i, f)
    {
        if (rc != 0)
            break;
        if (snprintf(p, sizeof(p), "%s[%zu]", path, i) >= (int)sizeof(p))
            p[sizeof(p) - 1] = '\0'; /* a long path is cut in the message only */
        if (!json_is_object(f))
            return dd_err_set(err, DD_EINVALID, "%s: must be an object", p);
        rc = fn(f, p, ctx, err);
    }
    return rc;
}

typedef struct strings_ctx {
    const char *const *allowed;
    size_t max_len;
} strings_ctx;

static int string_condition(const json_t *f, const char *p, const void *ctx, dd_err *err)
{
    const strings_ctx *sc = ctx;
    return check_string_filter(f, sc->allowed, sc->max_len, p, err);
}

int dd_fc_validate_strings(const json_t *list, const char *const *allowed, size_t max_len,
                           const char *path, dd_err *err)
{
    strings_ctx sc = {allowed, max_len};
    return each_condition(list, path, string_condition, &sc, err);
}

static int range_condition(const json_t *f, const char *p, const void *ctx, dd_err *err)
{
    const char *const *names = ctx;
    return check_range(f, names[0], names[1], p, err);
}

int dd_fc_validate_dates(const json_t *list, const char *path, dd_err *err)
{
    static const char *const names[] = {"startInclusive", "endInclusive"};
    return each_condition(list, path, range_condition, names, err);
}

int dd_fc_validate_numbers(const json_t *list, const char *path, dd_err *err)
{
    static const char *const names[] = {"lowerInclusive", "upperInclusive"};
    return each_condition(list, path, range_condition, names, err);
}

typedef struct map_ctx {
    size_t key_max, value_min, value_max;
} map_ctx;

static int map_condition(const json_t *f, const char *p, const void *ctx, dd_err *err)
{
    const map_ctx *mc = ctx;
    const json_t *cmp = json_object_get(f, "comparison");
    const json_t *key = json_object_get(f, "key");
    const json_t *val = json_object_get(f, "value");
    if (!json_is_string(cmp) || strcmp(json_string_value(cmp), "EQUALS") != 0)
        return dd_err_set(err, DD_EINVALID, "%s.comparison: must be EQUALS", p);
    if (!json_is_string(key) || dd_fc_utf8_len(json_string_value(key)) < 1 ||
        dd_fc_utf8_len(json_string_value(key)) > mc->key_max)
        return dd_err_set(err, DD_EINVALID, "%s.key: required string of 1 to %zu", p, mc->key_max);
    if (val != NULL &&
        (!json_is_string(val) || dd_fc_utf8_len(json_string_value(val)) < mc->value_min ||
         dd_fc_utf8_len(json_string_value(val)) > mc->value_max))
        return dd_err_set(err, DD_EINVALID, "%s.value: must be a string of %zu to %zu", p,
                          mc->value_min, mc->value_max);
    return 0;
}

int dd_fc_validate_maps(const json_t *list, size_t key_max, size_t value_min, size_t value_max,
                        const char *path, dd_err *err)
{
    map_ctx mc = {key_max, value_min, value_max};
    return each_condition(list, path, map_condition, &mc, err);
}

static int port_condition(const json_t *f, const char *p, const void *ctx, dd_err *err)
{
    (void)ctx;
    const char *names[] = {"beginInclusive", "endInclusive"};
    for (size_t k = 0; k < 2; k++) {
        const json_t *v = json_object_get(f, names[k]);
        if (v != NULL &&
            (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 65535))
            return dd_err_set(err, DD_EINVALID, "%s.%s: must be an integer 0 to 65535", p,
                              names[k]);
    }
    return 0;
}

static int validate_ports(const json_t *list, const char *path, dd_err *err)
{
    return each_condition(list, path, port_condition, NULL, err);
}

static const char *const PACKAGE_STRINGS[] = {
    "name",    "version", "release", "architecture", "sourceLayerHash", "sourceLambdaLayerArn",
    "filePath"};

static int package_condition(const json_t *f, const char *p, const void *ctx, dd_err *err)
{
    (void)ctx;
    char q[200];
    int rc;
    for (size_t k = 0; k < sizeof(PACKAGE_STRINGS) / sizeof(PACKAGE_STRINGS[0]); k++) {
        const json_t *s = json_object_get(f, PACKAGE_STRINGS[k]);
        if (s == NULL)
            continue;
        snprintf(q, sizeof(q), "%s.%s", p, PACKAGE_STRINGS[k]);
        if ((rc = check_string_filter(s, FINDING_COMPARISONS, 1024, q, err)) != 0)
            return rc;
    }
    const json_t *epoch = json_object_get(f, "epoch");
    if (epoch != NULL) {
        snprintf(q, sizeof(q), "%s.epoch", p);
        if ((rc = check_range(epoch, "lowerInclusive", "upperInclusive", q, err)) != 0)
            return rc;
    }
    return 0;
}

static int validate_packages(const json_t *list, const char *path, dd_err *err)
{
    return each_condition(list, path, package_condition, NULL, err);
}

int dd_filter_criteria_validate(const json_t *criteria, dd_err *err)
{
    if (criteria == NULL)
        return 0;
    if (!json_is_object(criteria))
        return dd_err_set(err, DD_EINVALID, "filterCriteria: must be an object");
    const char *key;
    const json_t *list;
    char path[160];
    json_object_foreach((json_t *)criteria, key, list)
    {
        const member *m = member_find(key);
        if (m == NULL)
            continue; /* members of newer models are ignored */
        snprintf(path, sizeof(path), "filterCriteria.%s", key);
        int rc = 0;
        switch (m->k) {
        case K_STRING:
            rc = dd_fc_validate_strings(list, FINDING_COMPARISONS, 1024, path, err);
            break;
        case K_DATE:
            rc = dd_fc_validate_dates(list, path, err);
            break;
        case K_NUMBER:
            rc = dd_fc_validate_numbers(list, path, err);
            break;
        case K_MAP:
            rc = dd_fc_validate_maps(list, 128, 0, 256, path, err);
            break;
        case K_PORT:
            rc = validate_ports(list, path, err);
            break;
        case K_PACKAGE:
            rc = validate_packages(list, path, err);
            break;
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- evaluation ---- */

typedef struct collect {
    const json_t **out;
    size_t max, n;
} collect;

static void walk(const json_t *v, const char *path, collect *c)
{
    if (v == NULL)
        return;
    if (json_is_array(v)) {
        size_t i;
        const json_t *e;
        json_array_foreach(v, i, e) walk(e, path, c);
        return;
    }
    if (*path == '\0') {
        if (c->n < c->max)
            c->out[c->n] = v;
        c->n++;
        return;
    }
    if (!json_is_object(v))
        return;
    const char *dot = strchr(path, '.');
    size_t len = dot != NULL ? (size_t)(dot - path) : strlen(path);
    const json_t *child = json_object_getn(v, path, len);
    walk(child, dot != NULL ? dot + 1 : path + len, c);
}

size_t dd_fc_values(const json_t *doc, const char *path, const json_t **out, size_t max)
{
    collect c = {out, max, 0};
    walk(doc, path, &c);
    return c.n;
}

static bool string_cond(const char *cmp, const char *want, const char *have)
{
    if (strcmp(cmp, "PREFIX") == 0)
        return strncmp(have, want, strlen(want)) == 0;
    return strcmp(have, want) == 0;
}

bool dd_fc_match_strings(const json_t *list, const char *const *vals, size_t n)
{
    bool has_pos = false, pos = false;
    size_t i;
    const json_t *f;
    json_array_foreach(list, i, f)
    {
        const char *cmp = json_string_value(json_object_get(f, "comparison"));
        const char *want = json_string_value(json_object_get(f, "value"));
        if (cmp == NULL || want == NULL)
            return false;
        if (strcmp(cmp, "NOT_EQUALS") == 0) {
            for (size_t k = 0; k < n; k++)
                if (strcmp(vals[k], want) == 0)
                    return false;
            continue;
        }
        has_pos = true;
        for (size_t k = 0; k < n && !pos; k++)
            if (string_cond(cmp, want, vals[k]))
                pos = true;
    }
    return !has_pos || pos;
}

static bool range_match(const json_t *list, const char *lo_name, const char *hi_name, bool has,
                        double v)
{
    if (!has)
        return false;
    size_t i;
    const json_t *f;
    json_array_foreach(list, i, f)
    {
        const json_t *lo = json_object_get(f, lo_name);
        const json_t *hi = json_object_get(f, hi_name);
        if (json_is_number(lo) && v < json_number_value(lo))
            continue;
        if (json_is_number(hi) && v > json_number_value(hi))
            continue;
        return true;
    }
    return false;
}

bool dd_fc_match_dates(const json_t *list, bool has, double v)
{
    return range_match(list, "startInclusive", "endInclusive", has, v);
}

bool dd_fc_match_numbers(const json_t *list, bool has, double v)
{
    return range_match(list, "lowerInclusive", "upperInclusive", has, v);
}

bool dd_fc_match_map(const json_t *list, const json_t *tags)
{
    if (!json_is_object(tags))
        return false;
    size_t i;
    const json_t *f;
    json_array_foreach(list, i, f)
    {
        const char *key = json_string_value(json_object_get(f, "key"));
        const json_t *want = json_object_get(f, "value");
        const json_t *have = key != NULL ? json_object_get(tags, key) : NULL;
        if (!json_is_string(have))
            continue;
        if (want == NULL ||
            (json_is_string(want) && strcmp(json_string_value(want), json_string_value(have)) == 0))
            return true;
    }
    return false;
}

/* String values at path (non-strings skipped). */
static size_t string_values(const json_t *doc, const char *path, const char **out, size_t max)
{
    const json_t *v[MAX_VALUES];
    size_t n = dd_fc_values(doc, path, v, MAX_VALUES), k = 0;
    if (n > MAX_VALUES)
        n = MAX_VALUES;
    for (size_t i = 0; i < n && k < max; i++)
        if (json_is_string(v[i]))
            out[k++] = json_string_value(v[i]);
    return k;
}

/* A numeric field: any value satisfying one of the ranges. */
static bool match_range_field(const json_t *list, const json_t *doc, const char *path, bool date)
{
    const json_t *v[MAX_VALUES];
    size_t n = dd_fc_values(doc, path, v, MAX_VALUES);
    if (n > MAX_VALUES)
        n = MAX_VALUES;
    for (size_t i = 0; i < n; i++) {
        if (!json_is_number(v[i]))
            continue;
        double d = json_number_value(v[i]);
        if (date ? dd_fc_match_dates(list, true, d) : dd_fc_match_numbers(list, true, d))
            return true;
    }
    return false;
}

static bool match_ports(const json_t *list, const json_t *doc, const char *path)
{
    const json_t *v[16];
    size_t n = dd_fc_values(doc, path, v, 16);
    if (n > 16)
        n = 16;
    for (size_t i = 0; i < n; i++) {
        const json_t *b = json_object_get(v[i], "begin");
        const json_t *e = json_object_get(v[i], "end");
        if (!json_is_integer(b) || !json_is_integer(e))
            continue;
        size_t k;
        const json_t *f;
        json_array_foreach(list, k, f)
        {
            const json_t *lo = json_object_get(f, "beginInclusive");
            const json_t *hi = json_object_get(f, "endInclusive");
            if (json_is_integer(lo) && json_integer_value(e) < json_integer_value(lo))
                continue;
            if (json_is_integer(hi) && json_integer_value(b) > json_integer_value(hi))
                continue;
            return true;
        }
    }
    return false;
}

static bool package_sub(const json_t *cond, const json_t *pkg, const char *field)
{
    const json_t *v = json_object_get(pkg, field);
    const char *s = json_string_value(v);
    const char *cmp = json_string_value(json_object_get(cond, "comparison"));
    const char *want = json_string_value(json_object_get(cond, "value"));
    if (cmp == NULL || want == NULL)
        return false;
    if (strcmp(cmp, "NOT_EQUALS") == 0)
        return s == NULL || strcmp(s, want) != 0;
    return s != NULL && string_cond(cmp, want, s);
}

static bool package_match(const json_t *pf, const json_t *pkg)
{
    static const char *const fields[] = {"name",    "version",         "release",
                                         "arch",    "sourceLayerHash", "sourceLambdaLayerArn",
                                         "filePath"};
    for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
        const json_t *cond = json_object_get(pf, PACKAGE_STRINGS[k]);
        if (cond != NULL && !package_sub(cond, pkg, fields[k]))
            return false;
    }
    const json_t *epoch = json_object_get(pf, "epoch");
    if (epoch != NULL) {
        const json_t *e = json_object_get(pkg, "epoch");
        double v = json_is_number(e) ? json_number_value(e) : 0.0;
        const json_t *lo = json_object_get(epoch, "lowerInclusive");
        const json_t *hi = json_object_get(epoch, "upperInclusive");
        if (json_is_number(lo) && v < json_number_value(lo))
            return false;
        if (json_is_number(hi) && v > json_number_value(hi))
            return false;
    }
    return true;
}

static bool match_packages(const json_t *list, const json_t *doc, const char *path)
{
    const json_t *pkgs[MAX_VALUES];
    size_t n = dd_fc_values(doc, path, pkgs, MAX_VALUES);
    if (n > MAX_VALUES)
        n = MAX_VALUES;
    size_t i;
    const json_t *pf;
    json_array_foreach(list, i, pf)
    {
        for (size_t k = 0; k < n; k++)
            if (json_is_object(pkgs[k]) && package_match(pf, pkgs[k]))
                return true;
    }
    return false;
}

static bool match_member(const member *m, const json_t *list, const json_t *doc)
{
    switch (m->k) {
    case K_STRING: {
        const char *vals[MAX_VALUES];
        size_t n = string_values(doc, m->path, vals, MAX_VALUES);
        return dd_fc_match_strings(list, vals, n);
    }
    case K_DATE:
        return match_range_field(list, doc, m->path, true);
    case K_NUMBER:
        return match_range_field(list, doc, m->path, false);
    case K_MAP: {
        const json_t *tags[16];
        size_t n = dd_fc_values(doc, m->path, tags, 16);
        for (size_t i = 0; i < n && i < 16; i++)
            if (dd_fc_match_map(list, tags[i]))
                return true;
        return false;
    }
    case K_PORT:
        return match_ports(list, doc, m->path);
    case K_PACKAGE:
        return match_packages(list, doc, m->path);
    }
    return false;
}

bool dd_filter_match(const json_t *criteria, const json_t *finding)
{
    if (!json_is_object(criteria))
        return true;
    const char *key;
    const json_t *list;
    json_object_foreach((json_t *)criteria, key, list)
    {
        const member *m = member_find(key);
        if (m == NULL || !json_is_array(list))
            continue;
        if (!match_member(m, list, finding))
            return false;
    }
    return true;
}
