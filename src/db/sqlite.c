/* SQLite backend of the metadata store (its dd_db_ops, see internal.h): schema and migrations, a
 * small pool of WAL-mode connections with cached prepared statements, and every operation. Write
 * transactions use BEGIN IMMEDIATE so concurrent writers wait on the busy timeout instead of
 * failing on upgrade; single-statement writes run in autocommit, which takes the write lock up
 * front the same way. */
#include "db/internal.h"
#include "util/alloc.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sqlite3.h>

#define POOL_SIZE 6
#define BUSY_TIMEOUT_MS 10000

/* Schema versions, applied in order; PRAGMA user_version records how many have run. Later changes
 * append a new entry, never edit an old one. */
static const char *const MIGRATIONS[] = {
    /* 1: initial schema */
    "CREATE TABLE repositories ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE COLLATE BINARY,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE blobs ("
    " digest TEXT NOT NULL PRIMARY KEY,"
    " size INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL);"
    "CREATE TABLE repo_blobs ("
    " repo_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,"
    " digest TEXT NOT NULL REFERENCES blobs (digest),"
    " linked_at INTEGER NOT NULL,"
    " PRIMARY KEY (repo_id, digest));"
    "CREATE INDEX repo_blobs_digest ON repo_blobs (digest);"
    "CREATE TABLE manifests ("
    " repo_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,"
    " digest TEXT NOT NULL REFERENCES blobs (digest),"
    " media_type TEXT NOT NULL,"
    " artifact_type TEXT,"
    " subject TEXT,"
    " annotations TEXT,"
    " size INTEGER NOT NULL,"
    " pushed_at INTEGER NOT NULL,"
    " last_pulled_at INTEGER,"
    " PRIMARY KEY (repo_id, digest));"
    "CREATE INDEX manifests_subject ON manifests (repo_id, subject);"
    "CREATE TABLE manifest_refs ("
    " repo_id INTEGER NOT NULL,"
    " manifest_digest TEXT NOT NULL,"
    " ref_digest TEXT NOT NULL,"
    " kind INTEGER NOT NULL,"
    " PRIMARY KEY (repo_id, manifest_digest, ref_digest, kind),"
    " FOREIGN KEY (repo_id, manifest_digest) REFERENCES manifests (repo_id, digest)"
    "  ON DELETE CASCADE);"
    "CREATE INDEX manifest_refs_ref ON manifest_refs (repo_id, ref_digest);"
    "CREATE TABLE tags ("
    " repo_id INTEGER NOT NULL,"
    " name TEXT NOT NULL COLLATE BINARY,"
    " digest TEXT NOT NULL,"
    " updated_at INTEGER NOT NULL,"
    " PRIMARY KEY (repo_id, name),"
    " FOREIGN KEY (repo_id, digest) REFERENCES manifests (repo_id, digest) ON DELETE CASCADE);"
    "CREATE INDEX tags_digest ON tags (repo_id, digest);"
    "CREATE TABLE uploads ("
    " id TEXT NOT NULL PRIMARY KEY,"
    " repo TEXT NOT NULL,"
    " started_at INTEGER NOT NULL,"
    " updated_at INTEGER NOT NULL);"
    "CREATE INDEX uploads_updated ON uploads (updated_at);",
};
#define N_MIGRATIONS ((int)(sizeof(MIGRATIONS) / sizeof(MIGRATIONS[0])))

#define REPO_ID "(SELECT id FROM repositories WHERE name = ?)"
#define MANIFEST_COLS                                                                              \
    "digest, media_type, artifact_type, subject, annotations, size, pushed_at, last_pulled_at"

/* Statements prepared once per connection. */
/* clang-format off */
enum {
    ST_BEGIN, ST_COMMIT, ST_REPO_ID, ST_REPO_INSERT, ST_REPO_LIST, ST_BLOB_INSERT, ST_LINK_INSERT,
    ST_LINK_HAS, ST_BLOB_GET, ST_LINK_DELETE, ST_MANIFEST_HAS, ST_MANIFEST_INSERT, ST_REF_INSERT,
    ST_TAG_UPSERT, ST_MANIFEST_GET, ST_PULL_GET, ST_PULL_SET, ST_TAGS_DELETE_DIGEST, ST_REFS_DELETE,
    ST_MANIFEST_DELETE, ST_TAG_GET, ST_TAG_LIST, ST_TAG_DELETE, ST_REFERRERS, ST_UPLOAD_INSERT,
    ST_UPLOAD_GET, ST_UPLOAD_TOUCH, ST_UPLOAD_DELETE, ST_UPLOAD_FINISH, ST_UPLOAD_STALE,
    ST_UPLOAD_SWEEP, ST_COUNT
};
/* clang-format on */

