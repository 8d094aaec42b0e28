"""Integration test: the OCI Distribution API v1.1 endpoints against a real `drydock serve`.

Covers blobs (monolithic, chunked, streamed, ranges, mounts, deletes), manifests (OCI, Docker, index,
artifact with subject), tags and catalog pagination, referrers, errors in the spec's form, and the
push/pull times recorded per image.
"""
import json
import os
import sqlite3
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ddserver import Checker, Server, sha256  # noqa: E402

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
EMPTY = b"{}"

t = Checker("registry_api")


def err_code(body):
    try:
        return json.loads(body)["errors"][0]["code"]
    except (ValueError, KeyError, IndexError):
        return None


def raw_status(s, head, body):
    """Sends a request head and as much body as the server takes; returns the status it answers
    (it may answer and close before reading the whole body)."""
    import socket
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    try:
        sock.sendall(head.encode())
        try:
            sock.sendall(body)
        except OSError:
            pass
        data = b""
        while b"\r\n" not in data:
            part = sock.recv(4096)
            if not part:
                break
            data += part
        return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else None
    finally:
        sock.close()


def push_blob(s, repo, data):
    d = sha256(data)
    st, h, _ = s.request("POST", "/v2/%s/blobs/uploads/?digest=%s" % (repo, d), data,
                         {"Content-Type": "application/octet-stream"})
    t.eq(st, 201, "monolithic upload of %s" % d)
    return d


def manifest_for(config, layers, media_type=OCI_MANIFEST, extra=None):
    m = {"schemaVersion": 2, "mediaType": media_type,
         "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": sha256(config), "size": len(config)},
         "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                     "digest": sha256(l), "size": len(l)} for l in layers]}
    if media_type == DOCKER_MANIFEST:
        m["config"]["mediaType"] = "application/vnd.docker.container.image.v1+json"
        for l in m["layers"]:
            l["mediaType"] = "application/vnd.docker.image.rootfs.diff.tar.gzip"
    m.update(extra or {})
    return json.dumps(m, indent=3).encode()


def test_base(s):
    st, h, body = s.request("GET", "/v2/")
    t.eq(st, 200, "GET /v2/")
    t.eq(h.get("docker-distribution-api-version"), "registry/2.0", "API version header")
    st, _, body = s.request("GET", "/v3/")
    t.eq(st, 404, "unknown prefix")


def test_blobs(s):
    repo = "team/app/api"
    data = os.urandom(100000)
    d = push_blob(s, repo, data)
    st, h, body = s.request("HEAD", "/v2/%s/blobs/%s" % (repo, d))
    t.eq(st, 200, "HEAD blob")
    t.eq(h.get("content-length"), str(len(data)), "HEAD blob length")
    t.eq(h.get("docker-content-digest"), d, "HEAD blob digest header")
    st, h, body = s.request("GET", "/v2/%s/blobs/%s" % (repo, d))
    t.check(st == 200 and body == data, "GET blob bytes")
    st, h, body = s.request("GET", "/v2/%s/blobs/%s" % (repo, d), headers={"Range": "bytes=10-19"})
    t.check(st == 206 and body == data[10:20], "GET blob range 206")
    t.eq(h.get("content-range"), "bytes 10-19/%d" % len(data), "Content-Range")
    st, h, body = s.request("GET", "/v2/%s/blobs/%s" % (repo, d), headers={"Range": "bytes=-5"})
    t.check(st == 206 and body == data[-5:], "suffix range")
    st, h, body = s.request("GET", "/v2/%s/blobs/%s" % (repo, d),
                            headers={"Range": "bytes=%d-" % len(data)})
    t.eq(st, 416, "unsatisfiable range")
    # the blob is not visible from another repository
    st, _, body = s.request("GET", "/v2/other/blobs/%s" % d)
    t.check(st == 404 and err_code(body) == "BLOB_UNKNOWN", "blob not visible in other repo")
    # bad digests
    st, _, body = s.request("GET", "/v2/%s/blobs/sha256:xyz" % repo)
    t.check(st == 400 and err_code(body) == "DIGEST_INVALID", "bad digest -> DIGEST_INVALID")
    # monolithic with wrong digest: refused and nothing stored
    wrong = sha256(b"something else")
    st, _, body = s.request("POST", "/v2/%s/blobs/uploads/?digest=%s" % (repo, wrong), b"payload")
    t.check(st == 400 and err_code(body) == "DIGEST_INVALID", "monolithic digest mismatch")
    st, _, _ = s.request("HEAD", "/v2/%s/blobs/%s" % (repo, wrong))
    t.eq(st, 404, "mismatched blob not stored")
    st, _, _ = s.request("HEAD", "/v2/%s/blobs/%s" % (repo, sha256(b"payload")))
    t.eq(st, 404, "mismatched payload not stored under its real digest")


