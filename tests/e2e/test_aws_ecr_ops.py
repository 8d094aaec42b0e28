"""ECR and Inspector2 operations end to end with Debian's aws CLI (/usr/bin/aws, awscli 2.9.x) and
skopeo against `drydock serve`.

Repositories: create-repository (scanOnPush flag, ARN, URI), a duplicate
(RepositoryAlreadyExistsException), invalid names (InvalidParameterException),
describe-repositories (all, by name, unknown name → RepositoryNotFoundException, the CLI's
auto-pagination with --page-size, --max-items/--starting-token), put-image-scanning-configuration,
delete-repository (RepositoryNotEmptyException, then --force).

BASIC scanning: scan on push through the repository flag reaches COMPLETE and
describe-image-scan-findings has the BASIC shape (OS package findings with name, severity and
package_name/package_version attributes, the same vulnerabilities `drydock scan` finds among the
image's dpkg packages, severity counts, no enhancedFindings); start-image-scan on an image of a
MANUAL repository goes IN_PROGRESS then COMPLETE, a second one within 24 h is refused
(LimitExceededException); a never-scanned image has no scan (ScanNotFoundException).

Images: list-images (tagged/untagged filter, pagination), batch-get-image (manifest bytes equal
what skopeo reads back, media type), batch-delete-image by tag (only the tag while others remain,
the image with its last tag) and by digest, get-authorization-token (expiresAt 12 h ahead, token
usable by skopeo).

ENHANCED (after the BASIC parts, put-registry-scanning-configuration): inspector2 list-coverage
(repository and image resources), list-finding-aggregations REPOSITORY (counts = list-findings),
create-filter SUPPRESS for one vulnerability id (the finding becomes SUPPRESSED in list-findings
and describe-image-scan-findings, counts drop; other repositories untouched), delete-filter (ACTIVE
again), create-sbom-export CYCLONEDX_1_4 / SPDX_2_3 to bucket "exports" (get-sbom-export
SUCCEEDED, one file per image under DATA/exports/exports/<prefix>/<repo>/, valid against the
CycloneDX 1.5 / SPDX 2.3 schemas, holding the image's packages). The CLI 2.9 lacks the SBOM
operations: the newest Inspector2 model (../shared/spec/models) is added with
`aws configure add-model`; without it the requests are SigV4-signed here.

Scoped keys: a key created with `drydock admin key create --repos 'team-a/*'` reads team-a/x and
is refused elsewhere (AccessDeniedException through ECR, 403 DENIED through /v2 with skopeo and
plain HTTP); its Inspector2 view is limited to its repositories and it may not change
registry-wide scanning (Inspector2 Disable).

Without ../shared, images built by tests/lib/mkimage.py replace node-app and the Debian base.
"""
import base64
import datetime
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ddserver import ADMIN_KEY, ADMIN_SECRET, BIN, SCRATCH, Checker, Server  # noqa: E402
import mkimage  # noqa: E402

SRC = os.environ.get("DD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SHARED = os.environ.get("DD_SHARED_IMAGES") or os.path.realpath(
    os.path.join(SRC, "..", "shared", "images"))
MODEL = os.environ.get("DD_INSPECTOR2_MODEL") or os.path.realpath(
    os.path.join(SRC, "..", "shared", "spec", "models", "inspector2-2020-06-08-service-2.json"))
SCHEMAS = os.path.join(SRC, "tests", "fixtures", "schemas")
VALIDATE = os.path.join(SRC, "tests", "lib", "validate_json_schema.py")
AWS = "/usr/bin/aws"
REGION, ACCOUNT = "us-east-1", "123456789012"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
ECR_SEVERITIES = {"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL", "UNDEFINED"}
LODASH_CVE = "CVE-2020-8203"
t = Checker("aws_ecr_ops")


# ---- the aws CLI ----

class Aws:
    """Runs /usr/bin/aws against the server with one key; home holds the CLI's data (the added
    Inspector2 model)."""

    def __init__(self, s, key=ADMIN_KEY, secret=ADMIN_SECRET, home=None):
        self.s, self.key, self.secret = s, key, secret
        self.home = home or tempfile.mkdtemp(prefix="dd-aws-home-", dir=SCRATCH)

    def env(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update({"HOME": self.home, "AWS_ACCESS_KEY_ID": self.key,
                    "AWS_SECRET_ACCESS_KEY": self.secret, "AWS_DEFAULT_REGION": REGION,
                    "AWS_PAGER": "", "AWS_CONFIG_FILE": os.path.join(self.home, "none"),
                    "AWS_SHARED_CREDENTIALS_FILE": os.path.join(self.home, "none"),
                    "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1"})
        return env

    def __call__(self, *args):
        cmd = [AWS, "--endpoint-url", "http://%s" % self.s.addr, "--output", "json"] + list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, env=self.env(), timeout=120)
        out = None
        if p.returncode == 0 and p.stdout.strip():
            out = json.loads(p.stdout)
        return p.returncode, out, p.stderr

    def ok(self, what, *args):
        rc, out, err = self(*args)
        t.eq(rc, 0, what + ("" if rc == 0 else ": " + err.strip()[-400:]))
        return out if out is not None else {}

    def fails(self, what, code, *args):
        rc, out, err = self(*args)
        t.check(rc != 0 and "(%s)" % code in err, "%s: want %s, got rc=%d %s" %
                (what, code, rc, err.strip()[-300:] or json.dumps(out)[:300]))
        return err


def sigv4_post(s, key, secret, path, body):
    """A restJson1 Inspector2 POST signed here (spec 1.6), for operations the CLI lacks."""
    data = json.dumps(body).encode()
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = s.addr
    headers = {"content-type": "application/json", "host": host, "x-amz-date": amz_date}
    signed = ";".join(sorted(headers))
    canon = "\n".join(["POST", urllib.parse.quote(path, safe="/-_.~"), "",
                       "".join("%s:%s\n" % (k, headers[k]) for k in sorted(headers)), signed,
                       hashlib.sha256(data).hexdigest()])
    scope = "%s/%s/inspector2/aws4_request" % (day, REGION)
    sts = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                     hashlib.sha256(canon.encode()).hexdigest()])
    k = ("AWS4" + secret).encode()
    for part in (day, REGION, "inspector2", "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    hdrs = {"Content-Type": "application/json", "X-Amz-Date": amz_date,
            "Authorization": "AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s"
            % (key, scope, signed, sig)}
    st, _, raw = s.request("POST", path, data, hdrs)
    return st, json.loads(raw) if raw else {}


