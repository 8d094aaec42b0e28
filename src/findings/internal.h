/* Private to src/findings: pieces of the FilterCriteria engine reused by the aggregations, coverage
 * and export filters, opaque page tokens, and small helpers shared by the Inspector2 queries. */
#ifndef DD_FINDINGS_INTERNAL_H
#define DD_FINDINGS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "sql/sql.h"
#include "util/err.h"

/* Validates a list (1..10) of StringFilter-like objects: comparison in allowed (NULL-terminated),
 * value 1..max_len characters. path names the member in messages ("field: message"). */
DD_WARN_UNUSED int dd_fc_validate_strings(const json_t *list, const char *const *allowed,
                                          size_t max_len, const char *path, dd_err *err);
/* Validates a list (1..10) of DateFilter-like objects (startInclusive/endInclusive numbers). */
DD_WARN_UNUSED int dd_fc_validate_dates(const json_t *list, const char *path, dd_err *err);
/* Validates a list (1..10) of NumberFilter-like objects (lowerInclusive/upperInclusive). */
DD_WARN_UNUSED int dd_fc_validate_numbers(const json_t *list, const char *path, dd_err *err);
/* Validates a list (1..10) of MapFilter-like objects (comparison EQUALS, key 1..key_max, value
 * 0..value_max; value_min 1 makes an empty value invalid). */
DD_WARN_UNUSED int dd_fc_validate_maps(const json_t *list, size_t key_max, size_t value_min,
                                       size_t value_max, const char *path, dd_err *err);

/* A list of string conditions against the values vals[0..n) of one field: EQUALS/PREFIX OR-ed,
 * NOT_EQUALS AND-ed (no value may equal it; true for a field without values). */
bool dd_fc_match_strings(const json_t *list, const char *const *vals, size_t n);
/* Date (epoch seconds) and number conditions: any condition whose bounds hold (inclusive); false
 * when the field has no value. */
bool dd_fc_match_dates(const json_t *list, bool has, double v);
bool dd_fc_match_numbers(const json_t *list, bool has, double v);
/* Map conditions against a tags object (NULL = none): any condition whose key is present with an
 * equal value (or any value when the condition has none). */
bool dd_fc_match_map(const json_t *list, const json_t *tags);

/* The value at a dotted path of a Finding-like document; arrays met on the way are flattened
 * (e.g. "resources.details.awsEcrContainerImage.imageTags" yields every tag of every resource).
 * Returns the number of values found, storing at most max borrowed pointers in out. */
size_t dd_fc_values(const json_t *doc, const char *path, const json_t **out, size_t max);

/* Opaque page tokens: base64url of {"o":offset,"h":hash}, where hash binds the token to the
 * request that produced it. */
char *dd_fc_token_encode(uint64_t offset, const char *hash); /* dd_free; NULL on ENOMEM */
/* 0 and *offset; DD_EINVALID ("nextToken: ...") when malformed or made for another request. */
DD_WARN_UNUSED int dd_fc_token_decode(const char *token, const char *hash, uint64_t *offset,
                                      dd_err *err);
/* First 16 hex digits of SHA-256 over kind and the canonical JSON (sorted keys) of parts[0..n)
 * (NULL parts allowed), into out (17 bytes). */
DD_WARN_UNUSED int dd_fc_request_hash(char out[17], const char *kind, const json_t *const *parts,
                                      size_t n);

/* The "exports" migrations (sbom.c), run by dd_findings_migrate_inspector with "filters". */
DD_WARN_UNUSED int dd_findings_exports_migrate(dd_sql *s, dd_err *err);

/* Number of UTF-8 characters of s. */
size_t dd_fc_utf8_len(const char *s);
/* Epoch seconds (with fraction) for ms. */
json_t *dd_fc_time(int64_t ms);

#endif
