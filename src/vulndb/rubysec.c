/* Importer for RubySec (rubysec/ruby-advisory-db gems/<gem>/<id>.yml, read with libyaml's
 * document API). The advisory lists patched_versions and unaffected_versions as RubyGems
 * requirements; the affected set is everything that matches none of them, computed here as the
 * gaps between the merged requirement intervals (ordered with dd_vers_rubygems_cmp) and written
 * as one OSV ECOSYSTEM range. */
#include "vulndb/import.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "version/version.h"

#include <string.h>
#include <yaml.h>

#define JSON_OUT_MAX (64u * 1024u)
#define VER_MAX 128
#define REQS_MAX 64 /* requirement strings per advisory */
#define PARTS_MAX 8 /* constraints per requirement string */
#define FIELD_MAX 256

/* A bound: unset (infinite) or a version, inclusive or not. */
typedef struct bound {
    int set;
    int incl;
    char v[VER_MAX + 2];
} bound;

typedef struct ival {
    bound lo, hi;
} ival;

static int vcmp(const char *a, const char *b, int *out)
{
    dd_err e = DD_ERR_INIT;
    return dd_vers_rubygems_cmp(a, b, out, &e) == 0;
}

/* "~> 1.2.3" upper bound, as Gem::Version#bump: keep the numeric segments before the first
 * letter (prerelease), drop the last one when more than one remains, increment the new last.
 * Numbers are incremented as decimal strings (no overflow). */
static int gem_bump(char *out, size_t cap, const char *v)
{
    size_t seg_start[VER_MAX], seg_len[VER_MAX], n = 0, i = 0, len = strlen(v);
    while (i < len && n < VER_MAX) {
        size_t st = i;
        while (i < len && v[i] >= '0' && v[i] <= '9')
            i++;
        if (i == st)
            break; /* a letter or '-' starts the prerelease */
        seg_start[n] = st;
        seg_len[n++] = i - st;
        if (i < len && v[i] != '.')
            break;
        i++;
    }
    if (n == 0)
        return 0;
    if (n > 1)
        n--;
    size_t o = 0;
    for (size_t k = 0; k < n; k++) {
        if (o + seg_len[k] + 3 >= cap)
            return 0;
        if (k > 0)
            out[o++] = '.';
        memcpy(out + o, v + seg_start[k], seg_len[k]);
        o += seg_len[k];
    }
    size_t last = o - seg_len[n - 1], j = o;
    while (j > last && out[j - 1] == '9')
        out[--j] = '0';
    if (j == last) {
        memmove(out + last + 1, out + last, o - last);
        out[last] = '1';
        o++;
    } else {
        out[j - 1]++;
    }
    out[o] = '\0';
    return 1;
}

static int set_bound(bound *b, const char *v, size_t len, int incl)
{
    if (len == 0 || len > VER_MAX)
        return 0;
    memcpy(b->v, v, len);
    b->v[len] = '\0';
    b->set = 1;
    b->incl = incl;
    int c;
    return vcmp(b->v, b->v, &c); /* validates */
}

/* Tightens iv with a lower (is_lo) or upper bound b. */
static int tighten(ival *iv, const bound *b, int is_lo)
{
    bound *cur = is_lo ? &iv->lo : &iv->hi;
    if (!cur->set) {
        *cur = *b;
        return 1;
    }
    int c;
    if (!vcmp(b->v, cur->v, &c))
        return 0;
    if ((is_lo && c > 0) || (!is_lo && c < 0) || (c == 0 && !b->incl))
        *cur = *b;
    return 1;
}

