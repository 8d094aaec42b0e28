/* `drydock db update`: the feed list (built-in and feeds files), downloads with libcurl into a
 * cache directory, and the import of the cached copies into a new database version.
 *
 * Cache layout (one directory per database, locked with flock on ".lock" while in use):
 *   NAME.data       the last complete, verified download of feed NAME
 *   NAME.meta       its sidecar: url, etag, last-modified, and whether it went into the database
 *   NAME.part       a download in progress, continued with a Range request next time
 *   NAME.part.meta  the validators of the partial download (sent as If-Range when resuming)
 * A download is verified (length, optional sha256, zip or JSON structure) as NAME.part and only
 * then renamed to NAME.data. Sidecars are marked "committed" only after the database commit, so
 * a copy downloaded by a failed run is imported by the next one even when the server says 304. */
#include "vulndb/update.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/digest.h"
#include "vulndb/import.h"
#include "vulndb/vulndb.h"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SIDECAR_MAX 16384u
#define HEAD_LEN 4096u

/* ---- feed list ------------------------------------------------------------------------------ */

#define OSV_ZIP(eco) "https://osv-vulnerabilities.storage.googleapis.com/" eco "/all.zip"
#define SECDB(branch, repo) "https://secdb.alpinelinux.org/" branch "/" repo ".json"

static const struct {
    const char *name, *url, *format;
} default_feeds[] = {
    {"osv-npm", OSV_ZIP("npm"), "osv-zip"},
    {"osv-pypi", OSV_ZIP("PyPI"), "osv-zip"},
    {"osv-go", OSV_ZIP("Go"), "osv-zip"},
    {"osv-maven", OSV_ZIP("Maven"), "osv-zip"},
    {"osv-rubygems", OSV_ZIP("RubyGems"), "osv-zip"},
    {"osv-crates.io", OSV_ZIP("crates.io"), "osv-zip"},
    {"osv-packagist", OSV_ZIP("Packagist"), "osv-zip"},
    {"osv-nuget", OSV_ZIP("NuGet"), "osv-zip"},
    {"osv-hex", OSV_ZIP("Hex"), "osv-zip"},
    {"osv-pub", OSV_ZIP("Pub"), "osv-zip"},
    {"osv-debian", OSV_ZIP("Debian"), "osv-zip"},
    {"osv-alpine", OSV_ZIP("Alpine"), "osv-zip"},
    {"osv-ubuntu", OSV_ZIP("Ubuntu"), "osv-zip"},
    {"debian-tracker", "https://security-tracker.debian.org/tracker/data/json",
     "debian-tracker-json"},
    {"alpine-v3.18-main", SECDB("v3.18", "main"), "alpine-secdb"},
    {"alpine-v3.18-community", SECDB("v3.18", "community"), "alpine-secdb"},
    {"alpine-v3.19-main", SECDB("v3.19", "main"), "alpine-secdb"},
    {"alpine-v3.19-community", SECDB("v3.19", "community"), "alpine-secdb"},
    {"alpine-v3.20-main", SECDB("v3.20", "main"), "alpine-secdb"},
    {"alpine-v3.20-community", SECDB("v3.20", "community"), "alpine-secdb"},
    {"alpine-v3.21-main", SECDB("v3.21", "main"), "alpine-secdb"},
    {"alpine-v3.21-community", SECDB("v3.21", "community"), "alpine-secdb"},
    {"alpine-v3.22-main", SECDB("v3.22", "main"), "alpine-secdb"},
    {"alpine-v3.22-community", SECDB("v3.22", "community"), "alpine-secdb"},
};

static void feed_clear(dd_feed *f)
{
    dd_free(f->name);
    dd_free(f->url);
    dd_free(f->format);
    dd_free(f->sha256);
    memset(f, 0, sizeof(*f));
}

void dd_feed_list_free(dd_feed_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        feed_clear(&l->items[i]);
    dd_free(l->items);
    l->items = NULL;
    l->n = 0;
    l->cap = 0;
}

/* Takes ownership of f's strings (cleared on failure too). */
static int list_push(dd_feed_list *l, dd_feed *f)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        dd_feed *p = dd_reallocarray(l->items, cap, sizeof(*p));
        if (p == NULL) {
            feed_clear(f);
            return DD_ENOMEM;
        }
        l->items = p;
        l->cap = cap;
    }
    l->items[l->n++] = *f;
    memset(f, 0, sizeof(*f));
    return 0;
}

int dd_feed_list_default(dd_feed_list *out)
{
    for (size_t i = 0; i < sizeof(default_feeds) / sizeof(default_feeds[0]); i++) {
        dd_feed f = {dd_strdup(default_feeds[i].name), dd_strdup(default_feeds[i].url),
                     dd_strdup(default_feeds[i].format), NULL, false};
        if (f.name == NULL || f.url == NULL || f.format == NULL) {
            feed_clear(&f);
            return DD_ENOMEM;
        }
        int rc = list_push(out, &f);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len > DD_UPDATE_FEED_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '.' || c == '_' || c == '-'));
        if (!ok)
            return false;
    }
    return true;
}

static bool known_format(const char *s, size_t len)
{
    if (len == 7 && memcmp(s, "osv-zip", 7) == 0)
        return true;
    for (size_t i = 0; dd_importers[i] != NULL; i++) {
        const char *f = dd_importers[i]->format;
        if (strlen(f) == len && memcmp(f, s, len) == 0)
            return true;
    }
    return false;
}

