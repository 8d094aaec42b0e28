"""A crash mid-scan re-runs the job: the scan queue is durable and a scan is committed whole or not
at all.

The server runs with scan_workers=1, so jobs wait in the queue while one runs.

- Queued and running jobs: images are pushed while the registry uses BASIC scanning (their
  repositories are MANUAL, nothing is scanned); switching to ENHANCED with the aws CLI queues
  their initial scans (an OCI index counts as its two child images). The server is killed with
  SIGKILL as soon as the metadata database shows a job running. Afterwards the database and the
  log show that the jobs were not done (no scan_complete, status still PENDING, the job still
  queued/running in scan_jobs).
- A push under ENHANCED: an image with many npm packages (so its scan takes a while) is pushed;
  the server is killed while its job runs.
- After each restart every image reaches ACTIVE (UNSUPPORTED_IMAGE for an image on an unknown
  OS), its findings are the same vulnerabilities `drydock scan` finds in the same image (a layer
  cache cut short by the crash does not change results), the event log holds exactly one
  "Inspector2 Scan" per image (for the right repository and digest) and one "Inspector2 Finding"
  per finding: the killed attempt left nothing behind.
Without ../shared, images built here and by tests/lib/mkimage.py are used.
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ddserver import BIN, SCRATCH, Checker, Server  # noqa: E402
import mkimage  # noqa: E402
import ddaws  # noqa: E402

SRC = os.environ.get("DD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SHARED = os.environ.get("DD_SHARED_IMAGES") or os.path.realpath(
    os.path.join(SRC, "..", "shared", "images"))
AWS = "/usr/bin/aws"
AWS_HOME = tempfile.mkdtemp(prefix="dd-aws-home-", dir=SCRATCH)  # the CLI's HOME
REGION, ACCOUNT = "us-east-1", "123456789012"
t = Checker("scan_crash")


# ---- a synthetic image: Debian 11 package database, lodash, and many npm packages ----

def build_image(layout, tag, n_npm, salt):
    """A Debian 11 image (mkimage.debian11_app) with n_npm small npm packages unknown to any
    advisory besides lodash (they make the scan slow). Returns the manifest digest."""
    extra = [("app/salt.txt", salt.encode())]
    for i in range(n_npm):
        d = "app/node_modules/dd-crash-filler-%05d" % i
        extra.append((d, None))
        extra.append((d + "/package.json",
                      b'{"name":"dd-crash-filler-%05d","version":"1.0.%d"}\n' % (i, i)))
    return mkimage.debian11_app(layout, tag, "crash-app", extra, compresslevel=1)


# ---- helpers ----

def aws_env():
    return ddaws.aws_env(home=AWS_HOME)


def aws(s, *args):
    return ddaws.run(s, *args, env=aws_env())


def aws_ok(s, what, *args):
    rc, out, err = aws(s, *args)
    t.eq(rc, 0, what + ("" if rc == 0 else ": " + err.strip()))
    return out or {}


def skopeo_push(s, layout, ref, dest, *opts):
    p = subprocess.run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false"] +
                       list(opts) + ["oci:%s:%s" % (layout, ref),
                                     "docker://%s/%s" % (s.addr, dest)],
                       capture_output=True, text=True, timeout=600)
    t.eq(p.returncode, 0, "skopeo push %s -> %s%s" % (ref, dest, "" if p.returncode == 0
                                                         else ": " + p.stderr.strip()[-300:]))


def ref_digest(layout, ref):
    with open(os.path.join(layout, "index.json")) as f:
        for m in json.load(f)["manifests"]:
            if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == ref:
                return m["digest"]
    raise KeyError(ref)


def db_rows(data, sql, args=()):
    c = sqlite3.connect("file:%s?mode=ro" % os.path.join(data, "metadata.sqlite"), uri=True,
                        timeout=10)
    try:
        return c.execute(sql, args).fetchall()
    finally:
        c.close()


def kill_while_running(s, data, digests, what, timeout=30):
    """Polls scan_jobs until one of digests is running, then SIGKILLs the server. Returns the
    digest that was running (None when none was seen)."""
    deadline = time.time() + timeout
    running = None
    while time.time() < deadline and running is None:
        try:
            rows = db_rows(data, "SELECT digest FROM scan_jobs WHERE state = 'running'")
        except sqlite3.OperationalError:
            rows = []
        running = next((r[0] for r in rows if r[0] in digests), None)
        if running is None:
            time.sleep(0.003)
    t.eq(s.kill(), -9, "SIGKILL %s" % what)
    t.check(running is not None, "%s: a scan job was seen running before the kill" % what)
    return running


def basic_auth():
    return ddaws.basic()


def event_log(s):
    out, after = [], 0
    while True:
        st, _, body = s.request("GET", "/drydock/v1/events?after=%d&limit=1000" % after, None,
                                {"Authorization": basic_auth()})
        if st != 200:
            t.check(False, "event log readable: %d" % st)
            return out
        doc = json.loads(body)
        if not doc["events"]:
            return out
        out.extend(e["event"] for e in doc["events"])
        after = doc["next"]


def image_status(s, repo, digest):
    rc, out, _ = aws(s, "ecr", "describe-images", "--repository-name", repo, "--image-ids",
                     "imageDigest=%s" % digest)
    if rc != 0 or not out.get("imageDetails"):
        return None
    return out["imageDetails"][0].get("imageScanStatus", {}).get("status")


def wait_scanned(s, images, timeout=90):
    deadline = time.time() + timeout
    status = {}
    while time.time() < deadline:
        status = {(r, d): image_status(s, r, d) for r, d, _, _, _ in images}
        if all(v not in (None, "PENDING", "IN_PROGRESS") for v in status.values()):
            return status
        time.sleep(0.5)
    t.check(False, "scans finished after the restart (timed out: %s)" % status)
    return status


def reference_ids(layout, ref, db):
    p = subprocess.run([BIN, "scan", "-q", "--no-cache", "-f", "json", "--db", db,
                        "oci:%s:%s" % (layout, ref)], capture_output=True, text=True, timeout=300)
    t.eq(p.returncode, 0, "drydock scan oci:%s (%s)" % (ref, p.stderr.strip()[-200:]))
    if p.returncode != 0:
        return set()
    return {v["id"] for v in json.loads(p.stdout)["vulnerabilities"]}


def check_images(s, data, layout, images, what):
    """images: [(repo, digest, ref in layout, want status, has findings)]: status, findings =
    the CLI's, and exactly one scan event and one creation event per finding."""
    status = wait_scanned(s, images)
    log = event_log(s)
    scans = [e for e in log if e["detail-type"] == "Inspector2 Scan"]
    for repo, digest, ref, want, has_findings in images:
        name = "%s: %s@%s" % (what, repo, digest[:19])
        t.eq(status.get((repo, digest)), want, name + " status")
        out = aws_ok(s, name + " describe-image-scan-findings", "ecr",
                     "describe-image-scan-findings", "--repository-name", repo, "--image-id",
                     "imageDigest=%s" % digest)
        enh = out.get("imageScanFindings", {}).get("enhancedFindings", [])
        ids = {f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in enh}
        ref_ids = reference_ids(layout, ref, os.path.join(data, "vulndb.sqlite"))
        t.eq(len(ids) > 0, has_findings, name + " has findings")
        t.eq(sorted(ids), sorted(ref_ids), name + " findings = drydock scan of the same image")
        arn = "arn:aws:ecr:%s:%s:repository/%s" % (REGION, ACCOUNT, repo)
        mine = [e for e in scans if e["detail"].get("image-digest") == digest and
                e["detail"].get("repository-name") == arn]
        t.eq(len(mine), 1, name + " exactly one Inspector2 Scan event")
        if mine:
            t.eq(mine[0]["detail"]["finding-severity-counts"]["TOTAL"], len(enh),
                 name + " scan event counts every finding")
        rid = "%s/%s" % (arn, digest)
        created = {}
        for e in log:
            if e["detail-type"] == "Inspector2 Finding" and e["resources"] == [rid]:
                a = e["detail"]["findingArn"]
                created[a] = created.get(a, 0) + 1
        t.eq(sorted(created.values()), [1] * len(enh),
             name + " one Inspector2 Finding event per finding")
        t.eq(set(created), {f["findingArn"] for f in enh}, name + " finding events = findings")


