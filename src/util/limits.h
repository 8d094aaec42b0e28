/* Every limit on untrusted input, in one place (after sqlite's sqliteLimit.h). Configuration may
 * lower these, never raise them past the hard caps below. */
#ifndef DD_UTIL_LIMITS_H
#define DD_UTIL_LIMITS_H

/* Largest manifest or index accepted on PUT (the distribution spec suggests 4 MiB). */
#define DD_LIMIT_MANIFEST_MAX (4u * 1024u * 1024u)
/* Deepest JSON nesting accepted in a manifest. */
#define DD_LIMIT_JSON_DEPTH 64
/* Most descriptors (layers, manifests, blobs) in one manifest. */
#define DD_LIMIT_MANIFEST_DESCRIPTORS 10000
/* Repository name: total length and path components (the spec's regex has no bound; we do). */
#define DD_LIMIT_REPO_NAME_MAX 255
#define DD_LIMIT_REPO_COMPONENTS 16
/* Tag length: the spec's regex allows 128 characters. */
#define DD_LIMIT_TAG_MAX 128
/* Longest digest string ("sha512:" + 128 hex). */
#define DD_LIMIT_DIGEST_MAX 135
/* Largest single blob (hard cap; config lowers it). */
#define DD_LIMIT_BLOB_MAX (64ull * 1024ull * 1024ull * 1024ull)
/* Largest request body kept in memory for non-streaming endpoints (JSON APIs). */
#define DD_LIMIT_JSON_BODY_MAX (8u * 1024u * 1024u)
/* Page size cap for catalog and tag listings. */
#define DD_LIMIT_PAGE_MAX 10000
/* Config file: longest line and most lines. */
#define DD_LIMIT_CONFIG_LINE 4096

/* ---- Image reading (src/image/source.c, layer.c, cache.c) ---- */
/* Decompressed bytes read from one layer (the tar stream); a layer that would exceed it is refused
 * before its data is read (entry sizes are checked against it from the headers). */
#define DD_LIMIT_LAYER_DECOMPRESSED_MAX (32ull * 1024ull * 1024ull * 1024ull)
/* Bytes kept in memory for one file (DD_KEEP_WHOLE content or an extractor's output). */
#define DD_LIMIT_LAYER_FILE_MAX (256ull * 1024ull * 1024ull)
/* Tar entries in one layer. */
#define DD_LIMIT_LAYER_ENTRIES 2000000ull
/* Normalised path inside an image: bytes and components (as dd_path_normalize enforces). */
#define DD_LIMIT_PATH_MAX 4096
#define DD_LIMIT_PATH_COMPONENTS 256
/* Image configuration JSON, OCI layout index.json and docker-archive manifest.json. */
#define DD_LIMIT_IMAGE_CONFIG_MAX (8u * 1024u * 1024u)
/* Nested image indexes followed when choosing a manifest (index -> index -> manifest). */
#define DD_LIMIT_INDEX_DEPTH 8
/* Small JSON members of a docker-archive buffered while looking for manifest.json (total). */
#define DD_LIMIT_ARCHIVE_JSON_TOTAL (64u * 1024u * 1024u)
/* Symlink hops followed between members of a docker-archive. */
#define DD_LIMIT_ARCHIVE_LINK_HOPS 16
/* Layer reader threads (the default is the number of online CPUs, capped here). */
#define DD_LIMIT_READ_THREADS 8
/* Largest layer-cache file read back or written (bigger contributions are not cached). */
#define DD_LIMIT_CACHE_FILE_MAX (4ull * 1024ull * 1024ull * 1024ull)

#endif
