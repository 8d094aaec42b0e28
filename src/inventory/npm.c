/* npm cataloger: installed packages (node_modules/<name>/package.json and
 * node_modules/@scope/<name>/package.json, at any nesting), project package.json files outside
 * node_modules, and lockfiles: package-lock.json / npm-shrinkwrap.json (v1 "dependencies" tree, v2
 * and v3 "packages" map) through jansson, pnpm-lock.yaml (v5 to v9) and yarn berry yarn.lock
 * through libyaml's event parser, and classic yarn.lock (v1) by hand: it is a small line format of
 * its own (not YAML, not JSON) that no packaged library reads.
 *
 * A package found both installed and in a lockfile of the same project (the directory holding
 * the lockfile and node_modules) is one package with both paths; one only in a lockfile is
 * declared_only. dd_npm_reconcile (declared in catalog.h) does that and is shared with the python,
 * php and ruby catalogers through dd_catalog_lockfiles. */
#include "inventory/npm.h"
#include "inventory/catalog.h"
#include "util/alloc.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define LOCK_V1_DEPTH_MAX 256 /* nesting of package-lock v1 "dependencies" (real ones: < 30) */
#define YAML_DEPTH_MAX 64     /* nesting of YAML collections skipped over */
#define NM "node_modules/"
#define NM_LEN 13

/* ---- small helpers ---- */

static int new_pkg(dd_pkg_list *out, const char *name, size_t name_len, const char *ver,
                   size_t ver_len, const char *path, int layer, bool declared, bool dev,
                   const char *license)
{
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = DD_PKG_NPM;
    p.layer = layer;
    p.declared_only = declared;
    p.dev = dev;
    p.name = dd_strndup(name, name_len);
    p.version = dd_strndup(ver, ver_len);
    if (license != NULL && *license != '\0' && (p.license = dd_strdup(license)) == NULL)
        goto nomem;
    if (p.name == NULL || p.version == NULL || dd_strlist_push_str(&p.paths, path) != 0)
        goto nomem;
    return dd_pkg_list_take(out, &p);
nomem:
    dd_pkg_clear(&p);
    return DD_ENOMEM;
}

/* Moves every package of tmp to out and frees tmp. */
static int splice(dd_pkg_list *out, dd_pkg_list *tmp)
{
    int rc = 0;
    for (size_t i = 0; i < tmp->n; i++) {
        if (rc == 0)
            rc = dd_pkg_list_take(out, &tmp->items[i]);
        else
            dd_pkg_clear(&tmp->items[i]);
    }
    dd_pkg_list_free(tmp);
    return rc;
}

/* Replaces bytes that are not printable ASCII (jansson quotes input in its messages). */
static void sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = '?';
}

static int load_json(const uint8_t *buf, size_t len, json_t **out, dd_err *err)
{
    json_error_t jerr;
    size_t off = 0;
    if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
        off = 3; /* a UTF-8 byte order mark, written by some editors */
    *out = json_loadb((const char *)buf + off, len - off, 0, &jerr);
    if (*out != NULL)
        return 0;
    if (json_error_code(&jerr) == json_error_out_of_memory)
        return DD_ENOMEM;
    sanitize(jerr.text);
    return dd_err_set_at(err, DD_EINVALID, off + (size_t)jerr.position, "invalid JSON: %s",
                         jerr.text);
}

/* Index of the '@' separating name and version/range in "name@x" or "@scope/name@x" (the first
 * '@' after index 0), or len when there is none. */
static size_t spec_at(const char *s, size_t len)
{
    for (size_t i = 1; i < len; i++)
        if (s[i] == '@')
            return i;
    return len;
}

/* Offset just past the last "node_modules/" path component of path[0..len), or 0 if none. */
static size_t last_nm(const char *path, size_t len)
{
    size_t last = 0;
    for (size_t i = 0; i + NM_LEN <= len; i++)
        if ((i == 0 || path[i - 1] == '/') && memcmp(path + i, NM, NM_LEN) == 0)
            last = i + NM_LEN;
    return last;
}

static bool has_prefix(const char *s, size_t len, const char *prefix)
{
    size_t pl = strlen(prefix);
    return len >= pl && memcmp(s, prefix, pl) == 0;
}

