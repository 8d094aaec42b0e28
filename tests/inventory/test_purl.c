/* Tests for the purl builder: exact purls for representative packages of every type drydock
 * catalogs (the issue's examples included), and the canonical purls of the purl specification's own
 * build test cases (tests/fixtures/purl/purl-spec-cases.json, a verbatim subset of
 * package-url/purl-spec) mapped onto dd_pkg/dd_os. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inventory/os.h"
#include "inventory/purl.h"
#include "util/alloc.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

#define SPEC_CASES DD_FIXTURES "/purl/purl-spec-cases.json"
#define DEBIAN12_OS_RELEASE DD_FIXTURES "/pkgdb/os-release/claircore/debian-12/etc/os-release"

/* A package built field by field; NULL leaves a field unset. */
typedef struct pcase {
    dd_pkg_type type;
    const char *name, *version, *arch, *epoch;
    const char *os_id, *os_version_id; /* os_id NULL: no OS */
    const char *want;
} pcase;

static char *build(dd_pkg_type type, const char *name, const char *version, const char *arch,
                   const char *epoch, const dd_os *os)
{
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = type;
    p.layer = -1;
    p.name = (char *)name;
    p.version = (char *)version;
    p.arch = (char *)arch;
    p.epoch = (char *)epoch;
    char *out = NULL;
    assert_int_equal(dd_purl_build(&out, &p, os), 0);
    assert_non_null(out);
    return out;
}

static void check(const pcase *c)
{
    dd_os os;
    memset(&os, 0, sizeof(os));
    os.id = (char *)c->os_id;
    os.version_id = (char *)c->os_version_id;
    char *got = build(c->type, c->name, c->version, c->arch, c->epoch, c->os_id ? &os : NULL);
    if (strcmp(got, c->want) != 0)
        fail_msg("%s %s: got %s, want %s", dd_pkg_type_name(c->type), c->name, got, c->want);
    dd_free(got);
}

/* The issue's example, with the OS taken from a real Debian 12 os-release. */
static void test_issue_bash_debian12(void **state)
{
    (void)state;
    FILE *f = fopen(DEBIAN12_OS_RELEASE, "rb");
    assert_non_null(f);
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    dd_os os;
    memset(&os, 0, sizeof(os));
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_os_release_parse(buf, n, &os, &err), 0);
    assert_string_equal(os.version_id, "12");
    char *got = build(DD_PKG_DPKG, "bash", "5.2.15-2+b13", "amd64", NULL, &os);
    assert_string_equal(got, "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12");
    dd_free(got);
    dd_os_clear(&os);
}

