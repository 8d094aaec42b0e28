/* purl construction per the purl specification and its type definitions (deb, apk, rpm, npm,
 * pypi, golang, maven, gem, cargo, composer, nuget). */
#include "inventory/purl.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <string.h>

static int pct(dd_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_' || c == '~' || c == ':';
        char t[3] = {'%', hex[c >> 4], hex[c & 15]};
        int rc = ok ? dd_buf_append(b, s, 1) : dd_buf_append(b, t, 3);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Appends each '/'-separated segment percent-encoded, keeping the slashes. */
static int pct_path(dd_buf *b, const char *s)
{
    int rc = 0;
    while (rc == 0 && *s) {
        const char *slash = strchr(s, '/');
        size_t n = slash ? (size_t)(slash - s) : strlen(s);
        char *seg = dd_strndup(s, n);
        if (seg == NULL)
            return DD_ENOMEM;
        rc = pct(b, seg);
        dd_free(seg);
        if (rc == 0 && slash != NULL)
            rc = dd_buf_append(b, "/", 1);
        s += n + (slash ? 1 : 0);
    }
    return rc;
}

typedef struct qual {
    const char *k;
    const char *v;
} qual;

/* Lowercases s; with pep503, also replaces each run of '-', '_', '.' by one '-' (PEP 503 name
 * normalisation, as the pypi purl type requires). */
static int lower_dup(char **out, const char *s, int pep503)
{
    char *c = dd_strdup(s);
    if (c == NULL)
        return DD_ENOMEM;
    size_t o = 0;
    for (size_t i = 0; c[i]; i++) {
        char ch = c[i];
        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if (pep503 && (ch == '-' || ch == '_' || ch == '.')) {
            if (o > 0 && c[o - 1] == '-')
                continue;
            ch = '-';
        }
        c[o++] = ch;
    }
    c[o] = '\0';
    *out = c;
    return 0;
}

int dd_purl_build(char **out, const dd_pkg *p, const dd_os *os)
{
    dd_buf b = DD_BUF_INIT(16 * 1024);
    char *name = NULL, *distro = NULL;
    const char *type = NULL, *ns = NULL, *nm = p->name;
    qual q[4];
    size_t nq = 0;
    int rc = 0;
    const char *osid = os && os->id ? os->id : NULL;
    *out = NULL;

    if (osid != NULL && os->version_id != NULL &&
        (distro = dd_asprintf("%s-%s", osid, os->version_id)) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    switch (p->type) {
    case DD_PKG_DPKG:
        type = "deb";
        ns = osid ? osid : "debian";
        break;
    case DD_PKG_APK:
        type = "apk";
        ns = osid ? osid : "alpine";
        break;
    case DD_PKG_RPM:
        type = "rpm";
        ns = osid ? osid : "redhat";
        if (ns != NULL && (strcmp(ns, "rhel") == 0))
            ns = "redhat";
        break;
    case DD_PKG_NPM:
    case DD_PKG_COMPOSER:
        /* npm scope/name and composer vendor/name are case-insensitive: lowercased */
        type = p->type == DD_PKG_NPM ? "npm" : "composer";
        if ((rc = lower_dup(&name, p->name, 0)) != 0)
            goto out;
        nm = name;
        break;
    case DD_PKG_PYTHON:
        type = "pypi";
        if ((rc = lower_dup(&name, p->name, 1)) != 0)
            goto out;
        nm = name;
        break;
    case DD_PKG_GOBINARY:
    case DD_PKG_GOMOD:
        type = "golang";
        break;
    case DD_PKG_JAVA:
        type = "maven";
        break;
    case DD_PKG_GEM:
        type = "gem";
        break;
    case DD_PKG_CARGO:
        type = "cargo";
        break;
    case DD_PKG_NUGET:
        type = "nuget";
        break;
    default:
        rc = DD_EINVALID;
        goto out;
    }
    rc = dd_buf_printf(&b, "pkg:%s/", type);
    if (rc != 0)
        goto out;
    if (ns != NULL) {
        if ((rc = pct(&b, ns)) != 0 || (rc = dd_buf_append(&b, "/", 1)) != 0)
            goto out;
    }
    if (p->type == DD_PKG_JAVA && strchr(nm, ':') != NULL) {
        /* Maven "group:artifact" -> namespace group, name artifact */
        const char *colon = strchr(nm, ':');
        char *g = dd_strndup(nm, (size_t)(colon - nm));
        if (g == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        rc = pct(&b, g);
        dd_free(g);
        if (rc == 0)
            rc = dd_buf_append(&b, "/", 1);
        if (rc == 0)
            rc = pct(&b, colon + 1);
    } else if (p->type == DD_PKG_GOBINARY || p->type == DD_PKG_GOMOD || p->type == DD_PKG_NPM ||
               p->type == DD_PKG_COMPOSER) {
        /* namespace/name from a path-like name: "@scope/x", "vendor/x", "github.com/a/b" */
        rc = pct_path(&b, nm);
    } else {
        rc = pct(&b, nm);
    }
    if (rc != 0)
        goto out;
    if (p->version != NULL && p->version[0] != '\0') {
        const char *v = p->version;
        /* rpm: epoch is a qualifier, the version is V-R */
        if (p->type == DD_PKG_RPM && p->epoch != NULL) {
            const char *colon = strchr(v, ':');
            if (colon != NULL)
                v = colon + 1;
        }
        if ((rc = dd_buf_append(&b, "@", 1)) != 0 || (rc = pct(&b, v)) != 0)
            goto out;
    }
    /* qualifiers, in key order */
    if (p->arch != NULL && p->arch[0] != '\0')
        q[nq++] = (qual){"arch", p->arch};
    if (distro != NULL &&
        (p->type == DD_PKG_DPKG || p->type == DD_PKG_APK || p->type == DD_PKG_RPM))
        q[nq++] = (qual){"distro", distro};
    if (p->type == DD_PKG_RPM && p->epoch != NULL && strcmp(p->epoch, "0") != 0)
        q[nq++] = (qual){"epoch", p->epoch};
    for (size_t i = 0; i < nq && rc == 0; i++) {
        rc = dd_buf_printf(&b, "%c%s=", i == 0 ? '?' : '&', q[i].k);
        if (rc == 0)
            rc = pct(&b, q[i].v);
    }
    if (rc == 0)
        *out = dd_buf_take(&b);
out:
    dd_buf_free(&b);
    dd_free(name);
    dd_free(distro);
    return rc;
}
