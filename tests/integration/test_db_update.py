"""`drydock db update` against a local HTTP server (127.0.0.1; no other network is used).

The server serves an OSV zip built here from real fixtures, the Debian security tracker JSON
fixture and an Alpine secdb JSON fixture, supports Range/If-Range, ETag/If-None-Match (304), and
can be told to cut a response after N bytes or to ignore Range. Checks: first import (counts
derived from the fixtures and the same rows as `drydock db import` of the same files), 304s on
the second run with the database untouched, resume of an interrupted download within a run
(retry) and across runs (.part), restart when the server ignores Range or the content changed,
corrupt zip / sha256 mismatch / size limit leave the database byte for byte unchanged,
--keep-going, the http rule and --source.
"""
import glob
import hashlib
import http.server
import io
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import zipfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ddserver import BIN, SCRATCH, Checker  # noqa: E402

SRC = os.environ.get("DD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
FIX = os.path.join(SRC, "tests", "fixtures", "vulndb")
t = Checker("db_update")


class FeedServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.files = {}      # path -> bytes
        self.cut = {}        # path -> bytes to send before closing (one shot)
        self.ranges = True   # honour Range requests
        self.log = []        # (path, range, if_range, if_none_match, status, bytes sent)
        self.lock = threading.Lock()

    def handle_error(self, request, client_address):
        pass  # clients that abort (size limit) reset the connection

    def etag(self, body):
        return '"%s"' % hashlib.sha256(body).hexdigest()[:16]

    def entries(self, path):
        with self.lock:
            return [e for e in self.log if e[0] == path]

    def clear_log(self):
        with self.lock:
            self.log.clear()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        body = srv.files.get(self.path)
        rng = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        inm = self.headers.get("If-None-Match")

        def record(status, n):
            with srv.lock:
                srv.log.append((self.path, rng, if_range, inm, status, n))

        if body is None:
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            record(404, 0)
            return
        etag = srv.etag(body)
        if inm is not None and inm == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            record(304, 0)
            return
        start, status = 0, 200
        if rng and srv.ranges and (if_range is None or if_range == etag):
            assert rng.startswith("bytes=") and rng.endswith("-"), rng
            start = int(rng[6:-1])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % len(body))
                self.send_header("Content-Length", "0")
                self.end_headers()
                record(416, 0)
                return
            status = 206
        part = body[start:]
        self.send_response(status)
        self.send_header("Content-Length", str(len(part)))
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", "Tue, 02 Jan 2024 10:00:00 GMT")
        if srv.ranges:
            self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(body) - 1, len(body)))
        self.end_headers()
        with srv.lock:
            cut = srv.cut.pop(self.path, None)
        if cut is not None:
            self.wfile.write(part[:cut])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            record(status, min(cut, len(part)))
            return
        self.wfile.write(part)
        record(status, len(part))


def osv_zip(paths):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in paths:
            with open(p, "rb") as f:
                data = f.read()
            z.writestr(json.loads(data)["id"] + ".json", data)
        z.writestr("README.txt", b"not an advisory\n")
    return buf.getvalue()


def osv_ids(paths):
    return {json.load(open(p))["id"] for p in paths}


def run(*args):
    p = subprocess.run([BIN, "db", "update"] + list(args), capture_output=True, text=True,
                       timeout=300)
    return p.returncode, p.stdout, p.stderr


def counts(db):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        rows = c.execute("select source, count(*) from advisories group by source").fetchall()
        ver = c.execute("select value from meta where key='db_version'").fetchone()[0]
        return dict(rows), ver
    finally:
        c.close()