static bool is_lower_hex(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* One line of a feeds file, [p, p+len) without its newline, starting at byte off. The format is
 * a few space-separated words, so it is split by hand. */
static int parse_feed_line(dd_feed_list *out, const char *p, size_t len, size_t off, dd_err *err)
{
    const char *word[8];
    size_t wlen[8], woff[8], n = 0;
    size_t i = 0;
    int rc = 0;
    dd_feed f = {NULL, NULL, NULL, NULL, false};
    while (i < len) {
        while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r'))
            i++;
        if (i >= len)
            break;
        if (n == sizeof(word) / sizeof(word[0]))
            return dd_err_set_at(err, DD_EINVALID, off + i, "feeds file: too many words");
        word[n] = p + i;
        woff[n] = off + i;
        while (i < len && p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            i++;
        wlen[n] = (size_t)(p + i - word[n]);
        n++;
    }
    if (n == 0)
        return 0;
    if (n < 2)
        return dd_err_set_at(err, DD_EINVALID, off, "feeds file: expected `NAME URL [FORMAT]`");
    if (!valid_name(word[0], wlen[0]))
        return dd_err_set_at(err, DD_EINVALID, woff[0],
                             "feeds file: bad feed name (letters, digits, '.', '_', '-'; at most "
                             "%u)",
                             DD_UPDATE_FEED_NAME_MAX);
    f.name = dd_strndup(word[0], wlen[0]);
    f.url = dd_strndup(word[1], wlen[1]);
    if (f.name == NULL || f.url == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if (memchr(word[1], '\0', wlen[1]) != NULL) {
        rc = dd_err_set_at(err, DD_EINVALID, woff[1], "feeds file: NUL byte in the URL");
        goto out;
    }
    for (size_t k = 2; k < n; k++) {
        if (wlen[k] > 7 && memcmp(word[k], "sha256=", 7) == 0) {
            if (wlen[k] != 7 + 64 || !is_lower_hex(word[k] + 7, 64) || f.sha256 != NULL) {
                rc = dd_err_set_at(err, DD_EINVALID, woff[k],
                                   "feeds file: sha256= takes 64 lowercase hex digits, once");
                goto out;
            }
            f.sha256 = dd_strndup(word[k] + 7, 64);
            if (f.sha256 == NULL) {
                rc = DD_ENOMEM;
                goto out;
            }
        } else if (wlen[k] == 10 && memcmp(word[k], "allow-http", 10) == 0) {
            f.allow_http = true;
        } else if (known_format(word[k], wlen[k]) && f.format == NULL) {
            f.format = dd_strndup(word[k], wlen[k]);
            if (f.format == NULL) {
                rc = DD_ENOMEM;
                goto out;
            }
        } else {
            rc = dd_err_set_at(err, DD_EINVALID, woff[k],
                               "feeds file: unknown word '%.*s' (a format, sha256=HEX or "
                               "allow-http)",
                               (int)(wlen[k] > 64 ? 64 : wlen[k]), word[k]);
            goto out;
        }
    }
    for (size_t k = 0; k < out->n; k++) {
        if (strcmp(out->items[k].name, f.name) == 0) {
            rc = dd_err_set_at(err, DD_EINVALID, woff[0], "feeds file: feed '%s' listed twice",
                               f.name);
            goto out;
        }
    }
    rc = dd_feed_check_url(f.url, f.allow_http, err);
    if (rc != 0) {
        if (err != NULL)
            err->offset = woff[1];
        goto out;
    }
    if (out->n >= DD_UPDATE_FEEDS_MAX) {
        rc = dd_err_set_at(err, DD_ELIMIT, off, "feeds file: more than %u feeds",
                           DD_UPDATE_FEEDS_MAX);
        goto out;
    }
    rc = list_push(out, &f);
out:
    feed_clear(&f);
    return rc;
}

int dd_feed_list_parse(dd_feed_list *out, const uint8_t *buf, size_t len, dd_err *err)
{
    size_t pos = 0;
    while (pos < len) {
        const uint8_t *nl = memchr(buf + pos, '\n', len - pos);
        size_t end = nl != NULL ? (size_t)(nl - buf) : len;
        if (end - pos > DD_UPDATE_FEEDS_LINE_MAX)
            return dd_err_set_at(err, DD_ELIMIT, pos, "feeds file: line longer than %u bytes",
                                 DD_UPDATE_FEEDS_LINE_MAX);
        const char *line = (const char *)buf + pos;
        size_t i = 0;
        while (i < end - pos && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i < end - pos && line[i] != '#') {
            int rc = parse_feed_line(out, line, end - pos, pos, err);
            if (rc != 0)
                return rc;
        }
        pos = end + 1;
    }
    return 0;
}

int dd_feed_list_select(dd_feed_list *l, const dd_strlist *names, dd_err *err)
{
    for (size_t k = 0; k < names->n; k++) {
        size_t i = 0;
        while (i < l->n && strcmp(l->items[i].name, names->items[k]) != 0)
            i++;
        if (i == l->n)
            return dd_err_set(err, DD_ENOTFOUND, "no feed named '%.64s'", names->items[k]);
    }
    size_t keep = 0;
    for (size_t i = 0; i < l->n; i++) {
        bool wanted = false;
        for (size_t k = 0; k < names->n && !wanted; k++)
            wanted = strcmp(l->items[i].name, names->items[k]) == 0;
        if (wanted)
            l->items[keep++] = l->items[i];
        else
            feed_clear(&l->items[i]);
    }
    l->n = keep;
    return 0;
}

/* ---- URL rule ------------------------------------------------------------------------------- */

static bool loopback_host(const char *h)
{
    if (strcasecmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 || strcmp(h, "::1") == 0)
        return true;
    /* 127.0.0.0/8 in dotted-quad form (curl normalises other IPv4 spellings to it). */
    if (strncmp(h, "127.", 4) != 0)
        return false;
    int parts = 2, digits = 0; /* "127" and the part being read */
    for (const char *c = h + 4; *c != '\0'; c++) {
        if (*c == '.') {
            if (digits == 0)
                return false;
            parts++;
            digits = 0;
        } else if (*c >= '0' && *c <= '9' && digits < 3) {
            digits++;
        } else {
            return false;
        }
    }
    return parts == 4 && digits > 0;
}

int dd_feed_check_url(const char *url, bool allow_http, dd_err *err)
{
    int rc = 0;
    char *scheme = NULL, *host = NULL;
    CURLU *u = curl_url();
    if (u == NULL)
        return DD_ENOMEM;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
        rc = dd_err_set(err, DD_EINVALID, "not a URL: '%.200s'", url);
        goto out;
    }
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        rc = dd_err_set(err, DD_EUNSUPPORTED, "%.200s: only http and https URLs are fetched", url);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || host[0] == '\0') {
        rc = dd_err_set(err, DD_EINVALID, "%.200s: no host", url);
        goto out;
    }
    if (strcmp(scheme, "https") == 0)
        goto out;
    if (!allow_http && !loopback_host(host))
        rc = dd_err_set(err, DD_EDENIED,
                        "%.200s: plain http is allowed only for loopback hosts or with "
                        "allow-http in the feeds file",
                        url);
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

/* ---- cache files and sidecars ----------------------------------------------------------- */

/* A sidecar: `key value` lines. A hand-written reader, since the format is ours and tiny. */
typedef struct sidecar {
    char *url;
    char *etag;
    char *last_modified;
    char *db; /* absolute path of the database the copy was committed into */
    bool committed;
} sidecar;

static void sidecar_clear(sidecar *s)
{
    dd_free(s->url);
    dd_free(s->etag);
    dd_free(s->last_modified);
    dd_free(s->db);
    memset(s, 0, sizeof(*s));
}

static bool header_safe(const char *v)
{
    for (const unsigned char *c = (const unsigned char *)v; *c != '\0'; c++)
        if (*c < 0x20 || *c == 0x7f)
            return false;
    return true;
}

/* Reads path into s; a missing or malformed file leaves s empty (the cache is advisory). */
static int sidecar_read(sidecar *s, const char *path)
{
    memset(s, 0, sizeof(*s));
    char buf[SIDECAR_MAX + 1];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, SIDECAR_MAX - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == SIDECAR_MAX)
            break;
    }
    close(fd);
    size_t pos = 0;
    while (pos < len) {
        char *nl = memchr(buf + pos, '\n', len - pos);
        if (nl == NULL)
            break; /* a line without its newline: the file was cut, ignore the rest */
        *nl = '\0';
        char *line = buf + pos, *sp = strchr(line, ' ');
        pos = (size_t)(nl - buf) + 1;
        if (sp == NULL)
            continue;
        *sp = '\0';
        const char *v = sp + 1;
        char **slot = NULL;
        if (strcmp(line, "url") == 0)
            slot = &s->url;
        else if (strcmp(line, "etag") == 0)
            slot = &s->etag;
        else if (strcmp(line, "last-modified") == 0)
            slot = &s->last_modified;
        else if (strcmp(line, "db") == 0)
            slot = &s->db;
        else if (strcmp(line, "committed") == 0)
            s->committed = strcmp(v, "1") == 0;
        if (slot == NULL || *slot != NULL || !header_safe(v))
            continue;
        *slot = dd_strdup(v);
        if (*slot == NULL) {
            sidecar_clear(s);
            return DD_ENOMEM;
        }
    }
    return 0;
}

