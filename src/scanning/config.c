/* The registry scanning configuration: ECR's filter grammar and WILDCARD matching, validation and
 * normalization of PutRegistryScanningConfiguration input, and a repository's effective frequency
 * (continuous wins over scan on push; no match = MANUAL). */
#include "scanning/internal.h"
#include "util/alloc.h"

#include <string.h>

const char *dd_scan_freq_name(dd_scan_freq f)
{
    switch (f) {
    case DD_FREQ_SCAN_ON_PUSH:
        return "SCAN_ON_PUSH";
    case DD_FREQ_CONTINUOUS:
        return "CONTINUOUS_SCAN";
    default:
        return "MANUAL";
    }
}

static bool is_word(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '*';
}

static bool is_sep(char c)
{
    return c == '.' || c == '_' || c == '-' || c == '/';
}

/* ^[a-z0-9*](?:[._\-/a-z0-9*]?[a-z0-9*]+)*$ : word characters with single separators between
 * them; no leading or trailing separator and never two in a row. */
bool dd_scan_filter_valid(const char *f)
{
    size_t n = strlen(f);
    if (n < 1 || n > 255 || !is_word(f[0]) || !is_word(f[n - 1]))
        return false;
    for (size_t i = 1; i < n; i++) {
        if (is_word(f[i]))
            continue;
        if (!is_sep(f[i]) || is_sep(f[i - 1]))
            return false;
    }
    return true;
}

