/* Fuzz target for the Inspector2 FilterCriteria engine (src/findings/filter.c): the input is split
 * at its first NUL byte into a criteria JSON object and a Finding JSON document (without a NUL, the
 * whole input is the criteria and a built-in ECR finding is matched). Validation must answer 0 or
 * DD_EINVALID with a message; criteria that validate are evaluated (twice, with the same answer),
 * and so is every finding against itself as a document, so the path walker sees arbitrary
 * shapes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "findings/findings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SAMPLE[] =
    "{\"findingArn\":\"arn:aws:inspector2:us-east-1:123456789012:finding/"
    "0123456789abcdef0123456789abcdef\",\"awsAccountId\":\"123456789012\",\"type\":"
    "\"PACKAGE_VULNERABILITY\",\"title\":\"CVE-2024-1 - openssl\",\"severity\":\"HIGH\","
    "\"status\":\"ACTIVE\",\"inspectorScore\":7.5,\"updatedAt\":1700000000.5,\"epss\":{\"score\":"
    "0.1},\"fixAvailable\":\"YES\",\"packageVulnerabilityDetails\":{\"vulnerabilityId\":"
    "\"CVE-2024-1\",\"source\":\"NVD\",\"relatedVulnerabilities\":[\"USN-1\"],"
    "\"vulnerablePackages\":[{\"name\":\"openssl\",\"version\":\"3.0.1\",\"epoch\":0,\"arch\":"
    "\"X86_64\"}]},\"resources\":[{\"type\":\"AWS_ECR_CONTAINER_IMAGE\",\"id\":\"arn:aws:ecr:"
    "us-east-1:123456789012:repository/app/sha256:00\",\"tags\":{\"team\":\"a\"},\"details\":"
    "{\"awsEcrContainerImage\":{\"repositoryName\":\"app\",\"imageTags\":[\"latest\",\"v1\"],"
    "\"pushedAt\":1690000000}}}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536)
        return 0;
    const uint8_t *nul = memchr(data, 0, size);
    size_t clen = nul != NULL ? (size_t)(nul - data) : size;
    json_t *criteria = json_loadb((const char *)data, clen, JSON_DECODE_ANY, NULL);
    json_t *finding =
        nul != NULL ? json_loadb((const char *)nul + 1, size - clen - 1, JSON_DECODE_ANY, NULL)
                    : json_loads(SAMPLE, 0, NULL);
    if (criteria == NULL) {
        json_decref(finding);
        return 0;
    }
    dd_err err = DD_ERR_INIT;
    int rc = dd_filter_criteria_validate(criteria, &err);
    if (rc != 0 && (rc != DD_EINVALID || err.msg[0] == '\0'))
        abort();
    if (rc == 0 && finding != NULL) {
        bool a = dd_filter_match(criteria, finding);
        bool b = dd_filter_match(criteria, finding);
        if (a != b)
            abort();
        /* an empty FilterCriteria matches everything */
        if (json_is_object(criteria) && json_object_size(criteria) == 0 && !a)
            abort();
    }
    /* arbitrary documents through the walker (no validation promise: must not crash) */
    if (finding != NULL)
        (void)dd_filter_match(json_is_object(criteria) && rc == 0 ? criteria : NULL, criteria);
    json_decref(criteria);
    json_decref(finding);
    return 0;
}
