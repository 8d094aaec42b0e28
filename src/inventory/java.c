/* The Java cataloger: Maven coordinates of jar, war, ear, jpi and hpi archives (nested ones
 * included), read with libarchive from memory.
 *
 * MANIFEST.MF and pom.properties are read by hand: both are small line-based formats (the jar
 * manifest's "Name: value" with continuation lines, Java properties) with no C library. */
#include "inventory/java.h"
#include "inventory/catalog.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>
#include <strings.h>

typedef struct span {
    const char *p;
    size_t n;
} span;

static int move_pkgs(dd_pkg_list *to, dd_pkg_list *from)
{
    int rc = 0;
    for (size_t i = 0; i < from->n; i++)
        if (rc == 0)
            rc = dd_pkg_list_take(to, &from->items[i]);
    dd_pkg_list_free(from);
    return rc;
}

/* Appends a package named "group:artifact" (or artifact alone when group is empty). */
static int add_java(dd_pkg_list *l, span group, span artifact, span version, const char *path,
                    int layer)
{
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = DD_PKG_JAVA;
    p.layer = layer;
    p.name = group.n > 0
                 ? dd_asprintf("%.*s:%.*s", (int)group.n, group.p, (int)artifact.n, artifact.p)
                 : dd_strndup(artifact.p, artifact.n);
    p.version = dd_strndup(version.p, version.n);
    if (p.name == NULL || p.version == NULL ||
        (path != NULL && dd_strlist_push_str(&p.paths, path) != 0)) {
        dd_pkg_clear(&p);
        return DD_ENOMEM;
    }
    return dd_pkg_list_take(l, &p);
}

static span trim(span s)
{
    while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\f'))
        s.p++, s.n--;
    while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' || s.p[s.n - 1] == '\f' ||
                       s.p[s.n - 1] == '\r'))
        s.n--;
    return s;
}

/* The next line of b from *off (without its "\n", "\r\n" or "\r" end). */
static span next_line(const uint8_t *b, size_t len, size_t *off)
{
    const char *s = (const char *)b + *off;
    size_t i = 0, rest = len - *off;
    while (i < rest && s[i] != '\n' && s[i] != '\r')
        i++;
    span line = {s, i};
    if (i < rest && s[i] == '\r' && i + 1 < rest && s[i + 1] == '\n')
        i++;
    *off += i < rest ? i + 1 : i;
    return line;
}

/* ---- pom.properties ------------------------------------------------------------------------ */

int dd_java_parse_pom_properties(const uint8_t *buf, size_t len, const char *path, int layer,
                                 dd_pkg_list *out, dd_err *err)
{
    span group = {NULL, 0}, artifact = {NULL, 0}, version = {NULL, 0};
    size_t off = 0;
    while (off < len) {
        size_t at = off;
        span line = trim(next_line(buf, len, &off));
        if (line.n == 0 || line.p[0] == '#' || line.p[0] == '!')
            continue;
        if (memchr(line.p, '\0', line.n) != NULL)
            return dd_err_set_at(err, DD_EINVALID, at, "NUL byte");
        size_t k = 0;
        while (k < line.n && line.p[k] != '=' && line.p[k] != ':' && line.p[k] != ' ' &&
               line.p[k] != '\t')
            k++;
        span key = {line.p, k};
        span v = trim((span){line.p + k, line.n - k});
        if (v.n > 0 && (v.p[0] == '=' || v.p[0] == ':'))
            v = trim((span){v.p + 1, v.n - 1});
        if (key.n == 7 && memcmp(key.p, "groupId", 7) == 0)
            group = v;
        else if (key.n == 10 && memcmp(key.p, "artifactId", 10) == 0)
            artifact = v;
        else if (key.n == 7 && memcmp(key.p, "version", 7) == 0)
            version = v;
    }
    if (group.n == 0 || artifact.n == 0 || version.n == 0)
        return 0;
    return add_java(out, group, artifact, version, path, layer);
}

