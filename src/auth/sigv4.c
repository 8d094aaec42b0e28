/* AWS Signature Version 4 verification for the ECR and Inspector2 APIs
 * (spec 1.6): the Authorization header parser, canonical request, string to
 * sign, signing key and the checks around them, as pure functions over a
 * request description (auth.c feeds them from HTTP and the key store). */
#include "auth/internal.h"
#include "util/alloc.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char HEX[] = "0123456789abcdef";

static bool is_ws(char c)
{
    return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_unreserved(unsigned char c)
{
    return is_alnum((char)c) || c == '-' || c == '_' || c == '.' || c == '~';
}

static void to_hex(char *out, const uint8_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = HEX[in[i] >> 4];
        out[2 * i + 1] = HEX[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Copies buf[0..len) into out (cap bytes with the NUL) when it fits. */
static bool copy_str(char *out, size_t cap, const char *buf, size_t len)
{
    if (len >= cap)
        return false;
    memcpy(out, buf, len);
    out[len] = '\0';
    return true;
}

/* ---- Authorization header
 * ------------------------------------------------------------------- */

static bool scope_part_ok(const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_')
            return false;
    return true;
}

/* Credential=<AKID>/<YYYYMMDD>/<region>/<service>/aws4_request */
static int parse_credential(dd_sigv4_auth *out, const char *v, size_t len, const char **why)
{
    const char *part[5];
    size_t plen[5], n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && v[i] != '/')
            continue;
        if (n == 5) {
            *why = "Credential must have exactly 5 '/'-separated parts";
            return DD_EINVALID;
        }
        part[n] = v + start;
        plen[n++] = i - start;
        start = i + 1;
    }
    if (n != 5) {
        *why = "Credential must have exactly 5 '/'-separated parts";
        return DD_EINVALID;
    }
    if (!dd_auth_key_id_valid(part[0], plen[0])) {
        *why = "Credential has a malformed access key id";
        return DD_EINVALID;
    }
    bool date_ok = plen[1] == 8;
    for (size_t i = 0; date_ok && i < 8; i++)
        date_ok = is_digit(part[1][i]);
    if (!date_ok) {
        *why = "Credential date must be YYYYMMDD";
        return DD_EINVALID;
    }
    if (!scope_part_ok(part[2], plen[2], sizeof(out->region) - 1) ||
        !scope_part_ok(part[3], plen[3], sizeof(out->service) - 1)) {
        *why = "Credential has a malformed region or service";
        return DD_EINVALID;
    }
    if (plen[4] != 12 || memcmp(part[4], "aws4_request", 12) != 0) {
        *why = "Credential must end in 'aws4_request'";
        return DD_EINVALID;
    }
    copy_str(out->access_key_id, sizeof(out->access_key_id), part[0], plen[0]);
    copy_str(out->date, sizeof(out->date), part[1], plen[1]);
    copy_str(out->region, sizeof(out->region), part[2], plen[2]);
    copy_str(out->service, sizeof(out->service), part[3], plen[3]);
    return 0;
}

static bool is_tchar_lower(char c)
{
    return (c >= 'a' && c <= 'z') || is_digit(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c));
}

int dd_sigv4_check_signed_headers(const char *s, size_t len, const char **why)
{
    if (len == 0 || len > DD_SIGV4_SIGNED_HEADERS_MAX) {
        *why = "SignedHeaders is empty or too long";
        return DD_EINVALID;
    }
    size_t prev = 0, prev_len = 0, start = 0;
    bool have_prev = false, host = false;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && s[i] != ';') {
            if (s[i] >= 'A' && s[i] <= 'Z') {
                *why = "SignedHeaders must be lowercase";
                return DD_EINVALID;
            }
            if (!is_tchar_lower(s[i])) {
                *why = "SignedHeaders contains an invalid header name";
                return DD_EINVALID;
            }
            continue;
        }
        size_t n = i - start;
        if (n == 0) {
            *why = "SignedHeaders contains an empty header name";
            return DD_EINVALID;
        }
        if (have_prev) {
            size_t m = prev_len < n ? prev_len : n;
            int c = memcmp(s + prev, s + start, m);
            if (c > 0 || (c == 0 && prev_len >= n)) {
                *why = "SignedHeaders must be sorted and without duplicates";
                return DD_EINVALID;
            }
        }
        if (n == 4 && memcmp(s + start, "host", 4) == 0)
            host = true;
        prev = start;
        prev_len = n;
        have_prev = true;
        start = i + 1;
    }
    if (!host) {
        *why = "'Host' must be a 'SignedHeader' in the AWS Authorization";
        return DD_EINVALID;
    }
    return 0;
}

