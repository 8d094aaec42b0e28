/* Tests for the inventory reports: a hand-built inventory (OS fields set, packages of every type,
 * purls from dd_purl_build) is written in each format to a temp file. The drydock JSON is read
 * back with jansson and checked field by field; the CycloneDX 1.5 and SPDX 2.3 documents are
 * validated against their official JSON schemas by tests/lib/validate_json_schema.py (which must
 * also reject broken documents, so the check can fail); the table's groups and counts are
 * checked in its text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "inventory/purl.h"
#include "report/report.h"
#include "common.h"
#include "util/alloc.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

#define SCHEMAS DD_FIXTURES "/schemas"
#define CDX_SCHEMA SCHEMAS "/bom-1.5.SNAPSHOT.schema.json"
#define SPDX_SCHEMA SCHEMAS "/spdx-2.3.schema.json"
#define SERIAL "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
#define SCAN_MS 1700000000123LL /* 2023-11-14T22:13:20.123Z */

typedef struct pspec {
    dd_pkg_type type;
    const char *name, *version, *arch, *epoch, *source_name, *source_version, *owner, *license;
    const char *path, *path2;
    int layer;
    bool declared_only, dev;
    const char *want_purl;
} pspec;

/* In inventory order (type, then name), as dd_inventory_build sorts. */
static const pspec pkgs[] = {
    {DD_PKG_DPKG, "bash", "5.2.15-2+b2", "amd64", NULL, NULL, NULL, NULL, "GPL-3.0-or-later",
     "var/lib/dpkg/status", NULL, 0, false, false,
     "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12"},
    {DD_PKG_DPKG, "bsdutils", "1:2.38.1-5+b1", "amd64", NULL, "util-linux", "2.38.1-5", NULL, NULL,
     "var/lib/dpkg/status", NULL, 0, false, false,
     "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bb1?arch=amd64&distro=debian-12"},
    {DD_PKG_DPKG, "libc6", "2.36-9+deb12u4", "amd64", NULL, "glibc", NULL, NULL, NULL,
     "var/lib/dpkg/status", NULL, 0, false, false,
     "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"},
    {DD_PKG_RPM, "openssl-libs", "1:3.0.7-27.el9", "x86_64", "1", "openssl", "3.0.7-27.el9", NULL,
     "OpenSSL", "var/lib/rpm/rpmdb.sqlite", NULL, 1, false, false,
     "pkg:rpm/debian/openssl-libs@3.0.7-27.el9?arch=x86_64&distro=debian-12&epoch=1"},
    {DD_PKG_NPM, "@babel/core", "7.23.9", NULL, NULL, NULL, NULL, NULL, "MIT",
     "app/node_modules/@babel/core/package.json", "app/package-lock.json", 2, false, true,
     "pkg:npm/%40babel/core@7.23.9"},
    {DD_PKG_NPM, "lodash", "4.17.21", NULL, NULL, NULL, NULL, NULL, NULL, "app/package-lock.json",
     NULL, 2, true, false, "pkg:npm/lodash@4.17.21"},
    {DD_PKG_PYTHON, "PyYAML", "6.0.1", NULL, NULL, NULL, NULL, "python3-yaml", "MIT",
     "usr/lib/python3/dist-packages/PyYAML-6.0.1.dist-info/METADATA", NULL, 0, false, false,
     "pkg:pypi/pyyaml@6.0.1"},
    {DD_PKG_PYTHON, "typing_extensions", "4.9.0", NULL, NULL, NULL, NULL, NULL, "PSF-2.0",
     "usr/local/lib/python3.11/site-packages/typing_extensions-4.9.0.dist-info/METADATA", NULL, 2,
     false, false, "pkg:pypi/typing-extensions@4.9.0"},
    {DD_PKG_GOBINARY, "stdlib", "go1.21.6", NULL, NULL, NULL, NULL, NULL, NULL, "usr/bin/app", NULL,
     2, false, false, "pkg:golang/stdlib@go1.21.6"},
    {DD_PKG_GOMOD, "github.com/sirupsen/logrus", "v1.9.3", NULL, NULL, NULL, NULL, NULL, NULL,
     "src/go.mod", NULL, 2, true, false, "pkg:golang/github.com/sirupsen/logrus@v1.9.3"},
    {DD_PKG_JAVA, "org.apache.logging.log4j:log4j-core", "2.17.1", NULL, NULL, NULL, NULL, NULL,
     "Apache-2.0", "opt/app/lib/log4j-core-2.17.1.jar", NULL, 2, false, false,
     "pkg:maven/org.apache.logging.log4j/log4j-core@2.17.1"},
    {DD_PKG_GEM, "rails", "7.1.2", NULL, NULL, NULL, NULL, NULL, "MIT",
     "usr/local/bundle/specifications/rails-7.1.2.gemspec", NULL, 2, false, false,
     "pkg:gem/rails@7.1.2"},
    {DD_PKG_CARGO, "serde", "1.0.193", NULL, NULL, NULL, NULL, NULL, NULL, "usr/bin/app", NULL, 2,
     false, false, "pkg:cargo/serde@1.0.193"},
    {DD_PKG_COMPOSER, "monolog/monolog", "3.5.0", NULL, NULL, NULL, NULL, NULL, "MIT",
     "var/www/vendor/composer/installed.json", NULL, 2, false, false,
     "pkg:composer/monolog/monolog@3.5.0"},
    {DD_PKG_NUGET, "Newtonsoft.Json", "13.0.3", NULL, NULL, NULL, NULL, NULL, "MIT",
     "app/app.deps.json", NULL, 2, false, false, "pkg:nuget/Newtonsoft.Json@13.0.3"},
};
#define N_PKGS (sizeof(pkgs) / sizeof(pkgs[0]))