static int write_all(int fd, const void *p, size_t len)
{
    const char *c = p;
    while (len > 0) {
        ssize_t n = write(fd, c, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes s to path atomically (temporary file and rename). */
static int sidecar_write(const sidecar *s, const char *path, dd_err *err)
{
    int rc = 0, fd = -1;
    dd_buf b = DD_BUF_INIT(SIDECAR_MAX);
    char *tmp = dd_asprintf("%s.tmp", path);
    if (tmp == NULL)
        return DD_ENOMEM;
    if ((s->url != NULL && (rc = dd_buf_printf(&b, "url %s\n", s->url)) != 0) ||
        (s->etag != NULL && (rc = dd_buf_printf(&b, "etag %s\n", s->etag)) != 0) ||
        (s->last_modified != NULL &&
         (rc = dd_buf_printf(&b, "last-modified %s\n", s->last_modified)) != 0) ||
        (s->db != NULL && (rc = dd_buf_printf(&b, "db %s\n", s->db)) != 0) ||
        (rc = dd_buf_printf(&b, "committed %d\n", s->committed ? 1 : 0)) != 0) {
        rc = dd_err_set(err, rc, "%s: sidecar too large", path);
        goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = dd_err_errno(err, errno, tmp);
        goto out;
    }
    int e = write_all(fd, b.data, b.len);
    if (e == 0 && fsync(fd) != 0)
        e = errno;
    if (e != 0) {
        rc = dd_err_errno(err, e, tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = dd_err_errno(err, errno, path);
        goto out;
    }
out:
    if (fd >= 0)
        close(fd);
    if (rc != 0)
        unlink(tmp);
    dd_free(tmp);
    dd_buf_free(&b);
    return rc;
}

/* ---- download ------------------------------------------------------------------------------- */

/* Per-feed state of the run. */
typedef struct feed_run {
    const dd_feed *feed;
    dd_feed_result *res;
    char *data_path, *meta_path, *part_path, *part_meta_path;
    const dd_importer *importer; /* NULL for osv-zip */
    bool zip;
    bool to_import;
} feed_run;

typedef struct fetch {
    CURL *curl;
    const dd_update_options *opt;
    const feed_run *fr;
    size_t index, n_feeds;
    int fd;
    uint64_t offset;  /* bytes of the part file this attempt continues from */
    uint64_t written; /* bytes written by this attempt */
    uint64_t total;   /* from Content-Range, 0 when unknown */
    uint64_t max;
    bool started;
    bool resumed;
    int werr;
    char wmsg[DD_ERR_MSG_MAX];
    sidecar got; /* validators of the response */
} fetch;

/* Copies a response header's value (last request after redirects), if it is safe to store. */
static int get_header(char **out, CURL *c, const char *name)
{
    struct curl_header *h = NULL;
    *out = NULL;
    if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || h->value == NULL ||
        h->value[0] == '\0' || !header_safe(h->value) || strlen(h->value) > 1024)
        return 0;
    *out = dd_strdup(h->value);
    return *out == NULL ? DD_ENOMEM : 0;
}

static int parse_u64(const char **p, uint64_t *out)
{
    uint64_t v = 0;
    const char *c = *p;
    if (*c < '0' || *c > '9')
        return DD_EINVALID;
    while (*c >= '0' && *c <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return DD_EINVALID;
        v = v * 10 + (uint64_t)(*c - '0');
        c++;
    }
    *p = c;
    *out = v;
    return 0;
}

/* "bytes FIRST-LAST/TOTAL", or with "*" for an unknown total (RFC 9110 14.4): total 0. */
static int parse_content_range(const char *v, uint64_t *first, uint64_t *last, uint64_t *total)
{
    if (strncasecmp(v, "bytes ", 6) != 0)
        return DD_EINVALID;
    const char *p = v + 6;
    while (*p == ' ')
        p++;
    if (parse_u64(&p, first) != 0 || *p++ != '-' || parse_u64(&p, last) != 0 || *p++ != '/' ||
        *last < *first)
        return DD_EINVALID;
    *total = 0;
    if (*p == '*')
        p++;
    else if (parse_u64(&p, total) != 0 || *total <= *last)
        return DD_EINVALID;
    return *p == '\0' ? 0 : DD_EINVALID;
}

/* Called with the first body bytes: decides between continuing the part file (206 at the right
 * offset) and starting it over (200), and records the validators for a later resume. */
static int on_first_body(fetch *f)
{
    long code = 0;
    curl_easy_getinfo(f->curl, CURLINFO_RESPONSE_CODE, &code);
    if (code == 206) {
        char *cr = NULL;
        uint64_t first = 0, last = 0, total = 0;
        if (get_header(&cr, f->curl, "Content-Range") != 0)
            return DD_ENOMEM;
        int bad =
            cr == NULL || parse_content_range(cr, &first, &last, &total) != 0 || first != f->offset;
        if (bad)
            snprintf(f->wmsg, sizeof(f->wmsg), "206 with a Content-Range not starting at %llu: %s",
                     (unsigned long long)f->offset, cr != NULL ? cr : "(none)");
        dd_free(cr);
        if (bad)
            return DD_EMISMATCH;
        f->total = total;
        f->resumed = true;
    } else if (code == 200) {
        if (f->offset > 0 && ftruncate(f->fd, 0) != 0) {
            snprintf(f->wmsg, sizeof(f->wmsg), "truncate: %s", strerror(errno));
            return DD_EIO;
        }
        f->offset = 0;
    } else {
        snprintf(f->wmsg, sizeof(f->wmsg), "unexpected HTTP status %ld", code);
        return DD_EUNSUPPORTED;
    }
    if (lseek(f->fd, (off_t)f->offset, SEEK_SET) < 0) {
        snprintf(f->wmsg, sizeof(f->wmsg), "seek: %s", strerror(errno));
        return DD_EIO;
    }
    if (get_header(&f->got.etag, f->curl, "ETag") != 0 ||
        get_header(&f->got.last_modified, f->curl, "Last-Modified") != 0)
        return DD_ENOMEM;
    if (code == 200) {
        /* Record the validators now so that an interrupted download can be resumed. */
        sidecar pm = {(char *)f->fr->feed->url, f->got.etag, f->got.last_modified, NULL, false};
        dd_err e = DD_ERR_INIT;
        int rc = sidecar_write(&pm, f->fr->part_meta_path, &e);
        if (rc != 0) {
            snprintf(f->wmsg, sizeof(f->wmsg), "%s", e.msg);
            return rc;
        }
    }
    return 0;
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
    fetch *f = ud;
    size_t n = size * nmemb; /* curl guarantees size == 1 */
    if (!f->started) {
        f->started = true;
        f->werr = on_first_body(f);
        if (f->werr != 0)
            return 0;
    }
    if (f->offset + f->written + n > f->max) {
        f->werr = DD_ELIMIT;
        snprintf(f->wmsg, sizeof(f->wmsg), "larger than the limit of %llu bytes",
                 (unsigned long long)f->max);
        return 0;
    }
    int e = write_all(f->fd, p, n);
    if (e != 0) {
        f->werr = DD_EIO;
        snprintf(f->wmsg, sizeof(f->wmsg), "write: %s", strerror(e));
        return 0;
    }
    f->written += n;
    return n;
}

static int on_xfer(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                   curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    fetch *f = ud;
    if (f->opt->progress != NULL) {
        dd_update_progress pr = {f->index,
                                 f->n_feeds,
                                 f->fr->feed->name,
                                 "download",
                                 f->offset + (uint64_t)(dlnow > 0 ? dlnow : 0),
                                 dltotal > 0 ? f->offset + (uint64_t)dltotal : 0};
        f->opt->progress(f->opt->ctx, &pr);
    }
    return 0;
}

static void warnf(const dd_update_options *opt, const char *feed, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warnf(const dd_update_options *opt, const char *feed, const char *fmt, ...)
{
    if (opt->warn == NULL)
        return;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    opt->warn(opt->ctx, feed, msg);
}

static void drop_part(const feed_run *fr)
{
    unlink(fr->part_path);
    unlink(fr->part_meta_path);
}

typedef enum attempt_result { ATT_DONE, ATT_NOT_MODIFIED, ATT_RETRY, ATT_FAIL } attempt_result;

static int append_header(struct curl_slist **h, const char *name, const char *value)
{
    char *line = dd_asprintf("%s: %s", name, value);
    if (line == NULL)
        return DD_ENOMEM;
    struct curl_slist *n = curl_slist_append(*h, line);
    dd_free(line);
    if (n == NULL)
        return DD_ENOMEM;
    *h = n;
    return 0;
}

/* One HTTP transfer of a feed into its part file. */
static int attempt(attempt_result *ar, CURL *curl, const dd_update_options *opt, feed_run *fr,
                   size_t index, size_t n_feeds, uint64_t max, dd_err *err)
{
    int rc = 0;
    struct curl_slist *hdrs = NULL;
    sidecar pm, dm;
    memset(&pm, 0, sizeof(pm));
    memset(&dm, 0, sizeof(dm));
    fetch f;
    memset(&f, 0, sizeof(f));
    f.curl = curl;
    f.opt = opt;
    f.fr = fr;
    f.index = index;
    f.n_feeds = n_feeds;
    f.max = max;
    f.fd = -1;
    *ar = ATT_FAIL;
    const char *name = fr->feed->name;

    /* Resume a partial download when it has a validator for If-Range (a strong ETag, else
     * Last-Modified): without one, the server's content may have changed underneath. */
    struct stat sb;
    uint64_t part_len = 0;
    if (stat(fr->part_path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0)
        part_len = (uint64_t)sb.st_size;
    if ((rc = sidecar_read(&pm, fr->part_meta_path)) != 0)
        goto out;
    const char *if_range = NULL;
    if (part_len > 0 && pm.url != NULL && strcmp(pm.url, fr->feed->url) == 0) {
        if (pm.etag != NULL && strncmp(pm.etag, "W/", 2) != 0)
            if_range = pm.etag;
        else if (pm.last_modified != NULL)
            if_range = pm.last_modified;
    }
    if (part_len > 0 && (if_range == NULL || part_len >= max)) {
        drop_part(fr);
        part_len = 0;
    }
    f.fd = open(fr->part_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (f.fd < 0) {
        rc = dd_err_errno(err, errno, fr->part_path);
        goto out;
    }
    f.offset = part_len;
    char range[40];
    if (part_len > 0) {
        snprintf(range, sizeof(range), "%llu-", (unsigned long long)part_len);
        if ((rc = append_header(&hdrs, "If-Range", if_range)) != 0)
            goto out;
    } else if (ftruncate(f.fd, 0) != 0) {
        rc = dd_err_errno(err, errno, fr->part_path);
        goto out;
    }
    /* Conditional request against the cached copy (not when resuming: the partial download is
     * newer than the cached copy). */
    bool conditional = false;
    if (part_len == 0) {
        if ((rc = sidecar_read(&dm, fr->meta_path)) != 0)
            goto out;
        if (dm.url != NULL && strcmp(dm.url, fr->feed->url) == 0 && stat(fr->data_path, &sb) == 0 &&
            S_ISREG(sb.st_mode)) {
            if (dm.etag != NULL) {
                if ((rc = append_header(&hdrs, "If-None-Match", dm.etag)) != 0)
                    goto out;
                conditional = true;
            }
            if (dm.last_modified != NULL) {
                if ((rc = append_header(&hdrs, "If-Modified-Since", dm.last_modified)) != 0)
                    goto out;
                conditional = true;
            }
        }
    }

    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, fr->feed->url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    /* A redirect never downgrades to plain http unless the feed allows http explicitly. */
    curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR,
                     fr->feed->allow_http ? "http,https" : "https");
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (opt->ca_file != NULL)
        curl_easy_setopt(curl, CURLOPT_CAINFO, opt->ca_file);
    curl_easy_setopt(curl, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "drydock/" DD_VERSION);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                     opt->connect_timeout_s > 0 ? opt->connect_timeout_s : 30L);
    if (opt->timeout_s > 0)
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, opt->timeout_s);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, opt->stall_s > 0 ? opt->stall_s : 60L);
    curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    if (part_len > 0)
        curl_easy_setopt(curl, CURLOPT_RANGE, range);
    if (hdrs != NULL)
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &f);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_xfer);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &f);
    char cerr[CURL_ERROR_SIZE];
    cerr[0] = '\0';
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, cerr);

    CURLcode cc = curl_easy_perform(curl);
    long code = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL); /* cerr goes out of scope */
    if (f.resumed)
        fr->res->resumed = true;

    if (cc == CURLE_WRITE_ERROR && f.werr != 0) {
        rc = dd_err_set(err, f.werr, "%s", f.wmsg);
        if (f.werr == DD_EMISMATCH) { /* bad Content-Range: start over */
            drop_part(fr);
            *ar = ATT_RETRY;
        }
        goto out;
    }
    if (cc == CURLE_HTTP_RETURNED_ERROR && code == 416 && part_len > 0) {
        /* The part is not a prefix of the current content: start over. */
        warnf(opt, name, "server refused to resume at byte %llu (416): starting over",
              (unsigned long long)part_len);
        drop_part(fr);
        rc = dd_err_set(err, DD_ERANGE, "HTTP 416 on resume");
        *ar = ATT_RETRY;
        goto out;
    }
    if (cc == CURLE_HTTP_RETURNED_ERROR) {
        rc = dd_err_set(err, DD_ENOTFOUND, "HTTP %ld", code);
        goto out;
    }
    if (cc == CURLE_FILESIZE_EXCEEDED) {
        drop_part(fr);
        rc = dd_err_set(err, DD_ELIMIT, "larger than the limit of %llu bytes",
                        (unsigned long long)max);
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = dd_err_set(err, DD_EIO, "%s", cerr[0] ? cerr : curl_easy_strerror(cc));
        /* Security and usage errors are final; transport errors are retried (resuming). */
        bool final = cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR ||
                     cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_UNSUPPORTED_PROTOCOL ||
                     cc == CURLE_URL_MALFORMAT || cc == CURLE_TOO_MANY_REDIRECTS ||
                     cc == CURLE_COULDNT_RESOLVE_HOST;
        *ar = final ? ATT_FAIL : ATT_RETRY;
        goto out;
    }
    if (code == 304) {
        if (!conditional) {
            rc = dd_err_set(err, DD_EINVALID, "HTTP 304 to an unconditional request");
            goto out;
        }
        *ar = ATT_NOT_MODIFIED;
        goto out;
    }
    if (code != 200 && code != 206) {
        rc = dd_err_set(err, DD_EUNSUPPORTED, "unexpected HTTP status %ld", code);
        goto out;
    }
    if (!f.started) { /* an empty body */
        f.offset = 0;
        if (ftruncate(f.fd, 0) != 0) {
            rc = dd_err_errno(err, errno, fr->part_path);
            goto out;
        }
    }
    /* Length checks: the bytes of this response against its Content-Length, and the whole file
     * against the total of a Content-Range. */
    curl_off_t clen = -1;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &clen);
    if (clen >= 0 && (uint64_t)clen != f.written) {
        rc = dd_err_set(err, DD_EMISMATCH, "received %llu bytes, Content-Length says %lld",
                        (unsigned long long)f.written, (long long)clen);
        *ar = ATT_RETRY;
        goto out;
    }
    if (f.total > 0 && f.offset + f.written != f.total) {
        rc = dd_err_set(err, DD_EMISMATCH, "have %llu bytes, Content-Range total is %llu",
                        (unsigned long long)(f.offset + f.written), (unsigned long long)f.total);
        drop_part(fr);
        *ar = ATT_RETRY;
        goto out;
    }
    if (fsync(f.fd) != 0) {
        rc = dd_err_errno(err, errno, fr->part_path);
        goto out;
    }
    fr->res->bytes = f.offset + f.written;
    /* Keep the validators of the complete download for the sidecar of the cached copy. */
    sidecar_clear(&pm);
    pm.url = dd_strdup(fr->feed->url);
    if (pm.url == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    pm.etag = f.got.etag;
    pm.last_modified = f.got.last_modified;
    f.got.etag = f.got.last_modified = NULL;
    if (f.resumed && pm.etag == NULL && pm.last_modified == NULL) {
        /* A 206 without validators: keep those of the start of the download. */
        sidecar old;
        if ((rc = sidecar_read(&old, fr->part_meta_path)) != 0)
            goto out;
        pm.etag = old.etag;
        pm.last_modified = old.last_modified;
        old.etag = old.last_modified = NULL;
        sidecar_clear(&old);
    }
    rc = sidecar_write(&pm, fr->part_meta_path, err);
    if (rc == 0)
        *ar = ATT_DONE;
out:
    if (f.fd >= 0) {
        close(f.fd);
        if (*ar != ATT_DONE && stat(fr->part_path, &sb) == 0 && sb.st_size == 0)
            drop_part(fr); /* nothing to resume */
    }
    sidecar_clear(&f.got);
    sidecar_clear(&pm);
    sidecar_clear(&dm);
    curl_slist_free_all(hdrs);
    return rc;
}

