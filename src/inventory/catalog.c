/* The catalog() loop shared by the language catalogers (npm, python, php, ruby): pick the files
 * of one cataloger, parse each with its format's parser into installed or declared packages,
 * turn parse errors into warnings, set dpkg owners, and reconcile with dd_npm_reconcile. */
#include "inventory/catalog.h"
#include "inventory/dpkg.h"
#include "util/alloc.h"

#include <string.h>

static size_t anywhere(const char *path, int lockfile)
{
    (void)path;
    (void)lockfile;
    return 0;
}

/* Sets p's owner from the dpkg file lists of fs, loaded on first use (see dd_lang_catalog). */
static int set_owner(dd_pkg *p, const dd_rootfs *fs, const char *path,
                     bool (*os_owned)(const char *path), dd_dpkg_owners **owners, bool *loaded,
                     dd_err *err)
{
    int rc = 0;
    if (!*loaded) {
        if ((rc = dd_dpkg_owners_load(owners, fs, NULL, NULL, err)) != 0)
            return rc;
        *loaded = true;
    }
    const char *o = dd_dpkg_owners_find(*owners, path);
    if (o == NULL && dd_dpkg_owners_n_lists(*owners) == 0 && os_owned(path))
        o = "dpkg";
    if (o != NULL && (p->owner = dd_strdup(o)) == NULL)
        rc = DD_ENOMEM;
    return rc;
}

int dd_catalog_lockfiles(const dd_rootfs *fs, const dd_lang_catalog *lc, dd_pkg_list *out,
                         void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                         dd_err *err)
{
    dd_pkg_list inst = DD_PKG_LIST_INIT, decl = DD_PKG_LIST_INIT;
    char *apath = NULL;
    dd_dpkg_owners *owners = NULL;
    bool owners_loaded = false;
    int rc = 0;
    size_t n = dd_rootfs_count(fs);
    for (size_t i = 0; i < n; i++) {
        const dd_rfile *f = dd_rootfs_at(fs, i);
        int k = lc->classify(f->path, strlen(f->path));
        if (k == 0 || f->extracted)
            continue;
        if ((apath = dd_asprintf("/%s", f->path)) == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        const dd_lock_format *fmt = &lc->formats[k];
        dd_pkg_list *to = fmt->installed ? &inst : &decl;
        dd_err perr = DD_ERR_INIT;
        size_t before = inst.n;
        rc = fmt->parse(f->data, f->len, apath, f->layer, to, &perr);
        if (rc == DD_ENOMEM)
            goto out;
        if (rc != 0 && warn != NULL)
            warn(warn_ctx, apath, perr.msg);
        rc = 0;
        if (lc->os_owned != NULL && inst.n > before &&
            (rc = set_owner(&inst.items[inst.n - 1], fs, f->path, lc->os_owned, &owners,
                            &owners_loaded, err)) != 0)
            goto out;
        dd_free(apath);
        apath = NULL;
    }
    rc = dd_npm_reconcile(out, &inst, &decl, lc->root_of != NULL ? lc->root_of : anywhere,
                          lc->name_cmp);
out:
    dd_free(apath);
    dd_dpkg_owners_free(owners);
    dd_pkg_list_free(&inst);
    dd_pkg_list_free(&decl);
    if (rc == DD_ENOMEM)
        dd_err_set(err, rc, "%s cataloger: out of memory", lc->name);
    return rc;
}
