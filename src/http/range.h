/* Parsers for the HTTP range headers the registry reads: Range on blob GETs (RFC 9110, one range)
 * and Content-Range on upload PATCHes (the distribution spec's "start-end" form). */
#ifndef DD_HTTP_RANGE_H
#define DD_HTTP_RANGE_H

#include <stddef.h>
#include <stdint.h>

typedef enum dd_range_result {
    DD_RANGE_OK = 0,            /* [start, end] (inclusive) is the range to serve */
    DD_RANGE_NONE = 1,          /* absent, unparsable or multi-range: serve the whole entity */
    DD_RANGE_UNSATISFIABLE = -1 /* answer 416 */
} dd_range_result;

/* Parses a Range header value (s[0..len), need not be NUL-terminated) against an entity of size
 * bytes: "bytes=a-b", "bytes=a-" or "bytes=-n". */
dd_range_result dd_http_parse_range(const char *s, size_t len, uint64_t size, uint64_t *start,
                                    uint64_t *end);
/* Parses a Content-Range value "start-end" (inclusive; an optional "bytes " prefix and a
 * "/total" suffix are accepted). Returns 0, or -1 when malformed or end < start. */
int dd_http_parse_content_range(const char *s, size_t len, uint64_t *start, uint64_t *end);

#endif
