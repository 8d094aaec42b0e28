/* Tests for SigV4 verification (src/auth/sigv4.c) without HTTP or a database: the known-answer
 * vectors of spec 11.3 (canonical request, string to sign, kDate..kSigning, signature), the
 * requests the aws CLI v1 sent (spec 11.2), vectors made with botocore for encoded paths, dot
 * segments, queries and whitespace in headers, the Authorization header parser, and every
 * rejection path of dd_sigv4_verify. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/internal.h"
#include "util/alloc.h"
#include "util/buf.h"

#define AKID "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define HOST "127.0.0.1:18733"
#define T_ECR_V2 1795821125000LL /* 2026-11-27T23:12:05Z */
#define T_INSP_V2 1795821126000LL
#define T_ECR_V1 1795821127000LL
#define T_INSP_V1 1795821128000LL
#define T_BOTO 1795832128000LL /* 2026-11-28T02:15:28Z */

#define ECR_TARGET "AmazonEC2ContainerRegistry_V20150921.GetRegistryScanningConfiguration"
#define ECR_AUTH_V2                                                                                \
    "AWS4-HMAC-SHA256 Credential=" AKID "/20261127/us-east-1/ecr/aws4_request, "                   \
    "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "                                    \
    "Signature=a2a84284a0e6f5a35aab215dff6cc364deb56e316c363fb1b19c852f54fb9e00"

static const char ECR_CANONICAL[] =
    "POST\n"
    "/\n"
    "\n"
    "content-type:application/x-amz-json-1.1\n"
    "host:127.0.0.1:18733\n"
    "x-amz-date:20261127T231205Z\n"
    "x-amz-target:AmazonEC2ContainerRegistry_V20150921.GetRegistryScanningConfiguration\n"
    "\n"
    "content-type;host;x-amz-date;x-amz-target\n"
    "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

static const char ECR_STS[] = "AWS4-HMAC-SHA256\n"
                              "20261127T231205Z\n"
                              "20261127/us-east-1/ecr/aws4_request\n"
                              "fec2ecd3584df1069f3f6e2467e854afac2f33ac0185f62b039fab651bdd9ae8";

/* ---- test request builder and key lookup ---- */

typedef struct treq {
    dd_sigv4_header h[32];
    size_t n;
    dd_sigv4_request r;
    const char *body;
} treq;

static void add(treq *t, const char *name, const char *value)
{
    assert_true(t->n < 32);
    t->h[t->n].name = name;
    t->h[t->n].value = value;
    t->n++;
    t->r.headers = t->h;
    t->r.n_headers = t->n;
}

/* Removes every header called name (exact spelling). */
static void drop(treq *t, const char *name)
{
    size_t o = 0;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->h[i].name, name) != 0)
            t->h[o++] = t->h[i];
    t->n = o;
    t->r.n_headers = o;
}

static void set(treq *t, const char *name, const char *value)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->h[i].name, name) == 0) {
            t->h[i].value = value;
            return;
        }
    add(t, name, value);
}

/* The ECR request of the aws CLI 2.9.19 (spec 11.2), headers in the order received. */
static void ecr_v2(treq *t)
{
    memset(t, 0, sizeof(*t));
    t->r.method = "POST";
    t->r.raw_target = "/";
    t->body = "{}";
    add(t, "Host", HOST);
    add(t, "Accept-Encoding", "identity");
    add(t, "X-Amz-Target", ECR_TARGET);
    add(t, "Content-Type", "application/x-amz-json-1.1");
    add(t, "User-Agent",
        "aws-cli/2.9.19 Python/3.11.2 Linux/6.18.44-fc-v657 "
        "source/x86_64.debian.12 prompt/off "
        "command/ecr.get-registry-scanning-configuration");
    add(t, "X-Amz-Date", "20261127T231205Z");
    add(t, "Authorization", ECR_AUTH_V2);
    add(t, "Content-Length", "2");
}

typedef struct keys {
    const char *id;
    const char *secret;
    int fail; /* returned instead of looking up when non-zero */
    int calls;
} keys;

static int lookup(void *ctx, const char *access_key_id, char *secret, size_t secret_len,
                  dd_auth_identity *id)
{
    keys *k = ctx;
    k->calls++;
    if (k->fail != 0)
        return k->fail;
    if (strcmp(access_key_id, k->id) != 0)
        return DD_ENOTFOUND;
    assert_true(strlen(k->secret) < secret_len);
    memcpy(secret, k->secret, strlen(k->secret) + 1);
    snprintf(id->access_key_id, sizeof(id->access_key_id), "%s", access_key_id);
    snprintf(id->account, sizeof(id->account), "123456789012");
    snprintf(id->repos, sizeof(id->repos), "*");
    id->can_push = true;
    return 0;
}

typedef struct result {
    int rc;
    const char *code;
    char msg[512];
    dd_auth_identity id;
} result;

