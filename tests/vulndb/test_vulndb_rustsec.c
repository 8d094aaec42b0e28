/* Tests of the RustSec importer on real advisory-db files (tests/fixtures/vulndb/rustsec).
 * Independent checks: the fields are compared with a plain line-by-line reading of each file's
 * front matter and Markdown; the emitted OSV events are evaluated (with dd_vers_semver_cmp) on
 * probe versions taken from the requirements (each version, its neighbours one patch, minor and
 * major away, 0.0.0 and a huge version) and must agree with "matches no patched/unaffected
 * requirement", where each requirement is evaluated directly part by part as Cargo's docs define
 * the operators (not via intervals). Then exact events for hand-written requirements (the "-0"
 * pre-release bounds), and malformed inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vulndb/import.h"
#include "version/version.h"

#ifndef RUSTSEC_ROOT
#define RUSTSEC_ROOT DD_FIXTURES "/vulndb/rustsec"
#endif

#define MAXS 64

typedef struct got {
    int n, n_warn;
    char id[128], summary[1024], pkg[128], eco[32];
    char *details;
    char aliases[MAXS][128], related[MAXS][128], refs[MAXS][512];
    size_t n_aliases, n_related, n_refs, n_sev, n_aff;
    dd_sev_type sev_type;
    char vector[256];
    char ranges[16384];
    int has_ranges;
    dd_fix_state st;
    int64_t published, withdrawn;
} got;

static int put(void *ctx, const dd_advisory *a, dd_err *err)
{
    (void)err;
    got *g = ctx;
    g->n++;
    snprintf(g->id, sizeof(g->id), "%s", a->id);
    snprintf(g->summary, sizeof(g->summary), "%s", a->summary ? a->summary : "");
    free(g->details);
    g->details = strdup(a->details ? a->details : "");
    assert_true(a->aliases.n <= MAXS && a->related.n <= MAXS && a->references.n <= MAXS);
    g->n_aliases = a->aliases.n;
    for (size_t i = 0; i < a->aliases.n; i++)
        snprintf(g->aliases[i], sizeof(g->aliases[i]), "%s", a->aliases.items[i]);
    g->n_related = a->related.n;
    for (size_t i = 0; i < a->related.n; i++)
        snprintf(g->related[i], sizeof(g->related[i]), "%s", a->related.items[i]);
    g->n_refs = a->references.n;
    for (size_t i = 0; i < a->references.n; i++)
        snprintf(g->refs[i], sizeof(g->refs[i]), "%s", a->references.items[i]);
    g->n_sev = a->n_severities;
    if (a->n_severities > 0) {
        g->sev_type = a->severities[0].type;
        snprintf(g->vector, sizeof(g->vector), "%s", a->severities[0].vector);
        assert_string_equal(a->severities[0].source, "rustsec");
    }
    g->published = a->published_ms;
    g->withdrawn = a->withdrawn_ms;
    g->n_aff = a->n_affected;
    g->has_ranges = 0;
    if (a->n_affected == 1) {
        snprintf(g->eco, sizeof(g->eco), "%s", a->affected[0].ecosystem);
        snprintf(g->pkg, sizeof(g->pkg), "%s", a->affected[0].package);
        assert_non_null(a->affected[0].ranges_json);
        assert_true(strlen(a->affected[0].ranges_json) < sizeof(g->ranges));
        snprintf(g->ranges, sizeof(g->ranges), "%s", a->affected[0].ranges_json);
        g->has_ranges = 1;
        g->st = a->affected[0].fix_state;
        assert_null(a->affected[0].versions_json);
    }
    return 0;
}

static void warn_cb(void *ctx, const char *path, const char *msg)
{
    (void)path;
    (void)msg;
    ((got *)ctx)->n_warn++;
}

static int run(const char *doc, size_t len, const char *path, got *g, dd_err *err)
{
    free(g->details);
    memset(g, 0, sizeof(*g));
    dd_import_sink sink = {put, warn_cb, g};
    return dd_importer_rustsec.import((const uint8_t *)doc, len, path, &sink, err);
}

static int cmp(const char *a, const char *b)
{
    int c;
    dd_err e = DD_ERR_INIT;
    if (dd_vers_semver_cmp(a, b, &c, &e) != 0)
        fail_msg("semver cmp %s %s: %s", a, b, e.msg);
    return c;
}

/* OSV evaluation of the single SEMVER range; also checks the events ascend. */
static int in_osv(const char *ranges, const char *v)
{
    json_t *r = json_loads(ranges, 0, NULL);
    assert_non_null(r);
    assert_int_equal(json_array_size(r), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "type")), "SEMVER");
    json_t *ev = json_object_get(json_array_get(r, 0), "events");
    int affected = 0;
    const char *prev = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e)
    {
        const char *k;
        json_t *val;
        assert_int_equal(json_object_size(e), 1);
        json_object_foreach(e, k, val)
        {
            const char *x = json_string_value(val);
            int zero = strcmp(x, "0") == 0;
            if (i > 0)
                assert_true(!zero && (prev == NULL || cmp(prev, x) < 0));
            prev = zero ? NULL : x;
            if (strcmp(k, "introduced") == 0) {
                assert_true(i % 2 == 0);
                if (zero || cmp(v, x) >= 0)
                    affected = 1;
            } else {
                assert_string_equal(k, "fixed");
                assert_true(i % 2 == 1);
                if (cmp(v, x) >= 0)
                    affected = 0;
            }
        }
    }
    json_decref(r);
    return affected;
}

