/* Importers for the Debian security tracker: its JSON export
 * (security-tracker.debian.org/tracker/data/json: source package -> CVE -> release -> status) and
 * its DSA/DLA/DTSA list files (data/DSA/list, data/DLA/list, data/DTSA/list). The JSON is read
 * with jansson; the list files are a small line-based text format with no library, so they are
 * parsed by hand here. */
#include "vulndb/import.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define JSON_OUT_MAX (64u * 1024u)
#define ID_MAX 128
#define LINE_MAX_LEN 65536

/* ---- shared helpers ---------------------------------------------------------------------- */

/* Builds [{"type":"ECOSYSTEM","events":[{"introduced":"0"}(,{"fixed":"<fixed>"})]}]. */
static int range_json(char **out, const char *fixed)
{
    dd_buf b = DD_BUF_INIT(JSON_OUT_MAX);
    int rc = dd_buf_append_str(&b, "[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"}");
    if (rc == 0 && fixed != NULL) {
        rc = dd_buf_append_str(&b, ",{\"fixed\":\"");
        if (rc == 0)
            rc = dd_buf_append_json_escaped(&b, fixed, strlen(fixed));
        if (rc == 0)
            rc = dd_buf_append_str(&b, "\"}");
    }
    if (rc == 0)
        rc = dd_buf_append_str(&b, "]}]");
    if (rc != 0) {
        dd_buf_free(&b);
        return rc;
    }
    *out = dd_buf_take(&b);
    return *out == NULL ? DD_ENOMEM : 0;
}

/* An id or version token: printable ASCII without spaces or quotes, 1..max bytes. */
static int token_ok(const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c >= 0x7f || c == '"' || c == '\\')
            return 0;
    }
    return 1;
}

static void warn(const dd_import_sink *sink, const char *path, const char *msg)
{
    if (sink->warn != NULL)
        sink->warn(sink->ctx, path, msg);
}

/* memmem on a bounded head. */
static int head_has(const uint8_t *head, size_t len, const char *needle)
{
    return memmem(head, len, needle, strlen(needle)) != NULL;
}

/* ---- tracker JSON ------------------------------------------------------------------------ */

/* One (source package, CVE object) pair, to group the file by CVE. */
typedef struct cve_ref {
    const char *cve;
    const char *package;
    json_t *obj;
    size_t order;
} cve_ref;

static int cve_ref_cmp(const void *pa, const void *pb)
{
    const cve_ref *a = pa, *b = pb;
    int c = strcmp(a->cve, b->cve);
    if (c != 0)
        return c;
    return a->order < b->order ? -1 : a->order > b->order;
}

static const char *json_str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* The urgency as a vendor severity: trailing '*' (unconfirmed) stripped; "not yet assigned",
 * "end-of-life" (carried by the fix state) and empty values dropped. *out NULL when none. */
static int urgency_severity(char **out, const char *urgency)
{
    *out = NULL;
    if (urgency == NULL)
        return 0;
    size_t n = strlen(urgency);
    while (n > 0 && urgency[n - 1] == '*')
        n--;
    if (n == 0 || n > 64)
        return 0;
    if ((n == 16 && memcmp(urgency, "not yet assigned", 16) == 0) ||
        (n == 11 && memcmp(urgency, "end-of-life", 11) == 0))
        return 0;
    *out = dd_strndup(urgency, n);
    return *out == NULL ? DD_ENOMEM : 0;
}

