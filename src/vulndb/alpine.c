/* Importer for the Alpine secdb (secdb.alpinelinux.org/<branch>/<repo>.json and the .yaml form of
 * the alpine-secdb repository): per origin package, "secfixes" maps a fixed version to the ids it
 * fixes. JSON is read with jansson, YAML with libyaml's document API. One advisory per id (CVE
 * preferred) in the file, with one affected entry per (branch, package, fixed version). */
#include "vulndb/import.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define JSON_OUT_MAX (64u * 1024u)
#define ID_MAX 64
#define FIELD_MAX 256
/* Most secfix entries in one file (the largest real file has a few thousand). */
#define ENTRIES_MAX 2000000u

/* One id string of a secfixes list, with its package and fixed version (borrowed). */
typedef struct fix_entry {
    char *id;      /* owned: the chosen id */
    char *aliases; /* owned: other ids, space separated, or NULL */
    const char *pkg;
    const char *ver;
    size_t order;
} fix_entry;

typedef struct collector {
    fix_entry *e;
    size_t n, cap;
    const char *path;
    const dd_import_sink *sink;
} collector;

static void warn(const collector *c, const char *msg)
{
    if (c->sink->warn != NULL)
        c->sink->warn(c->sink->ctx, c->path, msg);
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* An id token: letters, digits and "-._:", 1..ID_MAX bytes. */
static int id_ok(const char *s, size_t len)
{
    if (len == 0 || len > ID_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_' || c == ':'))
            return 0;
    }
    return 1;
}

/* A version key: printable ASCII without spaces or quotes. */
static int ver_ok(const char *s)
{
    size_t len = strlen(s);
    if (len == 0 || len > FIELD_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

/* Copies an id token, repairing two slips seen in the real files: "CVE_2019-2426" and
 * "CVE-2019-19451.patch". */
static char *id_copy(const char *s, size_t len)
{
    if (len > 6 && memcmp(s + len - 6, ".patch", 6) == 0)
        len -= 6;
    char *c = dd_strndup(s, len);
    if (c != NULL && len > 4 && memcmp(c, "CVE_", 4) == 0)
        c[3] = '-';
    return c;
}

/* Adds one secfixes string ("CVE-2019-1 XSA-2 (note)") for pkg/ver. */
static int add_ids(collector *c, const char *s, const char *pkg, const char *ver)
{
    const char *tok[16];
    size_t tl[16], nt = 0, i = 0, len = strlen(s);
    int rc = 0;
    char *id = NULL;
    dd_buf al = DD_BUF_INIT(FIELD_MAX * 4);
    while (i < len) {
        while (i < len && is_ws(s[i]))
            i++;
        if (i >= len || s[i] == '(' || s[i] == '#')
            break; /* free-text notes follow */
        size_t st = i;
        while (i < len && !is_ws(s[i]))
            i++;
        if (memchr(s + st, '?', i - st) != NULL)
            continue; /* a placeholder such as "CVE-????-?????" beside a real id */
        if (!id_ok(s + st, i - st) || nt == 16) {
            warn(c, "alpine secdb: bad id skipped");
            goto out;
        }
        tok[nt] = s + st;
        tl[nt++] = i - st;
    }
    if (nt == 0) {
        warn(c, "alpine secdb: empty id skipped");
        goto out;
    }
    size_t main_tok = 0;
    for (size_t k = 0; k < nt; k++)
        if (tl[k] > 4 && (memcmp(tok[k], "CVE-", 4) == 0 || memcmp(tok[k], "CVE_", 4) == 0)) {
            main_tok = k;
            break;
        }
    if ((id = id_copy(tok[main_tok], tl[main_tok])) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    for (size_t k = 0; k < nt; k++) {
        if (k == main_tok)
            continue;
        char *a = id_copy(tok[k], tl[k]);
        if (a == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        rc = al.len ? dd_buf_append_str(&al, " ") : 0;
        if (rc == 0)
            rc = dd_buf_append_str(&al, a);
        dd_free(a);
        if (rc != 0)
            goto out;
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 256;
        if (ncap > ENTRIES_MAX) {
            rc = DD_ELIMIT;
            goto out;
        }
        fix_entry *p = dd_reallocarray(c->e, ncap, sizeof(*p));
        if (p == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        c->e = p;
        c->cap = ncap;
    }
    c->e[c->n] = (fix_entry){id, al.len ? dd_buf_take(&al) : NULL, pkg, ver, c->n};
    id = NULL;
    c->n++;
out:
    dd_free(id);
    dd_buf_free(&al);
    return rc;
}

static int entry_cmp(const void *pa, const void *pb)
{
    const fix_entry *a = pa, *b = pb;
    int r = strcmp(a->id, b->id);
    if (r != 0)
        return r;
    return a->order < b->order ? -1 : a->order > b->order;
}

static int range_json(char **out, const char *fixed)
{
    dd_buf b = DD_BUF_INIT(JSON_OUT_MAX);
    int rc = dd_buf_append_str(&b, "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"},"
                                   "{\"fixed\":\"");
    if (rc == 0)
        rc = dd_buf_append_json_escaped(&b, fixed, strlen(fixed));
    if (rc == 0)
        rc = dd_buf_append_str(&b, "\"}]}]");
    if (rc != 0) {
        dd_buf_free(&b);
        return rc;
    }
    *out = dd_buf_take(&b);
    return *out == NULL ? DD_ENOMEM : 0;
}

/* Has list (space separated) the word w? */
static int has_word(const dd_strlist *l, const char *w)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], w) == 0)
            return 1;
    return 0;
}

/* Sorts the entries by id and hands one advisory per id to the sink. */
static int emit_all(collector *c, const char *branch, dd_err *err)
{
    int rc = 0;
    char eco[96];
    dd_advisory a;
    memset(&a, 0, sizeof(a));
    char *ranges = NULL, *url = NULL;
    size_t bl = strlen(branch);
    if (bl == 0 || bl > 64 || !id_ok(branch, bl)) {
        return dd_err_set(err, DD_EINVALID, "alpine secdb: bad distroversion");
    }
    memcpy(eco, "Alpine:", 7);
    memcpy(eco + 7, branch, bl + 1);
    if (c->n > 0)
        qsort(c->e, c->n, sizeof(*c->e), entry_cmp);
    for (size_t i = 0; i < c->n;) {
        size_t j = i;
        if ((a.id = dd_strdup(c->e[i].id)) == NULL)
            goto nomem;
        for (; j < c->n && strcmp(c->e[j].id, c->e[i].id) == 0; j++) {
            const fix_entry *e = &c->e[j];
            for (const char *p = e->aliases; p != NULL && *p != '\0';) {
                const char *sp = strchr(p, ' ');
                size_t l = sp ? (size_t)(sp - p) : strlen(p);
                char w[ID_MAX + 1];
                memcpy(w, p, l);
                w[l] = '\0';
                if (!has_word(&a.aliases, w) && dd_strlist_push(&a.aliases, p, l) != 0)
                    goto nomem;
                p = sp ? sp + 1 : p + l;
            }
            dd_fix_state st = strcmp(e->ver, "0") == 0 ? DD_FIX_NOT_AFFECTED : DD_FIX_FIXED;
            if (st == DD_FIX_FIXED && range_json(&ranges, e->ver) != 0)
                goto nomem;
            rc = dd_advisory_add_affected(&a, eco, e->pkg, ranges, NULL, st, NULL);
            dd_free(ranges);
            ranges = NULL;
            if (rc != 0)
                goto nomem;
        }
        if (strncmp(a.id, "CVE-", 4) == 0) {
            if ((url = dd_asprintf("https://security.alpinelinux.org/vuln/%s", a.id)) == NULL ||
                dd_strlist_push_str(&a.references, url) != 0)
                goto nomem;
            dd_free(url);
            url = NULL;
        }
        if ((rc = c->sink->put(c->sink->ctx, &a, err)) != 0)
            goto out;
        dd_advisory_clear(&a);
        i = j;
    }
    goto out;
nomem:
    rc = dd_err_set(err, DD_ENOMEM, "alpine secdb: out of memory");
out:
    dd_free(ranges);
    dd_free(url);
    dd_advisory_clear(&a);
    return rc;
}

static void collector_free(collector *c)
{
    for (size_t i = 0; i < c->n; i++) {
        dd_free(c->e[i].id);
        dd_free(c->e[i].aliases);
    }
    dd_free(c->e);
}

/* ---- JSON -------------------------------------------------------------------------------- */

static int import_json(const uint8_t *buf, size_t len, collector *c, dd_err *err)
{
    int rc = 0;
    json_error_t jerr;
    json_t *root = json_loadb((const char *)buf, len, 0, &jerr);
    if (root == NULL) {
        rc = dd_err_set_at(err, DD_EINVALID, (size_t)jerr.position, "alpine secdb: %s", jerr.text);
        goto out;
    }
    json_t *dv = json_object_get(root, "distroversion");
    json_t *pkgs = json_object_get(root, "packages");
    if (!json_is_string(dv) || !(json_is_array(pkgs) || json_is_null(pkgs) || pkgs == NULL)) {
        rc = dd_err_set(err, DD_EINVALID, "alpine secdb: no distroversion/packages");
        goto out;
    }
    size_t i;
    json_t *item;
    json_array_foreach(pkgs, i, item)
    {
        json_t *pkg = json_object_get(item, "pkg");
        json_t *name = json_object_get(pkg, "name");
        json_t *fixes = json_object_get(pkg, "secfixes");
        if (!json_is_string(name) || !ver_ok(json_string_value(name))) {
            warn(c, "alpine secdb: package without a valid name skipped");
            continue;
        }
        if (fixes == NULL || json_is_null(fixes))
            continue;
        if (!json_is_object(fixes)) {
            warn(c, "alpine secdb: secfixes is not an object");
            continue;
        }
        const char *ver;
        json_t *ids;
        json_object_foreach(fixes, ver, ids)
        {
            if (!ver_ok(ver)) {
                warn(c, "alpine secdb: bad fixed version skipped");
                continue;
            }
            if (json_is_null(ids))
                continue;
            if (!json_is_array(ids)) {
                warn(c, "alpine secdb: secfixes entry is not a list");
                continue;
            }
            size_t k;
            json_t *id;
            json_array_foreach(ids, k, id)
            {
                if (!json_is_string(id)) {
                    warn(c, "alpine secdb: non-string id skipped");
                    continue;
                }
                if ((rc = add_ids(c, json_string_value(id), json_string_value(name), ver)) != 0) {
                    dd_err_set(err, rc, "alpine secdb: too many entries or out of memory");
                    goto out;
                }
            }
        }
    }
    rc = emit_all(c, json_string_value(dv), err);
out:
    collector_free(c);
    json_decref(root);
    return rc;
}

/* ---- YAML -------------------------------------------------------------------------------- */

static yaml_node_t *ymap_get(yaml_document_t *d, yaml_node_t *m, const char *key)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(key) &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

/* A scalar's text if it has no NUL inside, else NULL (libyaml NUL-terminates scalars). */
static const char *yscalar(yaml_node_t *n)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE)
        return NULL;
    const char *s = (const char *)n->data.scalar.value;
    return strlen(s) == n->data.scalar.length ? s : NULL;
}

