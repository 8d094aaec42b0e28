/* Tests of the Java cataloger: pom.properties and MANIFEST.MF members of real jars, and archives
 * built here from those members with libarchive's zip writer (the class files were not kept). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "inventory/catalog.h"
#include "inventory/java.h"
#include "util/alloc.h"

#define LANG DD_FIXTURES "/pkgdb/lang/java/"
#define JACKSON LANG "jar-metadata/jackson-annotations-2.15.0-rc2.jar/META-INF/"
#define JACKSON_POM "maven/com.fasterxml.jackson.core/jackson-annotations/"
#define API_ALL LANG "jar-metadata/api-all-2.0.0-sources/META-INF/maven/org.apache.directory.api/"

static const dd_pkg *expect(const dd_pkg_list *l, const char *name, const char *version)
{
    const dd_pkg *p = itest_find(l, name, NULL);
    if (p == NULL)
        fail_msg("package %s missing", name);
    assert_string_equal(p->version, version);
    assert_int_equal(p->type, DD_PKG_JAVA);
    return p;
}

/* A zip under construction, in memory. */
typedef struct zip {
    struct archive *a;
    uint8_t *buf;
    size_t cap, used;
} zip;

static void zip_open(zip *z)
{
    z->cap = 8u << 20;
    z->buf = malloc(z->cap);
    z->used = 0;
    z->a = archive_write_new();
    assert_int_equal(archive_write_set_format_zip(z->a), ARCHIVE_OK);
    assert_int_equal(archive_write_open_memory(z->a, z->buf, z->cap, &z->used), ARCHIVE_OK);
}

static void zip_add(zip *z, const char *name, const void *data, size_t len)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)len);
    assert_int_equal(archive_write_header(z->a, e), ARCHIVE_OK);
    assert_int_equal(archive_write_data(z->a, data, len), (la_ssize_t)len);
    archive_entry_free(e);
}

static void zip_add_file(zip *z, const char *name, const char *fixture)
{
    size_t len;
    uint8_t *b = itest_slurp(fixture, &len);
    zip_add(z, name, b, len);
    free(b);
}

static uint8_t *zip_close(zip *z, size_t *len)
{
    assert_int_equal(archive_write_close(z->a), ARCHIVE_OK);
    archive_write_free(z->a);
    *len = z->used;
    return z->buf;
}

/* The jackson-annotations jar: manifest, pom.properties and pom.xml of the real jar. */
static uint8_t *jackson_jar(size_t *len)
{
    zip z;
    zip_open(&z);
    zip_add_file(&z, "META-INF/MANIFEST.MF", JACKSON "MANIFEST.MF");
    zip_add(&z, "com/fasterxml/jackson/annotation/JsonProperty.class", "\xca\xfe\xba\xbe", 4);
    zip_add_file(&z, "META-INF/" JACKSON_POM "pom.properties",
                 JACKSON JACKSON_POM "pom.properties");
    zip_add_file(&z, "META-INF/" JACKSON_POM "pom.xml", JACKSON JACKSON_POM "pom.xml");
    return zip_close(&z, len);
}

/* Value of "key=" in a properties file, found by a plain line scan. */
static char *prop(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && l[kl] == '=') {
            const char *v = l + kl + 1, *e = v;
            while (*e && *e != '\n' && *e != '\r')
                e++;
            return strndup(v, (size_t)(e - v));
        }
    }
    return NULL;
}