/* "license": "MIT" | {"type": "MIT"}; old "licenses": [{"type": ...}] (first one). */
static const char *license_of(const json_t *obj)
{
    const json_t *l = json_object_get(obj, "license");
    if (l == NULL) {
        l = json_object_get(obj, "licenses");
        if (json_is_array(l))
            l = json_array_get(l, 0);
    }
    if (json_is_object(l))
        l = json_object_get(l, "type");
    return json_string_value(l);
}

/* ---- package.json ---- */

int dd_npm_package_json_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                              dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    json_t *root = NULL;
    int rc = load_json(buf, len, &root, err);
    if (rc != 0)
        goto out;
    if (!json_is_object(root)) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "package.json is not a JSON object");
        goto out;
    }
    const char *name = json_string_value(json_object_get(root, "name"));
    const char *ver = json_string_value(json_object_get(root, "version"));
    if (name == NULL || *name == '\0' || ver == NULL || *ver == '\0')
        goto out; /* not a package (e.g. a private app without a version) */
    rc = new_pkg(out, name, strlen(name), ver, strlen(ver), path, layer, false, false,
                 license_of(root));
out:
    json_decref(root);
    return rc;
}

/* ---- package-lock.json ---- */

static int lock_v1_walk(const json_t *deps, int depth, const char *path, int layer,
                        dd_pkg_list *out, dd_err *err)
{
    const char *key;
    json_t *v;
    if (depth > LOCK_V1_DEPTH_MAX)
        return dd_err_set(err, DD_EINVALID, "\"dependencies\" nested deeper than %d",
                          LOCK_V1_DEPTH_MAX);
    json_object_foreach((json_t *)deps, key, v)
    {
        if (!json_is_object(v))
            continue;
        const char *ver = json_string_value(json_object_get(v, "version"));
        if (ver != NULL) {
            const char *name = key;
            size_t name_len = strlen(key), ver_len = strlen(ver);
            if (has_prefix(ver, ver_len, "npm:")) { /* alias: "npm:real@1.2.3" */
                const char *spec = ver + 4;
                size_t spec_len = ver_len - 4, at = spec_at(spec, spec_len);
                name = spec;
                name_len = at;
                ver = at < spec_len ? spec + at + 1 : "";
                ver_len = at < spec_len ? spec_len - at - 1 : 0;
            }
            /* versions with a ':' are not registry versions (file:, git+https:, github:) */
            if (name_len > 0 && ver_len > 0 && memchr(ver, ':', ver_len) == NULL) {
                int rc = new_pkg(out, name, name_len, ver, ver_len, path, layer, true,
                                 json_is_true(json_object_get(v, "dev")), NULL);
                if (rc != 0)
                    return rc;
            }
        }
        const json_t *sub = json_object_get(v, "dependencies");
        if (json_is_object(sub)) {
            int rc = lock_v1_walk(sub, depth + 1, path, layer, out, err);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int lock_v2(const json_t *pkgs, const char *path, int layer, dd_pkg_list *out)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)pkgs, key, v)
    {
        size_t key_len = strlen(key), nm = last_nm(key, key_len);
        if (nm == 0 || nm == key_len || !json_is_object(v))
            continue; /* the root "" and workspace sources (reached through their links) */
        const json_t *target = v;
        if (json_is_true(json_object_get(v, "link"))) {
            const char *res = json_string_value(json_object_get(v, "resolved"));
            target = res != NULL ? json_object_get(pkgs, res) : NULL;
            if (!json_is_object(target))
                continue;
        }
        const char *name = json_string_value(json_object_get(v, "name")); /* aliases */
        if (name == NULL || *name == '\0')
            name = key + nm;
        const char *ver = json_string_value(json_object_get(target, "version"));
        if (ver == NULL || *ver == '\0' || strchr(ver, ':') != NULL)
            continue;
        int rc = new_pkg(out, name, strlen(name), ver, strlen(ver), path, layer, true,
                         json_is_true(json_object_get(v, "dev")), license_of(target));
        if (rc != 0)
            return rc;
    }
    return 0;
}

int dd_npm_package_lock_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                              dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    json_t *root = NULL;
    dd_pkg_list tmp = DD_PKG_LIST_INIT;
    int rc = load_json(buf, len, &root, err);
    if (rc != 0)
        goto out;
    if (!json_is_object(root)) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "package-lock.json is not a JSON object");
        goto out;
    }
    const json_t *pkgs = json_object_get(root, "packages");
    const json_t *deps = json_object_get(root, "dependencies");
    if (json_is_object(pkgs))
        rc = lock_v2(pkgs, path, layer, &tmp);
    else if (json_is_object(deps))
        rc = lock_v1_walk(deps, 0, path, layer, &tmp, err);
    if (rc == 0)
        rc = splice(out, &tmp);
