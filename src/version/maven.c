/* Maven version ordering (DD_VERS_MAVEN): a port of maven-artifact's ComparableVersion as of
 * Maven 3.9.x (the version with CombinationItem, "X-1" read as "X1" and ".X" read as "-X").
 *
 * The version is lowercased (ASCII) and split on '.', '-' and digit/letter transitions into a
 * tree of items: numbers (int, long and big-integer classes by digit count, exactly as Maven
 * types them), strings (qualifiers), combinations (a qualifier directly followed by a number,
 * "rc1") and lists (a '-' or a digit/letter transition opens a nested list). Each list is then
 * normalised (null items - 0, "", empty lists - trimmed as Maven does) and the trees are compared
 * item by item. Qualifier order: alpha = a < beta = b < milestone = m < rc = cr < snapshot <
 * "" = ga = final = release < sp < unknown qualifiers (lexical); a, b and m are aliases only when
 * directly followed by a digit.
 *
 * Deviations from the Java code: only ASCII is case-folded and only ASCII digits are digits
 * (Java uses Unicode rules; no Maven Central version needs them), unknown qualifiers compare
 * bytewise (UTF-8) where Java compares UTF-16 units, and versions longer than MAVEN_MAX bytes or
 * empty are DD_EINVALID (ComparableVersion accepts any string, so nothing else is rejected).
 * Hand-written: the algorithm is a small character scanner and no C library implements it. */
#include "version/version.h"

#include <stdint.h>
#include <string.h>

#include "util/alloc.h"

#define MAVEN_MAX 512

enum { IT_INT, IT_STR, IT_COMB, IT_LIST };

typedef struct item {
    int type;
    const char *s; /* IT_INT: digits (leading zeros stripped unless all zero); IT_STR and
                      IT_COMB: the qualifier after aliasing */
    size_t slen;
    const char *d; /* IT_COMB: the digits of the number part */
    size_t dlen;
    size_t *kids; /* IT_LIST: indices of the items */
    size_t n, cap;
} item;

typedef struct mver {
    char *low; /* lowercased copy; items point into it or into constant strings */
    item *it;
    size_t n, cap;
    size_t *lists; /* list items in creation order (normalised in reverse) */
    size_t n_lists;
} mver;

static void mver_free(mver *v)
{
    for (size_t i = 0; i < v->n; i++)
        dd_free(v->it[i].kids);
    dd_free(v->it);
    dd_free(v->lists);
    dd_free(v->low);
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Appends a fresh item and returns its index in *out. */
static int new_item(mver *v, int type, size_t *out)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        item *p = dd_reallocarray(v->it, cap, sizeof(*p));
        if (p == NULL)
            return DD_ENOMEM;
        v->it = p;
        v->cap = cap;
    }
    memset(&v->it[v->n], 0, sizeof(item));
    v->it[v->n].type = type;
    *out = v->n++;
    return 0;
}

static int list_add(mver *v, size_t list, size_t kid)
{
    item *l = &v->it[list];
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        size_t *p = dd_reallocarray(l->kids, cap, sizeof(*p));
        if (p == NULL)
            return DD_ENOMEM;
        l->kids = p;
        l->cap = cap;
    }
    l->kids[l->n++] = kid;
    return 0;
}

/* Adds a new nested list to *list and makes it the current list. */
static int push_list(mver *v, size_t *list)
{
    size_t sub;
    int rc = new_item(v, IT_LIST, &sub);
    if (rc == 0)
        rc = list_add(v, *list, sub);
    if (rc == 0)
        v->lists[v->n_lists++] = sub;
    if (rc == 0)
        *list = sub;
    return rc;
}

/* Maven's stripLeadingZeroes: all-zero strings are kept whole (their length still decides the
 * Int/Long/BigInteger class). */
static void strip_zeros(const char **s, size_t *len)
{
    size_t i = 0;
    while (i < *len && (*s)[i] == '0')
        i++;
    if (i < *len) {
        *s += i;
        *len -= i;
    }
}

static void set_string(item *it, const char *s, size_t len, int followed_by_digit)
{
    if (followed_by_digit && len == 1) {
        if (s[0] == 'a') {
            s = "alpha";
            len = 5;
        } else if (s[0] == 'b') {
            s = "beta";
            len = 4;
        } else if (s[0] == 'm') {
            s = "milestone";
            len = 9;
        }
    }
    if (len == 2 && memcmp(s, "cr", 2) == 0)
        s = "rc";
    it->s = s;
    it->slen = len;
}

