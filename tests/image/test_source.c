/* Unit tests for src/image/source.c with the layer reader: the real Drydock test images
 * (/work/shared/images, see its README.md: OCI layout, docker-archive, expected packages) opened
 * through every transport (oci:, docker-archive:, dir:, registry:), platforms of an index, Docker
 * media types, whiteouts in the final filesystem checked against expected-packages.json, and the
 * layer cache shared between images. When the shared images are absent, the same tree (smaller
 * images of the same shape, with their own expected-packages.json) is generated first. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db/db.h"
#include "image/layer.h"
#include "image/manifest.h"
#include "image/rootfs.h"
#include "image/source.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/digest.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif
#define DD_SHARED_IMAGES DD_FIXTURES "/../../../shared/images"

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"

static char images[512]; /* the shared images, or the generated ones */
static char tmp[256];
static int generated;

/* ---- small helpers --------------------------------------------------------------------- */

typedef struct mbuf {
    uint8_t *p;
    size_t len, cap;
} mbuf;

static void mb_add(mbuf *b, const void *data, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->p = realloc(b->p, cap);
        assert_non_null(b->p);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        fail_msg("cannot write %s", path);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static mbuf read_whole(const char *path)
{
    mbuf b = {NULL, 0, 0};
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        fail_msg("cannot open %s", path);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        mb_add(&b, chunk, n);
    fclose(f);
    return b;
}

static void run(const char *cmd)
{
    if (system(cmd) != 0)
        fail_msg("command failed: %s", cmd);
}

static int ends_with(const char *p, size_t n, const char *s)
{
    size_t l = strlen(s);
    return n >= l && memcmp(p + n - l, s, l) == 0;
}

/* The test's catalogers: dpkg status, os-release (both sides of the symlink), motd, and every
 * package.json. */
static dd_keep wants(const char *path, size_t len, uint32_t mode, uint64_t size,
                     const dd_extractor **ex)
{
    (void)mode;
    (void)size;
    (void)ex;
    if (strcmp(path, "var/lib/dpkg/status") == 0 || strcmp(path, "etc/os-release") == 0 ||
        strcmp(path, "usr/lib/os-release") == 0 || strcmp(path, "etc/motd") == 0 ||
        ends_with(path, len, "/package.json"))
        return DD_KEEP_WHOLE;
    return DD_KEEP_NONE;
}

static dd_image *open_ok(const char *target, const char *platform)
{
    dd_image *img = NULL;
    dd_err err = DD_ERR_INIT;
    dd_image_options o = DD_IMAGE_OPTIONS_INIT;
    o.platform = platform;
    if (dd_image_open(&img, target, &o, &err) != 0)
        fail_msg("open %s: %s", target, err.msg);
    return img;
}

static dd_rootfs *read_ok(dd_image *img, const dd_read_options *ro)
{
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    if (dd_image_read_rootfs(&fs, img, wants, ro, &err) != 0)
        fail_msg("read: %s", err.msg);
    return fs;
}

static char *target(const char *fmt, const char *arg)
{
    static char buf[4][1024];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof(buf[0]), fmt, images, arg);
    return b;
}

