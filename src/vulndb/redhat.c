/* Red Hat CSAF importer: Red Hat security advisories (RHSA/RHBA/RHEA in CSAF 2.0,
 * category csaf_security_advisory) and Red Hat CSAF VEX files (category csaf_vex, one CVE per
 * file), parsed with jansson.
 *
 * Ids. A VEX file gives one advisory per vulnerability, id = the CVE, aliases = the errata that
 * fix it (from vendor_fix remediation URLs). An RHSA gives one advisory per document, id = the
 * RHSA id, aliases = its CVEs: many RHSAs fix the same CVE (one per product stream), so CVE ids
 * would make each RHSA replace the previous one's entries in the database; the matcher turns
 * the CVE aliases into one finding per CVE.
 *
 * Products. A product_status id ("AppStream-8.6.0.Z.EUS:openssl-1:1.1.1k-7.el8_6.x86_64") is a
 * relationship's full product name; its product_reference names a component of product_tree
 * whose product_identification_helper.purl ("pkg:rpm/redhat/openssl@1.1.1k-7.el8_6?arch=x86_64&
 * epoch=1") gives the rpm name (binary, or source for arch=src) and [E:]V-R. Components without
 * a purl fall back to their id: "name-E:V-R.arch" or a bare rpm name. Non-rpm purls (containers,
 * Maven...) and platforms (cpe only) are skipped. Entries use the ecosystem "Red Hat:<major>"
 * (see product_ecosystem; plain "Red Hat" when no release can be told), as
 * the matcher does for RHEL images; one entry per (package, fix state, fixed version).
 *
 * States: fixed/first_fixed -> fixed (range introduced 0, fixed [E:]V-R); known_affected ->
 * not-fixed, or will-not-fix when a remediation says no_fix_planned or none_available
 * "Deferred", or fixed when a vendor_fix remediation names it with a version;
 * known_not_affected -> not-affected; under_investigation and the other CSAF states are skipped.
 */
#include "vulndb/import.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/limits.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HEAD_SCAN 4096
#define ECOSYSTEM "Red Hat"
#define ECOSYSTEM_MAX 32
#define SOURCE "redhat"
#define MAX_NAME 256
#define MAX_EPOCH 10

/* ---- detection ------------------------------------------------------------------------------- */

static int head_has(const uint8_t *head, size_t len, const char *needle)
{
    if (len > HEAD_SCAN)
        len = HEAD_SCAN;
    return memmem(head, len, needle, strlen(needle)) != NULL;
}

/* Any CSAF document that mentions redhat.com in its head (aggregate_severity namespace,
 * publisher): other vendors' CSAF would otherwise be recorded as Red Hat packages. */
static int detect(const char *path, const uint8_t *head, size_t len)
{
    (void)path;
    return head_has(head, len, "\"csaf_version\"") && head_has(head, len, "redhat.com");
}

/* ---- helpers --------------------------------------------------------------------------------- */

typedef struct ctx {
    const dd_import_sink *sink;
    const char *path;
    json_t *products; /* product_id -> product object, from product_tree branches */
    json_t *rels;     /* relationship full_product_name.product_id -> product_reference */
    size_t n_skipped; /* status products that name no rpm package */
} ctx;

static void warn(const ctx *c, const char *id, const char *msg)
{
    if (c->sink->warn == NULL)
        return;
    char line[512];
    snprintf(line, sizeof(line), "%s: %s", id != NULL ? id : "(no id)", msg);
    c->sink->warn(c->sink->ctx, c->path, line);
}

