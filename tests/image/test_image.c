/* Unit tests for src/image: manifest and index parsing against the real Drydock test images
 * (tests/fixtures/manifests/, see PROVENANCE.md) and hand-written edge cases, and the repository
 * name and tag scanners. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "image/manifest.h"
#include "image/reference.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/limits.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"

#define D_BASE "sha256:4c520573a92a2ad64ae4150ae7e81edf9b496d358ce7a3d13d8d9e43b75e4157"
#define D_ZSTD "sha256:ac75e3d0e5e5f9fbc9eb198659c911750a9c022c904842f50c827e07a4b4138a"
#define D_EDGE_GZIP_LAYER "sha256:77f6a7cf9a68dd2df80a0b529559021bb468182436028eb15ca3a7381f0aec9c"
#define D_EDGE_CONFIG "sha256:59173caa383678108cfccbd79e7f027a4bc1c8dbb8340e583a229e24d685fdc7"
#define D_AMD64 "sha256:bbc391d8dc6b20bf9aba8807977955841e91f24ca3d58d71c866861986881809"
#define D_ARM64 "sha256:9b9d7aea27ce94aaba22f18f8ab25fce32da1f06ea212b3509d56cb90030c572"
#define D_NODE_APP "sha256:8231d207296274dbf20eba2c5fc66b7a8aeb96067b7694a611f2e0301eb8df42"
#define D_V2S2 "sha256:c3c51e4a71795847a35f02bc0a1a8127ff0a340b1099756b637110b28340411d"
#define D_EMPTY "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
#define D_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* A fixture read into a buffer of exactly its size (no NUL after it, so ASan sees overreads). */
typedef struct fixture {
    uint8_t *buf;
    size_t len;
} fixture;

static fixture load(const char *name, const char *digest)
{
    char path[512];
    fixture f = {NULL, 0};
    snprintf(path, sizeof(path), "%s/manifests/%s", DD_FIXTURES, name);
    FILE *fp = fopen(path, "rb");
    if (fp == NULL)
        fail_msg("cannot open %s", path);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    long n = ftell(fp);
    assert_true(n > 0);
    assert_int_equal(fseek(fp, 0, SEEK_SET), 0);
    f.len = (size_t)n;
    f.buf = dd_malloc(f.len);
    assert_non_null(f.buf);
    assert_int_equal(fread(f.buf, 1, f.len, fp), f.len);
    fclose(fp);
    if (digest != NULL) {
        char got[DD_DIGEST_STR_MAX];
        assert_int_equal(dd_digest_buf(got, f.buf, f.len), 0);
        assert_string_equal(got, digest);
    }
    return f;
}

static dd_manifest *parse_ok(const void *buf, size_t len, const char *content_type)
{
    dd_manifest *m = NULL;
    dd_err err = DD_ERR_INIT;
    int rc = dd_manifest_parse(&m, buf, len, content_type, &err);
    if (rc != 0)
        fail_msg("parse failed: %s at %zu: %s", dd_strerror(rc), err.offset, err.msg);
    assert_non_null(m);
    return m;
}

static dd_manifest *parse_fixture(const char *name, const char *digest, const char *content_type)
{
    fixture f = load(name, digest);
    dd_manifest *m = parse_ok(f.buf, f.len, content_type);
    dd_free(f.buf);
    return m;
}

/* Parses a string (copied to an exact-size buffer) and expects code; returns the error. */
static dd_err parse_fail(const char *json, const char *content_type, int code)
{
    size_t len = strlen(json);
    uint8_t *buf = dd_malloc(len);
    dd_manifest *m = (dd_manifest *)1;
    dd_err err = DD_ERR_INIT;
    assert_non_null(buf);
    memcpy(buf, json, len);
    int rc = dd_manifest_parse(&m, buf, len, content_type, &err);
    dd_free(buf);
    if (rc != code)
        fail_msg("expected %s, got %s (%s) for %.200s", dd_strerror(code), dd_strerror(rc), err.msg,
                 json);
    assert_null(m);
    assert_int_equal(err.code, code);
    assert_true(err.msg[0] != '\0');
    assert_true(err.offset <= len);
    return err;
}

static dd_manifest *parse_str(const char *json, const char *content_type)
{
    size_t len = strlen(json);
    uint8_t *buf = dd_malloc(len);
    assert_non_null(buf);
    memcpy(buf, json, len);
    dd_manifest *m = parse_ok(buf, len, content_type);
    dd_free(buf);
    return m;
}

static void check_desc(const dd_descriptor *d, const char *media_type, const char *digest,
                       uint64_t size)
{
    assert_string_equal(d->media_type, media_type);
    assert_string_equal(d->digest, digest);
    assert_true(d->size == size);
}

/* Offset of the first occurrence of needle in json (which must contain it). */
static size_t offset_of(const char *json, const char *needle)
{
    const char *p = strstr(json, needle);
    assert_non_null(p);
    return (size_t)(p - json);
}

/* A minimal valid OCI manifest body, with `extra` members inserted after schemaVersion. */
#define OCI_CONFIG                                                                                 \
    "\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D_EDGE_CONFIG "\",\"size\":"   \
    "940}"
#define OCI_LAYER "{\"mediaType\":\"" MT_OCI_GZIP "\",\"digest\":\"" D_BASE "\",\"size\":28058031}"
#define OCI_MANIFEST(extra) "{\"schemaVersion\":2," extra OCI_CONFIG ",\"layers\":[" OCI_LAYER "]}"

/* ---- real manifests ---- */