def run(data, layout, sweep, slow, servers):
    def start():
        s = Server(data=data, keep=True,
                   extra=["--set", "scan_workers=1", "--set", "scan_tick=1s"]).start()
        servers.append(s)
        return s

    # -- 1: jobs queued by the switch to ENHANCED, killed while one runs --
    s = start()
    for repo, digest, ref, _, _ in sweep:
        if ref.startswith("edge-"):
            continue  # pushed through their index below
        skopeo_push(s, layout, ref, repo + ":1")
    if any(ref.startswith("edge-") for _, _, ref, _, _ in sweep):
        skopeo_push(s, layout, "edge", "crash/edge:1", "--all")
    t.eq(db_rows(data, "SELECT COUNT(*) FROM scan_jobs")[0][0], 0, "BASIC/MANUAL: nothing queued")
    aws_ok(s, "put-registry-scanning-configuration ENHANCED", "ecr",
           "put-registry-scanning-configuration", "--scan-type", "ENHANCED", "--rules",
           json.dumps([{"scanFrequency": "CONTINUOUS_SCAN",
                        "repositoryFilters": [{"filter": "crash/*", "filterType": "WILDCARD"}]}]))
    digests = {d for _, d, _, _, _ in sweep}
    running = kill_while_running(s, data, digests, "after the switch to ENHANCED")
    done = {e["digest"] for e in s.events("scan_complete")}
    jobs = {r[0]: r[1] for r in db_rows(data, "SELECT digest, state FROM scan_jobs")}
    pending = {r[0] for r in db_rows(data, "SELECT digest FROM scan_images WHERE scan_type ="
                                     " 'ENHANCED' AND status = 'PENDING'")}
    committed = digests - pending
    t.check(done <= committed, "every scan logged complete was committed")
    print("killed with %s running; jobs left %s; scans completed before the kill: %d" %
          (running and running[:19], {d[:19]: st for d, st in jobs.items()}, len(done)),
          flush=True)
    t.check(running not in done, "the running scan had not completed (no scan_complete)")
    t.check(running in jobs and running in pending,
            "the running job is still in the queue and its image still PENDING")
    t.eq(set(jobs), pending, "every image not scanned still has its job")

    s = start()
    check_images(s, data, layout, sweep, "after restart 1")
    t.eq(db_rows(data, "SELECT COUNT(*) FROM scan_jobs")[0][0], 0, "queue empty after restart 1")
    rescanned = {e["digest"] for e in s.events("scan_complete")}
    t.eq(rescanned, pending, "restart 1 scanned exactly the unfinished images")

    # -- 2: a push under ENHANCED, killed while its scan runs --
    repo, digest, ref, _, _ = slow
    skopeo_push(s, layout, ref, repo + ":1")
    running = kill_while_running(s, data, {digest}, "right after a push under ENHANCED")
    t.check(not any(e["digest"] == digest for e in s.events("scan_complete")),
            "the pushed image's scan had not completed (no scan_complete)")
    st = db_rows(data, "SELECT status FROM scan_images WHERE repo = ? AND digest = ? AND"
                 " scan_type = 'ENHANCED'", (repo, digest))
    t.eq(st, [("PENDING",)], "the pushed image is still PENDING after the crash")
    t.eq(len(db_rows(data, "SELECT 1 FROM scan_jobs WHERE digest = ?", (digest,))), 1,
         "its job survived the crash")

    s = start()
    check_images(s, data, layout, sweep + [slow], "after restart 2")
    t.eq([e["digest"] for e in s.events("scan_complete")], [digest],
         "restart 2 scanned only the interrupted image")
    t.eq(s.stop(), 0, "graceful stop")