/* Adds the affected entries of one (package, CVE object) to a. */
static int tracker_add_releases(dd_advisory *a, const cve_ref *r, const char *path,
                                const dd_import_sink *sink)
{
    int rc = 0;
    char *ranges = NULL, *sev = NULL;
    json_t *rels = json_object_get(r->obj, "releases");
    if (rels == NULL || (json_is_array(rels) && json_array_size(rels) == 0))
        goto out; /* the tracker writes "releases": [] for CVEs with no release data */
    if (!json_is_object(rels)) {
        warn(sink, path, "debian tracker: \"releases\" is not an object");
        goto out;
    }
    const char *codename;
    json_t *rel;
    json_object_foreach(rels, codename, rel)
    {
        const char *eco = dd_import_debian_ecosystem(codename);
        if (eco == NULL || !json_is_object(rel)) {
            warn(sink, path,
                 eco == NULL ? "debian tracker: unknown release skipped"
                             : "debian tracker: release entry is not an object");
            continue;
        }
        const char *status = json_str(rel, "status");
        const char *fixed = json_str(rel, "fixed_version");
        const char *urgency = json_str(rel, "urgency");
        const char *nodsa_reason = json_str(rel, "nodsa_reason");
        dd_fix_state st;
        if (status != NULL && strcmp(status, "resolved") == 0) {
            if (fixed == NULL || !token_ok(fixed, strlen(fixed), 256)) {
                warn(sink, path, "debian tracker: resolved entry without a valid fixed_version");
                continue;
            }
            st = strcmp(fixed, "0") == 0 ? DD_FIX_NOT_AFFECTED : DD_FIX_FIXED;
        } else if (status != NULL &&
                   (strcmp(status, "open") == 0 || strcmp(status, "undetermined") == 0)) {
            st = DD_FIX_NOT_FIXED;
            if (urgency != NULL && strcmp(urgency, "end-of-life") == 0)
                st = DD_FIX_END_OF_LIFE;
            else if (nodsa_reason != NULL && strcmp(nodsa_reason, "ignored") == 0)
                st = DD_FIX_WILL_NOT_FIX;
            fixed = NULL;
        } else {
            warn(sink, path, "debian tracker: unknown release status skipped");
            continue;
        }
        if (st != DD_FIX_NOT_AFFECTED && (rc = range_json(&ranges, fixed)) != 0)
            goto out;
        if ((rc = urgency_severity(&sev, urgency)) != 0)
            goto out;
        rc = dd_advisory_add_affected(a, eco, r->package, ranges, NULL, st, sev);
        dd_free(ranges);
        dd_free(sev);
        ranges = sev = NULL;
        if (rc != 0)
            goto out;
    }
out:
    dd_free(ranges);
    dd_free(sev);
    return rc;
}

