/* Tests of the Red Hat CSAF importer on real RHSA and VEX files, checked against an independent
 * jansson walk of each file (product_status ids -> relationships -> product_tree purls, or the
 * component id when there is no purl), plus spot checks taken from the files, detection, and
 * small hand-made documents for the remediation rules and bad input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vulndb/import.h"

typedef struct got_aff {
    char *eco, *pkg, *fixed, *sev;
    dd_fix_state st;
} got_aff;

typedef struct got_adv {
    char *id, *summary, *details;
    char **aliases;
    size_t n_aliases, n_refs, n_aff;
    char *vendor_rating, *cvss;
    int64_t published, modified;
    got_aff *aff;
} got_adv;

typedef struct got {
    got_adv *a;
    size_t n, n_warn;
} got;

static char *sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The "fixed" event of an entry's ranges, or NULL. */
static char *fixed_of(const char *ranges)
{
    if (ranges == NULL)
        return NULL;
    json_t *r = json_loads(ranges, 0, NULL);
    assert_non_null(r);
    assert_int_equal(json_array_size(r), 1);
    json_t *r0 = json_array_get(r, 0);
    assert_string_equal(json_string_value(json_object_get(r0, "type")), "ECOSYSTEM");
    json_t *ev = json_object_get(r0, "events");
    assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "introduced")),
                        "0");
    char *f = sdup(json_string_value(json_object_get(json_array_get(ev, 1), "fixed")));
    json_decref(r);
    return f;
}

static int put(void *ctx, const dd_advisory *a, dd_err *err)
{
    (void)err;
    got *g = ctx;
    g->a = realloc(g->a, (g->n + 1) * sizeof(*g->a));
    assert_non_null(g->a);
    got_adv *c = &g->a[g->n++];
    memset(c, 0, sizeof(*c));
    c->id = sdup(a->id);
    c->summary = sdup(a->summary);
    c->details = sdup(a->details);
    c->published = a->published_ms;
    c->modified = a->modified_ms;
    c->n_refs = a->references.n;
    c->n_aliases = a->aliases.n;
    c->aliases = calloc(a->aliases.n + 1, sizeof(char *));
    for (size_t i = 0; i < a->aliases.n; i++)
        c->aliases[i] = sdup(a->aliases.items[i]);
    for (size_t i = 0; i < a->n_severities; i++) {
        assert_string_equal(a->severities[i].source, "redhat");
        if (a->severities[i].type == DD_SEV_VENDOR && c->vendor_rating == NULL)
            c->vendor_rating = sdup(a->severities[i].rating);
        if (a->severities[i].type == DD_SEV_CVSS_V3 && c->cvss == NULL)
            c->cvss = sdup(a->severities[i].vector);
    }
    c->n_aff = a->n_affected;
    c->aff = calloc(a->n_affected + 1, sizeof(got_aff));
    for (size_t i = 0; i < a->n_affected; i++) {
        const dd_affected *f = &a->affected[i];
        c->aff[i].eco = sdup(f->ecosystem);
        c->aff[i].pkg = sdup(f->package);
        c->aff[i].fixed = fixed_of(f->ranges_json);
        c->aff[i].sev = sdup(f->vendor_severity);
        c->aff[i].st = f->fix_state;
        assert_null(f->versions_json);
        if (f->fix_state == DD_FIX_NOT_AFFECTED)
            assert_null(f->ranges_json);
        else
            assert_non_null(f->ranges_json);
        assert_true((f->fix_state == DD_FIX_FIXED) == (c->aff[i].fixed != NULL));
    }
    return 0;
}

static void warn_cb(void *ctx, const char *path, const char *msg)
{
    (void)path;
    (void)msg;
    ((got *)ctx)->n_warn++;
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        got_adv *c = &g->a[i];
        free(c->id);
        free(c->summary);
        free(c->details);
        free(c->vendor_rating);
        free(c->cvss);
        for (size_t k = 0; k < c->n_aliases; k++)
            free(c->aliases[k]);
        free(c->aliases);
        for (size_t k = 0; k < c->n_aff; k++) {
            free(c->aff[k].eco);
            free(c->aff[k].pkg);
            free(c->aff[k].fixed);
            free(c->aff[k].sev);
        }
        free(c->aff);
    }
    free(g->a);
    memset(g, 0, sizeof(*g));
}

static const got_adv *find(const got *g, const char *id)
{
    for (size_t i = 0; i < g->n; i++)
        if (strcmp(g->a[i].id, id) == 0)
            return &g->a[i];
    return NULL;
}

