/* `drydock db`: builds and inspects the vulnerability database (import of downloaded feeds with
 * format detection per file, info, and update: download with src/vulndb/update.c). */
#include "cli/cli.h"
#include "util/alloc.h"
#include "util/clock.h"
#include "util/strlist.h"
#include "vulndb/import.h"
#include "vulndb/update.h"
#include "vulndb/vulndb.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Largest feed file read (the Debian tracker JSON is about 70 MB). */
#define FEED_FILE_MAX (512u * 1024u * 1024u)
#define WALK_DEPTH_MAX 32

static const char db_usage[] =
    "Usage: drydock db <command> [options]\n"
    "\n"
    "Builds and inspects the vulnerability database (docs/vulndb.md).\n"
    "\n"
    "Commands:\n"
    "  import --db FILE PATH...   import downloaded feed files (or directories of them)\n"
    "  info --db FILE             show the database's version, build time and contents\n"
    "  update --db FILE           download the feeds and import them\n"
    "\n"
    "Run `drydock db <command> --help` for a command's options.\n";

static const char import_usage[] =
    "Usage: drydock db import --db FILE [options] PATH...\n"
    "\n"
    "Imports advisories from feed files into FILE. Each PATH is a file or a directory read\n"
    "recursively; the format of every file is detected (OSV JSON and YAML, Debian security\n"
    "tracker JSON and DSA/DLA lists, Alpine secdb, RubySec, Node.js security WG). Files of no\n"
    "known format are skipped and counted. An advisory imported again replaces the old one.\n"
    "FILE is replaced atomically when the import completes: on failure it is left as it was.\n"
    "\n"
    "Options:\n"
    "  -d, --db FILE      the database (created when missing)\n"
    "      --fresh        start from an empty database instead of FILE's content\n"
    "  -v, --verbose      print every warning (bad records skipped, ...)\n"
    "  -q, --quiet        no progress display (it is shown only on a terminal anyway)\n"
    "  -h, --help         show this help\n"
    "\n"
    "Exit status: 0 on success, 1 on an error, 2 on a usage error.\n";

static const char info_usage[] = "Usage: drydock db info --db FILE\n"
                                 "\n"
                                 "Prints the database's version, build time, counts and sources.\n"
                                 "\n"
                                 "Options:\n"
                                 "  -d, --db FILE      the database\n"
                                 "  -h, --help         show this help\n";

static const char update_usage[] =
    "Usage: drydock db update --db FILE [options]\n"
    "\n"
    "Downloads the vulnerability feeds and imports them into a new version of FILE, which\n"
    "replaces the old one atomically. Downloads are cached (DIR of FILE + /.feeds/ by default):\n"
    "an interrupted download is resumed, an unchanged feed is not downloaded again (HTTP 304),\n"
    "and every download is checked (length, zip or JSON structure, sha256 when the feeds file\n"
    "gives one). When every feed is unchanged and already in FILE, FILE is left as it is.\n"
    "On a failure FILE is left as it was and the failed feed is named.\n"
    "\n"
    "Feeds: built in (OSV per-ecosystem archives, the Debian security tracker, Alpine secdb;\n"
    "see --list), or a feeds file: one feed a line, `NAME URL [FORMAT] [sha256=HEX]\n"
    "[allow-http]`, '#' comments. FORMAT: osv-zip, osv-json, osv-yaml, debian-tracker-json,\n"
    "debian-dsa-list, alpine-secdb, rubysec, nodejs-security-wg (default: osv-zip for .zip\n"
    "URLs, else detected). URLs must be https; plain http only for loopback hosts or with\n"
    "allow-http.\n"
    "\n"
    "Options:\n"
    "  -d, --db FILE          the database (created when missing)\n"
    "  -f, --feeds FILE       read the feeds from FILE instead of the built-in list\n"
    "  -s, --source NAME      only the feed NAME (repeatable)\n"
    "      --cache-dir DIR    where downloads are kept (default: FILE's directory + /.feeds)\n"
    "      --fresh            build from an empty database instead of FILE's content\n"
    "  -k, --keep-going       import the feeds that worked when some fail (exit status 1)\n"
    "      --max-size BYTES   largest download of one feed (K, M, G suffixes; default 2G)\n"
    "      --timeout SECONDS  longest transfer of one feed (default: none; stalls time out)\n"
    "      --retries N        extra attempts after a failed transfer, resuming (default 2)\n"
    "      --list             print the feeds and exit\n"
    "  -v, --verbose          print every warning (bad records skipped, retries, ...)\n"
    "  -q, --quiet            no progress display (it is shown only on a terminal anyway)\n"
    "  -h, --help             show this help\n"
    "\n"
    "Exit status: 0 on success, 1 when a feed failed or on an error, 2 on a usage error.\n";

