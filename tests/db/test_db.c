/* Tests for the metadata store (src/db): the SQLite backend against the contract in db.h. Each test
 * gets a fresh database in a mkdtemp directory under /tmp. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "db/db.h"
#include "util/alloc.h"
#include "util/digest.h"

typedef struct fixture {
    char dir[64];
    char path[128];
    dd_db *db;
} fixture;

static int setup(void **state)
{
    fixture *f = dd_calloc(1, sizeof(*f));
    dd_err err = DD_ERR_INIT;
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/dd_test_db_XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof(f->path), "%s/meta.db", f->dir);
    assert_int_equal(dd_db_open_sqlite(&f->db, f->path, &err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    char p[160];
    dd_db_close(f->db);
    const char *suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
    assert_int_equal(rmdir(f->dir), 0);
    dd_free(f);
    return 0;
}

static void reopen(fixture *f)
{
    dd_err err = DD_ERR_INIT;
    dd_db_close(f->db);
    f->db = NULL;
    assert_int_equal(dd_db_open_sqlite(&f->db, f->path, &err), 0);
}

/* A real digest of seed's bytes. */
static void dig(char out[DD_DIGEST_STR_MAX], const char *seed)
{
    assert_int_equal(dd_digest_buf(out, seed, strlen(seed)), 0);
}

/* Runs one integer query against the database file directly (to look behind the API). */
static int64_t raw_int(fixture *f, const char *sql, const char *arg)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
    if (arg != NULL)
        assert_int_equal(sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC), SQLITE_OK);
    int64_t v = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return v;
}

static int put(fixture *f, const char *repo, const char *digest, const char *tag,
               const dd_db_ref *refs, size_t n_refs, int64_t now, dd_err *err)
{
    dd_db_manifest_in m = {.repo = repo,
                           .digest = digest,
                           .media_type = "application/vnd.oci.image.manifest.v1+json",
                           .size = 512,
                           .tag = tag,
                           .refs = refs,
                           .n_refs = n_refs,
                           .now_ms = now};
    return dd_db_manifest_put(f->db, &m, err);
}

/* Links a config and a layer to repo and stores a manifest using them. */
static void put_image(fixture *f, const char *repo, const char *seed, const char *tag, int64_t now,
                      char digest_out[DD_DIGEST_STR_MAX])
{
    char cfg[DD_DIGEST_STR_MAX], layer[DD_DIGEST_STR_MAX], name[128];
    dd_err err = DD_ERR_INIT;
    snprintf(name, sizeof(name), "%s-config", seed);
    dig(cfg, name);
    snprintf(name, sizeof(name), "%s-layer", seed);
    dig(layer, name);
    dig(digest_out, seed);
    assert_int_equal(dd_db_blob_link(f->db, repo, cfg, 100, now, &err), 0);
    assert_int_equal(dd_db_blob_link(f->db, repo, layer, 2000, now, &err), 0);
    dd_db_ref refs[] = {{cfg, DD_REF_BLOB}, {layer, DD_REF_BLOB}};
    assert_int_equal(put(f, repo, digest_out, tag, refs, 2, now, &err), 0);
}

static void test_schema(void **state)
{
    fixture *f = *state;
    assert_int_equal(raw_int(f, "PRAGMA user_version", NULL), 1);
    sqlite3 *h = NULL;
    char *msg = NULL;
    reopen(f); /* opening an up-to-date database migrates nothing */
    assert_int_equal(raw_int(f, "PRAGMA user_version", NULL), 1);
    dd_db_close(f->db);
    f->db = NULL;
    assert_int_equal(sqlite3_open_v2(f->path, &h, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, &msg), SQLITE_OK);
    sqlite3_close(h);
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_db_open_sqlite(&f->db, f->path, &err), DD_EDB);
    assert_null(f->db);
    assert_non_null(strstr(err.msg, "newer"));

    /* SQLite failures map to DD_EDB with SQLite's message. */
    char p[200];
    snprintf(p, sizeof(p), "%s/no/such/dir/x.db", f->dir);
    assert_int_equal(dd_db_open_sqlite(&f->db, p, &err), DD_EDB);
    assert_null(f->db);
    assert_non_null(strstr(err.msg, "unable to open"));
    snprintf(p, sizeof(p), "%s/garbage.db", f->dir);
    FILE *fp = fopen(p, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is not a database file\n", fp);
    fclose(fp);
    assert_int_equal(dd_db_open_sqlite(&f->db, p, &err), DD_EDB);
    assert_null(f->db);
    assert_non_null(strstr(err.msg, "not a database"));
    unlink(p);
}