static const char *str_of(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int nonempty(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static int copy_str(char **out, const char *s)
{
    if (!nonempty(s) || *out != NULL)
        return 0;
    *out = dd_strdup(s);
    return *out == NULL ? DD_ENOMEM : 0;
}

static int push_unique(dd_strlist *l, const char *s)
{
    if (!nonempty(s))
        return 0;
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return 0;
    return dd_strlist_push_str(l, s);
}

/* The text of the first note of category cat in notes. */
static const char *note_text(const json_t *notes, const char *cat)
{
    size_t i;
    const json_t *n;
    json_array_foreach(notes, i, n)
    {
        const char *c = str_of(n, "category"), *t = str_of(n, "text");
        if (c != NULL && strcmp(c, cat) == 0 && nonempty(t))
            return t;
    }
    return NULL;
}

static void get_time(const char *s, int64_t *out, const ctx *c, const char *id)
{
    if (s == NULL || *out != 0)
        return;
    if (dd_import_parse_time(s, out) != 0) {
        warn(c, id, "bad date, ignored");
        *out = 0;
    }
}

/* "https://access.redhat.com/errata/RHSA-2024:1234" -> "RHSA-2024:1234" pushed to l. */
static int errata_alias(dd_strlist *l, const char *url)
{
    if (url == NULL)
        return 0;
    const char *s = strrchr(url, '/');
    s = s != NULL ? s + 1 : url;
    if (strncmp(s, "RHSA-", 5) != 0 && strncmp(s, "RHBA-", 5) != 0 && strncmp(s, "RHEA-", 5) != 0)
        return 0;
    return push_unique(l, s);
}

/* ---- product tree ---------------------------------------------------------------------------- */

static int walk_branches(ctx *c, const json_t *branches, int depth)
{
    if (depth > DD_LIMIT_JSON_DEPTH)
        return DD_EINVALID;
    size_t i;
    const json_t *b;
    json_array_foreach(branches, i, b)
    {
        json_t *p = json_object_get(b, "product");
        const char *pid = str_of(p, "product_id");
        if (nonempty(pid) && json_object_get(c->products, pid) == NULL &&
            json_object_set(c->products, pid, p) != 0)
            return DD_ENOMEM;
        int rc = walk_branches(c, json_object_get(b, "branches"), depth + 1);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int load_tree(ctx *c, const json_t *tree)
{
    int rc = walk_branches(c, json_object_get(tree, "branches"), 0);
    if (rc != 0)
        return rc;
    size_t i;
    const json_t *r;
    json_array_foreach(json_object_get(tree, "full_product_names"), i, r)
    {
        const char *pid = str_of(r, "product_id");
        if (nonempty(pid) && json_object_get(c->products, pid) == NULL &&
            json_object_set(c->products, pid, (json_t *)r) != 0)
            return DD_ENOMEM;
    }
    json_array_foreach(json_object_get(tree, "relationships"), i, r)
    {
        const char *full = str_of(json_object_get(r, "full_product_name"), "product_id");
        json_t *ref = json_object_get(r, "product_reference");
        if (nonempty(full) && json_is_string(ref) && json_object_get(c->rels, full) == NULL &&
            json_object_set(c->rels, full, ref) != 0)
            return DD_ENOMEM;
    }
    return 0;
}

/* An rpm package of a product: name and [E:]V-R (NULL when the product has no version). */
typedef struct rpmref {
    char *name;
    char *evr;
} rpmref;

static void rpmref_clear(rpmref *r)
{
    dd_free(r->name);
    dd_free(r->evr);
    r->name = r->evr = NULL;
}

static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > MAX_NAME)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '+' || ch == '-' || ch == '~' || ch == '^'))
            return 0;
    }
    return 1;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into a new string; NULL on bad escapes (*rc 0) or no memory. */
static char *pct_decode(const char *s, size_t n, int *rc)
{
    *rc = 0;
    char *o = dd_malloc(n + 1);
    if (o == NULL) {
        *rc = DD_ENOMEM;
        return NULL;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            o[k++] = s[i];
            continue;
        }
        int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
        int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            dd_free(o);
            return NULL;
        }
        o[k++] = (char)(hi * 16 + lo);
        i += 2;
    }
    o[k] = '\0';
    return o;
}

/* "E:V-R" or "V-R" from a version and an epoch (NULL or "0": none). */
static int make_evr(char **out, const char *ver, size_t ver_len, const char *epoch,
                    size_t epoch_len)
{
    *out = NULL;
    if (ver_len == 0)
        return 0;
    if (epoch_len > MAX_EPOCH)
        return DD_EINVALID;
    for (size_t i = 0; i < epoch_len; i++)
        if (epoch[i] < '0' || epoch[i] > '9')
            return DD_EINVALID;
    int has_epoch = epoch_len > 0 && !(epoch_len == 1 && epoch[0] == '0');
    *out = has_epoch ? dd_asprintf("%.*s:%.*s", (int)epoch_len, epoch, (int)ver_len, ver)
                     : dd_strndup(ver, ver_len);
    return *out == NULL ? DD_ENOMEM : 0;
}