/* One constraint of a requirement into the interval. */
static int constraint(void *ctx, const char *op, size_t ol, const char *v, size_t vl)
{
    ival *iv = ctx;
    bound bd;
    for (size_t k = 0; k < vl; k++)
        if (v[k] == ' ' || v[k] == '\t')
            return 0;
#define OP(x) (ol == sizeof(x) - 1 && memcmp(op, x, ol) == 0)
    if (ol == 0 || OP("=")) {
        if (!set_bound(&bd, v, vl, 1) || !tighten(iv, &bd, 1) || !tighten(iv, &bd, 0))
            return 0;
    } else if (OP(">=") || OP(">")) {
        if (!set_bound(&bd, v, vl, OP(">=")) || !tighten(iv, &bd, 1))
            return 0;
    } else if (OP("<=") || OP("<")) {
        if (!set_bound(&bd, v, vl, OP("<=")) || !tighten(iv, &bd, 0))
            return 0;
    } else if (OP("~>")) {
        char up[VER_MAX + 2];
        if (!set_bound(&bd, v, vl, 1) || !tighten(iv, &bd, 1))
            return 0;
        if (!gem_bump(up, sizeof(up), bd.v) || !set_bound(&bd, up, strlen(up), 0) ||
            !tighten(iv, &bd, 0))
            return 0;
    } else {
        return 0; /* "!=" and unknown operators */
    }
#undef OP
    return 1;
}

/* Parses "~> 1.2.3, >= 1.2.4" into *iv; 0 when malformed. *empty set when nothing matches. */
static int parse_req(const char *s, ival *iv, int *empty)
{
    memset(iv, 0, sizeof(*iv));
    *empty = 0;
    if (!dd_import_req_split(s, "~><=!", PARTS_MAX, constraint, iv))
        return 0;
    if (iv->lo.set && iv->hi.set) {
        int c;
        if (!vcmp(iv->lo.v, iv->hi.v, &c))
            return 0;
        *empty = c > 0 || (c == 0 && !(iv->lo.incl && iv->hi.incl));
    }
    return 1;
}

/* lo(a) < lo(b), with an unset lower bound first. */
static int lo_less(const ival *a, const ival *b, int *out)
{
    if (!a->lo.set || !b->lo.set) {
        *out = !a->lo.set && b->lo.set;
        return 1;
    }
    int c;
    if (!vcmp(a->lo.v, b->lo.v, &c))
        return 0;
    *out = c < 0 || (c == 0 && a->lo.incl && !b->lo.incl);
    return 1;
}

static int event(dd_buf *b, int *first, const char *kind, const char *v)
{
    int rc = dd_buf_printf(b, "%s{\"%s\":\"", *first ? "" : ",", kind);
    *first = 0;
    if (rc == 0)
        rc = dd_buf_append_json_escaped(b, v, strlen(v));
    if (rc == 0)
        rc = dd_buf_append_str(b, "\"}");
    return rc;
}

/* The gaps between the intervals as OSV events; 0 = ok, DD_EINVALID, DD_ENOMEM. Sets *has_fix
 * and counts gaps whose start had to be widened by one version (*approx). */
static int gaps_to_osv(char **out, ival *iv, size_t n, int *has_fix, int *approx)
{
    dd_buf b = DD_BUF_INIT(JSON_OUT_MAX);
    int rc = 0, first = 1, less;
    *has_fix = 0;
    *approx = 0;
    /* insertion sort by lower bound (n is small; comparisons can fail) */
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0; j--) {
            if (!lo_less(&iv[j], &iv[j - 1], &less))
                return DD_EINVALID;
            if (!less)
                break;
            ival t = iv[j];
            iv[j] = iv[j - 1];
            iv[j - 1] = t;
        }
    /* a lower bound at or below "0" is no bound */
    for (size_t i = 0; i < n; i++) {
        int c;
        if (iv[i].lo.set && vcmp(iv[i].lo.v, "0", &c) && c <= 0)
            iv[i].lo.set = 0;
    }
    if ((rc = dd_buf_append_str(&b, "[{\"type\":\"ECOSYSTEM\",\"events\":[")) != 0)
        goto out;
    bound reach = {0};
    int reach_inf = 0;
    if (n == 0) {
        rc = event(&b, &first, "introduced", "0");
        goto close;
    }
    if (iv[0].lo.set) {
        if ((rc = event(&b, &first, "introduced", "0")) != 0 ||
            (rc = event(&b, &first, iv[0].lo.incl ? "fixed" : "last_affected", iv[0].lo.v)) != 0)
            goto out;
        *has_fix |= iv[0].lo.incl;
    }
    reach = iv[0].hi;
    reach_inf = !iv[0].hi.set;
    for (size_t i = 1; i < n && !reach_inf; i++) {
        int c = -1;
        if (iv[i].lo.set && !vcmp(iv[i].lo.v, reach.v, &c)) {
            rc = DD_EINVALID;
            goto out;
        }
        if (!iv[i].lo.set || c < 0 || (c == 0 && (iv[i].lo.incl || reach.incl))) {
            /* overlaps or touches: extend */
            if (!iv[i].hi.set) {
                reach_inf = 1;
            } else {
                if (!vcmp(iv[i].hi.v, reach.v, &c)) {
                    rc = DD_EINVALID;
                    goto out;
                }
                if (c > 0 || (c == 0 && iv[i].hi.incl))
                    reach = iv[i].hi;
            }
            continue;
        }
        /* a gap (reach, lo): OSV "introduced" is inclusive, so a gap after an inclusive upper
         * bound ("<= 1.0") starts one version early. */
        *approx += reach.incl;
        if ((rc = event(&b, &first, "introduced", reach.v)) != 0 ||
            (rc = event(&b, &first, iv[i].lo.incl ? "fixed" : "last_affected", iv[i].lo.v)) != 0)
            goto out;
        *has_fix |= iv[i].lo.incl;
        reach = iv[i].hi;
        reach_inf = !iv[i].hi.set;
    }
    if (!reach_inf) {
        *approx += reach.incl;
        if ((rc = event(&b, &first, "introduced", reach.v)) != 0)
            goto out;
    }
    if (first) {
        /* everything is patched or unaffected: no range */
        dd_buf_free(&b);
        *out = NULL;
        return 0;
    }
