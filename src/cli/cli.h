/* Subcommands of the drydock executable and the helpers they share. */
#ifndef DD_CLI_CLI_H
#define DD_CLI_CLI_H

#include <getopt.h>

int dd_cmd_serve(int argc, char **argv);
int dd_cmd_scan(int argc, char **argv);
int dd_cmd_vercmp(int argc, char **argv);
int dd_cmd_db(int argc, char **argv);
/* admin.c: access keys; admin_webhook.c: `drydock admin webhook ...` */
int dd_cmd_admin(int argc, char **argv);
int dd_cmd_admin_webhook(int argc, char **argv);

/* Reports an unknown or malformed option on stderr with the closest known long option as a hint.
 * Always returns 2 (the usage-error exit status). */
int dd_cli_bad_option(const char *cmd, const char *arg, const struct option *opts);

#endif
