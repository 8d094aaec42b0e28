/* Packagist version ordering (DD_VERS_COMPOSER): composer/semver 3.x VersionParser::normalize,
 * then PHP's version_compare() on the normalised strings, as Semver\Comparator does.
 *
 * normalize: trim; "master", "trunk", "default" and "dev-*" are branches; "+build" is dropped;
 * then the classical form v?N{1,5}(.N)?(.N)?(.N)? or the date form
 * v?NNNN([.:-]?NN){1,6}([.:-]?N{1,3}){0,2}, each followed by the modifier
 * [._-]?((stable|beta|b|RC|alpha|a|patch|pl|p)([.-]?N)*)?([.-]?dev)?, case-insensitive: missing
 * parts become ".0", a/b/p/pl/rc expand to alpha/beta/patch/patch/RC, "-dev" is kept; else a
 * numeric branch "1.x-dev" becomes 1.9999999.9999999.9999999-dev. Anything else is invalid
 * (Composer throws "Invalid version string"). So "1.0" == "1.0.0" == "v1.0.0.0", "1.0rc1" ==
 * "1.0.0-RC1", and "1.0-dev" < "1.0a1" < "1.0b1" < "1.0RC1" < "1.0" < "1.0pl1".
 *
 * version_compare (php-src ext/standard/versioning.c): '-', '_', '+' and digit/letter transitions
 * split into '.'-separated parts; numbers compare by value, words by their special form (dev <
 * alpha = a < beta = b < RC = rc < number < pl = p, unknown words lowest) and a number against a
 * word as "#" (between rc and pl); when one side runs out, a remaining number makes it greater and
 * a remaining word is compared with "#".
 *
 * Branches (decided here; Composer's Comparator says dev-* branches are neither <, > nor == to
 * each other): "dev-x" sorts below every numbered version, as version_compare does ("dev" <
 * number), and branches order among themselves by name, bytewise; equal names are equal. OSV
 * Packagist ranges hold normalised release versions, so branches only matter for installed
 * dev-* packages, which then never fall inside a fixed-version range.
 * Deviations: numbers compare as digit strings of any length (PHP's strtol saturates past
 * 2^63-1); the "X as Y" alias and "@stability" suffixes of constraints are not accepted.
 * Hand-written: a direct transcription of the regular expressions; no C library implements them. */
#include "version/version.h"

#include <string.h>

#define COMPOSER_MAX 256
#define NORM_MAX 1024

typedef struct cver {
    char s[NORM_MAX]; /* normalised form */
    size_t len;
    int branch; /* "dev-<name>" */
} cver;

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\r';
}

