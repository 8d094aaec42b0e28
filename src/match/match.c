/* Inventory x vulnerability DB -> findings: candidate lookup per package, OSV range evaluation
 * with each ecosystem's comparator, one finding per (package, vulnerability), severity choice. */
#include "match/match.h"
#include "inventory/purl.h"
#include "util/alloc.h"
#include "version/version.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const sev_names[] = {"UNKNOWN", "NEGLIGIBLE", "LOW",
                                        "MEDIUM",  "HIGH",       "CRITICAL"};

const char *dd_sev_level_name(dd_sev_level l)
{
    return (unsigned)l <= DD_SEVL_CRITICAL ? sev_names[l] : "UNKNOWN";
}

int dd_sev_level_parse(const char *s)
{
    for (int i = 0; i <= DD_SEVL_CRITICAL; i++)
        if (strcasecmp(s, sev_names[i]) == 0)
            return i;
    if (strcasecmp(s, "MODERATE") == 0 || strcasecmp(s, "IMPORTANT") == 0)
        return strcasecmp(s, "MODERATE") == 0 ? DD_SEVL_MEDIUM : DD_SEVL_HIGH;
    if (strcasecmp(s, "UNIMPORTANT") == 0 || strcasecmp(s, "NONE") == 0)
        return DD_SEVL_NEGLIGIBLE;
    return -1;
}

static dd_sev_level band(double score)
{
    if (score < 0)
        return DD_SEVL_UNKNOWN;
    if (score == 0.0)
        return DD_SEVL_NEGLIGIBLE;
    if (score < 4.0)
        return DD_SEVL_LOW;
    if (score < 7.0)
        return DD_SEVL_MEDIUM;
    if (score < 9.0)
        return DD_SEVL_HIGH;
    return DD_SEVL_CRITICAL;
}

/* Distro urgency words (Debian: unimportant/low/medium/high, with "**" for unsure ones). */
static dd_sev_level vendor_level(const char *v)
{
    if (v == NULL)
        return DD_SEVL_UNKNOWN;
    char w[32];
    size_t n = strcspn(v, "*");
    if (n >= sizeof(w))
        return DD_SEVL_UNKNOWN;
    memcpy(w, v, n);
    w[n] = '\0';
    int l = dd_sev_level_parse(w);
    return l < 0 ? DD_SEVL_UNKNOWN : (dd_sev_level)l;
}

/* ---- OSV range evaluation --------------------------------------------------------------------
 */

typedef struct event {
    int kind; /* 0 introduced, 1 fixed, 2 last_affected, 3 limit */
    const char *v;
} event;

typedef struct sort_ctx {
    dd_vers_scheme s;
    int rc;
    dd_err *err;
} sort_ctx;

static int ev_cmp(sort_ctx *c, const event *a, const event *b)
{
    int az = a->kind == 0 && strcmp(a->v, "0") == 0;
    int bz = b->kind == 0 && strcmp(b->v, "0") == 0;
    if (az || bz)
        return bz - az;
    int r = 0;
    if (c->rc == 0) {
        int rc = dd_version_cmp(c->s, a->v, b->v, &r, c->err);
        if (rc != 0)
            c->rc = rc;
    }
    return r;
}

/* Insertion sort: event lists are short, and the comparator can fail. */
static void sort_events(event *ev, size_t n, sort_ctx *c)
{
    for (size_t i = 1; i < n; i++) {
        event x = ev[i];
        size_t j = i;
        while (j > 0 && ev_cmp(c, &ev[j - 1], &x) > 0) {
            ev[j] = ev[j - 1];
            j--;
        }
        ev[j] = x;
    }
}