static const dd_report_layer layers[] = {
    {"sha256:7cc7b1b0a6b6d3b1ec0f2c2a0a7c7e4b5b7c3d2e1f0a9b8c7d6e5f4a3b2c1d0e",
     "application/vnd.oci.image.layer.v1.tar+gzip"},
    {"sha256:1f0e2d3c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccddeeff0",
     "application/vnd.oci.image.layer.v1.tar+gzip"},
    {"sha256:aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233",
     "application/vnd.oci.image.layer.v1.tar+zstd"},
};

static char *dup_or_null(const char *s)
{
    return s ? dd_strdup(s) : NULL;
}

static void build_inventory(dd_inventory *inv, int with_os)
{
    memset(inv, 0, sizeof(*inv));
    if (with_os) {
        inv->has_os = 1;
        inv->os.id = dd_strdup("debian");
        inv->os.version_id = dd_strdup("12");
        inv->os.version = dd_strdup("12.4");
        inv->os.codename = dd_strdup("bookworm");
        inv->os.pretty_name = dd_strdup("Debian GNU/Linux 12 (bookworm)");
        inv->os.source = dd_strdup("/etc/os-release");
    }
    for (size_t i = 0; i < N_PKGS; i++) {
        const pspec *s = &pkgs[i];
        dd_pkg *p = NULL;
        assert_int_equal(dd_pkg_list_add(&inv->pkgs, s->type, s->name, s->version, s->path, &p), 0);
        p->arch = dup_or_null(s->arch);
        p->epoch = dup_or_null(s->epoch);
        p->source_name = dup_or_null(s->source_name);
        p->source_version = dup_or_null(s->source_version);
        p->owner = dup_or_null(s->owner);
        p->license = dup_or_null(s->license);
        if (s->path2 != NULL)
            assert_int_equal(dd_strlist_push_str(&p->paths, s->path2), 0);
        p->layer = s->layer;
        p->declared_only = s->declared_only;
        p->dev = s->dev;
    }
    inv->purls = dd_calloc(N_PKGS, sizeof(char *));
    assert_non_null(inv->purls);
    for (size_t i = 0; i < N_PKGS; i++)
        assert_int_equal(
            dd_purl_build(&inv->purls[i], &inv->pkgs.items[i], inv->has_os ? &inv->os : NULL), 0);
    assert_int_equal(dd_strlist_push_str(&inv->warnings, "app/broken/package.json: not JSON"), 0);
}

static void make_report(dd_scan_report *r, const dd_inventory *inv, int image)
{
    memset(r, 0, sizeof(*r));
    r->inv = inv;
    r->time_ms = SCAN_MS;
    r->serial = SERIAL;
    if (image) {
        r->target = "oci:images:node-app";
        r->name = "node-app";
        r->manifest_digest =
            "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        r->config_digest =
            "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
        r->platform = "linux/amd64";
        r->layers = layers;
        r->n_layers = sizeof(layers) / sizeof(layers[0]);
    } else {
        r->target = "dir:/srv/rootfs";
    }
}

typedef struct tmp {
    char dir[64];
} tmp;