static int yis_null(yaml_node_t *n)
{
    const char *s = yscalar(n);
    return n == NULL ||
           (s != NULL && (s[0] == '\0' || strcmp(s, "~") == 0 || strcmp(s, "null") == 0));
}

static int import_yaml(const uint8_t *buf, size_t len, collector *c, dd_err *err)
{
    int rc = 0, have_doc = 0;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return dd_err_set(err, DD_ENOMEM, "alpine secdb: out of memory");
    yaml_parser_set_input_string(&parser, buf, len);
    if (!yaml_parser_load(&parser, &doc))
        goto yerr;
    have_doc = 1;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    const char *dv = yscalar(ymap_get(&doc, root, "distroversion"));
    yaml_node_t *pkgs = ymap_get(&doc, root, "packages");
    if (dv == NULL || !(yis_null(pkgs) || pkgs->type == YAML_SEQUENCE_NODE)) {
        rc = dd_err_set(err, DD_EINVALID, "alpine secdb: no distroversion/packages");
        goto out;
    }
    if (pkgs != NULL && pkgs->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = pkgs->data.sequence.items.start;
             it < pkgs->data.sequence.items.top; it++) {
            yaml_node_t *pkg = ymap_get(&doc, yaml_document_get_node(&doc, *it), "pkg");
            const char *name = yscalar(ymap_get(&doc, pkg, "name"));
            yaml_node_t *fixes = ymap_get(&doc, pkg, "secfixes");
            if (name == NULL || !ver_ok(name)) {
                warn(c, "alpine secdb: package without a valid name skipped");
                continue;
            }
            if (yis_null(fixes))
                continue;
            if (fixes->type != YAML_MAPPING_NODE) {
                warn(c, "alpine secdb: secfixes is not a mapping");
                continue;
            }
            for (yaml_node_pair_t *p = fixes->data.mapping.pairs.start;
                 p < fixes->data.mapping.pairs.top; p++) {
                const char *ver = yscalar(yaml_document_get_node(&doc, p->key));
                yaml_node_t *ids = yaml_document_get_node(&doc, p->value);
                if (ver == NULL || !ver_ok(ver)) {
                    warn(c, "alpine secdb: bad fixed version skipped");
                    continue;
                }
                if (yis_null(ids))
                    continue;
                if (ids->type != YAML_SEQUENCE_NODE) {
                    warn(c, "alpine secdb: secfixes entry is not a list");
                    continue;
                }
                for (yaml_node_item_t *k = ids->data.sequence.items.start;
                     k < ids->data.sequence.items.top; k++) {
                    const char *id = yscalar(yaml_document_get_node(&doc, *k));
                    if (id == NULL) {
                        warn(c, "alpine secdb: non-string id skipped");
                        continue;
                    }
                    if ((rc = add_ids(c, id, name, ver)) != 0) {
                        dd_err_set(err, rc, "alpine secdb: too many entries or out of memory");
                        goto out;
                    }
                }
            }
        }
    }
    rc = emit_all(c, dv, err);
    goto out;
