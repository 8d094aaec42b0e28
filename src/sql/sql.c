/* Connection pool, per-module migrations and statement cache over SQLite (see sql.h). */
#include "sql/sql.h"
#include "util/alloc.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define BUSY_TIMEOUT_MS 10000
#define STMT_CACHE 96

struct dd_sql_conn {
    sqlite3 *h;
    size_t n_cached;
    const char *keys[STMT_CACHE];
    sqlite3_stmt *stmts[STMT_CACHE];
};

struct dd_sql {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned n, n_idle;
    dd_sql_conn *conns;
    dd_sql_conn **idle;
};

static int fail(sqlite3 *h, int rc, dd_err *err)
{
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return dd_err_set(err, DD_EBUSY, "database busy: %s", sqlite3_errmsg(h));
    return dd_err_set(err, DD_EDB, "database: %s", h != NULL ? sqlite3_errmsg(h) : "error");
}

static int exec_h(sqlite3 *h, const char *sql, dd_err *err)
{
    int rc = sqlite3_exec(h, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : fail(h, rc, err);
}

static int conn_open(dd_sql_conn *c, const char *path, dd_err *err)
{
    int rc = sqlite3_open_v2(
        path, &c->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK)
        return fail(c->h, rc, err);
    sqlite3_busy_timeout(c->h, BUSY_TIMEOUT_MS);
    /* a 32 MiB page cache and reads through mmap: findings and inventories make the file large,
     * and the re-match reads it page by page */
    return exec_h(c->h,
                  "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;"
                  " PRAGMA cache_size = -32768; PRAGMA mmap_size = 1073741824",
                  err);
}

static void conn_close(dd_sql_conn *c)
{
    for (size_t i = 0; i < c->n_cached; i++)
        sqlite3_finalize(c->stmts[i]);
    c->n_cached = 0;
    if (c->h != NULL)
        sqlite3_close(c->h);
    c->h = NULL;
}

int dd_sql_open(dd_sql **out, const char *path, unsigned n_conns, dd_err *err)
{
    *out = NULL;
    if (n_conns == 0)
        n_conns = 1;
    dd_sql *s = dd_calloc(1, sizeof(*s));
    if (s == NULL)
        return DD_ENOMEM;
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, NULL);
    s->conns = dd_calloc(n_conns, sizeof(*s->conns));
    s->idle = dd_calloc(n_conns, sizeof(*s->idle));
    if (s->conns == NULL || s->idle == NULL) {
        dd_sql_close(s);
        return DD_ENOMEM;
    }
    s->n = n_conns;
    for (unsigned i = 0; i < n_conns; i++) {
        int rc = conn_open(&s->conns[i], path, err);
        if (rc != 0) {
            dd_sql_close(s);
            return rc;
        }
        s->idle[s->n_idle++] = &s->conns[i];
    }
    dd_sql_conn *c = dd_sql_acquire(s);
    int rc =
        exec_h(c->h,
               "CREATE TABLE IF NOT EXISTS schema_versions (module TEXT PRIMARY KEY,"
               " version INTEGER NOT NULL);"
               "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
               err);
    dd_sql_release(s, c);
    if (rc != 0) {
        dd_sql_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

void dd_sql_close(dd_sql *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; i < s->n; i++)
        conn_close(&s->conns[i]);
    dd_free(s->conns);
    dd_free(s->idle);
    pthread_mutex_destroy(&s->mu);
    pthread_cond_destroy(&s->cv);
    dd_free(s);
}

dd_sql_conn *dd_sql_acquire(dd_sql *s)
{
    pthread_mutex_lock(&s->mu);
    while (s->n_idle == 0)
        pthread_cond_wait(&s->cv, &s->mu);
    dd_sql_conn *c = s->idle[--s->n_idle];
    pthread_mutex_unlock(&s->mu);
    return c;
}

void dd_sql_release(dd_sql *s, dd_sql_conn *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->n_cached; i++) {
        sqlite3_reset(c->stmts[i]);
        sqlite3_clear_bindings(c->stmts[i]);
    }
    dd_sql_rollback(c);
    pthread_mutex_lock(&s->mu);
    s->idle[s->n_idle++] = c;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

sqlite3 *dd_sql_handle(dd_sql_conn *c)
{
    return c->h;
}

int dd_sql_begin(dd_sql_conn *c, dd_err *err)
{
    return exec_h(c->h, "BEGIN IMMEDIATE", err);
}

int dd_sql_commit(dd_sql_conn *c, dd_err *err)
{
    return exec_h(c->h, "COMMIT", err);
}

void dd_sql_rollback(dd_sql_conn *c)
{
    if (!sqlite3_get_autocommit(c->h))
        sqlite3_exec(c->h, "ROLLBACK", NULL, NULL, NULL);
}

int dd_sql_in_tx(dd_sql_conn *c)
{
    return !sqlite3_get_autocommit(c->h);
}

int dd_sql_exec(dd_sql_conn *c, const char *sql, dd_err *err)
{
    return exec_h(c->h, sql, err);
}

int dd_sql_stmt(dd_sql_conn *c, const char *sql, sqlite3_stmt **out, dd_err *err)
{
    for (size_t i = 0; i < c->n_cached; i++)
        if (c->keys[i] == sql) {
            sqlite3_reset(c->stmts[i]);
            sqlite3_clear_bindings(c->stmts[i]);
            *out = c->stmts[i];
            return 0;
        }
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
    if (rc != SQLITE_OK)
        return fail(c->h, rc, err);
    if (c->n_cached == STMT_CACHE) { /* full: evict the oldest */
        sqlite3_finalize(c->stmts[0]);
        memmove(c->keys, c->keys + 1, (STMT_CACHE - 1) * sizeof(c->keys[0]));
        memmove(c->stmts, c->stmts + 1, (STMT_CACHE - 1) * sizeof(c->stmts[0]));
        c->n_cached--;
    }
    c->keys[c->n_cached] = sql;
    c->stmts[c->n_cached++] = st;
    *out = st;
    return 0;
}

int dd_sql_step(dd_sql_conn *c, sqlite3_stmt *st, dd_err *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    int ret = rc == SQLITE_DONE ? 0 : fail(c->h, rc, err);
    sqlite3_reset(st);
    return ret;
}

int dd_sql_run(dd_sql_conn *c, sqlite3_stmt *st, dd_err *err)
{
    int rc;
    while ((rc = dd_sql_step(c, st, err)) == 1) {
    }
    return rc;
}

int64_t dd_sql_changes(dd_sql_conn *c)
{
    return sqlite3_changes64(c->h);
}

int64_t dd_sql_last_rowid(dd_sql_conn *c)
{
    return sqlite3_last_insert_rowid(c->h);
}

void dd_sql_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

void dd_sql_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
    sqlite3_bind_int64(st, i, v);
}

