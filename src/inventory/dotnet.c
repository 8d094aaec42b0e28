/* The .NET cataloger: NuGet packages listed by *.deps.json files (published apps) and by
 * packages.lock.json files (lockfiles of projects), read with jansson. */
#include "inventory/dotnet.h"
#include "inventory/catalog.h"
#include "util/alloc.h"

#include <jansson.h>
#include <string.h>

static int move_pkgs(dd_pkg_list *to, dd_pkg_list *from)
{
    int rc = 0;
    for (size_t i = 0; i < from->n; i++)
        if (rc == 0)
            rc = dd_pkg_list_take(to, &from->items[i]);
    dd_pkg_list_free(from);
    return rc;
}

static int add_nuget(dd_pkg_list *l, const char *name, size_t name_len, const char *version,
                     const char *path, int layer, bool declared)
{
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = DD_PKG_NUGET;
    p.layer = layer;
    p.declared_only = declared;
    p.name = dd_strndup(name, name_len);
    p.version = dd_strdup(version);
    if (p.name == NULL || p.version == NULL ||
        (path != NULL && dd_strlist_push_str(&p.paths, path) != 0)) {
        dd_pkg_clear(&p);
        return DD_ENOMEM;
    }
    return dd_pkg_list_take(l, &p);
}

static int load(json_t **out, const uint8_t *buf, size_t len, dd_err *err)
{
    json_error_t je;
    *out = json_loadb((const char *)buf, len, 0, &je);
    if (*out == NULL)
        return dd_err_set_at(err, DD_EINVALID, je.position > 0 ? (size_t)je.position : 0,
                             "JSON: %s", je.text);
    if (!json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        return dd_err_set_at(err, DD_EINVALID, 0, "JSON: not an object");
    }
    return 0;
}

int dd_dotnet_parse_deps(const uint8_t *buf, size_t len, const char *path, int layer,
                         dd_pkg_list *out, dd_err *err)
{
    int rc = 0;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    json_t *root = NULL;
    if ((rc = load(&root, buf, len, err)) != 0)
        goto out;
    json_t *libs = json_object_get(root, "libraries");
    if (libs != NULL && !json_is_object(libs)) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "\"libraries\" is not an object");
        goto out;
    }
    const char *key;
    json_t *lib;
    json_object_foreach(libs, key, lib)
    {
        const char *type = json_string_value(json_object_get(lib, "type"));
        if (type == NULL || strcmp(type, "package") != 0)
            continue; /* "project", "runtimepack", "reference", ... */
        const char *slash = strchr(key, '/');
        if (slash == NULL || slash == key || slash[1] == '\0') {
            rc = dd_err_set_at(err, DD_EINVALID, 0, "library \"%.64s\" is not Name/Version", key);
            goto out;
        }
        if ((rc = add_nuget(&l, key, (size_t)(slash - key), slash + 1, path, layer, false)) != 0)
            goto out;
    }
out:
    json_decref(root);
    if (rc == 0)
        return move_pkgs(out, &l);
    dd_pkg_list_free(&l);
    return rc;
}

static int seen(const dd_pkg_list *l, const char *name, const char *version)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i].name, name) == 0 && strcmp(l->items[i].version, version) == 0)
            return 1;
    return 0;
}

int dd_dotnet_parse_packages_lock(const uint8_t *buf, size_t len, const char *path, int layer,
                                  dd_pkg_list *out, dd_err *err)
{
    int rc = 0;
    dd_pkg_list l = DD_PKG_LIST_INIT;
    json_t *root = NULL;
    if ((rc = load(&root, buf, len, err)) != 0)
        goto out;
    json_t *deps = json_object_get(root, "dependencies");
    if (!json_is_object(deps)) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "no \"dependencies\" object");
        goto out;
    }
    const char *tfm, *name;
    json_t *fw, *dep;
    json_object_foreach(deps, tfm, fw)
    {
        if (!json_is_object(fw)) {
            rc = dd_err_set_at(err, DD_EINVALID, 0, "framework \"%.64s\" is not an object", tfm);
            goto out;
        }
        json_object_foreach(fw, name, dep)
        {
            const char *type = json_string_value(json_object_get(dep, "type"));
            const char *resolved = json_string_value(json_object_get(dep, "resolved"));
            if (type != NULL && strcmp(type, "Project") == 0)
                continue;
            if (resolved == NULL || resolved[0] == '\0' || name[0] == '\0')
                continue; /* nothing resolved (a project reference) */
            /* Quadratic, but lockfiles list hundreds of packages, not millions. */
            if (seen(&l, name, resolved))
                continue;
            if ((rc = add_nuget(&l, name, strlen(name), resolved, path, layer, true)) != 0)
                goto out;
        }
    }
out:
    json_decref(root);
    if (rc == 0)
        return move_pkgs(out, &l);
    dd_pkg_list_free(&l);
    return rc;
}

/* ---- cataloger ------------------------------------------------------------------------------ */

static int is_deps(const char *path, size_t len)
{
    return dd_path_has_ext(path, len, ".deps.json");
}

static int is_lock(const char *path, size_t len)
{
    return dd_path_has_suffix(path, len, "/packages.lock.json");
}

static dd_keep dotnet_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                            const dd_extractor **extractor)
{
    (void)mode;
    (void)size;
    (void)extractor;
    return is_deps(path, path_len) || is_lock(path, path_len) ? DD_KEEP_WHOLE : DD_KEEP_NONE;
}

static int dotnet_catalog(const dd_rootfs *fs, dd_pkg_list *out,
                          void (*warn)(void *ctx, const char *path, const char *msg),
                          void *warn_ctx, dd_err *err)
{
    int rc = 0;
    for (size_t i = 0; i < dd_rootfs_count(fs) && rc == 0; i++) {
        const dd_rfile *f = dd_rootfs_at(fs, i);
        size_t pl = strlen(f->path);
        int deps = is_deps(f->path, pl), lock = is_lock(f->path, pl);
        if (f->extracted || (!deps && !lock))
            continue;
        char *path = dd_asprintf("/%s", f->path);
        if (path == NULL)
            return dd_err_set(err, DD_ENOMEM, "out of memory");
        dd_err e = DD_ERR_INIT;
        int r = deps ? dd_dotnet_parse_deps(f->data, f->len, path, f->layer, out, &e)
                     : dd_dotnet_parse_packages_lock(f->data, f->len, path, f->layer, out, &e);
        if (r == DD_ENOMEM)
            rc = dd_err_set(err, DD_ENOMEM, "%s: out of memory", path);
        else if (r != 0 && warn != NULL)
            warn(warn_ctx, path, e.msg);
        dd_free(path);
    }
    return rc;
}

const dd_cataloger dd_cataloger_dotnet = {"dotnet", dotnet_wants, dotnet_catalog};
