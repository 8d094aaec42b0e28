/* Scan targets: opens an image named with skopeo's transport syntax and exposes what the scanner
 * needs before reading layers (manifest and config digests, platform, layers, repo tags).
 *
 *   oci:DIR[:TAG]                 OCI image layout (index.json). TAG is matched against the
 *                                 org.opencontainers.image.ref.name annotation; without TAG the
 *                                 layout must hold a single entry. Entries with Docker media types
 *                                 are read too (skopeo 1.9 skips them).
 *   docker-archive:FILE[:REF|:@N] `docker save` archive, plain or gzip/zstd-compressed. REF is
 *                                 matched against RepoTags (docker.io/library and :latest implied,
 *                                 as docker does); @N picks the N-th image (0-based). An archive
 *                                 with several images needs one of the two.
 *   dir:ROOTFS                    an unpacked root filesystem on disk (no layers, no config).
 *   registry:REPO:TAG             an image pushed to this drydock registry, read directly from its
 *   registry:REPO@DIGEST          data directory (options.data_dir): metadata.sqlite and blobs.
 *
 * An index (OCI image index or Docker manifest list, nested ones included) is resolved to the
 * manifest for options.platform ("os/arch[/variant]"; default: the host's, from uname: x86_64 ->
 * linux/amd64, aarch64 -> linux/arm64/v8). No match is DD_ENOTFOUND listing the platforms the
 * index offers. Manifests, indexes and configs read from an OCI layout or a docker-archive are
 * checked against their digest and size; the registry's store verified them when they were pushed.
 *
 * Opening reads only small JSON documents (for a docker-archive: one pass over the archive, see
 * docs/image-reading.md); layers are read by dd_image_read_rootfs (layer.h). */
#ifndef DD_IMAGE_SOURCE_H
#define DD_IMAGE_SOURCE_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/err.h"

typedef enum dd_image_transport {
    DD_IMAGE_TRANSPORT_OCI = 0,
    DD_IMAGE_TRANSPORT_DOCKER_ARCHIVE = 1,
    DD_IMAGE_TRANSPORT_DIR = 2,
    DD_IMAGE_TRANSPORT_REGISTRY = 3
} dd_image_transport;

typedef struct dd_image_options {
    /* "os/arch[/variant]" used to pick a manifest from an index; NULL = the host's platform. */
    const char *platform;
    /* registry: targets: the drydock data directory (DATA/metadata.sqlite, DATA/blobs). */
    const char *data_dir;
} dd_image_options;

#define DD_IMAGE_OPTIONS_INIT                                                                      \
    {                                                                                              \
        NULL, NULL                                                                                 \
    }

/* One layer, bottom first. Strings are owned by the image. */
typedef struct dd_image_layer {
    /* "sha256:..." of the layer blob. docker-archive: the member's name when it is
     * blobs/sha256/<hex>, else the layer's diff_id (docker save stores layers uncompressed). */
    const char *digest;
    const char *media_type; /* docker-archive: "application/vnd.docker.image.rootfs.diff.tar" */
    uint64_t size;          /* blob size (docker-archive: member size) */
    const char *diff_id;    /* from the config's rootfs.diff_ids; "" when absent */
} dd_image_layer;

/* What is known about an opened image. Strings are "" when not applicable, never NULL. */
typedef struct dd_image_info {
    dd_image_transport transport;
    const char *manifest_digest;     /* oci, registry; "" for docker-archive and dir */
    const char *manifest_media_type; /* idem */
    const char *index_digest;        /* the (outermost) index the manifest was chosen from */
    const char *config_digest;       /* docker-archive: sha256 of the config member */
    const char *os;                  /* from the config */
    const char *architecture;        /* from the config */
    const char *variant;             /* from the config */
    const char *platform;            /* "os/arch[/variant]": the index entry chosen, else the
                                        config's; "" for dir */
    const dd_image_layer *layers;
    size_t n_layers;
    const char *const *repo_tags; /* docker-archive RepoTags; oci: the TAG; registry: REPO:TAG */
    size_t n_repo_tags;
} dd_image_info;

typedef struct dd_image dd_image;

/* Opens target (see the header comment). opts may be NULL (defaults). Errors: DD_EINVALID (bad
 * target syntax, malformed JSON, several images and none chosen: the message lists them),
 * DD_ENOTFOUND (no such file, tag, RepoTag or platform: the message lists what exists),
 * DD_EMISMATCH (a blob does not match its digest or size), DD_EUNSUPPORTED (not a container image,
 * e.g. an artifact manifest, or an unknown transport), DD_ELIMIT, DD_EIO, DD_ENOMEM. */
DD_WARN_UNUSED int dd_image_open(dd_image **out, const char *target, const dd_image_options *opts,
                                 dd_err *err);
void dd_image_free(dd_image *img);
/* Borrowed view, valid until dd_image_free. */
const dd_image_info *dd_image_get_info(const dd_image *img);

/* Writes the host's platform ("linux/amd64", "linux/arm64/v8", ...) into out (cap bytes, >= 64). */
void dd_image_host_platform(char *out, size_t cap);

/* ---- for the layer reader (layer.c); not for other modules ---- */

/* A blob as a sequence of blocks. next sets *buf and *len to the next block (valid until the next
 * call; *len == 0 at the end) and returns 0, or a negative DD_E* with err set. */
typedef struct dd_blob_reader {
    int (*next)(void *ctx, const uint8_t **buf, size_t *len, dd_err *err);
    void *ctx;
} dd_blob_reader;

/* The root directory of a dir: target; NULL for other transports. */
const char *dd_image_dir_path(const dd_image *img);

/* oci and registry: opens layer i's blob for reading (the caller closes *fd_out). *verify_out is
 * 1 when the bytes must be checked against the layer digest while they are read (oci), 0 when the
 * source already verified them (registry store). */
DD_WARN_UNUSED int dd_image_open_layer(int *fd_out, int *verify_out, const dd_image *img, size_t i,
                                       dd_err *err);

/* docker-archive: one more pass over the archive, calling fn for each member that holds a layer
 * whose index has wanted[i] != 0, in archive order (each member once; the lowest wanted index
 * that names it). verify is 1 when the member's bytes must hash to the layer digest, 2 when only
 * an uncompressed member must (the digest is the diff_id). Stops after the last wanted member;
 * a wanted layer that no member holds is DD_ENOTFOUND. */
typedef int (*dd_image_member_fn)(void *ctx, size_t i, const dd_blob_reader *r, int verify,
                                  dd_err *err);
DD_WARN_UNUSED int dd_image_archive_layers(const dd_image *img, const unsigned char *wanted,
                                           dd_image_member_fn fn, void *ctx, dd_err *err);

#endif
