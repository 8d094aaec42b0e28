/* Fuzz target for the os-release parser and OS detection: dd_os_release_parse on the input, then
 * the input as each release file of a root filesystem through dd_os_detect and dd_os_ecosystem.
 * Values set are non-empty C strings, IDs are lowercase, errors point inside the input. The corpus
 * (fuzz/corpora/inventory_os_release/) holds real os-release and lsb-release files copied from
 * tests/fixtures/pkgdb/os-release (provenance in tests/fixtures/pkgdb/PROVENANCE.tsv). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "image/rootfs.h"
#include "inventory/os.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, int lower)
{
    if (s == NULL)
        return;
    if (s[0] == '\0')
        __builtin_trap();
    for (; *s; s++)
        if (lower && *s >= 'A' && *s <= 'Z')
            __builtin_trap();
}

static void check_os(const dd_os *os)
{
    char eco[96];
    check_str(os->id, 1);
    check_str(os->id_like, 1);
    check_str(os->version_id, 0);
    check_str(os->codename, 0);
    check_str(os->pretty_name, 0);
    if (dd_os_ecosystem(os, eco, sizeof(eco)) == 0 && strlen(eco) >= sizeof(eco))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const places[] = {
        "etc/os-release",     "usr/lib/os-release", "etc/lsb-release",   "etc/alpine-release",
        "etc/debian_version", "etc/redhat-release", "etc/system-release"};
    dd_os os;
    dd_err err = DD_ERR_INIT;
    memset(&os, 0, sizeof(os));
    int rc = dd_os_release_parse(data, size, &os, &err);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOMEM)
        __builtin_trap();
    if (rc == DD_EINVALID && err.offset >= size)
        __builtin_trap();
    if (rc == 0)
        check_os(&os);
    dd_os_clear(&os);

    /* the first byte picks where the rest goes; debian_version rides along to mix sources */
    if (size == 0)
        return 0;
    const char *place = places[data[0] % (sizeof(places) / sizeof(places[0]))];
    dd_rootfs *fs = NULL;
    if (dd_rootfs_new(&fs) != 0)
        return 0;
    rc = dd_rootfs_add_file(fs, place, data + 1, size - 1, size - 1, 0100644, 0, 0);
    if (rc == 0 && (data[0] & 0x80) != 0)
        rc = dd_rootfs_add_file(fs, "etc/debian_version", (const uint8_t *)"12.15\n", 6, 6, 0100644,
                                0, 0);
    if (rc == 0 && dd_rootfs_finish(fs) == 0) {
        rc = dd_os_detect(fs, &os, &err);
        if (rc != 0 && rc != DD_ENOTFOUND && rc != DD_ENOMEM)
            __builtin_trap();
        if (rc == 0) {
            if (os.id == NULL || os.pretty_name == NULL || os.source == NULL)
                __builtin_trap();
            check_os(&os);
        }
        if (rc == DD_ENOTFOUND && os.id != NULL)
            __builtin_trap();
        dd_os_clear(&os);
    }
    dd_rootfs_free(fs);
    return 0;
}
