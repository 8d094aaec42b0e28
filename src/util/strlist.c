/* A growable list of owned strings. */
#include "util/strlist.h"
#include "util/alloc.h"

#include <string.h>

int dd_strlist_push(dd_strlist *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **p = dd_reallocarray(l->items, cap, sizeof(*p));
        if (p == NULL)
            return DD_ENOMEM;
        l->items = p;
        l->cap = cap;
    }
    char *c = dd_strndup(s, len);
    if (c == NULL)
        return DD_ENOMEM;
    l->items[l->n++] = c;
    return 0;
}

int dd_strlist_push_str(dd_strlist *l, const char *s)
{
    return dd_strlist_push(l, s, strlen(s));
}

void dd_strlist_free(dd_strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        dd_free(l->items[i]);
    dd_free(l->items);
    l->items = NULL;
    l->n = 0;
    l->cap = 0;
}
