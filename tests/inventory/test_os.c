/* Tests for OS detection: every os-release fixture under tests/fixtures/pkgdb/os-release (real
 * files from claircore, syft and trivy test data) is loaded as a root filesystem and detected.
 * Where the fixture's os-release / lsb-release states id, version and codename, the expectation is
 * read from that text by a small KEY=value reader of this test's own; the cases that need logic
 * (release-file parsing, Debian point releases, sid, unrecognised systems) and every OSV ecosystem
 * are written out. The claircore txtar files also check dd_os_release_parse against the values
 * claircore's own parser recorded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "image/rootfs.h"
#include "inventory/os.h"
#include "util/alloc.h"

#ifndef DD_FIXTURES
#error "DD_FIXTURES must name the tests/fixtures directory"
#endif

#define OSREL DD_FIXTURES "/pkgdb/os-release"
#define NONE "" /* in an expectation: the field must be NULL */

/* The test's own reading of KEY=value text: the last line "KEY=..." wins, surrounding quotes and a
 * trailing CR are dropped. Returns a malloc'd value, or NULL when absent or empty. */
static char *kv(const char *text, size_t len, const char *key)
{
    char *found = NULL;
    size_t kl = strlen(key);
    for (size_t i = 0; i < len;) {
        const char *line = text + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - line) : len - i;
        i += ll + 1;
        if (ll > kl && memcmp(line, key, kl) == 0 && line[kl] == '=') {
            const char *v = line + kl + 1;
            size_t vl = ll - kl - 1;
            if (vl > 0 && v[vl - 1] == '\r')
                vl--;
            if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
                v++;
                vl -= 2;
            }
            free(found);
            found = vl ? strndup(v, vl) : NULL;
        }
    }
    return found;
}

