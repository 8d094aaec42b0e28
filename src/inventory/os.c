/* OS detection. os-release is a small KEY=value format with shell-style quoting; hand-written
 * because no library parses it and it is ten lines. */
#include "inventory/os.h"
#include "util/alloc.h"

#include <stdio.h>
#include <string.h>

#define OS_FILE_MAX (64u * 1024u)

static const char *const os_files[] = {"etc/os-release",        "usr/lib/os-release",
                                       "etc/lsb-release",       "etc/alpine-release",
                                       "etc/debian_version",    "etc/redhat-release",
                                       "etc/centos-release",    "etc/rocky-release",
                                       "etc/almalinux-release", "etc/fedora-release",
                                       "etc/oracle-release",    "etc/system-release",
                                       "etc/SuSE-release",      NULL};

dd_keep dd_os_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                    const dd_extractor **extractor)
{
    (void)mode;
    (void)extractor;
    if (size > OS_FILE_MAX || path_len > 32 || (path[0] != 'e' && path[0] != 'u'))
        return DD_KEEP_NONE;
    for (size_t i = 0; os_files[i]; i++)
        if (strlen(os_files[i]) == path_len && memcmp(os_files[i], path, path_len) == 0)
            return DD_KEEP_WHOLE;
    return DD_KEEP_NONE;
}

void dd_os_clear(dd_os *os)
{
    dd_free(os->id);
    dd_free(os->version_id);
    dd_free(os->version);
    dd_free(os->codename);
    dd_free(os->pretty_name);
    dd_free(os->id_like);
    dd_free(os->source);
    memset(os, 0, sizeof(*os));
}

static int set(char **slot, const char *s, size_t n)
{
    char *c = dd_strndup(s, n);
    if (c == NULL)
        return DD_ENOMEM;
    dd_free(*slot);
    *slot = c;
    return 0;
}

static int set_lower(char **slot, const char *s, size_t n)
{
    int rc = set(slot, s, n);
    if (rc == 0)
        for (char *p = *slot; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    return rc;
}

/* Unquotes a value: "..." with \" \\ \$ \` escapes, '...' literal, or bare. Writes into out
 * (at least n + 1 bytes) and returns the length. */
static size_t unquote(char *out, const char *v, size_t n)
{
    size_t o = 0;
    if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
        char q = v[0];
        for (size_t i = 1; i + 1 < n; i++) {
            if (q == '"' && v[i] == '\\' && i + 2 < n && strchr("\"\\$`", v[i + 1]) != NULL)
                i++;
            out[o++] = v[i];
        }
    } else {
        memcpy(out, v, n);
        o = n;
    }
    out[o] = '\0';
    return o;
}

static int is_key(const char *k, size_t kl, const char *want)
{
    return strlen(want) == kl && memcmp(k, want, kl) == 0;
}

int dd_os_release_parse(const uint8_t *buf, size_t len, dd_os *out, dd_err *err)
{
    const char *s = (const char *)buf;
    size_t i = 0;
    int rc = 0;
    char *val = dd_malloc(len + 1);
    if (val == NULL)
        return DD_ENOMEM;
    while (i < len && rc == 0) {
        size_t ls = i;
        while (i < len && s[i] != '\n')
            i++;
        size_t le = i;
        i++;
        while (ls < le && (s[ls] == ' ' || s[ls] == '\t'))
            ls++;
        while (le > ls && (s[le - 1] == '\r' || s[le - 1] == ' ' || s[le - 1] == '\t'))
            le--;
        if (ls == le || s[ls] == '#')
            continue;
        const char *eq = memchr(s + ls, '=', le - ls);
        if (eq == NULL)
            continue; /* tolerate junk lines, as systemd does */
        const char *k = s + ls;
        size_t kl = (size_t)(eq - k);
        size_t vl = unquote(val, eq + 1, le - (size_t)(eq + 1 - s));
        if (memchr(val, '\0', vl) != NULL) {
            rc = dd_err_set_at(err, DD_EINVALID, ls, "NUL byte in os-release value");
            break;
        }
        if (vl == 0)
            continue; /* KEY= and KEY="" mean unset (e.g. Fedora's VERSION_CODENAME="") */
        if (is_key(k, kl, "ID") || is_key(k, kl, "DISTRIB_ID"))
            rc = set_lower(&out->id, val, vl);
        else if (is_key(k, kl, "VERSION_ID") || is_key(k, kl, "DISTRIB_RELEASE"))
            rc = set(&out->version_id, val, vl);
        else if (is_key(k, kl, "VERSION_CODENAME") || is_key(k, kl, "DISTRIB_CODENAME"))
            rc = set(&out->codename, val, vl);
        else if (is_key(k, kl, "PRETTY_NAME") || is_key(k, kl, "DISTRIB_DESCRIPTION"))
            rc = set(&out->pretty_name, val, vl);
        else if (is_key(k, kl, "ID_LIKE"))
            rc = set_lower(&out->id_like, val, vl);
    }
    dd_free(val);
    return rc;
}