static int lower(char c)
{
    return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive: does v[i..e) start with w? */
static int starts(const char *v, size_t i, size_t e, const char *w)
{
    size_t n = strlen(w);
    if (e - i < n)
        return 0;
    for (size_t k = 0; k < n; k++)
        if (lower(v[i + k]) != w[k])
            return 0;
    return 1;
}

static void put(cver *o, const char *p, size_t n)
{
    if (o->len + n < sizeof(o->s)) { /* bounded: inputs are at most COMPOSER_MAX bytes */
        memcpy(o->s + o->len, p, n);
        o->len += n;
        o->s[o->len] = '\0';
    }
}

static void puts_(cver *o, const char *p)
{
    put(o, p, strlen(p));
}

typedef struct modm {
    size_t word, word_len; /* stability word, word_len 0 when absent */
    size_t num, num_len;   /* its number part "([.-]?N)*" */
    int dev;
} modm;

/* Matches the modifier regex at v[i..e) up to the end of input. */
static int match_modifier(const char *v, size_t i, size_t e, modm *m)
{
    static const char *const words[] = {"stable", "beta",  "b",  "rc", "alpha",
                                        "a",      "patch", "pl", "p",  NULL};
    for (int sep = 1; sep >= 0; sep--) {
        size_t p = i;
        if (sep) {
            if (p < e && (v[p] == '.' || v[p] == '_' || v[p] == '-'))
                p++;
            else
                continue;
        }
        for (int w = 0; w <= 9; w++) {
            size_t q = p;
            memset(m, 0, sizeof(*m));
            if (words[w] != NULL) {
                if (!starts(v, q, e, words[w]))
                    continue;
                m->word = q;
                m->word_len = strlen(words[w]);
                q += m->word_len;
                m->num = q;
                for (;;) { /* possessive ([.-]?\d+)* */
                    size_t r = q;
                    if (r < e && (v[r] == '.' || v[r] == '-'))
                        r++;
                    if (r < e && is_digit(v[r])) {
                        while (r < e && is_digit(v[r]))
                            r++;
                        q = r;
                    } else {
                        break;
                    }
                }
                m->num_len = q - m->num;
            }
            size_t r = q;
            if (r < e && (v[r] == '.' || v[r] == '-') && starts(v, r + 1, e, "dev"))
                r++;
            if (starts(v, r, e, "dev") && r + 3 == e) {
                m->dev = 1;
                return 1;
            }
            if (q == e)
                return 1;
        }
    }
    return 0;
}

/* Date form: \d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2} then the modifier; backtracking
 * search, greedy as PCRE; *end is where the date part stops. */
static int match_date(const char *v, size_t i, size_t e, int phase, int count, size_t *end, modm *m)
{
    int max = phase == 0 ? 6 : 2;
    if (count < max) {
        /* [.:-]? is greedy: first with the separator, then without */
        int has_sep = i < e && (v[i] == '.' || v[i] == ':' || v[i] == '-');
        for (int s = has_sep; s >= 0; s--) {
            size_t p = i + (size_t)s;
            if (phase == 0) {
                if (p + 2 <= e && is_digit(v[p]) && is_digit(v[p + 1]) &&
                    match_date(v, p + 2, e, 0, count + 1, end, m))
                    return 1;
            } else {
                for (size_t k = 3; k >= 1; k--) {
                    size_t d = 0;
                    while (d < k && p + d < e && is_digit(v[p + d]))
                        d++;
                    if (d == k && match_date(v, p + k, e, 1, count + 1, end, m))
                        return 1;
                }
            }
        }
    }
    if (phase == 0)
        return count >= 1 && match_date(v, i, e, 1, 0, end, m);
    if (match_modifier(v, i, e, m)) {
        *end = i;
        return 1;
    }
    return 0;
}

static void add_modifier(cver *o, const char *v, const modm *m)
{
    if (m->word_len > 0) {
        char w[8];
        size_t n = m->word_len;
        for (size_t k = 0; k < n; k++)
            w[k] = (char)lower(v[m->word + k]);
        w[n] = '\0';
        if (n == 6 && memcmp(v + m->word, "stable", 6) == 0)
            return; /* exactly "stable": returned as is, even with -dev */
        puts_(o, "-");
        if (strcmp(w, "a") == 0)
            puts_(o, "alpha");
        else if (strcmp(w, "b") == 0)
            puts_(o, "beta");
        else if (strcmp(w, "p") == 0 || strcmp(w, "pl") == 0)
            puts_(o, "patch");
        else if (strcmp(w, "rc") == 0)
            puts_(o, "RC");
        else
            puts_(o, w);
        size_t s = m->num, n2 = m->num_len;
        while (n2 > 0 && (v[s] == '.' || v[s] == '-')) { /* ltrim(".-") */
            s++;
            n2--;
        }
        put(o, v + s, n2);
    }
    if (m->dev)
        puts_(o, "-dev");
}

/* normalizeBranch for numeric names: v?N(.N|.x|.X|.*){0,3}; 0 when it is not one. */
static int numeric_branch(const char *v, size_t i, size_t e, cver *o)
{
    if (i < e && lower(v[i]) == 'v')
        i++;
    if (i == e || !is_digit(v[i]))
        return 0;
    size_t s = i;
    while (i < e && is_digit(v[i]))
        i++;
    o->len = 0;
    put(o, v + s, i - s);
    int parts = 1;
    while (i < e && parts < 4) {
        if (v[i] != '.' || i + 1 == e)
            return 0;
        i++;
        if (v[i] == 'x' || v[i] == 'X' || v[i] == '*') {
            puts_(o, ".9999999");
            i++;
        } else if (is_digit(v[i])) {
            s = i;
            while (i < e && is_digit(v[i]))
                i++;
            puts_(o, ".");
            put(o, v + s, i - s);
        } else {
            return 0;
        }
        parts++;
    }
    if (i != e)
        return 0;
    for (; parts < 4; parts++)
        puts_(o, ".9999999");
    puts_(o, "-dev");
    return 1;
}

static int normalize(const char *which, const char *v, cver *o, dd_err *err)
{
    size_t len = strlen(v), b = 0, e, i;
    modm m;
    memset(o, 0, sizeof(*o));
    if (len > COMPOSER_MAX)
        return dd_err_set_at(err, DD_EINVALID, COMPOSER_MAX,
                             "composer: %s version is longer than %d bytes", which, COMPOSER_MAX);
    e = len;
    while (b < e && is_space(v[b]))
        b++;
    while (e > b && is_space(v[e - 1]))
        e--;
    if (b == e)
        return dd_err_set_at(err, DD_EINVALID, b, "composer: %s version is empty", which);
    static const char *const master[] = {"master", "trunk", "default"};
    for (int k = 0; k < 3; k++) {
        if (e - b == strlen(master[k]) && memcmp(v + b, master[k], e - b) == 0) {
            o->branch = 1;
            puts_(o, "dev-");
            put(o, v + b, e - b);
            return 0;
        }
    }
    if (starts(v, b, e, "dev-")) {
        o->branch = 1;
        puts_(o, "dev-");
        put(o, v + b + 4, e - b - 4);
        return 0;
    }
    /* strip build metadata: ^([^,\s+]++)\+[^\s]++$ */
    size_t plus = b;
    while (plus < e && v[plus] != '+' && v[plus] != ',' && !is_space(v[plus]))
        plus++;
    if (plus > b && plus < e && v[plus] == '+' && plus + 1 < e) {
        size_t k = plus + 1;
        while (k < e && !is_space(v[k]))
            k++;
        if (k == e)
            e = plus;
    }
    i = b;
    if (i < e && lower(v[i]) == 'v')
        i++;
    /* classical: (\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)? */
    size_t s = i;
    while (i < e && is_digit(v[i]))
        i++;
    if (i > s && i - s <= 5) {
        size_t parts[4][2] = {{s, i - s}, {0, 0}, {0, 0}, {0, 0}};
        int n = 1;
        while (n < 4 && i + 1 < e && v[i] == '.' && is_digit(v[i + 1])) {
            size_t p = i;
            i++;
            while (i < e && is_digit(v[i]))
                i++;
            parts[n][0] = p;
            parts[n][1] = i - p;
            n++;
        }
        if (match_modifier(v, i, e, &m)) {
            put(o, v + parts[0][0], parts[0][1]);
            for (int k = 1; k < 4; k++) {
                if (k < n)
                    put(o, v + parts[k][0], parts[k][1]);
                else
                    puts_(o, ".0");
            }
            add_modifier(o, v, &m);
            return 0;
        }
    }
    /* date(time) */
    i = s;
    size_t dend;
    if (e - i >= 4 && is_digit(v[i]) && is_digit(v[i + 1]) && is_digit(v[i + 2]) &&
        is_digit(v[i + 3]) && match_date(v, i + 4, e, 0, 0, &dend, &m)) {
        for (size_t k = i; k < dend; k++) {
            char c = is_digit(v[k]) ? v[k] : '.';
            put(o, &c, 1);
        }
        add_modifier(o, v, &m);
        return 0;
    }
    /* numeric dev branch: (.*?)[.-]?dev$ */
    if (e - b >= 3 && starts(v, e - 3, e, "dev")) {
        size_t ne = e - 3;
        if (ne > b && (v[ne - 1] == '.' || v[ne - 1] == '-'))
            ne--;
        size_t nb = b;
        while (nb < ne && is_space(v[nb]))
            nb++;
        while (ne > nb && is_space(v[ne - 1]))
            ne--;
        if (numeric_branch(v, nb, ne, o))
            return 0;
    }
    return dd_err_set_at(err, DD_EINVALID, b,
                         "composer: %s version \"%.64s\" is not a valid Composer version", which,
                         v);
}

/* php_canonicalize_version, then splitting into parts. */
static size_t canonical(const char *v, size_t len, char *out, size_t cap)
{
    size_t q = 0;
    if (len == 0 || cap < 2 * len + 1)
        return 0;
    out[q++] = v[0];
    char lp = v[0];
    for (size_t i = 1; i < len; i++) {
        char c = v[i];
        int dig_lp = is_digit(lp), ndig_lp = !is_digit(lp) && lp != '.';
        int dig_c = is_digit(c), ndig_c = !is_digit(c) && c != '.';
        if (c == '-' || c == '_' || c == '+') {
            if (out[q - 1] != '.')
                out[q++] = '.';
        } else if ((ndig_lp && dig_c) || (dig_lp && ndig_c)) {
            if (out[q - 1] != '.')
                out[q++] = '.';
            out[q++] = c;
        } else if (!(dig_c || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            if (out[q - 1] != '.')
                out[q++] = '.';
        } else {
            out[q++] = c;
        }
        lp = c;
    }
    out[q] = '\0';
    return q;
}

static int special(const char *p, size_t n)
{
    static const struct {
        const char *name;
        int order;
    } forms[] = {{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2},
                 {"RC", 3},  {"rc", 3},    {"#", 4}, {"pl", 5},   {"p", 5}};
    for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
        size_t l = strlen(forms[k].name);
        if (n >= l && memcmp(p, forms[k].name, l) == 0)
            return forms[k].order;
    }
    return -1;
}

static int cmp_num(const char *a, size_t al, const char *b, size_t bl)
{
    while (al > 1 && a[0] == '0') {
        a++;
        al--;
    }
    while (bl > 1 && b[0] == '0') {
        b++;
        bl--;
    }
    if (al != bl)
        return al < bl ? -1 : 1;
    int r = memcmp(a, b, al);
    return (r > 0) - (r < 0);
}

static int cmp_parts(const char *a, size_t al, const char *b, size_t bl)
{
    int da = al > 0 && is_digit(a[0]), db = bl > 0 && is_digit(b[0]);
    if (da && db) {
        size_t x = 0, y = 0;
        while (x < al && is_digit(a[x]))
            x++;
        while (y < bl && is_digit(b[y]))
            y++;
        return cmp_num(a, x, b, y);
    }
    int sa = da ? 4 : special(a, al), sb = db ? 4 : special(b, bl);
    return (sa > sb) - (sa < sb);
}

/* php_version_compare on canonical strings. */
static int version_compare(const char *a, size_t al, const char *b, size_t bl)
{
    size_t i = 0, j = 0;
    int more_a = 1, more_b = 1;
    while (i < al && j < bl && more_a && more_b) {
        size_t ea = i, eb = j;
        while (ea < al && a[ea] != '.')
            ea++;
        while (eb < bl && b[eb] != '.')
            eb++;
        int r = cmp_parts(a + i, ea - i, b + j, eb - j);
        if (r != 0)
            return r;
        more_a = ea < al;
        more_b = eb < bl;
        i = more_a ? ea + 1 : ea;
        j = more_b ? eb + 1 : eb;
    }
    if (more_a && i < al) {
        if (is_digit(a[i]))
            return 1;
        return version_compare(a + i, al - i, "#", 1);
    }
    if (more_b && j < bl) {
        if (is_digit(b[j]))
            return -1;
        return version_compare("#", 1, b + j, bl - j);
    }
    return 0;
}

int dd_vers_composer_cmp(const char *a, const char *b, int *out, dd_err *err)
{
    char ca[2 * NORM_MAX + 1], cb[2 * NORM_MAX + 1];
    cver va, vb;
    int rc = normalize("first", a, &va, err);
    if (rc != 0)
        goto out;
    rc = normalize("second", b, &vb, err);
    if (rc != 0)
        goto out;
    if (va.branch && vb.branch) {
        int r = strcmp(va.s, vb.s);
        *out = (r > 0) - (r < 0);
    } else if (va.branch || vb.branch) {
        *out = va.branch ? -1 : 1;
    } else {
        size_t la = canonical(va.s, va.len, ca, sizeof(ca));
        size_t lb = canonical(vb.s, vb.len, cb, sizeof(cb));
        *out = version_compare(ca, la, cb, lb);
    }
out:
    return rc;
}