static void test_pom_properties(void **state)
{
    (void)state;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    static const char *const files[] = {"small", "colon-delimited", "extra"};
    for (size_t i = 0; i < 3; i++) {
        char path[512];
        snprintf(path, sizeof(path), LANG "pom-properties/%s.pom.properties", files[i]);
        size_t len;
        uint8_t *b = itest_slurp(path, &len);
        assert_int_equal(dd_java_parse_pom_properties(b, len, "/x.jar", 2, &l, &err), 0);
        assert_int_equal(l.n, 1);
        /* all three declare org.anchore / example-java-app-maven / 0.1.0, spaced differently */
        const dd_pkg *p = expect(&l, "org.anchore:example-java-app-maven", "0.1.0");
        assert_string_equal(p->paths.items[0], "/x.jar");
        assert_int_equal(p->layer, 2);
        dd_pkg_list_free(&l);
        free(b);
    }

    /* The pom.properties of every real jar of claircore's Cassandra distribution: coordinates
     * checked against a plain "key=" line scan of the same file. */
    DIR *d = opendir(LANG "claircore-jar-pom-properties");
    assert_non_null(d);
    struct dirent *de;
    int seen = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof(path), LANG "claircore-jar-pom-properties/%s", de->d_name);
        size_t len;
        char *b = (char *)itest_slurp(path, &len);
        char *g = prop(b, "groupId"), *a = prop(b, "artifactId"), *v = prop(b, "version");
        assert_non_null(g);
        assert_non_null(a);
        assert_non_null(v);
        char name[512];
        snprintf(name, sizeof(name), "%s:%s", g, a);
        assert_int_equal(dd_java_parse_pom_properties((uint8_t *)b, len, "/x", 0, &l, &err), 0);
        assert_int_equal(l.n, 1);
        expect(&l, name, v);
        dd_pkg_list_free(&l);
        free(g);
        free(a);
        free(v);
        free(b);
        seen++;
    }
    closedir(d);
    assert_true(seen >= 30);

    /* Missing version: nothing. */
    static const char partial[] = "groupId=a\nartifactId=b\n";
    assert_int_equal(dd_java_parse_pom_properties((const uint8_t *)partial, sizeof(partial) - 1,
                                                  "/x", 0, &l, &err),
                     0);
    assert_int_equal(l.n, 0);
}

static void test_manifest(void **state)
{
    (void)state;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    size_t len;
    uint8_t *b = itest_slurp(JACKSON "MANIFEST.MF", &len);
    assert_int_equal(dd_java_parse_manifest(b, len, "/j.jar", 0, &l, &err), 0);
    assert_int_equal(l.n, 1);
    /* Implementation-Vendor-Id: com.fasterxml.jackson.core, Implementation-Title:
     * Jackson-annotations, Implementation-Version: 2.15.0-rc2 */
    expect(&l, "com.fasterxml.jackson.core:Jackson-annotations", "2.15.0-rc2");
    dd_pkg_list_free(&l);
    free(b);

    /* guava: no Implementation-* attributes; Bundle-SymbolicName and Bundle-Version. The long
     * Export-Package value spans continuation lines. */
    b = itest_slurp(LANG "claircore-jar-manifests/guava-27.0-jre.jar", &len);
    assert_int_equal(dd_java_parse_manifest(b, len, "/g.jar", 0, &l, &err), 0);
    assert_int_equal(l.n, 1);
    expect(&l, "com.google.guava", "27.0.0.jre");
    dd_pkg_list_free(&l);
    free(b);

    /* fqltool: neither a title nor a version: nothing. */
    b = itest_slurp(LANG "claircore-jar-manifests/fqltool.jar", &len);
    assert_int_equal(dd_java_parse_manifest(b, len, "/f.jar", 0, &l, &err), 0);
    assert_int_equal(l.n, 0);
    free(b);

    /* Every real manifest parses. */
    DIR *d = opendir(LANG "claircore-jar-manifests");
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[512];
        snprintf(path, sizeof(path), LANG "claircore-jar-manifests/%s", de->d_name);
        b = itest_slurp(path, &len);
        assert_int_equal(dd_java_parse_manifest(b, len, "/x", 0, &l, &err), 0);
        assert_true(l.n <= 1);
        dd_pkg_list_free(&l);
        free(b);
    }
    closedir(d);

    /* A continuation line joins a split value; the main section ends at the first blank line;
     * directives after ';' are dropped from Bundle-SymbolicName. */
    static const char made[] = "Manifest-Version: 1.0\r\n"
                               "Bundle-SymbolicName: org.example.lo\r\n"
                               " ng.name;singleton:=true\r\n"
                               "Bundle-Version: 1.2\r\n"
                               " .3\r\n"
                               "\r\n"
                               "Name: org/example/\r\n"
                               "Implementation-Title: other\r\n";
    assert_int_equal(
        dd_java_parse_manifest((const uint8_t *)made, sizeof(made) - 1, "/x", 0, &l, &err), 0);
    assert_int_equal(l.n, 1);
    expect(&l, "org.example.long.name", "1.2.3");
    dd_pkg_list_free(&l);

    static const char bad[] = "Manifest-Version 1.0\n";
    assert_int_equal(
        dd_java_parse_manifest((const uint8_t *)bad, sizeof(bad) - 1, "/x", 0, &l, &err),
        DD_EINVALID);
}

