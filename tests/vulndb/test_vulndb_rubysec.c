/* Tests of the RubySec importer on every advisory of a ruby-advisory-db snapshot. Independent
 * check: for probe versions taken from each file's requirements (each bound, a version just
 * above it, "0" and a huge version), "inside the OSV range" (the OSV evaluation rules applied to
 * the emitted events) must equal "matches no patched/unaffected requirement" (each requirement
 * evaluated directly, the way Gem::Requirement does). Plus spot checks. */
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

#define GEMS "vulndb/rubysec/gems"

typedef struct got {
    int n, n_warn;
    char id[128], pkg[256], summary[1024];
    char aliases[8][128];
    size_t n_aliases, n_sev, n_aff, n_refs;
    double score[4];
    char rating[4][16];
    dd_sev_type sev_type[4];
    char ranges[8192];
    dd_fix_state st;
    int64_t published;
} got;

static int put(void *ctx, const dd_advisory *a, dd_err *err)
{
    (void)err;
    got *g = ctx;
    g->n++;
    snprintf(g->id, sizeof(g->id), "%s", a->id);
    snprintf(g->summary, sizeof(g->summary), "%s", a->summary ? a->summary : "");
    g->n_aliases = a->aliases.n;
    for (size_t i = 0; i < a->aliases.n && i < 8; i++)
        snprintf(g->aliases[i], sizeof(g->aliases[i]), "%s", a->aliases.items[i]);
    g->n_sev = a->n_severities;
    for (size_t i = 0; i < a->n_severities && i < 4; i++) {
        g->score[i] = a->severities[i].score;
        g->sev_type[i] = a->severities[i].type;
        snprintf(g->rating[i], sizeof(g->rating[i]), "%s", a->severities[i].rating);
        assert_null(a->severities[i].vector);
    }
    g->n_aff = a->n_affected;
    g->n_refs = a->references.n;
    g->published = a->published_ms;
    g->ranges[0] = 0;
    if (a->n_affected == 1) {
        assert_string_equal(a->affected[0].ecosystem, "RubyGems");
        snprintf(g->pkg, sizeof(g->pkg), "%s", a->affected[0].package);
        snprintf(g->ranges, sizeof(g->ranges), "%s", a->affected[0].ranges_json);
        g->st = a->affected[0].fix_state;
    }
    return 0;
}

static void warn_cb(void *ctx, const char *path, const char *msg)
{
    (void)path;
    (void)msg;
    ((got *)ctx)->n_warn++;
}

static int run(const char *doc, size_t len, const char *path, got *g)
{
    memset(g, 0, sizeof(*g));
    dd_import_sink sink = {put, warn_cb, g};
    dd_err err = DD_ERR_INIT;
    return dd_importer_rubysec.import((const uint8_t *)doc, len, path, &sink, &err);
}

static int cmp(const char *a, const char *b)
{
    int c;
    dd_err e = DD_ERR_INIT;
    assert_int_equal(dd_vers_rubygems_cmp(a, b, &c, &e), 0);
    return c;
}

/* OSV evaluation of one ECOSYSTEM range (events sorted as emitted). */
static int in_osv(const char *ranges, const char *v)
{
    if (ranges[0] == 0)
        return 0;
    json_t *r = json_loads(ranges, 0, NULL);
    assert_non_null(r);
    json_t *ev = json_object_get(json_array_get(r, 0), "events");
    int affected = 0;
    size_t i;
    json_t *e;
    json_array_foreach(ev, i, e)
    {
        const char *k;
        json_t *val;
        json_object_foreach(e, k, val)
        {
            const char *x = json_string_value(val);
            if (strcmp(k, "introduced") == 0 && (strcmp(x, "0") == 0 || cmp(v, x) >= 0))
                affected = 1;
            else if (strcmp(k, "fixed") == 0 && cmp(v, x) >= 0)
                affected = 0;
            else if (strcmp(k, "last_affected") == 0 && cmp(v, x) > 0)
                affected = 0;
        }
    }
    json_decref(r);
    return affected;
}

/* Gem::Version#bump done the plain way: numeric segments before any letter, drop the last,
 * add one to the new last (numbers fit in long long in the data). */