static int has_alias(const got_adv *a, const char *al)
{
    for (size_t i = 0; i < a->n_aliases; i++)
        if (strcmp(a->aliases[i], al) == 0)
            return 1;
    return 0;
}

static const got_aff *find_aff(const got_adv *a, const char *pkg, dd_fix_state st)
{
    for (size_t i = 0; a && i < a->n_aff; i++)
        if (strcmp(a->aff[i].pkg, pkg) == 0 && a->aff[i].st == st)
            return &a->aff[i];
    return NULL;
}

static uint8_t *slurp(const char *rel, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", DD_FIXTURES, rel);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int run(const uint8_t *buf, size_t len, got *g, dd_err *err)
{
    dd_import_sink sink = {put, warn_cb, g};
    return dd_importer_redhat_csaf.import(buf, len, "test.json", &sink, err);
}

static void load(const char *rel, got *g)
{
    size_t len;
    uint8_t *buf = slurp(rel, &len);
    dd_err err = DD_ERR_INIT;
    const dd_importer *imp = dd_import_detect(rel, buf, len < 4096 ? len : 4096);
    assert_non_null(imp);
    assert_string_equal(imp->format, "redhat-csaf");
    assert_string_equal(imp->source, "redhat");
    assert_int_equal(run(buf, len, g, &err), 0);
    free(buf);
}

/* ---- the independent walk -------------------------------------------------------------------- */

/* A set of strings as a jansson object. */
static void set_add(json_t *set, const char *s)
{
    json_object_set_new(set, s, json_true());
}

static void find_product(const json_t *branches, const char *pid, const json_t **out)
{
    size_t i;
    json_t *b;
    json_array_foreach(branches, i, b)
    {
        json_t *p = json_object_get(b, "product");
        const char *id = json_string_value(json_object_get(p, "product_id"));
        if (*out == NULL && id != NULL && strcmp(id, pid) == 0)
            *out = p;
        find_product(json_object_get(b, "branches"), pid, out);
    }
}

static int hex(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : (c | 32) - 'a' + 10;
}

/* "name|[E:]V-R" (with_version) or "name|" of one status product; 0 if it names no rpm. */
static int key_of(const json_t *root, const char *pid, int with_version, char *out, size_t out_len)
{
    const json_t *tree = json_object_get(root, "product_tree");
    const char *ref = pid;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(tree, "relationships"), i, r)
    {
        const char *full = json_string_value(
            json_object_get(json_object_get(r, "full_product_name"), "product_id"));
        if (full != NULL && strcmp(full, pid) == 0)
            ref = json_string_value(json_object_get(r, "product_reference"));
    }
    const json_t *p = NULL;
    find_product(json_object_get(tree, "branches"), ref, &p);
    const json_t *helper = json_object_get(p, "product_identification_helper");
    const char *purl = json_string_value(json_object_get(helper, "purl"));
    char name[512] = "", evr[512] = "";
    if (purl != NULL) {
        if (strncmp(purl, "pkg:rpm/", 8) != 0)
            return 0;
        const char *slash = strrchr(purl, '/'), *at = strchr(slash, '@');
        const char *q = strchr(slash, '?');
        const char *end = at ? at : q ? q : purl + strlen(purl);
        snprintf(name, sizeof(name), "%.*s", (int)(end - slash - 1), slash + 1);
        if (at != NULL) {
            const char *ep = q ? strstr(q, "epoch=") : NULL;
            size_t k = 0;
            if (ep != NULL && ep[6] != '0')
                k = (size_t)snprintf(evr, sizeof(evr), "%.*s:", (int)strcspn(ep + 6, "&"), ep + 6);
            for (const char *s = at + 1; *s && *s != '?' && k + 1 < sizeof(evr); s++) {
                if (*s == '%') {
                    evr[k++] = (char)(hex(s[1]) * 16 + hex(s[2]));
                    s += 2;
                } else {
                    evr[k++] = *s;
                }
            }
            evr[k] = 0;
        }
    } else if (json_object_size(helper) > 0) {
        return 0;
    } else if (strchr(ref, ':') != NULL) {
        /* "name-E:V-R.arch" */
        char tmp[512];
        snprintf(tmp, sizeof(tmp), "%s", ref);
        *strrchr(tmp, '.') = 0;
        char *colon = strchr(tmp, ':');
        *colon = 0;
        char *dash = strrchr(tmp, '-');
        *dash = 0;
        snprintf(name, sizeof(name), "%s", tmp);
        if (strcmp(dash + 1, "0") == 0)
            snprintf(evr, sizeof(evr), "%s", colon + 1);
        else
            snprintf(evr, sizeof(evr), "%s:%s", dash + 1, colon + 1);
    } else {
        snprintf(name, sizeof(name), "%s", ref);
        size_t n = strlen(name);
        if (n > 4 && strcmp(name + n - 4, ".src") == 0)
            name[n - 4] = 0;
    }
    snprintf(out, out_len, "%s|%s", name, with_version ? evr : "");
    return 1;
}