yerr:
    rc = dd_err_set_at(err, parser.error == YAML_MEMORY_ERROR ? DD_ENOMEM : DD_EINVALID,
                       parser.problem_mark.index, "alpine secdb: %s",
                       parser.problem ? parser.problem : "YAML error");
out:
    collector_free(c);
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

static int ends_with(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int alpine_detect(const char *path, const uint8_t *head, size_t head_len)
{
    if (path != NULL && !ends_with(path, ".json") && !ends_with(path, ".yaml") &&
        !ends_with(path, ".yml"))
        return 0;
    return memmem(head, head_len, "distroversion", 13) != NULL &&
           (memmem(head, head_len, "secfixes", 8) != NULL ||
            memmem(head, head_len, "packages", 8) != NULL);
}

static int alpine_import(const uint8_t *buf, size_t len, const char *path,
                         const dd_import_sink *sink, dd_err *err)
{
    collector c = {NULL, 0, 0, path, sink};
    size_t i = 0;
    while (i < len && is_ws((char)buf[i]))
        i++;
    if (i < len && buf[i] == '{')
        return import_json(buf, len, &c, err);
    return import_yaml(buf, len, &c, err);
}

const dd_importer dd_importer_alpine_secdb = {
    "alpine-secdb",
    "alpine-secdb",
    alpine_detect,
    alpine_import,
};