static void test_archive(void **state)
{
    (void)state;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    size_t len;
    uint8_t *jar = jackson_jar(&len);
    assert_int_equal(dd_java_parse_archive(jar, len, "/opt/j.jar", 1, &l, &err), 0);
    assert_int_equal(l.n, 1); /* pom.properties wins over the manifest */
    const dd_pkg *p = expect(&l, "com.fasterxml.jackson.core:jackson-annotations", "2.15.0-rc2");
    assert_string_equal(p->paths.items[0], "/opt/j.jar");
    assert_int_equal(p->layer, 1);
    dd_pkg_list_free(&l);

    /* A shaded jar: two pom.properties, two packages. */
    zip z;
    zip_open(&z);
    zip_add_file(&z, "META-INF/maven/org.apache.directory.api/api-all/pom.properties",
                 API_ALL "api-all/pom.properties");
    zip_add_file(&z, "META-INF/maven/org.apache.directory.api/api-asn1-api/pom.properties",
                 API_ALL "api-asn1-api/pom.properties");
    size_t sl;
    uint8_t *shaded = zip_close(&z, &sl);
    assert_int_equal(dd_java_parse_archive(shaded, sl, "/s.jar", 0, &l, &err), 0);
    assert_int_equal(l.n, 2);
    expect(&l, "org.apache.directory.api:api-all", "2.0.0");
    expect(&l, "org.apache.directory.api:api-asn1-api", "2.0.0");
    dd_pkg_list_free(&l);

    /* Manifest only (guava's). */
    zip_open(&z);
    zip_add_file(&z, "META-INF/MANIFEST.MF", LANG "claircore-jar-manifests/guava-27.0-jre.jar");
    size_t gl;
    uint8_t *guava = zip_close(&z, &gl);
    assert_int_equal(dd_java_parse_archive(guava, gl, "/g.jar", 0, &l, &err), 0);
    assert_int_equal(l.n, 1);
    expect(&l, "com.google.guava", "27.0.0.jre");
    dd_pkg_list_free(&l);

    /* Nothing but classes: the file name. fqltool's manifest declares nothing either. */
    zip_open(&z);
    zip_add(&z, "a/B.class", "\xca\xfe\xba\xbe", 4);
    zip_add_file(&z, "META-INF/MANIFEST.MF", LANG "claircore-jar-manifests/fqltool.jar");
    size_t bl;
    uint8_t *bare = zip_close(&z, &bl);
    assert_int_equal(
        dd_java_parse_archive(bare, bl, "/lib/netty-all-4.1.58.Final.jar", 0, &l, &err), 0);
    assert_int_equal(l.n, 1);
    expect(&l, "netty-all", "4.1.58.Final");
    dd_pkg_list_free(&l);
    assert_int_equal(dd_java_parse_archive(bare, bl, "/lib/fqltool.jar", 0, &l, &err), 0);
    assert_int_equal(l.n, 0);

    /* A Spring Boot style jar holding the others; a war holding that (depth 2). */
    zip_open(&z);
    zip_add_file(&z, "META-INF/MANIFEST.MF", LANG "claircore-jar-manifests/fqltool.jar");
    zip_add(&z, "BOOT-INF/lib/jackson-annotations-2.15.0-rc2.jar", jar, len);
    zip_add(&z, "BOOT-INF/lib/api-all-2.0.0.jar", shaded, sl);
    zip_add(&z, "BOOT-INF/lib/guava-27.0-jre.jar", guava, gl);
    zip_add(&z, "BOOT-INF/lib/broken-1.0.jar", "PK\x03\x04garbage", 12);
    size_t boot_len;
    uint8_t *boot = zip_close(&z, &boot_len);
    zip_open(&z);
    zip_add(&z, "WEB-INF/lib/app-3.1.jar", boot, boot_len);
    size_t war_len;
    uint8_t *war = zip_close(&z, &war_len);
    assert_int_equal(dd_java_parse_archive(war, war_len, "/srv/site.war", 4, &l, &err), 0);
    /* app-3.1 (file name: its manifest declares nothing), jackson, 2 shaded, guava; the broken
     * nested jar is skipped. The war itself has no metadata and no version in its name. */
    assert_int_equal(l.n, 5);
    p = expect(&l, "app", "3.1");
    assert_string_equal(p->paths.items[0], "/srv/site.war!/WEB-INF/lib/app-3.1.jar");
    p = expect(&l, "com.fasterxml.jackson.core:jackson-annotations", "2.15.0-rc2");
    assert_string_equal(p->paths.items[0], "/srv/site.war!/WEB-INF/lib/app-3.1.jar!/BOOT-INF/lib/"
                                           "jackson-annotations-2.15.0-rc2.jar");
    assert_int_equal(p->layer, 4);
    p = expect(&l, "org.apache.directory.api:api-asn1-api", "2.0.0");
    assert_string_equal(p->paths.items[0],
                        "/srv/site.war!/WEB-INF/lib/app-3.1.jar!/BOOT-INF/lib/api-all-2.0.0.jar");
    expect(&l, "com.google.guava", "27.0.0.jre");
    dd_pkg_list_free(&l);

    /* Nesting deeper than DD_JAVA_MAX_DEPTH is not followed. */
    uint8_t *cur = jar;
    size_t cur_len = len;
    for (int i = 0; i < DD_JAVA_MAX_DEPTH + 1; i++) {
        zip_open(&z);
        zip_add(&z, "lib/inner.jar", cur, cur_len);
        uint8_t *next = zip_close(&z, &cur_len);
        if (cur != jar)
            free(cur);
        cur = next;
    }
    assert_int_equal(dd_java_parse_archive(cur, cur_len, "/deep.jar", 0, &l, &err), 0);
    assert_null(itest_find(&l, "com.fasterxml.jackson.core:jackson-annotations", NULL));
    dd_pkg_list_free(&l);
    free(cur);

    /* Not a zip; every truncation of a real one is handled. */
    assert_int_equal(dd_java_parse_archive((const uint8_t *)"hello", 5, "/x.jar", 0, &l, &err),
                     DD_EINVALID);
    assert_int_equal(l.n, 0);
    for (size_t n = 0; n < len; n += 7) {
        int rc = dd_java_parse_archive(jar, n, "/x.jar", 0, &l, &err);
        assert_true(rc == 0 || rc == DD_EINVALID);
        dd_pkg_list_free(&l);
    }

    free(war);
    free(boot);
    free(bare);
    free(guava);
    free(shaded);
    free(jar);
}