bool dd_sigv4_is_signed(const char *s, const char *name)
{
    size_t n = strlen(name);
    const char *p = s;
    while (*p != '\0') {
        const char *e = strchr(p, ';');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return true;
        if (e == NULL)
            break;
        p = e + 1;
    }
    return false;
}

static bool name_is(const char *s, size_t len, const char *lit)
{
    return strlen(lit) == len && memcmp(s, lit, len) == 0;
}

int dd_sigv4_parse_authorization(dd_sigv4_auth *out, const char *buf, size_t len, const char **why)
{
    static const char alg[] = DD_SIGV4_ALGORITHM;
    memset(out, 0, sizeof(*out));
    *why = "";
    if (len > DD_AUTH_HEADER_MAX) {
        *why = "Authorization header is too long";
        return DD_EINVALID;
    }
    size_t p = 0;
    while (p < len && is_ws(buf[p]))
        p++;
    if (len - p < sizeof(alg) - 1 || memcmp(buf + p, alg, sizeof(alg) - 1) != 0) {
        *why = "Authorization header must use the AWS4-HMAC-SHA256 algorithm";
        return DD_EINVALID;
    }
    p += sizeof(alg) - 1;
    if (p >= len || !is_ws(buf[p])) {
        *why = "Authorization header requires 'Credential', 'SignedHeaders' and "
               "'Signature'";
        return DD_EINVALID;
    }
    bool cred = false, sh = false, sig = false;
    for (;;) {
        while (p < len && is_ws(buf[p]))
            p++;
        size_t ns = p;
        while (p < len && buf[p] != '=' && buf[p] != ',' && !is_ws(buf[p]))
            p++;
        if (p >= len || buf[p] != '=' || p == ns) {
            *why = "Authorization header has a malformed component (expected "
                   "Name=value)";
            return DD_EINVALID;
        }
        const char *name = buf + ns;
        size_t nlen = p - ns;
        p++;
        size_t vs = p;
        while (p < len && buf[p] != ',' && !is_ws(buf[p]))
            p++;
        const char *v = buf + vs;
        size_t vlen = p - vs;
        if (name_is(name, nlen, "Credential")) {
            if (cred) {
                *why = "Authorization header repeats 'Credential'";
                return DD_EINVALID;
            }
            int rc = parse_credential(out, v, vlen, why);
            if (rc != 0)
                return rc;
            cred = true;
        } else if (name_is(name, nlen, "SignedHeaders")) {
            if (sh) {
                *why = "Authorization header repeats 'SignedHeaders'";
                return DD_EINVALID;
            }
            int rc = dd_sigv4_check_signed_headers(v, vlen, why);
            if (rc != 0)
                return rc;
            copy_str(out->signed_headers, sizeof(out->signed_headers), v, vlen);
            sh = true;
        } else if (name_is(name, nlen, "Signature")) {
            if (sig) {
                *why = "Authorization header repeats 'Signature'";
                return DD_EINVALID;
            }
            bool ok = vlen == 64;
            for (size_t i = 0; ok && i < vlen; i++)
                ok = is_digit(v[i]) || (v[i] >= 'a' && v[i] <= 'f');
            if (!ok) {
                *why = "Signature must be 64 lowercase hex digits";
                return DD_EINVALID;
            }
            copy_str(out->signature, sizeof(out->signature), v, vlen);
            sig = true;
        } else {
            *why = "Authorization header has an unknown component";
            return DD_EINVALID;
        }
        while (p < len && is_ws(buf[p]))
            p++;
        if (p == len)
            break;
        if (buf[p] != ',') {
            *why = "Authorization header components must be separated by ','";
            return DD_EINVALID;
        }
        p++;
    }
    if (!cred) {
        *why = "Authorization header requires 'Credential' parameter";
        return DD_EINVALID;
    }
    if (!sh) {
        *why = "Authorization header requires 'SignedHeaders' parameter";
        return DD_EINVALID;
    }
    if (!sig) {
        *why = "Authorization header requires 'Signature' parameter";
        return DD_EINVALID;
    }
    return 0;
}