static char *lower(char *s)
{
    for (char *p = s; p && *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    return s;
}

/* What the release text says: the first of etc/os-release, usr/lib/os-release, etc/lsb-release
 * that names the distro (the order os-release(5) and lsb_release document). */
typedef struct stated {
    char *id, *version_id, *codename, *pretty, *source;
} stated;

static void stated_free(stated *s)
{
    free(s->id);
    free(s->version_id);
    free(s->codename);
    free(s->pretty);
    free(s->source);
    memset(s, 0, sizeof(*s));
}

static void read_stated(const dd_rootfs *fs, stated *out)
{
    static const struct {
        const char *path, *id, *ver, *code, *pretty;
    } files[] = {
        {"etc/os-release", "ID", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME"},
        {"usr/lib/os-release", "ID", "VERSION_ID", "VERSION_CODENAME", "PRETTY_NAME"},
        {"etc/lsb-release", "DISTRIB_ID", "DISTRIB_RELEASE", "DISTRIB_CODENAME",
         "DISTRIB_DESCRIPTION"},
    };
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < 3; i++) {
        const dd_rfile *f = dd_rootfs_get(fs, files[i].path);
        if (f == NULL)
            continue;
        char *text = strndup((const char *)f->data, f->len);
        char *id = kv(text, f->len, files[i].id);
        if (id != NULL) {
            out->id = lower(id);
            out->version_id = kv(text, f->len, files[i].ver);
            out->codename = kv(text, f->len, files[i].code);
            out->pretty = kv(text, f->len, files[i].pretty);
            size_t n = strlen(files[i].path) + 2;
            out->source = malloc(n);
            snprintf(out->source, n, "/%s", files[i].path);
        }
        free(text);
        if (id == NULL)
            continue;
        /* a codename missing from os-release is stated by lsb-release of the same distro */
        const dd_rfile *lsb = out->codename == NULL ? dd_rootfs_get(fs, "etc/lsb-release") : NULL;
        if (lsb != NULL) {
            char *lt = strndup((const char *)lsb->data, lsb->len);
            char *lid = kv(lt, lsb->len, "DISTRIB_ID");
            if (lid != NULL && strcmp(lower(lid), out->id) == 0)
                out->codename = kv(lt, lsb->len, "DISTRIB_CODENAME");
            free(lid);
            free(lt);
        }
        return;
    }
}

typedef struct os_case {
    const char *path;  /* under OSREL: a rootfs directory, or a loose file (see place) */
    const char *place; /* NULL: path is a directory; else where the loose file goes in the rootfs */
    int found;         /* 0: DD_ENOTFOUND expected */
    const char *ecosystem;                            /* NULL: dd_os_ecosystem says DD_ENOTFOUND */
    const char *id, *version_id, *version, *codename; /* NULL: as stated by the text; NONE: NULL */
} os_case;

static const os_case cases[] = {
    /* claircore: alpine (VERSION_ID 3.x.y, edge is a _alpha pre-release) */
    {"claircore/alpine-3.3", NULL, 1, "Alpine:v3.3", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.4", NULL, 1, "Alpine:v3.4", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.6", NULL, 1, "Alpine:v3.6", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.7", NULL, 1, "Alpine:v3.7", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.8", NULL, 1, "Alpine:v3.8", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.10", NULL, 1, "Alpine:v3.10", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.11", NULL, 1, "Alpine:v3.11", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.12", NULL, 1, "Alpine:v3.12", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.14", NULL, 1, "Alpine:v3.14", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.15", NULL, 1, "Alpine:v3.15", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.16", NULL, 1, "Alpine:v3.16", NULL, NULL, NULL, NULL},
    {"claircore/alpine-3.18", NULL, 1, "Alpine:v3.18", NULL, NULL, NULL, NULL},
    {"claircore/alpine-edge", NULL, 1, "Alpine:edge", NULL, NULL, NULL, NULL},
    /* claircore: debian, incl. distroless (no codename) */
    {"claircore/debian-7", NULL, 1, "Debian:7", NULL, NULL, NULL, NULL},
    {"claircore/debian-8", NULL, 1, "Debian:8", NULL, NULL, NULL, NULL},
    {"claircore/debian-10", NULL, 1, "Debian:10", NULL, NULL, NULL, NULL},
    {"claircore/debian-12", NULL, 1, "Debian:12", NULL, NULL, NULL, NULL},
    {"claircore/debian-distroless-9", NULL, 1, "Debian:9", NULL, NULL, NULL, NULL},
    {"claircore/debian-distroless-11", NULL, 1, "Debian:11", NULL, NULL, NULL, NULL},
    /* claircore: rhel; os-release wins over redhat-release (rhel-7 has 7.7 vs 7.4) */
    {"claircore/rhel-7", NULL, 1, "Red Hat", NULL, NULL, NULL, NULL},
    {"claircore/rhel-9", NULL, 1, "Red Hat", NULL, NULL, NULL, NULL},
    {"claircore/rhel-atomichost-7", NULL, 1, "Red Hat", NULL, NULL, NULL, NULL},
    /* redhat-release only: parsed from "... release 7.9 (Maipo)" */
    {"claircore/rhel-oracle-7", NULL, 1, "Red Hat", "rhel", "7.9", "7.9", NONE},
    {"claircore/rhel-oracle-9", NULL, 1, "Red Hat", "rhel", "9.3", "9.3", NONE},
    /* claircore: ubuntu; 10.04 has only lsb-release; "ubuntu-11" is really Debian 11 */
    {"claircore/ubuntu-10.04", NULL, 1, "Ubuntu:10.04", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-11", NULL, 1, "Debian:11", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-12.04", NULL, 1, "Ubuntu:12.04", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-13.04", NULL, 1, "Ubuntu:13.04", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-13.10", NULL, 1, "Ubuntu:13.10", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-14.10", NULL, 1, "Ubuntu:14.10", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-15.04", NULL, 1, "Ubuntu:15.04", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-15.10", NULL, 1, "Ubuntu:15.10", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-16.04", NULL, 1, "Ubuntu:16.04", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-17.04", NULL, 1, "Ubuntu:17.04", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-17.10", NULL, 1, "Ubuntu:17.10", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-18.04", NULL, 1, "Ubuntu:18.04", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-18.10", NULL, 1, "Ubuntu:18.10", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-19.04", NULL, 1, "Ubuntu:19.04", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-20.04", NULL, 1, "Ubuntu:20.04", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-20.10", NULL, 1, "Ubuntu:20.10", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-21.04", NULL, 1, "Ubuntu:21.04", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-21.10", NULL, 1, "Ubuntu:21.10", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-22.10", NULL, 1, "Ubuntu:22.10", NULL, NULL, NULL, NULL},
    {"claircore/ubuntu-23.10", NULL, 1, "Ubuntu:23.10", NULL, NULL, NULL, NULL},
    /* syft: rootfs directories */
    {"syft/os/almalinux/from-os-release", NULL, 1, "AlmaLinux:8", NULL, NULL, NULL, NULL},
    {"syft/os/almalinux/from-redhat-release", NULL, 1, "AlmaLinux:8", "almalinux", "8.10", "8.10",
     NONE},
    {"syft/os/alpine", NULL, 1, "Alpine:v3.11", NULL, NULL, NULL, NULL},
    {"syft/os/amazon", NULL, 1, NULL, NULL, NULL, NULL, NULL},
    {"syft/os/arch", NULL, 1, NULL, NULL, NULL, NULL, NULL},
    {"syft/os/busybox", NULL, 0, NULL, NULL, NULL, NULL, NULL},
    {"syft/os/centos", NULL, 1, "Red Hat", NULL, NULL, NULL, NULL},
    {"syft/os/centos5", NULL, 1, "Red Hat", "centos", "5.7", "5.7", NONE},
    {"syft/os/centos6", NULL, 0, NULL, NULL, NULL, NULL, NULL}, /* system-release-cpe only */
    {"syft/os/custom", NULL, 1, NULL, NULL, NULL, NULL, NULL},
    /* Debian: debian_version gives the point release, and the major when os-release has none */
    {"syft/os/debian/from-debian_version", NULL, 1, "Debian:10", NULL, "10", "10.8", NULL},
    {"syft/os/debian/from-os-release", NULL, 1, "Debian:8", NULL, NULL, NULL, NULL},
    {"syft/os/debian/with-point-release", NULL, 1, "Debian:13", NULL, NULL, "13.5", NULL},
    {"syft/os/empty", NULL, 0, NULL, NULL, NULL, NULL, NULL},
    {"syft/os/fedora", NULL, 1, NULL, NULL, NULL, NULL, NULL}, /* VERSION_CODENAME="" */
    {"syft/os/mariner", NULL, 1, NULL, NULL, NULL, NULL, NULL},
    {"syft/os/opensuse-leap", NULL, 1, "openSUSE:Leap 15.2", NULL, NULL, NULL, NULL},
    {"syft/os/oraclelinux", NULL, 1, NULL, NULL, NULL, NULL, NULL},
    {"syft/os/photon", NULL, 1, NULL, NULL, NULL, NULL, NULL},
    {"syft/os/redhat/from-os-release", NULL, 1, "Red Hat", NULL, NULL, NULL, NULL},
    {"syft/os/redhat/from-redhat-release", NULL, 1, "Red Hat", "rhel", "8.10", "8.10", NONE},
    {"syft/os/rockylinux/from-os-release", NULL, 1, "Rocky Linux:8", NULL, NULL, NULL, NULL},
    {"syft/os/rockylinux/from-redhat-release", NULL, 1, "Rocky Linux:8", "rocky", "8.10", "8.10",
     NONE},
    {"syft/os/scientific/from-os-release", NULL, 1, NULL, NULL, NULL, NULL, NULL},
    {"syft/os/scientific/from-redhat-release", NULL, 1, NULL, "scientific", "7.9", "7.9", NONE},
    {"syft/os/sles", NULL, 1, "SUSE:Linux Enterprise Server 15.2", NULL, NULL, NULL, NULL},
    {"syft/os/ubuntu", NULL, 1, "Ubuntu:20.04", NULL, NULL, NULL, NULL},
    {"syft/os/wolfi", NULL, 1, "Wolfi", NULL, NULL, NULL, NULL},
    {"syft/partial-fields/missing-id", NULL, 0, NULL, NULL, NULL, NULL, NULL},
    {"syft/partial-fields/missing-version", NULL, 0, NULL, NULL, NULL, NULL, NULL},
    {"syft/partial-fields/unknown-id", NULL, 1, NULL, NULL, NULL, NULL, NULL},
    /* syft: loose files */
    {"syft/centos-8", "etc/os-release", 1, "Red Hat", NULL, NULL, NULL, NULL},
    {"syft/debian-8", "etc/os-release", 1, "Debian:8", NULL, NULL, NULL, NULL},
    {"syft/rhel-8", "etc/os-release", 1, "Red Hat", NULL, NULL, NULL, NULL},
    {"syft/ubuntu-20.04", "etc/os-release", 1, "Ubuntu:20.04", NULL, NULL, NULL, NULL},
    {"syft/unprintable", "etc/os-release", 1, "Debian:8", NULL, NULL, NULL, NULL}, /* CRLF */
    {"syft/bad-redhat-release", "etc/redhat-release", 1, "Red Hat", "centos", "5", "5", NONE},
    {"syft/bad-system-release-cpe", "etc/system-release-cpe", 0, NULL, NULL, NULL, NULL, NULL},
    /* trivy: debian_version alone (a point release; a testing/sid codename) */
    {"trivy-misc/debian/debian_9", NULL, 1, "Debian:9", "debian", "9", "9.8", NONE},
    {"trivy-misc/debian/debian_sid", NULL, 1, NULL, "debian", NONE, NONE, "buster"},
    {"trivy-misc/ubuntu/lsb-release", "etc/lsb-release", 1, "Ubuntu:18.04", NULL, NULL, NULL, NULL},
    /* trivy: per-distro release files */
    {"trivy-redhatbase/alma/almalinux-release", "etc/almalinux-release", 1, "AlmaLinux:8",
     "almalinux", "8.4", "8.4", NONE},
    {"trivy-redhatbase/centos/centos-release", "etc/centos-release", 1, "Red Hat", "centos",
     "7.6.1810", "7.6.1810", NONE},
    {"trivy-redhatbase/fedora_29/fedora-release", "etc/fedora-release", 1, NULL, "fedora", "29",
     "29", NONE},
    {"trivy-redhatbase/oracle_7/oracle-release", "etc/oracle-release", 1, NULL, "ol", "7.6", "7.6",
     NONE},
    {"trivy-redhatbase/redhat_6/redhat-release", "etc/redhat-release", 1, "Red Hat", "rhel", "6.2",
     "6.2", NONE},
    {"trivy-redhatbase/rocky/rocky-release", "etc/rocky-release", 1, "Rocky Linux:8", "rocky",
     "8.4", "8.4", NONE},
};

static dd_rootfs *load_case(const os_case *c)
{
    dd_rootfs *fs = NULL;
    dd_err err = DD_ERR_INIT;
    char *path = dd_asprintf("%s/%s", OSREL, c->path);
    assert_non_null(path);
    if (c->place == NULL) {
        if (dd_rootfs_from_dir(&fs, path, dd_os_wants, 64 * 1024, &err) != 0)
            fail_msg("%s: %s", c->path, err.msg);
    } else {
        size_t len;
        char *text = (char *)itest_slurp(path, &len);
        assert_int_equal(dd_rootfs_new(&fs), 0);
        assert_int_equal(
            dd_rootfs_add_file(fs, c->place, (const uint8_t *)text, len, len, 0100644, 0, 0), 0);
        assert_int_equal(dd_rootfs_finish(fs), 0);
        free(text);
    }
    dd_free(path);
    return fs;
}

static void expect_str(const char *what, const char *field, const char *got, const char *want)
{
    if (want == NULL || want[0] == '\0') {
        if (got != NULL)
            fail_msg("%s: %s is \"%s\", want NULL", what, field, got);
    } else if (got == NULL || strcmp(got, want) != 0) {
        fail_msg("%s: %s is %s%s%s, want \"%s\"", what, field, got ? "\"" : "", got ? got : "NULL",
                 got ? "\"" : "", want);
    }
}

static void test_fixtures(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const os_case *c = &cases[i];
        dd_rootfs *fs = load_case(c);
        dd_os os;
        dd_err err = DD_ERR_INIT;
        int rc = dd_os_detect(fs, &os, &err);
        if (!c->found) {
            if (rc != DD_ENOTFOUND)
                fail_msg("%s: rc %d (id %s), want DD_ENOTFOUND", c->path, rc,
                         rc == 0 && os.id ? os.id : "-");
            assert_null(os.id); /* out is zeroed */
            dd_rootfs_free(fs);
            continue;
        }
        if (rc != 0)
            fail_msg("%s: rc %d (%s)", c->path, rc, err.msg);
        stated st;
        read_stated(fs, &st);
        const char *want_id = c->id ? c->id : st.id;
        const char *want_vid = c->version_id ? c->version_id : st.version_id;
        const char *want_code = c->codename ? c->codename : st.codename;
        /* version: the point release where known, else VERSION_ID */
        const char *want_ver = c->version ? c->version : want_vid;
        if (c->id == NULL && st.id == NULL)
            fail_msg("%s: the fixture states no ID; the case must give one", c->path);
        expect_str(c->path, "id", os.id, want_id);
        expect_str(c->path, "version_id", os.version_id, want_vid);
        expect_str(c->path, "version", os.version, want_ver);
        expect_str(c->path, "codename", os.codename, want_code);
        if (st.pretty != NULL && c->id == NULL)
            expect_str(c->path, "pretty_name", os.pretty_name, st.pretty);
        if (st.source != NULL && c->id == NULL)
            expect_str(c->path, "source", os.source, st.source);
        assert_non_null(os.pretty_name);
        assert_non_null(os.source);
        char eco[96];
        int erc = dd_os_ecosystem(&os, eco, sizeof(eco));
        if (c->ecosystem == NULL) {
            if (erc != DD_ENOTFOUND)
                fail_msg("%s: ecosystem %s, want none", c->path, eco);
        } else {
            if (erc != 0)
                fail_msg("%s: no ecosystem, want %s", c->path, c->ecosystem);
            /* Red Hat family: per major release of the stated version ("Red Hat:8") */
            char want_eco[96];
            if (strcmp(c->ecosystem, "Red Hat") == 0 && want_vid != NULL && want_vid[0] >= '0' &&
                want_vid[0] <= '9')
                snprintf(want_eco, sizeof(want_eco), "Red Hat:%.*s", (int)strcspn(want_vid, "."),
                         want_vid);
            else
                snprintf(want_eco, sizeof(want_eco), "%s", c->ecosystem);
            expect_str(c->path, "ecosystem", eco, want_eco);
        }
        stated_free(&st);
        dd_os_clear(&os);
        dd_rootfs_free(fs);
    }
}

