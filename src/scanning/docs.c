/* Findings documents: the matcher's findings for one image turned into Inspector2 Finding objects
 * (one per vulnerability id, every affected package listed), ECR BASIC findings, severity counts,
 * and the operating systems enhanced scanning supports. */
#include "scanning/internal.h"
#include "util/alloc.h"
#include "util/digest.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Operating systems with enhanced-scanning support (spec 7.1): OS id and the supported release
 * prefixes ("" = every release). Kept as a table so a new release is a one-line change. */
static const struct {
    const char *id;
    const char *releases[8];
} SUPPORTED_OS[] = {
    {"almalinux", {"8", "9", "10"}},
    {"alpine", {"3.18", "3.19", "3.20", "3.21", "3.22", "3.23", "3.24"}},
    {"amzn", {"2", "2023"}},
    {"azurelinux", {"3"}},
    {"busybox", {""}},
    {"chainguard", {""}},
    {"debian", {"11", "12", "13"}},
    {"fedora", {"41", "42", "43", "44"}},
    {"ol", {"8", "9", "10"}},
    {"photon", {"4", "5"}},
    {"rhel", {"8", "9", "10"}},
    {"rocky", {"8", "9", "10"}},
    {"sles", {"15.7", "16.0"}},
    {"ubuntu", {"18.04", "20.04", "22.04", "24.04", "26.04"}},
    {"wolfi", {""}},
};

static bool release_matches(const char *want, const char *have)
{
    if (*want == '\0')
        return true;
    size_t n = strlen(want);
    return strncmp(have, want, n) == 0 && (have[n] == '\0' || have[n] == '.');
}

bool dd_scan_os_supported(const dd_inventory *inv)
{
    if (!inv->has_os || inv->os.id == NULL)
        return false;
    const char *ver = inv->os.version_id != NULL ? inv->os.version_id : "";
    for (size_t i = 0; i < sizeof(SUPPORTED_OS) / sizeof(SUPPORTED_OS[0]); i++) {
        if (strcmp(SUPPORTED_OS[i].id, inv->os.id) != 0)
            continue;
        for (size_t k = 0; k < 8 && SUPPORTED_OS[i].releases[k] != NULL; k++)
            if (release_matches(SUPPORTED_OS[i].releases[k], ver))
                return true;
    }
    return false;
}

char *dd_scan_platform_token(const dd_inventory *inv)
{
    if (!inv->has_os || inv->os.id == NULL)
        return NULL;
    static const struct {
        const char *id, *token;
    } names[] = {{"debian", "DEBIAN"},
                 {"ubuntu", "UBUNTU"},
                 {"alpine", "ALPINE_LINUX"},
                 {"amzn", "AMAZON_LINUX"},
                 {"rhel", "RHEL"},
                 {"centos", "CENTOS"},
                 {"rocky", "ROCKY_LINUX"},
                 {"almalinux", "ALMA_LINUX"},
                 {"ol", "ORACLE_LINUX"},
                 {"fedora", "FEDORA"},
                 {"sles", "SLES"},
                 {"opensuse-leap", "OPENSUSE_LEAP"},
                 {"photon", "PHOTON_OS"},
                 {"wolfi", "WOLFI"},
                 {"chainguard", "CHAINGUARD"},
                 {"azurelinux", "AZURE_LINUX"}};
    const char *token = NULL;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(names[i].id, inv->os.id) == 0)
            token = names[i].token;
    char buf[96];
    size_t n = 0;
    const char *base = token;
    char upper[64];
    if (base == NULL) {
        for (n = 0; inv->os.id[n] != '\0' && n < sizeof(upper) - 1; n++)
            upper[n] = isalnum((unsigned char)inv->os.id[n])
                           ? (char)toupper((unsigned char)inv->os.id[n])
                           : '_';
        upper[n] = '\0';
        base = upper;
    }
    const char *ver = inv->os.version_id;
    if (ver == NULL)
        return dd_strdup(base);
    /* Alpine and SLES keep minor versions; others use the major (Ubuntu keeps 22_04). */
    char v[32];
    size_t k = 0;
    bool keep_minor = strcmp(inv->os.id, "ubuntu") == 0 || strcmp(inv->os.id, "alpine") == 0 ||
                      strcmp(inv->os.id, "sles") == 0;
    int dots = 0;
    for (size_t i = 0; ver[i] != '\0' && k < sizeof(v) - 1; i++) {
        if (ver[i] == '.') {
            if (!keep_minor || ++dots > 1)
                break;
            v[k++] = '_';
        } else if (isalnum((unsigned char)ver[i])) {
            v[k++] = ver[i];
        }
    }
    v[k] = '\0';
    snprintf(buf, sizeof(buf), "%s_%s", base, v);
    return dd_strdup(buf);
}