static int eval_events(dd_vers_scheme s, json_t *events, const char *version, char **fixed_out,
                       dd_err *err)
{
    size_t n = json_array_size(events);
    int rc = 0, affected = 0;
    event *ev = dd_calloc(n ? n : 1, sizeof(*ev));
    if (ev == NULL)
        return DD_ENOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(events, i);
        static const char *const keys[] = {"introduced", "fixed", "last_affected", "limit"};
        for (int t = 0; t < 4; t++) {
            const char *v = json_string_value(json_object_get(e, keys[t]));
            if (v != NULL) {
                ev[k++] = (event){t, v};
                break;
            }
        }
    }
    sort_ctx c = {s, 0, err};
    sort_events(ev, k, &c);
    if ((rc = c.rc) != 0)
        goto out;
    for (size_t i = 0; i < k; i++) {
        int r = 0;
        if (ev[i].kind == 0 && strcmp(ev[i].v, "0") == 0) {
            affected = 1;
            continue;
        }
        if ((rc = dd_version_cmp(s, version, ev[i].v, &r, err)) != 0)
            goto out;
        if (ev[i].kind == 0 && r >= 0)
            affected = 1;
        else if ((ev[i].kind == 1 || ev[i].kind == 3) && r >= 0)
            affected = 0;
        else if (ev[i].kind == 2 && r > 0)
            affected = 0;
    }
    if (affected && fixed_out != NULL) {
        /* the smallest fixed event above the installed version */
        for (size_t i = 0; i < k; i++) {
            int r = 0;
            if (ev[i].kind != 1)
                continue;
            if ((rc = dd_version_cmp(s, ev[i].v, version, &r, err)) != 0)
                goto out;
            if (r > 0) {
                if ((*fixed_out = dd_strdup(ev[i].v)) == NULL)
                    rc = DD_ENOMEM;
                break;
            }
        }
    }
    rc = affected;
out:
    dd_free(ev);
    return rc;
}

int dd_match_range(int scheme, const char *events_json, const char *version, char **fixed_out,
                   dd_err *err)
{
    if (fixed_out != NULL)
        *fixed_out = NULL;
    json_t *ev = json_loads(events_json, 0, NULL);
    if (!json_is_array(ev)) {
        json_decref(ev);
        return dd_err_set(err, DD_EINVALID, "events are not a JSON array");
    }
    int rc = eval_events((dd_vers_scheme)scheme, ev, version, fixed_out, err);
    json_decref(ev);
    return rc;
}

/* Is `version` affected by entry a? 1 yes, 0 no, negative on error. */
static int affected_by(dd_vers_scheme s, const dd_affected *a, const char *version,
                       char **fixed_out, dd_err *err)
{
    int hit = 0, rc = 0;
    *fixed_out = NULL;
    if (a->versions_json != NULL) {
        json_t *vs = json_loads(a->versions_json, 0, NULL);
        size_t i;
        json_t *v;
        json_array_foreach(vs, i, v)
        {
            const char *sv = json_string_value(v);
            int r = 1;
            if (sv == NULL)
                continue;
            if (strcmp(sv, version) == 0 ||
                (dd_version_cmp(s, sv, version, &r, NULL) == 0 && r == 0)) {
                hit = 1;
                break;
            }
        }
        json_decref(vs);
    }
    if (a->ranges_json != NULL) {
        json_t *ranges = json_loads(a->ranges_json, 0, NULL);
        size_t i;
        json_t *r;
        json_array_foreach(ranges, i, r)
        {
            const char *type = json_string_value(json_object_get(r, "type"));
            if (type == NULL || (strcmp(type, "ECOSYSTEM") != 0 && strcmp(type, "SEMVER") != 0))
                continue;
            char *fixed = NULL;
            rc = eval_events(s, json_object_get(r, "events"), version, &fixed, err);
            if (rc < 0)
                break;
            if (rc == 1) {
                hit = 1;
                if (fixed != NULL) {
                    int c = 0;
                    if (*fixed_out == NULL ||
                        (dd_version_cmp(s, fixed, *fixed_out, &c, NULL) == 0 && c < 0)) {
                        dd_free(*fixed_out);
                        *fixed_out = fixed;
                        fixed = NULL;
                    }
                }
            }
            dd_free(fixed);
            rc = 0;
        }
        json_decref(ranges);
    }
    if (rc < 0) {
        dd_free(*fixed_out);
        *fixed_out = NULL;
        return rc;
    }
    return hit;
}