static int setup(void **state)
{
    tmp *t = calloc(1, sizeof(*t));
    snprintf(t->dir, sizeof(t->dir), "/tmp/dd-report-XXXXXX");
    if (mkdtemp(t->dir) == NULL)
        return -1;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    tmp *t = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
    if (system(cmd) != 0)
        return -1;
    free(t);
    return 0;
}

/* Exit status of the validator on doc (0 valid, 1 invalid, 2 error). */
static void test_json(void **state)
{
    tmp *t = *state;
    dd_inventory inv;
    build_inventory(&inv, 1);
    dd_scan_report r;
    make_report(&r, &inv, 1);
    char *path = write_doc(t->dir, "scan.json", dd_report_json, &r);
    json_t *doc = load(path);

    assert_string_equal(jstr(doc, "schema"), "drydock.inventory/v1");
    json_t *tool = json_object_get(doc, "tool");
    assert_string_equal(jstr(tool, "name"), "drydock");
    assert_string_equal(jstr(tool, "version"), DD_VERSION);
    assert_string_equal(jstr(doc, "scanned_at"), "2023-11-14T22:13:20.123Z");
    assert_string_equal(jstr(doc, "target"), "oci:images:node-app");

    json_t *img = json_object_get(doc, "image");
    assert_string_equal(jstr(img, "name"), "node-app");
    assert_string_equal(jstr(img, "manifest_digest"), r.manifest_digest);
    assert_string_equal(jstr(img, "config_digest"), r.config_digest);
    assert_string_equal(jstr(img, "platform"), "linux/amd64");
    json_t *jl = json_object_get(img, "layers");
    assert_int_equal(json_array_size(jl), 3);
    for (size_t i = 0; i < 3; i++) {
        json_t *l = json_array_get(jl, i);
        assert_int_equal(json_integer_value(json_object_get(l, "index")), (json_int_t)i);
        assert_string_equal(jstr(l, "digest"), layers[i].digest);
        assert_string_equal(jstr(l, "media_type"), layers[i].media_type);
    }

    json_t *os = json_object_get(doc, "os");
    assert_string_equal(jstr(os, "id"), "debian");
    assert_string_equal(jstr(os, "version_id"), "12");
    assert_string_equal(jstr(os, "version"), "12.4");
    assert_string_equal(jstr(os, "codename"), "bookworm");
    assert_string_equal(jstr(os, "pretty_name"), "Debian GNU/Linux 12 (bookworm)");
    assert_string_equal(jstr(os, "source"), "/etc/os-release");
    assert_string_equal(jstr(os, "ecosystem"), "Debian:12");

    json_t *jp = json_object_get(doc, "packages");
    assert_int_equal(json_array_size(jp), N_PKGS);
    for (size_t i = 0; i < N_PKGS; i++) {
        json_t *o = json_array_get(jp, i);
        const pspec *s = &pkgs[i];
        assert_string_equal(jstr(o, "type"), dd_pkg_type_name(s->type));
        assert_string_equal(jstr(o, "name"), s->name);
        assert_string_equal(jstr(o, "version"), s->version);
        assert_string_equal(jstr(o, "purl"), s->want_purl);
        const char *lang = dd_pkg_lang_ecosystem(s->type);
        assert_string_equal(jstr(o, "ecosystem"), lang ? lang : "Debian:12");
#define OPT(key, want)                                                                             \
    do {                                                                                           \
        if ((want) == NULL)                                                                        \
            assert_null(json_object_get(o, key));                                                  \
        else                                                                                       \
            assert_string_equal(jstr(o, key), (want));                                             \
    } while (0)
        OPT("arch", s->arch);
        OPT("epoch", s->epoch);
        OPT("source_name", s->source_name);
        OPT("source_version", s->source_version);
        OPT("owner", s->owner);
        OPT("license", s->license);
#undef OPT
        assert_true(json_is_boolean(json_object_get(o, "declared_only")));
        assert_int_equal(json_is_true(json_object_get(o, "declared_only")), s->declared_only);
        assert_int_equal(json_is_true(json_object_get(o, "dev")), s->dev);
        json_t *paths = json_object_get(o, "paths");
        assert_int_equal(json_array_size(paths), s->path2 ? 2 : 1);
        assert_string_equal(json_string_value(json_array_get(paths, 0)), s->path);
        if (s->path2)
            assert_string_equal(json_string_value(json_array_get(paths, 1)), s->path2);
        assert_int_equal(json_integer_value(json_object_get(o, "layer")), s->layer);
        assert_string_equal(jstr(o, "layer_digest"), layers[s->layer].digest);
    }

    json_t *counts = json_object_get(doc, "counts");
    assert_int_equal(json_object_size(counts), 11); /* every type but apk, which is absent */
    assert_int_equal(json_integer_value(json_object_get(counts, "dpkg")), 3);
    assert_int_equal(json_integer_value(json_object_get(counts, "npm")), 2);
    assert_int_equal(json_integer_value(json_object_get(counts, "python")), 2);
    assert_int_equal(json_integer_value(json_object_get(counts, "rpm")), 1);
    json_int_t total = 0;
    const char *k;
    json_t *v;
    json_object_foreach(counts, k, v)
    {
        total += json_integer_value(v);
    }
    assert_int_equal(total, N_PKGS);
    json_t *w = json_object_get(doc, "warnings");
    assert_int_equal(json_array_size(w), 1);
    assert_string_equal(json_string_value(json_array_get(w, 0)),
                        "app/broken/package.json: not JSON");

    json_decref(doc);
    dd_free(path);
    dd_inventory_free(&inv);
}