/* ---- dates
 * ----------------------------------------------------------------------------------
 */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static unsigned days_in_month(unsigned y, unsigned m)
{
    static const unsigned dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static bool digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return true;
}

static int make_time(int64_t *ms_out, char amz_out[17], unsigned y, unsigned mo, unsigned d,
                     unsigned h, unsigned mi, unsigned s)
{
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
        mi > 59 || s > 59)
        return DD_EINVALID;
    int64_t days = days_from_civil(y, mo, d);
    *ms_out = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)s * 1000;
    snprintf(amz_out, 17, "%04u%02u%02uT%02u%02u%02uZ", y % 10000, mo % 100, d % 100, h % 100,
             mi % 100, s % 100);
    return 0;
}

int dd_sigv4_parse_date(int64_t *ms_out, char amz_out[17], const char *buf, size_t len,
                        bool http_date)
{
    unsigned y, mo, d, h, mi, s;
    if (len == 16 && buf[8] == 'T' && buf[15] == 'Z' && digits(buf, 4, &y) &&
        digits(buf + 4, 2, &mo) && digits(buf + 6, 2, &d) && digits(buf + 9, 2, &h) &&
        digits(buf + 11, 2, &mi) && digits(buf + 13, 2, &s))
        return make_time(ms_out, amz_out, y, mo, d, h, mi, s);
    if (!http_date)
        return DD_EINVALID;
    /* RFC 1123: "Sun, 06 Nov 1994 08:49:37 GMT" (29 bytes) */
    static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    static const char *const wdays[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    if (len != 29 || memcmp(buf + 3, ", ", 2) != 0 || buf[7] != ' ' || buf[11] != ' ' ||
        buf[16] != ' ' || buf[19] != ':' || buf[22] != ':' || memcmp(buf + 25, " GMT", 4) != 0)
        return DD_EINVALID;
    bool wd = false;
    for (size_t i = 0; i < 7 && !wd; i++)
        wd = memcmp(buf, wdays[i], 3) == 0;
    mo = 0;
    for (unsigned i = 0; i < 12 && mo == 0; i++)
        if (memcmp(buf + 8, months[i], 3) == 0)
            mo = i + 1;
    if (!wd || mo == 0 || !digits(buf + 5, 2, &d) || !digits(buf + 12, 4, &y) ||
        !digits(buf + 17, 2, &h) || !digits(buf + 20, 2, &mi) || !digits(buf + 23, 2, &s))
        return DD_EINVALID;
    return make_time(ms_out, amz_out, y, mo, d, h, mi, s);
}

/* ---- canonical request
 * ---------------------------------------------------------------------- */

static int append_encoded(dd_buf *out, const uint8_t *s, size_t len, bool keep_slash)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        int rc;
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            rc = dd_buf_append(out, &c, 1);
        } else {
            char e[3] = {'%', "0123456789ABCDEF"[c >> 4], "0123456789ABCDEF"[c & 15]};
            rc = dd_buf_append(out, e, 3);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* The path part of a raw target: up to '?' or '#', without a scheme and
 * authority. */
static void target_path(const char *t, size_t len, size_t *start, size_t *end)
{
    size_t e = 0;
    while (e < len && t[e] != '?' && t[e] != '#')
        e++;
    size_t s = 0;
    if ((e >= 7 && strncasecmp(t, "http://", 7) == 0) ||
        (e >= 8 && strncasecmp(t, "https://", 8) == 0)) {
        s = t[4] == ':' ? 7 : 8;
        while (s < e && t[s] != '/')
            s++;
    }
    *start = s;
    *end = e;
}

int dd_sigv4_canonical_uri(dd_buf *out, const char *target, size_t len)
{
    size_t ps, pe;
    target_path(target, len, &ps, &pe);
    const char *path = target + ps;
    size_t plen = pe - ps;
    if (plen == 0)
        return dd_buf_append(out, "/", 1);
    size_t n_max = 1;
    for (size_t i = 0; i < plen; i++)
        n_max += path[i] == '/';
    size_t *seg = dd_mallocarray(n_max, 2 * sizeof(size_t)); /* start, length pairs */
    if (seg == NULL)
        return DD_ENOMEM;
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= plen; i++) {
        if (i < plen && path[i] != '/')
            continue;
        size_t l = i - start;
        if (l == 2 && path[start] == '.' && path[start + 1] == '.') {
            if (n > 0)
                n--;
        } else if (l > 0 && !(l == 1 && path[start] == '.')) {
            seg[2 * n] = start;
            seg[2 * n + 1] = l;
            n++;
        }
        start = i + 1;
    }
    int rc = dd_buf_append(out, "/", 1); /* absolute, even for an odd target like "*" */
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0)
            rc = dd_buf_append(out, "/", 1);
        if (rc == 0)
            rc = append_encoded(out, (const uint8_t *)path + seg[2 * i], seg[2 * i + 1], false);
    }
    if (rc == 0 && n > 0 && path[plen - 1] == '/')
        rc = dd_buf_append(out, "/", 1);
    dd_free(seg);
    return rc;
}