static void test_representative(void **state)
{
    (void)state;
    static const pcase cases[] = {
        /* dpkg: epoch stays in the version (':' is not encoded), '+' is %2B */
        {DD_PKG_DPKG, "bsdutils", "1:2.38.1-5+b1", "amd64", NULL, "debian", "12",
         "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bb1?arch=amd64&distro=debian-12"},
        {DD_PKG_DPKG, "libssl3", "3.0.2-0ubuntu1.15", "arm64", NULL, "ubuntu", "22.04",
         "pkg:deb/ubuntu/libssl3@3.0.2-0ubuntu1.15?arch=arm64&distro=ubuntu-22.04"},
        /* no OS known: the type's default namespace and no distro */
        {DD_PKG_DPKG, "tzdata", "2024a-0+deb12u1", "all", NULL, NULL, NULL,
         "pkg:deb/debian/tzdata@2024a-0%2Bdeb12u1?arch=all"},
        /* debian sid: no VERSION_ID, so no distro qualifier */
        {DD_PKG_DPKG, "gcc-14-base", "14.2.0-8", "amd64", NULL, "debian", NULL,
         "pkg:deb/debian/gcc-14-base@14.2.0-8?arch=amd64"},
        {DD_PKG_APK, "musl", "1.2.4-r2", "x86_64", NULL, "alpine", "3.18.4",
         "pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4"},
        {DD_PKG_APK, "busybox", "1.36.1-r5", "aarch64", NULL, NULL, NULL,
         "pkg:apk/alpine/busybox@1.36.1-r5?arch=aarch64"},
        /* rpm: the epoch leaves the version for the epoch qualifier; rhel's namespace is redhat */
        {DD_PKG_RPM, "openssl-libs", "1:3.0.7-27.el9", "x86_64", "1", "rhel", "9.3",
         "pkg:rpm/redhat/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=rhel-9.3&epoch=1"},
        {DD_PKG_RPM, "bash", "5.1.8-6.el9_1", "x86_64", NULL, "rocky", "9.3",
         "pkg:rpm/rocky/bash@5.1.8-6.el9_1?arch=x86_64&distro=rocky-9.3"},
        /* epoch 0 is the default: no qualifier */
        {DD_PKG_RPM, "glibc", "0:2.28-236.el8", "x86_64", "0", "centos", "8",
         "pkg:rpm/centos/glibc@2.28-236.el8?arch=x86_64&distro=centos-8"},
        {DD_PKG_RPM, "curl", "7.76.1-26.el9", "aarch64", NULL, NULL, NULL,
         "pkg:rpm/redhat/curl@7.76.1-26.el9?arch=aarch64"},
        /* npm: the scope's '@' is %40; scope and name are lowercased (case-insensitive type) */
        {DD_PKG_NPM, "@scope/name", "1.0.0", NULL, NULL, NULL, NULL, "pkg:npm/%40scope/name@1.0.0"},
        {DD_PKG_NPM, "@MyScope/MyPackage", "1.0.0", NULL, NULL, "debian", "12",
         "pkg:npm/%40myscope/mypackage@1.0.0"},
        {DD_PKG_NPM, "lodash", "4.17.21", NULL, NULL, NULL, NULL, "pkg:npm/lodash@4.17.21"},
        /* pypi: lowercased, runs of '-', '_', '.' become one '-' */
        {DD_PKG_PYTHON, "PyYAML", "6.0.1", NULL, NULL, NULL, NULL, "pkg:pypi/pyyaml@6.0.1"},
        {DD_PKG_PYTHON, "typing_extensions", "4.9.0", NULL, NULL, NULL, NULL,
         "pkg:pypi/typing-extensions@4.9.0"},
        {DD_PKG_PYTHON, "zope.interface", "6.1", NULL, NULL, NULL, NULL,
         "pkg:pypi/zope-interface@6.1"},
        {DD_PKG_PYTHON, "Foo__Bar-._Baz", "1.0", NULL, NULL, NULL, NULL,
         "pkg:pypi/foo-bar-baz@1.0"},
        /* golang: the module path's segments, case kept (module paths are case-sensitive) */
        {DD_PKG_GOMOD, "github.com/sirupsen/logrus", "v1.9.3", NULL, NULL, NULL, NULL,
         "pkg:golang/github.com/sirupsen/logrus@v1.9.3"},
        {DD_PKG_GOBINARY, "github.com/Masterminds/semver/v3", "v3.2.1", NULL, NULL, NULL, NULL,
         "pkg:golang/github.com/Masterminds/semver/v3@v3.2.1"},
        {DD_PKG_GOBINARY, "stdlib", "go1.21.6", NULL, NULL, NULL, NULL,
         "pkg:golang/stdlib@go1.21.6"},
        {DD_PKG_GOBINARY, "golang.org/x/net", "v0.0.0-20220722155237-a158d28d115b", NULL, NULL,
         NULL, NULL, "pkg:golang/golang.org/x/net@v0.0.0-20220722155237-a158d28d115b"},
        /* maven group:artifact -> namespace/name; a space in a version is %20 */
        {DD_PKG_JAVA, "org.apache.logging.log4j:log4j-core", "2.17.1", NULL, NULL, NULL, NULL,
         "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"},
        {DD_PKG_JAVA, "mygroup:myartifact", "1.0.0 Final", NULL, NULL, NULL, NULL,
         "pkg:maven/mygroup/myartifact@1.0.0%20Final"},
        {DD_PKG_GEM, "rails", "7.1.2", NULL, NULL, NULL, NULL, "pkg:gem/rails@7.1.2"},
        {DD_PKG_CARGO, "serde", "1.0.193", NULL, NULL, NULL, NULL, "pkg:cargo/serde@1.0.193"},
        {DD_PKG_COMPOSER, "monolog/monolog", "3.5.0", NULL, NULL, NULL, NULL,
         "pkg:composer/monolog/monolog@3.5.0"},
        {DD_PKG_COMPOSER, "Laravel/Framework", "10.0.0", NULL, NULL, NULL, NULL,
         "pkg:composer/laravel/framework@10.0.0"},
        /* nuget names keep their case */
        {DD_PKG_NUGET, "Newtonsoft.Json", "13.0.3", NULL, NULL, NULL, NULL,
         "pkg:nuget/Newtonsoft.Json@13.0.3"},
        /* no version: no '@' */
        {DD_PKG_CARGO, "rand", "", NULL, NULL, NULL, NULL, "pkg:cargo/rand"},
        {DD_PKG_CARGO, "rand", NULL, NULL, NULL, NULL, NULL, "pkg:cargo/rand"},
        /* characters outside the unreserved set are percent-encoded in names and qualifiers */
        {DD_PKG_GEM, "we?ird&name", "1.0#x", NULL, NULL, NULL, NULL,
         "pkg:gem/we%3Fird%26name@1.0%23x"},
        {DD_PKG_DPKG, "x", "1", "a&b=c", NULL, "debian", "12",
         "pkg:deb/debian/x@1?arch=a%26b%3Dc&distro=debian-12"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check(&cases[i]);
}

static void test_bad_type(void **state)
{
    (void)state;
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = DD_PKG_TYPE_COUNT;
    p.name = (char *)"x";
    p.version = (char *)"1";
    char *out = (char *)"sentinel";
    assert_int_equal(dd_purl_build(&out, &p, NULL), DD_EINVALID);
    assert_null(out);
}

static const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Maps purl components onto a dd_pkg and a dd_os and builds. Fails the test on components our
 * model cannot express (the fixture was chosen so that none remain). */
static void check_components(const char *what, const char *type, const char *ns, const char *name,
                             const char *version, json_t *quals, const char *want)
{
    static const struct {
        const char *purl_type;
        dd_pkg_type t;
    } types[] = {{"deb", DD_PKG_DPKG},          {"apk", DD_PKG_APK},     {"rpm", DD_PKG_RPM},
                 {"npm", DD_PKG_NPM},           {"pypi", DD_PKG_PYTHON}, {"golang", DD_PKG_GOMOD},
                 {"maven", DD_PKG_JAVA},        {"gem", DD_PKG_GEM},     {"cargo", DD_PKG_CARGO},
                 {"composer", DD_PKG_COMPOSER}, {"nuget", DD_PKG_NUGET}};
    dd_pkg_type t = DD_PKG_TYPE_COUNT;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(types[i].purl_type, type) == 0)
            t = types[i].t;
    if (t == DD_PKG_TYPE_COUNT)
        fail_msg("%s: type %s is not one we build", what, type);
    int os_pkg = t == DD_PKG_DPKG || t == DD_PKG_APK || t == DD_PKG_RPM;
    const char *arch = NULL, *epoch = NULL, *distro = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(quals, k, v)
    {
        if (strcmp(k, "arch") == 0)
            arch = json_string_value(v);
        else if (strcmp(k, "epoch") == 0)
            epoch = json_string_value(v);
        else if (strcmp(k, "distro") == 0)
            distro = json_string_value(v);
        else
            fail_msg("%s: qualifier %s has no dd_pkg field", what, k);
    }
    dd_os os;
    memset(&os, 0, sizeof(os));
    char *full = NULL, *vid = NULL;
    if (os_pkg) {
        assert_non_null(ns);
        os.id = (char *)ns;
        if (distro != NULL) {
            size_t nl = strlen(ns);
            if (strncmp(distro, ns, nl) != 0 || distro[nl] != '-')
                fail_msg("%s: distro %s is not <namespace>-<VERSION_ID>", what, distro);
            vid = dd_strdup(distro + nl + 1);
            os.version_id = vid;
        }
        full = dd_strdup(name);
    } else {
        assert_null(distro);
        full = ns ? dd_asprintf("%s%s%s", ns, t == DD_PKG_JAVA ? ":" : "/", name) : dd_strdup(name);
    }
    assert_non_null(full);
    char *ver = NULL;
    if (t == DD_PKG_RPM && epoch != NULL && version != NULL)
        ver = dd_asprintf("%s:%s", epoch, version); /* how rpm catalogers store E:V-R */
    char *got = build(t, full, ver ? ver : version, arch, epoch, os_pkg ? &os : NULL);
    if (strcmp(got, want) != 0)
        fail_msg("%s: got %s, want %s", what, got, want);
    dd_free(got);
    dd_free(ver);
    dd_free(full);
    dd_free(vid);
}

static void test_purl_spec_cases(void **state)
{
    (void)state;
    json_error_t jerr;
    json_t *doc = json_load_file(SPEC_CASES, 0, &jerr);
    if (doc == NULL)
        fail_msg("%s: %s", SPEC_CASES, jerr.text);
    json_t *sources = json_object_get(doc, "sources");
    assert_true(json_is_array(sources));
    size_t n = 0, si;
    json_t *src;
    json_array_foreach(sources, si, src)
    {
        const char *path = jstr(src, "path");
        assert_non_null(path);
        json_t *tests = json_object_get(src, "tests"), *entries = json_object_get(src, "entries");
        size_t i;
        json_t *e;
        json_array_foreach(tests, i, e)
        {
            /* purl-test.schema: build tests, input components -> expected canonical purl */
            assert_string_equal(jstr(e, "test_type"), "build");
            assert_false(json_is_true(json_object_get(e, "expected_failure")));
            json_t *in = json_object_get(e, "input");
            assert_null(jstr(in, "subpath"));
            char *what = dd_asprintf("%s: %s", path, jstr(e, "description"));
            check_components(what, jstr(in, "type"), jstr(in, "namespace"), jstr(in, "name"),
                             jstr(in, "version"), json_object_get(in, "qualifiers"),
                             jstr(e, "expected_output"));
            dd_free(what);
            n++;
        }
        json_array_foreach(entries, i, e)
        {
            /* test-suite-data.json: components beside canonical_purl */
            assert_false(json_is_true(json_object_get(e, "is_invalid")));
            char *what = dd_asprintf("%s: %s", path, jstr(e, "description"));
            check_components(what, jstr(e, "type"), jstr(e, "namespace"), jstr(e, "name"),
                             jstr(e, "version"), json_object_get(e, "qualifiers"),
                             jstr(e, "canonical_purl"));
            dd_free(what);
            n++;
        }
    }
    assert_true(n >= 25);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_issue_bash_debian12),
        cmocka_unit_test(test_representative),
        cmocka_unit_test(test_bad_type),
        cmocka_unit_test(test_purl_spec_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