/* Maven's parseItem(isCombination, isDigit, buf) for low[start..end). */
static int parse_item(mver *v, size_t list, size_t start, size_t end, int comb, int digit)
{
    const char *s = v->low + start;
    size_t len = end - start, idx;
    int rc;
    if (comb) {
        /* CombinationItem(buf.replace("-", "")): the '-' can only sit between the qualifier
         * and the number ("x-1"), so the two parts are the spans around it. */
        size_t k = 0;
        while (k < len && !is_digit(s[k]))
            k++;
        if (k < len) {
            size_t qlen = k;
            if (qlen > 0 && s[qlen - 1] == '-')
                qlen--;
            rc = new_item(v, IT_COMB, &idx);
            if (rc != 0)
                return rc;
            item *it = &v->it[idx];
            set_string(it, s, qlen, 1);
            it->d = s + k;
            it->dlen = len - k;
            strip_zeros(&it->d, &it->dlen);
            return list_add(v, list, idx);
        }
        /* no digit: not reachable from the scanner; read it as a plain string */
    }
    if (digit) {
        rc = new_item(v, IT_INT, &idx);
        if (rc != 0)
            return rc;
        v->it[idx].s = s;
        v->it[idx].slen = len;
        strip_zeros(&v->it[idx].s, &v->it[idx].slen);
        return list_add(v, list, idx);
    }
    rc = new_item(v, IT_STR, &idx);
    if (rc != 0)
        return rc;
    set_string(&v->it[idx], s, len, 0);
    return list_add(v, list, idx);
}

static int add_zero(mver *v, size_t list)
{
    size_t idx;
    int rc = new_item(v, IT_INT, &idx);
    if (rc != 0)
        return rc;
    v->it[idx].s = "0";
    v->it[idx].slen = 1;
    return list_add(v, list, idx);
}

static int is_null(const mver *v, size_t i)
{
    const item *it = &v->it[i];
    switch (it->type) {
    case IT_INT:
        return it->s[0] == '0'; /* stripped: only all-zero strings start with '0' */
    case IT_STR:
        return it->slen == 0;
    case IT_LIST:
        return it->n == 0;
    default:
        return 0;
    }
}

static void normalize(mver *v, size_t list)
{
    item *l = &v->it[list];
    for (size_t j = l->n; j-- > 0;) {
        if (!is_null(v, l->kids[j]))
            continue;
        int drop = 0;
        if (j == l->n - 1 || v->it[l->kids[j + 1]].type == IT_STR) {
            drop = 1;
        } else if (v->it[l->kids[j + 1]].type == IT_LIST) {
            const item *next = &v->it[l->kids[j + 1]];
            if (next->n > 0) {
                int t = v->it[next->kids[0]].type;
                drop = t == IT_COMB || t == IT_STR;
            }
        }
        if (drop) {
            memmove(&l->kids[j], &l->kids[j + 1], (l->n - j - 1) * sizeof(size_t));
            l->n--;
        }
    }
}

/* ComparableVersion.parseVersion. */
static int parse(const char *which, const char *in, mver *v, dd_err *err)
{
    size_t len = strlen(in), list, root;
    int rc;
    memset(v, 0, sizeof(*v));
    if (len == 0)
        return dd_err_set_at(err, DD_EINVALID, 0, "maven: %s version is empty", which);
    if (len > MAVEN_MAX)
        return dd_err_set_at(err, DD_EINVALID, MAVEN_MAX,
                             "maven: %s version is longer than %d bytes", which, MAVEN_MAX);
    v->low = dd_strndup(in, len);
    /* a list opens at most once per input byte, plus the root */
    v->lists = dd_mallocarray(len + 1, sizeof(size_t));
    if (v->low == NULL || v->lists == NULL)
        return DD_ENOMEM;
    for (size_t i = 0; i < len; i++)
        if (v->low[i] >= 'A' && v->low[i] <= 'Z')
            v->low[i] = (char)(v->low[i] - 'A' + 'a');
    rc = new_item(v, IT_LIST, &root);
    if (rc != 0)
        return rc;
    v->lists[v->n_lists++] = root;
    list = root;
    const char *s = v->low;
    int digit = 0, comb = 0;
    size_t start = 0;
    for (size_t i = 0; i < len && rc == 0; i++) {
        char c = s[i];
        if (c == '.') {
            rc = i == start ? add_zero(v, list) : parse_item(v, list, start, i, comb, digit);
            comb = 0;
            start = i + 1;
        } else if (c == '-') {
            if (i == start) {
                rc = add_zero(v, list);
            } else {
                if (!digit && i != len - 1 && is_digit(s[i + 1])) {
                    comb = 1; /* X-1 is read as X1 */
                    continue;
                }
                rc = parse_item(v, list, start, i, comb, digit);
            }
            start = i + 1;
            if (rc == 0 && v->it[list].n > 0)
                rc = push_list(v, &list);
            comb = 0;
        } else if (is_digit(c)) {
            if (!digit && i > start) {
                comb = 1;
                if (v->it[list].n > 0)
                    rc = push_list(v, &list);
            }
            digit = 1;
        } else {
            if (digit && i > start) {
                rc = parse_item(v, list, start, i, comb, 1);
                start = i;
                if (rc == 0)
                    rc = push_list(v, &list);
                comb = 0;
            }
            digit = 0;
        }
    }
    if (rc == 0 && len > start) {
        /* 1.0.0.X1 < 1.0.0-X2: .X is read as -X for any string qualifier X */
        if (!digit && v->it[list].n > 0)
            rc = push_list(v, &list);
        if (rc == 0)
            rc = parse_item(v, list, start, len, comb, digit);
    }
    if (rc != 0)
        return rc;
    for (size_t k = v->n_lists; k-- > 0;)
        normalize(v, v->lists[k]);
    return 0;
}

