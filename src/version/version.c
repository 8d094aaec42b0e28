/* Scheme selection by OSV ecosystem name and dispatch to the per-scheme comparators. */
#include "version/version.h"

#include <string.h>

typedef int (*cmp_fn)(const char *, const char *, int *, dd_err *);

static const struct {
    const char *name;
    cmp_fn cmp;
} schemes[DD_VERS_COUNT] = {
    [DD_VERS_DPKG] = {"dpkg", dd_vers_dpkg_cmp},
    [DD_VERS_RPM] = {"rpm", dd_vers_rpm_cmp},
    [DD_VERS_APK] = {"apk", dd_vers_apk_cmp},
    [DD_VERS_SEMVER] = {"semver", dd_vers_semver_cmp},
    [DD_VERS_GO] = {"go", dd_vers_go_cmp},
    [DD_VERS_PEP440] = {"pep440", dd_vers_pep440_cmp},
    [DD_VERS_MAVEN] = {"maven", dd_vers_maven_cmp},
    [DD_VERS_RUBYGEMS] = {"rubygems", dd_vers_rubygems_cmp},
    [DD_VERS_NUGET] = {"nuget", dd_vers_nuget_cmp},
    [DD_VERS_COMPOSER] = {"composer", dd_vers_composer_cmp},
};

/* Ecosystem prefixes (before any ':release' suffix) and their scheme. */
static const struct {
    const char *eco;
    dd_vers_scheme s;
} ecos[] = {
    {"Debian", DD_VERS_DPKG},   {"Ubuntu", DD_VERS_DPKG},       {"Alpine", DD_VERS_APK},
    {"Wolfi", DD_VERS_APK},     {"Chainguard", DD_VERS_APK},    {"Red Hat", DD_VERS_RPM},
    {"AlmaLinux", DD_VERS_RPM}, {"Rocky Linux", DD_VERS_RPM},   {"openSUSE", DD_VERS_RPM},
    {"SUSE", DD_VERS_RPM},      {"Mariner", DD_VERS_RPM},       {"Azure Linux", DD_VERS_RPM},
    {"Photon OS", DD_VERS_RPM}, {"Amazon Linux", DD_VERS_RPM},  {"Oracle Linux", DD_VERS_RPM},
    {"npm", DD_VERS_SEMVER},    {"crates.io", DD_VERS_SEMVER},  {"Go", DD_VERS_GO},
    {"PyPI", DD_VERS_PEP440},   {"Maven", DD_VERS_MAVEN},       {"RubyGems", DD_VERS_RUBYGEMS},
    {"NuGet", DD_VERS_NUGET},   {"Packagist", DD_VERS_COMPOSER}};

int dd_version_scheme_for(const char *ecosystem, dd_vers_scheme *out)
{
    size_t n = strcspn(ecosystem, ":");
    for (size_t i = 0; i < sizeof(ecos) / sizeof(ecos[0]); i++) {
        if (strlen(ecos[i].eco) == n && memcmp(ecos[i].eco, ecosystem, n) == 0) {
            *out = ecos[i].s;
            return 0;
        }
    }
    return DD_ENOTFOUND;
}

const char *dd_version_scheme_name(dd_vers_scheme s)
{
    return (unsigned)s < DD_VERS_COUNT ? schemes[s].name : "unknown";
}

int dd_version_cmp(dd_vers_scheme s, const char *a, const char *b, int *out, dd_err *err)
{
    if ((unsigned)s >= DD_VERS_COUNT)
        return dd_err_set(err, DD_EINVALID, "unknown version scheme");
    return schemes[s].cmp(a, b, out, err);
}

int dd_version_check(dd_vers_scheme s, const char *v, dd_err *err)
{
    int r;
    return dd_version_cmp(s, v, v, &r, err);
}