static const char *package_manager(const dd_pkg *p)
{
    switch (p->type) {
    case DD_PKG_DPKG:
    case DD_PKG_APK:
    case DD_PKG_RPM:
        return "OS";
    case DD_PKG_NPM: {
        const char *path = p->paths.n > 0 ? p->paths.items[0] : "";
        if (strstr(path, "yarn.lock") != NULL)
            return "YARN";
        if (strstr(path, "package-lock.json") != NULL || strstr(path, "pnpm-lock") != NULL ||
            strstr(path, "npm-shrinkwrap.json") != NULL)
            return "NPM";
        return "NODEPKG";
    }
    case DD_PKG_PYTHON: {
        const char *path = p->paths.n > 0 ? p->paths.items[0] : "";
        if (strstr(path, "Pipfile.lock") != NULL)
            return "PIPENV";
        if (strstr(path, "poetry.lock") != NULL)
            return "POETRY";
        if (strstr(path, "requirements") != NULL || strstr(path, "uv.lock") != NULL)
            return "PIP";
        return "PYTHONPKG";
    }
    case DD_PKG_GOBINARY:
        return "GOBINARY";
    case DD_PKG_GOMOD:
        return "GOMOD";
    case DD_PKG_JAVA:
        return "JAR";
    case DD_PKG_GEM: {
        const char *path = p->paths.n > 0 ? p->paths.items[0] : "";
        return strstr(path, "Gemfile.lock") != NULL ? "BUNDLER" : "GEMSPEC";
    }
    case DD_PKG_CARGO:
        return "CARGO";
    case DD_PKG_COMPOSER:
        return "COMPOSER";
    case DD_PKG_NUGET: {
        const char *path = p->paths.n > 0 ? p->paths.items[0] : "";
        return strstr(path, ".deps.json") != NULL ? "DOTNET_CORE" : "NUGET";
    }
    default:
        return "OS";
    }
}

static const char *inspector_severity(dd_sev_level l)
{
    switch (l) {
    case DD_SEVL_CRITICAL:
        return "CRITICAL";
    case DD_SEVL_HIGH:
        return "HIGH";
    case DD_SEVL_MEDIUM:
        return "MEDIUM";
    case DD_SEVL_LOW:
        return "LOW";
    case DD_SEVL_NEGLIGIBLE:
        return "INFORMATIONAL";
    default:
        return "UNTRIAGED";
    }
}

static int sev_rank(const char *s)
{
    static const char *order[] = {"UNTRIAGED", "INFORMATIONAL", "LOW",
                                  "MEDIUM",    "HIGH",          "CRITICAL"};
    for (int i = 0; i < 6; i++)
        if (strcmp(order[i], s) == 0)
            return i;
    return 0;
}

/* Advisory source ("debian:DSA-1234-1") -> Inspector-style source name. */
static void source_name(const dd_finding *f, char *out, size_t out_len)
{
    const char *adv = f->advisories.n > 0 ? f->advisories.items[0] : "";
    const char *colon = strchr(adv, ':');
    size_t n = colon != NULL ? (size_t)(colon - adv) : strlen(adv);
    static const char *distros[] = {"debian", "ubuntu", "alpine", "redhat", "rhel",
                                    "amazon", "suse",   "oracle", "rocky",  "alma"};
    char lower[32];
    if (n >= sizeof(lower))
        n = sizeof(lower) - 1;
    for (size_t i = 0; i < n; i++)
        lower[i] = (char)tolower((unsigned char)adv[i]);
    lower[n] = '\0';
    for (size_t i = 0; i < sizeof(distros) / sizeof(distros[0]); i++)
        if (strncmp(lower, distros[i], strlen(distros[i])) == 0) {
            char up[32];
            size_t k;
            for (k = 0; lower[k] != '\0' && k < sizeof(up) - 1; k++)
                up[k] = (char)toupper((unsigned char)lower[k]);
            up[k] = '\0';
            snprintf(out, out_len, "%s_CVE", up);
            return;
        }
    if (strncmp(f->id, "GHSA-", 5) == 0 || strstr(lower, "ghsa") != NULL ||
        strstr(lower, "github") != NULL)
        snprintf(out, out_len, "GITHUB");
    else if (strncmp(f->id, "CVE-", 4) == 0)
        snprintf(out, out_len, "NVD");
    else {
        size_t k;
        for (k = 0; lower[k] != '\0' && k < out_len - 1; k++)
            out[k] = (char)toupper((unsigned char)lower[k]);
        out[k] = '\0';
        if (k == 0)
            snprintf(out, out_len, "DRYDOCK");
    }
}