out:
    dd_pkg_list_free(&tmp);
    json_decref(root);
    return rc;
}

/* ---- YAML (pnpm-lock.yaml, yarn berry) through libyaml events ---- */

/* One entry of the mapping we read: its key and the scalar fields we use. */
typedef struct yent {
    char *key;
    char *name, *version, *resolution, *dev;
} yent;

typedef struct ydoc {
    yent *items;
    size_t n, cap;
    char *lockfile_version;
} ydoc;

typedef struct ywalk {
    yaml_parser_t p;
    yaml_event_t ev;
    bool have;
    dd_err *err;
} ywalk;

static void ydoc_free(ydoc *d)
{
    for (size_t i = 0; i < d->n; i++) {
        dd_free(d->items[i].key);
        dd_free(d->items[i].name);
        dd_free(d->items[i].version);
        dd_free(d->items[i].resolution);
        dd_free(d->items[i].dev);
    }
    dd_free(d->items);
    dd_free(d->lockfile_version);
    memset(d, 0, sizeof(*d));
}

static int ynext(ywalk *w)
{
    if (w->have) {
        yaml_event_delete(&w->ev);
        w->have = false;
    }
    if (!yaml_parser_parse(&w->p, &w->ev)) {
        if (w->p.error == YAML_MEMORY_ERROR)
            return DD_ENOMEM;
        return dd_err_set_at(w->err, DD_EINVALID, w->p.problem_mark.index, "invalid YAML: %s",
                             w->p.problem != NULL ? w->p.problem : "syntax error");
    }
    w->have = true;
    return 0;
}

/* Skips the node whose first event is the current one. */
static int yskip(ywalk *w)
{
    int depth = 0, rc;
    for (;;) {
        switch (w->ev.type) {
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            if (++depth > YAML_DEPTH_MAX)
                return dd_err_set_at(w->err, DD_EINVALID, w->ev.start_mark.index,
                                     "YAML nested deeper than %d", YAML_DEPTH_MAX);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            depth--;
            break;
        case YAML_SCALAR_EVENT:
        case YAML_ALIAS_EVENT:
            break;
        default:
            return dd_err_set_at(w->err, DD_EINVALID, w->ev.start_mark.index,
                                 "unexpected YAML event");
        }
        if (depth == 0)
            return 0;
        if ((rc = ynext(w)) != 0)
            return rc;
    }
}

static bool yscalar_is(const ywalk *w, const char *s)
{
    size_t l = strlen(s);
    return w->ev.type == YAML_SCALAR_EVENT && w->ev.data.scalar.length == l &&
           memcmp(w->ev.data.scalar.value, s, l) == 0;
}

static char *yscalar_dup(const ywalk *w)
{
    return dd_strndup((const char *)w->ev.data.scalar.value, w->ev.data.scalar.length);
}

/* Reads one entry (current event: the value after the key) into d. */
static int yread_entry(ywalk *w, ydoc *d, char *key)
{
    int rc = 0;
    if (w->ev.type != YAML_MAPPING_START_EVENT) {
        dd_free(key);
        return yskip(w);
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        yent *items = dd_reallocarray(d->items, cap, sizeof(*items));
        if (items == NULL) {
            dd_free(key);
            return DD_ENOMEM;
        }
        d->items = items;
        d->cap = cap;
    }
    yent *e = &d->items[d->n++];
    memset(e, 0, sizeof(*e));
    e->key = key;
    for (;;) {
        if ((rc = ynext(w)) != 0)
            return rc;
        if (w->ev.type == YAML_MAPPING_END_EVENT)
            return 0;
        char **field = NULL;
        if (yscalar_is(w, "name"))
            field = &e->name;
        else if (yscalar_is(w, "version"))
            field = &e->version;
        else if (yscalar_is(w, "resolution"))
            field = &e->resolution;
        else if (yscalar_is(w, "dev"))
            field = &e->dev;
        else if ((rc = yskip(w)) != 0) /* a key that is not a scalar */
            return rc;
        if ((rc = ynext(w)) != 0)
            return rc;
        if (field != NULL && w->ev.type == YAML_SCALAR_EVENT) {
            dd_free(*field);
            if ((*field = yscalar_dup(w)) == NULL)
                return DD_ENOMEM;
        } else if ((rc = yskip(w)) != 0) {
            return rc;
        }
    }
}

