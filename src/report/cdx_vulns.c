/* The CycloneDX 1.5 "vulnerabilities" section of a scan's BOM: one entry per vulnerability id
 * among the shown findings, affecting every package it was found in (the components' bom-refs
 * "pkg-<i>" of report.c), with its aliases as references, one rating per CVSS vector plus the
 * severity drydock chose, advisories from its reference URLs and an upgrade recommendation.
 * Also the helpers it shares with sarif.c (internal.h). */
#include "report/internal.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/utf8.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool dd_report_shown(const dd_scan_report *r, size_t i)
{
    return r->shown == NULL || r->shown[i] != 0;
}

json_t *dd_report_text(const char *s)
{
    if (s == NULL)
        return NULL;
    json_t *v = json_string(s);
    if (v == NULL) { /* ill-formed UTF-8 (or no memory, in which case this fails too) */
        char *c = dd_utf8_sanitize(s, false);
        if (c != NULL)
            v = json_string(c);
        dd_free(c);
    }
    return v;
}

typedef struct id_db {
    const char *prefix;
    const char *name;
    const char *url; /* the id is appended */
} id_db;

static const id_db id_dbs[] = {
    {"CVE-", "NVD", "https://nvd.nist.gov/vuln/detail/"},
    {"GHSA-", "GitHub Advisories", "https://github.com/advisories/"},
    {"DSA-", "Debian", "https://security-tracker.debian.org/tracker/"},
    {"DLA-", "Debian", "https://security-tracker.debian.org/tracker/"},
    {"GO-", "Go Vulnerability Database", "https://pkg.go.dev/vuln/"},
    {"RUSTSEC-", "RustSec", "https://rustsec.org/advisories/"},
    {"PYSEC-", "PyPA", "https://osv.dev/vulnerability/"},
};

static const id_db *find_db(const char *id)
{
    for (size_t i = 0; id != NULL && i < sizeof(id_dbs) / sizeof(id_dbs[0]); i++)
        if (strncmp(id, id_dbs[i].prefix, strlen(id_dbs[i].prefix)) == 0)
            return &id_dbs[i];
    return NULL;
}

const char *dd_report_id_source(const char *id)
{
    const id_db *d = find_db(id);
    return d ? d->name : NULL;
}

/* Letters, digits and "-_.:" only, at most 128 bytes: safe in a URL path as it is. */
static bool url_safe_id(const char *id)
{
    size_t n = 0;
    for (const char *p = id; *p != '\0'; p++, n++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == ':';
        if (!ok || n >= 128)
            return false;
    }
    return n > 0;
}

int dd_report_id_url(char **out, const char *id)
{
    const id_db *d = find_db(id);
    *out = NULL;
    if (d == NULL || !url_safe_id(id))
        return 0;
    *out = dd_asprintf("%s%s", d->url, id);
    return *out != NULL ? 0 : DD_ENOMEM;
}

bool dd_report_is_http_url(const char *s)
{
    size_t skip;
    if (s == NULL)
        return false;
    if (strncasecmp(s, "https://", 8) == 0)
        skip = 8;
    else if (strncasecmp(s, "http://", 7) == 0)
        skip = 7;
    else
        return false;
    if (s[skip] == '\0' || s[skip] == '/')
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<' || *p == '>' || *p == '\\')
            return false;
    return true;
}

/* ---- building ------------------------------------------------------------------------------ */

/* Each setter records an allocation failure in *rc (a NULL value counts as one) and takes the
 * value's reference either way. */
static void put(json_t *o, const char *key, json_t *v, int *rc)
{
    if (v == NULL || json_object_set_new(o, key, v) != 0)
        *rc = DD_ENOMEM;
}

static void push(json_t *a, json_t *v, int *rc)
{
    if (v == NULL || json_array_append_new(a, v) != 0)
        *rc = DD_ENOMEM;
}

static void put_text(json_t *o, const char *key, const char *s, int *rc)
{
    if (s != NULL)
        put(o, key, dd_report_text(s), rc);
}

