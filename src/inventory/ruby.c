/* Ruby cataloger: installed gems (specifications/NAME.gemspec, also specifications/default/) and
 * declared ones (Gemfile.lock), reconciled across the image by name and version with
 * dd_npm_reconcile.
 *
 * Hand-written, and why: an installed gemspec is Ruby code; RubyGems writes it in a fixed shape
 * ("# stub: name version platform" comment, then `s.name = "x".freeze` assignments), so a bounded
 * line scan for those forms reads it without evaluating Ruby. Gemfile.lock is Bundler's own
 * indented line format, which no C library reads.
 *
 * Owner: a gem whose .gemspec is listed in a var/lib/dpkg/info/NAME.list of the image gets
 * owner = that dpkg package (dd_dpkg_owners, built once per catalog() call, only when a gem is
 * found). When the image has no .list files at all, gems under usr/lib/ruby/ and
 * usr/share/rubygems-integration/ (where only Debian's ruby and ruby-* packages install) get the
 * marker owner "dpkg" (owning package unknown); when it has .list files but none names the
 * gemspec, the owner stays NULL, as it does elsewhere. */
#include "inventory/ruby.h"
#include "inventory/catalog.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <stdbool.h>
#include <string.h>

#define LICENSE_MAX 4096

typedef struct span {
    const char *s;
    size_t len;
} span;

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static int new_pkg(dd_pkg_list *out, span name, span ver, const char *path, int layer,
                   bool declared, char *license)
{
    dd_pkg p;
    memset(&p, 0, sizeof(p));
    p.type = DD_PKG_GEM;
    p.layer = layer;
    p.declared_only = declared;
    p.license = license;
    p.name = dd_strndup(name.s, name.len);
    p.version = dd_strndup(ver.s, ver.len);
    if (p.name == NULL || p.version == NULL || dd_strlist_push_str(&p.paths, path) != 0) {
        dd_pkg_clear(&p);
        return DD_ENOMEM;
    }
    return dd_pkg_list_take(out, &p);
}

/* Next line of buf from *pos (without its end of line). */
static bool next_line(const uint8_t *buf, size_t len, size_t *pos, span *line, size_t *start)
{
    if (*pos >= len)
        return false;
    const char *s = (const char *)buf;
    const char *nl = memchr(s + *pos, '\n', len - *pos);
    size_t end = nl != NULL ? (size_t)(nl - s) : len;
    *start = *pos;
    line->s = s + *pos;
    line->len = end - *pos;
    while (line->len > 0 && line->s[line->len - 1] == '\r')
        line->len--;
    *pos = nl != NULL ? end + 1 : len;
    return true;
}

/* ---- gemspec ---- */

/* A Ruby string literal at *s ("..." or '...', no escapes in names and versions); advances. */
static bool string_lit(span *s, span *out)
{
    if (s->len < 2 || (s->s[0] != '"' && s->s[0] != '\''))
        return false;
    const char *close = memchr(s->s + 1, s->s[0], s->len - 1);
    if (close == NULL)
        return false;
    out->s = s->s + 1;
    out->len = (size_t)(close - s->s) - 1;
    s->len -= (size_t)(close + 1 - s->s);
    s->s = close + 1;
    return true;
}

static void skip_blanks(span *s)
{
    while (s->len > 0 && is_blank(s->s[0])) {
        s->s++;
        s->len--;
    }
}

static bool eat(span *s, const char *lit)
{
    size_t l = strlen(lit);
    if (s->len < l || memcmp(s->s, lit, l) != 0)
        return false;
    s->s += l;
    s->len -= l;
    return true;
}

