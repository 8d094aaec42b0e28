/* Tests of the python cataloger against real metadata files and lockfiles (tests/fixtures/pkgdb/
 * lang/python). Expected values are read from the fixtures here by independent simple means
 * (header lines, "[[package]]" lines, jansson), plus spot checks taken from the files; owners
 * against the `dpkg -S` output stored beside a real Debian 12 dpkg database (pkgdb/dpkg-owner). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "inventory/catalog.h"
#include "inventory/dpkg.h"
#include "inventory/python.h"

#define PY_DIR DD_FIXTURES "/pkgdb/lang/python"

static void parse_file(itest_parse_fn fn, const char *rel, dd_pkg_list *out)
{
    itest_parse_file(fn, PY_DIR, rel, "/p/f", 2, out);
}

/* The value of header "key: " in the header block (before the first empty line). */
static void header(const char *text, const char *key, char *out, size_t out_len)
{
    size_t kl = strlen(key);
    out[0] = '\0';
    for (const char *line = text; *line && *line != '\n'; line = strchr(line, '\n') + 1) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ':' && line[kl + 1] == ' ') {
            const char *v = line + kl + 2;
            size_t n = strcspn(v, "\r\n");
            snprintf(out, out_len, "%.*s", (int)n, v);
            return;
        }
        if (strchr(line, '\n') == NULL)
            return;
    }
}

static void test_metadata(void **state)
{
    (void)state;
    static const char *const files[] = {
        "metadata/Flask-2.0.0.dist-info/METADATA",
        "metadata/networkx-3.0.dist-info/METADATA",
        "metadata/setuptools-51.3.3-py3.8.egg-info/PKG-INFO",
        "metadata/syft-egg-info/PKG-INFO",
        "metadata/typing_extensions-4.4.0.dist-info/METADATA",
        "site-packages-debian12/pip-24.0.dist-info/METADATA",
        "site-packages-debian12/setuptools-69.5.1.dist-info/METADATA",
        "site-packages-debian12/wheel-0.43.0.dist-info/METADATA",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        size_t len;
        char *text = (char *)itest_slurp_in(PY_DIR, files[i], &len);
        char name[256], ver[256];
        header(text, "Name", name, sizeof(name));
        header(text, "Version", ver, sizeof(ver));
        free(text);
        dd_pkg_list l = DD_PKG_LIST_INIT;
        parse_file(dd_python_metadata_parse, files[i], &l);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.items[0].name, name);
        assert_string_equal(l.items[0].version, ver);
        assert_false(l.items[0].declared_only);
        assert_int_equal(l.items[0].layer, 2);
        assert_string_equal(l.items[0].paths.items[0], "/p/f");
        dd_pkg_list_free(&l);
    }
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_python_metadata_parse, "metadata/Flask-2.0.0.dist-info/METADATA", &l);
    assert_string_equal(l.items[0].license, "BSD-3-Clause");
    dd_pkg_list_free(&l);
    parse_file(dd_python_metadata_parse, "metadata/setuptools-51.3.3-py3.8.egg-info/PKG-INFO", &l);
    assert_null(l.items[0].license); /* "License: UNKNOWN" */
    dd_pkg_list_free(&l);
    parse_file(dd_python_metadata_parse, "metadata/typing_extensions-4.4.0.dist-info/METADATA", &l);
    assert_string_equal(l.items[0].name, "typing_extensions"); /* as written */
    dd_pkg_list_free(&l);
    parse_file(dd_python_metadata_parse, "site-packages-debian12/wheel-0.43.0.dist-info/METADATA",
               &l);
    assert_string_equal(l.items[0].license, "MIT License"); /* from the classifier */
    dd_pkg_list_free(&l);
}

/* Independent count: "[[package]]" lines. */
static size_t count_lines(const char *rel, const char *prefix)
{
    size_t len, n = 0;
    char *text = (char *)itest_slurp_in(PY_DIR, rel, &len);
    for (char *line = text; line != NULL; line = strchr(line, '\n')) {
        if (*line == '\n')
            line++;
        n += strncmp(line, prefix, strlen(prefix)) == 0;
    }
    free(text);
    return n;
}