/* Emits one advisory for refs[0..n) (all the same CVE). */
static int tracker_emit(const cve_ref *refs, size_t n, const char *path, const dd_import_sink *sink,
                        dd_err *err)
{
    dd_advisory a;
    memset(&a, 0, sizeof(a));
    int rc = 0;
    char *url = NULL;
    if ((a.id = dd_strdup(refs[0].cve)) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const char *d = json_str(refs[i].obj, "description");
        if (a.details == NULL && d != NULL && d[0] != '\0' && (a.details = dd_strdup(d)) == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        if ((rc = tracker_add_releases(&a, &refs[i], path, sink)) != 0)
            goto out;
    }
    if ((url = dd_asprintf("https://security-tracker.debian.org/tracker/%s", a.id)) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if ((rc = dd_strlist_push_str(&a.references, url)) != 0)
        goto out;
    rc = sink->put(sink->ctx, &a, err);
out:
    if (rc == DD_ENOMEM)
        dd_err_set(err, rc, "debian tracker: out of memory");
    dd_free(url);
    dd_advisory_clear(&a);
    return rc;
}

static int tracker_detect(const char *path, const uint8_t *head, size_t head_len)
{
    (void)path;
    size_t i = 0;
    while (i < head_len &&
           (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n'))
        i++;
    if (i >= head_len || head[i] != '{')
        return 0;
    return head_has(head, head_len, "\"releases\"") &&
           (head_has(head, head_len, "\"status\"") ||
            head_has(head, head_len, "\"fixed_version\"")) &&
           (head_has(head, head_len, "\"CVE-") || head_has(head, head_len, "\"TEMP-")) &&
           !head_has(head, head_len, "\"schema_version\"");
}

static int tracker_import(const uint8_t *buf, size_t len, const char *path,
                          const dd_import_sink *sink, dd_err *err)
{
    int rc = 0;
    json_t *root = NULL;
    cve_ref *refs = NULL;
    size_t n = 0, cap = 0;
    json_error_t jerr;

    root = json_loadb((const char *)buf, len, 0, &jerr);
    if (root == NULL) {
        rc =
            dd_err_set_at(err, DD_EINVALID, (size_t)jerr.position, "debian tracker: %s", jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        rc = dd_err_set(err, DD_EINVALID, "debian tracker: top level is not an object");
        goto out;
    }
    const char *pkg, *cve;
    json_t *cves, *obj;
    json_object_foreach(root, pkg, cves)
    {
        if (!json_is_object(cves) || !token_ok(pkg, strlen(pkg), 256)) {
            warn(sink, path, "debian tracker: bad source package entry skipped");
            continue;
        }
        json_object_foreach(cves, cve, obj)
        {
            if (!json_is_object(obj) || !token_ok(cve, strlen(cve), ID_MAX)) {
                warn(sink, path, "debian tracker: bad vulnerability entry skipped");
                continue;
            }
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 1024;
                cve_ref *p = dd_reallocarray(refs, ncap, sizeof(*p));
                if (p == NULL) {
                    rc = dd_err_set(err, DD_ENOMEM, "debian tracker: out of memory");
                    goto out;
                }
                refs = p;
                cap = ncap;
            }
            refs[n] = (cve_ref){cve, pkg, obj, n};
            n++;
        }
    }
    if (n > 0)
        qsort(refs, n, sizeof(*refs), cve_ref_cmp);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && strcmp(refs[j].cve, refs[i].cve) == 0)
            j++;
        if ((rc = tracker_emit(&refs[i], j - i, path, sink, err)) != 0)
            goto out;
        i = j;
    }
out:
    dd_free(refs);
    json_decref(root);
    return rc;
}

const dd_importer dd_importer_debian_tracker_json = {
    "debian-tracker-json",
    "debian-tracker",
    tracker_detect,
    tracker_import,
};

/* ---- DSA / DLA / DTSA lists ---------------------------------------------------------------- */

/* A line of the list: [p, p+len), excluding the newline. */
typedef struct line {
    const char *p;
    size_t len;
    size_t off;
} line;

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static void trim(const char **p, size_t *len)
{
    while (*len > 0 && is_space(**p)) {
        (*p)++;
        (*len)--;
    }
    while (*len > 0 && is_space((*p)[*len - 1]))
        (*len)--;
}

static int parse_uint(const char *s, size_t len, int max, int *out)
{
    if (len == 0 || len > 9)
        return 0;
    int v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        v = v * 10 + (s[i] - '0');
    }
    if (v > max)
        return 0;
    *out = v;
    return 1;
}

static int month_index(const char *s, size_t len)
{
    static const char *const names[12] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
    if (len < 3)
        return 0;
    for (int m = 0; m < 12; m++) {
        size_t nl = strlen(names[m]);
        /* "Apr" or "April" */
        if ((len == 3 && memcmp(s, names[m], 3) == 0) ||
            (len == nl && memcmp(s, names[m], nl) == 0))
            return m + 1;
    }
    return 0;
}

/* Dates of the list files: "21 Apr 2023" (DSA, DLA) or "August 26th, 2005" (DTSA). */
static int parse_list_date(const char *s, size_t len, int64_t *ms_out)
{
    const char *w[3];
    size_t wl[3];
    size_t nw = 0, i = 0;
    while (i < len && nw < 3) {
        while (i < len && (s[i] == ' ' || s[i] == ','))
            i++;
        if (i >= len)
            break;
        size_t st = i;
        while (i < len && s[i] != ' ' && s[i] != ',')
            i++;
        w[nw] = s + st;
        wl[nw++] = i - st;
    }
    while (i < len && (s[i] == ' ' || s[i] == ','))
        i++;
    if (nw != 3 || i != len)
        return 0;
    int d = 0, m = 0, y = 0;
    if (parse_uint(w[0], wl[0], 31, &d)) {
        m = month_index(w[1], wl[1]);
    } else {
        m = month_index(w[0], wl[0]);
        size_t dl = wl[1];
        if (dl > 2 && (memcmp(w[1] + dl - 2, "st", 2) == 0 || memcmp(w[1] + dl - 2, "nd", 2) == 0 ||
                       memcmp(w[1] + dl - 2, "rd", 2) == 0 || memcmp(w[1] + dl - 2, "th", 2) == 0))
            dl -= 2;
        if (!parse_uint(w[1], dl, 31, &d))
            return 0;
    }
    if (m == 0 || d == 0 || wl[2] != 4 || !parse_uint(w[2], wl[2], 9999, &y))
        return 0;
    char iso[16];
    iso[0] = (char)('0' + y / 1000);
    iso[1] = (char)('0' + y / 100 % 10);
    iso[2] = (char)('0' + y / 10 % 10);
    iso[3] = (char)('0' + y % 10);
    iso[4] = '-';
    iso[5] = (char)('0' + m / 10);
    iso[6] = (char)('0' + m % 10);
    iso[7] = '-';
    iso[8] = (char)('0' + d / 10);
    iso[9] = (char)('0' + d % 10);
    iso[10] = '\0';
    return dd_import_parse_time(iso, ms_out) == 0;
}

/* "DSA-5393-1", "DLA-3400-1", "DTSA-1-1", "DSA-141". */
static int advisory_id_ok(const char *s, size_t len)
{
    size_t p;
    if (len > 4 && memcmp(s, "DSA-", 4) == 0)
        p = 4;
    else if (len > 4 && memcmp(s, "DLA-", 4) == 0)
        p = 4;
    else if (len > 5 && memcmp(s, "DTSA-", 5) == 0)
        p = 5;
    else
        return 0;
    if (len > 32)
        return 0;
    int digits = 0, dashes = 0;
    for (; p < len; p++) {
        if (s[p] >= '0' && s[p] <= '9')
            digits++;
        else if (s[p] == '-' && digits > 0 && dashes == 0) {
            dashes++;
            digits = 0;
        } else
            return 0;
    }
    return digits > 0;
}

/* A header line "[date] ID title": fills the fields, 0 when the line is not one. */
static int parse_header(const line *l, const char **date, size_t *date_len, const char **id,
                        size_t *id_len, const char **title, size_t *title_len)
{
    if (l->len < 2 || l->p[0] != '[')
        return 0;
    const char *close = memchr(l->p, ']', l->len);
    if (close == NULL)
        return 0;
    *date = l->p + 1;
    *date_len = (size_t)(close - l->p) - 1;
    const char *s = close + 1;
    size_t rest = l->len - (size_t)(s - l->p);
    while (rest > 0 && is_space(*s)) {
        s++;
        rest--;
    }
    size_t k = 0;
    while (k < rest && !is_space(s[k]))
        k++;
    *id = s;
    *id_len = k;
    *title = s + k;
    *title_len = rest - k;
    trim(title, title_len);
    return advisory_id_ok(*id, *id_len);
}

/* Urgency at the end of a release line's note: "(high)", "(bug #123; medium)". */
static const char *note_urgency(const char *s, size_t len)
{
    static const char *const words[] = {"unimportant", "low", "medium", "high"};
    trim(&s, &len);
    if (len < 2 || s[0] != '(' || s[len - 1] != ')')
        return NULL;
    s++;
    len -= 2;
    const char *semi = NULL;
    for (size_t i = 0; i < len; i++)
        if (s[i] == ';')
            semi = s + i;
    if (semi != NULL) {
        len -= (size_t)(semi + 1 - s);
        s = semi + 1;
    }
    trim(&s, &len);
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strlen(words[i]) == len && memcmp(words[i], s, len) == 0)
            return words[i];
    return NULL;
}

