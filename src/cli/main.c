/* drydock: entry point, subcommand dispatch and top-level help. */
#include "cli/cli.h"
#include <drydock/common.h>

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "Usage: drydock <command> [options]\n"
    "\n"
    "A self-hosted container registry with continuous vulnerability scanning.\n"
    "\n"
    "Commands:\n"
    "  serve      run the registry server (OCI Distribution API at /v2/)\n"
    "  scan       list the OS and language packages of an image (OCI layout, docker-archive,\n"
    "             root filesystem, or an image stored by serve) and, with --db, their\n"
    "             vulnerabilities\n"
    "  db         build, update and inspect the vulnerability database (import, update, info)\n"
    "  vercmp     compare two versions under an ecosystem's rules (prints -1, 0 or 1)\n"
    "  version    print the version\n"
    "  help       show this help, or `drydock help <command>`\n"
    "\n"
    "Run `drydock <command> --help` for a command's options.\n";

/* Levenshtein distance, bounded to short option names. */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t prev = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cur = row[j];
            size_t sub = prev + (a[i - 1] != b[j - 1]);
            size_t best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            prev = cur;
        }
    }
    return row[lb];
}

int dd_cli_bad_option(const char *cmd, const char *arg, const struct option *opts)
{
    const char *name = arg;
    while (*name == '-')
        name++;
    char key[64];
    size_t k = 0;
    while (name[k] && name[k] != '=' && k < sizeof(key) - 1) {
        key[k] = name[k];
        k++;
    }
    key[k] = '\0';
    const char *best = NULL;
    size_t best_d = 3;
    for (const struct option *o = opts; o->name != NULL; o++) {
        size_t d = distance(key, o->name);
        if (d < best_d) {
            best_d = d;
            best = o->name;
        }
    }
    fprintf(stderr, "drydock %s: unrecognised or incomplete option '%s'\n", cmd, arg);
    if (best != NULL)
        fprintf(stderr, "Did you mean '--%s'?\n", best);
    fprintf(stderr, "Try 'drydock %s --help'.\n", cmd);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "serve") == 0)
        return dd_cmd_serve(argc - 1, argv + 1);
    if (strcmp(cmd, "scan") == 0)
        return dd_cmd_scan(argc - 1, argv + 1);
    if (strcmp(cmd, "db") == 0)
        return dd_cmd_db(argc - 1, argv + 1);
    if (strcmp(cmd, "vercmp") == 0)
        return dd_cmd_vercmp(argc - 1, argv + 1);
    if (strcmp(cmd, "admin") == 0)
        return dd_cmd_admin(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("drydock %s\n", DD_VERSION);
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        if (argc > 2 && strcmp(argv[2], "serve") == 0) {
            char *args[] = {"serve", "--help", NULL};
            return dd_cmd_serve(2, args);
        }
        if (argc > 2 && strcmp(argv[2], "scan") == 0) {
            char *args[] = {"scan", "--help", NULL};
            return dd_cmd_scan(2, args);
        }
        if (argc > 2 && strcmp(argv[2], "vercmp") == 0) {
            char *args[] = {"vercmp", "--help", NULL};
            return dd_cmd_vercmp(2, args);
        }
        if (argc > 2 && strcmp(argv[2], "db") == 0) {
            char *args[] = {"db", "--help", NULL};
            return dd_cmd_db(2, args);
        }
        if (argc > 2 && strcmp(argv[2], "admin") == 0) {
            char *args[] = {"admin", "--help", NULL};
            return dd_cmd_admin(2, args);
        }
        fputs(usage, stdout);
        return 0;
    }
    fprintf(stderr, "drydock: unknown command '%s'\n", cmd);
    if (strcmp(cmd, "server") == 0 || strcmp(cmd, "serv") == 0 || strcmp(cmd, "run") == 0)
        fprintf(stderr, "Did you mean 'drydock serve'?\n");
    fprintf(stderr, "Try 'drydock --help'.\n");
    return 2;
}