static void test_poetry(void **state)
{
    (void)state;
    static const char *const files[] = {"syft-nested-extras.poetry.lock",
                                        "trivy-happy-v2.poetry.lock",
                                        "trivy-with-groups.poetry.lock"};
    for (size_t i = 0; i < 3; i++) {
        dd_pkg_list l = DD_PKG_LIST_INIT;
        parse_file(dd_python_poetry_lock_parse, files[i], &l);
        assert_int_equal(l.n, count_lines(files[i], "[[package]]"));
        assert_int_equal(count_lines(files[i], "[[package]]"), count_lines(files[i], "name = "));
        for (size_t j = 0; j < l.n; j++)
            assert_true(l.items[j].declared_only);
        dd_pkg_list_free(&l);
    }
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_python_poetry_lock_parse, "trivy-with-groups.poetry.lock", &l);
    size_t dev = 0;
    for (size_t j = 0; j < l.n; j++)
        dev += l.items[j].dev;
    /* groups lines without "main": 7 ["dev"] + 1 ["lint"] in the file */
    assert_int_equal(dev, count_lines("trivy-with-groups.poetry.lock", "groups = [\"dev\"]") +
                              count_lines("trivy-with-groups.poetry.lock", "groups = [\"lint\"]"));
    const dd_pkg *p = itest_find(&l, "anyio", "4.7.0");
    assert_non_null(p);
    assert_false(p->dev);
    dd_pkg_list_free(&l);
}

static void test_uv(void **state)
{
    (void)state;
    static const char *const files[] = {"syft-nested-extras.uv.lock", "trivy-happy.uv.lock"};
    for (size_t i = 0; i < 2; i++) {
        dd_pkg_list l = DD_PKG_LIST_INIT;
        parse_file(dd_python_uv_lock_parse, files[i], &l);
        /* every [[package]] but the project itself (source = { virtual = "." }) */
        assert_int_equal(l.n, count_lines(files[i], "[[package]]") -
                                  count_lines(files[i], "source = { virtual = \".\" }"));
        dd_pkg_list_free(&l);
    }
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_python_uv_lock_parse, "trivy-happy.uv.lock", &l);
    assert_non_null(itest_find(&l, "certifi", "2024.12.14"));
    assert_non_null(itest_find(&l, "charset-normalizer", "3.4.0"));
    assert_null(itest_find(&l, "happy", "0.1.0"));
    dd_pkg_list_free(&l);
}

static void test_pipfile(void **state)
{
    (void)state;
    json_t *root = json_load_file(PY_DIR "/trivy-ci-test.Pipfile.lock", 0, NULL);
    assert_non_null(root);
    size_t want = 0, want_dev = 0;
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(root, "default"), k, v)
    {
        want += json_object_get(v, "version") != NULL;
    }
    json_object_foreach(json_object_get(root, "develop"), k, v)
    {
        want_dev += json_object_get(v, "version") != NULL;
    }
    json_decref(root);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_python_pipfile_lock_parse, "trivy-ci-test.Pipfile.lock", &l);
    size_t dev = 0;
    for (size_t j = 0; j < l.n; j++)
        dev += l.items[j].dev;
    assert_int_equal(l.n, want + want_dev);
    assert_int_equal(dev, want_dev);
    assert_non_null(itest_find(&l, "amqp", "2.4.2"));
    assert_non_null(itest_find(&l, "autopep8", "1.4.3"));
    dd_pkg_list_free(&l);
}

