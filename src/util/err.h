/* One-line error details carried beside a return code (never errno or thread-local state). */
#ifndef DD_UTIL_ERR_H
#define DD_UTIL_ERR_H

#include <stddef.h>
#include <drydock/common.h>

#define DD_ERR_MSG_MAX 256

typedef struct dd_err {
    int code;
    size_t offset; /* byte offset in the input for parse errors, else 0 */
    char msg[DD_ERR_MSG_MAX];
} dd_err;

#define DD_ERR_INIT                                                                                \
    {                                                                                              \
        0, 0,                                                                                      \
        {                                                                                          \
            0                                                                                      \
        }                                                                                          \
    }

/* Sets code and message (printf-style); returns code so callers can `return dd_err_set(...)`.
 * err may be NULL. */
int dd_err_set(dd_err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Same, recording a byte offset into the input. */
int dd_err_set_at(dd_err *err, int code, size_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Translates an errno value at the OS boundary: ENOENT -> DD_ENOTFOUND, ENOMEM -> DD_ENOMEM, EEXIST
 * -> DD_EEXIST, else DD_EIO; message is "<what>: <strerror>". */
int dd_err_errno(dd_err *err, int errnum, const char *what);
void dd_err_clear(dd_err *err);

#endif
