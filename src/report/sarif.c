/* SARIF 2.1.0 output of a scan's findings, for GitHub code scanning and other SARIF viewers: one
 * rule per vulnerability id among the shown findings (its text, a help table of the packages it
 * affects, GitHub's "security-severity"), one result per shown finding located at the package's
 * primary file in the image. */
#include "report/internal.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <stdio.h>
#include <string.h>

#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define DESC_MAX 4000           /* bytes of a rule's fullDescription before it is cut */
#define HELP_ROWS_MAX 50        /* packages listed in a rule's help table */
#define HELP_MAX (256 * 1024)   /* bytes of a rule's help text (each form) */
#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */

typedef struct rule {
    const dd_finding *first; /* the first shown finding with this id (findings are sorted) */
    dd_sev_level sev;        /* the highest severity among its findings */
    double score;            /* the highest CVSS score among them; -1 when none */
    size_t rows;             /* findings in the help table */
    size_t more;             /* findings left out of it */
    dd_buf text, md;         /* the help table, plain and Markdown */
} rule;

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

/* {"text": s} */
static json_t *message(const char *s, int *rc)
{
    json_t *m = json_object();
    if (m != NULL)
        put(m, "text", dd_report_text(s), rc);
    else
        *rc = DD_ENOMEM;
    return m;
}

static void buf_rc(int e, int *rc)
{
    if (e == DD_ENOMEM)
        *rc = DD_ENOMEM; /* DD_ELIMIT: the help is long enough as it is */
}

static const char *level(dd_sev_level l)
{
    return l >= DD_SEVL_HIGH ? "error" : l == DD_SEVL_MEDIUM ? "warning" : "note";
}

static const dd_pkg *finding_pkg(const dd_scan_report *r, const dd_finding *f)
{
    return f->pkg < r->inv->pkgs.n ? &r->inv->pkgs.items[f->pkg] : NULL;
}

/* A copy of s cut to at most max bytes at a UTF-8 character boundary, with an ellipsis when cut;
 * NULL on allocation failure. */
static char *cut(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return dd_strdup(s);
    n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
        n--;
    return dd_asprintf("%.*s" ELLIPSIS, (int)n, s);
}

/* Appends s as a table cell: Markdown's active characters escaped, line breaks flattened. */
static int md_cell(dd_buf *b, const char *s)
{
    int e = 0;
    for (const char *p = s ? s : ""; *p != '\0' && e == 0; p++) {
        if (*p == '\n' || *p == '\r' || *p == '\t')
            e = dd_buf_append(b, " ", 1);
        else if (strchr("\\`*_[]<>|#", *p) != NULL)
            e = dd_buf_printf(b, "\\%c", *p);
        else
            e = dd_buf_append(b, p, 1);
    }
    return e;
}

static int text_cell(dd_buf *b, const char *s)
{
    int e = 0;
    for (const char *p = s ? s : ""; *p != '\0' && e == 0; p++)
        e = dd_buf_append(b, (unsigned char)*p < 0x20 ? " " : p, 1);
    return e;
}

static void help_row(rule *ru, const dd_scan_report *r, const dd_finding *f, int *rc)
{
    const dd_pkg *p = finding_pkg(r, f);
    const char *cells[4] = {p ? p->name : "?", f->installed ? f->installed : (p ? p->version : "?"),
                            f->fixed_version ? f->fixed_version : dd_fix_state_name(f->fix_state),
                            dd_sev_level_name(f->severity)};
    if (ru->rows >= HELP_ROWS_MAX) {
        ru->more++;
        return;
    }
    ru->rows++;
    for (int i = 0; i < 4; i++) {
        buf_rc(dd_buf_append_str(&ru->md, "| "), rc);
        buf_rc(md_cell(&ru->md, cells[i]), rc);
        buf_rc(dd_buf_append_str(&ru->md, i == 3 ? " |\n" : " "), rc);
        buf_rc(text_cell(&ru->text, cells[i]), rc);
        buf_rc(dd_buf_append_str(&ru->text, i == 3 ? "\n" : " | "), rc);
    }
}