/* Parses a purl; 1 when it is not an rpm purl or is malformed (skip), 0 with *r filled. */
static int parse_purl(rpmref *r, const char *purl)
{
    int rc = 1;
    char *ver = NULL;
    if (strncasecmp(purl, "pkg:rpm/", 8) != 0)
        return 1;
    const char *s = purl + 8;
    size_t n = strcspn(s, "?#");
    const char *q = s[n] == '?' ? s + n + 1 : NULL;
    size_t q_len = q != NULL ? strcspn(q, "#") : 0;
    /* name is the last path segment; the version follows the last '@' */
    const char *at = memrchr(s, '@', n);
    size_t path_len = at != NULL ? (size_t)(at - s) : n;
    const char *slash = memrchr(s, '/', path_len);
    const char *name = slash != NULL ? slash + 1 : s;
    size_t name_len = path_len - (size_t)(name - s);
    int drc = 0;
    r->name = pct_decode(name, name_len, &drc);
    if (r->name == NULL || !name_ok(r->name, strlen(r->name))) {
        rc = drc != 0 ? drc : 1;
        goto out;
    }
    if (at != NULL) {
        ver = pct_decode(at + 1, n - path_len - 1, &drc);
        if (ver == NULL) {
            rc = drc != 0 ? drc : 1;
            goto out;
        }
    }
    const char *epoch = NULL;
    size_t epoch_len = 0;
    for (size_t i = 0; q != NULL && i < q_len;) {
        size_t m = strcspn(q + i, "&");
        if (m > q_len - i)
            m = q_len - i;
        if (m > 6 && strncmp(q + i, "epoch=", 6) == 0) {
            epoch = q + i + 6;
            epoch_len = m - 6;
        }
        i += m + 1;
    }
    if (ver != NULL) {
        int erc = make_evr(&r->evr, ver, strlen(ver), epoch, epoch_len);
        if (erc != 0) {
            rc = erc == DD_ENOMEM ? erc : 1;
            goto out;
        }
    }
    rc = 0;
out:
    dd_free(ver);
    if (rc != 0)
        rpmref_clear(r);
    return rc;
}

static const char *const arches[] = {"src",     "noarch",  "x86_64", "i686",  "i386",    "i586",
                                     "aarch64", "ppc64le", "ppc64",  "ppc",   "s390x",   "s390",
                                     "ia64",    "armv7hl", "armhfp", "nosrc", "riscv64", NULL};

/* Red Hat component ids without a purl: "name-E:V-R.arch" (the epoch is always written) or a
 * bare package name ("kernel", "samba.src"). 1 when it names no rpm package. */
static int parse_component_id(rpmref *r, const char *id)
{
    size_t n = strlen(id);
    const char *colon = memchr(id, ':', n);
    if (colon == NULL) {
        if (n > 4 && strcmp(id + n - 4, ".src") == 0)
            n -= 4;
        if (!name_ok(id, n))
            return 1;
        r->name = dd_strndup(id, n);
        return r->name == NULL ? DD_ENOMEM : 0;
    }
    /* epoch digits between the last '-' before the colon and the colon */
    const char *e = colon;
    while (e > id && e[-1] >= '0' && e[-1] <= '9')
        e--;
    if (e == colon || e == id || e[-1] != '-')
        return 1;
    size_t name_len = (size_t)(e - 1 - id);
    const char *vr = colon + 1;
    size_t vr_len = n - (size_t)(vr - id);
    const char *dot = memrchr(vr, '.', vr_len);
    for (size_t k = 0; dot != NULL && arches[k] != NULL; k++) {
        size_t al = strlen(arches[k]);
        if ((size_t)(vr + vr_len - dot - 1) == al && memcmp(dot + 1, arches[k], al) == 0) {
            vr_len = (size_t)(dot - vr);
            break;
        }
    }
    const char *dash = memrchr(vr, '-', vr_len);
    if (!name_ok(id, name_len) || dash == NULL || dash == vr || dash + 1 == vr + vr_len ||
        !name_ok(vr, vr_len) || memchr(vr, ':', vr_len) != NULL)
        return 1;
    r->name = dd_strndup(id, name_len);
    if (r->name == NULL)
        return DD_ENOMEM;
    int rc = make_evr(&r->evr, vr, vr_len, e, (size_t)(colon - e));
    if (rc != 0) {
        rpmref_clear(r);
        return rc == DD_ENOMEM ? rc : 1;
    }
    return 0;
}

