/* Tests of the Rust cataloger: real Cargo.lock files against expectations written by Python's
 * tomllib (tests/fixtures/pkgdb/lang/rust/expected/<lock>.tsv: name<TAB>version of every
 * [[package]] with a source, in file order; regenerate with
 *   python3 -c 'import tomllib,sys; d=tomllib.load(open(sys.argv[1],"rb"));
 *   [print(p["name"]+"\t"+p["version"]) for p in d["package"] if "source" in p]' LOCK
 * ), and cargo-auditable data found by the ELF extractor in a real ELF file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common.h"
#include "inventory/catalog.h"
#include "inventory/elf.h"
#include "inventory/rust.h"
#include "util/alloc.h"

#define LANG DD_FIXTURES "/pkgdb/lang/rust/"

static void test_lock_real(void **state)
{
    (void)state;
    static const char *const files[] = {"syft.Cargo.lock", "trivy-ci-test.Cargo.lock",
                                        "osv-deprecated-novuln.Cargo.lock"};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof(path), LANG "%s", files[i]);
        size_t len, el;
        uint8_t *b = itest_slurp(path, &len);
        snprintf(path, sizeof(path), LANG "expected/%s.tsv", files[i]);
        char *exp = (char *)itest_slurp(path, &el);
        dd_pkg_list l = DD_PKG_LIST_INIT;
        dd_err err = DD_ERR_INIT;
        assert_int_equal(dd_cargo_parse_lock(b, len, "/src/Cargo.lock", 2, &l, &err), 0);
        size_t k = 0;
        for (char *line = exp; *line; k++) {
            char *nl = strchr(line, '\n');
            *nl = 0;
            char *tab = strchr(line, '\t');
            *tab = 0;
            assert_true(k < l.n);
            assert_string_equal(l.items[k].name, line);
            assert_string_equal(l.items[k].version, tab + 1);
            assert_int_equal(l.items[k].type, DD_PKG_CARGO);
            assert_true(l.items[k].declared_only);
            assert_int_equal(l.items[k].layer, 2);
            assert_string_equal(l.items[k].paths.items[0], "/src/Cargo.lock");
            line = nl + 1;
        }
        assert_int_equal(k, l.n);
        dd_pkg_list_free(&l);

        /* Truncations parse or fail cleanly. */
        for (size_t n = 0; n < len; n += 13) {
            int rc = dd_cargo_parse_lock(b, n, "/x", 0, &l, &err);
            assert_true(rc == 0 || rc == DD_EINVALID);
            if (rc != 0)
                assert_int_equal(l.n, 0);
            dd_pkg_list_free(&l);
        }
        free(exp);
        free(b);
    }
    /* trivy-ci-test's own crate ("normal", no source) is not reported */
    size_t len;
    uint8_t *b = itest_slurp(LANG "trivy-ci-test.Cargo.lock", &len);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_cargo_parse_lock(b, len, "/x", 0, &l, &err), 0);
    assert_null(itest_find(&l, "normal", NULL));
    assert_non_null(itest_find(&l, "ammonia", NULL));
    assert_string_equal(itest_find(&l, "ammonia", NULL)->version, "1.9.0");
    dd_pkg_list_free(&l);
    free(b);
}

static void test_lock_made(void **state)
{
    (void)state;
    static const char ok[] = "# comment\nversion = 3\n\n"
                             "[[package]]\r\n"
                             "name = \"a\"  # trailing comment\r\n"
                             "version = '1.0.0'\r\n"
                             "source = \"git+https://example.com/a?rev=x#abc\"\r\n"
                             "dependencies = [\n \"b 1.0 (registry+x)\", # c\n [\"n]\"],\n]\n"
                             "[[package]]\nname = \"b\"\nversion = \"1.0\"\n"
                             "source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
                             "[metadata]\n\"checksum b 1.0 (registry+x)\" = \"00\"\n";
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_cargo_parse_lock((const uint8_t *)ok, sizeof(ok) - 1, "/C", 0, &l, &err),
                     0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0].name, "a");
    assert_string_equal(l.items[0].version, "1.0.0");
    assert_string_equal(l.items[1].name, "b");
    dd_pkg_list_free(&l);

    static const char *const bad[] = {
        "[[package]]\nversion = \"1\"\nsource = \"x\"\n",              /* no name */
        "[[package]]\nname = \"a\nversion = \"1\"\n",                  /* unterminated */
        "[[package]]\nname = \"a\"\nname = \"b\"\nversion = \"1\"\n",  /* duplicate */
        "[[package]]\nname = \"a\" x\nversion = \"1\"\n",              /* junk after value */
        "[[package]]\nname = \"\"\"a\"\"\"\nversion = \"1\"\n",        /* multi-line string */
        "[[package]]\nname = \"a\"\nversion = \"1\"\ndeps = [\"x\"\n", /* array not closed */
        "[package\n",
        "= 3\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = dd_cargo_parse_lock((const uint8_t *)bad[i], strlen(bad[i]), "/C", 0, &l, &err);
        if (rc != DD_EINVALID)
            fail_msg("bad[%zu] gave %d", i, rc);
        assert_int_equal(l.n, 0);
    }
}

static const char audit_json[] =
    "{\"packages\":[{\"name\":\"myapp\",\"version\":\"0.1.0\",\"source\":\"local\",\"kind\":"
    "\"runtime\",\"dependencies\":[1,2],\"root\":true},{\"name\":\"serde\",\"version\":\"1.0.190\","
    "\"source\":\"crates.io\"},{\"name\":\"cc\",\"version\":\"1.0.83\",\"source\":\"crates.io\","
    "\"kind\":\"build\"},{\"name\":\"gitdep\",\"version\":\"0.3.0\",\"source\":\"git\"}]}";