static result verify_as(const treq *t, const char *service, const char *region, int64_t now,
                        keys *k)
{
    result res;
    memset(&res, 0, sizeof(res));
    dd_sigv4_verify_opts o = {service, region, now, 5 * 60 * 1000, lookup, k};
    res.rc = dd_sigv4_verify(&t->r, t->body, strlen(t->body), &o, &res.id, &res.code, res.msg,
                             sizeof(res.msg));
    if (res.rc == 0)
        assert_null(res.code);
    else
        assert_non_null(res.code);
    return res;
}

static result verify(const treq *t, const char *service, int64_t now)
{
    keys k = {AKID, SECRET, 0, 0};
    return verify_as(t, service, "us-east-1", now, &k);
}

static void expect_denied(result res, const char *code, const char *msg_part)
{
    assert_int_equal(res.rc, -1);
    assert_string_equal(res.code, code);
    if (strstr(res.msg, msg_part) == NULL)
        fail_msg("message '%s' lacks '%s'", res.msg, msg_part);
    assert_string_equal(res.id.access_key_id, ""); /* nothing leaks on failure */
}

static void hex(char *out, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        snprintf(out + 2 * i, 3, "%02x", in[i]);
}

/* Signs t with the code under test (used only after the known-answer tests pinned it down). */
static void sign(treq *t, char auth[512], const char *signed_headers, const char *service,
                 const char *amz_date, const char *secret)
{
    dd_buf cr = DD_BUF_INIT(1 << 20), sts = DD_BUF_INIT(1 << 20);
    dd_err err = DD_ERR_INIT;
    char body_hash[65], scope[128], sig[65];
    uint8_t key[32];
    dd_sigv4_sha256_hex(body_hash, t->body, strlen(t->body));
    assert_int_equal(dd_sigv4_canonical_request(&cr, &t->r, signed_headers, body_hash, &err), 0);
    snprintf(scope, sizeof(scope), "%.8s/us-east-1/%s/aws4_request", amz_date, service);
    assert_int_equal(dd_sigv4_string_to_sign(&sts, amz_date, scope, cr.data, cr.len), 0);
    char date[9];
    snprintf(date, sizeof(date), "%.8s", amz_date);
    assert_int_equal(dd_sigv4_signing_key(key, NULL, secret, date, "us-east-1", service), 0);
    assert_int_equal(dd_sigv4_hmac_hex(sig, key, sts.data, sts.len), 0);
    snprintf(auth, 512,
             "AWS4-HMAC-SHA256 Credential=" AKID "/%s/us-east-1/%s/aws4_request, "
             "SignedHeaders=%s, Signature=%s",
             date, service, signed_headers, sig);
    set(t, "Authorization", auth);
    dd_buf_free(&cr);
    dd_buf_free(&sts);
}

/* ---- known answers ---- */