/* ---- findings --------------------------------------------------------------------------------
 */

typedef struct matcher {
    const dd_inventory *inv;
    dd_match_result *res;
    size_t pkg;
    const char *ecosystem;
    const char *version;
    dd_vers_scheme scheme;
    int distro;
    size_t first; /* first finding of the current package in res */
    size_t cap;
    int rc;
    dd_err *err;
} matcher;

static int is_cve(const char *s)
{
    return strncmp(s, "CVE-", 4) == 0;
}

static void finding_clear(dd_finding *f)
{
    dd_free(f->id);
    dd_strlist_free(&f->aliases);
    dd_strlist_free(&f->advisories);
    dd_free(f->installed);
    dd_free(f->fixed_version);
    dd_free(f->severity_source);
    dd_free(f->cvss_vector);
    for (size_t i = 0; i < f->n_cvss; i++) {
        dd_free(f->cvss[i].source);
        dd_free(f->cvss[i].vector);
        dd_free(f->cvss[i].rating);
    }
    dd_free(f->cvss);
    dd_free(f->title);
    dd_free(f->description);
    dd_strlist_free(&f->references);
    memset(f, 0, sizeof(*f));
}

static int has(const dd_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return 1;
    return 0;
}

static int add_unique(dd_strlist *l, const char *s)
{
    return has(l, s) ? 0 : dd_strlist_push_str(l, s);
}

static dd_finding *find_or_add(matcher *m, const char *key)
{
    dd_match_result *r = m->res;
    for (size_t i = m->first; i < r->n; i++)
        if (strcmp(r->items[i].id, key) == 0)
            return &r->items[i];
    if (r->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        dd_finding *items = dd_reallocarray(r->items, cap, sizeof(*items));
        if (items == NULL)
            return NULL;
        r->items = items;
        m->cap = cap;
    }
    dd_finding *f = &r->items[r->n];
    memset(f, 0, sizeof(*f));
    f->pkg = m->pkg;
    f->cvss_score = -1;
    f->severity = DD_SEVL_UNKNOWN;
    f->id = dd_strdup(key);
    f->installed = dd_strdup(m->version);
    if (f->id == NULL || f->installed == NULL) {
        finding_clear(f);
        return NULL;
    }
    r->n++;
    return f;
}

static int copy_str(char **slot, const char *s)
{
    if (*slot != NULL || s == NULL)
        return 0;
    return (*slot = dd_strdup(s)) == NULL ? DD_ENOMEM : 0;
}

