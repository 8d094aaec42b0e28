"""End to end with Debian's skopeo: every image of ../shared/images copied oci: -> docker:// ->
oci: with identical manifest and blob digests; the multi-arch index with --all; the Docker v2s2
manifest written by skopeo itself; the images of the docker-archive. Where ../shared is absent (a
fresh clone), a small image built by tests/lib/mkimage.py is used instead, never a silent skip.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mkimage  # noqa: E402
from ddserver import SCRATCH, Checker, Server  # noqa: E402

SRC = os.environ.get("DD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SHARED = os.path.realpath(os.path.join(SRC, "..", "shared", "images"))
t = Checker("skopeo_e2e")


def skopeo(*args):
    cmd = ["skopeo", "--insecure-policy"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        print("skopeo failed: %s\n%s" % (" ".join(cmd), p.stderr), flush=True)
    return p


def layout_index(layout):
    with open(os.path.join(layout, "index.json")) as f:
        return {m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m
                for m in json.load(f)["manifests"]}


def read_blob(layout, digest):
    with open(os.path.join(layout, "blobs", *digest.split(":")), "rb") as f:
        return f.read()


def referenced_blobs(layout, digest):
    """Every digest reachable from a manifest or index in the layout (itself included)."""
    out = [digest]
    doc = json.loads(read_blob(layout, digest))
    for m in doc.get("manifests", []):
        out += referenced_blobs(layout, m["digest"])
    if "config" in doc:
        out.append(doc["config"]["digest"])
    out += [l["digest"] for l in doc.get("layers", [])]
    return out


def round_trip(s, src_layout, tag, repo, all_=False):
    out = tempfile.mkdtemp(prefix="dd-skopeo-out-", dir=SCRATCH)
    dest = "docker://%s/%s:%s" % (s.addr, repo, tag)
    extra = ["--all"] if all_ else []
    p = skopeo("copy", "--preserve-digests", *extra, "--dest-tls-verify=false",
               "oci:%s:%s" % (src_layout, tag), dest)
    t.eq(p.returncode, 0, "push %s" % tag)
    p = skopeo("copy", "--preserve-digests", *extra, "--src-tls-verify=false", dest,
               "oci:%s:%s" % (out, tag))
    t.eq(p.returncode, 0, "pull %s" % tag)
    want = layout_index(src_layout)[tag]["digest"]
    got = layout_index(out).get(tag, {}).get("digest")
    t.eq(got, want, "%s: manifest digest after round trip" % tag)
    if got == want:
        src_blobs = referenced_blobs(src_layout, want)
        for d in src_blobs:
            ok = os.path.exists(os.path.join(out, "blobs", *d.split(":")))
            t.check(ok and read_blob(out, d) == read_blob(src_layout, d),
                    "%s: blob %s identical" % (tag, d))
    st, h, body = s.request("GET", "/v2/%s/manifests/%s" % (repo, tag), headers={
        "Accept": ",".join(["application/vnd.oci.image.manifest.v1+json",
                            "application/vnd.oci.image.index.v1+json",
                            "application/vnd.docker.distribution.manifest.v2+json"])})
    t.check(st == 200 and h.get("docker-content-digest") == want
            and body == read_blob(src_layout, want), "%s: registry serves the exact bytes" % tag)
    shutil.rmtree(out, ignore_errors=True)


def shared_images(s):
    layout = os.path.join(SHARED, "oci")
    for tag in ("debian-bookworm-minbase", "node-app", "edge-amd64", "edge-arm64", "edge-gzip"):
        round_trip(s, layout, tag, "shared/" + tag)
    round_trip(s, layout, "edge", "shared/edge", all_=True)
    st, h, body = s.request("GET", "/v2/shared/edge/manifests/edge",
                            headers={"Accept": "application/vnd.oci.image.index.v1+json"})
    t.eq(h.get("content-type"), "application/vnd.oci.image.index.v1+json", "index media type")

    # Docker schema 2: skopeo writes it from edge-gzip, byte for byte the stored edge-v2s2.
    want = layout_index(layout)["edge-v2s2"]["digest"]
    p = skopeo("copy", "--format", "v2s2", "--dest-tls-verify=false",
               "oci:%s:edge-gzip" % layout, "docker://%s/shared/edge-v2s2:1" % s.addr)
    t.eq(p.returncode, 0, "push v2s2")
    st, h, body = s.request("GET", "/v2/shared/edge-v2s2/manifests/1", headers={
        "Accept": "application/vnd.docker.distribution.manifest.v2+json"})
    t.eq(h.get("docker-content-digest"), want, "v2s2 manifest digest")
    t.eq(h.get("content-type"), "application/vnd.docker.distribution.manifest.v2+json",
         "v2s2 media type")
    t.check(body == read_blob(layout, want), "v2s2 bytes as stored in the layout")

    # docker-archive: skopeo 1.9 reads only the uncompressed archive.
    arch = os.path.join(tempfile.mkdtemp(prefix="dd-arch-", dir=SCRATCH), "images.tar")
    with gzip.open(os.path.join(SHARED, "docker-archive", "shared-images.tar.gz")) as f, \
            open(arch, "wb") as o:
        shutil.copyfileobj(f, o, 1 << 20)
    for n in range(3):
        src = "docker-archive:%s:@%d" % (arch, n)
        p = skopeo("inspect", "--raw", "--config", src)
        want_cfg = json.loads(p.stdout) if p.returncode == 0 else None
        dest = "docker://%s/archive/img%d:latest" % (s.addr, n)
        p = skopeo("copy", "--dest-tls-verify=false", src, dest)
        t.eq(p.returncode, 0, "push docker-archive image %d" % n)
        p = skopeo("inspect", "--tls-verify=false", "--raw", "--config", dest)
        got_cfg = json.loads(p.stdout) if p.returncode == 0 else None
        t.check(want_cfg is not None and got_cfg == want_cfg,
                "docker-archive image %d: same config after push" % n)
        back = arch + ".%d.tar" % n
        p = skopeo("copy", "--src-tls-verify=false", dest, "docker-archive:%s" % back)
        t.eq(p.returncode, 0, "pull image %d back into a docker-archive" % n)
    shutil.rmtree(os.path.dirname(arch), ignore_errors=True)


def built_image(s):
    layout = tempfile.mkdtemp(prefix="dd-mkimage-", dir=SCRATCH)
    mkimage.build(layout, "small")
    round_trip(s, layout, "small", "built/small")
    shutil.rmtree(layout, ignore_errors=True)


def main():
    if shutil.which("skopeo") is None:
        print("skopeo is not installed: run scripts/setup.sh", flush=True)
        raise SystemExit(1)
    with Server() as s:
        if os.path.isdir(os.path.join(SHARED, "oci")):
            shared_images(s)
        else:
            print("../shared/images absent: using an image built by tests/lib/mkimage.py")
        built_image(s)
        t.eq(s.stop(), 0, "graceful stop")
    t.done()


if __name__ == "__main__":
    main()
