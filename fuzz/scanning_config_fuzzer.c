/* Fuzz target for the input side of src/scanning: a PutRegistryScanningConfiguration body (client
 * JSON) through validation and normalization, every repository-filter string through the ECR
 * filter grammar and WILDCARD matcher, and the stored-inventory decoder (rows read back from the
 * metadata database, treated as untrusted). Properties: normalization either fails with
 * DD_EINVALID or yields a configuration that normalizes to itself; a parsed stored inventory
 * written back parses to as many packages; a filter accepted by the
 * grammar matches names in a way consistent with its own text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scanning/internal.h"
#include "util/alloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    /* the stored (line per package) form, whole and with every other package skipped */
    dd_inventory parsed;
    dd_err perr = DD_ERR_INIT;
    unsigned char want[64];
    for (size_t i = 0; i < sizeof(want); i++)
        want[i] = (unsigned char)(i % 2);
    if (dd_scan_inventory_parse(&parsed, (const char *)data, size, NULL, 0, &perr) == 0) {
        char *text = dd_scan_inventory_text(&parsed);
        dd_inventory back;
        if (text == NULL ||
            dd_scan_inventory_parse(&back, text, strlen(text), NULL, 0, &perr) != 0 ||
            back.pkgs.n != parsed.pkgs.n)
            abort();
        dd_inventory_free(&back);
        dd_free(text);
        dd_inventory_free(&parsed);
    }
    if (dd_scan_inventory_parse(&parsed, (const char *)data, size, want, sizeof(want), &perr) == 0)
        dd_inventory_free(&parsed);
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
