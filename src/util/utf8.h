/* UTF-8 checks and repair for text taken from untrusted files before it goes into JSON or onto a
 * terminal. */
#ifndef DD_UTIL_UTF8_H
#define DD_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or code points > U+10FFFF). */
bool dd_utf8_valid(const char *s, size_t len);
/* A copy of s with every ill-formed sequence replaced by U+FFFD; NULL on allocation failure.
 * With no_controls, C0/C1 control characters and DEL are replaced too (for terminals). */
char *dd_utf8_sanitize(const char *s, bool no_controls);

#endif