static void test_debian_minbase(void **state)
{
    (void)state;
    dd_manifest *m =
        parse_fixture("debian-bookworm-minbase.oci-manifest.json",
                      "sha256:92c9664c5941accd37d7343548d94ffe4d2fd99e07607426a60680d697131eac",
                      DD_MT_OCI_MANIFEST);
    assert_int_equal(m->kind, DD_MANIFEST_IMAGE);
    assert_string_equal(m->media_type, DD_MT_OCI_MANIFEST);
    check_desc(&m->config, MT_OCI_CONFIG,
               "sha256:13e72a9c889381b3ab853f24fb5889cc756f79cd7338f8f1f0745cdf4acbcdc1", 719);
    assert_int_equal(m->n_layers, 1);
    check_desc(&m->layers[0], MT_OCI_GZIP, D_BASE, 28058031);
    assert_string_equal(m->artifact_type, MT_OCI_CONFIG);
    assert_null(m->annotations_json);
    assert_null(m->subject);
    assert_null(m->manifests);
    assert_int_equal(m->n_manifests, 0);
    assert_null(m->layers[0].platform_os);
    assert_null(m->layers[0].annotations_json);
    dd_manifest_free(m);
}

static void test_node_app(void **state)
{
    (void)state;
    /* No Content-Type: the body's mediaType decides. */
    dd_manifest *m = parse_fixture("node-app.oci-manifest.json", D_NODE_APP, NULL);
    assert_int_equal(m->kind, DD_MANIFEST_IMAGE);
    assert_string_equal(m->media_type, DD_MT_OCI_MANIFEST);
    check_desc(&m->config, MT_OCI_CONFIG,
               "sha256:8f88d02e67db275ccba1a5c52f86c1d0b50cd10627859d9e41e88a40c911bec5", 1550);
    assert_int_equal(m->n_layers, 3);
    check_desc(&m->layers[0], MT_OCI_GZIP, D_BASE, 28058031);
    check_desc(&m->layers[1], MT_OCI_GZIP,
               "sha256:8435663ad0940270c283936dad9cea62eb8e1ecc2d224bdf4188f0ae63f018b9", 2517383);
    check_desc(&m->layers[2], MT_OCI_GZIP,
               "sha256:289d98bfe3999d409210e4e571cfd2c69aa0a8d14a9b7a7c9bb4ee2d21cb57eb", 11000);
    dd_manifest_free(m);
}

static void test_edge_zstd(void **state)
{
    (void)state;
    const char *names[] = {"edge-amd64.oci-manifest.json", "edge-arm64.oci-manifest.json"};
    const char *digests[] = {D_AMD64, D_ARM64};
    const char *configs[] = {
        D_EDGE_CONFIG, "sha256:5d2e2ad7821b3d81d980104be6ebbabd8f439904b8fb385305bb9905d4dd33a0"};
    const uint64_t config_sizes[] = {940, 1009};
    for (int i = 0; i < 2; i++) {
        dd_manifest *m = parse_fixture(names[i], digests[i], DD_MT_OCI_MANIFEST "; charset=utf-8");
        assert_int_equal(m->kind, DD_MANIFEST_IMAGE);
        assert_string_equal(m->media_type, DD_MT_OCI_MANIFEST);
        check_desc(&m->config, MT_OCI_CONFIG, configs[i], config_sizes[i]);
        assert_int_equal(m->n_layers, 2);
        check_desc(&m->layers[0], MT_OCI_GZIP, D_BASE, 28058031);
        check_desc(&m->layers[1], MT_OCI_ZSTD, D_ZSTD, 34842);
        dd_manifest_free(m);
    }
}

static void test_edge_gzip(void **state)
{
    (void)state;
    dd_manifest *m = parse_fixture(
        "edge-gzip.oci-manifest.json",
        "sha256:eddb02a5c28283fa8cfafa179bf326a401765432f041b7b0dfe64bbd954a139d", "");
    assert_string_equal(m->media_type, DD_MT_OCI_MANIFEST);
    check_desc(&m->config, MT_OCI_CONFIG, D_EDGE_CONFIG, 940);
    assert_int_equal(m->n_layers, 2);
    check_desc(&m->layers[1], MT_OCI_GZIP, D_EDGE_GZIP_LAYER, 39657);
    dd_manifest_free(m);
}

static void test_edge_index(void **state)
{
    (void)state;
    dd_manifest *m = parse_fixture(
        "edge.oci-index.json",
        "sha256:f6c8959942d343fa67f9ad124fc40a5ac781a570518699e2b6931ebbb231fb92", DD_MT_OCI_INDEX);
    assert_int_equal(m->kind, DD_MANIFEST_INDEX);
    assert_string_equal(m->media_type, DD_MT_OCI_INDEX);
    assert_null(m->artifact_type);
    assert_string_equal(m->annotations_json, "{\"org.opencontainers.image.title\":\"edge\"}");
    assert_null(m->config.media_type);
    assert_null(m->config.digest);
    assert_int_equal(m->n_layers, 0);
    assert_int_equal(m->n_manifests, 2);
    check_desc(&m->manifests[0], DD_MT_OCI_MANIFEST, D_AMD64, 562);
    assert_string_equal(m->manifests[0].platform_os, "linux");
    assert_string_equal(m->manifests[0].platform_arch, "amd64");
    assert_null(m->manifests[0].platform_variant);
    check_desc(&m->manifests[1], DD_MT_OCI_MANIFEST, D_ARM64, 563);
    assert_string_equal(m->manifests[1].platform_os, "linux");
    assert_string_equal(m->manifests[1].platform_arch, "arm64");
    assert_string_equal(m->manifests[1].platform_variant, "v8");
    dd_manifest_free(m);
}

/* The layout's own index.json: pretty-printed, annotations on entries, a Docker entry. */
static void test_layout_index(void **state)
{
    (void)state;
    dd_manifest *m = parse_fixture(
        "oci-layout.oci-index.json",
        "sha256:fdbf33baa60e4f9883666c09cbf4b9ac9d24f73a59043bf412bdbd0e0174f0e7", NULL);
    assert_int_equal(m->kind, DD_MANIFEST_INDEX);
    assert_int_equal(m->n_manifests, 7);
    check_desc(&m->manifests[1], DD_MT_OCI_INDEX,
               "sha256:f6c8959942d343fa67f9ad124fc40a5ac781a570518699e2b6931ebbb231fb92", 562);
    assert_string_equal(m->manifests[1].annotations_json,
                        "{\"org.opencontainers.image.ref.name\":\"edge\"}");
    check_desc(&m->manifests[5], DD_MT_DOCKER_MANIFEST, D_V2S2, 590);
    assert_string_equal(m->manifests[5].annotations_json,
                        "{\"org.opencontainers.image.ref.name\":\"edge-v2s2\"}");
    assert_null(m->manifests[5].platform_os);
    assert_null(m->annotations_json);
    dd_manifest_free(m);
}

