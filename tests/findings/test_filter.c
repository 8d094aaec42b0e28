/* Tests for the FilterCriteria engine (src/findings/filter.c): every condition type, the AND/OR
 * rules within and across members, list-valued fields, PackageFilter, inclusive date and number
 * bounds, members of other resource kinds, and validation against the model. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common.h"
#include "findings/findings.h"

static json_t *doc(void)
{
    json_t *f = tf_finding("prod/api", "img1", "CVE-2024-0001", "HIGH", 7.5, 1700000000.0);
    json_t *img = json_object_get(
        json_object_get(json_array_get(json_object_get(f, "resources"), 0), "details"),
        "awsEcrContainerImage");
    json_object_set_new(img, "imageTags", json_pack("[s,s]", "1.2", "latest"));
    json_object_set_new(json_array_get(json_object_get(f, "resources"), 0), "tags",
                        json_pack("{s:s, s:s}", "team", "payments", "env", ""));
    json_t *pvd = json_object_get(f, "packageVulnerabilityDetails");
    json_object_set_new(pvd, "relatedVulnerabilities", json_pack("[s]", "USN-6940-1"));
    json_object_set_new(pvd, "vulnerablePackages",
                        json_pack("[{s:s, s:s, s:i, s:s, s:s}, {s:s, s:s, s:i, s:s, s:s, s:s}]",
                                  "name", "openssl", "version", "3.0.1", "epoch", 0, "arch",
                                  "X86_64", "sourceLayerHash", "sha256:aaa", "name", "libssl",
                                  "version", "1.1", "epoch", 2, "arch", "ARM64", "release", "r1",
                                  "filePath", "usr/lib/libssl.so"));
    json_object_set_new(f, "epss", json_pack("{s:f}", "score", 0.25));
    return f;
}

static bool m(const char *criteria, const json_t *f)
{
    json_error_t je;
    json_t *c = json_loads(criteria, 0, &je);
    if (c == NULL)
        fail_msg("bad test JSON %s: %s", criteria, je.text);
    dd_err err = DD_ERR_INIT;
    if (dd_filter_criteria_validate(c, &err) != 0)
        fail_msg("%s does not validate: %s", criteria, err.msg);
    bool r = dd_filter_match(c, f);
    json_decref(c);
    return r;
}

static void test_strings(void **state)
{
    (void)state;
    json_t *f = doc();
    assert_true(m("{}", f));
    assert_true(m("{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"HIGH\"}]}", f));
    assert_false(m("{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"high\"}]}", f));
    assert_true(m("{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"LOW\"},"
                  "{\"comparison\":\"EQUALS\",\"value\":\"HIGH\"}]}",
                  f));
    assert_true(m("{\"vulnerabilityId\":[{\"comparison\":\"PREFIX\",\"value\":\"CVE-2024\"}]}", f));
    assert_false(
        m("{\"vulnerabilityId\":[{\"comparison\":\"PREFIX\",\"value\":\"CVE-2023\"}]}", f));
    assert_true(m("{\"severity\":[{\"comparison\":\"NOT_EQUALS\",\"value\":\"LOW\"}]}", f));
    /* NOT_EQUALS conditions are AND-ed */
    assert_false(m("{\"severity\":[{\"comparison\":\"NOT_EQUALS\",\"value\":\"LOW\"},"
                   "{\"comparison\":\"NOT_EQUALS\",\"value\":\"HIGH\"}]}",
                   f));
    /* positive OR-group AND every negative */
    assert_true(m("{\"findingType\":[{\"comparison\":\"PREFIX\",\"value\":\"PACKAGE\"},"
                  "{\"comparison\":\"NOT_EQUALS\",\"value\":\"CODE_VULNERABILITY\"}]}",
                  f));
    assert_false(m("{\"findingType\":[{\"comparison\":\"PREFIX\",\"value\":\"PACKAGE\"},"
                   "{\"comparison\":\"NOT_EQUALS\",\"value\":\"PACKAGE_VULNERABILITY\"}]}",
                   f));
    /* members are AND-ed */
    assert_false(m("{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"HIGH\"}],"
                   "\"findingStatus\":[{\"comparison\":\"EQUALS\",\"value\":\"CLOSED\"}]}",
                   f));
    assert_true(
        m("{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"HIGH\"}],"
          "\"ecrImageRepositoryName\":[{\"comparison\":\"EQUALS\",\"value\":\"prod/api\"}],"
          "\"vulnerabilitySource\":[{\"comparison\":\"EQUALS\",\"value\":\"DEBIAN_CVE\"}],"
          "\"resourceType\":[{\"comparison\":\"EQUALS\",\"value\":\"AWS_ECR_CONTAINER_IMAGE\"}],"
          "\"ecrImageArchitecture\":[{\"comparison\":\"EQUALS\",\"value\":\"amd64\"}],"
          "\"ecrImageRegistry\":[{\"comparison\":\"EQUALS\",\"value\":\"123456789012\"}],"
          "\"awsAccountId\":[{\"comparison\":\"EQUALS\",\"value\":\"123456789012\"}],"
          "\"vendorSeverity\":[{\"comparison\":\"EQUALS\",\"value\":\"medium\"}],"
          "\"fixAvailable\":[{\"comparison\":\"EQUALS\",\"value\":\"YES\"}],"
          "\"exploitAvailable\":[{\"comparison\":\"EQUALS\",\"value\":\"NO\"}],"
          "\"title\":[{\"comparison\":\"EQUALS\",\"value\":\"CVE-2024-0001\"}],"
          "\"ecrImageHash\":[{\"comparison\":\"PREFIX\",\"value\":\"sha256:\"}],"
          "\"findingArn\":[{\"comparison\":\"PREFIX\",\"value\":\"arn:aws:inspector2:\"}],"
          "\"resourceId\":[{\"comparison\":\"PREFIX\",\"value\":\"arn:aws:ecr:\"}]}",
          f));
    json_decref(f);
}

