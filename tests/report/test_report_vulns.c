/* Tests for the vulnerability reports: a hand-built inventory and match result (a CVE with a GHSA
 * alias and a CVSS v3.1 vector, a Debian CVE named by a DSA on two packages of one source package
 * with the distro's rating and no fix, a GHSA without CVSS, a negligible unfixable one, and one
 * hidden by the filters) is written as SARIF 2.1.0 and as CycloneDX 1.5 with vulnerabilities.
 * Both documents are validated against their official JSON schemas by
 * tests/lib/validate_json_schema.py (which must reject broken documents too, so the check can
 * fail), then read back with jansson and checked field by field. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inventory/purl.h"
#include "report/internal.h"
#include "report/report.h"
#include "common.h"
#include "util/alloc.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

#define SCHEMAS DD_FIXTURES "/schemas"
#define CDX_SCHEMA SCHEMAS "/bom-1.5.SNAPSHOT.schema.json"
#define SARIF_SCHEMA SCHEMAS "/sarif-schema-2.1.0.json"
#define SERIAL "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
#define SCAN_MS 1700000000123LL      /* 2023-11-14T22:13:20.123Z */
#define PUBLISHED_MS 1613347200000LL /* 2021-02-15T00:00:00.000Z */

#define LODASH_VEC "CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H"
#define GLIBC_VEC3 "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H"
#define GLIBC_VEC2 "AV:L/AC:L/Au:N/C:C/I:C/A:C"

/* Inventory packages, in inventory order. */
enum { P_LIBC_BIN, P_LIBC6, P_OPENSSL, P_LODASH, P_MINIMIST, N_PKGS };

typedef struct pspec {
    dd_pkg_type type;
    const char *name, *version, *source_name, *source_version, *path;
} pspec;

static const pspec pkgs[N_PKGS] = {
    [P_LIBC_BIN] = {DD_PKG_DPKG, "libc-bin", "2.36-9+deb12u1", "glibc", NULL,
                    "var/lib/dpkg/status"},
    [P_LIBC6] = {DD_PKG_DPKG, "libc6", "2.36-9+deb12u1", "glibc", NULL, "var/lib/dpkg/status"},
    [P_OPENSSL] = {DD_PKG_DPKG, "openssl", "3.0.11-1~deb12u2", NULL, NULL, "var/lib/dpkg/status"},
    [P_LODASH] = {DD_PKG_NPM, "lodash", "4.17.20", NULL, NULL,
                  "app/node_modules/lodash/package.json"},
    /* a leading '/' and a space: the SARIF location must drop the one and encode the other */
    [P_MINIMIST] = {DD_PKG_NPM, "minimist", "1.2.5", NULL, NULL,
                    "/app/node modules/minimist/package.json"},
};

/* Findings, in the matcher's order (severity, then package name). */
enum { F_LODASH, F_GLIBC_LIBC_BIN, F_GLIBC_LIBC6, F_MINIMIST, F_HIDDEN, F_NEGLIGIBLE, N_FINDINGS };
static const unsigned char shown[N_FINDINGS] = {1, 1, 1, 1, 0, 1};

static char *dup_or_null(const char *s)
{
    return s ? dd_strdup(s) : NULL;
}

static void build_inventory(dd_inventory *inv)
{
    memset(inv, 0, sizeof(*inv));
    inv->has_os = 1;
    inv->os.id = dd_strdup("debian");
    inv->os.version_id = dd_strdup("12");
    inv->os.version = dd_strdup("12.4");
    inv->os.pretty_name = dd_strdup("Debian GNU/Linux 12 (bookworm)");
    for (size_t i = 0; i < N_PKGS; i++) {
        const pspec *s = &pkgs[i];
        dd_pkg *p = NULL;
        assert_int_equal(dd_pkg_list_add(&inv->pkgs, s->type, s->name, s->version, s->path, &p), 0);
        p->source_name = dup_or_null(s->source_name);
        p->source_version = dup_or_null(s->source_version);
        p->arch = s->type == DD_PKG_DPKG ? dd_strdup("amd64") : NULL;
        p->layer = 0;
    }
    inv->purls = dd_calloc(N_PKGS, sizeof(char *));
    assert_non_null(inv->purls);
    for (size_t i = 0; i < N_PKGS; i++)
        assert_int_equal(dd_purl_build(&inv->purls[i], &inv->pkgs.items[i], &inv->os), 0);
}

