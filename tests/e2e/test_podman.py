"""End to end with Debian's podman (vfs storage, private root under the scratch dir): pull an image
from an OCI layout into podman, push it to drydock, remove it, pull it back from drydock, and check
the image ID (config digest) and the manifest digest podman reports against the registry's."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import mkimage  # noqa: E402
from ddserver import SCRATCH, Checker, Server  # noqa: E402

SRC = os.environ.get("DD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SHARED = os.path.realpath(os.path.join(SRC, "..", "shared", "images", "oci"))
t = Checker("podman_e2e")


def main():
    if shutil.which("podman") is None:
        print("podman is not installed: run scripts/setup.sh", flush=True)
        raise SystemExit(1)
    if os.geteuid() != 0:
        # Rootless podman needs subuid ranges and user namespaces that a CI container may lack.
        print("podman e2e needs root (vfs storage in a private root): 0 passed, 0 failed, 1 skipped")
        raise SystemExit(0)
    work = tempfile.mkdtemp(prefix="dd-podman-", dir=SCRATCH)
    runroot = tempfile.mkdtemp(prefix="ddpm-", dir="/tmp")  # podman caps its length at 50
    base = ["podman", "--root", os.path.join(work, "root"), "--runroot", runroot,
            "--storage-driver", "vfs", "--cgroup-manager", "cgroupfs",
            "--events-backend", "none"]

    def podman(*args):
        p = subprocess.run(base + list(args), capture_output=True, text=True, timeout=600)
        if p.returncode != 0:
            print("podman %s failed:\n%s" % (" ".join(args), p.stderr), flush=True)
        return p

    if os.path.isdir(SHARED):
        layout, tag = SHARED, "node-app"
    else:
        layout, tag = os.path.join(work, "layout"), "small"
        mkimage.build(layout, tag)
    with Server() as s:
        ref = "%s/podman/app:1" % s.addr
        p = podman("pull", "oci:%s:%s" % (layout, tag))
        t.eq(p.returncode, 0, "podman pull from OCI layout")
        image_id = p.stdout.strip().splitlines()[-1] if p.returncode == 0 and p.stdout.strip() else ""
        print("pulled image id %r" % image_id, flush=True)
        t.eq(podman("tag", image_id, ref).returncode, 0, "podman tag")
        digestfile = os.path.join(work, "digest")
        p = podman("push", "--tls-verify=false", "--digestfile", digestfile, ref)
        t.eq(p.returncode, 0, "podman push to drydock")
        pushed = open(digestfile).read().strip() if os.path.exists(digestfile) else None
        st, h, _ = s.request("GET", "/v2/podman/app/manifests/1", headers={"Accept": ",".join([
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json"])})
        t.check(st == 200 and h.get("docker-content-digest") == pushed,
                "registry digest equals podman's: %s vs %s" % (h.get("docker-content-digest"),
                                                              pushed))
        t.eq(podman("rmi", "-f", image_id).returncode, 0, "podman rmi")
        p = podman("pull", "--tls-verify=false", ref)
        t.eq(p.returncode, 0, "podman pull from drydock")
        got = p.stdout.strip().splitlines()[-1] if p.returncode == 0 else ""
        t.eq(got, image_id, "image ID after round trip")
        t.eq(s.stop(), 0, "graceful stop")
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(runroot, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
