/* Python cataloger: installed distributions (*.dist-info/METADATA, *.egg-info/PKG-INFO and
 * *.egg-info files) and lockfiles (poetry.lock, uv.lock, Pipfile.lock, requirements.txt),
 * reconciled like npm's (dd_npm_reconcile) but across the whole image, by PEP 503 name and
 * version.
 *
 * Hand-written here, and why: core metadata is RFC 822 headers (a line format; only the header
 * block is read); requirements.txt is a line format; poetry.lock and uv.lock are TOML, for which
 * Debian 12 packages no C library (only C++ ones: libtoml11-dev, libtomlplusplus-dev,
 * libcpptoml-dev), so a minimal TOML reader below splits the file into table headers and
 * key = value items (strings, arrays and inline tables kept as raw text) and the [[package]]
 * tables are read from those. Pipfile.lock is JSON (jansson).
 *
 * Owner: a distribution whose metadata file (METADATA, PKG-INFO or the .egg-info file) is listed
 * in a var/lib/dpkg/info/NAME.list of the image gets owner = that dpkg package (dd_dpkg_owners,
 * built once per catalog() call, only when a distribution is found). When the image has no .list
 * files at all (e.g. a stripped image that kept only var/lib/dpkg/status), distributions under
 * usr/lib/python3/dist-packages or usr/lib/python3.X/dist-packages, where only Debian's packages
 * install, get the marker owner "dpkg" (owning package unknown); when it has .list files but none
 * names the file, the owner stays NULL (pip put it there, not dpkg), as it does elsewhere. */
#include "inventory/python.h"
#include "inventory/catalog.h"
#include "util/alloc.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#define TOML_DEPTH_MAX 64 /* nesting of arrays and inline tables */

static int new_pkg(dd_pkg_list *out, const char *name, size_t name_len, const char *ver,
                   size_t ver_len, const char *path, int layer, bool declared, bool dev)
{
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = DD_PKG_PYTHON;
    p.layer = layer;
    p.declared_only = declared;
    p.dev = dev;
    p.name = dd_strndup(name, name_len);
    p.version = dd_strndup(ver, ver_len);
    if (p.name == NULL || p.version == NULL || dd_strlist_push_str(&p.paths, path) != 0) {
        dd_pkg_clear(&p);
        return DD_ENOMEM;
    }
    return dd_pkg_list_take(out, &p);
}

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

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(const char **s, size_t *len)
{
    while (*len > 0 && is_blank(**s)) {
        (*s)++;
        (*len)--;
    }
    while (*len > 0 && (is_blank((*s)[*len - 1]) || (*s)[*len - 1] == '\r'))
        (*len)--;
}

static bool span_is(const char *s, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(s, lit, len) == 0;
}

/* ---- names ---- */

