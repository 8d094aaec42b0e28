/* Tests of the Debian security tracker importers (tracker JSON and DSA/DLA/DTSA lists) on real
 * tracker data, checked against independent reads of the same files (jansson walks, line counts)
 * plus spot checks of records taken from the fixtures. */
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

/* ---- a sink keeping copies of what it receives --------------------------------------------- */

typedef struct got_aff {
    char *eco, *pkg, *ranges, *sev;
    dd_fix_state st;
} got_aff;

typedef struct got_adv {
    char *id, *summary, *details;
    int64_t published;
    size_t n_aliases;
    char **aliases;
    size_t n_aff;
    got_aff *aff;
} got_adv;

typedef struct got {
    got_adv *a;
    size_t n, cap;
    size_t n_warn;
} got;

static char *sdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

static int put(void *ctx, const dd_advisory *a, dd_err *err)
{
    (void)err;
    got *g = ctx;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->a = realloc(g->a, g->cap * sizeof(*g->a));
        assert_non_null(g->a);
    }
    got_adv *c = &g->a[g->n++];
    memset(c, 0, sizeof(*c));
    c->id = sdup(a->id);
    c->summary = sdup(a->summary);
    c->details = sdup(a->details);
    c->published = a->published_ms;
    c->n_aliases = a->aliases.n;
    c->aliases = calloc(a->aliases.n + 1, sizeof(char *));
    for (size_t i = 0; i < a->aliases.n; i++)
        c->aliases[i] = sdup(a->aliases.items[i]);
    c->n_aff = a->n_affected;
    c->aff = calloc(a->n_affected + 1, sizeof(got_aff));
    for (size_t i = 0; i < a->n_affected; i++) {
        c->aff[i].eco = sdup(a->affected[i].ecosystem);
        c->aff[i].pkg = sdup(a->affected[i].package);
        c->aff[i].ranges = sdup(a->affected[i].ranges_json);
        c->aff[i].sev = sdup(a->affected[i].vendor_severity);
        c->aff[i].st = a->affected[i].fix_state;
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
        for (size_t k = 0; k < c->n_aliases; k++)
            free(c->aliases[k]);
        free(c->aliases);
        for (size_t k = 0; k < c->n_aff; k++) {
            free(c->aff[k].eco);
            free(c->aff[k].pkg);
            free(c->aff[k].ranges);
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

static const got_aff *find_aff(const got_adv *a, const char *eco, const char *pkg)
{
    for (size_t i = 0; a && i < a->n_aff; i++)
        if (strcmp(a->aff[i].eco, eco) == 0 && strcmp(a->aff[i].pkg, pkg) == 0)
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
    fclose(f);
    *len = (size_t)n;
    return b;
}

static int run(const dd_importer *imp, const uint8_t *buf, size_t len, got *g)
{
    dd_import_sink sink = {put, warn_cb, g};
    dd_err err = DD_ERR_INIT;
    return imp->import(buf, len, "test", &sink, &err);
}

static const char *RANGE_FIXED_FMT = "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
                                     "{\"fixed\":\"%s\"}]}]";
static const char *RANGE_OPEN = "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"}]}]";

static void assert_fixed(const got_aff *f, const char *ver)
{
    char want[512];
    snprintf(want, sizeof(want), RANGE_FIXED_FMT, ver);
    assert_non_null(f);
    assert_int_equal(f->st, DD_FIX_FIXED);
    assert_string_equal(f->ranges, want);
}

/* ---- tracker JSON -------------------------------------------------------------------------- */

