/* Tests for the dpkg cataloger: every real status file under tests/fixtures/pkgdb/dpkg is parsed
 * and compared, as a set, with what dpkg-query itself prints for it (minus the config-files state,
 * which we do not report); distroless status.d stanzas, the cataloger end to end on a rootfs
 * directory, and hand-written edge cases (CRLF, no trailing newline, bad lines); the owners index
 * of var/lib/dpkg/info/NAME.list (the python cataloger's test checks it against real dpkg -S
 * output). */
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
#include "inventory/dpkg.h"
#include "util/alloc.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

#define DPKG_DIR DD_FIXTURES "/pkgdb/dpkg"

/* "name\tversion\tarch\tsource\tsource_version", as the dpkg-query format below prints. */
static void pkg_lines(const dd_pkg_list *pl, dd_strlist *out)
{
    for (size_t i = 0; i < pl->n; i++) {
        const dd_pkg *p = &pl->items[i];
        assert_int_equal(p->type, DD_PKG_DPKG);
        char *s = dd_asprintf("%s\t%s\t%s\t%s\t%s", p->name, p->version, p->arch ? p->arch : "",
                              p->source_name, p->source_version);
        assert_non_null(s);
        assert_int_equal(dd_strlist_push_str(out, s), 0);
        dd_free(s);
    }
    itest_sort(out);
}

/* Runs dpkg-query on a copy of status_file in a temporary admindir; keeps the packages whose
 * state leaves files on disk (everything dpkg-query -W shows except config-files). */
static void dpkg_query(const char *status_file, dd_strlist *out)
{
    char dir[] = "/tmp/dd-dpkg-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *cmd = dd_asprintf("cp '%s' '%s/status' && dpkg-query --admindir='%s' -W "
                            "-f='${db:Status-Status}\\t${Package}\\t${Version}\\t${Architecture}"
                            "\\t${source:Package}\\t${source:Version}\\n' 2>/dev/null",
                            status_file, dir, dir);
    assert_non_null(cmd);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[4096];
    while (fgets(line, sizeof(line), p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        assert_non_null(tab);
        *tab = '\0';
        if (strcmp(line, "config-files") == 0 || strcmp(line, "not-installed") == 0)
            continue;
        assert_int_equal(dd_strlist_push_str(out, tab + 1), 0);
    }
    assert_int_equal(pclose(p), 0);
    dd_free(cmd);
    char *status = dd_asprintf("%s/status", dir);
    unlink(status);
    dd_free(status);
    rmdir(dir);
    itest_sort(out);
}

static void check_against_dpkg_query(const char *rel)
{
    char *file = dd_asprintf("%s/%s", DPKG_DIR, rel);
    size_t len;
    uint8_t *buf = itest_slurp(file, &len);
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_dpkg_parse(buf, len, "/var/lib/dpkg/status", 3, &pl, &err), 0);
    dd_strlist got = DD_STRLIST_INIT, want = DD_STRLIST_INIT;
    pkg_lines(&pl, &got);
    dpkg_query(file, &want);
    assert_true(want.n > 0);
    itest_assert_same(&got, &want, rel);
    for (size_t i = 0; i < pl.n; i++) {
        assert_int_equal(pl.items[i].layer, 3);
        assert_int_equal(pl.items[i].paths.n, 1);
        assert_string_equal(pl.items[i].paths.items[0], "/var/lib/dpkg/status");
    }
    dd_strlist_free(&got);
    dd_strlist_free(&want);
    dd_pkg_list_free(&pl);
    free(buf);
    dd_free(file);
}