static void test_docker_v2s2(void **state)
{
    (void)state;
    const char *cts[] = {DD_MT_DOCKER_MANIFEST, NULL, "application/octet-stream",
                         "Application/VND.Docker.Distribution.Manifest.V2+JSON ; charset=utf-8"};
    for (size_t i = 0; i < sizeof(cts) / sizeof(cts[0]); i++) {
        dd_manifest *m = parse_fixture("edge-v2s2.docker-manifest.json", D_V2S2, cts[i]);
        assert_int_equal(m->kind, DD_MANIFEST_IMAGE);
        assert_string_equal(m->media_type, DD_MT_DOCKER_MANIFEST);
        check_desc(&m->config, MT_DOCKER_CONFIG, D_EDGE_CONFIG, 940);
        assert_string_equal(m->artifact_type, MT_DOCKER_CONFIG);
        assert_int_equal(m->n_layers, 2);
        check_desc(&m->layers[0], MT_DOCKER_GZIP, D_BASE, 28058031);
        check_desc(&m->layers[1], MT_DOCKER_GZIP, D_EDGE_GZIP_LAYER, 39657);
        dd_manifest_free(m);
    }
    /* The OCI Content-Type contradicts the body. */
    fixture f = load("edge-v2s2.docker-manifest.json", D_V2S2);
    dd_manifest *m = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_manifest_parse(&m, f.buf, f.len, DD_MT_OCI_MANIFEST, &err), DD_EINVALID);
    assert_null(m);
    assert_int_equal(err.offset, offset_of((const char *)f.buf, "\"application/vnd.docker."));
    dd_free(f.buf);
}

static void test_docker_list(void **state)
{
    (void)state;
    const char *json =
        "{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_DOCKER_LIST "\",\"manifests\":["
        "{\"mediaType\":\"" DD_MT_DOCKER_MANIFEST "\",\"digest\":\"" D_V2S2 "\",\"size\":590,"
        "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
        "{\"mediaType\":\"" DD_MT_DOCKER_MANIFEST "\",\"digest\":\"" D_A "\",\"size\":591,"
        "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\","
        "\"features\":[\"sse4\"],\"os.version\":\"x\",\"os.features\":[]}}]}";
    dd_manifest *m = parse_str(json, DD_MT_DOCKER_LIST);
    assert_int_equal(m->kind, DD_MANIFEST_INDEX);
    assert_string_equal(m->media_type, DD_MT_DOCKER_LIST);
    assert_null(m->artifact_type);
    assert_int_equal(m->n_manifests, 2);
    check_desc(&m->manifests[0], DD_MT_DOCKER_MANIFEST, D_V2S2, 590);
    assert_string_equal(m->manifests[0].platform_arch, "amd64");
    assert_string_equal(m->manifests[1].platform_arch, "arm");
    assert_string_equal(m->manifests[1].platform_variant, "v7");
    dd_manifest_free(m);
    m = parse_str(json, NULL);
    assert_string_equal(m->media_type, DD_MT_DOCKER_LIST);
    dd_manifest_free(m);
    parse_fail(json, DD_MT_OCI_INDEX, DD_EINVALID);
}

/* An OCI artifact (image-spec 1.1): artifactType, the empty config, a subject. */
static void test_artifact(void **state)
{
    (void)state;
    const char *json =
        "{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"" DD_MT_OCI_MANIFEST "\",\n"
        "  \"artifactType\": \"application/vnd.example.sbom.v1+json\",\n"
        "  \"config\": {\"mediaType\": \"" DD_MT_OCI_EMPTY "\", \"digest\": \"" D_EMPTY "\","
        " \"size\": 2, \"data\": \"e30=\"},\n"
        "  \"layers\": [{\"mediaType\": \"application/vnd.example.sbom.v1+json\","
        " \"digest\": \"" D_A "\", \"size\": 1234,"
        " \"annotations\": {\"org.opencontainers.image.title\": \"sbom.json\"}}],\n"
        "  \"subject\": {\"mediaType\": \"" DD_MT_OCI_MANIFEST "\", \"digest\": \"" D_NODE_APP "\","
        " \"size\": 721},\n"
        "  \"annotations\": {\"org.opencontainers.image.created\": \"2026-11-27T00:00:00Z\","
        " \"com.example.a\": \"\\u00e9\\\"/\"}\n}\n";
    dd_manifest *m = parse_str(json, DD_MT_OCI_MANIFEST);
    assert_int_equal(m->kind, DD_MANIFEST_IMAGE);
    assert_string_equal(m->artifact_type, "application/vnd.example.sbom.v1+json");
    check_desc(&m->config, DD_MT_OCI_EMPTY, D_EMPTY, 2);
    assert_int_equal(m->n_layers, 1);
    check_desc(&m->layers[0], "application/vnd.example.sbom.v1+json", D_A, 1234);
    assert_string_equal(m->layers[0].annotations_json,
                        "{\"org.opencontainers.image.title\":\"sbom.json\"}");
    assert_non_null(m->subject);
    check_desc(m->subject, DD_MT_OCI_MANIFEST, D_NODE_APP, 721);
    /* Compact, sorted keys, UTF-8 kept, quote escaped. */
    assert_string_equal(m->annotations_json,
                        "{\"com.example.a\":\"\xc3\xa9\\\"/\",\"org.opencontainers.image.created\":"
                        "\"2026-11-27T00:00:00Z\"}");
    dd_manifest_free(m);

    /* Without artifactType the referrers API reports config.mediaType; layers may be empty. */
    m = parse_str("{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.example.cfg\","
                  "\"digest\":\"" D_EMPTY "\",\"size\":2},\"layers\":[],\"subject\":"
                  "{\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"digest\":\"" D_A "\",\"size\":1}}",
                  NULL);
    assert_string_equal(m->media_type, DD_MT_OCI_MANIFEST);
    assert_string_equal(m->artifact_type, "application/vnd.example.cfg");
    assert_int_equal(m->n_layers, 0);
    assert_string_equal(m->subject->digest, D_A);
    dd_manifest_free(m);

    /* An index with artifactType and subject. */
    m = parse_str("{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_INDEX "\","
                  "\"artifactType\":\"application/vnd.example.sig\",\"manifests\":[],"
                  "\"subject\":{\"mediaType\":\"" DD_MT_OCI_INDEX "\",\"digest\":\"" D_A
                  "\",\"size\":5}}",
                  NULL);
    assert_int_equal(m->kind, DD_MANIFEST_INDEX);
    assert_string_equal(m->artifact_type, "application/vnd.example.sig");
    assert_int_equal(m->n_manifests, 0);
    dd_manifest_free(m);
}