static void on_warn(void *ctx, const char *path, const char *msg)
{
    (void)msg;
    assert_string_equal(path, "/opt/app/lib/bad.jar");
    (*(int *)ctx)++;
}

static void test_catalog(void **state)
{
    (void)state;
    size_t len;
    uint8_t *jar = jackson_jar(&len);
    dd_rootfs *fs = NULL;
    const dd_extractor *ex = NULL;
    assert_int_equal(dd_cataloger_java.wants("opt/a.jar", 9, S_IFREG | 0644, len, &ex),
                     DD_KEEP_WHOLE);
    assert_int_equal(dd_cataloger_java.wants("opt/a.HPI", 9, S_IFREG | 0644, len, &ex),
                     DD_KEEP_WHOLE);
    assert_int_equal(dd_cataloger_java.wants("opt/a.jar.sha1", 14, S_IFREG | 0644, 40, &ex),
                     DD_KEEP_NONE);
    assert_int_equal(dd_rootfs_new(&fs), 0);
    assert_int_equal(dd_rootfs_add_file(fs, "opt/app/lib/j.jar", jar, len, len, 0100644, 2, 0), 0);
    assert_int_equal(
        dd_rootfs_add_file(fs, "opt/app/lib/bad.jar", (const uint8_t *)"nope", 4, 4, 0100644, 2, 0),
        0);
    assert_int_equal(dd_rootfs_finish(fs), 0);
    dd_pkg_list l = DD_PKG_LIST_INIT;
    dd_err err = DD_ERR_INIT;
    int warned = 0;
    assert_int_equal(dd_cataloger_java.catalog(fs, &l, on_warn, &warned, &err), 0);
    assert_int_equal(warned, 1); /* bad.jar */
    assert_int_equal(l.n, 1);
    const dd_pkg *p = expect(&l, "com.fasterxml.jackson.core:jackson-annotations", "2.15.0-rc2");
    assert_string_equal(p->paths.items[0], "/opt/app/lib/j.jar");
    assert_int_equal(p->layer, 2);
    dd_pkg_list_free(&l);
    dd_rootfs_free(fs);
    free(jar);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pom_properties),
        cmocka_unit_test(test_manifest),
        cmocka_unit_test(test_archive),
        cmocka_unit_test(test_catalog),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
