/* Allocation wrappers: the only way src/ allocates, so failure is always reported, never fatal. */
#include "util/alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *dd_malloc(size_t n)
{
    return malloc(n == 0 ? 1 : n);
}

void *dd_calloc(size_t count, size_t size)
{
    return calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
}

void *dd_mallocarray(size_t count, size_t size)
{
    size_t n;
    if (!dd_mul_size(&n, count, size))
        return NULL;
    return dd_malloc(n);
}

void *dd_realloc(void *p, size_t n)
{
    return realloc(p, n == 0 ? 1 : n);
}

void *dd_reallocarray(void *p, size_t count, size_t size)
{
    size_t n;
    if (!dd_mul_size(&n, count, size))
        return NULL;
    return dd_realloc(p, n);
}

void dd_free(void *p)
{
    free(p);
}

char *dd_strndup(const char *s, size_t len)
{
    size_t n;
    if (!dd_add_size(&n, len, 1))
        return NULL;
    char *d = dd_malloc(n);
    if (d == NULL)
        return NULL;
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *dd_strdup(const char *s)
{
    return dd_strndup(s, strlen(s));
}

char *dd_asprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return NULL;
    char *s = dd_malloc((size_t)n + 1);
    if (s == NULL)
        return NULL;
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}
