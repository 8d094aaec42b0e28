/* Allocation wrappers (never abort) and overflow-checked size arithmetic. */
#ifndef DD_UTIL_ALLOC_H
#define DD_UTIL_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <drydock/common.h>

void *dd_malloc(size_t n);
void *dd_calloc(size_t count, size_t size);
void *dd_mallocarray(size_t count, size_t size);
void *dd_realloc(void *p, size_t n);
void *dd_reallocarray(void *p, size_t count, size_t size);
void dd_free(void *p);
char *dd_strdup(const char *s);
/* Copies len bytes of s and NUL-terminates; s need not be terminated. */
char *dd_strndup(const char *s, size_t len);
/* printf into a new string; NULL on allocation failure. */
char *dd_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* *out = a + b; false on overflow (out untouched). */
static inline bool dd_add_size(size_t *out, size_t a, size_t b)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}
/* *out = a * b; false on overflow (out untouched). */
static inline bool dd_mul_size(size_t *out, size_t a, size_t b)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return false;
    *out = r;
    return true;
}

#endif
