/* Table-driven configuration (after redis's config.c): each entry has a type, a default, a minimum
 * and a maximum; a file of `key = value` lines and command-line overrides are validated against the
 * table into a plain struct that is then passed down read-only. */
#ifndef DD_UTIL_CONFIG_H
#define DD_UTIL_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/err.h"

typedef enum dd_config_type {
    DD_CONFIG_STRING = 0,  /* char * (owned by the struct, freed with dd_config_free) */
    DD_CONFIG_INT = 1,     /* int64_t, plain integer */
    DD_CONFIG_SECONDS = 2, /* int64_t seconds; accepts suffixes s, m, h, d */
    DD_CONFIG_BYTES = 3,   /* int64_t bytes; accepts suffixes K, M, G (binary) */
    DD_CONFIG_ENUM = 4     /* char *, one of a '|'-separated list */
} dd_config_type;

typedef struct dd_config_entry {
    const char *name;
    dd_config_type type;
    size_t offset; /* offsetof the field in the target struct */
    const char *def;
    int64_t min, max;    /* numeric types */
    const char *choices; /* ENUM: "a|b|c" */
    const char *help;
} dd_config_entry;

/* Sets every field of target to its default. */
DD_WARN_UNUSED int dd_config_defaults(void *target, const dd_config_entry *table, size_t n,
                                      dd_err *err);
/* Sets one entry from text, validating it. Unknown key: DD_ENOTFOUND. */
DD_WARN_UNUSED int dd_config_set(void *target, const dd_config_entry *table, size_t n,
                                 const char *key, const char *value, dd_err *err);
/* Reads `key = value` lines ('#' comments, blank lines) from path. Errors name the line. */
DD_WARN_UNUSED int dd_config_load_file(void *target, const dd_config_entry *table, size_t n,
                                       const char *path, dd_err *err);
/* Frees the strings a config struct owns. */
void dd_config_free(void *target, const dd_config_entry *table, size_t n);

#endif
