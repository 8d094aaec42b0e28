/* Tests for `drydock admin` (src/cli/admin.c, compiled into this test since the CLI is not part of
 * the library): key create/list/revoke against a temporary data directory (output, JSON, file
 * modes, what lands in the key store), usage errors and their exit statuses, and the dispatch of
 * `admin webhook` (stubbed here, with dd_cli_bad_option). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/admin.c"

/* ---- stubs for what main.c and admin_webhook.c provide ---- */

static int webhook_argc;
static char webhook_argv0[32], webhook_argv1[32];

int dd_cmd_admin_webhook(int argc, char **argv)
{
    webhook_argc = argc;
    snprintf(webhook_argv0, sizeof(webhook_argv0), "%s", argc > 0 ? argv[0] : "");
    snprintf(webhook_argv1, sizeof(webhook_argv1), "%s", argc > 1 ? argv[1] : "");
    return 42;
}

int dd_cli_bad_option(const char *cmd, const char *arg, const struct option *opts)
{
    (void)opts;
    fprintf(stderr, "drydock %s: unrecognised or incomplete option '%s'\n", cmd, arg);
    return 2;
}

/* ---- helpers ---- */

typedef struct fixture {
    char dir[64];
    char data[96];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/dd_test_admin_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->data, sizeof(f->data), "%s/data", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char p[160];
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s/metadata.sqlite%s", f->data, suffixes[i]);
        unlink(p);
    }
    rmdir(f->data);
    assert_int_equal(rmdir(f->dir), 0);
    free(f);
    return 0;
}

/* Runs dd_cmd_admin with stdout and stderr captured into *out (free). */
static int run_cli(char **out, int argc, char **argv)
{
    char path[] = "/tmp/dd_test_admin_out_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    assert_true(so >= 0 && se >= 0);
    dup2(fd, 1);
    dup2(fd, 2);
    int rc = dd_cmd_admin(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    off_t len = lseek(fd, 0, SEEK_END);
    assert_true(len >= 0);
    char *buf = calloc(1, (size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)len, 0), len);
    close(fd);
    unlink(path);
    *out = buf;
    return rc;
}

#define RUN(out, ...)                                                                              \
    run_cli(out, (int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)), (char *[]){__VA_ARGS__})

static void expect_contains(const char *s, const char *part)
{
    if (strstr(s, part) == NULL)
        fail_msg("'%s' lacks '%s'", s, part);
}

/* The keys in f's data directory, read through the library. */
static dd_auth_key *stored_keys(fixture *f, size_t *n)
{
    char path[160];
    dd_err err = DD_ERR_INIT;
    dd_sql *sql = NULL;
    dd_auth *a = NULL;
    dd_auth_key *keys = NULL;
    snprintf(path, sizeof(path), "%s/metadata.sqlite", f->data);
    assert_int_equal(dd_sql_open(&sql, path, 1, &err), 0);
    dd_auth_options o = DD_AUTH_OPTIONS_INIT;
    assert_int_equal(dd_auth_open(&a, sql, dd_clock_system(), &o, &err), 0);
    assert_int_equal(dd_auth_key_list(a, &keys, n, &err), 0);
    dd_auth_close(a);
    dd_sql_close(sql);
    return keys;
}

/* ---- tests ---- */

static void test_help_and_dispatch(void **state)
{
    (void)state;
    char *out = NULL;
    assert_int_equal(RUN(&out, "admin", "--help"), 0);
    expect_contains(out, "key create");
    expect_contains(out, "key list");
    expect_contains(out, "key revoke ID");
    expect_contains(out, "webhook");
    free(out);
    assert_int_equal(RUN(&out, "admin"), 2);
    expect_contains(out, "Usage: drydock admin");
    free(out);
    assert_int_equal(RUN(&out, "admin", "frob"), 2);
    expect_contains(out, "unknown command 'frob'");
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "--help"), 0);
    expect_contains(out, "--read-only");
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "create", "--help"), 0);
    expect_contains(out, "--repos PATTERNS");
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "frob"), 2);
    free(out);
    assert_int_equal(RUN(&out, "admin", "webhook", "list", "--data", "/nonexistent"), 42);
    assert_int_equal(webhook_argc, 4);
    assert_string_equal(webhook_argv0, "webhook");
    assert_string_equal(webhook_argv1, "list");
    free(out);
}

