/* `drydock scan`: inventory of an image (OCI layout, docker-archive, root filesystem, or an image
 * stored by `drydock serve`), written as a table, drydock JSON, CycloneDX or SPDX. */
#include "cli/cli.h"
#include "image/layer.h"
#include "image/source.h"
#include "inventory/inventory.h"
#include "match/match.h"
#include "vulndb/import.h"
#include "vulndb/vulndb.h"
#include "report/report.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/limits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char scan_usage[] =
    "Usage: drydock scan [options] TARGET\n"
    "\n"
    "Lists every OS package and language package in an image's final filesystem (layers\n"
    "applied in order, whiteouts honoured). TARGET uses skopeo's transport names:\n"
    "  oci:DIR[:TAG]              an OCI image layout (TAG: org.opencontainers.image.ref.name)\n"
    "  docker-archive:FILE[:REF]  a `docker save` archive (.tar, .tar.gz); REF a RepoTag or @N\n"
    "  dir:ROOTFS                 an unpacked root filesystem\n"
    "  registry:REPO:TAG          an image stored by `drydock serve` (see --data)\n"
    "  registry:REPO@DIGEST\n"
    "\n"
    "Options:\n"
    "  -f, --format FMT      table, json, cyclonedx, spdx or sarif (default: table on a\n"
    "                        terminal, json otherwise); json is documented in docs/scan-json.md\n"
    "      --db FILE         match the packages against this vulnerability database (built by\n"
    "                        `drydock db import`); default: $DRYDOCK_DB when set, else no\n"
    "                        matching (inventory only)\n"
    "      --severity LIST   only report these severities (comma-separated: CRITICAL, HIGH,\n"
    "                        MEDIUM, LOW, NEGLIGIBLE, UNKNOWN)\n"
    "      --ignore-unfixed  only report vulnerabilities that have a fix\n"
    "      --ignorefile FILE ids to ignore, one per line: ID [exp:YYYY-MM-DD] [# reason]; an\n"
    "                        entry past its expiry date no longer applies\n"
    "      --exit-code N     exit with N when vulnerabilities remain after the filters\n"
    "  -o, --output FILE     write the report to FILE instead of standard output\n"
    "      --platform P      os/arch[/variant] to pick from a multi-arch index (default: the\n"
    "                        host's platform); the choice is reported on standard error\n"
    "  -d, --data DIR        drydock data directory for registry: targets (default ./data)\n"
    "      --cache-dir DIR   per-layer cache (default $XDG_CACHE_HOME/drydock or\n"
    "                        ~/.cache/drydock); layers already seen are not read again\n"
    "      --no-cache        read every layer, write no cache\n"
    "      --threads N       layers read in parallel (default: the number of CPUs)\n"
    "  -q, --quiet           no progress display (it is shown only on a terminal anyway)\n"
    "      --stats           print what was read (layers read / from cache, bytes, entries,\n"
    "                        seconds) as one JSON line on standard error\n"
    "  -h, --help            show this help\n"
    "\n"
    "Exit status: 0 when the scan completed (or --exit-code's N when vulnerabilities remain),\n"
    "1 on an error (message on standard error), 2 on a usage error.\n";