/* ---- verification ------------------------------------------------------------------------- */

typedef struct mapped {
    const uint8_t *p;
    size_t len;
} mapped;

static int map_file(mapped *m, const char *path, dd_err *err)
{
    m->p = NULL;
    m->len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return dd_err_errno(err, errno, path);
    struct stat sb;
    int rc = 0;
    if (fstat(fd, &sb) != 0) {
        rc = dd_err_errno(err, errno, path);
        goto out;
    }
    if (sb.st_size <= 0) {
        rc = dd_err_set(err, DD_EINVALID, "empty download");
        goto out;
    }
    if ((uint64_t)sb.st_size > SIZE_MAX) {
        rc = dd_err_set(err, DD_ELIMIT, "too large to map");
        goto out;
    }
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        rc = dd_err_errno(err, errno, path);
        goto out;
    }
    m->p = p;
    m->len = (size_t)sb.st_size;
out:
    close(fd);
    return rc;
}

static void unmap_file(mapped *m)
{
    if (m->p != NULL)
        munmap((void *)m->p, m->len);
    m->p = NULL;
}

/* The URL's path without query or fragment, for format detection by suffix. */
static char *url_path(const char *url)
{
    char *path = NULL, *out = NULL;
    CURLU *u = curl_url();
    if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK)
        out = dd_strdup(path);
    else
        out = dd_strdup("");
    curl_free(path);
    curl_url_cleanup(u);
    return out;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* Chooses the importer of a feed: its declared format, ".zip" => osv-zip, else detection. */