/* Every directory holding an etc/ or usr/ (a rootfs) and every loose release file in the fixture
 * tree appears in the table above, so a fixture added later cannot go untested. */
static void test_every_fixture_listed(void **state)
{
    (void)state;
    FILE *p = popen("cd '" OSREL "' && find . -type f ! -name '*.txtar' ! -name '.gitignore'"
                    " | sed 's|^\\./||' | sort",
                    "r");
    assert_non_null(p);
    char line[1024];
    size_t n = 0;
    while (fgets(line, sizeof(line), p) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        n++;
        int ok = 0;
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]) && !ok; i++) {
            size_t pl = strlen(cases[i].path);
            if (cases[i].place != NULL)
                ok = strcmp(line, cases[i].path) == 0;
            else
                ok = strncmp(line, cases[i].path, pl) == 0 && line[pl] == '/';
        }
        if (!ok)
            fail_msg("fixture %s is not covered by a case", line);
    }
    assert_int_equal(pclose(p), 0);
    assert_true(n > 100);
}

/* claircore's txtar files hold an os-release and the key/value map claircore parsed from it. */
static char *txtar_section(const char *text, const char *name)
{
    char marker[128];
    snprintf(marker, sizeof(marker), "-- %s --\n", name);
    const char *s = strstr(text, marker);
    if (s == NULL)
        return NULL;
    s += strlen(marker);
    const char *e = strstr(s, "\n-- ");
    return strndup(s, e ? (size_t)(e - s) + 1 : strlen(s));
}

