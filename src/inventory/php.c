/* PHP (Composer) cataloger: installed packages from vendor/composer/installed.json (Composer 1
 * and 2) and declared ones from composer.lock, both JSON (jansson), reconciled per project (the
 * directory holding composer.lock and vendor/) with dd_npm_reconcile; Composer package names are
 * compared case-insensitively. */
#include "inventory/php.h"
#include "inventory/catalog.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define INSTALLED_SUFFIX "/vendor/composer/installed.json"
#define LICENSE_MAX 4096

static void sanitize(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            *s = '?';
}

static int load_json(const uint8_t *buf, size_t len, json_t **out, dd_err *err)
{
    json_error_t jerr;
    *out = json_loadb((const char *)buf, len, 0, &jerr);
    if (*out != NULL)
        return 0;
    if (json_error_code(&jerr) == json_error_out_of_memory)
        return DD_ENOMEM;
    sanitize(jerr.text);
    return dd_err_set_at(err, DD_EINVALID, (size_t)jerr.position, "invalid JSON: %s", jerr.text);
}

/* "license": ["MIT"] or ["MIT", "GPL-2.0"] (a choice: joined with " OR "), or a string. */
static int license_of(const json_t *pkg, char **out)
{
    const json_t *l = json_object_get(pkg, "license");
    dd_buf b = DD_BUF_INIT(LICENSE_MAX);
    *out = NULL;
    if (json_is_string(l))
        return (*out = dd_strdup(json_string_value(l))) != NULL ? 0 : DD_ENOMEM;
    if (!json_is_array(l))
        return 0;
    for (size_t i = 0; i < json_array_size(l); i++) {
        const char *s = json_string_value(json_array_get(l, i));
        if (s == NULL || *s == '\0')
            continue;
        int rc = b.len > 0 ? dd_buf_append_str(&b, " OR ") : 0;
        if (rc == 0)
            rc = dd_buf_append_str(&b, s);
        if (rc == DD_ELIMIT)
            break; /* keep what fits */
        if (rc != 0) {
            dd_buf_free(&b);
            return rc;
        }
    }
    *out = dd_buf_take(&b);
    return 0;
}

static bool in_names(const json_t *names, const char *name)
{
    for (size_t i = 0; i < json_array_size(names); i++) {
        const char *s = json_string_value(json_array_get(names, i));
        if (s != NULL && strcasecmp(s, name) == 0)
            return true;
    }
    return false;
}

/* Appends the packages of a JSON array. */
static int add_array(const json_t *arr, bool declared, bool dev, const json_t *dev_names,
                     const char *path, int layer, dd_pkg_list *out)
{
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *e = json_array_get(arr, i);
        const char *name = json_string_value(json_object_get(e, "name"));
        const char *ver = json_string_value(json_object_get(e, "version"));
        if (name == NULL || *name == '\0' || ver == NULL || *ver == '\0')
            continue;
        dd_pkg p;
        memset(&p, 0, sizeof(p));
        p.type = DD_PKG_COMPOSER;
        p.layer = layer;
        p.declared_only = declared;
        p.dev = dev || in_names(dev_names, name);
        int rc = license_of(e, &p.license);
        if (rc == 0 &&
            ((p.name = dd_strdup(name)) == NULL || (p.version = dd_strdup(ver)) == NULL ||
             dd_strlist_push_str(&p.paths, path) != 0))
            rc = DD_ENOMEM;
        if (rc == 0)
            rc = dd_pkg_list_take(out, &p);
        if (rc != 0) {
            dd_pkg_clear(&p);
            return rc;
        }
    }
    return 0;
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

int dd_php_composer_lock_parse(const uint8_t *buf, size_t len, const char *path, int layer,
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
        rc = dd_err_set_at(err, DD_EINVALID, 0, "composer.lock is not a JSON object");
        goto out;
    }
    if ((rc = add_array(json_object_get(root, "packages"), true, false, NULL, path, layer, &tmp)) !=
            0 ||
        (rc = add_array(json_object_get(root, "packages-dev"), true, true, NULL, path, layer,
                        &tmp)) != 0)
        goto out;
    rc = splice(out, &tmp);
out:
    dd_pkg_list_free(&tmp);
    json_decref(root);
    return rc;
}

int dd_php_installed_json_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                                dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    json_t *root = NULL;
    dd_pkg_list tmp = DD_PKG_LIST_INIT;
    int rc = load_json(buf, len, &root, err);
    if (rc != 0)
        goto out;
    if (json_is_array(root)) { /* Composer 1 */
        rc = add_array(root, false, false, NULL, path, layer, &tmp);
    } else if (json_is_object(root)) {
        rc = add_array(json_object_get(root, "packages"), false, false,
                       json_object_get(root, "dev-package-names"), path, layer, &tmp);
    } else {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "installed.json is neither array nor object");
    }
    if (rc == 0)
        rc = splice(out, &tmp);
out:
    dd_pkg_list_free(&tmp);
    json_decref(root);
    return rc;
}

/* ---- the cataloger ---- */

enum kind { K_NONE, K_LOCK, K_INSTALLED };

static int classify(const char *p, size_t len)
{
    if (dd_path_has_suffix(p, len, INSTALLED_SUFFIX))
        return K_INSTALLED;
    if (!dd_path_has_suffix(p, len, "/composer.lock"))
        return K_NONE;
    /* lockfiles shipped inside installed packages are not the image's */
    return memmem(p, len, "vendor/", 7) != NULL ? K_NONE : K_LOCK;
}

static dd_keep php_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                         const dd_extractor **extractor)
{
    (void)mode;
    (void)size;
    (void)extractor;
    return classify(path, path_len) != K_NONE ? DD_KEEP_WHOLE : DD_KEEP_NONE;
}

/* The project directory: above vendor/ for installed.json, the lockfile's directory. */
static size_t php_root(const char *path, int lockfile)
{
    size_t len = strlen(path), sl = strlen(INSTALLED_SUFFIX);
    if (!lockfile && len >= sl)
        return len - sl;
    const char *s = strrchr(path, '/');
    return s != NULL ? (size_t)(s - path) : 0;
}

static const dd_lock_format php_formats[] = {
    [K_LOCK] = {dd_php_composer_lock_parse, false},
    [K_INSTALLED] = {dd_php_installed_json_parse, true},
};

static const dd_lang_catalog php_lang = {
    .name = "php",
    .classify = classify,
    .formats = php_formats,
    .root_of = php_root,
    .name_cmp = strcasecmp,
};

static int php_catalog(const dd_rootfs *fs, dd_pkg_list *out,
                       void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                       dd_err *err)
{
    return dd_catalog_lockfiles(fs, &php_lang, out, warn, warn_ctx, err);
}

const dd_cataloger dd_cataloger_php = {"php", php_wants, php_catalog};