/* ---- the plain reading of a file ---- */

typedef struct plain {
    char id[128], package[128], date[64], url[512], cvss[256], withdrawn[64];
    char aliases[MAXS][128], related[MAXS][128], references[MAXS][512];
    char reqs[MAXS][256];
    size_t n_aliases, n_related, n_references, n_reqs;
    int bad_ids;
    char title[1024];
    const char *body, *body_end; /* first and past-last non-blank bytes after the title */
} plain;

/* The quoted strings of s[0..len) into out. */
static size_t quoted(const char *s, size_t len, char out[][512], size_t w, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '"')
            continue;
        size_t j = i + 1;
        while (j < len && s[j] != '"')
            j++;
        assert_true(j < len && n < max);
        snprintf(out[n++], w, "%.*s", (int)(j - i - 1), s + i + 1);
        i = j;
    }
    return n;
}

static void plain_read(const char *doc, plain *p)
{
    memset(p, 0, sizeof(*p));
    const char *end = strstr(doc + 3, "\n```\n");
    assert_non_null(end);
    char section[64] = "";
    char tmp[MAXS][512];
    for (const char *l = strchr(doc, '\n') + 1; l < end + 1;) {
        const char *e = strchr(l, '\n');
        size_t len = (size_t)(e - l);
        if (l[0] == '[') {
            snprintf(section, sizeof(section), "%.*s", (int)len, l);
            l = e + 1;
            continue;
        }
        const char *eq = memchr(l, '=', len);
        char key[64] = "";
        if (eq != NULL && l[0] != '"') {
            size_t kl = (size_t)(eq - l);
            while (kl > 0 && (l[kl - 1] == ' ' || l[kl - 1] == '\t'))
                kl--;
            snprintf(key, sizeof(key), "%.*s", (int)kl, l);
        }
        /* an array value runs to its closing ']' */
        const char *vend = e;
        if (eq != NULL && strchr(" [", eq[1]) && memchr(eq, '[', (size_t)(e - eq)) != NULL)
            while (memchr(l, ']', (size_t)(vend - l)) == NULL)
                vend = strchr(vend + 1, '\n');
        size_t vl = eq ? (size_t)(vend - eq) : 0;
        size_t n;
        if (strcmp(section, "[advisory]") == 0 && eq != NULL) {
            char *dst = NULL;
            size_t cap = 0;
            if (strcmp(key, "id") == 0)
                dst = p->id, cap = sizeof(p->id);
            else if (strcmp(key, "package") == 0)
                dst = p->package, cap = sizeof(p->package);
            else if (strcmp(key, "date") == 0)
                dst = p->date, cap = sizeof(p->date);
            else if (strcmp(key, "url") == 0)
                dst = p->url, cap = sizeof(p->url);
            else if (strcmp(key, "cvss") == 0)
                dst = p->cvss, cap = sizeof(p->cvss);
            else if (strcmp(key, "withdrawn") == 0)
                dst = p->withdrawn, cap = sizeof(p->withdrawn);
            if (dst != NULL) {
                assert_int_equal(quoted(eq, vl, tmp, 512, MAXS), 1);
                snprintf(dst, cap, "%s", tmp[0]);
            } else if (strcmp(key, "aliases") == 0 || strcmp(key, "related") == 0) {
                n = quoted(eq, vl, tmp, 512, MAXS);
                size_t *cnt = key[0] == 'a' ? &p->n_aliases : &p->n_related;
                for (size_t i = 0; i < n; i++) {
                    /* a URL is not an id (the importer drops it with a warning) */
                    if (strpbrk(tmp[i], ":/ ") != NULL) {
                        p->bad_ids = 1;
                        continue;
                    }
                    snprintf(key[0] == 'a' ? p->aliases[*cnt] : p->related[*cnt], 128, "%.127s",
                             tmp[i]);
                    (*cnt)++;
                }
            } else if (strcmp(key, "references") == 0) {
                p->n_references = quoted(eq, vl, p->references, 512, MAXS);
            }
        } else if (strcmp(section, "[versions]") == 0 && eq != NULL &&
                   (strcmp(key, "patched") == 0 || strcmp(key, "unaffected") == 0)) {
            n = quoted(eq, vl, tmp, 512, MAXS);
            for (size_t i = 0; i < n; i++) {
                assert_true(p->n_reqs < MAXS);
                snprintf(p->reqs[p->n_reqs++], 256, "%.255s", tmp[i]);
            }
        }
        l = vend + 1;
    }
    const char *t = strstr(end, "\n# ");
    assert_non_null(t);
    t += 3;
    while (*t == ' ')
        t++;
    const char *te = strchr(t, '\n');
    while (te > t && te[-1] == ' ')
        te--; /* trailing blanks of a Markdown heading are not part of it */
    snprintf(p->title, sizeof(p->title), "%.*s", (int)(te - t), t);
    te = strchr(t, '\n');
    const char *b = te;
    while (*b == '\n' || *b == ' ')
        b++;
    const char *be = doc + strlen(doc);
    while (be > b && strchr(" \n\r\t", be[-1]))
        be--;
    p->body = b;
    p->body_end = be;
}