static void test_txtar_parse(void **state)
{
    (void)state;
    static const char *const files[] = {"Alpine",          "Buster",   "DistrolessCorrupt",
                                        "DistrolessValid", "EmptyKey", "OpenSUSe",
                                        "Silverblue",      "Ubi8"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *path = dd_asprintf("%s/claircore-txtar/%s.txtar", OSREL, files[i]);
        size_t len;
        char *text = (char *)itest_slurp(path, &len);
        char *osr = txtar_section(text, "os-release");
        char *parsed = txtar_section(text, "Parsed");
        assert_non_null(osr);
        assert_non_null(parsed);
        json_error_t jerr;
        json_t *want = json_loads(parsed, 0, &jerr);
        if (want == NULL)
            fail_msg("%s: Parsed: %s", path, jerr.text);
        dd_os os;
        memset(&os, 0, sizeof(os));
        dd_err err = DD_ERR_INIT;
        assert_int_equal(dd_os_release_parse((const uint8_t *)osr, strlen(osr), &os, &err), 0);
        static const struct {
            const char *key;
            size_t off;
            int lower;
        } fields[] = {{"ID", offsetof(dd_os, id), 1},
                      {"VERSION_ID", offsetof(dd_os, version_id), 0},
                      {"VERSION_CODENAME", offsetof(dd_os, codename), 0},
                      {"PRETTY_NAME", offsetof(dd_os, pretty_name), 0},
                      {"ID_LIKE", offsetof(dd_os, id_like), 1}};
        for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
            const char *got = *(char **)((char *)&os + fields[k].off);
            json_t *v = json_object_get(want, fields[k].key);
            char *w = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
            if (fields[k].lower)
                lower(w);
            char *what = dd_asprintf("%s %s", files[i], fields[k].key);
            expect_str(what, "value", got, w); /* "" in claircore's map means unset here */
            dd_free(what);
            free(w);
        }
        json_decref(want);
        dd_os_clear(&os);
        free(osr);
        free(parsed);
        free(text);
        dd_free(path);
    }
}

