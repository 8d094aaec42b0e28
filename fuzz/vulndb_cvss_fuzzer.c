/* Fuzz target for CVSS vector parsing and scoring (src/vulndb/cvss.c): the input is taken as a
 * vector (NUL-terminated copy); a parsed vector must give a score in 0.0-10.0 with one decimal,
 * a version of 2, 3 or 4, and the same result twice. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vulndb/cvss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    double score = -1, score2 = -1;
    int version = 0, version2 = 0;
    dd_err err = DD_ERR_INIT;
    int rc = dd_cvss_base_score(s, &score, &version, &err);
    if (rc != 0 && rc != DD_EINVALID)
        abort();
    if (rc == 0) {
        if (score < 0 || score > 10 || version < 2 || version > 4)
            abort();
        double tenths = score * 10;
        if (tenths - (double)(long)(tenths + 0.5) > 1e-6 ||
            (double)(long)(tenths + 0.5) - tenths > 1e-6)
            abort();
        if (dd_cvss_base_score(s, &score2, &version2, NULL) != 0 || score2 != score ||
            version2 != version)
            abort();
        (void)dd_cvss_rating(score, version);
    }
    free(s);
    return 0;
}