static const char *cdx_severity(dd_sev_level l)
{
    switch (l) {
    case DD_SEVL_CRITICAL:
        return "critical";
    case DD_SEVL_HIGH:
        return "high";
    case DD_SEVL_MEDIUM:
        return "medium";
    case DD_SEVL_LOW:
        return "low";
    case DD_SEVL_NEGLIGIBLE:
        return "info";
    case DD_SEVL_UNKNOWN:
        break;
    }
    return "unknown";
}

/* The CVSS rating as CycloneDX spells it: the word vulndb computed, else the score's band. */
static const char *cvss_severity(const dd_severity *s)
{
    static const char *const words[] = {"critical", "high", "medium", "low", "none"};
    for (size_t i = 0; s->rating != NULL && i < sizeof(words) / sizeof(words[0]); i++)
        if (strcasecmp(s->rating, words[i]) == 0)
            return words[i];
    if (s->score < 0)
        return "unknown";
    if (s->score == 0.0)
        return "none";
    return s->score < 4.0   ? "low"
           : s->score < 7.0 ? "medium"
           : s->score < 9.0 ? "high"
                            : "critical";
}

static const char *cvss_method(const dd_severity *s)
{
    switch (s->type) {
    case DD_SEV_CVSS_V2:
        return "CVSSv2";
    case DD_SEV_CVSS_V3:
        return s->vector != NULL && strncmp(s->vector, "CVSS:3.1/", 9) == 0 ? "CVSSv31" : "CVSSv3";
    case DD_SEV_CVSS_V4:
        return "CVSSv4";
    case DD_SEV_VENDOR:
        break;
    }
    return "other";
}

/* The source part of the advisory "source:id" that named id, else of the first advisory; NULL
 * when there is none. *len_out gets its length. */
static const char *advisory_source(const dd_finding *f, const char *id, size_t *len_out)
{
    const char *first = NULL;
    size_t first_len = 0;
    for (size_t i = 0; i < f->advisories.n; i++) {
        const char *a = f->advisories.items[i];
        const char *colon = strchr(a, ':');
        if (colon == NULL || colon == a)
            continue;
        if (strcmp(colon + 1, id) == 0) {
            *len_out = (size_t)(colon - a);
            return a;
        }
        if (first == NULL) {
            first = a;
            first_len = (size_t)(colon - a);
        }
    }
    *len_out = first_len;
    return first;
}

/* {name, url} for a vulnerability id: the well-known database for its prefix, else the advisory
 * source that reported it, else the prefix of the id itself. */
static json_t *source_json(const dd_finding *f, const char *id, int *rc)
{
    json_t *s = json_object();
    char *url = NULL;
    if (s == NULL) {
        *rc = DD_ENOMEM;
        return NULL;
    }
    const char *name = dd_report_id_source(id);
    if (name != NULL) {
        put(s, "name", json_string(name), rc);
    } else {
        size_t n = 0;
        const char *src = advisory_source(f, id, &n);
        if (src == NULL) {
            src = id;
            const char *dash = strchr(id, '-');
            n = dash != NULL && dash != id ? (size_t)(dash - id) : strlen(id);
        }
        char *c = dd_strndup(src, n);
        put(s, "name", dd_report_text(c), rc);
        dd_free(c);
    }
    if (dd_report_id_url(&url, id) != 0)
        *rc = DD_ENOMEM;
    if (url != NULL)
        put(s, "url", json_string(url), rc);
    dd_free(url);
    return s;
}