static dd_rootfs *mem_fs(const char *const *files)
{
    dd_rootfs *fs = NULL;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    for (size_t i = 0; files[i] != NULL; i += 2)
        assert_int_equal(dd_rootfs_add_file(fs, files[i], (const uint8_t *)files[i + 1],
                                            strlen(files[i + 1]), strlen(files[i + 1]), 0100644, 0,
                                            0),
                         0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    return fs;
}

/* Debian 12's os-release says VERSION_ID="12"; the point release lives in debian_version. */
static void test_debian_point_release(void **state)
{
    (void)state;
    size_t len;
    char *osr = (char *)itest_slurp(OSREL "/claircore/debian-12/etc/os-release", &len);
    const char *const files[] = {"etc/os-release", osr, "etc/debian_version", "12.15\n", NULL};
    dd_rootfs *fs = mem_fs(files);
    dd_os os;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_os_detect(fs, &os, &err), 0);
    assert_string_equal(os.id, "debian");
    assert_string_equal(os.version_id, "12");
    assert_string_equal(os.version, "12.15");
    assert_string_equal(os.codename, "bookworm");
    assert_string_equal(os.source, "/etc/os-release");
    char eco[64];
    assert_int_equal(dd_os_ecosystem(&os, eco, sizeof(eco)), 0);
    assert_string_equal(eco, "Debian:12");
    dd_os_clear(&os);
    dd_rootfs_free(fs);
    free(osr);
}