# ---- images ----

def build_os_image(layout, tag):
    """A Debian 11 image whose OS packages have advisories in the sample DB, plus lodash 4.17.15
    (mkimage.debian11_app)."""
    return mkimage.debian11_app(layout, tag, "ops-app")


def ref_digest(layout, ref):
    with open(os.path.join(layout, "index.json")) as f:
        for m in json.load(f)["manifests"]:
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
                return m["digest"]
    raise KeyError(ref)


def skopeo(*args):
    p = subprocess.run(["skopeo", "--insecure-policy"] + list(args), capture_output=True,
                       timeout=600)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


class Ctx:
    pass


def push(c, ref, dest, creds=None):
    rc, _, err = skopeo("copy", "--dest-tls-verify=false", "--dest-creds",
                        creds or "%s:%s" % (ADMIN_KEY, ADMIN_SECRET),
                        "oci:%s:%s" % (c.layout, ref), "docker://%s/%s" % (c.s.addr, dest))
    t.eq(rc, 0, "skopeo push %s -> %s%s" % (ref, dest, "" if rc == 0 else ": " + err[-300:]))


def wait_for(fn, what, timeout=90):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(0.5)
    t.check(False, what + " (timed out; last=%r)" % (last,))
    return last


def scan_status(c, repo, image_id):
    rc, out, _ = c.aws("ecr", "describe-images", "--repository-name", repo, "--image-ids", image_id)
    if rc != 0 or not out.get("imageDetails"):
        return None
    return out["imageDetails"][0].get("imageScanStatus", {}).get("status")


def wait_status(c, repo, image_id, want):
    st = wait_for(lambda: (scan_status(c, repo, image_id) or "PENDING") not in
                  ("PENDING", "IN_PROGRESS") and scan_status(c, repo, image_id),
                  "%s %s scanned" % (repo, image_id))
    t.eq(st, want, "%s %s scan status" % (repo, image_id))


def iso_time(v):
    if isinstance(v, (int, float)):
        return float(v)
    return datetime.datetime.fromisoformat(v).timestamp()


# ---- the parts ----

def repositories(c):
    out = c.aws.ok("create-repository scanOnPush", "ecr", "create-repository", "--repository-name",
                   "basic/sop", "--image-scanning-configuration", "scanOnPush=true")
    r = out.get("repository", {})
    t.eq(r.get("repositoryName"), "basic/sop", "repositoryName")
    t.eq(r.get("repositoryArn"), "arn:aws:ecr:%s:%s:repository/basic/sop" % (REGION, ACCOUNT),
         "repositoryArn")
    t.eq(r.get("registryId"), ACCOUNT, "registryId")
    t.eq(r.get("repositoryUri"), "%s/basic/sop" % c.s.addr, "repositoryUri")
    t.eq(r.get("imageScanningConfiguration"), {"scanOnPush": True}, "scanOnPush stored")
    t.eq(r.get("imageTagMutability"), "MUTABLE", "default tag mutability")
    t.check(abs(iso_time(r.get("createdAt", 0)) - time.time()) < 300, "createdAt is now")
    created = r
    c.aws.fails("duplicate repository", "RepositoryAlreadyExistsException", "ecr",
                "create-repository", "--repository-name", "basic/sop")
    for bad in ("Basic/upper", "bad..name", "trailing-/x", "a" * 257):
        c.aws.fails("invalid name %r" % bad[:20], "InvalidParameterException", "ecr",
                    "create-repository", "--repository-name", bad)
    out = c.aws.ok("create-repository manual", "ecr", "create-repository", "--repository-name",
                   "basic/manual")
    t.eq(out.get("repository", {}).get("imageScanningConfiguration"), {"scanOnPush": False},
         "scanOnPush defaults to false")
    for i in range(1, 5):
        c.aws.ok("create page/r%d" % i, "ecr", "create-repository", "--repository-name",
                 "page/r%d" % i)
    names = {"basic/sop", "basic/manual", "page/r1", "page/r2", "page/r3", "page/r4"}

    out = c.aws.ok("describe-repositories", "ecr", "describe-repositories")
    full = out.get("repositories", [])
    t.eq({r["repositoryName"] for r in full}, names, "describe-repositories lists all")
    t.eq(len(full), len(names), "each repository once")
    out = c.aws.ok("describe-repositories by name", "ecr", "describe-repositories",
                   "--repository-names", "basic/sop")
    t.eq(out.get("repositories"), [created], "by name: the repository as created")
    c.aws.fails("describe unknown repository", "RepositoryNotFoundException", "ecr",
                "describe-repositories", "--repository-names", "basic/sop", "no/such-repo")
    out = c.aws.ok("describe-repositories --page-size 2", "ecr", "describe-repositories",
                   "--page-size", "2")
    t.eq(out.get("repositories"), full, "auto-pagination (page size 2) merges to the same list")
    out = c.aws.ok("describe-repositories --max-items 4", "ecr", "describe-repositories",
                   "--page-size", "3", "--max-items", "4")
    first = [r["repositoryName"] for r in out.get("repositories", [])]
    tok = out.get("NextToken")
    t.check(len(first) == 4 and tok, "--max-items 4 stops with a NextToken (%s)" % first)
    if tok:
        out = c.aws.ok("describe-repositories --starting-token", "ecr", "describe-repositories",
                       "--page-size", "3", "--starting-token", tok)
        rest = [r["repositoryName"] for r in out.get("repositories", [])]
        t.eq(first + rest, [r["repositoryName"] for r in full], "resuming gives the rest")
    c.aws.fails("repositoryNames with paging", "InvalidParameterException", "ecr",
                "describe-repositories", "--repository-names", "basic/sop", "--max-results", "1",
                "--no-paginate")