/* The paths of node_modules/NAME/package.json (and @scope/NAME) as "/…/node_modules/NAME". */
static void npm_dirs(const dd_rootfs *fs, const char *prefix, json_t *out)
{
    for (size_t i = 0; i < dd_rootfs_count(fs); i++) {
        const dd_rfile *f = dd_rootfs_at(fs, i);
        size_t n = strlen(f->path);
        if (!ends_with(f->path, n, "/package.json") || strncmp(f->path, prefix, strlen(prefix)))
            continue;
        const char *nm = NULL;
        for (const char *p = strstr(f->path, "node_modules/"); p;
             p = strstr(p + 1, "node_modules/"))
            nm = p;
        if (nm == NULL)
            continue;
        const char *name = nm + 13;
        const char *slash = strchr(name, '/');
        if (name[0] == '@' && slash != NULL)
            slash = strchr(slash + 1, '/');
        if (slash == NULL || strcmp(slash, "/package.json") != 0)
            continue;
        char dir[4200];
        snprintf(dir, sizeof(dir), "/%.*s", (int)(slash - f->path), f->path);
        json_array_append_new(out, json_string(dir));
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Asserts that two JSON arrays of strings hold the same set. */
static void assert_same_set(json_t *a, json_t *b)
{
    size_t n = json_array_size(a);
    if (n != json_array_size(b))
        fail_msg("%zu paths kept, %zu expected", n, json_array_size(b));
    const char **x = calloc(n + 1, sizeof(*x)), **y = calloc(n + 1, sizeof(*y));
    for (size_t i = 0; i < n; i++) {
        x[i] = json_string_value(json_array_get(a, i));
        y[i] = json_string_value(json_array_get(b, i));
    }
    qsort(x, n, sizeof(*x), cmp_str);
    qsort(y, n, sizeof(*y), cmp_str);
    for (size_t i = 0; i < n; i++)
        if (strcmp(x[i], y[i]) != 0)
            fail_msg("kept %s, expected %s", x[i], y[i]);
    free(x);
    free(y);
}

static json_t *expected(const char *tag)
{
    char path[700];
    json_error_t je;
    snprintf(path, sizeof(path), "%s/%s/expected-packages.json", images, tag);
    json_t *j = json_load_file(path, 0, &je);
    if (j == NULL)
        fail_msg("%s: %s", path, je.text);
    return j;
}

/* Checks the npm packages of the final filesystem against expected-packages.json. */
static void check_npm(const dd_rootfs *fs, json_t *exp, const char *prefix)
{
    json_t *want = json_array(), *got = json_array();
    json_t *npm = json_object_get(json_object_get(exp, "packages"), "npm");
    for (size_t i = 0; i < json_array_size(npm); i++)
        json_array_append(want, json_object_get(json_array_get(npm, i), "path"));
    npm_dirs(fs, prefix, got);
    assert_true(json_array_size(want) > 0);
    assert_same_set(got, want);
    /* A hidden package may have been replaced by another version at the same path (ini). */
    json_t *hidden = json_object_get(exp, "hidden_by_whiteouts");
    for (size_t i = 0; i < json_array_size(hidden); i++) {
        char p[4200];
        json_t *h = json_array_get(hidden, i);
        const char *dir = json_string_value(json_object_get(h, "path"));
        const char *version = json_string_value(json_object_get(h, "version"));
        snprintf(p, sizeof(p), "%s/package.json", dir + 1);
        const dd_rfile *f = dd_rootfs_get(fs, p);
        if (f == NULL)
            continue;
        json_t *pj = json_loadb((const char *)f->data, f->len, 0, NULL);
        assert_non_null(pj);
        const char *v = json_string_value(json_object_get(pj, "version"));
        if (v != NULL && version != NULL && strcmp(v, version) == 0)
            fail_msg("%s %s is hidden by a whiteout but was kept", p, v);
        json_decref(pj);
    }
    json_decref(want);
    json_decref(got);
}

static void check_debian(const dd_rootfs *fs)
{
    const dd_rfile *st = dd_rootfs_get(fs, "var/lib/dpkg/status");
    assert_non_null(st);
    assert_int_equal(st->layer, 0);
    assert_true(st->len > 0 && memcmp(st->data, "Package: ", 9) == 0);
    const dd_rfile *os = dd_rootfs_get(fs, "etc/os-release");
    assert_non_null(os);
    assert_string_equal(os->path, "usr/lib/os-release"); /* etc/os-release -> ../usr/lib/... */
    const char *pretty = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"";
    assert_true(os->len > strlen(pretty) && memcmp(os->data, pretty, strlen(pretty)) == 0);
}

/* A text dump of a rootfs (paths, layers, content digests) to compare two reads. */
static char *dump(const dd_rootfs *fs)
{
    mbuf b = {NULL, 0, 0};
    for (size_t i = 0; i < dd_rootfs_count(fs); i++) {
        const dd_rfile *f = dd_rootfs_at(fs, i);
        char d[72], line[4400];
        assert_int_equal(dd_digest_buf(d, f->data, f->len), 0);
        int n = snprintf(line, sizeof(line), "%s L%d %s\n", f->path, f->layer, d);
        mb_add(&b, line, (size_t)n);
    }
    mb_add(&b, "", 1);
    return (char *)b.p;
}

/* ---- generating the images when the shared ones are absent --------------------------- */

typedef struct tent {
    const char *name;
    char type; /* f, d, l */
    const char *data;
} tent;

static la_ssize_t mb_write(struct archive *a, void *ud, const void *buf, size_t n)
{
    (void)a;
    mb_add(ud, buf, n);
    return (la_ssize_t)n;
}

static mbuf make_tar(const tent *t, size_t n, int zstd_or_gzip)
{
    mbuf b = {NULL, 0, 0};
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    if (zstd_or_gzip == 1)
        archive_write_add_filter_gzip(a);
    else if (zstd_or_gzip == 2)
        archive_write_add_filter_zstd(a);
    archive_write_set_bytes_in_last_block(a, 1);
    assert_int_equal(archive_write_open(a, &b, NULL, mb_write, NULL), ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, t[i].name);
        archive_entry_set_mtime(e, 1795737600, 0);
        if (t[i].type == 'd') {
            archive_entry_set_filetype(e, AE_IFDIR);
            archive_entry_set_perm(e, 0755);
        } else if (t[i].type == 'l') {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_perm(e, 0777);
            archive_entry_set_symlink(e, t[i].data);
        } else {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, (la_int64_t)strlen(t[i].data));
        }
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (t[i].type == 'f')
            archive_write_data(a, t[i].data, strlen(t[i].data));
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    return b;
}

typedef struct glayer {
    mbuf blob;
    char digest[72], diff_id[72];
    const char *media_type;
    mbuf tar; /* uncompressed */
} glayer;

static void put_blob(const void *data, size_t len, char digest[72])
{
    char path[700];
    assert_int_equal(dd_digest_buf(digest, data, len), 0);
    snprintf(path, sizeof(path), "%s/oci/blobs/sha256/%s", images, digest + 7);
    write_file(path, data, len);
}

static void gen_layer(glayer *l, const tent *t, size_t n, int filter, const char *media_type)
{
    l->tar = make_tar(t, n, 0);
    l->blob = make_tar(t, n, filter);
    put_blob(l->blob.p, l->blob.len, l->digest);
    assert_int_equal(dd_digest_buf(l->diff_id, l->tar.p, l->tar.len), 0);
    l->media_type = media_type;
}

static void gen_config(const char *arch, const char *variant, glayer **ls, size_t n, char *d,
                       mbuf *out)
{
    char cfg[4096];
    int o = snprintf(cfg, sizeof(cfg),
                     "{\"architecture\":\"%s\",%s%s%s\"os\":\"linux\",\"rootfs\":{\"type\":"
                     "\"layers\",\"diff_ids\":[",
                     arch, variant ? "\"variant\":\"" : "", variant ? variant : "",
                     variant ? "\"," : "");
    for (size_t i = 0; i < n; i++)
        o += snprintf(cfg + o, sizeof(cfg) - (size_t)o, "%s\"%s\"", i ? "," : "", ls[i]->diff_id);
    snprintf(cfg + o, sizeof(cfg) - (size_t)o, "]}}");
    put_blob(cfg, strlen(cfg), d);
    if (out != NULL) {
        out->len = 0;
        mb_add(out, cfg, strlen(cfg));
    }
}

static size_t gen_manifest(const char *mt, const char *cfg_mt, const char *cfgd, size_t cfg_len,
                           glayer **ls, size_t n, const char **layer_mts, char *d)
{
    char m[4096];
    int o = snprintf(m, sizeof(m),
                     "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
                     "\"digest\":\"%s\",\"size\":%zu},\"layers\":[",
                     mt, cfg_mt, cfgd, cfg_len);
    for (size_t i = 0; i < n; i++)
        o += snprintf(m + o, sizeof(m) - (size_t)o,
                      "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}", i ? "," : "",
                      layer_mts ? layer_mts[i] : ls[i]->media_type, ls[i]->digest, ls[i]->blob.len);
    snprintf(m + o, sizeof(m) - (size_t)o, "]}");
    put_blob(m, strlen(m), d);
    return strlen(m);
}

/* hidden: nh (path, version) pairs. */
static void gen_expected(const char *tag, const char *const *npm, size_t n,
                         const char *const *hidden, size_t nh)
{
    char path[700];
    snprintf(path, sizeof(path), "mkdir -p %s/%s", images, tag);
    run(path);
    json_t *j = json_object(), *pk = json_object(), *arr = json_array(), *hid = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "path", json_string(npm[i]));
        json_array_append_new(arr, p);
    }
    for (size_t i = 0; i < nh; i++) {
        json_t *p = json_object();
        json_object_set_new(p, "path", json_string(hidden[2 * i]));
        json_object_set_new(p, "version", json_string(hidden[2 * i + 1]));
        json_array_append_new(hid, p);
    }
    json_object_set_new(pk, "npm", arr);
    json_object_set_new(j, "packages", pk);
    json_object_set_new(j, "hidden_by_whiteouts", hid);
    snprintf(path, sizeof(path), "%s/%s/expected-packages.json", images, tag);
    assert_int_equal(json_dump_file(j, path, 0), 0);
    json_decref(j);
}

