/* Structured, escaped log lines in text or JSON form, written under a lock, one line per event. */
#include "util/log.h"
#include "util/buf.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static dd_log_level g_level = DD_LOG_INFO;
static dd_log_format g_format = DD_LOG_FORMAT_TEXT;
static FILE *g_sink = NULL;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

void dd_log_configure(dd_log_level level, dd_log_format format, FILE *sink)
{
    g_level = level;
    g_format = format;
    g_sink = sink;
}

dd_log_level dd_log_level_get(void)
{
    return g_level;
}

int dd_log_level_parse(const char *s)
{
    static const char *names[] = {"debug", "info", "warn", "error", "off"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static const char *level_name(dd_log_level l)
{
    switch (l) {
    case DD_LOG_DEBUG:
        return "debug";
    case DD_LOG_INFO:
        return "info";
    case DD_LOG_WARN:
        return "warn";
    case DD_LOG_ERROR:
        return "error";
    default:
        return "off";
    }
}

static int all_digits(const char *s)
{
    if (*s == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 15)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* Text values are quoted when they hold spaces, quotes, '=' or control bytes. */
static int text_append_value(dd_buf *b, const char *v)
{
    int quote = (*v == '\0');
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c == '"' || c == '=' || c == 0x7f)
            quote = 1;
    }
    if (!quote)
        return dd_buf_append_str(b, v);
    int rc = dd_buf_append(b, "\"", 1);
    if (rc == 0)
        rc = dd_buf_append_json_escaped(b, v, strlen(v));
    if (rc == 0)
        rc = dd_buf_append(b, "\"", 1);
    return rc;
}

void dd_log_emit(dd_log_level level, const char *event, ...)
{
    dd_buf b = DD_BUF_INIT(64 * 1024);
    struct timeval tv;
    struct tm tm;
    char ts[40];
    int rc = 0;

    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, sizeof(ts) - n, ".%03dZ", (int)(tv.tv_usec / 1000));

    if (g_format == DD_LOG_FORMAT_JSON)
        rc = dd_buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"event\":\"", ts,
                           level_name(level));
    else
        rc = dd_buf_printf(&b, "%s %-5s ", ts, level_name(level));
    if (rc == 0)
        rc = g_format == DD_LOG_FORMAT_JSON ? dd_buf_append_json_escaped(&b, event, strlen(event))
                                            : text_append_value(&b, event);
    if (rc == 0 && g_format == DD_LOG_FORMAT_JSON)
        rc = dd_buf_append(&b, "\"", 1);

    va_list ap;
    va_start(ap, event);
    for (;;) {
        const char *k = va_arg(ap, const char *);
        if (k == NULL)
            break;
        const char *v = va_arg(ap, const char *);
        if (v == NULL || rc != 0)
            continue;
        if (g_format == DD_LOG_FORMAT_JSON) {
            rc = dd_buf_append(&b, ",\"", 2);
            if (rc == 0)
                rc = dd_buf_append_json_escaped(&b, k, strlen(k));
            if (rc == 0 && all_digits(v)) {
                rc = dd_buf_printf(&b, "\":%s", v);
            } else {
                if (rc == 0)
                    rc = dd_buf_append(&b, "\":\"", 3);
                if (rc == 0)
                    rc = dd_buf_append_json_escaped(&b, v, strlen(v));
                if (rc == 0)
                    rc = dd_buf_append(&b, "\"", 1);
            }
        } else {
            rc = dd_buf_printf(&b, " %s=", k);
            if (rc == 0)
                rc = text_append_value(&b, v);
        }
    }
    va_end(ap);
    if (rc == 0)
        rc = dd_buf_append_str(&b, g_format == DD_LOG_FORMAT_JSON ? "}\n" : "\n");
    if (rc == 0) {
        FILE *out = g_sink ? g_sink : stderr;
        pthread_mutex_lock(&g_lock);
        fwrite(b.data, 1, b.len, out);
        fflush(out);
        pthread_mutex_unlock(&g_lock);
    }
    dd_buf_free(&b);
}