static json_t *help_json(rule *ru, int *rc)
{
    const dd_finding *f = ru->first;
    dd_buf text = DD_BUF_INIT(HELP_MAX), md = DD_BUF_INIT(HELP_MAX);
    json_t *h = NULL;
    buf_rc(dd_buf_printf(&text, "Vulnerability %s", f->id), rc);
    buf_rc(dd_buf_append_str(&md, "**Vulnerability "), rc);
    buf_rc(md_cell(&md, f->id), rc);
    buf_rc(dd_buf_append_str(&md, "**"), rc);
    if (f->title != NULL) {
        buf_rc(dd_buf_append_str(&text, ": "), rc);
        buf_rc(text_cell(&text, f->title), rc);
        buf_rc(dd_buf_append_str(&md, ": "), rc);
        buf_rc(md_cell(&md, f->title), rc);
    }
    buf_rc(dd_buf_append_str(&text, "\n\nPackage | Installed | Fixed | Severity\n"), rc);
    buf_rc(dd_buf_append_str(&md, "\n\n| Package | Installed | Fixed | Severity |\n"
                                  "| --- | --- | --- | --- |\n"),
           rc);
    if (ru->text.data != NULL)
        buf_rc(dd_buf_append_str(&text, ru->text.data), rc);
    if (ru->md.data != NULL)
        buf_rc(dd_buf_append_str(&md, ru->md.data), rc);
    if (ru->more > 0) {
        buf_rc(dd_buf_printf(&text, "(and %zu more)\n", ru->more), rc);
        buf_rc(dd_buf_printf(&md, "\n(and %zu more)\n", ru->more), rc);
    }
    if (*rc == 0 && (h = json_object()) == NULL)
        *rc = DD_ENOMEM;
    if (h != NULL) {
        put_text(h, "text", text.data ? text.data : "", rc);
        put_text(h, "markdown", md.data ? md.data : "", rc);
    }
    dd_buf_free(&text);
    dd_buf_free(&md);
    return h;
}

static json_t *rule_json(rule *ru, int *rc)
{
    const dd_finding *f = ru->first;
    char *full = NULL, *url = NULL, score[16];
    json_t *o = json_object(), *props = json_object(), *tags = json_array();
    if (o == NULL || props == NULL || tags == NULL) {
        json_decref(o);
        json_decref(props);
        json_decref(tags);
        *rc = DD_ENOMEM;
        return NULL;
    }
    put_text(o, "id", f->id, rc);
    put_text(o, "name", f->id, rc);
    put(o, "shortDescription", message(f->title ? f->title : f->id, rc), rc);
    const char *desc = f->description ? f->description : f->title ? f->title : f->id;
    if ((full = cut(desc, DESC_MAX)) == NULL)
        *rc = DD_ENOMEM;
    else
        put(o, "fullDescription", message(full, rc), rc);
    put(o, "defaultConfiguration", json_pack("{s:s}", "level", level(ru->sev)), rc);
    for (size_t i = 0; i < f->references.n && url == NULL; i++)
        if (dd_report_is_http_url(f->references.items[i]) &&
            (url = dd_strdup(f->references.items[i])) == NULL)
            *rc = DD_ENOMEM;
    if (url == NULL && dd_report_id_url(&url, f->id) != 0)
        *rc = DD_ENOMEM;
    if (url != NULL)
        put(o, "helpUri", json_string(url), rc);
    put(o, "help", help_json(ru, rc), rc);
    if (ru->score >= 0) {
        /* GitHub code scanning reads this as the alert's severity (a string, 0.0 to 10.0) */
        snprintf(score, sizeof(score), "%.1f", ru->score > 10.0 ? 10.0 : ru->score);
        put(props, "security-severity", json_string(score), rc);
    }
    push(tags, json_string("vulnerability"), rc);
    push(tags, json_string("security"), rc);
    push(tags, json_string(dd_sev_level_name(ru->sev)), rc);
    put(props, "tags", tags, rc);
    put(o, "properties", props, rc);
    dd_free(full);
    dd_free(url);
    return o;
}

