/* Locations given as either a plain path or a URL ("scheme:..."), for choosing a backend. */
#ifndef DD_UTIL_URL_H
#define DD_UTIL_URL_H

#include <stdbool.h>
#include <stddef.h>

/* Longest scheme quoted back in an error message. */
#define DD_URL_SCHEME_SHOWN_MAX 32

/* Length of the URL scheme that starts url (RFC 3986: ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")
 * followed by ':'), or 0 when url is a plain path. */
size_t dd_url_scheme_len(const char *url);
/* True when the scheme of length n at the start of url is name (case-insensitive). */
bool dd_url_scheme_is(const char *url, size_t n, const char *name);

#endif
