/* Package records and lists. */
#include "inventory/pkg.h"
#include "util/alloc.h"

#include <string.h>

void dd_pkg_clear(dd_pkg *p)
{
    if (p == NULL)
        return;
    dd_free(p->name);
    dd_free(p->version);
    dd_free(p->arch);
    dd_free(p->source_name);
    dd_free(p->source_version);
    dd_free(p->epoch);
    dd_free(p->owner);
    dd_free(p->license);
    dd_strlist_free(&p->paths);
    memset(p, 0, sizeof(*p));
}

int dd_pkg_list_take(dd_pkg_list *l, dd_pkg *p)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        dd_pkg *items = dd_reallocarray(l->items, cap, sizeof(*items));
        if (items == NULL) {
            dd_pkg_clear(p);
            return DD_ENOMEM;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = *p;
    memset(p, 0, sizeof(*p));
    return 0;
}

int dd_pkg_list_add(dd_pkg_list *l, dd_pkg_type type, const char *name, const char *version,
                    const char *path, dd_pkg **out)
{
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = type;
    p.layer = -1;
    p.name = dd_strdup(name);
    p.version = dd_strdup(version ? version : "");
    if (p.name == NULL || p.version == NULL ||
        (path != NULL && dd_strlist_push_str(&p.paths, path) != 0)) {
        dd_pkg_clear(&p);
        return DD_ENOMEM;
    }
    int rc = dd_pkg_list_take(l, &p);
    if (rc == 0 && out != NULL)
        *out = &l->items[l->n - 1];
    return rc;
}

void dd_pkg_list_free(dd_pkg_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        dd_pkg_clear(&l->items[i]);
    dd_free(l->items);
    l->items = NULL;
    l->n = 0;
    l->cap = 0;
}

const char *dd_pkg_type_name(dd_pkg_type t)
{
    static const char *names[DD_PKG_TYPE_COUNT] = {"dpkg",   "apk",      "rpm",      "npm",
                                                   "python", "gobinary", "gomod",    "java",
                                                   "gem",    "cargo",    "composer", "nuget"};
    return (unsigned)t < DD_PKG_TYPE_COUNT ? names[t] : "unknown";
}

const char *dd_pkg_lang_ecosystem(dd_pkg_type t)
{
    switch (t) {
    case DD_PKG_NPM:
        return "npm";
    case DD_PKG_PYTHON:
        return "PyPI";
    case DD_PKG_GOBINARY:
    case DD_PKG_GOMOD:
        return "Go";
    case DD_PKG_JAVA:
        return "Maven";
    case DD_PKG_GEM:
        return "RubyGems";
    case DD_PKG_CARGO:
        return "crates.io";
    case DD_PKG_COMPOSER:
        return "Packagist";
    case DD_PKG_NUGET:
        return "NuGet";
    default:
        return NULL;
    }
}