def basic_scanning(c):
    push(c, "osimg", "basic/sop:v1")
    wait_status(c, "basic/sop", "imageTag=v1", "COMPLETE")
    out = c.aws.ok("describe-image-scan-findings BASIC", "ecr", "describe-image-scan-findings",
                   "--repository-name", "basic/sop", "--image-id", "imageTag=v1")
    t.eq(out.get("imageId"), {"imageDigest": c.os_digest, "imageTag": "v1"}, "imageId echoed")
    t.eq(out.get("imageScanStatus"), {"status": "COMPLETE",
                                      "description": "The scan was completed successfully."},
         "BASIC scan status")
    isf = out.get("imageScanFindings", {})
    t.check("enhancedFindings" not in isf, "BASIC: no enhancedFindings member")
    fnd = isf.get("findings", [])
    t.check(len(fnd) > 10, "BASIC findings of the Debian 11 image: %d" % len(fnd))
    bad = [f.get("name") for f in fnd
           if not (f.get("name") and f.get("severity") in ECR_SEVERITIES and
                   {"package_name", "package_version"} <=
                   {a.get("key") for a in f.get("attributes", [])})]
    t.check(not bad, "every BASIC finding has name, severity, package attributes (%s)" % bad[:5])
    pkgs = {(a["key"], a.get("value")) for f in fnd for a in f.get("attributes", [])}
    t.check(("package_name", "curl") in pkgs, "curl is among the vulnerable packages")
    t.check(("package_name", "lodash") not in pkgs, "BASIC scans OS packages only (no lodash)")
    dpkg = dpkg_reference(c)
    t.eq({f["name"] for f in fnd}, dpkg, "BASIC findings = drydock scan's dpkg vulnerabilities")
    counts = isf.get("findingSeverityCounts", {})
    t.eq(sum(counts.values()), len(fnd), "severity counts cover the findings")
    t.check(set(counts) <= ECR_SEVERITIES, "severity count keys")
    t.check("imageScanCompletedAt" in isf and "vulnerabilitySourceUpdatedAt" in isf,
            "scan and DB times")
    out2 = c.aws.ok("describe-image-scan-findings paged", "ecr", "describe-image-scan-findings",
                    "--repository-name", "basic/sop", "--image-id", "imageTag=v1",
                    "--page-size", "7")
    t.eq(out2.get("imageScanFindings", {}).get("findings"), fnd, "paged findings merge")
    out = c.aws.ok("describe-images", "ecr", "describe-images", "--repository-name", "basic/sop")
    d = (out.get("imageDetails") or [{}])[0]
    t.eq(d.get("imageScanFindingsSummary", {}).get("findingSeverityCounts"), counts,
         "describe-images summary counts")
    t.eq(d.get("imageManifestMediaType"), OCI_MANIFEST, "manifest media type")
    t.eq(d.get("imageTags"), ["v1"], "image tags")

    # MANUAL repository: nothing scanned on push; start-image-scan once per 24 h
    push(c, "osimg", "basic/manual:v1")
    push(c, c.img_a, "basic/manual:other")
    t.eq(scan_status(c, "basic/manual", "imageTag=v1"), None, "MANUAL: no scan status after push")
    c.aws.fails("never scanned", "ScanNotFoundException", "ecr", "describe-image-scan-findings",
                "--repository-name", "basic/manual", "--image-id", "imageTag=other")
    out = c.aws.ok("start-image-scan", "ecr", "start-image-scan", "--repository-name",
                   "basic/manual", "--image-id", "imageTag=v1")
    t.eq(out.get("imageScanStatus", {}).get("status"), "IN_PROGRESS", "start-image-scan status")
    t.eq(out.get("imageId", {}).get("imageDigest"), c.os_digest, "start-image-scan digest")
    t.eq(out.get("repositoryName"), "basic/manual", "start-image-scan repository")
    wait_status(c, "basic/manual", "imageTag=v1", "COMPLETE")
    out = c.aws.ok("manual scan findings", "ecr", "describe-image-scan-findings",
                   "--repository-name", "basic/manual", "--image-id", "imageTag=v1")
    t.eq({f["name"] for f in out.get("imageScanFindings", {}).get("findings", [])}, dpkg,
         "manual scan found the same vulnerabilities")
    c.aws.fails("second start-image-scan within 24 h", "LimitExceededException", "ecr",
                "start-image-scan", "--repository-name", "basic/manual", "--image-id",
                "imageTag=v1")
    c.aws.fails("start-image-scan of an unknown image", "ImageNotFoundException", "ecr",
                "start-image-scan", "--repository-name", "basic/manual", "--image-id",
                "imageTag=nope")

    # put-image-scanning-configuration turns scan on push on for the MANUAL repository
    out = c.aws.ok("put-image-scanning-configuration", "ecr", "put-image-scanning-configuration",
                   "--repository-name", "basic/manual", "--image-scanning-configuration",
                   "scanOnPush=true")
    t.eq(out, {"registryId": ACCOUNT, "repositoryName": "basic/manual",
               "imageScanningConfiguration": {"scanOnPush": True}}, "put-image-scanning echo")
    out = c.aws.ok("describe after put", "ecr", "describe-repositories", "--repository-names",
                   "basic/manual")
    t.eq(out.get("repositories", [{}])[0].get("imageScanningConfiguration"),
         {"scanOnPush": True}, "flag visible in describe-repositories")
    out = c.aws.ok("batch-get-repository-scanning-configuration", "ecr",
                   "batch-get-repository-scanning-configuration", "--repository-names",
                   "basic/manual", "page/r1")
    freqs = {x["repositoryName"]: (x["scanFrequency"], x["scanOnPush"])
             for x in out.get("scanningConfigurations", [])}
    t.eq(freqs, {"basic/manual": ("SCAN_ON_PUSH", True), "page/r1": ("MANUAL", False)},
         "BASIC effective frequencies")
    push(c, c.img_b, "basic/manual:later")
    wait_status(c, "basic/manual", "imageTag=later", "COMPLETE")
    c.aws.fails("put-image-scanning-configuration unknown repository",
                "RepositoryNotFoundException", "ecr", "put-image-scanning-configuration",
                "--repository-name", "no/such-repo", "--image-scanning-configuration",
                "scanOnPush=true")


