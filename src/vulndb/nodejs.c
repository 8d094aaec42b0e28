/* Importer for the Node.js security working group's npm advisories (nodejs/security-wg
 * vuln/npm/<id>.json, read with jansson). Their vulnerable_versions are npm semver ranges; they
 * are converted here into OSV SEMVER ranges (one range per "||" alternative). The range grammar
 * (comparators, x-ranges, ~, ^, hyphen ranges) is small, so it is parsed by hand. */
#include "vulndb/import.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#define JSON_OUT_MAX (64u * 1024u)
#define RANGE_MAX 4096 /* longest vulnerable_versions accepted */
#define VER_MAX 160
#define NUM_MAX 1000000000000000ull /* numeric parts above this are refused (room for +1) */
#define SETS_MAX 64

/* A version as written in a range: up to three numeric parts (n given, the rest wildcards)
 * and a prerelease (only with all three parts). */
typedef struct partial {
    int n;
    uint64_t num[3];
    char pre[VER_MAX];
} partial;

/* One side of an interval: a version text, inclusive or not. */
typedef struct bound {
    int set;
    int incl;
    char v[VER_MAX + 64];
} bound;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses s[0..len) as a partial version ("1", "1.2.x", "v1.2.3-rc.1+build"). */
static int parse_partial(const char *s, size_t len, partial *p)
{
    size_t i = 0;
    memset(p, 0, sizeof(*p));
    if (i < len && (s[i] == 'v' || s[i] == 'V' || s[i] == '='))
        i++;
    int wild = 0;
    for (int part = 0; part < 3; part++) {
        if (i >= len)
            break;
        if (s[i] == 'x' || s[i] == 'X' || s[i] == '*') {
            wild = 1;
            i++;
        } else {
            if (!is_digit(s[i]) || (s[i] == '0' && i + 1 < len && is_digit(s[i + 1])))
                return 0;
            uint64_t v = 0;
            while (i < len && is_digit(s[i])) {
                v = v * 10 + (uint64_t)(s[i] - '0');
                if (v > NUM_MAX)
                    return 0;
                i++;
            }
            if (wild)
                return 0; /* "1.x.3" */
            p->num[part] = v;
            p->n = part + 1;
        }
        if (i < len && s[i] == '.' && part < 2) {
            i++;
            if (i >= len)
                return 0;
        } else {
            break;
        }
    }
    if (i < len && s[i] == '-') {
        if (p->n < 3)
            return 0;
        size_t st = ++i;
        while (i < len && s[i] != '+') {
            char c = s[i];
            if (!(is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' ||
                  c == '.'))
                return 0;
            i++;
        }
        if (i == st || i - st >= sizeof(p->pre) || s[st] == '.' || s[i - 1] == '.')
            return 0;
        memcpy(p->pre, s + st, i - st);
        p->pre[i - st] = '\0';
    }
    if (i < len && s[i] == '+') {
        if (p->n < 3 || i + 1 >= len)
            return 0;
        i = len; /* build metadata has no precedence */
    }
    return i == len;
}

/* Writes M.m.p (missing parts 0) with an optional suffix ("-0", "-pre"). */
static void fmt_ver(bound *b, uint64_t M, uint64_t m, uint64_t p, const char *pre, int incl)
{
    b->set = 1;
    b->incl = incl;
    if (pre != NULL && pre[0] != '\0')
        snprintf(b->v, sizeof(b->v), "%" PRIu64 ".%" PRIu64 ".%" PRIu64 "-%s", M, m, p, pre);
    else
        snprintf(b->v, sizeof(b->v), "%" PRIu64 ".%" PRIu64 ".%" PRIu64, M, m, p);
}

/* The first version above everything the partial matches ("1.2" -> "1.3.0-0"). */
static void above(bound *b, const partial *p)
{
    if (p->n == 1)
        fmt_ver(b, p->num[0] + 1, 0, 0, "0", 0);
    else
        fmt_ver(b, p->num[0], p->num[1] + 1, 0, "0", 0);
}

/* Applies one comparator (op, version) to the interval lo..hi. Returns 0 when unsupported or
 * when the set would need two bounds on one side. */