static int hexval(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decodes s[0..len) and re-encodes it (a '%' not followed by two hex
 * digits is taken as is). */
static int reencode(dd_buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t c = (uint8_t)s[i];
        if (c == '%' && i + 2 < len && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            c = (uint8_t)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        }
        int rc = append_encoded(out, &c, 1, false);
        if (rc != 0)
            return rc;
    }
    return 0;
}

typedef struct qparam {
    char *key;
    char *value;
} qparam;

static int cmp_qparam(const void *a, const void *b)
{
    const qparam *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c != 0 ? c : strcmp(x->value, y->value);
}

int dd_sigv4_canonical_query(dd_buf *out, const char *target, size_t len)
{
    size_t q = 0;
    while (q < len && target[q] != '?')
        q++;
    if (q == len)
        return 0;
    q++;
    size_t qe = q;
    while (qe < len && target[qe] != '#')
        qe++;
    size_t n_max = 1;
    for (size_t i = q; i < qe; i++)
        n_max += target[i] == '&';
    if (n_max > DD_SIGV4_QUERY_PARAMS_MAX)
        return DD_ELIMIT;
    qparam *ps = dd_calloc(n_max, sizeof(*ps));
    if (ps == NULL)
        return DD_ENOMEM;
    size_t n = 0, start = q;
    int rc = 0;
    dd_buf tmp = DD_BUF_INIT(DD_SIGV4_CANONICAL_MAX);
    for (size_t i = q; i <= qe && rc == 0; i++) {
        if (i < qe && target[i] != '&')
            continue;
        if (i > start) {
            const char *kv = target + start;
            size_t kvlen = i - start;
            const char *eq = memchr(kv, '=', kvlen);
            size_t klen = eq != NULL ? (size_t)(eq - kv) : kvlen;
            dd_buf_reset(&tmp);
            rc = reencode(&tmp, kv, klen);
            if (rc == 0 &&
                (ps[n].key = dd_strndup(tmp.data != NULL ? tmp.data : "", tmp.len)) == NULL)
                rc = DD_ENOMEM;
            dd_buf_reset(&tmp);
            if (rc == 0 && eq != NULL)
                rc = reencode(&tmp, eq + 1, kvlen - klen - 1);
            if (rc == 0 &&
                (ps[n].value = dd_strndup(tmp.data != NULL ? tmp.data : "", tmp.len)) == NULL)
                rc = DD_ENOMEM;
            n++;
        }
        start = i + 1;
    }
    if (rc == 0 && n > 1)
        qsort(ps, n, sizeof(*ps), cmp_qparam);
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (i > 0)
            rc = dd_buf_append(out, "&", 1);
        if (rc == 0)
            rc = dd_buf_append_str(out, ps[i].key);
        if (rc == 0)
            rc = dd_buf_append(out, "=", 1);
        if (rc == 0)
            rc = dd_buf_append_str(out, ps[i].value);
    }
    for (size_t i = 0; i < n_max; i++) {
        dd_free(ps[i].key);
        dd_free(ps[i].value);
    }
    dd_free(ps);
    dd_buf_free(&tmp);
    return rc;
}