/* path as a relative URI reference: leading '/' dropped, bytes outside RFC 3986's unreserved and
 * sub-delims (and '@', '/') percent-encoded, ':' included so no segment reads as a scheme. */
static char *uri_of(const char *path)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t max;
    if (!dd_mul_size(&max, strlen(path), 3))
        return NULL;
    dd_buf b = DD_BUF_INIT(max);
    int e = 0;
    while (*path == '/')
        path++;
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0' && e == 0; p++) {
        unsigned char c = *p;
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    strchr("-._~!$&'()*+,;=@/", c) != NULL;
        if (keep) {
            e = dd_buf_append(&b, p, 1);
        } else {
            char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
            e = dd_buf_append(&b, enc, 3);
        }
    }
    if (e == 0 && b.data == NULL)
        e = dd_buf_append(&b, "", 0);
    if (e != 0) {
        dd_buf_free(&b);
        return NULL;
    }
    return dd_buf_take(&b);
}

static json_t *locations_json(const dd_scan_report *r, const dd_pkg *p, int *rc)
{
    const char *path = p != NULL && p->paths.n > 0 ? p->paths.items[0] : NULL;
    if (path == NULL || path[strspn(path, "/")] == '\0')
        path = r->name ? r->name : r->target; /* no file: the image itself */
    if (path == NULL || path[strspn(path, "/")] == '\0')
        return NULL;
    char *uri = uri_of(path);
    json_t *a = NULL;
    if (uri == NULL || (a = json_pack("[{s:{s:{s:s}}}]", "physicalLocation", "artifactLocation",
                                      "uri", uri)) == NULL)
        *rc = DD_ENOMEM;
    dd_free(uri);
    return a;
}

static json_t *result_json(const dd_scan_report *r, const dd_finding *f, size_t rule_index, int *rc)
{
    const dd_pkg *p = finding_pkg(r, f);
    const char *name = p ? p->name : "?";
    const char *version = p ? p->version : f->installed ? f->installed : "?";
    char *msg = NULL;
    json_t *o = json_object(), *props = json_object();
    if (o == NULL || props == NULL) {
        json_decref(o);
        json_decref(props);
        *rc = DD_ENOMEM;
        return NULL;
    }
    put_text(o, "ruleId", f->id, rc);
    put(o, "ruleIndex", json_integer((json_int_t)rule_index), rc);
    put(o, "level", json_string(level(f->severity)), rc);
    if (f->fixed_version != NULL)
        msg = dd_asprintf("Package %s version %s is affected by %s (fixed in %s)", name, version,
                          f->id, f->fixed_version);
    else
        msg = dd_asprintf("Package %s version %s is affected by %s (no fixed version: %s)", name,
                          version, f->id, dd_fix_state_name(f->fix_state));
    if (msg == NULL)
        *rc = DD_ENOMEM;
    else
        put(o, "message", message(msg, rc), rc);
    dd_free(msg);
    json_t *loc = locations_json(r, p, rc);
    if (loc != NULL)
        put(o, "locations", loc, rc);
    if (p != NULL) {
        put_text(props, "package", p->name, rc);
        put_text(props, "version", p->version, rc);
        put(props, "type", json_string(dd_pkg_type_name(p->type)), rc);
        put_text(props, "purl", r->inv->purls ? r->inv->purls[f->pkg] : NULL, rc);
    }
    put_text(props, "installed", f->installed, rc);
    put_text(props, "fixed_version", f->fixed_version, rc);
    put(props, "fix_state", json_string(dd_fix_state_name(f->fix_state)), rc);
    put(props, "severity", json_string(dd_sev_level_name(f->severity)), rc);
    put(o, "properties", props, rc);
    return o;
}