static json_t *ratings_json(const dd_finding *f, int *rc)
{
    json_t *a = json_array();
    if (a == NULL) {
        *rc = DD_ENOMEM;
        return NULL;
    }
    for (size_t k = 0; k < f->n_cvss; k++) {
        const dd_severity *s = &f->cvss[k];
        json_t *o = json_object();
        if (o == NULL) {
            *rc = DD_ENOMEM;
            break;
        }
        if (s->source != NULL) {
            json_t *src = json_object();
            if (src != NULL && strcasecmp(s->source, "nvd") == 0)
                put(src, "name", json_string("NVD"), rc);
            else if (src != NULL)
                put_text(src, "name", s->source, rc);
            put(o, "source", src, rc);
        }
        if (s->score >= 0)
            put(o, "score", json_real(s->score), rc);
        put(o, "severity", json_string(cvss_severity(s)), rc);
        put(o, "method", json_string(cvss_method(s)), rc);
        put_text(o, "vector", s->vector, rc);
        push(a, o, rc);
    }
    /* the severity drydock reports (distro rating, else the best CVSS score's band) */
    json_t *o = json_object();
    if (o != NULL) {
        put(o, "severity", json_string(cdx_severity(f->severity)), rc);
        put(o, "method", json_string("other"), rc);
        if (f->severity_source != NULL) {
            json_t *src = json_object();
            if (src != NULL)
                put_text(src, "name", f->severity_source, rc);
            put(o, "source", src, rc);
        }
    }
    push(a, o, rc);
    return a;
}

/* Aliases as references to the same vulnerability in other databases. */
static json_t *references_json(const dd_finding *f, int *rc)
{
    json_t *a = json_array();
    if (a == NULL) {
        *rc = DD_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < f->aliases.n; i++) {
        const char *alias = f->aliases.items[i];
        if (alias[0] == '\0' || strcmp(alias, f->id) == 0)
            continue;
        json_t *o = json_object();
        if (o != NULL) {
            put(o, "id", dd_report_text(alias), rc);
            put(o, "source", source_json(f, alias, rc), rc);
        }
        push(a, o, rc);
    }
    return a;
}

static json_t *advisories_json(const dd_finding *f, int *rc)
{
    json_t *a = json_array();
    if (a == NULL) {
        *rc = DD_ENOMEM;
        return NULL;
    }
    for (size_t i = 0; i < f->references.n; i++)
        if (dd_report_is_http_url(f->references.items[i]))
            push(a, json_pack("{s:s}", "url", f->references.items[i]), rc);
    return a;
}

static void put_time(json_t *o, const char *key, int64_t ms, int *rc)
{
    char ts[40];
    if (ms <= 0)
        return;
    dd_time_format_rfc3339(ts, sizeof(ts), ms);
    put(o, key, json_string(ts), rc);
}

/* A new vulnerability entry for the first shown finding f with this id. */
static json_t *vuln_json(const dd_finding *f, size_t n, int *rc)
{
    char ref[32];
    json_t *v = json_object();
    if (v == NULL) {
        *rc = DD_ENOMEM;
        return NULL;
    }
    snprintf(ref, sizeof(ref), "vuln-%zu", n);
    put(v, "bom-ref", json_string(ref), rc);
    put(v, "id", dd_report_text(f->id), rc);
    put(v, "source", source_json(f, f->id, rc), rc);
    json_t *refs = references_json(f, rc);
    if (refs != NULL && json_array_size(refs) > 0)
        put(v, "references", refs, rc);
    else
        json_decref(refs);
    put(v, "ratings", ratings_json(f, rc), rc);
    put_text(v, "description", f->description != NULL ? f->description : f->title, rc);
    json_t *adv = advisories_json(f, rc);
    if (adv != NULL && json_array_size(adv) > 0)
        put(v, "advisories", adv, rc);
    else
        json_decref(adv);
    put_time(v, "published", f->published_ms, rc);
    put_time(v, "updated", f->modified_ms, rc);
    put(v, "affects", json_array(), rc);
    return v;
}

