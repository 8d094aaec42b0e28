/* Operating-system detection from /etc/os-release and its older relatives (lsb-release,
 * alpine-release, debian_version, redhat-release and the per-distro *-release files). */
#ifndef DD_INVENTORY_OS_H
#define DD_INVENTORY_OS_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "image/rootfs.h"
#include "util/err.h"

typedef struct dd_os {
    char *id;          /* lowercase ID: "debian", "ubuntu", "alpine", "rhel", "centos", "rocky",
                          "almalinux", "fedora", "amzn", "ol", "sles", "opensuse-leap", ... */
    char *version_id;  /* "12", "22.04", "3.18.4", "8.6"; NULL when unknown (e.g. sid) */
    char *version;     /* most precise version known: Debian "12.15" from debian_version */
    char *codename;    /* "bookworm", "jammy"; NULL when unknown */
    char *pretty_name; /* PRETTY_NAME, or a composed name */
    char *id_like;     /* ID_LIKE; NULL when absent */
    char *source;      /* the file it was read from, e.g. "/etc/os-release" */
} dd_os;

/* Files OS detection needs (a dd_wants_fn). */
dd_keep dd_os_wants(const char *path, size_t path_len, uint32_t mode, uint64_t size,
                    const dd_extractor **extractor);
/* Detects the OS of fs. 0 with *out filled, DD_ENOTFOUND when nothing is recognised (out zeroed).
 */
DD_WARN_UNUSED int dd_os_detect(const dd_rootfs *fs, dd_os *out, dd_err *err);
/* Parses os-release content (KEY=value lines, shell quoting) into out (fields it sets only). */
DD_WARN_UNUSED int dd_os_release_parse(const uint8_t *buf, size_t len, dd_os *out, dd_err *err);
void dd_os_clear(dd_os *os);

/* The OSV ecosystem of the distro's packages: "Debian:12", "Ubuntu:22.04", "Alpine:v3.18",
 * "Red Hat", "AlmaLinux:9", "Rocky Linux:9", "openSUSE:...", "SUSE:...". Writes into out
 * (at least 64 bytes); returns 0, or DD_ENOTFOUND when the distro has no OSV ecosystem. */
int dd_os_ecosystem(const dd_os *os, char *out, size_t out_len);

#endif
