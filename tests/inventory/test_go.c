/* Tests of the Go cataloger: build info (real .go.buildinfo section), the ELF stream extractor,
 * go.mod (real trivy fixtures) and the cataloger over a rootfs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "inventory/catalog.h"
#include "inventory/elf.h"
#include "inventory/go.h"
#include "util/alloc.h"

#define LANG DD_FIXTURES "/pkgdb/lang/go/"
#define BUILDINFO LANG "buildinfo/binary_with_module_replacement-linux-amd64.go.buildinfo"

static void expect(const dd_pkg_list *l, const char *name, const char *version)
{
    const dd_pkg *p = itest_find(l, name, NULL);
    if (p == NULL)
        fail_msg("package %s missing", name);
    assert_string_equal(p->version, version);
}

/* Counts lines starting with prefix in [b, b+len). */
static size_t count_lines(const uint8_t *b, size_t len, const char *prefix)
{
    size_t n = 0, pl = strlen(prefix);
    for (size_t i = 0; i + pl <= len; i++)
        if ((i == 0 || b[i - 1] == '\n') && memcmp(b + i, prefix, pl) == 0)
            n++;
    return n;
}

static void test_buildinfo_real(void **state)
{
    (void)state;
    size_t len;
    uint8_t *b = itest_slurp(BUILDINFO, &len);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_go_parse_buildinfo(b, len, "/app", 3, &l, &err), 0);
    /* main module + one package per dep line + stdlib */
    size_t deps = count_lines(b, len, "dep\t");
    assert_int_equal(deps, 1);
    assert_int_equal(l.n, 1 + deps + 1);
    expect(&l, "binary_with_module_replacement", "(devel)");
    /* "dep golang.org/x/xerrors" is replaced ("=>") by github.com/golang/xerrors */
    expect(&l, "github.com/golang/xerrors", "v0.0.0-20220907171357-04be3eba64a2");
    assert_null(itest_find(&l, "golang.org/x/xerrors", NULL));
    expect(&l, "stdlib", "go1.22.0");
    for (size_t i = 0; i < l.n; i++) {
        assert_int_equal(l.items[i].type, DD_PKG_GOBINARY);
        assert_int_equal(l.items[i].layer, 3);
        assert_false(l.items[i].declared_only);
        assert_int_equal(l.items[i].paths.n, 1);
        assert_string_equal(l.items[i].paths.items[0], "/app");
    }
    dd_pkg_list_free(&l);

    /* Every truncation and single-byte corruption fails cleanly or parses: never reads out of
     * bounds (checked under ASan), never leaves half results on error. */
    for (size_t n = 0; n < len; n++) {
        dd_err e = DD_ERR_INIT;
        int rc = dd_go_parse_buildinfo(b, n, "/app", 0, &l, &e);
        if (rc != 0) {
            assert_int_equal(rc, DD_EINVALID);
            assert_int_equal(l.n, 0);
        }
        dd_pkg_list_free(&l);
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t *c = malloc(len);
        memcpy(c, b, len);
        c[i] ^= 0x5a;
        dd_err e = DD_ERR_INIT;
        int rc = dd_go_parse_buildinfo(c, len, "/app", 0, &l, &e);
        assert_true(rc == 0 || rc == DD_EINVALID);
        dd_pkg_list_free(&l);
        free(c);
    }
    free(b);
}

