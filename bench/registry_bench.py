"""Registry benchmarks (not tests; nothing here asserts a time):

1. Push and pull of one large blob (default 1 GiB): our throughput / plain `cp` of the same file on
   the same disk, and the server's peak RSS for two blob sizes (it must stay flat: streaming
   uploads, sendfile downloads).
2. 200 concurrent manifest+blob pulls on loopback with wrk: requests/s and p99 latency.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "lib"))
from ddserver import Server, sha256  # noqa: E402

MIB = 1 << 20
BLOB_MIB = int(os.environ.get("BENCH_BLOB_MIB", "1024"))
CONNS = int(os.environ.get("BENCH_CONNS", "200"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WORK = tempfile.mkdtemp(prefix="dd-bench-", dir=os.environ.get("BENCH_DIR", os.getcwd()))


def rss_peak_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def make_file(path, mib):
    with open(path, "wb") as f:
        chunk = os.urandom(MIB)
        h = hashlib.sha256()
        for i in range(mib):
            block = chunk[:-8] + i.to_bytes(8, "little")
            f.write(block)
            h.update(block)
        f.flush()
        os.fsync(f.fileno())
    return "sha256:" + h.hexdigest()


def drop(path):
    if os.path.exists(path):
        os.remove(path)


def timed(cmd):
    os.sync()  # earlier writes must not be flushed on this step's time
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def blob_round(s, src, digest, mib):
    base = "http://%s/v2/bench/big" % s.addr
    st, h, _ = s.request("POST", "/v2/bench/big/blobs/uploads/")
    loc = h["location"]
    # Streamed PATCH of the whole file, then PUT with the digest: what skopeo and docker do.
    t_push = timed(["curl", "-sf", "-X", "PATCH", "-H", "Content-Type: application/octet-stream",
                    "-T", src, "http://%s%s" % (s.addr, loc)])
    t_push += timed(["curl", "-sf", "-X", "PUT", "http://%s%s?digest=%s" % (s.addr, loc, digest)])
    out = os.path.join(WORK, "pulled.bin")
    t_pull = timed(["curl", "-sf", "-o", out, "%s/blobs/%s" % (base, digest)])
    with open(out, "rb") as f:
        os.fsync(f.fileno())
    drop(out)
    return mib / t_push, mib / t_pull


def cp_rate(src, mib, fsync):
    dst = os.path.join(WORK, "copy.bin")
    os.sync()
    t0 = time.perf_counter()
    subprocess.run(["cp", src, dst], check=True)
    if fsync:
        with open(dst, "rb") as f:
            os.fsync(f.fileno())
    dt = time.perf_counter() - t0
    drop(dst)
    return mib / dt


def bench_blob():
    print("== blob push/pull (%d MiB) on %s" % (BLOB_MIB, WORK), flush=True)
    results = {}
    for mib in (BLOB_MIB // 4, BLOB_MIB):
        src = os.path.join(WORK, "blob-%d.bin" % mib)
        digest = make_file(src, mib)
        with Server(data=os.path.join(WORK, "data-%d" % mib), extra=["--log-level", "warn"]) as s:
            push, pull = blob_round(s, src, digest, mib)
            peak = rss_peak_kib(s.proc.pid)
        # best of two for every figure: page-cache and writeback noise only ever slows a run
        with Server(data=os.path.join(WORK, "data2-%d" % mib),
                    extra=["--log-level", "warn"]) as s:
            push2, pull2 = blob_round(s, src, digest, mib)
            peak = max(peak, rss_peak_kib(s.proc.pid))
        shutil.rmtree(os.path.join(WORK, "data2-%d" % mib), ignore_errors=True)
        push, pull = max(push, push2), max(pull, pull2)
        cp_plain = max(cp_rate(src, mib, False), cp_rate(src, mib, False))
        cp_sync = max(cp_rate(src, mib, True), cp_rate(src, mib, True))
        results[mib] = (push, pull, peak, cp_plain, cp_sync)
        print("blob %5d MiB: push %7.1f MiB/s, pull %7.1f MiB/s, cp %7.1f MiB/s, cp+fsync %7.1f "
              "MiB/s, server peak RSS %.1f MiB" % (mib, push, pull, cp_plain, cp_sync, peak / 1024),
              flush=True)
        drop(src)
        shutil.rmtree(os.path.join(WORK, "data-%d" % mib), ignore_errors=True)
    push, pull, peak, cp_plain, cp_sync = results[BLOB_MIB]
    print("ratio push/cp         = %.2f   (push/cp+fsync = %.2f)" % (push / cp_plain,
                                                                    push / cp_sync))
    print("ratio pull/cp         = %.2f   (pull/cp+fsync = %.2f)" % (pull / cp_plain,
                                                                    pull / cp_sync))
    small = results[BLOB_MIB // 4][2]
    print("peak RSS %d MiB blob / %d MiB blob = %.2f (1.00 = flat)" % (BLOB_MIB, BLOB_MIB // 4,
                                                                       peak / small))


def bench_pulls():
    print("== %d concurrent manifest+blob pulls for %d s (wrk, loopback)" % (CONNS, SECONDS),
          flush=True)
    with Server(data=os.path.join(WORK, "data-pulls"), extra=["--log-level", "warn"]) as s:
        layer = os.urandom(64 * 1024)
        config = b'{"os":"linux","architecture":"amd64"}'
        for blob in (layer, config):
            s.request("POST", "/v2/bench/app/blobs/uploads/?digest=%s" % sha256(blob), blob)
        m = json.dumps({"schemaVersion": 2,
                        "mediaType": "application/vnd.oci.image.manifest.v1+json",
                        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                   "digest": sha256(config), "size": len(config)},
                        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                                    "digest": sha256(layer), "size": len(layer)}]}).encode()
        s.request("PUT", "/v2/bench/app/manifests/latest", m,
                  {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        p = subprocess.run(["wrk", "-t", "2", "-c", str(CONNS), "-d", "%ds" % SECONDS,
                            "--latency", "-s", os.path.join(os.path.dirname(__file__), "pull.lua"),
                            "http://%s" % s.addr, "--", "/v2/bench/app/manifests/latest",
                            "/v2/bench/app/blobs/%s" % sha256(layer)],
                           capture_output=True, text=True, timeout=SECONDS + 60)
        out = p.stdout
        rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
        p99 = re.search(r"99%\s+([\d.]+\w+)", out)
        errs = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        sock = re.search(r"Socket errors: (.*)", out)
        print("requests/s = %s, p99 latency = %s, non-2xx = %s%s" % (
            rps.group(1) if rps else "?", p99.group(1) if p99 else "?",
            errs.group(1) if errs else "0", (", socket errors: " + sock.group(1)) if sock else ""))
        print("server peak RSS %.1f MiB" % (rss_peak_kib(s.proc.pid) / 1024))
    shutil.rmtree(os.path.join(WORK, "data-pulls"), ignore_errors=True)


def main():
    try:
        bench_blob()
        bench_pulls()
    finally:
        shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