static const char *const SQL[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_REPO_ID] = "SELECT id FROM repositories WHERE name = ?",
    [ST_REPO_INSERT] = "INSERT INTO repositories (name, created_at) VALUES (?, ?)",
    [ST_REPO_LIST] = "SELECT name FROM repositories WHERE name > ? ORDER BY name LIMIT ?",
    [ST_BLOB_INSERT] = "INSERT INTO blobs (digest, size, created_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (digest) DO NOTHING",
    [ST_LINK_INSERT] = "INSERT INTO repo_blobs (repo_id, digest, linked_at) VALUES (?, ?, ?)"
                       " ON CONFLICT (repo_id, digest) DO NOTHING",
    [ST_LINK_HAS] = "SELECT 1 FROM repo_blobs WHERE repo_id = ? AND digest = ?",
    [ST_BLOB_GET] = "SELECT b.size FROM repositories r"
                    " JOIN repo_blobs l ON l.repo_id = r.id JOIN blobs b ON b.digest = l.digest"
                    " WHERE r.name = ? AND l.digest = ?",
    [ST_LINK_DELETE] = "DELETE FROM repo_blobs WHERE repo_id = " REPO_ID " AND digest = ?",
    [ST_MANIFEST_HAS] = "SELECT 1 FROM manifests WHERE repo_id = ? AND digest = ?",
    [ST_MANIFEST_INSERT] = "INSERT INTO manifests (repo_id, digest, media_type, artifact_type,"
                           " subject, annotations, size, pushed_at)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                           " ON CONFLICT (repo_id, digest) DO NOTHING",
    [ST_REF_INSERT] = "INSERT INTO manifest_refs (repo_id, manifest_digest, ref_digest, kind)"
                      " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    [ST_TAG_UPSERT] = "INSERT INTO tags (repo_id, name, digest, updated_at) VALUES (?, ?, ?, ?)"
                      " ON CONFLICT (repo_id, name) DO UPDATE SET digest = excluded.digest,"
                      " updated_at = excluded.updated_at WHERE tags.digest <> excluded.digest",
    [ST_MANIFEST_GET] =
        "SELECT " MANIFEST_COLS " FROM manifests WHERE repo_id = " REPO_ID " AND digest = ?",
    [ST_PULL_GET] =
        "SELECT last_pulled_at FROM manifests WHERE repo_id = " REPO_ID " AND digest = ?",
    [ST_PULL_SET] = "UPDATE manifests SET last_pulled_at = ?1"
                    " WHERE repo_id = (SELECT id FROM repositories WHERE name = ?2)"
                    " AND digest = ?3 AND (last_pulled_at IS NULL"
                    " OR last_pulled_at <= ?1 - ?4 OR last_pulled_at >= ?1 + ?4)",
    [ST_TAGS_DELETE_DIGEST] = "DELETE FROM tags WHERE repo_id = ? AND digest = ?",
    [ST_REFS_DELETE] = "DELETE FROM manifest_refs WHERE repo_id = ? AND manifest_digest = ?",
    [ST_MANIFEST_DELETE] = "DELETE FROM manifests WHERE repo_id = ? AND digest = ?",
    [ST_TAG_GET] = "SELECT t.digest FROM tags t JOIN repositories r ON r.id = t.repo_id"
                   " WHERE r.name = ? AND t.name = ?",
    [ST_TAG_LIST] = "SELECT name FROM tags WHERE repo_id = ? AND name > ? ORDER BY name LIMIT ?",
    [ST_TAG_DELETE] = "DELETE FROM tags WHERE repo_id = " REPO_ID " AND name = ?",
    [ST_REFERRERS] = "SELECT " MANIFEST_COLS " FROM manifests"
                     " WHERE repo_id = (SELECT id FROM repositories WHERE name = ?1)"
                     " AND subject = ?2 AND (?3 IS NULL OR artifact_type = ?3) ORDER BY digest",
    [ST_UPLOAD_INSERT] = "INSERT INTO uploads (id, repo, started_at, updated_at)"
                         " VALUES (?1, ?2, ?3, ?3) ON CONFLICT (id) DO NOTHING",
    [ST_UPLOAD_GET] = "SELECT 1 FROM uploads WHERE id = ? AND repo = ?",
    [ST_UPLOAD_TOUCH] = "UPDATE uploads SET updated_at = ? WHERE id = ?",
    [ST_UPLOAD_DELETE] = "DELETE FROM uploads WHERE id = ?",
    [ST_UPLOAD_FINISH] = "DELETE FROM uploads WHERE id = ? AND repo = ?",
    [ST_UPLOAD_STALE] = "SELECT id FROM uploads WHERE updated_at < ? ORDER BY id",
    [ST_UPLOAD_SWEEP] = "DELETE FROM uploads WHERE updated_at < ?",
};

typedef struct conn {
    sqlite3 *h;
    sqlite3_stmt *st[ST_COUNT];
    const char *op; /* the dd_db_* call using the connection, for error messages */
} conn;

typedef struct sqlite_db {
    dd_db base;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    conn conns[POOL_SIZE];
    conn *idle[POOL_SIZE];
    size_t n_idle;
    bool sync_ready; /* mu and cv were initialised */
} sqlite_db;

/* Maps a SQLite result code to a DD_E* code with sqlite3_errmsg as the detail. */
DD_WARN_UNUSED static int fail(conn *c, int rc, dd_err *err)
{
    const char *msg = c->h != NULL ? sqlite3_errmsg(c->h) : sqlite3_errstr(rc);
    const char *op = c->op != NULL ? c->op : "db";
    switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return dd_err_set(err, DD_EBUSY, "%s: database busy: %s", op, msg);
    case SQLITE_NOMEM:
        return dd_err_set(err, DD_ENOMEM, "%s: out of memory", op);
    default:
        return dd_err_set(err, DD_EDB, "%s: %s", op, msg);
    }
}

