/* Tests for the rpm cataloger: every real rpm database under tests/fixtures/pkgdb/rpm (sqlite,
 * BerkeleyDB, NDB) and a raw header blob are parsed and compared, as a set, with what the rpm CLI
 * prints for them (`rpm --dbpath DIR -qa --qf ...` on a private copy; NDB and the bare header,
 * which Debian's rpm cannot read, are first exported by a few lines of Python and imported with
 * `rpmdb --importdb`). Plus the cataloger end to end on rootfs directories, and damaged inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "image/rootfs.h"
#include "inventory/catalog.h"
#include "inventory/rpm.h"
#include "util/alloc.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

#define RPM_DIR DD_FIXTURES "/pkgdb/rpm"

/* rpm's own rendering: EVR is "E:V-R" when the header has an epoch. */
#define QF                                                                                         \
    "%{NAME}\\t%{EVR}\\t%|ARCH?{%{ARCH}}:{}|\\t%|SOURCERPM?{%{SOURCERPM}}:{}|\\t"                  \
    "%|LICENSE?{%{LICENSE}}:{}|\\t%|EPOCH?{%{EPOCH}}:{}|\\n"

/* Writes the header blobs of an NDB Packages.db (or a file holding one bare header) in the
 * `rpm --exportdb` stream format: header magic, 4 reserved bytes, blob. */
static const char export_py[] = "import struct,sys\n"
                                "b=open(sys.argv[1],'rb').read()\n"
                                "out=open(sys.argv[2],'wb')\n"
                                "def put(blob):\n"
                                "    out.write(b'\\x8e\\xad\\xe8\\x01\\x00\\x00\\x00\\x00'+blob)\n"
                                "if b[:4]==b'RpmP':\n"
                                "    pages=struct.unpack('<I',b[12:16])[0]\n"
                                "    for off in range(32,pages*4096,16):\n"
                                "        magic,idx,blk,cnt=struct.unpack('<4sIII',b[off:off+16])\n"
                                "        assert magic==b'Slot'\n"
                                "        if idx==0: continue\n"
                                "        o=blk*16\n"
                                "        assert b[o:o+4]==b'BlbS'\n"
                                "        n=struct.unpack('<I',b[o+12:o+16])[0]\n"
                                "        put(b[o+16:o+16+n])\n"
                                "else:\n"
                                "    put(b)\n"
                                "out.close()\n";

static void pkg_lines(const dd_pkg_list *pl, dd_strlist *out)
{
    for (size_t i = 0; i < pl->n; i++) {
        const dd_pkg *p = &pl->items[i];
        assert_int_equal(p->type, DD_PKG_RPM);
        char *srpm = p->source_name
                         ? dd_asprintf("%s-%s.src.rpm", p->source_name, p->source_version)
                         : dd_strdup("");
        char *s = dd_asprintf("%s\t%s\t%s\t%s\t%s\t%s", p->name, p->version, p->arch ? p->arch : "",
                              srpm, p->license ? p->license : "", p->epoch ? p->epoch : "");
        assert_non_null(s);
        assert_int_equal(dd_strlist_push_str(out, s), 0);
        dd_free(s);
        dd_free(srpm);
    }
    itest_sort(out);
}

static void run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        print_error("command failed (%d): %s\n", rc, cmd);
    assert_int_equal(rc, 0);
}

/* What rpm prints for the database file (backend "sqlite", "bdb_ro"; "export" = NDB or a bare
 * header, converted first), gpg-pubkey pseudo-packages left out. */
