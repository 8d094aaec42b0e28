/* The vulnerability database file (SQLite): the schema, the writer that builds a new version in a
 * temporary file and renames it over the old one, and the read-only reader used by the matcher
 * (lookups by ecosystem and package key with cached prepared statements). Schema: docs/vulndb.md.
 */
#include "vulndb/vulndb.h"
#include "vulndb/cvss.h"
#include "vulndb/import.h"
#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHEMA_VERSION "1"

/* Child tables are WITHOUT ROWID and keyed by (advisory, ...), so they are stored clustered by
 * advisory: reading or deleting an advisory's children needs no extra index. */
static const char schema_sql[] =
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
    "CREATE TABLE sources(name TEXT PRIMARY KEY, origin TEXT, imported_at INTEGER,"
    " n_advisories INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE advisories(id INTEGER PRIMARY KEY, source TEXT NOT NULL, vuln_id TEXT NOT NULL,"
    " summary TEXT, details TEXT, published INTEGER, modified INTEGER, withdrawn INTEGER,"
    " UNIQUE(source, vuln_id));"
    "CREATE TABLE aliases(advisory INTEGER NOT NULL, alias TEXT NOT NULL,"
    " PRIMARY KEY(advisory, alias)) WITHOUT ROWID;"
    "CREATE INDEX aliases_alias ON aliases(alias);"
    "CREATE TABLE related(advisory INTEGER NOT NULL, related_id TEXT NOT NULL,"
    " PRIMARY KEY(advisory, related_id)) WITHOUT ROWID;"
    "CREATE TABLE \"references\"(advisory INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " url TEXT NOT NULL, PRIMARY KEY(advisory, seq)) WITHOUT ROWID;"
    "CREATE TABLE severities(advisory INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " type INTEGER NOT NULL, source TEXT, vector TEXT, score REAL, rating TEXT,"
    " PRIMARY KEY(advisory, seq)) WITHOUT ROWID;"
    "CREATE TABLE affected(advisory INTEGER NOT NULL, seq INTEGER NOT NULL,"
    " ecosystem TEXT NOT NULL, package TEXT NOT NULL, package_key TEXT NOT NULL,"
    " ranges_json TEXT, versions_json TEXT, fix_state INTEGER NOT NULL DEFAULT 0,"
    " vendor_severity TEXT, PRIMARY KEY(advisory, seq)) WITHOUT ROWID;"
    "CREATE INDEX affected_package ON affected(ecosystem, package_key);"
    "INSERT INTO meta(key, value) VALUES('schema_version', '" SCHEMA_VERSION "');";

static int db_error(dd_err *err, sqlite3 *db, const char *what)
{
    return dd_err_set(err, DD_EDB, "vulndb: %s: %s", what,
                      db != NULL ? sqlite3_errmsg(db) : "cannot allocate");
}

static int exec_sql(sqlite3 *db, const char *sql, dd_err *err)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_error(err, db, sql);
    return 0;
}

static int bind_text(sqlite3_stmt *st, int i, const char *s)
{
    return s == NULL ? sqlite3_bind_null(st, i) : sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

static int bind_time(sqlite3_stmt *st, int i, int64_t ms)
{
    return ms == 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, ms);
}

/* Steps a statement that returns no rows, then resets it. */
static int step_done(sqlite3 *db, sqlite3_stmt *st, dd_err *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE)
        return db_error(err, db, "write");
    return 0;
}

/* ---- writer ---------------------------------------------------------------------------------- */

enum {
    W_FIND,
    W_DEL_ADV,
    W_DEL_ALIAS,
    W_DEL_REL,
    W_DEL_REF,
    W_DEL_SEV,
    W_DEL_AFF,
    W_INS_ADV,
    W_INS_ALIAS,
    W_INS_REL,
    W_INS_REF,
    W_INS_SEV,
    W_INS_AFF,
    W_SOURCE,
    W_N
};