static void test_tracker_sample(void **state)
{
    (void)state;
    const char *rel = "vulndb/debian-tracker/vunnel-sample-debian.json";
    size_t len;
    uint8_t *buf = slurp(rel, &len);
    assert_true(dd_importer_debian_tracker_json.detect(rel, buf, len < 4096 ? len : 4096));
    assert_false(dd_importer_debian_dsa_list.detect(rel, buf, len < 4096 ? len : 4096));
    got g = {0};
    assert_int_equal(run(&dd_importer_debian_tracker_json, buf, len, &g), 0);

    /* Independent read: distinct vulnerability ids, and (package, id, release) triples. */
    json_t *root = json_loadb((const char *)buf, len, 0, NULL);
    assert_non_null(root);
    size_t triples = 0, n_ids = 0;
    const char *pkg, *id, *rel_name;
    json_t *cves, *obj, *r;
    json_t *ids = json_object();
    json_object_foreach(root, pkg, cves)
    {
        json_object_foreach(cves, id, obj)
        {
            json_object_set_new(ids, id, json_true());
            json_t *rels = json_object_get(obj, "releases");
            if (json_is_object(rels))
                json_object_foreach(rels, rel_name, r)
                {
                    (void)r;
                    triples++;
                }
        }
    }
    n_ids = json_object_size(ids);
    size_t n_aff = 0;
    for (size_t i = 0; i < g.n; i++) {
        assert_non_null(json_object_get(ids, g.a[i].id));
        n_aff += g.a[i].n_aff;
    }
    assert_int_equal(g.n, n_ids);
    assert_int_equal(n_aff, triples);
    assert_int_equal(g.n_warn, 0);
    printf("debian tracker sample: %zu advisories, %zu affected entries agree\n", g.n, n_aff);
    json_decref(ids);
    json_decref(root);

    /* Spot checks from the file. */
    const got_adv *a = find(&g, "CVE-2008-7220");
    assert_non_null(a);
    assert_int_equal(a->n_aff, 4);
    const got_aff *f = find_aff(a, "Debian:sid", "prototypejs");
    assert_fixed(f, "1.6.0.2-1");
    assert_string_equal(f->sev, "high");
    assert_non_null(a->details);
    assert_non_null(strstr(a->details, "Prototype JavaScript framework"));
    f = find_aff(find(&g, "CVE-2007-2383"), "Debian:10", "prototypejs");
    assert_non_null(f);
    assert_int_equal(f->st, DD_FIX_NOT_AFFECTED);
    assert_null(f->ranges);
    assert_string_equal(f->sev, "unimportant");
    f = find_aff(find(&g, "CVE-2022-0456"), "Debian:10", "chromium");
    assert_non_null(f);
    assert_int_equal(f->st, DD_FIX_END_OF_LIFE);
    assert_string_equal(f->ranges, RANGE_OPEN);
    assert_null(f->sev);
    f = find_aff(find(&g, "CVE-2013-1444"), "Debian:9", "txt2man");
    assert_fixed(f, "1.5.5-4.1");
    assert_string_equal(f->sev, "low");
    /* "releases": [] gives an advisory without affected entries. */
    a = find(&g, "CVE-2022-0358");
    assert_non_null(a);
    assert_int_equal(a->n_aff, 0);
    got_free(&g);
    free(buf);
}

/* States the sample lacks, and one CVE under two source packages (merged into one advisory). */
static void test_tracker_states_and_merge(void **state)
{
    (void)state;
    const char *doc =
        "{\"linux\":{\"CVE-2023-1\":{\"description\":\"d\",\"releases\":{"
        "\"bookworm\":{\"status\":\"resolved\",\"fixed_version\":\"6.1.27-1\",\"urgency\":"
        "\"not yet assigned\"},"
        "\"bullseye\":{\"status\":\"open\",\"urgency\":\"low\",\"nodsa\":\"Minor issue\","
        "\"nodsa_reason\":\"ignored\"},"
        "\"buster\":{\"status\":\"open\",\"urgency\":\"low\",\"nodsa_reason\":\"postponed\"},"
        "\"trixie\":{\"status\":\"undetermined\",\"urgency\":\"unimportant\"},"
        "\"hamster\":{\"status\":\"open\"},"
        "\"sid\":{\"status\":\"weird\"}}}},"
        "\"linux-5.10\":{\"CVE-2023-1\":{\"releases\":{\"bullseye\":{\"status\":\"resolved\","
        "\"fixed_version\":\"5.10.1-1\",\"urgency\":\"medium\"}}},"
        "\"CVE-2023-2\":\"junk\"}}";
    got g = {0};
    assert_true(dd_importer_debian_tracker_json.detect("json", (const uint8_t *)doc, strlen(doc)));
    assert_int_equal(run(&dd_importer_debian_tracker_json, (const uint8_t *)doc, strlen(doc), &g),
                     0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.n_warn, 3); /* hamster, weird status, junk entry */
    const got_adv *a = &g.a[0];
    assert_string_equal(a->id, "CVE-2023-1");
    assert_int_equal(a->n_aff, 5);
    const got_aff *f = find_aff(a, "Debian:12", "linux");
    assert_fixed(f, "6.1.27-1");
    assert_null(f->sev);
    f = find_aff(a, "Debian:11", "linux");
    assert_int_equal(f->st, DD_FIX_WILL_NOT_FIX);
    assert_string_equal(f->ranges, RANGE_OPEN);
    assert_int_equal(find_aff(a, "Debian:10", "linux")->st, DD_FIX_NOT_FIXED);
    f = find_aff(a, "Debian:13", "linux");
    assert_int_equal(f->st, DD_FIX_NOT_FIXED);
    assert_string_equal(f->sev, "unimportant");
    assert_fixed(find_aff(a, "Debian:11", "linux-5.10"), "5.10.1-1");
    got_free(&g);

    dd_import_sink sink = {put, warn_cb, &g};
    dd_err err = DD_ERR_INIT;
    assert_int_equal(
        dd_importer_debian_tracker_json.import((const uint8_t *)"[1]", 3, "x", &sink, &err),
        DD_EINVALID);
    assert_int_equal(
        dd_importer_debian_tracker_json.import((const uint8_t *)"{\"a\":", 5, "x", &sink, &err),
        DD_EINVALID);
    got_free(&g);
}