static const struct option import_opts[] = {
    {"db", required_argument, NULL, 'd'}, {"fresh", no_argument, NULL, 'F'},
    {"verbose", no_argument, NULL, 'v'},  {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},     {NULL, 0, NULL, 0}};
static const struct option info_opts[] = {
    {"db", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
static const struct option update_opts[] = {
    {"db", required_argument, NULL, 'd'},       {"feeds", required_argument, NULL, 'f'},
    {"source", required_argument, NULL, 's'},   {"cache-dir", required_argument, NULL, 'C'},
    {"fresh", no_argument, NULL, 'F'},          {"keep-going", no_argument, NULL, 'k'},
    {"max-size", required_argument, NULL, 'M'}, {"timeout", required_argument, NULL, 'T'},
    {"retries", required_argument, NULL, 'R'},  {"list", no_argument, NULL, 'L'},
    {"verbose", no_argument, NULL, 'v'},        {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};

/* ---- import ---------------------------------------------------------------------------------- */

typedef struct src_count {
    const char *name;
    size_t n;
} src_count;

typedef struct import_ctx {
    dd_vulndb_writer *w;
    const dd_importer *cur;
    src_count counts[16];
    size_t n_counts;
    size_t n_warnings;
    int verbose;
} import_ctx;

static int sink_put(void *ctx, const dd_advisory *a, dd_err *err)
{
    import_ctx *ic = ctx;
    int rc = dd_vulndb_writer_put(ic->w, a, err);
    if (rc != 0)
        return rc;
    for (size_t i = 0; i < ic->n_counts; i++) {
        if (strcmp(ic->counts[i].name, ic->cur->source) == 0) {
            ic->counts[i].n++;
            return 0;
        }
    }
    if (ic->n_counts < sizeof(ic->counts) / sizeof(ic->counts[0]))
        ic->counts[ic->n_counts++] = (src_count){ic->cur->source, 1};
    return 0;
}

static void sink_warn(void *ctx, const char *path, const char *msg)
{
    import_ctx *ic = ctx;
    ic->n_warnings++;
    if (ic->verbose)
        fprintf(stderr, "warning: %s: %s\n", path, msg);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the regular files under path (sorted per directory; dot entries skipped). */
static int collect(dd_strlist *files, const char *path, int depth)
{
    struct stat sb;
    if (stat(path, &sb) != 0) {
        fprintf(stderr, "drydock db import: %s: %s\n", path, strerror(errno));
        return DD_ENOTFOUND;
    }
    if (S_ISREG(sb.st_mode))
        return dd_strlist_push_str(files, path);
    if (!S_ISDIR(sb.st_mode) || depth > WALK_DEPTH_MAX)
        return 0;
    DIR *d = opendir(path);
    if (d == NULL) {
        fprintf(stderr, "drydock db import: %s: %s\n", path, strerror(errno));
        return DD_EIO;
    }
    dd_strlist names = DD_STRLIST_INIT;
    int rc = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *p = dd_asprintf("%s/%s", path, e->d_name);
        if (p == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        rc = dd_strlist_push_str(&names, p);
        dd_free(p);
        if (rc != 0)
            goto out;
    }
    if (names.n > 1)
        qsort(names.items, names.n, sizeof(char *), cmp_str);
    for (size_t i = 0; i < names.n && rc == 0; i++)
        rc = collect(files, names.items[i], depth + 1);
out:
    closedir(d);
    dd_strlist_free(&names);
    return rc;
}

/* Reads the whole file (at most FEED_FILE_MAX bytes). */
static int read_file(uint8_t **out, size_t *len_out, const char *path, dd_err *err)
{
    *out = NULL;
    *len_out = 0;
    int rc = 0;
    uint8_t *buf = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dd_err_errno(err, errno, path);
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        rc = dd_err_errno(err, errno, path);
        goto out;
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > FEED_FILE_MAX) {
        rc = dd_err_set(err, DD_ELIMIT, "%s: larger than %u bytes", path, FEED_FILE_MAX);
        goto out;
    }
    size_t len = (size_t)sb.st_size;
    buf = dd_malloc(len + 1);
    if (buf == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = dd_err_errno(err, errno, path);
            goto out;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    *out = buf;
    *len_out = got;
    buf = NULL;
out:
    dd_free(buf);
    close(fd);
    return rc;
}

static int cmd_import(int argc, char **argv)
{
    const char *db_path = NULL;
    int fresh = 0, verbose = 0, quiet = 0, c, status = 1;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":d:vqh", import_opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db_path = optarg;
            break;
        case 'F':
            fresh = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(import_usage, stdout);
            return 0;
        default:
            return dd_cli_bad_option("db import", argv[optind - 1], import_opts);
        }
    }
    if (db_path == NULL || optind >= argc) {
        fprintf(stderr, "drydock db import: %s\nTry 'drydock db import --help'.\n",
                db_path == NULL ? "--db FILE is required" : "a PATH to import is required");
        return 2;
    }
    int64_t t0 = dd_clock_now_ms(dd_clock_system());
    dd_strlist files = DD_STRLIST_INIT;
    dd_err err = DD_ERR_INIT;
    import_ctx ic;
    memset(&ic, 0, sizeof(ic));
    ic.verbose = verbose;
    size_t *file_arg = NULL; /* index of the PATH argument each file came from */
    size_t n_unknown = 0, n_failed = 0, n_imported = 0;
    int progress = !quiet && isatty(STDERR_FILENO);
    for (int i = optind; i < argc; i++) {
        size_t before = files.n;
        if (collect(&files, argv[i], 0) != 0)
            goto out;
        size_t *p = dd_reallocarray(file_arg, files.n + 1, sizeof(*p));
        if (p == NULL)
            goto out;
        file_arg = p;
        for (size_t k = before; k < files.n; k++)
            file_arg[k] = (size_t)i;
    }
    if (dd_vulndb_writer_open(&ic.w, db_path, !fresh, &err) != 0) {
        fprintf(stderr, "drydock db import: %s: %s\n", db_path, err.msg);
        goto out;
    }
    dd_import_sink sink = {sink_put, sink_warn, &ic};
    for (size_t i = 0; i < files.n; i++) {
        const char *path = files.items[i];
        uint8_t *buf = NULL;
        size_t len = 0;
        dd_err_clear(&err);
        if (progress && (i % 64 == 0 || i + 1 == files.n)) {
            fprintf(stderr, "\rimporting files %zu/%zu", i + 1, files.n);
            fflush(stderr);
        }
        if (read_file(&buf, &len, path, &err) != 0) {
            sink_warn(&ic, path, err.msg);
            n_failed++;
            continue;
        }
        const dd_importer *imp = dd_import_detect(path, buf, len < 4096 ? len : 4096);
        if (imp == NULL) {
            n_unknown++;
            if (verbose)
                fprintf(stderr, "skipped: %s: unknown format\n", path);
            dd_free(buf);
            continue;
        }
        if (imp != ic.cur) {
            if (dd_vulndb_writer_source(ic.w, imp->source, argv[file_arg[i]], &err) != 0) {
                dd_free(buf);
                fprintf(stderr, "\ndrydock db import: %s\n", err.msg);
                goto out;
            }
            ic.cur = imp;
        }
        int rc = imp->import(buf, len, path, &sink, &err);
        dd_free(buf);
        if (rc == DD_EINVALID || rc == DD_ELIMIT || rc == DD_EUNSUPPORTED) {
            char msg[DD_ERR_MSG_MAX + 64];
            snprintf(msg, sizeof(msg), "%s file not imported: %s (at byte %zu)", imp->format,
                     err.msg[0] ? err.msg : dd_strerror(rc), err.offset);
            if (!verbose) /* always shown: a whole file was lost */
                fprintf(stderr, "%swarning: %s: %s\n", progress ? "\n" : "", path, msg);
            sink_warn(&ic, path, msg);
            n_failed++;
            continue;
        }
        if (rc != 0) {
            fprintf(stderr, "%sdrydock db import: %s: %s\n", progress ? "\n" : "", path,
                    err.msg[0] ? err.msg : dd_strerror(rc));
            goto out;
        }
        n_imported++;
    }
    if (progress)
        fputc('\n', stderr);
    dd_vulndb_writer *w = ic.w;
    ic.w = NULL;
    if (dd_vulndb_writer_commit(w, &err) != 0) {
        fprintf(stderr, "drydock db import: %s: %s\n", db_path, err.msg);
        goto out;
    }
    int64_t t1 = dd_clock_now_ms(dd_clock_system());
    printf("files: %zu imported, %zu of unknown format skipped, %zu failed\n", n_imported,
           n_unknown, n_failed);
    for (size_t i = 0; i < ic.n_counts; i++)
        printf("  %s: %zu advisories\n", ic.counts[i].name, ic.counts[i].n);
    printf("warnings: %zu%s\n", ic.n_warnings,
           ic.n_warnings > 0 && !verbose ? " (--verbose lists them)" : "");
    printf("seconds: %.2f\n", (double)(t1 - t0) / 1000.0);
    printf("database: %s\n", db_path);
    status = 0;
out:
    dd_vulndb_writer_abort(ic.w);
    dd_free(file_arg);
    dd_strlist_free(&files);
    return status;
}

/* ---- info ------------------------------------------------------------------------------------ */

static int cmd_info(int argc, char **argv)
{
    const char *db_path = NULL;
    int c;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":d:h", info_opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db_path = optarg;
            break;
        case 'h':
            fputs(info_usage, stdout);
            return 0;
        default:
            return dd_cli_bad_option("db info", argv[optind - 1], info_opts);
        }
    }
    if (db_path == NULL || optind != argc) {
        fprintf(stderr, "drydock db info: %s\nTry 'drydock db info --help'.\n",
                db_path == NULL ? "--db FILE is required" : "unexpected argument");
        return 2;
    }
    dd_err err = DD_ERR_INIT;
    dd_vulndb *db = NULL;
    dd_vulndb_info info;
    memset(&info, 0, sizeof(info));
    int status = 1;
    if (dd_vulndb_open(&db, db_path, &err) != 0 || dd_vulndb_info_get(db, &info, &err) != 0) {
        fprintf(stderr, "drydock db info: %s: %s\n", db_path, err.msg);
        goto out;
    }
    char built[40];
    dd_time_format_rfc3339(built, sizeof(built), info.built_ms);
    printf("database:   %s\n", db_path);
    printf("version:    %s\n", info.db_version != NULL ? info.db_version : "(none)");
    printf("built:      %s\n", built);
    printf("advisories: %lld\n", (long long)info.n_advisories);
    printf("affected:   %lld package entries\n", (long long)info.n_affected);
    printf("sources:\n");
    for (size_t i = 0; i < info.sources.n; i++)
        printf("  %s\n", info.sources.items[i]);
    status = 0;
out:
    dd_vulndb_info_clear(&info);
    dd_vulndb_close(db);
    return status;
}

