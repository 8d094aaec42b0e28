/* `drydock db update`: downloads vulnerability feeds over HTTP(S) into a cache directory
 * (resumable, conditional, verified) and imports them into a new version of the database, which
 * replaces the old one atomically. Feed list and cache layout: docs/vulndb.md. */
#ifndef DD_VULNDB_UPDATE_H
#define DD_VULNDB_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "util/err.h"
#include "util/strlist.h"

/* Default and hard cap of one feed download (the OSV Debian archive is a few hundred MB). */
#define DD_UPDATE_FEED_MAX_DEFAULT (2ull * 1024ull * 1024ull * 1024ull)
#define DD_UPDATE_FEED_MAX_CAP (16ull * 1024ull * 1024ull * 1024ull)
/* One member of a zip archive (an OSV advisory) and the sum of all members, uncompressed. */
#define DD_UPDATE_ZIP_ENTRY_MAX (64u * 1024u * 1024u)
#define DD_UPDATE_ZIP_TOTAL_MAX (32ull * 1024ull * 1024ull * 1024ull)
#define DD_UPDATE_ZIP_ENTRIES_MAX 4000000u
/* Feeds file: longest line, most feeds; longest feed name (it names files in the cache). */
#define DD_UPDATE_FEEDS_LINE_MAX 4096u
#define DD_UPDATE_FEEDS_MAX 1024u
#define DD_UPDATE_FEED_NAME_MAX 64u

/* One feed: where to download it and how to read it. */
typedef struct dd_feed {
    char *name;      /* [A-Za-z0-9][A-Za-z0-9._-]*: the cache file names and --source */
    char *url;       /* http:// or https:// */
    char *format;    /* "osv-zip" or an importer's format ("osv-json", "debian-tracker-json",
                        "alpine-secdb", ...); NULL: ".zip" URLs are osv-zip, others detected */
    char *sha256;    /* expected SHA-256 of the download (64 lowercase hex), or NULL */
    bool allow_http; /* plain http allowed for a non-loopback host ("allow-http" in the file) */
} dd_feed;

typedef struct dd_feed_list {
    dd_feed *items;
    size_t n;
    size_t cap;
} dd_feed_list;

#define DD_FEED_LIST_INIT                                                                          \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Appends the built-in feeds (docs/vulndb.md lists them). */
DD_WARN_UNUSED int dd_feed_list_default(dd_feed_list *out);
/* Parses a feeds file: one feed per line, `NAME URL [FORMAT] [sha256=HEX] [allow-http]`, blank
 * lines and lines starting with '#' ignored. DD_EINVALID with the byte offset of the bad line. */
DD_WARN_UNUSED int dd_feed_list_parse(dd_feed_list *out, const uint8_t *buf, size_t len,
                                      dd_err *err);
/* Keeps only the feeds named in names; a name that matches no feed is DD_ENOTFOUND. */
DD_WARN_UNUSED int dd_feed_list_select(dd_feed_list *l, const dd_strlist *names, dd_err *err);
void dd_feed_list_free(dd_feed_list *l);

/* Whether url may be fetched: https always; http only for a loopback host (localhost,
 * 127.0.0.0/8, ::1) or when allow_http. 0 or DD_EDENIED / DD_EINVALID with a message. */
DD_WARN_UNUSED int dd_feed_check_url(const char *url, bool allow_http, dd_err *err);

typedef enum dd_feed_status {
    DD_FEED_FETCHED = 0,      /* downloaded (whole or resumed) and verified */
    DD_FEED_NOT_MODIFIED = 1, /* 304: the cached copy is current */
    DD_FEED_FAILED = 2
} dd_feed_status;

/* Progress of the update, for a display (called often while downloading). */
typedef struct dd_update_progress {
    size_t feed_index; /* 0-based */
    size_t n_feeds;
    const char *feed;
    const char *phase; /* "download", "import" */
    uint64_t bytes;    /* downloaded so far including a resumed part, or entries imported */
    uint64_t total;    /* 0 when unknown */
} dd_update_progress;

typedef struct dd_update_options {
    const char *db_path;
    const dd_feed_list *feeds;
    const char *cache_dir;  /* NULL: the database's directory + "/.feeds" */
    bool fresh;             /* build from an empty database (cached copies are imported again) */
    bool keep_going;        /* import the feeds that did not fail; still reported as failed */
    uint64_t max_bytes;     /* per download; 0: DD_UPDATE_FEED_MAX_DEFAULT; capped at _CAP */
    long connect_timeout_s; /* 0: 30 */
    long timeout_s;         /* whole transfer of one feed; 0: none (a stall still times out) */
    long stall_s;           /* abort when under 1 KiB/s for this long; 0: 60 */
    unsigned retries;       /* extra attempts (resuming) after a failed transfer */
    const char *ca_file;    /* extra CA bundle, or NULL for the system's */
    void (*progress)(void *ctx, const dd_update_progress *p);
    /* Warnings: bad records skipped, a resume refused by the server, ... */
    void (*warn)(void *ctx, const char *feed, const char *msg);
    void *ctx;
} dd_update_options;

#define DD_UPDATE_OPTIONS_INIT                                                                     \
    {                                                                                              \
        NULL, NULL, NULL, false, false, 0, 0, 0, 0, 2, NULL, NULL, NULL, NULL                      \
    }

typedef struct dd_feed_result {
    const char *name; /* borrowed from the feed list */
    dd_feed_status status;
    bool resumed;               /* a partial download was continued with a Range request */
    bool imported;              /* its content went into the new database version */
    uint64_t bytes;             /* size of the cached copy */
    size_t n_advisories;        /* advisories imported from it */
    char error[DD_ERR_MSG_MAX]; /* why it failed */
} dd_feed_result;

typedef struct dd_update_result {
    dd_feed_result *feeds; /* one per feed, in order */
    size_t n_feeds;
    size_t n_fetched, n_not_modified, n_failed;
    size_t n_advisories; /* imported in this run */
    size_t n_warnings;
    bool committed;          /* false when nothing changed (every feed 304 and already imported) */
    char *db_version;        /* of the database after the update (new when committed) */
    int64_t n_db_advisories; /* in the database after the update */
} dd_update_result;

/* Downloads the feeds, imports them and commits. Fails (DD_E*, err naming the feed) leaving
 * db_path untouched when a feed fails without keep_going; with keep_going the others are imported
 * and the failed ones are in out (n_failed > 0) with a 0 return. out is filled in either case and
 * cleared with dd_update_result_clear. */
DD_WARN_UNUSED int dd_vulndb_update(dd_update_result *out, const dd_update_options *opt,
                                    dd_err *err);
void dd_update_result_clear(dd_update_result *r);

#endif
