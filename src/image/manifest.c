/* Manifest parsing: turns untrusted bytes (OCI image manifest or index, Docker schema 2 manifest or
 * manifest list) into a dd_manifest after checking the image-spec and distribution-spec rules the
 * registry enforces. jansson checks JSON syntax, UTF-8 and duplicate keys; this file checks the
 * nesting depth (before parsing), the media type, every descriptor and the limits. Errors carry the
 * byte offset of the offending value, found by walking the raw bytes along the JSON path. */
#include "image/manifest.h"
#include "util/alloc.h"
#include "util/digest.h"
#include "util/limits.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define MEDIA_TYPE_NAME_MAX 127 /* RFC 6838 4.2: restricted-name is at most 127 characters */
#define PATH_STEPS_MAX 16       /* deeper than any path this file reports */
#define ANNOTATIONS_FLAGS (JSON_COMPACT | JSON_SORT_KEYS)

/* The four manifest types, indexed by enum mt. */
enum mt { MT_NONE = -1, MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST, MT_DOCKER_LIST };
static const char *const known_types[] = {DD_MT_OCI_MANIFEST, DD_MT_OCI_INDEX,
                                          DD_MT_DOCKER_MANIFEST, DD_MT_DOCKER_LIST};

/* Where a value sits in the document: one step from its container, chained up to the root. Lives
 * on the C stack of the functions walking the tree. */
typedef struct loc {
    const struct loc *up;
    const json_t *container; /* object or array holding the value; NULL for the root */
    const char *key;         /* member name, or NULL for an array element */
    size_t index;            /* array index when key is NULL */
} loc;

typedef struct pctx {
    const uint8_t *buf;
    size_t len;
    dd_err *err;
} pctx;

/* ---- byte offsets: walk the raw JSON along a path (the input is valid JSON by then) ---- */