close:
    if (rc == 0)
        rc = dd_buf_append_str(&b, "]}]");
    if (rc == 0 && (*out = dd_buf_take(&b)) == NULL)
        rc = DD_ENOMEM;
out:
    dd_buf_free(&b);
    return rc;
}

/* ---- YAML helpers -------------------------------------------------------------------------- */

static yaml_node_t *yget(yaml_document_t *d, yaml_node_t *m, const char *key)
{
    if (m == NULL || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(d, p->key);
        if (k != NULL && k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(key) &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return yaml_document_get_node(d, p->value);
    }
    return NULL;
}

static const char *ys(yaml_node_t *n)
{
    if (n == NULL || n->type != YAML_SCALAR_NODE)
        return NULL;
    const char *s = (const char *)n->data.scalar.value;
    return strlen(s) == n->data.scalar.length && s[0] != '\0' ? s : NULL;
}

/* An id part: letters, digits, '-', '.', 1..64 bytes. */
static int idpart_ok(const char *s)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > 64)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '_'))
            return 0;
    }
    return 1;
}

static int has(const dd_strlist *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->items[i], s) == 0)
            return 1;
    return 0;
}

/* "6.3" -> 6.3 within [0, 10]. */
static int parse_score(const char *s, double *out)
{
    if (s == NULL)
        return 0;
    size_t i = 0;
    int ip = 0, digits = 0;
    while (s[i] >= '0' && s[i] <= '9' && digits < 3) {
        ip = ip * 10 + (s[i++] - '0');
        digits++;
    }
    if (digits == 0)
        return 0;
    double v = ip, scale = 0.1;
    if (s[i] == '.') {
        i++;
        int fd = 0;
        while (s[i] >= '0' && s[i] <= '9' && fd < 3) {
            v += (s[i++] - '0') * scale;
            scale /= 10;
            fd++;
        }
        if (fd == 0)
            return 0;
    }
    if (s[i] != '\0' || v > 10.0)
        return 0;
    *out = v;
    return 1;
}

static const char *score_rating(dd_sev_type t, double s)
{
    if (t == DD_SEV_CVSS_V2)
        return s < 4.0 ? "LOW" : s < 7.0 ? "MEDIUM" : "HIGH";
    if (s == 0.0)
        return "NONE";
    return s < 4.0 ? "LOW" : s < 7.0 ? "MEDIUM" : s < 9.0 ? "HIGH" : "CRITICAL";
}

/* RubySec gives CVSS base scores, not vectors: the severity has no vector and its score and
 * rating set here. */
static int add_score(dd_advisory *a, dd_sev_type t, const char *text, int *bad)
{
    double s;
    if (text == NULL)
        return 0;
    if (!parse_score(text, &s)) {
        (*bad)++;
        return 0;
    }
    int rc = dd_advisory_add_severity(a, t, "rubysec", NULL);
    if (rc != 0)
        return rc;
    dd_severity *sv = &a->severities[a->n_severities - 1];
    sv->score = s;
    if ((sv->rating = dd_strdup(score_rating(t, s))) == NULL)
        return DD_ENOMEM;
    return 0;
}