/* ---- update ---------------------------------------------------------------------------------- */

typedef struct update_ui {
    int progress; /* a terminal display on stderr */
    int verbose;
    int64_t last_ms;
    size_t last_feed;
    int dirty; /* a progress line is on screen */
} update_ui;

static void update_progress(void *ctx, const dd_update_progress *p)
{
    update_ui *ui = ctx;
    if (!ui->progress)
        return;
    int64_t now = dd_clock_now_ms(dd_clock_system());
    if (p->feed_index == ui->last_feed && now - ui->last_ms < 200 && ui->dirty)
        return;
    ui->last_ms = now;
    ui->last_feed = p->feed_index;
    ui->dirty = 1;
    if (strcmp(p->phase, "download") == 0 && p->total > 0)
        fprintf(stderr, "\r\033[K[%zu/%zu] %s: %.1f / %.1f MB", p->feed_index + 1, p->n_feeds,
                p->feed, (double)p->bytes / 1e6, (double)p->total / 1e6);
    else if (strcmp(p->phase, "download") == 0)
        fprintf(stderr, "\r\033[K[%zu/%zu] %s: %.1f MB", p->feed_index + 1, p->n_feeds, p->feed,
                (double)p->bytes / 1e6);
    else
        fprintf(stderr, "\r\033[K[%zu/%zu] %s: importing %llu", p->feed_index + 1, p->n_feeds,
                p->feed, (unsigned long long)p->bytes);
    fflush(stderr);
}