static void push_all(dd_strlist *l, const char *const *items)
{
    for (; items != NULL && *items != NULL; items++)
        assert_int_equal(dd_strlist_push_str(l, *items), 0);
}

static void add_cvss(dd_finding *f, dd_sev_type type, const char *source, const char *vector,
                     double score, const char *rating)
{
    f->cvss = dd_reallocarray(f->cvss, f->n_cvss + 1, sizeof(*f->cvss));
    assert_non_null(f->cvss);
    dd_severity *s = &f->cvss[f->n_cvss++];
    memset(s, 0, sizeof(*s));
    s->type = type;
    s->source = dup_or_null(source);
    s->vector = dup_or_null(vector);
    s->score = score;
    s->rating = dup_or_null(rating);
}

static char *long_text(size_t n)
{
    char *s = dd_malloc(n + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = (char)('a' + i % 26);
    s[n] = '\0';
    return s;
}

static void build_findings(dd_match_result *m)
{
    memset(m, 0, sizeof(*m));
    m->items = dd_calloc(N_FINDINGS, sizeof(dd_finding));
    assert_non_null(m->items);
    m->n = N_FINDINGS;
    m->db_version = dd_strdup("20231114.1");
    for (size_t i = 0; i < N_FINDINGS; i++)
        m->items[i].cvss_score = -1;

    dd_finding *f = &m->items[F_LODASH];
    f->id = dd_strdup("CVE-2021-23337");
    push_all(&f->aliases, (const char *const[]){"GHSA-35jh-r3h4-6jhm", NULL});
    push_all(&f->advisories, (const char *const[]){"osv:GHSA-35jh-r3h4-6jhm", NULL});
    f->pkg = P_LODASH;
    f->installed = dd_strdup("4.17.20");
    f->fixed_version = dd_strdup("4.17.21");
    f->fix_state = DD_FIX_FIXED;
    f->severity = DD_SEVL_HIGH;
    f->cvss_score = 7.2;
    f->cvss_vector = dd_strdup(LODASH_VEC);
    add_cvss(f, DD_SEV_CVSS_V3, "nvd", LODASH_VEC, 7.2, "HIGH");
    f->title = dd_strdup("Command Injection in lodash");
    f->description = dd_strdup("Lodash versions prior to 4.17.21 are vulnerable to Command "
                               "Injection via the template function.");
    push_all(&f->references,
             (const char *const[]){"https://nvd.nist.gov/vuln/detail/CVE-2021-23337",
                                   "https://github.com/lodash/lodash/commit/3469357", NULL});
    f->published_ms = PUBLISHED_MS;
    f->modified_ms = SCAN_MS;

    /* one CVE of a DSA, on two binary packages of the same source package */
    for (int k = 0; k < 2; k++) {
        f = &m->items[k == 0 ? F_GLIBC_LIBC_BIN : F_GLIBC_LIBC6];
        f->id = dd_strdup("CVE-2023-4911");
        push_all(&f->aliases, (const char *const[]){"DSA-5514-1", NULL});
        push_all(&f->advisories, (const char *const[]){"debian-tracker:CVE-2023-4911",
                                                       "debian-dsa:DSA-5514-1", NULL});
        f->pkg = k == 0 ? P_LIBC_BIN : P_LIBC6;
        f->installed = dd_strdup("2.36-9+deb12u1");
        f->fix_state = DD_FIX_NOT_FIXED;
        f->severity = DD_SEVL_HIGH;
        f->severity_source = dd_strdup("debian-tracker");
        f->cvss_score = 7.8;
        f->cvss_vector = dd_strdup(GLIBC_VEC3);
        add_cvss(f, DD_SEV_CVSS_V3, "nvd", GLIBC_VEC3, 7.8, "HIGH");
        add_cvss(f, DD_SEV_CVSS_V2, "nvd", GLIBC_VEC2, 7.2, NULL);
        f->title = dd_strdup("glibc: buffer overflow in ld.so | GLIBC_TUNABLES");
        /* text from a feed may be ill-formed UTF-8: it must not break the documents */
        f->description = dd_strdup("A buffer overflow was discovered in the GNU C Library's "
                                   "dynamic loader (\xff\xfe \"Looney Tunables\").\nLocal users "
                                   "may gain root.");
        push_all(&f->references,
                 (const char *const[]){"https://security-tracker.debian.org/tracker/CVE-2023-4911",
                                       "not a url", NULL});
        f->published_ms = 1696291200000LL;
    }

    f = &m->items[F_MINIMIST];
    f->id = dd_strdup("GHSA-xvch-5gv4-984h");
    push_all(&f->advisories, (const char *const[]){"osv:GHSA-xvch-5gv4-984h", NULL});
    f->pkg = P_MINIMIST;
    f->installed = dd_strdup("1.2.5");
    f->fixed_version = dd_strdup("1.2.6");
    f->fix_state = DD_FIX_FIXED;
    f->severity = DD_SEVL_MEDIUM; /* the advisory's own "MODERATE": no CVSS at all */
    f->title = dd_strdup("Prototype Pollution in minimist");
    f->description = long_text(9000);

    f = &m->items[F_HIDDEN];
    f->id = dd_strdup("CVE-2022-0001");
    push_all(&f->advisories, (const char *const[]){"debian-tracker:CVE-2022-0001", NULL});
    f->pkg = P_OPENSSL;
    f->installed = dd_strdup("3.0.11-1~deb12u2");
    f->fix_state = DD_FIX_NOT_FIXED;
    f->severity = DD_SEVL_LOW;

    f = &m->items[F_NEGLIGIBLE];
    f->id = dd_strdup("CVE-2010-4756");
    push_all(&f->advisories, (const char *const[]){"debian-tracker:CVE-2010-4756", NULL});
    f->pkg = P_LIBC6;
    f->installed = dd_strdup("2.36-9+deb12u1");
    f->fix_state = DD_FIX_WILL_NOT_FIX;
    f->severity = DD_SEVL_NEGLIGIBLE;
    f->severity_source = dd_strdup("debian-tracker");
    f->cvss_score = 4.0;
    add_cvss(f, DD_SEV_CVSS_V2, "nvd", "AV:N/AC:L/Au:S/C:N/I:N/A:P", 4.0, "MEDIUM");
    f->cvss_vector = dd_strdup("AV:N/AC:L/Au:S/C:N/I:N/A:P");
}

static void make_report(dd_scan_report *r, const dd_inventory *inv, const dd_match_result *m)
{
    memset(r, 0, sizeof(*r));
    r->inv = inv;
    r->time_ms = SCAN_MS;
    r->serial = SERIAL;
    r->target = "oci:images:node-app";
    r->name = "node-app";
    r->manifest_digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    r->platform = "linux/amd64";
    r->findings = m;
    r->shown = shown;
}

typedef struct fixture {
    char dir[64];
    dd_inventory inv;
    dd_match_result m;
    dd_scan_report r;
} fixture;

static int setup(void **state)
{
    fixture *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return -1;
    snprintf(t->dir, sizeof(t->dir), "/tmp/dd-report-vulns-XXXXXX");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    build_inventory(&t->inv);
    build_findings(&t->m);
    make_report(&t->r, &t->inv, &t->m);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    fixture *t = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    int rc = system(cmd);
    dd_match_result_free(&t->m);
    dd_inventory_free(&t->inv);
    free(t);
    return rc == 0 ? 0 : -1;
}

/* Exit status of the validator on doc (0 valid, 1 invalid, 2 error). */
/* o[key] as a string, failing the test when it is missing. */
static const char *need(json_t *o, const char *key)
{
    const char *s = jstr(o, key);
    if (s == NULL)
        fail_msg("no string \"%s\" in %s", key, json_dumps(o, JSON_COMPACT));
    return s;
}

static json_t *find_by(json_t *arr, const char *key, const char *value)
{
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        const char *s = jstr(e, key);
        if (s != NULL && strcmp(s, value) == 0)
            return e;
    }
    return NULL;
}

