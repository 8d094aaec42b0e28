/* Shared by the C benchmarks: file reading and walking, importing feed files into a
 * vulnerability DB, and the real package lists of tests/fixtures/pkgdb. */
#ifndef DD_BENCH_COMMON_H
#define DD_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include "inventory/pkg.h"

#define FILE_MAX (512u * 1024u * 1024u)
#define DEPTH_MAX 32

double bench_now_ms(void);
int bench_read_file(uint8_t **out, size_t *len_out, const char *path);
/* Calls fn for every regular file under dir, sorted per directory, dot entries skipped. */
typedef int (*file_fn)(void *ctx, const char *path);
int bench_walk(const char *dir, int depth, file_fn fn, void *ctx);
/* Imports every feed file under feeds into a new DB at db_path (prints a summary line). */
int bench_build_db(const char *db_path, const char *feeds);
int bench_ends_with(const char *s, const char *suffix);
int bench_is_dpkg_status(const char *path);
int bench_is_apk_installed(const char *path);
/* A bench_walk callback parsing dpkg status / apk installed files into the lists. */
typedef struct os_files {
    dd_pkg_list *dpkg, *apk;
    size_t n_dpkg_files, n_apk_files;
} os_files;
int bench_parse_os_file(void *ctx, const char *path);
/* Appends a copy of p (first path only) to l. */
int bench_pkg_copy(dd_pkg_list *l, const dd_pkg *p);

#endif