def test_chunked(s):
    repo = "chunky"
    data = os.urandom(300000)
    d = sha256(data)
    st, h, _ = s.request("POST", "/v2/%s/blobs/uploads/" % repo)
    t.eq(st, 202, "start session")
    loc = h.get("location", "")
    t.check(loc.startswith("/v2/%s/blobs/uploads/" % repo), "Location of session")
    t.check("docker-upload-uuid" in h, "Docker-Upload-UUID")
    st, h, _ = s.request("PATCH", loc, data[:100000],
                         {"Content-Range": "0-99999", "Content-Type": "application/octet-stream"})
    t.eq(st, 202, "PATCH chunk 1")
    t.eq(h.get("range"), "0-99999", "Range after chunk 1")
    # out of order: a gap
    st, h, body = s.request("PATCH", loc, data[200000:],
                            {"Content-Range": "200000-299999",
                             "Content-Type": "application/octet-stream"})
    t.eq(st, 416, "gap -> 416")
    st, h, _ = s.request("GET", loc)
    t.check(st == 204 and h.get("range") == "0-99999", "upload status after gap")
    st, h, _ = s.request("PATCH", loc, data[100000:200000],
                         {"Content-Range": "100000-199999",
                          "Content-Type": "application/octet-stream"})
    t.eq(st, 202, "PATCH chunk 2")
    # streamed chunk without Content-Range
    st, h, _ = s.request("PATCH", loc, data[200000:250000],
                         {"Content-Type": "application/octet-stream"})
    t.check(st == 202 and h.get("range") == "0-249999", "streamed PATCH")
    # final chunk with the PUT
    st, h, _ = s.request("PUT", loc + "?digest=" + d, data[250000:],
                         {"Content-Type": "application/octet-stream"})
    t.eq(st, 201, "PUT finishes upload")
    t.eq(h.get("docker-content-digest"), d, "PUT digest header")
    t.eq(h.get("location"), "/v2/%s/blobs/%s" % (repo, d), "PUT Location")
    st, _, body = s.request("GET", "/v2/%s/blobs/%s" % (repo, d))
    t.check(st == 200 and body == data, "chunked blob round trip")
    st, _, body = s.request("GET", loc)
    t.check(st == 404 and err_code(body) == "BLOB_UPLOAD_UNKNOWN", "finished session is gone")

    # digest mismatch on PUT: refused, nothing stored
    st, h, _ = s.request("POST", "/v2/%s/blobs/uploads/" % repo)
    loc = h["location"]
    s.request("PATCH", loc, b"abc", {"Content-Type": "application/octet-stream"})
    bad = sha256(b"abd")
    st, _, body = s.request("PUT", loc + "?digest=" + bad)
    t.check(st == 400 and err_code(body) == "DIGEST_INVALID", "PUT digest mismatch")
    st, _, _ = s.request("HEAD", "/v2/%s/blobs/%s" % (repo, sha256(b"abc")))
    t.eq(st, 404, "mismatched upload not stored")

    # cancel
    st, h, _ = s.request("POST", "/v2/%s/blobs/uploads/" % repo)
    loc = h["location"]
    st, _, _ = s.request("DELETE", loc)
    t.eq(st, 204, "cancel upload")
    st, _, body = s.request("PATCH", loc, b"x", {"Content-Type": "application/octet-stream"})
    t.check(st == 404 and err_code(body) == "BLOB_UPLOAD_UNKNOWN", "cancelled session unknown")
    # a session of another repository is not usable here
    st, h, _ = s.request("POST", "/v2/%s/blobs/uploads/" % repo)
    other = h["location"].replace("/v2/%s/" % repo, "/v2/elsewhere/")
    st, _, body = s.request("GET", other)
    t.check(st == 404 and err_code(body) == "BLOB_UPLOAD_UNKNOWN", "session bound to its repo")
    st, _, body = s.request("GET", "/v2/%s/blobs/uploads/../../etc" % repo)
    t.check(st in (400, 404), "path-like upload id refused")


