/* The stored form of an image inventory (scan_images.inventory): compact JSON that round-trips a
 * dd_inventory (OS, packages with every field the matcher and the reports use, purls), so the
 * continuous re-match and SBOM exports never read layers again. Written and read only by this
 * module, but treated as untrusted on decode (a corrupt row gives DD_EINVALID, never a crash). */
#include "scanning/internal.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static json_t *str_or_null(const char *s)
{
    return s != NULL ? json_string(s) : json_null();
}

json_t *dd_scan_inventory_encode(const dd_inventory *inv)
{
    json_t *o = json_object();
    json_t *pkgs = json_array();
    if (o == NULL || pkgs == NULL)
        goto fail;
    if (inv->has_os) {
        json_t *os = json_pack(
            "{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "id", str_or_null(inv->os.id), "version_id",
            str_or_null(inv->os.version_id), "version", str_or_null(inv->os.version), "codename",
            str_or_null(inv->os.codename), "pretty_name", str_or_null(inv->os.pretty_name),
            "id_like", str_or_null(inv->os.id_like), "source", str_or_null(inv->os.source));
        if (os == NULL)
            goto fail;
        json_object_set_new(o, "os", os);
    }
    for (size_t i = 0; i < inv->pkgs.n; i++) {
        const dd_pkg *p = &inv->pkgs.items[i];
        json_t *paths = json_array();
        for (size_t k = 0; paths != NULL && k < p->paths.n; k++)
            json_array_append_new(paths, json_string(p->paths.items[k]));
        json_t *row = json_pack(
            "[i,o,o,o,o,o,o,o,b,b,o,i,o,o]", (int)p->type, str_or_null(p->name),
            str_or_null(p->version), str_or_null(p->arch), str_or_null(p->source_name),
            str_or_null(p->source_version), str_or_null(p->epoch), str_or_null(p->owner),
            p->declared_only, p->dev, paths != NULL ? paths : json_array(), p->layer,
            str_or_null(p->license), str_or_null(inv->purls != NULL ? inv->purls[i] : NULL));
        if (row == NULL || json_array_append_new(pkgs, row) != 0)
            goto fail;
    }
    json_object_set_new(o, "pkgs", pkgs);
    return o;
fail:
    json_decref(o);
    json_decref(pkgs);
    return NULL;
}

static int dup_opt(char **out, json_t *v)
{
    *out = NULL;
    if (json_is_null(v) || v == NULL)
        return 0;
    if (!json_is_string(v))
        return DD_EINVALID;
    *out = dd_strdup(json_string_value(v));
    return *out != NULL ? 0 : DD_ENOMEM;
}

static int decode_os(dd_inventory *out, const json_t *os)
{
    int rc = 0;
    if (!json_is_object(os))
        return 0;
    out->has_os = 1;
    if ((rc = dup_opt(&out->os.id, json_object_get(os, "id"))) != 0 ||
        (rc = dup_opt(&out->os.version_id, json_object_get(os, "version_id"))) != 0 ||
        (rc = dup_opt(&out->os.version, json_object_get(os, "version"))) != 0 ||
        (rc = dup_opt(&out->os.codename, json_object_get(os, "codename"))) != 0 ||
        (rc = dup_opt(&out->os.pretty_name, json_object_get(os, "pretty_name"))) != 0 ||
        (rc = dup_opt(&out->os.id_like, json_object_get(os, "id_like"))) != 0 ||
        (rc = dup_opt(&out->os.source, json_object_get(os, "source"))) != 0)
        return rc;
    return 0;
}

/* Appends package row `row` (NULL: a placeholder that keeps the indices) to out as index i. */
static int decode_row(dd_inventory *out, size_t i, const json_t *row)
{
    int rc = 0;
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    if (row == NULL) {
        p.layer = -1;
        if ((p.name = dd_strdup("")) == NULL || (p.version = dd_strdup("")) == NULL)
            rc = DD_ENOMEM;
        goto take;
    }
    if (!json_is_array(row) || json_array_size(row) != 14 ||
        !json_is_integer(json_array_get(row, 0)) || !json_is_string(json_array_get(row, 1)) ||
        !json_is_string(json_array_get(row, 2)) || !json_is_array(json_array_get(row, 10)) ||
        !json_is_integer(json_array_get(row, 11)))
        return DD_EINVALID;
    json_int_t type = json_integer_value(json_array_get(row, 0));
    if (type < 0 || type >= DD_PKG_TYPE_COUNT)
        return DD_EINVALID;
    p.type = (dd_pkg_type)type;
    p.declared_only = json_is_true(json_array_get(row, 8));
    p.dev = json_is_true(json_array_get(row, 9));
    json_int_t layer = json_integer_value(json_array_get(row, 11));
    p.layer = layer < -1 || layer > 100000 ? -1 : (int)layer;
    if ((rc = dup_opt(&p.name, json_array_get(row, 1))) != 0 ||
        (rc = dup_opt(&p.version, json_array_get(row, 2))) != 0 ||
        (rc = dup_opt(&p.arch, json_array_get(row, 3))) != 0 ||
        (rc = dup_opt(&p.source_name, json_array_get(row, 4))) != 0 ||
        (rc = dup_opt(&p.source_version, json_array_get(row, 5))) != 0 ||
        (rc = dup_opt(&p.epoch, json_array_get(row, 6))) != 0 ||
        (rc = dup_opt(&p.owner, json_array_get(row, 7))) != 0 ||
        (rc = dup_opt(&p.license, json_array_get(row, 12))) != 0 ||
        (rc = dup_opt(&out->purls[i], json_array_get(row, 13))) != 0)
        goto take;
    size_t k;
    json_t *path;
    json_array_foreach(json_array_get(row, 10), k, path)
    {
        if (!json_is_string(path)) {
            rc = DD_EINVALID;
            break;
        }
        if ((rc = dd_strlist_push_str(&p.paths, json_string_value(path))) != 0)
            break;
    }
take:
    if (rc == 0)
        rc = dd_pkg_list_take(&out->pkgs, &p);
    if (rc != 0)
        dd_pkg_clear(&p);
    return rc;
}