#define GZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define ZST "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCFG "application/vnd.oci.image.config.v1+json"
#define DCFG "application/vnd.docker.container.image.v1+json"
#define DGZ "application/vnd.docker.image.rootfs.diff.tar.gzip"

static const char os_release[] = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian "
                                 "GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n";

/* A small tree shaped like /work/shared/images (same tags, whiteouts, media types). */
static void generate(void)
{
    char cmd[1400];
    snprintf(images, sizeof(images), "%s/images", tmp);
    snprintf(cmd, sizeof(cmd), "mkdir -p %s/oci/blobs/sha256 %s/docker-archive", images, images);
    run(cmd);
    const tent base[] = {
        {"./", 'd', NULL},
        {"./etc/", 'd', NULL},
        {"./etc/motd", 'f', "welcome\n"},
        {"./etc/os-release", 'l', "../usr/lib/os-release"},
        {"./usr/lib/os-release", 'f', os_release},
        {"./var/lib/dpkg/status", 'f', "Package: base-files\nVersion: 12.4\n\n"},
        {"./bin", 'l', "usr/bin"},
    };
    const tent node1[] = {
        {"app/", 'd', NULL},
        {"app/package.json", 'f', "{\"name\":\"drydock-node-app\"}"},
        {"app/debug.log", 'f', "log"},
        {"app/node_modules/lodash/package.json", 'f', "{\"version\":\"4.17.15\"}"},
        {"app/node_modules/underscore/package.json", 'f', "{\"version\":\"1.12.0\"}"},
        {"app/node_modules/underscore/lib/package.json", 'f', "{}"},
        {"app/node_modules/express/package.json", 'f', "{\"version\":\"4.17.1\"}"},
        {"app/node_modules/express/node_modules/qs/package.json", 'f', "{\"version\":\"6.7.0\"}"},
        {"app/node_modules/@scope/pkg/package.json", 'f', "{\"version\":\"1.0.0\"}"},
        {"app/tools/package.json", 'f', "{}"},
        {"app/tools/node_modules/ini/package.json", 'f', "{\"version\":\"1.3.5\"}"},
        {"app/tools/node_modules/marked/package.json", 'f', "{\"version\":\"0.3.6\"}"},
    };
    const tent node2[] = {
        {"app/.wh.debug.log", 'f', ""},
        {"app/node_modules/.wh.underscore", 'f', ""},
        {"app/tools/node_modules/", 'd', NULL},
        {"app/tools/node_modules/.wh..wh..opq", 'f', ""},
        {"app/tools/node_modules/ini/package.json", 'f', "{\"version\":\"1.3.8\"}"},
        {"app/tools/package.json", 'f', "{\"dependencies\":{\"ini\":\"1.3.8\"}}"},
    };
    const tent edge1[] = {
        {"etc/.wh.motd", 'f', ""},
        {"srv/edge-app/package.json", 'f', "{}"},
        {"srv/edge-app/node_modules/ws/package.json", 'f', "{\"version\":\"7.4.5\"}"},
        {"srv/edge-app/node_modules/y18n/package.json", 'f', "{\"version\":\"4.0.0\"}"},
    };
    glayer lb, ln1, ln2, le, leg;
    gen_layer(&lb, base, 7, 1, GZ);
    gen_layer(&ln1, node1, 12, 1, GZ);
    gen_layer(&ln2, node2, 6, 1, GZ);
    gen_layer(&le, edge1, 4, 2, ZST);
    gen_layer(&leg, edge1, 4, 1, GZ);
    char c_min[72], c_node[72], c_amd[72], c_arm[72];
    char m_min[72], m_node[72], m_amd[72], m_arm[72], m_gz[72], m_v2[72], m_idx[72];
    mbuf cb_min = {0}, cb_node = {0}, cb_amd = {0};
    glayer *lmin[] = {&lb}, *lnode[] = {&lb, &ln1, &ln2}, *ledge[] = {&lb, &le},
           *lgz[] = {&lb, &leg};
    gen_config("amd64", NULL, lmin, 1, c_min, &cb_min);
    gen_config("amd64", NULL, lnode, 3, c_node, &cb_node);
    gen_config("amd64", NULL, ledge, 2, c_amd, &cb_amd);
    gen_config("arm64", "v8", ledge, 2, c_arm, NULL);
    size_t s_min = gen_manifest(MT_OCI_MANIFEST, OCFG, c_min, cb_min.len, lmin, 1, NULL, m_min);
    size_t s_node =
        gen_manifest(MT_OCI_MANIFEST, OCFG, c_node, cb_node.len, lnode, 3, NULL, m_node);
    size_t s_amd = gen_manifest(MT_OCI_MANIFEST, OCFG, c_amd, cb_amd.len, ledge, 2, NULL, m_amd);
    char arm_path[700];
    snprintf(arm_path, sizeof(arm_path), "%s/oci/blobs/sha256/%s", images, c_arm + 7);
    mbuf arm_cfg = read_whole(arm_path);
    size_t s_arm = gen_manifest(MT_OCI_MANIFEST, OCFG, c_arm, arm_cfg.len, ledge, 2, NULL, m_arm);
    size_t s_gz = gen_manifest(MT_OCI_MANIFEST, OCFG, c_amd, cb_amd.len, lgz, 2, NULL, m_gz);
    const char *dmts[] = {DGZ, DGZ};
    size_t s_v2 = gen_manifest(MT_DOCKER_MANIFEST, DCFG, c_amd, cb_amd.len, lgz, 2, dmts, m_v2);
    char idx[2048];
    snprintf(idx, sizeof(idx),
             "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\","
             "\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":"
             "{\"architecture\":\"amd64\",\"os\":\"linux\"}},{\"mediaType\":\"%s\",\"digest\":"
             "\"%s\",\"size\":%zu,\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\","
             "\"variant\":\"v8\"}}]}",
             MT_OCI_MANIFEST, m_amd, s_amd, MT_OCI_MANIFEST, m_arm, s_arm);
    put_blob(idx, strlen(idx), m_idx);
    char top[8192];
    int o = snprintf(top, sizeof(top), "{\"schemaVersion\":2,\"manifests\":[");
    struct {
        const char *tag, *mt, *d;
        size_t size;
    } tags[] = {{"debian-bookworm-minbase", MT_OCI_MANIFEST, m_min, s_min},
                {"edge", "application/vnd.oci.image.index.v1+json", m_idx, strlen(idx)},
                {"edge-amd64", MT_OCI_MANIFEST, m_amd, s_amd},
                {"edge-arm64", MT_OCI_MANIFEST, m_arm, s_arm},
                {"edge-gzip", MT_OCI_MANIFEST, m_gz, s_gz},
                {"edge-v2s2", MT_DOCKER_MANIFEST, m_v2, s_v2},
                {"node-app", MT_OCI_MANIFEST, m_node, s_node}};
    for (size_t i = 0; i < 7; i++)
        o += snprintf(top + o, sizeof(top) - (size_t)o,
                      "%s{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"annotations\":{"
                      "\"org.opencontainers.image.ref.name\":\"%s\"}}",
                      i ? "," : "", tags[i].mt, tags[i].d, tags[i].size, tags[i].tag);
    snprintf(top + o, sizeof(top) - (size_t)o, "]}");
    snprintf(cmd, sizeof(cmd), "%s/oci/index.json", images);
    write_file(cmd, top, strlen(top));
    snprintf(cmd, sizeof(cmd), "%s/oci/oci-layout", images);
    write_file(cmd, "{\"imageLayoutVersion\":\"1.0.0\"}", 30);

    const char *node_npm[] = {"/app/node_modules/lodash", "/app/node_modules/express",
                              "/app/node_modules/express/node_modules/qs",
                              "/app/node_modules/@scope/pkg", "/app/tools/node_modules/ini"};
    const char *node_hidden[] = {"/app/node_modules/underscore",   "1.12.0",
                                 "/app/tools/node_modules/ini",    "1.3.5",
                                 "/app/tools/node_modules/marked", "0.3.6"};
    const char *edge_npm[] = {"/srv/edge-app/node_modules/ws", "/srv/edge-app/node_modules/y18n"};
    gen_expected("node-app", node_npm, 5, node_hidden, 3);
    gen_expected("edge", edge_npm, 2, NULL, 0);
    gen_expected("edge-v2s2", edge_npm, 2, NULL, 0);

    /* docker-archive: uncompressed layer members named by diff_id, a legacy link, gzip'ed */
    mbuf da = {NULL, 0, 0};
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    assert_int_equal(archive_write_open(a, &da, NULL, mb_write, NULL), ARCHIVE_OK);
    struct {
        char name[200];
        const mbuf *data;
        const char *link;
    } mem[16];
    size_t nm = 0;
    glayer *all[] = {&lb, &ln1, &ln2, &leg};
    for (size_t i = 0; i < 4; i++) {
        snprintf(mem[nm].name, sizeof(mem[nm].name), "%s.tar", all[i]->diff_id + 7);
        mem[nm].data = &all[i]->tar;
        mem[nm++].link = NULL;
    }
    snprintf(mem[nm].name, sizeof(mem[nm].name), "legacy/layer.tar");
    mem[nm].data = NULL;
    char legacy_target[200];
    snprintf(legacy_target, sizeof(legacy_target), "../%s.tar", ln2.diff_id + 7);
    mem[nm++].link = legacy_target;
    const mbuf *cfgs[] = {&cb_min, &cb_node, &cb_amd};
    const char *cfgd[] = {c_min, c_node, c_amd};
    for (size_t i = 0; i < 3; i++) {
        snprintf(mem[nm].name, sizeof(mem[nm].name), "%s.json", cfgd[i] + 7);
        mem[nm].data = cfgs[i];
        mem[nm++].link = NULL;
    }
    char manifest[4096];
    snprintf(manifest, sizeof(manifest),
             "[{\"Config\":\"%s.json\",\"RepoTags\":[\"docker.io/drydock-fixtures/"
             "debian-bookworm-minbase:latest\"],\"Layers\":[\"%s.tar\"]},"
             "{\"Config\":\"%s.json\",\"RepoTags\":[\"docker.io/drydock-fixtures/node-app:latest\"]"
             ",\"Layers\":[\"%s.tar\",\"%s.tar\",\"legacy/layer.tar\"]},"
             "{\"Config\":\"%s.json\",\"RepoTags\":[\"docker.io/drydock-fixtures/edge:latest\"],"
             "\"Layers\":[\"%s.tar\",\"%s.tar\"]}]",
             c_min + 7, lb.diff_id + 7, c_node + 7, lb.diff_id + 7, ln1.diff_id + 7, c_amd + 7,
             lb.diff_id + 7, leg.diff_id + 7);
    mbuf mf = {NULL, 0, 0};
    mb_add(&mf, manifest, strlen(manifest));
    snprintf(mem[nm].name, sizeof(mem[nm].name), "manifest.json");
    mem[nm].data = &mf;
    mem[nm++].link = NULL;
    for (size_t i = 0; i < nm; i++) {
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, mem[i].name);
        if (mem[i].link) {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_perm(e, 0777);
            archive_entry_set_symlink(e, mem[i].link);
        } else {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0444);
            archive_entry_set_size(e, (la_int64_t)mem[i].data->len);
        }
        assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
        if (!mem[i].link)
            archive_write_data(a, mem[i].data->p, mem[i].data->len);
        archive_entry_free(e);
    }
    assert_int_equal(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);
    snprintf(cmd, sizeof(cmd), "%s/docker-archive/shared-images.tar.gz", images);
    write_file(cmd, da.p, da.len);
    glayer *gl[] = {&lb, &ln1, &ln2, &le, &leg};
    for (size_t i = 0; i < 5; i++) {
        free(gl[i]->blob.p);
        free(gl[i]->tar.p);
    }
    free(da.p);
    free(mf.p);
    free(cb_min.p);
    free(cb_node.p);
    free(cb_amd.p);
    free(arm_cfg.p);
}