static bool is_hws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Appends v with leading/trailing whitespace removed and inner runs collapsed
 * to one space. */
static int append_trimmed(dd_buf *out, const char *v)
{
    bool pending = false, any = false;
    for (const char *p = v; *p != '\0'; p++) {
        if (is_hws(*p)) {
            pending = any;
            continue;
        }
        int rc = 0;
        if (pending)
            rc = dd_buf_append(out, " ", 1);
        if (rc == 0)
            rc = dd_buf_append(out, p, 1);
        if (rc != 0)
            return rc;
        pending = false;
        any = true;
    }
    return 0;
}

int dd_sigv4_canonical_request(dd_buf *out, const dd_sigv4_request *r, const char *signed_headers,
                               const char *payload_hash, dd_err *err)
{
    dd_buf_reset(out);
    int rc = 0;
    for (const char *m = r->method; *m != '\0' && rc == 0; m++) {
        char c = (*m >= 'a' && *m <= 'z') ? (char)(*m - 'a' + 'A') : *m;
        rc = dd_buf_append(out, &c, 1);
    }
    size_t tlen = strlen(r->raw_target);
    if (rc == 0)
        rc = dd_buf_append(out, "\n", 1);
    if (rc == 0)
        rc = dd_sigv4_canonical_uri(out, r->raw_target, tlen);
    if (rc == 0)
        rc = dd_buf_append(out, "\n", 1);
    if (rc == 0)
        rc = dd_sigv4_canonical_query(out, r->raw_target, tlen);
    if (rc == 0)
        rc = dd_buf_append(out, "\n", 1);
    const char *p = signed_headers;
    while (rc == 0 && *p != '\0') {
        const char *e = strchr(p, ';');
        size_t nlen = e != NULL ? (size_t)(e - p) : strlen(p);
        rc = dd_buf_append(out, p, nlen);
        if (rc == 0)
            rc = dd_buf_append(out, ":", 1);
        bool found = false;
        for (size_t i = 0; i < r->n_headers && rc == 0; i++) {
            const char *hn = r->headers[i].name;
            if (strlen(hn) != nlen || strncasecmp(hn, p, nlen) != 0)
                continue;
            if (found)
                rc = dd_buf_append(out, ",", 1);
            if (rc == 0)
                rc = append_trimmed(out, r->headers[i].value);
            found = true;
        }
        if (rc == 0 && !found)
            return dd_err_set(err, DD_EINVALID, "signed header '%.*s' is not in the request",
                              (int)(nlen > 64 ? 64 : nlen), p);
        if (rc == 0)
            rc = dd_buf_append(out, "\n", 1);
        p = e != NULL ? e + 1 : p + nlen;
    }
    if (rc == 0)
        rc = dd_buf_append(out, "\n", 1);
    if (rc == 0)
        rc = dd_buf_append_str(out, signed_headers);
    if (rc == 0)
        rc = dd_buf_append(out, "\n", 1);
    if (rc == 0)
        rc = dd_buf_append_str(out, payload_hash);
    if (rc != 0)
        return dd_err_set(err, rc, "canonical request: %s", dd_strerror(rc));
    return 0;
}