/* ---- MANIFEST.MF ---------------------------------------------------------------------------- */

enum { M_TITLE, M_VERSION, M_BSN, M_BVERSION, M_VENDOR_ID, M_COUNT };
static const char *const manifest_keys[M_COUNT] = {"Implementation-Title", "Implementation-Version",
                                                   "Bundle-SymbolicName", "Bundle-Version",
                                                   "Implementation-Vendor-Id"};

int dd_java_parse_manifest(const uint8_t *buf, size_t len, const char *path, int layer,
                           dd_pkg_list *out, dd_err *err)
{
    int rc = 0;
    dd_buf val[M_COUNT];
    for (int i = 0; i < M_COUNT; i++)
        dd_buf_init(&val[i], 64 * 1024);
    int cur = -1; /* the attribute continuation lines extend (-1: one we ignore) */
    size_t off = 0;
    while (off < len) {
        size_t at = off;
        span line = next_line(buf, len, &off);
        if (line.n == 0)
            break; /* end of the main section */
        if (memchr(line.p, '\0', line.n) != NULL) {
            rc = dd_err_set_at(err, DD_EINVALID, at, "NUL byte");
            goto out;
        }
        if (line.p[0] == ' ') {
            if (cur >= 0 && (rc = dd_buf_append(&val[cur], line.p + 1, line.n - 1)) != 0) {
                if (rc == DD_ELIMIT)
                    rc = dd_err_set_at(err, DD_EINVALID, at, "attribute too long");
                goto out;
            }
            continue;
        }
        const char *colon = memchr(line.p, ':', line.n);
        if (colon == NULL) {
            rc = dd_err_set_at(err, DD_EINVALID, at, "manifest line without ':'");
            goto out;
        }
        span key = {line.p, (size_t)(colon - line.p)};
        span v = {colon + 1, line.n - key.n - 1};
        if (v.n > 0 && v.p[0] == ' ')
            v.p++, v.n--;
        cur = -1;
        for (int i = 0; i < M_COUNT; i++) {
            if (key.n == strlen(manifest_keys[i]) &&
                strncasecmp(key.p, manifest_keys[i], key.n) == 0) {
                cur = i;
                dd_buf_reset(&val[i]); /* a repeated attribute: the last one counts */
                if ((rc = dd_buf_append(&val[i], v.p, v.n)) != 0) {
                    if (rc == DD_ELIMIT)
                        rc = dd_err_set_at(err, DD_EINVALID, at, "attribute too long");
                    goto out;
                }
                break;
            }
        }
    }
    span title = trim((span){val[M_TITLE].data, val[M_TITLE].len});
    if (title.n == 0) {
        title = trim((span){val[M_BSN].data, val[M_BSN].len});
        const char *semi = title.n ? memchr(title.p, ';', title.n) : NULL;
        if (semi != NULL)
            title = trim((span){title.p, (size_t)(semi - title.p)});
    }
    span version = trim((span){val[M_VERSION].data, val[M_VERSION].len});
    if (version.n == 0)
        version = trim((span){val[M_BVERSION].data, val[M_BVERSION].len});
    span group = trim((span){val[M_VENDOR_ID].data, val[M_VENDOR_ID].len});
    if (title.n > 0 && version.n > 0)
        rc = add_java(out, group, title, version, path, layer);
out:
    for (int i = 0; i < M_COUNT; i++)
        dd_buf_free(&val[i]);
    return rc;
}

/* ---- file name ------------------------------------------------------------------------------ */

static int is_archive_name(const char *name, size_t n)
{
    static const char *const exts[] = {".jar", ".war", ".ear", ".jpi", ".hpi"};
    for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++)
        if (n > 4 && strncasecmp(name + n - 4, exts[i], 4) == 0)
            return 1;
    return 0;
}