static void test_kat_ecr_canonical_and_keys(void **state)
{
    (void)state;
    treq t;
    ecr_v2(&t);
    dd_buf cr = DD_BUF_INIT(1 << 20), sts = DD_BUF_INIT(1 << 20);
    dd_err err = DD_ERR_INIT;
    char body_hash[65];
    dd_sigv4_sha256_hex(body_hash, "{}", 2);
    assert_string_equal(body_hash,
                        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    assert_int_equal(dd_sigv4_canonical_request(
                         &cr, &t.r, "content-type;host;x-amz-date;x-amz-target", body_hash, &err),
                     0);
    assert_string_equal(cr.data, ECR_CANONICAL);
    assert_int_equal(dd_sigv4_string_to_sign(&sts, "20261127T231205Z",
                                             "20261127/us-east-1/ecr/aws4_request", cr.data,
                                             cr.len),
                     0);
    assert_string_equal(sts.data, ECR_STS);

    uint8_t key[32], steps[4][32];
    char h[65];
    assert_int_equal(dd_sigv4_signing_key(key, steps, SECRET, "20261127", "us-east-1", "ecr"), 0);
    hex(h, steps[0], 32);
    assert_string_equal(h, "0bfab52c21ff6da17ab9be58149f6b858fdcdd28b333ec7acb14bb458ff92bf2");
    hex(h, steps[1], 32);
    assert_string_equal(h, "5acaf066219608369a533a235995d3cd440675548b81846541423a0b51bb95f7");
    hex(h, steps[2], 32);
    assert_string_equal(h, "05eb2aca17ec6fd93ef3e598c63e60ee9eda2d5dde368a250dd6061089fe1709");
    hex(h, steps[3], 32);
    assert_string_equal(h, "1efba5b4239d7676e4b318fbb15312c601fff9dc29c8e7b75d132dc1bb54c5b3");
    hex(h, key, 32);
    assert_string_equal(h, "1efba5b4239d7676e4b318fbb15312c601fff9dc29c8e7b75d132dc1bb54c5b3");
    assert_int_equal(dd_sigv4_hmac_hex(h, key, sts.data, sts.len), 0);
    assert_string_equal(h, "a2a84284a0e6f5a35aab215dff6cc364deb56e316c363fb1b19c852f54fb9e00");
    dd_buf_free(&cr);
    dd_buf_free(&sts);
}

static void test_kat_ecr_verify(void **state)
{
    (void)state;
    treq t;
    ecr_v2(&t);
    result res = verify(&t, "ecr", T_ECR_V2);
    assert_int_equal(res.rc, 0);
    assert_string_equal(res.id.access_key_id, AKID);
    assert_string_equal(res.id.account, "123456789012");
}

static void test_kat_inspector(void **state)
{
    (void)state;
    treq t;
    memset(&t, 0, sizeof(t));
    t.r.method = "POST";
    t.r.raw_target = "/configuration/get";
    t.body = "";
    add(&t, "Host", HOST);
    add(&t, "Accept-Encoding", "identity");
    add(&t, "User-Agent",
        "aws-cli/2.9.19 Python/3.11.2 Linux/6.18.44-fc-v657 "
        "source/x86_64.debian.12 prompt/off command/inspector2.get-configuration");
    add(&t, "X-Amz-Date", "20261127T231206Z");
    add(&t, "Authorization",
        "AWS4-HMAC-SHA256 Credential=" AKID "/20261127/us-east-1/inspector2/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=bfd90c2c737b25a805eb1994ec8965f3f780cf4a029a986f7ed3d44f0cc3ab7d");
    add(&t, "Content-Length", "0");

    dd_buf cr = DD_BUF_INIT(1 << 20), sts = DD_BUF_INIT(1 << 20);
    dd_err err = DD_ERR_INIT;
    char body_hash[65], h[65];
    dd_sigv4_sha256_hex(body_hash, "", 0);
    assert_string_equal(body_hash,
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(dd_sigv4_canonical_request(&cr, &t.r, "host;x-amz-date", body_hash, &err), 0);
    assert_string_equal(cr.data,
                        "POST\n/configuration/get\n\nhost:127.0.0.1:18733\nx-amz-date:"
                        "20261127T231206Z\n\nhost;x-amz-date\n"
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    dd_sigv4_sha256_hex(h, cr.data, cr.len);
    assert_string_equal(h, "ab69f423bc5debf2b5647a65778a2c8c827ef4bb18a3928896b0c32c930b590a");
    uint8_t key[32], steps[4][32];
    assert_int_equal(
        dd_sigv4_signing_key(key, steps, SECRET, "20261127", "us-east-1", "inspector2"), 0);
    hex(h, steps[2], 32);
    assert_string_equal(h, "6e08833a0b9b85bc5b338689ce35e7111254f91dbd033bd8b5eba187caa63fd7");
    hex(h, key, 32);
    assert_string_equal(h, "acb4318d6c76fdc97fdb96fd4fa80a8e28c3235497245c580e847c3c06483dbd");
    assert_int_equal(dd_sigv4_string_to_sign(&sts, "20261127T231206Z",
                                             "20261127/us-east-1/inspector2/aws4_request", cr.data,
                                             cr.len),
                     0);
    assert_int_equal(dd_sigv4_hmac_hex(h, key, sts.data, sts.len), 0);
    assert_string_equal(h, "bfd90c2c737b25a805eb1994ec8965f3f780cf4a029a986f7ed3d44f0cc3ab7d");

    result res = verify(&t, "inspector2", T_INSP_V2);
    assert_int_equal(res.rc, 0);
    /* the same request for the other service is refused */
    expect_denied(verify(&t, "ecr", T_INSP_V2), "InvalidSignatureException", "service");
    dd_buf_free(&cr);
    dd_buf_free(&sts);
}

/* aws CLI 1.45.11 (spec 11.2): extra unsigned headers must not matter. */
static void test_kat_cli_v1(void **state)
{
    (void)state;
    treq t;
    ecr_v2(&t);
    set(&t, "User-Agent", "aws-cli/1.45.11 md/Botocore#1.43.11 ua/2.1 os/linux#6.18.44-fc-v657");
    set(&t, "X-Amz-Date", "20261127T231207Z");
    set(&t, "Authorization",
        "AWS4-HMAC-SHA256 Credential=" AKID "/20261127/us-east-1/ecr/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
        "Signature=1150f023527d7bbcfc4591c70f7de4a01eda3c72be85e604e661c8be24242932");
    add(&t, "amz-sdk-invocation-id", "528b8264-ca11-4ce8-ade1-a1a4cf26c21d");
    add(&t, "amz-sdk-request", "attempt=1");
    assert_int_equal(verify(&t, "ecr", T_ECR_V1).rc, 0);

    memset(&t, 0, sizeof(t));
    t.r.method = "POST";
    t.r.raw_target = "/configuration/get";
    t.body = "";
    add(&t, "Host", HOST);
    add(&t, "X-Amz-Date", "20261127T231208Z");
    add(&t, "Authorization",
        "AWS4-HMAC-SHA256 Credential=" AKID "/20261127/us-east-1/inspector2/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=8ec2344d1ef6874f830bf1867270316a9297d23bec7834e2384a44faba0e3f16");
    add(&t, "amz-sdk-invocation-id", "7f0c3a51-2a7d-4b9e-9d55-0b7e3f0d1c2a");
    add(&t, "amz-sdk-request", "attempt=1");
    add(&t, "Content-Length", "0");
    assert_int_equal(verify(&t, "inspector2", T_INSP_V1).rc, 0);
}

/* Signed by botocore 1.43.11 (SigV4Auth): DELETE /tags/<quoted ARN>?tagKeys=b%20c&tagKeys=a. */
static void test_botocore_encoded_path_and_query(void **state)
{
    (void)state;
    treq t;
    memset(&t, 0, sizeof(t));
    t.r.method = "DELETE";
    t.r.raw_target = "/tags/arn%3Aaws%3Aecr%3Aus-east-1%3A123456789012%3Arepository%2Fteam-a%2Fapp"
                     "?tagKeys=b%20c&tagKeys=a";
    t.body = "";
    add(&t, "Host", HOST);
    add(&t, "X-Amz-Date", "20261128T021528Z");
    add(&t, "Authorization",
        "AWS4-HMAC-SHA256 Credential=" AKID "/20261128/us-east-1/inspector2/aws4_request, "
        "SignedHeaders=host;x-amz-date, "
        "Signature=ae2a7244a42cb29f259fce6f1d7d7a36908116cfde86792f6724492b12364df1");
    dd_buf cr = DD_BUF_INIT(1 << 20);
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_sigv4_canonical_request(&cr, &t.r, "host;x-amz-date",
                                                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
                                                "a495991b7852b855",
                                                &err),
                     0);
    assert_string_equal(cr.data,
                        "DELETE\n/tags/"
                        "arn%253Aaws%253Aecr%253Aus-east-1%253A123456789012%253Arepository%"
                        "252Fteam-a%252Fapp\ntagKeys=a&tagKeys=b%20c\nhost:127.0.0.1:18733\n"
                        "x-amz-date:20261128T021528Z\n\nhost;x-amz-date\n"
                        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(verify(&t, "inspector2", T_BOTO).rc, 0);
    /* the query is signed: another value is refused */
    t.r.raw_target = "/tags/arn%3Aaws%3Aecr%3Aus-east-1%3A123456789012%3Arepository%2Fteam-a%2Fapp"
                     "?tagKeys=b%20c&tagKeys=x";
    expect_denied(verify(&t, "inspector2", T_BOTO), "InvalidSignatureException", "does not match");
    dd_buf_free(&cr);
}

/* Signed by botocore: dot and empty segments, a valueless parameter, whitespace in a header, a
 * body on a GET. */
static void test_botocore_dots_and_whitespace(void **state)
{
    (void)state;
    treq t;
    memset(&t, 0, sizeof(t));
    t.r.method = "GET";
    t.r.raw_target = "/a/./b/../c//d/?z=1&y=a%20b&x";
    t.body = "hello";
    add(&t, "X-Custom", "  a   b  ");
    add(&t, "Host", HOST);
    add(&t, "X-Amz-Date", "20261128T021528Z");
    add(&t, "Authorization",
        "AWS4-HMAC-SHA256 Credential=" AKID "/20261128/us-east-1/ecr/aws4_request, "
        "SignedHeaders=host;x-amz-date;x-custom, "
        "Signature=69d47a843ecda5286a905eaa1ab314f352a4369c969c6012c07eb3b7de9c84d5");
    dd_buf cr = DD_BUF_INIT(1 << 20);
    dd_err err = DD_ERR_INIT;
    char body_hash[65];
    dd_sigv4_sha256_hex(body_hash, "hello", 5);
    assert_int_equal(
        dd_sigv4_canonical_request(&cr, &t.r, "host;x-amz-date;x-custom", body_hash, &err), 0);
    assert_string_equal(cr.data,
                        "GET\n/a/c/d/\nx=&y=a%20b&z=1\nhost:127.0.0.1:18733\n"
                        "x-amz-date:20261128T021528Z\nx-custom:a b\n\n"
                        "host;x-amz-date;x-custom\n"
                        "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assert_int_equal(verify(&t, "ecr", T_BOTO).rc, 0);
    /* the body is signed */
    t.body = "hellO";
    expect_denied(verify(&t, "ecr", T_BOTO), "InvalidSignatureException", "does not match");
    dd_buf_free(&cr);
}

/* ---- canonical pieces ---- */

static void expect_uri(const char *target, const char *want)
{
    dd_buf b = DD_BUF_INIT(4096);
    assert_int_equal(dd_sigv4_canonical_uri(&b, target, strlen(target)), 0);
    if (strcmp(b.data, want) != 0)
        fail_msg("'%s': got '%s', want '%s'", target, b.data, want);
    dd_buf_free(&b);
}

static void expect_query(const char *target, const char *want)
{
    dd_buf b = DD_BUF_INIT(4096);
    assert_int_equal(dd_sigv4_canonical_query(&b, target, strlen(target)), 0);
    const char *got = b.data != NULL ? b.data : "";
    if (strcmp(got, want) != 0)
        fail_msg("'%s': got '%s', want '%s'", target, got, want);
    dd_buf_free(&b);
}

static void test_canonical_uri(void **state)
{
    (void)state;
    expect_uri("", "/");
    expect_uri("/", "/");
    expect_uri("?a=b", "/");
    expect_uri("//", "/");
    expect_uri("/..", "/");
    expect_uri("/../a", "/a");
    expect_uri("/a/b/", "/a/b/");
    expect_uri("/a//b", "/a/b");
    expect_uri("/a/./b/../c//d/", "/a/c/d/");
    expect_uri("/a/b/..", "/a");
    expect_uri("/tags/arn%3Aaws%3Aecr", "/tags/arn%253Aaws%253Aecr");
    expect_uri("/x-y_z.~w", "/x-y_z.~w");
    expect_uri("/a b+c:d", "/a%20b%2Bc%3Ad");
    expect_uri("/\xc3\xa9", "/%C3%A9");
    expect_uri("/v2/?x=1", "/v2/");
    expect_uri("http://example.com:80/p/q?x", "/p/q");
    expect_uri("https://example.com", "/");
    expect_uri(".", "/");
    expect_uri("*", "/%2A");
    expect_uri("a/b/", "/a/b/");
}

static void test_canonical_query(void **state)
{
    (void)state;
    expect_query("/", "");
    expect_query("/?", "");
    expect_query("/?b=2&a=1&a=0", "a=0&a=1&b=2");
    expect_query("/?tagKeys=a&tagKeys=b%20c", "tagKeys=a&tagKeys=b%20c");
    expect_query("/?x", "x=");
    expect_query("/?x=", "x=");
    expect_query("/?a=%7e&b=+&c=%2f", "a=~&b=%2B&c=%2F");
    expect_query("/?k=%zz&k2=%4", "k=%25zz&k2=%254");
    expect_query("/?&&a=1&", "a=1");
    expect_query("/?a=b=c", "a=b%3Dc");
    expect_query("/?%41=1", "A=1");
    expect_query("/?b=1&a%20b=2&a=3", "a=3&a%20b=2&b=1");
}

static void test_canonical_headers(void **state)
{
    (void)state;
    treq t;
    memset(&t, 0, sizeof(t));
    t.r.method = "get";
    t.r.raw_target = "/";
    t.body = "";
    add(&t, "Host", "h");
    add(&t, "X-Multi", "  one  ");
    add(&t, "x-multi", "two \t three");
    add(&t, "X-Empty", "");
    add(&t, "x-amz-date", "20261127T231205Z");
    dd_buf cr = DD_BUF_INIT(4096);
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_sigv4_canonical_request(&cr, &t.r, "host;x-empty;x-multi", "HASH", &err),
                     0);
    assert_string_equal(cr.data,
                        "GET\n/\n\nhost:h\nx-empty:\nx-multi:one,two three\n\nhost;x-empty;"
                        "x-multi\nHASH");
    assert_int_equal(dd_sigv4_canonical_request(&cr, &t.r, "host;x-absent", "HASH", &err),
                     DD_EINVALID);
    assert_non_null(strstr(err.msg, "x-absent"));
    dd_buf_free(&cr);
}

static void test_parse_date(void **state)
{
    (void)state;
    int64_t ms = 0;
    char amz[17];
    assert_int_equal(dd_sigv4_parse_date(&ms, amz, "20261127T231205Z", 16, false), 0);
    assert_int_equal(ms, T_ECR_V2);
    assert_string_equal(amz, "20261127T231205Z");
    const char *http = "Sun, 06 Nov 1994 08:49:37 GMT";
    assert_int_equal(dd_sigv4_parse_date(&ms, amz, http, strlen(http), true), 0);
    assert_int_equal(ms, 784111777000LL);
    assert_string_equal(amz, "19941106T084937Z");
    assert_int_equal(dd_sigv4_parse_date(&ms, amz, http, strlen(http), false), DD_EINVALID);
    assert_int_equal(dd_sigv4_parse_date(&ms, amz, "20000229T000000Z", 16, false), 0);
    assert_int_equal(ms, 951782400000LL);
    static const char *const bad[] = {"20010229T000000Z",
                                      "20261327T231205Z",
                                      "20261100T231205Z",
                                      "20261127T241205Z",
                                      "20261127T236005Z",
                                      "20261127T231260Z",
                                      "20261127 231205Z",
                                      "20261127T231205",
                                      "2026112T231205Z",
                                      "2026-11-27T23:12:05Z",
                                      "+0261127T231205Z",
                                      "",
                                      "Sun, 06 Nov 1994 08:49:37 UTC",
                                      "Sun, 06 Foo 1994 08:49:37 GMT",
                                      "Xyz, 06 Nov 1994 08:49:37 GMT",
                                      "Sun, 31 Nov 1994 08:49:37 GMT"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (dd_sigv4_parse_date(&ms, amz, bad[i], strlen(bad[i]), true) != DD_EINVALID)
            fail_msg("'%s' was accepted", bad[i]);
}

/* ---- Authorization header ---- */

static void test_parse_authorization(void **state)
{
    (void)state;
    dd_sigv4_auth a;
    const char *why = NULL;
    assert_int_equal(dd_sigv4_parse_authorization(&a, ECR_AUTH_V2, strlen(ECR_AUTH_V2), &why), 0);
    assert_string_equal(a.access_key_id, AKID);
    assert_string_equal(a.date, "20261127");
    assert_string_equal(a.region, "us-east-1");
    assert_string_equal(a.service, "ecr");
    assert_string_equal(a.signed_headers, "content-type;host;x-amz-date;x-amz-target");
    assert_string_equal(a.signature,
                        "a2a84284a0e6f5a35aab215dff6cc364deb56e316c363fb1b19c852f54fb9e00");
    /* "," without a space, other order, extra blanks */
    static const char alt[] =
        "AWS4-HMAC-SHA256  Signature=a2a84284a0e6f5a35aab215dff6cc364deb56e316c363fb1b19c852f54fb9e"
        "00,SignedHeaders=host , Credential=" AKID "/20261127/us-east-1/ecr/aws4_request";
    assert_int_equal(dd_sigv4_parse_authorization(&a, alt, strlen(alt), &why), 0);
    assert_string_equal(a.signed_headers, "host");
    /* the length bounds the parse: a terminator is not needed */
    char *copy = dd_strndup(ECR_AUTH_V2, strlen(ECR_AUTH_V2));
    assert_int_equal(dd_sigv4_parse_authorization(&a, copy, strlen(copy) - 1, &why), DD_EINVALID);
    dd_free(copy);

#define SIG "Signature=0000000000000000000000000000000000000000000000000000000000000000"
#define CRED "Credential=" AKID "/20261127/us-east-1/ecr/aws4_request"
    static const struct {
        const char *in, *why;
    } bad[] = {
        {"", "algorithm"},
        {"AWS4-HMAC-SHA1 " CRED ", SignedHeaders=host, " SIG, "algorithm"},
        {"Basic QUJDOkRFRg==", "algorithm"},
        {"AWS4-HMAC-SHA256", "requires"},
        {"AWS4-HMAC-SHA256" CRED, "requires"},
        {"AWS4-HMAC-SHA256 SignedHeaders=host, " SIG, "'Credential'"},
        {"AWS4-HMAC-SHA256 " CRED ", " SIG, "'SignedHeaders'"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host", "'Signature'"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, " SIG ",", "malformed"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, " SIG ", Foo=bar", "unknown"},
        {"AWS4-HMAC-SHA256 " CRED ", " CRED ", SignedHeaders=host, " SIG, "repeats"},
        {"AWS4-HMAC-SHA256 " CRED " SignedHeaders=host, " SIG, "separated"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature", "malformed"},
        {"AWS4-HMAC-SHA256 Credential=" AKID "/20261127/us-east-1/ecr, SignedHeaders=host, " SIG,
         "5"},
        {"AWS4-HMAC-SHA256 Credential=" AKID
         "/20261127/us-east-1/ecr/aws4_request/x, SignedHeaders=host, " SIG,
         "5"},
        {"AWS4-HMAC-SHA256 Credential=" AKID
         "/20261127/us-east-1/ecr/aws4_requesx, SignedHeaders=host, " SIG,
         "aws4_request"},
        {"AWS4-HMAC-SHA256 Credential=" AKID "/2026112/us-east-1/ecr/aws4_request, "
         "SignedHeaders=host, " SIG,
         "YYYYMMDD"},
        {"AWS4-HMAC-SHA256 Credential=" AKID
         "/20261127//ecr/aws4_request, SignedHeaders=host, " SIG,
         "region"},
        {"AWS4-HMAC-SHA256 Credential=" AKID "/20261127/us-east-1/ec r/aws4_request, "
         "SignedHeaders=host, " SIG,
         "5"},
        {"AWS4-HMAC-SHA256 Credential=AK/20261127/us-east-1/ecr/aws4_request, "
         "SignedHeaders=host, " SIG,
         "access key"},
        {"AWS4-HMAC-SHA256 Credential=AKIA+OSFODNN7EXAMPLE/20261127/us-east-1/ecr/aws4_request, "
         "SignedHeaders=host, " SIG,
         "access key"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=x-amz-date;host, " SIG, "sorted"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;host, " SIG, "sorted"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=Host;x-amz-date, " SIG, "lowercase"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=content-type;x-amz-date, " SIG, "'Host'"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;;x-amz-date, " SIG, "empty"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=, " SIG, "empty"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host;x(y), " SIG, "invalid"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, Signature=ABCDEF", "64"},
        {"AWS4-HMAC-SHA256 " CRED ", SignedHeaders=host, "
         "Signature=A2A84284A0E6F5A35AAB215DFF6CC364DEB56E316C363FB1B19C852F54FB9E00",
         "64"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        why = NULL;
        int rc = dd_sigv4_parse_authorization(&a, bad[i].in, strlen(bad[i].in), &why);
        if (rc != DD_EINVALID)
            fail_msg("case %zu '%s' was accepted", i, bad[i].in);
        assert_non_null(why);
        if (strstr(why, bad[i].why) == NULL)
            fail_msg("case %zu: reason '%s' lacks '%s'", i, why, bad[i].why);
    }
}

static void test_is_signed(void **state)
{
    (void)state;
    assert_true(dd_sigv4_is_signed("content-type;host;x-amz-date", "host"));
    assert_true(dd_sigv4_is_signed("content-type;host;x-amz-date", "x-amz-date"));
    assert_true(dd_sigv4_is_signed("content-type;host;x-amz-date", "content-type"));
    assert_false(dd_sigv4_is_signed("content-type;host;x-amz-date", "date"));
    assert_false(dd_sigv4_is_signed("content-type;host;x-amz-dates", "x-amz-date"));
    assert_false(dd_sigv4_is_signed("host", "hos"));
}

/* ---- rejections ---- */

static void test_reject_missing_and_malformed(void **state)
{
    (void)state;
    treq t;
    ecr_v2(&t);
    drop(&t, "Authorization");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "MissingAuthenticationTokenException",
                  "Missing Authentication Token");
    add(&t, "Authorization", "   ");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "MissingAuthenticationTokenException", "Missing");
    set(&t, "Authorization", "AWS4-HMAC-SHA256 Credential=" AKID "/20261127/us-east-1/ecr");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "IncompleteSignatureException", "5");
    /* two Authorization headers */
    ecr_v2(&t);
    add(&t, "authorization", ECR_AUTH_V2);
    expect_denied(verify(&t, "ecr", T_ECR_V2), "IncompleteSignatureException", "one");
}

static void test_reject_wrong_secret_and_unknown_key(void **state)
{
    (void)state;
    treq t;
    ecr_v2(&t);
    keys k = {AKID, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ", 0, 0};
    expect_denied(verify_as(&t, "ecr", "us-east-1", T_ECR_V2, &k), "InvalidSignatureException",
                  "signature we calculated does not match");
    keys other = {"AKIAOTHERKEY00000000", SECRET, 0, 0};
    expect_denied(verify_as(&t, "ecr", "us-east-1", T_ECR_V2, &other),
                  "UnrecognizedClientException", "security token");
    keys broken = {AKID, SECRET, DD_EDB, 0};
    expect_denied(verify_as(&t, "ecr", "us-east-1", T_ECR_V2, &broken), "InternalFailure",
                  "key store");
    /* a tampered signature */
    char auth[512];
    snprintf(auth, sizeof(auth), "%s", ECR_AUTH_V2);
    auth[strlen(auth) - 1] = '1';
    set(&t, "Authorization", auth);
    expect_denied(verify(&t, "ecr", T_ECR_V2), "InvalidSignatureException", "does not match");
    /* a signed header changed */
    ecr_v2(&t);
    set(&t, "X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.DeleteRepository");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "InvalidSignatureException", "does not match");
    /* an unsigned header changed: still valid */
    ecr_v2(&t);
    set(&t, "User-Agent", "something else");
    assert_int_equal(verify(&t, "ecr", T_ECR_V2).rc, 0);
    /* the method is signed */
    t.r.method = "PUT";
    expect_denied(verify(&t, "ecr", T_ECR_V2), "InvalidSignatureException", "does not match");
}

static void test_reject_skew(void **state)
{
    (void)state;
    treq t;
    ecr_v2(&t);
    int64_t min = 60 * 1000;
    assert_int_equal(verify(&t, "ecr", T_ECR_V2 + 5 * min).rc, 0);
    assert_int_equal(verify(&t, "ecr", T_ECR_V2 - 5 * min).rc, 0);
    expect_denied(verify(&t, "ecr", T_ECR_V2 + 5 * min + 1000), "InvalidSignatureException",
                  "expired");
    expect_denied(verify(&t, "ecr", T_ECR_V2 - 5 * min - 1000), "InvalidSignatureException",
                  "not yet current");
    /* a wider allowance */
    keys k = {AKID, SECRET, 0, 0};
    result res;
    memset(&res, 0, sizeof(res));
    dd_sigv4_verify_opts o = {"ecr", "", T_ECR_V2 + 14 * min, 15 * min, lookup, &k};
    assert_int_equal(
        dd_sigv4_verify(&t.r, "{}", 2, &o, &res.id, &res.code, res.msg, sizeof(res.msg)), 0);
}

static void test_reject_scope(void **state)
{
    (void)state;
    treq t;
    ecr_v2(&t);
    expect_denied(verify(&t, "inspector2", T_ECR_V2), "InvalidSignatureException",
                  "scoped to correct service: 'inspector2'");
    keys k = {AKID, SECRET, 0, 0};
    expect_denied(verify_as(&t, "ecr", "eu-west-1", T_ECR_V2, &k), "InvalidSignatureException",
                  "region");
    assert_int_equal(verify_as(&t, "ecr", "", T_ECR_V2, &k).rc, 0);
    assert_int_equal(verify_as(&t, "ecr", NULL, T_ECR_V2, &k).rc, 0);
    /* credential date differing from X-Amz-Date */
    set(&t, "Authorization",
        "AWS4-HMAC-SHA256 Credential=" AKID "/20261126/us-east-1/ecr/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
        "Signature=a2a84284a0e6f5a35aab215dff6cc364deb56e316c363fb1b19c852f54fb9e00");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "InvalidSignatureException", "Credential scope");
}

static void test_reject_dates(void **state)
{
    (void)state;
    treq t;
    ecr_v2(&t);
    drop(&t, "X-Amz-Date");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "IncompleteSignatureException",
                  "'X-Amz-Date' or a 'Date'");
    add(&t, "X-Amz-Date", "2026-11-27T23:12:05Z");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "IncompleteSignatureException", "ISO-8601");
    /* X-Amz-Date present but not signed */
    ecr_v2(&t);
    set(&t, "Authorization",
        "AWS4-HMAC-SHA256 Credential=" AKID "/20261127/us-east-1/ecr/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-target, "
        "Signature=a2a84284a0e6f5a35aab215dff6cc364deb56e316c363fb1b19c852f54fb9e00");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "IncompleteSignatureException",
                  "'X-Amz-Date' must be a 'SignedHeader'");
    /* a signed header the request lacks */
    ecr_v2(&t);
    drop(&t, "X-Amz-Target");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "IncompleteSignatureException", "x-amz-target");
}