def dpkg_reference(c):
    """Vulnerability ids `drydock scan` finds among the dpkg packages of the OS image."""
    p = subprocess.run([BIN, "scan", "-q", "--no-cache", "-f", "json", "--db",
                        os.path.join(c.s.data, "vulndb.sqlite"), "oci:%s:osimg" % c.layout],
                       capture_output=True, text=True, timeout=300)
    t.eq(p.returncode, 0, "drydock scan of the OS image: %s" % p.stderr.strip()[-200:])
    if p.returncode != 0:
        return set()
    doc = json.loads(p.stdout)
    types = {i: pk.get("type") for i, pk in enumerate(doc.get("packages", []))}
    ids = set()
    for v in doc["vulnerabilities"]:
        pk = v.get("package")
        ptype = pk.get("type") if isinstance(pk, dict) else types.get(v.get("package_index"))
        if ptype == "dpkg":
            ids.add(v["id"])
    t.check(len(ids) > 10, "reference: dpkg vulnerabilities found (%d)" % len(ids))
    return ids


def images(c):
    push(c, c.img_a, "ops/imgs:a")
    push(c, c.img_a, "ops/imgs:b")
    push(c, c.img_b, "ops/imgs:c")
    push(c, "osimg", "ops/imgs:c")  # the previous :c becomes untagged
    a, b, o = c.a_digest, c.b_digest, c.os_digest
    out = c.aws.ok("list-images", "ecr", "list-images", "--repository-name", "ops/imgs")
    got = sorted((i.get("imageDigest"), i.get("imageTag")) for i in out.get("imageIds", []))
    want = sorted([(a, "a"), (a, "b"), (o, "c"), (b, None)])
    t.eq(got, want, "list-images: one entry per tag, untagged by digest")
    out = c.aws.ok("list-images tagged", "ecr", "list-images", "--repository-name", "ops/imgs",
                   "--filter", "tagStatus=TAGGED")
    t.eq(sorted((i.get("imageDigest"), i.get("imageTag")) for i in out.get("imageIds", [])),
         sorted([(a, "a"), (a, "b"), (o, "c")]), "list-images TAGGED")
    out = c.aws.ok("list-images untagged", "ecr", "list-images", "--repository-name", "ops/imgs",
                   "--filter", "tagStatus=UNTAGGED")
    t.eq(out.get("imageIds"), [{"imageDigest": b}], "list-images UNTAGGED")
    out = c.aws.ok("list-images paged", "ecr", "list-images", "--repository-name", "ops/imgs",
                   "--page-size", "1")
    t.eq(sorted((i.get("imageDigest"), i.get("imageTag")) for i in out.get("imageIds", [])),
         want, "list-images auto-pagination (page size 1)")
    c.aws.fails("list-images unknown repository", "RepositoryNotFoundException", "ecr",
                "list-images", "--repository-name", "no/such-repo")

    # batch-get-image: the manifest bytes the registry serves
    out = c.aws.ok("batch-get-image", "ecr", "batch-get-image", "--repository-name", "ops/imgs",
                   "--image-ids", "imageTag=a", "imageDigest=%s" % b, "imageTag=nope")
    imgs = out.get("images", [])
    t.eq(len(imgs), 2, "batch-get-image: two images")
    rc, raw_a, err = skopeo("inspect", "--raw", "--tls-verify=false", "--creds",
                            "%s:%s" % (ADMIN_KEY, ADMIN_SECRET),
                            "docker://%s/ops/imgs:a" % c.s.addr)
    t.eq(rc, 0, "skopeo inspect --raw ops/imgs:a %s" % err[-200:])
    rc, raw_b, _ = skopeo("inspect", "--raw", "oci:%s:%s" % (c.layout, c.img_b))
    if len(imgs) == 2:
        t.eq(imgs[0].get("imageManifest", "").encode(), raw_a,
             "imageManifest = skopeo inspect --raw of the pushed image")
        t.eq(imgs[0].get("imageId"), {"imageTag": "a", "imageDigest": a}, "imageId completed")
        t.eq("sha256:" + hashlib.sha256(imgs[0].get("imageManifest", "").encode()).hexdigest(),
             a, "manifest digest")
        t.eq(imgs[1].get("imageManifest", "").encode(), raw_b, "untagged image's manifest bytes")
        t.eq([i.get("imageManifestMediaType") for i in imgs], [OCI_MANIFEST] * 2, "media types")
    t.eq([(f.get("imageId"), f.get("failureCode")) for f in out.get("failures", [])],
         [({"imageTag": "nope"}, "ImageNotFound")], "batch-get-image failure for an unknown tag")

    # batch-delete-image
    out = c.aws.ok("batch-delete-image tag a", "ecr", "batch-delete-image", "--repository-name",
                   "ops/imgs", "--image-ids", "imageTag=a")
    t.eq((out.get("imageIds"), out.get("failures")), ([{"imageDigest": a, "imageTag": "a"}], []),
         "delete tag a")
    out = c.aws.ok("list after tag delete", "ecr", "list-images", "--repository-name", "ops/imgs")
    got = sorted((i.get("imageDigest"), i.get("imageTag")) for i in out.get("imageIds", []))
    t.eq(got, sorted([(a, "b"), (o, "c"), (b, None)]), "only the tag went; the image keeps b")
    out = c.aws.ok("batch-delete-image digest", "ecr", "batch-delete-image", "--repository-name",
                   "ops/imgs", "--image-ids", "imageDigest=%s" % b, "imageTag=nope")
    t.eq(out.get("imageIds"), [{"imageDigest": b}], "delete by digest")
    t.eq([f.get("failureCode") for f in out.get("failures", [])], ["ImageNotFound"],
         "unknown tag reported as a failure")
    out = c.aws.ok("batch-delete-image last tag", "ecr", "batch-delete-image",
                   "--repository-name", "ops/imgs", "--image-ids", "imageTag=b")
    t.eq(out.get("imageIds"), [{"imageDigest": a, "imageTag": "b"}], "delete the last tag")
    out = c.aws.ok("list after deletes", "ecr", "list-images", "--repository-name", "ops/imgs")
    t.eq(out.get("imageIds"), [{"imageDigest": o, "imageTag": "c"}],
         "deleting by digest and by last tag removed the images")
    st, _, _ = c.s.request("GET", "/v2/ops/imgs/manifests/%s" % b, None,
                           {"Authorization": c.admin_basic, "Accept": OCI_MANIFEST})
    t.eq(st, 404, "the image deleted by digest is gone from /v2")

    # delete-repository
    c.aws.fails("delete non-empty repository", "RepositoryNotEmptyException", "ecr",
                "delete-repository", "--repository-name", "ops/imgs")
    out = c.aws.ok("delete-repository --force", "ecr", "delete-repository", "--repository-name",
                   "ops/imgs", "--force")
    t.eq(out.get("repository", {}).get("repositoryName"), "ops/imgs", "deleted repository echoed")
    c.aws.fails("describe deleted repository", "RepositoryNotFoundException", "ecr",
                "describe-repositories", "--repository-names", "ops/imgs")
    c.aws.ok("create-repository empty", "ecr", "create-repository", "--repository-name",
             "ops/empty")
    c.aws.ok("delete empty repository", "ecr", "delete-repository", "--repository-name",
             "ops/empty")

    # get-authorization-token: 12 h, and usable as a registry password
    before = time.time()
    out = c.aws.ok("get-authorization-token", "ecr", "get-authorization-token")
    ad = (out.get("authorizationData") or [{}])[0]
    exp = iso_time(ad.get("expiresAt", 0))
    t.check(abs(exp - (before + 12 * 3600)) < 120, "expiresAt ~12 h ahead (%.0f s)" %
            (exp - before))
    t.eq(ad.get("proxyEndpoint"), "https://%s" % c.s.addr, "proxyEndpoint")
    tok = base64.b64decode(ad.get("authorizationToken", "")).decode()
    t.check(tok.startswith("AWS:") and len(tok) > 24, "token is AWS:<password>")
    rc, _, err = skopeo("inspect", "--raw", "--tls-verify=false", "--creds", tok,
                        "docker://%s/ops/imgs:c" % c.s.addr)
    t.check(rc != 0, "the token does not resurrect the deleted repository")
    rc, _, err = skopeo("inspect", "--raw", "--tls-verify=false", "--creds", tok,
                        "docker://%s/basic/sop:v1" % c.s.addr)
    t.eq(rc, 0, "skopeo reads with AWS:<token> %s" % err[-200:])