DD_WARN_UNUSED static int exec(conn *c, const char *sql, dd_err *err)
{
    int rc = sqlite3_exec(c->h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(c, rc, err);
}

/* Fetches (preparing on first use) a cached statement, reset, and binds its parameters from types:
 * 't' a const char * (NULL binds NULL), 'i' an int64_t. Parameters are bound by position 1..n. */
DD_WARN_UNUSED static int prep(conn *c, int id, sqlite3_stmt **out, dd_err *err, const char *types,
                               ...)
{
    int rc = SQLITE_OK;
    if (c->st[id] == NULL) {
        rc = sqlite3_prepare_v3(c->h, SQL[id], -1, SQLITE_PREPARE_PERSISTENT, &c->st[id], NULL);
        if (rc != SQLITE_OK)
            return fail(c, rc, err);
    }
    sqlite3_stmt *st = c->st[id];
    sqlite3_reset(st);
    if ((size_t)sqlite3_bind_parameter_count(st) != strlen(types))
        return dd_err_set(err, DD_EDB, "%s: statement %d takes %d parameters", c->op, id,
                          sqlite3_bind_parameter_count(st));
    va_list ap;
    va_start(ap, types);
    for (int i = 0; types[i] != '\0' && rc == SQLITE_OK; i++) {
        if (types[i] == 't') {
            const char *s = va_arg(ap, const char *);
            rc = s != NULL ? sqlite3_bind_text(st, i + 1, s, -1, SQLITE_STATIC)
                           : sqlite3_bind_null(st, i + 1);
        } else {
            rc = sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
        }
    }
    va_end(ap);
    if (rc != SQLITE_OK)
        return fail(c, rc, err);
    *out = st;
    return 0;
}

/* Steps once: 1 for a row, 0 when done, or a negative DD_E* code. */
DD_WARN_UNUSED static int step(conn *c, sqlite3_stmt *st, dd_err *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE)
        return 0;
    return fail(c, rc, err);
}

/* Runs a statement that returns no rows; *changes_out (if not NULL) gets the rows changed. */
DD_WARN_UNUSED static int run(conn *c, sqlite3_stmt *st, int *changes_out, dd_err *err)
{
    int ret = step(c, st, err);
    if (ret < 0)
        return ret;
    if (changes_out != NULL)
        *changes_out = sqlite3_changes(c->h);
    sqlite3_reset(st);
    return 0;
}

/* Copies a text column (NULL stays NULL). */
DD_WARN_UNUSED static int col_dup(sqlite3_stmt *st, int col, char **out)
{
    const unsigned char *s = sqlite3_column_text(st, col);
    *out = NULL;
    if (s == NULL)
        return sqlite3_column_type(st, col) == SQLITE_NULL ? 0 : DD_ENOMEM;
    *out = dd_strndup((const char *)s, (size_t)sqlite3_column_bytes(st, col));
    return *out != NULL ? 0 : DD_ENOMEM;
}

static int64_t clamp_limit(size_t n)
{
    return n > (size_t)INT64_MAX ? INT64_MAX : (int64_t)n;
}

DD_WARN_UNUSED static int check_size(uint64_t size, dd_err *err)
{
    if (size > (uint64_t)INT64_MAX)
        return dd_err_set(err, DD_EINVALID, "size %llu too large", (unsigned long long)size);
    return 0;
}

/* Drops entries appended after the first n (undoes a failed listing). */
static void strlist_truncate(dd_strlist *l, size_t n)
{
    while (l->n > n)
        dd_free(l->items[--l->n]);
}

/* Takes an idle connection (waiting for one), labelled with the public operation for messages. */
static conn *borrow(dd_db *base, const char *op)
{
    sqlite_db *db = (sqlite_db *)base;
    pthread_mutex_lock(&db->mu);
    while (db->n_idle == 0)
        pthread_cond_wait(&db->cv, &db->mu);
    conn *c = db->idle[--db->n_idle];
    pthread_mutex_unlock(&db->mu);
    c->op = op;
    return c;
}

/* Resets the connection's statements, rolls back a transaction left open by a failed call, and
 * returns the connection to the pool. */
static void release(dd_db *base, conn *c)
{
    sqlite_db *db = (sqlite_db *)base;
    for (int i = 0; i < ST_COUNT; i++)
        if (c->st[i] != NULL)
            sqlite3_reset(c->st[i]);
    if (!sqlite3_get_autocommit(c->h))
        sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
    c->op = NULL;
    pthread_mutex_lock(&db->mu);
    db->idle[db->n_idle++] = c;
    pthread_cond_signal(&db->cv);
    pthread_mutex_unlock(&db->mu);
}

DD_WARN_UNUSED static int tx_begin(conn *c, dd_err *err)
{
    sqlite3_stmt *st;
    int ret = prep(c, ST_BEGIN, &st, err, "");
    return ret != 0 ? ret : run(c, st, NULL, err);
}

DD_WARN_UNUSED static int tx_commit(conn *c, dd_err *err)
{
    sqlite3_stmt *st;
    int ret = prep(c, ST_COMMIT, &st, err, "");
    return ret != 0 ? ret : run(c, st, NULL, err);
}