static void test_requirements(void **state)
{
    (void)state;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    parse_file(dd_python_requirements_parse, "syft-requires.requirements.txt", &l);
    /* the pinned lines of the file */
    static const char *const want[][2] = {
        {"flask", "4.0.0"},
        {"urllib3", "1.26.20"},
        {"foo", "1.0.0"},
        {"SomeProject", "5.4"},
        {"dots-._allowed", "1.0.0"},
        {"argh", "0.26.2"},
        {"argh", "0.26.3"},
        {"celery", "4.4.7"},
        {"GithubSampleProject", "3.7.1"},
        {"FrIeNdLy-_-bArD", "1.0.0"},
        {"local-version", "1.2.3+gcr.2"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (itest_find(&l, want[i][0], want[i][1]) == NULL)
            fail_msg("missing %s %s", want[i][0], want[i][1]);
    assert_int_equal(l.n, sizeof(want) / sizeof(want[0]));
    dd_pkg_list_free(&l);

    parse_file(dd_python_requirements_parse, "trivy-operator.requirements.txt", &l);
    assert_non_null(itest_find(&l, "Django", "2.3.4"));
    assert_non_null(itest_find(&l, "SomeProject", "5.4"));
    assert_int_equal(l.n, 2);
    dd_pkg_list_free(&l);

    parse_file(dd_python_requirements_parse, "trivy-hash.requirements.txt", &l);
    assert_non_null(itest_find(&l, "FooProject", "1.2"));
    assert_non_null(itest_find(&l, "Jinja2", "3.0.0"));
    dd_pkg_list_free(&l);
}

static void add_fixture(dd_rootfs *fs, const char *image_path, const char *fixture)
{
    itest_add_fixture(fs, image_path, PY_DIR, fixture, 1);
}

static void test_catalog(void **state)
{
    (void)state;
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    add_fixture(fs, "usr/lib/python3/dist-packages/Flask-2.0.0.dist-info/METADATA",
                "metadata/Flask-2.0.0.dist-info/METADATA");
    add_fixture(fs, "usr/lib/python3.11/dist-packages/networkx-3.0.egg-info",
                "metadata/networkx-3.0.dist-info/METADATA");
    add_fixture(fs, "usr/local/lib/python3.12/site-packages/pip-24.0.dist-info/METADATA",
                "site-packages-debian12/pip-24.0.dist-info/METADATA");
    add_fixture(fs,
                "usr/local/lib/python3.12/site-packages/typing_extensions-4.4.0.dist-info/"
                "METADATA",
                "metadata/typing_extensions-4.4.0.dist-info/METADATA");
    add_fixture(fs, "usr/local/lib/python3.12/site-packages/x/requirements.txt",
                "syft-requires.requirements.txt");
    add_fixture(fs, "srv/app/poetry.lock", "trivy-with-groups.poetry.lock");
    const char *req = "Typing.Extensions == 4.4.0\nflask==2.0.0\nrequests==2.0.0\n";
    assert_int_equal(dd_rootfs_add_file(fs, "srv/app/requirements.txt", (const uint8_t *)req,
                                        strlen(req), strlen(req), 0100644, 2, 0),
                     0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    assert_int_equal(dd_cataloger_python.wants("a/b.egg-info", 12, 0100644, 1, NULL),
                     DD_KEEP_WHOLE);

    dd_pkg_list l = DD_PKG_LIST_INIT;
    assert_int_equal(dd_cataloger_python.catalog(fs, &l, NULL, NULL, &err), 0);
    size_t n_decl = 0;
    for (size_t i = 0; i < l.n; i++)
        n_decl += l.items[i].declared_only;
    /* the poetry packages and requests; typing_extensions and Flask matched installed ones */
    assert_int_equal(n_decl, count_lines("trivy-with-groups.poetry.lock", "[[package]]") + 1);
    assert_int_equal(l.n - n_decl, 4);

    const dd_pkg *p = itest_find(&l, "Flask", "2.0.0");
    assert_non_null(p);
    assert_string_equal(p->owner, "dpkg");
    assert_int_equal(p->paths.n, 2);
    assert_string_equal(p->paths.items[1], "/srv/app/requirements.txt");
    assert_non_null(p = itest_find(&l, "networkx", "3.0"));
    assert_string_equal(p->owner, "dpkg");
    assert_string_equal(p->paths.items[0],
                        "/usr/lib/python3.11/dist-packages/networkx-3.0.egg-info");
    assert_non_null(p = itest_find(&l, "pip", "24.0"));
    assert_null(p->owner);
    assert_non_null(p = itest_find(&l, "typing_extensions", "4.4.0"));
    assert_false(p->declared_only);
    assert_int_equal(p->paths.n, 2);
    assert_non_null(p = itest_find(&l, "requests", "2.0.0"));
    assert_true(p->declared_only);
    assert_int_equal(p->layer, 2);
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);
}

/* Real dpkg data of a Debian 12 system (tests/fixtures/pkgdb/dpkg-owner/debian12-python3, see its
 * PROVENANCE.md): every distribution gets the owner that `dpkg -S` printed for its metadata file,
 * read from expected-owners.txt. */
#define OWNER_DIR DD_FIXTURES "/pkgdb/dpkg-owner/debian12-python3"

static dd_keep python_dpkg_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                                 const dd_extractor **extractor)
{
    dd_keep k = dd_cataloger_python.wants(path, path_len, mode, size, extractor);
    return k != DD_KEEP_NONE ? k : dd_cataloger_dpkg.wants(path, path_len, mode, size, extractor);
}

static void test_dpkg_owner(void **state)
{
    (void)state;
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rootfs_from_dir(&fs, OWNER_DIR, python_dpkg_wants, 64u << 20, &err), 0);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    assert_int_equal(dd_cataloger_python.catalog(fs, &l, NULL, NULL, &err), 0);

    FILE *f = fopen(OWNER_DIR "/expected-owners.txt", "r");
    assert_non_null(f);
    char line[1024];
    size_t n_expected = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        tab[1 + strcspn(tab + 1, "\n")] = '\0';
        const dd_pkg *p = NULL;
        for (size_t i = 0; i < l.n && p == NULL; i++)
            if (strcmp(l.items[i].paths.items[0], line) == 0)
                p = &l.items[i];
        if (p == NULL)
            print_error("no package found in %s\n", line);
        assert_non_null(p);
        assert_non_null(p->owner);
        assert_string_equal(p->owner, tab + 1);
        n_expected++;
    }
    fclose(f);
    assert_true(n_expected > 0);
    assert_int_equal(l.n, n_expected);
    const dd_pkg *p = itest_find(&l, "pyrsistent", "0.18.1"); /* NAME:ARCH.list */
    assert_non_null(p);
    assert_string_equal(p->owner, "python3-pyrsistent");
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);
}