static void test_usage_errors(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    assert_int_equal(RUN(&out, "admin", "key", "list", "--data", f->data, "--admn"), 2);
    expect_contains(out, "'--admn'");
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "revoke", "--data", f->data), 2);
    expect_contains(out, "one access key id");
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "revoke", "--data", f->data, "A", "B"), 2);
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "list", "--data", f->data, "--admin"), 2);
    expect_contains(out, "only go with 'create'");
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "create", "--data", f->data, "extra"), 2);
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "revoke", "X", "--json", "--data", f->data), 2);
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "create", "--data"), 2); /* missing value */
    free(out);
    /* list and revoke need an existing data directory; nothing was created */
    assert_int_equal(RUN(&out, "admin", "key", "list", "--data", f->data), 1);
    expect_contains(out, "not found");
    free(out);
    struct stat sb;
    assert_int_not_equal(stat(f->data, &sb), 0);
}

static void test_create_list_revoke(void **state)
{
    fixture *f = *state;
    char *out = NULL;
    assert_int_equal(RUN(&out, "admin", "key", "create", "--data", f->data, "--repos",
                         "team-a/*, prod", "--read-only", "--description", "ci puller"),
                     0);
    expect_contains(out, "access key id:     DDAK");
    expect_contains(out, "role:              read-only");
    expect_contains(out, "repositories:      team-a/*,prod");
    char id[64] = "", secret[64] = "";
    const char *p = strstr(out, "access key id:     ");
    assert_non_null(p);
    memcpy(id, p + 19, 20);
    p = strstr(out, "secret access key: ");
    assert_non_null(p);
    memcpy(secret, p + 19, 40);
    assert_int_equal(strlen(secret), 40);
    free(out);

    /* the data directory and the database holding secrets are private */
    struct stat sb;
    char path[160];
    assert_int_equal(stat(f->data, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0700);
    snprintf(path, sizeof(path), "%s/metadata.sqlite", f->data);
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);

    assert_int_equal(RUN(&out, "admin", "key", "create", "-d", f->data, "--admin", "--json"), 0);
    json_error_t jerr;
    json_t *j = json_loads(out, 0, &jerr);
    assert_non_null(j);
    assert_true(json_is_true(json_object_get(j, "admin")));
    assert_int_equal(strlen(json_string_value(json_object_get(j, "secretAccessKey"))), 40);
    char admin_id[64];
    snprintf(admin_id, sizeof(admin_id), "%s",
             json_string_value(json_object_get(j, "accessKeyId")));
    json_decref(j);
    free(out);

    size_t n = 0;
    dd_auth_key *keys = stored_keys(f, &n);
    assert_int_equal(n, 2);
    assert_string_equal(keys[0].access_key_id, id);
    assert_string_equal(keys[0].repos, "team-a/*,prod");
    assert_false(keys[0].can_push);
    assert_false(keys[0].admin);
    assert_string_equal(keys[0].description, "ci puller");
    assert_string_equal(keys[1].access_key_id, admin_id);
    assert_true(keys[1].admin);
    dd_free(keys);

    /* list: ids, never secrets */
    assert_int_equal(RUN(&out, "admin", "key", "list", "--data", f->data), 0);
    expect_contains(out, id);
    expect_contains(out, admin_id);
    expect_contains(out, "ci puller");
    assert_null(strstr(out, secret));
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "revoke", id, "--data", f->data), 0);
    expect_contains(out, "revoked");
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "revoke", "DDAKNOSUCHKEY0000000", "--data", f->data),
                     1);
    expect_contains(out, "no access key");
    free(out);
    assert_int_equal(RUN(&out, "admin", "key", "list", "--json", "--data", f->data), 0);
    j = json_loads(out, 0, &jerr);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 2);
    assert_null(json_object_get(json_array_get(j, 0), "secretAccessKey"));
    assert_true(json_is_string(json_object_get(json_array_get(j, 0), "revokedAt")));
    assert_true(json_is_null(json_object_get(json_array_get(j, 1), "revokedAt")));
    json_decref(j);
    assert_null(strstr(out, secret));
    free(out);

    /* a bad scope is refused and nothing is added */
    assert_int_equal(RUN(&out, "admin", "key", "create", "--data", f->data, "--repos", "Prod"), 1);
    expect_contains(out, "not allowed");
    free(out);
    keys = stored_keys(f, &n);
    assert_int_equal(n, 2);
    dd_free(keys);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_help_and_dispatch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_list_revoke, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