static void test_status_files_match_dpkg_query(void **state)
{
    (void)state;
    static const char *const files[] = {
        "debian-11-nginx/var/lib/dpkg/status",
        "debian-12-python-slim/var/lib/dpkg/status",
        "debian-8-jira/var/lib/dpkg/status",
        "debian-9.12-armhf-rootfs/var/lib/dpkg/status",
        "ubuntu-18.04-fanal/var/lib/dpkg/status",
        "ubuntu-20.04-base/var/lib/dpkg/status",
        "ubuntu-24.04-debootstrap/var/lib/dpkg/status",
        "fixtures/claircore-debian-only.status",
        "fixtures/claircore-postgresql.status",
        "fixtures/scalibr-statusfield",
        "fixtures/scalibr-transitional_dummy",
        "fixtures/scalibr-valid",
        "fixtures/syft-coreutils-relationships",
        "fixtures/syft-deinstall",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
        check_against_dpkg_query(files[i]);
}

static const dd_pkg *find(const dd_pkg_list *pl, const char *name, const char *arch)
{
    for (size_t i = 0; i < pl->n; i++)
        if (strcmp(pl->items[i].name, name) == 0 &&
            (arch == NULL || (pl->items[i].arch && strcmp(pl->items[i].arch, arch) == 0)))
            return &pl->items[i];
    return NULL;
}

/* Files dpkg-query refuses as a whole; we keep the well-formed stanzas. Expectations come from
 * the files themselves. */
static void test_files_dpkg_query_refuses(void **state)
{
    (void)state;
    size_t len;
    dd_err err = DD_ERR_INIT;
    dd_pkg_list pl = DD_PKG_LIST_INIT;

    /* fanal: one apt stanza, then a Go struct dump that is not deb822 */
    uint8_t *buf = itest_slurp(DPKG_DIR "/fixtures/fanal-dpkg_apt.status", &len);
    assert_int_equal(dd_dpkg_parse(buf, len, NULL, 0, &pl, &err), DD_EINVALID);
    assert_true(err.offset > 0 && err.offset < len);
    assert_memory_equal(buf + err.offset, "[{acl", 5);
    assert_int_equal(pl.n, 1);
    assert_string_equal(pl.items[0].name, "apt");
    assert_string_equal(pl.items[0].version, "1.6.3ubuntu0.1");
    assert_int_equal(pl.items[0].paths.n, 0);
    dd_pkg_list_free(&pl);
    free(buf);

    /* syft: an empty Package, a package without Version or Status, two installed ones */
    buf = itest_slurp(DPKG_DIR "/fixtures/syft-multiple", &len);
    assert_int_equal(dd_dpkg_parse(buf, len, NULL, 0, &pl, &err), 0);
    assert_int_equal(pl.n, 2);
    const dd_pkg *p = find(&pl, "tzdata", NULL);
    assert_non_null(p);
    assert_string_equal(p->version, "2020a-0+deb10u1");
    assert_string_equal(p->source_name, "tzdata-dev");
    assert_string_equal(p->source_version, "2020a-0+deb10u1");
    p = find(&pl, "util-linux", NULL);
    assert_non_null(p);
    assert_string_equal(p->version, "2.33.1-0.1");
    dd_pkg_list_free(&pl);
    free(buf);

    /* vcpkg (dpkg-like, not Debian): stanzas with Version and an installed Status count */
    buf = itest_slurp(DPKG_DIR "/fixtures/claircore-vcpkg.status", &len);
    size_t want = 0;
    for (size_t i = 0; i < len;) {
        size_t end = i;
        while (end < len && !(buf[end] == '\n' && end + 1 < len && buf[end + 1] == '\n'))
            end++;
        char *stanza = dd_strndup((const char *)buf + i, end - i);
        if (strstr(stanza, "Version: ") && strstr(stanza, "Status: install ok installed"))
            want++;
        dd_free(stanza);
        i = end + 2;
    }
    assert_int_equal(dd_dpkg_parse(buf, len, NULL, 0, &pl, &err), 0);
    assert_true(want > 0);
    assert_int_equal(pl.n, want);
    p = find(&pl, "zlib", "x64-windows");
    assert_non_null(p);
    assert_string_equal(p->version, "1.2.11-6");
    dd_pkg_list_free(&pl);
    free(buf);
}

static void add_fixture(dd_rootfs *fs, const char *file, const char *path)
{
    itest_add_fixture(fs, path, NULL, file, 1);
}

static int n_warn;
static void count_warn(void *ctx, const char *path, const char *msg)
{
    (void)ctx;
    (void)path;
    (void)msg;
    n_warn++;
}

/* Distroless: one stanza per file, no Status; md5sums files are not stanzas. Expected values come
 * from dpkg-query on the stanzas with an installed Status added. */
static void test_distroless_status_d(void **state)
{
    (void)state;
    static const char *const names[] = {"dash", "libsqlite3-0", "netbase"};
    dd_rootfs *fs = NULL;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    char tmp[] = "/tmp/dd-dpkg-status-XXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (size_t i = 0; i < 3; i++) {
        char *file = dd_asprintf("%s/distroless/status.d/%s", DPKG_DIR, names[i]);
        char *path = dd_asprintf("var/lib/dpkg/status.d/%s", names[i]);
        add_fixture(fs, file, path);
        size_t len;
        uint8_t *buf = itest_slurp(file, &len);
        fprintf(f, "Status: install ok installed\n%.*s\n\n", (int)len, (const char *)buf);
        free(buf);
        dd_free(file);
        dd_free(path);
    }
    fclose(f);
    add_fixture(fs, DPKG_DIR "/distroless/status.d/libsqlite3-0.md5sums",
                "var/lib/dpkg/status.d/libsqlite3-0.md5sums");
    /* a sibling directory's files are not ours */
    add_fixture(fs, DPKG_DIR "/distroless/status.d/dash", "var/lib/dpkg/status.d/sub/dash");
    assert_int_equal(dd_rootfs_finish(fs), 0);

    const dd_cataloger *c = &dd_cataloger_dpkg;
    assert_string_equal(c->name, "dpkg");
    for (size_t i = 0; i < dd_rootfs_count(fs); i++) {
        const dd_rfile *rf = dd_rootfs_at(fs, i);
        dd_keep k = c->wants(rf->path, strlen(rf->path), 0100644, rf->len, NULL);
        int want = strstr(rf->path, ".md5sums") == NULL && strstr(rf->path, "/sub/") == NULL;
        assert_int_equal(k, want ? DD_KEEP_WHOLE : DD_KEEP_NONE);
    }

    dd_pkg_list pl = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    n_warn = 0;
    assert_int_equal(c->catalog(fs, &pl, count_warn, NULL, &err), 0);
    assert_int_equal(n_warn, 0);
    dd_strlist got = DD_STRLIST_INIT, want = DD_STRLIST_INIT;
    pkg_lines(&pl, &got);
    dpkg_query(tmp, &want);
    assert_int_equal(want.n, 3);
    itest_assert_same(&got, &want, "status.d");
    const dd_pkg *p = find(&pl, "libsqlite3-0", "arm64");
    assert_non_null(p);
    assert_string_equal(p->source_name, "sqlite3");
    assert_string_equal(p->paths.items[0], "/var/lib/dpkg/status.d/libsqlite3-0");
    assert_int_equal(p->layer, 1);
    unlink(tmp);
    dd_strlist_free(&got);
    dd_strlist_free(&want);
    dd_pkg_list_free(&pl);
    dd_rootfs_free(fs);
}