/* A dir: target with no recognised OS: os is null, OS packages get no ecosystem, no layers. */
static void test_json_no_os(void **state)
{
    tmp *t = *state;
    dd_inventory inv;
    build_inventory(&inv, 0);
    for (size_t i = 0; i < inv.pkgs.n; i++)
        inv.pkgs.items[i].layer = -1;
    dd_scan_report r;
    make_report(&r, &inv, 0);
    char *path = write_doc(t->dir, "scan-dir.json", dd_report_json, &r);
    json_t *doc = load(path);
    assert_true(json_is_null(json_object_get(doc, "os")));
    assert_string_equal(jstr(doc, "target"), "dir:/srv/rootfs");
    json_t *img = json_object_get(doc, "image");
    assert_null(json_object_get(img, "manifest_digest"));
    assert_int_equal(json_array_size(json_object_get(img, "layers")), 0);
    json_t *p0 = json_array_get(json_object_get(doc, "packages"), 0);
    assert_string_equal(jstr(p0, "name"), "bash");
    assert_null(json_object_get(p0, "ecosystem"));
    assert_null(json_object_get(p0, "layer"));
    assert_null(json_object_get(p0, "layer_digest"));
    assert_string_equal(jstr(p0, "purl"), "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64");
    json_decref(doc);
    dd_free(path);
    dd_inventory_free(&inv);
}

static json_t *find_prop(json_t *props, const char *name, size_t nth)
{
    size_t i;
    json_t *p;
    json_array_foreach(props, i, p)
    {
        if (strcmp(jstr(p, "name"), name) == 0 && nth-- == 0)
            return p;
    }
    return NULL;
}

static void check_cyclonedx(tmp *t, int image)
{
    dd_inventory inv;
    build_inventory(&inv, image);
    dd_scan_report r;
    make_report(&r, &inv, image);
    char *path =
        write_doc(t->dir, image ? "bom.cdx.json" : "bom-dir.cdx.json", dd_report_cyclonedx, &r);
    assert_int_equal(validate(CDX_SCHEMA, path), 0);

    json_t *doc = load(path);
    assert_string_equal(jstr(doc, "bomFormat"), "CycloneDX");
    assert_string_equal(jstr(doc, "specVersion"), "1.5");
    assert_string_equal(jstr(doc, "serialNumber"), "urn:uuid:" SERIAL);
    json_t *meta = json_object_get(doc, "metadata");
    assert_string_equal(jstr(meta, "timestamp"), "2023-11-14T22:13:20.123Z");
    json_t *main = json_object_get(meta, "component");
    assert_string_equal(jstr(main, "type"), "container");
    assert_string_equal(jstr(main, "name"), image ? "node-app" : "dir:/srv/rootfs");
    json_t *comps = json_object_get(doc, "components");
    size_t off = image ? 1 : 0;
    assert_int_equal(json_array_size(comps), N_PKGS + off);
    if (image) {
        json_t *os = json_array_get(comps, 0);
        assert_string_equal(jstr(os, "type"), "operating-system");
        assert_string_equal(jstr(os, "name"), "debian");
        assert_string_equal(jstr(os, "version"), "12.4");
        json_t *rp = json_object_get(main, "properties");
        assert_string_equal(jstr(find_prop(rp, "drydock:image:platform", 0), "value"),
                            "linux/amd64");
        assert_string_equal(jstr(find_prop(rp, "drydock:image:layer", 2), "value"),
                            layers[2].digest);
    }
    for (size_t i = 0; i < N_PKGS; i++) {
        json_t *c = json_array_get(comps, i + off);
        const pspec *s = &pkgs[i];
        assert_string_equal(jstr(c, "type"), "library");
        assert_string_equal(jstr(c, "name"), s->name);
        assert_string_equal(jstr(c, "version"), s->version);
        assert_string_equal(jstr(c, "purl"), inv.purls[i]);
        json_t *props = json_object_get(c, "properties");
        assert_string_equal(jstr(find_prop(props, "drydock:package:type", 0), "value"),
                            dd_pkg_type_name(s->type));
        assert_string_equal(jstr(find_prop(props, "drydock:package:path", 0), "value"), s->path);
        assert_int_equal(find_prop(props, "drydock:package:declared_only", 0) != NULL,
                         s->declared_only);
        assert_int_equal(find_prop(props, "drydock:package:dev", 0) != NULL, s->dev);
        if (image)
            assert_string_equal(jstr(find_prop(props, "drydock:package:layer_digest", 0), "value"),
                                layers[s->layer].digest);
        if (s->license)
            assert_string_equal(
                jstr(json_object_get(json_array_get(json_object_get(c, "licenses"), 0), "license"),
                     "name"),
                s->license);
    }
    json_decref(doc);
    dd_free(path);
    dd_inventory_free(&inv);
}