static void test_media_type_choice(void **state)
{
    (void)state;
    /* No mediaType in the body: Content-Type, else inferred. */
    const char *img = OCI_MANIFEST("");
    dd_manifest *m = parse_str(img, NULL);
    assert_string_equal(m->media_type, DD_MT_OCI_MANIFEST);
    dd_manifest_free(m);
    m = parse_str(img, "application/json");
    assert_string_equal(m->media_type, DD_MT_OCI_MANIFEST);
    dd_manifest_free(m);
    m = parse_str(img, DD_MT_DOCKER_MANIFEST);
    assert_string_equal(m->media_type, DD_MT_DOCKER_MANIFEST);
    dd_manifest_free(m);
    const char *idx = "{\"schemaVersion\":2,\"manifests\":[]}";
    m = parse_str(idx, "");
    assert_int_equal(m->kind, DD_MANIFEST_INDEX);
    assert_string_equal(m->media_type, DD_MT_OCI_INDEX);
    dd_manifest_free(m);
    m = parse_str(idx, "  " DD_MT_DOCKER_LIST "  ;q=1");
    assert_string_equal(m->media_type, DD_MT_DOCKER_LIST);
    dd_manifest_free(m);

    /* Nothing to tell the type, or both shapes at once. */
    parse_fail("{\"schemaVersion\":2}", NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"layers\":[],\"manifests\":[]}", NULL, DD_EINVALID);
    /* CVE-2021-41190: a manifest carrying manifests, an index carrying layers or config. */
    parse_fail(OCI_MANIFEST("\"manifests\":[],"), NULL, DD_EINVALID);
    parse_fail(OCI_MANIFEST("\"manifests\":[],"), DD_MT_OCI_MANIFEST, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_INDEX "\",\"manifests\":[],"
               "\"layers\":[]}",
               NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"manifests\":[],\"config\":{}}", DD_MT_OCI_INDEX,
               DD_EINVALID);
    /* A body mediaType that is not a manifest type. */
    parse_fail(OCI_MANIFEST("\"mediaType\":\"application/vnd.oci.artifact.manifest.v1+json\","),
               NULL, DD_EUNSUPPORTED);
    parse_fail(OCI_MANIFEST("\"mediaType\":7,"), NULL, DD_EINVALID);
    /* Body mediaType is compared exactly. */
    parse_fail(OCI_MANIFEST("\"mediaType\":\"Application/vnd.oci.image.manifest.v1+json\","),
               DD_MT_OCI_MANIFEST, DD_EINVALID);

    assert_true(dd_manifest_media_type_known(DD_MT_OCI_MANIFEST));
    assert_true(dd_manifest_media_type_known(DD_MT_OCI_INDEX "; charset=utf-8"));
    assert_true(dd_manifest_media_type_known(DD_MT_DOCKER_MANIFEST));
    assert_true(dd_manifest_media_type_known(" " DD_MT_DOCKER_LIST));
    assert_false(dd_manifest_media_type_known(NULL));
    assert_false(dd_manifest_media_type_known(""));
    assert_false(dd_manifest_media_type_known("application/json"));
    assert_false(dd_manifest_media_type_known(DD_MT_OCI_EMPTY));
    assert_false(dd_manifest_media_type_known("application/vnd.oci.image.manifest.v1+jso"));
    assert_false(dd_manifest_media_type_known("application/vnd.oci.image.manifest.v1+jsonx"));
}

static void test_content_type_mismatch(void **state)
{
    (void)state;
    const char *json = OCI_MANIFEST("\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",");
    dd_err err = parse_fail(json, DD_MT_OCI_INDEX, DD_EINVALID);
    assert_int_equal(err.offset, offset_of(json, "\"application/vnd.oci.image.manifest"));
    parse_fail(json, DD_MT_DOCKER_MANIFEST "; charset=utf-8", DD_EINVALID);
    /* Known but non-manifest Content-Types fall back to the body. */
    dd_manifest *m = parse_str(json, "application/vnd.oci.image.config.v1+json");
    assert_string_equal(m->media_type, DD_MT_OCI_MANIFEST);
    dd_manifest_free(m);
}

/* ---- invalid input ---- */

static void test_not_json(void **state)
{
    (void)state;
    /* jansson reports where it stopped: the end of the offending token. */
    dd_err err = parse_fail("hello", NULL, DD_EINVALID);
    assert_int_equal(err.offset, 5);
    assert_non_null(strstr(err.msg, "invalid JSON"));
    err = parse_fail("{\"schemaVersion\":2,\"a\":tru}", NULL, DD_EINVALID);
    assert_int_equal(err.offset, 26);
    parse_fail("{\"schemaVersion\":2,", NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2} trailing", NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"x\":\"\xff\"}", NULL, DD_EINVALID);      /* bad UTF-8 */
    parse_fail("{\"schemaVersion\":2,\"x\":\"\xc0\xaf\"}", NULL, DD_EINVALID);  /* overlong */
    parse_fail("{\"schemaVersion\":2,\"x\":\"a\\u0000b\"}", NULL, DD_EINVALID); /* escaped NUL */
    parse_fail("{\"schemaVersion\":2,\"x\":\"\\ud800\"}", NULL, DD_EINVALID);   /* lone surrogate */

    dd_manifest *m = (dd_manifest *)1;
    dd_err e2 = DD_ERR_INIT;
    assert_int_equal(dd_manifest_parse(&m, (const uint8_t *)"", 0, NULL, &e2), DD_EINVALID);
    assert_null(m);
    /* A raw NUL byte inside the body, and err may be NULL. */
    const uint8_t nul[] = "{\"schemaVersion\":2,\"x\":\"a\0b\"}";
    assert_int_equal(dd_manifest_parse(&m, nul, sizeof(nul) - 1, NULL, NULL), DD_EINVALID);
    assert_null(m);

    /* The config blob of a real image is JSON but not a manifest. */
    fixture f = load("debian-bookworm-minbase.oci-config.json",
                     "sha256:13e72a9c889381b3ab853f24fb5889cc756f79cd7338f8f1f0745cdf4acbcdc1");
    assert_int_equal(dd_manifest_parse(&m, f.buf, f.len, NULL, &e2), DD_EINVALID);
    assert_null(m);
    assert_int_equal(e2.offset, 0);
    assert_non_null(strstr(e2.msg, "schemaVersion"));
    dd_free(f.buf);
}

