/* Growable byte buffer with a hard maximum. */
#include "util/buf.h"
#include "util/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void dd_buf_init(dd_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

static int grow(dd_buf *b, size_t extra)
{
    size_t need;
    if (!dd_add_size(&need, b->len, extra) || need > b->max)
        return DD_ELIMIT;
    if (!dd_add_size(&need, need, 1))
        return DD_ELIMIT;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (!dd_mul_size(&cap, cap, 2)) {
            cap = need;
            break;
        }
    }
    char *p = dd_realloc(b->data, cap);
    if (p == NULL)
        return DD_ENOMEM;
    b->data = p;
    b->cap = cap;
    return 0;
}

int dd_buf_append(dd_buf *b, const void *data, size_t len)
{
    int rc = grow(b, len);
    if (rc != 0)
        return rc;
    if (len > 0)
        memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int dd_buf_append_str(dd_buf *b, const char *s)
{
    return dd_buf_append(b, s, strlen(s));
}

int dd_buf_printf(dd_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return DD_EINVALID;
    int rc = grow(b, (size_t)n);
    if (rc != 0)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int dd_buf_append_json_escaped(dd_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t n = 0;
        if (c == '"' || c == '\\') {
            esc[n++] = '\\';
            esc[n++] = (char)c;
        } else if (c == '\n') {
            esc[n++] = '\\';
            esc[n++] = 'n';
        } else if (c == '\r') {
            esc[n++] = '\\';
            esc[n++] = 'r';
        } else if (c == '\t') {
            esc[n++] = '\\';
            esc[n++] = 't';
        } else if (c < 0x20 || c == 0x7f) {
            memcpy(esc, "\\u00", 4);
            n = 4;
            esc[n++] = hex[c >> 4];
            esc[n++] = hex[c & 15];
        } else {
            esc[n++] = (char)c;
        }
        int rc = dd_buf_append(b, esc, n);
        if (rc != 0)
            return rc;
    }
    return 0;
}

void dd_buf_reset(dd_buf *b)
{
    b->len = 0;
    if (b->data != NULL)
        b->data[0] = '\0';
}

char *dd_buf_take(dd_buf *b)
{
    char *p = b->data;
    if (p == NULL)
        p = dd_strdup("");
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}

void dd_buf_free(dd_buf *b)
{
    dd_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}