static int file_text(const dd_rootfs *fs, const char *path, char *out, size_t out_len)
{
    const dd_rfile *f = dd_rootfs_get(fs, path);
    if (f == NULL)
        return 0;
    size_t n = f->len < out_len - 1 ? f->len : out_len - 1;
    memcpy(out, f->data, n);
    out[n] = '\0';
    /* one-line files: only the first line counts */
    const char *nl = memchr(out, '\n', n);
    if (nl != NULL)
        n = (size_t)(nl - out);
    out[n] = '\0';
    while (n > 0 && (out[n - 1] == '\r' || out[n - 1] == ' ' || out[n - 1] == '\t'))
        out[--n] = '\0';
    return n > 0 && memchr(out, '\0', n) == NULL;
}

/* "Red Hat Enterprise Linux release 8.6 (Ootpa)" -> version "8.6". */
static const char *release_number(const char *s, size_t *n)
{
    const char *p = strstr(s, "release ");
    if (p == NULL)
        return NULL;
    p += 8;
    size_t l = 0;
    while ((p[l] >= '0' && p[l] <= '9') || p[l] == '.')
        l++;
    *n = l;
    return l ? p : NULL;
}

static int from_release_file(const dd_rootfs *fs, dd_os *out)
{
    static const struct {
        const char *file, *marker, *id;
    } rel[] = {{"etc/centos-release", "CentOS", "centos"},
               {"etc/rocky-release", "Rocky", "rocky"},
               {"etc/almalinux-release", "AlmaLinux", "almalinux"},
               {"etc/fedora-release", "Fedora", "fedora"},
               {"etc/oracle-release", "Oracle", "ol"},
               {"etc/redhat-release", "CentOS", "centos"},
               {"etc/redhat-release", "Rocky", "rocky"},
               {"etc/redhat-release", "AlmaLinux", "almalinux"},
               {"etc/redhat-release", "Scientific", "scientific"},
               {"etc/redhat-release", "Red Hat", "rhel"},
               {"etc/system-release", "Amazon", "amzn"}};
    char text[512];
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
        if (!file_text(fs, rel[i].file, text, sizeof(text)) || strstr(text, rel[i].marker) == NULL)
            continue;
        size_t n = 0;
        const char *v = release_number(text, &n);
        char *src = dd_asprintf("/%s", rel[i].file);
        if (src == NULL || set(&out->id, rel[i].id, strlen(rel[i].id)) != 0 ||
            set(&out->pretty_name, text, strlen(text)) != 0 ||
            (v != NULL && set(&out->version_id, v, n) != 0)) {
            dd_free(src);
            return DD_ENOMEM;
        }
        dd_free(out->source);
        out->source = src;
        return 1;
    }
    return 0;
}