/* The cataloger on a real rootfs directory, through dd_rootfs_from_dir and its wants. */
static void test_catalog_rootfs_dir(void **state)
{
    (void)state;
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rootfs_from_dir(&fs, DPKG_DIR "/debian-12-python-slim",
                                        dd_cataloger_dpkg.wants, 64u << 20, &err),
                     0);
    assert_int_equal(dd_rootfs_count(fs), 1);
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    n_warn = 0;
    assert_int_equal(dd_cataloger_dpkg.catalog(fs, &pl, count_warn, NULL, &err), 0);
    assert_int_equal(n_warn, 0);
    dd_strlist got = DD_STRLIST_INIT, want = DD_STRLIST_INIT;
    pkg_lines(&pl, &got);
    dpkg_query(DPKG_DIR "/debian-12-python-slim/var/lib/dpkg/status", &want);
    itest_assert_same(&got, &want, "debian-12-python-slim");
    for (size_t i = 0; i < pl.n; i++) {
        assert_string_equal(pl.items[i].paths.items[0], "/var/lib/dpkg/status");
        assert_int_equal(pl.items[i].layer, 0);
    }
    const dd_pkg *p = find(&pl, "libc6", "amd64");
    assert_non_null(p);
    assert_string_equal(p->source_name, "glibc");
    dd_strlist_free(&got);
    dd_strlist_free(&want);
    dd_pkg_list_free(&pl);
    dd_rootfs_free(fs);
}