/* Groups the shown findings by id into rules[] (first-seen order); *index maps id -> rule. */
static int collect(const dd_scan_report *r, rule *rules, size_t *n_rules, json_t *index)
{
    const dd_match_result *m = r->findings;
    int rc = 0;
    for (size_t i = 0; m != NULL && i < m->n && rc == 0; i++) {
        const dd_finding *f = &m->items[i];
        if (!dd_report_shown(r, i) || f->id == NULL)
            continue;
        json_t *gi = json_object_get(index, f->id);
        rule *ru;
        if (gi != NULL) {
            ru = &rules[json_integer_value(gi)];
        } else {
            ru = &rules[*n_rules];
            ru->first = f;
            ru->sev = f->severity;
            ru->score = -1;
            dd_buf_init(&ru->text, HELP_MAX);
            dd_buf_init(&ru->md, HELP_MAX);
            if (json_object_set_new_nocheck(index, f->id, json_integer((json_int_t)*n_rules)) != 0)
                rc = DD_ENOMEM;
            (*n_rules)++;
        }
        if (f->severity > ru->sev)
            ru->sev = f->severity;
        if (f->cvss_score > ru->score)
            ru->score = f->cvss_score;
        help_row(ru, r, f, &rc);
    }
    return rc;
}

int dd_report_sarif(FILE *out, const dd_scan_report *r, dd_err *err)
{
    const dd_match_result *m = r->findings;
    int rc = 0;
    rule *rules = NULL;
    size_t n_rules = 0;
    json_t *doc = NULL, *index = json_object(), *jrules = json_array(), *results = json_array();
    json_t *driver = NULL, *run = NULL, *props = NULL;
    if (index == NULL || jrules == NULL || results == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if (m != NULL && m->n > 0 && (rules = dd_calloc(m->n, sizeof(*rules))) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if ((rc = collect(r, rules, &n_rules, index)) != 0)
        goto out;
    for (size_t k = 0; k < n_rules && rc == 0; k++)
        push(jrules, rule_json(&rules[k], &rc), &rc);
    for (size_t i = 0; m != NULL && i < m->n && rc == 0; i++) {
        const dd_finding *f = &m->items[i];
        if (!dd_report_shown(r, i) || f->id == NULL)
            continue;
        json_int_t ri = json_integer_value(json_object_get(index, f->id));
        push(results, result_json(r, f, (size_t)ri, &rc), &rc);
    }
    if (rc != 0)
        goto out;
    driver = json_pack("{s:s,s:s,s:O}", "name", "drydock", "version", DD_VERSION, "rules", jrules);
    props = json_object();
    if (driver == NULL || props == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    put_text(props, "target", r->target, &rc);
    put_text(props, "image", r->name, &rc);
    put_text(props, "manifest_digest", r->manifest_digest, &rc);
    put_text(props, "platform", r->platform, &rc);
    if (m != NULL)
        put_text(props, "db_version", m->db_version, &rc);
    run = json_pack("{s:{s:O},s:O,s:O}", "tool", "driver", driver, "results", results, "properties",
                    props);
    if (rc == 0 && run != NULL)
        doc =
            json_pack("{s:s,s:s,s:[O]}", "$schema", SARIF_SCHEMA, "version", "2.1.0", "runs", run);
    if (rc == 0 && doc == NULL)
        rc = DD_ENOMEM;
    if (rc == 0 && (json_dumpf(doc, out, JSON_INDENT(2)) != 0 || fputc('\n', out) == EOF))
        rc = dd_err_set(err, DD_EIO, "cannot write the report");
out:
    if (rc == DD_ENOMEM)
        dd_err_set(err, rc, "out of memory building the SARIF report");
    for (size_t k = 0; k < n_rules; k++) {
        dd_buf_free(&rules[k].text);
        dd_buf_free(&rules[k].md);
    }
    dd_free(rules);
    json_decref(doc);
    json_decref(run);
    json_decref(props);
    json_decref(driver);
    json_decref(results);
    json_decref(jrules);
    json_decref(index);
    return rc;
}