/* Applies pending migrations in one transaction. */
DD_WARN_UNUSED static int migrate(conn *c, dd_err *err)
{
    sqlite3_stmt *st = NULL;
    char sql[64];
    int ret, version;

    if ((ret = exec(c, "BEGIN IMMEDIATE", err)) != 0)
        goto out;
    int rc = sqlite3_prepare_v2(c->h, "PRAGMA user_version", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        ret = fail(c, rc, err);
        goto out;
    }
    if ((ret = step(c, st, err)) < 0)
        goto out;
    version = ret == 1 ? sqlite3_column_int(st, 0) : 0;
    if (version > N_MIGRATIONS) {
        ret = dd_err_set(err, DD_EDB, "database schema version %d is newer than this build (%d)",
                         version, N_MIGRATIONS);
        goto out;
    }
    for (int v = version; v < N_MIGRATIONS; v++)
        if ((ret = exec(c, MIGRATIONS[v], err)) != 0)
            goto out;
    if (version < N_MIGRATIONS) {
        snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", N_MIGRATIONS);
        if ((ret = exec(c, sql, err)) != 0)
            goto out;
    }
    ret = exec(c, "COMMIT", err);
out:
    sqlite3_finalize(st);
    if (!sqlite3_get_autocommit(c->h))
        sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

DD_WARN_UNUSED static int conn_open(conn *c, const char *path, dd_err *err)
{
    sqlite3_stmt *st = NULL;
    int ret;
    int rc = sqlite3_open_v2(
        path, &c->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        ret = fail(c, rc, err);
        goto out;
    }
    sqlite3_busy_timeout(c->h, BUSY_TIMEOUT_MS);
    rc = sqlite3_prepare_v2(c->h, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc != SQLITE_OK) {
        ret = fail(c, rc, err);
        goto out;
    }
    if ((ret = step(c, st, err)) < 0)
        goto out;
    const char *mode = (const char *)sqlite3_column_text(st, 0);
    if (ret == 0 || mode == NULL || strcasecmp(mode, "wal") != 0) {
        ret = dd_err_set(err, DD_EDB, "%s: cannot enable WAL journal mode", path);
        goto out;
    }
    ret = exec(c, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", err);
out:
    sqlite3_finalize(st);
    return ret;
}

static void conn_close(conn *c)
{
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(c->st[i]);
    sqlite3_close(c->h);
    memset(c, 0, sizeof(*c));
}

static const dd_db_ops SQLITE_OPS;

static void sq_free(sqlite_db *db)
{
    if (db == NULL)
        return;
    for (size_t i = 0; i < POOL_SIZE; i++)
        conn_close(&db->conns[i]);
    if (db->sync_ready) {
        pthread_cond_destroy(&db->cv);
        pthread_mutex_destroy(&db->mu);
    }
    dd_free(db);
}

int dd_db_open_sqlite(dd_db **out, const char *path, dd_err *err)
{
    sqlite_db *db = dd_calloc(1, sizeof(*db));
    int ret;

    *out = NULL;
    if (db == NULL) {
        ret = dd_err_set(err, DD_ENOMEM, "db: out of memory");
        goto out;
    }
    db->base.ops = &SQLITE_OPS;
    if ((ret = pthread_mutex_init(&db->mu, NULL)) != 0) {
        ret = dd_err_errno(err, ret, "pthread_mutex_init");
        goto out;
    }
    if ((ret = pthread_cond_init(&db->cv, NULL)) != 0) {
        pthread_mutex_destroy(&db->mu);
        ret = dd_err_errno(err, ret, "pthread_cond_init");
        goto out;
    }
    db->sync_ready = true;
    for (size_t i = 0; i < POOL_SIZE; i++) {
        db->conns[i].op = "dd_db_open_sqlite";
        if ((ret = conn_open(&db->conns[i], path, err)) != 0)
            goto out;
        if (i == 0 && (ret = migrate(&db->conns[0], err)) != 0)
            goto out;
        db->conns[i].op = NULL;
        db->idle[db->n_idle++] = &db->conns[i];
    }
    *out = &db->base;
    db = NULL;
out:
    sq_free(db);
    return ret;
}

static void sq_close(dd_db *base)
{
    sq_free((sqlite_db *)base);
}

/* Looks a repository up: 0 with its id, or DD_ENOTFOUND. */
DD_WARN_UNUSED static int repo_id(conn *c, const char *repo, int64_t *id_out, dd_err *err)
{
    sqlite3_stmt *st;
    int ret = prep(c, ST_REPO_ID, &st, err, "t", repo);
    if (ret == 0 && (ret = step(c, st, err)) == 1) {
        *id_out = sqlite3_column_int64(st, 0);
        ret = 0;
    } else if (ret == 0) {
        ret = dd_err_set(err, DD_ENOTFOUND, "repository %s not found", repo);
    }
    return ret;
}

/* Looks a repository up, creating it when missing (inside a write transaction). */
DD_WARN_UNUSED static int repo_ensure(conn *c, const char *repo, int64_t now_ms, int64_t *id_out,
                                      dd_err *err)
{
    sqlite3_stmt *st;
    int ret = repo_id(c, repo, id_out, err);
    if (ret != DD_ENOTFOUND)
        return ret;
    if ((ret = prep(c, ST_REPO_INSERT, &st, err, "ti", repo, now_ms)) != 0 ||
        (ret = run(c, st, NULL, err)) != 0)
        return ret;
    *id_out = sqlite3_last_insert_rowid(c->h);
    return 0;
}

/* Records a blob and links it to a repository (inside a write transaction). */
DD_WARN_UNUSED static int link_blob(conn *c, int64_t repo, const char *digest, uint64_t size,
                                    int64_t now_ms, dd_err *err)
{
    sqlite3_stmt *st;
    int ret;
    if ((ret = prep(c, ST_BLOB_INSERT, &st, err, "tii", digest, (int64_t)size, now_ms)) != 0 ||
        (ret = run(c, st, NULL, err)) != 0)
        return ret;
    if ((ret = prep(c, ST_LINK_INSERT, &st, err, "iti", repo, digest, now_ms)) != 0 ||
        (ret = run(c, st, NULL, err)) != 0)
        return ret;
    return 0;
}

/* Runs a cached statement that lists one text column into out (appending; unchanged on error). */
DD_WARN_UNUSED static int list_names(conn *c, sqlite3_stmt *st, dd_strlist *out, dd_err *err)
{
    size_t n0 = out->n;
    int ret;
    while ((ret = step(c, st, err)) == 1) {
        const unsigned char *s = sqlite3_column_text(st, 0);
        if (s == NULL ||
            dd_strlist_push(out, (const char *)s, (size_t)sqlite3_column_bytes(st, 0)) != 0) {
            ret = dd_err_set(err, DD_ENOMEM, "%s: out of memory", c->op);
            break;
        }
    }
    if (ret != 0)
        strlist_truncate(out, n0);
    return ret;
}

static int sq_repo_exists(dd_db *db, const char *repo, dd_err *err)
{
    conn *c = borrow(db, "dd_db_repo_exists");
    int64_t id;
    int ret = repo_id(c, repo, &id, err);
    release(db, c);
    return ret;
}

static int sq_repo_create(dd_db *db, const char *repo, int64_t now_ms, dd_err *err)
{
    conn *c = borrow(db, "dd_db_repo_create");
    int64_t id;
    int ret = repo_id(c, repo, &id, err);
    if (ret == 0)
        ret = dd_err_set(err, DD_EEXIST, "repository %s already exists", repo);
    else if (ret == DD_ENOTFOUND) {
        sqlite3_stmt *st;
        ret = prep(c, ST_REPO_INSERT, &st, err, "ti", repo, now_ms);
        if (ret == 0)
            ret = run(c, st, NULL, err);
    }
    release(db, c);
    return ret;
}

static int sq_repo_delete(dd_db *db, const char *repo, dd_err *err)
{
    conn *c = borrow(db, "dd_db_repo_delete");
    int64_t id;
    sqlite3_stmt *st = NULL;
    int ret = tx_begin(c, err);
    if (ret == 0)
        ret = repo_id(c, repo, &id, err);
    /* tags and refs go with their manifests (ON DELETE CASCADE), manifests and blob links with
     * the repository */
    if (ret == 0) {
        int rc = sqlite3_prepare_v2(c->h, "DELETE FROM repositories WHERE id = ?", -1, &st, NULL);
        if (rc != SQLITE_OK)
            ret = fail(c, rc, err);
        else {
            sqlite3_bind_int64(st, 1, id);
            rc = sqlite3_step(st);
            ret = rc == SQLITE_DONE ? 0 : fail(c, rc, err);
        }
    }
    if (ret == 0)
        ret = tx_commit(c, err);
    sqlite3_finalize(st);
    release(db, c);
    return ret;
}

static int sq_repo_list(dd_db *db, const char *last, size_t n, dd_strlist *out, dd_err *err)
{
    conn *c = borrow(db, "dd_db_repo_list");
    sqlite3_stmt *st;
    int ret = prep(c, ST_REPO_LIST, &st, err, "ti", last != NULL ? last : "", clamp_limit(n));
    if (ret == 0)
        ret = list_names(c, st, out, err);
    release(db, c);
    return ret;
}

static int sq_blob_link(dd_db *db, const char *repo, const char *digest, uint64_t size,
                        int64_t now_ms, dd_err *err)
{
    int ret;
    int64_t id;
    conn *c = borrow(db, "dd_db_blob_link");

    if ((ret = check_size(size, err)) != 0 || (ret = tx_begin(c, err)) != 0)
        goto out;
    if ((ret = repo_ensure(c, repo, now_ms, &id, err)) != 0 ||
        (ret = link_blob(c, id, digest, size, now_ms, err)) != 0)
        goto out;
    ret = tx_commit(c, err);
out:
    release(db, c);
    return ret;
}

static int sq_blob_get(dd_db *db, const char *repo, const char *digest, uint64_t *size_out,
                       dd_err *err)
{
    conn *c = borrow(db, "dd_db_blob_get");
    sqlite3_stmt *st;
    int ret = prep(c, ST_BLOB_GET, &st, err, "tt", repo, digest);
    if (ret == 0 && (ret = step(c, st, err)) == 1) {
        *size_out = (uint64_t)sqlite3_column_int64(st, 0);
        ret = 0;
    } else if (ret == 0) {
        ret = dd_err_set(err, DD_ENOTFOUND, "blob %s not found in repository", digest);
    }
    release(db, c);
    return ret;
}

static int sq_blob_unlink(dd_db *db, const char *repo, const char *digest, dd_err *err)
{
    conn *c = borrow(db, "dd_db_blob_unlink");
    sqlite3_stmt *st;
    int changes = 0;
    int ret = prep(c, ST_LINK_DELETE, &st, err, "tt", repo, digest);
    if (ret == 0 && (ret = run(c, st, &changes, err)) == 0 && changes == 0)
        ret = dd_err_set(err, DD_ENOTFOUND, "blob %s not found in repository", digest);
    release(db, c);
    return ret;
}

/* DD_ENOTFOUND naming the digest unless ref is present in the repository. */
DD_WARN_UNUSED static int check_ref(conn *c, int64_t repo, const dd_db_ref *ref, dd_err *err)
{
    bool blob = ref->kind == DD_REF_BLOB;
    sqlite3_stmt *st;
    int ret = prep(c, blob ? ST_LINK_HAS : ST_MANIFEST_HAS, &st, err, "it", repo, ref->digest);
    if (ret == 0 && (ret = step(c, st, err)) == 0)
        ret = dd_err_set(err, DD_ENOTFOUND, "%s %s not found in repository",
                         blob ? "blob" : "manifest", ref->digest);
    return ret < 0 ? ret : 0;
}

static int sq_manifest_put(dd_db *db, const dd_db_manifest_in *m, dd_err *err)
{
    int ret;
    int64_t id;
    sqlite3_stmt *st;
    conn *c = borrow(db, "dd_db_manifest_put");

    if ((ret = check_size(m->size, err)) != 0 || (ret = tx_begin(c, err)) != 0)
        goto out;
    if ((ret = repo_ensure(c, m->repo, m->now_ms, &id, err)) != 0)
        goto out;
    for (size_t i = 0; i < m->n_refs; i++)
        if ((ret = check_ref(c, id, &m->refs[i], err)) != 0)
            goto out;
    /* The manifest's own bytes are a blob in the store. */
    if ((ret = prep(c, ST_BLOB_INSERT, &st, err, "tii", m->digest, (int64_t)m->size, m->now_ms)) !=
            0 ||
        (ret = run(c, st, NULL, err)) != 0)
        goto out;
    /* A re-push of the same digest keeps the first pushed_at (same bytes, same fields). */
    if ((ret = prep(c, ST_MANIFEST_INSERT, &st, err, "itttttii", id, m->digest, m->media_type,
                    m->artifact_type, m->subject, m->annotations_json, (int64_t)m->size,
                    m->now_ms)) != 0 ||
        (ret = run(c, st, NULL, err)) != 0)
        goto out;
    for (size_t i = 0; i < m->n_refs; i++) {
        if ((ret = prep(c, ST_REF_INSERT, &st, err, "itti", id, m->digest, m->refs[i].digest,
                        (int64_t)m->refs[i].kind)) != 0 ||
            (ret = run(c, st, NULL, err)) != 0)
            goto out;
    }
    if (m->tag != NULL) {
        if ((ret = prep(c, ST_TAG_UPSERT, &st, err, "itti", id, m->tag, m->digest, m->now_ms)) !=
                0 ||
            (ret = run(c, st, NULL, err)) != 0)
            goto out;
    }
    ret = tx_commit(c, err);
out:
    release(db, c);
    return ret;
}

/* Fills out from a row of MANIFEST_COLS. */
DD_WARN_UNUSED static int read_manifest(conn *c, sqlite3_stmt *st, dd_db_manifest *out, dd_err *err)
{
    memset(out, 0, sizeof(*out));
    if (col_dup(st, 0, &out->digest) != 0 || col_dup(st, 1, &out->media_type) != 0 ||
        col_dup(st, 2, &out->artifact_type) != 0 || col_dup(st, 3, &out->subject) != 0 ||
        col_dup(st, 4, &out->annotations_json) != 0) {
        dd_db_manifest_free(out);
        return dd_err_set(err, DD_ENOMEM, "%s: out of memory", c->op);
    }
    out->size = (uint64_t)sqlite3_column_int64(st, 5);
    out->pushed_at_ms = sqlite3_column_int64(st, 6);
    out->last_pulled_at_ms = sqlite3_column_int64(st, 7); /* NULL reads as 0 */
    return 0;
}

static int sq_manifest_get(dd_db *db, const char *repo, const char *digest, dd_db_manifest *out,
                           dd_err *err)
{
    conn *c = borrow(db, "dd_db_manifest_get");
    sqlite3_stmt *st;
    int ret = prep(c, ST_MANIFEST_GET, &st, err, "tt", repo, digest);
    memset(out, 0, sizeof(*out));
    if (ret == 0 && (ret = step(c, st, err)) == 1)
        ret = read_manifest(c, st, out, err);
    else if (ret == 0)
        ret = dd_err_set(err, DD_ENOTFOUND, "manifest %s not found in repository", digest);
    release(db, c);
    return ret;
}

static int sq_manifest_record_pull(dd_db *db, const char *repo, const char *digest, int64_t now_ms,
                                   int64_t granularity_ms, dd_err *err)
{
    int ret;
    int64_t last, diff;
    sqlite3_stmt *st;
    conn *c = borrow(db, "dd_db_manifest_record_pull");

    /* Read first, without the write lock, so a hot manifest costs no write. */
    if ((ret = prep(c, ST_PULL_GET, &st, err, "tt", repo, digest)) != 0 ||
        (ret = step(c, st, err)) < 0)
        goto out;
    if (ret == 0) {
        ret = dd_err_set(err, DD_ENOTFOUND, "manifest %s not found in repository", digest);
        goto out;
    }
    ret = 0;
    if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
        last = sqlite3_column_int64(st, 0);
        if (!__builtin_sub_overflow(now_ms, last, &diff) && diff < granularity_ms &&
            diff > -granularity_ms)
            goto out;
    }
    sqlite3_reset(st);
    /* The UPDATE re-checks the condition, so racing pulls write at most once. */
    if ((ret = prep(c, ST_PULL_SET, &st, err, "itti", now_ms, repo, digest, granularity_ms)) == 0)
        ret = run(c, st, NULL, err);
out:
    release(db, c);
    return ret;
}

static int sq_manifest_delete(dd_db *db, const char *repo, const char *digest, dd_err *err)
{
    int ret, changes = 0;
    int64_t id;
    sqlite3_stmt *st;
    conn *c = borrow(db, "dd_db_manifest_delete");

    if ((ret = tx_begin(c, err)) != 0 || (ret = repo_id(c, repo, &id, err)) != 0)
        goto out;
    if ((ret = prep(c, ST_TAGS_DELETE_DIGEST, &st, err, "it", id, digest)) != 0 ||
        (ret = run(c, st, NULL, err)) != 0)
        goto out;
    if ((ret = prep(c, ST_REFS_DELETE, &st, err, "it", id, digest)) != 0 ||
        (ret = run(c, st, NULL, err)) != 0)
        goto out;
    if ((ret = prep(c, ST_MANIFEST_DELETE, &st, err, "it", id, digest)) != 0 ||
        (ret = run(c, st, &changes, err)) != 0)
        goto out;
    if (changes == 0) {
        ret = dd_err_set(err, DD_ENOTFOUND, "manifest %s not found in repository", digest);
        goto out;
    }
    ret = tx_commit(c, err);
out:
    release(db, c);
    return ret;
}

static int sq_tag_get(dd_db *db, const char *repo, const char *tag, char *digest_out,
                      size_t digest_out_len, dd_err *err)
{
    conn *c = borrow(db, "dd_db_tag_get");
    sqlite3_stmt *st;
    int ret = prep(c, ST_TAG_GET, &st, err, "tt", repo, tag);
    if (ret == 0 && (ret = step(c, st, err)) == 1) {
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        const unsigned char *d = sqlite3_column_text(st, 0);
        ret = 0;
        if (d == NULL)
            ret = dd_err_set(err, DD_ENOMEM, "%s: out of memory", c->op);
        else if (len >= digest_out_len)
            ret = dd_err_set(err, DD_ELIMIT, "tag %s: digest longer than %zu bytes", tag,
                             digest_out_len);
        else
            memcpy(digest_out, d, len + 1);
    } else if (ret == 0) {
        ret = dd_err_set(err, DD_ENOTFOUND, "tag %s not found in repository", tag);
    }
    release(db, c);
    return ret;
}

static int sq_tag_list(dd_db *db, const char *repo, const char *last, size_t n, dd_strlist *out,
                       dd_err *err)
{
    int64_t id;
    sqlite3_stmt *st;
    conn *c = borrow(db, "dd_db_tag_list");
    /* Repositories are never deleted, so the id stays valid between the two statements. */
    int ret = repo_id(c, repo, &id, err);
    if (ret == 0 && (ret = prep(c, ST_TAG_LIST, &st, err, "iti", id, last != NULL ? last : "",
                                clamp_limit(n))) == 0)
        ret = list_names(c, st, out, err);
    release(db, c);
    return ret;
}

static int sq_tag_delete(dd_db *db, const char *repo, const char *tag, dd_err *err)
{
    conn *c = borrow(db, "dd_db_tag_delete");
    sqlite3_stmt *st;
    int changes = 0;
    int ret = prep(c, ST_TAG_DELETE, &st, err, "tt", repo, tag);
    if (ret == 0 && (ret = run(c, st, &changes, err)) == 0 && changes == 0)
        ret = dd_err_set(err, DD_ENOTFOUND, "tag %s not found in repository", tag);
    release(db, c);
    return ret;
}

static int sq_referrers(dd_db *db, const char *repo, const char *subject, const char *artifact_type,
                        dd_db_manifest **out, size_t *n_out, dd_err *err)
{
    dd_db_manifest *arr = NULL, *grown;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st;
    conn *c = borrow(db, "dd_db_referrers");
    int ret = prep(c, ST_REFERRERS, &st, err, "ttt", repo, subject, artifact_type);

    *out = NULL;
    *n_out = 0;
    while (ret == 0 && (ret = step(c, st, err)) == 1) {
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            if ((grown = dd_reallocarray(arr, cap, sizeof(*arr))) == NULL) {
                ret = dd_err_set(err, DD_ENOMEM, "%s: out of memory", c->op);
                break;
            }
            arr = grown;
        }
        if ((ret = read_manifest(c, st, &arr[n], err)) != 0)
            break;
        n++;
    }
    if (ret == 0) {
        *out = arr;
        *n_out = n;
        arr = NULL;
        n = 0;
    }
    for (size_t i = 0; i < n; i++)
        dd_db_manifest_free(&arr[i]);
    dd_free(arr);
    release(db, c);
    return ret;
}