static const struct option scan_opts[] = {{"format", required_argument, NULL, 'f'},
                                          {"output", required_argument, NULL, 'o'},
                                          {"platform", required_argument, NULL, 'P'},
                                          {"data", required_argument, NULL, 'd'},
                                          {"cache-dir", required_argument, NULL, 'C'},
                                          {"no-cache", no_argument, NULL, 'N'},
                                          {"threads", required_argument, NULL, 'T'},
                                          {"quiet", no_argument, NULL, 'q'},
                                          {"stats", no_argument, NULL, 'S'},
                                          {"db", required_argument, NULL, 'D'},
                                          {"severity", required_argument, NULL, 'V'},
                                          {"ignore-unfixed", no_argument, NULL, 'U'},
                                          {"ignorefile", required_argument, NULL, 'I'},
                                          {"exit-code", required_argument, NULL, 'E'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};

typedef enum fmt { FMT_TABLE, FMT_JSON, FMT_CYCLONEDX, FMT_SPDX, FMT_SARIF } fmt;

/* An ignore-file entry: an id, and the day (ms since the epoch) after which it lapses (0: never).*/
typedef struct ignore {
    char *id;
    int64_t until_ms;
} ignore;

static void ignores_free(ignore *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dd_free(v[i].id);
    dd_free(v);
}

/* Reads "ID [exp:YYYY-MM-DD] [# reason]" lines ('#' comments, blank lines). */
static int load_ignores(const char *path, ignore **out, size_t *n_out, dd_err *err)
{
    char line[1024];
    unsigned lineno = 0;
    ignore *v = NULL;
    size_t n = 0;
    int rc = 0;
    FILE *f = fopen(path, "r");
    *out = NULL;
    *n_out = 0;
    if (f == NULL)
        return dd_err_errno(err, errno, path);
    while (fgets(line, sizeof(line), f) != NULL) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash != NULL)
            *hash = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t idl = strcspn(p, " \t\r\n");
        if (idl == 0)
            continue;
        char *rest = p + idl;
        int64_t until = 0;
        while (*rest == ' ' || *rest == '\t')
            rest++;
        if (strncmp(rest, "exp:", 4) == 0) {
            char day[16];
            size_t dl = strcspn(rest + 4, " \t\r\n");
            int bad = dl != 10;
            if (!bad) {
                memcpy(day, rest + 4, dl);
                day[dl] = '\0';
                bad = dd_import_parse_time(day, &until) != 0;
            }
            if (bad) {
                rc = dd_err_set(err, DD_EINVALID, "%s:%u: bad exp: date (want YYYY-MM-DD)", path,
                                lineno);
                break;
            }
            until += 86400000; /* the whole expiry day still counts */
        }
        ignore *nv = dd_reallocarray(v, n + 1, sizeof(*nv));
        if (nv == NULL) {
            rc = DD_ENOMEM;
            break;
        }
        v = nv;
        if ((v[n].id = dd_strndup(p, idl)) == NULL) {
            rc = DD_ENOMEM;
            break;
        }
        v[n++].until_ms = until;
    }
    fclose(f);
    if (rc != 0) {
        ignores_free(v, n);
        return rc;
    }
    *out = v;
    *n_out = n;
    return 0;
}

static int ignored(const dd_finding *f, const ignore *v, size_t n, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i].until_ms != 0 && now >= v[i].until_ms)
            continue;
        if (strcmp(v[i].id, f->id) == 0)
            return 1;
        for (size_t k = 0; k < f->aliases.n; k++)
            if (strcmp(v[i].id, f->aliases.items[k]) == 0)
                return 1;
    }
    return 0;
}

typedef struct progress {
    int on;
    int shown;
} progress;

static void show_progress(void *ctx, size_t done, size_t total, uint64_t bytes)
{
    progress *p = ctx;
    if (!p->on)
        return;
    fprintf(stderr, "\rreading layers %zu/%zu, %.1f MB", done, total, (double)bytes / 1e6);
    fflush(stderr);
    p->shown = 1;
}

/* $XDG_CACHE_HOME/drydock or $HOME/.cache/drydock; NULL when neither is set. */
static char *default_cache_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg != NULL && xdg[0] == '/')
        return dd_asprintf("%s/drydock", xdg);
    const char *home = getenv("HOME");
    if (home != NULL && home[0] == '/')
        return dd_asprintf("%s/.cache/drydock", home);
    return NULL;
}

/* mkdir -p for the cache directory (the reader creates the last component). */
static void make_parents(const char *dir)
{
    char *p = dd_strdup(dir);
    if (p == NULL)
        return;
    for (char *s = p + 1; *s; s++) {
        if (*s == '/') {
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST)
                break;
            *s = '/';
        }
    }
    dd_free(p);
}

/* A display name: the first repo tag, or the TAG of oci:DIR:TAG, or the target itself. */
static const char *image_name(const dd_image_info *info, const char *target)
{
    if (info->n_repo_tags > 0 && info->repo_tags[0][0] != '\0')
        return info->repo_tags[0];
    return target;
}