/* ---- Cargo requirements evaluated directly ---- */

typedef struct ver {
    long long n[3];
    int parts; /* numbers given; 0 for "*" */
    char full[160];
} ver;

static void parse_ver(const char *s, ver *v)
{
    memset(v, 0, sizeof(*v));
    const char *p = s;
    while (v->parts < 3 && *p >= '0' && *p <= '9') {
        v->n[v->parts++] = strtoll(p, (char **)&p, 10);
        if (*p == '.')
            p++;
    }
    /* the zero-filled version with the pre-release, for precedence comparisons */
    int pre_len = (int)strcspn(p, ", ");
    snprintf(v->full, sizeof(v->full), "%lld.%lld.%lld%.*s", v->n[0], v->n[1], v->n[2],
             v->parts == 3 ? pre_len : 0, p);
    char *plus = strchr(v->full, '+');
    if (plus)
        *plus = 0;
}

/* The probe compared with v on v's given parts (all of them by precedence when 3 are given). */
static int cmp_parts(const ver *probe, const char *probe_s, const ver *v)
{
    if (v->parts == 3)
        return cmp(probe_s, v->full);
    for (int i = 0; i < v->parts; i++)
        if (probe->n[i] != v->n[i])
            return probe->n[i] < v->n[i] ? -1 : 1;
    return 0;
}