def test_mount(s):
    data = b"mount me " * 100
    d = push_blob(s, "src/repo", data)
    st, h, _ = s.request("POST", "/v2/dst/repo/blobs/uploads/?mount=%s&from=src/repo" % d)
    t.eq(st, 201, "cross-repo mount")
    t.eq(h.get("docker-content-digest"), d, "mount digest")
    st, _, body = s.request("GET", "/v2/dst/repo/blobs/%s" % d)
    t.check(st == 200 and body == data, "mounted blob readable")
    missing = sha256(b"not here")
    st, h, _ = s.request("POST", "/v2/dst/repo/blobs/uploads/?mount=%s&from=src/repo" % missing)
    t.check(st == 202 and "location" in h, "mount of absent blob falls back to a session")


def test_manifests(s):
    repo = "library/app"
    config = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
    layer = os.urandom(5000)
    push_blob(s, repo, config)
    push_blob(s, repo, layer)
    m = manifest_for(config, [layer])
    md = sha256(m)
    st, h, body = s.request("PUT", "/v2/%s/manifests/v1" % repo, m, {"Content-Type": OCI_MANIFEST})
    t.eq(st, 201, "PUT manifest by tag")
    t.eq(h.get("docker-content-digest"), md, "manifest digest header")
    t.eq(h.get("location"), "/v2/%s/manifests/%s" % (repo, md), "manifest Location")
    for ref in ("v1", md):
        st, h, body = s.request("GET", "/v2/%s/manifests/%s" % (repo, ref),
                                headers={"Accept": OCI_MANIFEST})
        t.check(st == 200 and body == m, "GET manifest by %s returns exact bytes" % ref)
        t.eq(h.get("content-type"), OCI_MANIFEST, "manifest content type")
        t.eq(h.get("docker-content-digest"), md, "GET manifest digest")
    st, h, body = s.request("HEAD", "/v2/%s/manifests/v1" % repo)
    t.check(st == 200 and h.get("content-length") == str(len(m)), "HEAD manifest")

    # pushed/pulled times
    db = sqlite3.connect(os.path.join(s.data, "metadata.sqlite"))
    row = db.execute("SELECT pushed_at, last_pulled_at FROM manifests WHERE digest=?",
                     (md,)).fetchone()
    t.check(row is not None and row[0] > 0 and row[1] and row[1] >= row[0],
            "pushed_at and last_pulled_at recorded: %r" % (row,))
    db.close()

    # Docker schema 2 under another tag, same blobs
    dm = manifest_for(config, [layer], DOCKER_MANIFEST)
    st, h, _ = s.request("PUT", "/v2/%s/manifests/docker" % repo, dm,
                         {"Content-Type": DOCKER_MANIFEST})
    t.eq(st, 201, "PUT docker v2s2 manifest")
    st, h, body = s.request("GET", "/v2/%s/manifests/docker" % repo)
    t.check(body == dm and h.get("content-type") == DOCKER_MANIFEST, "docker manifest as pushed")

    # index of both; docker manifest list
    idx = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": md, "size": len(m),
         "platform": {"os": "linux", "architecture": "amd64"}}]}).encode()
    st, h, body = s.request("PUT", "/v2/%s/manifests/multi" % repo, idx, {"Content-Type": OCI_INDEX})
    t.eq(st, 201, "PUT index")
    bad_idx = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [
        {"mediaType": OCI_MANIFEST, "digest": sha256(b"nope"), "size": 4}]}).encode()
    st, h, body = s.request("PUT", "/v2/%s/manifests/badidx" % repo, bad_idx,
                            {"Content-Type": OCI_INDEX})
    t.check(st == 400 and err_code(body) == "MANIFEST_BLOB_UNKNOWN", "index with unknown child")

    # missing blob: refused, nothing stored
    m2 = manifest_for(config, [layer, b"never pushed"])
    st, h, body = s.request("PUT", "/v2/%s/manifests/broken" % repo, m2,
                            {"Content-Type": OCI_MANIFEST})
    t.check(st == 400 and err_code(body) == "MANIFEST_BLOB_UNKNOWN", "missing layer refused")
    st, _, body = s.request("GET", "/v2/%s/manifests/%s" % (repo, sha256(m2)))
    t.check(st == 404 and err_code(body) == "MANIFEST_UNKNOWN", "refused manifest not stored")
    st, _, body = s.request("GET", "/v2/%s/manifests/broken" % repo)
    t.eq(st, 404, "refused manifest's tag not created")

    # invalid JSON, schema 1, digest mismatch, too large
    st, _, body = s.request("PUT", "/v2/%s/manifests/junk" % repo, b"{not json",
                            {"Content-Type": OCI_MANIFEST})
    t.check(st == 400 and err_code(body) == "MANIFEST_INVALID", "junk manifest")
    st, _, body = s.request("PUT", "/v2/%s/manifests/%s" % (repo, sha256(b"x")), m,
                            {"Content-Type": OCI_MANIFEST})
    t.check(st == 400 and err_code(body) == "DIGEST_INVALID", "PUT by wrong digest")
    # Over 4 MiB: refused from the Content-Length alone, and (chunked, no length) once the
    # body passes the limit; the server answers without reading the rest.
    big = b"{" + b" " * (4 * 1024 * 1024 + 10) + b"}"
    st = raw_status(s, "PUT /v2/%s/manifests/big HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                    "Content-Length: %d\r\n\r\n" % (repo, OCI_MANIFEST, len(big)), b"{")
    t.eq(st, 413, "manifest over 4 MiB refused (Content-Length)")
    pieces = [big[i:i + 65536] for i in range(0, len(big), 65536)]
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    st = raw_status(s, "PUT /v2/%s/manifests/big HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n" % (repo, OCI_MANIFEST), chunks)
    t.eq(st, 413, "manifest over 4 MiB refused (chunked)")
    st, _, _ = s.request("GET", "/v2/%s/manifests/big" % repo)
    t.eq(st, 404, "oversized manifest not stored")
    st, _, body = s.request("PUT", "/v2/%s/manifests/bad%%20tag" % repo, m,
                            {"Content-Type": OCI_MANIFEST})
    t.check(st in (400, 404), "invalid tag refused")

    # deletes: tag, then manifest by digest
    st, _, _ = s.request("DELETE", "/v2/%s/manifests/docker" % repo)
    t.eq(st, 202, "delete tag")
    st, _, _ = s.request("GET", "/v2/%s/manifests/docker" % repo)
    t.eq(st, 404, "deleted tag gone")
    st, _, _ = s.request("GET", "/v2/%s/manifests/%s" % (repo, sha256(dm)))
    t.eq(st, 200, "manifest stays after tag delete")
    st, _, _ = s.request("DELETE", "/v2/%s/manifests/%s" % (repo, sha256(dm)))
    t.eq(st, 202, "delete manifest by digest")
    st, _, body = s.request("GET", "/v2/%s/manifests/%s" % (repo, sha256(dm)))
    t.check(st == 404 and err_code(body) == "MANIFEST_UNKNOWN", "deleted manifest gone")
    st, _, _ = s.request("DELETE", "/v2/%s/blobs/%s" % (repo, sha256(layer)))
    t.eq(st, 202, "delete blob")
    st, _, _ = s.request("HEAD", "/v2/%s/blobs/%s" % (repo, sha256(layer)))
    t.eq(st, 404, "deleted blob gone")
    st, _, body = s.request("GET", "/v2/nothing/here/manifests/latest")
    t.check(st == 404 and err_code(body) == "NAME_UNKNOWN", "unknown repository")
    st, _, body = s.request("GET", "/v2/Bad_Name/manifests/latest")
    t.check(st == 400 and err_code(body) == "NAME_INVALID", "invalid repository name")
    return md


def test_tags_catalog(s):
    repo = "pager"
    config = b'{"os":"linux"}'
    push_blob(s, repo, config)
    m = manifest_for(config, [])
    tags = ["t%02d" % i for i in range(7)]
    for tag in tags:
        st, _, _ = s.request("PUT", "/v2/%s/manifests/%s" % (repo, tag), m,
                             {"Content-Type": OCI_MANIFEST})
        t.eq(st, 201, "push tag %s" % tag)
    st, h, body = s.request("GET", "/v2/%s/tags/list" % repo)
    t.check(st == 200 and json.loads(body) == {"name": repo, "tags": tags}, "tags list")
    seen = []
    path = "/v2/%s/tags/list?n=3" % repo
    for _ in range(5):
        st, h, body = s.request("GET", path)
        seen += json.loads(body)["tags"]
        link = h.get("link")
        if not link:
            break
        t.check(link.endswith('>; rel="next"'), "Link header form")
        path = link[1:link.index(">")]
    t.eq(seen, tags, "tags via pagination")
    st, _, body = s.request("GET", "/v2/nosuch/tags/list")
    t.check(st == 404 and err_code(body) == "NAME_UNKNOWN", "tags of unknown repo")
    st, _, body = s.request("GET", "/v2/%s/tags/list?n=x" % repo)
    t.eq(st, 400, "bad n")

    st, h, body = s.request("GET", "/v2/_catalog")
    repos = json.loads(body)["repositories"]
    t.check("team/app/api" in repos and repo in repos and repos == sorted(repos), "catalog")
    got = []
    path = "/v2/_catalog?n=2"
    for _ in range(50):
        st, h, body = s.request("GET", path)
        got += json.loads(body)["repositories"]
        link = h.get("link")
        if not link:
            break
        path = link[1:link.index(">")]
    t.eq(got, repos, "catalog via pagination")


def test_referrers(s, subject_repo="library/app"):
    repo = subject_repo
    st, h, body = s.request("GET", "/v2/%s/manifests/v1" % repo)
    subject = h["docker-content-digest"]
    push_blob(s, repo, EMPTY)
    sig = b"signature bytes"
    push_blob(s, repo, sig)
    art = json.dumps({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.example.sig",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(EMPTY),
                   "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": sha256(sig),
                    "size": len(sig)}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject, "size": 1},
        "annotations": {"org.example.who": "ci"}}).encode()
    ad = sha256(art)
    st, h, body = s.request("PUT", "/v2/%s/manifests/%s" % (repo, ad), art,
                            {"Content-Type": OCI_MANIFEST})
    t.eq(st, 201, "PUT artifact with subject")
    t.eq(h.get("oci-subject"), subject, "OCI-Subject header")
    st, h, body = s.request("GET", "/v2/%s/referrers/%s" % (repo, subject))
    t.eq(st, 200, "referrers")
    t.eq(h.get("content-type"), OCI_INDEX, "referrers content type")
    idx = json.loads(body)
    t.check(len(idx["manifests"]) == 1 and idx["manifests"][0]["digest"] == ad
            and idx["manifests"][0]["artifactType"] == "application/vnd.example.sig"
            and idx["manifests"][0]["annotations"] == {"org.example.who": "ci"}
            and idx["manifests"][0]["size"] == len(art), "referrer descriptor")
    st, h, body = s.request("GET", "/v2/%s/referrers/%s?artifactType=application/other" %
                            (repo, subject))
    t.check(st == 200 and json.loads(body)["manifests"] == [], "artifactType filter")
    t.eq(h.get("oci-filters-applied"), "artifactType", "OCI-Filters-Applied")
    st, h, body = s.request("GET", "/v2/%s/referrers/%s" % (repo, sha256(b"no subject")))
    t.check(st == 200 and json.loads(body)["manifests"] == [], "no referrers: empty index")
    st, h, body = s.request("GET", "/v2/%s/referrers/sha256:bad" % repo)
    t.eq(st, 400, "referrers with bad digest")


def main():
    with Server() as s:
        test_base(s)
        test_blobs(s)
        test_chunked(s)
        test_mount(s)
        test_manifests(s)
        test_tags_catalog(s)
        test_referrers(s)
        rc = s.stop()
        t.eq(rc, 0, "graceful stop exit status")
    t.done()


if __name__ == "__main__":
    main()
