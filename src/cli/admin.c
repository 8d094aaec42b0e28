/* `drydock admin`: access keys (create, list, revoke) directly in
 * DATA/metadata.sqlite, and the dispatch to `drydock admin webhook`
 * (admin_webhook.c). No server is needed: a running server sees new and revoked
 * keys on the next request. */
#include "auth/auth.h"
#include "cli/cli.h"
#include "sql/sql.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static const char admin_usage[] =
    "Usage: drydock admin <command> [options]\n"
    "\n"
    "Administers an installation through its data directory (no server "
    "needed).\n"
    "\n"
    "Commands:\n"
    "  key create     create an access key and print its id and secret "
    "(docs/auth.md)\n"
    "  key list       list the access keys (secrets are never shown)\n"
    "  key revoke ID  revoke an access key and the ECR tokens issued with it\n"
    "  webhook ...    manage the webhooks that receive events "
    "(docs/events.md)\n"
    "\n"
    "Run `drydock admin key --help` or `drydock admin webhook --help` for the "
    "options.\n";

static const char key_usage[] =
    "Usage: drydock admin key <command> [options]\n"
    "\n"
    "Manages the access keys of the ECR/Inspector2 API (SigV4) and of the "
    "registry (Basic\n"
    "login with the key id and secret, or with user AWS and an ECR token), in\n"
    "DIR/metadata.sqlite. Changes apply to a running server at once.\n"
    "\n"
    "Commands:\n"
    "  create [--admin] [--repos PATTERNS] [--read-only] [--description TEXT] "
    "[--json]\n"
    "                         create a key; prints its id and secret (the "
    "secret only now)\n"
    "  list [--json]          list the keys, revoked ones included (never "
    "their secrets)\n"
    "  revoke ID              revoke a key: its signatures, logins and tokens "
    "stop working\n"
    "\n"
    "Options:\n"
    "  -d, --data DIR         data directory (default ./data; created by "
    "'create' if missing)\n"
    "      --admin            the key may do everything, including managing "
    "webhooks\n"
    "  -r, --repos PATTERNS   repositories the key may use: comma-separated "
    "patterns of\n"
    "                         lowercase letters, digits, . _ - / and '*'. "
    "Without '*' a pattern\n"
    "                         is one repository name; '*' matches any "
    "characters, '/' included\n"
    "                         (\"team-a/*\", \"*-prod\"). Default '*' (all)\n"
    "      --read-only        pull only: no push, no delete\n"
    "      --description TEXT a note shown by 'list' (at most 255 bytes)\n"
    "  -j, --json             print JSON\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 on success, 1 on an error, 2 on a usage error.\n";

static const struct option key_opts[] = {{"data", required_argument, NULL, 'd'},
                                         {"admin", no_argument, NULL, 'a'},
                                         {"repos", required_argument, NULL, 'r'},
                                         {"read-only", no_argument, NULL, 'R'},
                                         {"description", required_argument, NULL, 'D'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};

typedef struct key_args {
    const char *cmd;
    const char *data;
    const char *repos;
    const char *description;
    bool admin, read_only, json;
    const char *id; /* revoke */
} key_args;

static int usage_error(const char *msg)
{
    fprintf(stderr, "drydock admin key: %s\n", msg);
    fprintf(stderr, "Try 'drydock admin key --help'.\n");
    return 2;
}

/* Parses options and positionals; returns -1 to go on, else an exit status. */
static int parse_key_args(key_args *a, int argc, char **argv)
{
    int c;
    optind = 0; /* full reinitialisation (GNU): getopt may have run before */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:r:jh", key_opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->data = optarg;
            break;
        case 'a':
            a->admin = true;
            break;
        case 'r':
            a->repos = optarg;
            break;
        case 'R':
            a->read_only = true;
            break;
        case 'D':
            a->description = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'h':
            fputs(key_usage, stdout);
            return 0;
        default:
            return dd_cli_bad_option("admin key", argv[optind - 1], key_opts);
        }
    }
    bool create = strcmp(a->cmd, "create") == 0, revoke = strcmp(a->cmd, "revoke") == 0;
    if (!create && (a->admin || a->repos != NULL || a->read_only || a->description != NULL))
        return usage_error("--admin, --repos, --read-only and --description only "
                           "go with 'create'");
    if (revoke && a->json)
        return usage_error("--json does not go with 'revoke'");
    int want = revoke ? 1 : 0;
    if (argc - optind != want)
        return usage_error(revoke   ? "'revoke' takes one access key id"
                           : create ? "'create' takes no arguments"
                                    : "'list' takes no arguments");
    if (revoke)
        a->id = argv[optind];
    return -1;
}

