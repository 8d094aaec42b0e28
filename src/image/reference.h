/* Repository names and tags as the OCI distribution spec's grammar allows them. */
#ifndef DD_IMAGE_REFERENCE_H
#define DD_IMAGE_REFERENCE_H

#include <stddef.h>
#include <drydock/common.h>
#include "util/err.h"

/* name = [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
 * bounded by DD_LIMIT_REPO_NAME_MAX bytes and DD_LIMIT_REPO_COMPONENTS components. s need not be
 * NUL-terminated. 0 or DD_EINVALID with the offset of the first bad byte. */
DD_WARN_UNUSED int dd_name_validate(const char *s, size_t len, dd_err *err);
/* tag = [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127} */
DD_WARN_UNUSED int dd_tag_validate(const char *s, size_t len, dd_err *err);

#endif
