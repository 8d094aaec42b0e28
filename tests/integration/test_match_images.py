"""Vulnerability matching on real images against the bundled sample database.

For each shared image (or the image built by tests/lib/mkimage.py when ../shared is absent):
- the findings equal the golden list in tests/golden/findings/<image>.txt (regenerated only by
  scripts/update-golden.sh, and reviewed);
- every finding is explained: one of the advisory records it cites has an affected entry for the
  package whose ranges cover the installed version, evaluated here independently of the C matcher
  (OSV's algorithm in Python, with `drydock vercmp` as the comparator);
- nothing is missed: every record of the database that covers a package of the image (and is not
  withdrawn or "not affected") is cited by a finding for that package;
- known cases are present (lodash 4.17.15: CVE-2020-8203, CVE-2021-23337, CVE-2020-28500; minimist
  1.2.0: CVE-2021-44906; jquery 3.4.1: CVE-2020-11022) and no finding has a fix at or below the
  installed version.
"""
import functools
import json
import os
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ddserver import BIN, Checker  # noqa: E402

SRC = os.environ.get("DD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SHARED = os.path.realpath(os.path.join(SRC, "..", "shared", "images"))
GOLDEN = os.path.join(SRC, "tests", "golden", "findings")
DB = os.environ.get("DD_SAMPLE_DB") or os.path.join(os.path.dirname(BIN), "vulndb-sample.sqlite")
t = Checker("match_images")
LANG_ECO = {"npm": "npm", "python": "PyPI", "gobinary": "Go", "gomod": "Go", "java": "Maven",
            "gem": "RubyGems", "cargo": "crates.io", "composer": "Packagist", "nuget": "NuGet"}
FIX_NOT_AFFECTED = 5


@functools.lru_cache(maxsize=None)
def vercmp(eco, a, b):
    p = subprocess.run([BIN, "vercmp", eco, a, b], capture_output=True, text=True)
    if p.returncode != 0:
        raise ValueError(p.stderr.strip())
    return int(p.stdout.strip())


def covers(eco, events, v):
    """OSV evaluation: events sorted by version ("0" first), then walked."""
    def key(e):
        k, val = next(iter(e.items()))
        return (k, val)
    evs = [key(e) for e in events if set(e) & {"introduced", "fixed", "last_affected", "limit"}]
    evs.sort(key=functools.cmp_to_key(lambda x, y: -1 if x[1] == "0" and x[0] == "introduced"
                                      else 1 if y[1] == "0" and y[0] == "introduced"
                                      else vercmp(eco, x[1], y[1])))
    affected = False
    for k, val in evs:
        if k == "introduced" and (val == "0" or vercmp(eco, v, val) >= 0):
            affected = True
        elif k in ("fixed", "limit") and vercmp(eco, v, val) >= 0:
            affected = False
        elif k == "last_affected" and vercmp(eco, v, val) > 0:
            affected = False
    return affected


def package_key(eco, name):
    if eco == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    if eco in ("NuGet", "Packagist"):
        return name.lower()
    return name


def records_covering(db, eco, name, version):
    """(source:id) of every record whose affected entry for the package covers version."""
    out = set()
    rows = db.execute(
        "SELECT a.source, a.vuln_id, f.ranges_json, f.versions_json, f.fix_state "
        "FROM affected f JOIN advisories a ON a.id = f.advisory "
        "WHERE f.ecosystem = ? AND f.package_key = ? AND (a.withdrawn IS NULL OR a.withdrawn = 0)",
        (eco, package_key(eco, name))).fetchall()
    for source, vid, ranges, versions, fix_state in rows:
        if fix_state == FIX_NOT_AFFECTED:
            continue
        hit = version in json.loads(versions or "[]")
        for r in json.loads(ranges or "[]"):
            if r.get("type") in ("ECOSYSTEM", "SEMVER"):
                try:
                    hit = hit or covers(eco, r.get("events", []), version)
                except ValueError:
                    pass
        if hit:
            out.add("%s:%s" % (source, vid))
    return out


def golden_lines(doc):
    lines = []
    for v in doc.get("vulnerabilities", []):
        p = v["package"]
        lines.append("%s %s@%s %s %s fixed=%s %s" % (
            p["type"], p["name"], v["installed_version"], v["id"], v["severity"],
            v.get("fixed_version") or v["fix_state"], ",".join(sorted(v["advisories"]))))
    return sorted(lines)


def check_image(label, target, golden_name, db_path=None):
    db_path = db_path or DB
    p = subprocess.run([BIN, "scan", "-q", "--no-cache", "--db", db_path, "-f", "json", target],
                       capture_output=True, text=True, timeout=300)
    t.eq(p.returncode, 0, "%s: scan with --db (%s)" % (label, p.stderr.strip()[-300:]))
    if p.returncode != 0:
        return None
    doc = json.loads(p.stdout)
    db = sqlite3.connect("file:%s?mode=ro&immutable=1" % db_path, uri=True)
    eco_os = doc["os"].get("ecosystem") if doc.get("os") else None
    found = {}
    for v in doc["vulnerabilities"]:
        found.setdefault((v["package"]["purl"], v["package"].get("path")), []).append(v)
    explained = missed = 0
    for pkg in doc["packages"]:
        if pkg.get("owner"):
            continue
        if pkg["type"] in ("dpkg", "apk"):
            eco, name = eco_os, pkg.get("source_name") or pkg["name"]
            version = pkg.get("source_version") or pkg["version"]
        elif pkg["type"] == "rpm":
            eco, name, version = eco_os, pkg["name"], pkg["version"]
        else:
            eco, name, version = LANG_ECO.get(pkg["type"]), pkg["name"], pkg["version"]
        if eco is None or not version:
            continue
        want = records_covering(db, eco, name, version)
        have = set()
        for v in found.get((pkg["purl"], pkg["paths"][0]), []):
            have |= set(v["advisories"])
        missed += len(want - have)
        t.check(want <= have, "%s: %s@%s: records covering it but not reported: %s" % (
            label, name, version, sorted(want - have)))
        t.check(have <= want, "%s: %s@%s: findings not explained by a covering record: %s" % (
            label, name, version, sorted(have - want)))
        explained += len(have & want)
    for v in doc["vulnerabilities"]:
        fx = v.get("fixed_version")
        if fx:
            eco = LANG_ECO.get(v["package"]["type"], eco_os)
            t.check(vercmp(eco, fx, v["installed_version"]) > 0,
                    "%s: %s fixed %s is above installed %s" % (label, v["id"], fx,
                                                               v["installed_version"]))
    print("%s: %d findings, %d record citations explained, %d missed" % (
        label, len(doc["vulnerabilities"]), explained, missed), flush=True)
    db.close()
    if golden_name is None:
        return doc
    golden = os.path.join(GOLDEN, golden_name + ".txt")
    lines = golden_lines(doc)
    if os.environ.get("DD_UPDATE_GOLDEN"):
        os.makedirs(GOLDEN, exist_ok=True)
        with open(golden, "w") as f:
            f.write("".join(line + "\n" for line in lines))
    want = open(golden).read().splitlines() if os.path.exists(golden) else None
    t.check(want is not None, "%s: golden file %s exists" % (label, golden))
    if want is not None:
        t.check(lines == want, "%s: findings equal the golden list (missing %s, extra %s)" % (
            label, sorted(set(want) - set(lines))[:3], sorted(set(lines) - set(want))[:3]))
    return doc


def ids_for(doc, name, version):
    return {v["id"] for v in doc["vulnerabilities"]
            if v["package"]["name"] == name and v["installed_version"] == version}


def distro_pkgdbs():
    """The real package databases of tests/fixtures/pkgdb (Debian, Ubuntu, Alpine root
    filesystems) against the distro feeds (Debian DSA/DLA/DTSA lists and tracker, Alpine secdb):
    every finding explained by a covering record, no covering record missed; the oldest data
    (April 2023 DSA list, Alpine 3.4 secdb) gives findings on the oldest images."""
    import shutil
    import tempfile
    from ddserver import SCRATCH
    fx = os.path.join(SRC, "tests", "fixtures")
    work = tempfile.mkdtemp(prefix="dd-distro-", dir=SCRATCH)
    db_path = os.path.join(work, "distro.sqlite")
    p = subprocess.run([BIN, "db", "import", "-q", "--db", db_path,
                        os.path.join(fx, "vulndb", "debian-tracker"),
                        os.path.join(fx, "vulndb", "alpine-secdb")],
                       capture_output=True, text=True, timeout=300)
    t.eq(p.returncode, 0, "import the distro feeds (%s)" % p.stderr.strip()[-200:])
    counts = {}
    for d in ("debian-8-jira", "debian-9.12-armhf-rootfs", "debian-11-nginx",
              "debian-12-python-slim", "ubuntu-20.04-base", "ubuntu-24.04-debootstrap"):
        doc = check_image("pkgdb %s" % d, "dir:%s" % os.path.join(fx, "pkgdb", "dpkg", d), None,
                          db_path)
        counts[d] = len(doc["vulnerabilities"]) if doc else -1
    # Alpine databases come without os-release: assemble each root filesystem from its real
    # installed database and the real os-release of the same release.
    for d, rel in (("alpine-3.4-trivy", "alpine-3.4"), ("alpine-3.18-scalibr", "alpine-3.18")):
        root = os.path.join(work, d)
        os.makedirs(os.path.join(root, "lib", "apk", "db"))
        os.makedirs(os.path.join(root, "etc"))
        shutil.copy(os.path.join(fx, "pkgdb", "apk", d, "lib", "apk", "db", "installed"),
                    os.path.join(root, "lib", "apk", "db", "installed"))
        shutil.copy(os.path.join(fx, "pkgdb", "os-release", "claircore", rel, "etc",
                                 "os-release"), os.path.join(root, "etc", "os-release"))
        doc = check_image("pkgdb %s" % d, "dir:%s" % root, None, db_path)
        counts[d] = len(doc["vulnerabilities"]) if doc else -1
    print("distro findings per root filesystem: %s" % counts, flush=True)
    t.check(counts.get("debian-8-jira", 0) > 0 and counts.get("debian-9.12-armhf-rootfs", 0) > 0
            and counts.get("alpine-3.4-trivy", 0) > 0,
            "the oldest images have findings from the oldest data: %s" % counts)
    shutil.rmtree(work, ignore_errors=True)


def main():
    if not os.path.exists(DB):
        print("sample database %s missing: build with make" % DB)
        raise SystemExit(1)
    layout = os.path.join(SHARED, "oci")
    if os.path.isdir(layout):
        doc = check_image("node-app", "oci:%s:node-app" % layout, "node-app")
        if doc is not None:
            t.check({"CVE-2020-8203", "CVE-2021-23337", "CVE-2020-28500"} <=
                    ids_for(doc, "lodash", "4.17.15"), "lodash 4.17.15 CVEs: %s" %
                    sorted(ids_for(doc, "lodash", "4.17.15")))
            t.check("CVE-2021-44906" in ids_for(doc, "minimist", "1.2.0"), "minimist CVE")
            t.check("CVE-2020-11022" in ids_for(doc, "jquery", "3.4.1"), "jquery CVE")
            lod = [v for v in doc["vulnerabilities"] if v["id"] == "CVE-2020-8203"]
            t.check(lod and "GHSA-p6mc-m468-83gw" in lod[0]["aliases"],
                    "CVE-2020-8203 carries its GHSA alias")
            t.check(len(lod) == 1, "one finding per package and vulnerability")
        check_image("edge", "oci:%s:edge-amd64" % layout, "edge")
        check_image("debian-bookworm-minbase", "oci:%s:debian-bookworm-minbase" % layout,
                    "debian-bookworm-minbase")
    distro_pkgdbs()
    # The image tests/lib/mkimage.py builds (what a clone without ../shared scans) holds lodash.
    import tempfile
    import mkimage
    from ddserver import SCRATCH
    work = tempfile.mkdtemp(prefix="dd-match-", dir=SCRATCH)
    mkimage.build(work, "small")
    doc = check_image("built image", "oci:%s:small" % work, "mkimage-small")
    if doc is not None:
        t.check({"CVE-2020-8203", "CVE-2021-23337", "CVE-2020-28500"} <=
                ids_for(doc, "lodash", "4.17.15"), "built image: lodash CVEs")
    import shutil
    shutil.rmtree(work, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