static int comparator_match(const char *c, const char *probe_s)
{
    char op[4] = "";
    size_t k = 0;
    while (c[k] == ' ')
        c++;
    while (strchr("<>=^~", c[k]) && c[k])
        k++;
    assert_true(k < 3);
    memcpy(op, c, k);
    c += k;
    while (*c == ' ')
        c++;
    ver v, pr;
    parse_ver(c, &v);
    parse_ver(probe_s, &pr);
    int d = cmp_parts(&pr, probe_s, &v);
    if (*c == '*')
        return 1;
    if (strcmp(op, ">=") == 0)
        return d >= 0;
    if (strcmp(op, ">") == 0)
        return d > 0;
    if (strcmp(op, "<") == 0)
        return d < 0;
    if (strcmp(op, "<=") == 0)
        return d <= 0;
    if (strcmp(op, "=") == 0)
        return d == 0;
    if (strcmp(op, "~") == 0)
        return d >= 0 && pr.n[0] == v.n[0] && (v.parts < 2 || pr.n[1] == v.n[1]);
    assert_true(op[0] == 0 || strcmp(op, "^") == 0);
    if (d < 0)
        return 0;
    if (v.n[0] > 0 || v.parts == 1)
        return pr.n[0] == v.n[0];
    if (v.n[1] > 0 || v.parts == 2)
        return pr.n[0] == 0 && pr.n[1] == v.n[1];
    return pr.n[0] == 0 && pr.n[1] == 0 && pr.n[2] == v.n[2];
}

static int req_match(const char *r, const char *probe)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", r);
    char *save = NULL;
    for (char *c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save))
        if (!comparator_match(c, probe))
            return 0;
    return 1;
}

/* Release versions around every version the requirements name, plus the pre-release versions
 * they name. */
static size_t probes(const plain *p, char out[][160], size_t max)
{
    size_t k = 0;
    snprintf(out[k++], 160, "0.0.0");
    snprintf(out[k++], 160, "99999.0.0");
    for (size_t i = 0; i < p->n_reqs; i++) {
        const char *s = p->reqs[i];
        while (*s) {
            while (*s && !(*s >= '0' && *s <= '9'))
                s++;
            if (!*s)
                break;
            ver v;
            parse_ver(s, &v);
            while (*s && *s != ',' && *s != ' ')
                s++;
            if (strchr(v.full, '-') && k < max)
                snprintf(out[k++], 160, "%s", v.full);
            for (int part = 0; part < 3; part++)
                for (int d = -1; d <= 1; d++) {
                    long long n[3] = {v.n[0], v.n[1], v.n[2]};
                    if (n[part] + d < 0)
                        continue;
                    n[part] += d;
                    for (int z = part + 1; z < 3 && d != 0; z++)
                        n[z] = 0;
                    assert_true(k < max);
                    snprintf(out[k++], 160, "%lld.%lld.%lld", n[0], n[1], n[2]);
                }
        }
    }
    return k;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return b;
}

typedef struct tally {
    int files, imported, toolchain, probes, ranges, withdrawn, fixed;
} tally;