/* With file lists in the image, a distribution in dist-packages that no list names has no owner
 * (no "dpkg" marker); a /usr-merge spelling (/lib/python3/...) is found through lib -> usr/lib. */
static void test_dpkg_owner_lists(void **state)
{
    (void)state;
    for (int merged = 0; merged <= 1; merged++) {
        dd_rootfs *fs = NULL;
        dd_err err = DD_ERR_INIT;
        assert_int_equal(dd_rootfs_new(&fs), 0);
        add_fixture(fs, "usr/lib/python3/dist-packages/Flask-2.0.0.dist-info/METADATA",
                    "metadata/Flask-2.0.0.dist-info/METADATA");
        add_fixture(fs, "usr/lib/python3/dist-packages/networkx-3.0.dist-info/METADATA",
                    "metadata/networkx-3.0.dist-info/METADATA");
        add_fixture(fs, "usr/local/lib/python3.12/site-packages/pip-24.0.dist-info/METADATA",
                    "site-packages-debian12/pip-24.0.dist-info/METADATA");
        const char *list = "/.\n/lib\n/lib/python3\n/lib/python3/dist-packages\n"
                           "/lib/python3/dist-packages/Flask-2.0.0.dist-info\n"
                           "/lib/python3/dist-packages/Flask-2.0.0.dist-info/METADATA\n";
        assert_int_equal(dd_rootfs_add_file(fs, "var/lib/dpkg/info/python3-flask.list",
                                            (const uint8_t *)list, strlen(list), strlen(list),
                                            0100644, 0, 0),
                         0);
        if (merged)
            assert_int_equal(dd_rootfs_add_symlink(fs, "lib", "usr/lib", 0), 0);
        assert_int_equal(dd_rootfs_finish(fs), 0);
        dd_pkg_list l = DD_PKG_LIST_INIT;
        assert_int_equal(dd_cataloger_python.catalog(fs, &l, NULL, NULL, &err), 0);
        assert_int_equal(l.n, 3);
        const dd_pkg *p = itest_find(&l, "Flask", "2.0.0");
        assert_non_null(p);
        if (merged)
            assert_string_equal(p->owner, "python3-flask");
        else
            assert_null(p->owner);
        assert_non_null(p = itest_find(&l, "networkx", "3.0"));
        assert_null(p->owner);
        assert_non_null(p = itest_find(&l, "pip", "24.0"));
        assert_null(p->owner);
        dd_pkg_list_free(&l);
        dd_rootfs_free(fs);
    }
}

static void test_invalid(void **state)
{
    (void)state;
    static const itest_bad_case cases[] = {
        {dd_python_metadata_parse, "Name: x\n"},
        {dd_python_metadata_parse, "Name x\nVersion: 1\n"},
        {dd_python_poetry_lock_parse, "[[package]]\nname = \"x\nversion = \"1\"\n"},
        {dd_python_poetry_lock_parse, "[[package]\n"},
        {dd_python_poetry_lock_parse, "[[package]]\nfiles = [\n {a = 1},\n"},
        {dd_python_uv_lock_parse, "[[package]]\nname = \"x\" junk\n"},
        {dd_python_pipfile_lock_parse, "{\"default\": "},
    };
    itest_check_invalid(cases, sizeof(cases) / sizeof(cases[0]));
    assert_int_equal(dd_python_name_cmp("Typing.Extensions", "typing_extensions"), 0);
    assert_int_equal(dd_python_name_cmp("a--b", "A_.b"), 0);
    assert_true(dd_python_name_cmp("a-b", "ab") != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata),
        cmocka_unit_test(test_poetry),
        cmocka_unit_test(test_uv),
        cmocka_unit_test(test_pipfile),
        cmocka_unit_test(test_requirements),
        cmocka_unit_test(test_catalog),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_dpkg_owner),
        cmocka_unit_test(test_dpkg_owner_lists),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
