/* `drydock admin webhook`: adds, lists and removes the webhooks that receive events, shows their
 * dead letters and replays them, working directly on DATA/metadata.sqlite (no server needed; a
 * running server notices the changes within seconds). */
#include "cli/cli.h"
#include "events/events.h"
#include "sql/sql.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DETAIL_TYPES_MAX 64

static const char webhook_usage[] =
    "Usage: drydock admin webhook <command> [options]\n"
    "\n"
    "Manages the webhooks that receive events (docs/events.md), directly in\n"
    "DIR/metadata.sqlite. A running server picks the changes up within seconds.\n"
    "\n"
    "Commands:\n"
    "  add URL [--secret S] [--detail-type T]...\n"
    "                       add a webhook for URL (http or https); prints its id, and the\n"
    "                       signing secret when one was generated (when --secret is not given).\n"
    "                       --detail-type (repeatable) limits the events sent, e.g.\n"
    "                       'Inspector2 Finding'; without it every event is sent\n"
    "  list [--json]        list the webhooks with their delivery counts (secrets are not shown)\n"
    "  remove ID            remove a webhook and its deliveries\n"
    "  dead-letters ID      print the deliveries given up after the last retry (JSON)\n"
    "  replay ID [--seq N]  send the dead-lettered deliveries (or only event N) again\n"
    "\n"
    "Options:\n"
    "  -d, --data DIR       data directory (default ./data)\n"
    "  -h, --help           show this help\n"
    "\n"
    "Exit status: 0 on success, 1 on an error, 2 on a usage error.\n";

static const struct option webhook_opts[] = {{"data", required_argument, NULL, 'd'},
                                             {"secret", required_argument, NULL, 's'},
                                             {"detail-type", required_argument, NULL, 't'},
                                             {"seq", required_argument, NULL, 'n'},
                                             {"json", no_argument, NULL, 'j'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};

typedef struct args {
    const char *cmd;
    const char *data;
    const char *secret;
    const char *types[DETAIL_TYPES_MAX];
    size_t n_types;
    int64_t seq;
    int json;
    char **pos; /* positional arguments after the command */
    int n_pos;
} args;

static int usage_error(const char *msg)
{
    fprintf(stderr, "drydock admin webhook: %s\n", msg);
    fprintf(stderr, "Try 'drydock admin webhook --help'.\n");
    return 2;
}

static int parse_seq(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > (unsigned long long)INT64_MAX)
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* Parses options and positionals; returns -1 to go on, else an exit status. */
static int parse_args(args *a, int argc, char **argv)
{
    int c;
    bool any_seq = false;
    optind = 0; /* full reinitialisation (GNU): the caller may have used getopt already */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:hj", webhook_opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->data = optarg;
            break;
        case 's':
            a->secret = optarg;
            break;
        case 't':
            if (a->n_types == DETAIL_TYPES_MAX)
                return usage_error("too many --detail-type options");
            a->types[a->n_types++] = optarg;
            break;
        case 'n':
            if (parse_seq(optarg, &a->seq) != 0)
                return usage_error("--seq needs an event number");
            any_seq = true;
            break;
        case 'j':
            a->json = 1;
            break;
        case 'h':
            fputs(webhook_usage, stdout);
            return 0;
        default:
            return dd_cli_bad_option("admin webhook", argv[optind - 1], webhook_opts);
        }
    }
    a->pos = argv + optind;
    a->n_pos = argc - optind;
    bool is_add = strcmp(a->cmd, "add") == 0;
    if (!is_add && (a->secret != NULL || a->n_types > 0))
        return usage_error("--secret and --detail-type only go with 'add'");
    if (any_seq && strcmp(a->cmd, "replay") != 0)
        return usage_error("--seq only goes with 'replay'");
    if (a->json && strcmp(a->cmd, "list") != 0)
        return usage_error("--json only goes with 'list'");
    int want = strcmp(a->cmd, "list") == 0 ? 0 : 1;
    if (a->n_pos != want) {
        static char msg[96];
        snprintf(msg, sizeof(msg), "'%s' takes %s", a->cmd,
                 want == 0 ? "no arguments"
                 : is_add  ? "one URL"
                           : "one webhook id");
        return usage_error(msg);
    }
    return -1;
}

