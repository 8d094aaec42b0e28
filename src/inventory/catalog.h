/* The cataloger interface: one cataloger per package format. A cataloger says which files it
 * wants while layers are read (wants), then turns the kept files of the final filesystem into
 * packages (catalog). Its parsers of file formats are exported separately for fuzzing and tests. */
#ifndef DD_INVENTORY_CATALOG_H
#define DD_INVENTORY_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "image/rootfs.h"
#include "inventory/pkg.h"
#include "util/err.h"

typedef struct dd_cataloger {
    const char *name; /* "dpkg", "npm", ... */
    dd_wants_fn wants;
    /* Appends the packages found in fs to out. Bad input in one file is not fatal: the cataloger
     * skips that file and reports it through warn (may be called many times), and goes on. Only
     * DD_ENOMEM (or a bug) is returned as an error. Set paths and layer from the dd_rfile. */
    int (*catalog)(const dd_rootfs *fs, dd_pkg_list *out,
                   void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                   dd_err *err);
} dd_cataloger;

/* The catalogers built in, in a fixed order, terminated by an entry with name == NULL. */
extern const dd_cataloger *const dd_catalogers[];

/* Each cataloger module defines one of these (src/inventory/<name>.c). */
extern const dd_cataloger dd_cataloger_dpkg, dd_cataloger_apk, dd_cataloger_rpm, dd_cataloger_npm,
    dd_cataloger_python, dd_cataloger_go, dd_cataloger_java, dd_cataloger_ruby, dd_cataloger_rust,
    dd_cataloger_php, dd_cataloger_dotnet;

/* Helpers shared by catalogers. */
/* True when path ends with suffix (e.g. "/package.json") or equals it without the leading '/'. */
int dd_path_has_suffix(const char *path, size_t path_len, const char *suffix);
/* True when path ends with ext (e.g. ".jar") */
int dd_path_has_ext(const char *path, size_t path_len, const char *ext);
/* The base name of path (after the last '/'). */
const char *dd_path_base(const char *path);

/* Reconciliation shared by the language catalogers (defined in npm.c).
 *
 * root_of(path, lockfile) returns the length of the prefix of path that names the project the
 * file belongs to (packages match only within one project; return 0 to match across the image),
 * or DD_NPM_NO_ROOT for a file whose packages never match (e.g. a project's own package.json).
 * name_cmp compares two package names as the ecosystem does (strcmp for npm).
 *
 * Moves every package of installed (in order) and then of declared (packages with declared_only
 * set, paths[0] = their lockfile) to out: a declared package whose root, name and version equal
 * an installed one's is merged into it (its lockfile path appended after the installed paths; dev
 * and a missing license taken from the lockfile); the rest stay declared_only, one package per
 * root+name+version with the paths of every lockfile naming it. Both inputs are left empty, also
 * on error (DD_ENOMEM). */
#define DD_NPM_NO_ROOT ((size_t)-1)
typedef size_t (*dd_npm_root_fn)(const char *path, int lockfile);
DD_WARN_UNUSED int dd_npm_reconcile(dd_pkg_list *out, dd_pkg_list *installed, dd_pkg_list *declared,
                                    dd_npm_root_fn root_of,
                                    int (*name_cmp)(const char *a, const char *b));

/* One file format of a language cataloger: its parser (the signature of every dd_<lang>_*_parse)
 * and whether its packages are installed ones or declared ones (lockfiles). */
typedef struct dd_lock_format {
    int (*parse)(const uint8_t *buf, size_t len, const char *path, int layer, dd_pkg_list *out,
                 dd_err *err);
    bool installed;
} dd_lock_format;

/* What a language cataloger (npm, python, php, ruby) tells dd_catalog_lockfiles. */
typedef struct dd_lang_catalog {
    const char *name; /* "npm", ...: for the out-of-memory message */
    /* The format of a file of the rootfs (a path without the leading '/'): an index into
     * formats, or 0 for a file the cataloger does not read (formats[0] is unused). */
    int (*classify)(const char *path, size_t len);
    const dd_lock_format *formats;
    dd_npm_root_fn root_of; /* see dd_npm_reconcile; NULL matches across the whole image */
    int (*name_cmp)(const char *a, const char *b);
    /* NULL, or installed packages get owner = the dpkg package whose var/lib/dpkg/info/NAME.list
     * names their file (the index is loaded once, on the first installed package); when the image
     * has no .list files at all, owner = "dpkg" for a file os_owned() says only Debian's packages
     * install. */
    bool (*os_owned)(const char *path);
} dd_lang_catalog;

/* The catalog() of a language cataloger: parses every file of fs (in order, extracted ones left
 * out) that lc->classify picks, as "/"+path, into installed or declared packages, reports the
 * files that fail to parse through warn (when not NULL) and goes on, sets owners (see os_owned),
 * then reconciles both lists into out with dd_npm_reconcile. Returns 0, DD_ENOMEM, or the error
 * of loading the dpkg file lists. */
DD_WARN_UNUSED int dd_catalog_lockfiles(const dd_rootfs *fs, const dd_lang_catalog *lc,
                                        dd_pkg_list *out,
                                        void (*warn)(void *ctx, const char *path, const char *msg),
                                        void *warn_ctx, dd_err *err);

#endif
