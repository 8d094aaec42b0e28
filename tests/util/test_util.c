/* Tests for src/util/: bounded buffers and JSON escaping, checked allocation arithmetic, error
 * details and errno mapping, digest validation and hashing, string lists, time formatting, the
 * table-driven config parser and structured logging (escaping, JSON output, level filtering). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/alloc.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/config.h"
#include "util/digest.h"
#include "util/err.h"
#include "util/limits.h"
#include "util/log.h"
#include "util/strlist.h"

#define SHA256_ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define SHA256_AB "sha256:fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603"
#define SHA256_EMPTY "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* ---- buf ---- */

static void test_buf_append(void **state)
{
    (void)state;
    dd_buf b = DD_BUF_INIT(1024);
    assert_int_equal(dd_buf_append(&b, "hello", 5), 0);
    assert_int_equal(dd_buf_append_str(&b, ", world"), 0);
    assert_int_equal(b.len, 12);
    assert_string_equal(b.data, "hello, world");
    assert_true(b.cap > b.len); /* room for the terminator */
    /* embedded NUL bytes are data, not terminators */
    assert_int_equal(dd_buf_append(&b, "a\0b", 3), 0);
    assert_int_equal(b.len, 15);
    assert_memory_equal(b.data + 12, "a\0b", 3);
    assert_int_equal(b.data[15], '\0');
    /* growing across many reallocations keeps earlier bytes */
    dd_buf big;
    dd_buf_init(&big, 1 << 20);
    for (int i = 0; i < 10000; i++) {
        char c = (char)('a' + i % 26);
        assert_int_equal(dd_buf_append(&big, &c, 1), 0);
    }
    assert_int_equal(big.len, 10000);
    for (int i = 0; i < 10000; i++)
        assert_int_equal(big.data[i], 'a' + i % 26);
    assert_int_equal(big.data[10000], '\0');
    dd_buf_free(&big);
    assert_null(big.data);
    assert_int_equal(big.len, 0);
    dd_buf_free(&b);
}

static void test_buf_limit(void **state)
{
    (void)state;
    dd_buf b = DD_BUF_INIT(8);
    assert_int_equal(dd_buf_append(&b, "12345", 5), 0);
    assert_int_equal(dd_buf_append(&b, "6789", 4), DD_ELIMIT);
    assert_int_equal(b.len, 5);
    assert_string_equal(b.data, "12345");
    /* exactly max is allowed */
    assert_int_equal(dd_buf_append(&b, "678", 3), 0);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    assert_int_equal(dd_buf_append(&b, "9", 1), DD_ELIMIT);
    assert_int_equal(dd_buf_printf(&b, "%d", 9), DD_ELIMIT);
    assert_int_equal(dd_buf_append_json_escaped(&b, "x", 1), DD_ELIMIT);
    assert_int_equal(b.len, 8);
    assert_string_equal(b.data, "12345678");
    /* a size_t-overflowing length is a limit error, not a wrap-around */
    assert_int_equal(dd_buf_append(&b, "x", SIZE_MAX), DD_ELIMIT);
    assert_string_equal(b.data, "12345678");
    /* an empty append at the limit is fine */
    assert_int_equal(dd_buf_append(&b, "", 0), 0);
    dd_buf_free(&b);

    dd_buf z = DD_BUF_INIT(0);
    assert_int_equal(dd_buf_append(&z, "a", 1), DD_ELIMIT);
    assert_int_equal(z.len, 0);
    dd_buf_free(&z);
}

static void test_buf_printf(void **state)
{
    (void)state;
    dd_buf b = DD_BUF_INIT(4096);
    assert_int_equal(dd_buf_printf(&b, "%d-%s", 42, "x"), 0);
    assert_string_equal(b.data, "42-x");
    assert_int_equal(dd_buf_printf(&b, "|%05u|%c", 7u, 'z'), 0);
    assert_string_equal(b.data, "42-x|00007|z");
    assert_int_equal(b.len, strlen("42-x|00007|z"));
    /* longer than the first allocation */
    assert_int_equal(dd_buf_printf(&b, "%300s", "r"), 0);
    assert_int_equal(b.len, 12 + 300);
    assert_int_equal(b.data[b.len - 1], 'r');
    assert_int_equal(b.data[12], ' ');
    assert_int_equal(b.data[b.len], '\0');
    /* over the limit: nothing is written */
    dd_buf s = DD_BUF_INIT(10);
    assert_int_equal(dd_buf_printf(&s, "%s", "abcdef"), 0);
    assert_int_equal(dd_buf_printf(&s, "%s", "ghijk"), DD_ELIMIT);
    assert_int_equal(s.len, 6);
    assert_string_equal(s.data, "abcdef");
    assert_int_equal(dd_buf_printf(&s, "%s", "ghij"), 0);
    assert_string_equal(s.data, "abcdefghij");
    dd_buf_free(&s);
    dd_buf_free(&b);
}