/* debian_version "trixie/sid" names the codename; one starting with '/' names none (found by the
 * fuzzer: it used to give an empty codename). */
static void test_debian_version_codename(void **state)
{
    (void)state;
    static const struct {
        const char *text, *codename;
    } t[] = {{"trixie/sid\n", "trixie"}, {"/sid\n", NULL}, {"//\n", NULL}, {"sid\n", NULL}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        const char *const files[] = {"etc/debian_version", t[i].text, NULL};
        dd_rootfs *fs = mem_fs(files);
        dd_os os;
        dd_err err = DD_ERR_INIT;
        assert_int_equal(dd_os_detect(fs, &os, &err), 0);
        assert_string_equal(os.id, "debian");
        assert_null(os.version_id);
        expect_str(t[i].text, "codename", os.codename, t[i].codename);
        dd_os_clear(&os);
        dd_rootfs_free(fs);
    }
}

/* os-release through a symlink, as on real systems (etc/os-release -> ../usr/lib/os-release). */
static void test_os_release_symlink(void **state)
{
    (void)state;
    dd_rootfs *fs = NULL;
    const char *text = "ID=ubuntu\nVERSION_ID=\"22.04\"\nVERSION_CODENAME=jammy\n";
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(dd_rootfs_add_file(fs, "usr/lib/os-release", (const uint8_t *)text,
                                        strlen(text), strlen(text), 0100644, 0, 0),
                     0);
    assert_int_equal(dd_rootfs_add_symlink(fs, "etc/os-release", "../usr/lib/os-release", 0), 0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    dd_os os;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_os_detect(fs, &os, &err), 0);
    assert_string_equal(os.id, "ubuntu");
    assert_string_equal(os.codename, "jammy");
    char eco[64];
    assert_int_equal(dd_os_ecosystem(&os, eco, sizeof(eco)), 0);
    assert_string_equal(eco, "Ubuntu:22.04");
    dd_os_clear(&os);
    dd_rootfs_free(fs);
}

