/* Injectable clock: everything that depends on time (eligibility, expiry, cleanup) reads one of
 * these, so tests can set the time. */
#ifndef DD_UTIL_CLOCK_H
#define DD_UTIL_CLOCK_H

#include <stdint.h>

typedef struct dd_clock {
    /* Returns milliseconds since the Unix epoch. */
    int64_t (*now_ms)(void *ctx);
    void *ctx;
} dd_clock;

/* The real wall clock. */
const dd_clock *dd_clock_system(void);
static inline int64_t dd_clock_now_ms(const dd_clock *c)
{
    return c->now_ms(c->ctx);
}
/* Formats ms since the epoch as RFC 3339 UTC with milliseconds into out (at least 32 bytes). */
void dd_time_format_rfc3339(char *out, size_t out_len, int64_t ms);

#endif