static void format_time(char out[40], int64_t ms)
{
    dd_time_format_rfc3339(out, 40, ms);
}

static const char *role(const dd_auth_key *k)
{
    return k->admin ? "admin" : k->can_push ? "push" : "read-only";
}

static json_t *key_json(const dd_auth_key *k, bool with_secret)
{
    char created[40], revoked[40];
    format_time(created, k->created_ms);
    format_time(revoked, k->revoked_ms);
    json_t *o = json_object();
    if (o == NULL)
        return NULL;
    int bad = json_object_set_new(o, "accessKeyId", json_string(k->access_key_id));
    if (with_secret)
        bad |= json_object_set_new(o, "secretAccessKey", json_string(k->secret));
    bad |= json_object_set_new(o, "account", json_string(k->account));
    bad |= json_object_set_new(o, "admin", json_boolean(k->admin));
    bad |= json_object_set_new(o, "canPush", json_boolean(k->can_push));
    bad |= json_object_set_new(o, "repositories", json_string(k->repos));
    bad |= json_object_set_new(o, "description", json_string(k->description));
    bad |= json_object_set_new(o, "createdAt", json_string(created));
    if (!with_secret)
        bad |= json_object_set_new(o, "revokedAt",
                                   k->revoked_ms != 0 ? json_string(revoked) : json_null());
    if (bad != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int print_json(json_t *v)
{
    if (v == NULL)
        return DD_ENOMEM;
    int rc = json_dumpf(v, stdout, JSON_INDENT(2)) == 0 ? 0 : DD_EIO;
    if (rc == 0)
        putchar('\n');
    json_decref(v);
    return rc;
}

static int do_create(const key_args *a, dd_auth *auth, dd_err *err)
{
    dd_auth_key k;
    dd_auth_key_spec spec = {a->admin, a->read_only, a->repos, a->description, NULL, NULL};
    int rc = dd_auth_key_create(auth, &spec, &k, err);
    if (rc != 0)
        return rc;
    if (a->json) {
        rc = print_json(key_json(&k, true));
    } else {
        printf("access key id:     %s\n", k.access_key_id);
        printf("secret access key: %s\n", k.secret);
        printf("account:           %s\n", k.account);
        printf("role:              %s\n", role(&k));
        printf("repositories:      %s\n", k.admin ? "* (admin)" : k.repos);
        printf("\nThe secret is shown only now. Use the pair as AWS_ACCESS_KEY_ID "
               "and\n"
               "AWS_SECRET_ACCESS_KEY, or as user name and password of a registry "
               "login.\n");
    }
    OPENSSL_cleanse(&k, sizeof(k));
    return rc;
}

static int do_list(const key_args *a, dd_auth *auth, dd_err *err)
{
    dd_auth_key *keys = NULL;
    size_t n = 0;
    int rc = dd_auth_key_list(auth, &keys, &n, err);
    if (rc != 0)
        return rc;
    if (a->json) {
        json_t *arr = json_array();
        for (size_t i = 0; arr != NULL && i < n; i++) {
            if (json_array_append_new(arr, key_json(&keys[i], false)) != 0) {
                json_decref(arr);
                arr = NULL;
            }
        }
        rc = print_json(arr);
    } else if (n == 0) {
        printf("no access keys\n");
    } else {
        printf("%-20s  %-12s  %-9s  %-24s  %-20s  %s\n", "ACCESS KEY ID", "ACCOUNT", "ROLE",
               "REPOSITORIES", "CREATED", "STATUS / DESCRIPTION");
        for (size_t i = 0; i < n; i++) {
            const dd_auth_key *k = &keys[i];
            char created[40], revoked[40];
            format_time(created, k->created_ms);
            format_time(revoked, k->revoked_ms);
            created[19] = '\0'; /* to the second */
            revoked[19] = '\0';
            printf("%-20s  %-12s  %-9s  %-24s  %-20s  %s%s%s%s\n", k->access_key_id, k->account,
                   role(k), k->admin ? "*" : k->repos, created,
                   k->revoked_ms != 0 ? "revoked " : "active", k->revoked_ms != 0 ? revoked : "",
                   k->description[0] != '\0' ? "  " : "", k->description);
        }
    }
    dd_free(keys);
    return rc;
}

static int run_key(const key_args *a)
{
    int rc = 0, status = 1;
    dd_err err = DD_ERR_INIT;
    dd_sql *sql = NULL;
    dd_auth *auth = NULL;
    char *path = NULL;
    bool fresh = false;
    struct stat sb;
    if (stat(a->data, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        if (strcmp(a->cmd, "create") != 0 || mkdir(a->data, 0700) != 0) {
            fprintf(stderr, "drydock admin key %s: data directory %s %s (--data)\n", a->cmd,
                    a->data, strcmp(a->cmd, "create") == 0 ? "cannot be created" : "not found");
            goto out;
        }
    }
    if ((path = dd_asprintf("%s/metadata.sqlite", a->data)) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    fresh = stat(path, &sb) != 0;
    if ((rc = dd_sql_open(&sql, path, 1, &err)) != 0)
        goto out;
    if (fresh && chmod(path, 0600) != 0) { /* secrets are stored in it */
        rc = dd_err_errno(&err, errno, path);
        goto out;
    }
    dd_auth_options opts = DD_AUTH_OPTIONS_INIT; /* account: the one serve recorded */
    if ((rc = dd_auth_open(&auth, sql, dd_clock_system(), &opts, &err)) != 0)
        goto out;
    if (strcmp(a->cmd, "create") == 0) {
        rc = do_create(a, auth, &err);
    } else if (strcmp(a->cmd, "list") == 0) {
        rc = do_list(a, auth, &err);
    } else {
        rc = dd_auth_key_revoke(auth, a->id, &err);
        if (rc == 0)
            printf("revoked %s\n", a->id);
    }
    if (rc == 0)
        status = 0;
out:
    if (rc != 0)
        fprintf(stderr, "drydock admin key %s: %s\n", a->cmd,
                err.msg[0] ? err.msg : dd_strerror(rc));
    dd_auth_close(auth);
    dd_sql_close(sql);
    dd_free(path);
    if (fflush(stdout) != 0 && status == 0)
        status = 1;
    return status;
}

static int cmd_key(int argc, char **argv)
{
    key_args a;
    memset(&a, 0, sizeof(a));
    a.data = "./data";
    if (argc < 2) {
        fputs(key_usage, stderr);
        return 2;
    }
    a.cmd = argv[1];
    if (strcmp(a.cmd, "--help") == 0 || strcmp(a.cmd, "-h") == 0 || strcmp(a.cmd, "help") == 0) {
        fputs(key_usage, stdout);
        return 0;
    }
    if (strcmp(a.cmd, "create") != 0 && strcmp(a.cmd, "list") != 0 &&
        strcmp(a.cmd, "revoke") != 0) {
        fprintf(stderr, "drydock admin key: unknown command '%s'\n", a.cmd);
        fprintf(stderr, "Try 'drydock admin key --help'.\n");
        return 2;
    }
    int st = parse_key_args(&a, argc - 1, argv + 1);
    if (st >= 0)
        return st;
    dd_log_configure(DD_LOG_WARN, DD_LOG_FORMAT_TEXT, stderr);
    return run_key(&a);
}

int dd_cmd_admin(int argc, char **argv)
{
    if (argc < 2) {
        fputs(admin_usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(admin_usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "key") == 0 || strcmp(cmd, "keys") == 0)
        return cmd_key(argc - 1, argv + 1);
    if (strcmp(cmd, "webhook") == 0 || strcmp(cmd, "webhooks") == 0)
        return dd_cmd_admin_webhook(argc - 1, argv + 1); /* argv[0] = "webhook" */
    fprintf(stderr, "drydock admin: unknown command '%s'\n", cmd);
    fprintf(stderr, "Try 'drydock admin --help'.\n");
    return 2;
}
