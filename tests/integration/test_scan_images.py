"""`drydock scan` on real images against their ground truth.

Every image of ../shared/images, read through each transport (oci:, docker-archive: by RepoTag and
by @N, registry: after a skopeo push to a live `drydock serve`), must list exactly the dpkg and npm
packages of its expected-packages.json (written by applying the layers the way a runtime does),
none of the packages hidden by whiteouts, with the layer each came from. The SBOM outputs of a real
image validate against the CycloneDX 1.5 and SPDX 2.3 schemas; a second scan reads only uncached
layers; a dir: target matches dpkg-query on the same root filesystem. Without ../shared (a fresh
clone), an image built by tests/lib/mkimage.py is scanned instead.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mkimage  # noqa: E402
from ddserver import BIN, SCRATCH, Checker, Server  # noqa: E402

SRC = os.environ.get("DD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SHARED = os.path.realpath(os.path.join(SRC, "..", "shared", "images"))
FIXTURES = os.path.join(SRC, "tests", "fixtures")
VALIDATE = os.path.join(SRC, "tests", "lib", "validate_json_schema.py")
t = Checker("scan_images")


def scan(target, *args, fmt="json"):
    p = subprocess.run([BIN, "scan", "-q", "--no-cache", "-f", fmt, *args, target],
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        print("scan %s failed: %s" % (target, p.stderr), flush=True)
        return None
    return p.stdout if fmt != "json" else json.loads(p.stdout)


def expected_sets(exp):
    want = set()
    for p in exp["packages"].get("dpkg", []):
        want.add(("dpkg", p["name"], p["version"], p.get("source") or p["name"],
                  p.get("source_version") or p["version"], p["layer"]))
    for p in exp["packages"].get("npm", []):
        want.add(("npm", p["name"], p["version"], p["path"], p["layer"]))
    for p in exp["packages"].get("npm_projects", []):
        want.add(("npm-project", p["name"], p["version"], p["path"]))
    return want


def got_sets(doc):
    have = set()
    for p in doc["packages"]:
        path = p["paths"][0]
        if p["type"] == "dpkg":
            have.add(("dpkg", p["name"], p["version"], p["source_name"], p["source_version"],
                      p["layer"]))
        elif p["type"] == "npm" and "/node_modules/" in path:
            have.add(("npm", p["name"], p["version"], path[:-len("/package.json")], p["layer"]))
        elif p["type"] == "npm":
            have.add(("npm-project", p["name"], p["version"], path[:-len("/package.json")]))
    return have


def compare(label, doc, exp):
    if doc is None:
        t.check(False, "%s: scan produced a report" % label)
        return
    want, have = expected_sets(exp), got_sets(doc)
    t.check(want == have, "%s: packages equal the ground truth (missing %s, extra %s)" % (
        label, sorted(want - have)[:4], sorted(have - want)[:4]))
    hidden = {(h["name"], h["version"]) for h in exp.get("hidden_by_whiteouts", [])}
    found = {(p["name"], p["version"]) for p in doc["packages"] if p["type"] == "npm"}
    t.check(not (hidden & found), "%s: nothing hidden by whiteouts reported (%s)" % (
        label, sorted(hidden & found)))
    t.eq(doc["os"] and doc["os"]["id"], "debian", "%s: os" % label)
    t.eq(doc["os"] and doc["os"]["ecosystem"], "Debian:12", "%s: ecosystem" % label)
    layers = [l["digest"] for l in exp["layers"]]
    if label.startswith("oci") or label.startswith("registry"):
        got_layers = [l["digest"] for l in doc["image"]["layers"]]
        t.eq(got_layers, layers, "%s: layer digests" % label)


def oci_images():
    layout = os.path.join(SHARED, "oci")
    for tag in ("debian-bookworm-minbase", "node-app", "edge-v2s2"):
        exp = json.load(open(os.path.join(SHARED, tag, "expected-packages.json")))
        doc = scan("oci:%s:%s" % (layout, tag))
        compare("oci %s" % tag, doc, exp)
        if doc is not None:
            t.eq(doc["image"]["manifest_digest"], exp["manifest_digest"], "%s: manifest" % tag)
    exp = json.load(open(os.path.join(SHARED, "edge", "expected-packages.json")))
    for plat in ("linux/amd64", "linux/arm64/v8"):
        doc = scan("oci:%s:edge" % layout, "--platform", plat)
        compare("oci edge %s (zstd layer)" % plat, doc, exp)
        if doc is not None:
            t.eq(doc["image"]["platform"], plat, "edge: platform chosen")
    p = subprocess.run([BIN, "scan", "-q", "--no-cache", "--platform", "linux/s390x",
                        "oci:%s:edge" % layout], capture_output=True, text=True)
    t.check(p.returncode == 1 and "linux/amd64" in p.stderr,
            "absent platform: error listing the available ones (%s)" % p.stderr.strip())

    # node-app: the npm packages are merged with their lockfile entries, whiteouts honoured
    doc = scan("oci:%s:node-app" % layout)
    if doc is not None:
        lod = [p for p in doc["packages"] if p["name"] == "lodash"]
        t.check(len(lod) == 1 and lod[0]["purl"] == "pkg:npm/lodash@4.17.15" and
                "/app/package-lock.json" in lod[0]["paths"] and not lod[0]["declared_only"],
                "lodash: one package, installed and in the lockfile: %s" % lod)
        bash = [p for p in doc["packages"] if p["name"] == "bash"]
        t.check(len(bash) == 1 and bash[0]["purl"] ==
                "pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12",
                "bash purl: %s" % (bash[0]["purl"] if bash else None))
        t.eq(bash[0]["layer_digest"] if bash else None, exp_layer(layout, "node-app", 0),
             "bash layer digest")


def exp_layer(layout, tag, i):
    exp = json.load(open(os.path.join(SHARED, tag, "expected-packages.json")))
    return exp["layers"][i]["digest"]


def docker_archive():
    arch = os.path.join(SHARED, "docker-archive", "shared-images.tar.gz")
    p = subprocess.run([BIN, "scan", "-q", "--no-cache", "docker-archive:%s" % arch],
                       capture_output=True, text=True)
    t.check(p.returncode == 1 and "drydock-fixtures" in p.stderr,
            "archive of several images: error listing them")
    names = {"debian-bookworm-minbase": "debian-bookworm-minbase", "node-app": "node-app",
             "edge": "edge"}
    for n, (tag, expdir) in enumerate(names.items()):
        exp = json.load(open(os.path.join(SHARED, expdir, "expected-packages.json")))
        doc = scan("docker-archive:%s:docker.io/drydock-fixtures/%s:latest" % (arch, tag))
        compare("docker-archive %s" % tag, doc, exp)
    for n in range(3):
        doc = scan("docker-archive:%s:@%d" % (arch, n))
        t.check(doc is not None and len(doc["packages"]) >= 88, "docker-archive @%d" % n)


def registry_target():
    with Server() as s:
        layout = os.path.join(SHARED, "oci")
        p = subprocess.run(["skopeo", "--insecure-policy", "copy", "--preserve-digests",
                            "--dest-tls-verify=false", "oci:%s:node-app" % layout,
                            "docker://%s/team/node-app:1" % s.addr], capture_output=True,
                           text=True, timeout=300)
        t.eq(p.returncode, 0, "push node-app for the registry: target")
        exp = json.load(open(os.path.join(SHARED, "node-app", "expected-packages.json")))
        doc = scan("registry:team/node-app:1", "--data", s.data)
        compare("registry:team/node-app:1", doc, exp)
        doc = scan("registry:team/node-app@%s" % exp["manifest_digest"], "--data", s.data)
        compare("registry:team/node-app@digest", doc, exp)
        p = subprocess.run([BIN, "scan", "-q", "--data", s.data, "registry:team/nothing:1"],
                           capture_output=True, text=True)
        t.eq(p.returncode, 1, "registry: unknown image is an error")


def sboms(target):
    for fmt, schema in (("cyclonedx", "bom-1.5.SNAPSHOT.schema.json"),
                        ("spdx", "spdx-2.3.schema.json")):
        out = scan(target, fmt=fmt)
        t.check(out is not None, "%s output" % fmt)
        if out is None:
            continue
        path = os.path.join(SCRATCH, "sbom.%s.json" % fmt)
        with open(path, "w") as f:
            f.write(out)
        p = subprocess.run(["/usr/bin/python3", VALIDATE,
                            os.path.join(FIXTURES, "schemas", schema), path],
                           capture_output=True, text=True)
        t.check(p.returncode == 0, "%s of %s valid against its schema: %s" % (
            fmt, target, p.stdout[-400:] + p.stderr[-400:]))
        doc = json.loads(out)
        if fmt == "cyclonedx":
            comps = [c for c in doc["components"] if c["type"] == "library"]
            t.check(all("purl" in c for c in comps) and len(comps) > 0, "cyclonedx purls")
        else:
            t.check(len(doc["packages"]) > 1, "spdx packages")


def cache_counts(layout, first, second):
    cache = tempfile.mkdtemp(prefix="dd-cache-", dir=SCRATCH)
    stats = []
    for tag in (first, second, second):
        p = subprocess.run([BIN, "scan", "-q", "--stats", "--cache-dir", cache, "-f", "json",
                            "oci:%s:%s" % (layout, tag)], capture_output=True, text=True)
        line = [l for l in p.stderr.splitlines() if l.startswith("{")]
        stats.append(json.loads(line[-1]) if line else {})
    t.check(stats[1].get("layers_cached") == 1 and
            stats[1].get("layers_read") == stats[1].get("layers_total", 0) - 1,
            "second image reads only its new layers: %s" % stats[1])
    t.check(stats[2].get("layers_read") == 0, "third scan reads no layer: %s" % stats[2])
    shutil.rmtree(cache, ignore_errors=True)


def dir_target():
    root = os.path.join(FIXTURES, "pkgdb", "dpkg", "debian-12-python-slim")
    admin = tempfile.mkdtemp(prefix="dd-admin-", dir=SCRATCH)
    shutil.copy(os.path.join(root, "var", "lib", "dpkg", "status"), admin)
    os.makedirs(os.path.join(admin, "info"), exist_ok=True)
    p = subprocess.run(["dpkg-query", "--admindir=" + admin, "-W",
                        "-f=${Package}\t${Version}\t${db:Status-Abbrev}\n"],
                       capture_output=True, text=True)
    want = {tuple(l.split("\t")[:2]) for l in p.stdout.splitlines()
            if len(l.split("\t")) > 2 and l.split("\t")[2].startswith("ii")}
    doc = scan("dir:%s" % root)
    have = {(x["name"], x["version"]) for x in doc["packages"] if x["type"] == "dpkg"} \
        if doc else set()
    t.check(len(want) > 0 and want == have, "dir: target equals dpkg-query (%d vs %d)" % (
        len(want), len(have)))
    shutil.rmtree(admin, ignore_errors=True)


def built_image():
    layout = tempfile.mkdtemp(prefix="dd-mkimage-", dir=SCRATCH)
    mkimage.build(layout, "small")
    doc = scan("oci:%s:small" % layout)
    t.check(doc is not None and doc["os"]["id"] == "drydock-test", "built image: os-release")
    names = {(p["type"], p["name"], p["version"]) for p in doc["packages"]} if doc else set()
    t.check(("npm", "app", "1.0.0") in names, "built image: npm project found")
    sboms("oci:%s:small" % layout)
    shutil.rmtree(layout, ignore_errors=True)


def main():
    if os.path.isdir(os.path.join(SHARED, "oci")):
        oci_images()
        docker_archive()
        registry_target()
        sboms("oci:%s:node-app" % os.path.join(SHARED, "oci"))
        cache_counts(os.path.join(SHARED, "oci"), "debian-bookworm-minbase", "node-app")
    else:
        print("../shared/images absent: scanning an image built by tests/lib/mkimage.py")
    dir_target()
    built_image()
    t.done()


if __name__ == "__main__":
    main()
