/* A small pool of SQLite connections on the metadata database (DATA/metadata.sqlite, the file the
 * db module also uses), for the modules added with enhanced scanning: scanning, findings, events
 * and auth. Each of those modules owns its tables and registers its own migrations under its name
 * (table schema_versions), so their schemas evolve independently of the registry's. Sharing the
 * file lets one transaction cover a change and the event that reports it (the outbox).
 *
 * The SQL these modules write is plain SQLite; the PostgreSQL backend planned for scale-out will
 * need its own implementation of each store (see docs/ARCHITECTURE.md).
 *
 * Thread-safe: dd_sql_acquire hands out one connection at a time per caller (waiting when all are
 * busy); a connection is used by one thread until dd_sql_release. */
#ifndef DD_SQL_SQL_H
#define DD_SQL_SQL_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include <sqlite3.h>
#include "util/err.h"

typedef struct dd_sql dd_sql;
typedef struct dd_sql_conn dd_sql_conn;

/* Opens (creating if needed) the database at path with a pool of n_conns connections (WAL,
 * synchronous=FULL, foreign keys on, 10 s busy timeout). */
DD_WARN_UNUSED int dd_sql_open(dd_sql **out, const char *path, unsigned n_conns, dd_err *err);
void dd_sql_close(dd_sql *s); /* NULL-safe; every connection must have been released */

/* Applies steps[v..n) of module's migrations in one transaction, where v is the number already
 * applied (recorded in schema_versions). A database newer than the build is an error. */
DD_WARN_UNUSED int dd_sql_migrate(dd_sql *s, const char *module, const char *const *steps, size_t n,
                                  dd_err *err);

/* Borrows a connection (blocks until one is idle). */
dd_sql_conn *dd_sql_acquire(dd_sql *s);
/* Returns it: resets cached statements and rolls back a transaction left open. NULL-safe. */
void dd_sql_release(dd_sql *s, dd_sql_conn *c);
sqlite3 *dd_sql_handle(dd_sql_conn *c);

/* BEGIN IMMEDIATE / COMMIT / ROLLBACK. */
DD_WARN_UNUSED int dd_sql_begin(dd_sql_conn *c, dd_err *err);
DD_WARN_UNUSED int dd_sql_commit(dd_sql_conn *c, dd_err *err);
void dd_sql_rollback(dd_sql_conn *c); /* no-op outside a transaction */
int dd_sql_in_tx(dd_sql_conn *c);

/* Runs one or more statements without results. */
DD_WARN_UNUSED int dd_sql_exec(dd_sql_conn *c, const char *sql, dd_err *err);
/* A prepared statement for sql, cached per connection by the address of the string (pass string
 * literals or other storage that lives as long as the pool), reset and with bindings cleared.
 * Never finalize it. */
DD_WARN_UNUSED int dd_sql_stmt(dd_sql_conn *c, const char *sql, sqlite3_stmt **out, dd_err *err);
/* Steps st: 1 when a row is available, 0 when done, a negative DD_E* code (message in err) on
 * error. On 0 or error the statement is reset. */
int dd_sql_step(dd_sql_conn *c, sqlite3_stmt *st, dd_err *err);
/* Steps st to completion (for INSERT/UPDATE/DELETE): 0 or a negative DD_E* code. */
DD_WARN_UNUSED int dd_sql_run(dd_sql_conn *c, sqlite3_stmt *st, dd_err *err);
/* Rows changed by the last statement on c. */
int64_t dd_sql_changes(dd_sql_conn *c);
int64_t dd_sql_last_rowid(dd_sql_conn *c);

/* Binding helpers (1-based index); text is copied (SQLITE_TRANSIENT); NULL binds SQL NULL. */
void dd_sql_bind_text(sqlite3_stmt *st, int i, const char *v);
void dd_sql_bind_int(sqlite3_stmt *st, int i, int64_t v);
void dd_sql_bind_double(sqlite3_stmt *st, int i, double v);
void dd_sql_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t len);
/* Column text or "" when NULL (borrowed until the next step/reset). */
const char *dd_sql_col_text(sqlite3_stmt *st, int i);

/* Key/value settings shared by the modules (table settings: key TEXT PRIMARY KEY, value TEXT). */
/* Copies the value into a new string (*out, free with dd_free); DD_ENOTFOUND when unset. */
DD_WARN_UNUSED int dd_sql_setting_get(dd_sql_conn *c, const char *key, char **out, dd_err *err);
DD_WARN_UNUSED int dd_sql_setting_put(dd_sql_conn *c, const char *key, const char *value,
                                      dd_err *err);

#endif