/* Appends the requirement strings of a list to iv[*n..] (room for 2 * REQS_MAX). */
static int read_reqs(yaml_document_t *d, yaml_node_t *seq, ival *iv, size_t *n)
{
    if (seq == NULL || (seq->type == YAML_SCALAR_NODE && ys(seq) == NULL))
        return 1;
    if (seq->type != YAML_SEQUENCE_NODE)
        return 0;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        const char *r = ys(yaml_document_get_node(d, *it));
        int empty;
        if (r == NULL || *n >= 2 * REQS_MAX || strlen(r) > FIELD_MAX ||
            !parse_req(r, &iv[*n], &empty))
            return 0;
        if (!empty)
            (*n)++;
    }
    return 1;
}

static void warn(const dd_import_sink *sink, const char *path, const char *msg)
{
    if (sink->warn != NULL)
        sink->warn(sink->ctx, path, msg);
}

static int rubysec_detect(const char *path, const uint8_t *head, size_t head_len)
{
    if (path != NULL) {
        size_t n = strlen(path);
        if (!((n > 4 && strcmp(path + n - 4, ".yml") == 0) ||
              (n > 5 && strcmp(path + n - 5, ".yaml") == 0)))
            return 0;
    }
    if (memmem(head, head_len, "distroversion", 13) != NULL)
        return 0;
    return (head_len >= 4 && memcmp(head, "gem:", 4) == 0) ||
           memmem(head, head_len, "\ngem:", 5) != NULL;
}