/* A broken etc/os-release falls back to usr/lib/os-release, then to lsb-release. */
static void test_fallbacks(void **state)
{
    (void)state;
    static const char nul_id[] = "ID=\"deb\0ian\"\nVERSION_ID=12\n";
    dd_rootfs *fs = NULL;
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(dd_rootfs_add_file(fs, "etc/os-release", (const uint8_t *)nul_id,
                                        sizeof(nul_id) - 1, sizeof(nul_id) - 1, 0100644, 0, 0),
                     0);
    const char *lsb = "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=18.04\nDISTRIB_CODENAME=bionic\n"
                      "DISTRIB_DESCRIPTION=\"Ubuntu 18.04.6 LTS\"\n";
    assert_int_equal(dd_rootfs_add_file(fs, "etc/lsb-release", (const uint8_t *)lsb, strlen(lsb),
                                        strlen(lsb), 0100644, 0, 0),
                     0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    dd_os os;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_os_detect(fs, &os, &err), 0);
    assert_string_equal(os.id, "ubuntu");
    assert_string_equal(os.version_id, "18.04");
    assert_string_equal(os.pretty_name, "Ubuntu 18.04.6 LTS");
    assert_string_equal(os.source, "/etc/lsb-release");
    dd_os_clear(&os);
    dd_rootfs_free(fs);
}

static void test_release_parse_quoting(void **state)
{
    (void)state;
    const char *text = "# comment\n"
                       "  ID='Weird'  \r\n"
                       "PRETTY_NAME=\"a \\\"quoted\\\" \\\\ \\$name \\`x\\`\"\n"
                       "VERSION_ID=\"1.0\n" /* unbalanced quote: kept as written */
                       "ID_LIKE=\"Debian Ubuntu\"\n"
                       "junk line without equals\n"
                       "=novalue\n"
                       "VERSION_CODENAME=''\n";
    dd_os os;
    memset(&os, 0, sizeof(os));
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_os_release_parse((const uint8_t *)text, strlen(text), &os, &err), 0);
    assert_string_equal(os.id, "weird");
    assert_string_equal(os.pretty_name, "a \"quoted\" \\ $name `x`");
    assert_string_equal(os.version_id, "\"1.0");
    assert_string_equal(os.id_like, "debian ubuntu");
    assert_null(os.codename);
    dd_os_clear(&os);
}

/* Arbitrary bytes: no crash, and an error points inside the input. */
static void test_unprintable_bytes(void **state)
{
    (void)state;
    uint8_t buf[4096];
    uint32_t x = 12345;
    for (int round = 0; round < 200; round++) {
        size_t n = (size_t)(round * 37) % sizeof(buf);
        for (size_t i = 0; i < n; i++) {
            x = x * 1103515245u + 12345u;
            uint8_t b = (uint8_t)(x >> 16);
            /* salt with the bytes that matter to the parser */
            static const uint8_t salt[] = {'=', '\n', '"', '\'', '\\', 'I', 'D', '\r', 0};
            buf[i] = (x & 0x300) == 0 ? salt[b % sizeof(salt)] : b;
        }
        dd_os os;
        memset(&os, 0, sizeof(os));
        dd_err err = DD_ERR_INIT;
        int rc = dd_os_release_parse(buf, n, &os, &err);
        assert_true(rc == 0 || rc == DD_EINVALID);
        if (rc == DD_EINVALID)
            assert_true(err.offset < n);
        dd_os_clear(&os);
        /* and through detection, as os-release, lsb-release and release files */
        static const char *const places[] = {"etc/os-release", "etc/lsb-release",
                                             "etc/redhat-release", "etc/debian_version",
                                             "etc/alpine-release"};
        dd_rootfs *fs = NULL;
        assert_int_equal(dd_rootfs_new(&fs), 0);
        assert_int_equal(dd_rootfs_add_file(fs, places[round % 5], buf, n, n, 0100644, 0, 0), 0);
        assert_int_equal(dd_rootfs_finish(fs), 0);
        rc = dd_os_detect(fs, &os, &err);
        assert_true(rc == 0 || rc == DD_ENOTFOUND);
        if (rc == 0) {
            char eco[96];
            assert_non_null(os.id);
            (void)dd_os_ecosystem(&os, eco, sizeof(eco));
        }
        dd_os_clear(&os);
        dd_rootfs_free(fs);
    }
}