static const char *const writer_sql[W_N] = {
    [W_FIND] = "SELECT id FROM advisories WHERE source = ?1 AND vuln_id = ?2",
    [W_DEL_ADV] = "DELETE FROM advisories WHERE id = ?1",
    [W_DEL_ALIAS] = "DELETE FROM aliases WHERE advisory = ?1",
    [W_DEL_REL] = "DELETE FROM related WHERE advisory = ?1",
    [W_DEL_REF] = "DELETE FROM \"references\" WHERE advisory = ?1",
    [W_DEL_SEV] = "DELETE FROM severities WHERE advisory = ?1",
    [W_DEL_AFF] = "DELETE FROM affected WHERE advisory = ?1",
    [W_INS_ADV] = "INSERT INTO advisories(source, vuln_id, summary, details, published, modified,"
                  " withdrawn) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [W_INS_ALIAS] = "INSERT OR IGNORE INTO aliases(advisory, alias) VALUES(?1, ?2)",
    [W_INS_REL] = "INSERT OR IGNORE INTO related(advisory, related_id) VALUES(?1, ?2)",
    [W_INS_REF] = "INSERT INTO \"references\"(advisory, seq, url) VALUES(?1, ?2, ?3)",
    [W_INS_SEV] = "INSERT INTO severities(advisory, seq, type, source, vector, score, rating)"
                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [W_INS_AFF] = "INSERT INTO affected(advisory, seq, ecosystem, package, package_key,"
                  " ranges_json, versions_json, fix_state, vendor_severity)"
                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [W_SOURCE] = "INSERT INTO sources(name, origin, imported_at) VALUES(?1, ?2, ?3)"
                 " ON CONFLICT(name) DO UPDATE SET origin = excluded.origin,"
                 " imported_at = excluded.imported_at",
};

struct dd_vulndb_writer {
    sqlite3 *db;
    char *path;
    char *tmp_path;
    char *source; /* current source name */
    sqlite3_stmt *st[W_N];
};

static void writer_free(dd_vulndb_writer *w, int remove_tmp)
{
    if (w == NULL)
        return;
    for (int i = 0; i < W_N; i++)
        sqlite3_finalize(w->st[i]);
    sqlite3_close(w->db);
    if (remove_tmp && w->tmp_path != NULL)
        unlink(w->tmp_path);
    dd_free(w->path);
    dd_free(w->tmp_path);
    dd_free(w->source);
    dd_free(w);
}

/* Copies the database at src into dst with the backup API. */
static int copy_existing(sqlite3 *dst, const char *src_path, dd_err *err)
{
    sqlite3 *src = NULL;
    sqlite3_backup *bk = NULL;
    int rc = 0;
    if (sqlite3_open_v2(src_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        rc = db_error(err, src, "open existing database");
        goto out;
    }
    bk = sqlite3_backup_init(dst, "main", src, "main");
    if (bk == NULL) {
        rc = db_error(err, dst, "copy existing database");
        goto out;
    }
    int s = sqlite3_backup_step(bk, -1);
    if (s != SQLITE_DONE) {
        rc = dd_err_set(err, DD_EDB, "vulndb: copy existing database: %s", sqlite3_errstr(s));
        goto out;
    }
out:
    if (bk != NULL)
        sqlite3_backup_finish(bk);
    sqlite3_close(src);
    return rc;
}

static int check_schema(sqlite3 *db, dd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = 'schema_version'", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = dd_err_set(err, DD_EINVALID, "vulndb: not a vulnerability database (%s)",
                        sqlite3_errmsg(db));
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = dd_err_set(err, DD_EINVALID, "vulndb: no schema_version in meta");
        goto out;
    }
    const char *v = (const char *)sqlite3_column_text(st, 0);
    if (v == NULL || strcmp(v, SCHEMA_VERSION) != 0) {
        rc = dd_err_set(err, DD_EUNSUPPORTED, "vulndb: schema version %s, expected %s",
                        v != NULL ? v : "(null)", SCHEMA_VERSION);
        goto out;
    }
out:
    sqlite3_finalize(st);
    return rc;
}