static int apply(const char *op, size_t op_len, const partial *p, bound *lo, bound *hi)
{
    bound l = {0}, h = {0};
#define OP(s) (op_len == sizeof(s) - 1 && memcmp(op, s, op_len) == 0)
    if (p->n == 0) {
        /* "*", "x", ">=*": anything; "<*", ">*": nothing (refused) */
        if (!(op_len == 0 || OP("=") || OP(">=") || OP("<=") || OP("~") || OP("^")))
            return 0;
    } else if (op_len == 0 || OP("=")) {
        if (p->n == 3) {
            fmt_ver(&l, p->num[0], p->num[1], p->num[2], p->pre, 1);
            h = l;
        } else {
            fmt_ver(&l, p->num[0], p->num[1], 0, NULL, 1);
            above(&h, p);
        }
    } else if (OP(">=")) {
        fmt_ver(&l, p->num[0], p->num[1], p->num[2], p->pre, 1);
    } else if (OP(">")) {
        /* OSV has no exclusive lower bound: use the next version. For SemVer the smallest
         * version above M.m.p is M.m.(p+1)-0, above M.m.p-pre it is M.m.p-pre.0. */
        if (p->n == 3 && p->pre[0] == '\0')
            fmt_ver(&l, p->num[0], p->num[1], p->num[2] + 1, "0", 1);
        else if (p->n == 3) {
            char pre[VER_MAX + 8];
            snprintf(pre, sizeof(pre), "%s.0", p->pre);
            fmt_ver(&l, p->num[0], p->num[1], p->num[2], pre, 1);
        } else if (p->n == 2)
            fmt_ver(&l, p->num[0], p->num[1] + 1, 0, NULL, 1);
        else
            fmt_ver(&l, p->num[0] + 1, 0, 0, NULL, 1);
    } else if (OP("<")) {
        if (p->n == 3)
            fmt_ver(&h, p->num[0], p->num[1], p->num[2], p->pre, 0);
        else
            fmt_ver(&h, p->num[0], p->num[1], 0, "0", 0);
    } else if (OP("<=")) {
        if (p->n == 3)
            fmt_ver(&h, p->num[0], p->num[1], p->num[2], p->pre, 1);
        else
            above(&h, p);
    } else if (OP("~") || OP("~>")) {
        fmt_ver(&l, p->num[0], p->num[1], p->num[2], p->pre, 1);
        if (p->n == 1)
            above(&h, p);
        else
            fmt_ver(&h, p->num[0], p->num[1] + 1, 0, "0", 0);
    } else if (OP("^")) {
        fmt_ver(&l, p->num[0], p->num[1], p->num[2], p->pre, 1);
        if (p->num[0] > 0 || p->n == 1)
            fmt_ver(&h, p->num[0] + 1, 0, 0, "0", 0);
        else if (p->num[1] > 0 || p->n == 2)
            fmt_ver(&h, 0, p->num[1] + 1, 0, "0", 0);
        else
            fmt_ver(&h, 0, 0, p->num[2] + 1, "0", 0);
    } else {
        return 0;
    }
#undef OP
    if ((l.set && lo->set) || (h.set && hi->set))
        return 0; /* two bounds on one side: would need a version comparison; refused */
    if (l.set)
        *lo = l;
    if (h.set)
        *hi = h;
    return 1;
}

