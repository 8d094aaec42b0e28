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

#endif