static char fold(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static bool sep(char c)
{
    return c == '-' || c == '_' || c == '.';
}

int dd_python_name_cmp(const char *a, const char *b)
{
    for (;;) {
        char x = *a, y = *b;
        if (sep(x)) {
            x = '-';
            while (sep(a[1]))
                a++;
        }
        if (sep(y)) {
            y = '-';
            while (sep(b[1]))
                b++;
        }
        x = fold(x);
        y = fold(y);
        if (x != y || x == '\0')
            return (unsigned char)x - (unsigned char)y;
        a++;
        b++;
    }
}

/* ---- core metadata ---- */

int dd_python_metadata_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                             dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    const char *s = (const char *)buf;
    const char *name = NULL, *ver = NULL, *lic = NULL, *expr = NULL, *classifier = NULL;
    size_t name_len = 0, ver_len = 0, lic_len = 0, expr_len = 0, cl_len = 0, pos = 0;
    dd_pkg_list tmp = DD_PKG_LIST_INIT;
    int rc = 0;
    while (pos < len) {
        size_t start = pos;
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - s) : len;
        pos = nl != NULL ? end + 1 : len;
        const char *line = s + start;
        size_t ll = end - start;
        if (ll > 0 && line[ll - 1] == '\r')
            ll--;
        if (ll == 0)
            break; /* the body (description) follows */
        if (is_blank(line[0]))
            continue; /* continuation of a folded header */
        const char *colon = memchr(line, ':', ll);
        if (colon == NULL) {
            rc = dd_err_set_at(err, DD_EINVALID, start, "metadata header without ':'");
            goto out;
        }
        size_t kl = (size_t)(colon - line), vl = ll - kl - 1;
        const char *v = colon + 1;
        trim(&v, &vl);
        if (span_is(line, kl, "Name") && name == NULL) {
            name = v;
            name_len = vl;
        } else if (span_is(line, kl, "Version") && ver == NULL) {
            ver = v;
            ver_len = vl;
        } else if (span_is(line, kl, "License") && lic == NULL) {
            lic = v;
            lic_len = vl;
        } else if (span_is(line, kl, "License-Expression") && expr == NULL) {
            expr = v;
            expr_len = vl;
        } else if (span_is(line, kl, "Classifier") && classifier == NULL && vl > 11 &&
                   memcmp(v, "License :: ", 11) == 0) {
            /* "License :: OSI Approved :: MIT License": the last part */
            size_t i = vl;
            while (i > 0 && !(i >= 4 && memcmp(v + i - 4, " :: ", 4) == 0))
                i--;
            classifier = v + i;
            cl_len = vl - i;
        }
    }
    if (name_len == 0 || ver_len == 0) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "metadata without Name or Version");
        goto out;
    }
    if (lic != NULL && (lic_len == 0 || span_is(lic, lic_len, "UNKNOWN")))
        lic = NULL;
    if (expr != NULL && expr_len > 0) {
        lic = expr;
        lic_len = expr_len;
    } else if (lic == NULL && classifier != NULL && cl_len > 0) {
        lic = classifier;
        lic_len = cl_len;
    }
    if ((rc = new_pkg(&tmp, name, name_len, ver, ver_len, path, layer, false, false)) != 0)
        goto out;
    if (lic != NULL && (tmp.items[0].license = dd_strndup(lic, lic_len)) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    rc = splice(out, &tmp);
out:
    dd_pkg_list_free(&tmp);
    return rc;
}

/* ---- minimal TOML ---- */

enum titem_kind { T_END, T_TABLE, T_ARRAY_TABLE, T_KV };

typedef struct titem {
    enum titem_kind kind;
    const char *key; /* table name or key, trimmed, raw (quotes kept) */
    size_t key_len;
    const char *val; /* raw value text (strings with their quotes) */
    size_t val_len;
} titem;

typedef struct tcur {
    const char *s;
    size_t len, pos;
    dd_err *err;
} tcur;

static int tbad(tcur *c, size_t at, const char *what)
{
    return dd_err_set_at(c->err, DD_EINVALID, at, "TOML: %s", what);
}

static bool tat(const tcur *c, const char *lit)
{
    size_t l = strlen(lit);
    return c->len - c->pos >= l && memcmp(c->s + c->pos, lit, l) == 0;
}

/* Skips a string starting at c->pos (any of the four kinds). */
static int tskip_string(tcur *c)
{
    size_t start = c->pos;
    char q = c->s[c->pos];
    bool multi = tat(c, q == '"' ? "\"\"\"" : "'''");
    c->pos += multi ? 3 : 1;
    while (c->pos < c->len) {
        char ch = c->s[c->pos];
        if (ch == '\\' && q == '"') {
            c->pos += 2;
            continue;
        }
        if (ch == '\n' && !multi)
            break;
        if (ch == q) {
            if (!multi) {
                c->pos++;
                return 0;
            }
            if (tat(c, q == '"' ? "\"\"\"" : "'''")) {
                c->pos += 3;
                while (c->pos < c->len && c->s[c->pos] == q) /* up to 2 quotes end the body */
                    c->pos++;
                return 0;
            }
        }
        c->pos++;
    }
    return tbad(c, start, "unterminated string");
}