static void test_buildinfo_inline_made(void **state)
{
    (void)state;
    /* A build info written like the Go linker does, with a local replacement and a dep. */
    static const char mod[] = "path\texample.com/cmd\n"
                              "mod\texample.com/cmd\tv1.2.3\th1:x=\n"
                              "dep\tgithub.com/a/b\tv0.1.0\th1:y=\n"
                              "dep\tgithub.com/c/d\tv1.0.0\th1:z=\n"
                              "=>\t../d\t\t\n"
                              "dep\tgithub.com/e/f\tv2.0.0+incompatible\n"
                              "build\t-compiler=gc\n";
    uint8_t b[512];
    memset(b, 0, sizeof(b));
    memcpy(b, "\xff Go buildinf:", 14);
    b[14] = 8;
    b[15] = 2;
    size_t off = 32;
    b[off++] = 8;
    memcpy(b + off, "go1.21.3", 8);
    off += 8;
    size_t ml = 16 + sizeof(mod) - 1 + 16;
    b[off++] = (uint8_t)(ml | 0x80);
    b[off++] = (uint8_t)(ml >> 7);
    memset(b + off, 0xaa, 16);
    memcpy(b + off + 16, mod, sizeof(mod) - 1);
    memset(b + off + 16 + sizeof(mod) - 1, 0xbb, 16);
    off += ml;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_go_parse_buildinfo(b, off, "/x", 0, &l, &err), 0);
    assert_int_equal(l.n, 5);
    expect(&l, "example.com/cmd", "v1.2.3");
    expect(&l, "github.com/a/b", "v0.1.0");
    expect(&l, "github.com/c/d", ""); /* local replacement: version unknown, never guessed */
    expect(&l, "github.com/e/f", "v2.0.0+incompatible");
    expect(&l, "stdlib", "go1.21.3");
    dd_pkg_list_free(&l);

    /* A "dep" line with a single field is invalid, as in debug/buildinfo. */
    uint8_t *p = memmem(b, off, "dep\tgithub.com/a/b\tv0.1.0", 25);
    assert_non_null(p);
    p[18] = ' ';
    p[25] = ' ';
    assert_int_equal(dd_go_parse_buildinfo(b, off, "/x", 0, &l, &err), DD_EINVALID);
    assert_int_equal(l.n, 0);

    /* Pointer format (Go < 1.18): stdlib with an unknown version, no modules. */
    b[15] = 0;
    assert_int_equal(dd_go_parse_buildinfo(b, 32, "/x", 0, &l, &err), 0);
    assert_int_equal(l.n, 1);
    expect(&l, "stdlib", "");
    dd_pkg_list_free(&l);
}

static void test_extractor(void **state)
{
    (void)state;
    size_t bl, sl;
    uint8_t *bi = itest_slurp(BUILDINFO, &bl);
    uint8_t *self =
        itest_slurp("/proc/self/exe", &sl); /* a real ELF file to embed the section in */
    /* self, a decoy magic (unaligned), a decoy magic (aligned, garbage header), then the real
     * section at a 16-byte aligned offset, then filler. */
    size_t cap = sl + 64 + 64 + bl + 100000;
    uint8_t *img = calloc(1, cap);
    memcpy(img, self, sl);
    size_t off = sl + 3;
    memcpy(img + off, "\xff Go buildinf:", 14);
    off = (off + 14 + 15) & ~(size_t)15;
    memcpy(img + off, "\xff Go buildinf:xyz", 17);
    off += 32;
    size_t ptr_at = off; /* a pointer-format header (Go < 1.18): an inline one after it wins */
    /* Written byte by byte: as one literal, it would sit in this test's own read-only data
     * and make the test binary itself look like an old Go binary. */
    memcpy(img + ptr_at, bi, 14);
    img[ptr_at + 14] = 8;
    img[ptr_at + 17] = 0x10; /* two little-endian addresses: 0x401000, 0x402000 */
    img[ptr_at + 18] = 0x40;
    img[ptr_at + 25] = 0x20;
    img[ptr_at + 26] = 0x40;
    off += 32;
    memcpy(img + off, bi, bl);
    size_t total = off + bl + 99000;
    for (size_t i = off + bl; i < total; i++)
        img[i] = (uint8_t)(i * 131u);

    static const size_t chunks[] = {1, 7, 16, 4096, 65536 + 7, 1u << 20};
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        size_t ol = 0;
        uint8_t *o = itest_elf_extract("bin/x", img, total, chunks[c], &ol);
        const uint8_t *g;
        size_t gl;
        assert_int_equal(dd_elf_find(o, ol, DD_ELF_REC_GO, &g, &gl), 1);
        /* Kept: header, version and modinfo; the section's trailing padding is not needed. */
        assert_true(gl <= bl && gl > 32);
        assert_memory_equal(g, bi, gl);
        assert_int_equal(dd_elf_find(o, ol, DD_ELF_REC_CARGO, &g, &gl), 0);
        dd_pkg_list l = DD_PKG_LIST_INIT;
        dd_err err = DD_ERR_INIT;
        assert_true(dd_elf_find(o, ol, DD_ELF_REC_GO, &g, &gl));
        assert_int_equal(dd_go_parse_buildinfo(g, gl, "/bin/x", 0, &l, &err), 0);
        expect(&l, "stdlib", "go1.22.0");
        dd_pkg_list_free(&l);
        dd_free(o);
    }

    /* Only the pointer-format header: it is kept, and means stdlib of unknown version. */
    {
        size_t ol = 0;
        uint8_t *cut = calloc(1, ptr_at + 32 + 4000);
        memcpy(cut, img, ptr_at + 32);
        uint8_t *o = itest_elf_extract("bin/x", cut, ptr_at + 32 + 4000, 4096, &ol);
        free(cut);
        const uint8_t *g;
        size_t gl;
        assert_int_equal(dd_elf_find(o, ol, DD_ELF_REC_GO, &g, &gl), 1);
        assert_int_equal(gl, 32);
        dd_pkg_list l = DD_PKG_LIST_INIT;
        dd_err err = DD_ERR_INIT;
        assert_int_equal(dd_go_parse_buildinfo(g, gl, "/bin/x", 0, &l, &err), 0);
        assert_int_equal(l.n, 1);
        assert_string_equal(l.items[0].name, "stdlib");
        assert_string_equal(l.items[0].version, "");
        dd_pkg_list_free(&l);
        dd_free(o);
    }

    /* Not ELF: nothing kept, whatever follows. */
    img[0] = 'M';
    size_t ol = 1;
    uint8_t *o = itest_elf_extract("bin/x", img, total, 4096, &ol);
    assert_null(o);
    assert_int_equal(ol, 0);
    /* ELF without build info: nothing kept. */
    o = itest_elf_extract("bin/x", self, sl, 4096, &ol);
    assert_null(o);
    free(img);
    free(self);
    free(bi);
}