/* The Date header serves when X-Amz-Date is absent; it must then be signed. */
static void test_date_header_fallback(void **state)
{
    (void)state;
    treq t;
    char auth[512];
    memset(&t, 0, sizeof(t));
    t.r.method = "POST";
    t.r.raw_target = "/configuration/get";
    t.body = "";
    add(&t, "Host", HOST);
    add(&t, "Date", "Fri, 27 Nov 2026 23:12:05 GMT");
    sign(&t, auth, "date;host", "inspector2", "20261127T231205Z", SECRET);
    assert_int_equal(verify(&t, "inspector2", T_ECR_V2).rc, 0);
    expect_denied(verify(&t, "inspector2", T_ECR_V2 + 3600 * 1000), "InvalidSignatureException",
                  "expired");
    /* signed with the wrong timestamp in the string to sign */
    sign(&t, auth, "date;host", "inspector2", "20261127T231206Z", SECRET);
    expect_denied(verify(&t, "inspector2", T_ECR_V2), "InvalidSignatureException",
                  "does not match");
    /* Date not signed */
    sign(&t, auth, "host", "inspector2", "20261127T231205Z", SECRET);
    expect_denied(verify(&t, "inspector2", T_ECR_V2), "IncompleteSignatureException",
                  "'Date' must be a 'SignedHeader'");
}

