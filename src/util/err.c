/* Error codes and one-line error details. */
#include "util/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *dd_strerror(int code)
{
    switch (code) {
    case DD_OK:
        return "OK";
    case DD_ENOMEM:
        return "ENOMEM";
    case DD_EINVALID:
        return "EINVALID";
    case DD_ENOTFOUND:
        return "ENOTFOUND";
    case DD_EIO:
        return "EIO";
    case DD_EEXIST:
        return "EEXIST";
    case DD_ELIMIT:
        return "ELIMIT";
    case DD_EMISMATCH:
        return "EMISMATCH";
    case DD_ERANGE:
        return "ERANGE";
    case DD_EBUSY:
        return "EBUSY";
    case DD_EDB:
        return "EDB";
    case DD_EUNSUPPORTED:
        return "EUNSUPPORTED";
    case DD_EDENIED:
        return "EDENIED";
    case DD_ECONFLICT:
        return "ECONFLICT";
    default:
        return "EUNKNOWN";
    }
}

static void vset(dd_err *err, int code, size_t offset, const char *fmt, va_list ap)
{
    err->code = code;
    err->offset = offset;
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

int dd_err_set(dd_err *err, int code, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vset(err, code, 0, fmt, ap);
        va_end(ap);
    }
    return code;
}

int dd_err_set_at(dd_err *err, int code, size_t offset, const char *fmt, ...)
{
    if (err != NULL) {
        va_list ap;
        va_start(ap, fmt);
        vset(err, code, offset, fmt, ap);
        va_end(ap);
    }
    return code;
}

int dd_err_errno(dd_err *err, int errnum, const char *what)
{
    int code = DD_EIO;
    if (errnum == ENOENT)
        code = DD_ENOTFOUND;
    else if (errnum == ENOMEM)
        code = DD_ENOMEM;
    else if (errnum == EEXIST)
        code = DD_EEXIST;
    return dd_err_set(err, code, "%s: %s", what, strerror(errnum));
}

void dd_err_clear(dd_err *err)
{
    if (err != NULL) {
        err->code = 0;
        err->offset = 0;
        err->msg[0] = '\0';
    }
}