int dd_cmd_scan(int argc, char **argv)
{
    fmt format = isatty(STDOUT_FILENO) ? FMT_TABLE : FMT_JSON;
    const char *output = NULL, *platform = NULL, *data = "./data", *cache_flag = NULL;
    int no_cache = 0, quiet = 0, threads = 0, status = 1, want_stats = 0, ignore_unfixed = 0;
    int exit_code = 0;
    unsigned sev_mask = 0; /* bit per dd_sev_level; 0 = all */
    const char *db_path = getenv("DRYDOCK_DB"), *ignore_path = NULL;
    dd_vulndb *vdb = NULL;
    dd_match_result found;
    int have_found = 0;
    unsigned char *shown = NULL;
    ignore *ign = NULL;
    size_t n_ign = 0;
    char *cache_dir = NULL;
    dd_err err = DD_ERR_INIT;
    dd_image *img = NULL;
    dd_rootfs *fs = NULL;
    dd_inventory inv;
    int have_inv = 0;
    dd_report_layer *layers = NULL;
    FILE *out = stdout;
    int c;

    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":f:o:d:qh", scan_opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "table") == 0)
                format = FMT_TABLE;
            else if (strcmp(optarg, "json") == 0)
                format = FMT_JSON;
            else if (strcmp(optarg, "cyclonedx") == 0)
                format = FMT_CYCLONEDX;
            else if (strcmp(optarg, "spdx") == 0 || strcmp(optarg, "spdx-json") == 0)
                format = FMT_SPDX;
            else if (strcmp(optarg, "sarif") == 0)
                format = FMT_SARIF;
            else {
                fprintf(stderr,
                        "drydock scan: unknown format '%s' (table, json, cyclonedx, spdx, sarif)\n",
                        optarg);
                return 2;
            }
            break;
        case 'o':
            output = optarg;
            break;
        case 'P':
            platform = optarg;
            break;
        case 'd':
            data = optarg;
            break;
        case 'C':
            cache_flag = optarg;
            break;
        case 'N':
            no_cache = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'S':
            want_stats = 1;
            break;
        case 'D':
            db_path = optarg;
            break;
        case 'U':
            ignore_unfixed = 1;
            break;
        case 'I':
            ignore_path = optarg;
            break;
        case 'E': {
            char *end = NULL;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || n < 0 || n > 255) {
                fprintf(stderr, "drydock scan: --exit-code must be 0..255\n");
                return 2;
            }
            exit_code = (int)n;
            break;
        }
        case 'V': {
            const char *p = optarg;
            while (*p) {
                char word[32];
                size_t l = strcspn(p, ",");
                int lv = -1;
                if (l > 0 && l < sizeof(word)) {
                    memcpy(word, p, l);
                    word[l] = '\0';
                    lv = dd_sev_level_parse(word);
                }
                if (lv < 0) {
                    fprintf(stderr,
                            "drydock scan: --severity takes CRITICAL, HIGH, MEDIUM, LOW, "
                            "NEGLIGIBLE, UNKNOWN (comma-separated), got '%s'\n",
                            optarg);
                    return 2;
                }
                sev_mask |= 1u << lv;
                p += l + (p[l] == ',');
            }
            break;
        }
        case 'T': {
            char *end = NULL;
            long n = strtol(optarg, &end, 10);
            if (end == optarg || *end != '\0' || n < 1 || n > DD_LIMIT_READ_THREADS) {
                fprintf(stderr, "drydock scan: --threads must be 1..%d\n", DD_LIMIT_READ_THREADS);
                return 2;
            }
            threads = (int)n;
            break;
        }
        case 'h':
            fputs(scan_usage, stdout);
            return 0;
        default:
            return dd_cli_bad_option("scan", argv[optind - 1], scan_opts);
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "drydock scan: %s\nTry 'drydock scan --help'.\n",
                optind >= argc ? "a TARGET is required" : "only one TARGET is accepted");
        return 2;
    }
    const char *target = argv[optind];
    int64_t t0 = dd_clock_now_ms(dd_clock_system());

    dd_image_options io = DD_IMAGE_OPTIONS_INIT;
    io.platform = platform;
    io.data_dir = data;
    if (dd_image_open(&img, target, &io, &err) != 0)
        goto fail;
    const dd_image_info *info = dd_image_get_info(img);
    if (info->index_digest[0] != '\0' && !quiet)
        fprintf(stderr, "drydock scan: platform %s chosen from index %s\n", info->platform,
                info->index_digest);

    if (!no_cache) {
        cache_dir = cache_flag ? dd_strdup(cache_flag) : default_cache_dir();
        if (cache_dir != NULL)
            make_parents(cache_dir);
    }
    progress prog = {!quiet && isatty(STDERR_FILENO), 0};
    dd_read_stats stats;
    memset(&stats, 0, sizeof(stats));
    dd_read_options ro = DD_READ_OPTIONS_INIT;
    ro.threads = threads;
    ro.cache_dir = cache_dir;
    ro.cache_key = DD_INVENTORY_CACHE_KEY;
    ro.progress = show_progress;
    ro.progress_ctx = &prog;
    ro.stats = &stats;
    int rc = dd_image_read_rootfs(&fs, img, dd_inventory_wants, &ro, &err);
    if (prog.shown)
        fputs("\r\033[K", stderr);
    if (rc != 0)
        goto fail;
    if (dd_inventory_build(&inv, fs, &err) != 0)
        goto fail;
    have_inv = 1;
    if (want_stats)
        fprintf(stderr,
                "{\"layers_total\":%zu,\"layers_read\":%zu,\"layers_cached\":%zu,"
                "\"compressed_bytes\":%llu,\"decompressed_bytes\":%llu,\"entries\":%llu,"
                "\"kept_files\":%zu,\"packages\":%zu,\"seconds\":%.3f}\n",
                stats.layers_total, stats.layers_read, stats.layers_cached,
                (unsigned long long)stats.compressed_bytes,
                (unsigned long long)stats.decompressed_bytes, (unsigned long long)stats.entries,
                dd_rootfs_count(fs), inv.pkgs.n,
                (double)(dd_clock_now_ms(dd_clock_system()) - t0) / 1000.0);

    if (ignore_path != NULL && load_ignores(ignore_path, &ign, &n_ign, &err) != 0)
        goto fail;
    if (db_path != NULL && db_path[0] != '\0') {
        if (dd_vulndb_open(&vdb, db_path, &err) != 0 ||
            dd_match_inventory(&found, &inv, vdb, &err) != 0)
            goto fail;
        have_found = 1;
        shown = dd_calloc(found.n ? found.n : 1, 1);
        if (shown == NULL) {
            dd_err_set(&err, DD_ENOMEM, "out of memory");
            goto fail;
        }
        int64_t now = dd_clock_now_ms(dd_clock_system());
        for (size_t i = 0; i < found.n; i++) {
            const dd_finding *f = &found.items[i];
            shown[i] = !(sev_mask != 0 && !(sev_mask & (1u << f->severity))) &&
                       !(ignore_unfixed && f->fixed_version == NULL) &&
                       !ignored(f, ign, n_ign, now);
        }
        for (size_t i = 0; i < found.warnings.n && !quiet; i++)
            fprintf(stderr, "drydock scan: warning: %s\n", found.warnings.items[i]);
    } else if (format == FMT_SARIF) {
        dd_err_set(&err, DD_EINVALID, "--format sarif needs a vulnerability database (--db)");
        goto fail;
    }
    layers = dd_calloc(info->n_layers ? info->n_layers : 1, sizeof(*layers));
    if (layers == NULL) {
        dd_err_set(&err, DD_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < info->n_layers; i++)
        layers[i] = (dd_report_layer){info->layers[i].digest, info->layers[i].media_type};
    char serial[37];
    if (dd_report_uuid(serial) != 0) {
        dd_err_set(&err, DD_EIO, "cannot read random bytes for the document id");
        goto fail;
    }
    dd_scan_report rep = {
        .target = target,
        .name = image_name(info, target),
        .manifest_digest = info->manifest_digest[0] ? info->manifest_digest : NULL,
        .config_digest = info->config_digest[0] ? info->config_digest : NULL,
        .platform = info->platform[0] ? info->platform : NULL,
        .layers = layers,
        .n_layers = info->n_layers,
        .inv = &inv,
        .time_ms = dd_clock_now_ms(dd_clock_system()),
        .serial = serial,
        .findings = have_found ? &found : NULL,
        .shown = shown,
    };
    if (output != NULL && (out = fopen(output, "w")) == NULL) {
        dd_err_errno(&err, errno, output);
        goto fail;
    }
    switch (format) {
    case FMT_TABLE:
        rc = dd_report_table(out, &rep, out == stdout && isatty(STDOUT_FILENO), &err);
        break;
    case FMT_JSON:
        rc = dd_report_json(out, &rep, &err);
        break;
    case FMT_CYCLONEDX:
        rc = dd_report_cyclonedx(out, &rep, &err);
        break;
    case FMT_SPDX:
        rc = dd_report_spdx(out, &rep, &err);
        break;
    case FMT_SARIF:
        rc = dd_report_sarif(out, &rep, &err);
        break;
    }
    if (out != stdout && fclose(out) != 0 && rc == 0)
        rc = dd_err_errno(&err, errno, output);
    out = stdout;
    if (rc != 0)
        goto fail;
    status = 0;
    if (have_found && exit_code != 0)
        for (size_t i = 0; i < found.n; i++)
            if (shown[i])
                status = exit_code;
    goto done;
fail:
    fprintf(stderr, "drydock scan: %s\n", err.msg[0] ? err.msg : dd_strerror(err.code));
    status = 1;
done:
    if (out != stdout)
        fclose(out);
    dd_free(layers);
    dd_free(shown);
    if (have_found)
        dd_match_result_free(&found);
    dd_vulndb_close(vdb);
    ignores_free(ign, n_ign);
    if (have_inv)
        dd_inventory_free(&inv);
    dd_rootfs_free(fs);
    dd_image_free(img);
    dd_free(cache_dir);
    return status;
}
