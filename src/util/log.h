/* Structured logging: an event name plus key/value pairs, as text (key=value) or one JSON object
 * per line. The level is checked before any argument is evaluated. Values are escaped, so untrusted
 * bytes cannot forge lines or fields. */
#ifndef DD_UTIL_LOG_H
#define DD_UTIL_LOG_H

#include <stdio.h>

typedef enum dd_log_level {
    DD_LOG_DEBUG = 0,
    DD_LOG_INFO = 1,
    DD_LOG_WARN = 2,
    DD_LOG_ERROR = 3,
    DD_LOG_OFF = 4
} dd_log_level;

typedef enum dd_log_format { DD_LOG_FORMAT_TEXT = 0, DD_LOG_FORMAT_JSON = 1 } dd_log_format;

/* Host configuration, done once by main() before threads start. The sink defaults to stderr. */
void dd_log_configure(dd_log_level level, dd_log_format format, FILE *sink);
dd_log_level dd_log_level_get(void);
/* Parses "debug", "info", "warn", "error", "off"; returns -1 when unknown. */
int dd_log_level_parse(const char *s);

/* Emits one line: event, then (key, value) string pairs terminated by NULL. A value that is all
 * digits is written as a JSON number in JSON format. A NULL value is skipped. */
void dd_log_emit(dd_log_level level, const char *event, ...) __attribute__((sentinel));

#define dd_log(level, ...)                                                                         \
    do {                                                                                           \
        if ((level) >= dd_log_level_get())                                                         \
            dd_log_emit((level), __VA_ARGS__);                                                     \
    } while (0)

#endif
