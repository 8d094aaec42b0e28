/* Growable byte buffer with a maximum size fixed at creation (after curl's dynbuf). */
#ifndef DD_UTIL_BUF_H
#define DD_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>

typedef struct dd_buf {
    char *data; /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max; /* appends that would exceed this fail with DD_ELIMIT */
} dd_buf;

#define DD_BUF_INIT(maxlen)                                                                        \
    {                                                                                              \
        NULL, 0, 0, (maxlen)                                                                       \
    }

void dd_buf_init(dd_buf *b, size_t max);
DD_WARN_UNUSED int dd_buf_append(dd_buf *b, const void *data, size_t len);
DD_WARN_UNUSED int dd_buf_append_str(dd_buf *b, const char *s);
DD_WARN_UNUSED int dd_buf_printf(dd_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as the body of a JSON string (quotes not included), escaping as RFC 8259 requires. */
DD_WARN_UNUSED int dd_buf_append_json_escaped(dd_buf *b, const char *s, size_t len);
void dd_buf_reset(dd_buf *b);
/* Hands the data over to the caller (who frees it with dd_free) and resets the buffer. */
char *dd_buf_take(dd_buf *b);
void dd_buf_free(dd_buf *b);

#endif