static int resolve_format(feed_run *fr, const mapped *m, dd_err *err)
{
    const char *fmt = fr->feed->format;
    char *path = url_path(fr->feed->url);
    int rc = 0;
    if (path == NULL)
        return DD_ENOMEM;
    fr->zip = false;
    fr->importer = NULL;
    if (fmt == NULL && ends_with(path, ".zip"))
        fmt = "osv-zip";
    if (fmt != NULL && strcmp(fmt, "osv-zip") == 0) {
        fr->zip = true;
        goto out;
    }
    if (fmt != NULL) {
        for (size_t i = 0; dd_importers[i] != NULL && fr->importer == NULL; i++)
            if (strcmp(dd_importers[i]->format, fmt) == 0)
                fr->importer = dd_importers[i];
    } else {
        fr->importer = dd_import_detect(path, m->p, m->len < HEAD_LEN ? m->len : HEAD_LEN);
    }
    if (fr->importer == NULL)
        rc = dd_err_set(err, DD_EUNSUPPORTED,
                        "unknown feed format (give one in the feeds file: osv-zip, osv-json, "
                        "debian-tracker-json, alpine-secdb, ...)");
out:
    dd_free(path);
    return rc;
}

/* Opens a zip file with libarchive. */
static int zip_open(struct archive **out, const char *path, dd_err *err)
{
    struct archive *a = archive_read_new();
    *out = NULL;
    if (a == NULL)
        return DD_ENOMEM;
    archive_read_support_format_zip(a);
    if (archive_read_open_filename(a, path, 64 * 1024) != ARCHIVE_OK) {
        int rc = dd_err_set(err, DD_EINVALID, "not a zip archive: %s", archive_error_string(a));
        archive_read_free(a);
        return rc;
    }
    *out = a;
    return 0;
}