/* Folds one candidate into the finding for `key`. */
static int merge(matcher *m, const dd_vuln_candidate *c, const char *key, const char *fixed)
{
    const dd_advisory *a = c->advisory;
    dd_finding *f = find_or_add(m, key);
    if (f == NULL)
        return DD_ENOMEM;
    int rc = 0;
    char *src = dd_asprintf("%s:%s", c->source, a->id);
    if (src == NULL)
        return DD_ENOMEM;
    rc = add_unique(&f->advisories, src);
    dd_free(src);
    /* aliases: the candidate's ids, except other CVEs of a bundle */
    if (rc == 0 && strcmp(a->id, key) != 0)
        rc = add_unique(&f->aliases, a->id);
    for (size_t i = 0; rc == 0 && i < a->aliases.n; i++) {
        const char *al = a->aliases.items[i];
        if (strcmp(al, key) != 0 && !is_cve(al))
            rc = add_unique(&f->aliases, al);
    }
    /* references and description: fetched once per finding by add_details */
    if (rc == 0)
        rc = copy_str(&f->title, a->summary);
    if (rc != 0)
        return rc;
    if (a->published_ms && (f->published_ms == 0 || a->published_ms < f->published_ms))
        f->published_ms = a->published_ms;
    if (a->modified_ms > f->modified_ms)
        f->modified_ms = a->modified_ms;
    /* fixed version: the smallest fix above the installed version */
    if (fixed != NULL) {
        int r = 0;
        if (f->fixed_version == NULL ||
            (dd_version_cmp(m->scheme, fixed, f->fixed_version, &r, NULL) == 0 && r < 0)) {
            dd_free(f->fixed_version);
            if ((f->fixed_version = dd_strdup(fixed)) == NULL)
                return DD_ENOMEM;
        }
        f->fix_state = DD_FIX_FIXED;
    } else if (f->fix_state != DD_FIX_FIXED) {
        dd_fix_state st = c->affected->fix_state;
        f->fix_state =
            (st == DD_FIX_WILL_NOT_FIX || st == DD_FIX_END_OF_LIFE) ? st : DD_FIX_NOT_FIXED;
    }
    /* CVSS: keep every vector; the best score prefers v3, then v4, then v2 */
    for (size_t i = 0; i < a->n_severities; i++) {
        const dd_severity *s = &a->severities[i];
        if (s->type == DD_SEV_VENDOR) {
            if (f->severity_source == NULL && !m->distro && vendor_level(s->rating) > 0) {
                /* a language advisory's own rating, used only when no CVSS is known */
                if (f->cvss_score < 0)
                    f->severity = vendor_level(s->rating);
            }
            continue;
        }
        int dup = 0;
        for (size_t k = 0; k < f->n_cvss; k++)
            dup |= f->cvss[k].vector && s->vector && strcmp(f->cvss[k].vector, s->vector) == 0;
        if (dup || s->vector == NULL)
            continue;
        dd_severity *nc = dd_reallocarray(f->cvss, f->n_cvss + 1, sizeof(*nc));
        if (nc == NULL)
            return DD_ENOMEM;
        f->cvss = nc;
        dd_severity *d = &f->cvss[f->n_cvss];
        memset(d, 0, sizeof(*d));
        d->type = s->type;
        d->score = s->score;
        d->source = s->source ? dd_strdup(s->source) : NULL;
        d->vector = dd_strdup(s->vector);
        d->rating = s->rating ? dd_strdup(s->rating) : NULL;
        f->n_cvss++;
        if (d->vector == NULL)
            return DD_ENOMEM;
        static const int rank[] = {
            [DD_SEV_CVSS_V2] = 1, [DD_SEV_CVSS_V3] = 3, [DD_SEV_CVSS_V4] = 2, [DD_SEV_VENDOR] = 0};
        int cur = -1;
        for (size_t k = 0; k + 1 < f->n_cvss; k++)
            if (f->cvss_vector && strcmp(f->cvss[k].vector, f->cvss_vector) == 0)
                cur = rank[f->cvss[k].type];
        if (s->score >= 0 && rank[s->type] > cur) {
            dd_free(f->cvss_vector);
            f->cvss_vector = dd_strdup(s->vector);
            f->cvss_score = s->score;
            if (f->cvss_vector == NULL)
                return DD_ENOMEM;
        }
    }
    /* severity: the distro's own rating wins for distro packages, else CVSS bands */
    dd_sev_level vl = m->distro ? vendor_level(c->affected->vendor_severity) : DD_SEVL_UNKNOWN;
    if (vl != DD_SEVL_UNKNOWN) {
        if (f->severity_source == NULL || vl > f->severity) {
            f->severity = vl;
            dd_free(f->severity_source);
            if ((f->severity_source = dd_strdup(c->source)) == NULL)
                return DD_ENOMEM;
        }
    } else if (f->severity_source == NULL && f->cvss_score >= 0) {
        f->severity = band(f->cvss_score);
    }
    return 0;
}

