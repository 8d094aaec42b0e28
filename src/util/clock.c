/* The system clock and time formatting. */
#include <stddef.h>
#include "util/clock.h"

#include <stdio.h>
#include <time.h>

static int64_t system_now_ms(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const dd_clock g_system = {system_now_ms, NULL};

const dd_clock *dd_clock_system(void)
{
    return &g_system;
}

void dd_time_format_rfc3339(char *out, size_t out_len, int64_t ms)
{
    int64_t frac = ms % 1000;
    if (frac < 0) /* before 1970: floor, so the fraction is never negative */
        frac += 1000;
    time_t s = (time_t)((ms - frac) / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(out, out_len, "%Y-%m-%dT%H:%M:%S", &tm);
    if (n > 0 && n < out_len)
        snprintf(out + n, out_len - n, ".%03dZ", (int)frac);
}