def inspector(c, *args):
    return c.aws.ok("inspector2 " + args[0], "inspector2", *args)


def findings_of(c, repo, vuln=None, aws=None):
    crit = {"ecrImageRepositoryName": [{"comparison": "EQUALS", "value": repo}]}
    if vuln:
        crit["vulnerabilityId"] = [{"comparison": "EQUALS", "value": vuln}]
    return (aws or c.aws).ok("list-findings %s %s" % (repo, vuln or ""), "inspector2",
                             "list-findings", "--filter-criteria",
                             json.dumps(crit)).get("findings", [])


def enhanced_findings(c, repo, tag):
    out = c.aws.ok("describe-image-scan-findings %s" % repo, "ecr", "describe-image-scan-findings",
                   "--repository-name", repo, "--image-id", "imageTag=%s" % tag)
    return out.get("imageScanFindings", {})


def enhanced(c):
    rules = [{"scanFrequency": "CONTINUOUS_SCAN",
              "repositoryFilters": [{"filter": "enh/*", "filterType": "WILDCARD"}]},
             {"scanFrequency": "SCAN_ON_PUSH",
              "repositoryFilters": [{"filter": "team-a/*", "filterType": "WILDCARD"}]}]
    c.aws.ok("put-registry-scanning-configuration ENHANCED", "ecr",
             "put-registry-scanning-configuration", "--scan-type", "ENHANCED", "--rules",
             json.dumps(rules))
    push(c, c.img_a, "enh/app:1")
    push(c, "osimg", "enh/os:1")
    wait_status(c, "enh/app", "imageTag=1", "ACTIVE" if c.have_shared else "UNSUPPORTED_IMAGE")
    wait_status(c, "enh/os", "imageTag=1", "ACTIVE")
    c.aws.fails("start-image-scan under ENHANCED", "ValidationException", "ecr",
                "start-image-scan", "--repository-name", "enh/os", "--image-id", "imageTag=1")

    # coverage
    crit = {"ecrRepositoryName": [{"comparison": "EQUALS", "value": "enh/os"}]}
    out = inspector(c, "list-coverage", "--filter-criteria", json.dumps(crit))
    cov = out.get("coveredResources", [])
    repo_arn = "arn:aws:ecr:%s:%s:repository/enh/os" % (REGION, ACCOUNT)
    img_id = "%s/%s" % (repo_arn, c.os_digest)
    by_id = {r.get("resourceId"): r for r in cov}
    t.eq(sorted(by_id), sorted([repo_arn, img_id]), "coverage of enh/os: repository and image")
    r = by_id.get(repo_arn, {})
    t.eq((r.get("resourceType"), r.get("resourceMetadata", {}).get("ecrRepository")),
         ("AWS_ECR_REPOSITORY", {"name": "enh/os", "scanFrequency": "CONTINUOUS_SCAN"}),
         "repository coverage")
    i = by_id.get(img_id, {})
    t.eq((i.get("resourceType"), i.get("scanStatus"), i.get("scanType"), i.get("accountId")),
         ("AWS_ECR_CONTAINER_IMAGE", {"statusCode": "ACTIVE", "reason": "SUCCESSFUL"}, "PACKAGE",
          ACCOUNT), "image coverage")
    t.eq(i.get("resourceMetadata", {}).get("ecrImage", {}).get("tags"), ["1"], "image tags")
    if c.sbom_cli:  # CLI 2.9's own model predates CoveredResource.lastScannedAt
        t.check("lastScannedAt" in i, "image lastScannedAt")
    out = inspector(c, "list-coverage")
    ids = {r.get("resourceId") for r in out.get("coveredResources", [])}
    t.check({repo_arn, img_id, "arn:aws:ecr:%s:%s:repository/enh/app" % (REGION, ACCOUNT),
             "arn:aws:ecr:%s:%s:repository/enh/app/%s" % (REGION, ACCOUNT, c.a_digest)} <= ids,
            "unfiltered coverage holds both repositories and images")
    basic_repo = [r for r in out.get("coveredResources", []) if r.get("resourceId") ==
                  "arn:aws:ecr:%s:%s:repository/basic/sop" % (REGION, ACCOUNT)]
    t.eq([(r["scanStatus"], r["resourceMetadata"]["ecrRepository"]["scanFrequency"])
          for r in basic_repo],
         [({"statusCode": "INACTIVE", "reason": "SCAN_FREQUENCY_MANUAL"}, "MANUAL")],
         "a repository no rule matches is covered INACTIVE/MANUAL")

    # aggregation by repository = list-findings
    os_f = findings_of(c, "enh/os")
    app_f = findings_of(c, "enh/app")
    out = inspector(c, "list-finding-aggregations", "--aggregation-type", "REPOSITORY")
    t.eq(out.get("aggregationType"), "REPOSITORY", "aggregationType echoed")
    agg = {x["repositoryAggregation"]["repository"]: x["repositoryAggregation"]
           for x in out.get("responses", []) if "repositoryAggregation" in x}
    for repo, fl in (("enh/os", os_f), ("enh/app", app_f)):
        a = agg.get(repo, {})
        active = [f for f in fl if f["status"] == "ACTIVE"]
        sc = a.get("severityCounts", {})
        t.eq(sc.get("all"), len(active), "%s aggregation: all = ACTIVE findings" % repo)
        for sev in ("critical", "high", "medium"):
            t.eq(sc.get(sev), sum(1 for f in active if f["severity"] == sev.upper()),
                 "%s aggregation: %s" % (repo, sev))
        t.eq((a.get("affectedImages"), a.get("accountId")), (1, ACCOUNT),
             "%s aggregation: one affected image" % repo)
    out = inspector(c, "list-finding-aggregations", "--aggregation-type", "REPOSITORY",
                    "--aggregation-request", json.dumps({"repositoryAggregation": {
                        "repositories": [{"comparison": "EQUALS", "value": "enh/os"}]}}))
    t.eq([x["repositoryAggregation"]["repository"] for x in out.get("responses", [])], ["enh/os"],
         "aggregation filtered by repository")

    # suppression rule for one vulnerability in one repository
    before = enhanced_findings(c, "enh/os", "1")
    vulns = {f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in
             before.get("enhancedFindings", [])}
    t.check(LODASH_CVE in vulns, "enh/os has %s (%d findings)" % (LODASH_CVE, len(vulns)))
    t.check(any(v for v in vulns if v != LODASH_CVE), "enh/os has OS findings too")
    target = next((f for f in before.get("enhancedFindings", [])
                   if f["packageVulnerabilityDetails"]["vulnerabilityId"] == LODASH_CVE), {})
    sev = target.get("severity")
    crit = {"vulnerabilityId": [{"comparison": "EQUALS", "value": LODASH_CVE}],
            "ecrImageRepositoryName": [{"comparison": "EQUALS", "value": "enh/os"}]}
    out = inspector(c, "create-filter", "--action", "SUPPRESS", "--name", "suppress-lodash",
                    "--reason", "accepted risk", "--filter-criteria", json.dumps(crit))
    arn = out.get("arn", "")
    t.check(arn.startswith("arn:aws:inspector2:%s:%s:owner/%s/filter/" %
                           (REGION, ACCOUNT, ACCOUNT)), "filter ARN: %s" % arn)
    c.aws.fails("duplicate filter name", "BadRequestException", "inspector2", "create-filter",
                "--action", "SUPPRESS", "--name", "suppress-lodash", "--filter-criteria",
                json.dumps(crit))
    out = inspector(c, "list-filters")
    fl = [f for f in out.get("filters", []) if f.get("arn") == arn]
    t.eq([(f.get("name"), f.get("action"), f.get("criteria"), f.get("reason")) for f in fl],
         [("suppress-lodash", "SUPPRESS", crit, "accepted risk")], "list-filters")
    t.eq([f["status"] for f in findings_of(c, "enh/os", LODASH_CVE)], ["SUPPRESSED"],
         "list-findings: the finding is SUPPRESSED")
    t.check(all(f["status"] == "ACTIVE" for f in findings_of(c, "enh/os")
                if f["packageVulnerabilityDetails"]["vulnerabilityId"] != LODASH_CVE),
            "the other findings of enh/os stay ACTIVE")
    t.eq({f["status"] for f in findings_of(c, "enh/app", LODASH_CVE)}, {"ACTIVE"},
         "the same vulnerability in another repository stays ACTIVE")
    during = enhanced_findings(c, "enh/os", "1")
    st = [f.get("status") for f in during.get("enhancedFindings", [])
          if f["packageVulnerabilityDetails"]["vulnerabilityId"] == LODASH_CVE]
    t.eq(st, ["SUPPRESSED"], "describe-image-scan-findings shows SUPPRESSED")
    bc, dc = before.get("findingSeverityCounts", {}), during.get("findingSeverityCounts", {})
    t.eq(sum(dc.values()), sum(bc.values()) - 1, "severity counts count ACTIVE findings only")
    t.eq(dc.get(sev, 0), bc.get(sev, 0) - 1, "the suppressed finding's severity count drops")
    out = c.aws.ok("describe-images enh/os", "ecr", "describe-images", "--repository-name",
                   "enh/os")
    summary = (out.get("imageDetails") or [{}])[0].get("imageScanFindingsSummary") or {}
    t.eq(summary.get("findingSeverityCounts"), dc,
         "describe-images summary = describe-image-scan-findings")
    out = inspector(c, "delete-filter", "--arn", arn)
    t.eq(out.get("arn"), arn, "delete-filter returns the ARN")
    t.eq([f["status"] for f in findings_of(c, "enh/os", LODASH_CVE)], ["ACTIVE"],
         "after delete-filter the finding is ACTIVE again")
    after = enhanced_findings(c, "enh/os", "1")
    t.eq(after.get("findingSeverityCounts"), bc, "severity counts restored")
    c.aws.fails("delete-filter twice", "ResourceNotFoundException", "inspector2", "delete-filter",
                "--arn", arn)