/* The next .json member of a zip read into buf (other members skipped): 1 when one was read, 0
 * at the end, or an error. Limits: size per member, sum of sizes, member count. */
static int zip_next_json(struct archive *a, dd_buf *buf, const char **name_out, uint64_t *total,
                         size_t *n_entries, dd_err *err)
{
    struct archive_entry *e;
    for (;;) {
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            return 0;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
            return dd_err_set(err, DD_EINVALID, "zip: %s", archive_error_string(a));
        if (++*n_entries > DD_UPDATE_ZIP_ENTRIES_MAX)
            return dd_err_set(err, DD_ELIMIT, "zip: more than %u members",
                              DD_UPDATE_ZIP_ENTRIES_MAX);
        const char *name = archive_entry_pathname(e);
        if (archive_entry_filetype(e) != AE_IFREG || name == NULL || !ends_with(name, ".json")) {
            if (archive_read_data_skip(a) != ARCHIVE_OK)
                return dd_err_set(err, DD_EINVALID, "zip: %s", archive_error_string(a));
            continue;
        }
        dd_buf_reset(buf);
        char chunk[65536];
        for (;;) {
            la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
            if (n < 0)
                return dd_err_set(err, DD_EINVALID, "zip: %s: %s", name, archive_error_string(a));
            if (n == 0)
                break;
            *total += (uint64_t)n;
            if (*total > DD_UPDATE_ZIP_TOTAL_MAX)
                return dd_err_set(err, DD_ELIMIT, "zip: more than %llu bytes uncompressed",
                                  (unsigned long long)DD_UPDATE_ZIP_TOTAL_MAX);
            int rc = dd_buf_append(buf, chunk, (size_t)n);
            if (rc == DD_ELIMIT)
                return dd_err_set(err, rc, "zip: %s: member larger than %u bytes", name,
                                  DD_UPDATE_ZIP_ENTRY_MAX);
            if (rc != 0)
                return rc;
        }
        *name_out = name;
        return 1;
    }
}

/* Reads every member of the zip (checking their CRCs) without importing anything. */
static int verify_zip(const char *path, size_t *n_json, dd_err *err)
{
    struct archive *a = NULL;
    dd_buf buf = DD_BUF_INIT(DD_UPDATE_ZIP_ENTRY_MAX);
    uint64_t total = 0;
    size_t n_entries = 0;
    const char *name = NULL;
    *n_json = 0;
    int rc = zip_open(&a, path, err);
    while (rc == 0) {
        rc = zip_next_json(a, &buf, &name, &total, &n_entries, err);
        if (rc == 1) {
            ++*n_json;
            rc = 0;
        } else {
            break;
        }
    }
    if (rc == 0 && n_entries == 0)
        rc = dd_err_set(err, DD_EINVALID, "zip archive without members");
    archive_read_free(a);
    dd_buf_free(&buf);
    return rc;
}

/* Checks the part file: expected sha256, then its structure (zip members, JSON parse). */
static int verify_part(feed_run *fr, dd_err *err)
{
    mapped m = {NULL, 0};
    int rc = map_file(&m, fr->part_path, err);
    if (rc != 0)
        return rc;
    if (fr->feed->sha256 != NULL) {
        char got[DD_DIGEST_STR_MAX];
        if ((rc = dd_digest_buf(got, m.p, m.len)) != 0)
            goto out;
        if (strcmp(got + 7, fr->feed->sha256) != 0) {
            rc = dd_err_set(err, DD_EMISMATCH, "sha256 mismatch: got %s, expected %s", got + 7,
                            fr->feed->sha256);
            goto out;
        }
    }
    if ((rc = resolve_format(fr, &m, err)) != 0)
        goto out;
    if (fr->zip) {
        size_t n_json = 0;
        rc = verify_zip(fr->part_path, &n_json, err);
        goto out;
    }
    size_t i = 0;
    while (i < m.len && (m.p[i] == ' ' || m.p[i] == '\t' || m.p[i] == '\r' || m.p[i] == '\n'))
        i++;
    bool json_format = strcmp(fr->importer->format, "osv-json") == 0 ||
                       strcmp(fr->importer->format, "debian-tracker-json") == 0;
    if (json_format || (i < m.len && (m.p[i] == '{' || m.p[i] == '['))) {
        json_error_t je;
        json_t *root = json_loadb((const char *)m.p, m.len, 0, &je);
        if (root == NULL) {
            rc =
                dd_err_set_at(err, DD_EINVALID, (size_t)je.position, "not valid JSON: %s", je.text);
            goto out;
        }
        json_decref(root);
    }
out:
    unmap_file(&m);
    return rc;
}

/* Downloads one feed with retries, verifies it and moves it into the cache. */
static int fetch_feed(CURL *curl, const dd_update_options *opt, feed_run *fr, size_t index,
                      size_t n_feeds, uint64_t max, dd_err *err)
{
    unsigned attempts = 0;
    bool restarted = false;
    attempt_result ar = ATT_FAIL;
    int rc;
    for (;;) {
        dd_err_clear(err);
        rc = attempt(&ar, curl, opt, fr, index, n_feeds, max, err);
        if (ar == ATT_RETRY && rc == DD_ERANGE && !restarted) {
            restarted = true; /* a 416 on resume: one fresh start does not count as a retry */
            continue;
        }
        if (ar != ATT_RETRY || attempts >= opt->retries)
            break;
        attempts++;
        warnf(opt, fr->feed->name, "%s; retrying (%u of %u)", err->msg, attempts, opt->retries);
        struct timespec ts = {0, 250L * 1000L * 1000L * (long)(attempts < 4 ? attempts : 4)};
        nanosleep(&ts, NULL);
    }
    if (ar == ATT_NOT_MODIFIED) {
        fr->res->status = DD_FEED_NOT_MODIFIED;
        struct stat sb;
        if (stat(fr->data_path, &sb) == 0)
            fr->res->bytes = (uint64_t)sb.st_size;
        return 0;
    }
    if (ar != ATT_DONE)
        return rc != 0 ? rc : dd_err_set(err, DD_EIO, "download failed");
    rc = verify_part(fr, err);
    if (rc != 0) {
        drop_part(fr); /* bad content: the next attempt starts over */
        return rc;
    }
    /* Into the cache: drop the old sidecar first so its validators never describe new data. */
    sidecar pm;
    if ((rc = sidecar_read(&pm, fr->part_meta_path)) != 0)
        return rc;
    if (unlink(fr->meta_path) != 0 && errno != ENOENT) {
        rc = dd_err_errno(err, errno, fr->meta_path);
        goto out;
    }
    if (rename(fr->part_path, fr->data_path) != 0) {
        rc = dd_err_errno(err, errno, fr->data_path);
        goto out;
    }
    pm.committed = false;
    if ((rc = sidecar_write(&pm, fr->meta_path, err)) != 0)
        goto out;
    unlink(fr->part_meta_path);
    fr->res->status = DD_FEED_FETCHED;
out:
    sidecar_clear(&pm);
    return rc;
}