static void test_buf_take_reset(void **state)
{
    (void)state;
    dd_buf b = DD_BUF_INIT(100);
    char *empty = dd_buf_take(&b);
    assert_non_null(empty);
    assert_string_equal(empty, "");
    dd_free(empty);

    assert_int_equal(dd_buf_append_str(&b, "first"), 0);
    char *p = dd_buf_take(&b);
    assert_string_equal(p, "first");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    assert_int_equal(b.max, 100);
    /* still usable, and independent of the taken string */
    assert_int_equal(dd_buf_append_str(&b, "second"), 0);
    assert_string_equal(b.data, "second");
    assert_string_equal(p, "first");
    dd_free(p);

    size_t cap = b.cap;
    dd_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    assert_int_equal(b.cap, cap);
    assert_int_equal(dd_buf_append_str(&b, "third"), 0);
    assert_string_equal(b.data, "third");
    dd_buf_free(&b);

    dd_buf n = DD_BUF_INIT(10);
    dd_buf_reset(&n); /* reset of a never-used buffer is harmless */
    assert_null(n.data);
    assert_int_equal(n.len, 0);
}

static void test_buf_json_escape(void **state)
{
    (void)state;
    dd_buf b = DD_BUF_INIT(1024);
    static const char in[] = "q\"b\\n\nr\rt\t\x01\x1f\x7f"
                             "\xc3\xa9/\0z";
    assert_int_equal(dd_buf_append_json_escaped(&b, in, sizeof(in) - 1), 0);
    assert_string_equal(b.data, "q\\\"b\\\\n\\nr\\rt\\t\\u0001\\u001f\\u007f\xc3\xa9/\\u0000z");
    /* the result is a valid JSON string body that decodes back to the input */
    char *doc = dd_asprintf("[\"%s\"]", b.data);
    json_error_t jerr;
    json_t *j = json_loads(doc, JSON_ALLOW_NUL, &jerr);
    assert_non_null(j);
    json_t *s = json_array_get(j, 0);
    assert_int_equal(json_string_length(s), sizeof(in) - 1);
    assert_memory_equal(json_string_value(s), in, sizeof(in) - 1);
    json_decref(j);
    dd_free(doc);
    /* plain text goes through untouched */
    dd_buf_reset(&b);
    assert_int_equal(dd_buf_append_json_escaped(&b, "plain text 123", 14), 0);
    assert_string_equal(b.data, "plain text 123");
    /* only len bytes are read */
    dd_buf_reset(&b);
    assert_int_equal(dd_buf_append_json_escaped(&b, "ab\"cd", 2), 0);
    assert_string_equal(b.data, "ab");
    dd_buf_free(&b);
}

/* ---- alloc ---- */

static void test_alloc_checked_math(void **state)
{
    (void)state;
    size_t out = 12345;
    assert_true(dd_add_size(&out, 2, 3));
    assert_int_equal(out, 5);
    assert_true(dd_add_size(&out, SIZE_MAX - 1, 1));
    assert_true(out == SIZE_MAX);
    /* Overflow is reported and leaves out untouched. */
    out = 777;
    assert_false(dd_add_size(&out, SIZE_MAX, 1));
    assert_int_equal(out, 777);
    assert_false(dd_mul_size(&out, SIZE_MAX, 2));
    assert_int_equal(out, 777);
    assert_false(dd_add_size(&out, SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1));
    assert_false(dd_add_size(&out, 1, SIZE_MAX));

    assert_true(dd_mul_size(&out, 6, 7));
    assert_int_equal(out, 42);
    assert_true(dd_mul_size(&out, SIZE_MAX, 1));
    assert_true(out == SIZE_MAX);
    assert_true(dd_mul_size(&out, SIZE_MAX, 0));
    assert_int_equal(out, 0);
    assert_false(dd_mul_size(&out, SIZE_MAX / 2 + 1, 2));
    size_t half = (size_t)1 << (sizeof(size_t) * 4);
    assert_false(dd_mul_size(&out, half, half));
    assert_true(dd_mul_size(&out, half, half - 1));
    assert_true(out == half * (half - 1));

    /* the array allocators refuse an overflowing count instead of allocating a short block */
    assert_null(dd_mallocarray(SIZE_MAX / 2 + 1, 2));
    void *p = dd_mallocarray(4, 8);
    assert_non_null(p);
    assert_null(dd_reallocarray(p, SIZE_MAX / 4 + 1, 8));
    void *q = dd_reallocarray(p, 8, 8); /* p is still ours after the refused realloc */
    assert_non_null(q);
    dd_free(q);
    void *z = dd_malloc(0); /* never NULL for a zero size */
    assert_non_null(z);
    dd_free(z);
    dd_free(NULL);
}

static void test_alloc_strings(void **state)
{
    (void)state;
    /* an unterminated heap block: ASan catches any read past it */
    char *raw = malloc(4);
    assert_non_null(raw);
    memcpy(raw, "abcd", 4);
    char *s = dd_strndup(raw, 4);
    assert_string_equal(s, "abcd");
    dd_free(s);
    s = dd_strndup(raw, 2);
    assert_string_equal(s, "ab");
    dd_free(s);
    s = dd_strndup(raw, 0);
    assert_string_equal(s, "");
    dd_free(s);
    free(raw);
    /* len+1 overflows: refused */
    assert_null(dd_strndup("x", SIZE_MAX));

    s = dd_strdup("copy me");
    assert_string_equal(s, "copy me");
    dd_free(s);

    s = dd_asprintf("%s-%d-%05.1f", "x", 42, 3.5);
    assert_string_equal(s, "x-42-003.5");
    dd_free(s);
    s = dd_asprintf("%s", "");
    assert_string_equal(s, "");
    dd_free(s);
    s = dd_asprintf("%2000d|", 1);
    assert_int_equal(strlen(s), 2001);
    assert_int_equal(s[1998], ' ');
    assert_string_equal(s + 1999, "1|");
    dd_free(s);
}

