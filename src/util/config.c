/* Typed, bounded configuration entries read from a `key = value` file and from flags. */
#include "util/config.h"
#include "util/alloc.h"
#include "util/limits.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const dd_config_entry *find(const dd_config_entry *t, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].name, key) == 0)
            return &t[i];
    return NULL;
}

/* Parses a non-negative decimal with an optional unit suffix, checking for overflow. */
static int parse_number(const dd_config_entry *e, const char *v, int64_t *out, dd_err *err)
{
    int64_t n = 0;
    const char *p = v;
    int neg = 0;
    if (*p == '-') {
        neg = 1;
        p++;
    }
    if (*p < '0' || *p > '9')
        return dd_err_set(err, DD_EINVALID, "%s: '%s' is not a number", e->name, v);
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (INT64_MAX - 9) / 10)
            return dd_err_set(err, DD_EINVALID, "%s: '%s' is too large", e->name, v);
        n = n * 10 + (*p - '0');
    }
    int64_t mul = 1;
    if (*p != '\0') {
        if (e->type == DD_CONFIG_SECONDS && p[1] == '\0') {
            mul = *p == 's' ? 1 : *p == 'm' ? 60 : *p == 'h' ? 3600 : *p == 'd' ? 86400 : 0;
        } else if (e->type == DD_CONFIG_BYTES && (p[1] == '\0' || strcmp(p + 1, "iB") == 0)) {
            mul = *p == 'K' ? 1024 : *p == 'M' ? 1024 * 1024 : *p == 'G' ? 1024 * 1024 * 1024 : 0;
        } else {
            mul = 0;
        }
        if (mul == 0)
            return dd_err_set(err, DD_EINVALID, "%s: bad unit in '%s'", e->name, v);
    }
    if (__builtin_mul_overflow(n, mul, &n))
        return dd_err_set(err, DD_EINVALID, "%s: '%s' is too large", e->name, v);
    if (neg)
        n = -n;
    if (n < e->min || n > e->max)
        return dd_err_set(err, DD_EINVALID, "%s: %s is out of range [%lld, %lld]", e->name, v,
                          (long long)e->min, (long long)e->max);
    *out = n;
    return 0;
}

static int choice_ok(const char *choices, const char *v)
{
    size_t vl = strlen(v);
    const char *p = choices;
    while (*p) {
        const char *bar = strchr(p, '|');
        size_t l = bar ? (size_t)(bar - p) : strlen(p);
        if (l == vl && memcmp(p, v, l) == 0)
            return 1;
        p += l + (bar ? 1 : 0);
    }
    return 0;
}

static int set_entry(void *target, const dd_config_entry *e, const char *value, dd_err *err)
{
    char *base = target;
    if (e->type == DD_CONFIG_STRING || e->type == DD_CONFIG_ENUM) {
        if (e->type == DD_CONFIG_ENUM && !choice_ok(e->choices, value))
            return dd_err_set(err, DD_EINVALID, "%s: '%s' is not one of %s", e->name, value,
                              e->choices);
        char *c = dd_strdup(value);
        if (c == NULL)
            return DD_ENOMEM;
        char **slot = (char **)(base + e->offset);
        dd_free(*slot);
        *slot = c;
        return 0;
    }
    int64_t n = 0;
    int rc = parse_number(e, value, &n, err);
    if (rc != 0)
        return rc;
    *(int64_t *)(base + e->offset) = n;
    return 0;
}

int dd_config_defaults(void *target, const dd_config_entry *table, size_t n, dd_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = set_entry(target, &table[i], table[i].def, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int dd_config_set(void *target, const dd_config_entry *table, size_t n, const char *key,
                  const char *value, dd_err *err)
{
    const dd_config_entry *e = find(table, n, key);
    if (e == NULL)
        return dd_err_set(err, DD_ENOTFOUND, "unknown setting '%s'", key);
    return set_entry(target, e, value, err);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t l = strlen(s);
    while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t' || s[l - 1] == '\r' || s[l - 1] == '\n'))
        s[--l] = '\0';
    return s;
}

int dd_config_load_file(void *target, const dd_config_entry *table, size_t n, const char *path,
                        dd_err *err)
{
    int rc = 0;
    char line[DD_LIMIT_CONFIG_LINE];
    unsigned lineno = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return dd_err_errno(err, errno, path);
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        size_t l = strlen(line);
        if (l == sizeof(line) - 1 && line[l - 1] != '\n') {
            rc = dd_err_set(err, DD_EINVALID, "%s:%u: line too long", path, lineno);
            goto out;
        }
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            rc = dd_err_set(err, DD_EINVALID, "%s:%u: expected key = value", path, lineno);
            goto out;
        }
        *eq = '\0';
        char *key = trim(s), *value = trim(eq + 1);
        size_t vl = strlen(value);
        if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
            value[vl - 1] = '\0';
            value++;
        }
        dd_err sub = DD_ERR_INIT;
        rc = dd_config_set(target, table, n, key, value, &sub);
        if (rc != 0) {
            dd_err_set(err, rc, "%s:%u: %s", path, lineno, sub.msg);
            goto out;
        }
    }
out:
    fclose(f);
    return rc;
}

void dd_config_free(void *target, const dd_config_entry *table, size_t n)
{
    char *base = target;
    for (size_t i = 0; i < n; i++) {
        if (table[i].type == DD_CONFIG_STRING || table[i].type == DD_CONFIG_ENUM) {
            char **slot = (char **)(base + table[i].offset);
            dd_free(*slot);
            *slot = NULL;
        }
    }
}