/* "[bookworm] - chromium 112.0.5615.165-1 (notes)" into a. Warns about bad lines. */
static int dsa_release_line(dd_advisory *a, const char *s, size_t len, const char *path,
                            const dd_import_sink *sink)
{
    char codename[64], pkg[256], ver[256];
    char *ranges = NULL;
    int rc = 0;
    const char *close = memchr(s, ']', len);
    if (close == NULL || (size_t)(close - s) - 1 >= sizeof(codename) || close == s + 1)
        goto bad;
    memcpy(codename, s + 1, (size_t)(close - s) - 1);
    codename[close - s - 1] = '\0';
    size_t i = (size_t)(close - s) + 1;
    while (i < len && is_space(s[i]))
        i++;
    if (i >= len || s[i] != '-')
        goto bad;
    i++;
    while (i < len && is_space(s[i]))
        i++;
    size_t st = i;
    while (i < len && !is_space(s[i]))
        i++;
    if (!token_ok(s + st, i - st, sizeof(pkg) - 1))
        goto bad;
    memcpy(pkg, s + st, i - st);
    pkg[i - st] = '\0';
    while (i < len && is_space(s[i]))
        i++;
    st = i;
    while (i < len && !is_space(s[i]))
        i++;
    if (!token_ok(s + st, i - st, sizeof(ver) - 1))
        goto bad;
    memcpy(ver, s + st, i - st);
    ver[i - st] = '\0';
    const char *eco = dd_import_debian_ecosystem(codename);
    if (eco == NULL) {
        warn(sink, path, "debian dsa: unknown release skipped");
        goto out;
    }
    dd_fix_state state = DD_FIX_FIXED;
    const char *fixed = ver;
    if (ver[0] == '<') {
        fixed = NULL;
        if (strcmp(ver, "<not-affected>") == 0)
            state = DD_FIX_NOT_AFFECTED;
        else if (strcmp(ver, "<unfixed>") == 0 || strcmp(ver, "<postponed>") == 0)
            state = DD_FIX_NOT_FIXED;
        else if (strcmp(ver, "<end-of-life>") == 0)
            state = DD_FIX_END_OF_LIFE;
        else if (strcmp(ver, "<ignored>") == 0 || strcmp(ver, "<no-dsa>") == 0)
            state = DD_FIX_WILL_NOT_FIX;
        else {
            warn(sink, path, "debian dsa: unknown <state> skipped");
            goto out;
        }
    }
    if (state != DD_FIX_NOT_AFFECTED && (rc = range_json(&ranges, fixed)) != 0)
        goto out;
    rc = dd_advisory_add_affected(a, eco, pkg, ranges, NULL, state, note_urgency(s + i, len - i));
    goto out;
bad:
    warn(sink, path, "debian dsa: malformed release line skipped");
out:
    dd_free(ranges);
    return rc;
}