static void test_lists_and_absent(void **state)
{
    (void)state;
    json_t *f = doc();
    assert_true(m("{\"ecrImageTags\":[{\"comparison\":\"EQUALS\",\"value\":\"latest\"}]}", f));
    assert_true(m("{\"ecrImageTags\":[{\"comparison\":\"PREFIX\",\"value\":\"1.\"}]}", f));
    assert_false(m("{\"ecrImageTags\":[{\"comparison\":\"EQUALS\",\"value\":\"2.0\"}]}", f));
    /* NOT_EQUALS on a list: no element may equal the value */
    assert_false(m("{\"ecrImageTags\":[{\"comparison\":\"NOT_EQUALS\",\"value\":\"latest\"}]}", f));
    assert_true(m("{\"ecrImageTags\":[{\"comparison\":\"NOT_EQUALS\",\"value\":\"2.0\"}]}", f));
    assert_true(m("{\"relatedVulnerabilities\":[{\"comparison\":\"EQUALS\",\"value\":"
                  "\"USN-6940-1\"}]}",
                  f));
    /* members of other resource kinds have no value in ECR findings */
    assert_false(m("{\"lambdaFunctionName\":[{\"comparison\":\"EQUALS\",\"value\":\"f\"}]}", f));
    assert_false(m("{\"ec2InstanceVpcId\":[{\"comparison\":\"PREFIX\",\"value\":\"v\"}]}", f));
    assert_true(m("{\"lambdaFunctionName\":[{\"comparison\":\"NOT_EQUALS\",\"value\":\"f\"}]}", f));
    assert_false(
        m("{\"codeVulnerabilityFilePath\":[{\"comparison\":\"EQUALS\",\"value\":\"x\"}]}", f));
    assert_false(m("{\"portRange\":[{\"beginInclusive\":0,\"endInclusive\":65535}]}", f));
    assert_false(m("{\"lambdaFunctionLastModifiedAt\":[{\"startInclusive\":0}]}", f));
    /* a member unknown to this model is ignored */
    assert_true(m("{\"someFutureMember\":[{\"comparison\":\"EQUALS\",\"value\":\"x\"}]}", f));
    json_decref(f);
}

