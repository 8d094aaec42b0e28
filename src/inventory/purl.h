/* Package URLs (purl) as the purl specification writes them: percent-encoding of everything but
 * alphanumerics, ".-_~" and ':', type-specific namespace/name rules, sorted qualifiers. */
#ifndef DD_INVENTORY_PURL_H
#define DD_INVENTORY_PURL_H

#include <drydock/common.h>
#include "inventory/os.h"
#include "inventory/pkg.h"

/* Builds the purl of p (os may be NULL: OS packages then get no distro qualifier and the
 * namespace is taken from the package type's default). *out is freed with dd_free. */
DD_WARN_UNUSED int dd_purl_build(char **out, const dd_pkg *p, const dd_os *os);

#endif