/* "{CVE-2023-1 CVE-2023-2}" into a's aliases. */
static int dsa_cve_line(dd_advisory *a, const char *s, size_t len, const char *path,
                        const dd_import_sink *sink)
{
    if (len < 2 || s[len - 1] != '}') {
        warn(sink, path, "debian dsa: malformed {CVE} line skipped");
        return 0;
    }
    size_t i = 1;
    len--;
    while (i < len) {
        while (i < len && is_space(s[i]))
            i++;
        size_t st = i;
        while (i < len && !is_space(s[i]))
            i++;
        if (i == st)
            break;
        if (!token_ok(s + st, i - st, ID_MAX)) {
            warn(sink, path, "debian dsa: bad id in {CVE} line skipped");
            continue;
        }
        int rc = dd_strlist_push(&a->aliases, s + st, i - st);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int dsa_detect(const char *path, const uint8_t *head, size_t head_len)
{
    (void)path;
    /* The first line is a header: "[21 Apr 2023] DSA-5393-1 ..." */
    const char *e = memchr(head, '\n', head_len);
    line l = {(const char *)head, e ? (size_t)((const uint8_t *)e - head) : head_len, 0};
    const char *d, *id, *t;
    size_t dl, il, tl;
    return parse_header(&l, &d, &dl, &id, &il, &t, &tl);
}

static int dsa_flush(dd_advisory *a, int *open, const dd_import_sink *sink, dd_err *err)
{
    int rc = 0;
    if (*open) {
        char *url = dd_asprintf("https://security-tracker.debian.org/tracker/%s", a->id);
        if (url == NULL || dd_strlist_push_str(&a->references, url) != 0)
            rc = dd_err_set(err, DD_ENOMEM, "debian dsa: out of memory");
        dd_free(url);
        if (rc == 0)
            rc = sink->put(sink->ctx, a, err);
    }
    dd_advisory_clear(a);
    *open = 0;
    return rc;
}

static int dsa_import(const uint8_t *buf, size_t len, const char *path, const dd_import_sink *sink,
                      dd_err *err)
{
    dd_advisory a;
    memset(&a, 0, sizeof(a));
    int open = 0, rc = 0, seen_header = 0;
    size_t pos = 0;
    while (pos < len) {
        const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - buf) : len;
        line l = {(const char *)buf + pos, end - pos, pos};
        pos = nl ? end + 1 : len;
        if (l.len > LINE_MAX_LEN) {
            rc = dd_err_set_at(err, DD_EINVALID, l.off, "debian dsa: line too long");
            goto out;
        }
        const char *s = l.p;
        size_t sl = l.len;
        trim(&s, &sl);
        if (sl == 0)
            continue;
        if (l.p[0] == '[') {
            const char *d, *id, *t;
            size_t dl, il, tl;
            if ((rc = dsa_flush(&a, &open, sink, err)) != 0)
                goto out;
            if (!parse_header(&l, &d, &dl, &id, &il, &t, &tl)) {
                if (!seen_header) {
                    rc = dd_err_set_at(err, DD_EINVALID, l.off, "debian dsa: not a DSA list");
                    goto out;
                }
                warn(sink, path, "debian dsa: malformed header line, record skipped");
                continue;
            }
            seen_header = 1;
            if ((a.id = dd_strndup(id, il)) == NULL ||
                (tl > 0 && (a.summary = dd_strndup(t, tl)) == NULL)) {
                rc = dd_err_set(err, DD_ENOMEM, "debian dsa: out of memory");
                goto out;
            }
            if (!parse_list_date(d, dl, &a.published_ms)) {
                a.published_ms = 0;
                warn(sink, path, "debian dsa: bad date ignored");
            }
            open = 1;
            continue;
        }
        if (!seen_header) {
            rc = dd_err_set_at(err, DD_EINVALID, l.off, "debian dsa: not a DSA list");
            goto out;
        }
        if (!open || !is_space(l.p[0]))
            continue; /* lines of a skipped record, or stray text */
        if (s[0] == '{')
            rc = dsa_cve_line(&a, s, sl, path, sink);
        else if (s[0] == '[')
            rc = dsa_release_line(&a, s, sl, path, sink);
        /* NOTE: lines and anything else carry no data for us */
        if (rc != 0) {
            dd_err_set(err, rc, "debian dsa: out of memory");
            goto out;
        }
    }
    if (!seen_header) {
        rc = dd_err_set(err, DD_EINVALID, "debian dsa: not a DSA list");
        goto out;
    }
    rc = dsa_flush(&a, &open, sink, err);
out:
    dd_advisory_clear(&a);
    return rc;
}

const dd_importer dd_importer_debian_dsa_list = {
    "debian-dsa-list",
    "debian-dsa",
    dsa_detect,
    dsa_import,
};