def sbom_exports(c):
    kms = "arn:aws:kms:%s:%s:key/drydock-test" % (REGION, ACCOUNT)
    crit = {"ecrRepositoryName": [{"comparison": "EQUALS", "value": "enh/os"}]}
    for fmt, prefix, ext, schema in (("CYCLONEDX_1_4", "sbom/cdx", "cdx",
                                      "bom-1.5.SNAPSHOT.schema.json"),
                                     ("SPDX_2_3", "sbom/spdx", "spdx", "spdx-2.3.schema.json")):
        dest = {"bucketName": "exports", "keyPrefix": prefix, "kmsKeyArn": kms}
        if c.sbom_cli:
            out = c.aws.ok("create-sbom-export " + fmt, "inspector2", "create-sbom-export",
                           "--report-format", fmt, "--s3-destination", json.dumps(dest),
                           "--resource-filter-criteria", json.dumps(crit))
        else:
            st, out = sigv4_post(c.s, ADMIN_KEY, ADMIN_SECRET, "/sbomexport/create",
                                 {"reportFormat": fmt, "s3Destination": dest,
                                  "resourceFilterCriteria": crit})
            t.eq(st, 200, "CreateSbomExport %s (signed here): %s" % (fmt, out))
        rid = out.get("reportId", "")
        t.check(len(rid) == 36, "reportId is a UUID: %r" % rid)
        if c.sbom_cli:
            got = c.aws.ok("get-sbom-export", "inspector2", "get-sbom-export", "--report-id", rid)
        else:
            st, got = sigv4_post(c.s, ADMIN_KEY, ADMIN_SECRET, "/sbomexport/get", {"reportId": rid})
        t.eq((got.get("reportId"), got.get("format"), got.get("status")),
             (rid, fmt, "SUCCEEDED"), "get-sbom-export %s" % fmt)
        t.eq(got.get("s3Destination"), dest, "s3Destination echoed")
        root = os.path.join(c.s.data, "exports", "exports", prefix)
        files = sorted(os.path.relpath(os.path.join(d, f), root)
                       for d, _, fs in os.walk(root) for f in fs)
        want = "enh/os/%s.%s.json" % (c.os_digest.split(":", 1)[1], ext)
        t.eq(files, [want], "%s: one SBOM, for the filtered repository's image" % fmt)
        if files != [want]:
            continue
        path = os.path.join(root, want)
        with open(path) as f:
            doc = json.load(f)
        p = subprocess.run(["/usr/bin/python3", VALIDATE, os.path.join(SCHEMAS, schema), path],
                           capture_output=True, text=True, timeout=120)
        t.eq(p.returncode, 0, "%s validates against %s: %s" % (fmt, schema,
                                                               (p.stdout + p.stderr)[-400:]))
        if ext == "cdx":
            t.eq(doc.get("bomFormat"), "CycloneDX", "bomFormat")
            names = {(x.get("name"), x.get("version")) for x in doc.get("components", [])}
        else:
            t.eq(doc.get("spdxVersion"), "SPDX-2.3", "spdxVersion")
            names = {(x.get("name"), x.get("versionInfo")) for x in doc.get("packages", [])}
        t.check(("lodash", "4.17.15") in names, "%s lists lodash 4.17.15" % fmt)
        t.check(any(n == "curl" for n, _ in names), "%s lists the dpkg packages (curl)" % fmt)
    dest = {"bucketName": "../escape", "kmsKeyArn": kms}
    if c.sbom_cli:
        c.aws.fails("bucket name climbing out", "ValidationException", "inspector2",
                    "create-sbom-export", "--report-format", "SPDX_2_3", "--s3-destination",
                    json.dumps(dest))
    else:
        st, _ = sigv4_post(c.s, ADMIN_KEY, ADMIN_SECRET, "/sbomexport/create",
                           {"reportFormat": "SPDX_2_3", "s3Destination": dest})
        t.eq(st, 400, "bucket name climbing out: ValidationException")