/* ---- err ---- */

static void test_err_set(void **state)
{
    (void)state;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_err_set(&err, DD_EINVALID, "bad %s at %d", "thing", 7), DD_EINVALID);
    assert_int_equal(err.code, DD_EINVALID);
    assert_int_equal(err.offset, 0);
    assert_string_equal(err.msg, "bad thing at 7");

    assert_int_equal(dd_err_set_at(&err, DD_ELIMIT, 123, "too %s", "big"), DD_ELIMIT);
    assert_int_equal(err.code, DD_ELIMIT);
    assert_int_equal(err.offset, 123);
    assert_string_equal(err.msg, "too big");

    /* a NULL err is allowed and still returns the code */
    assert_int_equal(dd_err_set(NULL, DD_EIO, "x"), DD_EIO);
    assert_int_equal(dd_err_set_at(NULL, DD_ERANGE, 5, "x"), DD_ERANGE);

    /* long messages are truncated and stay terminated */
    char longs[600];
    memset(longs, 'm', sizeof(longs) - 1);
    longs[sizeof(longs) - 1] = '\0';
    dd_err_set(&err, DD_EIO, "%s", longs);
    assert_int_equal(strlen(err.msg), DD_ERR_MSG_MAX - 1);
    assert_int_equal(err.msg[0], 'm');

    dd_err_clear(&err);
    assert_int_equal(err.code, 0);
    assert_int_equal(err.offset, 0);
    assert_string_equal(err.msg, "");
    dd_err_clear(NULL);

    assert_string_equal(dd_strerror(DD_OK), "OK");
    assert_string_equal(dd_strerror(DD_ENOMEM), "ENOMEM");
    assert_string_equal(dd_strerror(DD_EUNSUPPORTED), "EUNSUPPORTED");
    assert_string_equal(dd_strerror(DD_ECONFLICT), "ECONFLICT");
    assert_string_equal(dd_strerror(-999), "EUNKNOWN");
}

static void test_err_errno(void **state)
{
    (void)state;
    dd_err err = DD_ERR_INIT;
    char want[DD_ERR_MSG_MAX];

    assert_int_equal(dd_err_errno(&err, ENOENT, "open /x"), DD_ENOTFOUND);
    assert_int_equal(err.code, DD_ENOTFOUND);
    snprintf(want, sizeof(want), "open /x: %s", strerror(ENOENT));
    assert_string_equal(err.msg, want);

    assert_int_equal(dd_err_errno(&err, EEXIST, "mkdir d"), DD_EEXIST);
    assert_int_equal(err.code, DD_EEXIST);
    snprintf(want, sizeof(want), "mkdir d: %s", strerror(EEXIST));
    assert_string_equal(err.msg, want);

    assert_int_equal(dd_err_errno(&err, ENOMEM, "mmap"), DD_ENOMEM);
    assert_int_equal(err.code, DD_ENOMEM);

    /* everything else is an I/O error, as documented */
    assert_int_equal(dd_err_errno(&err, EACCES, "open /root/x"), DD_EIO);
    assert_int_equal(err.code, DD_EIO);
    snprintf(want, sizeof(want), "open /root/x: %s", strerror(EACCES));
    assert_string_equal(err.msg, want);
    assert_int_equal(dd_err_errno(&err, ENOSPC, "write"), DD_EIO);
    assert_int_equal(dd_err_errno(NULL, ENOENT, "x"), DD_ENOTFOUND);
}

/* ---- digest ---- */

static int validate(const char *s, dd_err *err)
{
    dd_err_clear(err);
    return dd_digest_validate(s, strlen(s), err);
}