static char *source_url(const dd_finding *f)
{
    if (strncmp(f->id, "CVE-", 4) == 0)
        return dd_asprintf("https://nvd.nist.gov/vuln/detail/%s", f->id);
    if (strncmp(f->id, "GHSA-", 5) == 0)
        return dd_asprintf("https://github.com/advisories/%s", f->id);
    if (f->references.n > 0)
        return dd_strdup(f->references.items[0]);
    return dd_asprintf("https://osv.dev/vulnerability/%s", f->id);
}

static json_t *truncated(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return json_string(s);
    /* cut on a UTF-8 boundary */
    while (n > max || (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80))
        n--;
    return json_stringn(s, n);
}

static const char *cvss_version(const dd_severity *sv)
{
    if (sv->type == DD_SEV_CVSS_V2)
        return "2.0";
    if (sv->type == DD_SEV_CVSS_V4)
        return "4.0";
    if (sv->vector != NULL && strncmp(sv->vector, "CVSS:3.0", 8) == 0)
        return "3.0";
    return "3.1";
}

static void finding_arn(const dd_scan_image_meta *meta, const char *vuln_id, char *out,
                        size_t out_len)
{
    char *key = dd_asprintf("%s|%s|%s", meta->account, meta->resource_id, vuln_id);
    char dg[DD_DIGEST_STR_MAX] = "sha256:00000000000000000000000000000000";
    if (key != NULL && dd_digest_buf(dg, key, strlen(key)) != 0)
        dg[7] = '\0';
    dd_free(key);
    snprintf(out, out_len, "arn:aws:inspector2:%s:%s:finding/%.32s", meta->region, meta->account,
             dg + 7);
}

static json_t *vulnerable_package(const dd_finding *f, const dd_inventory *inv,
                                  const dd_scan_image_meta *meta)
{
    const dd_pkg *p = &inv->pkgs.items[f->pkg];
    json_t *vp = json_object();
    json_object_set_new(vp, "name", json_string(p->name));
    const char *version = p->version != NULL ? p->version : "";
    char *ver = NULL, *rel = NULL;
    if (p->type == DD_PKG_RPM) {
        const char *v = strchr(version, ':') != NULL ? strchr(version, ':') + 1 : version;
        const char *dash = strrchr(v, '-');
        ver = dash != NULL ? dd_strndup(v, (size_t)(dash - v)) : dd_strdup(v);
        rel = dash != NULL ? dd_strdup(dash + 1) : NULL;
    } else if (p->type == DD_PKG_DPKG) {
        const char *v = strchr(version, ':') != NULL ? strchr(version, ':') + 1 : version;
        const char *dash = strrchr(v, '-');
        ver = dash != NULL ? dd_strndup(v, (size_t)(dash - v)) : dd_strdup(v);
        rel = dash != NULL ? dd_strdup(dash + 1) : NULL;
    } else {
        ver = dd_strdup(version);
    }
    json_object_set_new(vp, "version", json_string(ver != NULL ? ver : version));
    if (rel != NULL)
        json_object_set_new(vp, "release", json_string(rel));
    dd_free(ver);
    dd_free(rel);
    long epoch = 0;
    if (p->epoch != NULL)
        epoch = strtol(p->epoch, NULL, 10);
    else if ((p->type == DD_PKG_DPKG || p->type == DD_PKG_RPM) && strchr(version, ':') != NULL)
        epoch = strtol(version, NULL, 10);
    json_object_set_new(vp, "epoch", json_integer(epoch));
    if (p->arch != NULL) {
        char arch[64];
        size_t k;
        for (k = 0; p->arch[k] != '\0' && k < sizeof(arch) - 1; k++)
            arch[k] = (char)toupper((unsigned char)p->arch[k]);
        arch[k] = '\0';
        json_object_set_new(vp, "arch", json_string(arch));
    }
    json_object_set_new(vp, "packageManager", json_string(package_manager(p)));
    if (p->type != DD_PKG_DPKG && p->type != DD_PKG_APK && p->type != DD_PKG_RPM &&
        p->paths.n > 0) {
        const char *path = p->paths.items[0];
        while (*path == '/')
            path++;
        json_object_set_new(vp, "filePath", json_string(path));
    }
    json_object_set_new(vp, "fixedInVersion",
                        json_string(f->fixed_version != NULL ? f->fixed_version : "NotAvailable"));
    if (p->layer >= 0 && meta->layers != NULL && (size_t)p->layer < meta->layers->n)
        json_object_set_new(vp, "sourceLayerHash", json_string(meta->layers->items[p->layer]));
    char *rem = f->fixed_version != NULL
                    ? dd_asprintf("Upgrade %s to %s", p->name, f->fixed_version)
                    : dd_strdup("None Provided");
    if (rem != NULL)
        json_object_set_new(vp, "remediation", json_string(rem));
    dd_free(rem);
    return vp;
}