/* ---- import ------------------------------------------------------------------------------- */

typedef struct import_ctx {
    dd_vulndb_writer *w;
    const dd_update_options *opt;
    dd_update_result *res;
    feed_run *fr;
} import_ctx;

static int sink_put(void *ctx, const dd_advisory *a, dd_err *err)
{
    import_ctx *ic = ctx;
    int rc = dd_vulndb_writer_put(ic->w, a, err);
    if (rc == 0) {
        ic->fr->res->n_advisories++;
        ic->res->n_advisories++;
    }
    return rc;
}

static void sink_warn(void *ctx, const char *path, const char *msg)
{
    import_ctx *ic = ctx;
    ic->res->n_warnings++;
    warnf(ic->opt, ic->fr->feed->name, "%s: %s", path, msg);
}

static bool file_error(int rc)
{
    return rc == DD_EINVALID || rc == DD_ELIMIT || rc == DD_EUNSUPPORTED;
}

/* Imports one feed's cached copy. *feed_failed tells a problem of this feed (the rest can go on)
 * from a database error (returned with *feed_failed false). */
static int import_feed(import_ctx *ic, size_t index, size_t n_feeds, bool *feed_failed, dd_err *err)
{
    feed_run *fr = ic->fr;
    const dd_update_options *opt = ic->opt;
    mapped m = {NULL, 0};
    struct archive *a = NULL;
    dd_buf buf = DD_BUF_INIT(DD_UPDATE_ZIP_ENTRY_MAX);
    dd_import_sink sink = {sink_put, sink_warn, ic};
    int rc = 0;
    *feed_failed = true;
    if (fr->importer == NULL && !fr->zip) { /* a 304: format not resolved yet */
        if ((rc = map_file(&m, fr->data_path, err)) != 0 || (rc = resolve_format(fr, &m, err)) != 0)
            goto out;
    }
    const char *source = fr->zip ? dd_importer_osv_json.source : fr->importer->source;
    *feed_failed = false;
    if ((rc = dd_vulndb_writer_source(ic->w, source, fr->feed->url, err)) != 0)
        goto out;
    *feed_failed = true;
    if (fr->zip) {
        uint64_t total = 0;
        size_t n_entries = 0, n_done = 0;
        const char *name = NULL;
        if ((rc = zip_open(&a, fr->data_path, err)) != 0)
            goto out;
        for (;;) {
            rc = zip_next_json(a, &buf, &name, &total, &n_entries, err);
            if (rc <= 0)
                break;
            dd_err ferr = DD_ERR_INIT;
            rc =
                dd_importer_osv_json.import((const uint8_t *)buf.data, buf.len, name, &sink, &ferr);
            if (file_error(rc)) {
                ic->res->n_warnings++;
                warnf(opt, fr->feed->name, "%s: not imported: %s (at byte %zu)", name,
                      ferr.msg[0] ? ferr.msg : dd_strerror(rc), ferr.offset);
            } else if (rc != 0) {
                *feed_failed = false;
                *err = ferr;
                goto out;
            }
            n_done++;
            if (opt->progress != NULL && (n_done % 256 == 0)) {
                dd_update_progress pr = {index, n_feeds, fr->feed->name, "import", n_done, 0};
                opt->progress(opt->ctx, &pr);
            }
        }
        goto out;
    }
    if (m.p == NULL && (rc = map_file(&m, fr->data_path, err)) != 0)
        goto out;
    rc = fr->importer->import(m.p, m.len, fr->feed->name, &sink, err);
    if (rc != 0 && !file_error(rc))
        *feed_failed = false;
out:
    archive_read_free(a);
    dd_buf_free(&buf);
    unmap_file(&m);
    if (rc == 0)
        *feed_failed = false;
    return rc;
}

/* ---- the update ----------------------------------------------------------------------------- */

/* Absolute path of the database (its directory resolved; the file may not exist yet). */
static char *abs_db_path(const char *db_path, char **dir_out)
{
    const char *slash = strrchr(db_path, '/');
    char *dir = slash == NULL
                    ? dd_strdup(".")
                    : dd_strndup(db_path, slash == db_path ? 1 : (size_t)(slash - db_path));
    const char *base = slash == NULL ? db_path : slash + 1;
    char real[PATH_MAX];
    char *out = NULL;
    *dir_out = dir;
    if (dir != NULL && realpath(dir, real) != NULL)
        out = dd_asprintf("%s/%s", strcmp(real, "/") == 0 ? "" : real, base);
    return out;
}

static void fail_feed(feed_run *fr, dd_update_result *res, const dd_err *e, int rc)
{
    fr->res->status = DD_FEED_FAILED;
    fr->to_import = false;
    snprintf(fr->res->error, sizeof(fr->res->error), "%s", e->msg[0] ? e->msg : dd_strerror(rc));
    res->n_failed++;
}

void dd_update_result_clear(dd_update_result *r)
{
    if (r == NULL)
        return;
    dd_free(r->feeds);
    dd_free(r->db_version);
    memset(r, 0, sizeof(*r));
}