/* Adds f's package to v's affects (once per package) and its fix to the recommendation text. */
static void add_affected(json_t *v, const dd_finding *f, dd_buf *rec, size_t *n_fixed,
                         const char **last_fixed, bool *same_fix, const dd_scan_report *r, int *rc)
{
    char ref[32];
    json_t *affects = json_object_get(v, "affects");
    size_t i;
    json_t *e;
    snprintf(ref, sizeof(ref), "pkg-%zu", f->pkg);
    json_array_foreach(affects, i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "ref")), ref) == 0)
            return;
    }
    json_t *a = json_pack("{s:s}", "ref", ref);
    if (a != NULL && f->installed != NULL && f->installed[0] != '\0') {
        json_t *ver = json_object();
        if (ver != NULL) {
            put(ver, "version", dd_report_text(f->installed), rc);
            put(ver, "status", json_string("affected"), rc);
        }
        json_t *vers = json_array();
        push(vers, ver, rc);
        put(a, "versions", vers, rc);
    }
    push(affects, a, rc);
    if (f->fixed_version == NULL || f->fixed_version[0] == '\0')
        return;
    const char *name = f->pkg < r->inv->pkgs.n ? r->inv->pkgs.items[f->pkg].name : "?";
    if (*last_fixed != NULL && strcmp(*last_fixed, f->fixed_version) != 0)
        *same_fix = false;
    *last_fixed = f->fixed_version;
    int e2 = dd_buf_printf(rec, "%s%s to %s", *n_fixed ? ", " : "", name, f->fixed_version);
    if (e2 == DD_ENOMEM)
        *rc = DD_ENOMEM; /* DD_ELIMIT: the text is long enough as it is */
    (*n_fixed)++;
}

typedef struct group {
    json_t *v;
    dd_buf rec; /* "name to fixed, name2 to fixed2" */
    size_t n_fixed;
    const char *last_fixed;
    bool same_fix;
} group;

int dd_report_cyclonedx_vulns(json_t *bom, const dd_scan_report *r)
{
    const dd_match_result *m = r->findings;
    int rc = 0;
    json_t *vulns = NULL, *index = NULL;
    group *groups = NULL;
    size_t n_groups = 0;
    if (m == NULL)
        return 0;
    vulns = json_array();
    index = json_object(); /* id -> group number */
    groups = m->n ? dd_calloc(m->n, sizeof(*groups)) : NULL;
    if (vulns == NULL || index == NULL || (m->n && groups == NULL)) {
        rc = DD_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < m->n && rc == 0; i++) {
        const dd_finding *f = &m->items[i];
        if (!dd_report_shown(r, i) || f->id == NULL)
            continue;
        json_t *gi = json_object_get(index, f->id);
        group *g;
        if (gi != NULL) {
            g = &groups[json_integer_value(gi)];
        } else {
            g = &groups[n_groups];
            dd_buf_init(&g->rec, 4096);
            g->same_fix = true;
            g->v = vuln_json(f, n_groups, &rc);
            if (json_object_set_new_nocheck(index, f->id, json_integer((json_int_t)n_groups)) != 0)
                rc = DD_ENOMEM;
            n_groups++;
            push(vulns, json_incref(g->v), &rc);
        }
        if (g->v != NULL)
            add_affected(g->v, f, &g->rec, &g->n_fixed, &g->last_fixed, &g->same_fix, r, &rc);
    }
    for (size_t k = 0; k < n_groups && rc == 0; k++) {
        group *g = &groups[k];
        char *text = NULL;
        if (g->n_fixed == 0)
            continue;
        if (g->same_fix && g->n_fixed == json_array_size(json_object_get(g->v, "affects")))
            text = dd_asprintf("Upgrade to %s", g->last_fixed);
        else
            text = dd_asprintf("Upgrade %s", g->rec.data ? g->rec.data : "");
        put_text(g->v, "recommendation", text, &rc);
        if (text == NULL)
            rc = DD_ENOMEM;
        dd_free(text);
    }
    if (rc == 0 && json_object_set(bom, "vulnerabilities", vulns) != 0)
        rc = DD_ENOMEM;
out:
    for (size_t k = 0; k < n_groups; k++) {
        json_decref(groups[k].v);
        dd_buf_free(&groups[k].rec);
    }
    dd_free(groups);
    json_decref(index);
    json_decref(vulns);
    return rc;
}
