/* A growable list of owned strings. */
#ifndef DD_UTIL_STRLIST_H
#define DD_UTIL_STRLIST_H

#include <stddef.h>
#include <drydock/common.h>

typedef struct dd_strlist {
    char **items;
    size_t n;
    size_t cap;
} dd_strlist;

#define DD_STRLIST_INIT                                                                            \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Appends a copy of s[0..len). */
DD_WARN_UNUSED int dd_strlist_push(dd_strlist *l, const char *s, size_t len);
DD_WARN_UNUSED int dd_strlist_push_str(dd_strlist *l, const char *s);
void dd_strlist_free(dd_strlist *l);

#endif