static void check_file(const char *path, tally *t)
{
    size_t len;
    char *doc = slurp(path, &len);
    plain p;
    plain_read(doc, &p);
    got g = {0};
    dd_err err = DD_ERR_INIT;
    const dd_importer *det = dd_import_detect(path, (const uint8_t *)doc, len < 4096 ? len : 4096);
    int rc = run(doc, len, path, &g, &err);
    if (rc != 0)
        fail_msg("%s: %s", path, err.msg);
    t->files++;
    if (strncmp(p.id, "RUSTSEC-", 8) != 0) {
        /* the toolchain folder: not detected, skipped with a warning when imported anyway */
        assert_null(det);
        assert_int_equal(g.n, 0);
        assert_int_equal(g.n_warn, 1);
        t->toolchain++;
        goto done;
    }
    assert_ptr_equal(det, &dd_importer_rustsec);
    assert_int_equal(g.n, 1);
    if (g.n_warn != p.bad_ids)
        fail_msg("%s: %d warnings", path, g.n_warn);
    t->imported++;
    assert_string_equal(g.id, p.id);
    assert_string_equal(g.summary, p.title);
    assert_int_equal(strlen(g.details), (size_t)(p.body_end - p.body));
    assert_memory_equal(g.details, p.body, strlen(g.details));
    if (g.n_aliases != p.n_aliases)
        fail_msg("%s: %zu aliases, %zu expected", path, g.n_aliases, p.n_aliases);
    for (size_t i = 0; i < p.n_aliases; i++)
        assert_string_equal(g.aliases[i], p.aliases[i]);
    assert_int_equal(g.n_related, p.n_related);
    for (size_t i = 0; i < p.n_related; i++)
        assert_string_equal(g.related[i], p.related[i]);
    size_t r = 0;
    if (p.url[0]) {
        assert_string_equal(g.refs[r], p.url);
        r++;
    }
    for (size_t i = 0; i < p.n_references; i++)
        if (strcmp(p.references[i], p.url) != 0)
            assert_string_equal(g.refs[r++], p.references[i]);
    assert_int_equal(g.n_refs, r);
    int64_t ms;
    assert_int_equal(dd_import_parse_time(p.date, &ms), 0);
    assert_true(g.published == ms && ms > 0);
    if (p.withdrawn[0]) {
        assert_int_equal(dd_import_parse_time(p.withdrawn, &ms), 0);
        assert_true(g.withdrawn == ms && ms > 0);
        t->withdrawn++;
    } else {
        assert_true(g.withdrawn == 0);
    }
    assert_int_equal(g.n_sev, p.cvss[0] ? 1 : 0);
    if (p.cvss[0]) {
        assert_string_equal(g.vector, p.cvss);
        assert_int_equal(g.sev_type,
                         strncmp(p.cvss, "CVSS:4", 6) == 0 ? DD_SEV_CVSS_V4 : DD_SEV_CVSS_V3);
    }
    /* ranges: every file here has some affected version */
    assert_int_equal(g.n_aff, 1);
    assert_string_equal(g.eco, "crates.io");
    assert_string_equal(g.pkg, p.package);
    t->ranges++;
    t->fixed += g.st == DD_FIX_FIXED;
    assert_int_equal(g.st, strstr(g.ranges, "\"fixed\"") ? DD_FIX_FIXED : DD_FIX_UNKNOWN);
    static char pr[2048][160];
    size_t n = probes(&p, pr, 2048);
    for (size_t i = 0; i < n; i++) {
        int matched = 0;
        for (size_t k = 0; k < p.n_reqs && !matched; k++)
            matched = req_match(p.reqs[k], pr[i]);
        if (in_osv(g.ranges, pr[i]) != !matched)
            fail_msg("%s: %s: requirements say %s, events %s", path, pr[i],
                     matched ? "unaffected" : "affected", g.ranges);
        t->probes++;
    }
done:
    free(g.details);
    free(doc);
}

static void walk(const char *dir, tally *t)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    char names[1024][256];
    size_t n = 0;
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.' && n < 1024)
            snprintf(names[n++], 256, "%s", e->d_name);
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        size_t l = strlen(names[i]);
        if (l > 3 && strcmp(names[i] + l - 3, ".md") == 0)
            check_file(path, t);
        else
            walk(path, t);
    }
}

static void test_fixtures(void **state)
{
    (void)state;
    tally t = {0};
    walk(RUSTSEC_ROOT, &t);
    printf("rustsec: %d files, %d imported, %d toolchain skipped, %d withdrawn, %d with a fix; "
           "%d probe versions agree over %d ranges\n",
           t.files, t.imported, t.toolchain, t.withdrawn, t.fixed, t.probes, t.ranges);
    assert_true(t.files >= 40 && t.toolchain >= 2 && t.withdrawn >= 3);
}

