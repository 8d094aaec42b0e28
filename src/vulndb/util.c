/* Helpers shared by the importers: RFC 3339 / ISO 8601 times, Debian release names, and the
 * splitting of comma-separated version requirements. The time
 * parser is hand-written because it is a few fixed-width fields (strptime ignores offsets and
 * fractions and depends on the locale). */
#include "vulndb/import.h"

#include <string.h>

/* Reads exactly n digits at s[*i] into *v. */
static int digits(const char *s, size_t *i, int n, int *v)
{
    int x = 0;
    for (int k = 0; k < n; k++) {
        char c = s[*i];
        if (c < '0' || c > '9')
            return 0;
        x = x * 10 + (c - '0');
        (*i)++;
    }
    *v = x;
    return 1;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

int dd_import_parse_time(const char *s, int64_t *ms_out)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off_min = 0;
    if (s == NULL || !digits(s, &i, 4, &y) || s[i++] != '-' || !digits(s, &i, 2, &mo) ||
        s[i++] != '-' || !digits(s, &i, 2, &d))
        return DD_EINVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return DD_EINVALID;
    if (s[i] == 'T' || s[i] == 't' || s[i] == ' ') {
        i++;
        if (!digits(s, &i, 2, &h) || s[i++] != ':' || !digits(s, &i, 2, &mi))
            return DD_EINVALID;
        if (s[i] == ':') {
            i++;
            if (!digits(s, &i, 2, &sec))
                return DD_EINVALID;
        }
        if (s[i] == '.' || s[i] == ',') {
            i++;
            int nd = 0;
            while (s[i] >= '0' && s[i] <= '9') {
                if (nd < 3)
                    ms = ms * 10 + (s[i] - '0');
                nd++;
                i++;
                if (nd > 18)
                    return DD_EINVALID;
            }
            if (nd == 0)
                return DD_EINVALID;
            for (; nd < 3; nd++)
                ms *= 10;
        }
        if (h > 23 || mi > 59 || sec > 60)
            return DD_EINVALID;
        if (s[i] == 'Z' || s[i] == 'z') {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i++] == '-' ? -1 : 1, oh, om = 0;
            if (!digits(s, &i, 2, &oh))
                return DD_EINVALID;
            if (s[i] == ':')
                i++;
            if (s[i] != '\0' && !digits(s, &i, 2, &om))
                return DD_EINVALID;
            if (oh > 23 || om > 59)
                return DD_EINVALID;
            off_min = sign * (oh * 60 + om);
        }
    }
    if (s[i] != '\0')
        return DD_EINVALID;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off_min * 60;
    *ms_out = t * 1000 + ms;
    return 0;
}

const char *dd_import_debian_ecosystem(const char *codename)
{
    static const char *const map[][2] = {
        {"buzz", "Debian:1.1"},     {"rex", "Debian:1.2"},     {"bo", "Debian:1.3"},
        {"hamm", "Debian:2.0"},     {"slink", "Debian:2.1"},   {"potato", "Debian:2.2"},
        {"woody", "Debian:3.0"},    {"sarge", "Debian:3.1"},   {"etch", "Debian:4.0"},
        {"lenny", "Debian:5.0"},    {"squeeze", "Debian:6.0"}, {"wheezy", "Debian:7"},
        {"jessie", "Debian:8"},     {"stretch", "Debian:9"},   {"buster", "Debian:10"},
        {"bullseye", "Debian:11"},  {"bookworm", "Debian:12"}, {"trixie", "Debian:13"},
        {"forky", "Debian:14"},     {"duke", "Debian:15"},     {"sid", "Debian:sid"},
        {"unstable", "Debian:sid"},
    };
    if (codename == NULL)
        return NULL;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(codename, map[i][0]) == 0)
            return map[i][1];
    return NULL;
}

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

int dd_import_req_split(const char *s, const char *op_chars, int max_parts, dd_req_part_fn fn,
                        void *ctx)
{
    size_t len = strlen(s), i = 0;
    int parts = 0;
    while (i <= len) {
        const char *comma = memchr(s + i, ',', len - i);
        size_t end = comma ? (size_t)(comma - s) : len;
        size_t a = i, b = end;
        while (a < b && blank(s[a]))
            a++;
        while (b > a && blank(s[b - 1]))
            b--;
        size_t os = a;
        while (a < b && strchr(op_chars, s[a]) != NULL)
            a++;
        size_t ol = a - os;
        while (a < b && blank(s[a]))
            a++;
        if (++parts > max_parts || a == b || !fn(ctx, s + os, ol, s + a, b - a))
            return 0;
        i = end + 1;
    }
    return 1;
}