/* `ident.attr = rest`: true with rest after "=" when the line assigns attr. */
static bool assigns(span line, const char *attr, span *rest)
{
    skip_blanks(&line);
    size_t i = 0;
    while (i < line.len &&
           (line.s[i] == '_' || (line.s[i] >= 'a' && line.s[i] <= 'z') ||
            (line.s[i] >= 'A' && line.s[i] <= 'Z') || (line.s[i] >= '0' && line.s[i] <= '9')))
        i++;
    if (i == 0 || i >= line.len || line.s[i] != '.')
        return false;
    line.s += i + 1;
    line.len -= i + 1;
    if (!eat(&line, attr))
        return false;
    skip_blanks(&line);
    if (!eat(&line, "=") || (line.len > 0 && line.s[0] == '='))
        return false;
    skip_blanks(&line);
    *rest = line;
    return true;
}

/* The license strings of `["MIT".freeze, "Ruby".freeze]` or `"MIT"`, joined with " OR ". */
static int licenses(span v, char **out)
{
    dd_buf b = DD_BUF_INIT(LICENSE_MAX);
    span lit;
    int rc = 0;
    eat(&v, "[");
    for (;;) {
        skip_blanks(&v);
        if (!string_lit(&v, &lit))
            break;
        if (lit.len > 0) {
            if (b.len > 0)
                rc = dd_buf_append_str(&b, " OR ");
            if (rc == 0)
                rc = dd_buf_append(&b, lit.s, lit.len);
            if (rc == DD_ELIMIT)
                break; /* keep what fits */
            if (rc != 0) {
                dd_buf_free(&b);
                return rc;
            }
        }
        eat(&v, ".freeze");
        skip_blanks(&v);
        if (!eat(&v, ","))
            break;
    }
    dd_free(*out);
    *out = dd_buf_take(&b);
    return 0;
}

int dd_ruby_gemspec_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                          dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    span line, name = {NULL, 0}, ver = {NULL, 0}, stub_name = {NULL, 0}, stub_ver = {NULL, 0};
    size_t pos = 0, start;
    char *license = NULL;
    int rc = 0;
    while (next_line(buf, len, &pos, &line, &start)) {
        span rest;
        if (eat(&line, "# stub: ")) { /* "# stub: name version platform require_paths" */
            size_t i = 0;
            while (i < line.len && line.s[i] != ' ')
                i++;
            stub_name = (span){line.s, i};
            size_t vs = i < line.len ? i + 1 : i, j = vs;
            while (j < line.len && line.s[j] != ' ')
                j++;
            stub_ver = (span){line.s + vs, j - vs};
        } else if (assigns(line, "name", &rest)) {
            if (name.s == NULL)
                string_lit(&rest, &name);
        } else if (assigns(line, "version", &rest)) {
            eat(&rest, "Gem::Version.new(");
            if (ver.s == NULL)
                string_lit(&rest, &ver);
        } else if (assigns(line, "licenses", &rest) || assigns(line, "license", &rest)) {
            if ((rc = licenses(rest, &license)) != 0)
                goto out;
        }
    }
    if (stub_name.len > 0 && stub_ver.len > 0) {
        name = stub_name;
        ver = stub_ver;
    }
    if (name.s == NULL || name.len == 0 || ver.s == NULL || ver.len == 0) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "gemspec without name or version");
        goto out;
    }
    rc = new_pkg(out, name, ver, path, layer, false, license);
    license = NULL; /* owned by the package (or freed with it) */
out:
    dd_free(license);
    return rc;
}

/* ---- Gemfile.lock ---- */