static int sq_upload_create(dd_db *db, const char *id, const char *repo, int64_t now_ms,
                            dd_err *err)
{
    conn *c = borrow(db, "dd_db_upload_create");
    sqlite3_stmt *st;
    int changes = 0;
    int ret = prep(c, ST_UPLOAD_INSERT, &st, err, "tti", id, repo, now_ms);
    if (ret == 0 && (ret = run(c, st, &changes, err)) == 0 && changes == 0)
        ret = dd_err_set(err, DD_EEXIST, "upload %s already exists", id);
    release(db, c);
    return ret;
}

static int sq_upload_get(dd_db *db, const char *id, const char *repo, dd_err *err)
{
    conn *c = borrow(db, "dd_db_upload_get");
    sqlite3_stmt *st;
    int ret = prep(c, ST_UPLOAD_GET, &st, err, "tt", id, repo);
    if (ret == 0 && (ret = step(c, st, err)) == 0)
        ret = dd_err_set(err, DD_ENOTFOUND, "upload %s not found", id);
    release(db, c);
    return ret < 0 ? ret : 0;
}

static int sq_upload_touch(dd_db *db, const char *id, int64_t now_ms, dd_err *err)
{
    conn *c = borrow(db, "dd_db_upload_touch");
    sqlite3_stmt *st;
    int changes = 0;
    int ret = prep(c, ST_UPLOAD_TOUCH, &st, err, "it", now_ms, id);
    if (ret == 0 && (ret = run(c, st, &changes, err)) == 0 && changes == 0)
        ret = dd_err_set(err, DD_ENOTFOUND, "upload %s not found", id);
    release(db, c);
    return ret;
}

