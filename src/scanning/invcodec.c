/* The stored form of an image inventory (scan_images.inventory): compact JSON that round-trips a
 * dd_inventory (OS, packages with every field the matcher and the reports use, purls), so the
 * continuous re-match and SBOM exports never read layers again. Written and read only by this
 * module, but treated as untrusted on decode (a corrupt row gives DD_EINVALID, never a crash). */
#include "scanning/internal.h"
#include "util/alloc.h"

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

int dd_scan_inventory_decode(dd_inventory *out, const json_t *o, dd_err *err)
{
    int rc = 0;
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    json_t *os = json_object_get(o, "os");
    json_t *pkgs = json_object_get(o, "pkgs");
    if (!json_is_array(pkgs))
        return dd_err_set(err, DD_EINVALID, "stored inventory: no package list");
    if (json_is_object(os)) {
        out->has_os = 1;
        if ((rc = dup_opt(&out->os.id, json_object_get(os, "id"))) != 0 ||
            (rc = dup_opt(&out->os.version_id, json_object_get(os, "version_id"))) != 0 ||
            (rc = dup_opt(&out->os.version, json_object_get(os, "version"))) != 0 ||
            (rc = dup_opt(&out->os.codename, json_object_get(os, "codename"))) != 0 ||
            (rc = dup_opt(&out->os.pretty_name, json_object_get(os, "pretty_name"))) != 0 ||
            (rc = dup_opt(&out->os.id_like, json_object_get(os, "id_like"))) != 0 ||
            (rc = dup_opt(&out->os.source, json_object_get(os, "source"))) != 0)
            goto out;
    }
    n = json_array_size(pkgs);
    out->purls = dd_calloc(n ? n : 1, sizeof(char *));
    if (out->purls == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *row = json_array_get(pkgs, i);
        if (!json_is_array(row) || json_array_size(row) != 14 ||
            !json_is_integer(json_array_get(row, 0)) || !json_is_string(json_array_get(row, 1)) ||
            !json_is_string(json_array_get(row, 2)) || !json_is_array(json_array_get(row, 10)) ||
            !json_is_integer(json_array_get(row, 11))) {
            rc = DD_EINVALID;
            goto out;
        }
        json_int_t type = json_integer_value(json_array_get(row, 0));
        if (type < 0 || type >= DD_PKG_TYPE_COUNT) {
            rc = DD_EINVALID;
            goto out;
        }
        dd_pkg p;
        memset(&p, 0, sizeof(p));
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
            (rc = dup_opt(&out->purls[i], json_array_get(row, 13))) != 0) {
            dd_pkg_clear(&p);
            goto out;
        }
        size_t k;
        json_t *path;
        json_array_foreach(json_array_get(row, 10), k, path)
        {
            if (!json_is_string(path) ||
                (rc = dd_strlist_push_str(&p.paths, json_string_value(path))) != 0) {
                rc = rc != 0 ? rc : DD_EINVALID;
                dd_pkg_clear(&p);
                goto out;
            }
        }
        if ((rc = dd_pkg_list_take(&out->pkgs, &p)) != 0) {
            dd_pkg_clear(&p);
            goto out;
        }
    }
out:
    if (rc != 0) {
        /* dd_inventory_free walks purls up to pkgs.n: entries past it were allocated too. */
        if (out->purls != NULL)
            for (size_t i = out->pkgs.n; i < n; i++)
                dd_free(out->purls[i]);
        dd_inventory_free(out);
        if (rc == DD_EINVALID)
            dd_err_set(err, rc, "stored inventory is malformed");
    }
    return rc;
}