/* Products of status in vuln -> keys into set; returns the number of product ids. */
static size_t walk_status(const json_t *root, const json_t *v, const char *status, json_t *set)
{
    size_t i, n = 0;
    json_t *p;
    json_array_foreach(json_object_get(json_object_get(v, "product_status"), status), i, p)
    {
        char key[1100];
        n++;
        if (key_of(root, json_string_value(p), strcmp(status, "fixed") == 0, key, sizeof(key)))
            set_add(set, key);
    }
    return n;
}

/* The importer's entries of a, by state group, as the same keys. */
static void got_keys(const got_adv *a, json_t *fixed, json_t *affected, json_t *not_affected)
{
    for (size_t i = 0; i < a->n_aff; i++) {
        const got_aff *f = &a->aff[i];
        char key[1100];
        /* "Red Hat:<major>" when the platform cpe or the elN release says; else "Red Hat" */
        assert_true(strncmp(f->eco, "Red Hat", 7) == 0);
        if (f->fixed != NULL && strstr(f->fixed, ".el8") != NULL)
            assert_string_equal(f->eco, "Red Hat:8");
        if (f->fixed != NULL && strstr(f->fixed, ".el7") != NULL)
            assert_string_equal(f->eco, "Red Hat:7");
        snprintf(key, sizeof(key), "%s|%s", f->pkg, f->fixed ? f->fixed : "");
        json_t *set = f->st == DD_FIX_FIXED          ? fixed
                      : f->st == DD_FIX_NOT_AFFECTED ? not_affected
                                                     : affected;
        assert_true(f->st == DD_FIX_FIXED || f->st == DD_FIX_NOT_FIXED ||
                    f->st == DD_FIX_WILL_NOT_FIX || f->st == DD_FIX_NOT_AFFECTED);
        assert_null(json_object_get(set, key)); /* no duplicate entries */
        set_add(set, key);
    }
}

static void assert_same_set(const json_t *want, const json_t *have, const char *what)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)want, k, v)
    {
        if (json_object_get(have, k) == NULL)
            fprintf(stderr, "%s: missing %s\n", what, k);
        assert_non_null(json_object_get(have, k));
    }
    assert_int_equal(json_object_size(want), json_object_size(have));
}

/* Checks a file: VEX -> one advisory per CVE with that CVE's statuses; RHSA -> one advisory
 * named by the tracking id with the union of its CVEs' statuses. */
static void check_file(const char *rel)
{
    got g = {0};
    load(rel, &g);
    json_t *root = json_load_file(rel, 0, NULL);
    if (root == NULL) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", DD_FIXTURES, rel);
        root = json_load_file(path, 0, NULL);
    }
    assert_non_null(root);
    const json_t *doc = json_object_get(root, "document");
    const json_t *vulns = json_object_get(root, "vulnerabilities");
    int vex = strcmp(json_string_value(json_object_get(doc, "category")), "csaf_vex") == 0;
    const char *tid = json_string_value(json_object_get(json_object_get(doc, "tracking"), "id"));
    assert_int_equal(g.n, vex ? json_array_size(vulns) : 1);
    size_t n_fixed = 0, n_aff = 0, n_na = 0, n_entries = 0;
    json_t *wf = json_object(), *wa = json_object(), *wn = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(vulns, i, v)
    {
        const char *cve = json_string_value(json_object_get(v, "cve"));
        n_fixed += walk_status(root, v, "fixed", wf);
        n_aff += walk_status(root, v, "known_affected", wa);
        n_na += walk_status(root, v, "known_not_affected", wn);
        const got_adv *a = find(&g, vex ? cve : tid);
        assert_non_null(a);
        if (!vex)
            assert_true(has_alias(a, cve));
        if (vex || i + 1 == json_array_size(vulns)) {
            json_t *hf = json_object(), *ha = json_object(), *hn = json_object();
            got_keys(a, hf, ha, hn);
            assert_same_set(wf, hf, "fixed");
            assert_same_set(wa, ha, "known_affected");
            assert_same_set(wn, hn, "known_not_affected");
            n_entries += a->n_aff;
            json_decref(hf);
            json_decref(ha);
            json_decref(hn);
            json_object_clear(wf);
            json_object_clear(wa);
            json_object_clear(wn);
        }
        assert_true(a->published > 0 && a->modified >= a->published);
        assert_true(a->summary != NULL || a->details != NULL);
        assert_non_null(a->vendor_rating);
        assert_true(a->n_refs > 0);
    }
    printf("%s: %zu advisories, %zu fixed + %zu known_affected + %zu known_not_affected "
           "products agree (%zu entries)\n",
           rel, g.n, n_fixed, n_aff, n_na, n_entries);
    json_decref(wf);
    json_decref(wa);
    json_decref(wn);
    json_decref(root);
    got_free(&g);
}