static void print_list(json_t *list)
{
    size_t i;
    json_t *w;
    if (json_array_size(list) == 0) {
        printf("no webhooks\n");
        return;
    }
    printf("%-36s  %-7s  %7s  %9s  %5s  %s\n", "ID", "ENABLED", "PENDING", "DELIVERED", "DEAD",
           "URL / DETAIL-TYPES");
    json_array_foreach(list, i, w)
    {
        printf("%-36s  %-7s  %7lld  %9lld  %5lld  %s\n",
               json_string_value(json_object_get(w, "id")),
               json_is_true(json_object_get(w, "enabled")) ? "yes" : "no",
               (long long)json_integer_value(json_object_get(w, "pending")),
               (long long)json_integer_value(json_object_get(w, "delivered")),
               (long long)json_integer_value(json_object_get(w, "dead")),
               json_string_value(json_object_get(w, "url")));
        json_t *types = json_object_get(w, "detailTypes");
        size_t j;
        json_t *t;
        if (json_array_size(types) == 0)
            printf("%-36s  %s\n", "", "  (all events)");
        json_array_foreach(types, j, t) printf("%-36s    %s\n", "", json_string_value(t));
    }
}

static int run(const args *a)
{
    int rc = 0, status = 1;
    dd_err err = DD_ERR_INIT;
    dd_sql *sql = NULL;
    dd_events *ev = NULL;
    json_t *out = NULL;
    char *path = NULL;
    struct stat sb;
    if (stat(a->data, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "drydock admin webhook: data directory %s not found (--data)\n", a->data);
        goto out;
    }
    if ((path = dd_asprintf("%s/metadata.sqlite", a->data)) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if ((rc = dd_sql_open(&sql, path, 1, &err)) != 0 ||
        (rc = dd_events_open(&ev, sql, dd_clock_system(), NULL, &err)) != 0)
        goto out;
    const char *id = a->n_pos > 0 ? a->pos[0] : NULL;
    if (strcmp(a->cmd, "add") == 0) {
        if ((rc = dd_events_webhook_add(ev, id, a->secret, a->types, a->n_types, &out, &err)) != 0)
            goto out;
        printf("%s\n", json_string_value(json_object_get(out, "id")));
        json_t *secret = json_object_get(out, "secret");
        if (secret != NULL)
            printf("secret: %s\n", json_string_value(secret));
    } else if (strcmp(a->cmd, "list") == 0) {
        if ((rc = dd_events_webhook_list(ev, &out, &err)) != 0)
            goto out;
        if (a->json) {
            if (json_dumpf(out, stdout, JSON_INDENT(2)) != 0) {
                rc = DD_EIO;
                goto out;
            }
            putchar('\n');
        } else {
            print_list(out);
        }
    } else if (strcmp(a->cmd, "remove") == 0) {
        if ((rc = dd_events_webhook_remove(ev, id, &err)) != 0)
            goto out;
        printf("removed %s\n", id);
    } else if (strcmp(a->cmd, "dead-letters") == 0) {
        if ((rc = dd_events_dead_letters(ev, id, &out, &err)) != 0)
            goto out;
        if (json_dumpf(out, stdout, JSON_INDENT(2)) != 0) {
            rc = DD_EIO;
            goto out;
        }
        putchar('\n');
    } else { /* replay */
        size_t n = 0;
        if ((rc = dd_events_replay(ev, id, a->seq, &n, &err)) != 0)
            goto out;
        printf("%zu %s back to pending\n", n, n == 1 ? "delivery" : "deliveries");
    }
    status = 0;
out:
    if (rc != 0)
        fprintf(stderr, "drydock admin webhook %s: %s\n", a->cmd,
                err.msg[0] ? err.msg : dd_strerror(rc));
    json_decref(out);
    dd_events_close(ev);
    dd_sql_close(sql);
    dd_free(path);
    if (fflush(stdout) != 0 && status == 0)
        status = 1;
    return status;
}

int dd_cmd_admin_webhook(int argc, char **argv)
{
    args a = {.data = "./data", .seq = -1};
    if (argc < 2) {
        fputs(webhook_usage, stderr);
        return 2;
    }
    a.cmd = argv[1];
    if (strcmp(a.cmd, "--help") == 0 || strcmp(a.cmd, "-h") == 0 || strcmp(a.cmd, "help") == 0) {
        fputs(webhook_usage, stdout);
        return 0;
    }
    if (strcmp(a.cmd, "add") != 0 && strcmp(a.cmd, "list") != 0 && strcmp(a.cmd, "remove") != 0 &&
        strcmp(a.cmd, "dead-letters") != 0 && strcmp(a.cmd, "replay") != 0) {
        fprintf(stderr, "drydock admin webhook: unknown command '%s'\n", a.cmd);
        fprintf(stderr, "Try 'drydock admin webhook --help'.\n");
        return 2;
    }
    int st = parse_args(&a, argc - 1, argv + 1);
    if (st >= 0)
        return st;
    dd_log_configure(DD_LOG_WARN, DD_LOG_FORMAT_TEXT, stderr);
    return run(&a);
}
