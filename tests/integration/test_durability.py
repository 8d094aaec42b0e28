"""Durability: SIGKILL during concurrent pushes loses nothing acknowledged and leaves nothing
half-visible; SIGTERM lets an upload in flight finish; abandoned upload sessions are swept."""
import hashlib
import http.client
import json
import os
import random
import signal
import sqlite3
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ddserver import Checker, Server, sha256  # noqa: E402

t = Checker("durability")
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


class Pusher(threading.Thread):
    """Pushes images (chunked layer + config + manifest) until the server dies; records what the
    server acknowledged."""

    def __init__(self, port, n, acked):
        super().__init__(daemon=True)
        self.port, self.n, self.acked = port, n, acked

    def req(self, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def run(self):
        rnd = random.Random(self.n)
        i = 0
        try:
            while True:
                repo = "crash/r%d" % self.n
                layer = rnd.randbytes(rnd.randint(1, 3) * 700000)
                st, h, _ = self.req("POST", "/v2/%s/blobs/uploads/" % repo)
                if st != 202:
                    return
                loc = h["location"]
                half = len(layer) // 2
                st, h, _ = self.req("PATCH", loc, layer[:half],
                                    {"Content-Range": "0-%d" % (half - 1),
                                     "Content-Type": "application/octet-stream"})
                st, h, _ = self.req("PUT", loc + "?digest=" + sha256(layer), layer[half:],
                                    {"Content-Type": "application/octet-stream"})
                if st != 201:
                    return
                self.acked.append(("blob", repo, sha256(layer), layer))
                config = json.dumps({"os": "linux", "n": self.n, "i": i}).encode()
                st, _, _ = self.req("POST", "/v2/%s/blobs/uploads/?digest=%s" %
                                    (repo, sha256(config)), config)
                if st != 201:
                    return
                self.acked.append(("blob", repo, sha256(config), config))
                m = json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                           "digest": sha256(config), "size": len(config)},
                                "layers": [{"mediaType":
                                            "application/vnd.oci.image.layer.v1.tar+gzip",
                                            "digest": sha256(layer), "size": len(layer)}]}).encode()
                tag = "t%d" % i
                st, _, _ = self.req("PUT", "/v2/%s/manifests/%s" % (repo, tag), m,
                                    {"Content-Type": OCI_MANIFEST})
                if st != 201:
                    return
                self.acked.append(("manifest", repo, tag, m))
                i += 1
        except (OSError, http.client.HTTPException):
            return


def verify_store(data):
    """Every file visible under blobs/ hashes to its name: nothing half-written is visible."""
    bad = 0
    n = 0
    root = os.path.join(data, "blobs", "sha256")
    for dirpath, _, files in os.walk(root):
        for name in files:
            n += 1
            with open(os.path.join(dirpath, name), "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != name:
                    bad += 1
                    print("corrupt or partial blob visible: %s" % name)
    return n, bad


def crash_rounds():
    data = None
    acked = []
    for rnd in range(3):
        s = Server(data=data, keep=True).start()
        data = s.data
        # everything acknowledged before is still served
        for kind, repo, ref, body in acked:
            path = "/v2/%s/%s/%s" % (repo, "blobs" if kind == "blob" else "manifests", ref)
            st, _, got = s.request("GET", path)
            t.check(st == 200 and got == body, "round %d: acknowledged %s %s/%s survives" %
                    (rnd, kind, repo, ref))
        before = len(acked)
        pushers = [Pusher(s.port, rnd * 10 + k, acked) for k in range(4)]
        for p in pushers:
            p.start()
        time.sleep(1.5 + rnd * 0.7)
        s.kill()
        for p in pushers:
            p.join(timeout=30)
        t.check(len(acked) > before, "round %d: pushes were acknowledged before the kill (%d)" %
                (rnd, len(acked) - before))
        n, bad = verify_store(data)
        t.check(n > 0 and bad == 0, "round %d: %d visible blobs, %d bad" % (rnd, n, bad))
        db = sqlite3.connect(os.path.join(data, "metadata.sqlite"))
        t.eq(db.execute("PRAGMA integrity_check").fetchone()[0], "ok", "db integrity round %d" % rnd)
        db.close()
    s = Server(data=data).start()
    for kind, repo, ref, body in acked:
        path = "/v2/%s/%s/%s" % (repo, "blobs" if kind == "blob" else "manifests", ref)
        st, _, got = s.request("GET", path)
        t.check(st == 200 and got == body, "final: %s %s/%s" % (kind, repo, ref))
    # Every manifest the DB lists has its bytes and its blobs: nothing half-visible.
    db = sqlite3.connect(os.path.join(data, "metadata.sqlite"))
    rows = db.execute("SELECT r.name, t.name FROM tags t JOIN repositories r ON r.id = t.repo_id")
    for repo, tag in rows.fetchall():
        st, h, m = s.request("GET", "/v2/%s/manifests/%s" % (repo, tag))
        ok = st == 200
        if ok:
            doc = json.loads(m)
            for d in [doc["config"]["digest"]] + [l["digest"] for l in doc["layers"]]:
                bst, _, _ = s.request("HEAD", "/v2/%s/blobs/%s" % (repo, d))
                ok = ok and bst == 200
        t.check(ok, "tag %s:%s is whole" % (repo, tag))
    db.close()
    print("crash rounds: %d acknowledged writes verified" % len(acked), flush=True)
    s.cleanup()


def graceful_shutdown():
    s = Server().start()
    st, h, _ = s.request("POST", "/v2/slow/blobs/uploads/")
    loc = h["location"]
    payload = os.urandom(4 << 20)
    result = {}

    def slow_put():
        c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        c.putrequest("PUT", loc + "?digest=" + sha256(payload))
        c.putheader("Content-Length", str(len(payload)))
        c.putheader("Content-Type", "application/octet-stream")
        c.endheaders()
        for k in range(0, len(payload), 1 << 18):
            c.send(payload[k:k + (1 << 18)])
            time.sleep(0.1)
        r = c.getresponse()
        result["status"] = r.status
        c.close()

    th = threading.Thread(target=slow_put)
    th.start()
    time.sleep(0.5)
    s.proc.send_signal(signal.SIGTERM)
    th.join(timeout=60)
    rc = s.proc.wait(timeout=60)
    t.eq(result.get("status"), 201, "upload in flight at SIGTERM completes")
    t.eq(rc, 0, "server exits 0 after SIGTERM")
    t.check(any("shutting_down" in l for l in s.log_lines), "shutdown logged")
    s.proc = None
    s2 = Server(data=s.data, keep=True).start()
    st, _, body = s2.request("GET", "/v2/slow/blobs/%s" % sha256(payload))
    t.check(st == 200 and body == payload, "blob finished during shutdown is served after restart")
    s2.cleanup()
    s.cleanup()


def upload_sweep():
    s = Server(extra=["--set", "upload_ttl=1s", "--set", "sweep_interval=1s"]).start()
    st, h, _ = s.request("POST", "/v2/abandon/blobs/uploads/")
    loc = h["location"]
    s.request("PATCH", loc, b"x" * 1000, {"Content-Type": "application/octet-stream"})
    time.sleep(3.5)
    st, _, body = s.request("GET", loc)
    t.eq(st, 404, "abandoned upload swept")
    left = [f for f in os.listdir(os.path.join(s.data, "uploads"))]
    t.eq(left, [], "staging files removed")
    t.check(len(s.events("uploads_swept")) >= 1, "sweep logged")
    s.cleanup()


def main():
    crash_rounds()
    graceful_shutdown()
    upload_sweep()
    t.done()


if __name__ == "__main__":
    main()