/* The rpm package a product_status id stands for; 1 when none. */
static int resolve(rpmref *r, const ctx *c, const char *pid)
{
    memset(r, 0, sizeof(*r));
    const char *comp = str_of(c->rels, pid);
    if (comp == NULL)
        comp = pid;
    const json_t *p = json_object_get(c->products, comp);
    const json_t *helper = json_object_get(p, "product_identification_helper");
    const char *purl = str_of(helper, "purl");
    if (purl != NULL)
        return parse_purl(r, purl);
    if (json_object_size(helper) > 0)
        return 1; /* a platform (cpe) or a product identified otherwise */
    if (p != NULL || comp != pid)
        return parse_component_id(r, comp);
    /* an id neither in the tree nor a relationship: "component" or "platform:component" */
    int rc = parse_component_id(r, pid);
    if (rc == 1 && strchr(pid, ':') != NULL)
        rc = parse_component_id(r, strchr(pid, ':') + 1);
    return rc;
}

/* ---- affected entries ------------------------------------------------------------------------ */

static int range_json(char **out, const char *fixed)
{
    json_t *events = json_pack("[{s:s}]", "introduced", "0");
    json_t *ranges = NULL;
    int rc = 0;
    *out = NULL;
    if (events == NULL)
        return DD_ENOMEM;
    if (fixed != NULL && json_array_append_new(events, json_pack("{s:s}", "fixed", fixed)) != 0) {
        json_decref(events);
        return DD_ENOMEM;
    }
    ranges = json_pack("[{s:s, s:o}]", "type", "ECOSYSTEM", "events", events);
    if (ranges == NULL)
        return DD_ENOMEM;
    char *s = json_dumps(ranges, JSON_COMPACT);
    if (s == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    *out = dd_strdup(s);
    free(s);
    if (*out == NULL)
        rc = DD_ENOMEM;
out:
    json_decref(ranges);
    return rc;
}

/* The RHEL major release in s after `marker` ("enterprise_linux:8", "rhel_eus:8.6", "el8_6",
 * "el9"), or 0. */
static int major_after(const char *s, const char *marker)
{
    size_t ml = strlen(marker);
    for (const char *p = s ? strstr(s, marker) : NULL; p != NULL; p = strstr(p + 1, marker)) {
        const char *d = p + ml;
        int v = 0, n = 0;
        while (*d >= '0' && *d <= '9' && n < 3) {
            v = v * 10 + (*d++ - '0');
            n++;
        }
        /* "el8" must not be part of a longer word ("kernel8"): require a separator before */
        if (n > 0 && v > 0 &&
            (marker[0] != 'e' || p == s || p[-1] == '.' || p[-1] == '+' || p[-1] == '_' ||
             p[-1] == '-'))
            return v;
    }
    return 0;
}

/* The OSV-style ecosystem of a product: "Red Hat:<major>" from the cpe of the platform the product
 * belongs to ("cpe:/o:redhat:enterprise_linux:8::baseos", "cpe:/a:redhat:rhel_eus:8.6::appstream")
 * or, failing that, from the package's release ("...el8_6"); "Red Hat" when neither says. Images
 * are matched against their own major release only, so a RHEL 7 entry never flags a RHEL 9 image.
 */
static void product_ecosystem(char out[ECOSYSTEM_MAX], const ctx *c, const char *pid,
                              const rpmref *r)
{
    int major = 0;
    const char *colon = strchr(pid, ':');
    if (colon != NULL) {
        char platform[256];
        size_t n = (size_t)(colon - pid);
        if (n < sizeof(platform)) {
            memcpy(platform, pid, n);
            platform[n] = '\0';
            const json_t *prod = json_object_get(c->products, platform);
            const char *cpe = str_of(json_object_get(prod, "product_identification_helper"), "cpe");
            major = major_after(cpe, "enterprise_linux:");
            if (major == 0)
                major = major_after(cpe, "rhel_eus:");
            if (major == 0)
                major = major_after(cpe, "rhel_e4s:");
            if (major == 0)
                major = major_after(cpe, "rhel_aus:");
        }
    }
    if (major == 0)
        major = major_after(r->evr, "el");
    if (major > 0)
        snprintf(out, ECOSYSTEM_MAX, "%s:%d", ECOSYSTEM, major);
    else
        snprintf(out, ECOSYSTEM_MAX, "%s", ECOSYSTEM);
}

/* Adds one entry unless the same (state, ecosystem, package, fixed version) is already in seen. */
static int add_entry(dd_advisory *a, json_t *seen, const char *eco, const char *pkg,
                     const char *fixed, dd_fix_state st, const char *sev)
{
    char *key = dd_asprintf("%d\x1f%s\x1f%s\x1f%s", (int)st, eco, pkg, fixed != NULL ? fixed : "");
    char *ranges = NULL;
    int rc = 0;
    if (key == NULL)
        return DD_ENOMEM;
    if (json_object_get(seen, key) != NULL)
        goto out;
    if (json_object_set_new(seen, key, json_true()) != 0) {
        rc = DD_ENOMEM;
        goto out;
    }
    if (st != DD_FIX_NOT_AFFECTED && (rc = range_json(&ranges, fixed)) != 0)
        goto out;
    rc = dd_advisory_add_affected(a, eco, pkg, ranges, NULL, st, sev);
out:
    dd_free(ranges);
    dd_free(key);
    return rc;
}

enum { REM_NONE_AVAILABLE = 1, REM_NO_FIX = 2, REM_VENDOR_FIX = 3 };

/* product id -> strongest remediation of the vulnerability (vendor_fix > no_fix_planned >
 * none_available "Deferred" (as no_fix) > none_available). */
static int load_remediations(json_t *out, const json_t *v)
{
    size_t i, k;
    const json_t *r, *p;
    json_array_foreach(json_object_get(v, "remediations"), i, r)
    {
        const char *cat = str_of(r, "category"), *details = str_of(r, "details");
        int kind = 0;
        if (cat == NULL)
            continue;
        if (strcmp(cat, "vendor_fix") == 0)
            kind = REM_VENDOR_FIX;
        else if (strcmp(cat, "no_fix_planned") == 0)
            kind = REM_NO_FIX;
        else if (strcmp(cat, "none_available") == 0)
            kind = details != NULL && strcasestr(details, "deferred") != NULL ? REM_NO_FIX
                                                                              : REM_NONE_AVAILABLE;
        if (kind == 0)
            continue;
        json_array_foreach(json_object_get(r, "product_ids"), k, p)
        {
            const char *pid = json_string_value(p);
            if (pid == NULL)
                continue;
            json_t *cur = json_object_get(out, pid);
            if (cur != NULL && json_integer_value(cur) >= kind)
                continue;
            if (json_object_set_new(out, pid, json_integer(kind)) != 0)
                return DD_ENOMEM;
        }
    }
    return 0;
}

/* The vulnerability's "impact" threat: per product into out, else *all. */
static int load_impacts(json_t *out, const char **all, const json_t *v)
{
    size_t i, k;
    const json_t *t, *p;
    json_array_foreach(json_object_get(v, "threats"), i, t)
    {
        const char *cat = str_of(t, "category"), *d = str_of(t, "details");
        if (cat == NULL || strcmp(cat, "impact") != 0 || !nonempty(d))
            continue;
        const json_t *pids = json_object_get(t, "product_ids");
        if (json_array_size(pids) == 0) {
            if (*all == NULL)
                *all = d;
            continue;
        }
        json_array_foreach(pids, k, p)
        {
            const char *pid = json_string_value(p);
            if (pid != NULL && json_object_get(out, pid) == NULL &&
                json_object_set_new(out, pid, json_string(d)) != 0)
                return DD_ENOMEM;
        }
    }
    return 0;
}

/* The affected entries of one vulnerability. sev_default: the rating of entries without their
 * own impact; per_product: whether per-product impacts may be used. */
static int add_vuln_affected(dd_advisory *a, json_t *seen, ctx *c, const json_t *v,
                             const char *sev_default, int per_product)
{
    static const struct {
        const char *status;
        dd_fix_state st;
    } statuses[] = {{"fixed", DD_FIX_FIXED},
                    {"first_fixed", DD_FIX_FIXED},
                    {"known_affected", DD_FIX_NOT_FIXED},
                    {"known_not_affected", DD_FIX_NOT_AFFECTED}};
    json_t *rem = json_object(), *impacts = json_object();
    const char *all = NULL;
    int rc = 0;
    if (rem == NULL || impacts == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if ((rc = load_remediations(rem, v)) != 0 || (rc = load_impacts(impacts, &all, v)) != 0)
        goto out;
    if (all == NULL || !per_product)
        all = sev_default;
    const json_t *ps = json_object_get(v, "product_status");
    for (size_t s = 0; s < sizeof(statuses) / sizeof(statuses[0]); s++) {
        size_t i;
        const json_t *p;
        json_array_foreach(json_object_get(ps, statuses[s].status), i, p)
        {
            const char *pid = json_string_value(p);
            rpmref r;
            if (pid == NULL)
                continue;
            int res = resolve(&r, c, pid);
            if (res == DD_ENOMEM) {
                rc = res;
                goto out;
            }
            if (res != 0) {
                c->n_skipped++;
                continue;
            }
            dd_fix_state st = statuses[s].st;
            if (st == DD_FIX_NOT_FIXED) {
                json_int_t k = json_integer_value(json_object_get(rem, pid));
                if (k == REM_VENDOR_FIX && r.evr != NULL)
                    st = DD_FIX_FIXED;
                else if (k == REM_NO_FIX)
                    st = DD_FIX_WILL_NOT_FIX;
            }
            const char *sev = per_product ? str_of(impacts, pid) : NULL;
            if (sev == NULL)
                sev = all;
            if (st == DD_FIX_FIXED && r.evr == NULL) {
                warn(c, a->id, "fixed product without a version, skipped");
                rc = 0;
            } else {
                char eco[ECOSYSTEM_MAX];
                product_ecosystem(eco, c, pid, &r);
                rc = add_entry(a, seen, eco, r.name, st == DD_FIX_FIXED ? r.evr : NULL, st, sev);
            }
            rpmref_clear(&r);
            if (rc != 0)
                goto out;
        }
    }
out:
    json_decref(rem);
    json_decref(impacts);
    return rc;
}

/* CVSS vectors of a vulnerability's scores. */
static int add_scores(dd_advisory *a, const json_t *v)
{
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(v, "scores"), i, s)
    {
        const char *v3 = str_of(json_object_get(s, "cvss_v3"), "vectorString");
        const char *v2 = str_of(json_object_get(s, "cvss_v2"), "vectorString");
        for (int k = 0; k < 2; k++) {
            const char *vec = k == 0 ? v3 : v2;
            dd_sev_type type = k == 0 ? DD_SEV_CVSS_V3 : DD_SEV_CVSS_V2;
            int dup = 0;
            if (!nonempty(vec))
                continue;
            for (size_t j = 0; j < a->n_severities; j++)
                dup |= a->severities[j].vector != NULL && strcmp(a->severities[j].vector, vec) == 0;
            int rc = dup ? 0 : dd_advisory_add_severity(a, type, SOURCE, vec);
            if (rc != 0)
                return rc;
        }
    }
    return 0;
}

static int add_refs(dd_advisory *a, const json_t *refs)
{
    size_t i;
    const json_t *r;
    json_array_foreach(refs, i, r)
    {
        int rc = push_unique(&a->references, str_of(r, "url"));
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Errata of a vulnerability's vendor_fix remediations and advisory-like ids as aliases. */
static int add_vuln_aliases(dd_advisory *a, const json_t *v)
{
    size_t i;
    const json_t *x;
    int rc = 0;
    json_array_foreach(json_object_get(v, "remediations"), i, x)
    {
        const char *cat = str_of(x, "category");
        if (cat != NULL && strcmp(cat, "vendor_fix") == 0 &&
            (rc = errata_alias(&a->aliases, str_of(x, "url"))) != 0)
            return rc;
    }
    json_array_foreach(json_object_get(v, "ids"), i, x)
    {
        const char *t = str_of(x, "text");
        if (t != NULL &&
            (strncmp(t, "RHSA-", 5) == 0 || strncmp(t, "RHBA-", 5) == 0 ||
             strncmp(t, "RHEA-", 5) == 0 || strncmp(t, "GHSA-", 5) == 0) &&
            (rc = push_unique(&a->aliases, t)) != 0)
            return rc;
    }
    return 0;
}

static int put(const ctx *c, dd_advisory *a, dd_err *err)
{
    int rc = 0;
    if (a->n_affected == 0)
        warn(c, a->id, "no rpm package in its product status");
    rc = c->sink->put(c->sink->ctx, a, err);
    dd_advisory_clear(a);
    return rc;
}

/* ---- documents ------------------------------------------------------------------------------- */

/* A VEX file: one advisory per vulnerability, id = its CVE. */
static int import_vex(ctx *c, const json_t *doc, const json_t *vulns, dd_err *err)
{
    const json_t *tracking = json_object_get(doc, "tracking");
    const char *agg = str_of(json_object_get(doc, "aggregate_severity"), "text");
    size_t i;
    const json_t *v;
    int rc = 0;
    json_t *seen = NULL;
    dd_advisory a;
    memset(&a, 0, sizeof(a));
    json_array_foreach(vulns, i, v)
    {
        const char *cve = str_of(v, "cve");
        if (!nonempty(cve)) {
            warn(c, str_of(tracking, "id"), "vulnerability without a cve, skipped");
            continue;
        }
        if ((seen = json_object()) == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        const json_t *notes = json_object_get(v, "notes");
        if ((rc = copy_str(&a.id, cve)) != 0 ||
            (rc = copy_str(&a.summary, str_of(v, "title"))) != 0 ||
            (rc = copy_str(&a.summary, note_text(notes, "summary"))) != 0 ||
            (rc = copy_str(&a.details, note_text(notes, "description"))) != 0 ||
            (rc = add_vuln_aliases(&a, v)) != 0)
            goto out;
        get_time(str_of(v, "release_date"), &a.published_ms, c, cve);
        get_time(str_of(tracking, "initial_release_date"), &a.published_ms, c, cve);
        get_time(str_of(tracking, "current_release_date"), &a.modified_ms, c, cve);
        /* the CVE's own impact, else the document's */
        const char *impact = NULL;
        size_t k;
        const json_t *t;
        json_array_foreach(json_object_get(v, "threats"), k, t)
        {
            const char *cat = str_of(t, "category");
            if (impact == NULL && cat != NULL && strcmp(cat, "impact") == 0)
                impact = str_of(t, "details");
        }
        if (!nonempty(impact))
            impact = agg;
        if ((nonempty(impact) &&
             (rc = dd_advisory_add_severity(&a, DD_SEV_VENDOR, SOURCE, impact)) != 0) ||
            (rc = add_scores(&a, v)) != 0 ||
            (rc = add_refs(&a, json_object_get(v, "references"))) != 0 ||
            (rc = add_vuln_affected(&a, seen, c, v, nonempty(agg) ? agg : NULL, 1)) != 0)
            goto out;
        json_decref(seen);
        seen = NULL;
        if ((rc = put(c, &a, err)) != 0)
            goto out;
    }
out:
    json_decref(seen);
    dd_advisory_clear(&a);
    return rc;
}

/* An advisory (RHSA...): one advisory for the document, id = the tracking id, aliases = CVEs.
 * Ratings and CVSS vectors are per CVE in CSAF, so they are kept only when they cannot be
 * credited to the wrong CVE: all CVEs agree (rating) or there is one CVE (vectors). */
static int import_rhsa(ctx *c, const json_t *doc, const json_t *vulns, dd_err *err)
{
    const json_t *tracking = json_object_get(doc, "tracking");
    const char *id = str_of(tracking, "id");
    const char *agg = str_of(json_object_get(doc, "aggregate_severity"), "text");
    json_t *seen = json_object();
    int rc = 0;
    dd_advisory a;
    memset(&a, 0, sizeof(a));
    if (seen == NULL)
        return DD_ENOMEM;
    if (!nonempty(id)) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "redhat csaf: no document.tracking.id");
        goto out;
    }
    if ((rc = copy_str(&a.id, id)) != 0 || (rc = copy_str(&a.summary, str_of(doc, "title"))) != 0 ||
        (rc = copy_str(&a.details, note_text(json_object_get(doc, "notes"), "general"))) != 0 ||
        (rc = copy_str(&a.details, note_text(json_object_get(doc, "notes"), "summary"))) != 0)
        goto out;
    get_time(str_of(tracking, "initial_release_date"), &a.published_ms, c, id);
    get_time(str_of(tracking, "current_release_date"), &a.modified_ms, c, id);
    if (nonempty(agg) && (rc = dd_advisory_add_severity(&a, DD_SEV_VENDOR, SOURCE, agg)) != 0)
        goto out;
    /* the rating every CVE shares, for the entries */
    const char *common = NULL;
    int differ = 0;
    size_t i;
    const json_t *v;
    json_array_foreach(vulns, i, v)
    {
        const char *impact = NULL;
        size_t k;
        const json_t *t;
        json_array_foreach(json_object_get(v, "threats"), k, t)
        {
            const char *cat = str_of(t, "category");
            if (impact == NULL && cat != NULL && strcmp(cat, "impact") == 0)
                impact = str_of(t, "details");
        }
        if (impact == NULL)
            impact = agg;
        if (impact == NULL || (common != NULL && strcasecmp(common, impact) != 0))
            differ = 1;
        common = impact;
    }
    if (differ)
        common = NULL;
    json_array_foreach(vulns, i, v)
    {
        if ((rc = push_unique(&a.aliases, str_of(v, "cve"))) != 0 ||
            (rc = add_vuln_aliases(&a, v)) != 0 ||
            (json_array_size(vulns) == 1 && (rc = add_scores(&a, v)) != 0) ||
            (rc = add_vuln_affected(&a, seen, c, v, common, json_array_size(vulns) == 1)) != 0)
            goto out;
    }
    /* the document's own id is not an alias of itself */
    for (size_t k = 0; k < a.aliases.n; k++) {
        if (strcmp(a.aliases.items[k], id) == 0) {
            dd_free(a.aliases.items[k]);
            memmove(&a.aliases.items[k], &a.aliases.items[k + 1],
                    (a.aliases.n - k - 1) * sizeof(a.aliases.items[0]));
            a.aliases.n--;
            break;
        }
    }
    if ((rc = add_refs(&a, json_object_get(doc, "references"))) != 0)
        goto out;
    json_array_foreach(vulns, i, v)
    {
        if ((rc = add_refs(&a, json_object_get(v, "references"))) != 0)
            goto out;
    }
    rc = put(c, &a, err);
out:
    json_decref(seen);
    dd_advisory_clear(&a);
    return rc;
}

static int import_csaf(const uint8_t *buf, size_t len, const char *path, const dd_import_sink *sink,
                       dd_err *err)
{
    json_error_t jerr;
    ctx c = {sink, path, NULL, NULL, 0};
    int rc = 0;
    json_t *root = json_loadb((const char *)buf, len, 0, &jerr);
    if (root == NULL)
        return dd_err_set_at(err, DD_EINVALID, jerr.position > 0 ? (size_t)jerr.position : 0,
                             "redhat csaf: %s", jerr.text);
    const json_t *doc = json_object_get(root, "document");
    const char *category = str_of(doc, "category");
    const json_t *vulns = json_object_get(root, "vulnerabilities");
    if (!json_is_object(doc) || str_of(doc, "csaf_version") == NULL || category == NULL) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "redhat csaf: not a CSAF document");
        goto out;
    }
    if (!json_is_array(vulns) || json_array_size(vulns) == 0) {
        warn(&c, str_of(json_object_get(doc, "tracking"), "id"), "no vulnerabilities");
        goto out;
    }
    if ((c.products = json_object()) == NULL || (c.rels = json_object()) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    rc = load_tree(&c, json_object_get(root, "product_tree"));
    if (rc == DD_EINVALID) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "redhat csaf: product_tree nested too deeply");
        goto out;
    }
    if (rc != 0)
        goto out;
    if (strcmp(category, "csaf_vex") == 0)
        rc = import_vex(&c, doc, vulns, err);
    else
        rc = import_rhsa(&c, doc, vulns, err);
    if (rc == 0 && c.n_skipped > 0) {
        char msg[96];
        snprintf(msg, sizeof(msg), "%zu product statuses name no rpm package, skipped",
                 c.n_skipped);
        warn(&c, str_of(json_object_get(doc, "tracking"), "id"), msg);
    }
out:
    json_decref(c.products);
    json_decref(c.rels);
    json_decref(root);
    return rc;
}

const dd_importer dd_importer_redhat_csaf = {"redhat-csaf", SOURCE, detect, import_csaf};