static void test_wants(void **state)
{
    (void)state;
    const dd_extractor *ex = NULL;
    assert_int_equal(dd_cataloger_go.wants("usr/bin/app", 11, S_IFREG | 0755, 5000, &ex),
                     DD_KEEP_EXTRACT);
    assert_ptr_equal(ex, &dd_elf_extractor);
    ex = NULL;
    assert_int_equal(dd_cataloger_go.wants("usr/sbin/app", 12, S_IFREG | 0644, 5000, &ex),
                     DD_KEEP_EXTRACT);
    assert_int_equal(dd_cataloger_go.wants("usr/bin/app", 11, S_IFREG | 0755, 100, &ex),
                     DD_KEEP_NONE);
    assert_int_equal(dd_cataloger_go.wants("etc/app.conf", 12, S_IFREG | 0644, 5000, &ex),
                     DD_KEEP_NONE);
    assert_int_equal(dd_cataloger_go.wants("notbin/x", 8, S_IFREG | 0644, 5000, &ex), DD_KEEP_NONE);
    assert_int_equal(dd_cataloger_go.wants("src/app/go.mod", 14, S_IFREG | 0644, 50, &ex),
                     DD_KEEP_WHOLE);
    assert_int_equal(dd_cataloger_go.wants("go.mod", 6, S_IFREG | 0644, 50, &ex), DD_KEEP_WHOLE);
    assert_int_equal(dd_cataloger_go.wants("src/app/vendor/x/go.mod", 23, S_IFREG | 0644, 50, &ex),
                     DD_KEEP_NONE);
    assert_int_equal(
        dd_cataloger_go.wants("root/go/pkg/mod/x@v1/go.mod", 27, S_IFREG | 0644, 50, &ex),
        DD_KEEP_NONE);
}

/* Requires counted independently: lines with a module path and a "v..." version, outside replace
 * directives and blocks. */