def main():
    if not os.path.exists(AWS) or shutil.which("skopeo") is None:
        print("Debian's awscli and skopeo are required: run scripts/setup.sh", flush=True)
        raise SystemExit(1)
    data = tempfile.mkdtemp(prefix="dd-scancrash-", dir=SCRATCH)
    shared = os.path.join(SHARED, "oci")
    work = tempfile.mkdtemp(prefix="dd-crashimg-", dir=SCRATCH)
    if os.path.isdir(shared):
        layout = work
        shutil.copytree(shared, layout, dirs_exist_ok=True)
        sweep = [("crash/app", ref_digest(layout, "node-app"), "node-app", "ACTIVE", True),
                 ("crash/edge", ref_digest(layout, "edge-amd64"), "edge-amd64", "ACTIVE", False),
                 ("crash/edge", ref_digest(layout, "edge-arm64"), "edge-arm64", "ACTIVE", False)]
    else:
        print("../shared/images absent: using images built here and by tests/lib/mkimage.py",
              flush=True)
        layout = work
        mkimage.build(layout, "small")
        sweep = [("crash/app", ref_digest(layout, "small"), "small", "UNSUPPORTED_IMAGE", True)]
    sweep.append(("crash/nginx", build_image(layout, "nginx", 0, "a"), "nginx", "ACTIVE", True))
    # with scan_workers=1 the queue is served one job at a time: this one takes a while
    sweep.append(("crash/bulk", build_image(layout, "bulk", 20000, "c"), "bulk", "ACTIVE", True))
    slow = ("crash/slow", build_image(layout, "slow", 20000, "b"), "slow", "ACTIVE", True)
    servers = []
    try:
        run(data, layout, sweep, slow, servers)
    finally:
        for s in servers:
            s.cleanup()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(AWS_HOME, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