/* Skips a value starting at c->pos; arrays may span lines. */
static int tskip_value(tcur *c)
{
    size_t start = c->pos;
    int depth = 0, rc;
    while (c->pos < c->len) {
        char ch = c->s[c->pos];
        if (ch == '"' || ch == '\'') {
            if ((rc = tskip_string(c)) != 0)
                return rc;
            if (depth == 0)
                return 0;
            continue;
        }
        if (ch == '[' || ch == '{') {
            if (++depth > TOML_DEPTH_MAX)
                return tbad(c, c->pos, "nested too deep");
        } else if (ch == ']' || ch == '}') {
            if (depth == 0)
                return tbad(c, c->pos, "unbalanced bracket");
            if (--depth == 0) {
                c->pos++;
                return 0;
            }
        } else if (ch == '#' && depth > 0) {
            while (c->pos < c->len && c->s[c->pos] != '\n')
                c->pos++;
            continue;
        } else if (depth == 0 && (ch == '\n' || ch == '#' || ch == '\r')) {
            break;
        }
        c->pos++;
    }
    if (depth > 0)
        return tbad(c, start, "unterminated array or table");
    return 0;
}

/* After an item: only blanks and a comment may follow on its line. */
static int tend_line(tcur *c)
{
    while (c->pos < c->len && (is_blank(c->s[c->pos]) || c->s[c->pos] == '\r'))
        c->pos++;
    if (c->pos < c->len && c->s[c->pos] == '#')
        while (c->pos < c->len && c->s[c->pos] != '\n')
            c->pos++;
    if (c->pos < c->len && c->s[c->pos] != '\n')
        return tbad(c, c->pos, "unexpected text after a value");
    return 0;
}

static int tnext(tcur *c, titem *it)
{
    int rc;
    memset(it, 0, sizeof(*it));
    for (;;) {
        while (c->pos < c->len &&
               (is_blank(c->s[c->pos]) || c->s[c->pos] == '\n' || c->s[c->pos] == '\r'))
            c->pos++;
        if (c->pos >= c->len)
            return 0; /* T_END */
        if (c->s[c->pos] != '#')
            break;
        while (c->pos < c->len && c->s[c->pos] != '\n')
            c->pos++;
    }
    size_t start = c->pos;
    if (c->s[c->pos] == '[') {
        bool arr = tat(c, "[[");
        c->pos += arr ? 2 : 1;
        size_t ks = c->pos;
        while (c->pos < c->len && c->s[c->pos] != ']' && c->s[c->pos] != '\n')
            c->pos++;
        size_t ke = c->pos;
        if (!tat(c, arr ? "]]" : "]"))
            return tbad(c, start, "unterminated table header");
        c->pos += arr ? 2 : 1;
        it->kind = arr ? T_ARRAY_TABLE : T_TABLE;
        it->key = c->s + ks;
        it->key_len = ke - ks;
        trim(&it->key, &it->key_len);
        return tend_line(c);
    }
    /* key = value (a quoted key may hold '=') */
    size_t ks = c->pos;
    while (c->pos < c->len && c->s[c->pos] != '=' && c->s[c->pos] != '\n') {
        if (c->s[c->pos] == '"' || c->s[c->pos] == '\'') {
            if ((rc = tskip_string(c)) != 0)
                return rc;
            continue;
        }
        c->pos++;
    }
    if (c->pos >= c->len || c->s[c->pos] != '=')
        return tbad(c, start, "expected key = value");
    it->key = c->s + ks;
    it->key_len = c->pos - ks;
    trim(&it->key, &it->key_len);
    c->pos++;
    while (c->pos < c->len && is_blank(c->s[c->pos]))
        c->pos++;
    size_t vs = c->pos;
    if ((rc = tskip_value(c)) != 0)
        return rc;
    it->kind = T_KV;
    it->val = c->s + vs;
    it->val_len = c->pos - vs;
    trim(&it->val, &it->val_len);
    if (it->key_len == 0 || it->val_len == 0)
        return tbad(c, start, "empty key or value");
    return tend_line(c);
}