static int rubysec_import(const uint8_t *buf, size_t len, const char *path,
                          const dd_import_sink *sink, dd_err *err)
{
    int rc = 0, have_doc = 0;
    yaml_parser_t parser;
    yaml_document_t doc;
    dd_advisory a;
    memset(&a, 0, sizeof(a));
    char *ids[4] = {NULL, NULL, NULL, NULL}; /* CVE, GHSA, OSVDB, file id */
    char *ranges = NULL;
    ival iv[2 * REQS_MAX];
    size_t n_iv = 0;

    if (!yaml_parser_initialize(&parser))
        return dd_err_set(err, DD_ENOMEM, "rubysec: out of memory");
    yaml_parser_set_input_string(&parser, buf, len);
    if (!yaml_parser_load(&parser, &doc)) {
        rc = dd_err_set_at(err, parser.error == YAML_MEMORY_ERROR ? DD_ENOMEM : DD_EINVALID,
                           parser.problem_mark.index, "rubysec: %s",
                           parser.problem ? parser.problem : "YAML error");
        goto out;
    }
    have_doc = 1;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    const char *gem = ys(yget(&doc, root, "gem"));
    if (root == NULL || root->type != YAML_MAPPING_NODE || yget(&doc, root, "gem") == NULL) {
        rc = dd_err_set(err, DD_EINVALID, "rubysec: not an advisory (no gem:)");
        goto out;
    }
    if (gem == NULL || !idpart_ok(gem)) {
        warn(sink, path, "rubysec: bad gem name, record skipped");
        goto out;
    }
    const char *cve = ys(yget(&doc, root, "cve")), *ghsa = ys(yget(&doc, root, "ghsa"));
    const char *osvdb = ys(yget(&doc, root, "osvdb"));
    if ((cve && !idpart_ok(cve)) || (ghsa && !idpart_ok(ghsa)) || (osvdb && !idpart_ok(osvdb))) {
        warn(sink, path, "rubysec: bad cve/ghsa/osvdb, record skipped");
        goto out;
    }
    if ((cve && (ids[0] = dd_asprintf("CVE-%s", cve)) == NULL) ||
        (ghsa && (ids[1] = dd_asprintf("GHSA-%s", ghsa)) == NULL) ||
        (osvdb && (ids[2] = dd_asprintf("OSVDB-%s", osvdb)) == NULL))
        goto nomem;
    if (path != NULL) {
        const char *slash = strrchr(path, '/');
        const char *base = slash ? slash + 1 : path;
        size_t bl = strlen(base);
        const char *dot = strrchr(base, '.');
        if (dot != NULL)
            bl = (size_t)(dot - base);
        if (bl > 0 && bl <= 64 && (ids[3] = dd_strndup(base, bl)) != NULL && !idpart_ok(ids[3])) {
            dd_free(ids[3]);
            ids[3] = NULL;
        }
    }
    for (int i = 0; i < 4; i++) {
        if (ids[i] == NULL)
            continue;
        if (a.id == NULL) {
            a.id = ids[i];
            ids[i] = NULL;
        } else if (strcmp(a.id, ids[i]) != 0 && !has(&a.aliases, ids[i]) &&
                   dd_strlist_push_str(&a.aliases, ids[i]) != 0) {
            goto nomem;
        }
    }
    if (a.id == NULL) {
        warn(sink, path, "rubysec: advisory without any id, record skipped");
        goto out;
    }
    if (!read_reqs(&doc, yget(&doc, root, "patched_versions"), iv, &n_iv) ||
        !read_reqs(&doc, yget(&doc, root, "unaffected_versions"), iv, &n_iv)) {
        warn(sink, path, "rubysec: unsupported version requirement, record skipped");
        goto out;
    }
    int has_fix = 0, approx = 0;
    if ((rc = gaps_to_osv(&ranges, iv, n_iv, &has_fix, &approx)) != 0) {
        if (rc == DD_ENOMEM)
            goto nomem;
        rc = 0;
        warn(sink, path, "rubysec: versions do not compare, record skipped");
        goto out;
    }
    if (approx > 0)
        warn(sink, path, "rubysec: range after a \"<=\" bound starts at that version");
    const char *title = ys(yget(&doc, root, "title")), *desc = ys(yget(&doc, root, "description"));
    if ((title && (a.summary = dd_strdup(title)) == NULL) ||
        (desc && (a.details = dd_strdup(desc)) == NULL))
        goto nomem;
    const char *date = ys(yget(&doc, root, "date"));
    if (date != NULL && dd_import_parse_time(date, &a.published_ms) != 0) {
        a.published_ms = 0;
        warn(sink, path, "rubysec: bad date ignored");
    }
    int bad = 0;
    if ((rc = add_score(&a, DD_SEV_CVSS_V2, ys(yget(&doc, root, "cvss_v2")), &bad)) != 0 ||
        (rc = add_score(&a, DD_SEV_CVSS_V3, ys(yget(&doc, root, "cvss_v3")), &bad)) != 0 ||
        (rc = add_score(&a, DD_SEV_CVSS_V4, ys(yget(&doc, root, "cvss_v4")), &bad)) != 0)
        goto nomem;
    if (bad)
        warn(sink, path, "rubysec: bad CVSS score ignored");
    const char *url = ys(yget(&doc, root, "url"));
    if (url && strlen(url) <= 2048 && dd_strlist_push_str(&a.references, url) != 0)
        goto nomem;
    yaml_node_t *rel = yget(&doc, yget(&doc, root, "related"), "url");
    if (rel != NULL && rel->type == YAML_SEQUENCE_NODE)
        for (yaml_node_item_t *it = rel->data.sequence.items.start;
             it < rel->data.sequence.items.top; it++) {
            const char *u = ys(yaml_document_get_node(&doc, *it));
            if (u && strlen(u) <= 2048 && !has(&a.references, u) &&
                dd_strlist_push_str(&a.references, u) != 0)
                goto nomem;
        }
    if (ranges != NULL &&
        dd_advisory_add_affected(&a, "RubyGems", gem, ranges, NULL,
                                 has_fix ? DD_FIX_FIXED : DD_FIX_UNKNOWN, NULL) != 0)
        goto nomem;
    rc = sink->put(sink->ctx, &a, err);
    goto out;
nomem:
    rc = dd_err_set(err, DD_ENOMEM, "rubysec: out of memory");
out:
    for (int i = 0; i < 4; i++)
        dd_free(ids[i]);
    dd_free(ranges);
    dd_advisory_clear(&a);
    if (have_doc)
        yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return rc;
}

const dd_importer dd_importer_rubysec = {
    "rubysec",
    "rubysec",
    rubysec_detect,
    rubysec_import,
};