/* "name-1.2.3.jar" -> name "name", version "1.2.3". */
static int add_from_file_name(dd_pkg_list *l, const char *path, int layer)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *bang = strrchr(base, '!');
    if (bang != NULL)
        base = bang + 1;
    size_t n = strlen(base);
    if (!is_archive_name(base, n))
        return 0;
    n -= 4;
    for (size_t i = 1; i + 1 < n; i++) {
        if (base[i] == '-' && base[i + 1] >= '0' && base[i + 1] <= '9')
            return add_java(l, (span){NULL, 0}, (span){base, i}, (span){base + i + 1, n - i - 1},
                            path, layer);
    }
    return 0;
}

/* ---- archives ------------------------------------------------------------------------------- */

typedef struct walk {
    size_t budget; /* bytes still allowed to inflate */
    dd_err *err;
} walk;

/* Reads the current entry's data into b (bounded by b->max and the budget). Returns 0, 1 when
 * the entry is too large or unreadable (skipped), or DD_ENOMEM. */
static int read_entry(struct archive *a, walk *w, dd_buf *b)
{
    uint8_t chunk[16384];
    for (;;) {
        la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
        if (n == 0)
            return 0;
        if (n < 0)
            return 1;
        if ((size_t)n > w->budget)
            return 1;
        w->budget -= (size_t)n;
        int rc = dd_buf_append(b, chunk, (size_t)n);
        if (rc == DD_ELIMIT)
            return 1;
        if (rc != 0)
            return rc;
    }
}

/* META-INF/maven/<group>/<artifact>/pom.properties */
static int is_pom_properties(const char *name)
{
    if (strncmp(name, "META-INF/maven/", 15) != 0)
        return 0;
    const char *g = name + 15, *s1 = strchr(g, '/');
    if (s1 == NULL || s1 == g)
        return 0;
    const char *s2 = strchr(s1 + 1, '/');
    if (s2 == NULL || s2 == s1 + 1)
        return 0;
    return strcmp(s2 + 1, "pom.properties") == 0;
}

static int parse_zip(const uint8_t *buf, size_t len, const char *path, int layer, int depth,
                     walk *w, dd_pkg_list *out)
{
    int rc = 0, entries = 0;
    dd_pkg_list own = DD_PKG_LIST_INIT, nested = DD_PKG_LIST_INIT;
    dd_buf manifest = DD_BUF_INIT(DD_JAVA_META_MAX);
    dd_buf data = DD_BUF_INIT(DD_JAVA_NESTED_MAX);
    char *inner = NULL;
    struct archive *a = archive_read_new();
    if (a == NULL)
        return dd_err_set(w->err, DD_ENOMEM, "out of memory");
    if (archive_read_support_format_zip(a) != ARCHIVE_OK ||
        archive_read_open_memory(a, buf, len) != ARCHIVE_OK) {
        rc = dd_err_set_at(w->err, DD_EINVALID, 0, "not a zip archive: %s",
                           archive_error_string(a) ? archive_error_string(a) : "?");
        goto out;
    }
    for (;;) {
        struct archive_entry *e;
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r == ARCHIVE_FATAL) {
            if (entries == 0)
                rc = dd_err_set_at(w->err, DD_EINVALID, 0, "not a zip archive: %s",
                                   archive_error_string(a) ? archive_error_string(a) : "?");
            break; /* a damaged archive: keep what was read before */
        }
        entries++;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            continue;
        const char *name = archive_entry_pathname(e);
        if (name == NULL || archive_entry_filetype(e) != AE_IFREG)
            continue;
        size_t nl = strlen(name);
        if (is_pom_properties(name)) {
            dd_buf b = DD_BUF_INIT(DD_JAVA_META_MAX);
            int s = read_entry(a, w, &b);
            if (s == 0 && b.len > 0) {
                dd_err ignored = DD_ERR_INIT;
                s = dd_java_parse_pom_properties((const uint8_t *)b.data, b.len, path, layer, &own,
                                                 &ignored);
                s = s == DD_ENOMEM ? s : 0;
            }
            dd_buf_free(&b);
            if (s < 0) {
                rc = s;
                goto out;
            }
        } else if (strcasecmp(name, "META-INF/MANIFEST.MF") == 0) {
            dd_buf_reset(&manifest);
            if ((rc = read_entry(a, w, &manifest)) < 0)
                goto out;
            if (rc == 1)
                dd_buf_reset(&manifest);
            rc = 0;
        } else if (is_archive_name(name, nl) && depth < DD_JAVA_MAX_DEPTH) {
            dd_buf_reset(&data);
            int s = read_entry(a, w, &data);
            if (s < 0) {
                rc = s;
                goto out;
            }
            if (s == 1 || data.len == 0)
                continue;
            dd_free(inner);
            if ((inner = dd_asprintf("%s!/%s", path, name)) == NULL) {
                rc = DD_ENOMEM;
                goto out;
            }
            s = parse_zip((const uint8_t *)data.data, data.len, inner, layer, depth + 1, w,
                          &nested);
            if (s == DD_ENOMEM) {
                rc = s;
                goto out;
            }
        }
    }
    if (rc != 0)
        goto out;
    if (own.n == 0 && manifest.len > 0) {
        dd_err ignored = DD_ERR_INIT;
        rc = dd_java_parse_manifest((const uint8_t *)manifest.data, manifest.len, path, layer, &own,
                                    &ignored);
        if (rc != DD_ENOMEM)
            rc = 0;
    }
    if (rc == 0 && own.n == 0)
        rc = add_from_file_name(&own, path, layer);
    if (rc == 0)
        rc = move_pkgs(out, &own);
    if (rc == 0)
        rc = move_pkgs(out, &nested);