/* Reads the entries of the top-level mapping (section NULL) or of the mapping under the
 * top-level key section, and the top-level scalar "lockfileVersion". */
static int yload(const uint8_t *buf, size_t len, const char *section, ydoc *d, dd_err *err)
{
    ywalk w;
    int rc = 0;
    memset(&w, 0, sizeof(w));
    w.err = err;
    if (!yaml_parser_initialize(&w.p))
        return DD_ENOMEM;
    yaml_parser_set_input_string(&w.p, buf, len);
    if ((rc = ynext(&w)) != 0) /* stream start */
        goto out;
    if ((rc = ynext(&w)) != 0 || w.ev.type == YAML_STREAM_END_EVENT)
        goto out; /* an empty file */
    if ((rc = ynext(&w)) != 0)
        goto out;
    if (w.ev.type == YAML_SCALAR_EVENT && w.ev.data.scalar.length == 0)
        goto out; /* a document of comments only */
    if (w.ev.type != YAML_MAPPING_START_EVENT) {
        rc = dd_err_set_at(err, DD_EINVALID, w.ev.start_mark.index, "lockfile is not a mapping");
        goto out;
    }
    for (;;) {
        if ((rc = ynext(&w)) != 0)
            goto out;
        if (w.ev.type == YAML_MAPPING_END_EVENT)
            break;
        if (w.ev.type != YAML_SCALAR_EVENT) {
            if ((rc = yskip(&w)) != 0 || (rc = ynext(&w)) != 0 || (rc = yskip(&w)) != 0)
                goto out;
            continue;
        }
        bool is_version = yscalar_is(&w, "lockfileVersion");
        bool is_section = section != NULL && yscalar_is(&w, section);
        char *key = NULL;
        if (section == NULL && (key = yscalar_dup(&w)) == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        if ((rc = ynext(&w)) != 0) {
            dd_free(key);
            goto out;
        }
        if (section == NULL) {
            rc = yread_entry(&w, d, key);
        } else if (is_version && w.ev.type == YAML_SCALAR_EVENT) {
            dd_free(d->lockfile_version);
            if ((d->lockfile_version = yscalar_dup(&w)) == NULL)
                rc = DD_ENOMEM;
        } else if (is_section && w.ev.type == YAML_MAPPING_START_EVENT) {
            for (;;) {
                if ((rc = ynext(&w)) != 0 || w.ev.type == YAML_MAPPING_END_EVENT)
                    break;
                if (w.ev.type != YAML_SCALAR_EVENT) {
                    if ((rc = yskip(&w)) != 0 || (rc = ynext(&w)) != 0 || (rc = yskip(&w)) != 0)
                        break;
                    continue;
                }
                if ((key = yscalar_dup(&w)) == NULL) {
                    rc = DD_ENOMEM;
                    break;
                }
                if ((rc = ynext(&w)) != 0) {
                    dd_free(key);
                    break;
                }
                if ((rc = yread_entry(&w, d, key)) != 0)
                    break;
            }
        } else {
            rc = yskip(&w);
        }
        if (rc != 0)
            goto out;
    }
out:
    if (w.have)
        yaml_event_delete(&w.ev);
    yaml_parser_delete(&w.p);
    return rc;
}

/* ---- pnpm-lock.yaml ---- */

/* Splits a "packages" key: v5 "/name/1.0.0_peer+x@1.0.0", "/@scope/name/1.0.0"; v6
 * "/name@1.0.0(peer@1.0.0)"; v9 "name@1.0.0". major is the lockfileVersion's major number, or -1
 * when unknown (then guessed from the key). */
static bool pnpm_key(const char *k, int major, const char **name, size_t *name_len,
                     const char **ver, size_t *ver_len)
{
    if (*k == '/')
        k++;
    size_t len = strlen(k);
    const char *paren = memchr(k, '(', len);
    size_t cut = paren != NULL ? (size_t)(paren - k) : len;
    size_t at = spec_at(k, cut);
    if (major < 0)
        major = at < cut ? 6 : 5;
    if (major >= 6) {
        if (at >= cut)
            return false;
        *name = k;
        *name_len = at;
        *ver = k + at + 1;
        *ver_len = cut - at - 1;
    } else {
        const char *slash = memchr(k, '/', len);
        if (slash != NULL && *k == '@')
            slash = memchr(slash + 1, '/', len - (size_t)(slash + 1 - k));
        if (slash == NULL)
            return false;
        *name = k;
        *name_len = (size_t)(slash - k);
        *ver = slash + 1;
        size_t rest = len - *name_len - 1, vl = 0;
        while (vl < rest && (*ver)[vl] != '_' && (*ver)[vl] != '(')
            vl++;
        *ver_len = vl;
    }
    return *name_len > 0 && *ver_len > 0 && memchr(*ver, '/', *ver_len) == NULL &&
           memchr(*ver, ':', *ver_len) == NULL;
}

int dd_npm_pnpm_lock_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                           dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    ydoc d;
    dd_pkg_list tmp = DD_PKG_LIST_INIT;
    memset(&d, 0, sizeof(d));
    int rc = yload(buf, len, "packages", &d, err);
    if (rc != 0)
        goto out;
    int major = -1;
    if (d.lockfile_version != NULL && d.lockfile_version[0] >= '0' &&
        d.lockfile_version[0] <= '9') {
        major = 0;
        for (const char *s = d.lockfile_version; *s >= '0' && *s <= '9' && major < 1000; s++)
            major = major * 10 + (*s - '0');
    }
    for (size_t i = 0; i < d.n; i++) {
        const yent *e = &d.items[i];
        const char *name, *ver;
        size_t name_len, ver_len;
        if (e->name != NULL && e->version != NULL) { /* tarball and git dependencies */
            name = e->name;
            name_len = strlen(name);
            ver = e->version;
            ver_len = strlen(ver);
            if (name_len == 0 || ver_len == 0)
                continue;
        } else if (!pnpm_key(e->key, major, &name, &name_len, &ver, &ver_len)) {
            continue;
        }
        bool dev = e->dev != NULL && strcmp(e->dev, "true") == 0;
        if ((rc = new_pkg(&tmp, name, name_len, ver, ver_len, path, layer, true, dev, NULL)) != 0)
            goto out;
    }
    rc = splice(out, &tmp);
out:
    dd_pkg_list_free(&tmp);
    ydoc_free(&d);
    return rc;
}

