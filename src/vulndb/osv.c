/* OSV importers: OSV JSON (schema 1.x; one advisory object or an array of them per file, as
 * GHSA, Go, Ubuntu, AlmaLinux, Rocky, Bitnami publish) and OSV YAML (the PyPA advisory-database
 * files). YAML is turned into a jansson value with libyaml, then both take the same path. */
#include "vulndb/import.h"
#include "util/alloc.h"
#include "util/limits.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define HEAD_SCAN 4096

/* ---- detection ------------------------------------------------------------------------------- */

static int has_suffix(const char *path, const char *suffix)
{
    size_t n = strlen(path), m = strlen(suffix);
    return n >= m && strcasecmp(path + n - m, suffix) == 0;
}

static int head_has(const uint8_t *head, size_t len, const char *needle)
{
    if (len > HEAD_SCAN)
        len = HEAD_SCAN;
    return memmem(head, len, needle, strlen(needle)) != NULL;
}

/* needle (a YAML key with its colon) at the start of a line of head. */
static int head_has_key(const uint8_t *head, size_t len, const char *key)
{
    if (len > HEAD_SCAN)
        len = HEAD_SCAN;
    size_t m = strlen(key);
    for (size_t i = 0; i + m <= len; i++) {
        if ((i == 0 || head[i - 1] == '\n') && memcmp(head + i, key, m) == 0)
            return 1;
    }
    return 0;
}

static int detect_json(const char *path, const uint8_t *head, size_t len)
{
    return has_suffix(path, ".json") && head_has(head, len, "\"id\"") &&
           (head_has(head, len, "\"affected\"") || head_has(head, len, "\"modified\""));
}

static int detect_yaml(const char *path, const uint8_t *head, size_t len)
{
    return (has_suffix(path, ".yaml") || has_suffix(path, ".yml")) &&
           head_has_key(head, len, "id:") &&
           (head_has_key(head, len, "affected:") || head_has_key(head, len, "modified:"));
}

/* ---- OSV object -> dd_advisory --------------------------------------------------------------- */

static void warn(const dd_import_sink *sink, const char *path, const char *id, const char *msg)
{
    if (sink->warn == NULL)
        return;
    char line[512];
    snprintf(line, sizeof(line), "%s: %s", id != NULL ? id : "(no id)", msg);
    sink->warn(sink->ctx, path, line);
}

static const char *str_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Copies the optional string field key of o into *out. */
static int copy_str(char **out, const json_t *o, const char *key)
{
    const char *s = str_of(o, key);
    if (s == NULL)
        return 0;
    *out = dd_strdup(s);
    return *out == NULL ? DD_ENOMEM : 0;
}

static int copy_strings(dd_strlist *l, const json_t *o, const char *key)
{
    const json_t *arr = json_object_get(o, key);
    size_t i;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && json_string_length(v) > 0) {
            int rc = dd_strlist_push(l, json_string_value(v), json_string_length(v));
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static void get_time(const json_t *o, const char *key, int64_t *out, const dd_import_sink *sink,
                     const char *path, const char *id)
{
    const char *s = str_of(o, key);
    if (s == NULL)
        return;
    if (dd_import_parse_time(s, out) != 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "bad %s time, ignored", key);
        warn(sink, path, id, msg);
        *out = 0;
    }
}

/* Who states the severities of this advisory. */
static const char *severity_source(const char *id)
{
    return strncmp(id, "GHSA-", 5) == 0 ? "ghsa" : "osv";
}

static int add_severities(dd_advisory *a, const json_t *o, const dd_import_sink *sink,
                          const char *path)
{
    const char *src = severity_source(a->id);
    size_t i;
    const json_t *s;
    int rc = 0;
    json_array_foreach(json_object_get(o, "severity"), i, s)
    {
        const char *type = str_of(s, "type"), *score = str_of(s, "score");
        if (type == NULL || score == NULL) {
            warn(sink, path, a->id, "severity without type or score, ignored");
            continue;
        }
        if (strcmp(type, "CVSS_V2") == 0)
            rc = dd_advisory_add_severity(a, DD_SEV_CVSS_V2, src, score);
        else if (strcmp(type, "CVSS_V3") == 0)
            rc = dd_advisory_add_severity(a, DD_SEV_CVSS_V3, src, score);
        else if (strcmp(type, "CVSS_V4") == 0)
            rc = dd_advisory_add_severity(a, DD_SEV_CVSS_V4, src, score);
        else if (strcmp(type, "Ubuntu") == 0)
            rc = dd_advisory_add_severity(a, DD_SEV_VENDOR, "ubuntu", score);
        else
            warn(sink, path, a->id, "unknown severity type, ignored");
        if (rc != 0)
            return rc;
    }
    const char *rating = str_of(json_object_get(o, "database_specific"), "severity");
    if (rating != NULL && rating[0] != '\0')
        rc = dd_advisory_add_severity(a, DD_SEV_VENDOR, src, rating);
    return rc;
}