/* ---- crypto
 * ---------------------------------------------------------------------------------
 */

void dd_sigv4_sha256_hex(char out[65], const void *data, size_t len)
{
    uint8_t md[32];
    unsigned md_len = 0;
    if (EVP_Digest(len > 0 ? data : "", len, md, &md_len, EVP_sha256(), NULL) != 1 ||
        md_len != 32) {
        out[0] = '\0'; /* never equal to a real hash, so verification fails closed */
        return;
    }
    to_hex(out, md, 32);
}

static int hmac(uint8_t out[32], const void *key, size_t key_len, const void *data, size_t len)
{
    unsigned out_len = 0;
    if (HMAC(EVP_sha256(), key, (int)key_len, len > 0 ? data : (const void *)"", len, out,
             &out_len) == NULL ||
        out_len != 32)
        return DD_EINVALID;
    return 0;
}

int dd_sigv4_string_to_sign(dd_buf *out, const char *amz_date, const char *scope,
                            const char *canonical, size_t canonical_len)
{
    char h[65];
    dd_sigv4_sha256_hex(h, canonical, canonical_len);
    dd_buf_reset(out);
    return dd_buf_printf(out, "%s\n%s\n%s\n%s", DD_SIGV4_ALGORITHM, amz_date, scope, h);
}

int dd_sigv4_signing_key(uint8_t out[32], uint8_t steps[4][32], const char *secret,
                         const char *date, const char *region, const char *service)
{
    char k[4 + DD_AUTH_SECRET_MAX + 1];
    size_t slen = strlen(secret);
    if (slen > DD_AUTH_SECRET_MAX)
        return DD_EINVALID;
    memcpy(k, "AWS4", 4);
    memcpy(k + 4, secret, slen);
    uint8_t kd[32], kr[32], ks[32];
    int rc = hmac(kd, k, 4 + slen, date, strlen(date));
    if (rc == 0)
        rc = hmac(kr, kd, 32, region, strlen(region));
    if (rc == 0)
        rc = hmac(ks, kr, 32, service, strlen(service));
    if (rc == 0)
        rc = hmac(out, ks, 32, "aws4_request", 12);
    if (rc == 0 && steps != NULL) {
        memcpy(steps[0], kd, 32);
        memcpy(steps[1], kr, 32);
        memcpy(steps[2], ks, 32);
        memcpy(steps[3], out, 32);
    }
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(kd, sizeof(kd));
    OPENSSL_cleanse(kr, sizeof(kr));
    OPENSSL_cleanse(ks, sizeof(ks));
    return rc;
}

int dd_sigv4_hmac_hex(char out[65], const uint8_t key[32], const void *data, size_t len)
{
    uint8_t mac[32];
    int rc = hmac(mac, key, 32, data, len);
    if (rc != 0)
        return rc;
    to_hex(out, mac, 32);
    return 0;
}

/* ---- verification
 * ---------------------------------------------------------------------------
 */

static const char MISSING[] = "MissingAuthenticationTokenException";
static const char INCOMPLETE[] = "IncompleteSignatureException";
static const char UNRECOGNIZED[] = "UnrecognizedClientException";
static const char INVALID[] = "InvalidSignatureException";
static const char INTERNAL[] = "InternalFailure";