static size_t count_requires(const uint8_t *b, size_t len)
{
    size_t n = 0;
    int in_replace = 0;
    size_t i = 0;
    while (i < len) {
        const uint8_t *nl = memchr(b + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - b) : len;
        char line[512];
        size_t ll = e - i < sizeof(line) - 1 ? e - i : sizeof(line) - 1;
        memcpy(line, b + i, ll);
        line[ll] = 0;
        i = e + 1;
        if (strncmp(line, "replace (", 9) == 0)
            in_replace = 1;
        else if (line[0] == ')')
            in_replace = 0;
        if (in_replace || strncmp(line, "replace", 7) == 0 || strncmp(line, "go ", 3) == 0)
            continue;
        if (strstr(line, " v") != NULL)
            n++;
    }
    return n;
}

static void test_gomod_real(void **state)
{
    (void)state;
    size_t len;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;

    uint8_t *b = itest_slurp(LANG "trivy-gomod/go.mod", &len);
    assert_int_equal(dd_go_parse_mod(b, len, "/src/go.mod", 1, &l, &err), 0);
    assert_int_equal(l.n, count_requires(b, len));
    assert_int_equal(l.n, 18);
    expect(&l, "github.com/open-policy-agent/opa", "v0.35.0");
    expect(&l, "github.com/docker/distribution", "v2.7.1+incompatible");
    expect(&l, "gopkg.in/yaml.v3", "v3.0.0-20210107192922-496545a6307b");
    for (size_t i = 0; i < l.n; i++) {
        assert_int_equal(l.items[i].type, DD_PKG_GOMOD);
        assert_true(l.items[i].declared_only);
        assert_int_equal(l.items[i].layer, 1);
        assert_string_equal(l.items[i].paths.items[0], "/src/go.mod");
    }
    dd_pkg_list_free(&l);
    free(b);

    b = itest_slurp(LANG "trivy-replaced/go.mod", &len);
    assert_int_equal(dd_go_parse_mod(b, len, "/go.mod", 0, &l, &err), 0);
    assert_int_equal(l.n, count_requires(b, len));
    assert_int_equal(l.n, 2);
    /* replace github.com/aquasecurity/go-dep-parser => ... v0.0.0-20220406074731-71021a481237 */
    expect(&l, "github.com/aquasecurity/go-dep-parser", "v0.0.0-20220406074731-71021a481237");
    expect(&l, "golang.org/x/xerrors", "v0.0.0-20200804184101-5ec99f83aff1");
    dd_pkg_list_free(&l);
    free(b);

    b = itest_slurp(LANG "trivy-go116/go.mod", &len);
    assert_int_equal(dd_go_parse_mod(b, len, "/go.mod", 0, &l, &err), 0);
    assert_int_equal(l.n, count_requires(b, len));
    expect(&l, "github.com/aquasecurity/go-dep-parser", "v0.0.0-20211224170007-df43bca6b6ff");
    expect(&l, "gopkg.in/yaml.v3", "v3.0.0-20210107192922-496545a6307b");
    dd_pkg_list_free(&l);
    free(b);
}

static void test_gomod_made(void **state)
{
    (void)state;
    static const char mod[] = "// a comment\n"
                              "module \"example.com/m\" // quoted\n"
                              "go 1.21\n"
                              "toolchain go1.21.3\n"
                              "require (\n"
                              "\tgithub.com/a/a v1.0.0\n"
                              "\tgithub.com/b/b v1.1.0 // indirect\n"
                              "\t`github.com/c/c` v1.2.0\n"
                              "\tgithub.com/d/d v1.3.0\r\n"
                              ")\n"
                              "exclude github.com/a/a v0.9.0\n"
                              "replace (\n"
                              "\tgithub.com/a/a v1.0.0 => github.com/fork/a v1.0.1\n"
                              "\tgithub.com/a/a => github.com/other/a v9.0.0\n"
                              ")\n"
                              "replace github.com/b/b => ../b\n"
                              "replace github.com/d/d v0.0.1 => github.com/fork/d v0.0.2\n"
                              "retract [v1.0.0, v1.0.5]\n";
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_go_parse_mod((const uint8_t *)mod, sizeof(mod) - 1, "/go.mod", 0, &l, &err),
                     0);
    assert_int_equal(l.n, 3);
    expect(&l, "github.com/fork/a", "v1.0.1");           /* version-specific replace wins */
    assert_null(itest_find(&l, "github.com/b/b", NULL)); /* replaced by a local directory */
    expect(&l, "github.com/c/c", "v1.2.0");              /* raw-quoted path */
    expect(&l, "github.com/d/d", "v1.3.0");              /* replace for another version only */

    static const char *bad[] = {"require (\n\tgithub.com/a/a v1\n", /* block not closed */
                                "require github.com/a/a\n",         /* no version */
                                "require \"github.com/a/a v1\n",    /* unterminated quote */
                                "replace a v1 => \n",               /* nothing after => */
                                "replace a b c d => e\n"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        dd_pkg_list_free(&l);
        assert_int_equal(
            dd_go_parse_mod((const uint8_t *)bad[i], strlen(bad[i]), "/go.mod", 0, &l, &err),
            DD_EINVALID);
        assert_int_equal(l.n, 0);
    }
    dd_pkg_list_free(&l);
}

