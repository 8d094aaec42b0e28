/* Path helpers shared by catalogers. */
#include "inventory/catalog.h"

#include <string.h>

int dd_path_has_suffix(const char *path, size_t path_len, const char *suffix)
{
    size_t sl = strlen(suffix);
    if (path_len >= sl && memcmp(path + path_len - sl, suffix, sl) == 0)
        return 1;
    /* "/package.json" also matches a file at the root: "package.json" */
    return suffix[0] == '/' && path_len == sl - 1 && memcmp(path, suffix + 1, sl - 1) == 0;
}

int dd_path_has_ext(const char *path, size_t path_len, const char *ext)
{
    size_t el = strlen(ext);
    return path_len > el && memcmp(path + path_len - el, ext, el) == 0;
}

const char *dd_path_base(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}