static json_t *resource(const dd_scan_image_meta *meta)
{
    json_t *img = json_object();
    json_object_set_new(img, "repositoryName", json_string(meta->repo));
    json_object_set_new(img, "imageHash", json_string(meta->digest));
    json_object_set_new(img, "registry", json_string(meta->account));
    json_object_set(img, "imageTags", meta->tags != NULL ? meta->tags : json_array());
    if (meta->pushed_at_ms > 0)
        json_object_set_new(img, "pushedAt", json_real((double)meta->pushed_at_ms / 1000.0));
    if (meta->architecture != NULL && *meta->architecture != '\0')
        json_object_set_new(img, "architecture", json_string(meta->architecture));
    if (meta->platform != NULL)
        json_object_set_new(img, "platform", json_string(meta->platform));
    json_t *res = json_pack("{s:s,s:s,s:s,s:s,s:{},s:{s:o}}", "type", "AWS_ECR_CONTAINER_IMAGE",
                            "id", meta->resource_id, "partition", "aws", "region", meta->region,
                            "tags", "details", "awsEcrContainerImage", img);
    return json_pack("[o]", res);
}

/* Index of the first finding of each distinct id, in order of first appearance. */
json_t *dd_scan_finding_docs(const dd_match_result *m, const dd_inventory *inv,
                             const dd_scan_image_meta *meta)
{
    json_t *docs = json_array();
    json_t *by_id = json_object(); /* id -> index in docs */
    if (docs == NULL || by_id == NULL)
        goto fail;
    for (size_t i = 0; i < m->n; i++) {
        const dd_finding *f = &m->items[i];
        if (f->pkg >= inv->pkgs.n)
            continue;
        const dd_pkg *p = &inv->pkgs.items[f->pkg];
        json_t *idx = json_object_get(by_id, f->id);
        json_t *doc;
        if (idx != NULL) {
            doc = json_array_get(docs, (size_t)json_integer_value(idx));
            json_t *pvd = json_object_get(doc, "packageVulnerabilityDetails");
            json_t *vps = json_object_get(pvd, "vulnerablePackages");
            /* the same package found twice (e.g. two paths) is listed once */
            bool dup = false;
            size_t k;
            json_t *vp;
            json_array_foreach(vps, k, vp)
            {
                if (strcmp(json_string_value(json_object_get(vp, "name")), p->name) == 0 &&
                    strcmp(json_string_value(json_object_get(vp, "version")),
                           p->version != NULL ? p->version : "") == 0)
                    dup = true;
            }
            if (!dup && json_array_size(vps) < 100) {
                json_array_append_new(vps, vulnerable_package(f, inv, meta));
                const char *title = json_string_value(json_object_get(doc, "title"));
                if (strlen(title) + strlen(p->name) < 1000 && strstr(title, p->name) == NULL) {
                    char *t = dd_asprintf("%s, %s", title, p->name);
                    if (t != NULL)
                        json_object_set_new(doc, "title", json_string(t));
                    dd_free(t);
                }
            }
            const char *sev = inspector_severity(f->severity);
            if (sev_rank(sev) > sev_rank(json_string_value(json_object_get(doc, "severity"))))
                json_object_set_new(doc, "severity", json_string(sev));
            continue;
        }
        doc = json_object();
        json_object_set_new(by_id, f->id, json_integer((json_int_t)json_array_size(docs)));
        json_array_append_new(docs, doc);
        char arn[160];
        finding_arn(meta, f->id, arn, sizeof(arn));
        json_object_set_new(doc, "findingArn", json_string(arn));
        json_object_set_new(doc, "awsAccountId", json_string(meta->account));
        json_object_set_new(doc, "type", json_string("PACKAGE_VULNERABILITY"));
        char *title = dd_asprintf("%s - %s", f->id, p->name);
        json_object_set_new(doc, "title", truncated(title != NULL ? title : f->id, 1024));
        dd_free(title);
        const char *desc = f->description != NULL && *f->description ? f->description
                           : f->title != NULL && *f->title           ? f->title
                                                                     : f->id;
        json_object_set_new(doc, "description", truncated(desc, 1024));
        json_object_set_new(doc, "severity", json_string(inspector_severity(f->severity)));
        char src[48];
        source_name(f, src, sizeof(src));
        char *url = source_url(f);
        if (f->cvss_score >= 0 && f->cvss_vector != NULL) {
            json_object_set_new(doc, "inspectorScore", json_real(f->cvss_score));
            const char *ver = "3.1";
            for (size_t k = 0; k < f->n_cvss; k++)
                if (f->cvss[k].vector != NULL && strcmp(f->cvss[k].vector, f->cvss_vector) == 0)
                    ver = cvss_version(&f->cvss[k]);
            json_object_set_new(doc, "inspectorScoreDetails",
                                json_pack("{s:{s:s,s:s,s:s,s:f,s:s,s:[]}}", "adjustedCvss",
                                          "scoreSource", src, "cvssSource", src, "version", ver,
                                          "score", f->cvss_score, "scoringVector", f->cvss_vector,
                                          "adjustments"));
        }
        json_t *rec = json_object();
        char *text = f->fixed_version != NULL
                         ? dd_asprintf("Upgrade %s to %s or later.", p->name, f->fixed_version)
                         : dd_strdup("None Provided");
        json_object_set_new(rec, "text", json_string(text != NULL ? text : "None Provided"));
        dd_free(text);
        if (url != NULL)
            json_object_set_new(rec, "Url", json_string(url));
        json_object_set_new(doc, "remediation", json_pack("{s:o}", "recommendation", rec));
        json_t *pvd = json_object();
        json_object_set_new(pvd, "vulnerabilityId", json_string(f->id));
        json_object_set_new(pvd, "source", json_string(src));
        if (url != NULL)
            json_object_set_new(pvd, "sourceUrl", json_string(url));
        dd_free(url);
        json_t *cvss = json_array();
        for (size_t k = 0; k < f->n_cvss; k++) {
            const dd_severity *sv = &f->cvss[k];
            if (sv->type == DD_SEV_VENDOR || sv->vector == NULL || sv->score < 0)
                continue;
            char up[32];
            size_t j;
            const char *s = sv->source != NULL ? sv->source : "nvd";
            for (j = 0; s[j] != '\0' && j < sizeof(up) - 1; j++)
                up[j] = (char)toupper((unsigned char)s[j]);
            up[j] = '\0';
            json_array_append_new(cvss, json_pack("{s:f,s:s,s:s,s:s}", "baseScore", sv->score,
                                                  "scoringVector", sv->vector, "version",
                                                  cvss_version(sv), "source", up));
        }
        json_object_set_new(pvd, "cvss", cvss);
        json_t *related = json_array();
        for (size_t k = 0; k < f->aliases.n && k < 100; k++)
            json_array_append_new(related, json_string(f->aliases.items[k]));
        json_object_set_new(pvd, "relatedVulnerabilities", related);
        json_t *refs = json_array();
        for (size_t k = 0; k < f->references.n && k < 100; k++)
            json_array_append_new(refs, json_string(f->references.items[k]));
        json_object_set_new(pvd, "referenceUrls", refs);
        const char *vendor = f->severity_source != NULL ? f->severity_source : "";
        char vs[48];
        snprintf(vs, sizeof(vs), "%s", dd_sev_level_name(f->severity));
        for (char *q = vs; *q; q++)
            *q = (char)tolower((unsigned char)*q);
        if (f->severity != DD_SEVL_UNKNOWN && *vendor != '\0')
            json_object_set_new(pvd, "vendorSeverity", json_string(vs));
        if (f->published_ms > 0)
            json_object_set_new(pvd, "vendorCreatedAt",
                                json_real((double)f->published_ms / 1000.0));
        if (f->modified_ms > 0)
            json_object_set_new(pvd, "vendorUpdatedAt", json_real((double)f->modified_ms / 1000.0));
        json_object_set_new(pvd, "vulnerablePackages",
                            json_pack("[o]", vulnerable_package(f, inv, meta)));
        json_object_set_new(doc, "packageVulnerabilityDetails", pvd);
        json_object_set_new(doc, "resources", resource(meta));
    }
    /* fixAvailable from every package of each finding */
    size_t i;
    json_t *doc;
    json_array_foreach(docs, i, doc)
    {
        size_t k, fixed = 0, total = 0;
        json_t *vp;
        json_array_foreach(json_object_get(json_object_get(doc, "packageVulnerabilityDetails"),
                                           "vulnerablePackages"),
                           k, vp)
        {
            total++;
            if (strcmp(json_string_value(json_object_get(vp, "fixedInVersion")), "NotAvailable") !=
                0)
                fixed++;
        }
        json_object_set_new(doc, "fixAvailable",
                            json_string(fixed == 0       ? "NO"
                                        : fixed == total ? "YES"
                                                         : "PARTIAL"));
    }
    json_decref(by_id);
    return docs;
fail:
    json_decref(docs);
    json_decref(by_id);
    return NULL;
}