typedef struct warns {
    int n;
    char last[256];
} warns;

static void on_warn(void *ctx, const char *path, const char *msg)
{
    warns *w = ctx;
    w->n++;
    snprintf(w->last, sizeof(w->last), "%s: %s", path, msg);
}

static void test_catalog(void **state)
{
    (void)state;
    size_t gl, bl;
    uint8_t *gomod = itest_slurp(LANG "trivy-replaced/go.mod", &gl);
    uint8_t *bi = itest_slurp(BUILDINFO, &bl);
    /* What the extractor keeps for a Go binary: the container with a 'G' record. */
    uint8_t *rec = malloc(bl + 11);
    memcpy(rec, "DDELF\x01G", 7);
    rec[7] = (uint8_t)bl;
    rec[8] = (uint8_t)(bl >> 8);
    rec[9] = 0;
    rec[10] = 0;
    memcpy(rec + 11, bi, bl);

    dd_rootfs *fs = NULL;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(dd_rootfs_add_file(fs, "app/go.mod", gomod, gl, gl, S_IFREG | 0644, 0, 0), 0);
    assert_int_equal(
        dd_rootfs_add_file(fs, "usr/bin/tool", rec, bl + 11, 5000000, S_IFREG | 0755, 2, 1), 0);
    /* A container whose build info record is cut short (29 bytes: less than the header). */
    uint8_t *cut = malloc(40);
    memcpy(cut, rec, 40);
    cut[7] = 29;
    cut[8] = 0;
    assert_int_equal(
        dd_rootfs_add_file(fs, "usr/bin/broken", cut, 40, 5000000, S_IFREG | 0755, 2, 1), 0);
    free(cut);
    assert_int_equal(dd_rootfs_add_file(fs, "etc/go.mod", (const uint8_t *)"require (\n", 10, 10,
                                        S_IFREG | 0644, 1, 0),
                     0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    warns w = {0, {0}};
    assert_int_equal(dd_cataloger_go.catalog(fs, &l, on_warn, &w, &err), 0);
    assert_int_equal(w.n, 2); /* the truncated build info and the broken go.mod */
    assert_int_equal(l.n, 2 + 3);
    const dd_pkg *p = itest_find(&l, "stdlib", NULL);
    assert_non_null(p);
    assert_string_equal(p->paths.items[0], "/usr/bin/tool");
    assert_int_equal(p->layer, 2);
    p = itest_find(&l, "golang.org/x/xerrors", NULL);
    assert_non_null(p);
    assert_string_equal(p->paths.items[0], "/app/go.mod");
    assert_int_equal(p->type, DD_PKG_GOMOD);
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);
    free(rec);
    free(bi);
    free(gomod);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buildinfo_real), cmocka_unit_test(test_buildinfo_inline_made),
        cmocka_unit_test(test_extractor),      cmocka_unit_test(test_wants),
        cmocka_unit_test(test_gomod_real),     cmocka_unit_test(test_gomod_made),
        cmocka_unit_test(test_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