static json_t *sarif_run(json_t *doc)
{
    json_t *runs = json_object_get(doc, "runs");
    assert_int_equal(json_array_size(runs), 1);
    return json_array_get(runs, 0);
}

static json_t *sarif_rules(json_t *doc)
{
    return json_object_get(json_object_get(json_object_get(sarif_run(doc), "tool"), "driver"),
                           "rules");
}

static void test_sarif(void **state)
{
    fixture *t = *state;
    char *path = write_doc(t->dir, "scan.sarif", dd_report_sarif, &t->r);
    assert_int_equal(validate(SARIF_SCHEMA, path), 0);
    json_t *doc = load(path);

    assert_string_equal(need(doc, "$schema"), "https://json.schemastore.org/sarif-2.1.0.json");
    assert_string_equal(need(doc, "version"), "2.1.0");
    json_t *run = sarif_run(doc);
    json_t *driver = json_object_get(json_object_get(run, "tool"), "driver");
    assert_string_equal(need(driver, "name"), "drydock");
    assert_string_equal(need(driver, "version"), DD_VERSION);
    assert_string_equal(need(json_object_get(run, "properties"), "db_version"), "20231114.1");

    /* one rule per distinct shown id, in the findings' order; the hidden one is absent */
    json_t *rules = sarif_rules(doc);
    static const char *const rule_ids[] = {"CVE-2021-23337", "CVE-2023-4911", "GHSA-xvch-5gv4-984h",
                                           "CVE-2010-4756"};
    assert_int_equal(json_array_size(rules), 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(need(json_array_get(rules, i), "id"), rule_ids[i]);
    assert_null(find_by(rules, "id", "CVE-2022-0001"));

    json_t *lodash = json_array_get(rules, 0);
    assert_string_equal(need(json_object_get(lodash, "shortDescription"), "text"),
                        "Command Injection in lodash");
    assert_non_null(
        strstr(need(json_object_get(lodash, "fullDescription"), "text"), "template function"));
    assert_string_equal(need(lodash, "helpUri"), "https://nvd.nist.gov/vuln/detail/CVE-2021-23337");
    json_t *props = json_object_get(lodash, "properties");
    assert_string_equal(need(props, "security-severity"), "7.2");
    json_t *tags = json_object_get(props, "tags");
    assert_int_equal(json_array_size(tags), 3);
    assert_string_equal(json_string_value(json_array_get(tags, 0)), "vulnerability");
    assert_string_equal(json_string_value(json_array_get(tags, 1)), "security");
    assert_string_equal(json_string_value(json_array_get(tags, 2)), "HIGH");
    const char *md = need(json_object_get(lodash, "help"), "markdown");
    assert_non_null(strstr(md, "| Package | Installed | Fixed | Severity |"));
    assert_non_null(strstr(md, "| lodash | 4.17.20 | 4.17.21 | HIGH |"));
    assert_non_null(
        strstr(need(json_object_get(lodash, "help"), "text"), "lodash | 4.17.20 | 4.17.21 | HIGH"));

    /* one rule for both glibc packages; its help lists both, Markdown escaped */
    json_t *glibc = json_array_get(rules, 1);
    assert_string_equal(need(glibc, "helpUri"),
                        "https://security-tracker.debian.org/tracker/CVE-2023-4911");
    assert_string_equal(need(json_object_get(glibc, "properties"), "security-severity"), "7.8");
    md = need(json_object_get(glibc, "help"), "markdown");
    assert_non_null(strstr(md, "| libc-bin | 2.36-9+deb12u1 | not-fixed | HIGH |"));
    assert_non_null(strstr(md, "| libc6 | 2.36-9+deb12u1 | not-fixed | HIGH |"));
    assert_non_null(strstr(md, "ld.so \\| GLIBC\\_TUNABLES"));
    /* the ill-formed bytes became U+FFFD */
    assert_non_null(strstr(need(json_object_get(glibc, "fullDescription"), "text"),
                           "(\xef\xbf\xbd\xef\xbf\xbd \"Looney"));

    /* no CVSS: no security-severity; no reference: the advisory's page; long text cut */
    json_t *ghsa = json_array_get(rules, 2);
    assert_null(json_object_get(json_object_get(ghsa, "properties"), "security-severity"));
    assert_string_equal(need(ghsa, "helpUri"), "https://github.com/advisories/GHSA-xvch-5gv4-984h");
    const char *full = need(json_object_get(ghsa, "fullDescription"), "text");
    assert_true(strlen(full) <= 4000 + 3);
    assert_true(strlen(full) >= 3900);
    assert_string_equal(full + strlen(full) - 3, "\xe2\x80\xa6");

    /* one result per shown finding, pointing at its rule */
    json_t *results = json_object_get(run, "results");
    static const struct {
        size_t finding;
        const char *level, *uri;
    } want[] = {
        {F_LODASH, "error", "app/node_modules/lodash/package.json"},
        {F_GLIBC_LIBC_BIN, "error", "var/lib/dpkg/status"},
        {F_GLIBC_LIBC6, "error", "var/lib/dpkg/status"},
        {F_MINIMIST, "warning", "app/node%20modules/minimist/package.json"},
        {F_NEGLIGIBLE, "note", "var/lib/dpkg/status"},
    };
    assert_int_equal(json_array_size(results), 5);
    for (size_t i = 0; i < 5; i++) {
        json_t *res = json_array_get(results, i);
        const dd_finding *f = &t->m.items[want[i].finding];
        assert_string_equal(need(res, "ruleId"), f->id);
        json_int_t ri = json_integer_value(json_object_get(res, "ruleIndex"));
        assert_true(ri >= 0 && (size_t)ri < json_array_size(rules));
        assert_string_equal(need(json_array_get(rules, (size_t)ri), "id"), f->id);
        assert_string_equal(need(res, "level"), want[i].level);
        json_t *loc = json_array_get(json_object_get(res, "locations"), 0);
        assert_string_equal(
            need(json_object_get(json_object_get(loc, "physicalLocation"), "artifactLocation"),
                 "uri"),
            want[i].uri);
        json_t *rp = json_object_get(res, "properties");
        assert_string_equal(need(rp, "package"), pkgs[f->pkg].name);
        assert_string_equal(need(rp, "version"), pkgs[f->pkg].version);
        assert_string_equal(need(rp, "purl"), t->inv.purls[f->pkg]);
        assert_string_equal(need(rp, "fix_state"), dd_fix_state_name(f->fix_state));
        if (f->fixed_version != NULL)
            assert_string_equal(need(rp, "fixed_version"), f->fixed_version);
        else
            assert_null(json_object_get(rp, "fixed_version"));
        char *dump = json_dumps(res, JSON_COMPACT);
        assert_null(strstr(dump, "CVE-2022-0001"));
        free(dump);
    }
    assert_string_equal(need(json_object_get(json_array_get(results, 0), "message"), "text"),
                        "Package lodash version 4.17.20 is affected by CVE-2021-23337 (fixed in "
                        "4.17.21)");
    assert_string_equal(need(json_object_get(json_array_get(results, 2), "message"), "text"),
                        "Package libc6 version 2.36-9+deb12u1 is affected by CVE-2023-4911 (no "
                        "fixed version: not-fixed)");

    json_decref(doc);
    dd_free(path);
}

/* With nothing to show (or no database at all) the run still has its results: an empty array. */
static void test_sarif_empty(void **state)
{
    fixture *t = *state;
    static const unsigned char none[N_FINDINGS] = {0};
    dd_scan_report r = t->r;
    for (int k = 0; k < 2; k++) {
        r.shown = none;
        if (k == 1)
            r.findings = NULL;
        char *path = write_doc(t->dir, k ? "nodb.sarif" : "none.sarif", dd_report_sarif, &r);
        assert_int_equal(validate(SARIF_SCHEMA, path), 0);
        json_t *doc = load(path);
        json_t *results = json_object_get(sarif_run(doc), "results");
        assert_true(json_is_array(results));
        assert_int_equal(json_array_size(results), 0);
        assert_int_equal(json_array_size(sarif_rules(doc)), 0);
        json_decref(doc);
        dd_free(path);
    }
}

static json_t *rating_by(json_t *ratings, const char *method)
{
    return find_by(ratings, "method", method);
}

static void test_cyclonedx_vulns(void **state)
{
    fixture *t = *state;
    char *path = write_doc(t->dir, "bom.cdx.json", dd_report_cyclonedx, &t->r);
    assert_int_equal(validate(CDX_SCHEMA, path), 0);
    json_t *doc = load(path);

    json_t *vulns = json_object_get(doc, "vulnerabilities");
    static const char *const ids[] = {"CVE-2021-23337", "CVE-2023-4911", "GHSA-xvch-5gv4-984h",
                                      "CVE-2010-4756"};
    assert_int_equal(json_array_size(vulns), 4);
    for (size_t i = 0; i < 4; i++) {
        json_t *v = json_array_get(vulns, i);
        char ref[16];
        snprintf(ref, sizeof(ref), "vuln-%zu", i);
        assert_string_equal(need(v, "bom-ref"), ref);
        assert_string_equal(need(v, "id"), ids[i]);
    }
    assert_null(find_by(vulns, "id", "CVE-2022-0001"));

    /* every affects ref names a component of the same BOM */
    json_t *comps = json_object_get(doc, "components");
    size_t i;
    json_t *v;
    json_array_foreach(vulns, i, v)
    {
        size_t k;
        json_t *a;
        assert_true(json_array_size(json_object_get(v, "affects")) > 0);
        json_array_foreach(json_object_get(v, "affects"), k, a)
        {
            assert_non_null(find_by(comps, "bom-ref", need(a, "ref")));
        }
    }

    json_t *lodash = json_array_get(vulns, 0);
    json_t *src = json_object_get(lodash, "source");
    assert_string_equal(need(src, "name"), "NVD");
    assert_string_equal(need(src, "url"), "https://nvd.nist.gov/vuln/detail/CVE-2021-23337");
    json_t *ref0 = json_array_get(json_object_get(lodash, "references"), 0);
    assert_string_equal(need(ref0, "id"), "GHSA-35jh-r3h4-6jhm");
    assert_string_equal(need(json_object_get(ref0, "source"), "url"),
                        "https://github.com/advisories/GHSA-35jh-r3h4-6jhm");
    json_t *ratings = json_object_get(lodash, "ratings");
    assert_int_equal(json_array_size(ratings), 2);
    json_t *cv = rating_by(ratings, "CVSSv31");
    assert_non_null(cv);
    assert_true(fabs(json_number_value(json_object_get(cv, "score")) - 7.2) < 1e-9);
    assert_string_equal(need(cv, "severity"), "high");
    assert_string_equal(need(cv, "vector"), LODASH_VEC);
    assert_string_equal(need(json_object_get(cv, "source"), "name"), "NVD");
    json_t *chosen = rating_by(ratings, "other");
    assert_string_equal(need(chosen, "severity"), "high");
    assert_null(json_object_get(chosen, "source")); /* from the CVSS score: no rating source */
    assert_string_equal(need(lodash, "recommendation"), "Upgrade to 4.17.21");
    assert_string_equal(need(lodash, "published"), "2021-02-15T00:00:00.000Z");
    assert_string_equal(need(lodash, "updated"), "2023-11-14T22:13:20.123Z");
    json_t *adv = json_object_get(lodash, "advisories");
    assert_int_equal(json_array_size(adv), 2);
    assert_string_equal(need(json_array_get(adv, 1), "url"),
                        "https://github.com/lodash/lodash/commit/3469357");
    json_t *aff = json_array_get(json_object_get(lodash, "affects"), 0);
    char want_ref[16];
    snprintf(want_ref, sizeof(want_ref), "pkg-%d", P_LODASH);
    assert_string_equal(need(aff, "ref"), want_ref);
    json_t *ver = json_array_get(json_object_get(aff, "versions"), 0);
    assert_string_equal(need(ver, "version"), "4.17.20");
    assert_string_equal(need(ver, "status"), "affected");

    /* the glibc CVE: one vulnerability affecting both packages, DSA as a reference */
    json_t *glibc = json_array_get(vulns, 1);
    json_t *affects = json_object_get(glibc, "affects");
    assert_int_equal(json_array_size(affects), 2);
    snprintf(want_ref, sizeof(want_ref), "pkg-%d", P_LIBC_BIN);
    assert_string_equal(need(json_array_get(affects, 0), "ref"), want_ref);
    snprintf(want_ref, sizeof(want_ref), "pkg-%d", P_LIBC6);
    assert_string_equal(need(json_array_get(affects, 1), "ref"), want_ref);
    json_t *dsa = find_by(json_object_get(glibc, "references"), "id", "DSA-5514-1");
    assert_non_null(dsa);
    assert_string_equal(need(json_object_get(dsa, "source"), "name"), "Debian");
    assert_string_equal(need(json_object_get(dsa, "source"), "url"),
                        "https://security-tracker.debian.org/tracker/DSA-5514-1");
    ratings = json_object_get(glibc, "ratings");
    assert_int_equal(json_array_size(ratings), 3);
    assert_non_null(rating_by(ratings, "CVSSv31"));
    cv = rating_by(ratings, "CVSSv2");
    assert_non_null(cv);
    assert_string_equal(need(cv, "severity"), "high"); /* 7.2, from the score */
    chosen = rating_by(ratings, "other");
    assert_string_equal(need(chosen, "severity"), "high");
    assert_string_equal(need(json_object_get(chosen, "source"), "name"), "debian-tracker");
    assert_null(json_object_get(glibc, "recommendation")); /* not fixed */
    /* only http(s) references become advisories */
    assert_int_equal(json_array_size(json_object_get(glibc, "advisories")), 1);
    assert_non_null(strstr(need(glibc, "description"), "\xef\xbf\xbd"));

    /* GHSA without CVSS: GitHub as the source, only the chosen rating */
    json_t *ghsa = json_array_get(vulns, 2);
    assert_string_equal(need(json_object_get(ghsa, "source"), "name"), "GitHub Advisories");
    assert_null(json_object_get(ghsa, "references"));
    ratings = json_object_get(ghsa, "ratings");
    assert_int_equal(json_array_size(ratings), 1);
    assert_string_equal(need(json_array_get(ratings, 0), "severity"), "medium");
    assert_string_equal(need(json_array_get(ratings, 0), "method"), "other");

    json_t *negl = json_array_get(vulns, 3);
    assert_string_equal(need(rating_by(json_object_get(negl, "ratings"), "other"), "severity"),
                        "info");
    assert_string_equal(need(rating_by(json_object_get(negl, "ratings"), "CVSSv2"), "severity"),
                        "medium");

    json_decref(doc);
    dd_free(path);
}

/* Straight into a minimal BOM: grouped packages with different fixes, and the empty cases. */
static void test_cyclonedx_vulns_direct(void **state)
{
    fixture *t = *state;
    dd_match_result *m = &t->m;
    m->items[F_GLIBC_LIBC_BIN].fixed_version = dd_strdup("2.36-9+deb12u3");
    m->items[F_GLIBC_LIBC6].fixed_version = dd_strdup("2.36-9+deb12u4");
    json_t *bom =
        json_pack("{s:s,s:s,s:i}", "bomFormat", "CycloneDX", "specVersion", "1.5", "version", 1);
    assert_non_null(bom);
    assert_int_equal(dd_report_cyclonedx_vulns(bom, &t->r), 0);
    json_t *glibc = json_array_get(json_object_get(bom, "vulnerabilities"), 1);
    assert_string_equal(need(glibc, "recommendation"),
                        "Upgrade libc-bin to 2.36-9+deb12u3, libc6 to 2.36-9+deb12u4");

    static const unsigned char none[N_FINDINGS] = {0};
    dd_scan_report r = t->r;
    r.shown = none;
    assert_int_equal(dd_report_cyclonedx_vulns(bom, &r), 0);
    assert_int_equal(json_array_size(json_object_get(bom, "vulnerabilities")), 0);
    json_object_del(bom, "vulnerabilities");
    r.findings = NULL;
    assert_int_equal(dd_report_cyclonedx_vulns(bom, &r), 0);
    assert_null(json_object_get(bom, "vulnerabilities"));
    json_decref(bom);
}

/* The validator must reject what the schemas forbid, or the checks above prove nothing. */
static void test_validator_rejects(void **state)
{
    fixture *t = *state;
    char *sarif = write_doc(t->dir, "neg.sarif", dd_report_sarif, &t->r);
    char *cdx = write_doc(t->dir, "neg.cdx.json", dd_report_cyclonedx, &t->r);
    char *bad = dd_asprintf("%s/broken.json", t->dir);

    json_t *doc = load(sarif);
    json_t *res = json_array_get(json_object_get(sarif_run(doc), "results"), 0);
    json_object_set_new(res, "level", json_string("critical"));
    assert_int_equal(json_dump_file(doc, bad, 0), 0);
    assert_int_equal(validate(SARIF_SCHEMA, bad), 1);
    json_decref(doc);

    doc = load(sarif); /* a rule without its id */
    json_object_del(json_array_get(sarif_rules(doc), 0), "id");
    assert_int_equal(json_dump_file(doc, bad, 0), 0);
    assert_int_equal(validate(SARIF_SCHEMA, bad), 1);
    json_decref(doc);

    doc = load(cdx);
    json_t *v = json_array_get(json_object_get(doc, "vulnerabilities"), 0);
    json_object_set_new(json_array_get(json_object_get(v, "ratings"), 0), "method",
                        json_string("CVSSv5"));
    assert_int_equal(json_dump_file(doc, bad, 0), 0);
    assert_int_equal(validate(CDX_SCHEMA, bad), 1);
    json_decref(doc);

    doc = load(cdx);
    v = json_array_get(json_object_get(doc, "vulnerabilities"), 1);
    json_object_del(json_array_get(json_object_get(v, "affects"), 0), "ref");
    assert_int_equal(json_dump_file(doc, bad, 0), 0);
    assert_int_equal(validate(CDX_SCHEMA, bad), 1);
    json_decref(doc);

    dd_free(bad);
    dd_free(sarif);
    dd_free(cdx);
}

static void test_helpers(void **state)
{
    (void)state;
    char *url = NULL;
    assert_int_equal(dd_report_id_url(&url, "DLA-3600-1"), 0);
    assert_string_equal(url, "https://security-tracker.debian.org/tracker/DLA-3600-1");
    dd_free(url);
    assert_int_equal(dd_report_id_url(&url, "CVE-2023-1234/../x"), 0);
    assert_null(url);
    assert_int_equal(dd_report_id_url(&url, "USN-6000-1"), 0);
    assert_null(url);
    assert_true(dd_report_is_http_url("https://example.org/a?b=c"));
    assert_false(dd_report_is_http_url("https://"));
    assert_false(dd_report_is_http_url("ftp://example.org/"));
    assert_false(dd_report_is_http_url("https://example.org/a b"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator_available),
        cmocka_unit_test_setup_teardown(test_sarif, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sarif_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cyclonedx_vulns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cyclonedx_vulns_direct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validator_rejects, setup, teardown),
        cmocka_unit_test(test_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