static void bump(char *out, size_t cap, const char *v)
{
    long long seg[32];
    int n = 0;
    const char *p = v;
    while (*p && n < 32) {
        if (*p < '0' || *p > '9')
            break;
        seg[n++] = strtoll(p, (char **)&p, 10);
        if (*p != '.')
            break;
        p++;
    }
    if (n > 1)
        n--;
    seg[n - 1]++;
    size_t o = 0;
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%lld", i ? "." : "", seg[i]);
}

/* Does v satisfy every constraint of the requirement string r? */
static int req_match(const char *r, const char *v)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", r);
    char *save = NULL;
    for (char *c = strtok_r(buf, ",", &save); c; c = strtok_r(NULL, ",", &save)) {
        char op[4] = "=", ver[128];
        while (*c == ' ')
            c++;
        size_t k = 0;
        while (c[k] == '~' || c[k] == '>' || c[k] == '<' || c[k] == '=')
            k++;
        if (k > 0) {
            memcpy(op, c, k);
            op[k] = 0;
        }
        c += k;
        while (*c == ' ')
            c++;
        snprintf(ver, sizeof(ver), "%s", c);
        for (size_t n = strlen(ver); n > 0 && ver[n - 1] == ' '; n--)
            ver[n - 1] = 0;
        int d = cmp(v, ver), ok;
        if (strcmp(op, "=") == 0)
            ok = d == 0;
        else if (strcmp(op, ">=") == 0)
            ok = d >= 0;
        else if (strcmp(op, ">") == 0)
            ok = d > 0;
        else if (strcmp(op, "<") == 0)
            ok = d < 0;
        else if (strcmp(op, "<=") == 0)
            ok = d <= 0;
        else {
            char up[128];
            assert_string_equal(op, "~>");
            bump(up, sizeof(up), ver);
            ok = d >= 0 && cmp(v, up) < 0;
        }
        if (!ok)
            return 0;
    }
    return 1;
}

/* The requirement strings of the file ("  - \">= 1.2\"" items under the two keys). */
static size_t read_reqs(const char *doc, char reqs[][256], size_t max)
{
    size_t n = 0;
    int in = 0;
    char line[1024];
    for (const char *p = doc; *p;) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        snprintf(line, sizeof(line), "%.*s", (int)(l < 1023 ? l : 1023), p);
        p = e ? e + 1 : p + l;
        if (strncmp(line, "patched_versions:", 17) == 0 ||
            strncmp(line, "unaffected_versions:", 20) == 0) {
            in = 1;
            continue;
        }
        if (line[0] != ' ' && line[0] != '-')
            in = 0;
        char *q = strstr(line, "- ");
        if (in && q && n < max) {
            q += 2;
            char quote = strchr(q, '"') ? '"' : '\'';
            char *s = strchr(q, quote), *t = s ? strchr(s + 1, quote) : NULL;
            if (s && t)
                snprintf(reqs[n++], 256, "%.*s", (int)(t - s - 1), s + 1);
            else
                snprintf(reqs[n++], 256, "%s", q);
        }
    }
    return n;
}