out:
    if (rc == DD_ENOMEM)
        dd_err_set(w->err, DD_ENOMEM, "out of memory");
    archive_read_free(a);
    dd_pkg_list_free(&own);
    dd_pkg_list_free(&nested);
    dd_buf_free(&manifest);
    dd_buf_free(&data);
    dd_free(inner);
    return rc;
}

int dd_java_parse_archive(const uint8_t *buf, size_t len, const char *path, int layer,
                          dd_pkg_list *out, dd_err *err)
{
    dd_pkg_list l = DD_PKG_LIST_INIT;
    walk w = {DD_JAVA_TOTAL_MAX, err};
    int rc = parse_zip(buf, len, path, layer, 0, &w, &l);
    if (rc == 0)
        return move_pkgs(out, &l);
    dd_pkg_list_free(&l);
    return rc;
}

/* ---- cataloger ------------------------------------------------------------------------------ */

static dd_keep java_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                          const dd_extractor **extractor)
{
    (void)mode;
    (void)size;
    (void)extractor;
    return is_archive_name(path, path_len) ? DD_KEEP_WHOLE : DD_KEEP_NONE;
}

static int java_catalog(const dd_rootfs *fs, dd_pkg_list *out,
                        void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                        dd_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < dd_rootfs_count(fs) && rc == 0; i++) {
        const dd_rfile *f = dd_rootfs_at(fs, i);
        if (f->extracted || !is_archive_name(f->path, strlen(f->path)))
            continue;
        char *path = dd_asprintf("/%s", f->path);
        if (path == NULL)
            return dd_err_set(err, DD_ENOMEM, "out of memory");
        dd_err e = DD_ERR_INIT;
        int r = dd_java_parse_archive(f->data, f->len, path, f->layer, out, &e);
        if (r == DD_ENOMEM)
            rc = dd_err_set(err, DD_ENOMEM, "%s: out of memory", path);
        else if (r != 0 && warn != NULL)
            warn(warn_ctx, path, e.msg);
        dd_free(path);
    }
    return rc;
}

const dd_cataloger dd_cataloger_java = {"java", java_wants, java_catalog};
