/* URL scheme detection for backend locations. */
#include "util/url.h"

#include <string.h>
#include <strings.h>

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

size_t dd_url_scheme_len(const char *url)
{
    size_t i = 0;
    if (!is_alpha(url[0]))
        return 0;
    while (is_alpha(url[i]) || (url[i] >= '0' && url[i] <= '9') || url[i] == '+' || url[i] == '-' ||
           url[i] == '.')
        i++;
    return url[i] == ':' ? i : 0;
}

bool dd_url_scheme_is(const char *url, size_t n, const char *name)
{
    return n == strlen(name) && strncasecmp(url, name, n) == 0;
}