static const char *ecr_basic_severity(dd_sev_level l)
{
    switch (l) {
    case DD_SEVL_CRITICAL:
        return "CRITICAL";
    case DD_SEVL_HIGH:
        return "HIGH";
    case DD_SEVL_MEDIUM:
        return "MEDIUM";
    case DD_SEVL_LOW:
        return "LOW";
    case DD_SEVL_NEGLIGIBLE:
        return "INFORMATIONAL";
    default:
        return "UNDEFINED";
    }
}

json_t *dd_scan_basic_findings(const dd_match_result *m, const dd_inventory *inv)
{
    json_t *out = json_array();
    for (size_t i = 0; out != NULL && i < m->n; i++) {
        const dd_finding *f = &m->items[i];
        if (f->pkg >= inv->pkgs.n)
            continue;
        const dd_pkg *p = &inv->pkgs.items[f->pkg];
        if (p->type != DD_PKG_DPKG && p->type != DD_PKG_APK && p->type != DD_PKG_RPM)
            continue;
        json_t *attrs =
            json_pack("[{s:s,s:s},{s:s,s:s}]", "key", "package_name", "value", p->name, "key",
                      "package_version", "value", p->version != NULL ? p->version : "");
        if (f->cvss_vector != NULL && f->cvss_score >= 0) {
            char score[16];
            snprintf(score, sizeof(score), "%.1f", f->cvss_score);
            bool v2 = strncmp(f->cvss_vector, "CVSS:", 5) != 0;
            json_array_append_new(attrs, json_pack("{s:s,s:s}", "key",
                                                   v2 ? "CVSS2_VECTOR" : "CVSS3_VECTOR", "value",
                                                   f->cvss_vector));
            json_array_append_new(
                attrs,
                json_pack("{s:s,s:s}", "key", v2 ? "CVSS2_SCORE" : "CVSS3_SCORE", "value", score));
        }
        char *uri = source_url(f);
        json_t *bf = json_object();
        json_object_set_new(bf, "name", json_string(f->id));
        const char *desc = f->description != NULL && *f->description ? f->description
                           : f->title != NULL                        ? f->title
                                                                     : "";
        if (*desc)
            json_object_set_new(bf, "description", truncated(desc, 1024));
        if (uri != NULL)
            json_object_set_new(bf, "uri", json_string(uri));
        dd_free(uri);
        json_object_set_new(bf, "severity", json_string(ecr_basic_severity(f->severity)));
        json_object_set_new(bf, "attributes", attrs);
        json_array_append_new(out, bf);
    }
    return out;
}

json_t *dd_scan_basic_counts(const json_t *findings)
{
    json_t *counts = json_object();
    size_t i;
    json_t *d;
    json_array_foreach(findings, i, d)
    {
        const char *sev = json_string_value(json_object_get(d, "severity"));
        if (sev == NULL)
            continue;
        json_t *c = json_object_get(counts, sev);
        json_object_set_new(counts, sev, json_integer(c != NULL ? json_integer_value(c) + 1 : 1));
    }
    return counts;
}