static void test_digest_validate(void **state)
{
    (void)state;
    dd_err err = DD_ERR_INIT;
    char d[200];

    assert_int_equal(validate(SHA256_ABC, &err), 0);
    assert_int_equal(validate(SHA256_EMPTY, &err), 0);

    /* uppercase hex: malformed for sha256, with the offset of the first bad digit */
    snprintf(d, sizeof(d), "%s", SHA256_ABC);
    d[7 + 5] = 'F'; /* "ba781[6]" -> position 12 */
    assert_int_equal(validate(d, &err), DD_EINVALID);
    assert_int_equal(err.code, DD_EINVALID);
    assert_int_equal(err.offset, 12);

    /* wrong lengths */
    snprintf(d, sizeof(d), "%.*s", 7 + 63, SHA256_ABC);
    assert_int_equal(validate(d, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "64"));
    snprintf(d, sizeof(d), "%s0", SHA256_ABC);
    assert_int_equal(validate(d, &err), DD_EINVALID);
    assert_int_equal(validate("sha256:abc", &err), DD_EINVALID);

    /* well-formed but not implemented */
    memcpy(d, "sha512:", 7);
    memset(d + 7, 'a', 128);
    d[135] = '\0';
    assert_int_equal(validate(d, &err), DD_EUNSUPPORTED);
    assert_int_equal(
        validate("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8", &err),
        DD_EUNSUPPORTED);
    assert_int_equal(validate("sha256.v2:abc", &err), DD_EUNSUPPORTED);
    /* the grammar allows one separator between components, never two in a row */
    assert_int_equal(validate("a..b:abc", &err), DD_EINVALID);
    assert_int_equal(validate("sha256+-x:abc", &err), DD_EINVALID);

    /* bad algorithm characters */
    snprintf(d, sizeof(d), "SHA256%s", &SHA256_ABC[6]);
    assert_int_equal(validate(d, &err), DD_EINVALID);
    assert_int_equal(err.offset, 0);
    assert_int_equal(validate("sha 256:abc", &err), DD_EINVALID);
    assert_int_equal(err.offset, 3);
    assert_int_equal(validate("-sha256:abc", &err), DD_EINVALID);
    assert_int_equal(validate("sha256-:abc", &err), DD_EINVALID);
    assert_int_equal(validate("sh/a:abc", &err), DD_EINVALID);

    /* bad characters in the encoded part */
    snprintf(d, sizeof(d), "%s", SHA256_ABC);
    d[20] = '!';
    assert_int_equal(validate(d, &err), DD_EINVALID);
    assert_int_equal(err.offset, 20);
    assert_int_equal(validate("sha256:ab:cd", &err), DD_EINVALID);

    /* structure */
    assert_int_equal(validate("", &err), DD_EINVALID);
    assert_int_equal(dd_digest_validate(NULL, 0, &err), DD_EINVALID);
    assert_int_equal(validate("sha256", &err), DD_EINVALID);
    snprintf(d, sizeof(d), "sha256%s", &SHA256_ABC[7]);
    assert_int_equal(validate(d, &err), DD_EINVALID); /* no colon */
    assert_int_equal(validate("sha256:", &err), DD_EINVALID);
    assert_int_equal(validate(":abc", &err), DD_EINVALID);
    assert_int_equal(validate(":", &err), DD_EINVALID);

    /* only len bytes count: a valid digest followed by junk, and a truncated one */
    snprintf(d, sizeof(d), "%sXYZ!", SHA256_ABC);
    assert_int_equal(dd_digest_validate(d, 71, &err), 0);
    assert_int_equal(dd_digest_validate(d, 70, &err), DD_EINVALID);
    assert_int_equal(dd_digest_validate(d, 72, &err), DD_EINVALID);
    /* err may be NULL */
    assert_int_equal(dd_digest_validate("x", 1, NULL), DD_EINVALID);
}

static void test_digest_hasher(void **state)
{
    (void)state;
    char out[DD_DIGEST_STR_MAX], out2[DD_DIGEST_STR_MAX];
    dd_hasher *h = NULL, *c = NULL;

    assert_int_equal(dd_digest_buf(out, "abc", 3), 0);
    assert_string_equal(out, SHA256_ABC);
    assert_int_equal(dd_digest_buf(out, "", 0), 0);
    assert_string_equal(out, SHA256_EMPTY);

    assert_int_equal(dd_hasher_new(&h), 0);
    assert_int_equal(dd_hasher_update(h, "a", 1), 0);
    assert_int_equal(dd_hasher_update(h, "", 0), 0);
    assert_int_equal(dd_hasher_update(h, "b", 1), 0);
    /* dup: peek at the intermediate digest without disturbing the original */
    assert_int_equal(dd_hasher_dup(&c, h), 0);
    assert_int_equal(dd_hasher_update(h, "c", 1), 0);
    assert_int_equal(dd_hasher_final(h, out), 0);
    assert_string_equal(out, SHA256_ABC);
    assert_int_equal(dd_hasher_final(c, out2), 0);
    assert_string_equal(out2, SHA256_AB);
    assert_int_equal(dd_digest_validate(out, strlen(out), NULL), 0);
    dd_hasher_free(h);
    dd_hasher_free(c);
    dd_hasher_free(NULL);

    /* incremental in odd-sized pieces == one shot, over a larger input */
    size_t n = 1 << 20;
    unsigned char *data = malloc(n);
    assert_non_null(data);
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(i * 131 + (i >> 9));
    assert_int_equal(dd_hasher_new(&h), 0);
    for (size_t off = 0; off < n;) {
        size_t piece = 1 + (off * 7) % 8191;
        if (piece > n - off)
            piece = n - off;
        assert_int_equal(dd_hasher_update(h, data + off, piece), 0);
        off += piece;
    }
    assert_int_equal(dd_hasher_final(h, out), 0);
    dd_hasher_free(h);
    assert_int_equal(dd_digest_buf(out2, data, n), 0);
    assert_string_equal(out, out2);
    assert_string_not_equal(out, SHA256_EMPTY);
    free(data);
}

/* ---- strlist ---- */

static void test_strlist(void **state)
{
    (void)state;
    dd_strlist l = DD_STRLIST_INIT;
    char raw[3] = {'x', 'y', 'z'}; /* not terminated */
    assert_int_equal(dd_strlist_push(&l, raw, 2), 0);
    assert_int_equal(dd_strlist_push_str(&l, "second"), 0);
    assert_int_equal(dd_strlist_push(&l, "", 0), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0], "xy");
    assert_string_equal(l.items[1], "second");
    assert_string_equal(l.items[2], "");
    /* items are copies */
    raw[0] = 'Q';
    assert_string_equal(l.items[0], "xy");
    for (int i = 0; i < 100; i++) {
        char s[16];
        snprintf(s, sizeof(s), "item%d", i);
        assert_int_equal(dd_strlist_push_str(&l, s), 0);
    }
    assert_int_equal(l.n, 103);
    assert_true(l.cap >= l.n);
    assert_string_equal(l.items[0], "xy");
    assert_string_equal(l.items[3], "item0");
    assert_string_equal(l.items[102], "item99");
    dd_strlist_free(&l);
    assert_null(l.items);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.cap, 0);
    /* reusable after free */
    assert_int_equal(dd_strlist_push_str(&l, "again"), 0);
    assert_string_equal(l.items[0], "again");
    dd_strlist_free(&l);
}