static int sq_upload_delete(dd_db *db, const char *id, dd_err *err)
{
    conn *c = borrow(db, "dd_db_upload_delete");
    sqlite3_stmt *st;
    int changes = 0;
    int ret = prep(c, ST_UPLOAD_DELETE, &st, err, "t", id);
    if (ret == 0 && (ret = run(c, st, &changes, err)) == 0 && changes == 0)
        ret = dd_err_set(err, DD_ENOTFOUND, "upload %s not found", id);
    release(db, c);
    return ret;
}

static int sq_upload_finish(dd_db *db, const char *id, const char *repo, const char *digest,
                            uint64_t size, int64_t now_ms, dd_err *err)
{
    int ret, changes = 0;
    int64_t rid;
    sqlite3_stmt *st;
    conn *c = borrow(db, "dd_db_upload_finish");

    if ((ret = check_size(size, err)) != 0 || (ret = tx_begin(c, err)) != 0)
        goto out;
    if ((ret = prep(c, ST_UPLOAD_FINISH, &st, err, "tt", id, repo)) != 0 ||
        (ret = run(c, st, &changes, err)) != 0)
        goto out;
    if (changes == 0) {
        ret = dd_err_set(err, DD_ENOTFOUND, "upload %s not found", id);
        goto out;
    }
    if ((ret = repo_ensure(c, repo, now_ms, &rid, err)) != 0 ||
        (ret = link_blob(c, rid, digest, size, now_ms, err)) != 0)
        goto out;
    ret = tx_commit(c, err);
out:
    release(db, c);
    return ret;
}