static int on_candidate(void *ctx, const dd_vuln_candidate *c)
{
    matcher *m = ctx;
    const dd_advisory *a = c->advisory;
    char *fixed = NULL;
    dd_err e = DD_ERR_INIT;
    if (a->withdrawn_ms != 0 || c->affected->fix_state == DD_FIX_NOT_AFFECTED)
        return 0;
    int hit = affected_by(m->scheme, c->affected, m->version, &fixed, &e);
    if (hit < 0) {
        if (hit == DD_ENOMEM)
            return m->rc = DD_ENOMEM;
        const dd_pkg *p = &m->inv->pkgs.items[m->pkg];
        char *w =
            dd_asprintf("%s %s@%s vs %s: %s", m->ecosystem, p->name, m->version, a->id, e.msg);
        if (w == NULL || dd_strlist_push_str(&m->res->warnings, w) != 0)
            m->rc = DD_ENOMEM;
        dd_free(w);
        return m->rc;
    }
    if (hit == 0)
        return 0;
    /* the vulnerability ids this candidate stands for: its CVEs, else its own id */
    int rc = 0, n_cve = 0;
    if (is_cve(a->id)) {
        rc = merge(m, c, a->id, fixed);
        n_cve++;
    }
    for (size_t i = 0; rc == 0 && i < a->aliases.n; i++) {
        if (is_cve(a->aliases.items[i])) {
            rc = merge(m, c, a->aliases.items[i], fixed);
            n_cve++;
        }
    }
    if (rc == 0 && n_cve == 0)
        rc = merge(m, c, a->id, fixed);
    dd_free(fixed);
    if (rc != 0)
        m->rc = rc;
    return rc;
}

/* The long texts the brief lookup leaves out, for the findings of the current package once all
 * its candidates are merged: the references of every advisory cited, in the order cited (as if
 * each candidate had brought its own), and the first details found in that order. Before
 * fold_aliases, which moves advisory ids only. */
static int add_details(matcher *m, dd_vulndb *db)
{
    dd_match_result *r = m->res;
    dd_strlist refs = DD_STRLIST_INIT;
    char *details = NULL;
    int rc = 0;
    for (size_t i = m->first; i < r->n && rc == 0; i++) {
        dd_finding *f = &r->items[i];
        for (size_t k = 0; k < f->advisories.n && rc == 0; k++) {
            /* "source:id"; source names hold no ':' */
            char *src = f->advisories.items[k];
            char *colon = strchr(src, ':');
            if (colon == NULL)
                continue;
            *colon = '\0';
            rc = dd_vulndb_get_details(db, src, colon + 1, &refs,
                                       f->description == NULL ? &details : NULL, m->err);
            *colon = ':';
            for (size_t j = 0; j < refs.n && rc == 0; j++)
                rc = add_unique(&f->references, refs.items[j]);
            dd_strlist_free(&refs);
            if (rc == 0 && f->description == NULL) {
                f->description = details;
                details = NULL;
            }
        }
    }
    dd_free(details);
    return rc;
}

/* A non-CVE finding whose id is an alias of a CVE finding of the same package is the same
 * vulnerability seen through a record without the CVE (e.g. a GHSA without aliases and a
 * nodejs-wg record with the CVE): fold it into the CVE one. */
static int fold_aliases(matcher *m)
{
    dd_match_result *r = m->res;
    for (size_t i = m->first; i < r->n; i++) {
        if (is_cve(r->items[i].id))
            continue;
        for (size_t j = m->first; j < r->n; j++) {
            if (i == j || !is_cve(r->items[j].id) || !has(&r->items[j].aliases, r->items[i].id))
                continue;
            dd_finding *dst = &r->items[j], *src = &r->items[i];
            int rc = 0;
            for (size_t k = 0; rc == 0 && k < src->advisories.n; k++)
                rc = add_unique(&dst->advisories, src->advisories.items[k]);
            if (rc != 0)
                return rc;
            finding_clear(src);
            r->items[i] = r->items[r->n - 1];
            r->n--;
            i--;
            break;
        }
    }
    return 0;
}

static int cmp_finding(const void *x, const void *y, void *ctx)
{
    const dd_finding *a = x, *b = y;
    const dd_inventory *inv = ctx;
    if (a->severity != b->severity)
        return a->severity > b->severity ? -1 : 1;
    int c = strcmp(inv->pkgs.items[a->pkg].name, inv->pkgs.items[b->pkg].name);
    if (c == 0)
        c = a->pkg < b->pkg ? -1 : a->pkg > b->pkg;
    return c ? c : strcmp(a->id, b->id);
}

