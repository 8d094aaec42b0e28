/* Range and Content-Range header parsing: bounded, overflow-checked, no NUL terminator assumed. */
#include "http/range.h"

#include <string.h>

/* Reads decimal digits at s[*i..len) into *out; returns the number of digits, or -1 on overflow. */
static int read_u64(const char *s, size_t len, size_t *i, uint64_t *out)
{
    uint64_t v = 0;
    int n = 0;
    while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(s[*i] - '0');
        (*i)++;
        n++;
    }
    *out = v;
    return n;
}

dd_range_result dd_http_parse_range(const char *s, size_t len, uint64_t size, uint64_t *start,
                                    uint64_t *end)
{
    size_t i = 6;
    uint64_t a = 0, b = 0;
    if (s == NULL || len < 6 || memcmp(s, "bytes=", 6) != 0)
        return DD_RANGE_NONE;
    int na = read_u64(s, len, &i, &a);
    if (na < 0)
        return DD_RANGE_UNSATISFIABLE;
    if (i >= len || s[i] != '-')
        return DD_RANGE_NONE;
    i++;
    int nb = read_u64(s, len, &i, &b);
    if (nb < 0)
        return DD_RANGE_UNSATISFIABLE;
    if (i != len || (na == 0 && nb == 0)) /* several ranges or junk: whole entity */
        return DD_RANGE_NONE;
    if (na == 0) { /* suffix: the last b bytes */
        if (b == 0 || size == 0)
            return DD_RANGE_UNSATISFIABLE;
        *start = b >= size ? 0 : size - b;
        *end = size - 1;
        return DD_RANGE_OK;
    }
    if (a >= size || (nb > 0 && b < a))
        return DD_RANGE_UNSATISFIABLE;
    *start = a;
    *end = (nb == 0 || b >= size) ? size - 1 : b;
    return DD_RANGE_OK;
}

int dd_http_parse_content_range(const char *s, size_t len, uint64_t *start, uint64_t *end)
{
    size_t i = 0;
    uint64_t a, b;
    if (s == NULL)
        return -1;
    if (len >= 6 && memcmp(s, "bytes ", 6) == 0)
        i = 6;
    if (read_u64(s, len, &i, &a) <= 0 || i >= len || s[i] != '-')
        return -1;
    i++;
    if (read_u64(s, len, &i, &b) <= 0)
        return -1;
    if (i != len && s[i] != '/')
        return -1;
    if (b < a)
        return -1;
    *start = a;
    *end = b;
    return 0;
}