/* Frees what a failed decode built (purls past pkgs.n were allocated too). */
static int decode_failed(dd_inventory *out, size_t n, int rc, dd_err *err)
{
    if (out->purls != NULL)
        for (size_t i = out->pkgs.n; i < n; i++)
            dd_free(out->purls[i]);
    dd_inventory_free(out);
    if (rc == DD_EINVALID)
        dd_err_set(err, rc, "stored inventory is malformed");
    return rc;
}

int dd_scan_inventory_decode(dd_inventory *out, const json_t *o, dd_err *err)
{
    memset(out, 0, sizeof(*out));
    json_t *pkgs = json_object_get(o, "pkgs");
    if (!json_is_array(pkgs))
        return dd_err_set(err, DD_EINVALID, "stored inventory: no package list");
    size_t n = json_array_size(pkgs);
    int rc = decode_os(out, json_object_get(o, "os"));
    if (rc == 0 && (out->purls = dd_calloc(n ? n : 1, sizeof(char *))) == NULL)
        rc = DD_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = decode_row(out, i, json_array_get(pkgs, i));
    return rc != 0 ? decode_failed(out, n, rc, err) : 0;
}

char *dd_scan_inventory_text(const dd_inventory *inv)
{
    json_t *o = dd_scan_inventory_encode(inv);
    if (o == NULL)
        return NULL;
    dd_buf b = DD_BUF_INIT(SIZE_MAX / 2);
    json_t *pkgs = json_incref(json_object_get(o, "pkgs"));
    json_object_del(o, "pkgs");
    char *head = json_dumps(o, JSON_COMPACT);
    int rc = head != NULL ? dd_buf_append_str(&b, head) : DD_ENOMEM;
    free(head);
    size_t i;
    json_t *row;
    json_array_foreach(pkgs, i, row)
    {
        char *line = rc == 0 ? json_dumps(row, JSON_COMPACT) : NULL;
        if (line == NULL || (rc = dd_buf_append(&b, "\n", 1)) != 0 ||
            (rc = dd_buf_append_str(&b, line)) != 0)
            rc = rc != 0 ? rc : DD_ENOMEM;
        free(line);
    }
    json_decref(pkgs);
    json_decref(o);
    char *out = rc == 0 ? dd_buf_take(&b) : NULL;
    dd_buf_free(&b);
    return out;
}

int dd_scan_inventory_parse(dd_inventory *out, const char *text, size_t len,
                            const unsigned char *want, size_t n_want, dd_err *err)
{
    memset(out, 0, sizeof(*out));
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += text[i] == '\n';
    const char *end = text + len;
    const char *nl = memchr(text, '\n', len);
    const char *line_end = nl != NULL ? nl : end;
    json_t *head = json_loadb(text, (size_t)(line_end - text), 0, NULL);
    int rc = json_is_object(head) ? decode_os(out, json_object_get(head, "os")) : DD_EINVALID;
    json_decref(head);
    if (rc == 0 && (out->purls = dd_calloc(n ? n : 1, sizeof(char *))) == NULL)
        rc = DD_ENOMEM;
    const char *p = line_end;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        p++; /* past the newline */
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (e == NULL)
            e = end;
        if (want == NULL || (i < n_want && want[i])) {
            json_t *row = json_loadb(p, (size_t)(e - p), 0, NULL);
            rc = row != NULL ? decode_row(out, i, row) : DD_EINVALID;
            json_decref(row);
        } else {
            rc = decode_row(out, i, NULL);
        }
        p = e;
    }
    return rc != 0 ? decode_failed(out, n, rc, err) : 0;
}