/* ---- exact events ---- */

static void expect_ranges(const char *patched, const char *unaffected, const char *want)
{
    char doc[2048];
    int n = snprintf(doc, sizeof(doc),
                     "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"demo\"\n"
                     "date = \"2021-01-01\"\n\n[versions]\npatched = [%s]\nunaffected = [%s]\n"
                     "```\n\n# Title\n\nText.\n",
                     patched, unaffected);
    got g = {0};
    dd_err err = DD_ERR_INIT;
    assert_int_equal(run(doc, (size_t)n, "x/RUSTSEC-2099-0001.md", &g, &err), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.n_warn, 0);
    if (want == NULL) {
        assert_int_equal(g.n_aff, 0);
    } else {
        char full[1024];
        snprintf(full, sizeof(full), "[{\"type\":\"SEMVER\",\"events\":[%s]}]", want);
        assert_string_equal(g.ranges, full);
    }
    free(g.details);
}

#define I(v) "{\"introduced\":\"" v "\"}"
#define F(v) "{\"fixed\":\"" v "\"}"

static void test_events(void **state)
{
    (void)state;
    expect_ranges("\">= 1.2.3\"", "", I("0") "," F("1.2.3"));
    expect_ranges("", "", I("0"));
    expect_ranges("\"*\"", "", NULL);
    expect_ranges("\"^1.2.3\"", "\"< 1.0.0\"", I("1.0.0") "," F("1.2.3") "," I("2.0.0-0"));
    expect_ranges("\"1.2.3\"", "", I("0") "," F("1.2.3") "," I("2.0.0-0"));
    expect_ranges("\"^0.2.3\"", "", I("0") "," F("0.2.3") "," I("0.3.0-0"));
    expect_ranges("\"^0.0.3\"", "", I("0") "," F("0.0.3") "," I("0.0.4-0"));
    expect_ranges("\"^ 0.0\"", "", I("0") "," F("0.0.0") "," I("0.1.0-0"));
    expect_ranges("\"~1.2.3\"", "", I("0") "," F("1.2.3") "," I("1.3.0-0"));
    expect_ranges("\"~1\"", "", I("0") "," F("1.0.0") "," I("2.0.0-0"));
    expect_ranges("\"> 1.2.3\"", "", I("0") "," F("1.2.4-0"));
    expect_ranges("\"> 1.2\"", "", I("0") "," F("1.3.0"));
    expect_ranges("\">1.0.0-rc.1\"", "", I("0") "," F("1.0.0-rc.1.0"));
    expect_ranges("\">= 1.5.0\"", "\"<= 1.0.0\"", I("1.0.1-0") "," F("1.5.0"));
    expect_ranges("\">= 1.5.0\"", "\"<= 1.0\"", I("1.1.0-0") "," F("1.5.0"));
    expect_ranges("\"=1.2.3\"", "", I("0") "," F("1.2.3") "," I("1.2.4-0"));
    expect_ranges("\"=1.2\"", "", I("0") "," F("1.2.0") "," I("1.3.0-0"));
    expect_ranges("\"1.2.*\"", "", I("0") "," F("1.2.0") "," I("1.3.0-0"));
    expect_ranges("\"99999999999999999999.9.9\"", "",
                  I("0") "," F("99999999999999999999.9.9") "," I("100000000000000000000.0.0-0"));
    /* overlapping and touching intervals merge; the list order does not matter */
    expect_ranges("\">= 0.9.0\", \">= 0.8.2, < 0.9.0\"", "", I("0") "," F("0.8.2"));
    expect_ranges("\">= 0.7.2, < 0.8.0\", \">= 0.8.2\"", "\"< 0.5.0\", \"<= 0.6\"",
                  I("0.7.0-0") "," F("0.7.2") "," I("0.8.0") "," F("0.8.2"));
    /* an empty requirement matches nothing */
    expect_ranges("\">= 2.0.0, < 1.0.0\"", "", I("0"));
}