static int sq_upload_sweep(dd_db *db, int64_t cutoff_ms, dd_strlist *ids_out, dd_err *err)
{
    int ret;
    size_t n0 = ids_out->n;
    sqlite3_stmt *st;
    conn *c = borrow(db, "dd_db_upload_sweep");

    if ((ret = tx_begin(c, err)) != 0)
        goto out;
    if ((ret = prep(c, ST_UPLOAD_STALE, &st, err, "i", cutoff_ms)) != 0 ||
        (ret = list_names(c, st, ids_out, err)) != 0)
        goto out;
    if ((ret = prep(c, ST_UPLOAD_SWEEP, &st, err, "i", cutoff_ms)) != 0 ||
        (ret = run(c, st, NULL, err)) != 0)
        goto out;
    ret = tx_commit(c, err);
out:
    if (ret != 0)
        strlist_truncate(ids_out, n0);
    release(db, c);
    return ret;
}

static const dd_db_ops SQLITE_OPS = {
    .close = sq_close,
    .repo_exists = sq_repo_exists,
    .repo_list = sq_repo_list,
    .repo_create = sq_repo_create,
    .repo_delete = sq_repo_delete,
    .blob_link = sq_blob_link,
    .blob_get = sq_blob_get,
    .blob_unlink = sq_blob_unlink,
    .manifest_put = sq_manifest_put,
    .manifest_get = sq_manifest_get,
    .manifest_record_pull = sq_manifest_record_pull,
    .manifest_delete = sq_manifest_delete,
    .tag_get = sq_tag_get,
    .tag_list = sq_tag_list,
    .tag_delete = sq_tag_delete,
    .referrers = sq_referrers,
    .upload_create = sq_upload_create,
    .upload_get = sq_upload_get,
    .upload_touch = sq_upload_touch,
    .upload_delete = sq_upload_delete,
    .upload_finish = sq_upload_finish,
    .upload_sweep = sq_upload_sweep,
};