static void test_dates_numbers(void **state)
{
    (void)state;
    json_t *f = doc();
    /* updatedAt is 1700000000.0: both bounds inclusive */
    assert_true(m("{\"updatedAt\":[{\"startInclusive\":1700000000}]}", f));
    assert_true(m("{\"updatedAt\":[{\"endInclusive\":1700000000}]}", f));
    assert_true(
        m("{\"updatedAt\":[{\"startInclusive\":1700000000,\"endInclusive\":1700000000}]}", f));
    assert_false(m("{\"updatedAt\":[{\"startInclusive\":1700000000.5}]}", f));
    assert_false(m("{\"updatedAt\":[{\"endInclusive\":1699999999}]}", f));
    assert_true(m("{\"updatedAt\":[{}]}", f));
    /* several ranges are OR-ed */
    assert_true(m("{\"updatedAt\":[{\"endInclusive\":10},{\"startInclusive\":1690000000}]}", f));
    assert_true(m("{\"firstObservedAt\":[{\"startInclusive\":1699999900,\"endInclusive\":"
                  "1699999900}]}",
                  f));
    assert_true(m("{\"ecrImagePushedAt\":[{\"endInclusive\":1699999000}]}", f));
    assert_false(m("{\"ecrImagePushedAt\":[{\"endInclusive\":1699998999}]}", f));
    assert_false(m("{\"ecrImageLastInUseAt\":[{\"startInclusive\":0}]}", f));
    assert_true(m("{\"inspectorScore\":[{\"lowerInclusive\":7.5,\"upperInclusive\":7.5}]}", f));
    assert_false(m("{\"inspectorScore\":[{\"lowerInclusive\":7.6}]}", f));
    assert_false(m("{\"inspectorScore\":[{\"upperInclusive\":7.4}]}", f));
    assert_true(m("{\"epssScore\":[{\"lowerInclusive\":0.2,\"upperInclusive\":0.3}]}", f));
    assert_false(m("{\"ecrImageInUseCount\":[{\"lowerInclusive\":0}]}", f));
    json_decref(f);
}

static void test_maps_packages(void **state)
{
    (void)state;
    json_t *f = doc();
    assert_true(m("{\"resourceTags\":[{\"comparison\":\"EQUALS\",\"key\":\"team\",\"value\":"
                  "\"payments\"}]}",
                  f));
    assert_false(m("{\"resourceTags\":[{\"comparison\":\"EQUALS\",\"key\":\"team\",\"value\":"
                   "\"other\"}]}",
                   f));
    assert_true(m("{\"resourceTags\":[{\"comparison\":\"EQUALS\",\"key\":\"team\"}]}", f));
    assert_true(
        m("{\"resourceTags\":[{\"comparison\":\"EQUALS\",\"key\":\"env\",\"value\":\"\"}]}", f));
    assert_false(m("{\"resourceTags\":[{\"comparison\":\"EQUALS\",\"key\":\"nope\"}]}", f));
    /* one package must satisfy every sub-condition */
    assert_true(m("{\"vulnerablePackages\":[{\"name\":{\"comparison\":\"EQUALS\",\"value\":"
                  "\"openssl\"},\"version\":{\"comparison\":\"EQUALS\",\"value\":\"3.0.1\"}}]}",
                  f));
    assert_false(m("{\"vulnerablePackages\":[{\"name\":{\"comparison\":\"EQUALS\",\"value\":"
                   "\"openssl\"},\"version\":{\"comparison\":\"EQUALS\",\"value\":\"1.1\"}}]}",
                   f));
    assert_true(m("{\"vulnerablePackages\":[{\"name\":{\"comparison\":\"PREFIX\",\"value\":"
                  "\"libs\"},\"architecture\":{\"comparison\":\"EQUALS\",\"value\":\"ARM64\"},"
                  "\"release\":{\"comparison\":\"EQUALS\",\"value\":\"r1\"},\"filePath\":"
                  "{\"comparison\":\"PREFIX\",\"value\":\"usr/lib\"},\"epoch\":"
                  "{\"lowerInclusive\":2,\"upperInclusive\":2}}]}",
                  f));
    assert_false(m("{\"vulnerablePackages\":[{\"name\":{\"comparison\":\"EQUALS\",\"value\":"
                   "\"openssl\"},\"epoch\":{\"lowerInclusive\":1}}]}",
                   f));
    assert_true(m("{\"vulnerablePackages\":[{\"sourceLayerHash\":{\"comparison\":\"EQUALS\","
                  "\"value\":\"sha256:aaa\"}}]}",
                  f));
    assert_true(m("{\"vulnerablePackages\":[{\"name\":{\"comparison\":\"NOT_EQUALS\",\"value\":"
                  "\"openssl\"}}]}",
                  f));
    assert_false(m("{\"vulnerablePackages\":[{\"sourceLambdaLayerArn\":{\"comparison\":"
                   "\"EQUALS\",\"value\":\"x\"}}]}",
                   f));
    /* several package filters are OR-ed */
    assert_true(m("{\"vulnerablePackages\":[{\"name\":{\"comparison\":\"EQUALS\",\"value\":"
                  "\"zlib\"}},{\"name\":{\"comparison\":\"EQUALS\",\"value\":\"libssl\"}}]}",
                  f));
    json_decref(f);
}