/* The ranges of an affected entry without GIT ranges, as compact JSON (NULL when none remain);
 * *fixed set when an event fixes. */
static int kept_ranges(char **out, int *fixed, const json_t *ranges, const dd_import_sink *sink,
                       const char *path, const char *id)
{
    *out = NULL;
    int rc = 0;
    json_t *kept = json_array();
    if (kept == NULL)
        return DD_ENOMEM;
    size_t i;
    const json_t *r;
    json_array_foreach(ranges, i, r)
    {
        const char *type = str_of(r, "type");
        const json_t *events = json_object_get(r, "events");
        if (type == NULL || !json_is_array(events)) {
            warn(sink, path, id, "range without type or events, ignored");
            continue;
        }
        if (strcmp(type, "GIT") == 0)
            continue;
        json_t *evs = json_array();
        size_t j;
        const json_t *e;
        int bad = 0;
        json_array_foreach(events, j, e)
        {
            const char *k;
            const json_t *v;
            if (!json_is_object(e) || json_object_size(e) != 1) {
                bad = 1;
                break;
            }
            json_object_foreach((json_t *)e, k, v)
            {
                if (!json_is_string(v))
                    bad = 1;
                else if (strcmp(k, "fixed") == 0)
                    *fixed = 1;
            }
            if (bad || json_array_append(evs, (json_t *)e) != 0) {
                bad = 1;
                break;
            }
        }
        if (bad || json_array_size(evs) == 0) {
            json_decref(evs);
            warn(sink, path, id, "range with malformed events, ignored");
            continue;
        }
        json_t *nr = json_pack("{s:s, s:o}", "type", type, "events", evs);
        if (nr == NULL || json_array_append_new(kept, nr) != 0) {
            rc = DD_ENOMEM;
            goto out;
        }
    }
    if (json_array_size(kept) > 0) {
        char *s = json_dumps(kept, JSON_COMPACT);
        if (s == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        *out = dd_strdup(s);
        free(s);
        if (*out == NULL)
            rc = DD_ENOMEM;
    }
out:
    json_decref(kept);
    return rc;
}

/* Explicit versions as a compact JSON array of strings; NULL when none. */
static int kept_versions(char **out, const json_t *versions)
{
    *out = NULL;
    json_t *kept = json_array();
    if (kept == NULL)
        return DD_ENOMEM;
    size_t i;
    json_t *v;
    int rc = 0;
    json_array_foreach(versions, i, v)
    {
        if (json_is_string(v) && json_array_append(kept, v) != 0) {
            rc = DD_ENOMEM;
            goto out;
        }
    }
    if (json_array_size(kept) > 0) {
        char *s = json_dumps(kept, JSON_COMPACT);
        if (s == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        *out = dd_strdup(s);
        free(s);
        if (*out == NULL)
            rc = DD_ENOMEM;
    }
out:
    json_decref(kept);
    return rc;
}

static int add_affected(dd_advisory *a, const json_t *o, const dd_import_sink *sink,
                        const char *path)
{
    size_t i;
    const json_t *f;
    json_array_foreach(json_object_get(o, "affected"), i, f)
    {
        const json_t *pkg = json_object_get(f, "package");
        const char *eco = str_of(pkg, "ecosystem"), *name = str_of(pkg, "name");
        if (eco == NULL || name == NULL || eco[0] == '\0' || name[0] == '\0') {
            warn(sink, path, a->id, "affected entry without package ecosystem and name, ignored");
            continue;
        }
        char *ranges = NULL, *versions = NULL;
        int fixed = 0;
        int rc = kept_ranges(&ranges, &fixed, json_object_get(f, "ranges"), sink, path, a->id);
        if (rc == 0)
            rc = kept_versions(&versions, json_object_get(f, "versions"));
        if (rc == 0 && (ranges != NULL || versions != NULL)) {
            const char *vsev = str_of(json_object_get(f, "ecosystem_specific"), "severity");
            if (vsev == NULL)
                vsev = str_of(json_object_get(f, "database_specific"), "severity");
            rc = dd_advisory_add_affected(a, eco, name, ranges, versions,
                                          fixed ? DD_FIX_FIXED : DD_FIX_UNKNOWN, vsev);
        }
        dd_free(ranges);
        dd_free(versions);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Converts one OSV object; DD_EINVALID when it is not an advisory (no id). */
static int osv_convert(dd_advisory *a, const json_t *o, const dd_import_sink *sink,
                       const char *path)
{
    int rc;
    const char *id = str_of(o, "id");
    if (!json_is_object(o) || id == NULL || id[0] == '\0')
        return DD_EINVALID;
    if ((rc = copy_str(&a->id, o, "id")) != 0 || (rc = copy_str(&a->summary, o, "summary")) != 0 ||
        (rc = copy_str(&a->details, o, "details")) != 0 ||
        (rc = copy_strings(&a->aliases, o, "aliases")) != 0 ||
        (rc = copy_strings(&a->related, o, "related")) != 0)
        return rc;
    get_time(o, "published", &a->published_ms, sink, path, id);
    get_time(o, "modified", &a->modified_ms, sink, path, id);
    get_time(o, "withdrawn", &a->withdrawn_ms, sink, path, id);
    if ((rc = add_severities(a, o, sink, path)) != 0 || (rc = add_affected(a, o, sink, path)) != 0)
        return rc;
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(o, "references"), i, r)
    {
        const char *url = str_of(r, "url");
        if (url != NULL && url[0] != '\0' && (rc = dd_strlist_push_str(&a->references, url)) != 0)
            return rc;
    }
    return 0;
}

static int import_one(const json_t *o, const dd_import_sink *sink, const char *path, dd_err *err)
{
    dd_advisory a;
    memset(&a, 0, sizeof(a));
    int rc = osv_convert(&a, o, sink, path);
    if (rc == 0)
        rc = sink->put(sink->ctx, &a, err);
    dd_advisory_clear(&a);
    return rc;
}

static int import_value(const json_t *root, const dd_import_sink *sink, const char *path,
                        dd_err *err)
{
    if (json_is_object(root)) {
        int rc = import_one(root, sink, path, err);
        if (rc == DD_EINVALID && err != NULL && err->code == 0)
            dd_err_set_at(err, DD_EINVALID, 0, "osv: not an OSV advisory (no id)");
        return rc;
    }
    if (!json_is_array(root))
        return dd_err_set_at(err, DD_EINVALID, 0, "osv: neither an object nor an array");
    size_t i;
    const json_t *o;
    json_array_foreach(root, i, o)
    {
        int rc = import_one(o, sink, path, err);
        if (rc == DD_EINVALID && (err == NULL || err->code == 0)) {
            char msg[64];
            snprintf(msg, sizeof(msg), "array element %zu is not an advisory, skipped", i);
            warn(sink, path, NULL, msg);
            continue;
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int import_json(const uint8_t *buf, size_t len, const char *path, const dd_import_sink *sink,
                       dd_err *err)
{
    json_error_t jerr;
    json_t *root = json_loadb((const char *)buf, len, JSON_ALLOW_NUL, &jerr);
    if (root == NULL)
        return dd_err_set_at(err, DD_EINVALID, jerr.position > 0 ? (size_t)jerr.position : 0,
                             "osv: %s", jerr.text);
    int rc = import_value(root, sink, path, err);
    json_decref(root);
    return rc;
}

/* ---- YAML -> jansson ------------------------------------------------------------------------- */

/* A plain (unquoted) scalar as JSON: null and booleans by the YAML core schema, everything else a
 * string (versions such as 1.10 must stay text). */
static json_t *plain_scalar(const char *s, size_t len)
{
    if (len == 0 || (len == 1 && s[0] == '~') ||
        (len == 4 &&
         (memcmp(s, "null", 4) == 0 || memcmp(s, "Null", 4) == 0 || memcmp(s, "NULL", 4) == 0)))
        return json_null();
    if (len == 4 && (memcmp(s, "true", 4) == 0 || memcmp(s, "True", 4) == 0))
        return json_true();
    if (len == 5 && (memcmp(s, "false", 5) == 0 || memcmp(s, "False", 5) == 0))
        return json_false();
    return json_stringn_nocheck(s, len);
}

typedef struct yframe {
    json_t *v;
    char *key; /* pending key of a mapping */
} yframe;

/* Parses the first document of a YAML file into *out. */
static int yaml_to_json(json_t **out, const uint8_t *buf, size_t len, dd_err *err)
{
    *out = NULL;
    yaml_parser_t p;
    yaml_event_t ev;
    yframe stack[DD_LIMIT_JSON_DEPTH + 1];
    int depth = 0, rc = 0, done = 0;
    json_t *root = NULL;
    memset(stack, 0, sizeof(stack));
    if (!yaml_parser_initialize(&p))
        return DD_ENOMEM;
    yaml_parser_set_input_string(&p, buf, len);
    while (!done) {
        if (!yaml_parser_parse(&p, &ev)) {
            rc = dd_err_set_at(err, DD_EINVALID, p.problem_offset, "yaml: %s",
                               p.problem != NULL ? p.problem : "syntax error");
            goto out;
        }
        json_t *val = NULL;
        int push = 0;
        switch (ev.type) {
        case YAML_DOCUMENT_END_EVENT:
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_ALIAS_EVENT:
            rc = dd_err_set_at(err, DD_EINVALID, ev.start_mark.index, "yaml: aliases not allowed");
            break;
        case YAML_SCALAR_EVENT: {
            const char *s = (const char *)ev.data.scalar.value;
            size_t n = ev.data.scalar.length;
            if (depth > 0 && json_is_object(stack[depth - 1].v) && stack[depth - 1].key == NULL) {
                stack[depth - 1].key = dd_strndup(s, n);
                if (stack[depth - 1].key == NULL)
                    rc = DD_ENOMEM;
                break;
            }
            val = ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE ? plain_scalar(s, n)
                                                                  : json_stringn_nocheck(s, n);
            if (val == NULL)
                rc = DD_ENOMEM;
            break;
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            val = ev.type == YAML_SEQUENCE_START_EVENT ? json_array() : json_object();
            push = 1;
            if (val == NULL)
                rc = DD_ENOMEM;
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            if (depth > 0) {
                depth--;
                dd_free(stack[depth].key);
                stack[depth].key = NULL;
                json_decref(stack[depth].v); /* the parent (or root) holds a reference */
                stack[depth].v = NULL;
            }
            break;
        default:
            break;
        }
        if (rc == 0 && val != NULL) {
            if (depth > 0 && json_is_object(stack[depth - 1].v) && stack[depth - 1].key == NULL) {
                rc = dd_err_set_at(err, DD_EINVALID, ev.start_mark.index,
                                   "yaml: mapping key is not a scalar");
            } else if (depth > 0 && json_is_object(stack[depth - 1].v)) {
                if (json_object_set(stack[depth - 1].v, stack[depth - 1].key, val) != 0)
                    rc = DD_ENOMEM;
                dd_free(stack[depth - 1].key);
                stack[depth - 1].key = NULL;
            } else if (depth > 0) {
                if (json_array_append(stack[depth - 1].v, val) != 0)
                    rc = DD_ENOMEM;
            } else if (root == NULL) {
                root = json_incref(val);
            }
            if (rc == 0 && push) {
                if (depth >= DD_LIMIT_JSON_DEPTH) {
                    rc = dd_err_set_at(err, DD_EINVALID, ev.start_mark.index,
                                       "yaml: nested too deeply");
                } else {
                    stack[depth].v = json_incref(val);
                    stack[depth].key = NULL;
                    depth++;
                }
            }
            json_decref(val);
        }
        yaml_event_delete(&ev);
        if (rc != 0)
            goto out;
    }
    if (root == NULL) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "yaml: empty document");
        goto out;
    }
    *out = root;
    root = NULL;
out:
    while (depth > 0) {
        depth--;
        dd_free(stack[depth].key);
        json_decref(stack[depth].v);
    }
    json_decref(root);
    yaml_parser_delete(&p);
    return rc;
}

static int import_yaml(const uint8_t *buf, size_t len, const char *path, const dd_import_sink *sink,
                       dd_err *err)
{
    json_t *root = NULL;
    int rc = yaml_to_json(&root, buf, len, err);
    if (rc != 0)
        return rc;
    rc = import_value(root, sink, path, err);
    json_decref(root);
    return rc;
}

const dd_importer dd_importer_osv_json = {"osv-json", "osv", detect_json, import_json};
const dd_importer dd_importer_osv_yaml = {"osv-yaml", "osv", detect_yaml, import_yaml};