/* A one-line basic or literal string value. */
static bool tis_string(const char *v, size_t len)
{
    return len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0] &&
           !(len >= 3 && (memcmp(v, "\"\"\"", 3) == 0 || memcmp(v, "'''", 3) == 0));
}

/* The text of a tis_string value (escapes other than \" and \\ are kept as written: names and
 * versions have none); NULL on allocation failure. */
static char *tstring(const char *v, size_t len)
{
    char *o = dd_malloc(len);
    if (o == NULL)
        return NULL;
    size_t n = 0;
    for (size_t i = 1; i + 1 < len; i++) {
        if (v[0] == '"' && v[i] == '\\' && i + 2 < len && (v[i + 1] == '"' || v[i + 1] == '\\'))
            i++;
        o[n++] = v[i];
    }
    o[n] = '\0';
    return o;
}

/* True when the raw value contains the token word followed by optional blanks and c. */
static bool has_token(const char *v, size_t len, const char *word, char c)
{
    size_t wl = strlen(word);
    for (size_t i = 0; i + wl <= len; i++) {
        if (memcmp(v + i, word, wl) != 0)
            continue;
        size_t j = i + wl;
        while (j < len && is_blank(v[j]))
            j++;
        if (j < len && v[j] == c)
            return true;
    }
    return false;
}

typedef struct tpkg {
    char *name, *version, *category;
    bool has_groups, main_group, local;
} tpkg;

static void tpkg_clear(tpkg *p)
{
    dd_free(p->name);
    dd_free(p->version);
    dd_free(p->category);
    memset(p, 0, sizeof(*p));
}

static int tpkg_flush(tpkg *p, bool open, const char *path, int layer, dd_pkg_list *out)
{
    int rc = 0;
    if (open && !p->local && p->name != NULL && p->version != NULL && *p->name && *p->version) {
        bool dev = (p->category != NULL && strcmp(p->category, "dev") == 0) ||
                   (p->has_groups && !p->main_group);
        rc = new_pkg(out, p->name, strlen(p->name), p->version, strlen(p->version), path, layer,
                     true, dev);
    }
    tpkg_clear(p);
    return rc;
}

/* Sets *field to a string value; other kinds of values leave it unset. */
static int set_string(char **field, const titem *it)
{
    dd_free(*field);
    *field = NULL;
    if (!tis_string(it->val, it->val_len))
        return 0;
    return (*field = tstring(it->val, it->val_len)) != NULL ? 0 : DD_ENOMEM;
}

static int toml_lock_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                           dd_pkg_list *out, dd_err *err)
{
    tcur c = {(const char *)buf, len, 0, err};
    dd_pkg_list tmp = DD_PKG_LIST_INIT;
    tpkg p;
    bool open = false;
    int rc;
    titem it;
    memset(&p, 0, sizeof(p));
    for (;;) {
        if ((rc = tnext(&c, &it)) != 0)
            goto out;
        if (it.kind == T_END)
            break;
        if (it.kind != T_KV) {
            bool pkg = it.kind == T_ARRAY_TABLE && span_is(it.key, it.key_len, "package");
            if (pkg || open) /* a [package.x] sub-table ends the package's own keys */
                if ((rc = tpkg_flush(&p, open, path, layer, &tmp)) != 0)
                    goto out;
            open = pkg;
            continue;
        }
        if (!open)
            continue;
        if (span_is(it.key, it.key_len, "name"))
            rc = set_string(&p.name, &it);
        else if (span_is(it.key, it.key_len, "version"))
            rc = set_string(&p.version, &it);
        else if (span_is(it.key, it.key_len, "category"))
            rc = set_string(&p.category, &it);
        else if (span_is(it.key, it.key_len, "groups")) {
            p.has_groups = true;
            p.main_group = has_token(it.val, it.val_len, "\"main\"", ']') ||
                           has_token(it.val, it.val_len, "\"main\"", ',');
        } else if (span_is(it.key, it.key_len, "source")) {
            p.local = has_token(it.val, it.val_len, "virtual", '=') ||
                      has_token(it.val, it.val_len, "editable", '=');
        }
        if (rc != 0)
            goto out;
    }
    if ((rc = tpkg_flush(&p, open, path, layer, &tmp)) != 0)
        goto out;
    rc = splice(out, &tmp);
out:
    tpkg_clear(&p);
    dd_pkg_list_free(&tmp);
    return rc;
}