def scoped_key(c):
    push(c, c.img_b, "team-a/x:1")
    wait_status(c, "team-a/x", "imageTag=1", "COMPLETE" if c.have_shared else "UNSUPPORTED_IMAGE")
    p = subprocess.run([BIN, "admin", "key", "create", "--data", c.s.data, "--repos", "team-a/*",
                        "--description", "team a", "--json"], capture_output=True, text=True)
    t.eq(p.returncode, 0, "admin key create --repos team-a/*: %s" % p.stderr.strip())
    key = json.loads(p.stdout) if p.returncode == 0 else {}
    kid, secret = key.get("accessKeyId", "AKIAXXXXXXXXXXXXXXXX"), key.get("secretAccessKey", "x")
    t.eq((key.get("admin"), key.get("repositories")), (False, "team-a/*"), "key created scoped")
    ta = Aws(c.s, kid, secret, home=c.aws.home)
    out = ta.ok("scoped: describe-images team-a/x", "ecr", "describe-images", "--repository-name",
                "team-a/x")
    t.eq([d.get("imageDigest") for d in out.get("imageDetails", [])], [c.b_digest],
         "scoped: team-a/x readable")
    out = ta.ok("scoped: describe-repositories", "ecr", "describe-repositories")
    t.eq([r["repositoryName"] for r in out.get("repositories", [])], ["team-a/x"],
         "scoped: describe-repositories lists only team-a/*")
    for op in (["list-images", "--repository-name", "enh/os"],
               ["describe-images", "--repository-name", "enh/os"],
               ["describe-image-scan-findings", "--repository-name", "enh/os", "--image-id",
                "imageTag=1"],
               ["batch-get-image", "--repository-name", "enh/os", "--image-ids", "imageTag=1"],
               ["describe-repositories", "--repository-names", "enh/os"],
               ["create-repository", "--repository-name", "other/x"],
               ["delete-repository", "--repository-name", "enh/os", "--force"],
               ["put-registry-scanning-configuration", "--scan-type", "BASIC"]):
        ta.fails("scoped: %s %s" % (op[0], op[2] if len(op) > 2 else ""),
                 "AccessDeniedException", "ecr", *op)
    ta.ok("scoped: create-repository team-a/y", "ecr", "create-repository", "--repository-name",
          "team-a/y")
    creds = "%s:%s" % (kid, secret)
    rc, _, err = skopeo("inspect", "--raw", "--tls-verify=false", "--creds", creds,
                        "docker://%s/team-a/x:1" % c.s.addr)
    t.eq(rc, 0, "scoped: skopeo reads team-a/x %s" % err[-200:])
    rc, _, err = skopeo("inspect", "--raw", "--tls-verify=false", "--creds", creds,
                        "docker://%s/enh/os:1" % c.s.addr)
    t.check(rc != 0 and "denied" in err.lower(), "scoped: skopeo refused on enh/os: %s" %
            err.strip()[-300:])
    rc, _, err = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", creds,
                        "oci:%s:osimg" % c.layout, "docker://%s/enh/os:2" % c.s.addr)
    t.check(rc != 0 and ("denied" in err.lower() or "403" in err),
            "scoped: skopeo push to enh/os refused: %s" % err.strip()[-300:])
    auth = "Basic " + base64.b64encode(creds.encode()).decode()
    st, _, body = c.s.request("GET", "/v2/enh/os/manifests/1", None,
                              {"Authorization": auth, "Accept": OCI_MANIFEST})
    try:
        code = json.loads(body)["errors"][0]["code"]
    except (ValueError, KeyError, IndexError):
        code = body[:100]
    t.eq((st, code), (403, "DENIED"), "scoped: /v2 manifest of enh/os is 403 DENIED")
    st, _, _ = c.s.request("GET", "/v2/team-a/x/manifests/1", None,
                           {"Authorization": auth, "Accept": OCI_MANIFEST})
    t.eq(st, 200, "scoped: /v2 manifest of team-a/x")

    # Inspector2: a repository-scoped key sees its repositories only and cannot switch the
    # registry's scanning (that needs an administrator, like put-registry-scanning-configuration)
    rc, out, err = ta("inspector2", "list-findings", "--filter-criteria", json.dumps(
        {"ecrImageRepositoryName": [{"comparison": "EQUALS", "value": "enh/os"}]}))
    t.check(rc != 0 or not (out or {}).get("findings"),
            "scoped: inspector2 list-findings does not reveal enh/os findings (got %d)" %
            len((out or {}).get("findings", [])))
    rc, out, err = ta("inspector2", "list-coverage")
    leaked = sorted({r.get("resourceId", "").split(":repository/", 1)[-1].split("/sha256")[0]
                     for r in (out or {}).get("coveredResources", [])} - {"team-a/x", "team-a/y"})
    t.check(rc != 0 or not leaked, "scoped: list-coverage limited to team-a/* (also got %s)" %
            leaked)
    rc, _, err = ta("inspector2", "disable", "--resource-types", "ECR")
    t.check(rc != 0 and "AccessDeniedException" in err,
            "scoped: inspector2 disable refused: rc=%d %s" % (rc, err.strip()[-200:]))
    out = c.aws.ok("get-registry-scanning-configuration", "ecr",
                   "get-registry-scanning-configuration")
    t.eq(out.get("scanningConfiguration", {}).get("scanType"), "ENHANCED",
         "the scoped key did not switch the registry to BASIC")