/* Glob with '*' only: iterative matcher with one backtrack point (linear in practice). */
static bool glob(const char *p, const char *s)
{
    const char *star = NULL, *mark = NULL;
    while (*s) {
        if (*p == '*') {
            star = p++;
            mark = s;
        } else if (*p == *s) {
            p++;
            s++;
        } else if (star != NULL) {
            p = star + 1;
            s = ++mark;
        } else {
            return false;
        }
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

bool dd_scan_filter_match(const char *filter, const char *name)
{
    if (strchr(filter, '*') == NULL)
        return strstr(name, filter) != NULL;
    return glob(filter, name);
}

static dd_scan_freq freq_parse(const char *s)
{
    if (s == NULL)
        return (dd_scan_freq)-1;
    if (strcmp(s, "SCAN_ON_PUSH") == 0)
        return DD_FREQ_SCAN_ON_PUSH;
    if (strcmp(s, "CONTINUOUS_SCAN") == 0)
        return DD_FREQ_CONTINUOUS;
    if (strcmp(s, "MANUAL") == 0)
        return DD_FREQ_MANUAL;
    return (dd_scan_freq)-1;
}

int dd_scan_config_normalize(const json_t *in, json_t **out, dd_err *err)
{
    *out = NULL;
    if (!json_is_object(in))
        return dd_err_set(err, DD_EINVALID, "the scanning configuration must be an object");
    json_t *type = json_object_get(in, "scanType");
    const char *scan_type = "BASIC";
    if (type != NULL && !json_is_null(type)) {
        if (!json_is_string(type) || (strcmp(json_string_value(type), "BASIC") != 0 &&
                                      strcmp(json_string_value(type), "ENHANCED") != 0))
            return dd_err_set(err, DD_EINVALID,
                              "Value at 'scanType' failed to satisfy constraint: Member must "
                              "satisfy enum value set: [BASIC, ENHANCED]");
        scan_type = json_string_value(type);
    }
    bool enhanced = strcmp(scan_type, "ENHANCED") == 0;
    json_t *rules = json_object_get(in, "rules");
    if (rules != NULL && !json_is_null(rules) && !json_is_array(rules))
        return dd_err_set(err, DD_EINVALID, "rules must be a list");
    size_t n_rules = json_array_size(rules);
    if (n_rules > 2)
        return dd_err_set(err, DD_EINVALID,
                          "Value at 'rules' failed to satisfy constraint: Member must have length "
                          "less than or equal to 2");
    json_t *norm = json_array();
    bool seen[3] = {false, false, false};
    size_t i;
    json_t *rule;
    json_array_foreach(rules, i, rule)
    {
        dd_scan_freq f = freq_parse(json_string_value(json_object_get(rule, "scanFrequency")));
        if ((int)f < 0) {
            json_decref(norm);
            return dd_err_set(err, DD_EINVALID,
                              "Value at 'rules.%zu.member.scanFrequency' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [SCAN_ON_PUSH, "
                              "CONTINUOUS_SCAN, MANUAL]",
                              i + 1);
        }
        if (f == DD_FREQ_MANUAL || (!enhanced && f != DD_FREQ_SCAN_ON_PUSH)) {
            json_decref(norm);
            return dd_err_set(err, DD_EINVALID,
                              "Scan frequency %s is not supported for scan type %s",
                              dd_scan_freq_name(f), scan_type);
        }
        if (seen[f]) {
            json_decref(norm);
            return dd_err_set(err, DD_EINVALID, "Only one rule per scan frequency is allowed");
        }
        seen[f] = true;
        json_t *filters = json_object_get(rule, "repositoryFilters");
        if (!json_is_array(filters) || json_array_size(filters) > 100) {
            json_decref(norm);
            return dd_err_set(err, DD_EINVALID,
                              "Value at 'rules.%zu.member.repositoryFilters' failed to satisfy "
                              "constraint: Member must be a list of at most 100 filters",
                              i + 1);
        }
        json_t *nf = json_array();
        size_t k;
        json_t *flt;
        json_array_foreach(filters, k, flt)
        {
            const char *text = json_string_value(json_object_get(flt, "filter"));
            const char *ft = json_string_value(json_object_get(flt, "filterType"));
            if (text == NULL || !dd_scan_filter_valid(text)) {
                json_decref(nf);
                json_decref(norm);
                return dd_err_set(err, DD_EINVALID,
                                  "Value '%.64s' at 'rules.%zu.member.repositoryFilters.%zu.member."
                                  "filter' failed to satisfy constraint: Member must satisfy "
                                  "regular expression pattern: "
                                  "^[a-z0-9*](?:[._\\-/a-z0-9*]?[a-z0-9*]+)*$",
                                  text != NULL ? text : "", i + 1, k + 1);
            }
            if (ft == NULL || strcmp(ft, "WILDCARD") != 0) {
                json_decref(nf);
                json_decref(norm);
                return dd_err_set(err, DD_EINVALID,
                                  "Value at 'rules.%zu.member.repositoryFilters.%zu.member."
                                  "filterType' failed to satisfy constraint: Member must satisfy "
                                  "enum value set: [WILDCARD]",
                                  i + 1, k + 1);
            }
            json_array_append_new(nf,
                                  json_pack("{s:s,s:s}", "filter", text, "filterType", "WILDCARD"));
        }
        json_array_append_new(norm, json_pack("{s:s,s:o}", "scanFrequency", dd_scan_freq_name(f),
                                              "repositoryFilters", nf));
    }
    if (enhanced && json_array_size(norm) == 0)
        json_array_append_new(norm, json_pack("{s:s,s:[{s:s,s:s}]}", "scanFrequency",
                                              "CONTINUOUS_SCAN", "repositoryFilters", "filter", "*",
                                              "filterType", "WILDCARD"));
    *out = json_pack("{s:s,s:o}", "scanType", scan_type, "rules", norm);
    return *out != NULL ? 0 : DD_ENOMEM;
}

json_t *dd_scan_config_load(dd_sql_conn *c, dd_err *err)
{
    char *text = NULL;
    int rc = dd_sql_setting_get(c, "scanning.config", &text, err);
    if (rc == DD_ENOTFOUND)
        return json_pack("{s:s,s:[]}", "scanType", "BASIC", "rules");
    if (rc != 0)
        return NULL;
    json_t *cfg = json_loads(text, 0, NULL);
    dd_free(text);
    if (cfg == NULL)
        dd_err_set(err, DD_EDB, "stored scanning configuration is not JSON");
    return cfg;
}

/* Filters of the rule with frequency f that match repo (new array), or NULL when none match. */
static json_t *matching(const json_t *cfg, dd_scan_freq f, const char *repo)
{
    size_t i, k;
    json_t *rule, *flt;
    json_t *out = NULL;
    json_array_foreach(json_object_get(cfg, "rules"), i, rule)
    {
        if (freq_parse(json_string_value(json_object_get(rule, "scanFrequency"))) != f)
            continue;
        json_array_foreach(json_object_get(rule, "repositoryFilters"), k, flt)
        {
            const char *text = json_string_value(json_object_get(flt, "filter"));
            if (text != NULL && dd_scan_filter_match(text, repo)) {
                if (out == NULL)
                    out = json_array();
                json_array_append(out, flt);
            }
        }
    }
    return out;
}

dd_scan_freq dd_scan_effective(const json_t *cfg, const char *repo, bool scan_on_push_flag,
                               json_t **applied)
{
    const char *type = json_string_value(json_object_get(cfg, "scanType"));
    bool enhanced = type != NULL && strcmp(type, "ENHANCED") == 0;
    json_t *m = NULL;
    dd_scan_freq f = DD_FREQ_MANUAL;
    if (enhanced && (m = matching(cfg, DD_FREQ_CONTINUOUS, repo)) != NULL)
        f = DD_FREQ_CONTINUOUS;
    else if ((m = matching(cfg, DD_FREQ_SCAN_ON_PUSH, repo)) != NULL)
        f = DD_FREQ_SCAN_ON_PUSH;
    else if (!enhanced && scan_on_push_flag)
        f = DD_FREQ_SCAN_ON_PUSH;
    if (applied != NULL)
        *applied = m != NULL ? m : json_array();
    else
        json_decref(m);
    return f;
}