static void test_cyclonedx(void **state)
{
    check_cyclonedx(*state, 1);
    check_cyclonedx(*state, 0);
}

static void check_spdx(tmp *t, int image)
{
    dd_inventory inv;
    build_inventory(&inv, image);
    dd_scan_report r;
    make_report(&r, &inv, image);
    char *path =
        write_doc(t->dir, image ? "sbom.spdx.json" : "sbom-dir.spdx.json", dd_report_spdx, &r);
    assert_int_equal(validate(SPDX_SCHEMA, path), 0);

    json_t *doc = load(path);
    assert_string_equal(jstr(doc, "spdxVersion"), "SPDX-2.3");
    assert_string_equal(jstr(doc, "dataLicense"), "CC0-1.0");
    assert_string_equal(jstr(doc, "SPDXID"), "SPDXRef-DOCUMENT");
    assert_string_equal(jstr(json_object_get(doc, "creationInfo"), "created"),
                        "2023-11-14T22:13:20Z");
    json_t *jp = json_object_get(doc, "packages");
    size_t off = image ? 2 : 1; /* the image, then the OS when known */
    assert_int_equal(json_array_size(jp), N_PKGS + off);
    assert_string_equal(jstr(json_array_get(jp, 0), "SPDXID"), "SPDXRef-Image");
    if (image)
        assert_string_equal(jstr(json_array_get(jp, 1), "primaryPackagePurpose"),
                            "OPERATING_SYSTEM");
    for (size_t i = 0; i < N_PKGS; i++) {
        json_t *o = json_array_get(jp, i + off);
        assert_string_equal(jstr(o, "name"), pkgs[i].name);
        assert_string_equal(jstr(o, "versionInfo"), pkgs[i].version);
        json_t *ref = json_array_get(json_object_get(o, "externalRefs"), 0);
        assert_string_equal(jstr(ref, "referenceType"), "purl");
        assert_string_equal(jstr(ref, "referenceLocator"), inv.purls[i]);
    }
    /* DESCRIBES the image, which CONTAINS every package (and the OS) */
    assert_int_equal(json_array_size(json_object_get(doc, "relationships")), N_PKGS + off);
    json_decref(doc);
    dd_free(path);
    dd_inventory_free(&inv);
}

static void test_spdx(void **state)
{
    check_spdx(*state, 1);
    check_spdx(*state, 0);
}

