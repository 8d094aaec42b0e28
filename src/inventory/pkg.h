/* Packages as the inventory reports them, and lists of them. */
#ifndef DD_INVENTORY_PKG_H
#define DD_INVENTORY_PKG_H

#include <stdbool.h>
#include <stddef.h>
#include <drydock/common.h>
#include "util/strlist.h"

typedef enum dd_pkg_type {
    DD_PKG_DPKG = 0,
    DD_PKG_APK,
    DD_PKG_RPM,
    DD_PKG_NPM,
    DD_PKG_PYTHON,
    DD_PKG_GOBINARY, /* a module found in a Go binary's build info (incl. "stdlib") */
    DD_PKG_GOMOD,    /* a module required by a go.mod */
    DD_PKG_JAVA,     /* Maven coordinates from a jar/war/ear */
    DD_PKG_GEM,
    DD_PKG_CARGO,
    DD_PKG_COMPOSER,
    DD_PKG_NUGET,
    DD_PKG_TYPE_COUNT
} dd_pkg_type;

/* A package. Every string is owned (dd_malloc) and may be NULL where noted. */
typedef struct dd_pkg {
    dd_pkg_type type;
    char *name;        /* npm: "@scope/name"; Maven: "group:artifact"; Go: module path */
    char *version;     /* as the package manager writes it: dpkg "1:2.38-5", rpm "E:V-R" or "V-R",
                          Go "v1.2.3" / "(devel)" / "go1.21.3" for stdlib */
    char *arch;        /* OS packages; NULL otherwise */
    char *source_name; /* dpkg Source, apk origin, rpm source rpm name; NULL = same as name */
    char *source_version; /* dpkg source version, rpm source rpm "V-R"; NULL = same as version */
    char *epoch;          /* rpm epoch when set ("1"); NULL otherwise */
    char *owner;          /* language packages installed by the OS package manager: the owning
                             OS package name (e.g. "python3-yaml"); NULL otherwise */
    bool declared_only;   /* seen only in a lockfile / manifest, not installed */
    bool dev;             /* a development-only dependency (when the lockfile says so) */
    dd_strlist paths;     /* files it was found in: first is the primary; lockfile paths follow */
    int layer;            /* layer index that introduced the primary path; -1 unknown */
    char *license;        /* as declared; NULL if unknown */
} dd_pkg;

typedef struct dd_pkg_list {
    dd_pkg *items;
    size_t n;
    size_t cap;
} dd_pkg_list;

#define DD_PKG_LIST_INIT                                                                           \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Appends a package; the list takes ownership of its strings (on failure they are freed too). */
DD_WARN_UNUSED int dd_pkg_list_take(dd_pkg_list *l, dd_pkg *p);
/* Convenience: appends a new package of type with copies of name and version and one path. */
DD_WARN_UNUSED int dd_pkg_list_add(dd_pkg_list *l, dd_pkg_type type, const char *name,
                                   const char *version, const char *path, dd_pkg **out);
void dd_pkg_clear(dd_pkg *p); /* frees the strings of p */
void dd_pkg_list_free(dd_pkg_list *l);

/* Stable names: "dpkg", "apk", "rpm", "npm", "python", "gobinary", "gomod", "java", "gem",
 * "cargo", "composer", "nuget". */
const char *dd_pkg_type_name(dd_pkg_type t);
/* OSV ecosystem of a language package type ("npm", "PyPI", "Go", "Maven", "RubyGems",
 * "crates.io", "Packagist", "NuGet"); NULL for OS package types (their ecosystem comes from the
 * distro: see dd_os_ecosystem). */
const char *dd_pkg_lang_ecosystem(dd_pkg_type t);

#endif