static void bad(const char *criteria, const char *field)
{
    json_t *c = json_loads(criteria, JSON_DECODE_ANY, NULL);
    assert_non_null(c);
    dd_err err = DD_ERR_INIT;
    int rc = dd_filter_criteria_validate(c, &err);
    if (rc != DD_EINVALID)
        fail_msg("%s validated", criteria);
    if (strncmp(err.msg, field, strlen(field)) != 0)
        fail_msg("message '%s' does not start with %s", err.msg, field);
    json_decref(c);
}

static void test_validate(void **state)
{
    (void)state;
    char longv[1100];
    memset(longv, 'a', 1025);
    longv[1025] = '\0';
    char buf[1300];
    bad("[]", "filterCriteria");
    bad("{\"severity\":[]}", "filterCriteria.severity");
    bad("{\"severity\":{}}", "filterCriteria.severity");
    bad("{\"severity\":[{\"comparison\":\"LIKE\",\"value\":\"x\"}]}",
        "filterCriteria.severity[0].comparison");
    bad("{\"severity\":[{\"value\":\"x\"}]}", "filterCriteria.severity[0].comparison");
    bad("{\"severity\":[{\"comparison\":\"EQUALS\"}]}", "filterCriteria.severity[0].value");
    bad("{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"\"}]}",
        "filterCriteria.severity[0].value");
    snprintf(buf, sizeof(buf), "{\"title\":[{\"comparison\":\"EQUALS\",\"value\":\"%s\"}]}", longv);
    bad(buf, "filterCriteria.title[0].value");
    bad("{\"severity\":[{\"comparison\":\"EQUALS\",\"value\":\"1\"},{\"comparison\":\"EQUALS\","
        "\"value\":\"2\"},{\"comparison\":\"EQUALS\",\"value\":\"3\"},{\"comparison\":\"EQUALS\","
        "\"value\":\"4\"},{\"comparison\":\"EQUALS\",\"value\":\"5\"},{\"comparison\":\"EQUALS\","
        "\"value\":\"6\"},{\"comparison\":\"EQUALS\",\"value\":\"7\"},{\"comparison\":\"EQUALS\","
        "\"value\":\"8\"},{\"comparison\":\"EQUALS\",\"value\":\"9\"},{\"comparison\":\"EQUALS\","
        "\"value\":\"10\"},{\"comparison\":\"EQUALS\",\"value\":\"11\"}]}",
        "filterCriteria.severity");
    bad("{\"updatedAt\":[{\"startInclusive\":\"2024-01-01\"}]}",
        "filterCriteria.updatedAt[0].startInclusive");
    bad("{\"inspectorScore\":[{\"lowerInclusive\":true}]}",
        "filterCriteria.inspectorScore[0].lowerInclusive");
    bad("{\"resourceTags\":[{\"comparison\":\"PREFIX\",\"key\":\"k\"}]}",
        "filterCriteria.resourceTags[0].comparison");
    bad("{\"resourceTags\":[{\"comparison\":\"EQUALS\",\"key\":\"\"}]}",
        "filterCriteria.resourceTags[0].key");
    bad("{\"portRange\":[{\"beginInclusive\":70000}]}", "filterCriteria.portRange[0]");
    bad("{\"vulnerablePackages\":[{\"name\":{\"comparison\":\"EQUALS\"}}]}",
        "filterCriteria.vulnerablePackages[0].name.value");
    bad("{\"vulnerablePackages\":[{\"epoch\":{\"lowerInclusive\":\"1\"}}]}",
        "filterCriteria.vulnerablePackages[0].epoch.lowerInclusive");
    /* the boundaries themselves are fine */
    memset(longv, 'a', 1024);
    longv[1024] = '\0';
    snprintf(buf, sizeof(buf), "{\"title\":[{\"comparison\":\"EQUALS\",\"value\":\"%s\"}]}", longv);
    json_t *c = json_loads(buf, 0, NULL);
    dd_err err = DD_ERR_INIT;
    assert_int_equal(dd_filter_criteria_validate(c, &err), 0);
    json_decref(c);
    assert_int_equal(dd_filter_criteria_validate(NULL, &err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strings),       cmocka_unit_test(test_lists_and_absent),
        cmocka_unit_test(test_dates_numbers), cmocka_unit_test(test_maps_packages),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