static void rpm_query(const char *file, const char *backend, dd_strlist *out)
{
    char dir[] = "/tmp/dd-rpm-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *cmd;
    if (strcmp(backend, "export") == 0) {
        char *py = dd_asprintf("%s/export.py", dir);
        FILE *f = fopen(py, "w");
        assert_non_null(f);
        fputs(export_py, f);
        fclose(f);
        cmd = dd_asprintf("python3 '%s' '%s' '%s/export' && rpmdb --dbpath '%s' --define "
                          "'_db_backend sqlite' --importdb < '%s/export'",
                          py, file, dir, dir, dir);
        run(cmd);
        dd_free(cmd);
        dd_free(py);
        backend = "sqlite";
    } else {
        cmd = dd_asprintf("cp '%s' '%s/'", file, dir);
        run(cmd);
        dd_free(cmd);
    }
    cmd = dd_asprintf("rpm --dbpath '%s' --define '_db_backend %s' -qa --qf '%s' 2>/dev/null; "
                      "rm -rf '%s'",
                      dir, backend, QF, dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[8192];
    while (fgets(line, sizeof(line), p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strncmp(line, "gpg-pubkey\t", 11) == 0)
            continue;
        assert_int_equal(dd_strlist_push_str(out, line), 0);
    }
    assert_int_equal(pclose(p), 0);
    dd_free(cmd);
    itest_sort(out);
}

static void check_db(const char *rel, itest_parse_fn parse, const char *backend, size_t want_n,
                     dd_pkg_list *pl)
{
    char *file = dd_asprintf("%s/%s", RPM_DIR, rel);
    size_t len;
    uint8_t *buf = itest_slurp(file, &len);
    dd_err err = DD_ERR_INIT;
    int rc = parse(buf, len, "/var/lib/rpm/x", 4, pl, &err);
    if (rc != 0)
        print_error("%s: %s\n", rel, err.msg);
    assert_int_equal(rc, 0);
    dd_strlist got = DD_STRLIST_INIT, want = DD_STRLIST_INIT;
    pkg_lines(pl, &got);
    rpm_query(file, backend, &want);
    assert_int_equal(want.n, want_n);
    itest_assert_same(&got, &want, rel);
    for (size_t i = 0; i < pl->n; i++) {
        assert_string_equal(pl->items[i].paths.items[0], "/var/lib/rpm/x");
        assert_int_equal(pl->items[i].layer, 4);
    }
    dd_strlist_free(&got);
    dd_strlist_free(&want);
    free(buf);
    dd_free(file);
}

static void test_sqlite(void **state)
{
    (void)state;
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    check_db("cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite", dd_rpm_parse_sqlite, "sqlite", 129, &pl);
    const dd_pkg *p = itest_find(&pl, "glibc", NULL);
    assert_non_null(p);
    assert_string_equal(p->version, "2.34-2.cm2");
    assert_string_equal(p->source_name, "glibc");
    assert_string_equal(p->source_version, "2.34-2.cm2");
    assert_null(p->epoch);
    dd_pkg_list_free(&pl);

    /* an sqlite file without a Packages table */
    size_t len;
    uint8_t *buf = itest_slurp(RPM_DIR "/fixtures/claircore-no_packages.sqlite", &len);
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rpm_parse_sqlite(buf, len, NULL, 0, &pl, &err), DD_EINVALID);
    assert_int_equal(pl.n, 0);
    free(buf);
}

static void test_bdb(void **state)
{
    (void)state;
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    check_db("syft-centos-bdb/var/lib/rpm/Packages", dd_rpm_parse_bdb, "bdb_ro", 1, &pl);
    assert_string_equal(pl.items[0].name, "dive");
    dd_pkg_list_free(&pl);

    check_db("scalibr-epoch-bdb/var/lib/rpm/Packages", dd_rpm_parse_bdb, "bdb_ro", 1, &pl);
    assert_string_equal(pl.items[0].name, "hello");
    assert_string_equal(pl.items[0].epoch, "1");
    assert_string_equal(pl.items[0].version, "1:0.0.1-rls");
    assert_string_equal(pl.items[0].source_version, "0.0.1-rls");
    dd_pkg_list_free(&pl);
}

static void test_ndb(void **state)
{
    (void)state;
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    check_db("sle15-bci/var/lib/rpm/Packages.db", dd_rpm_parse_ndb, "export", 35, &pl);
    const dd_pkg *p = itest_find(&pl, "libreadline7", NULL);
    assert_non_null(p);
    assert_string_equal(p->source_name, "bash");
    assert_non_null(itest_find(&pl, "rpm-ndb", NULL));
    dd_pkg_list_free(&pl);
}

static void test_header_blob(void **state)
{
    (void)state;
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    check_db("fixtures/claircore-package.header", dd_rpm_parse_header_blob, "export", 1, &pl);
    assert_string_equal(pl.items[0].name, "crypto-policies");
    assert_string_equal(pl.items[0].arch, "noarch");
    dd_pkg_list_free(&pl);
}

static int n_warn;
static void count_warn(void *ctx, const char *path, const char *msg)
{
    (void)ctx;
    (void)path;
    (void)msg;
    n_warn++;
}

static void catalog_dir(const char *dir, const char *want_path, size_t want_n)
{
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rootfs_from_dir(&fs, dir, dd_cataloger_rpm.wants, 64u << 20, &err), 0);
    assert_int_equal(dd_rootfs_count(fs), 1);
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    n_warn = 0;
    assert_int_equal(dd_cataloger_rpm.catalog(fs, &pl, count_warn, NULL, &err), 0);
    assert_int_equal(n_warn, 0);
    assert_int_equal(pl.n, want_n);
    for (size_t i = 0; i < pl.n; i++) {
        assert_string_equal(pl.items[i].paths.items[0], want_path);
        assert_int_equal(pl.items[i].layer, 0);
    }
    dd_pkg_list_free(&pl);
    dd_rootfs_free(fs);
}

