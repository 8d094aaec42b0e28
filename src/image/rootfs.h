/* The image's final filesystem as the catalogers see it: only the files some cataloger asked for,
 * after every layer was applied in order (OCI whiteouts `.wh.NAME` and opaque directories
 * `.wh..wh..opq` honoured), plus the symlinks and hard links needed to resolve paths inside the
 * image (never outside it).
 *
 * Paths are normalised: relative to the image root, no leading "/" or "./", no "." or ".."
 * components, no trailing "/" (e.g. "var/lib/dpkg/status"). The reader refuses entries whose
 * names contain ".." components or are absolute after normalisation fails. */
#ifndef DD_IMAGE_ROOTFS_H
#define DD_IMAGE_ROOTFS_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/err.h"

/* What a cataloger wants of a file met while reading layers. */
typedef enum dd_keep {
    DD_KEEP_NONE = 0,   /* not interested */
    DD_KEEP_WHOLE = 1,  /* keep the whole content (up to the file limit; larger is an error) */
    DD_KEEP_EXTRACT = 2 /* stream the content through the cataloger's extractor; keep its output */
} dd_keep;

/* A streaming filter for large files (Go/Rust binaries, jars): sees every byte once, keeps only
 * what its cataloger needs. All callbacks receive the state returned by begin. */
typedef struct dd_extractor {
    /* Returns the state, or NULL to skip this file (e.g. not an ELF file after all: decided on the
     * first bytes in feed, so begin may just allocate). */
    void *(*begin)(const char *path, uint64_t size);
    /* Returns 0 to continue, 1 when it needs no more bytes, negative DD_E* on error. */
    int (*feed)(void *state, const uint8_t *data, size_t len);
    /* Hands over what to keep (*out freed by the reader with dd_free; NULL/0 = keep nothing) and
     * frees the state. Called once per successful begin, even after an error. */
    int (*end)(void *state, uint8_t **out, size_t *out_len);
} dd_extractor;

/* Asked for every regular file of every layer. path is normalised; mode holds the permission and
 * type bits as in struct stat; size is the file's size. Returns what to keep; for
 * DD_KEEP_EXTRACT it sets *extractor. Must be cheap: it runs on every entry. */
typedef dd_keep (*dd_wants_fn)(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                               const dd_extractor **extractor);

/* A kept file in the final filesystem. */
typedef struct dd_rfile {
    const char *path;    /* normalised */
    const uint8_t *data; /* content (or extractor output); not NUL-terminated */
    size_t len;
    uint64_t size; /* size of the file in the image (len differs when extracted) */
    uint32_t mode;
    int layer;     /* index (0 = bottom) of the layer that last wrote it */
    int extracted; /* 1 when data is an extractor's output rather than the content */
} dd_rfile;

typedef struct dd_rootfs dd_rootfs;

/* Number of kept files, and the i-th (sorted by path, byte order). */
size_t dd_rootfs_count(const dd_rootfs *fs);
const dd_rfile *dd_rootfs_at(const dd_rootfs *fs, size_t i);
/* Looks a path up, following symlinks inside the image (at most 40 hops; a link that leaves the
 * root is clamped to it, like chroot). NULL when absent or not kept. */
const dd_rfile *dd_rootfs_get(const dd_rootfs *fs, const char *path);
/* The target, as recorded, of the symlink at exactly path (normalised; not resolved through
 * other links), or NULL when path is not a symlink. E.g. "usr/lib" for "lib" in /usr-merged
 * images. */
const char *dd_rootfs_symlink(const dd_rootfs *fs, const char *path);
/* Index of the first kept file whose path is >= prefix (for prefix scans with dd_rootfs_at). */
size_t dd_rootfs_lower_bound(const dd_rootfs *fs, const char *prefix);
/* Number of layers, and the digest of layer i ("sha256:..."; for dir: targets, "" ). */
size_t dd_rootfs_n_layers(const dd_rootfs *fs);
const char *dd_rootfs_layer_digest(const dd_rootfs *fs, size_t i);

/* Building a rootfs (the layer reader, the dir: target and tests use these). Files and symlinks
 * added later replace earlier ones at the same path; dd_rootfs_remove applies a whiteout (the path
 * and everything below it). dd_rootfs_finish sorts; lookups are valid only after it. */
DD_WARN_UNUSED int dd_rootfs_new(dd_rootfs **out);
/* Copies data. */
DD_WARN_UNUSED int dd_rootfs_add_file(dd_rootfs *fs, const char *path, const uint8_t *data,
                                      size_t len, uint64_t size, uint32_t mode, int layer,
                                      int extracted);
/* Takes ownership of data (allocated with dd_malloc). */
DD_WARN_UNUSED int dd_rootfs_add_file_take(dd_rootfs *fs, const char *path, uint8_t *data,
                                           size_t len, uint64_t size, uint32_t mode, int layer,
                                           int extracted);
DD_WARN_UNUSED int dd_rootfs_add_symlink(dd_rootfs *fs, const char *path, const char *target,
                                         int layer);
/* Removes path and everything below it (files and symlinks) added by layers < layer. */
void dd_rootfs_remove(dd_rootfs *fs, const char *path, int layer);
/* Removes everything strictly below dir added by layers < layer (an opaque directory). */
void dd_rootfs_remove_below(dd_rootfs *fs, const char *dir, int layer);
DD_WARN_UNUSED int dd_rootfs_set_layers(dd_rootfs *fs, const char *const *digests, size_t n);
DD_WARN_UNUSED int dd_rootfs_finish(dd_rootfs *fs);
void dd_rootfs_free(dd_rootfs *fs);

/* Normalises an entry name from a tar or a directory walk into out (see the header comment):
 * strips "./" and leading "/", collapses "//", resolves "." and refuses ".." (DD_EINVALID), and
 * refuses empty names, NUL bytes and paths over 4096 bytes or 256 components (DD_ELIMIT).
 * out must hold len + 1 bytes. */
DD_WARN_UNUSED int dd_path_normalize(char *out, const char *in, size_t len, dd_err *err);

/* Reads a root filesystem from a directory on disk (the dir: target): walks it without following
 * symlinks, records symlinks, and keeps the files `wants` asks for (extractors included). Files
 * larger than max_file when DD_KEEP_WHOLE are an error naming the file. All files get layer 0. */
DD_WARN_UNUSED int dd_rootfs_from_dir(dd_rootfs **out, const char *dir, dd_wants_fn wants,
                                      uint64_t max_file, dd_err *err);

#endif
