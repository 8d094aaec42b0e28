/* Helpers shared by the report tests (compiled into each tests/report executable): writing a
 * document with one of the report writers, loading it back, validating it against an official
 * JSON schema with tests/lib/validate_json_schema.py (python3-jsonschema). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "util/alloc.h"

#define VALIDATOR DD_FIXTURES "/../lib/validate_json_schema.py"

char *write_doc(const char *dir, const char *name, writer_fn fn, const dd_scan_report *r)
{
    char *path = dd_asprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    dd_err err = DD_ERR_INIT;
    assert_int_equal(fn(f, r, &err), 0);
    assert_int_equal(fclose(f), 0);
    return path;
}

json_t *load(const char *path)
{
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (doc == NULL)
        fail_msg("%s: %s (line %d)", path, jerr.text, jerr.line);
    return doc;
}

const char *python(void)
{
    const char *p = getenv("DD_PYTHON");
    if (p != NULL && *p)
        return p;
    /* Debian's interpreter, where setup.sh installs python3-jsonschema */
    return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

int validate(const char *schema, const char *doc)
{
    char *cmd = dd_asprintf("'%s' '%s' '%s' '%s' >&2", python(), VALIDATOR, schema, doc);
    int st = system(cmd);
    dd_free(cmd);
    if (st == -1 || !WIFEXITED(st))
        fail_msg("cannot run the schema validator");
    return WEXITSTATUS(st);
}

void test_validator_available(void **state)
{
    (void)state;
    char *cmd = dd_asprintf("'%s' -c 'import jsonschema' 2>/dev/null", python());
    int st = system(cmd);
    dd_free(cmd);
    if (st != 0)
        fail_msg("%s cannot import jsonschema: run scripts/setup.sh (python3-jsonschema)",
                 python());
}

const char *jstr(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}
