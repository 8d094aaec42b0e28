"""End to end with Debian's aws CLI (/usr/bin/aws, awscli 2.9.x) and skopeo against `drydock serve`:

- SigV4: the CLI's signed requests are accepted; a wrong secret, an unknown key and an unsigned
  request are refused with the AWS error shapes; unknown operations get UnknownOperationException.
- put/get the registry scanning configuration (ENHANCED, a CONTINUOUS_SCAN rule for node*, a
  SCAN_ON_PUSH rule for everything), batch-get-repository-scanning-configuration.
- get-login-password, then skopeo pushes with AWS:<token> (an unauthenticated push is refused).
- describe-images reaches ACTIVE (continuous) and COMPLETE (scan on push);
  describe-image-scan-findings (enhanced shape, pagination) and inspector2 list-findings show the
  real advisories of the node-app image (lodash, minimist, ...); start-image-scan is refused.
- update-configuration / get-configuration of the rescan duration.
- continuous scanning: the server starts with a vulnerability DB lacking one lodash advisory;
  `drydock db import` of that advisory makes the server re-match the stored inventory (no layer
  read) and create the finding; replacing the DB with one lacking it closes the finding.
- a webhook receiver gets every event once per delivery id, signed, in order per resource:
  ECR Scan Resource Change, Inspector2 Scan per image, Inspector2 Finding per change.
Without ../shared, the image built by tests/lib/mkimage.py (lodash 4.17.15 on an unknown OS) is
used: UNSUPPORTED_IMAGE, with its language package still scanned.
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ddserver import ADMIN_KEY, ADMIN_SECRET, BIN, SCRATCH, Checker, Server  # noqa: E402
import mkimage  # noqa: E402
import ddaws  # noqa: E402

SRC = os.environ.get("DD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SHARED = os.path.realpath(os.path.join(SRC, "..", "shared", "images"))
SAMPLE = os.path.join(SRC, "share", "vulndb-sample")
HELD_BACK = "GHSA-35jh-r3h4-6jhm.json"  # lodash CVE-2021-23337, imported later
AWS = "/usr/bin/aws"
t = Checker("aws_cli_e2e")


def aws_env(key=ADMIN_KEY, secret=ADMIN_SECRET):
    return ddaws.aws_env(key, secret)


def aws(s, *args, env=None):
    return ddaws.run(s, *args, env=env)


def aws_ok(s, what, *args):
    rc, out, err = aws(s, *args)
    t.eq(rc, 0, what + ("" if rc == 0 else ": " + err.strip()))
    return out or {}


def skopeo(*args):
    cmd = ["skopeo", "--insecure-policy"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        print("skopeo failed: %s\n%s" % (" ".join(cmd), p.stderr), flush=True)
    return p


class Receiver(http.server.ThreadingHTTPServer):
    """Webhook receiver: keeps (headers, body) of every POST; answers 500 to the first attempt of
    the first three deliveries, to exercise retries."""

    def __init__(self):
        self.got = []
        self.lock = threading.Lock()
        self.seen_once = set()
        self.flaky = True

        class H(http.server.BaseHTTPRequestHandler):
            def do_POST(h):
                n = int(h.headers.get("Content-Length", "0"))
                body = h.rfile.read(n)
                delivery = h.headers.get("X-Drydock-Delivery", "")
                with self.lock:
                    fail = (self.flaky and delivery not in self.seen_once and
                            len(self.seen_once) < 3)
                    self.seen_once.add(delivery)
                    if not fail:
                        self.got.append(({k.lower(): v for k, v in h.headers.items()}, body))
                h.send_response(500 if fail else 204)
                h.send_header("Content-Length", "0")
                h.end_headers()

            def log_message(h, *a):
                pass

        super().__init__(("127.0.0.1", 0), H)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def events(self):
        with self.lock:
            return list(self.got)


basic = ddaws.basic


def wait_for(fn, what, timeout=120):
    last = ddaws.poll(fn, timeout)
    if not last:
        t.check(False, what + " (timed out; last=%r)" % (last,))
    return last


def image_status(s, repo, tag):
    rc, out, _ = aws(s, "ecr", "describe-images", "--repository-name", repo, "--image-ids",
                     "imageTag=%s" % tag)
    if rc != 0:
        return None
    st = out["imageDetails"][0].get("imageScanStatus", {}).get("status")
    return st


def build_db(path, exclude):
    """A vulnerability DB of the bundled sample without the files named in exclude."""
    tmp = tempfile.mkdtemp(prefix="dd-sample-", dir=SCRATCH)
    src = os.path.join(tmp, "feeds")
    shutil.copytree(SAMPLE, src, ignore=lambda d, names: [n for n in names if n in exclude])
    p = subprocess.run([BIN, "db", "import", "--quiet", "--db", path, src], capture_output=True,
                       text=True)
    t.eq(p.returncode, 0, "build DB without %s: %s" % (exclude, p.stderr.strip()))
    shutil.rmtree(tmp, ignore_errors=True)


def find_file(root, name):
    for d, _, files in os.walk(root):
        if name in files:
            return os.path.join(d, name)
    return None


def auth_checks(s):
    rc, _, err = aws(s, "ecr", "describe-repositories", env=aws_env(secret="wrong" * 8))
    t.check(rc != 0 and "InvalidSignatureException" in err, "wrong secret refused: %s" % err)
    rc, _, err = aws(s, "ecr", "describe-repositories", env=aws_env(key="AKIAUNKNOWNKEY000000"))
    t.check(rc != 0 and "UnrecognizedClientException" in err, "unknown key refused: %s" % err)
    rc, _, err = aws(s, "inspector2", "list-findings", env=aws_env(secret="wrong" * 8))
    t.check(rc != 0 and "InvalidSignatureException" in err, "inspector2 wrong secret: %s" % err)
    st, hdrs, body = s.request("POST", "/", b"{}", {
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories",
        "Content-Type": "application/x-amz-json-1.1"})
    t.eq(st, 403, "unsigned ECR request: 403")
    t.check(b"MissingAuthenticationTokenException" in body, "unsigned: error type")
    t.check(hdrs.get("x-amzn-requestid"), "x-amzn-RequestId on errors")
    st, _, body = s.request("POST", "/", b"{}", {
        "X-Amz-Target": "AmazonEC2ContainerRegistry_V20150921.NoSuchThing",
        "Content-Type": "application/x-amz-json-1.1"})
    t.check(st == 400 and b"UnknownOperationException" in body, "unknown ECR operation")
    st, hdrs, _ = s.request("POST", "/nothing/here", b"")
    t.check(st == 404 and hdrs.get("x-amzn-errortype") == "UnknownOperationException",
            "unknown Inspector2 route")


def main():
    if not os.path.exists(AWS) or shutil.which("skopeo") is None:
        print("Debian's awscli and skopeo are required: run scripts/setup.sh", flush=True)
        raise SystemExit(1)
    have_shared = os.path.isdir(os.path.join(SHARED, "oci"))
    data = tempfile.mkdtemp(prefix="dd-aws-", dir=SCRATCH)
    vdb = os.path.join(data, "vulndb.sqlite")
    build_db(vdb, {HELD_BACK})
    rx = Receiver()
    s = Server(data=data, auth=True, extra=["--set", "scan_tick=1s"]).start()
    try:
        run(s, rx, have_shared, vdb)
        t.eq(s.stop(), 0, "graceful stop")
    finally:
        s.cleanup()
        rx.shutdown()
        shutil.rmtree(data, ignore_errors=True)
    t.done()


def run(s, rx, have_shared, vdb):
    auth_checks(s)

    # webhook first, so it sees every event
    st, _, body = s.request("POST", "/drydock/v1/webhooks",
                            json.dumps({"url": "http://127.0.0.1:%d/hook" % rx.server_address[1],
                                        "secret": "whsec-test"}).encode(),
                            {"Authorization": basic(), "Content-Type": "application/json"})
    t.check(st in (200, 201), "webhook registered (%d %s)" % (st, body[:200]))
    st, _, _ = s.request("GET", "/drydock/v1/webhooks")
    t.eq(st, 401, "webhook API needs credentials")

    out = aws_ok(s, "get-registry-scanning-configuration",
                 "ecr", "get-registry-scanning-configuration")
    t.eq(out.get("scanningConfiguration", {}).get("scanType"), "BASIC", "default scan type BASIC")
    t.eq(out.get("registryId"), "123456789012", "registryId")

    rules = [{"scanFrequency": "CONTINUOUS_SCAN",
              "repositoryFilters": [{"filter": "node*", "filterType": "WILDCARD"}]},
             {"scanFrequency": "SCAN_ON_PUSH",
              "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]
    out = aws_ok(s, "put-registry-scanning-configuration", "ecr",
                 "put-registry-scanning-configuration", "--scan-type", "ENHANCED", "--rules",
                 json.dumps(rules))
    t.eq(out.get("registryScanningConfiguration", {}).get("scanType"), "ENHANCED", "stored type")
    out = aws_ok(s, "get after put", "ecr", "get-registry-scanning-configuration")
    t.eq(out["scanningConfiguration"]["rules"], rules, "rules read back")
    rc, _, err = aws(s, "ecr", "put-registry-scanning-configuration", "--scan-type", "ENHANCED",
                     "--rules", json.dumps([{"scanFrequency": "CONTINUOUS_SCAN",
                                             "repositoryFilters": [{"filter": "Bad--",
                                                                    "filterType": "WILDCARD"}]}]))
    t.check(rc != 0 and "ValidationException" in err, "bad filter refused: %s" % err.strip())

    # push with an ECR token
    out = aws_ok(s, "get-authorization-token", "ecr", "get-authorization-token")
    tok = base64.b64decode(out["authorizationData"][0]["authorizationToken"]).decode()
    t.check(tok.startswith("AWS:"), "token is AWS:<password>")
    p = subprocess.run([AWS, "--endpoint-url", "http://%s" % s.addr, "ecr", "get-login-password"],
                       capture_output=True, text=True, env=aws_env())
    pw = p.stdout.strip()
    t.check(p.returncode == 0 and len(pw) > 20, "get-login-password")
    layout = os.path.join(SHARED, "oci")
    node_ref, base_ref = "node-app", "debian-bookworm-minbase"
    if not have_shared:
        print("../shared/images absent: using the image built by tests/lib/mkimage.py")
        layout = tempfile.mkdtemp(prefix="dd-mkimage-", dir=SCRATCH)
        mkimage.build(layout, "small")
        node_ref = base_ref = "small"
    p = skopeo("copy", "--dest-tls-verify=false", "oci:%s:%s" % (layout, node_ref),
               "docker://%s/node-app:1" % s.addr)
    t.check(p.returncode != 0, "push without credentials refused")
    p = skopeo("copy", "--dest-tls-verify=false", "--dest-creds", "AWS:" + pw,
               "oci:%s:%s" % (layout, node_ref), "docker://%s/node-app:1" % s.addr)
    t.eq(p.returncode, 0, "skopeo push node-app with the ECR token")
    p = skopeo("copy", "--dest-tls-verify=false", "--dest-creds",
               "%s:%s" % (ADMIN_KEY, ADMIN_SECRET),
               "oci:%s:%s" % (layout, base_ref), "docker://%s/base:bookworm" % s.addr)
    t.eq(p.returncode, 0, "skopeo push base with the access key")

    out = aws_ok(s, "batch-get-repository-scanning-configuration", "ecr",
                 "batch-get-repository-scanning-configuration", "--repository-names",
                 "node-app", "base", "ghost")
    freqs = {c["repositoryName"]: c["scanFrequency"] for c in out.get("scanningConfigurations", [])}
    t.eq(freqs, {"node-app": "CONTINUOUS_SCAN", "base": "SCAN_ON_PUSH"}, "effective frequencies")
    t.eq([f["repositoryName"] for f in out.get("failures", [])], ["ghost"], "unknown repository")

    want_node = "UNSUPPORTED_IMAGE" if not have_shared else "ACTIVE"
    st = wait_for(lambda: (image_status(s, "node-app", "1") or "PENDING") not in
                  ("PENDING", "IN_PROGRESS") and image_status(s, "node-app", "1"),
                  "node-app scan finished")
    t.eq(st, want_node, "node-app status (continuous)")
    st = wait_for(lambda: (image_status(s, "base", "bookworm") or "PENDING") not in
                  ("PENDING", "IN_PROGRESS") and image_status(s, "base", "bookworm"),
                  "base scan finished")
    t.eq(st, "COMPLETE" if have_shared else "UNSUPPORTED_IMAGE", "base status (scan on push)")

    out = aws_ok(s, "describe-images", "ecr", "describe-images", "--repository-name", "node-app")
    d = out["imageDetails"][0]
    t.check("imageScanFindingsSummary" in d, "scan summary present")
    t.eq(d.get("imageTags"), ["1"], "image tags")
    t.check(d.get("imageSizeInBytes", 0) > 0, "image size")

    out = aws_ok(s, "describe-image-scan-findings", "ecr", "describe-image-scan-findings",
                 "--repository-name", "node-app", "--image-id", "imageTag=1")
    enh = out.get("imageScanFindings", {}).get("enhancedFindings", [])
    ids = {f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in enh}
    t.check("CVE-2020-8203" in ids, "lodash CVE-2020-8203 found (%s)" % sorted(ids))
    t.check("CVE-2021-23337" not in ids, "held-back advisory not found yet")
    if have_shared:
        t.check("CVE-2021-44906" in ids, "minimist CVE-2021-44906 found")
    f0 = next((f for f in enh if f["packageVulnerabilityDetails"]["vulnerabilityId"] ==
               "CVE-2020-8203"), {})
    pkg = f0.get("packageVulnerabilityDetails", {}).get("vulnerablePackages", [{}])[0]
    t.eq(pkg.get("name"), "lodash", "vulnerable package name")
    t.eq(pkg.get("packageManager"), "NODEPKG" if have_shared else "NODEPKG", "package manager")
    t.check(pkg.get("sourceLayerHash", "").startswith("sha256:"), "source layer hash")
    t.eq(f0.get("status"), "ACTIVE", "finding status")
    t.check(f0.get("findingArn", "").startswith("arn:aws:inspector2:us-east-1:123456789012:finding/"),
            "finding ARN")
    counts = out["imageScanFindings"].get("findingSeverityCounts", {})
    t.eq(sum(counts.values()), len(enh), "severity counts cover the findings")
    # pagination: the CLI follows nextToken with --page-size
    out2 = aws_ok(s, "describe-image-scan-findings paged", "ecr", "describe-image-scan-findings",
                  "--repository-name", "node-app", "--image-id", "imageTag=1", "--page-size", "2")
    t.eq(len(out2.get("imageScanFindings", {}).get("enhancedFindings", [])), len(enh),
         "paged findings merge to the same list")

    rc, _, err = aws(s, "ecr", "start-image-scan", "--repository-name", "node-app", "--image-id",
                     "imageTag=1")
    t.check(rc != 0 and "This feature is disabled" in err, "start-image-scan refused: %s" % err)

    crit = json.dumps({"ecrImageRepositoryName": [{"comparison": "EQUALS", "value": "node-app"}]})
    out = aws_ok(s, "inspector2 list-findings", "inspector2", "list-findings", "--filter-criteria",
                 crit)
    lf = out.get("findings", [])
    t.eq({f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in lf}, ids,
         "list-findings = describe-image-scan-findings")
    t.check(all(f["resources"][0]["details"]["awsEcrContainerImage"]["repositoryName"] ==
                "node-app" for f in lf), "filter by repository")

    out = aws_ok(s, "inspector2 update-configuration", "inspector2", "update-configuration",
                 "--ecr-configuration", "rescanDuration=DAYS_30")
    out = aws_ok(s, "inspector2 get-configuration", "inspector2", "get-configuration")
    t.eq(out.get("ecrConfiguration", {}).get("rescanDurationState", {}).get("rescanDuration"),
         "DAYS_30", "rescan duration read back")

    # continuous scanning: import the held-back advisory into the server's DB
    held = find_file(SAMPLE, HELD_BACK)
    p = subprocess.run([BIN, "db", "import", "--quiet", "--db", vdb, held], capture_output=True,
                       text=True)
    t.eq(p.returncode, 0, "db import of the held-back advisory: %s" % p.stderr.strip())

    def has_new():
        _, o, _ = aws(s, "ecr", "describe-image-scan-findings", "--repository-name", "node-app",
                      "--image-id", "imageTag=1")
        got = {f["packageVulnerabilityDetails"]["vulnerabilityId"]
               for f in (o or {}).get("imageScanFindings", {}).get("enhancedFindings", [])}
        return "CVE-2021-23337" in got
    t.check(wait_for(has_new, "re-match created CVE-2021-23337"), "continuous re-match: created")
    rematch = s.events("rematch_done")
    t.check(len(rematch) >= 1, "re-match logged")
    t.eq(len(s.events("scan_complete")), 2, "no image was scanned again (2 initial scans only)")

    # a DB without the advisory closes the finding
    new = vdb + ".new"
    build_db(new, {HELD_BACK})
    os.replace(new, vdb)

    def closed():
        rc, o, _ = aws(s, "inspector2", "list-findings", "--filter-criteria", json.dumps({
            "vulnerabilityId": [{"comparison": "EQUALS", "value": "CVE-2021-23337"}],
            "findingStatus": [{"comparison": "EQUALS", "value": "CLOSED"}]}))
        return rc == 0 and len(o.get("findings", [])) == 1
    t.check(wait_for(closed, "re-match closed CVE-2021-23337"), "continuous re-match: closed")

    # events
    def settled():
        ev = [json.loads(b) for _, b in rx.events()]
        return any(e["detail"].get("status") == "CLOSED" for e in ev
                   if e["detail-type"] == "Inspector2 Finding") and ev
    wait_for(settled, "webhook got the close event", timeout=90)
    got = rx.events()
    evs = [json.loads(b) for _, b in got]
    types = [e["detail-type"] for e in evs]
    t.check("ECR Scan Resource Change" in types, "scan resource change delivered")
    scans = [e for e in evs if e["detail-type"] == "Inspector2 Scan"]
    t.eq(len(scans), 2, "one Inspector2 Scan per pushed image")
    for e in scans:
        t.eq(e["detail"]["scan-status"], "INITIAL_SCAN_COMPLETE", "scan-status")
        t.eq(sorted(e["detail"]["finding-severity-counts"]), ["CRITICAL", "HIGH", "MEDIUM", "TOTAL"],
             "severity count keys")
    fnd = [e for e in evs if e["detail-type"] == "Inspector2 Finding"]
    node_created = [e for e in fnd if e["detail"]["resources"][0]["details"]["awsEcrContainerImage"]
                    ["repositoryName"] == "node-app"]
    t.check(len(node_created) >= len(enh) + 2, "finding events: initial + re-match create + close")
    deliveries = [h.get("x-drydock-delivery") for h, _ in got]
    t.eq(len(deliveries), len(set(deliveries)), "each delivery id once")
    ok_sig = all(h.get("x-drydock-signature") == "sha256=" + hmac.new(
        b"whsec-test", (h.get("x-drydock-timestamp", "") + ".").encode() + b, hashlib.sha256
    ).hexdigest() for h, b in got)
    t.check(ok_sig, "every delivery signed with HMAC-SHA256")
    for e in evs:
        for k in ("version", "id", "detail-type", "source", "account", "time", "region",
                  "resources", "detail"):
            if k not in e:
                t.check(False, "envelope member %s missing" % k)
    # order per resource: the CVE-2021-23337 finding was created before it was closed
    arn_events = [e["detail"]["status"] for e in fnd
                  if e["detail"]["packageVulnerabilityDetails"]["vulnerabilityId"] ==
                  "CVE-2021-23337"]
    t.eq(arn_events[-2:], ["ACTIVE", "CLOSED"], "created then closed, in order")
    t.check(all(isinstance(e["detail"]["updatedAt"], str) for e in fnd),
            "finding event timestamps are strings")

    # event log API
    st, _, body = s.request("GET", "/drydock/v1/events?limit=1000", None,
                            {"Authorization": basic()})
    t.eq(st, 200, "event log readable")
    log = json.loads(body or b"{}").get("events", [])
    t.check(len(log) >= len(evs), "event log holds every delivered event")

    # deleting the image closes its findings
    out = aws_ok(s, "batch-delete-image", "ecr", "batch-delete-image", "--repository-name",
                 "node-app", "--image-ids", "imageTag=1")
    t.eq(len(out.get("imageIds", [])), 1, "image deleted")
    rc, o, _ = aws(s, "inspector2", "list-findings", "--filter-criteria", json.dumps({
        "ecrImageRepositoryName": [{"comparison": "EQUALS", "value": "node-app"}],
        "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]}))
    t.eq(len((o or {}).get("findings", [])), 0, "no active finding left for the deleted image")
    if not have_shared:
        shutil.rmtree(layout, ignore_errors=True)


if __name__ == "__main__":
    main()
