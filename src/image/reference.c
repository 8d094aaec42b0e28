/* Repository names and tags: hand-written scanners for the distribution spec's grammar, bounded
 * by the limits in util/limits.h. Inputs are untrusted bytes, not NUL-terminated strings. */
#include "image/reference.h"
#include "util/limits.h"

#include <stdbool.h>

static bool lower_alnum(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static bool tag_first(char ch)
{
    return lower_alnum(ch) || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

/* Where the name scanner stands: what the previous byte allows next. */
enum name_state {
    NAME_START,       /* start of a component: [a-z0-9] */
    NAME_ALNUM,       /* after [a-z0-9]: anything */
    NAME_DOT,         /* after '.': [a-z0-9] */
    NAME_UNDERSCORE,  /* after one '_': [a-z0-9] or a second '_' */
    NAME_UNDERSCORE2, /* after "__": [a-z0-9] */
    NAME_DASH         /* after '-': [a-z0-9] or more '-' */
};

int dd_name_validate(const char *s, size_t len, dd_err *err)
{
    enum name_state st = NAME_START;
    size_t components = 1;

    if (len == 0)
        return dd_err_set_at(err, DD_EINVALID, 0, "repository name is empty");
    if (len > DD_LIMIT_REPO_NAME_MAX)
        return dd_err_set_at(err, DD_EINVALID, DD_LIMIT_REPO_NAME_MAX,
                             "repository name longer than %d bytes", DD_LIMIT_REPO_NAME_MAX);
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (lower_alnum(ch)) {
            st = NAME_ALNUM;
            continue;
        }
        if (st == NAME_ALNUM && ch == '/') {
            if (++components > DD_LIMIT_REPO_COMPONENTS)
                return dd_err_set_at(err, DD_EINVALID, i,
                                     "repository name has more than %d components",
                                     DD_LIMIT_REPO_COMPONENTS);
            st = NAME_START;
        } else if (st == NAME_ALNUM && ch == '.') {
            st = NAME_DOT;
        } else if (st == NAME_ALNUM && ch == '_') {
            st = NAME_UNDERSCORE;
        } else if (st == NAME_UNDERSCORE && ch == '_') {
            st = NAME_UNDERSCORE2;
        } else if ((st == NAME_ALNUM || st == NAME_DASH) && ch == '-') {
            st = NAME_DASH;
        } else {
            return dd_err_set_at(err, DD_EINVALID, i, "bad byte 0x%02x in repository name",
                                 (unsigned)(unsigned char)ch);
        }
    }
    if (st != NAME_ALNUM)
        return dd_err_set_at(err, DD_EINVALID, len - 1, "repository name must end with [a-z0-9]");
    return 0;
}

int dd_tag_validate(const char *s, size_t len, dd_err *err)
{
    if (len == 0)
        return dd_err_set_at(err, DD_EINVALID, 0, "tag is empty");
    if (len > DD_LIMIT_TAG_MAX)
        return dd_err_set_at(err, DD_EINVALID, DD_LIMIT_TAG_MAX, "tag longer than %d bytes",
                             DD_LIMIT_TAG_MAX);
    if (!tag_first(s[0]))
        return dd_err_set_at(err, DD_EINVALID, 0, "tag must start with [A-Za-z0-9_]");
    for (size_t i = 1; i < len; i++) {
        char ch = s[i];
        if (!tag_first(ch) && ch != '.' && ch != '-')
            return dd_err_set_at(err, DD_EINVALID, i, "bad byte 0x%02x in tag",
                                 (unsigned)(unsigned char)ch);
    }
    return 0;
}
