/* Version comparison, one faithful comparator per ecosystem's own rules. Every comparator parses
 * both versions first: a version that does not parse under the scheme is DD_EINVALID with the
 * reason in err (never a silent guess). */
#ifndef DD_VERSION_VERSION_H
#define DD_VERSION_VERSION_H

#include <stddef.h>
#include <drydock/common.h>
#include "util/err.h"

typedef enum dd_vers_scheme {
    DD_VERS_DPKG = 0, /* Debian, Ubuntu: epoch:upstream-revision, '~' sorts first (dpkg.c) */
    DD_VERS_RPM,      /* Red Hat, AlmaLinux, Rocky, SUSE...: [E:]V-R via rpmvercmp (rpm.c) */
    DD_VERS_APK,      /* Alpine, Wolfi: apk-tools 2.x rules (apk.c) */
    DD_VERS_SEMVER,   /* npm, crates.io: SemVer 2.0.0 (semver.c) */
    DD_VERS_GO,       /* Go modules: semver with 'v', pseudo-versions, +incompatible (go.c) */
    DD_VERS_PEP440,   /* PyPI (pep440.c) */
    DD_VERS_MAVEN,    /* Maven ComparableVersion (maven.c) */
    DD_VERS_RUBYGEMS, /* Gem::Version (rubygems.c) */
    DD_VERS_NUGET,    /* NuGet SemVer 2 with 4 parts, case-insensitive labels (nuget.c) */
    DD_VERS_COMPOSER, /* Packagist: Composer's version_compare normalisation (composer.c) */
    DD_VERS_COUNT
} dd_vers_scheme;

/* The scheme of an OSV ecosystem name: "Debian", "Debian:12", "Ubuntu:22.04", "Alpine:v3.18",
 * "Red Hat", "AlmaLinux:9", "Rocky Linux:8", "openSUSE...", "SUSE...", "Wolfi", "npm",
 * "crates.io", "Go", "PyPI", "Maven", "RubyGems", "NuGet", "Packagist". DD_ENOTFOUND if unknown.*/
DD_WARN_UNUSED int dd_version_scheme_for(const char *ecosystem, dd_vers_scheme *out);
const char *dd_version_scheme_name(dd_vers_scheme s);

/* *out = -1, 0 or 1 as a < b, a == b, a > b. DD_EINVALID (err says which version and why). */
DD_WARN_UNUSED int dd_version_cmp(dd_vers_scheme s, const char *a, const char *b, int *out,
                                  dd_err *err);
/* 0 when v parses under s; DD_EINVALID with the reason otherwise. */
DD_WARN_UNUSED int dd_version_check(dd_vers_scheme s, const char *v, dd_err *err);

/* Per-scheme entry points (inputs are NUL-terminated strings; the parsers are bounded and safe
 * on any bytes). Same contract as dd_version_cmp. */
int dd_vers_dpkg_cmp(const char *a, const char *b, int *out, dd_err *err);
int dd_vers_rpm_cmp(const char *a, const char *b, int *out, dd_err *err);
int dd_vers_apk_cmp(const char *a, const char *b, int *out, dd_err *err);
int dd_vers_semver_cmp(const char *a, const char *b, int *out, dd_err *err);
int dd_vers_go_cmp(const char *a, const char *b, int *out, dd_err *err);
int dd_vers_pep440_cmp(const char *a, const char *b, int *out, dd_err *err);
int dd_vers_maven_cmp(const char *a, const char *b, int *out, dd_err *err);
int dd_vers_rubygems_cmp(const char *a, const char *b, int *out, dd_err *err);
int dd_vers_nuget_cmp(const char *a, const char *b, int *out, dd_err *err);
int dd_vers_composer_cmp(const char *a, const char *b, int *out, dd_err *err);

#endif