static int sign(int x)
{
    return (x > 0) - (x < 0);
}

static int num_class(size_t len)
{
    return len <= 9 ? 0 : len <= 18 ? 1 : 2; /* IntItem, LongItem, BigIntegerItem */
}

/* Int/Long/BigInteger compareTo: a different class decides by class alone, as in Maven. */
static int cmp_num(const char *a, size_t alen, const char *b, size_t blen)
{
    int ca = num_class(alen), cb = num_class(blen);
    if (ca != cb)
        return ca < cb ? -1 : 1;
    /* same class: compare values (all-zero strings are the value 0) */
    while (alen > 1 && a[0] == '0') {
        a++;
        alen--;
    }
    while (blen > 1 && b[0] == '0') {
        b++;
        blen--;
    }
    if (alen != blen)
        return alen < blen ? -1 : 1;
    return sign(memcmp(a, b, alen));
}

/* Index of a known qualifier in alpha, beta, milestone, rc, snapshot, "", sp (ga, final and
 * release count as ""), or -1. */
static int qual_index(const char *s, size_t len)
{
    static const char *const q[] = {"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"};
    static const char *const rel[] = {"ga", "final", "release"};
    for (size_t i = 0; i < 3; i++)
        if (strlen(rel[i]) == len && memcmp(rel[i], s, len) == 0)
            return 5;
    for (int i = 0; i < 7; i++)
        if (strlen(q[i]) == len && memcmp(q[i], s, len) == 0)
            return i;
    return -1;
}

/* comparableQualifier(a).compareTo(comparableQualifier(b)); b NULL means the release "". */
static int cmp_qual(const char *a, size_t alen, const char *b, size_t blen)
{
    int ia = qual_index(a, alen), ib = b == NULL ? 5 : qual_index(b, blen);
    if (ia >= 0 && ib >= 0)
        return sign(ia - ib);
    if (ia >= 0)
        return -1; /* "N" < "7-..." */
    if (ib >= 0)
        return 1;
    size_t m = alen < blen ? alen : blen;
    int r = memcmp(a, b, m);
    if (r != 0)
        return sign(r);
    return alen == blen ? 0 : alen < blen ? -1 : 1;
}

/* a.compareTo(b) with b == SIZE_MAX meaning null. */
static int cmp_item(const mver *va, size_t a, const mver *vb, size_t b)
{
    const item *x = &va->it[a];
    const item *y = b == SIZE_MAX ? NULL : &vb->it[b];
    int r;
    switch (x->type) {
    case IT_INT:
        if (y == NULL)
            return x->s[0] == '0' ? 0 : 1;
        if (y->type == IT_INT)
            return cmp_num(x->s, x->slen, y->s, y->slen);
        return 1;
    case IT_STR:
        if (y == NULL)
            return cmp_qual(x->s, x->slen, NULL, 0);
        if (y->type == IT_STR)
            return cmp_qual(x->s, x->slen, y->s, y->slen);
        if (y->type == IT_COMB) {
            r = cmp_qual(x->s, x->slen, y->s, y->slen);
            return r == 0 ? -1 : r;
        }
        return -1;
    case IT_COMB:
        if (y == NULL)
            return cmp_qual(x->s, x->slen, NULL, 0);
        if (y->type == IT_STR) {
            r = cmp_qual(x->s, x->slen, y->s, y->slen);
            return r == 0 ? 1 : r;
        }
        if (y->type == IT_COMB) {
            r = cmp_qual(x->s, x->slen, y->s, y->slen);
            return r != 0 ? r : cmp_num(x->d, x->dlen, y->d, y->dlen);
        }
        return -1;
    default: /* IT_LIST */
        if (y == NULL) {
            for (size_t i = 0; i < x->n; i++) {
                r = cmp_item(va, x->kids[i], vb, SIZE_MAX);
                if (r != 0)
                    return r;
            }
            return 0;
        }
        if (y->type == IT_INT)
            return -1;
        if (y->type != IT_LIST)
            return 1;
        for (size_t i = 0; i < x->n || i < y->n; i++) {
            if (i >= x->n)
                r = -cmp_item(vb, y->kids[i], va, SIZE_MAX);
            else
                r = cmp_item(va, x->kids[i], vb, i < y->n ? y->kids[i] : SIZE_MAX);
            if (r != 0)
                return r;
        }
        return 0;
    }
}

int dd_vers_maven_cmp(const char *a, const char *b, int *out, dd_err *err)
{
    mver va, vb;
    int rc = parse("first", a, &va, err);
    memset(&vb, 0, sizeof(vb));
    if (rc != 0)
        goto out;
    rc = parse("second", b, &vb, err);
    if (rc != 0)
        goto out;
    *out = cmp_item(&va, 0, &vb, 0);
out:
    if (rc == DD_ENOMEM)
        dd_err_set(err, rc, "maven: out of memory");
    mver_free(&va);
    mver_free(&vb);
    return rc;
}