/* ---- yarn.lock ---- */

/* A resolution protocol that is not a published package (workspaces, local folders). */
static bool local_protocol(const char *s, size_t len)
{
    static const char *const protos[] = {"workspace:", "link:", "portal:", "file:", "exec:"};
    for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
        if (has_prefix(s, len, protos[i]))
            return true;
    return false;
}

/* yarn berry: the top-level mapping's entries; "resolution": "name@npm:1.2.3" names the package
 * (aliases included), "version" its version. */
static int yarn_berry(const uint8_t *buf, size_t len, const char *path, int layer, dd_pkg_list *out,
                      dd_err *err)
{
    ydoc d;
    dd_pkg_list tmp = DD_PKG_LIST_INIT;
    memset(&d, 0, sizeof(d));
    int rc = yload(buf, len, NULL, &d, err);
    if (rc != 0)
        goto out;
    for (size_t i = 0; i < d.n; i++) {
        const yent *e = &d.items[i];
        if (e->resolution == NULL || e->version == NULL || *e->version == '\0' ||
            strcmp(e->version, "0.0.0-use.local") == 0)
            continue;
        size_t rl = strlen(e->resolution), at = spec_at(e->resolution, rl);
        if (at == 0 || at >= rl || local_protocol(e->resolution + at + 1, rl - at - 1))
            continue;
        if ((rc = new_pkg(&tmp, e->resolution, at, e->version, strlen(e->version), path, layer,
                          true, false, NULL)) != 0)
            goto out;
    }
    rc = splice(out, &tmp);
out:
    dd_pkg_list_free(&tmp);
    ydoc_free(&d);
    return rc;
}