/* Versions named in the requirements, plus neighbours. */
static size_t probes(char reqs[][256], size_t n, char out[][160], size_t max)
{
    size_t k = 0;
    snprintf(out[k++], 160, "0");
    snprintf(out[k++], 160, "99999");
    for (size_t i = 0; i < n; i++) {
        const char *p = reqs[i];
        while (*p && k + 3 < max) {
            while (*p && !(*p >= '0' && *p <= '9'))
                p++;
            if (!*p)
                break;
            const char *st = p;
            while (*p && *p != ',' && *p != ' ')
                p++;
            snprintf(out[k++], 160, "%.*s", (int)(p - st), st);
            snprintf(out[k++], 160, "%.*s.1", (int)(p - st), st);
            char up[128], tmp[128];
            snprintf(tmp, sizeof(tmp), "%.*s", (int)(p - st), st);
            bump(up, sizeof(up), tmp);
            snprintf(out[k++], 160, "%s", up);
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

static void test_all_advisories(void **state)
{
    (void)state;
    char root[1024];
    snprintf(root, sizeof(root), "%s/%s", DD_FIXTURES, GEMS);
    DIR *d = opendir(root);
    assert_non_null(d);
    struct dirent *ge;
    size_t files = 0, probes_checked = 0, approx_files = 0, approx_probes = 0;
    while ((ge = readdir(d)) != NULL) {
        if (ge->d_name[0] == '.')
            continue;
        char gdir[2048];
        snprintf(gdir, sizeof(gdir), "%s/%s", root, ge->d_name);
        DIR *gd = opendir(gdir);
        assert_non_null(gd);
        struct dirent *fe;
        while ((fe = readdir(gd)) != NULL) {
            if (fe->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof(path), "%s/%s", gdir, fe->d_name);
            size_t len;
            char *doc = slurp(path, &len);
            assert_true(
                dd_importer_rubysec.detect(path, (const uint8_t *)doc, len > 4096 ? 4096 : len));
            got g;
            assert_int_equal(run(doc, len, path, &g), 0);
            assert_int_equal(g.n, 1);
            files++;
            /* id: CVE, else GHSA, else the file's name */
            char want[128];
            const char *c = strstr(doc, "\ncve: "), *gh = strstr(doc, "\nghsa: ");
            if (c)
                snprintf(want, sizeof(want), "CVE-%.*s", (int)strcspn(c + 6, "\n"), c + 6);
            else if (gh)
                snprintf(want, sizeof(want), "GHSA-%.*s", (int)strcspn(gh + 7, "\n"), gh + 7);
            else
                snprintf(want, sizeof(want), "%.*s", (int)(strlen(fe->d_name) - 4), fe->d_name);
            assert_string_equal(g.id, want);
            /* (no affected entry when the requirements cover every version, e.g. ckeditor
             * CVE-2021-32808: unaffected "< 5.1.2", patched ">= 5.1.2") */
            if (g.n_aff == 1)
                assert_string_equal(g.pkg, ge->d_name);
            assert_true(g.published > 0);
            static char reqs[128][256];
            static char pv[1024][160];
            size_t nr = read_reqs(doc, reqs, 128);
            size_t np = probes(reqs, nr, pv, 1024);
            int warned = g.n_warn > 0;
            approx_files += warned;
            for (size_t i = 0; i < np; i++) {
                int matched = 0;
                for (size_t r = 0; r < nr; r++)
                    matched |= req_match(reqs[r], pv[i]);
                int in = in_osv(g.ranges, pv[i]);
                if (in != !matched) {
                    /* only the documented approximation: a gap after "<= v" starts at v */
                    if (!(warned && in && matched)) {
                        fail_msg("%s: version %s: osv %d, requirements say affected %d (%s)", path,
                                 pv[i], in, !matched, g.ranges);
                    }
                    approx_probes++;
                }
                probes_checked++;
            }
            free(doc);
        }
        closedir(gd);
    }
    closedir(d);
    printf("rubysec: %zu advisories, %zu probe versions agree (%zu in %zu files differ only by "
           "the documented '<=' approximation)\n",
           files, probes_checked - approx_probes, approx_probes, approx_files);
    assert_true(files > 800);
}

static void test_spot_checks(void **state)
{
    (void)state;
    char path[1024];
    size_t len;
    got g;
    snprintf(path, sizeof(path), "%s/%s/resque/CVE-2023-50725.yml", DD_FIXTURES, GEMS);
    char *doc = slurp(path, &len);
    assert_int_equal(run(doc, len, path, &g), 0);
    assert_string_equal(g.id, "CVE-2023-50725");
    assert_int_equal(g.n_aliases, 1);
    assert_string_equal(g.aliases[0], "GHSA-gc3j-vvwf-4rp8");
    assert_string_equal(g.ranges, "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
                                  "{\"fixed\":\"2.2.1\"}]}]");
    assert_int_equal(g.st, DD_FIX_FIXED);
    assert_int_equal(g.n_sev, 1);
    assert_int_equal(g.sev_type[0], DD_SEV_CVSS_V3);
    assert_true(g.score[0] > 6.29 && g.score[0] < 6.31);
    assert_string_equal(g.rating[0], "MEDIUM");
    assert_int_equal(g.n_refs, 4); /* url + 3 more distinct related urls */
    free(doc);
    /* an advisory named after its OSVDB id */
    snprintf(path, sizeof(path), "%s/%s/cap-strap/OSVDB-108575.yml", DD_FIXTURES, GEMS);
    doc = slurp(path, &len);
    assert_int_equal(run(doc, len, path, &g), 0);
    assert_true(strcmp(g.id, "OSVDB-108575") == 0 || strncmp(g.id, "CVE-", 4) == 0 ||
                strncmp(g.id, "GHSA-", 5) == 0);
    free(doc);
}

static void test_requirement_forms(void **state)
{
    (void)state;
    got g;
    const char *doc = "gem: g\ncve: 2020-1\ndate: 2020-01-02\ntitle: t\n"
                      "patched_versions:\n  - \"~> 1.2.3\"\n  - \">= 1.3.1\"\n"
                      "unaffected_versions:\n  - \"< 0.5\"\n";
    assert_int_equal(run(doc, strlen(doc), "gems/g/CVE-2020-1.yml", &g), 0);
    assert_string_equal(g.ranges,
                        "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0.5\"},"
                        "{\"fixed\":\"1.2.3\"},{\"introduced\":\"1.3\"},{\"fixed\":\"1.3.1\"}]}]");
    assert_int_equal(g.n_warn, 0);
    /* no requirements at all: everything */
    doc = "gem: g\nghsa: aaaa-bbbb-cccc\n";
    assert_int_equal(run(doc, strlen(doc), NULL, &g), 0);
    assert_string_equal(g.id, "GHSA-aaaa-bbbb-cccc");
    assert_string_equal(g.ranges, "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"}]}]");
    assert_int_equal(g.st, DD_FIX_UNKNOWN);
    /* ">" lower bound ends a gap with last_affected; "~> 2" bumps to 3 */
    doc = "gem: g\ncve: 1\npatched_versions:\n  - \"> 1.0\"\n  - \"~> 0.9.1.beta\"\n";
    assert_int_equal(run(doc, strlen(doc), "x/y.yml", &g), 0);
    assert_string_equal(g.ranges, "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
                                  "{\"fixed\":\"0.9.1.beta\"},{\"introduced\":\"0.10\"},"
                                  "{\"last_affected\":\"1.0\"}]}]");
    assert_int_equal(g.n_aliases, 1); /* the file's id "y" */
    /* all patched: no affected entry */
    doc = "gem: g\ncve: 1\npatched_versions:\n  - \">= 0\"\n";
    assert_int_equal(run(doc, strlen(doc), NULL, &g), 0);
    assert_int_equal(g.n, 1);
    assert_int_equal(g.n_aff, 0);
    /* unsupported forms are skipped with a warning */
    const char *bad[] = {"gem: g\ncve: 1\npatched_versions:\n  - \"!= 1.0\"\n",
                         "gem: g\ncve: 1\npatched_versions:\n  - \">= 1.0 2.0\"\n",
                         "gem: g\ncve: 1\npatched_versions: {a: b}\n",
                         "gem: g b\ncve: 1\n",
                         "gem: g\n",
                         "gem: g\ncve: \"1 2\"\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(run(bad[i], strlen(bad[i]), NULL, &g), 0);
        assert_int_equal(g.n, 0);
        assert_int_equal(g.n_warn, 1);
    }
    assert_int_equal(run("a: [", 4, NULL, &g), DD_EINVALID);
    assert_int_equal(run("- 1\n", 4, NULL, &g), DD_EINVALID);
    assert_int_equal(run("", 0, NULL, &g), DD_EINVALID);
    doc = "gem: g\ncve: 1\ncvss_v3: 11.0\ncvss_v2: 5.0\ndate: 2020-13-01\n";
    assert_int_equal(run(doc, strlen(doc), NULL, &g), 0);
    assert_int_equal(g.n_sev, 1);
    assert_string_equal(g.rating[0], "MEDIUM");
    assert_int_equal(g.n_warn, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_advisories),
        cmocka_unit_test(test_spot_checks),
        cmocka_unit_test(test_requirement_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
