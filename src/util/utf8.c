/* UTF-8 validation and repair (RFC 3629 well-formedness), hand-written: a few lines, and the
 * libraries we link (jansson) only reject invalid input rather than repair it. */
#include "util/utf8.h"
#include "util/alloc.h"
#include "util/buf.h"

#include <string.h>

/* Length of the well-formed sequence at s (1..4), or 0 when ill-formed. */
static size_t seq_len(const unsigned char *s, size_t left)
{
    unsigned char c = s[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xbf;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        if (c == 0xe0)
            lo = 0xa0;
        if (c == 0xed)
            hi = 0x9f; /* no surrogates */
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        if (c == 0xf0)
            lo = 0x90;
        if (c == 0xf4)
            hi = 0x8f;
    } else
        return 0;
    if (left < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    return n;
}

bool dd_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = seq_len(p + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

char *dd_utf8_sanitize(const char *s, bool no_controls)
{
    size_t len = strlen(s);
    dd_buf b = DD_BUF_INIT((size_t)-1 / 4);
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        size_t n = seq_len(p + i, len - i);
        int ctl = n == 1 && (p[i] < 0x20 || p[i] == 0x7f);
        int c1 = n == 2 && p[i] == 0xc2 && p[i + 1] < 0xa0;
        int rc;
        if (n == 0 || (no_controls && (ctl || c1))) {
            rc = dd_buf_append(&b, "\xef\xbf\xbd", 3);
            i += n ? n : 1;
        } else {
            rc = dd_buf_append(&b, s + i, n);
            i += n;
        }
        if (rc != 0) {
            dd_buf_free(&b);
            return NULL;
        }
    }
    return dd_buf_take(&b);
}
