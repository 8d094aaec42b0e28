/* Manifests and indexes: OCI image manifest and index, Docker schema 2 manifest and manifest list.
 * Parses untrusted bytes, validates them against the image-spec rules the registry enforces, and
 * exposes the descriptors the registry must check (config, layers, index entries, subject). */
#ifndef DD_IMAGE_MANIFEST_H
#define DD_IMAGE_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/err.h"

#define DD_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define DD_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define DD_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DD_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DD_MT_OCI_EMPTY "application/vnd.oci.empty.v1+json"

typedef enum dd_manifest_kind {
    DD_MANIFEST_IMAGE = 0, /* OCI image manifest or Docker schema 2 manifest */
    DD_MANIFEST_INDEX = 1  /* OCI index or Docker manifest list */
} dd_manifest_kind;

typedef struct dd_descriptor {
    char *media_type;
    char *digest; /* validated by dd_digest_validate (sha256 only) */
    uint64_t size;
    char *artifact_type;    /* NULL if absent */
    char *platform_os;      /* index entries; NULL if absent */
    char *platform_arch;    /* NULL if absent */
    char *platform_variant; /* NULL if absent */
    char *annotations_json; /* compact JSON object text; NULL if absent */
} dd_descriptor;

typedef struct dd_manifest {
    dd_manifest_kind kind;
    char *media_type;       /* effective media type (one of the DD_MT_* above) */
    char *artifact_type;    /* for the referrers API: artifactType, else config.mediaType of an
                               image manifest; NULL for an index without artifactType */
    char *annotations_json; /* compact JSON object text; NULL if absent */
    dd_descriptor config;   /* image manifests only (zeroed for an index) */
    dd_descriptor *layers;  /* image manifests: layers, in order */
    size_t n_layers;
    dd_descriptor *manifests; /* indexes: entries, in order */
    size_t n_manifests;
    dd_descriptor *subject; /* NULL if absent */
} dd_manifest;

/* Parses and validates a manifest of at most DD_LIMIT_MANIFEST_MAX bytes. content_type is the
 * request's Content-Type (NULL or "" when absent; parameters after ';' ignored). Rules:
 * - valid UTF-8 JSON object, nesting within DD_LIMIT_JSON_DEPTH, no duplicate keys;
 * - schemaVersion == 2 (schema 1 is DD_EUNSUPPORTED);
 * - the media type comes from content_type when it names a manifest type, else from the body's
 *   mediaType, else is inferred (config+layers: OCI manifest; manifests: OCI index); a body
 *   mediaType that contradicts content_type is DD_EINVALID;
 * - image manifests need a config descriptor and a layers array (may be empty for OCI artifacts);
 *   Docker schema 2 needs at least one layer; indexes need a manifests array;
 * - every descriptor has a string mediaType, a valid sha256 digest and a non-negative integer
 *   size; at most DD_LIMIT_MANIFEST_DESCRIPTORS descriptors.
 * Errors are DD_EINVALID (or DD_EUNSUPPORTED) with a one-line reason and offset in err. */
DD_WARN_UNUSED int dd_manifest_parse(dd_manifest **out, const uint8_t *buf, size_t len,
                                     const char *content_type, dd_err *err);
void dd_manifest_free(dd_manifest *m);

/* True when media_type (parameters ignored) is one of the four manifest types above. */
int dd_manifest_media_type_known(const char *media_type);

#endif
