/* The in-memory advisory model of vulndb.h: appenders, clearing, fix-state names and package
 * keys (the per-ecosystem name normalisation used for lookups). */
#include "vulndb/vulndb.h"
#include "util/alloc.h"

#include <string.h>
#include <strings.h>

const char *dd_fix_state_name(dd_fix_state s)
{
    switch (s) {
    case DD_FIX_FIXED:
        return "fixed";
    case DD_FIX_NOT_FIXED:
        return "not-fixed";
    case DD_FIX_WILL_NOT_FIX:
        return "will-not-fix";
    case DD_FIX_END_OF_LIFE:
        return "end-of-life";
    case DD_FIX_NOT_AFFECTED:
        return "not-affected";
    case DD_FIX_UNKNOWN:
        break;
    }
    return "unknown";
}

static void severity_clear(dd_severity *s)
{
    dd_free(s->source);
    dd_free(s->vector);
    dd_free(s->rating);
}

static void affected_clear(dd_affected *f)
{
    dd_free(f->ecosystem);
    dd_free(f->package);
    dd_free(f->ranges_json);
    dd_free(f->versions_json);
    dd_free(f->vendor_severity);
}

void dd_advisory_clear(dd_advisory *a)
{
    if (a == NULL)
        return;
    dd_free(a->id);
    dd_strlist_free(&a->aliases);
    dd_strlist_free(&a->related);
    dd_free(a->summary);
    dd_free(a->details);
    for (size_t i = 0; i < a->n_severities; i++)
        severity_clear(&a->severities[i]);
    dd_free(a->severities);
    dd_strlist_free(&a->references);
    for (size_t i = 0; i < a->n_affected; i++)
        affected_clear(&a->affected[i]);
    dd_free(a->affected);
    memset(a, 0, sizeof(*a));
}

/* dd_strdup that keeps NULL as NULL; *ok cleared on allocation failure. */
static char *dup_opt(const char *s, int *ok)
{
    if (s == NULL)
        return NULL;
    char *c = dd_strdup(s);
    if (c == NULL)
        *ok = 0;
    return c;
}

int dd_advisory_add_severity(dd_advisory *a, dd_sev_type type, const char *source,
                             const char *vector_or_rating)
{
    dd_severity *p = dd_reallocarray(a->severities, a->n_severities + 1, sizeof(*p));
    if (p == NULL)
        return DD_ENOMEM;
    a->severities = p;
    dd_severity *s = &p[a->n_severities];
    memset(s, 0, sizeof(*s));
    int ok = 1;
    s->type = type;
    s->source = dup_opt(source, &ok);
    s->score = -1;
    if (type == DD_SEV_VENDOR)
        s->rating = dup_opt(vector_or_rating, &ok);
    else
        s->vector = dup_opt(vector_or_rating, &ok);
    if (!ok) {
        severity_clear(s);
        return DD_ENOMEM;
    }
    a->n_severities++;
    return 0;
}

int dd_advisory_add_affected(dd_advisory *a, const char *ecosystem, const char *package,
                             const char *ranges_json, const char *versions_json, dd_fix_state state,
                             const char *vendor_severity)
{
    dd_affected *p = dd_reallocarray(a->affected, a->n_affected + 1, sizeof(*p));
    if (p == NULL)
        return DD_ENOMEM;
    a->affected = p;
    dd_affected *f = &p[a->n_affected];
    memset(f, 0, sizeof(*f));
    int ok = 1;
    f->ecosystem = dup_opt(ecosystem, &ok);
    f->package = dup_opt(package, &ok);
    f->ranges_json = dup_opt(ranges_json, &ok);
    f->versions_json = dup_opt(versions_json, &ok);
    f->vendor_severity = dup_opt(vendor_severity, &ok);
    f->fix_state = state;
    if (!ok) {
        affected_clear(f);
        return DD_ENOMEM;
    }
    a->n_affected++;
    return 0;
}

/* The ecosystem without its ":release" suffix equals base (ASCII case-insensitive). */
static int eco_is(const char *ecosystem, const char *base)
{
    size_t n = strlen(base);
    return strncasecmp(ecosystem, base, n) == 0 && (ecosystem[n] == '\0' || ecosystem[n] == ':');
}

int dd_vulndb_package_key(char **out, const char *ecosystem, const char *name)
{
    *out = NULL;
    size_t len = strlen(name);
    char *k = dd_malloc(len + 1);
    if (k == NULL)
        return DD_ENOMEM;
    size_t n = 0;
    if (eco_is(ecosystem, "PyPI")) {
        /* PEP 503: lowercase, every run of '-', '_', '.' becomes one '-'. */
        for (size_t i = 0; i < len; i++) {
            char c = name[i];
            if (c == '-' || c == '_' || c == '.') {
                if (n == 0 || k[n - 1] != '-')
                    k[n++] = '-';
                continue;
            }
            k[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
    } else if (eco_is(ecosystem, "NuGet") || eco_is(ecosystem, "Packagist")) {
        for (size_t i = 0; i < len; i++) {
            char c = name[i];
            k[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
    } else {
        memcpy(k, name, len);
        n = len;
    }
    k[n] = '\0';
    *out = k;
    return 0;
}