static void update_warn(void *ctx, const char *feed, const char *msg)
{
    update_ui *ui = ctx;
    if (!ui->verbose)
        return;
    fprintf(stderr, "%swarning: %s: %s\n", ui->dirty ? "\r\033[K" : "", feed, msg);
    ui->dirty = 0;
}

/* A non-negative integer, with an optional K/M/G suffix (powers of 1024) when suffix, at most
 * max. */
static int parse_count(const char *s, uint64_t max, int suffix, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (max - (uint64_t)(*p - '0')) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    uint64_t mul = 1;
    if (suffix && (*p == 'K' || *p == 'k'))
        mul = 1024;
    else if (suffix && (*p == 'M' || *p == 'm'))
        mul = 1024 * 1024;
    else if (suffix && (*p == 'G' || *p == 'g'))
        mul = 1024 * 1024 * 1024;
    if (mul > 1)
        p++;
    if (*p != '\0' || (v > 0 && mul > max / v))
        return -1;
    *out = v * mul;
    return 0;
}

static const char *feed_status_name(const dd_feed_result *r)
{
    switch (r->status) {
    case DD_FEED_FETCHED:
        return r->resumed ? "fetched (resumed)" : "fetched";
    case DD_FEED_NOT_MODIFIED:
        return "not modified";
    default:
        return "FAILED";
    }
}

