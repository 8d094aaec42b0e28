/* The Java cataloger's parsers: jar/war/ear/jpi/hpi archives and their metadata members. */
#ifndef DD_INVENTORY_JAVA_H
#define DD_INVENTORY_JAVA_H

#include <stddef.h>
#include <stdint.h>
#include <drydock/common.h>
#include "inventory/pkg.h"
#include "util/err.h"

/* Deepest nesting of archives followed (an ear holding a war holding a jar is depth 2). */
#define DD_JAVA_MAX_DEPTH 4
/* Largest nested archive read into memory, and most bytes inflated for one outer archive. */
#define DD_JAVA_NESTED_MAX (64u * 1024u * 1024u)
#define DD_JAVA_TOTAL_MAX (512u * 1024u * 1024u)
/* Largest MANIFEST.MF or pom.properties read. */
#define DD_JAVA_META_MAX (1024u * 1024u)

/* Parses a zip archive (jar, war, ear, jpi, hpi) held in memory. Each archive yields:
 *   - one package per META-INF/maven/<group>/<artifact>/pom.properties ("group:artifact", its
 *     version; shaded jars hold several);
 *   - else one from META-INF/MANIFEST.MF (see dd_java_parse_manifest);
 *   - else one from the file name "name-1.2.3.jar" (name "name", version from the first "-"
 *     followed by a digit), none when the name has no version.
 * Nested archives (entries named *.jar, *.war, *.ear, *.jpi, *.hpi, e.g. WEB-INF/lib/x.jar or
 * BOOT-INF/lib/x.jar) are read into memory and parsed the same way, up to DD_JAVA_MAX_DEPTH.
 * Their packages' path is the outer path, "!", and the entry name, as in Java's jar: URLs:
 * "/app/app.war!/WEB-INF/lib/x.jar" ("/a.ear!/b.war!/WEB-INF/lib/c.jar" deeper). Unreadable
 * nested archives are skipped. Type DD_PKG_JAVA. Returns DD_EINVALID when buf is not a zip; on
 * error nothing is appended. */
DD_WARN_UNUSED int dd_java_parse_archive(const uint8_t *buf, size_t len, const char *path,
                                         int layer, dd_pkg_list *out, dd_err *err);

/* Parses the main section of a MANIFEST.MF (continuation lines joined): name from
 * Implementation-Title, else Bundle-SymbolicName (without its ";" directives), prefixed with
 * "<Implementation-Vendor-Id>:" when present; version from Implementation-Version, else
 * Bundle-Version. Appends one package, or none when no name or no version is declared. */
DD_WARN_UNUSED int dd_java_parse_manifest(const uint8_t *buf, size_t len, const char *path,
                                          int layer, dd_pkg_list *out, dd_err *err);

/* Parses a pom.properties (Java properties: "key=value", "key: value" or "key value"; "#" and
 * "!" comments; values trimmed; escapes are not interpreted: Maven coordinates have none).
 * Appends "groupId:artifactId" with version, or nothing when one of them is missing. */
DD_WARN_UNUSED int dd_java_parse_pom_properties(const uint8_t *buf, size_t len, const char *path,
                                                int layer, dd_pkg_list *out, dd_err *err);

#endif