static size_t skip_ws(const uint8_t *b, size_t len, size_t p)
{
    while (p < len && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r'))
        p++;
    return p;
}

/* b[p] is the opening quote; returns the offset just past the closing quote. */
static size_t skip_string(const uint8_t *b, size_t len, size_t p)
{
    p++;
    while (p < len) {
        if (b[p] == '\\')
            p += 2;
        else if (b[p] == '"')
            return p + 1;
        else
            p++;
    }
    return len;
}

static size_t skip_value(const uint8_t *b, size_t len, size_t p)
{
    if (p >= len)
        return len;
    if (b[p] == '"')
        return skip_string(b, len, p);
    if (b[p] == '{' || b[p] == '[') {
        size_t depth = 0;
        while (p < len) {
            uint8_t ch = b[p];
            if (ch == '"') {
                p = skip_string(b, len, p);
                continue;
            }
            if (ch == '{' || ch == '[') {
                depth++;
            } else if (ch == '}' || ch == ']') {
                if (--depth == 0)
                    return p + 1;
            }
            p++;
        }
        return len;
    }
    while (p < len && b[p] != ',' && b[p] != '}' && b[p] != ']' && b[p] != ' ' && b[p] != '\t' &&
           b[p] != '\n' && b[p] != '\r')
        p++;
    return p;
}

/* Position of member `key` in an object (jansson keeps insertion order, and duplicates
 * are rejected, so it is also the textual order); SIZE_MAX if absent. */
static size_t member_index(const json_t *obj, const char *key)
{
    const char *k;
    json_t *v;
    size_t i = 0;
    json_object_foreach((json_t *)obj, k, v)
    {
        (void)v;
        if (strcmp(k, key) == 0)
            return i;
        i++;
    }
    return SIZE_MAX;
}

/* Turns the chain into root-first steps; returns how many (0, meaning the root, if too deep). */
static size_t path_steps(const loc *at, const loc *steps[PATH_STEPS_MAX])
{
    size_t n = 0;
    for (const loc *l = at; l != NULL && l->container != NULL; l = l->up)
        n++;
    if (n > PATH_STEPS_MAX)
        return 0;
    size_t i = n;
    for (const loc *l = at; l != NULL && l->container != NULL; l = l->up)
        steps[--i] = l;
    return n;
}

static size_t locate(const pctx *c, const loc *at)
{
    const loc *steps[PATH_STEPS_MAX] = {NULL};
    size_t n = path_steps(at, steps);
    const uint8_t *b = c->buf;
    size_t len = c->len;
    size_t p = skip_ws(b, len, 0);

    for (size_t s = 0; s < n; s++) {
        const loc *st = steps[s];
        size_t want = st->key != NULL ? member_index(st->container, st->key) : st->index;
        if (p >= len || want == SIZE_MAX || b[p] != (st->key != NULL ? '{' : '['))
            return p < len ? p : len;
        size_t open = p;
        p++;
        for (size_t i = 0;; i++) {
            p = skip_ws(b, len, p);
            if (st->key != NULL) {
                if (p >= len || b[p] != '"')
                    return open;
                p = skip_ws(b, len, skip_string(b, len, p));
                if (p >= len || b[p] != ':')
                    return open;
                p = skip_ws(b, len, p + 1);
            }
            if (i == want)
                break;
            p = skip_ws(b, len, skip_value(b, len, p));
            if (p >= len || b[p] != ',')
                return open;
            p++;
        }
    }
    return p < len ? p : len;
}

/* Appends the JSON path of `at` ("layers[2].digest") to out; untrusted keys are made printable. */
static void format_path(char *out, size_t out_len, const loc *at)
{
    const loc *steps[PATH_STEPS_MAX] = {NULL};
    size_t n = path_steps(at, steps);
    size_t used = 0;
    out[0] = '\0';
    for (size_t s = 0; s < n && used + 1 < out_len; s++) {
        int w;
        if (steps[s]->key != NULL) {
            char key[41];
            size_t k = 0;
            for (const char *q = steps[s]->key; *q != '\0' && k + 1 < sizeof(key); q++)
                key[k++] = (*q >= 0x20 && *q < 0x7f) ? *q : '?';
            key[k] = '\0';
            w = snprintf(out + used, out_len - used, "%s%s", s == 0 ? "" : ".", key);
        } else {
            w = snprintf(out + used, out_len - used, "[%zu]", steps[s]->index);
        }
        if (w < 0 || (size_t)w >= out_len - used)
            break;
        used += (size_t)w;
    }
}

/* Replaces anything outside printable ASCII, so a message is always one clean line. */
static void sanitize(char *s)
{
    for (; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
}

/* Records code with "<path>: <message>" and the byte offset of the value at `at`. */
static int fail(const pctx *c, const loc *at, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(const pctx *c, const loc *at, int code, const char *fmt, ...)
{
    if (c->err == NULL)
        return code;
    char path[96];
    char msg[DD_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    format_path(path, sizeof(path), at);
    sanitize(msg);
    return dd_err_set_at(c->err, code, locate(c, at), "%s%s%s", path, path[0] != '\0' ? ": " : "",
                         msg);
}

/* ---- media types ---- */

static char ascii_lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* Which of the four manifest types s[0..len) names exactly (or, with fold, ignoring ASCII case). */
static enum mt known_type(const char *s, size_t len, bool fold)
{
    for (int i = 0; i < (int)(sizeof(known_types) / sizeof(known_types[0])); i++) {
        const char *t = known_types[i];
        if (strlen(t) != len)
            continue;
        size_t j = 0;
        while (j < len && (fold ? ascii_lower(s[j]) == t[j] : s[j] == t[j]))
            j++;
        if (j == len)
            return (enum mt)i;
    }
    return MT_NONE;
}

/* A Content-Type header value: parameters after ';' and surrounding whitespace are dropped, type
 * and subtype compare case-insensitively (RFC 9110 8.3.1). */
static enum mt known_header_type(const char *ct)
{
    if (ct == NULL)
        return MT_NONE;
    size_t start = 0, end = 0;
    while (ct[end] != '\0' && ct[end] != ';')
        end++;
    while (start < end && (ct[start] == ' ' || ct[start] == '\t'))
        start++;
    while (end > start && (ct[end - 1] == ' ' || ct[end - 1] == '\t'))
        end--;
    return known_type(ct + start, end - start, true);
}

int dd_manifest_media_type_known(const char *media_type)
{
    return known_header_type(media_type) != MT_NONE;
}

/* RFC 6838 4.2 restricted-name. */
static bool restricted_name(const char *s, size_t len)
{
    if (len == 0 || len > MEDIA_TYPE_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        bool alnum =
            (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
        if (alnum)
            continue;
        if (i == 0 || ch == '\0' || strchr("!#$&-^_.+", ch) == NULL)
            return false;
    }
    return true;
}

/* type "/" subtype, both restricted names; no parameters. */
static bool media_type_valid(const char *s, size_t len)
{
    size_t slash = 0;
    while (slash < len && s[slash] != '/')
        slash++;
    if (slash == len)
        return false;
    return restricted_name(s, slash) && restricted_name(s + slash + 1, len - slash - 1);
}

/* ---- typed members ---- */

/* *s_out = the string member `key` of obj (NULL when absent and optional). */
static int get_string(const pctx *c, const loc *at, const json_t *obj, const char *key,
                      bool required, const char **s_out, size_t *len_out)
{
    json_t *v = json_object_get(obj, key);
    loc vl = {at, obj, key, 0};
    *s_out = NULL;
    *len_out = 0;
    if (v == NULL)
        return required ? fail(c, at, DD_EINVALID, "missing \"%s\"", key) : 0;
    if (!json_is_string(v))
        return fail(c, &vl, DD_EINVALID, "must be a string");
    *s_out = json_string_value(v);
    *len_out = json_string_length(v);
    return 0;
}

/* Copies the string member `key` (NULL when absent and optional); with media_type, it must be a
 * well-formed media type. */
static int copy_string(const pctx *c, const loc *at, const json_t *obj, const char *key,
                       bool required, bool media_type, char **out)
{
    const char *s;
    size_t len;
    int rc = get_string(c, at, obj, key, required, &s, &len);
    if (rc != 0 || s == NULL)
        return rc;
    if (media_type && !media_type_valid(s, len)) {
        loc vl = {at, obj, key, 0};
        return fail(c, &vl, DD_EINVALID, "not a valid media type (RFC 6838 type/subtype)");
    }
    *out = dd_strndup(s, len);
    return *out == NULL ? DD_ENOMEM : 0;
}

static int check_string_array(const pctx *c, const loc *at, const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    loc vl = {at, obj, key, 0};
    if (v == NULL)
        return 0;
    if (!json_is_array(v))
        return fail(c, &vl, DD_EINVALID, "must be an array of strings");
    for (size_t i = 0; i < json_array_size(v); i++) {
        loc el = {&vl, v, NULL, i};
        if (!json_is_string(json_array_get(v, i)))
            return fail(c, &el, DD_EINVALID, "must be a string");
    }
    return 0;
}

/* Annotations: an object of string values, kept as compact JSON with sorted keys. */
static int parse_annotations(const pctx *c, const loc *at, const json_t *obj, char **out)
{
    json_t *v = json_object_get(obj, "annotations");
    loc vl = {at, obj, "annotations", 0};
    const char *k;
    json_t *val;
    if (v == NULL)
        return 0;
    if (!json_is_object(v))
        return fail(c, &vl, DD_EINVALID, "must be an object");
    json_object_foreach(v, k, val)
    {
        loc kl = {&vl, v, k, 0};
        if (!json_is_string(val))
            return fail(c, &kl, DD_EINVALID, "annotation values must be strings");
    }
    size_t n = json_dumpb(v, NULL, 0, ANNOTATIONS_FLAGS);
    if (n == 0)
        return DD_ENOMEM;
    char *s = dd_malloc(n + 1);
    if (s == NULL)
        return DD_ENOMEM;
    if (json_dumpb(v, s, n, ANNOTATIONS_FLAGS) != n) {
        dd_free(s);
        return DD_ENOMEM;
    }
    s[n] = '\0';
    *out = s;
    return 0;
}

static int parse_platform(const pctx *c, const loc *at, const json_t *desc, dd_descriptor *d)
{
    json_t *p = json_object_get(desc, "platform");
    loc pl = {at, desc, "platform", 0};
    int rc = 0;
    if (p == NULL)
        goto out;
    if (!json_is_object(p)) {
        rc = fail(c, &pl, DD_EINVALID, "must be an object");
        goto out;
    }
    if ((rc = copy_string(c, &pl, p, "architecture", true, false, &d->platform_arch)) != 0 ||
        (rc = copy_string(c, &pl, p, "os", true, false, &d->platform_os)) != 0 ||
        (rc = copy_string(c, &pl, p, "variant", false, false, &d->platform_variant)) != 0)
        goto out;
    const char *s;
    size_t len;
    if ((rc = get_string(c, &pl, p, "os.version", false, &s, &len)) != 0 ||
        (rc = check_string_array(c, &pl, p, "os.features")) != 0 ||
        (rc = check_string_array(c, &pl, p, "features")) != 0)
        goto out;
out:
    return rc;
}

/* OCI descriptor (descriptor.md), also the shape of every Docker schema 2 reference. */
static int parse_descriptor(const pctx *c, const loc *at, const json_t *obj, dd_descriptor *d)
{
    int rc = 0;
    const char *s;
    size_t len;
    dd_err derr = DD_ERR_INIT;

    if (!json_is_object(obj)) {
        rc = fail(c, at, DD_EINVALID, "descriptor must be an object");
        goto out;
    }
    if ((rc = copy_string(c, at, obj, "mediaType", true, true, &d->media_type)) != 0)
        goto out;

    if ((rc = get_string(c, at, obj, "digest", true, &s, &len)) != 0)
        goto out;
    if ((rc = dd_digest_validate(s, len, &derr)) != 0) {
        loc vl = {at, obj, "digest", 0};
        rc = fail(c, &vl, rc, "%s", derr.msg);
        goto out;
    }
    if ((d->digest = dd_strndup(s, len)) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }

    json_t *size = json_object_get(obj, "size");
    loc sl = {at, obj, "size", 0};
    if (size == NULL) {
        rc = fail(c, at, DD_EINVALID, "missing \"size\"");
        goto out;
    }
    if (!json_is_integer(size) || json_integer_value(size) < 0) {
        rc = fail(c, &sl, DD_EINVALID, "size must be a non-negative integer");
        goto out;
    }
    d->size = (uint64_t)json_integer_value(size);

    if ((rc = copy_string(c, at, obj, "artifactType", false, true, &d->artifact_type)) != 0 ||
        (rc = check_string_array(c, at, obj, "urls")) != 0 ||
        (rc = get_string(c, at, obj, "data", false, &s, &len)) != 0 ||
        (rc = parse_annotations(c, at, obj, &d->annotations_json)) != 0 ||
        (rc = parse_platform(c, at, obj, d)) != 0)
        goto out;
out:
    return rc;
}

/* Parses the array member `key` of root into a fresh array of descriptors. */
static int parse_descriptor_array(const pctx *c, const loc *at, const json_t *root, const char *key,
                                  dd_descriptor **out, size_t *n_out)
{
    json_t *arr = json_object_get(root, key);
    loc al = {at, root, key, 0};
    size_t n = json_array_size(arr);
    int rc = 0;

    if ((*out = dd_calloc(n, sizeof(**out))) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    *n_out = n;
    for (size_t i = 0; i < n; i++) {
        loc el = {&al, arr, NULL, i};
        if ((rc = parse_descriptor(c, &el, json_array_get(arr, i), &(*out)[i])) != 0)
            goto out;
    }
out:
    return rc;
}

/* ---- the document ---- */

/* Rejects nesting deeper than DD_LIMIT_JSON_DEPTH before jansson recurses into it. Exact for valid
 * JSON; anything it miscounts on invalid JSON is rejected by jansson anyway. */
static int check_depth(const pctx *c)
{
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < c->len; i++) {
        uint8_t ch = c->buf[i];
        if (in_string) {
            if (ch == '\\')
                i++;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '{' || ch == '[') {
            if (++depth > DD_LIMIT_JSON_DEPTH)
                return dd_err_set_at(c->err, DD_EINVALID, i, "JSON nested deeper than %d",
                                     DD_LIMIT_JSON_DEPTH);
        } else if ((ch == '}' || ch == ']') && depth > 0) {
            depth--;
        }
    }
    return 0;
}

/* The effective media type: Content-Type when it names a manifest type, else the body's mediaType,
 * else inferred from the members present. */
static int choose_media_type(const pctx *c, const loc *root_loc, const json_t *root,
                             const char *content_type, enum mt *out)
{
    const char *body;
    size_t body_len;
    enum mt from_header = known_header_type(content_type);
    loc ml = {root_loc, root, "mediaType", 0};
    int rc = get_string(c, root_loc, root, "mediaType", false, &body, &body_len);
    if (rc != 0)
        return rc;
    enum mt from_body = body != NULL ? known_type(body, body_len, false) : MT_NONE;

    if (from_header != MT_NONE) {
        if (body != NULL && from_body != from_header)
            return fail(c, &ml, DD_EINVALID, "mediaType does not match Content-Type %s",
                        known_types[from_header]);
        *out = from_header;
        return 0;
    }
    if (body != NULL) {
        if (from_body == MT_NONE)
            return fail(c, &ml, DD_EUNSUPPORTED, "not a supported manifest media type");
        *out = from_body;
        return 0;
    }
    bool image = json_object_get(root, "config") != NULL || json_object_get(root, "layers") != NULL;
    bool index = json_object_get(root, "manifests") != NULL;
    if (image == index)
        return fail(c, root_loc, DD_EINVALID,
                    "no mediaType, and neither config/layers nor manifests tell the type");
    *out = image ? MT_OCI_MANIFEST : MT_OCI_INDEX;
    return 0;
}

static int parse_root(const pctx *c, dd_manifest *m, const json_t *root, const char *content_type)
{
    loc rl = {NULL, NULL, NULL, 0};
    enum mt mt = MT_NONE;
    int rc = 0;

    json_t *sv = json_object_get(root, "schemaVersion");
    loc svl = {&rl, root, "schemaVersion", 0};
    if (sv == NULL) {
        rc = fail(c, &rl, DD_EINVALID, "missing \"schemaVersion\"");
        goto out;
    }
    if (!json_is_integer(sv)) {
        rc = fail(c, &svl, DD_EINVALID, "must be an integer");
        goto out;
    }
    if (json_integer_value(sv) == 1) {
        rc = fail(c, &svl, DD_EUNSUPPORTED, "schema 1 manifests are not supported");
        goto out;
    }
    if (json_integer_value(sv) != 2) {
        rc = fail(c, &svl, DD_EINVALID, "must be 2");
        goto out;
    }

    if ((rc = choose_media_type(c, &rl, root, content_type, &mt)) != 0)
        goto out;
    bool image = mt == MT_OCI_MANIFEST || mt == MT_DOCKER_MANIFEST;
    m->kind = image ? DD_MANIFEST_IMAGE : DD_MANIFEST_INDEX;
    if ((m->media_type = dd_strdup(known_types[mt])) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }

    /* A document that reads as both a manifest and an index is refused (CVE-2021-41190). */
    const char *wrong = image ? (json_object_get(root, "manifests") != NULL ? "manifests" : NULL)
                              : (json_object_get(root, "config") != NULL   ? "config"
                                 : json_object_get(root, "layers") != NULL ? "layers"
                                                                           : NULL);
    if (wrong != NULL) {
        loc wl = {&rl, root, wrong, 0};
        rc = fail(c, &wl, DD_EINVALID, "not allowed in %s", image ? "a manifest" : "an index");
        goto out;
    }

    const char *list_key = image ? "layers" : "manifests";
    json_t *list = json_object_get(root, list_key);
    loc ll = {&rl, root, list_key, 0};
    json_t *config = json_object_get(root, "config");
    json_t *subject = json_object_get(root, "subject");
    if (image && config == NULL) {
        rc = fail(c, &rl, DD_EINVALID, "missing \"config\"");
        goto out;
    }
    if (list == NULL) {
        rc = fail(c, &rl, DD_EINVALID, "missing \"%s\"", list_key);
        goto out;
    }
    if (!json_is_array(list)) {
        rc = fail(c, &ll, DD_EINVALID, "must be an array");
        goto out;
    }
    size_t n = json_array_size(list) + (image ? 1 : 0) + (subject != NULL ? 1 : 0);
    if (n > DD_LIMIT_MANIFEST_DESCRIPTORS) {
        rc = fail(c, &ll, DD_EINVALID, "too many descriptors (%zu, limit %d)", n,
                  DD_LIMIT_MANIFEST_DESCRIPTORS);
        goto out;
    }
    if (mt == MT_DOCKER_MANIFEST && json_array_size(list) == 0) {
        rc = fail(c, &ll, DD_EINVALID, "a Docker schema 2 manifest needs at least one layer");
        goto out;
    }

    if ((rc = copy_string(c, &rl, root, "artifactType", false, true, &m->artifact_type)) != 0 ||
        (rc = parse_annotations(c, &rl, root, &m->annotations_json)) != 0)
        goto out;

    if (image) {
        loc cl = {&rl, root, "config", 0};
        if ((rc = parse_descriptor(c, &cl, config, &m->config)) != 0 ||
            (rc = parse_descriptor_array(c, &rl, root, "layers", &m->layers, &m->n_layers)) != 0)
            goto out;
    } else if ((rc = parse_descriptor_array(c, &rl, root, "manifests", &m->manifests,
                                            &m->n_manifests)) != 0) {
        goto out;
    }

    if (subject != NULL) {
        loc sl = {&rl, root, "subject", 0};
        if ((m->subject = dd_calloc(1, sizeof(*m->subject))) == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        if ((rc = parse_descriptor(c, &sl, subject, m->subject)) != 0)
            goto out;
    }

    /* distribution-spec referrers: artifactType, else config.mediaType of an image manifest. */
    if (m->artifact_type == NULL && image &&
        (m->artifact_type = dd_strdup(m->config.media_type)) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
out:
    return rc;
}

int dd_manifest_parse(dd_manifest **out, const uint8_t *buf, size_t len, const char *content_type,
                      dd_err *err)
{
    pctx c = {buf, len, err};
    json_t *root = NULL;
    dd_manifest *m = NULL;
    json_error_t jerr;
    int rc = 0;

    *out = NULL;
    if (len == 0) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "empty manifest");
        goto out;
    }
    if (len > DD_LIMIT_MANIFEST_MAX) {
        rc = dd_err_set_at(err, DD_EINVALID, DD_LIMIT_MANIFEST_MAX, "manifest larger than %u bytes",
                           DD_LIMIT_MANIFEST_MAX);
        goto out;
    }
    if ((rc = check_depth(&c)) != 0)
        goto out;
    root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        if (json_error_code(&jerr) == json_error_out_of_memory) {
            rc = DD_ENOMEM;
            goto out;
        }
        sanitize(jerr.text);
        rc = dd_err_set_at(err, DD_EINVALID, jerr.position, "invalid JSON: %s", jerr.text);
        goto out;
    }
    if (!json_is_object(root)) {
        rc = dd_err_set_at(err, DD_EINVALID, 0, "manifest must be a JSON object");
        goto out;
    }
    if ((m = dd_calloc(1, sizeof(*m))) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if ((rc = parse_root(&c, m, root, content_type)) != 0)
        goto out;
    *out = m;
    m = NULL;
out:
    json_decref(root);
    dd_manifest_free(m);
    return rc;
}

static void descriptor_clear(dd_descriptor *d)
{
    dd_free(d->media_type);
    dd_free(d->digest);
    dd_free(d->artifact_type);
    dd_free(d->platform_os);
    dd_free(d->platform_arch);
    dd_free(d->platform_variant);
    dd_free(d->annotations_json);
}

void dd_manifest_free(dd_manifest *m)
{
    if (m == NULL)
        return;
    dd_free(m->media_type);
    dd_free(m->artifact_type);
    dd_free(m->annotations_json);
    descriptor_clear(&m->config);
    for (size_t i = 0; i < m->n_layers; i++)
        descriptor_clear(&m->layers[i]);
    dd_free(m->layers);
    for (size_t i = 0; i < m->n_manifests; i++)
        descriptor_clear(&m->manifests[i]);
    dd_free(m->manifests);
    if (m->subject != NULL)
        descriptor_clear(m->subject);
    dd_free(m->subject);
    dd_free(m);
}