void dd_sql_bind_double(sqlite3_stmt *st, int i, double v)
{
    sqlite3_bind_double(st, i, v);
}

void dd_sql_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t len)
{
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_blob64(st, i, v, len, SQLITE_TRANSIENT);
}

const char *dd_sql_col_text(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t != NULL ? (const char *)t : "";
}

static const char SQL_VERSION_GET[] = "SELECT version FROM schema_versions WHERE module = ?";
static const char SQL_VERSION_PUT[] =
    "INSERT INTO schema_versions (module, version) VALUES (?, ?)"
    " ON CONFLICT (module) DO UPDATE SET version = excluded.version";

int dd_sql_migrate(dd_sql *s, const char *module, const char *const *steps, size_t n, dd_err *err)
{
    dd_sql_conn *c = dd_sql_acquire(s);
    sqlite3_stmt *st;
    int64_t version = 0;
    int rc = dd_sql_begin(c, err);
    if (rc == 0)
        rc = dd_sql_stmt(c, SQL_VERSION_GET, &st, err);
    if (rc == 0) {
        dd_sql_bind_text(st, 1, module);
        rc = dd_sql_step(c, st, err);
        if (rc == 1) {
            version = sqlite3_column_int64(st, 0);
            sqlite3_reset(st);
            rc = 0;
        }
    }
    if (rc == 0 && version > (int64_t)n)
        rc = dd_err_set(err, DD_EDB,
                        "%s: database schema version %lld is newer than this build (%zu)", module,
                        (long long)version, n);
    for (size_t v = (size_t)(version < 0 ? 0 : version); rc == 0 && v < n; v++) {
        rc = dd_sql_exec(c, steps[v], err);
        if (rc != 0)
            dd_err_set(err, rc, "%s: migration %zu: %s", module, v + 1,
                       err != NULL ? err->msg : "");
    }
    if (rc == 0 && version < (int64_t)n && (rc = dd_sql_stmt(c, SQL_VERSION_PUT, &st, err)) == 0) {
        dd_sql_bind_text(st, 1, module);
        dd_sql_bind_int(st, 2, (int64_t)n);
        rc = dd_sql_run(c, st, err);
    }
    if (rc == 0)
        rc = dd_sql_commit(c, err);
    dd_sql_release(s, c);
    return rc;
}

static const char SQL_SETTING_GET[] = "SELECT value FROM settings WHERE key = ?";
static const char SQL_SETTING_PUT[] = "INSERT INTO settings (key, value) VALUES (?, ?)"
                                      " ON CONFLICT (key) DO UPDATE SET value = excluded.value";

int dd_sql_setting_get(dd_sql_conn *c, const char *key, char **out, dd_err *err)
{
    sqlite3_stmt *st;
    *out = NULL;
    int rc = dd_sql_stmt(c, SQL_SETTING_GET, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, key);
    rc = dd_sql_step(c, st, err);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return DD_ENOTFOUND;
    *out = dd_strdup(dd_sql_col_text(st, 0));
    sqlite3_reset(st);
    return *out != NULL ? 0 : DD_ENOMEM;
}

int dd_sql_setting_put(dd_sql_conn *c, const char *key, const char *value, dd_err *err)
{
    sqlite3_stmt *st;
    int rc = dd_sql_stmt(c, SQL_SETTING_PUT, &st, err);
    if (rc != 0)
        return rc;
    dd_sql_bind_text(st, 1, key);
    dd_sql_bind_text(st, 2, value);
    return dd_sql_run(c, st, err);
}
