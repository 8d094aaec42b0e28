/* Inventory reports in drydock JSON, table, CycloneDX 1.5 and SPDX 2.3 forms. JSON documents are
 * built with jansson and written with sorted-free, stable key order (insertion order). */
#include "report/report.h"
#include "report/internal.h"
#include "inventory/purl.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/utf8.h"

#include <jansson.h>
#include <string.h>
#include <sys/random.h>

int dd_report_uuid(char out[37])
{
    unsigned char b[16];
    static const char hex[] = "0123456789abcdef";
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        return DD_EIO;
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[b[i] >> 4];
        out[o++] = hex[b[i] & 15];
    }
    out[o] = '\0';
    return 0;
}

static const char *pkg_ecosystem(const dd_scan_report *r, const dd_pkg *p, char *buf, size_t n)
{
    const char *e = dd_pkg_lang_ecosystem(p->type);
    if (e != NULL)
        return e;
    if (r->inv->has_os && dd_os_ecosystem(&r->inv->os, buf, n) == 0)
        return buf;
    return NULL;
}

static const char *layer_digest(const dd_scan_report *r, int layer)
{
    return layer >= 0 && (size_t)layer < r->n_layers ? r->layers[layer].digest : NULL;
}

static int dump(FILE *out, json_t *doc, dd_err *err)
{
    if (doc == NULL)
        return DD_ENOMEM;
    int rc = json_dumpf(doc, out, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) == 0 ? 0 : DD_EIO;
    json_decref(doc);
    if (rc == 0 && fputc('\n', out) == EOF)
        rc = DD_EIO;
    if (rc != 0)
        return dd_err_set(err, rc, "cannot write the report");
    return 0;
}

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v != NULL)
        json_object_set_new(o, k, json_string(v));
}

static json_t *os_json(const dd_scan_report *r)
{
    if (!r->inv->has_os)
        return json_null();
    const dd_os *os = &r->inv->os;
    char eco[96];
    json_t *o = json_object();
    set_str(o, "id", os->id);
    set_str(o, "version_id", os->version_id);
    set_str(o, "version", os->version);
    set_str(o, "codename", os->codename);
    set_str(o, "pretty_name", os->pretty_name);
    set_str(o, "source", os->source);
    if (dd_os_ecosystem(os, eco, sizeof(eco)) == 0)
        set_str(o, "ecosystem", eco);
    return o;
}

static json_t *strlist_json(const dd_strlist *l)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < l->n; i++)
        json_array_append_new(a, json_string(l->items[i]));
    return a;
}

static const char *cvss_method(dd_sev_type t)
{
    return t == DD_SEV_CVSS_V2 ? "2" : t == DD_SEV_CVSS_V3 ? "3" : "4";
}