static void test_blob_link_get_unlink(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char d[DD_DIGEST_STR_MAX];
    uint64_t size = 0;
    dig(d, "blob");

    assert_int_equal(dd_db_repo_exists(f->db, "lib/a", &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_blob_get(f->db, "lib/a", d, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_blob_link(f->db, "lib/a", d, 1234, 10, &err), 0);
    assert_int_equal(dd_db_repo_exists(f->db, "lib/a", &err), 0);
    assert_int_equal(dd_db_blob_link(f->db, "lib/a", d, 1234, 20, &err), 0); /* idempotent */
    assert_int_equal(dd_db_blob_get(f->db, "lib/a", d, &size, &err), 0);
    assert_int_equal(size, 1234);
    /* Not visible in another repository until linked there. */
    assert_int_equal(dd_db_blob_get(f->db, "lib/b", d, &size, &err), DD_ENOTFOUND);
    assert_non_null(strstr(err.msg, d));
    assert_int_equal(dd_db_blob_link(f->db, "lib/b", d, 1234, 30, &err), 0);

    assert_int_equal(dd_db_blob_unlink(f->db, "lib/a", d, &err), 0);
    assert_int_equal(dd_db_blob_get(f->db, "lib/a", d, &size, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_blob_unlink(f->db, "lib/a", d, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_blob_unlink(f->db, "nope", d, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_blob_get(f->db, "lib/b", d, &size, &err), 0);
    assert_int_equal(dd_db_repo_exists(f->db, "lib/a", &err), 0); /* still exists */
    assert_int_equal(dd_db_blob_link(f->db, "lib/a", d, UINT64_MAX, 40, &err), DD_EINVALID);
}

static void test_manifest_put_get(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char m[DD_DIGEST_STR_MAX], got[DD_DIGEST_STR_MAX], cfg[DD_DIGEST_STR_MAX];
    dd_db_manifest out;

    put_image(f, "app", "img1", "latest", 1000, m);
    assert_int_equal(dd_db_repo_exists(f->db, "app", &err), 0);
    assert_int_equal(dd_db_manifest_get(f->db, "app", m, &out, &err), 0);
    assert_string_equal(out.digest, m);
    assert_string_equal(out.media_type, "application/vnd.oci.image.manifest.v1+json");
    assert_null(out.artifact_type);
    assert_null(out.subject);
    assert_null(out.annotations_json);
    assert_int_equal(out.size, 512);
    assert_int_equal(out.pushed_at_ms, 1000);
    assert_int_equal(out.last_pulled_at_ms, 0);
    dd_db_manifest_free(&out);
    dd_db_manifest_free(NULL);

    assert_int_equal(dd_db_tag_get(f->db, "app", "latest", got, sizeof(got), &err), 0);
    assert_string_equal(got, m);
    assert_int_equal(dd_db_tag_get(f->db, "app", "latest", got, 10, &err), DD_ELIMIT);
    assert_int_equal(dd_db_tag_get(f->db, "app", "other", got, sizeof(got), &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_manifest_get(f->db, "other", m, &out, &err), DD_ENOTFOUND);
    /* The manifest's own bytes are recorded as a blob of the manifest's size. */
    assert_int_equal(raw_int(f, "SELECT size FROM blobs WHERE digest = ?", m), 512);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM manifest_refs WHERE manifest_digest = ?", m),
                     2);

    /* Pushed by digest: no tag; annotations, subject and artifact type round-trip. */
    dig(cfg, "img1-config");
    dd_db_ref ref = {cfg, DD_REF_BLOB};
    dig(m, "by-digest");
    dd_db_manifest_in in = {.repo = "app",
                            .digest = m,
                            .media_type = "application/vnd.oci.image.manifest.v1+json",
                            .artifact_type = "application/vnd.example",
                            .subject = got,
                            .annotations_json = "{\"a\":\"b\"}",
                            .size = 77,
                            .refs = &ref,
                            .n_refs = 1,
                            .now_ms = 2000};
    assert_int_equal(dd_db_manifest_put(f->db, &in, &err), 0);
    assert_int_equal(dd_db_manifest_get(f->db, "app", m, &out, &err), 0);
    assert_string_equal(out.artifact_type, "application/vnd.example");
    assert_string_equal(out.subject, got);
    assert_string_equal(out.annotations_json, "{\"a\":\"b\"}");
    assert_int_equal(out.size, 77);
    dd_db_manifest_free(&out);
}

static void test_manifest_put_missing_ref(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char m[DD_DIGEST_STR_MAX], cfg[DD_DIGEST_STR_MAX], layer[DD_DIGEST_STR_MAX], got[80];
    dd_db_manifest out;
    dig(m, "m");
    dig(cfg, "cfg");
    dig(layer, "layer");

    /* Fresh repository, missing blob: nothing at all is created. */
    dd_db_ref refs[] = {{cfg, DD_REF_BLOB}, {layer, DD_REF_BLOB}};
    assert_int_equal(put(f, "fresh", m, "v1", refs, 2, 100, &err), DD_ENOTFOUND);
    assert_int_equal(err.code, DD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "blob"));
    assert_non_null(strstr(err.msg, cfg));
    assert_int_equal(dd_db_repo_exists(f->db, "fresh", &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_manifest_get(f->db, "fresh", m, &out, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_tag_get(f->db, "fresh", "v1", got, sizeof(got), &err), DD_ENOTFOUND);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM blobs WHERE digest = ?", m), 0);

    /* First ref present, second missing: the message names the second. */
    assert_int_equal(dd_db_blob_link(f->db, "fresh", cfg, 10, 100, &err), 0);
    assert_int_equal(put(f, "fresh", m, "v1", refs, 2, 100, &err), DD_ENOTFOUND);
    assert_non_null(strstr(err.msg, layer));
    assert_int_equal(dd_db_manifest_get(f->db, "fresh", m, &out, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_tag_get(f->db, "fresh", "v1", got, sizeof(got), &err), DD_ENOTFOUND);

    /* An index whose child manifest is missing. A blob with that digest does not count. */
    char child[DD_DIGEST_STR_MAX], idx[DD_DIGEST_STR_MAX];
    put_image(f, "multi", "child-a", NULL, 100, child);
    dd_db_ref iref[] = {{child, DD_REF_MANIFEST}, {cfg, DD_REF_MANIFEST}};
    assert_int_equal(dd_db_blob_link(f->db, "multi", cfg, 10, 100, &err), 0);
    dig(idx, "index");
    assert_int_equal(put(f, "multi", idx, "latest", iref, 2, 100, &err), DD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "manifest"));
    assert_non_null(strstr(err.msg, cfg));
    assert_int_equal(dd_db_manifest_get(f->db, "multi", idx, &out, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_tag_get(f->db, "multi", "latest", got, sizeof(got), &err), DD_ENOTFOUND);
    assert_int_equal(put(f, "multi", idx, "latest", iref, 1, 100, &err), 0);
    assert_int_equal(dd_db_tag_get(f->db, "multi", "latest", got, sizeof(got), &err), 0);
    assert_string_equal(got, idx);
}

static void test_tag_move_and_repush(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char m1[DD_DIGEST_STR_MAX], m2[DD_DIGEST_STR_MAX], got[DD_DIGEST_STR_MAX];
    dd_db_manifest out;

    put_image(f, "app", "one", "latest", 1000, m1);
    put_image(f, "app", "two", "latest", 2000, m2);
    assert_int_equal(dd_db_tag_get(f->db, "app", "latest", got, sizeof(got), &err), 0);
    assert_string_equal(got, m2);
    assert_int_equal(dd_db_manifest_get(f->db, "app", m1, &out, &err), 0); /* still there */
    dd_db_manifest_free(&out);

    /* Re-push of m1 (tagging it v1 and moving latest back) keeps its first pushed_at. */
    assert_int_equal(put(f, "app", m1, "v1", NULL, 0, 5000, &err), 0);
    assert_int_equal(put(f, "app", m1, "latest", NULL, 0, 6000, &err), 0);
    assert_int_equal(dd_db_manifest_get(f->db, "app", m1, &out, &err), 0);
    assert_int_equal(out.pushed_at_ms, 1000);
    dd_db_manifest_free(&out);
    assert_int_equal(dd_db_tag_get(f->db, "app", "latest", got, sizeof(got), &err), 0);
    assert_string_equal(got, m1);
    assert_int_equal(dd_db_tag_get(f->db, "app", "v1", got, sizeof(got), &err), 0);
    assert_string_equal(got, m1);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM manifest_refs WHERE manifest_digest = ?", m1),
                     2);
}

static void test_record_pull(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char m[DD_DIGEST_STR_MAX], other[DD_DIGEST_STR_MAX];
    dd_db_manifest out;
    put_image(f, "app", "pull", NULL, 1000, m);

    struct {
        int64_t now, expect;
    } steps[] = {{10000, 10000}, {10500, 10000}, {10999, 10000},
                 {11000, 11000}, {11100, 11000}, {5000, 5000} /* clock went back far: rewrite */};
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        assert_int_equal(dd_db_manifest_record_pull(f->db, "app", m, steps[i].now, 1000, &err), 0);
        assert_int_equal(dd_db_manifest_get(f->db, "app", m, &out, &err), 0);
        assert_int_equal(out.last_pulled_at_ms, steps[i].expect);
        dd_db_manifest_free(&out);
    }
    /* Granularity 0 records every pull. */
    assert_int_equal(dd_db_manifest_record_pull(f->db, "app", m, 5001, 0, &err), 0);
    assert_int_equal(dd_db_manifest_get(f->db, "app", m, &out, &err), 0);
    assert_int_equal(out.last_pulled_at_ms, 5001);
    dd_db_manifest_free(&out);
    dig(other, "absent");
    assert_int_equal(dd_db_manifest_record_pull(f->db, "app", other, 1, 0, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_manifest_record_pull(f->db, "nope", m, 1, 0, &err), DD_ENOTFOUND);
}

static void test_manifest_delete(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char m1[DD_DIGEST_STR_MAX], m2[DD_DIGEST_STR_MAX], got[DD_DIGEST_STR_MAX];
    dd_db_manifest out;
    dd_strlist tags = DD_STRLIST_INIT;

    put_image(f, "app", "one", "a", 1000, m1);
    assert_int_equal(put(f, "app", m1, "b", NULL, 0, 1000, &err), 0);
    put_image(f, "app", "two", "c", 1000, m2);

    assert_int_equal(dd_db_manifest_delete(f->db, "app", m1, &err), 0);
    assert_int_equal(dd_db_manifest_get(f->db, "app", m1, &out, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_tag_get(f->db, "app", "a", got, sizeof(got), &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_tag_get(f->db, "app", "b", got, sizeof(got), &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_tag_get(f->db, "app", "c", got, sizeof(got), &err), 0);
    assert_string_equal(got, m2);
    assert_int_equal(dd_db_tag_list(f->db, "app", NULL, 100, &tags, &err), 0);
    assert_int_equal(tags.n, 1);
    assert_string_equal(tags.items[0], "c");
    dd_strlist_free(&tags);
    assert_int_equal(raw_int(f, "SELECT count(*) FROM manifest_refs WHERE manifest_digest = ?", m1),
                     0);
    assert_int_equal(dd_db_manifest_delete(f->db, "app", m1, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_manifest_delete(f->db, "nope", m1, &err), DD_ENOTFOUND);
    /* Its blobs stay linked. */
    char cfg[DD_DIGEST_STR_MAX];
    uint64_t size;
    dig(cfg, "one-config");
    assert_int_equal(dd_db_blob_get(f->db, "app", cfg, &size, &err), 0);
}

static void test_tag_delete(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char m[DD_DIGEST_STR_MAX], got[DD_DIGEST_STR_MAX];
    dd_db_manifest out;

    put_image(f, "app", "one", "v1", 1000, m);
    assert_int_equal(dd_db_tag_delete(f->db, "app", "v1", &err), 0);
    assert_int_equal(dd_db_tag_get(f->db, "app", "v1", got, sizeof(got), &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_manifest_get(f->db, "app", m, &out, &err), 0);
    dd_db_manifest_free(&out);
    assert_int_equal(dd_db_tag_delete(f->db, "app", "v1", &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_tag_delete(f->db, "nope", "v1", &err), DD_ENOTFOUND);
}

static void expect_list(const dd_strlist *l, const char *const *want, size_t n)
{
    assert_int_equal(l->n, n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(l->items[i], want[i]);
}

static void test_tag_list(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char m[DD_DIGEST_STR_MAX];
    dd_strlist l = DD_STRLIST_INIT;
    const char *names[] = {"v1.0", "b", "latest", "a-1", "B", "a", "_x"};
    const char *sorted[] = {"B", "_x", "a", "a-1", "b", "latest", "v1.0"};

    assert_int_equal(dd_db_tag_list(f->db, "app", NULL, 10, &l, &err), DD_ENOTFOUND);
    put_image(f, "app", "img", NULL, 1000, m);
    assert_int_equal(dd_db_tag_list(f->db, "app", NULL, 10, &l, &err), 0); /* exists, no tags */
    assert_int_equal(l.n, 0);
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(put(f, "app", m, names[i], NULL, 0, 1000, &err), 0);

    assert_int_equal(dd_db_tag_list(f->db, "app", NULL, 100, &l, &err), 0);
    expect_list(&l, sorted, 7);
    dd_strlist_free(&l);
    assert_int_equal(dd_db_tag_list(f->db, "app", NULL, 3, &l, &err), 0);
    expect_list(&l, sorted, 3);
    dd_strlist_free(&l);
    assert_int_equal(dd_db_tag_list(f->db, "app", "a", 3, &l, &err), 0);
    expect_list(&l, sorted + 3, 3);
    dd_strlist_free(&l);
    assert_int_equal(dd_db_tag_list(f->db, "app", "latest", 3, &l, &err), 0);
    expect_list(&l, sorted + 6, 1);
    dd_strlist_free(&l);
    assert_int_equal(dd_db_tag_list(f->db, "app", "zzz", 3, &l, &err), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(dd_db_tag_list(f->db, "app", "a-0", 1, &l, &err), 0); /* last not a tag */
    expect_list(&l, sorted + 3, 1);
    dd_strlist_free(&l);
    assert_int_equal(dd_db_tag_list(f->db, "app", NULL, 0, &l, &err), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(dd_db_tag_list(f->db, "other", NULL, 10, &l, &err), DD_ENOTFOUND);
    dd_strlist_free(&l);
}

static void test_repo_list(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char d[DD_DIGEST_STR_MAX];
    dd_strlist l = DD_STRLIST_INIT;
    const char *names[] = {"team/app/web", "team/app", "alpha", "team/app/api", "team-app", "Zed"};
    const char *sorted[] = {"Zed", "alpha", "team-app", "team/app", "team/app/api", "team/app/web"};

    assert_int_equal(dd_db_repo_list(f->db, NULL, 10, &l, &err), 0);
    assert_int_equal(l.n, 0);
    dig(d, "x");
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(dd_db_blob_link(f->db, names[i], d, 1, 1, &err), 0);
    assert_int_equal(dd_db_repo_list(f->db, NULL, 100, &l, &err), 0);
    expect_list(&l, sorted, 6);
    dd_strlist_free(&l);
    assert_int_equal(dd_db_repo_list(f->db, NULL, 2, &l, &err), 0);
    expect_list(&l, sorted, 2);
    dd_strlist_free(&l);
    assert_int_equal(dd_db_repo_list(f->db, "alpha", 2, &l, &err), 0);
    expect_list(&l, sorted + 2, 2);
    dd_strlist_free(&l);
    assert_int_equal(dd_db_repo_list(f->db, "team/app", 10, &l, &err), 0);
    expect_list(&l, sorted + 4, 2);
    dd_strlist_free(&l);
    assert_int_equal(dd_db_repo_list(f->db, "team/app/web", 10, &l, &err), 0);
    assert_int_equal(l.n, 0);
    /* Appends to what the list already holds. */
    assert_int_equal(dd_strlist_push_str(&l, "keep"), 0);
    assert_int_equal(dd_db_repo_list(f->db, "team-app", 1, &l, &err), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.items[0], "keep");
    assert_string_equal(l.items[1], "team/app");
    dd_strlist_free(&l);
}

static void test_referrers(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char subj[DD_DIGEST_STR_MAX], r[3][DD_DIGEST_STR_MAX];
    const char *types[] = {"application/vnd.example.sig", "application/vnd.example.sbom", NULL};
    dd_db_manifest *out = NULL;
    size_t n = 99;

    /* Referrers may arrive before their subject. */
    dig(subj, "subject");
    for (int i = 0; i < 3; i++) {
        char seed[16];
        snprintf(seed, sizeof(seed), "ref%d", i);
        dig(r[i], seed);
        dd_db_manifest_in in = {.repo = "app",
                                .digest = r[i],
                                .media_type = "application/vnd.oci.image.manifest.v1+json",
                                .artifact_type = types[i],
                                .subject = subj,
                                .size = 10,
                                .now_ms = 1};
        assert_int_equal(dd_db_manifest_put(f->db, &in, &err), 0);
        in.repo = "elsewhere";
        assert_int_equal(dd_db_manifest_put(f->db, &in, &err), 0);
    }
    char sorted[3][DD_DIGEST_STR_MAX];
    memcpy(sorted, r, sizeof(r));
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (strcmp(sorted[j], sorted[i]) < 0) {
                char t[DD_DIGEST_STR_MAX];
                memcpy(t, sorted[i], sizeof(t));
                memcpy(sorted[i], sorted[j], sizeof(t));
                memcpy(sorted[j], t, sizeof(t));
            }

    assert_int_equal(dd_db_referrers(f->db, "app", subj, NULL, &out, &n, &err), 0);
    assert_int_equal(n, 3);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(out[i].digest, sorted[i]);
        assert_string_equal(out[i].subject, subj);
        dd_db_manifest_free(&out[i]);
    }
    dd_free(out);

    assert_int_equal(dd_db_referrers(f->db, "app", subj, types[1], &out, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].digest, r[1]);
    assert_string_equal(out[0].artifact_type, types[1]);
    assert_int_equal(out[0].size, 10);
    dd_db_manifest_free(&out[0]);
    dd_free(out);

    assert_int_equal(dd_db_referrers(f->db, "app", subj, "application/none", &out, &n, &err), 0);
    assert_int_equal(n, 0);
    dd_free(out);
    assert_int_equal(dd_db_referrers(f->db, "app", r[0], NULL, &out, &n, &err), 0);
    assert_int_equal(n, 0);
    dd_free(out);
    assert_int_equal(dd_db_referrers(f->db, "nope", subj, NULL, &out, &n, &err), 0);
    assert_int_equal(n, 0);
    dd_free(out);
}

static void test_uploads(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char d[DD_DIGEST_STR_MAX];
    uint64_t size = 0;
    dd_strlist ids = DD_STRLIST_INIT;
    const char *u1 = "11111111-1111-4111-8111-111111111111";
    const char *u2 = "22222222-2222-4222-8222-222222222222";
    const char *u3 = "33333333-3333-4333-8333-333333333333";
    dig(d, "uploaded");

    assert_int_equal(dd_db_upload_create(f->db, u1, "app", 100, &err), 0);
    assert_int_equal(dd_db_upload_create(f->db, u1, "app", 100, &err), DD_EEXIST);
    assert_int_equal(dd_db_upload_get(f->db, u1, "app", &err), 0);
    assert_int_equal(dd_db_upload_get(f->db, u1, "other", &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_upload_get(f->db, u2, "app", &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_upload_touch(f->db, u1, 200, &err), 0);
    assert_int_equal(dd_db_upload_touch(f->db, u2, 200, &err), DD_ENOTFOUND);
    /* Creating a session does not create the repository. */
    assert_int_equal(dd_db_repo_exists(f->db, "app", &err), DD_ENOTFOUND);

    assert_int_equal(dd_db_upload_finish(f->db, u1, "other", d, 42, 300, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_repo_exists(f->db, "other", &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_upload_finish(f->db, u1, "app", d, 42, 300, &err), 0);
    assert_int_equal(dd_db_blob_get(f->db, "app", d, &size, &err), 0);
    assert_int_equal(size, 42);
    assert_int_equal(dd_db_upload_get(f->db, u1, "app", &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_upload_finish(f->db, u1, "app", d, 42, 300, &err), DD_ENOTFOUND);

    /* Sweep takes sessions untouched since the cutoff. */
    assert_int_equal(dd_db_upload_create(f->db, u3, "app", 100, &err), 0);
    assert_int_equal(dd_db_upload_create(f->db, u1, "app", 100, &err), 0);
    assert_int_equal(dd_db_upload_create(f->db, u2, "app", 100, &err), 0);
    assert_int_equal(dd_db_upload_touch(f->db, u2, 500, &err), 0);
    assert_int_equal(dd_db_upload_sweep(f->db, 300, &ids, &err), 0);
    const char *want[] = {u1, u3};
    expect_list(&ids, want, 2);
    dd_strlist_free(&ids);
    assert_int_equal(dd_db_upload_get(f->db, u1, "app", &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_upload_get(f->db, u3, "app", &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_upload_get(f->db, u2, "app", &err), 0);
    assert_int_equal(dd_db_upload_sweep(f->db, 300, &ids, &err), 0);
    assert_int_equal(ids.n, 0);

    assert_int_equal(dd_db_upload_delete(f->db, u2, &err), 0);
    assert_int_equal(dd_db_upload_delete(f->db, u2, &err), DD_ENOTFOUND);
    assert_int_equal(dd_db_upload_get(f->db, u2, "app", &err), DD_ENOTFOUND);
}

static void test_reopen_keeps_everything(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char m[DD_DIGEST_STR_MAX], got[DD_DIGEST_STR_MAX], cfg[DD_DIGEST_STR_MAX];
    dd_db_manifest out;
    dd_strlist l = DD_STRLIST_INIT;
    uint64_t size;
    const char *u = "44444444-4444-4444-8444-444444444444";

    put_image(f, "team/app/api", "img", "v1", 1000, m);
    assert_int_equal(dd_db_manifest_record_pull(f->db, "team/app/api", m, 3000, 1000, &err), 0);
    assert_int_equal(dd_db_upload_create(f->db, u, "team/app/api", 100, &err), 0);
    reopen(f);

    assert_int_equal(dd_db_repo_exists(f->db, "team/app/api", &err), 0);
    assert_int_equal(dd_db_repo_list(f->db, NULL, 10, &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.items[0], "team/app/api");
    dd_strlist_free(&l);
    assert_int_equal(dd_db_tag_get(f->db, "team/app/api", "v1", got, sizeof(got), &err), 0);
    assert_string_equal(got, m);
    assert_int_equal(dd_db_manifest_get(f->db, "team/app/api", m, &out, &err), 0);
    assert_int_equal(out.pushed_at_ms, 1000);
    assert_int_equal(out.last_pulled_at_ms, 3000);
    dd_db_manifest_free(&out);
    dig(cfg, "img-config");
    assert_int_equal(dd_db_blob_get(f->db, "team/app/api", cfg, &size, &err), 0);
    assert_int_equal(size, 100);
    assert_int_equal(dd_db_upload_get(f->db, u, "team/app/api", &err), 0);
}

/* Many threads writing and reading at once: nothing fails with EBUSY or loses a write. */
#define N_THREADS 8
#define N_OPS 25

typedef struct worker {
    dd_db *db;
    int idx;
    int failures;
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    dd_err err = DD_ERR_INIT;
    char repo[32], d[DD_DIGEST_STR_MAX], seed[32], tag[32];
    uint64_t size;
    snprintf(repo, sizeof(repo), "conc/%d", w->idx % 2);
    for (int i = 0; i < N_OPS; i++) {
        snprintf(seed, sizeof(seed), "%d-%d", w->idx, i);
        snprintf(tag, sizeof(tag), "t%d-%d", w->idx, i);
        if (dd_digest_buf(d, seed, strlen(seed)) != 0 ||
            dd_db_blob_link(w->db, repo, d, (uint64_t)i, i, &err) != 0 ||
            dd_db_blob_get(w->db, repo, d, &size, &err) != 0 || size != (uint64_t)i)
            w->failures++;
        dd_db_ref ref = {d, DD_REF_BLOB};
        dd_db_manifest_in m = {.repo = repo,
                               .digest = d,
                               .media_type = "x",
                               .size = (uint64_t)i,
                               .tag = tag,
                               .refs = &ref,
                               .n_refs = 1,
                               .now_ms = i};
        if (dd_db_manifest_put(w->db, &m, &err) != 0 ||
            dd_db_manifest_record_pull(w->db, repo, d, i, 0, &err) != 0)
            w->failures++;
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    fixture *f = *state;
    pthread_t th[N_THREADS];
    worker w[N_THREADS];
    dd_err err = DD_ERR_INIT;
    dd_strlist l = DD_STRLIST_INIT;
    for (int i = 0; i < N_THREADS; i++) {
        w[i] = (worker){f->db, i, 0};
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < N_THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
    assert_int_equal(dd_db_tag_list(f->db, "conc/0", NULL, 1000, &l, &err), 0);
    assert_int_equal(l.n, N_THREADS / 2 * N_OPS);
    dd_strlist_free(&l);
}

/* dd_db_open picks the backend from the location: plain paths and sqlite: URLs are SQLite;
 * PostgreSQL and other schemes are refused without echoing the URL. */
static void test_open_url(void **state)
{
    fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char url[256], d[DD_DIGEST_STR_MAX];
    dd_db *db = NULL;
    uint64_t size = 0;
    dd_db_manifest m;
    dig(d, "via-url");

    /* A plain path is the same database as dd_db_open_sqlite; every call dispatches to it. */
    assert_int_equal(dd_db_open(&db, f->path, &err), 0);
    assert_non_null(db);
    assert_int_equal(dd_db_blob_link(db, "url/a", d, 77, 1, &err), 0);
    assert_int_equal(dd_db_blob_get(f->db, "url/a", d, &size, &err), 0);
    assert_int_equal(size, 77);
    assert_int_equal(dd_db_manifest_get(db, "url/a", d, &m, &err), DD_ENOTFOUND);
    dd_db_close(db);
    db = NULL;

    /* sqlite:PATH and sqlite://PATH (here sqlite:///tmp/...), scheme case-insensitive. */
    const char *prefixes[] = {"sqlite:", "sqlite://", "SQLite:"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(url, sizeof(url), "%s%s", prefixes[i], f->path);
        assert_int_equal(dd_db_open(&db, url, &err), 0);
        assert_int_equal(dd_db_blob_get(db, "url/a", d, &size, &err), 0);
        dd_db_close(db);
        db = NULL;
    }
    /* SQLite's own failures come through unchanged. */
    snprintf(url, sizeof(url), "sqlite:%s/no/such/dir/x.db", f->dir);
    assert_int_equal(dd_db_open(&db, url, &err), DD_EDB);
    assert_non_null(strstr(err.msg, "dd_db_open_sqlite: "));
    assert_null(db);

    /* PostgreSQL is not built in yet; the message names no part of the URL after the scheme. */
    db = (dd_db *)&err; /* must be reset to NULL on failure */
    dd_err_clear(&err);
    assert_int_equal(dd_db_open(&db, "postgres://drydock:hunter2@pg.internal/registry", &err),
                     DD_EUNSUPPORTED);
    assert_null(db);
    assert_int_equal(err.code, DD_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "PostgreSQL"));
    assert_non_null(strstr(err.msg, "not built in"));
    assert_null(strstr(err.msg, "hunter2"));
    assert_null(strstr(err.msg, "pg.internal"));
    assert_int_equal(dd_db_open(&db, "postgresql://localhost/registry", &err), DD_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "PostgreSQL"));
    assert_int_equal(dd_db_open(&db, "mysql://localhost/registry", &err), DD_EUNSUPPORTED);
    assert_non_null(strstr(err.msg, "\"mysql\""));
    assert_int_equal(dd_db_open(&db, "file:meta.db", &err), DD_EUNSUPPORTED);
    assert_null(db);

    /* Malformed locations. */
    assert_int_equal(dd_db_open(&db, "", &err), DD_EINVALID);
    assert_int_equal(dd_db_open(&db, NULL, &err), DD_EINVALID);
    assert_int_equal(dd_db_open(&db, "sqlite:", &err), DD_EINVALID);
    assert_int_equal(dd_db_open(&db, "sqlite://", &err), DD_EINVALID);
    assert_null(db);
    dd_db_close(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_blob_link_get_unlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_put_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_put_missing_ref, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tag_move_and_repush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record_pull, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tag_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tag_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_repo_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_referrers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uploads, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reopen_keeps_everything, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_open_url, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