static void test_catalog(void **state)
{
    (void)state;
    assert_string_equal(dd_cataloger_rpm.name, "rpm");
    catalog_dir(RPM_DIR "/cbl-mariner-2.0", "/var/lib/rpm/rpmdb.sqlite", 129);
    catalog_dir(RPM_DIR "/sle15-bci", "/var/lib/rpm/Packages.db", 35);
    catalog_dir(RPM_DIR "/syft-centos-bdb", "/var/lib/rpm/Packages", 1);

    static const char *const yes[] = {
        "var/lib/rpm/rpmdb.sqlite",      "var/lib/rpm/Packages",
        "var/lib/rpm/Packages.db",       "usr/lib/sysimage/rpm/rpmdb.sqlite",
        "usr/lib/sysimage/rpm/Packages", "usr/lib/sysimage/rpm/Packages.db"};
    static const char *const no[] = {"var/lib/rpm/Name", "var/lib/rpm/rpmdb.sqlite-wal",
                                     "opt/var/lib/rpm/Packages", "Packages",
                                     "var/lib/dpkg/Packages"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_int_equal(dd_cataloger_rpm.wants(yes[i], strlen(yes[i]), 0100644, 1, NULL),
                         DD_KEEP_WHOLE);
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_int_equal(dd_cataloger_rpm.wants(no[i], strlen(no[i]), 0100644, 1, NULL),
                         DD_KEEP_NONE);

    /* Fedora: var/lib/rpm -> ../../usr/lib/sysimage/rpm; the database is read once */
    size_t len;
    uint8_t *buf = itest_slurp(RPM_DIR "/cbl-mariner-2.0/var/lib/rpm/rpmdb.sqlite", &len);
    dd_rootfs *fs = NULL;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(
        dd_rootfs_add_file(fs, "usr/lib/sysimage/rpm/rpmdb.sqlite", buf, len, len, 0100644, 2, 0),
        0);
    assert_int_equal(dd_rootfs_add_symlink(fs, "var/lib/rpm", "../../usr/lib/sysimage/rpm", 2), 0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_cataloger_rpm.catalog(fs, &pl, count_warn, NULL, &err), 0);
    assert_int_equal(pl.n, 129);
    assert_string_equal(pl.items[0].paths.items[0], "/usr/lib/sysimage/rpm/rpmdb.sqlite");
    assert_int_equal(pl.items[0].layer, 2);
    dd_pkg_list_free(&pl);
    dd_rootfs_free(fs);

    /* a truncated database: a warning, no crash */
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(
        dd_rootfs_add_file(fs, "var/lib/rpm/rpmdb.sqlite", buf, 8192, 8192, 0100644, 0, 0), 0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    n_warn = 0;
    assert_int_equal(dd_cataloger_rpm.catalog(fs, &pl, count_warn, NULL, &err), 0);
    assert_int_equal(n_warn, 1);
    dd_pkg_list_free(&pl);
    dd_rootfs_free(fs);
    free(buf);
}

/* Damaged inputs are refused with DD_EINVALID, never a crash. */
static void test_damaged(void **state)
{
    (void)state;
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    size_t len;

    uint8_t *buf = itest_slurp(RPM_DIR "/fixtures/claircore-package.header", &len);
    for (size_t cut = 0; cut < len; cut += len / 7 + 1)
        assert_int_equal(dd_rpm_parse_header_blob(buf, cut, NULL, 0, &pl, &err), DD_EINVALID);
    buf[3] ^= 0x40; /* index count */
    assert_int_equal(dd_rpm_parse_header_blob(buf, len, NULL, 0, &pl, &err), DD_EINVALID);
    assert_int_equal(pl.n, 0);
    free(buf);

    buf = itest_slurp(RPM_DIR "/sle15-bci/var/lib/rpm/Packages.db", &len);
    assert_int_equal(dd_rpm_parse_ndb(buf, 100, NULL, 0, &pl, &err), DD_EINVALID);
    assert_int_equal(dd_rpm_parse_ndb(buf, 20000, NULL, 0, &pl, &err), DD_EINVALID);
    size_t n_partial = pl.n; /* the blobs inside the first 20000 bytes */
    assert_true(n_partial < 35);
    dd_pkg_list_free(&pl);
    assert_int_equal(dd_rpm_parse_bdb(buf, len, NULL, 0, &pl, &err), DD_EINVALID);
    assert_int_equal(dd_rpm_parse_sqlite(buf, len, NULL, 0, &pl, &err), DD_EINVALID);
    free(buf);

    buf = itest_slurp(RPM_DIR "/syft-centos-bdb/var/lib/rpm/Packages", &len);
    assert_int_equal(dd_rpm_parse_ndb(buf, len, NULL, 0, &pl, &err), DD_EINVALID);
    int rc = dd_rpm_parse_bdb(buf, 4096, NULL, 0, &pl, &err);
    assert_true(rc == 0 || rc == DD_EINVALID);
    dd_pkg_list_free(&pl);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sqlite),  cmocka_unit_test(test_bdb),
        cmocka_unit_test(test_ndb),     cmocka_unit_test(test_header_blob),
        cmocka_unit_test(test_catalog), cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