static void test_reject_security_token(void **state)
{
    (void)state;
    treq t;
    ecr_v2(&t);
    add(&t, "X-Amz-Security-Token", "FQoGZXIvYXdzEXAMPLE");
    keys k = {AKID, SECRET, 0, 0};
    expect_denied(verify_as(&t, "ecr", "us-east-1", T_ECR_V2, &k), "UnrecognizedClientException",
                  "security token");
    assert_int_equal(k.calls, 0); /* refused before any key lookup */
}

static void test_content_sha256(void **state)
{
    (void)state;
    treq t;
    ecr_v2(&t);
    add(&t, "X-Amz-Content-Sha256",
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    assert_int_equal(verify(&t, "ecr", T_ECR_V2).rc, 0); /* correct and unsigned: fine */
    set(&t, "X-Amz-Content-Sha256",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "InvalidSignatureException",
                  "'x-amz-content-sha256' header does not match");
    set(&t, "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "InvalidSignatureException", "UNSIGNED-PAYLOAD");
    set(&t, "X-Amz-Content-Sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "InvalidSignatureException", "STREAMING");
    set(&t, "X-Amz-Content-Sha256", "not-a-hash");
    expect_denied(verify(&t, "ecr", T_ECR_V2), "InvalidSignatureException", "does not match");

    /* signed along: the header value is part of the canonical request */
    char auth[512];
    ecr_v2(&t);
    add(&t, "X-Amz-Content-Sha256",
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    sign(&t, auth, "content-type;host;x-amz-content-sha256;x-amz-date;x-amz-target", "ecr",
         "20261127T231205Z", SECRET);
    assert_int_equal(verify(&t, "ecr", T_ECR_V2).rc, 0);
    t.body = "{ }";
    expect_denied(verify(&t, "ecr", T_ECR_V2), "InvalidSignatureException",
                  "'x-amz-content-sha256' header does not match");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kat_ecr_canonical_and_keys),
        cmocka_unit_test(test_kat_ecr_verify),
        cmocka_unit_test(test_kat_inspector),
        cmocka_unit_test(test_kat_cli_v1),
        cmocka_unit_test(test_botocore_encoded_path_and_query),
        cmocka_unit_test(test_botocore_dots_and_whitespace),
        cmocka_unit_test(test_canonical_uri),
        cmocka_unit_test(test_canonical_query),
        cmocka_unit_test(test_canonical_headers),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_parse_authorization),
        cmocka_unit_test(test_is_signed),
        cmocka_unit_test(test_reject_missing_and_malformed),
        cmocka_unit_test(test_reject_wrong_secret_and_unknown_key),
        cmocka_unit_test(test_reject_skew),
        cmocka_unit_test(test_reject_scope),
        cmocka_unit_test(test_reject_dates),
        cmocka_unit_test(test_date_header_fallback),
        cmocka_unit_test(test_reject_security_token),
        cmocka_unit_test(test_content_sha256),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