static void test_not_object(void **state)
{
    (void)state;
    parse_fail("[]", NULL, DD_EINVALID);
    parse_fail("[{\"schemaVersion\":2}]", NULL, DD_EINVALID);
    parse_fail("\"manifest\"", NULL, DD_EINVALID);
    parse_fail("2", NULL, DD_EINVALID);
    parse_fail("null", NULL, DD_EINVALID);
}

static void test_schema_version(void **state)
{
    (void)state;
    /* A real schema 1 manifest shape (signed, prettyjws). */
    const char *v1 = "{\"schemaVersion\":1,\"name\":\"library/x\",\"tag\":\"latest\","
                     "\"architecture\":\"amd64\",\"fsLayers\":[{\"blobSum\":\"" D_A "\"}],"
                     "\"history\":[{\"v1Compatibility\":\"{}\"}],\"signatures\":[]}";
    dd_err err = parse_fail(v1, NULL, DD_EUNSUPPORTED);
    assert_int_equal(err.offset, offset_of(v1, "1,"));
    parse_fail(v1, "application/vnd.docker.distribution.manifest.v1+prettyjws", DD_EUNSUPPORTED);
    parse_fail(v1, DD_MT_DOCKER_MANIFEST, DD_EUNSUPPORTED);
    parse_fail("{\"schemaVersion\":3,\"manifests\":[]}", NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":\"2\",\"manifests\":[]}", NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2.0,\"manifests\":[]}", NULL, DD_EINVALID);
    parse_fail("{\"manifests\":[]}", NULL, DD_EINVALID);
}

static void test_missing_members(void **state)
{
    (void)state;
    const char *no_layers = "{\"schemaVersion\":2," OCI_CONFIG "}";
    dd_err err = parse_fail(no_layers, DD_MT_OCI_MANIFEST, DD_EINVALID);
    assert_int_equal(err.offset, 0);
    assert_non_null(strstr(err.msg, "layers"));
    parse_fail(no_layers, NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"layers\":[" OCI_LAYER "]}", NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"config\":7,\"layers\":[]}", NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2," OCI_CONFIG ",\"layers\":{}}", NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2," OCI_CONFIG ",\"layers\":[7]}", NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"manifests\":null}", DD_MT_OCI_INDEX, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_INDEX "\"}", NULL, DD_EINVALID);
    /* Docker schema 2 needs a layer. */
    parse_fail("{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_DOCKER_MANIFEST "\"," OCI_CONFIG
               ",\"layers\":[]}",
               NULL, DD_EINVALID);
    /* Descriptor members. */
    parse_fail(OCI_MANIFEST("\"subject\":{\"digest\":\"" D_A "\",\"size\":1},"), NULL, DD_EINVALID);
    parse_fail(OCI_MANIFEST("\"subject\":{\"mediaType\":\"a/b\",\"size\":1},"), NULL, DD_EINVALID);
    parse_fail(OCI_MANIFEST("\"subject\":{\"mediaType\":\"a/b\",\"digest\":\"" D_A "\"},"), NULL,
               DD_EINVALID);
    parse_fail(OCI_MANIFEST("\"subject\":[],"), NULL, DD_EINVALID);
    /* Platform needs os and architecture. */
    parse_fail("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a/b\",\"digest\":\"" D_A
               "\",\"size\":1,\"platform\":{\"os\":\"linux\"}}]}",
               NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a/b\",\"digest\":\"" D_A
               "\",\"size\":1,\"platform\":{\"os\":\"linux\",\"architecture\":1}}]}",
               NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a/b\",\"digest\":\"" D_A
               "\",\"size\":1,\"platform\":\"linux/amd64\"}]}",
               NULL, DD_EINVALID);
}

static void test_bad_digest(void **state)
{
    (void)state;
    const char *bad[] = {
        "sha256:4C520573A92A2AD64AE4150AE7E81EDF9B496D358CE7A3D13D8D9E43B75E4157", /* upper hex */
        "sha256:4c520573",                                                         /* short */
        "4c520573a92a2ad64ae4150ae7e81edf9b496d358ce7a3d13d8d9e43b75e4157",        /* no algo */
        "sha256:4c520573a92a2ad64ae4150ae7e81edf9b496d358ce7a3d13d8d9e43b75e415g", /* not hex */
        "",
        "sha256:",
        "sha256:4c520573a92a2ad64ae4150ae7e81edf9b496d358ce7a3d13d8d9e43b75e4157 ",
    };
    char json[1024];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(json, sizeof(json),
                 "{\"schemaVersion\":2," OCI_CONFIG ",\"layers\":[" OCI_LAYER ","
                 "{\"mediaType\":\"" MT_OCI_ZSTD "\",\"digest\":\"%s\",\"size\":1}]}",
                 bad[i]);
        dd_err err = parse_fail(json, NULL, DD_EINVALID);
        /* The offset is that of the (third) digest value; the message names the path. */
        size_t at = offset_of(json, "\"digest\":\"") + 9;
        at += offset_of(json + at, "\"digest\":\"") + 9;
        at += offset_of(json + at, "\"digest\":\"") + 9;
        assert_int_equal(err.offset, at);
        assert_non_null(strstr(err.msg, "layers[1].digest"));
    }
    /* Well formed, but an algorithm we do not verify. */
    parse_fail(OCI_MANIFEST("\"subject\":{\"mediaType\":\"a/b\",\"size\":1,\"digest\":\"sha512:"
                            "0000000000000000000000000000000000000000000000000000000000000000"
                            "0000000000000000000000000000000000000000000000000000000000000000"
                            "\"},"),
               NULL, DD_EUNSUPPORTED);
    parse_fail(OCI_MANIFEST("\"subject\":{\"mediaType\":\"a/b\",\"size\":1,\"digest\":5},"), NULL,
               DD_EINVALID);
}

