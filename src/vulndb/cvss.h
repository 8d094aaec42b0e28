/* CVSS base scores from vectors: v2, v3.0/v3.1 and v4.0, computed as each specification's
 * formulas (v4.0: the MacroVector lookup and interpolation of the FIRST reference calculator). */
#ifndef DD_VULNDB_CVSS_H
#define DD_VULNDB_CVSS_H

#include <drydock/common.h>
#include "util/err.h"

/* Parses vector ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "CVSS:3.1/AV:N/...", "CVSS:4.0/AV:N/...") and
 * computes its base score (0.0-10.0, one decimal). The version is taken from the prefix (v2 has
 * none). DD_EINVALID with the reason for a malformed vector (unknown metric, duplicate, missing
 * mandatory metric, bad value). *version_out (may be NULL) gets 2, 3 or 4. */
DD_WARN_UNUSED int dd_cvss_base_score(const char *vector, double *score_out, int *version_out,
                                      dd_err *err);
/* Qualitative rating of a v3/v4 score: "NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL"; v2 uses the
 * NVD bands (LOW < 4.0, MEDIUM < 7.0, HIGH). */
const char *dd_cvss_rating(double score, int version);

#endif
