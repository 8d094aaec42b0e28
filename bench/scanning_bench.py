"""Scan-on-push benchmark (not a test; nothing here asserts a time). For each shared image:

- push it with skopeo to a fresh `drydock serve` whose registry is ENHANCED with SCAN_ON_PUSH for
  every repository, and take, from the server's own log, the time from the end of the manifest PUT
  (its request log line) to the scan's completion (its scan_complete line): "push to COMPLETE";
- run the standalone `drydock scan --db <same DB>` on the same image (OCI layout, empty cache);
- print push-to-COMPLETE / standalone (goal <= 1.5), median of BENCH_RUNS (default 3) runs.

Both read the layers cold: the server's data directory is new for each run (its layer cache with
it) and the standalone scan gets an empty --cache-dir.
"""
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from ddserver import ADMIN_KEY, ADMIN_SECRET, BIN, Server  # noqa: E402

SHARED = os.path.realpath(os.path.join(ROOT, "..", "shared", "images"))
DB = os.environ.get("BENCH_DB") or os.path.join(os.path.dirname(BIN), "vulndb-sample.sqlite")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
IMAGES = ["debian-bookworm-minbase", "node-app", "edge-amd64"]
AWS = "/usr/bin/aws"


def ts(line):
    t = json.loads(line)["time"]
    return datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp()


def aws(s, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": ADMIN_KEY, "AWS_SECRET_ACCESS_KEY": ADMIN_SECRET,
                "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1",
                "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"})
    subprocess.run([AWS, "--endpoint-url", "http://%s" % s.addr] + list(args), check=True,
                   env=env, capture_output=True)


def push_to_complete(image):
    work = tempfile.mkdtemp(prefix="dd-bench-scan-")
    try:
        with Server(data=os.path.join(work, "data"), extra=["--db", DB]) as s:
            aws(s, "ecr", "put-registry-scanning-configuration", "--scan-type", "ENHANCED",
                "--rules", json.dumps([{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters":
                                        [{"filter": "*", "filterType": "WILDCARD"}]}]))
            subprocess.run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
                            "oci:%s/oci:%s" % (SHARED, image),
                            "docker://%s/bench/img:1" % s.addr], check=True, capture_output=True)
            deadline = time.time() + 300
            while time.time() < deadline and not s.events("scan_complete"):
                time.sleep(0.02)
            put = [ln for ln in s.log_lines if '"event":"request"' in ln and '"PUT"' in ln and
                   "/manifests/" in ln]
            done = [ln for ln in s.log_lines if '"event":"scan_complete"' in ln]
            if not put or not done:
                raise RuntimeError("no scan completed for %s" % image)
            return ts(done[0]) - ts(put[-1])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def standalone(image):
    cache = tempfile.mkdtemp(prefix="dd-bench-cache-")
    try:
        t0 = time.perf_counter()
        subprocess.run([BIN, "scan", "--quiet", "--db", DB, "--cache-dir", cache, "-f", "json",
                        "-o", "/dev/null", "oci:%s/oci:%s" % (SHARED, image)], check=True)
        return time.perf_counter() - t0
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def main():
    if not os.path.isdir(os.path.join(SHARED, "oci")):
        print("scanning_bench: ../shared/images absent; nothing to measure")
        return
    print("push to COMPLETE / standalone drydock scan (same DB, cold layers), median of %d:" % RUNS)
    for image in IMAGES:
        server = statistics.median(push_to_complete(image) for _ in range(RUNS))
        alone = statistics.median(standalone(image) for _ in range(RUNS))
        print("  %-24s push->COMPLETE %.3f s, standalone %.3f s: ratio %.2f (goal <= 1.5)"
              % (image, server, alone, server / alone))


if __name__ == "__main__":
    main()