static void test_bad_size(void **state)
{
    (void)state;
    const char *sizes[] = {
        "-1", "1.0", "1e3", "\"1\"", "null", "true", "9223372036854775808", "-9223372036854775809",
        "1.5"};
    char json[1024];
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        snprintf(json, sizeof(json),
                 "{\"schemaVersion\":2,\"mediaType\":\"" DD_MT_OCI_MANIFEST "\",\"config\":"
                 "{\"size\":%s,\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" D_A
                 "\"},\"layers\":[]}",
                 sizes[i]);
        parse_fail(json, NULL, DD_EINVALID);
    }
    /* Reordered members: the offset still lands on the value. */
    snprintf(json, sizeof(json),
             "{\"layers\":[],\"config\":{\"digest\":\"" D_A "\",\"size\":-7,\"mediaType\":\"a/b\"},"
             "\"schemaVersion\":2}");
    dd_err err = parse_fail(json, NULL, DD_EINVALID);
    assert_int_equal(err.offset, offset_of(json, "-7"));
    /* Largest integer jansson holds is fine; zero too. */
    dd_manifest *m = parse_str("{\"schemaVersion\":2,\"config\":{\"size\":9223372036854775807,"
                               "\"mediaType\":\"a/b\",\"digest\":\"" D_A "\"},\"layers\":[{"
                               "\"size\":0,\"mediaType\":\"a/b\",\"digest\":\"" D_A "\"}]}",
                               NULL);
    assert_true(m->config.size == 9223372036854775807ull);
    assert_true(m->layers[0].size == 0);
    dd_manifest_free(m);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    parse_fail("{\"schemaVersion\":2,\"schemaVersion\":2,\"manifests\":[]}", NULL, DD_EINVALID);
    parse_fail(OCI_MANIFEST("\"annotations\":{\"a\":\"1\",\"a\":\"2\"},"), NULL, DD_EINVALID);
    /* The same key spelled with an escape is still a duplicate. */
    parse_fail(OCI_MANIFEST("\"config\":{},"), NULL, DD_EINVALID);
    parse_fail(OCI_MANIFEST("\"l\\u0061yers\":[],"), NULL, DD_EINVALID);
}

/* Builds {"x":[[...]],<rest of the minimal manifest>} with `arrays` nested arrays. */
static char *nested(size_t arrays)
{
    dd_buf b = DD_BUF_INIT(1 << 20);
    const char *tail = &OCI_MANIFEST("")[1]; /* without its opening brace */
    assert_int_equal(dd_buf_append_str(&b, "{\"x\":"), 0);
    /* Every other level also holds a string full of brackets, which must not count. */
    for (size_t i = 0; i < arrays; i++)
        assert_int_equal(dd_buf_append_str(&b, i % 2 == 0 && i + 1 < arrays ? "[\"[{\\\"\"," : "["),
                         0);
    for (size_t i = 0; i < arrays; i++)
        assert_int_equal(dd_buf_append_str(&b, "]"), 0);
    assert_int_equal(dd_buf_append_str(&b, ","), 0);
    assert_int_equal(dd_buf_append_str(&b, tail), 0);
    return dd_buf_take(&b);
}

static void test_depth(void **state)
{
    (void)state;
    /* Root object is level 1, so 63 arrays inside it reach the limit exactly. */
    char *ok = nested(DD_LIMIT_JSON_DEPTH - 1);
    dd_manifest *m = parse_str(ok, NULL);
    assert_int_equal(m->n_layers, 1);
    dd_manifest_free(m);
    dd_free(ok);

    char *deep = nested(DD_LIMIT_JSON_DEPTH);
    dd_err err = parse_fail(deep, NULL, DD_EINVALID);
    /* The offending bracket: the 65th opening one outside strings. */
    assert_int_equal(deep[err.offset], '[');
    assert_non_null(strstr(err.msg, "deeper"));
    dd_free(deep);

    /* Far deeper than jansson's own limit: still a clean error. */
    dd_buf b = DD_BUF_INIT(1 << 20);
    for (int i = 0; i < 100000; i++)
        assert_int_equal(dd_buf_append_str(&b, "{\"a\":["), 0);
    char *s = dd_buf_take(&b);
    parse_fail(s, NULL, DD_EINVALID);
    dd_free(s);
}