/* A malformed status file: the cataloger warns and keeps the good stanzas. */
static void test_catalog_warns(void **state)
{
    (void)state;
    static const char data[] = "Package: a\nStatus: install ok installed\nVersion: 1\n\n"
                               "garbage line\nPackage: b\nVersion: 2\n"
                               "Status: install ok installed\n\n"
                               "Package: c\nVersion: 3\nStatus: install ok installed\n";
    dd_rootfs *fs = NULL;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(dd_rootfs_add_file(fs, "var/lib/dpkg/status", (const uint8_t *)data,
                                        sizeof(data) - 1, sizeof(data) - 1, 0100644, 0, 0),
                     0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    dd_pkg_list pl = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    n_warn = 0;
    assert_int_equal(dd_cataloger_dpkg.catalog(fs, &pl, count_warn, NULL, &err), 0);
    assert_int_equal(n_warn, 1);
    assert_int_equal(pl.n, 2);
    assert_string_equal(pl.items[0].name, "a");
    assert_string_equal(pl.items[1].name, "c");
    dd_pkg_list_free(&pl);
    dd_rootfs_free(fs);
}

static void parse_str(const char *s, dd_pkg_list *pl, int want_rc)
{
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_dpkg_parse((const uint8_t *)s, strlen(s), "/x", 0, pl, &err), want_rc);
}

static void test_edge_cases(void **state)
{
    (void)state;
    dd_pkg_list pl = DD_PKG_LIST_INIT;

    /* CRLF, continuation lines, no trailing newline, field names in other case, multi-arch */
    parse_str("\r\n\r\nPackage: libx\r\nStatus: install ok installed\r\nVersion: 1:2.0-1\r\n"
              "Description: x\r\n more\r\n .\r\n\tmore\r\nArchitecture: amd64\r\n"
              "source: xsrc (2.0-0.1)\r\n\r\n \t\r\n"
              "PACKAGE: libx\nstatus: install ok installed\nversion: 1:2.0-1\n"
              "Architecture: i386",
              &pl, 0);
    assert_int_equal(pl.n, 2);
    assert_string_equal(pl.items[0].name, "libx");
    assert_string_equal(pl.items[0].version, "1:2.0-1");
    assert_string_equal(pl.items[0].arch, "amd64");
    assert_string_equal(pl.items[0].source_name, "xsrc");
    assert_string_equal(pl.items[0].source_version, "2.0-0.1");
    assert_string_equal(pl.items[1].arch, "i386");
    assert_string_equal(pl.items[1].source_name, "libx");
    assert_string_equal(pl.items[1].source_version, "1:2.0-1");
    dd_pkg_list_free(&pl);

    /* states: only those with files on disk; no Status outside status.d is not installed */
    parse_str("Package: a\nVersion: 1\nStatus: install ok triggers-pending\n\n"
              "Package: b\nVersion: 1\nStatus: deinstall ok config-files\n\n"
              "Package: c\nVersion: 1\nStatus: purge ok not-installed\n\n"
              "Package: d\nVersion: 1\nStatus: install ok\n\n"
              "Package: e\nVersion: 1\n\n"
              "Package: f\nVersion: 1\nStatus:  install  ok  half-configured  \n",
              &pl, 0);
    assert_int_equal(pl.n, 2);
    assert_string_equal(pl.items[0].name, "a");
    assert_string_equal(pl.items[1].name, "f");
    dd_pkg_list_free(&pl);

    /* bad lines: no colon, empty field name, space in the name; the next stanza still counts */
    parse_str("Package: a\nVersion: 1\nStatus: install ok installed\nnocolon\n\n"
              ": v\n\nPack age: x\n\n"
              "Package: z\nVersion: 1\nStatus: install ok installed\n",
              &pl, DD_EINVALID);
    assert_int_equal(pl.n, 1);
    assert_string_equal(pl.items[0].name, "z");
    dd_pkg_list_free(&pl);

    /* odd Source values */
    parse_str("Package: a\nVersion: 1\nStatus: install ok installed\nSource: (2\n\n"
              "Package: b\nVersion: 1\nStatus: install ok installed\nSource: s (\n",
              &pl, 0);
    assert_int_equal(pl.n, 2);
    assert_string_equal(pl.items[0].source_name, "a");
    assert_string_equal(pl.items[0].source_version, "2");
    assert_string_equal(pl.items[1].source_name, "s");
    assert_string_equal(pl.items[1].source_version, "1");
    dd_pkg_list_free(&pl);

    /* a NUL byte in a line (found by the fuzzer: it made an empty name) drops the stanza */
    static const char nul[] = "Package: \0a\nVersion: 1\nStatus: install ok installed\n\n"
                              "Package: b\nVersion: 1\nStatus: install ok installed\n";
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_dpkg_parse((const uint8_t *)nul, sizeof(nul) - 1, NULL, 0, &pl, &err),
                     DD_EINVALID);
    assert_int_equal(err.offset, 0);
    assert_int_equal(pl.n, 1);
    assert_string_equal(pl.items[0].name, "b");
    dd_pkg_list_free(&pl);

    parse_str("", &pl, 0);
    parse_str("\n\n", &pl, 0);
    parse_str(" continuation first\n", &pl, 0);
    assert_int_equal(pl.n, 0);
}