def main():
    if not os.path.exists(AWS) or shutil.which("skopeo") is None:
        print("Debian's awscli and skopeo are required: run scripts/setup.sh", flush=True)
        raise SystemExit(1)
    c = Ctx()
    data = tempfile.mkdtemp(prefix="dd-ecrops-", dir=SCRATCH)
    c.layout = tempfile.mkdtemp(prefix="dd-ecrops-img-", dir=SCRATCH)
    shared = os.path.join(SHARED, "oci")
    c.have_shared = os.path.isdir(shared)
    if c.have_shared:
        shutil.copytree(shared, c.layout, dirs_exist_ok=True)
        c.img_a, c.img_b = "node-app", "debian-bookworm-minbase"
    else:
        print("../shared/images absent: using images built by tests/lib/mkimage.py", flush=True)
        mkimage.build(c.layout, "small")
        mkimage.build(c.layout, "small2", size=120000, seed=b"ecr-ops")
        c.img_a, c.img_b = "small", "small2"
    c.os_digest = build_os_image(c.layout, "osimg")
    c.a_digest, c.b_digest = ref_digest(c.layout, c.img_a), ref_digest(c.layout, c.img_b)
    c.admin_basic = "Basic " + base64.b64encode(
        ("%s:%s" % (ADMIN_KEY, ADMIN_SECRET)).encode()).decode()
    c.s = Server(data=data, auth=True, extra=["--set", "scan_tick=1s"]).start()
    try:
        c.aws = Aws(c.s)
        c.sbom_cli = os.path.exists(MODEL)
        if c.sbom_cli:
            rc, _, err = c.aws("configure", "add-model", "--service-model", "file://" + MODEL,
                               "--service-name", "inspector2")
            t.eq(rc, 0, "aws configure add-model (newest Inspector2 model): %s" % err.strip())
        else:
            print("%s absent: SBOM export requests are signed by the test" % MODEL, flush=True)
        repositories(c)
        basic_scanning(c)
        images(c)
        enhanced(c)
        sbom_exports(c)
        scoped_key(c)
        t.eq(c.s.stop(), 0, "graceful stop")
    finally:
        c.s.cleanup()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(c.layout, ignore_errors=True)
        if getattr(c, "aws", None) is not None:
            shutil.rmtree(c.aws.home, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