static void test_too_many_descriptors(void **state)
{
    (void)state;
    /* config + 9999 layers = the limit; one more layer (or a subject) is refused. */
    for (int extra = 0; extra < 3; extra++) {
        dd_buf b = DD_BUF_INIT(DD_LIMIT_MANIFEST_MAX);
        assert_int_equal(dd_buf_append_str(&b, "{\"schemaVersion\":2,"), 0);
        if (extra == 2)
            assert_int_equal(dd_buf_append_str(&b, "\"subject\":{\"mediaType\":\"a/b\","
                                                   "\"digest\":\"" D_A "\",\"size\":1},"),
                             0);
        assert_int_equal(dd_buf_append_str(&b, OCI_CONFIG ",\"layers\":["), 0);
        int n = DD_LIMIT_MANIFEST_DESCRIPTORS - 1 + (extra == 1);
        for (int i = 0; i < n; i++)
            assert_int_equal(dd_buf_printf(&b,
                                           "%s{\"mediaType\":\"" MT_OCI_GZIP "\",\"digest\":"
                                           "\"" D_A "\",\"size\":%d}",
                                           i ? "," : "", i),
                             0);
        assert_int_equal(dd_buf_append_str(&b, "]}"), 0);
        dd_manifest *m = NULL;
        dd_err err = DD_ERR_INIT;
        int rc = dd_manifest_parse(&m, (const uint8_t *)b.data, b.len, NULL, &err);
        if (extra == 0) {
            assert_int_equal(rc, 0);
            assert_int_equal(m->n_layers, DD_LIMIT_MANIFEST_DESCRIPTORS - 1);
            assert_true(m->layers[9998].size == 9998);
            dd_manifest_free(m);
        } else {
            assert_int_equal(rc, DD_EINVALID);
            assert_null(m);
            assert_non_null(strstr(err.msg, "too many"));
            assert_int_equal(b.data[err.offset], '[');
        }
        dd_buf_free(&b);
    }
}

static void test_too_large(void **state)
{
    (void)state;
    size_t len = DD_LIMIT_MANIFEST_MAX + 1;
    uint8_t *buf = dd_malloc(len);
    assert_non_null(buf);
    const char *head = OCI_MANIFEST("\"x\":\"");
    memset(buf, 'a', len);
    memcpy(buf, head, strlen(head));
    dd_manifest *m = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_manifest_parse(&m, buf, len, NULL, &err), DD_EINVALID);
    assert_null(m);
    assert_int_equal(err.offset, DD_LIMIT_MANIFEST_MAX);
    dd_free(buf);
}

static void test_bad_fields(void **state)
{
    (void)state;
    /* Annotations are a map of strings. */
    const char *json = OCI_MANIFEST("\"annotations\":{\"a\":\"1\",\"b\":2},");
    dd_err err = parse_fail(json, NULL, DD_EINVALID);
    assert_int_equal(err.offset, offset_of(json, "2}"));
    parse_fail(OCI_MANIFEST("\"annotations\":[],"), NULL, DD_EINVALID);
    parse_fail(OCI_MANIFEST("\"annotations\":{\"a\":null},"), NULL, DD_EINVALID);
    /* artifactType and descriptor media types must be media types (unknown ones are fine). */
    parse_fail(OCI_MANIFEST("\"artifactType\":\"sbom\","), NULL, DD_EINVALID);
    parse_fail(OCI_MANIFEST("\"artifactType\":1,"), NULL, DD_EINVALID);
    const char *mts[] = {"", "a", "a/", "/b", "a/b/c", ".a/b", "a/b; x=y", "a b/c", "a/\xc3\xa9"};
    char buf[1024];
    for (size_t i = 0; i < sizeof(mts) / sizeof(mts[0]); i++) {
        snprintf(buf, sizeof(buf),
                 "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"" D_A
                 "\",\"size\":1}]}",
                 mts[i]);
        parse_fail(buf, NULL, DD_EINVALID);
    }
    dd_manifest *m = parse_str("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
                               "\"application/x.Made-Up_type!#$&^+v9\",\"digest\":\"" D_A
                               "\",\"size\":1,\"urls\":[\"https://example.com/x\"],"
                               "\"artifactType\":\"text/plain\",\"unknown\":{\"k\":[1]}}]}",
                               NULL);
    assert_string_equal(m->manifests[0].media_type, "application/x.Made-Up_type!#$&^+v9");
    assert_string_equal(m->manifests[0].artifact_type, "text/plain");
    dd_manifest_free(m);
    parse_fail("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a/b\",\"digest\":\"" D_A
               "\",\"size\":1,\"urls\":[1]}]}",
               NULL, DD_EINVALID);
    parse_fail("{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"a/b\",\"digest\":\"" D_A
               "\",\"size\":1,\"data\":{}}]}",
               NULL, DD_EINVALID);
}

/* Every proper prefix of a real manifest is refused cleanly (and never read past its end). */
static void test_truncated(void **state)
{
    (void)state;
    fixture f = load("node-app.oci-manifest.json", D_NODE_APP);
    for (size_t n = 0; n < f.len; n++) {
        uint8_t *p = dd_malloc(n);
        dd_manifest *m = NULL;
        dd_err err = DD_ERR_INIT;
        assert_non_null(p);
        memcpy(p, f.buf, n);
        assert_int_equal(dd_manifest_parse(&m, p, n, NULL, &err), DD_EINVALID);
        assert_null(m);
        assert_true(err.offset <= n);
        dd_free(p);
    }
    dd_free(f.buf);
    dd_manifest_free(NULL);
}

/* The reported offset follows the real document, escapes and whitespace included. */
static void test_error_offsets(void **state)
{
    (void)state;
    const char *json = "{ \"schemaVersion\" : 2 ,\n \"conf\\u0069g\" : { \"mediaType\" : \"a/b\","
                       " \"digest\": \"" D_A "\", \"size\": 1, \"annotations\": {\"k\\\"\": \"v\","
                       " \"x\": [\"]\", {\"}\": 1}]}} , \"layers\" : [ {\"digest\": \"" D_A "\","
                       " \"size\":2, \"mediaType\": \"c/d\"}, {\"mediaType\":\"x\"} ] }";
    dd_err err = parse_fail(json, NULL, DD_EINVALID);
    /* annotations.x is not a string */
    assert_int_equal(err.offset, offset_of(json, "[\"]\""));
    const char *json2 =
        "{ \"schemaVersion\" : 2 ,\n \"config\" : { \"mediaType\" : \"a/b\","
        " \"digest\": \"" D_A "\", \"size\": 1} , \"layers\" : [ {\"digest\": \"" D_A
        "\", \"size\":2, \"mediaType\": \"c/d\", \"x\": \"\\\"[{\"}, "
        "{\"mediaType\":\"x\"} ] }";
    err = parse_fail(json2, NULL, DD_EINVALID);
    assert_int_equal(err.offset, offset_of(json2, "\"x\"}"));
    assert_non_null(strstr(err.msg, "layers[1].mediaType"));
}