def dump(db):
    """The imported content, independent of row ids and import times."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        adv = sorted(c.execute("select source, vuln_id, summary, details, published, modified, "
                               "withdrawn from advisories").fetchall(), key=repr)
        aff = sorted(c.execute("select a.source, a.vuln_id, f.ecosystem, f.package, "
                               "f.ranges_json, f.versions_json, f.fix_state from affected f "
                               "join advisories a on a.id = f.advisory").fetchall(), key=repr)
        return adv, aff
    finally:
        c.close()


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    osv_a = sorted(glob.glob(os.path.join(FIX, "ghsa-osv", "npm", "*.json")) +
                   glob.glob(os.path.join(FIX, "go-osv", "*.json")))
    extra = sorted(glob.glob(os.path.join(FIX, "almalinux-osv", "*.json")))
    debian = os.path.join(FIX, "debian-tracker", "vunnel-sample-debian.json")
    alpine = os.path.join(FIX, "alpine-secdb", "claircore-v3.10-community.json")
    # Expected counts derived from the fixtures themselves.
    deb_json = json.load(open(debian))
    n_debian = len({cve for pkg in deb_json.values() for cve in pkg})
    alp_json = json.load(open(alpine))
    n_alpine = len({cve for p in alp_json["packages"]
                    for cves in p["pkg"]["secfixes"].values() for cve in (cves or [])})
    ids_a = osv_ids(osv_a)
    t.check(len(ids_a) == len(osv_a) and n_debian > 0 and n_alpine > 0, "fixtures as expected")

    work = tempfile.mkdtemp(prefix="dd-update-", dir=SCRATCH)
    srv = FeedServer()
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    base = "http://127.0.0.1:%d" % srv.server_address[1]
    try:
        zip_a = osv_zip(osv_a)
        srv.files["/osv/all.zip"] = zip_a
        srv.files["/debian/json"] = read(debian)
        srv.files["/alpine/v3.10/community.json"] = read(alpine)
        feeds = os.path.join(work, "feeds")
        with open(feeds, "w") as f:
            f.write("# test feeds\n\n"
                    "osv-test %s/osv/all.zip\n"
                    "debian-tracker %s/debian/json debian-tracker-json\n"
                    "  alpine-v3.10-community %s/alpine/v3.10/community.json alpine-secdb\n"
                    % (base, base, base))
        db = os.path.join(work, "vuln.db")
        cache = os.path.join(work, ".feeds")

        # --list shows the parsed feeds; the built-in list is not empty.
        rc, out, err = run("--feeds", feeds, "--list")
        t.eq(rc, 0, "--list rc")
        t.eq(len(out.splitlines()), 3, "--list lines")
        rc, out, _ = run("--list")
        t.check(rc == 0 and "osv-vulnerabilities.storage.googleapis.com/npm/all.zip" in out and
                "security-tracker.debian.org/tracker/data/json" in out and
                "secdb.alpinelinux.org" in out, "built-in feeds")
        rc, out, _ = run("--help")
        t.check(rc == 0 and "--feeds FILE" in out and "--keep-going" in out, "--help")

        # 1. First update imports everything.
        rc, out, err = run("--db", db, "--feeds", feeds)
        t.eq(rc, 0, "first update rc (%s)" % err.strip())
        t.check("feeds: 3 fetched, 0 not modified, 0 failed" in out, "first summary: " + out)
        got, ver1 = counts(db)
        t.eq(got, {"osv": len(ids_a), "debian-tracker": n_debian, "alpine-secdb": n_alpine},
             "first update counts")
        # The same rows as `drydock db import` of the same files.
        ref = os.path.join(work, "ref.db")
        p = subprocess.run([BIN, "db", "import", "--quiet", "--db", ref] + osv_a +
                           [debian, alpine], capture_output=True, text=True)
        t.eq(p.returncode, 0, "reference import rc")
        t.check(dump(ref) == dump(db), "update content equals db import content")
        info = subprocess.run([BIN, "db", "info", "--db", db], capture_output=True, text=True)
        t.check("advisories: %d" % (len(ids_a) + n_debian + n_alpine) in info.stdout,
                "db info advisories")
        for name in ("osv-test", "debian-tracker", "alpine-v3.10-community"):
            t.check(os.path.exists(os.path.join(cache, name + ".data")), "cached " + name)
            t.check(not os.path.exists(os.path.join(cache, name + ".part")), "no part " + name)

        # 2. Second update: conditional requests, all 304, database untouched.
        before = read(db)
        srv.clear_log()
        rc, out, err = run("--db", db, "--feeds", feeds)
        t.eq(rc, 0, "second update rc (%s)" % err.strip())
        t.check("feeds: 0 fetched, 3 not modified, 0 failed" in out, "second summary: " + out)
        t.check("(unchanged)" in out, "second update says unchanged")
        for path in srv.files:
            e = srv.entries(path)
            t.check(len(e) == 1 and e[0][4] == 304 and e[0][3] is not None,
                    "304 with If-None-Match for %s: %r" % (path, e))
        t.check(read(db) == before, "second update leaves the file as it was")

        # 3. --fresh with 304s imports the cached copies again: same content, new version.
        rc, out, err = run("--db", db, "--feeds", feeds, "--fresh")
        t.eq(rc, 0, "fresh rc (%s)" % err.strip())
        got, ver3 = counts(db)
        t.check(ver3 != ver1 and dump(db) == dump(ref), "fresh from the cache: same content")

        # 4. Interrupted download resumed within the run (a retry with Range).
        zip_b = osv_zip(osv_a + extra)
        ids_b = osv_ids(osv_a + extra)
        srv.files["/osv/all.zip"] = zip_b
        cut = len(zip_b) // 3
        srv.cut["/osv/all.zip"] = cut
        srv.clear_log()
        rc, out, err = run("--db", db, "--feeds", feeds, "--source", "osv-test")
        t.eq(rc, 0, "resume in run rc (%s)" % err.strip())
        e = srv.entries("/osv/all.zip")
        t.check(len(e) == 2 and e[0][4] == 200 and e[0][5] == cut and
                e[1][1] == "bytes=%d-" % cut and e[1][2] == srv.etag(zip_b) and e[1][4] == 206,
                "second request continues at byte %d with If-Range: %r" % (cut, e))
        t.check("fetched (resumed)" in out, "summary says resumed")
        got, _ = counts(db)
        t.eq(got.get("osv"), len(ids_b), "osv count after resumed download")
        t.eq(read(os.path.join(cache, "osv-test.data")), zip_b, "cached copy is the new zip")

        # 5. Interrupted with no retries: fails, FILE unchanged, .part kept; the next run resumes.
        zip_c = osv_zip(osv_a[:5])
        srv.files["/osv/all.zip"] = zip_c
        srv.cut["/osv/all.zip"] = len(zip_c) // 2
        before = read(db)
        rc, out, err = run("--db", db, "--feeds", feeds, "--retries", "0")
        t.eq(rc, 1, "interrupted rc")
        t.check("osv-test" in err, "error names the feed: " + err)
        t.check(read(db) == before, "interrupted update leaves the file as it was")
        part = os.path.join(cache, "osv-test.part")
        t.check(os.path.exists(part) and os.path.getsize(part) == len(zip_c) // 2,
                "partial download kept")
        srv.clear_log()
        rc, out, err = run("--db", db, "--feeds", feeds, "--retries", "0")
        t.eq(rc, 0, "resume across runs rc (%s)" % err.strip())
        e = srv.entries("/osv/all.zip")
        t.check(len(e) == 1 and e[0][1] == "bytes=%d-" % (len(zip_c) // 2) and e[0][4] == 206,
                "next run resumes with Range: %r" % e)
        t.check(not os.path.exists(part), "part file gone after success")
        t.eq(read(os.path.join(cache, "osv-test.data")), zip_c, "cached copy after resume")
        # Replacing per (source, id) keeps advisories that left the feed (documented).
        got, _ = counts(db)
        t.eq(got.get("osv"), len(ids_b), "osv advisories kept after a smaller feed")
        e = srv.entries("/debian/json")
        t.check(len(e) == 1 and e[0][4] == 304, "other feeds not modified")

        # 6. Content changed while a part was waiting: If-Range mismatch, full 200, correct file.
        srv.files["/osv/all.zip"] = zip_b
        srv.cut["/osv/all.zip"] = len(zip_b) // 2
        rc, _, _ = run("--db", db, "--feeds", feeds, "--retries", "0", "--source", "osv-test")
        t.eq(rc, 1, "interrupted again")
        srv.files["/osv/all.zip"] = zip_a
        srv.clear_log()
        rc, out, err = run("--db", db, "--feeds", feeds, "--source", "osv-test")
        t.eq(rc, 0, "changed content rc (%s)" % err.strip())
        e = srv.entries("/osv/all.zip")
        t.check(len(e) == 1 and e[0][1] is not None and e[0][4] == 200,
                "If-Range mismatch answered with the whole file: %r" % e)
        t.eq(read(os.path.join(cache, "osv-test.data")), zip_a, "cached copy after restart")

        # 7. A server that ignores Range: the retry starts over.
        srv.ranges = False
        srv.files["/osv/all.zip"] = zip_b
        srv.cut["/osv/all.zip"] = 1000
        srv.clear_log()
        rc, out, err = run("--db", db, "--feeds", feeds, "--source", "osv-test")
        t.eq(rc, 0, "no-range server rc (%s)" % err.strip())
        e = srv.entries("/osv/all.zip")
        t.check(len(e) == 2 and e[1][1] == "bytes=1000-" and e[1][4] == 200,
                "range ignored, whole file sent: %r" % e)
        t.eq(read(os.path.join(cache, "osv-test.data")), zip_b, "cached copy without ranges")
        srv.ranges = True

        # 8. Corrupt zip: FILE unchanged, the feed named, the old cached copy kept.
        before = read(db)
        srv.files["/osv/all.zip"] = b"PK\x03\x04" + os.urandom(3000)
        rc, out, err = run("--db", db, "--feeds", feeds)
        t.eq(rc, 1, "corrupt zip rc")
        t.check("osv-test" in err and "not changed" in err, "corrupt zip error: " + err)
        t.check(read(db) == before, "corrupt zip leaves the file as it was")
        t.eq(read(os.path.join(cache, "osv-test.data")), zip_b, "old cached copy kept")
        t.check(not os.path.exists(part), "corrupt download not kept for resuming")

        # 9. sha256 in the feeds file: a mismatch fails, a match passes.
        good = hashlib.sha256(read(alpine)).hexdigest()
        shafeeds = os.path.join(work, "feeds-sha")
        with open(shafeeds, "w") as f:
            f.write("alpine-sha %s/alpine/v3.10/community.json alpine-secdb sha256=%s\n"
                    % (base, "0" * 64))
        rc, out, err = run("--db", db, "--feeds", shafeeds)
        t.eq(rc, 1, "sha256 mismatch rc")
        t.check("sha256 mismatch" in err and "alpine-sha" in err, "sha256 error: " + err)
        t.check(read(db) == before, "sha256 mismatch leaves the file as it was")
        with open(shafeeds, "w") as f:
            f.write("alpine-sha %s/alpine/v3.10/community.json sha256=%s\n" % (base, good))
        rc, out, err = run("--db", db, "--feeds", shafeeds)
        t.eq(rc, 0, "sha256 match rc (%s)" % err.strip())

        # 10. --keep-going: the corrupt zip fails, the others are imported, exit status 1.
        srv.files["/debian/json"] = read(debian).replace(b"CVE-", b"CVE-9")
        before_counts, before_ver = counts(db)
        rc, out, err = run("--db", db, "--feeds", feeds, "--keep-going")
        t.eq(rc, 1, "keep-going rc")
        t.check("osv-test: FAILED" in out and "1 fetched, 1 not modified, 1 failed" in out,
                "keep-going summary: " + out)
        got, ver = counts(db)
        t.check(ver != before_ver and got["debian-tracker"] == 2 * n_debian and
                got["osv"] == before_counts["osv"], "keep-going imported the rest: %r" % got)

        # 11. Size limit; 404.
        srv.files["/osv/all.zip"] = zip_a
        before = read(db)
        rc, out, err = run("--db", db, "--feeds", feeds, "--max-size", "1K")
        t.check(rc == 1 and "limit" in err and read(db) == before, "size limit: " + err)
        with open(shafeeds, "w") as f:
            f.write("missing %s/nothing.json osv-json\n" % base)
        rc, out, err = run("--db", db, "--feeds", shafeeds)
        t.check(rc == 1 and "404" in err and read(db) == before, "404: " + err)

        # 12. The http rule: loopback or allow-http only; other schemes refused.
        with open(shafeeds, "w") as f:
            f.write("remote http://example.com/all.zip\n")
        rc, out, err = run("--db", db, "--feeds", shafeeds)
        t.check(rc == 1 and "plain http" in err, "http to a remote host refused: " + err)
        with open(shafeeds, "w") as f:
            f.write("remote http://example.com/all.zip allow-http\n"
                    "local http://localhost:1/x.zip\nv6 http://[::1]:1/x.zip\n")
        rc, out, err = run("--feeds", shafeeds, "--list")
        t.eq(rc, 0, "allow-http and loopback accepted (%s)" % err.strip())
        with open(shafeeds, "w") as f:
            f.write("f file:///etc/passwd osv-json\n")
        rc, out, err = run("--db", db, "--feeds", shafeeds)
        t.check(rc == 1 and "only http and https" in err, "file:// refused: " + err)
        with open(shafeeds, "w") as f:
            f.write("bad/name %s/x.zip\n" % base)
        rc, out, err = run("--db", db, "--feeds", shafeeds)
        t.check(rc == 1 and "feed name" in err, "bad feed name: " + err)
        rc, out, err = run("--db", db, "--feeds", feeds, "--source", "nope")
        t.check(rc == 2 and "nope" in err, "unknown --source: " + err)
        t.check(read(db) == before, "refused feeds leave the file as it was")
    finally:
        srv.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    t.done()


main()
