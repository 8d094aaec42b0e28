"""Builds a small but real OCI image layout (gzip layers, whiteout, nested dirs) with Python's
standard library, for tests that run where ../shared/images is absent (a user's fresh clone)."""
import gzip
import hashlib
import io
import json
import os
import tarfile


def _blob(layout, data):
    d = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", d)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return "sha256:" + d


def _tar(files):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for name, content in files:
            info = tarfile.TarInfo(name)
            info.mtime = 1700000000
            if content is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tf.addfile(info)
            else:
                info.size = len(content)
                info.mode = 0o644
                tf.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def write_image(layout, tag, layers, config_extra=None, compresslevel=9):
    """Writes an OCI image made of `layers` (each a list of (path, content or None for a
    directory)) into the layout at `layout` (created or extended) under `tag`; returns its
    manifest digest."""
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descs, diff_ids = [], []
    for entries in layers:
        raw = _tar(entries)
        gz = gzip.compress(raw, compresslevel=compresslevel, mtime=0)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                      "digest": _blob(layout, gz), "size": len(gz)})
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "config": config_extra if config_extra is not None else {},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    manifest = json.dumps({"schemaVersion": 2,
                           "mediaType": "application/vnd.oci.image.manifest.v1+json",
                           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                      "digest": _blob(layout, config), "size": len(config)},
                           "layers": descs}).encode()
    md = _blob(layout, manifest)
    index_path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"].append({"mediaType": "application/vnd.oci.image.manifest.v1+json",
                               "digest": md, "size": len(manifest),
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(index_path, "w") as f:
        json.dump(index, f)
    return md


LODASH = [("app/node_modules", None), ("app/node_modules/lodash", None),
          ("app/node_modules/lodash/package.json",
           b'{"name":"lodash","version":"4.17.15","license":"MIT"}\n')]


def debian11_app(layout, tag, app_name="app", extra=None, compresslevel=9):
    """An image whose OS layer is the real dpkg status and os-release of a Debian 11 nginx image
    (tests/fixtures/pkgdb/dpkg/debian-11-nginx: its packages have advisories in the sample DB),
    with an app layer holding lodash 4.17.15 and the `extra` entries."""
    root = os.path.join(os.path.dirname(__file__), "..", "fixtures", "pkgdb", "dpkg",
                        "debian-11-nginx")
    with open(os.path.join(root, "usr", "lib", "os-release"), "rb") as f:
        os_release = f.read()
    with open(os.path.join(root, "var", "lib", "dpkg", "status"), "rb") as f:
        status = f.read()
    base = [("usr", None), ("usr/lib", None), ("usr/lib/os-release", os_release),
            ("var", None), ("var/lib", None), ("var/lib/dpkg", None),
            ("var/lib/dpkg/status", status)]
    app = [("app", None),
           ("app/package.json", b'{"name":"%s","version":"1.0.0"}\n' % app_name.encode())]
    return write_image(layout, tag, [base, app + LODASH + list(extra or [])],
                       compresslevel=compresslevel)


def build(layout, tag="small", size=200000, seed=b"drydock"):
    """Writes an OCI layout at `layout` holding one image under `tag`; returns its manifest digest."""
    noise = b""
    h = seed
    while len(noise) < size:
        h = hashlib.sha256(h).digest()
        noise += h
    layers = [
        [("etc", None), ("etc/os-release", b'ID=drydock-test\nVERSION_ID="1"\n'),
         ("etc/motd", b"hello\n"), ("data", None), ("data/noise.bin", noise[:size])],
        [("etc", None), ("etc/.wh.motd", b""), ("app", None),
         ("app/package.json", b'{"name":"app","version":"1.0.0"}\n')] + LODASH,
    ]
    return write_image(layout, tag, layers, config_extra={"Cmd": ["/bin/sh"]})
