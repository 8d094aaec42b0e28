/* The list of built-in importers and format detection for `drydock db import`. Red Hat CSAF comes
 * first: its files carry "id" and could pass OSV's check, while "csaf_version" is CSAF's own key.
 * OSV comes next: its detection looks for OSV's own keys, so it never claims another feed's files,
 * while the other formats are told apart by their file names and keys. */
#include "vulndb/import.h"

const dd_importer *const dd_importers[] = {
    &dd_importer_redhat_csaf,     &dd_importer_osv_json,
    &dd_importer_osv_yaml,        &dd_importer_debian_tracker_json,
    &dd_importer_debian_dsa_list, &dd_importer_alpine_secdb,
    &dd_importer_rubysec,         &dd_importer_nodejs_wg,
    &dd_importer_rustsec,         NULL,
};

const dd_importer *dd_import_detect(const char *path, const uint8_t *head, size_t head_len)
{
    for (size_t i = 0; dd_importers[i] != NULL; i++)
        if (dd_importers[i]->detect(path, head, head_len))
            return dd_importers[i];
    return NULL;
}
