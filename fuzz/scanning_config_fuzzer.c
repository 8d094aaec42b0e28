/* Fuzz target for the input side of src/scanning: a PutRegistryScanningConfiguration body (client
 * JSON) through validation and normalization, every repository-filter string through the ECR
 * filter grammar and WILDCARD matcher, and the stored-inventory decoder (rows read back from the
 * metadata database, treated as untrusted). Properties: normalization either fails with
 * DD_EINVALID or yields a configuration that normalizes to itself; a filter accepted by the
 * grammar matches names in a way consistent with its own text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanning/internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    json_t *in = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
    if (in == NULL) {
        /* the raw bytes as a filter and a name */
        char buf[300];
        size_t n = size < sizeof(buf) - 1 ? size : sizeof(buf) - 1;
        memcpy(buf, data, n);
        buf[n] = '\0';
        if (dd_scan_filter_valid(buf) && strchr(buf, '*') == NULL &&
            !dd_scan_filter_match(buf, buf))
            abort(); /* a filter without '*' contains itself */
        (void)dd_scan_filter_match(buf, "prod/api");
        return 0;
    }
    dd_err err = DD_ERR_INIT;
    json_t *norm = NULL, *again = NULL;
    int rc = dd_scan_config_normalize(in, &norm, &err);
    if (rc != 0 && rc != DD_EINVALID && rc != DD_ENOMEM)
        abort();
    if (rc == 0) {
        if (dd_scan_config_normalize(norm, &again, &err) != 0 || !json_equal(norm, again))
            abort();
        json_t *applied = NULL;
        (void)dd_scan_effective(norm, "prod/api", true, &applied);
        json_decref(applied);
    }
    json_decref(norm);
    json_decref(again);
    dd_inventory inv;
    if (dd_scan_inventory_decode(&inv, in, &err) == 0) {
        json_t *enc = dd_scan_inventory_encode(&inv);
        dd_inventory back;
        if (enc == NULL || dd_scan_inventory_decode(&back, enc, &err) != 0 ||
            back.pkgs.n != inv.pkgs.n)
            abort();
        dd_inventory_free(&back);
        json_decref(enc);
        dd_inventory_free(&inv);
    }
    json_decref(in);
    return 0;
}