/* Strips surrounding blanks and one pair of double quotes. */
static void trim_quotes(const char **s, size_t *len)
{
    while (*len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
        (*len)--;
    if (*len >= 2 && **s == '"' && (*s)[*len - 1] == '"') {
        (*s)++;
        *len -= 2;
    }
}

typedef struct yarn_entry {
    const char *name, *ver;
    size_t name_len, ver_len;
    bool open, skip;
} yarn_entry;

static int yarn_flush(yarn_entry *y, const char *path, int layer, dd_pkg_list *out)
{
    int rc = 0;
    if (y->open && !y->skip && y->name_len > 0 && y->ver_len > 0)
        rc = new_pkg(out, y->name, y->name_len, y->ver, y->ver_len, path, layer, true, false, NULL);
    memset(y, 0, sizeof(*y));
    return rc;
}

/* Classic yarn.lock: entries start with an unindented header `spec[, spec...]:` where a spec is
 * `name@range` (maybe quoted; `alias@npm:real@range` for aliases) and hold indented
 * `version "1.2.3"` lines. */
static int yarn_classic(const uint8_t *buf, size_t len, const char *path, int layer,
                        dd_pkg_list *out, dd_err *err)
{
    dd_pkg_list tmp = DD_PKG_LIST_INIT;
    yarn_entry y;
    size_t pos = 0;
    int rc = 0;
    memset(&y, 0, sizeof(y));
    while (pos < len) {
        size_t start = pos;
        const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        pos = nl != NULL ? end + 1 : len;
        if (end > start && buf[end - 1] == '\r')
            end--;
        const char *line = (const char *)buf + start;
        size_t ll = end - start;
        if (ll == 0 || line[0] == '#')
            continue;
        if (line[0] != ' ' && line[0] != '\t') {
            if ((rc = yarn_flush(&y, path, layer, &tmp)) != 0)
                goto out;
            if (line[ll - 1] != ':') {
                rc = dd_err_set_at(err, DD_EINVALID, start, "yarn.lock: entry header without ':'");
                goto out;
            }
            const char *spec = line;
            const char *comma = memchr(line, ',', ll - 1);
            size_t sl = comma != NULL ? (size_t)(comma - line) : ll - 1;
            trim_quotes(&spec, &sl);
            size_t at = spec_at(spec, sl);
            y.open = true;
            y.name = spec;
            y.name_len = at;
            if (at < sl && has_prefix(spec + at + 1, sl - at - 1, "npm:")) {
                const char *real = spec + at + 5;
                size_t real_len = sl - at - 5;
                y.name = real;
                y.name_len = spec_at(real, real_len);
            } else if (at < sl) {
                y.skip = local_protocol(spec + at + 1, sl - at - 1);
            }
            continue;
        }
        if (!y.open) {
            rc =
                dd_err_set_at(err, DD_EINVALID, start, "yarn.lock: indented line outside an entry");
            goto out;
        }
        size_t ind = 0;
        while (ind < ll && line[ind] == ' ')
            ind++;
        if (ind == 2 && has_prefix(line + 2, ll - 2, "version") && ll > 9 &&
            (line[9] == ' ' || line[9] == ':')) {
            const char *v = line + 10;
            size_t vl = ll - 10;
            trim_quotes(&v, &vl);
            y.ver = v;
            y.ver_len = vl;
        }
    }
    if ((rc = yarn_flush(&y, path, layer, &tmp)) != 0)
        goto out;
    rc = splice(out, &tmp);
out:
    dd_pkg_list_free(&tmp);
    return rc;
}

int dd_npm_yarn_lock_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                           dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    /* berry lockfiles carry a top-level "__metadata:" entry; classic ones never do */
    static const char meta[] = "__metadata:";
    bool berry = has_prefix((const char *)buf, len, meta) ||
                 memmem(buf, len, "\n__metadata:", sizeof(meta)) != NULL /* "\n" + meta */;
    return berry ? yarn_berry(buf, len, path, layer, out, err)
                 : yarn_classic(buf, len, path, layer, out, err);
}

/* ---- reconciliation (shared) ---- */

typedef struct rkey {
    const char *path;
    size_t root_len;
    const char *name, *version;
    size_t idx;
} rkey;

typedef int (*name_cmp_fn)(const char *a, const char *b);

static int rkey_cmp_noidx(const rkey *a, const rkey *b, name_cmp_fn name_cmp)
{
    size_t l = a->root_len < b->root_len ? a->root_len : b->root_len;
    int c = memcmp(a->path, b->path, l);
    if (c == 0 && a->root_len != b->root_len)
        c = a->root_len < b->root_len ? -1 : 1;
    if (c == 0)
        c = name_cmp(a->name, b->name);
    if (c == 0)
        c = strcmp(a->version, b->version);
    return c;
}