/* ---- DSA / DTSA lists ---------------------------------------------------------------------- */

/* Independent read of a list file: header lines, ids in {} lines, release lines. */
static void count_list(const uint8_t *buf, size_t len, size_t *headers, size_t *ids,
                       size_t *releases)
{
    *headers = *ids = *releases = 0;
    size_t pos = 0;
    while (pos < len) {
        const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        const char *s = (const char *)buf + pos;
        size_t n = end - pos;
        pos = end + 1;
        if (n > 0 && s[0] == '[') {
            (*headers)++;
            continue;
        }
        size_t i = 0;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (i < n && s[i] == '{') {
            for (; i < n; i++)
                if (strncmp(s + i, "CVE-", 4) == 0)
                    (*ids)++;
        } else if (i < n && s[i] == '[') {
            (*releases)++;
        }
    }
}

static void check_list(const char *rel, const char *label, size_t *out_n, got *g)
{
    size_t len;
    uint8_t *buf = slurp(rel, &len);
    assert_true(dd_importer_debian_dsa_list.detect(rel, buf, len < 4096 ? len : 4096));
    assert_false(dd_importer_debian_tracker_json.detect(rel, buf, len < 4096 ? len : 4096));
    assert_int_equal(run(&dd_importer_debian_dsa_list, buf, len, g), 0);
    size_t headers, ids, releases;
    count_list(buf, len, &headers, &ids, &releases);
    size_t n_alias = 0, n_aff = 0;
    for (size_t i = 0; i < g->n; i++) {
        n_alias += g->a[i].n_aliases;
        n_aff += g->a[i].n_aff;
        assert_true(g->a[i].published > 0);
        assert_non_null(g->a[i].summary);
    }
    assert_int_equal(g->n, headers);
    assert_int_equal(n_alias, ids);
    /* Every codename in these files is known and every state is one we handle. */
    assert_int_equal(n_aff, releases);
    assert_int_equal(g->n_warn, 0);
    printf("%s: %zu advisories, %zu CVE aliases, %zu affected entries agree\n", label, g->n,
           n_alias, n_aff);
    *out_n = g->n;
    free(buf);
}