static int is_sp(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses one comparator set s[0..len) into lo/hi. */
static int parse_set(const char *s, size_t len, bound *lo, bound *hi)
{
    size_t i = 0;
    int any = 0;
    memset(lo, 0, sizeof(*lo));
    memset(hi, 0, sizeof(*hi));
    for (;;) {
        while (i < len && is_sp(s[i]))
            i++;
        if (i >= len)
            break;
        size_t os = i;
        while (i < len && (s[i] == '<' || s[i] == '>' || s[i] == '=' || s[i] == '~' || s[i] == '^'))
            i++;
        size_t ol = i - os;
        while (i < len && is_sp(s[i]))
            i++;
        size_t vs = i;
        while (i < len && !is_sp(s[i]))
            i++;
        partial p;
        if (vs == i || !parse_partial(s + vs, i - vs, &p))
            return 0;
        /* hyphen range "A - B" */
        size_t j = i;
        while (j < len && is_sp(s[j]))
            j++;
        if (ol == 0 && j + 1 < len && s[j] == '-' && is_sp(s[j + 1])) {
            j++;
            while (j < len && is_sp(s[j]))
                j++;
            size_t bs = j;
            while (j < len && !is_sp(s[j]))
                j++;
            partial q;
            if (bs == j || !parse_partial(s + bs, j - bs, &q))
                return 0;
            if (!apply(">=", 2, &p, lo, hi) || !apply("<=", 2, &q, lo, hi))
                return 0;
            i = j;
        } else if (!apply(s + os, ol, &p, lo, hi)) {
            return 0;
        }
        any = 1;
    }
    return any;
}

static int append_event(dd_buf *b, const char *kind, const char *v)
{
    return dd_buf_printf(b, ",{\"%s\":\"%s\"}", kind, v);
}

/* Converts an npm range into OSV SEMVER ranges JSON; DD_EINVALID when unsupported. */
static int npm_range_to_osv(char **out, const char *range)
{
    dd_buf b = DD_BUF_INIT(JSON_OUT_MAX);
    int rc = 0, n_sets = 0;
    size_t len = strlen(range);
    *out = NULL;
    if (len == 0 || len > RANGE_MAX)
        return DD_EINVALID;
    if ((rc = dd_buf_append_str(&b, "[")) != 0)
        goto out;
    size_t i = 0;
    while (i <= len) {
        const char *bar = strstr(range + i, "||");
        size_t end = bar ? (size_t)(bar - range) : len;
        bound lo, hi;
        if (!parse_set(range + i, end - i, &lo, &hi) || ++n_sets > SETS_MAX) {
            rc = DD_EINVALID;
            goto out;
        }
        if ((rc = dd_buf_printf(&b, "%s{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"%s\"}",
                                n_sets > 1 ? "," : "", lo.set ? lo.v : "0")) != 0)
            goto out;
        if (hi.set && (rc = append_event(&b, hi.incl ? "last_affected" : "fixed", hi.v)) != 0)
            goto out;
        if ((rc = dd_buf_append_str(&b, "]}")) != 0)
            goto out;
        i = end + 2;
    }
    if ((rc = dd_buf_append_str(&b, "]")) != 0)
        goto out;
    *out = dd_buf_take(&b);
    if (*out == NULL)
        rc = DD_ENOMEM;
out:
    dd_buf_free(&b);
    return rc;
}

/* ---- the record ---------------------------------------------------------------------------- */

static void warn(const dd_import_sink *sink, const char *path, const char *msg)
{
    if (sink->warn != NULL)
        sink->warn(sink->ctx, path, msg);
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int text_ok(const char *s, size_t max)
{
    size_t len = strlen(s);
    if (len == 0 || len > max)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

static int set_time(json_t *o, const char *key, int64_t *ms)
{
    const char *s = jstr(o, key);
    int64_t t;
    if (s != NULL && dd_import_parse_time(s, &t) == 0) {
        *ms = t;
        return 1;
    }
    return 0;
}

static int nodejs_detect(const char *path, const uint8_t *head, size_t head_len)
{
    if (path != NULL) {
        size_t n = strlen(path);
        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        if (n < 5 || strcmp(path + n - 5, ".json") != 0 || strcmp(base, "index.json") == 0)
            return 0;
    }
    return memmem(head, head_len, "\"module_name\"", 13) != NULL &&
           (memmem(head, head_len, "\"vulnerable_versions\"", 21) != NULL ||
            memmem(head, head_len, "\"cves\"", 6) != NULL);
}

static int nodejs_import(const uint8_t *buf, size_t len, const char *path,
                         const dd_import_sink *sink, dd_err *err)
{
    int rc = 0;
    dd_advisory a;
    memset(&a, 0, sizeof(a));
    char *ranges = NULL, *nswg = NULL;
    json_error_t jerr;
    json_t *root = json_loadb((const char *)buf, len, 0, &jerr);
    if (root == NULL) {
        rc = dd_err_set_at(err, DD_EINVALID, (size_t)jerr.position, "nodejs-security-wg: %s",
                           jerr.text);
        goto out;
    }
    if (!json_is_object(root) || json_object_get(root, "module_name") == NULL) {
        rc = dd_err_set(err, DD_EINVALID, "nodejs-security-wg: not an advisory object");
        goto out;
    }
    const char *module = jstr(root, "module_name");
    const char *vulnerable = jstr(root, "vulnerable_versions");
    json_t *idv = json_object_get(root, "id");
    if (module == NULL || !text_ok(module, 214)) {
        warn(sink, path, "nodejs-security-wg: bad module_name, record skipped");
        goto out;
    }
    if (json_is_integer(idv) && json_integer_value(idv) >= 0)
        nswg = dd_asprintf("NSWG-ECO-%" JSON_INTEGER_FORMAT, json_integer_value(idv));
    else if (json_is_string(idv) && text_ok(json_string_value(idv), 32))
        nswg = dd_asprintf("NSWG-ECO-%s", json_string_value(idv));
    else {
        warn(sink, path, "nodejs-security-wg: bad id, record skipped");
        goto out;
    }
    if (nswg == NULL)
        goto nomem;
    if (vulnerable == NULL || (rc = npm_range_to_osv(&ranges, vulnerable)) != 0) {
        if (rc == DD_ENOMEM)
            goto nomem;
        rc = 0;
        warn(sink, path, "nodejs-security-wg: unsupported vulnerable_versions, record skipped");
        goto out;
    }
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(root, "cves"), i, v)
    {
        const char *c = json_is_string(v) ? json_string_value(v) : NULL;
        if (c == NULL || !text_ok(c, 64)) {
            warn(sink, path, "nodejs-security-wg: bad CVE id ignored");
            continue;
        }
        if (a.id == NULL) {
            if ((a.id = dd_strdup(c)) == NULL)
                goto nomem;
        } else if (dd_strlist_push_str(&a.aliases, c) != 0) {
            goto nomem;
        }
    }
    if (a.id == NULL) {
        a.id = nswg;
        nswg = NULL;
    } else if (dd_strlist_push_str(&a.aliases, nswg) != 0) {
        goto nomem;
    }
    const char *title = jstr(root, "title"), *overview = jstr(root, "overview");
    if ((title && title[0] && (a.summary = dd_strdup(title)) == NULL) ||
        (overview && overview[0] && (a.details = dd_strdup(overview)) == NULL))
        goto nomem;
    /* some records carry "publish_date": "1970-01-01" as a placeholder */
    if (!set_time(root, "publish_date", &a.published_ms) || a.published_ms == 0)
        set_time(root, "created_at", &a.published_ms);
    set_time(root, "updated_at", &a.modified_ms);
    const char *vec = jstr(root, "cvss_vector");
    if (vec != NULL && vec[0] != '\0') {
        dd_sev_type t = strncmp(vec, "CVSS:4", 6) == 0   ? DD_SEV_CVSS_V4
                        : strncmp(vec, "CVSS:3", 6) == 0 ? DD_SEV_CVSS_V3
                                                         : DD_SEV_CVSS_V2;
        if (dd_advisory_add_severity(&a, t, "nodejs-security-wg", vec) != 0)
            goto nomem;
    }
    json_array_foreach(json_object_get(root, "references"), i, v)
    {
        if (json_is_string(v) && text_ok(json_string_value(v), 2048) &&
            dd_strlist_push_str(&a.references, json_string_value(v)) != 0)
            goto nomem;
    }
    dd_fix_state st = strstr(ranges, "{\"fixed\":") ? DD_FIX_FIXED : DD_FIX_UNKNOWN;
    if (dd_advisory_add_affected(&a, "npm", module, ranges, NULL, st, NULL) != 0)
        goto nomem;
    rc = sink->put(sink->ctx, &a, err);
    goto out;
nomem:
    rc = dd_err_set(err, DD_ENOMEM, "nodejs-security-wg: out of memory");
out:
    dd_free(ranges);
    dd_free(nswg);
    dd_advisory_clear(&a);
    json_decref(root);
    return rc;
}

const dd_importer dd_importer_nodejs_wg = {
    "nodejs-security-wg",
    "nodejs-security-wg",
    nodejs_detect,
    nodejs_import,
};