static void test_ecosystem(void **state)
{
    (void)state;
    static const struct {
        const char *id, *version_id, *want;
    } t[] = {
        {"debian", "12", "Debian:12"},
        {"debian", "12.4", "Debian:12"},
        {"ubuntu", "20.04", "Ubuntu:20.04"},
        {"alpine", "3.18.4", "Alpine:v3.18"},
        {"alpine", "3.18", "Alpine:v3.18"},
        {"alpine", "3.19.0_alpha20230901", "Alpine:edge"},
        {"alpine", "3.19_alpha20230901", "Alpine:edge"},
        {"rhel", "8.6", "Red Hat:8"},
        {"rhel", NULL, "Red Hat"},
        {"centos", "7", "Red Hat:7"},
        {"almalinux", "9.3", "AlmaLinux:9"},
        {"rocky", "8.9", "Rocky Linux:8"},
        {"opensuse-leap", "15.5", "openSUSE:Leap 15.5"},
        {"sles", "15.4", "SUSE:Linux Enterprise Server 15.4"},
        {"wolfi", "20230201", "Wolfi"},
        {"chainguard", NULL, "Chainguard"},
        {"debian", NULL, NULL},
        {"alpine", NULL, NULL},
        {"fedora", "39", NULL},
        {"arch", NULL, NULL},
        {NULL, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        dd_os os;
        memset(&os, 0, sizeof(os));
        os.id = (char *)t[i].id;
        os.version_id = (char *)t[i].version_id;
        char eco[96];
        int rc = dd_os_ecosystem(&os, eco, sizeof(eco));
        if (t[i].want == NULL) {
            assert_int_equal(rc, DD_ENOTFOUND);
        } else {
            assert_int_equal(rc, 0);
            assert_string_equal(eco, t[i].want);
        }
    }
}

static void test_wants(void **state)
{
    (void)state;
    const dd_extractor *ex = NULL;
    static const char *const yes[] = {
        "etc/os-release",     "usr/lib/os-release", "etc/lsb-release",   "etc/alpine-release",
        "etc/debian_version", "etc/redhat-release", "etc/rocky-release", "etc/system-release"};
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
        assert_int_equal(dd_os_wants(yes[i], strlen(yes[i]), 0100644, 200, &ex), DD_KEEP_WHOLE);
    static const char *const no[] = {"etc/os-release.bak",  "etc/passwd",
                                     "os-release",          "usr/lib/os-releas",
                                     "var/lib/dpkg/status", "etc/system-release-cpe"};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        assert_int_equal(dd_os_wants(no[i], strlen(no[i]), 0100644, 200, &ex), DD_KEEP_NONE);
    /* an absurdly large os-release is not kept */
    assert_int_equal(dd_os_wants("etc/os-release", 14, 0100644, 10u * 1024 * 1024, &ex),
                     DD_KEEP_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixtures),
        cmocka_unit_test(test_every_fixture_listed),
        cmocka_unit_test(test_txtar_parse),
        cmocka_unit_test(test_debian_point_release),
        cmocka_unit_test(test_debian_version_codename),
        cmocka_unit_test(test_os_release_symlink),
        cmocka_unit_test(test_fallbacks),
        cmocka_unit_test(test_release_parse_quoting),
        cmocka_unit_test(test_unprintable_bytes),
        cmocka_unit_test(test_ecosystem),
        cmocka_unit_test(test_wants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
