/* Layer reading: streams each layer of an image once through libarchive (tar; gzip, zstd or no
 * compression), keeps what the catalogers want, and applies the layers in order into the final
 * filesystem (dd_rootfs). Layers are read concurrently, each into its own contribution; the
 * contributions are merged in layer order, so the result never depends on thread timing.
 *
 * Whiteouts (OCI image-spec): `.wh.NAME` in DIR removes DIR/NAME and everything below it that
 * lower layers put there; `.wh..wh..opq` in DIR removes everything lower layers put below DIR
 * (the layer's own entries stay). Any non-directory entry replaces what lower layers had at its
 * path (and below it); a directory entry replaces a lower non-directory. Symlinks are all recorded;
 * a hard link gets a copy of its target's kept content when `wants` wants the link's name too.
 *
 * Concurrency contract: `wants` and the extractors' callbacks are called from several threads at
 * once (one file at a time per thread); they must be thread-safe (pure functions of their input,
 * or state local to an extractor's begin/end). */
#ifndef DD_IMAGE_LAYER_H
#define DD_IMAGE_LAYER_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "image/rootfs.h"
#include "image/source.h"
#include "util/digest.h"
#include "util/err.h"

/* Counters of one dd_image_read_rootfs call. */
typedef struct dd_read_stats {
    size_t layers_total;         /* layers of the image (positions; duplicates counted) */
    size_t layers_read;          /* distinct layers streamed from their blob */
    size_t layers_cached;        /* distinct layers taken from the cache */
    uint64_t compressed_bytes;   /* blob bytes read from the source (what was streamed) */
    uint64_t decompressed_bytes; /* tar bytes of the layers streamed */
    uint64_t entries;            /* tar entries of the layers streamed */
} dd_read_stats;

/* Called from the reading thread at most every DD_READ_PROGRESS_MS, and once at the end. */
typedef void (*dd_progress_fn)(void *ctx, size_t layers_done, size_t layers_total,
                               uint64_t bytes_done);
#define DD_READ_PROGRESS_MS 250

typedef struct dd_read_options {
    /* Reader threads; 0 = online CPUs. Capped at DD_LIMIT_READ_THREADS. */
    int threads;
    /* Limits; 0 = the default from util/limits.h. A larger value is clamped to the default. */
    uint64_t max_layer_bytes; /* decompressed bytes per layer (DD_LIMIT_LAYER_DECOMPRESSED_MAX) */
    uint64_t max_file_bytes;  /* kept bytes per file (DD_LIMIT_LAYER_FILE_MAX) */
    uint64_t max_entries;     /* tar entries per layer (DD_LIMIT_LAYER_ENTRIES) */
    /* Contribution cache: NULL = none. cache_key names what `wants` keeps (derive it from the
     * catalogers' versions); required with cache_dir. The directory is created if missing. */
    const char *cache_dir;
    const char *cache_key;
    dd_progress_fn progress; /* optional */
    void *progress_ctx;
    dd_read_stats *stats; /* optional: filled in (also on failure) */
} dd_read_options;

#define DD_READ_OPTIONS_INIT                                                                       \
    {                                                                                              \
        0, 0, 0, 0, NULL, NULL, NULL, NULL, NULL                                                   \
    }

/* Reads the final filesystem of img: every regular file that `wants` asks for (dd_keep), every
 * symlink, whiteouts applied. ro may be NULL (defaults). dir: targets go to dd_rootfs_from_dir.
 * Errors name the layer (index and digest) and, for entries, the path:
 * DD_EINVALID (corrupt tar or compression, a ".." or NUL in an entry name),
 * DD_ELIMIT (a limit of ro), DD_EMISMATCH (a blob does not hash to its digest or has another
 * size), DD_EUNSUPPORTED (a layer media type that is not a tar), DD_EIO, DD_ENOMEM, or an
 * extractor's code. With several failing layers the lowest one is reported. */
DD_WARN_UNUSED int dd_image_read_rootfs(dd_rootfs **out, dd_image *img, dd_wants_fn wants,
                                        const dd_read_options *ro, dd_err *err);