static int setup(void **state)
{
    (void)state;
    char probe[600];
    snprintf(tmp, sizeof(tmp), "/tmp/dd-test-source-XXXXXX");
    assert_non_null(mkdtemp(tmp));
    snprintf(probe, sizeof(probe), "%s/oci/index.json", DD_SHARED_IMAGES);
    if (access(probe, R_OK) == 0) {
        snprintf(images, sizeof(images), "%s", DD_SHARED_IMAGES);
    } else {
        print_message("shared images absent: generating a small tree of the same shape\n");
        generate();
        generated = 1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
    return system(cmd);
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_node_app(void **state)
{
    (void)state;
    json_t *exp = expected("node-app");
    dd_image *img = open_ok(target("oci:%s/oci:%s", "node-app"), NULL);
    const dd_image_info *info = dd_image_get_info(img);
    assert_int_equal(info->transport, DD_IMAGE_TRANSPORT_OCI);
    assert_string_equal(info->manifest_media_type, MT_OCI_MANIFEST);
    assert_string_equal(info->platform, "linux/amd64");
    assert_string_equal(info->os, "linux");
    assert_string_equal(info->architecture, "amd64");
    assert_string_equal(info->index_digest, "");
    assert_int_equal(info->n_layers, 3);
    assert_int_equal(info->n_repo_tags, 1);
    assert_string_equal(info->repo_tags[0], "node-app");
    if (!generated) {
        assert_string_equal(info->manifest_digest,
                            json_string_value(json_object_get(exp, "manifest_digest")));
        assert_string_equal(info->config_digest,
                            json_string_value(json_object_get(exp, "config_digest")));
        json_t *layers = json_object_get(exp, "layers");
        for (size_t i = 0; i < 3; i++) {
            json_t *l = json_array_get(layers, i);
            assert_string_equal(info->layers[i].digest,
                                json_string_value(json_object_get(l, "digest")));
            assert_string_equal(info->layers[i].diff_id,
                                json_string_value(json_object_get(l, "diff_id")));
            assert_string_equal(info->layers[i].media_type,
                                json_string_value(json_object_get(l, "mediaType")));
            assert_int_equal(info->layers[i].size, json_integer_value(json_object_get(l, "size")));
        }
    }
    dd_read_stats st;
    dd_read_options ro = DD_READ_OPTIONS_INIT;
    ro.stats = &st;
    dd_rootfs *fs = read_ok(img, &ro);
    assert_int_equal(st.layers_read, 3);
    assert_int_equal(st.layers_cached, 0);
    assert_int_equal(st.compressed_bytes,
                     info->layers[0].size + info->layers[1].size + info->layers[2].size);
    assert_true(st.decompressed_bytes > st.compressed_bytes);
    assert_int_equal(dd_rootfs_n_layers(fs), 3);
    assert_string_equal(dd_rootfs_layer_digest(fs, 2), info->layers[2].digest);
    check_debian(fs);
    check_npm(fs, exp, "app/");
    const dd_rfile *ini = dd_rootfs_get(fs, "app/tools/node_modules/ini/package.json");
    assert_non_null(ini);
    assert_int_equal(ini->layer, 2);
    assert_non_null(memmem(ini->data, ini->len, "1.3.8", 5));
    assert_null(dd_rootfs_get(fs, "app/node_modules/underscore/package.json"));
    assert_null(dd_rootfs_get(fs, "app/tools/node_modules/marked/package.json"));
    const dd_rfile *motd = dd_rootfs_get(fs, "etc/motd");
    assert_non_null(motd);
    assert_int_equal(motd->layer, 0);
    const dd_rfile *proj = dd_rootfs_get(fs, "app/package.json");
    assert_non_null(proj);
    assert_int_equal(proj->layer, generated ? 1 : 2);
    dd_rootfs_free(fs);
    dd_image_free(img);
    json_decref(exp);
}

static void check_edge(dd_image *img, const char *platform)
{
    json_t *exp = expected("edge");
    const dd_image_info *info = dd_image_get_info(img);
    assert_string_equal(info->platform, platform);
    assert_int_equal(info->n_layers, 2);
    dd_rootfs *fs = read_ok(img, NULL);
    check_debian(fs);
    check_npm(fs, exp, "srv/");
    assert_null(dd_rootfs_get(fs, "etc/motd")); /* etc/.wh.motd */
    dd_rootfs_free(fs);
    json_decref(exp);
}

static void test_edge_platforms(void **state)
{
    (void)state;
    json_t *exp = expected("edge");
    const char *t = target("oci:%s/oci:%s", "edge");
    dd_image *amd = open_ok(t, "linux/amd64");
    const dd_image_info *ia = dd_image_get_info(amd);
    assert_string_not_equal(ia->index_digest, "");
    assert_string_equal(ia->architecture, "amd64");
    assert_string_equal(ia->layers[1].media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
    if (!generated)
        assert_string_equal(ia->manifest_digest,
                            json_string_value(json_object_get(exp, "manifest_digest")));
    check_edge(amd, "linux/amd64");

    dd_image *arm = open_ok(t, "linux/arm64/v8");
    const dd_image_info *ib = dd_image_get_info(arm);
    assert_string_equal(ib->index_digest, ia->index_digest);
    assert_string_not_equal(ib->manifest_digest, ia->manifest_digest);
    assert_string_equal(ib->architecture, "arm64");
    assert_string_equal(ib->variant, "v8");
    assert_string_equal(ib->layers[1].digest, ia->layers[1].digest); /* the zstd layer */
    check_edge(arm, "linux/arm64/v8");
    /* arm64 without a variant means v8; aarch64 is arm64 */
    dd_image *arm2 = open_ok(t, "linux/arm64");
    assert_string_equal(dd_image_get_info(arm2)->manifest_digest, ib->manifest_digest);
    dd_image_free(arm2);
    arm2 = open_ok(t, "linux/aarch64");
    assert_string_equal(dd_image_get_info(arm2)->manifest_digest, ib->manifest_digest);
    dd_image_free(arm2);
    /* the host's platform by default */
    char host[128];
    dd_image_host_platform(host, sizeof(host));
    if (strcmp(host, "linux/amd64") == 0 || strcmp(host, "linux/arm64/v8") == 0) {
        dd_image *h = open_ok(t, NULL);
        assert_string_equal(dd_image_get_info(h)->platform, host);
        dd_image_free(h);
    }
    /* no match: the error lists what the index offers */
    dd_image *none = NULL;
    dd_err err = DD_ERR_INIT;
    dd_image_options o = {"linux/s390x", NULL};
    assert_int_equal(dd_image_open(&none, t, &o, &err), DD_ENOTFOUND);
    assert_null(none);
    assert_non_null(strstr(err.msg, "linux/s390x"));
    assert_non_null(strstr(err.msg, "available: linux/amd64, linux/arm64/v8"));
    o.platform = "linux/arm/v7";
    assert_int_equal(dd_image_open(&none, t, &o, &err), DD_ENOTFOUND);
    o.platform = "linux";
    assert_int_equal(dd_image_open(&none, t, &o, &err), DD_EINVALID);
    o.platform = "linux/amd64/v2/x";
    assert_int_equal(dd_image_open(&none, t, &o, &err), DD_EINVALID);
    dd_image_free(amd);
    dd_image_free(arm);
    json_decref(exp);
}

static void test_edge_v2s2(void **state)
{
    (void)state;
    json_t *exp = expected("edge-v2s2");
    dd_image *img = open_ok(target("oci:%s/oci:%s", "edge-v2s2"), NULL);
    const dd_image_info *info = dd_image_get_info(img);
    assert_string_equal(info->manifest_media_type, MT_DOCKER_MANIFEST);
    assert_string_equal(info->layers[0].media_type, DGZ);
    assert_string_equal(info->layers[1].media_type, DGZ);
    if (!generated)
        assert_string_equal(info->manifest_digest,
                            json_string_value(json_object_get(exp, "manifest_digest")));
    dd_rootfs *fs = read_ok(img, NULL);
    check_debian(fs);
    check_npm(fs, exp, "srv/");
    assert_null(dd_rootfs_get(fs, "etc/motd"));
    dd_rootfs_free(fs);
    dd_image_free(img);
    json_decref(exp);
}

static char *oci_dump(const char *tag)
{
    dd_image *img = open_ok(target("oci:%s/oci:%s", tag), "linux/amd64");
    dd_rootfs *fs = read_ok(img, NULL);
    char *d = dump(fs);
    dd_rootfs_free(fs);
    dd_image_free(img);
    return d;
}

static void test_docker_archive(void **state)
{
    (void)state;
    const char *names[] = {"debian-bookworm-minbase", "node-app", "edge"};
    const char *oci_tags[] = {"debian-bookworm-minbase", "node-app", "edge-gzip"};
    char t[1200], plain[600];
    dd_err err = DD_ERR_INIT;
    dd_image *img = NULL;
    /* several images and none chosen: the error lists them */
    snprintf(t, sizeof(t), "docker-archive:%s/docker-archive/shared-images.tar.gz", images);
    assert_int_equal(dd_image_open(&img, t, NULL, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "holds 3 images"));
    assert_non_null(strstr(err.msg, "@1 docker.io/drydock-fixtures/node-app:latest"));
    snprintf(t, sizeof(t), "docker-archive:%s/docker-archive/shared-images.tar.gz:@3", images);
    assert_int_equal(dd_image_open(&img, t, NULL, &err), DD_ENOTFOUND);
    snprintf(t, sizeof(t), "docker-archive:%s/docker-archive/shared-images.tar.gz:nope:1", images);
    assert_int_equal(dd_image_open(&img, t, NULL, &err), DD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "images: @0"));

    for (size_t i = 0; i < 3; i++) {
        char *want = oci_dump(oci_tags[i]);
        dd_image *oci = open_ok(target("oci:%s/oci:%s", oci_tags[i]), NULL);
        const dd_image_info *oi = dd_image_get_info(oci);
        /* by RepoTag, by a short reference, by @N: the same image */
        const char *refs[3];
        char r0[200], r1[200], r2[16];
        snprintf(r0, sizeof(r0), "docker.io/drydock-fixtures/%s:latest", names[i]);
        snprintf(r1, sizeof(r1), "drydock-fixtures/%s", names[i]);
        snprintf(r2, sizeof(r2), "@%zu", i);
        refs[0] = r0;
        refs[1] = r1;
        refs[2] = r2;
        for (size_t r = 0; r < 3; r++) {
            snprintf(t, sizeof(t), "docker-archive:%s/docker-archive/shared-images.tar.gz:%s",
                     images, refs[r]);
            img = open_ok(t, NULL);
            const dd_image_info *info = dd_image_get_info(img);
            assert_int_equal(info->transport, DD_IMAGE_TRANSPORT_DOCKER_ARCHIVE);
            assert_string_equal(info->config_digest, oi->config_digest);
            assert_string_equal(info->manifest_digest, "");
            assert_string_equal(info->platform, "linux/amd64");
            assert_int_equal(info->n_repo_tags, 1);
            assert_string_equal(info->repo_tags[0], r0);
            assert_int_equal(info->n_layers, oi->n_layers);
            for (size_t l = 0; l < info->n_layers; l++) {
                assert_string_equal(info->layers[l].diff_id, oi->layers[l].diff_id);
                assert_string_equal(info->layers[l].digest, oi->layers[l].diff_id);
            }
            if (r == 2) {
                dd_read_stats st;
                dd_read_options ro = DD_READ_OPTIONS_INIT;
                ro.stats = &st;
                dd_rootfs *fs = read_ok(img, &ro);
                uint64_t members = 0;
                for (size_t l = 0; l < info->n_layers; l++)
                    members += info->layers[l].size;
                assert_int_equal(st.layers_read, info->n_layers);
                assert_int_equal(st.compressed_bytes, members); /* each member read once */
                char *got = dump(fs);
                assert_string_equal(got, want);
                if (i == 1) {
                    json_t *exp = expected("node-app");
                    check_debian(fs);
                    check_npm(fs, exp, "app/");
                    json_decref(exp);
                }
                free(got);
                dd_rootfs_free(fs);
            }
            dd_image_free(img);
        }
        dd_image_free(oci);
        free(want);
    }

    /* the same archive uncompressed (seekable) */
    snprintf(plain, sizeof(plain), "%s/plain.tar", tmp);
    snprintf(t, sizeof(t), "zcat %s/docker-archive/shared-images.tar.gz > %s", images, plain);
    run(t);
    snprintf(t, sizeof(t), "docker-archive:%s:docker.io/drydock-fixtures/node-app:latest", plain);
    img = open_ok(t, NULL);
    char *want = oci_dump("node-app");
    dd_rootfs *fs = read_ok(img, NULL);
    char *got = dump(fs);
    assert_string_equal(got, want);
    free(got);
    free(want);
    dd_rootfs_free(fs);
    dd_image_free(img);
    /* no such archive */
    snprintf(t, sizeof(t), "docker-archive:%s/nothing.tar", tmp);
    assert_int_equal(dd_image_open(&img, t, NULL, &err), DD_ENOTFOUND);
    unlink(plain);
}

static void test_dir(void **state)
{
    (void)state;
    char root[300], cmd[4096];
    snprintf(root, sizeof(root), "%s/rootfs", tmp);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s/etc %s/usr/lib %s/var/lib/dpkg %s/app/node_modules/a && "
             "printf 'PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\\n' > %s/usr/lib/os-release "
             "&& ln -s ../usr/lib/os-release %s/etc/os-release && "
             "printf 'Package: dash\\n' > %s/var/lib/dpkg/status && "
             "echo '{}' > %s/app/node_modules/a/package.json",
             root, root, root, root, root, root, root, root);
    run(cmd);
    snprintf(cmd, sizeof(cmd), "dir:%s", root);
    dd_image *img = open_ok(cmd, NULL);
    const dd_image_info *info = dd_image_get_info(img);
    assert_int_equal(info->transport, DD_IMAGE_TRANSPORT_DIR);
    assert_int_equal(info->n_layers, 0);
    assert_string_equal(info->platform, "");
    assert_string_equal(info->manifest_digest, "");
    dd_read_stats st;
    dd_read_options ro = DD_READ_OPTIONS_INIT;
    ro.stats = &st;
    dd_rootfs *fs = read_ok(img, &ro);
    assert_int_equal(st.layers_read, 1);
    check_debian(fs);
    assert_non_null(dd_rootfs_get(fs, "app/node_modules/a/package.json"));
    assert_int_equal(dd_rootfs_count(fs), 3);
    dd_rootfs_free(fs);
    dd_image_free(img);
    dd_err err = DD_ERR_INIT;
    snprintf(cmd, sizeof(cmd), "dir:%s/none", tmp);
    assert_int_equal(dd_image_open(&img, cmd, NULL, &err), DD_ENOTFOUND);
    snprintf(cmd, sizeof(cmd), "dir:%s/usr/lib/os-release", root);
    assert_int_equal(dd_image_open(&img, cmd, NULL, &err), DD_EINVALID);
}

static size_t remove_cache_bytes(const char *cache, const char *digest)
{
    size_t n = 0;
    DIR *d = opendir(cache);
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
        if (strstr(e->d_name, digest + 7) == NULL)
            continue;
        char path[1200];
        snprintf(path, sizeof(path), "%s/%s", cache, e->d_name);
        assert_int_equal(truncate(path, 100), 0); /* a cut file: ignored, re-read */
        n++;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

static void test_cache_shared_base(void **state)
{
    (void)state;
    char cache[400];
    snprintf(cache, sizeof(cache), "%s/cache", tmp);
    dd_read_stats st;
    dd_read_options ro = DD_READ_OPTIONS_INIT;
    ro.cache_dir = cache;
    ro.cache_key = "test-catalogers/1";
    ro.stats = &st;
    dd_image *base = open_ok(target("oci:%s/oci:%s", "debian-bookworm-minbase"), NULL);
    dd_rootfs *fs = read_ok(base, &ro);
    assert_int_equal(st.layers_read, 1);
    assert_int_equal(st.layers_cached, 0);
    dd_rootfs_free(fs);

    char *want = oci_dump("node-app");
    dd_image *node = open_ok(target("oci:%s/oci:%s", "node-app"), NULL);
    const dd_image_info *info = dd_image_get_info(node);
    fs = read_ok(node, &ro);
    assert_int_equal(st.layers_read, 2); /* the base layer came from the cache */
    assert_int_equal(st.layers_cached, 1);
    assert_int_equal(st.compressed_bytes, info->layers[1].size + info->layers[2].size);
    char *got = dump(fs);
    assert_string_equal(got, want);
    free(got);
    dd_rootfs_free(fs);

    fs = read_ok(node, &ro);
    assert_int_equal(st.layers_read, 0);
    assert_int_equal(st.layers_cached, 3);
    assert_int_equal(st.compressed_bytes, 0);
    check_debian(fs);
    dd_rootfs_free(fs);

    /* a corrupt (truncated) cache file is ignored and replaced */
    assert_int_equal(remove_cache_bytes(cache, info->layers[0].digest), 1);
    fs = read_ok(node, &ro);
    assert_int_equal(st.layers_read, 1);
    assert_int_equal(st.layers_cached, 2);
    got = dump(fs);
    assert_string_equal(got, want);
    free(got);
    dd_rootfs_free(fs);
    fs = read_ok(node, &ro);
    assert_int_equal(st.layers_cached, 3);
    dd_rootfs_free(fs);
    free(want);
    dd_image_free(node);
    dd_image_free(base);
}

/* ---- registry: a data directory filled through the store and db interfaces -------------- */

typedef struct reg {
    char dir[400];
    dd_store *store;
    dd_db *db;
} reg;

static void push_blob(reg *r, const char *repo, const char *digest)
{
    char path[700], got[72];
    dd_err err = DD_ERR_INIT;
    snprintf(path, sizeof(path), "%s/oci/blobs/sha256/%s", images, digest + 7);
    mbuf b = read_whole(path);
    assert_int_equal(dd_store_put_blob(r->store, b.p, b.len, digest, got, &err), 0);
    assert_int_equal(dd_db_blob_link(r->db, repo, digest, b.len, 1000, &err), 0);
    free(b.p);
}

/* Pushes the manifest (or index, with its manifests) `digest` of the OCI layout to repo. */
static void push_manifest(reg *r, const char *repo, const char *digest, const char *tag)
{
    char path[700];
    dd_err err = DD_ERR_INIT;
    dd_manifest *m = NULL;
    snprintf(path, sizeof(path), "%s/oci/blobs/sha256/%s", images, digest + 7);
    mbuf b = read_whole(path);
    assert_int_equal(dd_manifest_parse(&m, b.p, b.len, NULL, &err), 0);
    dd_db_ref refs[64];
    size_t n = 0;
    if (m->kind == DD_MANIFEST_IMAGE) {
        push_blob(r, repo, m->config.digest);
        refs[n++] = (dd_db_ref){m->config.digest, DD_REF_BLOB};
        for (size_t i = 0; i < m->n_layers; i++) {
            push_blob(r, repo, m->layers[i].digest);
            refs[n++] = (dd_db_ref){m->layers[i].digest, DD_REF_BLOB};
        }
    } else {
        for (size_t i = 0; i < m->n_manifests; i++) {
            push_manifest(r, repo, m->manifests[i].digest, NULL);
            refs[n++] = (dd_db_ref){m->manifests[i].digest, DD_REF_MANIFEST};
        }
    }
    char got[72];
    assert_int_equal(dd_store_put_blob(r->store, b.p, b.len, digest, got, &err), 0);
    dd_db_manifest_in in = {.repo = repo,
                            .digest = digest,
                            .media_type = m->media_type,
                            .size = b.len,
                            .tag = tag,
                            .refs = refs,
                            .n_refs = n,
                            .now_ms = 1000};
    if (dd_db_manifest_put(r->db, &in, &err) != 0)
        fail_msg("manifest put: %s", err.msg);
    dd_manifest_free(m);
    free(b.p);
}

static void test_registry(void **state)
{
    (void)state;
    reg r;
    char path[600], t[700];
    dd_err err = DD_ERR_INIT;
    snprintf(r.dir, sizeof(r.dir), "%s/data", tmp);
    snprintf(path, sizeof(path), "%s/metadata.sqlite", r.dir);
    assert_int_equal(dd_store_open(&r.store, r.dir, &err), 0);
    assert_int_equal(dd_db_open(&r.db, path, &err), 0);
    dd_image *oci = open_ok(target("oci:%s/oci:%s", "node-app"), NULL);
    char node_digest[72];
    snprintf(node_digest, sizeof(node_digest), "%s", dd_image_get_info(oci)->manifest_digest);
    dd_image_free(oci);
    push_manifest(&r, "fixtures/node-app", node_digest, "v1");
    oci = open_ok(target("oci:%s/oci:%s", "edge"), NULL);
    char idx_digest[72];
    snprintf(idx_digest, sizeof(idx_digest), "%s", dd_image_get_info(oci)->index_digest);
    dd_image_free(oci);
    push_manifest(&r, "fixtures/edge", idx_digest, "multi");
    dd_store_close(r.store);
    dd_db_close(r.db);

    dd_image_options o = DD_IMAGE_OPTIONS_INIT;
    o.data_dir = r.dir;
    dd_image *img = NULL;
    assert_int_equal(dd_image_open(&img, "registry:fixtures/node-app:v1", &o, &err), 0);
    const dd_image_info *info = dd_image_get_info(img);
    assert_int_equal(info->transport, DD_IMAGE_TRANSPORT_REGISTRY);
    assert_string_equal(info->manifest_digest, node_digest);
    assert_string_equal(info->repo_tags[0], "fixtures/node-app:v1");
    dd_rootfs *fs = read_ok(img, NULL);
    char *got = dump(fs), *want = oci_dump("node-app");
    assert_string_equal(got, want);
    free(got);
    free(want);
    dd_rootfs_free(fs);
    dd_image_free(img);

    snprintf(t, sizeof(t), "registry:fixtures/node-app@%s", node_digest);
    assert_int_equal(dd_image_open(&img, t, &o, &err), 0);
    assert_int_equal(dd_image_get_info(img)->n_repo_tags, 0);
    dd_image_free(img);

    o.platform = "linux/arm64/v8";
    assert_int_equal(dd_image_open(&img, "registry:fixtures/edge:multi", &o, &err), 0);
    info = dd_image_get_info(img);
    assert_string_equal(info->index_digest, idx_digest);
    assert_string_equal(info->platform, "linux/arm64/v8");
    assert_string_equal(info->architecture, "arm64");
    fs = read_ok(img, NULL);
    assert_null(dd_rootfs_get(fs, "etc/motd"));
    check_debian(fs);
    dd_rootfs_free(fs);
    dd_image_free(img);

    assert_int_equal(dd_image_open(&img, "registry:fixtures/edge:nope", &o, &err), DD_ENOTFOUND);
    assert_int_equal(dd_image_open(&img, "registry:nothing/here:v1", &o, &err), DD_ENOTFOUND);
    assert_int_equal(dd_image_open(&img, "registry:Bad_Name:v1", &o, &err), DD_EINVALID);
    o.data_dir = NULL;
    assert_int_equal(dd_image_open(&img, "registry:fixtures/edge:multi", &o, &err), DD_EINVALID);
    snprintf(path, sizeof(path), "%s/empty", tmp);
    o.data_dir = path;
    assert_int_equal(dd_image_open(&img, "registry:fixtures/edge:multi", &o, &err), DD_ENOTFOUND);
    assert_int_not_equal(access(path, F_OK), 0); /* nothing created */
}

/* index.json -> a Docker manifest list without platforms -> the edge OCI index -> manifests. */
static void test_nested_index(void **state)
{
    (void)state;
    char root[400], cmd[1600], idx[1024], d[72], path[700];
    snprintf(root, sizeof(root), "%s/nested", tmp);
    snprintf(cmd, sizeof(cmd),
             "mkdir -p %s/blobs/sha256 && ln -s %s/oci/blobs/sha256/* %s/blobs/sha256/", root,
             images, root);
    run(cmd);
    dd_image *edge = open_ok(target("oci:%s/oci:%s", "edge"), "linux/arm64/v8");
    const dd_image_info *ei = dd_image_get_info(edge);
    snprintf(path, sizeof(path), "%s/oci/blobs/sha256/%s", images, ei->index_digest + 7);
    mbuf ib = read_whole(path);
    snprintf(idx, sizeof(idx),
             "{\"schemaVersion\":2,\"mediaType\":"
             "\"application/vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":["
             "{\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"digest\":\"%s\","
             "\"size\":%zu}]}",
             ei->index_digest, ib.len);
    assert_int_equal(dd_digest_buf(d, idx, strlen(idx)), 0);
    snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, d + 7);
    write_file(path, idx, strlen(idx));
    snprintf(cmd, sizeof(cmd),
             "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
             "\"application/vnd.docker.distribution.manifest.list.v2+json\",\"digest\":\"%s\","
             "\"size\":%zu}]}",
             d, strlen(idx));
    snprintf(path, sizeof(path), "%s/index.json", root);
    write_file(path, cmd, strlen(cmd));
    snprintf(path, sizeof(path), "oci:%s", root); /* a single entry: no tag needed */
    dd_image *img = open_ok(path, "linux/arm64/v8");
    const dd_image_info *info = dd_image_get_info(img);
    assert_string_equal(info->index_digest, d); /* the outermost index */
    assert_string_equal(info->manifest_digest, ei->manifest_digest);
    assert_string_equal(info->platform, "linux/arm64/v8");
    assert_int_equal(info->n_repo_tags, 0);
    dd_image_free(img);
    dd_err err = DD_ERR_INIT;
    dd_image_options o = {"linux/ppc64le", NULL};
    assert_int_equal(dd_image_open(&img, path, &o, &err), DD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "linux/arm64/v8"));
    dd_image_free(edge);
    free(ib.p);
}

static void test_target_errors(void **state)
{
    (void)state;
    dd_image *img = NULL;
    dd_err err = DD_ERR_INIT;
    char t[700];
    assert_int_equal(dd_image_open(&img, "nonsense", NULL, &err), DD_EINVALID);
    assert_int_equal(dd_image_open(&img, "docker://alpine", NULL, &err), DD_EUNSUPPORTED);
    assert_int_equal(dd_image_open(&img, "oci:", NULL, &err), DD_EINVALID);
    snprintf(t, sizeof(t), "oci:%s/nowhere", tmp);
    assert_int_equal(dd_image_open(&img, t, NULL, &err), DD_ENOTFOUND);
    snprintf(t, sizeof(t), "oci:%s/oci", images);
    assert_int_equal(dd_image_open(&img, t, NULL, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "holds 7 images"));
    assert_non_null(strstr(err.msg, "node-app"));
    snprintf(t, sizeof(t), "oci:%s/oci:nope", images);
    assert_int_equal(dd_image_open(&img, t, NULL, &err), DD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "edge-v2s2"));
    assert_null(img);
    char host[128];
    dd_image_host_platform(host, sizeof(host));
    assert_true(strncmp(host, "linux/", 6) == 0);
#if defined(__x86_64__)
    assert_string_equal(host, "linux/amd64");
#elif defined(__aarch64__)
    assert_string_equal(host, "linux/arm64/v8");
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_node_app),      cmocka_unit_test(test_edge_platforms),
        cmocka_unit_test(test_edge_v2s2),     cmocka_unit_test(test_docker_archive),
        cmocka_unit_test(test_dir),           cmocka_unit_test(test_cache_shared_base),
        cmocka_unit_test(test_registry),      cmocka_unit_test(test_nested_index),
        cmocka_unit_test(test_target_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