int dd_vulndb_update(dd_update_result *out, const dd_update_options *opt, dd_err *err)
{
    int rc = 0, lock_fd = -1;
    CURL *curl = NULL;
    feed_run *runs = NULL;
    char *db_dir = NULL, *db_abs = NULL, *cache = NULL, *lock_path = NULL;
    dd_vulndb_writer *w = NULL;
    dd_vulndb *db = NULL;
    dd_vulndb_info info;
    memset(&info, 0, sizeof(info));
    memset(out, 0, sizeof(*out));
    bool curl_inited = false;
    const dd_feed_list *feeds = opt->feeds;
    size_t n = feeds != NULL ? feeds->n : 0;
    if (opt->db_path == NULL || n == 0)
        return dd_err_set(err, DD_EINVALID, "a database path and at least one feed are needed");
    uint64_t max = opt->max_bytes > 0 ? opt->max_bytes : DD_UPDATE_FEED_MAX_DEFAULT;
    if (max > DD_UPDATE_FEED_MAX_CAP)
        max = DD_UPDATE_FEED_MAX_CAP;

    out->feeds = dd_calloc(n, sizeof(*out->feeds));
    runs = dd_calloc(n, sizeof(*runs));
    if (out->feeds == NULL || runs == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    out->n_feeds = n;
    db_abs = abs_db_path(opt->db_path, &db_dir);
    if (db_abs == NULL) {
        rc = db_dir == NULL ? DD_ENOMEM : dd_err_errno(err, errno, db_dir);
        goto out;
    }
    cache = opt->cache_dir != NULL ? dd_strdup(opt->cache_dir) : dd_asprintf("%s/.feeds", db_dir);
    lock_path = cache != NULL ? dd_asprintf("%s/.lock", cache) : NULL;
    if (lock_path == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    if (mkdir(cache, 0755) != 0 && errno != EEXIST) {
        rc = dd_err_errno(err, errno, cache);
        goto out;
    }
    lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (lock_fd < 0) {
        rc = dd_err_errno(err, errno, lock_path);
        goto out;
    }
    if (flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        rc = errno == EWOULDBLOCK
                 ? dd_err_set(err, DD_EBUSY, "%s: another update is using this cache", cache)
                 : dd_err_errno(err, errno, lock_path);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const dd_feed *f = &feeds->items[i];
        feed_run *fr = &runs[i];
        fr->feed = f;
        fr->res = &out->feeds[i];
        fr->res->name = f->name;
        fr->data_path = dd_asprintf("%s/%s.data", cache, f->name);
        fr->meta_path = dd_asprintf("%s/%s.meta", cache, f->name);
        fr->part_path = dd_asprintf("%s/%s.part", cache, f->name);
        fr->part_meta_path = dd_asprintf("%s/%s.part.meta", cache, f->name);
        if (fr->data_path == NULL || fr->meta_path == NULL || fr->part_path == NULL ||
            fr->part_meta_path == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
    }

    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        rc = dd_err_set(err, DD_EIO, "libcurl initialisation failed");
        goto out;
    }
    curl_inited = true;
    curl = curl_easy_init();
    if (curl == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }

    /* 1. Downloads. */
    struct stat sb;
    bool db_exists = stat(opt->db_path, &sb) == 0;
    for (size_t i = 0; i < n; i++) {
        feed_run *fr = &runs[i];
        dd_err ferr = DD_ERR_INIT;
        int frc = dd_feed_check_url(fr->feed->url, fr->feed->allow_http, &ferr);
        if (frc == 0)
            frc = fetch_feed(curl, opt, fr, i, n, max, &ferr);
        if (frc == DD_ENOMEM) {
            rc = frc;
            goto out;
        }
        if (frc != 0) {
            fail_feed(fr, out, &ferr, frc);
            if (!opt->keep_going) {
                rc = dd_err_set(err, frc, "feed %s (%s): %s", fr->feed->name, fr->feed->url,
                                fr->res->error);
                goto out;
            }
            continue;
        }
        if (fr->res->status == DD_FEED_FETCHED) {
            out->n_fetched++;
            fr->to_import = true;
        } else {
            out->n_not_modified++;
            sidecar dm;
            if ((rc = sidecar_read(&dm, fr->meta_path)) != 0)
                goto out;
            /* Not modified, but its copy may not be in this database yet (a failed run, another
             * database, --fresh). */
            fr->to_import = opt->fresh || !db_exists || !dm.committed || dm.db == NULL ||
                            strcmp(dm.db, db_abs) != 0;
            sidecar_clear(&dm);
        }
    }

    /* 2. Imports into a new version, when anything changed. */
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any = any || runs[i].to_import;
    if (any) {
        if ((rc = dd_vulndb_writer_open(&w, opt->db_path, !opt->fresh, err)) != 0)
            goto out;
        import_ctx ic = {w, opt, out, NULL};
        for (size_t i = 0; i < n; i++) {
            feed_run *fr = &runs[i];
            if (!fr->to_import)
                continue;
            ic.fr = fr;
            bool feed_failed = false;
            dd_err ferr = DD_ERR_INIT;
            size_t before = out->n_advisories;
            if (opt->progress != NULL) {
                dd_update_progress pr = {i, n, fr->feed->name, "import", 0, 0};
                opt->progress(opt->ctx, &pr);
            }
            int frc = import_feed(&ic, i, n, &feed_failed, &ferr);
            if (frc == 0) {
                fr->res->imported = true;
                continue;
            }
            if (!feed_failed || !opt->keep_going) {
                rc = dd_err_set(err, frc, "feed %s: import: %s", fr->feed->name,
                                ferr.msg[0] ? ferr.msg : dd_strerror(frc));
                goto out;
            }
            if (fr->res->status == DD_FEED_FETCHED)
                out->n_fetched--;
            else
                out->n_not_modified--;
            fail_feed(fr, out, &ferr, frc);
            if (out->n_advisories > before)
                warnf(opt, fr->feed->name, "%zu advisories of the failed feed were kept",
                      out->n_advisories - before);
        }
        w = NULL;
        dd_vulndb_writer *cw = ic.w;
        if ((rc = dd_vulndb_writer_commit(cw, err)) != 0)
            goto out;
        out->committed = true;
        /* Only now are the cached copies in the database. */
        for (size_t i = 0; i < n; i++) {
            feed_run *fr = &runs[i];
            if (!fr->res->imported)
                continue;
            sidecar dm;
            if ((rc = sidecar_read(&dm, fr->meta_path)) != 0)
                goto out;
            dd_free(dm.db);
            dm.db = dd_strdup(db_abs);
            dm.committed = true;
            dd_err serr = DD_ERR_INIT;
            int src = dm.db == NULL ? DD_ENOMEM : sidecar_write(&dm, fr->meta_path, &serr);
            sidecar_clear(&dm);
            if (src != 0) /* only costs a re-import next time */
                warnf(opt, fr->feed->name, "%s", serr.msg[0] ? serr.msg : dd_strerror(src));
        }
    }

    /* 3. What the database holds now. */
    if (any || db_exists) {
        if ((rc = dd_vulndb_open(&db, opt->db_path, err)) != 0 ||
            (rc = dd_vulndb_info_get(db, &info, err)) != 0)
            goto out;
        out->db_version = info.db_version;
        info.db_version = NULL;
        out->n_db_advisories = info.n_advisories;
    }
out:
    dd_vulndb_writer_abort(w);
    dd_vulndb_info_clear(&info);
    dd_vulndb_close(db);
    if (curl != NULL)
        curl_easy_cleanup(curl);
    if (curl_inited)
        curl_global_cleanup();
    if (runs != NULL) {
        for (size_t i = 0; i < n; i++) {
            dd_free(runs[i].data_path);
            dd_free(runs[i].meta_path);
            dd_free(runs[i].part_path);
            dd_free(runs[i].part_meta_path);
        }
    }
    dd_free(runs);
    if (lock_fd >= 0)
        close(lock_fd); /* releases the lock */
    dd_free(lock_path);
    dd_free(cache);
    dd_free(db_abs);
    dd_free(db_dir);
    return rc;
}