int dd_python_poetry_lock_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                                dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    return toml_lock_parse(buf, len, path, layer, out, err);
}

int dd_python_uv_lock_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                            dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    return toml_lock_parse(buf, len, path, layer, out, err);
}

/* ---- Pipfile.lock ---- */

static void sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = '?';
}

int dd_python_pipfile_lock_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                                 dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    json_error_t jerr;
    dd_pkg_list tmp = DD_PKG_LIST_INIT;
    int rc = 0;
    json_t *root = json_loadb((const char *)buf, len, 0, &jerr);
    if (root == NULL) {
        if (json_error_code(&jerr) == json_error_out_of_memory)
            return DD_ENOMEM;
        sanitize(jerr.text);
        return dd_err_set_at(err, DD_EINVALID, (size_t)jerr.position, "invalid JSON: %s",
                             jerr.text);
    }
    if (!json_is_object(root)) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "Pipfile.lock is not a JSON object");
        goto out;
    }
    static const char *const sections[] = {"default", "develop"};
    for (size_t s = 0; s < 2; s++) {
        const char *key;
        json_t *v;
        json_t *sec = json_object_get(root, sections[s]);
        if (!json_is_object(sec))
            continue;
        json_object_foreach(sec, key, v)
        {
            const char *ver = json_string_value(json_object_get(v, "version"));
            if (ver == NULL || strncmp(ver, "==", 2) != 0 || *key == '\0')
                continue; /* git, path and editable entries carry no version */
            ver += ver[2] == '=' ? 3 : 2;
            if (*ver == '\0')
                continue;
            if ((rc = new_pkg(&tmp, key, strlen(key), ver, strlen(ver), path, layer, true,
                              s == 1)) != 0)
                goto out;
        }
    }
    rc = splice(out, &tmp);
out:
    dd_pkg_list_free(&tmp);
    json_decref(root);
    return rc;
}

/* ---- requirements.txt ---- */

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || sep(c);
}

int dd_python_requirements_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                                 dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    const char *s = (const char *)buf;
    dd_pkg_list tmp = DD_PKG_LIST_INIT;
    size_t pos = 0;
    bool continued = false;
    int rc = 0;
    (void)err;
    while (pos < len) {
        size_t start = pos;
        const char *nl = memchr(s + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - s) : len;
        pos = nl != NULL ? end + 1 : len;
        const char *line = s + start;
        size_t ll = end - start;
        trim(&line, &ll);
        bool was_continued = continued;
        continued = ll > 0 && line[ll - 1] == '\\';
        if (was_continued || ll == 0 || line[0] == '#' || line[0] == '-')
            continue; /* continuation (--hash ...), comment, option (-r, -e, --index-url) */
        size_t i = 0;
        while (i < ll && name_char(line[i]))
            i++;
        size_t name_len = i;
        if (name_len == 0 || sep(line[0]))
            continue;
        while (i < ll && is_blank(line[i]))
            i++;
        if (i < ll && line[i] == '[') { /* extras */
            const char *close = memchr(line + i, ']', ll - i);
            if (close == NULL)
                continue;
            i = (size_t)(close - line) + 1;
            while (i < ll && is_blank(line[i]))
                i++;
        }
        if (ll - i < 2 || line[i] != '=' || line[i + 1] != '=')
            continue; /* not pinned */
        i += 2;
        if (i < ll && line[i] == '=')
            i++; /* "===": arbitrary equality */
        while (i < ll && is_blank(line[i]))
            i++;
        size_t vs = i;
        while (i < ll && !is_blank(line[i]) && line[i] != ';' && line[i] != ',' && line[i] != '#' &&
               line[i] != '\\')
            i++;
        if (i == vs || memchr(line + vs, '*', i - vs) != NULL)
            continue; /* no version, or a prefix match ("== 2.8.*") */
        if ((rc = new_pkg(&tmp, line, name_len, line + vs, i - vs, path, layer, true, false)) != 0)
            goto out;
    }
    rc = splice(out, &tmp);