int dd_vulndb_writer_open(dd_vulndb_writer **out, const char *path, bool keep_existing, dd_err *err)
{
    *out = NULL;
    int rc = 0;
    dd_vulndb_writer *w = dd_calloc(1, sizeof(*w));
    if (w == NULL)
        return DD_ENOMEM;
    w->path = dd_strdup(path);
    w->tmp_path = dd_asprintf("%s.tmp-XXXXXX", path);
    if (w->path == NULL || w->tmp_path == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    int fd = mkstemp(w->tmp_path);
    if (fd < 0) {
        rc = dd_err_errno(err, errno, "vulndb: create temporary file");
        dd_free(w->tmp_path);
        w->tmp_path = NULL;
        goto out;
    }
    /* mkstemp makes 0600; the database is read by other users (the server). */
    if (fchmod(fd, 0644) != 0) {
        rc = dd_err_errno(err, errno, "vulndb: chmod temporary file");
        close(fd);
        goto out;
    }
    close(fd);
    if (sqlite3_open_v2(w->tmp_path, &w->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        rc = db_error(err, w->db, "open temporary database");
        goto out;
    }
    struct stat sb;
    int existing = keep_existing && stat(path, &sb) == 0;
    if (existing) {
        if ((rc = copy_existing(w->db, path, err)) != 0 || (rc = check_schema(w->db, err)) != 0)
            goto out;
    }
    /* A temporary file that is renamed only once complete: no journal, no syncs while building. */
    if ((rc = exec_sql(w->db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;", err)) != 0 ||
        (rc = exec_sql(w->db, "PRAGMA cache_size=-65536; BEGIN;", err)) != 0)
        goto out;
    if (!existing && (rc = exec_sql(w->db, schema_sql, err)) != 0)
        goto out;
    for (int i = 0; i < W_N; i++) {
        if (sqlite3_prepare_v3(w->db, writer_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &w->st[i],
                               NULL) != SQLITE_OK) {
            rc = db_error(err, w->db, "prepare");
            goto out;
        }
    }
    *out = w;
    w = NULL;
out:
    writer_free(w, 1);
    return rc;
}

int dd_vulndb_writer_source(dd_vulndb_writer *w, const char *name, const char *origin, dd_err *err)
{
    if (name == NULL || name[0] == '\0')
        return dd_err_set(err, DD_EINVALID, "vulndb: empty source name");
    char *n = dd_strdup(name);
    if (n == NULL)
        return DD_ENOMEM;
    dd_free(w->source);
    w->source = n;
    sqlite3_stmt *st = w->st[W_SOURCE];
    bind_text(st, 1, name);
    bind_text(st, 2, origin);
    sqlite3_bind_int64(st, 3, dd_clock_now_ms(dd_clock_system()));
    return step_done(w->db, st, err);
}

/* Deletes advisory id and its children. */
static int delete_advisory(dd_vulndb_writer *w, sqlite3_int64 id, dd_err *err)
{
    for (int i = W_DEL_ADV; i <= W_DEL_AFF; i++) {
        sqlite3_bind_int64(w->st[i], 1, id);
        int rc = step_done(w->db, w->st[i], err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The reader packs aliases, references and severity fields with 0x1E/0x1F separators: strings
 * holding those bytes are not stored (no real id, URL or vector has them). */
static int has_sep(const char *s)
{
    return s != NULL && strpbrk(s, "\x1e\x1f") != NULL;
}

static int put_strings(dd_vulndb_writer *w, int which, sqlite3_int64 id, const dd_strlist *l,
                       int with_seq, dd_err *err)
{
    sqlite3_stmt *st = w->st[which];
    for (size_t i = 0; i < l->n; i++) {
        if (has_sep(l->items[i]))
            continue;
        sqlite3_bind_int64(st, 1, id);
        if (with_seq) {
            sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
            bind_text(st, 3, l->items[i]);
        } else {
            bind_text(st, 2, l->items[i]);
        }
        int rc = step_done(w->db, st, err);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int dd_vulndb_writer_put(dd_vulndb_writer *w, const dd_advisory *a, dd_err *err)
{
    int rc = 0;
    char *key = NULL;
    if (w->source == NULL)
        return dd_err_set(err, DD_EINVALID, "vulndb: put before a source was declared");
    if (a->id == NULL || a->id[0] == '\0')
        return dd_err_set(err, DD_EINVALID, "vulndb: advisory without id");
    sqlite3_stmt *st = w->st[W_FIND];
    bind_text(st, 1, w->source);
    bind_text(st, 2, a->id);
    int s = sqlite3_step(st);
    sqlite3_int64 old = s == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (s != SQLITE_ROW && s != SQLITE_DONE)
        return db_error(err, w->db, "find advisory");
    if (old >= 0 && (rc = delete_advisory(w, old, err)) != 0)
        return rc;

    st = w->st[W_INS_ADV];
    bind_text(st, 1, w->source);
    bind_text(st, 2, a->id);
    bind_text(st, 3, a->summary);
    bind_text(st, 4, a->details);
    bind_time(st, 5, a->published_ms);
    bind_time(st, 6, a->modified_ms);
    bind_time(st, 7, a->withdrawn_ms);
    if ((rc = step_done(w->db, st, err)) != 0)
        return rc;
    sqlite3_int64 id = sqlite3_last_insert_rowid(w->db);

    if ((rc = put_strings(w, W_INS_ALIAS, id, &a->aliases, 0, err)) != 0 ||
        (rc = put_strings(w, W_INS_REL, id, &a->related, 0, err)) != 0 ||
        (rc = put_strings(w, W_INS_REF, id, &a->references, 1, err)) != 0)
        return rc;

    st = w->st[W_INS_SEV];
    for (size_t i = 0; i < a->n_severities; i++) {
        const dd_severity *sv = &a->severities[i];
        double score = sv->score;
        const char *rating = sv->rating;
        if (sv->type != DD_SEV_VENDOR && sv->vector != NULL && score < 0) {
            int version = 0;
            if (dd_cvss_base_score(sv->vector, &score, &version, NULL) != 0)
                score = -1;
            else if (rating == NULL)
                rating = dd_cvss_rating(score, version);
        }
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        sqlite3_bind_int(st, 3, (int)sv->type);
        bind_text(st, 4, has_sep(sv->source) ? NULL : sv->source);
        bind_text(st, 5, has_sep(sv->vector) ? NULL : sv->vector);
        if (score < 0)
            sqlite3_bind_null(st, 6);
        else
            sqlite3_bind_double(st, 6, score);
        bind_text(st, 7, has_sep(rating) ? NULL : rating);
        if ((rc = step_done(w->db, st, err)) != 0)
            return rc;
    }

    st = w->st[W_INS_AFF];
    for (size_t i = 0; i < a->n_affected; i++) {
        const dd_affected *f = &a->affected[i];
        if (f->ecosystem == NULL || f->package == NULL) {
            rc = dd_err_set(err, DD_EINVALID, "vulndb: %s: affected entry without package", a->id);
            goto out;
        }
        if ((rc = dd_vulndb_package_key(&key, f->ecosystem, f->package)) != 0)
            goto out;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        bind_text(st, 3, f->ecosystem);
        bind_text(st, 4, f->package);
        bind_text(st, 5, key);
        bind_text(st, 6, f->ranges_json);
        bind_text(st, 7, f->versions_json);
        sqlite3_bind_int(st, 8, (int)f->fix_state);
        bind_text(st, 9, f->vendor_severity);
        rc = step_done(w->db, st, err);
        dd_free(key);
        key = NULL;
        if (rc != 0)
            goto out;
    }
out:
    dd_free(key);
    return rc;
}

/* "YYYYmmddTHHMMSSZ-<8 hex>": sorts by time, unique per commit. */
static int make_db_version(char *out, size_t out_len, int64_t now_ms, dd_err *err)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        return dd_err_errno(err, errno, "vulndb: getrandom");
    char t[40];
    dd_time_format_rfc3339(t, sizeof(t), now_ms);
    /* t = YYYY-mm-ddTHH:MM:SS.mmmZ */
    char c[20];
    size_t n = 0;
    for (size_t i = 0; t[i] != '\0' && t[i] != '.' && n < sizeof(c) - 1; i++)
        if (t[i] != '-' && t[i] != ':')
            c[n++] = t[i];
    c[n] = '\0';
    snprintf(out, out_len, "%sZ-%08x", c, (unsigned)r);
    return 0;
}

static int fsync_path(const char *path, int dir, dd_err *err)
{
    int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return dd_err_errno(err, errno, "vulndb: open for fsync");
    int rc = 0;
    if (fsync(fd) != 0)
        rc = dd_err_errno(err, errno, "vulndb: fsync");
    close(fd);
    return rc;
}

int dd_vulndb_writer_commit(dd_vulndb_writer *w, dd_err *err)
{
    int rc = 0;
    char *dir = NULL;
    char version[64], built[40];
    sqlite3_stmt *st = NULL;
    int64_t now = dd_clock_now_ms(dd_clock_system());
    if ((rc = make_db_version(version, sizeof(version), now, err)) != 0)
        goto out;
    dd_time_format_rfc3339(built, sizeof(built), now);
    if ((rc = exec_sql(w->db,
                       "UPDATE sources SET n_advisories = (SELECT count(*) FROM advisories"
                       " WHERE advisories.source = sources.name);",
                       err)) != 0)
        goto out;
    if (sqlite3_prepare_v2(w->db,
                           "INSERT OR REPLACE INTO meta(key, value) VALUES('db_version', ?1),"
                           " ('built_at', ?2)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(err, w->db, "prepare meta");
        goto out;
    }
    bind_text(st, 1, version);
    bind_text(st, 2, built);
    if ((rc = step_done(w->db, st, err)) != 0)
        goto out;
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = exec_sql(w->db, "COMMIT; PRAGMA optimize;", err)) != 0)
        goto out;
    for (int i = 0; i < W_N; i++) {
        sqlite3_finalize(w->st[i]);
        w->st[i] = NULL;
    }
    if (sqlite3_close(w->db) != SQLITE_OK) {
        rc = db_error(err, w->db, "close");
        w->db = NULL; /* sqlite3_close failed only with open statements: none are left */
        goto out;
    }
    w->db = NULL;
    if ((rc = fsync_path(w->tmp_path, 0, err)) != 0)
        goto out;
    if (rename(w->tmp_path, w->path) != 0) {
        rc = dd_err_errno(err, errno, "vulndb: rename over the database");
        goto out;
    }
    dd_free(w->tmp_path);
    w->tmp_path = NULL;
    const char *slash = strrchr(w->path, '/');
    dir = slash == NULL ? dd_strdup(".")
                        : dd_strndup(w->path, slash == w->path ? 1 : (size_t)(slash - w->path));
    if (dir == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    rc = fsync_path(dir, 1, err);
out:
    sqlite3_finalize(st);
    dd_free(dir);
    writer_free(w, 1);
    return rc;
}

void dd_vulndb_writer_abort(dd_vulndb_writer *w)
{
    writer_free(w, 1);
}

/* ---- reader ---------------------------------------------------------------------------------- */

/* One statement per lookup: the affected rows of the package with their advisory, and the
 * advisory's aliases, references and severities packed by group_concat (fields separated by
 * 0x1E, items by 0x1F; the writer keeps those bytes out of these columns). The child tables are
 * clustered by (advisory, seq), so each subquery is one b-tree range in seq order. The brief
 * variant selects NULL for the details and references (the bulk of GHSA records), keeping the
 * column numbers. */
#define REFS_SQL                                                                                   \
    "(SELECT group_concat(url, char(31)) FROM \"references\" WHERE advisory = f.advisory)"
#define LOOKUP_SQL(details, refs)                                                                  \
    "SELECT f.ecosystem, f.package, f.ranges_json, f.versions_json, f.fix_state,"                  \
    " f.vendor_severity, a.source, a.vuln_id, a.summary, " details ", a.published, a.modified,"    \
    " a.withdrawn,"                                                                                \
    " (SELECT group_concat(alias, char(31)) FROM aliases WHERE advisory = f.advisory), " refs ","  \
    " (SELECT group_concat(type || char(30) || ifnull(source, '') || char(30) ||"                  \
    "  ifnull(vector, '') || char(30) || ifnull(score, -1) || char(30) || ifnull(rating, ''),"     \
    "  char(31)) FROM severities WHERE advisory = f.advisory)"                                     \
    " FROM affected f JOIN advisories a ON a.id = f.advisory"                                      \
    " WHERE f.ecosystem = ?1 AND f.package_key = ?2"
static const char lookup_sql[] = LOOKUP_SQL("a.details", REFS_SQL);
static const char lookup_brief_sql[] = LOOKUP_SQL("NULL", "NULL");
/* The texts the brief lookup leaves out, by (source, vuln_id): the UNIQUE index. */
static const char details_sql[] =
    "SELECT f.details, (SELECT group_concat(url, char(31)) FROM \"references\""
    " WHERE advisory = f.id) FROM advisories f WHERE f.source = ?1 AND f.vuln_id = ?2";

/* Reusable storage for the split lists of one candidate. */
typedef struct scratch {
    char *buf;
    size_t buf_cap;
    char **items;
    size_t items_cap;
} scratch;

static void scratch_free(scratch *s)
{
    dd_free(s->buf);
    dd_free(s->items);
}

/* Splits a copy of s[0..len) at sep into s->items; *n_out items. */
static int split(scratch *sc, const char *s, size_t len, char sep, size_t *n_out)
{
    *n_out = 0;
    if (s == NULL || len == 0)
        return 0;
    if (len + 1 > sc->buf_cap) {
        size_t cap = len + 1 < 256 ? 256 : len + 1;
        char *b = dd_realloc(sc->buf, cap);
        if (b == NULL)
            return DD_ENOMEM;
        sc->buf = b;
        sc->buf_cap = cap;
    }
    memcpy(sc->buf, s, len);
    sc->buf[len] = '\0';
    size_t n = 1;
    for (size_t i = 0; i < len; i++)
        n += sc->buf[i] == sep;
    if (n > sc->items_cap) {
        char **it = dd_reallocarray(sc->items, n, sizeof(*it));
        if (it == NULL)
            return DD_ENOMEM;
        sc->items = it;
        sc->items_cap = n;
    }
    size_t k = 0;
    sc->items[k++] = sc->buf;
    for (size_t i = 0; i < len; i++) {
        if (sc->buf[i] == sep) {
            sc->buf[i] = '\0';
            sc->items[k++] = sc->buf + i + 1;
        }
    }
    *n_out = n;
    return 0;
}

struct dd_vulndb {
    sqlite3 *db;
    sqlite3_stmt *lookup, *lookup_brief, *details;
    int busy; /* inside dd_vulndb_lookup */
    scratch aliases, refs, sevs;
    dd_severity *sev;
    size_t sev_cap;
};

/* file: URI of path with immutable=1 (percent-encodes what URIs reserve). */
static char *immutable_uri(const char *path)
{
    dd_buf b = DD_BUF_INIT(16384);
    if (dd_buf_append_str(&b, "file:") != 0)
        goto fail;
    for (const unsigned char *p = (const unsigned char *)path; *p != '\0'; p++) {
        int ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                 strchr("/-._~", *p) != NULL;
        if ((ok ? dd_buf_append(&b, p, 1) : dd_buf_printf(&b, "%%%02X", *p)) != 0)
            goto fail;
    }
    if (dd_buf_append_str(&b, "?immutable=1") != 0)
        goto fail;
    return dd_buf_take(&b);
fail:
    dd_buf_free(&b);
    return NULL;
}

void dd_vulndb_close(dd_vulndb *db)
{
    if (db == NULL)
        return;
    sqlite3_finalize(db->lookup);
    sqlite3_finalize(db->lookup_brief);
    sqlite3_finalize(db->details);
    sqlite3_close(db->db);
    scratch_free(&db->aliases);
    scratch_free(&db->refs);
    scratch_free(&db->sevs);
    dd_free(db->sev);
    dd_free(db);
}

int dd_vulndb_open(dd_vulndb **out, const char *path, dd_err *err)
{
    *out = NULL;
    int rc = 0;
    char *uri = NULL;
    dd_vulndb *db = dd_calloc(1, sizeof(*db));
    if (db == NULL)
        return DD_ENOMEM;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        rc = dd_err_errno(err, errno, path);
        goto out;
    }
    uri = immutable_uri(path);
    if (uri == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    /* One handle per thread (vulndb.h): no SQLite mutexes. */
    if (sqlite3_open_v2(uri, &db->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        rc = db_error(err, db->db, "open");
        goto out;
    }
    /* Reads through a memory map: no read() per page on lookups. */
    if ((rc = exec_sql(db->db, "PRAGMA mmap_size=4294967296; PRAGMA cache_size=-32768;", err)) !=
            0 ||
        (rc = check_schema(db->db, err)) != 0)
        goto out;
    if (sqlite3_prepare_v3(db->db, lookup_sql, -1, SQLITE_PREPARE_PERSISTENT, &db->lookup, NULL) !=
            SQLITE_OK ||
        sqlite3_prepare_v3(db->db, lookup_brief_sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &db->lookup_brief, NULL) != SQLITE_OK ||
        sqlite3_prepare_v3(db->db, details_sql, -1, SQLITE_PREPARE_PERSISTENT, &db->details,
                           NULL) != SQLITE_OK) {
        rc = db_error(err, db->db, "prepare");
        goto out;
    }
    *out = db;
    db = NULL;
out:
    dd_free(uri);
    dd_vulndb_close(db);
    return rc;
}

void dd_vulndb_info_clear(dd_vulndb_info *i)
{
    if (i == NULL)
        return;
    dd_free(i->db_version);
    dd_strlist_free(&i->sources);
    memset(i, 0, sizeof(*i));
}

static int query_int(sqlite3 *db, const char *sql, int64_t *out, dd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        rc = db_error(err, db, sql);
    else
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

int dd_vulndb_info_get(dd_vulndb *db, dd_vulndb_info *out, dd_err *err)
{
    memset(out, 0, sizeof(*out));
    int rc = 0;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, "SELECT key, value FROM meta", -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(err, db->db, "read meta");
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(st, 0);
        const char *v = (const char *)sqlite3_column_text(st, 1);
        if (k == NULL || v == NULL)
            continue;
        if (strcmp(k, "db_version") == 0) {
            dd_free(out->db_version);
            if ((out->db_version = dd_strdup(v)) == NULL) {
                rc = DD_ENOMEM;
                goto out;
            }
        } else if (strcmp(k, "built_at") == 0) {
            int64_t ms = 0;
            if (dd_import_parse_time(v, &ms) == 0)
                out->built_ms = ms;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = query_int(db->db, "SELECT count(*) FROM advisories", &out->n_advisories, err)) != 0 ||
        (rc = query_int(db->db, "SELECT count(*) FROM affected", &out->n_affected, err)) != 0)
        goto out;
    if (sqlite3_prepare_v2(db->db,
                           "SELECT name, n_advisories, imported_at, origin FROM sources"
                           " ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = db_error(err, db->db, "read sources");
        goto out;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        char t[40] = "unknown";
        if (sqlite3_column_type(st, 2) != SQLITE_NULL)
            dd_time_format_rfc3339(t, sizeof(t), sqlite3_column_int64(st, 2));
        const char *origin = (const char *)sqlite3_column_text(st, 3);
        char *line = dd_asprintf(
            "%s: %lld advisories, imported %s%s%s", (const char *)sqlite3_column_text(st, 0),
            (long long)sqlite3_column_int64(st, 1), t, origin != NULL && origin[0] ? " from " : "",
            origin != NULL ? origin : "");
        if (line == NULL) {
            rc = DD_ENOMEM;
            goto out;
        }
        rc = dd_strlist_push_str(&out->sources, line);
        dd_free(line);
        if (rc != 0)
            goto out;
    }
out:
    sqlite3_finalize(st);
    if (rc != 0)
        dd_vulndb_info_clear(out);
    return rc;
}

static char *col_text(sqlite3_stmt *st, int i)
{
    return (char *)sqlite3_column_text(st, i);
}

/* split() of column col (text first, then its length, as SQLite requires). */
static int split_col(scratch *sc, sqlite3_stmt *st, int col, char sep, size_t *n_out)
{
    const char *t = col_text(st, col);
    return split(sc, t, t != NULL ? (size_t)sqlite3_column_bytes(st, col) : 0, sep, n_out);
}

/* Fills a->severities from the packed column (see lookup_sql). */
static int unpack_severities(dd_vulndb *db, sqlite3_stmt *st, int col, dd_advisory *a)
{
    size_t n = 0;
    int rc = split_col(&db->sevs, st, col, '\x1f', &n);
    if (rc != 0)
        return rc;
    if (n > db->sev_cap) {
        dd_severity *p = dd_reallocarray(db->sev, n, sizeof(*p));
        if (p == NULL)
            return DD_ENOMEM;
        db->sev = p;
        db->sev_cap = n;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char *f[5];
        int nf = 0;
        char *q = db->sevs.items[i];
        f[nf++] = q;
        for (; *q != '\0' && nf < 5; q++) {
            if (*q == '\x1e') {
                *q = '\0';
                f[nf++] = q + 1;
            }
        }
        if (nf != 5)
            continue;
        dd_severity *sv = &db->sev[k++];
        sv->type = (dd_sev_type)strtol(f[0], NULL, 10);
        sv->source = f[1][0] ? f[1] : NULL;
        sv->vector = f[2][0] ? f[2] : NULL;
        sv->score = strtod(f[3], NULL);
        sv->rating = f[4][0] ? f[4] : NULL;
    }
    a->severities = db->sev;
    a->n_severities = k;
    return 0;
}

/* Both lookups: st is lookup or lookup_brief (same columns). */
static int lookup(dd_vulndb *db, sqlite3_stmt *st, const char *ecosystem, const char *package,
                  dd_vuln_fn fn, void *ctx, dd_err *err)
{
    if (db->busy)
        return dd_err_set(err, DD_EBUSY, "vulndb: lookup called from a lookup callback");
    char *key = NULL;
    int rc = dd_vulndb_package_key(&key, ecosystem, package);
    if (rc != 0)
        return rc;
    db->busy = 1;
    bind_text(st, 1, ecosystem);
    bind_text(st, 2, key);
    int s;
    /* The candidate borrows SQLite's column texts and the handle's scratch arrays: valid until
     * the next row, which is all vulndb.h promises. */
    while ((s = sqlite3_step(st)) == SQLITE_ROW) {
        dd_affected f = {
            .ecosystem = col_text(st, 0),
            .package = col_text(st, 1),
            .ranges_json = col_text(st, 2),
            .versions_json = col_text(st, 3),
            .fix_state = (dd_fix_state)sqlite3_column_int(st, 4),
            .vendor_severity = col_text(st, 5),
        };
        const char *source = (const char *)sqlite3_column_text(st, 6);
        dd_advisory a = {
            .id = col_text(st, 7),
            .summary = col_text(st, 8),
            .details = col_text(st, 9),
            .published_ms = sqlite3_column_int64(st, 10),
            .modified_ms = sqlite3_column_int64(st, 11),
            .withdrawn_ms = sqlite3_column_int64(st, 12),
            .affected = &f,
            .n_affected = 1,
        };
        if (a.id == NULL || f.ecosystem == NULL || f.package == NULL) {
            rc = DD_ENOMEM; /* NOT NULL columns: only a failed conversion gives NULL */
            break;
        }
        size_t n = 0;
        if ((rc = split_col(&db->aliases, st, 13, '\x1f', &n)) != 0)
            break;
        a.aliases = (dd_strlist){db->aliases.items, n, n};
        if ((rc = split_col(&db->refs, st, 14, '\x1f', &n)) != 0)
            break;
        a.references = (dd_strlist){db->refs.items, n, n};
        if ((rc = unpack_severities(db, st, 15, &a)) != 0)
            break;
        dd_vuln_candidate c = {&a, &f, source != NULL ? source : ""};
        rc = fn(ctx, &c);
        if (rc != 0)
            break;
    }
    if (rc == 0 && s != SQLITE_DONE)
        rc = db_error(err, db->db, "lookup");
    sqlite3_reset(st);
    dd_free(key);
    db->busy = 0;
    return rc;
}

int dd_vulndb_lookup(dd_vulndb *db, const char *ecosystem, const char *package, dd_vuln_fn fn,
                     void *ctx, dd_err *err)
{
    return lookup(db, db->lookup, ecosystem, package, fn, ctx, err);
}

int dd_vulndb_lookup_brief(dd_vulndb *db, const char *ecosystem, const char *package, dd_vuln_fn fn,
                           void *ctx, dd_err *err)
{
    return lookup(db, db->lookup_brief, ecosystem, package, fn, ctx, err);
}

int dd_vulndb_get_details(dd_vulndb *db, const char *source, const char *id, dd_strlist *references,
                          char **details, dd_err *err)
{
    if (details != NULL)
        *details = NULL;
    int rc = 0;
    sqlite3_stmt *st = db->details;
    bind_text(st, 1, source);
    bind_text(st, 2, id);
    int s = sqlite3_step(st);
    if (s == SQLITE_DONE) {
        rc = dd_err_set(err, DD_ENOTFOUND, "vulndb: no advisory %s:%s", source, id);
        goto out;
    }
    if (s != SQLITE_ROW) {
        rc = db_error(err, db->db, "details");
        goto out;
    }
    const char *d = col_text(st, 0);
    if (details != NULL && d != NULL && (*details = dd_strdup(d)) == NULL) {
        rc = DD_ENOMEM;
        goto out;
    }
    /* the references packed as in lookup_sql: split at 0x1F (an empty column is no item) */
    const char *refs = col_text(st, 1);
    size_t len = refs != NULL ? (size_t)sqlite3_column_bytes(st, 1) : 0;
    for (size_t i = 0; references != NULL && len > 0 && i <= len && rc == 0;) {
        const char *sep = memchr(refs + i, '\x1f', len - i);
        size_t n = sep != NULL ? (size_t)(sep - (refs + i)) : len - i;
        rc = dd_strlist_push(references, refs + i, n);
        i += n + 1;
    }
out:
    if (rc != 0 && details != NULL) {
        dd_free(*details);
        *details = NULL;
    }
    sqlite3_reset(st);
    return rc;
}