/* ---- contributions (what one layer changes), for layer.c, cache.c and the fuzzer ---- */

typedef enum dd_op_kind {
    DD_OP_FILE = 1,     /* a kept regular file (data = content or extractor output) */
    DD_OP_SYMLINK = 2,  /* target = link text, unresolved */
    DD_OP_WHITEOUT = 3, /* path and everything below it go (lower layers) */
    DD_OP_OPAQUE = 4,   /* everything below path goes (lower layers); path "" = the root */
    DD_OP_DIR = 5,      /* a directory: replaces a lower non-directory at path */
    DD_OP_REPLACE = 6   /* a non-directory not kept: replaces what lower layers had at path */
} dd_op_kind;

typedef struct dd_layer_op {
    uint8_t kind;      /* dd_op_kind */
    uint8_t extracted; /* DD_OP_FILE: data is an extractor's output */
    uint32_t mode;     /* DD_OP_FILE: type and permission bits */
    uint64_t size;     /* DD_OP_FILE: size of the file in the layer */
    const char *path;  /* normalised; owned by the contribution */
    const char *target;
    uint8_t *data; /* DD_OP_FILE: owned (dd_malloc); NULL after it was handed to a rootfs */
    size_t len;
} dd_layer_op;

typedef struct dd_contrib dd_contrib;

DD_WARN_UNUSED int dd_contrib_new(dd_contrib **out);
void dd_contrib_free(dd_contrib *c);
/* Appends an op; copies path and target (path_len/target_len bytes, need not be terminated) and
 * takes data (freed on failure too). */
DD_WARN_UNUSED int dd_contrib_add(dd_contrib *c, dd_op_kind kind, const char *path, size_t path_len,
                                  const char *target, size_t target_len, uint32_t mode,
                                  uint64_t size, uint8_t *data, size_t len, int extracted);
size_t dd_contrib_n_ops(const dd_contrib *c);
const dd_layer_op *dd_contrib_op(const dd_contrib *c, size_t i);
/* What the layer's tar had: entries and decompressed bytes (checked against the limits when a
 * contribution comes from the cache). */
void dd_contrib_set_totals(dd_contrib *c, uint64_t n_entries, uint64_t tar_bytes);
void dd_contrib_totals(const dd_contrib *c, uint64_t *n_entries, uint64_t *tar_bytes);

/* One layer to read: identity for messages and verification, limits, and what to keep. */
typedef struct dd_layer_args {
    size_t index;       /* layer index in the image, for messages */
    const char *digest; /* "sha256:..." for messages and verification; "" when unknown */
    uint64_t size;      /* expected blob size when verify == 1; 0 = unchecked */
    int verify;         /* 0: no; 1: blob must hash to digest; 2: only when not compressed */
    dd_wants_fn wants;
    uint64_t max_layer_bytes, max_file_bytes, max_entries; /* all > 0 */
    /* Optional cancellation: stops with DD_EBUSY once *failed_at (read atomically) < seq. */
    const size_t *failed_at;
    size_t seq;
    uint64_t *progress;  /* optional: blob bytes added atomically as they are read */
    int *verified_out;   /* optional: set to 1 when the digest was checked */
    uint64_t *blob_read; /* optional: blob bytes read */
} dd_layer_args;

/* Streams one layer blob (all of it, so the digest can be checked) into a new contribution. */
DD_WARN_UNUSED int dd_layer_read(dd_contrib **out, const dd_blob_reader *src,
                                 const dd_layer_args *args, dd_err *err);

/* Applies contributions to a rootfs in layer order, keeping the bookkeeping that tells which
 * paths lower layers hold (so replacement and whiteouts only touch the rootfs when they remove
 * something). */
typedef struct dd_merge dd_merge;
DD_WARN_UNUSED int dd_merge_new(dd_merge **out, dd_rootfs *fs);
void dd_merge_free(dd_merge *m);
/* Applies c as layer `layer` (calls must come in increasing layer order). With take, file data
 * moves into the rootfs (c's ops lose it); else it is copied. */
DD_WARN_UNUSED int dd_merge_apply(dd_merge *m, dd_contrib *c, int layer, int take);

#endif
