"""Test helper: runs `drydock serve` on 127.0.0.1 with a scratch data directory and talks HTTP to it.

Used by tests/integration/*.py and tests/e2e/*. The server listens on port 0 and the port is read
from its first JSON log line, so tests never race for ports.
"""
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time

BIN = os.environ.get("DRYDOCK_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "drydock")
SCRATCH = os.environ.get("DD_SCRATCH") or tempfile.gettempdir()
os.makedirs(SCRATCH, exist_ok=True)


# The admin access key every test server starts with (DRYDOCK_ADMIN_* on first start).
ADMIN_KEY = "AKIADRYDOCKTESTADMIN"
ADMIN_SECRET = "drydock-test-secret-0123456789abcdefghij"


class Server:
    """auth=False (the default for tests that are not about authentication) starts the server
    with `registry_auth = none`; the ECR/Inspector APIs always require SigV4 with ADMIN_KEY."""

    def __init__(self, data=None, extra=None, keep=False, auth=False, env=None):
        os.makedirs(SCRATCH, exist_ok=True)
        self.env = dict(os.environ)
        self.env["DRYDOCK_ADMIN_ACCESS_KEY_ID"] = ADMIN_KEY
        self.env["DRYDOCK_ADMIN_SECRET_ACCESS_KEY"] = ADMIN_SECRET
        self.env.update(env or {})
        extra = list(extra or [])
        if not auth:
            extra = ["--set", "registry_auth=none"] + extra
        self.own_data = data is None
        self.data = data or tempfile.mkdtemp(prefix="dd-it-", dir=SCRATCH)
        self.extra = extra
        self.keep = keep
        self.proc = None
        self.port = None
        self.log_lines = []

    def start(self):
        if "--log-level" in self.extra:
            return self._start_quiet()
        cmd = [BIN, "serve", "--listen", "127.0.0.1:0", "--data", self.data,
               "--log-format", "json"] + self.extra
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, env=self.env)
        deadline = time.time() + 20
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError("server exited: rc=%s log=%s" % (self.proc.wait(), self.log_lines))
            self.log_lines.append(line)
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") == "listening":
                self.port = int(ev["port"])
                break
        if self.port is None:
            raise RuntimeError("server did not start: %s" % self.log_lines)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        return self

    def _start_quiet(self):
        """With a log level above info there is no "listening" line: pick a free port here and
        wait until it accepts connections (benchmarks use this to keep logging off the path)."""
        import socket
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        cmd = [BIN, "serve", "--listen", "127.0.0.1:%d" % self.port, "--data", self.data,
               "--log-format", "json"] + self.extra
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                     text=True, env=self.env)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited: rc=%s" % self.proc.returncode)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()
        return self

    def _drain(self):
        for line in self.proc.stderr:
            self.log_lines.append(line)

    def events(self, name):
        out = []
        for line in list(self.log_lines):
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if ev.get("event") == name:
                out.append(ev)
        return out

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=timeout)
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def cleanup(self):
        self.stop()
        if self.own_data and not self.keep:
            shutil.rmtree(self.data, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def request(self, method, path, body=None, headers=None):
        """Returns (status, headers dict with lowercase keys, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {k.lower(): v for k, v in resp.getheaders()}
            return resp.status, hdrs, data
        finally:
            conn.close()


def sha256(data):
    import hashlib
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Checker:
    """Counts checks and prints the plain closing line the CI reads."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL: %s" % what, flush=True)

    def eq(self, got, want, what):
        self.check(got == want, "%s: got %r, want %r" % (what, got, want))

    def done(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed), flush=True)
        raise SystemExit(1 if self.failed else 0)
