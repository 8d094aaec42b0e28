/* `drydock vercmp ECOSYSTEM A B`: compares two versions under an OSV ecosystem's rules and prints
 * -1, 0 or 1 (A < B, A == B, A > B). */
#include "cli/cli.h"
#include "version/version.h"

#include <stdio.h>
#include <string.h>

static const char vercmp_usage[] =
    "Usage: drydock vercmp ECOSYSTEM A B\n"
    "\n"
    "Compares versions A and B with the ordering rules of ECOSYSTEM and prints -1, 0 or 1\n"
    "(A < B, A == B, A > B). ECOSYSTEM is an OSV ecosystem name: Debian, Ubuntu, Alpine,\n"
    "Red Hat, npm, PyPI, Go, Maven, RubyGems, crates.io, Packagist, NuGet, ... A release\n"
    "suffix is accepted and ignored (\"Debian:12\", \"Alpine:v3.18\").\n"
    "\n"
    "Exit status: 0 compared, 1 unknown ecosystem or unparsable version, 2 usage error.\n";

int dd_cmd_vercmp(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(vercmp_usage, stdout);
            return 0;
        }
    }
    if (argc != 4) {
        fprintf(stderr, "drydock vercmp: expected ECOSYSTEM A B (%d argument%s given)\n", argc - 1,
                argc == 2 ? "" : "s");
        fputs(vercmp_usage, stderr);
        return 2;
    }
    dd_vers_scheme s;
    if (dd_version_scheme_for(argv[1], &s) != 0) {
        fprintf(stderr, "drydock vercmp: unknown ecosystem '%s'\n", argv[1]);
        return 1;
    }
    dd_err err = DD_ERR_INIT;
    int r = 0;
    if (dd_version_cmp(s, argv[2], argv[3], &r, &err) != 0) {
        fprintf(stderr, "drydock vercmp: %s\n", err.msg[0] != '\0' ? err.msg : "comparison failed");
        return 1;
    }
    printf("%d\n", r);
    return 0;
}
