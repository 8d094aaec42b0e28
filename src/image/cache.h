/* Layer contribution cache: what reading one layer produced for one set of catalogers (kept files,
 * symlinks, whiteouts, replaced paths), stored as one file per (layer digest, cache key) so a
 * second scan of an image that shares layers reads only the layers it has not seen.
 *
 * File: DIR/<algo>-<hex>-<first 16 hex of sha256(key)>.ddlc, written to a temporary file in DIR
 * and renamed into place (readers never see a partial file; no fsync: a file lost or truncated by
 * a crash is detected and ignored). Format (integers little-endian):
 *
 *   magic "DDLCONT\n" | u32 version (1) | u32 key_len, key | u32 digest_len, digest
 *   | u64 n_entries | u64 tar_bytes | u64 n_ops
 *   | n_ops x { u8 kind | u8 extracted | u32 mode | u64 size | u32 path_len, path
 *               | u32 target_len, target | u64 data_len, data }
 *   | "sha256:" + 64 hex: SHA-256 of every byte before it
 *
 * A file whose checksum, magic, version, key or digest does not match, or that does not parse, is
 * DD_EINVALID: the caller re-reads the layer (and its write replaces the bad file). */
#ifndef DD_IMAGE_CACHE_H
#define DD_IMAGE_CACHE_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "image/layer.h"
#include "util/err.h"

#define DD_CACHE_VERSION 1

/* Loads the contribution of layer `digest` for `key`. DD_ENOTFOUND when there is none;
 * DD_EINVALID when the file is corrupt; DD_ELIMIT when larger than DD_LIMIT_CACHE_FILE_MAX. */
DD_WARN_UNUSED int dd_cache_load(dd_contrib **out, const char *dir, const char *key,
                                 const char *digest, dd_err *err);
/* Stores c (creating dir if missing). DD_ELIMIT when the file would exceed
 * DD_LIMIT_CACHE_FILE_MAX (nothing stored). */
DD_WARN_UNUSED int dd_cache_store(const char *dir, const char *key, const char *digest,
                                  const dd_contrib *c, dd_err *err);

/* The same format in memory (tests, fuzzing). *out is freed with dd_free. */
DD_WARN_UNUSED int dd_cache_encode(uint8_t **out, size_t *out_len, const char *key,
                                   const char *digest, const dd_contrib *c, dd_err *err);
DD_WARN_UNUSED int dd_cache_decode(dd_contrib **out, const uint8_t *buf, size_t len,
                                   const char *key, const char *digest, dd_err *err);

#endif