int dd_ruby_gemfile_lock_parse(const uint8_t *buf, size_t len, const char *path, int layer,
                               dd_pkg_list *out, dd_err *err)
{
    if (len == 0)
        buf = (const uint8_t *)""; /* an empty file may come with NULL */
    dd_pkg_list tmp = DD_PKG_LIST_INIT;
    span line;
    size_t pos = 0, start;
    bool gem = false, specs = false;
    int rc = 0;
    while (next_line(buf, len, &pos, &line, &start)) {
        size_t ind = 0;
        while (ind < line.len && line.s[ind] == ' ')
            ind++;
        if (ind == line.len)
            continue;
        if (ind == 0) {
            gem = line.len == 3 && memcmp(line.s, "GEM", 3) == 0;
            specs = false;
            continue;
        }
        if (ind == 2) {
            specs = line.len == 8 && memcmp(line.s + 2, "specs:", 6) == 0;
            continue;
        }
        if (ind != 4 || !gem || !specs)
            continue; /* dependencies of a spec (6 spaces), other sections */
        /* "    name (version[-platform])" */
        span s = {line.s + 4, line.len - 4};
        const char *sp = memchr(s.s, ' ', s.len);
        if (sp == NULL || sp == s.s || (size_t)(sp - s.s) + 2 >= s.len || sp[1] != '(' ||
            s.s[s.len - 1] != ')') {
            rc = dd_err_set_at(err, DD_EINVALID, start, "Gemfile.lock: bad spec line");
            goto out;
        }
        span name = {s.s, (size_t)(sp - s.s)};
        span ver = {sp + 2, s.len - name.len - 3};
        const char *dash = memchr(ver.s, '-', ver.len);
        if (dash != NULL)
            ver.len = (size_t)(dash - ver.s);
        if (ver.len == 0) {
            rc = dd_err_set_at(err, DD_EINVALID, start, "Gemfile.lock: empty version");
            goto out;
        }
        if ((rc = new_pkg(&tmp, name, ver, path, layer, true, NULL)) != 0)
            goto out;
    }
    for (size_t i = 0; i < tmp.n; i++) {
        if (rc == 0)
            rc = dd_pkg_list_take(out, &tmp.items[i]);
        else
            dd_pkg_clear(&tmp.items[i]);
    }
    tmp.n = 0;
out:
    dd_pkg_list_free(&tmp);
    return rc;
}

/* ---- the cataloger ---- */

enum kind { K_NONE, K_GEMSPEC, K_LOCK };

static bool has_suffix(const char *p, size_t len, const char *suffix)
{
    size_t sl = strlen(suffix);
    return len >= sl && memcmp(p + len - sl, suffix, sl) == 0;
}

static int classify(const char *p, size_t len)
{
    if (dd_path_has_suffix(p, len, "/Gemfile.lock") || dd_path_has_suffix(p, len, "/gems.locked"))
        return K_LOCK;
    if (!has_suffix(p, len, ".gemspec"))
        return K_NONE;
    /* the spec's directory is specifications/ or specifications/default/ */
    const char *slash = memrchr(p, '/', len);
    if (slash == NULL)
        return K_NONE;
    size_t dir_len = (size_t)(slash - p);
    if (has_suffix(p, dir_len, "/specifications") ||
        has_suffix(p, dir_len, "/specifications/default") ||
        (dir_len == 14 && memcmp(p, "specifications", 14) == 0))
        return K_GEMSPEC;
    return K_NONE;
}

static dd_keep ruby_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                          const dd_extractor **extractor)
{
    (void)mode;
    (void)size;
    (void)extractor;
    return classify(path, path_len) != K_NONE ? DD_KEEP_WHOLE : DD_KEEP_NONE;
}

static bool os_owned(const char *p)
{
    return strncmp(p, "usr/lib/ruby/", 13) == 0 ||
           strncmp(p, "usr/share/rubygems-integration/", 31) == 0;
}

static const dd_lock_format ruby_formats[] = {
    [K_GEMSPEC] = {dd_ruby_gemspec_parse, true},
    [K_LOCK] = {dd_ruby_gemfile_lock_parse, false},
};

static const dd_lang_catalog ruby_lang = {
    .name = "ruby",
    .classify = classify,
    .formats = ruby_formats,
    .name_cmp = strcmp,
    .os_owned = os_owned,
};

static int ruby_catalog(const dd_rootfs *fs, dd_pkg_list *out,
                        void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                        dd_err *err)
{
    return dd_catalog_lockfiles(fs, &ruby_lang, out, warn, warn_ctx, err);
}

const dd_cataloger dd_cataloger_ruby = {"ruby", ruby_wants, ruby_catalog};
