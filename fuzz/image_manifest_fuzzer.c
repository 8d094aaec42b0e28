/* Fuzz target for dd_manifest_parse: every input is parsed without a Content-Type, then again
 * (minus its first byte) with the Content-Type the first byte picks, and each result is checked
 * against the header's promises before it is freed. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "image/manifest.h"
#include "util/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const content_types[] = {
    DD_MT_OCI_MANIFEST,
    DD_MT_OCI_INDEX,
    DD_MT_DOCKER_MANIFEST,
    DD_MT_DOCKER_LIST,
    DD_MT_OCI_MANIFEST "; charset=utf-8",
    DD_MT_OCI_INDEX "; charset=utf-8",
    DD_MT_DOCKER_MANIFEST "; charset=utf-8",
    DD_MT_DOCKER_LIST "; charset=utf-8",
};

static void check_descriptor(const dd_descriptor *d)
{
    if (d->media_type == NULL || d->digest == NULL ||
        dd_digest_validate(d->digest, strlen(d->digest), NULL) != 0)
        __builtin_trap();
}

static void parse(const uint8_t *data, size_t size, const char *content_type)
{
    dd_manifest *m = NULL;
    dd_err err = DD_ERR_INIT;
    int rc = dd_manifest_parse(&m, data, size, content_type, &err);
    if (rc != 0) {
        /* Failures leave nothing behind and always say why and where. */
        if (m != NULL || err.code != rc || err.msg[0] == '\0' || err.offset > size)
            __builtin_trap();
        return;
    }
    if (m == NULL || !dd_manifest_media_type_known(m->media_type))
        __builtin_trap();
    if (m->kind == DD_MANIFEST_IMAGE) {
        check_descriptor(&m->config);
        if (m->n_manifests != 0 || m->artifact_type == NULL)
            __builtin_trap();
        for (size_t i = 0; i < m->n_layers; i++)
            check_descriptor(&m->layers[i]);
    } else {
        if (m->n_layers != 0 || m->config.digest != NULL)
            __builtin_trap();
        for (size_t i = 0; i < m->n_manifests; i++)
            check_descriptor(&m->manifests[i]);
    }
    if (m->subject != NULL)
        check_descriptor(m->subject);
    dd_manifest_free(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse(data, size, NULL);
    if (size > 0)
        parse(data + 1, size - 1,
              content_types[data[0] % (sizeof(content_types) / sizeof(content_types[0]))]);
    return 0;
}