out:
    dd_pkg_list_free(&tmp);
    return rc;
}

/* ---- the cataloger ---- */

enum kind { K_NONE, K_METADATA, K_POETRY, K_UV, K_PIPFILE, K_REQUIREMENTS };

static bool has_suffix(const char *p, size_t len, const char *suffix)
{
    size_t sl = strlen(suffix);
    return len >= sl && memcmp(p + len - sl, suffix, sl) == 0;
}

static bool in_site_dir(const char *p, size_t len)
{
    return memmem(p, len, "site-packages/", 14) != NULL ||
           memmem(p, len, "dist-packages/", 14) != NULL;
}

static int classify(const char *p, size_t len)
{
    if (has_suffix(p, len, ".dist-info/METADATA") || has_suffix(p, len, ".egg-info/PKG-INFO") ||
        (has_suffix(p, len, ".egg-info") && len > 9 && p[len - 10] != '/'))
        return K_METADATA;
    const char *slash = memrchr(p, '/', len);
    const char *base = slash != NULL ? slash + 1 : p;
    size_t bl = len - (size_t)(base - p);
    enum kind k = K_NONE;
    if (span_is(base, bl, "poetry.lock"))
        k = K_POETRY;
    else if (span_is(base, bl, "uv.lock"))
        k = K_UV;
    else if (span_is(base, bl, "Pipfile.lock"))
        k = K_PIPFILE;
    else if (span_is(base, bl, "requirements.txt"))
        k = K_REQUIREMENTS;
    /* lockfiles shipped inside installed distributions are not the image's */
    return k != K_NONE && in_site_dir(p, len) ? K_NONE : k;
}

static dd_keep python_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                            const dd_extractor **extractor)
{
    (void)mode;
    (void)size;
    (void)extractor;
    return classify(path, path_len) != K_NONE ? DD_KEEP_WHOLE : DD_KEEP_NONE;
}

/* usr/lib/python3/dist-packages/ and usr/lib/python3.N/dist-packages/: Debian's packages. */
static bool os_owned(const char *p)
{
    static const char prefix[] = "usr/lib/python3";
    if (strncmp(p, prefix, sizeof(prefix) - 1) != 0)
        return false;
    p += sizeof(prefix) - 1;
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9'))
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return strncmp(p, "/dist-packages/", 15) == 0;
}

static const dd_lock_format python_formats[] = {
    [K_METADATA] = {dd_python_metadata_parse, true},
    [K_POETRY] = {dd_python_poetry_lock_parse, false},
    [K_UV] = {dd_python_uv_lock_parse, false},
    [K_PIPFILE] = {dd_python_pipfile_lock_parse, false},
    [K_REQUIREMENTS] = {dd_python_requirements_parse, false},
};

static const dd_lang_catalog python_lang = {
    .name = "python",
    .classify = classify,
    .formats = python_formats,
    .name_cmp = dd_python_name_cmp,
    .os_owned = os_owned,
};

static int python_catalog(const dd_rootfs *fs, dd_pkg_list *out,
                          void (*warn)(void *ctx, const char *path, const char *msg),
                          void *warn_ctx, dd_err *err)
{
    return dd_catalog_lockfiles(fs, &python_lang, out, warn, warn_ctx, err);
}

const dd_cataloger dd_cataloger_python = {"python", python_wants, python_catalog};