static void test_dsa_full_list(void **state)
{
    (void)state;
    got g = {0};
    size_t n;
    check_list("vulndb/debian-tracker/DSA-list-2023-04", "DSA list", &n, &g);
    const got_adv *a = find(&g, "DSA-5380-1");
    assert_non_null(a);
    assert_string_equal(a->summary, "xorg-server - security update");
    assert_int_equal(a->n_aliases, 1);
    assert_string_equal(a->aliases[0], "CVE-2023-1393");
    assert_fixed(find_aff(a, "Debian:11", "xorg-server"), "2:1.20.11-1+deb11u6");
    int64_t ms;
    assert_int_equal(dd_import_parse_time("2023-03-29", &ms), 0);
    assert_true(a->published == ms);
    a = find(&g, "DSA-5378-1");
    assert_int_equal(a->n_aliases, 5);
    assert_string_equal(a->aliases[4], "CVE-2022-42334");
    /* "[lenny] - openoffice.org <not-affected> (Vulnerable code not present)" */
    size_t n_na = 0, n_unfixed = 0, n_eol = 0, n_sev = 0;
    for (size_t i = 0; i < g.n; i++)
        for (size_t k = 0; k < g.a[i].n_aff; k++) {
            n_na += g.a[i].aff[k].st == DD_FIX_NOT_AFFECTED;
            n_unfixed += g.a[i].aff[k].st == DD_FIX_NOT_FIXED;
            n_eol += g.a[i].aff[k].st == DD_FIX_END_OF_LIFE;
            n_sev += g.a[i].aff[k].sev != NULL;
        }
    /* grep -c of the forms in the file */
    assert_int_equal(n_na, 55);
    assert_int_equal(n_unfixed, 3);
    assert_int_equal(n_eol, 4);
    assert_true(n_sev > 0);
    got_free(&g);
}

static void test_dtsa_list(void **state)
{
    (void)state;
    got g = {0};
    size_t n;
    check_list("vulndb/debian-tracker/DTSA-list-2023-04", "DTSA list", &n, &g);
    const got_adv *a = find(&g, "DTSA-1-1");
    assert_non_null(a);
    assert_string_equal(a->summary, "kismet - various");
    assert_int_equal(a->n_aliases, 2);
    const got_aff *f = find_aff(a, "Debian:4.0", "kismet");
    assert_fixed(f, "2005.08.R1-0.1etch1");
    assert_string_equal(f->sev, "high");
    int64_t ms;
    assert_int_equal(dd_import_parse_time("2005-08-26", &ms), 0);
    assert_true(a->published == ms);
    got_free(&g);
}

static void test_dsa_vunnel_sample(void **state)
{
    (void)state;
    got g = {0};
    size_t n;
    check_list("vulndb/debian-tracker/vunnel-sample-DSA-list", "DSA sample", &n, &g);
    const got_adv *a = find(&g, "DSA-140");
    assert_non_null(a);
    assert_int_equal(a->n_aff, 2);
    assert_fixed(find_aff(a, "Debian:3.0", "libpng3"), "1.2.1-1.1.woody.2");
    a = find(&g, "DSA-3281-1");
    assert_int_equal(a->n_aff, 0);
    assert_int_equal(a->n_aliases, 0);
    a = find(&g, "DSA-5970-1");
    assert_fixed(find_aff(a, "Debian:12", "sope"), "5.8.0-1+deb12u1");
    got_free(&g);
}

static void test_dsa_bad_input(void **state)
{
    (void)state;
    got g = {0};
    const char *notlist = "hello\n[01 Aug 2002] DSA-1 x\n";
    assert_false(
        dd_importer_debian_dsa_list.detect("x", (const uint8_t *)notlist, strlen(notlist)));
    assert_int_equal(
        run(&dd_importer_debian_dsa_list, (const uint8_t *)notlist, strlen(notlist), &g),
        DD_EINVALID);
    const char *odd = "[99 Foo 2002] DSA-1-1 x - y\n\t{CVE-1 \n\t[nowhere] - x 1\n"
                      "\t[woody] - x <weird>\n\t[woody] -\n[bad header\n\t[woody] - x 1\n"
                      "[01 Aug 2002] DLA-2-1 ok\n\t[woody] - x 1.0 (bug #1; low)";
    assert_int_equal(run(&dd_importer_debian_dsa_list, (const uint8_t *)odd, strlen(odd), &g), 0);
    assert_int_equal(g.n, 2);
    assert_int_equal(g.a[0].published, 0);
    assert_int_equal(g.a[0].n_aff, 0);
    assert_string_equal(g.a[1].id, "DLA-2-1");
    assert_string_equal(g.a[1].aff[0].sev, "low");
    assert_int_equal(g.n_warn, 6);
    got_free(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tracker_sample),    cmocka_unit_test(test_tracker_states_and_merge),
        cmocka_unit_test(test_dsa_full_list),     cmocka_unit_test(test_dtsa_list),
        cmocka_unit_test(test_dsa_vunnel_sample), cmocka_unit_test(test_dsa_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