static void add_str(dd_rootfs *fs, const char *path, const char *data)
{
    assert_int_equal(dd_rootfs_add_file(fs, path, (const uint8_t *)data, strlen(data), strlen(data),
                                        0100644, 0, 0),
                     0);
}

/* The owners index: multi-arch .list names, first owner wins, /usr-merge spellings in both
 * directions only when the image has the symlink, bad and oversized lists skipped with a warning.
 * The "/lib/x86_64-linux-gnu/..." lines are as Debian 12's libc6:amd64.list writes them. */
static void test_owners(void **state)
{
    (void)state;
    for (int merged = 0; merged <= 1; merged++) {
        dd_rootfs *fs = NULL;
        assert_int_equal(dd_rootfs_new(&fs), 0);
        add_str(fs, "var/lib/dpkg/info/libc6:amd64.list",
                "/.\n/lib\n/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu/libc.so.6\n"
                "/usr/share/doc/libc6/copyright");
        add_str(fs, "var/lib/dpkg/info/python3-attr.list",
                "/.\n/usr\n/usr/lib\n/usr/lib/python3/dist-packages/attr/__init__.py\n"
                "/lib/x86_64-linux-gnu\n");
        add_str(fs, "var/lib/dpkg/info/bad.list", "/usr/bin/bad\nrelative/path\n");
        add_str(fs, "var/lib/dpkg/info/:amd64.list", "/usr/bin/noname\n");
        add_str(fs, "var/lib/dpkg/info/libc6.md5sums", "0  usr/bin/md5\n");
        assert_int_equal(dd_rootfs_add_file(fs, "var/lib/dpkg/info/huge.list", (const uint8_t *)"",
                                            0, DD_DPKG_LIST_MAX + 1ull, 0100644, 0, 1),
                         0);
        if (merged)
            assert_int_equal(dd_rootfs_add_symlink(fs, "lib", "/usr/lib", 0), 0);
        assert_int_equal(dd_rootfs_finish(fs), 0);

        dd_dpkg_owners *o = NULL;
        dd_err err = DD_ERR_INIT;
        n_warn = 0;
        assert_int_equal(dd_dpkg_owners_load(&o, fs, count_warn, NULL, &err), 0);
        assert_int_equal(n_warn, 3); /* bad.list, :amd64.list, huge.list */
        assert_int_equal(dd_dpkg_owners_n_lists(o), 5);
        assert_string_equal(dd_dpkg_owners_find(o, "/lib/x86_64-linux-gnu/libc.so.6"), "libc6");
        assert_string_equal(dd_dpkg_owners_find(o, "usr/share/doc/libc6/copyright"), "libc6");
        assert_string_equal(dd_dpkg_owners_find(o, "/usr/share/doc/libc6/copyright/"), "libc6");
        /* listed by both: the first .list by name */
        assert_string_equal(dd_dpkg_owners_find(o, "lib/x86_64-linux-gnu"), "libc6");
        assert_string_equal(dd_dpkg_owners_find(o, "usr/lib"), "python3-attr");
        assert_null(dd_dpkg_owners_find(o, "."));
        assert_null(dd_dpkg_owners_find(o, ""));
        assert_null(dd_dpkg_owners_find(o, "usr/bin/bad")); /* the whole bad list is dropped */
        assert_null(dd_dpkg_owners_find(o, "usr/bin/noname"));
        assert_null(dd_dpkg_owners_find(o, "usr/bin/md5"));
        assert_null(dd_dpkg_owners_find(o, "usr/share/doc/libc6/copyrigh"));
        /* the other spelling: only through the lib -> usr/lib symlink */
        const char *a = dd_dpkg_owners_find(o, "usr/lib/x86_64-linux-gnu/libc.so.6");
        const char *b = dd_dpkg_owners_find(o, "lib/python3/dist-packages/attr/__init__.py");
        const char *c = dd_dpkg_owners_find(o, "usr/lib/x86_64-linux-gnu");
        if (merged) {
            assert_string_equal(a, "libc6");
            assert_string_equal(b, "python3-attr");
            assert_string_equal(c, "libc6");
        } else {
            assert_null(a);
            assert_null(b);
            assert_null(c);
        }
        assert_null(dd_dpkg_owners_find(o, "usr/lib64/x86_64-linux-gnu/libc.so.6"));
        assert_null(dd_dpkg_owners_find(o, "usr/libx/x86_64-linux-gnu/libc.so.6"));
        dd_dpkg_owners_free(o);

        /* the cataloger reports the same bad lists once */
        dd_pkg_list pl = DD_PKG_LIST_INIT;
        n_warn = 0;
        assert_int_equal(dd_cataloger_dpkg.catalog(fs, &pl, count_warn, NULL, &err), 0);
        assert_int_equal(n_warn, 3);
        assert_int_equal(pl.n, 0);
        dd_rootfs_free(fs);
    }
    /* an image without file lists */
    dd_rootfs *fs = NULL;
    dd_dpkg_owners *o = NULL;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    assert_int_equal(dd_dpkg_owners_load(&o, fs, NULL, NULL, &err), 0);
    assert_int_equal(dd_dpkg_owners_n_lists(o), 0);
    assert_null(dd_dpkg_owners_find(o, "usr/bin/x"));
    assert_null(dd_dpkg_owners_find(NULL, "usr/bin/x"));
    dd_dpkg_owners_free(o);
    dd_rootfs_free(fs);

    /* the parser directly: a bad line's offset, NUL bytes, no trailing newline */
    assert_int_equal(dd_dpkg_owners_new(&o), 0);
    static const char nul[] = "/a\n/b\0c\n";
    assert_int_equal(dd_dpkg_list_parse((const uint8_t *)nul, sizeof(nul) - 1, "p", o, &err),
                     DD_EINVALID);
    assert_int_equal(err.offset, 3);
    assert_null(dd_dpkg_owners_find(o, "a"));
    assert_int_equal(dd_dpkg_list_parse((const uint8_t *)"/x/y", 4, "q", o, &err), 0);
    assert_int_equal(dd_dpkg_list_parse((const uint8_t *)"\n\n//x/y\n/z\n", 11, "r", o, &err), 0);
    assert_int_equal(dd_dpkg_list_parse(NULL, 0, "s", o, &err), 0);
    assert_string_equal(dd_dpkg_owners_find(o, "x/y"), "q");
    assert_string_equal(dd_dpkg_owners_find(o, "//z"), "r");
    dd_dpkg_owners_free(o);
}

