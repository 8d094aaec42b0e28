/* Scan targets (oci:, docker-archive:, dir:, registry:): parses the target, finds the image
 * manifest (choosing a platform in an index), reads and checks the config, and lists the layers
 * with their digests and diff_ids; gives the layer reader the blobs (file descriptors, or the
 * members of a docker-archive in a second pass over the archive). */
#include "image/source.h"
#include "db/db.h"
#include "image/manifest.h"
#include "image/reference.h"
#include "image/rootfs.h"
#include "store/store.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/digest.h"
#include "util/limits.h"
#include "util/strlist.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_ARCHIVE_LAYER "application/vnd.docker.image.rootfs.diff.tar"
#define REF_NAME "org.opencontainers.image.ref.name"
#define PLATFORM_PART_MAX 64
#define ARCHIVE_BLOCK (1u << 20)
#define LIST_MAX 200 /* bytes of a "choose one of" list in an error message */

typedef struct amember {
    char *name;
    char *link; /* symlink or hard link: the member it points to (normalised); NULL otherwise */
    uint64_t size;
    uint8_t *data; /* small JSON members buffered in the first pass */
    size_t len;
} amember;

struct dd_image {
    dd_image_info info;
    char *path; /* OCI layout directory, archive file, rootfs directory or data directory */
    char *manifest_digest, *manifest_media_type, *index_digest, *config_digest;
    char *os, *arch, *variant, *platform;
    dd_image_layer *layers;
    size_t n_layers;
    dd_strlist tags;
    /* platform asked for */
    char want_os[PLATFORM_PART_MAX], want_arch[PLATFORM_PART_MAX], want_variant[PLATFORM_PART_MAX];
    /* docker-archive */
    amember *members;
    size_t n_members, cap_members;
    size_t json_total;
    char **layer_member; /* per layer: the regular member holding it */
    int *layer_verify;   /* per layer: 1 or 2 (see dd_image_archive_layers) */
    /* registry */
    dd_store *store;
    dd_db *db;
    char *repo;
};

static const char *nz(const char *s)
{
    return s ? s : "";
}

/* ---- small helpers ----------------------------------------------------------------------- */

/* Appends s to a comma-separated list kept short enough for an error message. */
static void list_add(dd_buf *b, const char *s)
{
    if (b->len >= LIST_MAX)
        return;
    if ((b->len > 0 && dd_buf_append_str(b, ", ") != 0) || dd_buf_append_str(b, s) != 0)
        return;
    if (b->len >= LIST_MAX && dd_buf_append_str(b, ", ...") != 0)
        return;
}