/* ---- clock ---- */

static int64_t fixed_now(void *ctx)
{
    return *(const int64_t *)ctx;
}

static void test_clock(void **state)
{
    (void)state;
    char out[32];
    dd_time_format_rfc3339(out, sizeof(out), 1700000000123);
    assert_string_equal(out, "2023-11-14T22:13:20.123Z");
    dd_time_format_rfc3339(out, sizeof(out), -1500); /* before 1970: floored */
    assert_string_equal(out, "1969-12-31T23:59:58.500Z");
    dd_time_format_rfc3339(out, sizeof(out), 0);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    dd_time_format_rfc3339(out, sizeof(out), 951782400005); /* leap day */
    assert_string_equal(out, "2000-02-29T00:00:00.005Z");
    dd_time_format_rfc3339(out, sizeof(out), 4102444799999);
    assert_string_equal(out, "2099-12-31T23:59:59.999Z");

    int64_t t = 1234567;
    dd_clock c = {fixed_now, &t};
    assert_int_equal(dd_clock_now_ms(&c), 1234567);
    t = 42;
    assert_int_equal(dd_clock_now_ms(&c), 42);
    int64_t now = dd_clock_now_ms(dd_clock_system());
    assert_true(now > 1700000000000LL); /* after Nov 2023 */
    assert_true(now < 4102444800000LL); /* before 2100 */
    assert_true(dd_clock_now_ms(dd_clock_system()) >= now);
}

/* ---- config ---- */

typedef struct tcfg {
    char *name;
    int64_t workers;
    int64_t timeout;
    int64_t max_size;
    char *mode;
} tcfg;

static const dd_config_entry g_table[] = {
    {"name", DD_CONFIG_STRING, offsetof(tcfg, name), "default-name", 0, 0, NULL, "a name"},
    {"workers", DD_CONFIG_INT, offsetof(tcfg, workers), "4", 1, 64, NULL, "worker count"},
    {"timeout", DD_CONFIG_SECONDS, offsetof(tcfg, timeout), "30s", 1, 86400, NULL, "a timeout"},
    {"max_size", DD_CONFIG_BYTES, offsetof(tcfg, max_size), "1M", 1024, 1024LL * 1024 * 1024, NULL,
     "a size"},
    {"mode", DD_CONFIG_ENUM, offsetof(tcfg, mode), "fast", 0, 0, "fast|safe|off", "a mode"},
};
#define G_N (sizeof(g_table) / sizeof(g_table[0]))

typedef struct cfg_fixture {
    tcfg c;
    char path[64];
} cfg_fixture;

static int cfg_setup(void **state)
{
    cfg_fixture *f = calloc(1, sizeof(*f));
    dd_err err = DD_ERR_INIT;
    if (f == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "/tmp/dd-util-config-XXXXXX");
    int fd = mkstemp(f->path);
    if (fd < 0)
        return -1;
    close(fd);
    if (dd_config_defaults(&f->c, g_table, G_N, &err) != 0)
        return -1;
    *state = f;
    return 0;
}