static void test_auditable_json(void **state)
{
    (void)state;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_cargo_parse_auditable((const uint8_t *)audit_json, sizeof(audit_json) - 1,
                                              "/usr/bin/myapp", 1, &l, &err),
                     0);
    assert_int_equal(l.n, 3);
    assert_null(itest_find(&l, "myapp", NULL)); /* the binary's own crate: source local */
    assert_string_equal(itest_find(&l, "serde", NULL)->version, "1.0.190");
    assert_false(itest_find(&l, "serde", NULL)->dev);
    assert_true(itest_find(&l, "cc", NULL)->dev);
    assert_false(itest_find(&l, "cc", NULL)->declared_only);
    assert_non_null(itest_find(&l, "gitdep", NULL));
    dd_pkg_list_free(&l);
    static const char *const bad[] = {"{}", "{\"packages\":{}}",
                                      "{\"packages\":[{\"name\":\"a\"}]}", "[", ""};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(
            dd_cargo_parse_auditable((const uint8_t *)bad[i], strlen(bad[i]), "/x", 0, &l, &err),
            DD_EINVALID);
        assert_int_equal(l.n, 0);
    }
}

/* A real ELF file (this test) with a ".dep-v0"-like zlib stream appended after decoy zlib
 * streams (one inflating to other JSON, one corrupt), then filler. */
static void test_auditable_extract(void **state)
{
    (void)state;
    size_t sl;
    uint8_t *self = itest_slurp("/proc/self/exe", &sl);
    uLongf zl = compressBound(sizeof(audit_json));
    uint8_t *z = malloc(zl);
    assert_int_equal(compress2(z, &zl, (const Bytef *)audit_json, sizeof(audit_json) - 1, 9), Z_OK);
    static const char other[] = "{\"pkgs\":[]}";
    uLongf ol = compressBound(sizeof(other));
    uint8_t *oz = malloc(ol);
    assert_int_equal(compress2(oz, &ol, (const Bytef *)other, sizeof(other) - 1, 6), Z_OK);

    size_t total = sl + ol + 40 + zl + 200000;
    uint8_t *img = calloc(1, total);
    size_t off = 0;
    memcpy(img, self, sl);
    off += sl;
    memcpy(img + off, oz, ol);
    off += ol;
    memcpy(img + off, "\x78\x9c\xff\xff\xff\xff", 6); /* a zlib header, then garbage */
    off += 40;
    memcpy(img + off, z, zl);
    off += zl;
    for (size_t i = off; i < total; i++)
        img[i] = (uint8_t)(i * 7u);

    static const size_t chunks[] = {1, 5, 511, 513, 4096, 1u << 20};
    for (size_t c = 0; c < sizeof(chunks) / sizeof(chunks[0]); c++) {
        size_t outl = 0;
        uint8_t *o = itest_elf_extract("usr/bin/x", img, total, chunks[c], &outl);
        const uint8_t *j;
        size_t jl;
        assert_int_equal(dd_elf_find(o, outl, DD_ELF_REC_CARGO, &j, &jl), 1);
        assert_int_equal(jl, sizeof(audit_json) - 1);
        assert_memory_equal(j, audit_json, jl);
        assert_int_equal(dd_elf_find(o, outl, DD_ELF_REC_GO, &j, &jl), 0);
        dd_free(o);
    }

    /* The cataloger over what the extractor kept, plus a Cargo.lock. */
    size_t outl = 0;
    uint8_t *o = itest_elf_extract("usr/bin/x", img, total, 65536, &outl);
    size_t ll;
    uint8_t *lock = itest_slurp(LANG "syft.Cargo.lock", &ll);
    dd_rootfs *fs = NULL;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(dd_rootfs_add_file(fs, "usr/bin/myapp", o, outl, total, 0100755, 3, 1), 0);
    assert_int_equal(dd_rootfs_add_file(fs, "src/Cargo.lock", lock, ll, ll, 0100644, 1, 0), 0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_cataloger_rust.catalog(fs, &l, NULL, NULL, &err), 0);
    assert_int_equal(l.n, 3 + 14);
    const dd_pkg *p = itest_find(&l, "serde", NULL);
    assert_string_equal(p->paths.items[0], "/usr/bin/myapp");
    assert_int_equal(p->layer, 3);
    p = itest_find(&l, "ansi_term", NULL);
    assert_string_equal(p->paths.items[0], "/src/Cargo.lock");
    assert_int_equal(p->layer, 1);
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);

    const dd_extractor *ex = NULL;
    assert_int_equal(dd_cataloger_rust.wants("Cargo.lock", 10, 0100644, 10, &ex), DD_KEEP_WHOLE);
    assert_int_equal(dd_cataloger_rust.wants("usr/local/bin/rg", 16, 0100755, 5000000, &ex),
                     DD_KEEP_EXTRACT);
    assert_ptr_equal(ex, &dd_elf_extractor);
    assert_int_equal(dd_cataloger_rust.wants("usr/share/doc/x", 15, 0100644, 5000000, &ex),
                     DD_KEEP_NONE);
    dd_free(o);
    free(lock);
    free(img);
    free(oz);
    free(z);
    free(self);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lock_real),
        cmocka_unit_test(test_lock_made),
        cmocka_unit_test(test_auditable_json),
        cmocka_unit_test(test_auditable_extract),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