static int rkey_cmp(const void *a, const void *b, void *ctx)
{
    const rkey *x = a, *y = b;
    int c = rkey_cmp_noidx(x, y, *(name_cmp_fn *)ctx);
    if (c == 0)
        c = x->idx < y->idx ? -1 : x->idx > y->idx;
    return c;
}

static bool has_path(const dd_pkg *p, const char *path)
{
    for (size_t i = 0; i < p->paths.n; i++)
        if (strcmp(p->paths.items[i], path) == 0)
            return true;
    return false;
}

/* Takes the lockfile's path, dev flag and (if missing) license of d into p. */
static int merge_into(dd_pkg *p, dd_pkg *d, bool first)
{
    if (d->paths.n == 0 || has_path(p, d->paths.items[0]))
        return 0;
    if (dd_strlist_push_str(&p->paths, d->paths.items[0]) != 0)
        return DD_ENOMEM;
    p->dev = first ? d->dev : (p->dev && d->dev);
    if (p->license == NULL) {
        p->license = d->license;
        d->license = NULL;
    }
    return 0;
}

static rkey *make_keys(const dd_pkg_list *l, dd_npm_root_fn root_of, int lockfile, size_t *n_out)
{
    rkey *k = dd_mallocarray(l->n ? l->n : 1, sizeof(*k));
    size_t n = 0;
    if (k == NULL)
        return NULL;
    for (size_t i = 0; i < l->n; i++) {
        const dd_pkg *p = &l->items[i];
        const char *path = p->paths.n > 0 ? p->paths.items[0] : "";
        size_t root = root_of(path, lockfile);
        if (root == DD_NPM_NO_ROOT) {
            if (!lockfile)
                continue;
            root = strlen(path); /* its own project */
        }
        k[n++] = (rkey){path, root, p->name ? p->name : "", p->version ? p->version : "", i};
    }
    *n_out = n;
    return k;
}

int dd_npm_reconcile(dd_pkg_list *out, dd_pkg_list *installed, dd_pkg_list *declared,
                     dd_npm_root_fn root_of, int (*name_cmp)(const char *a, const char *b))
{
    rkey *ik = NULL, *dk = NULL;
    size_t n_ik = 0, n_dk = 0, base = out->n;
    int rc = DD_ENOMEM;
    name_cmp_fn cmp = name_cmp;
    if ((ik = make_keys(installed, root_of, 0, &n_ik)) == NULL ||
        (dk = make_keys(declared, root_of, 1, &n_dk)) == NULL)
        goto out;
    qsort_r(ik, n_ik, sizeof(*ik), rkey_cmp, &cmp);
    qsort_r(dk, n_dk, sizeof(*dk), rkey_cmp, &cmp);
    /* installed first, in order: installed->items[i] becomes out->items[base + i] */
    for (size_t i = 0; i < installed->n; i++)
        if ((rc = dd_pkg_list_take(out, &installed->items[i])) != 0)
            goto out;
    rc = 0;
    size_t lo = 0; /* lower bound in ik, monotonic since both are sorted alike */
    for (size_t i = 0; i < n_dk;) {
        size_t j = i + 1;
        while (j < n_dk && rkey_cmp_noidx(&dk[i], &dk[j], cmp) == 0)
            j++;
        while (lo < n_ik && rkey_cmp_noidx(&ik[lo], &dk[i], cmp) < 0)
            lo++;
        size_t hi = lo;
        while (hi < n_ik && rkey_cmp_noidx(&ik[hi], &dk[i], cmp) == 0)
            hi++;
        if (hi > lo) {
            for (size_t g = i; g < j; g++) {
                dd_pkg *d = &declared->items[dk[g].idx];
                for (size_t c = lo; c < hi && d->paths.n > 0; c++) {
                    dd_pkg *p = &out->items[base + ik[c].idx];
                    if (has_path(p, d->paths.items[0]))
                        continue;
                    p->declared_only = false;
                    if ((rc = merge_into(p, d, p->paths.n == 1)) != 0)
                        goto out;
                    break;
                }
            }
        } else {
            if ((rc = dd_pkg_list_take(out, &declared->items[dk[i].idx])) != 0)
                goto out;
            size_t r = out->n - 1;
            out->items[r].declared_only = true;
            for (size_t g = i + 1; g < j; g++)
                if ((rc = merge_into(&out->items[r], &declared->items[dk[g].idx], false)) != 0)
                    goto out;
        }
        i = j;
    }
out:
    dd_free(ik);
    dd_free(dk);
    dd_pkg_list_free(installed);
    dd_pkg_list_free(declared);
    return rc;
}