/* ---- names and tags ---- */

/* Writes "a/a/.../a" with n components into out (not terminated); returns its length. */
static size_t components(char out[64], int n)
{
    size_t len = 0;
    for (int i = 0; i < n && len + 2 <= 64; i++) {
        if (i > 0)
            out[len++] = '/';
        out[len++] = 'a';
    }
    return len;
}

static void test_names_valid(void **state)
{
    (void)state;
    const char *ok[] = {"a",       "team/app/api", "a.b_c__d-e",     "a--b",         "0",
                        "a-----b", "a/b/c/d",      "library/ubuntu", "x9.y8/z7_6__5"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        dd_err err = DD_ERR_INIT;
        if (dd_name_validate(ok[i], strlen(ok[i]), &err) != 0)
            fail_msg("%s: %s", ok[i], err.msg);
    }
    /* 255 bytes and 16 components are the limits. */
    char n[DD_LIMIT_REPO_NAME_MAX + 2];
    memset(n, 'a', sizeof(n));
    assert_int_equal(dd_name_validate(n, DD_LIMIT_REPO_NAME_MAX, NULL), 0);
    char c[64];
    size_t clen = components(c, DD_LIMIT_REPO_COMPONENTS);
    assert_int_equal(dd_name_validate(c, clen, NULL), 0);
    /* Not NUL-terminated: only len bytes count. */
    assert_int_equal(dd_name_validate("abc/DEF", 3, NULL), 0);
}

static void expect_bad_name(const char *s, size_t len, size_t offset)
{
    dd_err err = DD_ERR_INIT;
    if (dd_name_validate(s, len, &err) != DD_EINVALID)
        fail_msg("name %.*s accepted", (int)len, s);
    assert_int_equal(err.code, DD_EINVALID);
    assert_int_equal(err.offset, offset);
}

static void test_names_invalid(void **state)
{
    (void)state;
    expect_bad_name("", 0, 0);
    expect_bad_name("A", 1, 0);
    expect_bad_name("a/", 2, 1);
    expect_bad_name("/a", 2, 0);
    expect_bad_name("a//b", 4, 2);
    expect_bad_name("a___b", 5, 3);
    expect_bad_name("a.-b", 4, 2);
    expect_bad_name("-a", 2, 0);
    expect_bad_name("a..b", 4, 2);
    expect_bad_name("a._b", 4, 2);
    expect_bad_name("a-", 2, 1);
    expect_bad_name("a_", 2, 1);
    expect_bad_name("a__", 3, 2);
    expect_bad_name("a/.b", 4, 2);
    expect_bad_name("a:b", 3, 1);
    expect_bad_name("a\0b", 3, 1);
    expect_bad_name("a b", 3, 1);
    expect_bad_name("caf\xc3\xa9", 5, 3);
    expect_bad_name("team/App", 8, 5);
    char n[DD_LIMIT_REPO_NAME_MAX + 1];
    memset(n, 'a', sizeof(n));
    expect_bad_name(n, sizeof(n), DD_LIMIT_REPO_NAME_MAX);
    /* 17 components: refused at the 16th slash. */
    char c[64];
    size_t clen = components(c, DD_LIMIT_REPO_COMPONENTS + 1);
    expect_bad_name(c, clen, 2 * DD_LIMIT_REPO_COMPONENTS - 1);
}

static void test_tags(void **state)
{
    (void)state;
    const char *ok[] = {"latest", "v1.0.0", "_x", "A-b.c_D", "1", "x--..__", "edge-v2s2"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_int_equal(dd_tag_validate(ok[i], strlen(ok[i]), NULL), 0);
    char t[DD_LIMIT_TAG_MAX + 1];
    memset(t, 'x', sizeof(t));
    assert_int_equal(dd_tag_validate(t, DD_LIMIT_TAG_MAX, NULL), 0);
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_tag_validate(t, DD_LIMIT_TAG_MAX + 1, &err), DD_EINVALID);
    assert_int_equal(err.offset, DD_LIMIT_TAG_MAX);

    struct {
        const char *s;
        size_t len;
        size_t offset;
    } bad[] = {
        {"", 0, 0},         {".x", 2, 0},  {"-x", 2, 0},        {"a/b", 3, 1},
        {"a:b", 3, 1},      {"a b", 3, 1}, {"a\0b", 3, 1},      {"v1+build", 8, 2},
        {"\xc3\xa9", 2, 0}, {"x\n", 2, 1}, {"sha256:ab", 9, 6},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        dd_err e = DD_ERR_INIT;
        if (dd_tag_validate(bad[i].s, bad[i].len, &e) != DD_EINVALID)
            fail_msg("tag %zu accepted", i);
        assert_int_equal(e.offset, bad[i].offset);
    }
    assert_int_equal(dd_tag_validate("latest!", 6, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_debian_minbase),
        cmocka_unit_test(test_node_app),
        cmocka_unit_test(test_edge_zstd),
        cmocka_unit_test(test_edge_gzip),
        cmocka_unit_test(test_edge_index),
        cmocka_unit_test(test_layout_index),
        cmocka_unit_test(test_docker_v2s2),
        cmocka_unit_test(test_docker_list),
        cmocka_unit_test(test_artifact),
        cmocka_unit_test(test_media_type_choice),
        cmocka_unit_test(test_content_type_mismatch),
        cmocka_unit_test(test_not_json),
        cmocka_unit_test(test_not_object),
        cmocka_unit_test(test_schema_version),
        cmocka_unit_test(test_missing_members),
        cmocka_unit_test(test_bad_digest),
        cmocka_unit_test(test_bad_size),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_too_many_descriptors),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_bad_fields),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_error_offsets),
        cmocka_unit_test(test_names_valid),
        cmocka_unit_test(test_names_invalid),
        cmocka_unit_test(test_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