int dd_os_detect(const dd_rootfs *fs, dd_os *out, dd_err *err)
{
    static const char *const release[] = {"etc/os-release", "usr/lib/os-release",
                                          "etc/lsb-release"};
    char text[256];
    int rc = 0;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < 3 && out->id == NULL; i++) {
        const dd_rfile *f = dd_rootfs_get(fs, release[i]);
        if (f == NULL)
            continue;
        dd_os tmp;
        memset(&tmp, 0, sizeof(tmp));
        rc = dd_os_release_parse(f->data, f->len, &tmp, err);
        if (rc == DD_ENOMEM) {
            dd_os_clear(&tmp);
            return rc;
        }
        if (rc != 0 || tmp.id == NULL) {
            dd_os_clear(&tmp);
            rc = 0;
            continue;
        }
        *out = tmp;
        out->source = dd_asprintf("/%s", release[i]);
        if (out->source == NULL)
            return DD_ENOMEM;
    }
    if (out->id == NULL) {
        if (file_text(fs, "etc/alpine-release", text, sizeof(text))) {
            if (set(&out->id, "alpine", 6) != 0 || set(&out->version_id, text, strlen(text)) != 0 ||
                (out->source = dd_strdup("/etc/alpine-release")) == NULL)
                return DD_ENOMEM;
        } else if ((rc = from_release_file(fs, out)) != 0) {
            if (rc < 0)
                return rc;
        } else if (file_text(fs, "etc/debian_version", text, sizeof(text))) {
            if (set(&out->id, "debian", 6) != 0 ||
                (out->source = dd_strdup("/etc/debian_version")) == NULL)
                return DD_ENOMEM;
        }
    }
    if (out->id == NULL) {
        dd_os_clear(out);
        return DD_ENOTFOUND;
    }
    /* Debian: debian_version holds the point release ("12.15"), or "trixie/sid". */
    if (strcmp(out->id, "debian") == 0 && file_text(fs, "etc/debian_version", text, sizeof(text))) {
        if (text[0] >= '0' && text[0] <= '9') {
            if (set(&out->version, text, strlen(text)) != 0)
                return DD_ENOMEM;
            if (out->version_id == NULL) {
                size_t n = strcspn(text, ".");
                if (set(&out->version_id, text, n) != 0)
                    return DD_ENOMEM;
            }
        } else if (out->codename == NULL && strchr(text, '/') != NULL && text[0] != '/') {
            if (set(&out->codename, text, strcspn(text, "/")) != 0)
                return DD_ENOMEM;
        }
    }
    /* Old Ubuntu os-release has no VERSION_CODENAME; lsb-release has DISTRIB_CODENAME. */
    if (out->codename == NULL) {
        const dd_rfile *lsb = dd_rootfs_get(fs, "etc/lsb-release");
        dd_os tmp;
        memset(&tmp, 0, sizeof(tmp));
        if (lsb != NULL && dd_os_release_parse(lsb->data, lsb->len, &tmp, NULL) == 0 &&
            tmp.id != NULL && strcmp(tmp.id, out->id) == 0 && tmp.codename != NULL) {
            out->codename = tmp.codename;
            tmp.codename = NULL;
        }
        dd_os_clear(&tmp);
    }
    if (out->version == NULL && out->version_id != NULL &&
        (out->version = dd_strdup(out->version_id)) == NULL)
        return DD_ENOMEM;
    if (out->pretty_name == NULL) {
        out->pretty_name = dd_asprintf("%s %s", out->id, out->version ? out->version : "");
        if (out->pretty_name == NULL)
            return DD_ENOMEM;
    }
    return 0;
}

int dd_os_ecosystem(const dd_os *os, char *out, size_t out_len)
{
    const char *id = os->id ? os->id : "";
    const char *v = os->version_id;
    if (strcmp(id, "debian") == 0 && v != NULL) {
        snprintf(out, out_len, "Debian:%.*s", (int)strcspn(v, "."), v);
    } else if (strcmp(id, "ubuntu") == 0 && v != NULL) {
        snprintf(out, out_len, "Ubuntu:%s", v);
    } else if (strcmp(id, "alpine") == 0 && v != NULL) {
        /* Alpine:v3.18 from 3.18.4; pre-releases like 3.19.0_alpha20230901 are edge. */
        size_t major = strcspn(v, ".");
        size_t minor = v[major] == '.' ? strcspn(v + major + 1, ".") : 0;
        if (strchr(v, '_') != NULL)
            snprintf(out, out_len, "Alpine:edge");
        else
            snprintf(out, out_len, "Alpine:v%.*s", (int)(major + (minor ? minor + 1 : 0)), v);
    } else if (strcmp(id, "rhel") == 0 || strcmp(id, "centos") == 0) {
        /* per major release, as the Red Hat importer records entries ("Red Hat:8") */
        if (v != NULL && v[0] >= '0' && v[0] <= '9')
            snprintf(out, out_len, "Red Hat:%.*s", (int)strcspn(v, "."), v);
        else
            snprintf(out, out_len, "Red Hat");
    } else if (strcmp(id, "almalinux") == 0 && v != NULL) {
        snprintf(out, out_len, "AlmaLinux:%.*s", (int)strcspn(v, "."), v);
    } else if (strcmp(id, "rocky") == 0 && v != NULL) {
        snprintf(out, out_len, "Rocky Linux:%.*s", (int)strcspn(v, "."), v);
    } else if (strcmp(id, "opensuse-leap") == 0 && v != NULL) {
        snprintf(out, out_len, "openSUSE:Leap %s", v);
    } else if (strcmp(id, "sles") == 0 && v != NULL) {
        snprintf(out, out_len, "SUSE:Linux Enterprise Server %s", v);
    } else if (strcmp(id, "wolfi") == 0) {
        snprintf(out, out_len, "Wolfi");
    } else if (strcmp(id, "chainguard") == 0) {
        snprintf(out, out_len, "Chainguard");
    } else {
        return DD_ENOTFOUND;
    }
    return 0;
}
