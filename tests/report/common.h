/* Helpers shared by the report tests (common.c). */
#ifndef DD_TESTS_REPORT_COMMON_H
#define DD_TESTS_REPORT_COMMON_H

#include <stdio.h>
#include <jansson.h>
#include "report/report.h"

typedef int (*writer_fn)(FILE *, const dd_scan_report *, dd_err *);

/* Writes r with fn to dir/name; returns the path (dd_free). */
char *write_doc(const char *dir, const char *name, writer_fn fn, const dd_scan_report *r);
/* Parses a JSON file (duplicate keys refused), failing the test otherwise. */
json_t *load(const char *path);
/* The Python interpreter with jsonschema ($DD_PYTHON, else Debian's /usr/bin/python3). */
const char *python(void);
/* Exit status of the validator on doc (0 valid, 1 invalid, 2 error). */
int validate(const char *schema, const char *doc);
/* Fails when the interpreter cannot import jsonschema. */
void test_validator_available(void **state);
/* o[key] when it is a string, else NULL. */
const char *jstr(json_t *o, const char *key);

#endif
