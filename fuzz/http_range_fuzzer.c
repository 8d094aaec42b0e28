/* Fuzz target for the Range and Content-Range parsers (src/http/range.c). The first 8 bytes, when
 * present, are the entity size (little-endian); the rest is the header value. Aborts when a
 * documented post-condition fails: DD_RANGE_OK means start <= end < size, a parsed Content-Range
 * has start <= end, and results are one of the documented values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_range(const char *s, size_t len, uint64_t entity)
{
    uint64_t start = 0, end = 0;
    dd_range_result r = dd_http_parse_range(s, len, entity, &start, &end);
    if (r != DD_RANGE_OK && r != DD_RANGE_NONE && r != DD_RANGE_UNSATISFIABLE)
        abort();
    if (r == DD_RANGE_OK && !(start <= end && end < entity))
        abort();
    /* the same input must give the same answer (no hidden state, no reads past len) */
    uint64_t start2 = 0, end2 = 0;
    if (dd_http_parse_range(s, len, entity, &start2, &end2) != r)
        abort();
    if (r == DD_RANGE_OK && (start2 != start || end2 != end))
        abort();
}

static void check_content_range(const char *s, size_t len)
{
    uint64_t start = 0, end = 0;
    int r = dd_http_parse_content_range(s, len, &start, &end);
    if (r != 0 && r != -1)
        abort();
    if (r == 0 && start > end)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint64_t entity = 1000;
    if (size >= 8) {
        entity = 0;
        for (int i = 7; i >= 0; i--)
            entity = (entity << 8) | data[i];
        data += 8;
        size -= 8;
    }
    /* an exactly-sized copy, so a sanitizer sees any read past len */
    char *s = malloc(size ? size : 1);
    if (s == NULL)
        return 0;
    if (size > 0)
        memcpy(s, data, size);
    check_range(s, size, entity);
    check_range(s, size, entity % 1024); /* small entities as well */
    check_content_range(s, size);
    free(s);
    return 0;
}