/* Reads a whole file of at most max bytes. */
static int read_file(const char *path, size_t max, uint8_t **out, size_t *out_len, dd_err *err)
{
    int rc = 0;
    uint8_t *buf = NULL;
    struct stat st;
    *out = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dd_err_errno(err, errno, path);
    if (fstat(fd, &st) != 0) {
        rc = dd_err_errno(err, errno, path);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = dd_err_set(err, DD_EINVALID, "%s: not a regular file", path);
        goto out;
    }
    if ((uint64_t)st.st_size > max) {
        rc = dd_err_set(err, DD_ELIMIT, "%s: larger than %zu bytes", path, max);
        goto out;
    }
    size_t len = (size_t)st.st_size, got = 0;
    if ((buf = dd_malloc(len)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = dd_err_errno(err, errno, path);
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    *out = buf;
    *out_len = got;
    buf = NULL;
out:
    dd_free(buf);
    close(fd);
    return rc;
}

static int is_index_type(const char *mt)
{
    return mt != NULL && (strcmp(mt, DD_MT_OCI_INDEX) == 0 || strcmp(mt, DD_MT_DOCKER_LIST) == 0);
}

/* ---- platforms --------------------------------------------------------------------------- */

static void copy_part(char *out, const char *s, size_t n)
{
    if (n >= PLATFORM_PART_MAX)
        n = PLATFORM_PART_MAX - 1;
    memcpy(out, s, n);
    out[n] = '\0';
}

/* Canonical architecture and variant (containerd's normalisation). */
static void norm_platform(const char *arch_in, const char *variant_in, char *arch, char *variant)
{
    copy_part(arch, arch_in, strlen(arch_in));
    copy_part(variant, variant_in, strlen(variant_in));
    for (char *p = arch; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    for (char *p = variant; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    if (strcmp(arch, "x86_64") == 0 || strcmp(arch, "x86-64") == 0) {
        copy_part(arch, "amd64", 5);
    } else if (strcmp(arch, "aarch64") == 0) {
        copy_part(arch, "arm64", 5);
    } else if (strcmp(arch, "i386") == 0 || strcmp(arch, "i686") == 0) {
        copy_part(arch, "386", 3);
    } else if (strcmp(arch, "armhf") == 0) {
        copy_part(arch, "arm", 3);
        copy_part(variant, "v7", 2);
    } else if (strcmp(arch, "armel") == 0) {
        copy_part(arch, "arm", 3);
        copy_part(variant, "v6", 2);
    }
    if (strcmp(arch, "arm64") == 0 && (variant[0] == '\0' || strcmp(variant, "8") == 0))
        copy_part(variant, "v8", 2);
    else if (strcmp(arch, "arm") == 0 && variant[0] == '\0')
        copy_part(variant, "v7", 2);
    else if (strcmp(arch, "amd64") == 0 && strcmp(variant, "v1") == 0)
        variant[0] = '\0';
}

void dd_image_host_platform(char *out, size_t cap)
{
    struct utsname u;
    char arch[PLATFORM_PART_MAX], variant[PLATFORM_PART_MAX], os[PLATFORM_PART_MAX];
    if (uname(&u) != 0) {
        snprintf(out, cap, "linux/amd64");
        return;
    }
    copy_part(os, u.sysname, strlen(u.sysname));
    for (char *p = os; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    const char *m = u.machine;
    if (strncmp(m, "armv7", 5) == 0)
        norm_platform("arm", "v7", arch, variant);
    else if (strncmp(m, "armv6", 5) == 0)
        norm_platform("arm", "v6", arch, variant);
    else
        norm_platform(m, "", arch, variant);
    snprintf(out, cap, "%s/%s%s%s", os, arch, variant[0] ? "/" : "", variant);
}

/* Parses "os/arch[/variant]" into the image's wanted platform (normalised). */
static int set_platform(dd_image *img, const char *s, dd_err *err)
{
    const char *parts[3] = {NULL, NULL, NULL};
    size_t lens[3] = {0, 0, 0};
    size_t n = 0;
    const char *p = s;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t l = slash ? (size_t)(slash - p) : strlen(p);
        if (n == 3 || l == 0 || l >= PLATFORM_PART_MAX)
            return dd_err_set(err, DD_EINVALID, "bad platform \"%.64s\": want os/arch[/variant]",
                              s);
        for (size_t i = 0; i < l; i++)
            if (!isalnum((unsigned char)p[i]) && p[i] != '_' && p[i] != '-' && p[i] != '.')
                return dd_err_set(err, DD_EINVALID, "bad platform \"%.64s\"", s);
        parts[n] = p;
        lens[n++] = l;
        if (slash == NULL)
            break;
        p = slash + 1;
    }
    if (n < 2)
        return dd_err_set(err, DD_EINVALID, "bad platform \"%.64s\": want os/arch[/variant]", s);
    char a[PLATFORM_PART_MAX], v[PLATFORM_PART_MAX];
    copy_part(img->want_os, parts[0], lens[0]);
    for (char *q = img->want_os; *q; q++)
        *q = (char)tolower((unsigned char)*q);
    copy_part(a, parts[1], lens[1]);
    copy_part(v, n == 3 ? parts[2] : "", n == 3 ? lens[2] : 0);
    norm_platform(a, v, img->want_arch, img->want_variant);
    return 0;
}

static int platform_matches(const dd_image *img, const char *os, const char *arch,
                            const char *variant)
{
    char a[PLATFORM_PART_MAX], v[PLATFORM_PART_MAX];
    norm_platform(arch, nz(variant), a, v);
    return strcasecmp(os, img->want_os) == 0 && strcmp(a, img->want_arch) == 0 &&
           strcmp(v, img->want_variant) == 0;
}

static char *platform_string(const char *os, const char *arch, const char *variant)
{
    variant = nz(variant);
    return dd_asprintf("%s/%s%s%s", os, arch, variant[0] ? "/" : "", variant);
}

/* ---- the image config -------------------------------------------------------------------- */

static int json_string_member(json_t *obj, const char *key, char **out, dd_err *err)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return dd_err_set(err, DD_EINVALID, "config: %s is not a string", key);
    if ((*out = dd_strndup(json_string_value(v), json_string_length(v))) == NULL)
        return dd_err_set(err, DD_ENOMEM, "out of memory");
    if (strlen(*out) != json_string_length(v) || strlen(*out) >= PLATFORM_PART_MAX)
        return dd_err_set(err, DD_EINVALID, "config: bad %s", key);
    return 0;
}

/* Reads os, architecture, variant and rootfs.diff_ids; the diff_ids must match the layers. */
static int parse_config(dd_image *img, const uint8_t *buf, size_t len, dd_strlist *diff_ids,
                        dd_err *err)
{
    int rc = 0;
    json_error_t je;
    json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL)
        return dd_err_set_at(err, DD_EINVALID, (size_t)je.position, "config: %s", je.text);
    if (!json_is_object(root)) {
        rc = dd_err_set(err, DD_EINVALID, "config: not a JSON object");
        goto out;
    }
    if ((rc = json_string_member(root, "os", &img->os, err)) != 0 ||
        (rc = json_string_member(root, "architecture", &img->arch, err)) != 0 ||
        (rc = json_string_member(root, "variant", &img->variant, err)) != 0)
        goto out;
    json_t *rootfs = json_object_get(root, "rootfs");
    json_t *ids = json_is_object(rootfs) ? json_object_get(rootfs, "diff_ids") : NULL;
    if (ids == NULL || json_is_null(ids))
        goto out;
    if (!json_is_array(ids) || json_array_size(ids) > DD_LIMIT_MANIFEST_DESCRIPTORS) {
        rc = dd_err_set(err, DD_EINVALID, "config: rootfs.diff_ids is not a usable array");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(ids); i++) {
        json_t *v = json_array_get(ids, i);
        if (!json_is_string(v) ||
            dd_digest_validate(json_string_value(v), json_string_length(v), NULL) != 0) {
            rc = dd_err_set(err, DD_EINVALID, "config: rootfs.diff_ids[%zu] is not a digest", i);
            goto out;
        }
        if ((rc = dd_strlist_push(diff_ids, json_string_value(v), json_string_length(v))) != 0) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
    }
out:
    json_decref(root);
    return rc;
}

static int set_config_platform(dd_image *img, dd_err *err)
{
    if (img->platform != NULL || img->os == NULL || img->arch == NULL)
        return 0;
    if ((img->platform = platform_string(img->os, img->arch, img->variant)) == NULL)
        return dd_err_set(err, DD_ENOMEM, "out of memory");
    return 0;
}

static int add_layer(dd_image *img, const char *digest, const char *media_type, uint64_t size,
                     const char *diff_id, dd_err *err)
{
    dd_image_layer *l = &img->layers[img->n_layers];
    l->digest = dd_strdup(digest);
    l->media_type = dd_strdup(media_type);
    l->diff_id = dd_strdup(nz(diff_id));
    l->size = size;
    img->n_layers++;
    if (l->digest == NULL || l->media_type == NULL || l->diff_id == NULL)
        return dd_err_set(err, DD_ENOMEM, "out of memory");
    return 0;
}

/* ---- blobs of oci: and registry: images -------------------------------------------------- */

static char *blob_path(const dd_image *img, const char *digest)
{
    const char *colon = strchr(digest, ':');
    if (colon == NULL)
        return NULL;
    return dd_asprintf("%s/blobs/%.*s/%s", img->path, (int)(colon - digest), digest, colon + 1);
}

/* Reads a small blob (manifest, index, config) and checks it against its descriptor. */
static int fetch(dd_image *img, const char *digest, uint64_t size, int is_manifest, size_t max,
                 uint8_t **out, size_t *out_len, dd_err *err)
{
    int rc = 0;
    char *path = NULL;
    *out = NULL;
    *out_len = 0;
    if (img->info.transport == DD_IMAGE_TRANSPORT_REGISTRY) {
        if (is_manifest) {
            dd_db_manifest dm;
            memset(&dm, 0, sizeof(dm));
            rc = dd_db_manifest_get(img->db, img->repo, digest, &dm, err);
            dd_db_manifest_free(&dm);
            if (rc != 0)
                return rc;
        }
        return dd_store_read_blob(img->store, digest, max, out, out_len, err);
    }
    char got[DD_DIGEST_STR_MAX];
    if ((path = blob_path(img, digest)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = read_file(path, max, out, out_len, err)) != 0)
        goto out;
    if ((rc = dd_digest_buf(got, *out, *out_len)) != 0) {
        rc = dd_err_set(err, rc, "hashing failed");
        goto out;
    }
    if (strcmp(got, digest) != 0) {
        rc = dd_err_set(err, DD_EMISMATCH, "blob %s does not match its digest (got %s)", digest,
                        got);
        goto out;
    }
    if (size != (uint64_t)*out_len) {
        rc = dd_err_set(err, DD_EMISMATCH, "blob %s is %zu bytes, its descriptor says %llu", digest,
                        *out_len, (unsigned long long)size);
        goto out;
    }
out:
    if (rc != 0) {
        dd_free(*out);
        *out = NULL;
        *out_len = 0;
    }
    dd_free(path);
    return rc;
}

static int fetch_manifest(dd_image *img, const char *digest, const char *media_type, uint64_t size,
                          dd_manifest **out, dd_err *err)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    *out = NULL;
    int rc = fetch(img, digest, size, 1, DD_LIMIT_MANIFEST_MAX, &buf, &len, err);
    if (rc == 0) {
        const char *ct = dd_manifest_media_type_known(media_type) ? media_type : NULL;
        rc = dd_manifest_parse(out, buf, len, ct, err);
    }
    dd_free(buf);
    return rc;
}

typedef struct pick {
    char *digest, *media_type, *platform;
    uint64_t size;
} pick;

static void pick_free(pick *p)
{
    dd_free(p->digest);
    dd_free(p->media_type);
    dd_free(p->platform);
    memset(p, 0, sizeof(*p));
}

static int pick_set(pick *p, const dd_descriptor *d, dd_err *err)
{
    pick_free(p);
    p->digest = dd_strdup(d->digest);
    p->media_type = dd_strdup(d->media_type);
    p->size = d->size;
    if (d->platform_os != NULL && d->platform_arch != NULL)
        p->platform = platform_string(d->platform_os, d->platform_arch, d->platform_variant);
    if (p->digest == NULL || p->media_type == NULL ||
        (d->platform_os != NULL && d->platform_arch != NULL && p->platform == NULL))
        return dd_err_set(err, DD_ENOMEM, "out of memory");
    return 0;
}

/* Finds the entry for the wanted platform, descending into nested indexes. 0 when found,
 * DD_ENOTFOUND (platforms seen appended to avail) when not, else an error. */
static int pick_from_index(dd_image *img, const dd_manifest *idx, int depth, pick *out,
                           dd_buf *avail, dd_err *err)
{
    int rc;
    if (depth > DD_LIMIT_INDEX_DEPTH)
        return dd_err_set(err, DD_ELIMIT, "image indexes nested deeper than %d",
                          DD_LIMIT_INDEX_DEPTH);
    for (size_t i = 0; i < idx->n_manifests; i++) {
        const dd_descriptor *d = &idx->manifests[i];
        if (!dd_manifest_media_type_known(d->media_type))
            continue; /* artifacts and unknown types: not an image for us */
        int has_platform = d->platform_os != NULL && d->platform_arch != NULL;
        if (has_platform && !is_index_type(d->media_type)) {
            char *ps = platform_string(d->platform_os, d->platform_arch, d->platform_variant);
            if (ps == NULL)
                return dd_err_set(err, DD_ENOMEM, "out of memory");
            list_add(avail, ps);
            dd_free(ps);
        }
        if (has_platform &&
            !platform_matches(img, d->platform_os, d->platform_arch, d->platform_variant))
            continue;
        if (is_index_type(d->media_type)) {
            dd_manifest *sub = NULL;
            if ((rc = fetch_manifest(img, d->digest, d->media_type, d->size, &sub, err)) != 0)
                return rc;
            rc = sub->kind == DD_MANIFEST_INDEX
                     ? pick_from_index(img, sub, depth + 1, out, avail, err)
                     : dd_err_set(err, DD_EINVALID, "%s: an index entry that is not an index",
                                  d->digest);
            dd_manifest_free(sub);
            if (rc != DD_ENOTFOUND)
                return rc;
            continue;
        }
        if (has_platform || idx->n_manifests == 1)
            return pick_set(out, d, err);
    }
    return DD_ENOTFOUND;
}

/* Resolves a descriptor to an image manifest (choosing in indexes) and loads config and layers.
 */
static int resolve(dd_image *img, const char *digest, const char *media_type, uint64_t size,
                   dd_err *err)
{
    int rc = 0;
    dd_manifest *m = NULL;
    uint8_t *cfg = NULL;
    size_t cfg_len = 0;
    dd_strlist ids = DD_STRLIST_INIT;
    dd_buf avail = DD_BUF_INIT(LIST_MAX + 16);
    pick p = {NULL, NULL, NULL, 0};
    if ((rc = fetch_manifest(img, digest, media_type, size, &m, err)) != 0)
        goto out;
    if (m->kind == DD_MANIFEST_INDEX) {
        if ((img->index_digest = dd_strdup(digest)) == NULL) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
        rc = pick_from_index(img, m, 1, &p, &avail, err);
        if (rc == DD_ENOTFOUND)
            rc = dd_err_set(err, DD_ENOTFOUND, "no %s/%s%s%s image in index %s; available: %s",
                            img->want_os, img->want_arch, img->want_variant[0] ? "/" : "",
                            img->want_variant, digest, avail.len ? avail.data : "none");
        if (rc != 0)
            goto out;
        dd_manifest_free(m);
        m = NULL;
        img->platform = p.platform;
        p.platform = NULL;
        if ((rc = fetch_manifest(img, p.digest, p.media_type, p.size, &m, err)) != 0)
            goto out;
        if (m->kind != DD_MANIFEST_IMAGE) {
            rc = dd_err_set(err, DD_EINVALID, "%s: not an image manifest", p.digest);
            goto out;
        }
        digest = p.digest;
    }
    if ((img->manifest_digest = dd_strdup(digest)) == NULL ||
        (img->manifest_media_type = dd_strdup(m->media_type)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    const char *cmt = nz(m->config.media_type);
    if (strcmp(cmt, MT_OCI_CONFIG) != 0 && strcmp(cmt, MT_DOCKER_CONFIG) != 0) {
        rc = dd_err_set(err, DD_EUNSUPPORTED, "%s is not a container image (config type %.80s)",
                        digest, cmt);
        goto out;
    }
    if ((rc = fetch(img, m->config.digest, m->config.size, 0, DD_LIMIT_IMAGE_CONFIG_MAX, &cfg,
                    &cfg_len, err)) != 0 ||
        (rc = parse_config(img, cfg, cfg_len, &ids, err)) != 0)
        goto out;
    if ((img->config_digest = dd_strdup(m->config.digest)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    if (ids.n != m->n_layers) {
        rc = dd_err_set(err, DD_EINVALID, "config %s lists %zu diff_ids for %zu layers",
                        m->config.digest, ids.n, m->n_layers);
        goto out;
    }
    if ((img->layers = dd_calloc(m->n_layers ? m->n_layers : 1, sizeof(*img->layers))) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < m->n_layers; i++) {
        const dd_descriptor *d = &m->layers[i];
        if ((rc = add_layer(img, d->digest, d->media_type, d->size, ids.items[i], err)) != 0)
            goto out;
    }
    rc = set_config_platform(img, err);
out:
    pick_free(&p);
    dd_buf_free(&avail);
    dd_strlist_free(&ids);
    dd_free(cfg);
    dd_manifest_free(m);
    return rc;
}

/* ---- oci: -------------------------------------------------------------------------------- */

/* The org.opencontainers.image.ref.name annotation of a descriptor (a new string), or NULL. */
static char *ref_name(const dd_descriptor *d)
{
    if (d->annotations_json == NULL)
        return NULL;
    json_t *root = json_loads(d->annotations_json, 0, NULL);
    json_t *v = json_is_object(root) ? json_object_get(root, REF_NAME) : NULL;
    char *s = json_is_string(v) ? dd_strdup(json_string_value(v)) : NULL;
    json_decref(root);
    return s;
}

static int open_oci(dd_image *img, const char *tag, dd_err *err)
{
    int rc = 0;
    char *path = NULL, *name = NULL;
    uint8_t *buf = NULL;
    size_t len = 0;
    dd_manifest *idx = NULL;
    dd_buf names = DD_BUF_INIT(LIST_MAX + 16);
    const dd_descriptor *chosen = NULL;
    if ((path = dd_asprintf("%s/index.json", img->path)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = read_file(path, DD_LIMIT_IMAGE_CONFIG_MAX, &buf, &len, err)) != 0)
        goto out;
    if ((rc = dd_manifest_parse(&idx, buf, len, NULL, err)) != 0) {
        char msg[DD_ERR_MSG_MAX];
        snprintf(msg, sizeof(msg), "%s", err ? err->msg : "");
        rc = dd_err_set(err, rc, "%s: %s", path, msg);
        goto out;
    }
    if (idx->kind != DD_MANIFEST_INDEX) {
        rc = dd_err_set(err, DD_EINVALID, "%s: not an image index", path);
        goto out;
    }
    for (size_t i = 0; i < idx->n_manifests && chosen == NULL; i++) {
        name = ref_name(&idx->manifests[i]);
        if (tag != NULL && name != NULL && strcmp(name, tag) == 0) {
            chosen = &idx->manifests[i];
        } else {
            list_add(&names, name ? name : idx->manifests[i].digest);
        }
        dd_free(name);
        name = NULL;
    }
    if (tag == NULL && idx->n_manifests == 1)
        chosen = &idx->manifests[0];
    if (chosen == NULL && tag != NULL) {
        rc = dd_err_set(err, DD_ENOTFOUND, "no image tagged \"%.64s\" in %s; tags: %s", tag,
                        img->path, names.len ? names.data : "none");
        goto out;
    }
    if (chosen == NULL) {
        rc = dd_err_set(err, idx->n_manifests ? DD_EINVALID : DD_ENOTFOUND,
                        "%s holds %zu images; choose one with oci:%s:TAG (tags: %s)", img->path,
                        idx->n_manifests, img->path, names.len ? names.data : "none");
        goto out;
    }
    if (!dd_manifest_media_type_known(chosen->media_type)) {
        rc = dd_err_set(err, DD_EUNSUPPORTED, "%s: media type %.80s is not an image",
                        chosen->digest, chosen->media_type);
        goto out;
    }
    if (tag != NULL && dd_strlist_push_str(&img->tags, tag) != 0) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    rc = resolve(img, chosen->digest, chosen->media_type, chosen->size, err);
out:
    dd_buf_free(&names);
    dd_manifest_free(idx);
    dd_free(buf);
    dd_free(path);
    return rc;
}

/* ---- registry: --------------------------------------------------------------------------- */

static int open_registry(dd_image *img, const char *ref, const char *data_dir, dd_err *err)
{
    int rc = 0;
    char *dbpath = NULL, *tag = NULL, *digest = NULL, *label = NULL;
    char tagged[DD_DIGEST_STR_MAX];
    struct stat st;
    dd_db_manifest dm;
    memset(&dm, 0, sizeof(dm));
    if (data_dir == NULL || data_dir[0] == '\0')
        return dd_err_set(err, DD_EINVALID, "registry: targets need the data directory");
    const char *at = strchr(ref, '@');
    const char *colon = at ? NULL : strrchr(ref, ':');
    size_t rl = at ? (size_t)(at - ref) : colon ? (size_t)(colon - ref) : strlen(ref);
    if ((rc = dd_name_validate(ref, rl, err)) != 0)
        goto out;
    if ((img->repo = dd_strndup(ref, rl)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    if (at != NULL) {
        if ((rc = dd_digest_validate(at + 1, strlen(at + 1), err)) != 0)
            goto out;
        digest = dd_strdup(at + 1);
    } else {
        tag = dd_strdup(colon ? colon + 1 : "latest");
        if (tag != NULL && (rc = dd_tag_validate(tag, strlen(tag), err)) != 0)
            goto out;
    }
    if ((dbpath = dd_asprintf("%s/metadata.sqlite", data_dir)) == NULL ||
        (at != NULL && digest == NULL) || (at == NULL && tag == NULL)) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    if (stat(dbpath, &st) != 0) { /* dd_db_open would create an empty database */
        rc = dd_err_errno(err, errno, dbpath);
        goto out;
    }
    if ((rc = dd_db_open(&img->db, dbpath, err)) != 0 ||
        (rc = dd_store_open(&img->store, data_dir, err)) != 0)
        goto out;
    if (tag != NULL) {
        if ((rc = dd_db_tag_get(img->db, img->repo, tag, tagged, sizeof(tagged), err)) != 0) {
            if (rc == DD_ENOTFOUND)
                rc = dd_err_set(err, DD_ENOTFOUND, "registry: no tag %s in %s", tag, img->repo);
            goto out;
        }
        if ((digest = dd_strdup(tagged)) == NULL ||
            (label = dd_asprintf("%s:%s", img->repo, tag)) == NULL ||
            dd_strlist_push_str(&img->tags, label) != 0) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
    }
    if ((rc = dd_db_manifest_get(img->db, img->repo, digest, &dm, err)) != 0) {
        if (rc == DD_ENOTFOUND)
            rc = dd_err_set(err, DD_ENOTFOUND, "registry: no manifest %s in %s", digest, img->repo);
        goto out;
    }
    rc = resolve(img, digest, dm.media_type, dm.size, err);
out:
    dd_db_manifest_free(&dm);
    dd_free(label);
    dd_free(dbpath);
    dd_free(tag);
    dd_free(digest);
    return rc;
}

/* ---- docker-archive: --------------------------------------------------------------------- */

/* Joins a link target to the directory of the member holding it, resolving "." and ".."
 * lexically inside the archive; NULL when it leaves the archive root. */
static char *join_link(const char *member, const char *target)
{
    char buf[2 * DD_LIMIT_PATH_MAX + 2];
    size_t o = 0;
    const char *slash = strrchr(member, '/');
    size_t dl = target[0] == '/' ? 0 : slash ? (size_t)(slash - member) : 0;
    size_t tl = strlen(target);
    if (dl + 1 + tl >= sizeof(buf))
        return NULL;
    memcpy(buf, member, dl);
    o = dl;
    const char *p = target;
    while (*p) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        size_t n = (size_t)(e - p);
        if (n == 0)
            break;
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            if (o == 0)
                return NULL;
            while (o > 0 && buf[o - 1] != '/')
                o--;
            if (o > 0)
                o--;
        } else if (!(n == 1 && p[0] == '.')) {
            if (o > 0)
                buf[o++] = '/';
            memcpy(buf + o, p, n);
            o += n;
        }
        p = e;
    }
    return dd_strndup(buf, o);
}

static amember *find_member(const dd_image *img, const char *name)
{
    for (size_t i = 0; i < img->n_members; i++)
        if (strcmp(img->members[i].name, name) == 0)
            return &img->members[i];
    return NULL;
}

/* Follows links to the regular member holding name. */
static amember *resolve_member(const dd_image *img, const char *name)
{
    amember *m = find_member(img, name);
    for (int hops = 0; m != NULL && m->link != NULL; hops++) {
        if (hops >= DD_LIMIT_ARCHIVE_LINK_HOPS)
            return NULL;
        m = find_member(img, m->link);
    }
    return m;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t sl = strlen(s), xl = strlen(suffix);
    return sl >= xl && memcmp(s + sl - xl, suffix, xl) == 0;
}

static struct archive *open_archive(const char *path, dd_err *err)
{
    struct archive *a = archive_read_new();
    if (a == NULL) {
        dd_err_set(err, DD_ENOMEM, "out of memory");
        return NULL;
    }
    archive_read_support_filter_gzip(a);
    archive_read_support_filter_zstd(a);
    archive_read_support_format_tar(a);
    if (archive_read_open_filename(a, path, ARCHIVE_BLOCK) != ARCHIVE_OK) {
        int e = archive_errno(a);
        if (e == ENOENT || e == EACCES || e == ENOTDIR)
            dd_err_errno(err, e, path);
        else
            dd_err_set(err, DD_EINVALID, "%s: %s", path, nz(archive_error_string(a)));
        archive_read_free(a);
        return NULL;
    }
    return a;
}

static int archive_error(struct archive *a, const char *path, dd_err *err)
{
    return dd_err_set(err, DD_EINVALID, "%s: %s", path, nz(archive_error_string(a)));
}

/* Reads the current member's data into a new buffer of at most max bytes. */
static int read_member(struct archive *a, const char *path, uint64_t size, size_t max,
                       uint8_t **out, size_t *out_len, dd_err *err)
{
    *out = NULL;
    *out_len = 0;
    if (size > max)
        return dd_err_set(err, DD_ELIMIT, "%s: member larger than %zu bytes", path, max);
    uint8_t *buf = dd_malloc((size_t)size);
    if (buf == NULL)
        return dd_err_set(err, DD_ENOMEM, "out of memory");
    size_t got = 0;
    while (got < size) {
        la_ssize_t n = archive_read_data(a, buf + got, (size_t)size - got);
        if (n < 0) {
            dd_free(buf);
            return archive_error(a, path, err);
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    *out = buf;
    *out_len = got;
    return 0;
}

/* Names that are the root itself ("", ".", "./", "/"). */
static int is_root_name(const char *s)
{
    for (size_t i = 0; s[i] != '\0'; i++)
        if (s[i] != '/' &&
            !(s[i] == '.' && (s[i + 1] == '/' || s[i + 1] == '\0') && (i == 0 || s[i - 1] == '/')))
            return 0;
    return 1;
}

/* The normalised name of the current member; 1 to skip it (the root), 0, or an error. */
static int member_name(struct archive_entry *e, char *out, const char *path, dd_err *err)
{
    const char *name = archive_entry_pathname(e);
    dd_err ne = DD_ERR_INIT;
    if (name == NULL)
        return dd_err_set(err, DD_EINVALID, "%s: member without a usable name", path);
    if (is_root_name(name))
        return 1;
    int rc = dd_path_normalize(out, name, strlen(name), &ne);
    if (rc != 0)
        return dd_err_set(err, rc, "%s: bad member name (%s)", path, ne.msg);
    return 0;
}

/* First pass: every member's name, links, and the small JSON members. */
static int scan_archive(dd_image *img, dd_err *err)
{
    int rc = 0;
    char name[DD_LIMIT_PATH_MAX + 2];
    struct archive *a = open_archive(img->path, err);
    if (a == NULL)
        return err ? err->code : DD_EINVALID;
    for (;;) {
        struct archive_entry *e;
        int ar = archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar < ARCHIVE_WARN) {
            rc = archive_error(a, img->path, err);
            goto out;
        }
        if ((rc = member_name(e, name, img->path, err)) != 0) {
            if (rc == 1) {
                rc = 0;
                continue;
            }
            goto out;
        }
        mode_t ft = archive_entry_filetype(e);
        const char *hl = archive_entry_hardlink(e);
        if (ft == AE_IFDIR)
            continue;
        if (img->n_members >= DD_LIMIT_LAYER_ENTRIES) {
            rc = dd_err_set(err, DD_ELIMIT, "%s: more than %llu members", img->path,
                            (unsigned long long)DD_LIMIT_LAYER_ENTRIES);
            goto out;
        }
        if (img->n_members == img->cap_members) {
            size_t cap = img->cap_members ? img->cap_members * 2 : 64;
            amember *m = dd_reallocarray(img->members, cap, sizeof(*m));
            if (m == NULL) {
                rc = dd_err_set(err, DD_ENOMEM, "out of memory");
                goto out;
            }
            img->members = m;
            img->cap_members = cap;
        }
        amember *m = &img->members[img->n_members++];
        memset(m, 0, sizeof(*m));
        if ((m->name = dd_strdup(name)) == NULL) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
        m->size = archive_entry_size_is_set(e) && archive_entry_size(e) > 0
                      ? (uint64_t)archive_entry_size(e)
                      : 0;
        if (hl != NULL || ft == AE_IFLNK) {
            char target[DD_LIMIT_PATH_MAX + 2];
            const char *t = hl ? hl : archive_entry_symlink(e);
            int usable = t != NULL && strlen(t) <= DD_LIMIT_PATH_MAX;
            if (usable && hl != NULL) {
                usable = dd_path_normalize(target, t, strlen(t), NULL) == 0;
                if (usable && (m->link = dd_strdup(target)) == NULL) {
                    rc = dd_err_set(err, DD_ENOMEM, "out of memory");
                    goto out;
                }
            } else if (usable) {
                m->link = join_link(name, t); /* NULL: leaves the archive (or no memory) */
                usable = m->link != NULL;
            }
            if (!usable) { /* an unusable link is forgotten: nothing resolves through it */
                dd_free(m->name);
                img->n_members--;
            }
            continue;
        }
        if (ft != AE_IFREG)
            continue;
        int want = strcmp(name, "manifest.json") == 0 ||
                   (ends_with(name, ".json") && m->size <= DD_LIMIT_IMAGE_CONFIG_MAX &&
                    img->json_total + m->size <= DD_LIMIT_ARCHIVE_JSON_TOTAL);
        if (!want)
            continue;
        if ((rc = read_member(a, name, m->size, DD_LIMIT_IMAGE_CONFIG_MAX, &m->data, &m->len,
                              err)) != 0)
            goto out;
        img->json_total += m->len;
    }
out:
    archive_read_free(a);
    return rc;
}

/* Another pass for one member that the first pass did not keep (a config not named *.json). */
static int fetch_member(dd_image *img, amember *want, dd_err *err)
{
    int rc = 0;
    char name[DD_LIMIT_PATH_MAX + 2];
    struct archive *a = open_archive(img->path, err);
    if (a == NULL)
        return err ? err->code : DD_EINVALID;
    for (;;) {
        struct archive_entry *e;
        int ar = archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF) {
            rc = dd_err_set(err, DD_ENOTFOUND, "%s: member %s vanished", img->path, want->name);
            break;
        }
        if (ar < ARCHIVE_WARN) {
            rc = archive_error(a, img->path, err);
            break;
        }
        if ((rc = member_name(e, name, img->path, err)) < 0)
            break;
        if (rc == 1) {
            rc = 0;
            continue;
        }
        if (strcmp(name, want->name) != 0 || archive_entry_filetype(e) != AE_IFREG ||
            archive_entry_hardlink(e) != NULL)
            continue;
        rc = read_member(a, name, want->size, DD_LIMIT_IMAGE_CONFIG_MAX, &want->data, &want->len,
                         err);
        break;
    }
    archive_read_free(a);
    return rc;
}

/* docker's reference normalisation: "busybox" -> "docker.io/library/busybox:latest". */
static char *docker_ref(const char *s)
{
    size_t n = strlen(s);
    const char *at = memchr(s, '@', n);
    size_t name_end = at ? (size_t)(at - s) : n;
    size_t last_slash = 0;
    int has_slash = 0;
    for (size_t i = 0; i < name_end; i++)
        if (s[i] == '/') {
            last_slash = i;
            has_slash = 1;
        }
    int has_tag = memchr(s + last_slash, ':', name_end - last_slash) != NULL;
    const char *first_slash = memchr(s, '/', name_end);
    const char *prefix = "";
    if (!has_slash) {
        prefix = "docker.io/library/";
    } else {
        size_t fl = (size_t)(first_slash - s);
        int domain = memchr(s, '.', fl) != NULL || memchr(s, ':', fl) != NULL ||
                     (fl == 9 && memcmp(s, "localhost", 9) == 0);
        if (!domain)
            prefix = "docker.io/";
        else if (fl == 15 && memcmp(s, "index.docker.io", 15) == 0) {
            s += 6; /* "docker.io/..." */
        }
    }
    return dd_asprintf("%s%s%s", prefix, s, (has_tag || at) ? "" : ":latest");
}

/* Parses "@N" (decimal, at most max). */
static int parse_index(const char *s, size_t max, size_t *out)
{
    size_t v = 0;
    if (*s == '\0')
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > max / 10)
            return -1;
        v = v * 10 + (size_t)(*s - '0');
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

static int json_parse_member(const amember *m, json_t **out, dd_err *err)
{
    json_error_t je;
    *out = json_loadb((const char *)m->data, m->len, JSON_REJECT_DUPLICATES, &je);
    if (*out == NULL)
        return dd_err_set_at(err, DD_EINVALID, (size_t)je.position, "%s: %s", m->name, je.text);
    return 0;
}

static int open_archive_image(dd_image *img, const char *ref, dd_err *err)
{
    int rc = 0;
    json_t *root = NULL;
    char *want = NULL, *norm = NULL;
    dd_strlist ids = DD_STRLIST_INIT;
    dd_buf names = DD_BUF_INIT(LIST_MAX + 16);
    char cdigest[DD_DIGEST_STR_MAX];
    if ((rc = scan_archive(img, err)) != 0)
        goto out;
    amember *mf = find_member(img, "manifest.json");
    if (mf == NULL || mf->data == NULL) {
        rc = dd_err_set(err, DD_EINVALID, "%s: no manifest.json: not a docker-archive", img->path);
        goto out;
    }
    if ((rc = json_parse_member(mf, &root, err)) != 0)
        goto out;
    size_t n_images = json_is_array(root) ? json_array_size(root) : 0;
    if (n_images == 0) {
        rc = dd_err_set(err, DD_EINVALID, "%s: manifest.json lists no image", img->path);
        goto out;
    }
    size_t sel = n_images;
    if (ref != NULL && ref[0] == '@') {
        if (parse_index(ref + 1, n_images - 1, &sel) != 0) {
            rc = dd_err_set(err, DD_ENOTFOUND, "%s: no image %.32s (it holds @0 to @%zu)",
                            img->path, ref, n_images - 1);
            goto out;
        }
    } else if (ref != NULL && (want = docker_ref(ref)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n_images; i++) {
        json_t *im = json_array_get(root, i);
        json_t *tags = json_is_object(im) ? json_object_get(im, "RepoTags") : NULL;
        char label[DD_LIMIT_REPO_NAME_MAX + DD_LIMIT_TAG_MAX + 32];
        snprintf(label, sizeof(label), "@%zu", i);
        for (size_t t = 0; json_is_array(tags) && t < json_array_size(tags); t++) {
            json_t *tv = json_array_get(tags, t);
            if (!json_is_string(tv))
                continue;
            if (t == 0)
                snprintf(label, sizeof(label), "@%zu %.200s", i, json_string_value(tv));
            if (want == NULL)
                continue;
            if ((norm = docker_ref(json_string_value(tv))) == NULL) {
                rc = dd_err_set(err, DD_ENOMEM, "out of memory");
                goto out;
            }
            if (strcmp(norm, want) == 0 && sel == n_images)
                sel = i;
            dd_free(norm);
            norm = NULL;
        }
        list_add(&names, label);
    }
    if (ref == NULL && n_images == 1)
        sel = 0;
    if (sel == n_images) {
        if (ref != NULL)
            rc = dd_err_set(err, DD_ENOTFOUND, "%s: no image %.64s; images: %s", img->path, ref,
                            names.data ? names.data : "");
        else
            rc =
                dd_err_set(err, DD_EINVALID, "%s holds %zu images; choose one with :REF or :@N: %s",
                           img->path, n_images, names.data ? names.data : "");
        goto out;
    }
    json_t *im = json_array_get(root, sel);
    json_t *cfg = json_is_object(im) ? json_object_get(im, "Config") : NULL;
    json_t *layers = json_is_object(im) ? json_object_get(im, "Layers") : NULL;
    json_t *tags = json_is_object(im) ? json_object_get(im, "RepoTags") : NULL;
    if (!json_is_string(cfg) || !json_is_array(layers) ||
        json_array_size(layers) > DD_LIMIT_MANIFEST_DESCRIPTORS) {
        rc = dd_err_set(err, DD_EINVALID, "%s: manifest.json image %zu needs Config and Layers",
                        img->path, sel);
        goto out;
    }
    for (size_t t = 0; json_is_array(tags) && t < json_array_size(tags); t++) {
        json_t *tv = json_array_get(tags, t);
        if (json_is_string(tv) && dd_strlist_push_str(&img->tags, json_string_value(tv)) != 0) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
    }
    char cname[DD_LIMIT_PATH_MAX + 2];
    const char *cv = json_string_value(cfg);
    if (json_string_length(cfg) > DD_LIMIT_PATH_MAX ||
        dd_path_normalize(cname, cv, json_string_length(cfg), NULL) != 0) {
        rc = dd_err_set(err, DD_EINVALID, "%s: bad Config name", img->path);
        goto out;
    }
    amember *cm = resolve_member(img, cname);
    if (cm == NULL) {
        rc = dd_err_set(err, DD_ENOTFOUND, "%s: config member %.100s not found", img->path, cname);
        goto out;
    }
    if (cm->data == NULL && (rc = fetch_member(img, cm, err)) != 0)
        goto out;
    if ((rc = dd_digest_buf(cdigest, cm->data, cm->len)) != 0 ||
        (img->config_digest = dd_strdup(cdigest)) == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    /* Docker >= 25 names blobs by digest: the config's name then tells its digest. */
    if (strncmp(cm->name, "blobs/sha256/", 13) == 0 && strcmp(cm->name + 13, cdigest + 7) != 0) {
        rc = dd_err_set(err, DD_EMISMATCH, "%s: config %s does not match its digest", img->path,
                        cm->name);
        goto out;
    }
    if ((rc = parse_config(img, cm->data, cm->len, &ids, err)) != 0)
        goto out;
    size_t nl = json_array_size(layers);
    if (ids.n != nl) {
        rc = dd_err_set(err, DD_EINVALID, "%s: config lists %zu diff_ids for %zu layers", img->path,
                        ids.n, nl);
        goto out;
    }
    img->layers = dd_calloc(nl ? nl : 1, sizeof(*img->layers));
    img->layer_member = dd_calloc(nl ? nl : 1, sizeof(*img->layer_member));
    img->layer_verify = dd_calloc(nl ? nl : 1, sizeof(*img->layer_verify));
    if (img->layers == NULL || img->layer_member == NULL || img->layer_verify == NULL) {
        rc = dd_err_set(err, DD_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nl; i++) {
        json_t *lv = json_array_get(layers, i);
        char lname[DD_LIMIT_PATH_MAX + 2], digest[DD_DIGEST_STR_MAX];
        if (!json_is_string(lv) || json_string_length(lv) > DD_LIMIT_PATH_MAX ||
            dd_path_normalize(lname, json_string_value(lv), json_string_length(lv), NULL) != 0) {
            rc = dd_err_set(err, DD_EINVALID, "%s: bad name for layer %zu", img->path, i);
            goto out;
        }
        amember *lm = resolve_member(img, lname);
        if (lm == NULL) {
            rc = dd_err_set(err, DD_ENOTFOUND, "%s: layer %zu member %.100s not found", img->path,
                            i, lname);
            goto out;
        }
        const char *d = ids.items[i];
        img->layer_verify[i] = 2;
        if (strncmp(lm->name, "blobs/sha256/", 13) == 0) {
            snprintf(digest, sizeof(digest), "sha256:%s", lm->name + 13);
            if (dd_digest_validate(digest, strlen(digest), NULL) == 0) {
                d = digest;
                img->layer_verify[i] = 1;
            }
        }
        if ((rc = add_layer(img, d, MT_ARCHIVE_LAYER, lm->size, ids.items[i], err)) != 0)
            goto out;
        if ((img->layer_member[i] = dd_strdup(lm->name)) == NULL) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
    }
    rc = set_config_platform(img, err);
out:
    /* the buffered JSON is not needed any more */
    for (size_t i = 0; i < img->n_members; i++) {
        dd_free(img->members[i].data);
        img->members[i].data = NULL;
    }
    dd_free(norm);
    dd_free(want);
    dd_buf_free(&names);
    dd_strlist_free(&ids);
    json_decref(root);
    return rc;
}

typedef struct member_src {
    struct archive *a;
    const char *path;
} member_src;

static int member_next(void *ctx, const uint8_t **buf, size_t *len, dd_err *err)
{
    member_src *s = ctx;
    for (;;) {
        const void *b;
        size_t n;
        la_int64_t off;
        int ar = archive_read_data_block(s->a, &b, &n, &off);
        if (ar == ARCHIVE_EOF) {
            *len = 0;
            return 0;
        }
        if (ar < ARCHIVE_WARN)
            return archive_error(s->a, s->path, err);
        if (n == 0)
            continue;
        *buf = b;
        *len = n;
        return 0;
    }
}

int dd_image_archive_layers(const dd_image *img, const unsigned char *wanted, dd_image_member_fn fn,
                            void *ctx, dd_err *err)
{
    int rc = 0;
    size_t left = 0;
    char name[DD_LIMIT_PATH_MAX + 2];
    unsigned char *done = NULL;
    struct archive *a = NULL;
    if (img->info.transport != DD_IMAGE_TRANSPORT_DOCKER_ARCHIVE)
        return dd_err_set(err, DD_EINVALID, "not a docker-archive image");
    if ((done = dd_calloc(img->n_layers ? img->n_layers : 1, 1)) == NULL)
        return dd_err_set(err, DD_ENOMEM, "out of memory");
    for (size_t i = 0; i < img->n_layers; i++)
        left += wanted[i] ? 1 : 0;
    if (left == 0)
        goto out;
    if ((a = open_archive(img->path, err)) == NULL) {
        rc = err ? err->code : DD_EINVALID;
        goto out;
    }
    while (left > 0) {
        struct archive_entry *e;
        int ar = archive_read_next_header(a, &e);
        if (ar == ARCHIVE_EOF)
            break;
        if (ar < ARCHIVE_WARN) {
            rc = archive_error(a, img->path, err);
            goto out;
        }
        if ((rc = member_name(e, name, img->path, err)) != 0) {
            if (rc == 1) {
                rc = 0;
                continue;
            }
            goto out;
        }
        if (archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != NULL)
            continue;
        size_t i = 0;
        while (i < img->n_layers &&
               !(wanted[i] && !done[i] && strcmp(img->layer_member[i], name) == 0))
            i++;
        if (i == img->n_layers)
            continue;
        member_src s = {a, img->path};
        dd_blob_reader r = {member_next, &s};
        if ((rc = fn(ctx, i, &r, img->layer_verify[i], err)) != 0)
            goto out;
        done[i] = 1;
        left--;
    }
    for (size_t i = 0; i < img->n_layers; i++) {
        if (wanted[i] && !done[i]) {
            rc = dd_err_set(err, DD_ENOTFOUND, "%s: layer %zu (member %.100s) not found", img->path,
                            i, img->layer_member[i]);
            goto out;
        }
    }
out:
    if (a != NULL)
        archive_read_free(a);
    dd_free(done);
    return rc;
}

/* ---- opening ----------------------------------------------------------------------------- */

static void fill_info(dd_image *img)
{
    dd_image_info *i = &img->info;
    i->manifest_digest = nz(img->manifest_digest);
    i->manifest_media_type = nz(img->manifest_media_type);
    i->index_digest = nz(img->index_digest);
    i->config_digest = nz(img->config_digest);
    i->os = nz(img->os);
    i->architecture = nz(img->arch);
    i->variant = nz(img->variant);
    i->platform = nz(img->platform);
    i->layers = img->layers;
    i->n_layers = img->n_layers;
    i->repo_tags = (const char *const *)img->tags.items;
    i->n_repo_tags = img->tags.n;
}

int dd_image_open(dd_image **out, const char *target, const dd_image_options *opts, dd_err *err)
{
    int rc = 0;
    dd_image *img = NULL;
    char *spec = NULL;
    char host[128];
    *out = NULL;
    if (target == NULL)
        return dd_err_set(err, DD_EINVALID, "no target");
    if ((img = dd_calloc(1, sizeof(*img))) == NULL)
        return dd_err_set(err, DD_ENOMEM, "out of memory");
    if (opts != NULL && opts->platform != NULL) {
        rc = set_platform(img, opts->platform, err);
    } else {
        dd_image_host_platform(host, sizeof(host));
        rc = set_platform(img, host, err);
    }
    if (rc != 0)
        goto out;
    const char *colon = strchr(target, ':');
    if (colon == NULL) {
        rc = dd_err_set(err, DD_EINVALID,
                        "target \"%.64s\" has no transport (oci:, docker-archive:, dir:, "
                        "registry:)",
                        target);
        goto out;
    }
    size_t tl = (size_t)(colon - target);
    const char *rest = colon + 1;
    if (tl == 3 && memcmp(target, "dir", 3) == 0) {
        img->info.transport = DD_IMAGE_TRANSPORT_DIR;
        struct stat st;
        if (rest[0] == '\0') {
            rc = dd_err_set(err, DD_EINVALID, "dir: needs a directory");
            goto out;
        }
        if (stat(rest, &st) != 0) {
            rc = dd_err_errno(err, errno, rest);
            goto out;
        }
        if (!S_ISDIR(st.st_mode)) {
            rc = dd_err_set(err, DD_EINVALID, "dir: %.100s is not a directory", rest);
            goto out;
        }
        if ((img->path = dd_strdup(rest)) == NULL)
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
    } else if (tl == 8 && memcmp(target, "registry", 8) == 0) {
        img->info.transport = DD_IMAGE_TRANSPORT_REGISTRY;
        if ((img->path = dd_strdup(opts && opts->data_dir ? opts->data_dir : "")) == NULL) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
        rc = open_registry(img, rest, opts ? opts->data_dir : NULL, err);
    } else if ((tl == 3 && memcmp(target, "oci", 3) == 0) ||
               (tl == 14 && memcmp(target, "docker-archive", 14) == 0)) {
        int oci = tl == 3;
        img->info.transport = oci ? DD_IMAGE_TRANSPORT_OCI : DD_IMAGE_TRANSPORT_DOCKER_ARCHIVE;
        if ((spec = dd_strdup(rest)) == NULL) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
        char *ref = strchr(spec, ':'); /* like skopeo: the path ends at the first ':' */
        if (ref != NULL)
            *ref++ = '\0';
        if (spec[0] == '\0' || (ref != NULL && ref[0] == '\0')) {
            rc = dd_err_set(err, DD_EINVALID, "bad %s target", oci ? "oci:" : "docker-archive:");
            goto out;
        }
        if ((img->path = dd_strdup(spec)) == NULL) {
            rc = dd_err_set(err, DD_ENOMEM, "out of memory");
            goto out;
        }
        rc = oci ? open_oci(img, ref, err) : open_archive_image(img, ref, err);
    } else {
        rc = dd_err_set(err, DD_EUNSUPPORTED,
                        "unsupported transport \"%.*s\" (oci:, docker-archive:, dir:, registry:)",
                        (int)(tl > 32 ? 32 : tl), target);
    }
out:
    dd_free(spec);
    if (rc != 0) {
        dd_image_free(img);
        return rc;
    }
    fill_info(img);
    *out = img;
    return 0;
}

void dd_image_free(dd_image *img)
{
    if (img == NULL)
        return;
    for (size_t i = 0; i < img->n_layers; i++) {
        dd_free((void *)img->layers[i].digest);
        dd_free((void *)img->layers[i].media_type);
        dd_free((void *)img->layers[i].diff_id);
        if (img->layer_member != NULL)
            dd_free(img->layer_member[i]);
    }
    for (size_t i = 0; i < img->n_members; i++) {
        dd_free(img->members[i].name);
        dd_free(img->members[i].link);
        dd_free(img->members[i].data);
    }
    dd_free(img->members);
    dd_free(img->layers);
    dd_free(img->layer_member);
    dd_free(img->layer_verify);
    dd_strlist_free(&img->tags);
    dd_free(img->path);
    dd_free(img->manifest_digest);
    dd_free(img->manifest_media_type);
    dd_free(img->index_digest);
    dd_free(img->config_digest);
    dd_free(img->os);
    dd_free(img->arch);
    dd_free(img->variant);
    dd_free(img->platform);
    dd_free(img->repo);
    dd_store_close(img->store);
    dd_db_close(img->db);
    dd_free(img);
}

const dd_image_info *dd_image_get_info(const dd_image *img)
{
    return &img->info;
}

const char *dd_image_dir_path(const dd_image *img)
{
    return img->info.transport == DD_IMAGE_TRANSPORT_DIR ? img->path : NULL;
}

int dd_image_open_layer(int *fd_out, int *verify_out, const dd_image *img, size_t i, dd_err *err)
{
    *fd_out = -1;
    *verify_out = 0;
    if (i >= img->n_layers)
        return dd_err_set(err, DD_EINVALID, "no layer %zu", i);
    const char *digest = img->layers[i].digest;
    if (img->info.transport == DD_IMAGE_TRANSPORT_REGISTRY) {
        uint64_t size;
        int rc = dd_store_open_blob(img->store, digest, fd_out, &size, err);
        if (rc != 0)
            return dd_err_set(err, rc, "layer %zu (%s): %s", i, digest,
                              rc == DD_ENOTFOUND ? "blob not in the store" : "cannot open");
        return 0;
    }
    if (img->info.transport != DD_IMAGE_TRANSPORT_OCI)
        return dd_err_set(err, DD_EINVALID, "layer %zu: not a file-backed image", i);
    char *path = blob_path(img, digest);
    if (path == NULL)
        return dd_err_set(err, DD_ENOMEM, "out of memory");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0)
        rc = dd_err_set(err, errno == ENOENT ? DD_ENOTFOUND : DD_EIO, "layer %zu (%s): %s", i,
                        digest, errno == ENOENT ? "blob missing from the layout" : strerror(errno));
    dd_free(path);
    *fd_out = fd;
    *verify_out = 1;
    return rc;
}
