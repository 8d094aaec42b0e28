/* Tests for the pure helpers of src/auth: strict base64 (RFC 4648 vectors), the parser of HTTP
 * Basic/Bearer credentials, the ECR token format (round trip, tampering, wrong key, malformed
 * tokens), WILDCARD repository patterns (the spec 3.2 table for patterns with '*', exact match
 * without), scope normalisation and dd_auth_allows. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "auth/internal.h"
#include "util/alloc.h"

/* ---- base64 ---- */

static void test_b64_vectors(void **state)
{
    (void)state;
    static const char *const in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    static const char *const std[] = {"",         "Zg==",     "Zm8=",    "Zm9v",
                                      "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
    static const char *const url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
    char out[32];
    uint8_t dec[32];
    size_t n = 0;
    for (size_t i = 0; i < 7; i++) {
        size_t len = strlen(in[i]);
        assert_int_equal(dd_b64_encoded_len(len, false), strlen(std[i]));
        assert_int_equal(dd_b64_encoded_len(len, true), strlen(url[i]));
        dd_b64_encode(out, (const uint8_t *)in[i], len, false);
        assert_string_equal(out, std[i]);
        dd_b64_encode(out, (const uint8_t *)in[i], len, true);
        assert_string_equal(out, url[i]);
        assert_int_equal(dd_b64_decode(dec, sizeof(dec), &n, std[i], strlen(std[i]), false), 0);
        assert_int_equal(n, len);
        assert_memory_equal(dec, in[i], len);
        assert_int_equal(dd_b64_decode(dec, sizeof(dec), &n, url[i], strlen(url[i]), true), 0);
        assert_int_equal(n, len);
        assert_memory_equal(dec, in[i], len);
        /* unpadded standard base64 is accepted too */
        assert_int_equal(dd_b64_decode(dec, sizeof(dec), &n, url[i], strlen(url[i]), false), 0);
        assert_int_equal(n, len);
    }
    const uint8_t hi[] = {0xfb, 0xff};
    dd_b64_encode(out, hi, 2, false);
    assert_string_equal(out, "+/8=");
    dd_b64_encode(out, hi, 2, true);
    assert_string_equal(out, "-_8");
}

static void test_b64_strict(void **state)
{
    (void)state;
    uint8_t dec[8];
    size_t n = 0;
    static const char *const bad_std[] = {"Z",     "Zg=",  "Zh==", "Zm9=",   "Zm9v\n", " Zm9v",
                                          "Zm9v=", "Z===", "-_8=", "Zg==Zg", "Zm 9v",  "=Zm9"};
    for (size_t i = 0; i < sizeof(bad_std) / sizeof(bad_std[0]); i++)
        if (dd_b64_decode(dec, sizeof(dec), &n, bad_std[i], strlen(bad_std[i]), false) !=
            DD_EINVALID)
            fail_msg("standard '%s' was accepted", bad_std[i]);
    static const char *const bad_url[] = {"Zg==", "+/8", "Z", "Zh", "Zm9"};
    for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
        if (dd_b64_decode(dec, sizeof(dec), &n, bad_url[i], strlen(bad_url[i]), true) !=
            DD_EINVALID)
            fail_msg("url '%s' was accepted", bad_url[i]);
    assert_int_equal(dd_b64_decode(dec, 5, &n, "Zm9vYmFy", 8, false), DD_ELIMIT);
    assert_int_equal(dd_b64_decode(dec, 6, &n, "Zm9vYmFy", 8, false), 0);
}

/* ---- credentials ---- */

static char *basic(const char *userpass)
{
    size_t len = strlen(userpass);
    char *h = dd_malloc(6 + dd_b64_encoded_len(len, false) + 1);
    assert_non_null(h);
    memcpy(h, "Basic ", 6);
    dd_b64_encode(h + 6, (const uint8_t *)userpass, len, false);
    return h;
}

static int parse(dd_auth_cred *c, const char *s)
{
    return dd_auth_parse_credentials(c, s, strlen(s));
}

static void test_credentials(void **state)
{
    (void)state;
    dd_auth_cred c;
    char *h = basic("AWS:abc.def");
    assert_int_equal(parse(&c, h), 0);
    assert_int_equal(c.kind, DD_AUTH_CRED_BASIC);
    assert_string_equal(c.user, "AWS");
    assert_string_equal(c.pass, "abc.def");
    dd_free(h);
    h = basic("DDAKABCDEFGHIJKLMNOP:se:cr/et+");
    assert_int_equal(parse(&c, h), 0);
    assert_string_equal(c.user, "DDAKABCDEFGHIJKLMNOP");
    assert_string_equal(c.pass, "se:cr/et+"); /* split at the first ':' */
    h[0] = 'b';                               /* the scheme is case-insensitive */
    assert_int_equal(parse(&c, h), 0);
    dd_free(h);
    assert_int_equal(parse(&c, "  Basic   QUJDOkRFRg==  "), 0);
    assert_string_equal(c.user, "ABC");
    assert_string_equal(c.pass, "DEF");
    assert_int_equal(parse(&c, "Bearer abc.def"), 0);
    assert_int_equal(c.kind, DD_AUTH_CRED_BEARER);
    assert_string_equal(c.pass, "abc.def");
    assert_int_equal(parse(&c, "BEARER x"), 0);

    assert_int_equal(parse(&c, ""), DD_ENOTFOUND);
    assert_int_equal(parse(&c, " \t "), DD_ENOTFOUND);
    static const char *const bad[] = {"Basic",
                                      "Basic ",
                                      "Basic !!!!",
                                      "Basic bm9jb2xvbg==" /* nocolon */,
                                      "Basic OnBhc3M=" /* :pass */,
                                      "Basic dXNlcjo=" /* user: */,
                                      "Basic dXNlcjpwYQFzcw==" /* user:pa\x01ss */,
                                      "Digest abc",
                                      "Bearer a b",
                                      "Bearer",
                                      "AWS4-HMAC-SHA256 Credential=x",
                                      "Basicx QUJDOkRFRg==",
                                      "Bearer a\x01"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (parse(&c, bad[i]) != DD_EINVALID)
            fail_msg("'%s' was accepted", bad[i]);
    /* too long a user name */
    char up[200];
    memset(up, 'A', 100);
    memcpy(up + 100, ":pw", 4);
    h = basic(up);
    assert_int_equal(parse(&c, h), DD_EINVALID);
    dd_free(h);
    /* the length bounds the parse */
    assert_int_equal(dd_auth_parse_credentials(&c, "Bearer abcdef", 10), 0);
    assert_string_equal(c.pass, "abc");
}

/* ---- tokens ---- */

static const uint8_t KEY[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

/* A token over an arbitrary payload, correctly signed with key. */
static char *forge(const uint8_t key[32], const char *payload)
{
    uint8_t mac[32];
    unsigned mlen = 0;
    assert_non_null(
        HMAC(EVP_sha256(), key, 32, (const uint8_t *)payload, strlen(payload), mac, &mlen));
    size_t pl = dd_b64_encoded_len(strlen(payload), true);
    char *t = dd_malloc(pl + 1 + 44);
    assert_non_null(t);
    dd_b64_encode(t, (const uint8_t *)payload, strlen(payload), true);
    t[pl] = '.';
    dd_b64_encode(t + pl + 1, mac, 32, true);
    return t;
}

static void test_token_round_trip(void **state)
{
    (void)state;
    char *tok = NULL;
    assert_int_equal(
        dd_auth_token_make(&tok, KEY, "123456789012", "DDAKABCDEFGHIJKLMNOP", 1795821125000LL), 0);
    assert_non_null(strchr(tok, '.'));
    assert_null(strpbrk(tok, "+/=:")); /* URL-safe, fits a Basic password */
    dd_auth_token_claims cl;
    assert_int_equal(dd_auth_token_check(&cl, KEY, tok, strlen(tok)), 0);
    assert_string_equal(cl.account, "123456789012");
    assert_string_equal(cl.access_key_id, "DDAKABCDEFGHIJKLMNOP");
    assert_int_equal(cl.expires_ms, 1795821125000LL);

    uint8_t other[32];
    memcpy(other, KEY, 32);
    other[31] ^= 1;
    assert_int_equal(dd_auth_token_check(&cl, other, tok, strlen(tok)), DD_EDENIED);
    assert_string_equal(cl.access_key_id, "");

    /* a changed payload with the old signature */
    char *mine = forge(KEY, "1|123456789012|DDAKABCDEFGHIJKLMNOP|9999999999999");
    char *dot_t = strchr(tok, '.'), *dot_m = strchr(mine, '.');
    char *spliced = dd_asprintf("%.*s%s", (int)(dot_m - mine), mine, dot_t);
    assert_int_equal(dd_auth_token_check(&cl, KEY, spliced, strlen(spliced)), DD_EDENIED);
    /* and the forged one (right key) passes: the key is the only secret */
    assert_int_equal(dd_auth_token_check(&cl, KEY, mine, strlen(mine)), 0);
    assert_int_equal(cl.expires_ms, 9999999999999LL);
    dd_free(spliced);
    dd_free(mine);
    dd_free(tok);
}

static void test_token_malformed(void **state)
{
    (void)state;
    dd_auth_token_claims cl;
    static const char *const bad[] = {"",     ".",     "abc",     "abc.",
                                      ".abc", "a.b.c", "!!!.???", "MXwxMjM.AAAA"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (dd_auth_token_check(&cl, KEY, bad[i], strlen(bad[i])) != DD_EINVALID)
            fail_msg("'%s' was accepted", bad[i]);
    /* correctly signed payloads of the wrong form */
    static const char *const payloads[] = {
        "2|123456789012|DDAKABCDEFGHIJKLMNOP|1",
        "1|12345678901a|DDAKABCDEFGHIJKLMNOP|1",
        "1||DDAKABCDEFGHIJKLMNOP|1",
        "1|123456789012|short|1",
        "1|123456789012|DDAKABCDEFGHIJKLMNOP|",
        "1|123456789012|DDAKABCDEFGHIJKLMNOP|-1",
        "1|123456789012|DDAKABCDEFGHIJKLMNOP|1|x",
        "1|123456789012|DDAKABCDEFGHIJKLMNOP",
        "1|123456789012|DDAKABCDEFGHIJKLMNOP|1234567890123456789",
        ""};
    for (size_t i = 0; i < sizeof(payloads) / sizeof(payloads[0]); i++) {
        char *t = forge(KEY, payloads[i]);
        if (dd_auth_token_check(&cl, KEY, t, strlen(t)) != DD_EINVALID)
            fail_msg("payload '%s' was accepted", payloads[i]);
        dd_free(t);
    }
    char long_tok[DD_AUTH_TOKEN_MAX + 2];
    memset(long_tok, 'A', sizeof(long_tok));
    long_tok[10] = '.';
    assert_int_equal(dd_auth_token_check(&cl, KEY, long_tok, sizeof(long_tok)), DD_EINVALID);
    char *tok = NULL;
    assert_int_equal(dd_auth_token_make(&tok, KEY, "123456789012", "DDAKABCDEFGHIJKLMNOP", -5),
                     DD_EINVALID);
    assert_null(tok);
}

/* ---- repository scopes ---- */

static bool wm(const char *pat, const char *name)
{
    return dd_auth_wildcard_match(pat, strlen(pat), name);
}

static void test_wildcard(void **state)
{
    (void)state;
    /* spec 3.2 table, rows with '*' */
    static const char *const names[5] = {"prod", "repo-prod", "prod-repo", "repo-prod-repo",
                                         "prodrepo"};
    static const struct {
        const char *pat;
        const char *want; /* Y/N per name */
    } rows[] = {{"*prod", "YYNNN"},
                {"prod*", "YNYNY"},
                {"*prod*", "YYYYY"},
                {"prod*repo", "NNYNY"},
                {"prod", "YNNNN"} /* exact here, not substring */};
    for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
        for (size_t i = 0; i < 5; i++)
            if (wm(rows[r].pat, names[i]) != (rows[r].want[i] == 'Y'))
                fail_msg("'%s' vs '%s': want %c", rows[r].pat, names[i], rows[r].want[i]);
    assert_true(wm("*", ""));
    assert_true(wm("*", "team-a/app"));
    assert_true(wm("**", "x"));
    assert_true(wm("team-a/*", "team-a/x/y"));
    assert_false(wm("team-a/*", "team-a"));
    assert_false(wm("team-a/*", "team-ab/x"));
    assert_true(wm("a*b*c", "abc"));
    assert_true(wm("a*b*c", "aXbYc"));
    assert_true(wm("a*b*c", "abbc"));
    assert_false(wm("a*b*c", "acb"));
    assert_false(wm("a*b*c", "ab"));
    assert_false(wm("a*a", "a")); /* prefix and suffix may not overlap */
    assert_true(wm("a*a", "aa"));
    assert_true(wm("a**b", "ab"));
    assert_true(wm("*a*a*", "xaya"));
    assert_false(wm("*a*a*", "xa"));
    assert_false(wm("", "x"));
    assert_true(wm("", ""));
    /* the pattern length bounds the match */
    assert_true(dd_auth_wildcard_match("prod,*", 4, "prod"));
    assert_false(dd_auth_wildcard_match("prod,*", 4, "other"));
}

static void test_scope_normalize(void **state)
{
    (void)state;
    char out[64];
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_auth_scope_normalize(out, sizeof(out), "*", &err), 0);
    assert_string_equal(out, "*");
    assert_int_equal(dd_auth_scope_normalize(out, sizeof(out), " team-a/* , prod ,x.y_z", &err), 0);
    assert_string_equal(out, "team-a/*,prod,x.y_z");
    static const char *const bad[] = {"", ",", "a,,b", "a, ", "Prod", "a b", "a;b", "x\x01"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (dd_auth_scope_normalize(out, sizeof(out), bad[i], &err) != DD_EINVALID)
            fail_msg("'%s' was accepted", bad[i]);
    char big[300];
    memset(big, 'a', 299);
    big[299] = '\0';
    assert_int_equal(dd_auth_scope_normalize(out, sizeof(out), big, &err), DD_EINVALID);
    big[60] = '\0'; /* fits one pattern but not the output */
    char small[16];
    assert_int_equal(dd_auth_scope_normalize(small, sizeof(small), big, &err), DD_EINVALID);
    assert_non_null(strstr(err.msg, "longer"));
}

static void test_allows(void **state)
{
    (void)state;
    dd_auth_identity id;
    memset(&id, 0, sizeof(id));
    assert_false(dd_auth_allows(&id, "app", false)); /* zeroed: nothing */
    assert_false(dd_auth_allows(NULL, "app", false));
    snprintf(id.repos, sizeof(id.repos), "team-a/*,prod");
    id.can_push = true;
    assert_true(dd_auth_allows(&id, "team-a/app", false));
    assert_true(dd_auth_allows(&id, "team-a/app", true));
    assert_true(dd_auth_allows(&id, "prod", true));
    assert_false(dd_auth_allows(&id, "prod-2", false));
    assert_false(dd_auth_allows(&id, "team-b/app", false));
    id.can_push = false;
    assert_true(dd_auth_allows(&id, "team-a/app", false));
    assert_false(dd_auth_allows(&id, "team-a/app", true));
    id.admin = true;
    assert_true(dd_auth_allows(&id, "team-b/app", true));
    id.admin = false;
    snprintf(id.repos, sizeof(id.repos), "*");
    assert_true(dd_auth_allows(&id, "anything/at/all", false));
    assert_false(dd_auth_allows(&id, "anything/at/all", true));
    /* an unterminated scope is refused, not overread */
    memset(id.repos, '*', sizeof(id.repos));
    assert_false(dd_auth_allows(&id, "x", false));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_b64_vectors),     cmocka_unit_test(test_b64_strict),
        cmocka_unit_test(test_credentials),     cmocka_unit_test(test_token_round_trip),
        cmocka_unit_test(test_token_malformed), cmocka_unit_test(test_wildcard),
        cmocka_unit_test(test_scope_normalize), cmocka_unit_test(test_allows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