/* ---- the cataloger ---- */

enum kind { K_NONE, K_PACKAGE_JSON, K_PACKAGE_LOCK, K_YARN, K_PNPM };

static bool base_is(const char *base, size_t bl, const char *name)
{
    return bl == strlen(name) && memcmp(base, name, bl) == 0;
}

/* A component of a package name: non-empty, no '/', not a dot directory (.bin, .pnpm). */
static size_t name_component(const char *s, size_t len)
{
    const char *slash = memchr(s, '/', len);
    size_t l = slash != NULL ? (size_t)(slash - s) : len;
    return l > 0 && s[0] != '.' ? l : 0;
}

static int classify(const char *path, size_t len)
{
    const char *slash = memrchr(path, '/', len);
    const char *base = slash != NULL ? slash + 1 : path;
    size_t bl = len - (size_t)(base - path);
    bool pj = base_is(base, bl, "package.json");
    enum kind k = K_NONE;
    if (pj)
        k = K_PACKAGE_JSON;
    else if (base_is(base, bl, "package-lock.json") || base_is(base, bl, "npm-shrinkwrap.json"))
        k = K_PACKAGE_LOCK;
    else if (base_is(base, bl, "yarn.lock"))
        k = K_YARN;
    else if (base_is(base, bl, "pnpm-lock.yaml"))
        k = K_PNPM;
    if (k == K_NONE)
        return K_NONE;
    size_t nm = last_nm(path, len);
    if (nm == 0)
        return k; /* a project's package.json or lockfile */
    if (!pj)
        return K_NONE; /* lockfiles shipped inside installed packages are not the image's */
    /* node_modules/<name>/package.json or node_modules/@scope/<name>/package.json */
    const char *s = path + nm;
    size_t rest = len - nm, c = name_component(s, rest);
    if (c == 0)
        return K_NONE;
    if (s[0] == '@') {
        if (c + 1 >= rest)
            return K_NONE;
        s += c + 1;
        rest -= c + 1;
        if ((c = name_component(s, rest)) == 0)
            return K_NONE;
    }
    return c + 1 + bl == rest ? K_PACKAGE_JSON : K_NONE;
}

static dd_keep npm_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                         const dd_extractor **extractor)
{
    (void)mode;
    (void)size;
    (void)extractor;
    return classify(path, path_len) != K_NONE ? DD_KEEP_WHOLE : DD_KEEP_NONE;
}

/* Installed packages belong to the project holding the first node_modules of their path; a
 * lockfile to its directory; a project's own package.json matches nothing. */
static size_t npm_root(const char *path, int lockfile)
{
    if (lockfile) {
        const char *s = strrchr(path, '/');
        return s != NULL ? (size_t)(s - path) : 0;
    }
    const char *s = strstr(path, "/" NM);
    if (s == NULL)
        return strncmp(path, NM, NM_LEN) == 0 ? 0 : DD_NPM_NO_ROOT;
    return (size_t)(s - path);
}

static const dd_lock_format npm_formats[] = {
    [K_PACKAGE_JSON] = {dd_npm_package_json_parse, true},
    [K_PACKAGE_LOCK] = {dd_npm_package_lock_parse, false},
    [K_YARN] = {dd_npm_yarn_lock_parse, false},
    [K_PNPM] = {dd_npm_pnpm_lock_parse, false},
};

static const dd_lang_catalog npm_lang = {
    .name = "npm",
    .classify = classify,
    .formats = npm_formats,
    .root_of = npm_root,
    .name_cmp = strcmp,
};

static int npm_catalog(const dd_rootfs *fs, dd_pkg_list *out,
                       void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                       dd_err *err)
{
    return dd_catalog_lockfiles(fs, &npm_lang, out, warn, warn_ctx, err);
}

const dd_cataloger dd_cataloger_npm = {"npm", npm_wants, npm_catalog};