static void test_files(void **state)
{
    (void)state;
    static const char *const files[] = {
        "vulndb/redhat-csaf/claircore-rhsa-2022-0011.json",
        "vulndb/redhat-csaf/rhsa-2023_3821.json",
        "vulndb/redhat-csaf/rhsa-2024_6163.json",
        "vulndb/redhat-csaf/rhsa-2025_23414.json",
        "vulndb/redhat-vex/claircore-cve-2021-0084.json",
        "vulndb/redhat-vex/claircore-cve-2024-22047.json",
        "vulndb/redhat-vex/cve-2023-4154.json",
        "vulndb/redhat-vex/cve-2024-24786-simple.json",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        check_file(files[i]);
}

/* ---- spot checks ----------------------------------------------------------------------------- */

static void test_rhsa_spots(void **state)
{
    (void)state;
    got g = {0};
    load("vulndb/redhat-csaf/rhsa-2025_23414.json", &g);
    const got_adv *a = find(&g, "RHSA-2025:23414");
    assert_non_null(a);
    assert_int_equal(a->n_aliases, 2);
    assert_true(has_alias(a, "CVE-2021-25220") && has_alias(a, "CVE-2025-40778"));
    assert_string_equal(a->vendor_rating, "Important");
    assert_null(a->cvss); /* two CVEs: vectors are per CVE, not kept on the bundle */
    const got_aff *f = find_aff(a, "bind", DD_FIX_FIXED);
    assert_non_null(f);
    assert_string_equal(f->fixed, "32:9.8.2-0.68.rc1.el6_10.17");
    assert_null(f->sev); /* the two CVEs are rated Moderate and Important */
    assert_non_null(find_aff(a, "bind-chroot", DD_FIX_NOT_AFFECTED));
    assert_null(find_aff(a, "bind-chroot", DD_FIX_FIXED));
    got_free(&g);

    load("vulndb/redhat-csaf/rhsa-2023_3821.json", &g);
    a = find(&g, "RHSA-2023:3821");
    assert_non_null(a);
    f = find_aff(a, "ruby", DD_FIX_FIXED);
    assert_non_null(f);
    assert_string_equal(f->fixed, "2.7.8-139.module+el8.8.0+18745+f1bef313");
    assert_string_equal(f->sev, "Moderate");         /* all three CVEs are Moderate */
    assert_int_equal(a->published, 1687878995000LL); /* 2023-06-27T15:16:35+00:00 */
    got_free(&g);

    load("vulndb/redhat-csaf/rhsa-2024_6163.json", &g);
    a = find(&g, "RHSA-2024:6163");
    assert_non_null(a);
    assert_string_equal(a->cvss, "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:N/A:H");
    f = find_aff(a, "python3.9", DD_FIX_FIXED);
    assert_non_null(f);
    assert_string_equal(f->fixed, "3.9.18-3.el9_4.5");
    got_free(&g);

    /* no purls: versions from the component ids */
    load("vulndb/redhat-csaf/claircore-rhsa-2022-0011.json", &g);
    a = find(&g, "RHSA-2022:0011");
    assert_non_null(a);
    assert_true(has_alias(a, "CVE-2020-10188"));
    f = find_aff(a, "telnet-server", DD_FIX_FIXED);
    assert_non_null(f);
    assert_string_equal(f->fixed, "1:0.17-65.el7_6");
    assert_int_equal(a->n_aff, 3); /* telnet, telnet-debuginfo, telnet-server */
    got_free(&g);
}

static void test_vex_spots(void **state)
{
    (void)state;
    got g = {0};
    load("vulndb/redhat-vex/claircore-cve-2024-22047.json", &g);
    const got_adv *a = find(&g, "CVE-2024-22047");
    assert_non_null(a);
    /* none_available "Affected": no fix yet, not a decision not to fix */
    const got_aff *f = find_aff(a, "rubygem-audited", DD_FIX_NOT_FIXED);
    assert_non_null(f);
    assert_string_equal(f->sev, "Low");
    assert_string_equal(a->vendor_rating, "Low");
    assert_string_equal(a->cvss, "CVSS:3.1/AV:N/AC:H/PR:L/UI:N/S:U/C:N/I:L/A:N");
    assert_non_null(strstr(a->details, "A race condition flaw was found in Audited"));
    assert_string_equal(a->summary, "audited: race condition can lead to audit logs being "
                                    "incorrectly attributed to the wrong user");
    got_free(&g);

    load("vulndb/redhat-vex/cve-2024-24786-simple.json", &g);
    a = find(&g, "CVE-2024-24786");
    assert_non_null(a);
    f = find_aff(a, "cri-tools", DD_FIX_FIXED);
    assert_non_null(f);
    assert_string_equal(f->fixed, "1.29.0-3.1.el9");
    got_free(&g);

    load("vulndb/redhat-vex/cve-2023-4154.json", &g);
    a = find(&g, "CVE-2023-4154");
    assert_non_null(a);
    assert_non_null(find_aff(a, "samba", DD_FIX_NOT_AFFECTED));
    assert_non_null(find_aff(a, "samba4", DD_FIX_NOT_AFFECTED));
    got_free(&g);

    load("vulndb/redhat-vex/claircore-cve-2021-0084.json", &g);
    a = find(&g, "CVE-2021-0084");
    assert_non_null(a);
    assert_string_equal(a->vendor_rating, "important"); /* aggregate_severity, as written */
    assert_non_null(find_aff(a, "kernel-rt", DD_FIX_NOT_AFFECTED));
    got_free(&g);
}

/* ---- hand-made documents --------------------------------------------------------------------- */

static const char vex_doc[] =
    "{\"document\":{\"category\":\"csaf_vex\",\"csaf_version\":\"2.0\","
    "\"publisher\":{\"namespace\":\"https://www.redhat.com\"},"
    "\"tracking\":{\"id\":\"CVE-2099-0001\",\"initial_release_date\":\"2099-01-01T00:00:00Z\"}},"
    "\"product_tree\":{\"branches\":[{\"category\":\"vendor\",\"name\":\"Red Hat\",\"branches\":["
    "{\"category\":\"product_name\",\"name\":\"RHEL 8\",\"product\":{\"name\":\"RHEL 8\","
    "\"product_id\":\"rhel8\",\"product_identification_helper\":{\"cpe\":\"cpe:/o:redhat:"
    "enterprise_linux:8\"}}},"
    "{\"category\":\"product_version\",\"name\":\"a\",\"product\":{\"name\":\"a\",\"product_id\":"
    "\"a\",\"product_identification_helper\":{\"purl\":\"pkg:rpm/redhat/a\"}}},"
    "{\"category\":\"product_version\",\"name\":\"b\",\"product\":{\"name\":\"b\",\"product_id\":"
    "\"b\",\"product_identification_helper\":{\"purl\":\"pkg:rpm/redhat/b\"}}},"
    "{\"category\":\"product_version\",\"name\":\"c\",\"product\":{\"name\":\"c\",\"product_id\":"
    "\"c\",\"product_identification_helper\":{\"purl\":\"pkg:rpm/redhat/c@1.0-2.el8?epoch=3\"}}},"
    "{\"category\":\"product_version\",\"name\":\"img\",\"product\":{\"name\":\"img\","
    "\"product_id\":\"img\",\"product_identification_helper\":{\"purl\":\"pkg:oci/img\"}}}"
    "]}],\"relationships\":["
    "{\"full_product_name\":{\"product_id\":\"rhel8:a\"},\"product_reference\":\"a\"},"
    "{\"full_product_name\":{\"product_id\":\"rhel8:b\"},\"product_reference\":\"b\"},"
    "{\"full_product_name\":{\"product_id\":\"rhel8:c\"},\"product_reference\":\"c\"},"
    "{\"full_product_name\":{\"product_id\":\"rhel8:img\"},\"product_reference\":\"img\"}]},"
    "\"vulnerabilities\":[{\"cve\":\"CVE-2099-0001\",\"product_status\":{\"known_affected\":"
    "[\"rhel8:a\",\"rhel8:b\",\"rhel8:c\",\"rhel8:img\",\"rhel8\"],\"under_investigation\":"
    "[\"rhel8:a\"]},\"remediations\":[{\"category\":\"no_fix_planned\",\"details\":\"Will not "
    "fix\",\"product_ids\":[\"rhel8:a\"]},{\"category\":\"none_available\",\"details\":"
    "\"Deferred\",\"product_ids\":[\"rhel8:b\"]},{\"category\":\"vendor_fix\",\"url\":"
    "\"https://access.redhat.com/errata/RHSA-2099:0001\",\"product_ids\":[\"rhel8:c\"]}]}]}";

static void test_remediations(void **state)
{
    (void)state;
    got g = {0};
    dd_err err = DD_ERR_INIT;
    const uint8_t *buf = (const uint8_t *)vex_doc;
    assert_ptr_equal(dd_import_detect("x.json", buf, sizeof(vex_doc) - 1),
                     &dd_importer_redhat_csaf);
    assert_int_equal(run(buf, sizeof(vex_doc) - 1, &g, &err), 0);
    assert_int_equal(g.n, 1);
    const got_adv *a = &g.a[0];
    assert_string_equal(a->id, "CVE-2099-0001");
    assert_true(has_alias(a, "RHSA-2099:0001"));
    assert_int_equal(a->n_aff, 3); /* the container image and the platform are skipped */
    assert_non_null(find_aff(a, "a", DD_FIX_WILL_NOT_FIX));
    assert_non_null(find_aff(a, "b", DD_FIX_WILL_NOT_FIX));
    const got_aff *c = find_aff(a, "c", DD_FIX_FIXED);
    assert_non_null(c);
    assert_string_equal(c->fixed, "3:1.0-2.el8");
    assert_true(g.n_warn > 0); /* skipped products are reported */
    got_free(&g);
}

static void test_bad_input(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{\"id\":\"GHSA-x\",\"affected\":[]}",
        "{\"document\":{\"csaf_version\":\"2.0\"}}",
        ("{\"document\":{\"category\":\"csaf_security_advisory\",\"csaf_version\":\"2.0\"},"
         "\"vulnerabilities\":[{\"cve\":\"CVE-1\"}]}"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        got g = {0};
        dd_err err = DD_ERR_INIT;
        assert_int_equal(run((const uint8_t *)bad[i], strlen(bad[i]), &g, &err), DD_EINVALID);
        assert_int_equal(g.n, 0);
        got_free(&g);
    }
    /* an OSV file is not claimed; a CSAF of another vendor is not claimed */
    size_t len;
    uint8_t *osv = slurp("vulndb/almalinux-osv/ALSA-2022-8194.json", &len);
    const dd_importer *imp = dd_import_detect("ALSA-2022-8194.json", osv, len < 4096 ? len : 4096);
    assert_non_null(imp);
    assert_string_equal(imp->format, "osv-json");
    free(osv);
    static const char other[] = "{\"document\":{\"csaf_version\":\"2.0\",\"publisher\":{"
                                "\"namespace\":\"https://www.suse.com\"}}}";
    assert_false(
        dd_importer_redhat_csaf.detect("x.json", (const uint8_t *)other, sizeof(other) - 1));
    /* bad dates and bad purls are skipped, not fatal */
    static const char odd[] =
        "{\"document\":{\"category\":\"csaf_vex\",\"csaf_version\":\"2.0\",\"tracking\":{"
        "\"current_release_date\":\"yesterday\"}},\"product_tree\":{\"branches\":[{\"product\":{"
        "\"product_id\":\"p\",\"product_identification_helper\":{\"purl\":\"pkg:rpm/redhat/"
        "x@1%zz\"}}}]},\"vulnerabilities\":[{\"cve\":\"CVE-2099-2\",\"product_status\":{\"fixed\":"
        "[\"p\",\"q-1:2-3.x86_64\",\"r s\"]}}]}";
    got g = {0};
    dd_err err = DD_ERR_INIT;
    assert_int_equal(run((const uint8_t *)odd, sizeof(odd) - 1, &g, &err), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.a[0].modified, 0);
    assert_int_equal(g.a[0].n_aff, 1);
    assert_string_equal(g.a[0].aff[0].pkg, "q");
    assert_string_equal(g.a[0].aff[0].fixed, "1:2-3");
    assert_true(g.n_warn >= 2);
    got_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_files),     cmocka_unit_test(test_rhsa_spots),
        cmocka_unit_test(test_vex_spots), cmocka_unit_test(test_remediations),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