static int cmd_update(int argc, char **argv)
{
    const char *db_path = NULL, *feeds_path = NULL;
    int c, list = 0, quiet = 0, status = 1;
    dd_update_options opt = DD_UPDATE_OPTIONS_INIT;
    update_ui ui;
    memset(&ui, 0, sizeof(ui));
    dd_strlist sources = DD_STRLIST_INIT;
    dd_feed_list feeds = DD_FEED_LIST_INIT;
    dd_update_result res;
    memset(&res, 0, sizeof(res));
    dd_err err = DD_ERR_INIT;
    uint8_t *buf = NULL;
    uint64_t v = 0;
    opterr = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, ":d:f:s:kvqh", update_opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            db_path = optarg;
            break;
        case 'f':
            feeds_path = optarg;
            break;
        case 's':
            if (dd_strlist_push_str(&sources, optarg) != 0)
                goto out;
            break;
        case 'C':
            opt.cache_dir = optarg;
            break;
        case 'F':
            opt.fresh = true;
            break;
        case 'k':
            opt.keep_going = true;
            break;
        case 'M':
            if (parse_count(optarg, DD_UPDATE_FEED_MAX_CAP, 1, &v) != 0 || v == 0) {
                fprintf(stderr, "drydock db update: --max-size: 1 to %llu bytes\n",
                        (unsigned long long)DD_UPDATE_FEED_MAX_CAP);
                status = 2;
                goto out;
            }
            opt.max_bytes = v;
            break;
        case 'T':
        case 'R':
            if (parse_count(optarg, c == 'T' ? 86400 : 100, 0, &v) != 0) {
                fprintf(stderr, "drydock db update: %s: a number up to %d\n",
                        c == 'T' ? "--timeout" : "--retries", c == 'T' ? 86400 : 100);
                status = 2;
                goto out;
            }
            if (c == 'T')
                opt.timeout_s = (long)v;
            else
                opt.retries = (unsigned)v;
            break;
        case 'L':
            list = 1;
            break;
        case 'v':
            ui.verbose = 1;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'h':
            fputs(update_usage, stdout);
            status = 0;
            goto out;
        default:
            status = dd_cli_bad_option("db update", argv[optind - 1], update_opts);
            goto out;
        }
    }
    if ((db_path == NULL && !list) || optind != argc) {
        fprintf(stderr, "drydock db update: %s\nTry 'drydock db update --help'.\n",
                db_path == NULL ? "--db FILE is required" : "unexpected argument");
        status = 2;
        goto out;
    }
    if (feeds_path != NULL) {
        size_t len = 0;
        if (read_file(&buf, &len, feeds_path, &err) != 0 ||
            dd_feed_list_parse(&feeds, buf, len, &err) != 0) {
            fprintf(stderr, "drydock db update: %s: %s (at byte %zu)\n", feeds_path, err.msg,
                    err.offset);
            goto out;
        }
    } else if (dd_feed_list_default(&feeds) != 0) {
        goto out;
    }
    if (sources.n > 0 && dd_feed_list_select(&feeds, &sources, &err) != 0) {
        fprintf(stderr, "drydock db update: %s\n", err.msg);
        status = 2;
        goto out;
    }
    if (feeds.n == 0) {
        fprintf(stderr, "drydock db update: no feeds to update\n");
        goto out;
    }
    if (list) {
        for (size_t i = 0; i < feeds.n; i++) {
            const dd_feed *f = &feeds.items[i];
            printf("%s %s%s%s%s%s%s\n", f->name, f->url, f->format ? " " : "",
                   f->format ? f->format : "", f->sha256 ? " sha256=" : "",
                   f->sha256 ? f->sha256 : "", f->allow_http ? " allow-http" : "");
        }
        status = 0;
        goto out;
    }
    int64_t t0 = dd_clock_now_ms(dd_clock_system());
    ui.progress = !quiet && isatty(STDERR_FILENO);
    opt.db_path = db_path;
    opt.feeds = &feeds;
    opt.progress = update_progress;
    opt.warn = update_warn;
    opt.ctx = &ui;
    int rc = dd_vulndb_update(&res, &opt, &err);
    if (ui.dirty)
        fputs("\r\033[K", stderr);
    if (rc != 0) {
        fprintf(stderr, "drydock db update: %s\n", err.msg[0] ? err.msg : dd_strerror(rc));
        fprintf(stderr, "drydock db update: %s was not changed\n", db_path);
        goto out;
    }
    int64_t t1 = dd_clock_now_ms(dd_clock_system());
    for (size_t i = 0; i < res.n_feeds; i++) {
        const dd_feed_result *r = &res.feeds[i];
        if (r->status == DD_FEED_FAILED)
            printf("  %s: FAILED: %s\n", r->name, r->error);
        else
            printf("  %s: %s, %llu bytes, %zu advisories imported\n", r->name, feed_status_name(r),
                   (unsigned long long)r->bytes, r->n_advisories);
    }
    printf("feeds: %zu fetched, %zu not modified, %zu failed\n", res.n_fetched, res.n_not_modified,
           res.n_failed);
    printf("advisories: %zu imported, %lld in the database\n", res.n_advisories,
           (long long)res.n_db_advisories);
    printf("warnings: %zu%s\n", res.n_warnings,
           res.n_warnings > 0 && !ui.verbose ? " (--verbose lists them)" : "");
    printf("seconds: %.2f\n", (double)(t1 - t0) / 1000.0);
    printf("db_version: %s%s\n", res.db_version != NULL ? res.db_version : "(none)",
           res.committed ? "" : " (unchanged)");
    printf("database: %s\n", db_path);
    status = res.n_failed > 0 ? 1 : 0;
out:
    dd_update_result_clear(&res);
    dd_feed_list_free(&feeds);
    dd_strlist_free(&sources);
    dd_free(buf);
    return status;
}

int dd_cmd_db(int argc, char **argv)
{
    if (argc < 2) {
        fputs(db_usage, stderr);
        return 2;
    }
    const char *sub = argv[1];
    if (strcmp(sub, "import") == 0)
        return cmd_import(argc - 1, argv + 1);
    if (strcmp(sub, "info") == 0)
        return cmd_info(argc - 1, argv + 1);
    if (strcmp(sub, "update") == 0)
        return cmd_update(argc - 1, argv + 1);
    if (strcmp(sub, "--help") == 0 || strcmp(sub, "-h") == 0 || strcmp(sub, "help") == 0) {
        fputs(db_usage, stdout);
        return 0;
    }
    fprintf(stderr, "drydock db: unknown command '%s'\nTry 'drydock db --help'.\n", sub);
    return 2;
}
