/* A streaming scanner for executables, shared by the Go and Rust catalogers: one pass over an ELF
 * file keeps the Go build info (the ".go.buildinfo" bytes from the "\xff Go buildinf:" magic on)
 * and the cargo-auditable dependency list (the ".dep-v0" section, inflated to its JSON).
 *
 * Both catalogers' wants return the same extractor (&dd_elf_extractor) for the same files, so a
 * reader that combines catalogers keeps one output per file, and it serves both: the output is a
 * small container of records:
 *
 *   "DDELF\x01" then records of: kind (1 byte: DD_ELF_REC_*), length (u32 little endian), bytes.
 *
 * The stream is read forward only, so section headers (at the end of the file) are of no use:
 * the Go magic is found by scanning 16-byte aligned offsets (where the linker puts the section)
 * and the cargo-auditable section by trying to inflate at every zlib header until one inflates to
 * `{"packages"`. Files that do not start with the ELF magic are dropped after 4 bytes. */
#ifndef DD_INVENTORY_ELF_H
#define DD_INVENTORY_ELF_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "image/rootfs.h"
#include "inventory/pkg.h"
#include "util/err.h"

#define DD_ELF_REC_GO 'G'    /* bytes from the Go build info magic on (bounded) */
#define DD_ELF_REC_CARGO 'C' /* inflated cargo-auditable JSON */

/* Largest Go build info kept (header + version + modinfo). */
#define DD_ELF_GO_MAX (256u * 1024u)
/* Largest inflated cargo-auditable JSON kept. */
#define DD_ELF_CARGO_MAX (8u * 1024u * 1024u)
/* Smallest file worth scanning. */
#define DD_ELF_MIN_SIZE 1024u

extern const dd_extractor dd_elf_extractor;

/* Wants for executables: regular files with an execute bit, or below a "bin/" or "sbin/"
 * directory, at least DD_ELF_MIN_SIZE bytes: DD_KEEP_EXTRACT with dd_elf_extractor. */
dd_keep dd_elf_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                     const dd_extractor **extractor);

/* Finds the first record of kind in an extractor output. Returns 1 and sets *out and *out_len when
 * found, 0 when data is not an extractor output or holds no such record (never reads past len). */
int dd_elf_find(const uint8_t *data, size_t len, int kind, const uint8_t **out, size_t *out_len);

/* A parser of one file format, as catalogers export them. */
typedef int (*dd_elf_parse_fn)(const uint8_t *buf, size_t len, const char *path, int layer,
                               dd_pkg_list *out, dd_err *err);

/* The catalog loop shared by the Go and Rust catalogers: kept text files for which is_text says
 * so go to parse_text; extracted binaries holding a record of `kind` go to parse_record with that
 * record. Paths are reported as "/"+path; parse errors become warnings; only DD_ENOMEM stops. */
int dd_elf_catalog(const dd_rootfs *fs, int kind, int (*is_text)(const char *path, size_t len),
                   dd_elf_parse_fn parse_text, dd_elf_parse_fn parse_record, dd_pkg_list *out,
                   void (*warn)(void *ctx, const char *path, const char *msg), void *warn_ctx,
                   dd_err *err);

#endif
