/* Tests of the Alpine secdb importer on real secdb files (YAML and JSON), checked against an
 * independent line scan of the YAML (secfixes list items, CVE tokens) and a jansson walk of the
 * JSON, plus spot checks taken from the files. */
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
    char *eco, *pkg, *ranges;
    dd_fix_state st;
} got_aff;

typedef struct got_adv {
    char *id;
    size_t n_aliases;
    char **aliases;
    size_t n_aff;
    got_aff *aff;
} got_adv;

typedef struct got {
    got_adv *a;
    size_t n, cap, n_warn;
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
    c->id = sdup(a->id);
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
        for (size_t k = 0; k < c->n_aliases; k++)
            free(c->aliases[k]);
        free(c->aliases);
        for (size_t k = 0; k < c->n_aff; k++) {
            free(c->aff[k].eco);
            free(c->aff[k].pkg);
            free(c->aff[k].ranges);
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

/* Is tok an advisory id or an alias of one? */
static int known(const got *g, const char *tok)
{
    for (size_t i = 0; i < g->n; i++) {
        if (strcmp(g->a[i].id, tok) == 0)
            return 1;
        for (size_t k = 0; k < g->a[i].n_aliases; k++)
            if (strcmp(g->a[i].aliases[k], tok) == 0)
                return 1;
    }
    return 0;
}

static const got_aff *find_aff(const got_adv *a, const char *pkg, const char *ver_in_range)
{
    for (size_t i = 0; a && i < a->n_aff; i++)
        if (strcmp(a->aff[i].pkg, pkg) == 0 &&
            (ver_in_range == NULL || (a->aff[i].ranges && strstr(a->aff[i].ranges, ver_in_range))))
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

static int run(const uint8_t *buf, size_t len, got *g)
{
    dd_import_sink sink = {put, warn_cb, g};
    dd_err err = DD_ERR_INIT;
    return dd_importer_alpine_secdb.import(buf, len, "test", &sink, &err);
}

/* Independent scan of a secdb YAML: list items after a "secfixes:" line (until the next "pkg:"),
 * and every CVE-NNNN-NNNN token in them must come out as an id or alias. */
static void check_yaml(const char *rel, const char *branch)
{
    size_t len;
    uint8_t *buf = slurp(rel, &len);
    assert_true(dd_importer_alpine_secdb.detect(rel, buf, len < 4096 ? len : 4096));
    got g = {0};
    assert_int_equal(run(buf, len, &g), 0);
    size_t items = 0, cves = 0;
    int in_fixes = 0;
    char *save = NULL;
    for (char *l = strtok_r((char *)buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *s = l;
        while (*s == ' ')
            s++;
        if (strncmp(s, "- pkg:", 6) == 0 || strncmp(s, "pkg:", 4) == 0)
            in_fixes = 0;
        else if (strncmp(s, "secfixes:", 9) == 0)
            in_fixes = 1;
        else if (in_fixes && s[0] == '-' && s[1] == ' ') {
            items++;
            for (char *p = strstr(s, "CVE-"); p; p = strstr(p + 4, "CVE-")) {
                char tok[64];
                size_t n = 4;
                while (n < 60 && ((p[n] >= '0' && p[n] <= '9') || p[n] == '-'))
                    n++;
                while (n > 4 && p[n - 1] == '-')
                    n--;
                memcpy(tok, p, n);
                tok[n] = 0;
                if ((p > s && p[-1] != ' ' && p[-1] != '-') || n == 4)
                    continue; /* not a token start, or a "CVE-????" placeholder */
                cves++;
                if (!known(&g, tok))
                    fprintf(stderr, "unknown %s in %s\n", tok, rel);
                assert_true(known(&g, tok));
            }
        }
    }
    size_t n_aff = 0;
    char eco[64];
    snprintf(eco, sizeof(eco), "Alpine:%s", branch);
    for (size_t i = 0; i < g.n; i++) {
        n_aff += g.a[i].n_aff;
        for (size_t k = 0; k < g.a[i].n_aff; k++)
            assert_string_equal(g.a[i].aff[k].eco, eco);
    }
    assert_int_equal(n_aff, items);
    assert_int_equal(g.n_warn, 0);
    printf("%s: %zu advisories, %zu secfix entries, %zu CVE tokens agree\n", rel, g.n, n_aff, cves);
    got_free(&g);
    free(buf);
}

static void test_yaml_files(void **state)
{
    (void)state;
    static const char *const files[][2] = {
        {"vulndb/alpine-secdb/v3.3/main.yaml", "v3.3"},
        {"vulndb/alpine-secdb/v3.3/community.yaml", "v3.3"},
        {"vulndb/alpine-secdb/v3.4/main.yaml", "v3.4"},
        {"vulndb/alpine-secdb/v3.4/community.yaml", "v3.4"},
        {"vulndb/alpine-secdb/v3.6/main.yaml", "v3.6"},
        {"vulndb/alpine-secdb/v3.6/community.yaml", "v3.6"},
        {"vulndb/alpine-secdb/v3.8/main.yaml", "v3.8"},
        {"vulndb/alpine-secdb/v3.8/community.yaml", "v3.8"},
        {"vulndb/alpine-secdb/v3.10/main.yaml", "v3.10"},
        {"vulndb/alpine-secdb/v3.10/community.yaml", "v3.10"},
        {"vulndb/alpine-secdb/v3.11/main.yaml", "v3.11"},
        {"vulndb/alpine-secdb/v3.11/community.yaml", "v3.11"},
        {"vulndb/alpine-secdb/vunnel-v3.15/main.yaml", "v3.15"},
        {"vulndb/alpine-secdb/vunnel-v3.15/community.yaml", "v3.15"},
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        check_yaml(files[i][0], files[i][1]);
}

static void test_json_file(void **state)
{
    (void)state;
    const char *rel = "vulndb/alpine-secdb/claircore-v3.10-community.json";
    size_t len;
    uint8_t *buf = slurp(rel, &len);
    assert_true(dd_importer_alpine_secdb.detect(rel, buf, len));
    got g = {0};
    assert_int_equal(run(buf, len, &g), 0);
    json_t *root = json_loadb((const char *)buf, len, 0, NULL);
    size_t i, strings = 0;
    json_t *p;
    json_array_foreach(json_object_get(root, "packages"), i, p)
    {
        const char *ver;
        json_t *ids;
        json_object_foreach(json_object_get(json_object_get(p, "pkg"), "secfixes"), ver, ids)
        {
            strings += json_array_size(ids);
        }
    }
    size_t n_aff = 0;
    for (size_t k = 0; k < g.n; k++)
        n_aff += g.a[k].n_aff;
    assert_int_equal(n_aff, strings);
    printf("%s: %zu advisories, %zu secfix entries agree\n", rel, g.n, n_aff);
    json_decref(root);

    /* The same records as in the YAML of the same branch. */
    const got_aff *f = find_aff(find(&g, "CVE-2018-20187"), "botan", NULL);
    assert_non_null(f);
    assert_int_equal(f->st, DD_FIX_FIXED);
    assert_string_equal(f->eco, "Alpine:v3.10");
    assert_string_equal(f->ranges, "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
                                   "{\"fixed\":\"2.9.0-r0\"}]}]");
    got y = {0};
    size_t ylen;
    uint8_t *ybuf = slurp("vulndb/alpine-secdb/v3.10/community.yaml", &ylen);
    assert_int_equal(run(ybuf, ylen, &y), 0);
    const got_aff *yf = find_aff(find(&y, "CVE-2018-20187"), "botan", NULL);
    assert_non_null(yf);
    assert_string_equal(yf->ranges, f->ranges);
    got_free(&y);
    free(ybuf);
    got_free(&g);
    free(buf);
}

static void test_spot_checks(void **state)
{
    (void)state;
    size_t len;
    got g = {0};
    uint8_t *buf = slurp("vulndb/alpine-secdb/v3.10/main.yaml", &len);
    assert_int_equal(run(buf, len, &g), 0);
    /* "CVE-2018-12126  XSA-297" under xen: CVE id, XSA alias; "CVE-????-?????  XSA-295": the
     * placeholder is dropped and the XSA is the id. */
    const got_adv *a = find(&g, "CVE-2018-12126");
    assert_non_null(a);
    assert_int_equal(a->n_aliases, 1);
    assert_string_equal(a->aliases[0], "XSA-297");
    assert_non_null(find_aff(a, "xen", "\"4.12.0-r2\""));
    a = find(&g, "XSA-295");
    assert_non_null(find_aff(a, "xen", "\"4.12.1-r0\""));
    got_free(&g);
    free(buf);
    /* "0" (whitelisted) means not affected: db's Oracle Berkeley DB entries in v3.8. */
    buf = slurp("vulndb/alpine-secdb/v3.8/main.yaml", &len);
    assert_int_equal(run(buf, len, &g), 0);
    a = find(&g, "CVE-2016-0682");
    assert_non_null(a);
    const got_aff *f = find_aff(a, "db", NULL);
    assert_non_null(f);
    assert_int_equal(f->st, DD_FIX_NOT_AFFECTED);
    assert_null(f->ranges);
    got_free(&g);
    free(buf);
    /* vunnel sample: zlib 1.2.12-r2 fixes CVE-2022-37434. */
    buf = slurp("vulndb/alpine-secdb/vunnel-v3.15/main.yaml", &len);
    assert_int_equal(run(buf, len, &g), 0);
    assert_non_null(find_aff(find(&g, "CVE-2022-37434"), "zlib", "\"1.2.12-r2\""));
    assert_int_equal(g.n, 13); /* 13 distinct CVE lines in the file */
    got_free(&g);
    free(buf);
}

static void test_odd_input(void **state)
{
    (void)state;
    got g = {0};
    const char *y = "distroversion: v3.18\npackages:\n"
                    "- pkg:\n    name: a\n    secfixes:\n      1.0-r0:\n"
                    "      - CVE_2019-1.patch XSA-1 (note)\n      - XSA-2\n      - \"bad id!\"\n"
                    "      - [x]\n      2.0-r0:\n      - XSA-3 CVE-2019-1\n"
                    "- pkg:\n    secfixes: {}\n"
                    "- pkg:\n    name: b\n    secfixes:\n      \"0\":\n      - CVE-2019-1\n";
    assert_int_equal(run((const uint8_t *)y, strlen(y), &g), 0);
    assert_int_equal(g.n_warn, 3);
    assert_int_equal(g.n, 2);
    const got_adv *a = find(&g, "CVE-2019-1");
    assert_non_null(a);
    assert_int_equal(a->n_aff, 3);
    assert_int_equal(a->n_aliases, 2); /* XSA-1, XSA-3 */
    assert_int_equal(find_aff(a, "b", NULL)->st, DD_FIX_NOT_AFFECTED);
    assert_non_null(find(&g, "XSA-2"));
    got_free(&g);

    const char *bad[] = {"",
                         "{",
                         "[1]",
                         "distroversion: [x]\n",
                         "a: b: c\n",
                         "{\"packages\":[]}",
                         "distroversion: v3.1\npackages: 3\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(run((const uint8_t *)bad[i], strlen(bad[i]), &g), DD_EINVALID);
        got_free(&g);
    }
    assert_false(dd_importer_alpine_secdb.detect("main.json", (const uint8_t *)"{\"id\":1}", 8));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_files),
        cmocka_unit_test(test_json_file),
        cmocka_unit_test(test_spot_checks),
        cmocka_unit_test(test_odd_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