/* wants keeps the file lists; one over the limit goes through an extractor that keeps nothing */
static void test_owners_wants(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        uint64_t size;
        dd_keep want;
    } cases[] = {
        {"var/lib/dpkg/info/libc6:amd64.list", 100, DD_KEEP_WHOLE},
        {"var/lib/dpkg/info/python3-attr.list", DD_DPKG_LIST_MAX, DD_KEEP_WHOLE},
        {"var/lib/dpkg/info/big.list", DD_DPKG_LIST_MAX + 1ull, DD_KEEP_EXTRACT},
        {"var/lib/dpkg/info/.list", 10, DD_KEEP_NONE},
        {"var/lib/dpkg/info/libc6.md5sums", 10, DD_KEEP_NONE},
        {"var/lib/dpkg/info/sub/x.list", 10, DD_KEEP_NONE},
        {"usr/share/x.list", 10, DD_KEEP_NONE},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const dd_extractor *ex = NULL;
        const char *p = cases[i].path;
        assert_int_equal(dd_cataloger_dpkg.wants(p, strlen(p), 0100644, cases[i].size, &ex),
                         cases[i].want);
        if (cases[i].want == DD_KEEP_EXTRACT) {
            assert_non_null(ex);
            void *st = ex->begin(p, cases[i].size);
            assert_non_null(st);
            assert_int_equal(ex->feed(st, (const uint8_t *)"/x\n", 3), 1);
            uint8_t *out = NULL;
            size_t out_len = 1;
            assert_int_equal(ex->end(st, &out, &out_len), 0);
            assert_non_null(out);
            assert_int_equal(out_len, 0);
            dd_free(out);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_files_match_dpkg_query),
        cmocka_unit_test(test_files_dpkg_query_refuses),
        cmocka_unit_test(test_distroless_status_d),
        cmocka_unit_test(test_catalog_rootfs_dir),
        cmocka_unit_test(test_catalog_warns),
        cmocka_unit_test(test_edge_cases),
        cmocka_unit_test(test_owners),
        cmocka_unit_test(test_owners_wants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