/* The shown findings as drydock JSON (docs/scan-json.md). */
static json_t *findings_json(const dd_scan_report *r)
{
    const dd_match_result *m = r->findings;
    json_t *arr = json_array();
    char ts[40];
    for (size_t i = 0; arr != NULL && i < m->n; i++) {
        if (r->shown != NULL && !r->shown[i])
            continue;
        const dd_finding *f = &m->items[i];
        const dd_pkg *p = &r->inv->pkgs.items[f->pkg];
        json_t *o = json_object();
        json_t *pkg = json_object();
        json_t *cv = json_array();
        set_str(o, "id", f->id);
        json_object_set_new(o, "aliases", strlist_json(&f->aliases));
        json_object_set_new(o, "advisories", strlist_json(&f->advisories));
        set_str(pkg, "name", p->name);
        set_str(pkg, "version", p->version);
        set_str(pkg, "type", dd_pkg_type_name(p->type));
        set_str(pkg, "purl", r->inv->purls[f->pkg]);
        if (p->paths.n > 0)
            set_str(pkg, "path", p->paths.items[0]);
        if (p->layer >= 0)
            json_object_set_new(pkg, "layer", json_integer(p->layer));
        set_str(pkg, "layer_digest", layer_digest(r, p->layer));
        set_str(pkg, "source_name", p->source_name);
        json_object_set_new(o, "package", pkg);
        set_str(o, "installed_version", f->installed);
        set_str(o, "fixed_version", f->fixed_version);
        set_str(o, "fix_state", dd_fix_state_name(f->fix_state));
        set_str(o, "severity", dd_sev_level_name(f->severity));
        set_str(o, "severity_source", f->severity_source);
        if (f->cvss_score >= 0)
            json_object_set_new(o, "cvss_score", json_real(f->cvss_score));
        set_str(o, "cvss_vector", f->cvss_vector);
        for (size_t k = 0; k < f->n_cvss; k++) {
            json_t *c = json_pack("{s:s,s:s}", "version", cvss_method(f->cvss[k].type), "vector",
                                  f->cvss[k].vector);
            if (c == NULL)
                continue;
            if (f->cvss[k].score >= 0)
                json_object_set_new(c, "score", json_real(f->cvss[k].score));
            set_str(c, "source", f->cvss[k].source);
            json_array_append_new(cv, c);
        }
        json_object_set_new(o, "cvss", cv);
        set_str(o, "title", f->title);
        set_str(o, "description", f->description);
        json_object_set_new(o, "references", strlist_json(&f->references));
        if (f->published_ms) {
            dd_time_format_rfc3339(ts, sizeof(ts), f->published_ms);
            set_str(o, "published", ts);
        }
        if (f->modified_ms) {
            dd_time_format_rfc3339(ts, sizeof(ts), f->modified_ms);
            set_str(o, "modified", ts);
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

int dd_report_json(FILE *out, const dd_scan_report *r, dd_err *err)
{
    const dd_inventory *inv = r->inv;
    json_t *doc = json_object();
    json_t *img = json_object();
    json_t *layers = json_array();
    json_t *pkgs = json_array();
    json_t *counts = json_object();
    json_t *warnings = json_array();
    char ts[40], eco[96];
    size_t n[DD_PKG_TYPE_COUNT];
    if (doc == NULL || img == NULL || layers == NULL || pkgs == NULL || counts == NULL ||
        warnings == NULL) {
        json_decref(doc);
        json_decref(img);
        json_decref(layers);
        json_decref(pkgs);
        json_decref(counts);
        json_decref(warnings);
        return DD_ENOMEM;
    }
    dd_time_format_rfc3339(ts, sizeof(ts), r->time_ms);
    json_object_set_new(doc, "schema", json_string("drydock.inventory/v1"));
    json_object_set_new(doc, "tool",
                        json_pack("{s:s,s:s}", "name", "drydock", "version", DD_VERSION));
    json_object_set_new(doc, "scanned_at", json_string(ts));
    set_str(doc, "target", r->target);
    set_str(img, "name", r->name);
    set_str(img, "manifest_digest", r->manifest_digest);
    set_str(img, "config_digest", r->config_digest);
    set_str(img, "platform", r->platform);
    for (size_t i = 0; i < r->n_layers; i++) {
        json_t *l = json_pack("{s:I}", "index", (json_int_t)i);
        set_str(l, "digest", r->layers[i].digest);
        set_str(l, "media_type", r->layers[i].media_type);
        json_array_append_new(layers, l);
    }
    json_object_set_new(img, "layers", layers);
    json_object_set_new(doc, "image", img);
    json_object_set_new(doc, "os", os_json(r));
    for (size_t i = 0; i < inv->pkgs.n; i++) {
        const dd_pkg *p = &inv->pkgs.items[i];
        json_t *o = json_object();
        json_t *paths = json_array();
        json_object_set_new(o, "type", json_string(dd_pkg_type_name(p->type)));
        set_str(o, "name", p->name);
        set_str(o, "version", p->version);
        set_str(o, "ecosystem", pkg_ecosystem(r, p, eco, sizeof(eco)));
        set_str(o, "purl", inv->purls[i]);
        set_str(o, "arch", p->arch);
        set_str(o, "source_name", p->source_name);
        set_str(o, "source_version", p->source_version);
        set_str(o, "epoch", p->epoch);
        set_str(o, "owner", p->owner);
        set_str(o, "license", p->license);
        json_object_set_new(o, "declared_only", json_boolean(p->declared_only));
        json_object_set_new(o, "dev", json_boolean(p->dev));
        for (size_t k = 0; k < p->paths.n; k++)
            json_array_append_new(paths, json_string(p->paths.items[k]));
        json_object_set_new(o, "paths", paths);
        if (p->layer >= 0)
            json_object_set_new(o, "layer", json_integer(p->layer));
        set_str(o, "layer_digest", layer_digest(r, p->layer));
        json_array_append_new(pkgs, o);
    }
    json_object_set_new(doc, "packages", pkgs);
    dd_inventory_counts(inv, n);
    for (int t = 0; t < DD_PKG_TYPE_COUNT; t++)
        if (n[t] > 0)
            json_object_set_new(counts, dd_pkg_type_name((dd_pkg_type)t),
                                json_integer((json_int_t)n[t]));
    json_object_set_new(doc, "counts", counts);
    for (size_t i = 0; i < inv->warnings.n; i++)
        json_array_append_new(warnings, json_string(inv->warnings.items[i]));
    json_object_set_new(doc, "warnings", warnings);
    if (r->findings != NULL) {
        json_t *vulns = findings_json(r);
        if (vulns == NULL) {
            json_decref(doc);
            return DD_ENOMEM;
        }
        json_object_set_new(doc, "db_version",
                            json_string(r->findings->db_version ? r->findings->db_version : ""));
        json_object_set_new(doc, "vulnerabilities", vulns);
    }
    return dump(out, doc, err);
}

/* Prints s with control characters and ill-formed bytes replaced, so text from image files
 * cannot drive the terminal. */
static void put_safe(FILE *out, const char *fmt, int width, const char *s)
{
    char *c = dd_utf8_sanitize(s ? s : "", true);
    fprintf(out, fmt, width, c ? c : "?");
    dd_free(c);
}

/* Vulnerabilities as a table, most severe first, with a summary line (Trivy-like). */
static int findings_table(FILE *out, const dd_scan_report *r, int color, dd_err *err)
{
    const dd_match_result *m = r->findings;
    size_t by[DD_SEVL_CRITICAL + 1] = {0}, total = 0;
    static const char *const colors[] = {"",         "\033[2m",  "\033[34m",
                                         "\033[33m", "\033[31m", "\033[1;31m"};
    for (size_t i = 0; i < m->n; i++) {
        if (r->shown != NULL && !r->shown[i])
            continue;
        by[m->items[i].severity]++;
        total++;
    }
    fprintf(out, "vulnerability db: %s\n\n", m->db_version ? m->db_version : "?");
    fprintf(out,
            "Total: %zu (CRITICAL: %zu, HIGH: %zu, MEDIUM: %zu, LOW: %zu, NEGLIGIBLE: %zu, "
            "UNKNOWN: %zu)\n",
            total, by[DD_SEVL_CRITICAL], by[DD_SEVL_HIGH], by[DD_SEVL_MEDIUM], by[DD_SEVL_LOW],
            by[DD_SEVL_NEGLIGIBLE], by[DD_SEVL_UNKNOWN]);
    if (total == 0)
        return ferror(out) ? dd_err_set(err, DD_EIO, "cannot write the report") : 0;
    int wp = 7, wv = 9, wi = 2;
    for (size_t i = 0; i < m->n; i++) {
        const dd_finding *f = &m->items[i];
        const dd_pkg *p = &r->inv->pkgs.items[f->pkg];
        int a = (int)strlen(p->name), b = (int)strlen(p->version), c = (int)strlen(f->id);
        wp = a > wp ? (a < 40 ? a : 40) : wp;
        wv = b > wv ? (b < 28 ? b : 28) : wv;
        wi = c > wi ? (c < 24 ? c : 24) : wi;
    }
    fprintf(out, "\n  %-*s  %-*s  %-*s  %-10s  %-20s  %s\n", wp, "PACKAGE", wv, "INSTALLED", wi,
            "ID", "SEVERITY", "FIXED", "TITLE");
    for (size_t i = 0; i < m->n; i++) {
        if (r->shown != NULL && !r->shown[i])
            continue;
        const dd_finding *f = &m->items[i];
        const dd_pkg *p = &r->inv->pkgs.items[f->pkg];
        put_safe(out, "  %-*s", wp, p->name);
        put_safe(out, "  %-*s", wv, p->version);
        put_safe(out, "  %-*s", wi, f->id);
        fprintf(out, "  %s%-10s%s", color ? colors[f->severity] : "",
                dd_sev_level_name(f->severity), color ? "\033[0m" : "");
        put_safe(out, "  %-*s", 20,
                 f->fixed_version ? f->fixed_version : dd_fix_state_name(f->fix_state));
        char title[81];
        snprintf(title, sizeof(title), "%s", f->title ? f->title : "");
        put_safe(out, "  %.*s\n", 80, title);
    }
    return ferror(out) ? dd_err_set(err, DD_EIO, "cannot write the report") : 0;
}

int dd_report_table(FILE *out, const dd_scan_report *r, int color, dd_err *err)
{
    const dd_inventory *inv = r->inv;
    size_t n[DD_PKG_TYPE_COUNT];
    const char *bold = color ? "\033[1m" : "", *dim = color ? "\033[2m" : "",
               *reset = color ? "\033[0m" : "";
    dd_inventory_counts(inv, n);
    fputs(bold, out);
    put_safe(out, "%.*s", 1 << 20, r->name ? r->name : r->target);
    fputs(reset, out);
    if (r->manifest_digest)
        fprintf(out, " %s(%s)%s", dim, r->manifest_digest, reset);
    fputc('\n', out);
    if (r->platform)
        fprintf(out, "platform: %s\n", r->platform);
    if (inv->has_os)
        put_safe(out, "os:       %.*s\n", 1 << 20, inv->os.pretty_name);
    else
        fprintf(out, "os:       not recognised (language packages only)\n");
    fprintf(out, "packages: %zu\n", inv->pkgs.n);
    if (r->findings != NULL)
        return findings_table(out, r, color, err);
    for (int t = 0; t < DD_PKG_TYPE_COUNT; t++) {
        if (n[t] == 0)
            continue;
        int wn = 4, wv = 7;
        for (size_t i = 0; i < inv->pkgs.n; i++) {
            const dd_pkg *p = &inv->pkgs.items[i];
            if (p->type != (dd_pkg_type)t)
                continue;
            int ln = (int)strlen(p->name), lv = (int)strlen(p->version);
            wn = ln > wn ? (ln < 48 ? ln : 48) : wn;
            wv = lv > wv ? (lv < 32 ? lv : 32) : wv;
        }
        fprintf(out, "\n%s%s (%zu)%s\n", bold, dd_pkg_type_name((dd_pkg_type)t), n[t], reset);
        fprintf(out, "  %-*s  %-*s  %s\n", wn, "NAME", wv, "VERSION", "PATH");
        for (size_t i = 0; i < inv->pkgs.n; i++) {
            const dd_pkg *p = &inv->pkgs.items[i];
            if (p->type != (dd_pkg_type)t)
                continue;
            put_safe(out, "  %-*s", wn, p->name);
            put_safe(out, "  %-*s", wv, p->version);
            put_safe(out, "  %.*s", 1 << 20, p->paths.n ? p->paths.items[0] : "");
            fprintf(out, "%s%s\n", p->declared_only ? " (declared, not installed)" : "",
                    p->owner ? " (installed by the OS)" : "");
        }
    }
    for (size_t i = 0; i < inv->warnings.n; i++) {
        fputs(dim, out);
        put_safe(out, "warning: %.*s", 1 << 20, inv->warnings.items[i]);
        fprintf(out, "%s\n", reset);
    }
    if (ferror(out))
        return dd_err_set(err, DD_EIO, "cannot write the report");
    return 0;
}

static json_t *prop(const char *name, const char *value)
{
    return json_pack("{s:s,s:s}", "name", name, "value", value);
}

int dd_report_cyclonedx(FILE *out, const dd_scan_report *r, dd_err *err)
{
    const dd_inventory *inv = r->inv;
    char ts[40], serial[48], eco[96], layer[16];
    json_t *comps = json_array();
    json_t *root_props = json_array();
    dd_time_format_rfc3339(ts, sizeof(ts), r->time_ms);
    /* CycloneDX wants second precision without fraction in many validators; keep RFC 3339. */
    snprintf(serial, sizeof(serial), "urn:uuid:%s", r->serial);
    json_t *main = json_pack("{s:s,s:s,s:s}", "bom-ref", "image", "type", "container", "name",
                             r->name ? r->name : r->target);
    if (r->manifest_digest != NULL)
        json_object_set_new(main, "version", json_string(r->manifest_digest));
    if (r->manifest_digest != NULL)
        json_array_append_new(root_props,
                              prop("drydock:image:manifest_digest", r->manifest_digest));
    if (r->config_digest != NULL)
        json_array_append_new(root_props, prop("drydock:image:config_digest", r->config_digest));
    if (r->platform != NULL)
        json_array_append_new(root_props, prop("drydock:image:platform", r->platform));
    for (size_t i = 0; i < r->n_layers; i++)
        if (r->layers[i].digest != NULL && r->layers[i].digest[0] != '\0')
            json_array_append_new(root_props, prop("drydock:image:layer", r->layers[i].digest));
    json_object_set_new(main, "properties", root_props);
    if (inv->has_os) {
        json_t *os = json_pack("{s:s,s:s,s:s}", "bom-ref", "os", "type", "operating-system", "name",
                               inv->os.id);
        if (inv->os.version != NULL)
            json_object_set_new(os, "version", json_string(inv->os.version));
        if (inv->os.pretty_name != NULL)
            json_object_set_new(os, "description", json_string(inv->os.pretty_name));
        json_array_append_new(comps, os);
    }
    for (size_t i = 0; i < inv->pkgs.n; i++) {
        const dd_pkg *p = &inv->pkgs.items[i];
        char ref[32];
        snprintf(ref, sizeof(ref), "pkg-%zu", i);
        json_t *c = json_pack("{s:s,s:s,s:s,s:s}", "bom-ref", ref, "type", "library", "name",
                              p->name, "version", p->version);
        json_t *props = json_array();
        if (inv->purls[i] != NULL)
            json_object_set_new(c, "purl", json_string(inv->purls[i]));
        if (p->license != NULL)
            json_object_set_new(c, "licenses",
                                json_pack("[{s:{s:s}}]", "license", "name", p->license));
        json_array_append_new(props, prop("drydock:package:type", dd_pkg_type_name(p->type)));
        const char *e = pkg_ecosystem(r, p, eco, sizeof(eco));
        if (e != NULL)
            json_array_append_new(props, prop("drydock:package:ecosystem", e));
        for (size_t k = 0; k < p->paths.n; k++)
            json_array_append_new(props, prop("drydock:package:path", p->paths.items[k]));
        if (p->layer >= 0) {
            snprintf(layer, sizeof(layer), "%d", p->layer);
            json_array_append_new(props, prop("drydock:package:layer_index", layer));
        }
        const char *ld = layer_digest(r, p->layer);
        if (ld != NULL && ld[0] != '\0')
            json_array_append_new(props, prop("drydock:package:layer_digest", ld));
        if (p->source_name != NULL)
            json_array_append_new(props, prop("drydock:package:source_name", p->source_name));
        if (p->source_version != NULL)
            json_array_append_new(props, prop("drydock:package:source_version", p->source_version));
        if (p->owner != NULL)
            json_array_append_new(props, prop("drydock:package:owner", p->owner));
        if (p->declared_only)
            json_array_append_new(props, prop("drydock:package:declared_only", "true"));
        if (p->dev)
            json_array_append_new(props, prop("drydock:package:dev", "true"));
        json_object_set_new(c, "properties", props);
        json_array_append_new(comps, c);
    }
    json_t *doc =
        json_pack("{s:s,s:s,s:s,s:i,s:{s:s,s:{s:[{s:s,s:s,s:s}]},s:o},s:o}", "bomFormat",
                  "CycloneDX", "specVersion", "1.5", "serialNumber", serial, "version", 1,
                  "metadata", "timestamp", ts, "tools", "components", "type", "application", "name",
                  "drydock", "version", DD_VERSION, "component", main, "components", comps);
    if (doc != NULL && r->findings != NULL && dd_report_cyclonedx_vulns(doc, r) != 0) {
        json_decref(doc);
        return DD_ENOMEM;
    }
    return dump(out, doc, err);
}

/* SPDX ids allow letters, digits, '.', '-' only. */
static void spdx_id(char *out, size_t n, const char *prefix, size_t i)
{
    snprintf(out, n, "SPDXRef-%s-%zu", prefix, i);
}

int dd_report_spdx(FILE *out, const dd_scan_report *r, dd_err *err)
{
    const dd_inventory *inv = r->inv;
    char ts[40], ns[160], id[48];
    json_t *pkgs = json_array();
    json_t *rels = json_array();
    /* SPDX requires second precision "YYYY-MM-DDThh:mm:ssZ". */
    dd_time_format_rfc3339(ts, sizeof(ts), r->time_ms);
    ts[19] = 'Z';
    ts[20] = '\0';
    snprintf(ns, sizeof(ns), "https://drydock.local/spdx/%s", r->serial);
    json_t *img =
        json_pack("{s:s,s:s,s:s,s:b,s:s,s:s}", "SPDXID", "SPDXRef-Image", "name",
                  r->name ? r->name : r->target, "downloadLocation", "NOASSERTION", "filesAnalyzed",
                  0, "primaryPackagePurpose", "CONTAINER", "supplier", "NOASSERTION");
    if (r->manifest_digest != NULL) {
        json_object_set_new(img, "versionInfo", json_string(r->manifest_digest));
        if (strncmp(r->manifest_digest, "sha256:", 7) == 0)
            json_object_set_new(img, "checksums",
                                json_pack("[{s:s,s:s}]", "algorithm", "SHA256", "checksumValue",
                                          r->manifest_digest + 7));
    }
    json_array_append_new(pkgs, img);
    json_array_append_new(rels, json_pack("{s:s,s:s,s:s}", "spdxElementId", "SPDXRef-DOCUMENT",
                                          "relationshipType", "DESCRIBES", "relatedSpdxElement",
                                          "SPDXRef-Image"));
    if (inv->has_os) {
        json_t *os =
            json_pack("{s:s,s:s,s:s,s:b,s:s,s:s}", "SPDXID", "SPDXRef-OperatingSystem", "name",
                      inv->os.id, "downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
                      "primaryPackagePurpose", "OPERATING_SYSTEM", "supplier", "NOASSERTION");
        if (inv->os.version != NULL)
            json_object_set_new(os, "versionInfo", json_string(inv->os.version));
        json_array_append_new(pkgs, os);
        json_array_append_new(rels, json_pack("{s:s,s:s,s:s}", "spdxElementId", "SPDXRef-Image",
                                              "relationshipType", "CONTAINS", "relatedSpdxElement",
                                              "SPDXRef-OperatingSystem"));
    }
    for (size_t i = 0; i < inv->pkgs.n; i++) {
        const dd_pkg *p = &inv->pkgs.items[i];
        spdx_id(id, sizeof(id), "Package", i);
        json_t *o =
            json_pack("{s:s,s:s,s:s,s:s,s:b,s:s,s:s}", "SPDXID", id, "name", p->name, "versionInfo",
                      p->version, "downloadLocation", "NOASSERTION", "filesAnalyzed", 0,
                      "primaryPackagePurpose", "LIBRARY", "supplier", "NOASSERTION");
        if (inv->purls[i] != NULL)
            json_object_set_new(o, "externalRefs",
                                json_pack("[{s:s,s:s,s:s}]", "referenceCategory", "PACKAGE-MANAGER",
                                          "referenceType", "purl", "referenceLocator",
                                          inv->purls[i]));
        if (p->paths.n > 0) {
            char *c = NULL;
            const char *ld = layer_digest(r, p->layer);
            c = dd_asprintf("type: %s; path: %s%s%s%s", dd_pkg_type_name(p->type),
                            p->paths.items[0], ld && *ld ? "; layer: " : "", ld && *ld ? ld : "",
                            p->declared_only ? "; declared, not installed" : "");
            if (c != NULL)
                json_object_set_new(o, "comment", json_string(c));
            dd_free(c);
        }
        if (p->source_name != NULL)
            json_object_set_new(o, "sourceInfo",
                                json_pack("s+", "source package: ", p->source_name));
        json_array_append_new(pkgs, o);
        json_array_append_new(rels,
                              json_pack("{s:s,s:s,s:s}", "spdxElementId", "SPDXRef-Image",
                                        "relationshipType", "CONTAINS", "relatedSpdxElement", id));
    }
    json_t *doc = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:[s]},s:o,s:o}", "spdxVersion",
                            "SPDX-2.3", "dataLicense", "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT",
                            "name", r->name ? r->name : r->target, "documentNamespace", ns,
                            "creationInfo", "created", ts, "creators", "Tool: drydock-" DD_VERSION,
                            "packages", pkgs, "relationships", rels);
    return dump(out, doc, err);
}