static int deny(const char **code, const char *c, char *msg, size_t msg_len, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int deny(const char **code, const char *c, char *msg, size_t msg_len, const char *fmt, ...)
{
    *code = c;
    if (msg != NULL && msg_len > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, msg_len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* The value of the only header called name; NULL when absent; *n counts them.
 */
static const char *find_header(const dd_sigv4_request *r, const char *name, size_t *n)
{
    const char *v = NULL;
    *n = 0;
    for (size_t i = 0; i < r->n_headers; i++) {
        if (strcasecmp(r->headers[i].name, name) == 0) {
            if (v == NULL)
                v = r->headers[i].value;
            (*n)++;
        }
    }
    return v;
}

static const char *trim(const char *v, size_t *len)
{
    while (is_ws(*v))
        v++;
    size_t n = strlen(v);
    while (n > 0 && is_ws(v[n - 1]))
        n--;
    *len = n;
    return v;
}

int dd_sigv4_verify(const dd_sigv4_request *r, const void *body, size_t body_len,
                    const dd_sigv4_verify_opts *o, dd_auth_identity *id, const char **code,
                    char *msg, size_t msg_len)
{
    static const char mismatch[] =
        "The request signature we calculated does not match the signature you "
        "provided. Check "
        "your AWS Secret Access Key and signing method.";
    dd_sigv4_auth au;
    const char *why = "";
    size_t n = 0, vlen = 0;
    int ret = -1;
    char secret[DD_AUTH_SECRET_MAX + 1] = "";
    dd_buf cr = DD_BUF_INIT(DD_SIGV4_CANONICAL_MAX), sts = DD_BUF_INIT(DD_SIGV4_CANONICAL_MAX);
    dd_err err = DD_ERR_INIT;
    memset(id, 0, sizeof(*id));
    *code = NULL;
    if (msg != NULL && msg_len > 0)
        msg[0] = '\0';

    const char *h = find_header(r, "authorization", &n);
    if (h != NULL)
        h = trim(h, &vlen);
    if (h == NULL || vlen == 0)
        return deny(code, MISSING, msg, msg_len, "Missing Authentication Token");
    if (n > 1)
        return deny(code, INCOMPLETE, msg, msg_len, "Only one Authorization header is allowed");
    if (dd_sigv4_parse_authorization(&au, h, vlen, &why) != 0)
        return deny(code, INCOMPLETE, msg, msg_len, "%s", why);

    /* the timestamp: X-Amz-Date, else Date; the header it comes from must be
     * signed */
    const char *ts_name = "x-amz-date";
    const char *ts = find_header(r, ts_name, &n);
    if (ts == NULL) {
        ts_name = "date";
        ts = find_header(r, ts_name, &n);
    }
    if (ts == NULL)
        return deny(code, INCOMPLETE, msg, msg_len,
                    "Authorization header requires existence of either a 'X-Amz-Date' or a "
                    "'Date' header");
    if (n > 1)
        return deny(code, INCOMPLETE, msg, msg_len, "Only one '%s' header is allowed", ts_name);
    int64_t ts_ms = 0;
    char amz_date[17];
    const char *tsv = trim(ts, &vlen);
    if (dd_sigv4_parse_date(&ts_ms, amz_date, tsv, vlen, ts_name[0] == 'd') != 0)
        return deny(code, INCOMPLETE, msg, msg_len,
                    "Date must be in ISO-8601 'basic format' (YYYYMMDD'T'HHMMSS'Z')%s",
                    ts_name[0] == 'd' ? " or RFC 1123" : "");
    if (!dd_sigv4_is_signed(au.signed_headers, ts_name))
        return deny(code, INCOMPLETE, msg, msg_len, "'%s' must be a 'SignedHeader'",
                    ts_name[0] == 'd' ? "Date" : "X-Amz-Date");

    /* we issue no session tokens */
    if (find_header(r, "x-amz-security-token", &n) != NULL)
        return deny(code, UNRECOGNIZED, msg, msg_len,
                    "The security token included in the request is invalid.");

    int rc = o->lookup(o->lookup_ctx, au.access_key_id, secret, sizeof(secret), id);
    if (rc == DD_ENOTFOUND) {
        ret = deny(code, UNRECOGNIZED, msg, msg_len,
                   "The security token included in the request is invalid.");
        goto out;
    }
    if (rc != 0) {
        ret = deny(code, INTERNAL, msg, msg_len, "The key store failed (%s)", dd_strerror(rc));
        goto out;
    }

    if (memcmp(au.date, amz_date, 8) != 0) {
        ret = deny(code, INVALID, msg, msg_len,
                   "Date in Credential scope does not match YYYYMMDD from ISO-8601 "
                   "version of "
                   "date from HTTP: '%s' != '%.8s', from '%s'.",
                   au.date, amz_date, amz_date);
        goto out;
    }
    int64_t skew = o->max_skew_ms > 0 ? o->max_skew_ms : 5 * 60 * 1000;
    if (ts_ms < o->now_ms - skew || ts_ms > o->now_ms + skew) {
        ret = deny(code, INVALID, msg, msg_len,
                   "Signature %s: %s is more than %lld seconds away from the server time",
                   ts_ms < o->now_ms ? "expired" : "not yet current", amz_date,
                   (long long)(skew / 1000));
        goto out;
    }
    if (strcmp(au.service, o->service) != 0) {
        ret = deny(code, INVALID, msg, msg_len,
                   "Credential should be scoped to correct service: '%s'.", o->service);
        goto out;
    }
    if (o->region != NULL && o->region[0] != '\0' && strcmp(au.region, o->region) != 0) {
        ret = deny(code, INVALID, msg, msg_len,
                   "Credential should be scoped to a valid region, not '%s'.", au.region);
        goto out;
    }

    char body_hash[65], payload[65];
    dd_sigv4_sha256_hex(body_hash, body, body_len);
    memcpy(payload, body_hash, sizeof(payload));
    const char *csha = find_header(r, "x-amz-content-sha256", &n);
    if (csha != NULL) {
        const char *v = trim(csha, &vlen);
        if ((vlen == 16 && memcmp(v, "UNSIGNED-PAYLOAD", 16) == 0) ||
            (vlen >= 10 && memcmp(v, "STREAMING-", 10) == 0)) {
            ret = deny(code, INVALID, msg, msg_len,
                       "X-Amz-Content-Sha256 '%.40s' is not accepted by this API; sign the "
                       "payload",
                       v);
            goto out;
        }
        if (n > 1 || vlen != 64 || memcmp(v, body_hash, 64) != 0) {
            ret = deny(code, INVALID, msg, msg_len,
                       "The provided 'x-amz-content-sha256' header does not match what was "
                       "computed.");
            goto out;
        }
    }

    rc = dd_sigv4_canonical_request(&cr, r, au.signed_headers, payload, &err);
    if (rc == DD_EINVALID) {
        ret = deny(code, INCOMPLETE, msg, msg_len, "%s", err.msg);
        goto out;
    }
    char scope[160];
    snprintf(scope, sizeof(scope), "%s/%s/%s/aws4_request", au.date, au.region, au.service);
    if (rc == 0)
        rc = dd_sigv4_string_to_sign(&sts, amz_date, scope, cr.data, cr.len);
    uint8_t key[32];
    char sig[65];
    if (rc == 0)
        rc = dd_sigv4_signing_key(key, NULL, secret, au.date, au.region, au.service);
    if (rc == 0)
        rc = dd_sigv4_hmac_hex(sig, key, sts.data, sts.len);
    OPENSSL_cleanse(key, sizeof(key));
    if (rc != 0) {
        ret = deny(code, INTERNAL, msg, msg_len, "Signature computation failed (%s)",
                   dd_strerror(rc));
        goto out;
    }
    if (CRYPTO_memcmp(sig, au.signature, 64) != 0) {
        ret = deny(code, INVALID, msg, msg_len, "%s", mismatch);
        goto out;
    }
    ret = 0;
out:
    if (ret != 0)
        memset(id, 0, sizeof(*id));
    OPENSSL_cleanse(secret, sizeof(secret));
    dd_buf_free(&cr);
    dd_buf_free(&sts);
    return ret;
}