static int cfg_teardown(void **state)
{
    cfg_fixture *f = *state;
    dd_config_free(&f->c, g_table, G_N);
    unlink(f->path);
    free(f);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static int set(tcfg *c, const char *k, const char *v, dd_err *err)
{
    dd_err_clear(err);
    return dd_config_set(c, g_table, G_N, k, v, err);
}

static void test_config_defaults(void **state)
{
    cfg_fixture *f = *state;
    assert_string_equal(f->c.name, "default-name");
    assert_int_equal(f->c.workers, 4);
    assert_int_equal(f->c.timeout, 30);
    assert_int_equal(f->c.max_size, 1024 * 1024);
    assert_string_equal(f->c.mode, "fast");

    /* a default that breaks its own bounds is reported */
    tcfg c = {0};
    dd_err err = DD_ERR_INIT;
    dd_config_entry bad = {"workers", DD_CONFIG_INT, offsetof(tcfg, workers), "100", 1, 64,
                           NULL,      NULL};
    assert_int_equal(dd_config_defaults(&c, &bad, 1, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "workers"));
}

static void test_config_units(void **state)
{
    cfg_fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    static const struct {
        const char *key, *value;
        int64_t want; /* -1: must be rejected */
    } cases[] = {
        {"timeout", "45", 45},
        {"timeout", "45s", 45},
        {"timeout", "5m", 300},
        {"timeout", "2h", 7200},
        {"timeout", "1d", 86400},
        {"timeout", "5x", -1},
        {"timeout", "5ms", -1},
        {"timeout", "5M", -1}, /* M is a byte unit */
        {"timeout", "s", -1},
        {"timeout", "", -1},
        {"max_size", "4096", 4096},
        {"max_size", "4K", 4096},
        {"max_size", "4KiB", 4096},
        {"max_size", "2M", 2 * 1024 * 1024},
        {"max_size", "2MiB", 2 * 1024 * 1024},
        {"max_size", "1G", 1024LL * 1024 * 1024},
        {"max_size", "1KB", -1},
        {"max_size", "4k", -1},
        {"max_size", "4m", -1}, /* m is a time unit */
        {"max_size", "1 K", -1},
        {"workers", "12", 12},
        {"workers", "12s", -1}, /* plain integers take no unit */
        {"workers", "0x10", -1},
        {"workers", " 5", -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t *slot = strcmp(cases[i].key, "timeout") == 0    ? &f->c.timeout
                        : strcmp(cases[i].key, "max_size") == 0 ? &f->c.max_size
                                                                : &f->c.workers;
        int64_t before = *slot;
        int rc = set(&f->c, cases[i].key, cases[i].value, &err);
        if (cases[i].want < 0) {
            if (rc != DD_EINVALID)
                fail_msg("%s=%s: accepted (rc %d, value %lld)", cases[i].key, cases[i].value, rc,
                         (long long)*slot);
            assert_int_equal(*slot, before);
            assert_non_null(strstr(err.msg, cases[i].key));
        } else {
            if (rc != 0)
                fail_msg("%s=%s: rc %d (%s)", cases[i].key, cases[i].value, rc, err.msg);
            assert_int_equal(*slot, cases[i].want);
        }
    }
}

static void test_config_range(void **state)
{
    cfg_fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(set(&f->c, "workers", "64", &err), 0);
    assert_int_equal(f->c.workers, 64);
    assert_int_equal(set(&f->c, "workers", "1", &err), 0);
    assert_int_equal(set(&f->c, "workers", "65", &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "out of range [1, 64]"));
    assert_int_equal(set(&f->c, "workers", "0", &err), DD_EINVALID);
    assert_int_equal(set(&f->c, "workers", "-1", &err), DD_EINVALID);
    assert_int_equal(set(&f->c, "workers", "99999999999999999999", &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "too large"));
    assert_int_equal(f->c.workers, 1);
    /* a unit can push an in-range-looking number out of range */
    assert_int_equal(set(&f->c, "timeout", "2d", &err), DD_EINVALID);
    assert_int_equal(set(&f->c, "timeout", "86401", &err), DD_EINVALID);
    assert_int_equal(set(&f->c, "timeout", "1440m", &err), 0);
    assert_int_equal(f->c.timeout, 86400);
    assert_int_equal(set(&f->c, "max_size", "1023", &err), DD_EINVALID);
    assert_int_equal(set(&f->c, "max_size", "2G", &err), DD_EINVALID);
    assert_int_equal(f->c.max_size, 1024 * 1024);
    /* the multiplication by the unit is overflow-checked */
    assert_int_equal(set(&f->c, "max_size", "9007199254740993G", &err), DD_EINVALID);
    assert_int_equal(set(&f->c, "timeout", "922337203685477580d", &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "too large"));
}

static void test_config_enum_unknown(void **state)
{
    cfg_fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    assert_int_equal(set(&f->c, "mode", "safe", &err), 0);
    assert_string_equal(f->c.mode, "safe");
    assert_int_equal(set(&f->c, "mode", "off", &err), 0);
    assert_string_equal(f->c.mode, "off");
    const char *bad[] = {"SAFE", "saf", "safer", "", "fast|safe", "|"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(set(&f->c, "mode", bad[i], &err), DD_EINVALID);
        assert_non_null(strstr(err.msg, "fast|safe|off"));
    }
    assert_string_equal(f->c.mode, "off");

    assert_int_equal(set(&f->c, "name", "anything at all", &err), 0);
    assert_string_equal(f->c.name, "anything at all");
    assert_int_equal(set(&f->c, "nmae", "x", &err), DD_ENOTFOUND);
    assert_int_equal(err.code, DD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "'nmae'"));
    assert_int_equal(set(&f->c, "", "x", &err), DD_ENOTFOUND);
}

static void test_config_file(void **state)
{
    cfg_fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    write_file(f->path, "# a comment\n"
                        "\n"
                        "   # an indented comment: workers = 99\n"
                        "workers=8\n"
                        "  timeout   =   10m  \r\n"
                        "\tmax_size = \"64K\"\n"
                        "name = \"  spaced = value  \"\n"
                        "mode = safe"); /* no final newline */
    assert_int_equal(dd_config_load_file(&f->c, g_table, G_N, f->path, &err), 0);
    assert_int_equal(f->c.workers, 8);
    assert_int_equal(f->c.timeout, 600);
    assert_int_equal(f->c.max_size, 64 * 1024);
    assert_string_equal(f->c.name, "  spaced = value  ");
    assert_string_equal(f->c.mode, "safe");

    /* later lines override earlier ones; a lone quote is not a quoted value */
    write_file(f->path, "name = a\nname = b\nname = \"\n");
    assert_int_equal(dd_config_load_file(&f->c, g_table, G_N, f->path, &err), 0);
    assert_string_equal(f->c.name, "\"");
    write_file(f->path, "name = \"\"\n");
    assert_int_equal(dd_config_load_file(&f->c, g_table, G_N, f->path, &err), 0);
    assert_string_equal(f->c.name, "");
}

static void test_config_file_errors(void **state)
{
    cfg_fixture *f = *state;
    dd_err err = DD_ERR_INIT;
    char want[128];

    write_file(f->path, "# ok\nworkers = 2\nthis line has no equals sign\nworkers = 3\n");
    assert_int_equal(dd_config_load_file(&f->c, g_table, G_N, f->path, &err), DD_EINVALID);
    snprintf(want, sizeof(want), "%s:3: expected key = value", f->path);
    assert_string_equal(err.msg, want);
    assert_int_equal(err.code, DD_EINVALID);
    assert_int_equal(f->c.workers, 2); /* stopped at the bad line */

    dd_err_clear(&err);
    write_file(f->path, "\n\n\n\nworkers = 500\n");
    assert_int_equal(dd_config_load_file(&f->c, g_table, G_N, f->path, &err), DD_EINVALID);
    snprintf(want, sizeof(want), "%s:5: workers: 500 is out of range [1, 64]", f->path);
    assert_string_equal(err.msg, want);

    dd_err_clear(&err);
    write_file(f->path, "mode = fast\ncolour = blue\n");
    assert_int_equal(dd_config_load_file(&f->c, g_table, G_N, f->path, &err), DD_ENOTFOUND);
    assert_int_equal(err.code, DD_ENOTFOUND);
    snprintf(want, sizeof(want), "%s:2: unknown setting 'colour'", f->path);
    assert_string_equal(err.msg, want);

    dd_err_clear(&err);
    write_file(f->path, "mode = \"slow\"\n");
    assert_int_equal(dd_config_load_file(&f->c, g_table, G_N, f->path, &err), DD_EINVALID);
    snprintf(want, sizeof(want), "%s:1: mode: 'slow' is not one of fast|safe|off", f->path);
    assert_string_equal(err.msg, want);

    /* an overlong line is an error naming it, not silently split into two lines */
    size_t n = DD_LIMIT_CONFIG_LINE + 100;
    char *text = malloc(n + 64);
    assert_non_null(text);
    int off = snprintf(text, n + 64, "workers = 5\nname = ");
    memset(text + off, 'n', n - (size_t)off);
    snprintf(text + n, 64, "\nworkers = 6\n");
    write_file(f->path, text);
    free(text);
    dd_err_clear(&err);
    assert_int_equal(dd_config_load_file(&f->c, g_table, G_N, f->path, &err), DD_EINVALID);
    snprintf(want, sizeof(want), "%s:2: line too long", f->path);
    assert_string_equal(err.msg, want);
    assert_int_equal(f->c.workers, 5);

    /* the longest line that fits is accepted */
    text = malloc(DD_LIMIT_CONFIG_LINE + 1);
    assert_non_null(text);
    off = snprintf(text, DD_LIMIT_CONFIG_LINE, "name = ");
    memset(text + off, 'k', DD_LIMIT_CONFIG_LINE - 2 - (size_t)off);
    text[DD_LIMIT_CONFIG_LINE - 2] = '\n';
    text[DD_LIMIT_CONFIG_LINE - 1] = '\0';
    write_file(f->path, text);
    free(text);
    assert_int_equal(dd_config_load_file(&f->c, g_table, G_N, f->path, &err), 0);
    assert_int_equal(strlen(f->c.name), DD_LIMIT_CONFIG_LINE - 2 - 7);

    dd_err_clear(&err);
    assert_int_equal(
        dd_config_load_file(&f->c, g_table, G_N, "/nonexistent/dd-config-test.conf", &err),
        DD_ENOTFOUND);
    assert_non_null(strstr(err.msg, "/nonexistent/dd-config-test.conf"));
}

/* ---- log ---- */

static char *read_all(FILE *fp)
{
    fflush(fp);
    long n = ftell(fp);
    assert_true(n >= 0);
    char *s = calloc(1, (size_t)n + 1);
    assert_non_null(s);
    rewind(fp);
    assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
    return s;
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

static int g_evaluated;

static const char *counted(const char *v)
{
    g_evaluated++;
    return v;
}

static void test_log_text(void **state)
{
    (void)state;
    FILE *fp = tmpfile();
    assert_non_null(fp);
    dd_log_configure(DD_LOG_DEBUG, DD_LOG_FORMAT_TEXT, fp);
    dd_log(DD_LOG_INFO, "upload", "repo", "library/x", "note", "a \"b\"\nfake=1 level=error",
           "empty", "", "skipped", NULL, "eq", "k=v", "ctl", "\x01\x7f", NULL);
    char *s = read_all(fp);
    /* exactly one line, and untrusted bytes cannot start another */
    assert_int_equal(count_char(s, '\n'), 1);
    assert_int_equal(s[strlen(s) - 1], '\n');
    assert_non_null(strstr(s, " info  upload repo=library/x "));
    assert_non_null(strstr(s, " note=\"a \\\"b\\\"\\nfake=1 level=error\""));
    assert_non_null(strstr(s, " empty=\"\""));
    assert_null(strstr(s, "skipped"));
    assert_non_null(strstr(s, " eq=\"k=v\""));
    assert_non_null(strstr(s, " ctl=\"\\u0001\\u007f\"\n"));
    /* the line starts with an RFC 3339 UTC timestamp */
    assert_int_equal(s[4], '-');
    assert_int_equal(s[10], 'T');
    assert_int_equal(s[23], 'Z');
    free(s);
    fclose(fp);
    dd_log_configure(DD_LOG_OFF, DD_LOG_FORMAT_TEXT, NULL);
}

static void test_log_json(void **state)
{
    (void)state;
    FILE *fp = tmpfile();
    assert_non_null(fp);
    dd_log_configure(DD_LOG_INFO, DD_LOG_FORMAT_JSON, fp);
    dd_log(DD_LOG_WARN, "req\"uest", "status", "200", "zero", "0", "lead", "007", "neg", "-1",
           "big", "1234567890123456", "path", "/v2/\"x\"\n\\y", "skipped", NULL, "mixed", "12a",
           NULL);
    char *s = read_all(fp);
    assert_int_equal(count_char(s, '\n'), 1);
    json_error_t jerr;
    json_t *j = json_loads(s, 0, &jerr);
    if (j == NULL)
        fail_msg("not JSON: %s (%s)", s, jerr.text);
    assert_true(json_is_object(j));
    assert_string_equal(json_string_value(json_object_get(j, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(j, "event")), "req\"uest");
    assert_true(json_is_integer(json_object_get(j, "status")));
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 200);
    assert_true(json_is_integer(json_object_get(j, "zero")));
    assert_int_equal(json_integer_value(json_object_get(j, "zero")), 0);
    /* not canonical JSON numbers, or too long for a double: kept as strings */
    assert_string_equal(json_string_value(json_object_get(j, "lead")), "007");
    assert_string_equal(json_string_value(json_object_get(j, "neg")), "-1");
    assert_string_equal(json_string_value(json_object_get(j, "big")), "1234567890123456");
    assert_string_equal(json_string_value(json_object_get(j, "mixed")), "12a");
    assert_string_equal(json_string_value(json_object_get(j, "path")), "/v2/\"x\"\n\\y");
    assert_null(json_object_get(j, "skipped"));
    const char *t = json_string_value(json_object_get(j, "time"));
    assert_non_null(t);
    assert_int_equal(strlen(t), 24);
    assert_int_equal(t[23], 'Z');
    json_decref(j);
    free(s);
    fclose(fp);
    dd_log_configure(DD_LOG_OFF, DD_LOG_FORMAT_TEXT, NULL);
}

static void test_log_levels(void **state)
{
    (void)state;
    FILE *fp = tmpfile();
    assert_non_null(fp);
    dd_log_configure(DD_LOG_WARN, DD_LOG_FORMAT_TEXT, fp);
    assert_int_equal(dd_log_level_get(), DD_LOG_WARN);
    g_evaluated = 0;
    dd_log(DD_LOG_DEBUG, "dropped_debug", "k", counted("v"), NULL);
    dd_log(DD_LOG_INFO, "dropped_info", "k", counted("v"), NULL);
    assert_int_equal(g_evaluated, 0); /* arguments are not evaluated below the level */
    dd_log(DD_LOG_WARN, "kept_warn", "k", counted("v"), NULL);
    dd_log(DD_LOG_ERROR, "kept_error", NULL);
    assert_int_equal(g_evaluated, 1);
    char *s = read_all(fp);
    assert_null(strstr(s, "dropped"));
    assert_non_null(strstr(s, " warn  kept_warn k=v\n"));
    assert_non_null(strstr(s, " error kept_error\n"));
    assert_int_equal(count_char(s, '\n'), 2);
    free(s);

    dd_log_configure(DD_LOG_OFF, DD_LOG_FORMAT_TEXT, fp);
    dd_log(DD_LOG_ERROR, "off", NULL);
    s = read_all(fp);
    assert_null(strstr(s, "off"));
    assert_int_equal(count_char(s, '\n'), 2);
    free(s);
    fclose(fp);

    assert_int_equal(dd_log_level_parse("debug"), DD_LOG_DEBUG);
    assert_int_equal(dd_log_level_parse("info"), DD_LOG_INFO);
    assert_int_equal(dd_log_level_parse("warn"), DD_LOG_WARN);
    assert_int_equal(dd_log_level_parse("error"), DD_LOG_ERROR);
    assert_int_equal(dd_log_level_parse("off"), DD_LOG_OFF);
    assert_int_equal(dd_log_level_parse("WARN"), -1);
    assert_int_equal(dd_log_level_parse("warning"), -1);
    assert_int_equal(dd_log_level_parse(""), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_append),
        cmocka_unit_test(test_buf_limit),
        cmocka_unit_test(test_buf_printf),
        cmocka_unit_test(test_buf_take_reset),
        cmocka_unit_test(test_buf_json_escape),
        cmocka_unit_test(test_alloc_checked_math),
        cmocka_unit_test(test_alloc_strings),
        cmocka_unit_test(test_err_set),
        cmocka_unit_test(test_err_errno),
        cmocka_unit_test(test_digest_validate),
        cmocka_unit_test(test_digest_hasher),
        cmocka_unit_test(test_strlist),
        cmocka_unit_test(test_clock),
        cmocka_unit_test_setup_teardown(test_config_defaults, cfg_setup, cfg_teardown),
        cmocka_unit_test_setup_teardown(test_config_units, cfg_setup, cfg_teardown),
        cmocka_unit_test_setup_teardown(test_config_range, cfg_setup, cfg_teardown),
        cmocka_unit_test_setup_teardown(test_config_enum_unknown, cfg_setup, cfg_teardown),
        cmocka_unit_test_setup_teardown(test_config_file, cfg_setup, cfg_teardown),
        cmocka_unit_test_setup_teardown(test_config_file_errors, cfg_setup, cfg_teardown),
        cmocka_unit_test(test_log_text),
        cmocka_unit_test(test_log_json),
        cmocka_unit_test(test_log_levels),
    };
    dd_log_configure(DD_LOG_OFF, DD_LOG_FORMAT_TEXT, NULL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