void dd_match_sort(dd_match_result *r, const dd_inventory *inv)
{
    if (r->n > 1)
        qsort_r(r->items, r->n, sizeof(dd_finding), cmp_finding, (void *)inv);
}

int dd_match_inventory(dd_match_result *out, const dd_inventory *inv, dd_vulndb *db, dd_err *err)
{
    memset(out, 0, sizeof(*out));
    matcher m = {.inv = inv, .res = out, .err = err};
    char os_eco[96] = "";
    dd_vulndb_info info;
    int rc = dd_vulndb_info_get(db, &info, err);
    if (rc != 0)
        return rc;
    out->db_version = info.db_version;
    info.db_version = NULL;
    dd_vulndb_info_clear(&info);
    int has_eco = inv->has_os && dd_os_ecosystem(&inv->os, os_eco, sizeof(os_eco)) == 0;
    for (size_t i = 0; i < inv->pkgs.n && rc == 0; i++) {
        const dd_pkg *p = &inv->pkgs.items[i];
        const char *names[2] = {p->name, NULL};
        m.pkg = i;
        m.first = out->n;
        m.distro = 0;
        m.version = p->version;
        if (p->type == DD_PKG_DPKG || p->type == DD_PKG_APK || p->type == DD_PKG_RPM) {
            if (!has_eco)
                continue;
            m.ecosystem = os_eco;
            m.distro = 1;
            if (p->type == DD_PKG_RPM) {
                if (p->source_name != NULL && strcmp(p->source_name, p->name) != 0)
                    names[1] = p->source_name;
            } else {
                names[0] = p->source_name ? p->source_name : p->name;
                if (p->source_version != NULL)
                    m.version = p->source_version;
            }
        } else {
            if (p->owner != NULL) /* installed by the OS: matched through the distro feed */
                continue;
            m.ecosystem = dd_pkg_lang_ecosystem(p->type);
            if (m.ecosystem == NULL)
                continue;
            if (p->type == DD_PKG_GOBINARY && strcmp(p->name, "stdlib") == 0 &&
                (p->version == NULL || p->version[0] == '\0'))
                continue;
        }
        if (m.version == NULL || m.version[0] == '\0' || strcmp(m.version, "(devel)") == 0)
            continue;
        if (dd_version_scheme_for(m.ecosystem, &m.scheme) != 0)
            continue;
        /* Red Hat entries are per major release ("Red Hat:8"); release-less ones apply too */
        const char *ecos[2] = {m.ecosystem, NULL};
        if (m.distro && strncmp(m.ecosystem, "Red Hat:", 8) == 0)
            ecos[1] = "Red Hat";
        for (int e = 0; e < 2 && ecos[e] != NULL && rc == 0; e++) {
            for (int k = 0; k < 2 && names[k] != NULL && rc == 0; k++) {
                rc = dd_vulndb_lookup_brief(db, ecos[e], names[k], on_candidate, &m, err);
                if (rc == 0 && m.rc != 0)
                    rc = m.rc;
            }
        }
        if (rc == 0)
            rc = add_details(&m, db);
        if (rc == 0)
            rc = fold_aliases(&m);
    }
    if (rc != 0) {
        if (m.rc == DD_ENOMEM || rc == DD_ENOMEM)
            dd_err_set(err, DD_ENOMEM, "out of memory");
        dd_match_result_free(out);
        return rc;
    }
    if (out->n > 1)
        qsort_r(out->items, out->n, sizeof(dd_finding), cmp_finding, (void *)inv);
    return 0;
}

void dd_match_result_free(dd_match_result *r)
{
    for (size_t i = 0; i < r->n; i++)
        finding_clear(&r->items[i]);
    dd_free(r->items);
    dd_free(r->db_version);
    dd_strlist_free(&r->warnings);
    memset(r, 0, sizeof(*r));
}