/* The validator must reject what the schemas forbid, or the checks above prove nothing. */
static void test_validator_rejects(void **state)
{
    tmp *t = *state;
    dd_inventory inv;
    build_inventory(&inv, 1);
    dd_scan_report r;
    make_report(&r, &inv, 1);
    char *cdx = write_doc(t->dir, "neg.cdx.json", dd_report_cyclonedx, &r);
    char *spdx = write_doc(t->dir, "neg.spdx.json", dd_report_spdx, &r);
    char *bad = dd_asprintf("%s/broken.json", t->dir);

    json_t *doc = load(cdx);
    json_object_del(doc, "specVersion");
    assert_int_equal(json_dump_file(doc, bad, 0), 0);
    assert_int_equal(validate(CDX_SCHEMA, bad), 1);
    json_decref(doc);

    doc = load(cdx); /* a licence id outside the SPDX list: checks the $ref to spdx.schema.json */
    json_t *c = json_array_get(json_object_get(doc, "components"), 1);
    json_object_set_new(c, "licenses", json_pack("[{s:{s:s}}]", "license", "id", "NOT-A-LICENSE"));
    assert_int_equal(json_dump_file(doc, bad, 0), 0);
    assert_int_equal(validate(CDX_SCHEMA, bad), 1);
    json_decref(doc);

    doc = load(spdx); /* the spelling report.c once used */
    json_object_set_new(json_array_get(json_object_get(doc, "packages"), 1),
                        "primaryPackagePurpose", json_string("OPERATING-SYSTEM"));
    assert_int_equal(json_dump_file(doc, bad, 0), 0);
    assert_int_equal(validate(SPDX_SCHEMA, bad), 1);
    json_decref(doc);

    doc = load(spdx);
    json_object_del(json_array_get(json_object_get(doc, "packages"), 3), "downloadLocation");
    assert_int_equal(json_dump_file(doc, bad, 0), 0);
    assert_int_equal(validate(SPDX_SCHEMA, bad), 1);
    json_decref(doc);

    dd_free(bad);
    dd_free(cdx);
    dd_free(spdx);
    dd_inventory_free(&inv);
}

static char *table_text(const dd_scan_report *r, int color)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_report_table(f, r, color, &err), 0);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void test_table(void **state)
{
    (void)state;
    dd_inventory inv;
    build_inventory(&inv, 1);
    dd_scan_report r;
    make_report(&r, &inv, 1);
    char *s = table_text(&r, 0);
    assert_null(strchr(s, '\033'));
    assert_non_null(strstr(s, "node-app (sha256:0123456789abcdef"));
    assert_non_null(strstr(s, "platform: linux/amd64\n"));
    assert_non_null(strstr(s, "os:       Debian GNU/Linux 12 (bookworm)\n"));
    char want[32];
    snprintf(want, sizeof(want), "packages: %zu\n", N_PKGS);
    assert_non_null(strstr(s, want));
    static const char *const groups[] = {"dpkg (3)",     "rpm (1)",      "npm (2)",  "python (2)",
                                         "gobinary (1)", "gomod (1)",    "java (1)", "gem (1)",
                                         "cargo (1)",    "composer (1)", "nuget (1)"};
    const char *prev = s;
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        char h[48];
        snprintf(h, sizeof(h), "\n%s\n", groups[i]);
        const char *at = strstr(s, h);
        if (at == NULL || at < prev)
            fail_msg("heading %s missing or out of order in:\n%s", groups[i], s);
        prev = at;
        /* each group has a column header right below its heading */
        assert_true(strncmp(at + strlen(h), "  NAME", 6) == 0);
    }
    assert_null(strstr(s, "apk ("));
    assert_non_null(strstr(s, "lodash"));
    assert_non_null(strstr(s, "app/package-lock.json (declared, not installed)"));
    assert_non_null(strstr(s, "METADATA (installed by the OS)"));
    assert_non_null(strstr(s, "warning: app/broken/package.json: not JSON\n"));
    free(s);

    s = table_text(&r, 1);
    assert_non_null(strstr(s, "\033[1mdpkg (3)\033[0m"));
    free(s);

    dd_inventory_free(&inv);
    build_inventory(&inv, 0);
    make_report(&r, &inv, 0);
    s = table_text(&r, 0);
    assert_true(strncmp(s, "dir:/srv/rootfs\n", 16) == 0);
    assert_non_null(strstr(s, "os:       not recognised"));
    free(s);
    dd_inventory_free(&inv);
}

static void test_uuid(void **state)
{
    (void)state;
    char a[37], b[37];
    assert_int_equal(dd_report_uuid(a), 0);
    assert_int_equal(dd_report_uuid(b), 0);
    assert_int_equal(strlen(a), 36);
    assert_string_not_equal(a, b);
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(a[i], '-');
        else
            assert_non_null(strchr("0123456789abcdef", a[i]));
    }
    assert_int_equal(a[14], '4');           /* version 4 */
    assert_non_null(strchr("89ab", a[19])); /* RFC 4122 variant */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator_available),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_no_os, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cyclonedx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spdx, setup, teardown),
        cmocka_unit_test_setup_teardown(test_validator_rejects, setup, teardown),
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_uuid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