/* ---- malformed input ---- */

static void expect_invalid(const char *doc, size_t at_least, size_t at_most)
{
    got g = {0};
    dd_err err = DD_ERR_INIT;
    assert_int_equal(run(doc, strlen(doc), "RUSTSEC-2099-0001.md", &g, &err), DD_EINVALID);
    assert_int_equal(g.n, 0);
    if (err.offset < at_least || err.offset > at_most)
        fail_msg("offset %zu (%s)", err.offset, err.msg);
}

static void expect_warned(const char *doc)
{
    got g = {0};
    dd_err err = DD_ERR_INIT;
    assert_int_equal(run(doc, strlen(doc), "RUSTSEC-2099-0001.md", &g, &err), 0);
    assert_int_equal(g.n, 0);
    assert_int_equal(g.n_warn, 1);
}

#define HEAD "```toml\n[advisory]\nid = \"RUSTSEC-2099-0001\"\npackage = \"demo\"\n"

static void test_malformed(void **state)
{
    (void)state;
    expect_invalid("# just markdown\n", 0, 0);
    expect_invalid(HEAD "date = \"2021-01-01\"\n", 0, 0); /* not closed */
    expect_invalid(HEAD "url = \"https://x\n```\n# T\n", 67, 67);
    expect_invalid(HEAD "url = \"\"\"x\"\"\"\n```\n# T\n", 67, 67);
    expect_invalid(HEAD "id = \"RUSTSEC-2099-0002\"\n```\n# T\n", 61, 61);
    expect_invalid(HEAD "aliases = [\"CVE-1\" \"CVE-2\"]\n```\n# T\n", 80, 80);
    expect_invalid(HEAD "x = { a = [1, 2}\n```\n# T\n", 62, 80);
    expect_invalid(HEAD "url = \"\\q\"\n```\n# T\n", 68, 68);
    expect_invalid("```toml\n[advisory]\npackage = \"demo\"\n```\n# T\n", 8, 8);
    expect_invalid(HEAD "```\n# T \xff\n", 65, 65);
    expect_warned(HEAD "[versions]\npatched = [\"!= 1.0.0\"]\n```\n# T\n");
    expect_warned(HEAD "[versions]\npatched = [\">= 1.0.0 < 2.0.0\"]\n```\n# T\n");
    expect_warned(HEAD "[versions]\npatched = [\">= 01.0.0\"]\n```\n# T\n");
    expect_warned("```toml\n[advisory]\nid = \"RUSTSEC-1\"\npackage = \"a b\"\n```\n# T\n");
    /* escapes, comments, inline tables, other tables and a title without text */
    const char *ok = HEAD "aliases = [ # c\n  'CVE-2099-1', \"GHSA-\\u0041\",\n]\n"
                          "informational = \"unsound\"\n[affected]\nfunctions = { \"a::b\" = "
                          "[\"< 1.0\"], c = [] }\nos = [\"windows\"]\n[[other]]\nx = 1\n"
                          "[versions]\npatched = [\">= 1.0.0\"] # fixed\n```\n# A title  \n";
    got g = {0};
    dd_err err = DD_ERR_INIT;
    assert_int_equal(run(ok, strlen(ok), NULL, &g, &err), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.n_aliases, 2);
    assert_string_equal(g.aliases[1], "GHSA-A");
    assert_string_equal(g.summary, "A title");
    assert_string_equal(g.details, "");
    assert_int_equal(g.published, 0);
    free(g.details);
    /* detection by head alone */
    assert_true(dd_importer_rustsec.detect(NULL, (const uint8_t *)ok, strlen(ok)));
    assert_false(
        dd_importer_rustsec.detect("x/CVE-2019-16760.md", (const uint8_t *)"```toml\n", 8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_malformed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
