"""Events durability: no event is lost across a crash or a restart.

- A webhook points at a port where nothing listens yet (connection refused: every attempt fails
  and is retried). ENHANCED scanning is switched on with the aws CLI and two images are pushed, so
  repository-change, scan and finding events are committed with pending deliveries. The server is
  killed with SIGKILL between the commit and the delivery.
- The receiver starts and holds the first request it gets; the restarted server is killed again
  while that delivery is in flight (an attempt that never got its answer).
- A third start delivers everything: every event of GET /drydock/v1/events (read with a small
  page size, following the cursor) reaches the receiver at least once under its delivery id
  `<webhook>-<seq>`, the body is the logged envelope, the held delivery is made again with the
  same delivery id, each webhook's events arrive in seq order, and every request carries a valid
  HMAC-SHA256 signature over `<timestamp>.<body>` with a fresh timestamp.
- Dead letters: after a graceful restart with webhook_max_attempts=2, a second webhook whose
  receiver always answers 500 gets two attempts per event and then lists them as dead letters
  (attempts, lastStatus, lastError, the event), while the healthy webhook keeps receiving. Once
  the receiver answers 2xx, POST replay?seq=N re-delivers that one event (a second replay of it is
  404), POST replay the rest; the dead-letter list is then empty.
- A non-administrator key is refused (403) on the webhook API but may read the event log.
Without ../shared, images built by tests/lib/mkimage.py are pushed instead.
"""
import hashlib
import hmac
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from ddserver import ADMIN_KEY, ADMIN_SECRET, BIN, SCRATCH, Checker, Server  # noqa: E402
import mkimage  # noqa: E402
import ddaws  # noqa: E402

SRC = os.environ.get("DD_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
SHARED = os.environ.get("DD_SHARED_IMAGES") or os.path.realpath(
    os.path.join(SRC, "..", "shared", "images"))
AWS = "/usr/bin/aws"
AWS_HOME = tempfile.mkdtemp(prefix="dd-aws-home-", dir=SCRATCH)  # the CLI's HOME
SECRET1 = "whsec-durable-1"
SECRET2 = "whsec-dead-letter-2"
t = Checker("events_durability")


# ---- clients ----

def aws_env(key=ADMIN_KEY, secret=ADMIN_SECRET):
    return ddaws.aws_env(key, secret, AWS_HOME)


def aws_ok(s, what, *args):
    cmd = [AWS, "--endpoint-url", "http://%s" % s.addr, "--output", "json"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, env=aws_env(), timeout=120)
    t.eq(p.returncode, 0, what + ("" if p.returncode == 0 else ": " + p.stderr.strip()))
    return json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else {}


basic = ddaws.basic


def api(s, method, path, body=None, auth=None):
    """A /drydock/v1 call with the admin key; returns (status, parsed JSON or None)."""
    hdrs = {"Authorization": auth or basic()}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        hdrs["Content-Type"] = "application/json"
    st, _, raw = s.request(method, path, data, hdrs)
    try:
        doc = json.loads(raw) if raw else None
    except ValueError:
        doc = None
    return st, doc


def event_log(s, page=7):
    """Every event of the log as [(seq, envelope)], read page by page with the cursor."""
    out, after = [], 0
    for _ in range(10000):
        st, doc = api(s, "GET", "/drydock/v1/events?after=%d&limit=%d" % (after, page))
        if st != 200 or doc is None:
            t.check(False, "GET /drydock/v1/events?after=%d: %d" % (after, st))
            return out
        evs = doc.get("events", [])
        if not evs:
            t.eq(doc.get("next"), after, "an empty page returns the cursor unchanged")
            return out
        t.check(all(e["seq"] > after for e in evs), "page after %d holds only later seqs" % after)
        t.eq(doc.get("next"), evs[-1]["seq"], "next = last seq of the page")
        out.extend((e["seq"], e["event"]) for e in evs)
        after = doc["next"]
    return out


def webhook_stats(s, wid):
    st, doc = api(s, "GET", "/drydock/v1/webhooks")
    if st != 200 or doc is None:
        return None
    for w in doc.get("webhooks", []):
        if w.get("id") == wid:
            return w
    return None


def skopeo_push(s, layout, ref, dest):
    p = subprocess.run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
                        "oci:%s:%s" % (layout, ref), "docker://%s/%s" % (s.addr, dest)],
                       capture_output=True, text=True, timeout=600)
    t.eq(p.returncode, 0, "skopeo push %s -> %s%s" % (ref, dest, "" if p.returncode == 0
                                                         else ": " + p.stderr.strip()[-300:]))


def wait_for(fn, what, timeout=60, interval=0.2):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    t.check(False, what + " (timed out; last=%r)" % (last,))
    return last


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


# ---- webhook receiver ----

class Receiver(http.server.ThreadingHTTPServer):
    """Records every POST as a dict (headers with lowercase names, body, received_at, answered).
    mode "ok" answers 204, "fail" answers 500, "hold" keeps the first request waiting until
    release() (then answers 204) and answers later ones 204."""

    daemon_threads = True

    def __init__(self, port, mode="ok"):
        self.got = []
        self.lock = threading.Lock()
        self.mode = mode
        self.held = threading.Event()      # set when a request is being held
        self.release_ev = threading.Event()
        self.held_once = False

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(h):
                n = int(h.headers.get("Content-Length", "0"))
                body = h.rfile.read(n)
                rec = {"headers": {k.lower(): v for k, v in h.headers.items()}, "body": body,
                       "received_at": time.time(), "answered": None}
                with self.lock:
                    self.got.append(rec)
                    hold = self.mode == "hold" and not self.held_once
                    if hold:
                        self.held_once = True
                    status = 500 if self.mode == "fail" else 204
                if hold:
                    self.held.set()
                    self.release_ev.wait(60)
                rec["answered"] = status
                try:
                    h.send_response(status)
                    h.send_header("Content-Length", "0")
                    h.end_headers()
                except OSError:
                    rec["answered"] = None  # the server is gone

            def log_message(h, *a):
                pass

        super().__init__(("127.0.0.1", port), H)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def records(self):
        with self.lock:
            return list(self.got)

    def set_mode(self, mode):
        with self.lock:
            self.mode = mode

    def release(self):
        self.release_ev.set()


def signature_ok(secret, rec):
    h = rec["headers"]
    ts = h.get("x-drydock-timestamp", "")
    want = "sha256=" + hmac.new(secret.encode(), ts.encode() + b"." + rec["body"],
                                hashlib.sha256).hexdigest()
    fresh = ts.isdigit() and abs(rec["received_at"] - int(ts)) <= 300
    return hmac.compare_digest(want, h.get("x-drydock-signature", "")) and fresh


def check_deliveries(what, log, recs, wid, secret):
    """Every logged event reached the receiver under delivery id <wid>-<seq>; returns the delivery
    ids seen more than once."""
    by_delivery = {}
    for r in recs:
        by_delivery.setdefault(r["headers"].get("x-drydock-delivery"), []).append(r)
    want = {"%s-%d" % (wid, seq): ev for seq, ev in log}
    missing = sorted(d for d in want if not any(r["answered"] == 204
                                                for r in by_delivery.get(d, [])))
    t.check(not missing, "%s: every logged event delivered (missing %s)" % (what, missing[:10]))
    unknown = sorted(d for d in by_delivery if d not in want)
    t.check(not unknown, "%s: no delivery id outside the log (%s)" % (what, unknown[:10]))
    bad_body = bad_hdr = 0
    for d, ev in want.items():
        for r in by_delivery.get(d, []):
            try:
                if json.loads(r["body"]) != ev:
                    bad_body += 1
            except ValueError:
                bad_body += 1
            h = r["headers"]
            if (h.get("x-drydock-event-id") != ev.get("id") or
                    not h.get("content-type", "").startswith("application/json") or
                    not h.get("user-agent", "").startswith("drydock/")):
                bad_hdr += 1
    t.eq(bad_body, 0, "%s: delivered bodies equal the logged envelopes" % what)
    t.eq(bad_hdr, 0, "%s: event id, content type and user agent headers" % what)
    bad_sig = [r["headers"].get("x-drydock-delivery") for r in recs if not signature_ok(secret, r)]
    t.check(not bad_sig, "%s: every request signed (bad: %s)" % (what, bad_sig[:5]))
    # head-of-line: first deliveries of each seq come in increasing seq order
    first_seen = []
    for r in recs:
        d = r["headers"].get("x-drydock-delivery", "")
        seq = int(d.rsplit("-", 1)[1]) if d.rsplit("-", 1)[-1].isdigit() else -1
        if seq not in first_seen:
            first_seen.append(seq)
    t.eq(first_seen, sorted(first_seen), "%s: events arrive in seq order" % what)
    return {d for d, rs in by_delivery.items() if len(rs) > 1}


# ---- the test ----

def images():
    """(layout, [(ref, dest)]) of two images to push; builds them without ../shared."""
    layout = os.path.join(SHARED, "oci")
    if os.path.isdir(layout):
        return layout, [("node-app", "dur/app:1"), ("debian-bookworm-minbase", "dur/base:1")], False
    print("../shared/images absent: using images built by tests/lib/mkimage.py", flush=True)
    layout = tempfile.mkdtemp(prefix="dd-mkimage-", dir=SCRATCH)
    mkimage.build(layout, "small")
    mkimage.build(layout, "small2", size=150000, seed=b"durability")
    return layout, [("small", "dur/app:1"), ("small2", "dur/base:1")], True


def main():
    if not os.path.exists(AWS) or shutil.which("skopeo") is None:
        print("Debian's awscli and skopeo are required: run scripts/setup.sh", flush=True)
        raise SystemExit(1)
    data = tempfile.mkdtemp(prefix="dd-evdur-", dir=SCRATCH)
    layout, pushes, built = images()
    servers, receivers = [], []
    try:
        run(data, layout, pushes, servers, receivers)
    finally:
        for s in servers:
            s.cleanup()
        for r in receivers:
            r.release()
            r.shutdown()
        shutil.rmtree(data, ignore_errors=True)
        shutil.rmtree(AWS_HOME, ignore_errors=True)
        if built:
            shutil.rmtree(layout, ignore_errors=True)
    t.done()


def start(servers, data, *extra):
    s = Server(data=data, keep=True, extra=["--set", "scan_tick=1s"] + list(extra)).start()
    servers.append(s)
    return s


def run(data, layout, pushes, servers, receivers):
    port = free_port()  # nothing listens there until phase 2
    hook_url = "http://127.0.0.1:%d/hook" % port

    # -- phase 1: events committed, deliveries refused, SIGKILL --
    s = start(servers, data)
    st, doc = api(s, "POST", "/drydock/v1/webhooks", {"url": hook_url, "secret": SECRET1})
    t.eq(st, 201, "webhook 1 registered")
    wid = (doc or {}).get("id", "")
    t.check("secret" not in (doc or {}), "a given secret is not echoed")
    t.check(wid != "" and doc.get("enabled") is True, "webhook id and enabled")
    aws_ok(s, "put-registry-scanning-configuration ENHANCED", "ecr",
           "put-registry-scanning-configuration", "--scan-type", "ENHANCED", "--rules",
           json.dumps([{"scanFrequency": "CONTINUOUS_SCAN",
                        "repositoryFilters": [{"filter": "dur/*", "filterType": "WILDCARD"}]}]))
    for ref, dest in pushes:
        skopeo_push(s, layout, ref, dest)
    wait_for(lambda: len(s.events("scan_complete")) >= len(pushes), "both scans complete")
    wait_for(lambda: s.events("webhook_delivery_failed"), "a refused delivery attempt is logged")
    log1 = event_log(s)
    types = [e["detail-type"] for _, e in log1]
    t.eq(types.count("Inspector2 Scan"), len(pushes), "one Inspector2 Scan per image")
    t.check("ECR Scan Resource Change" in types, "repository creation logged a resource change")
    t.check("Inspector2 Finding" in types, "finding events logged")
    w = webhook_stats(s, wid) or {}
    t.eq((w.get("pending"), w.get("delivered"), w.get("dead")), (len(log1), 0, 0),
         "before the crash: every event pending for webhook 1, none delivered")
    t.eq(s.kill(), -9, "SIGKILL between commit and delivery")

    # -- phase 2: the first delivery is held by the receiver; SIGKILL while it is in flight --
    rx = Receiver(port, mode="hold")
    receivers.append(rx)
    s = start(servers, data)
    t.check(wait_for(lambda: rx.held.is_set(), "restarted server delivers", timeout=45),
            "a delivery reached the receiver after the restart")
    held_id = rx.records()[0]["headers"].get("x-drydock-delivery") if rx.records() else None
    t.eq(s.kill(), -9, "SIGKILL while a delivery is in flight")
    rx.set_mode("ok")
    rx.release()

    # -- phase 3: everything arrives --
    s = start(servers, data)
    log = event_log(s)
    t.eq([seq for seq, _ in log][:len(log1)], [seq for seq, _ in log1],
         "the log survived both crashes unchanged")

    def all_delivered():
        w = webhook_stats(s, wid) or {}
        return w.get("pending") == 0 and w.get("delivered") == len(log) and w
    w = wait_for(all_delivered, "every event delivered after the restarts", timeout=90)
    t.eq((w or {}).get("dead"), 0, "nothing dead-lettered")
    dup = check_deliveries("webhook 1", log, rx.records(), wid, SECRET1)
    t.check(held_id is not None and held_id in dup,
            "the delivery cut by the crash was made again with the same id (%s)" % held_id)
    print("%d events logged (%s), %d requests received, made again: %s" % (
        len(log), ", ".join("%s x%d" % (k, types.count(k)) for k in sorted(set(types))),
        len(rx.records()), sorted(dup)), flush=True)
    t.eq(s.stop(), 0, "graceful stop")

    # -- phase 4: dead letters and replay --
    s = start(servers, data, "--set", "webhook_max_attempts=2")
    rx2 = Receiver(free_port(), mode="fail")
    receivers.append(rx2)
    st, doc = api(s, "POST", "/drydock/v1/webhooks",
                  {"url": "http://127.0.0.1:%d/dead" % rx2.server_address[1], "secret": SECRET2})
    t.eq(st, 201, "webhook 2 registered")
    wid2 = (doc or {}).get("id", "")
    before = len(event_log(s))
    for name in ("dur/dl-one", "dur/dl-two"):
        aws_ok(s, "create-repository " + name, "ecr", "create-repository", "--repository-name",
               name)
    new = event_log(s)[before:]
    t.eq([e["detail-type"] for _, e in new], ["ECR Scan Resource Change"] * 2,
         "each repository creation logs one resource change")

    def dead_listed():
        st, doc = api(s, "GET", "/drydock/v1/webhooks/%s/dead-letters" % wid2)
        return st == 200 and len(doc.get("deliveries", [])) == len(new) and doc["deliveries"]
    dead = wait_for(dead_listed, "both events dead-lettered", timeout=60) or []
    t.eq([d.get("seq") for d in dead], [seq for seq, _ in new], "dead letters, oldest first")
    for d in dead:
        t.eq((d.get("attempts"), d.get("lastStatus"), d.get("lastError")),
             (2, 500, "HTTP status 500"), "dead letter %s: attempts and last error" % d.get("seq"))
    t.eq([d.get("event") for d in dead], [e for _, e in new], "dead letters carry the events")
    tries = {}
    for r in rx2.records():
        d = r["headers"].get("x-drydock-delivery")
        tries[d] = tries.get(d, 0) + 1
    t.eq(tries, {"%s-%d" % (wid2, seq): 2 for seq, _ in new},
         "webhook_max_attempts=2: two attempts per event, same delivery id")
    w2 = webhook_stats(s, wid2) or {}
    t.eq((w2.get("pending"), w2.get("delivered"), w2.get("dead")), (0, 0, len(new)),
         "webhook 2 counters while dead")
    # the healthy webhook is not held back by the failing one
    wait_for(lambda: (webhook_stats(s, wid) or {}).get("pending") == 0,
             "webhook 1 delivered the new events")

    rx2.set_mode("ok")
    first = new[0][0]
    st, doc = api(s, "POST", "/drydock/v1/webhooks/%s/replay?seq=%d" % (wid2, first))
    t.eq((st, doc), (200, {"replayed": 1}), "replay one event")
    wait_for(lambda: any(r["answered"] == 204 and r["headers"].get("x-drydock-delivery") ==
                         "%s-%d" % (wid2, first) for r in rx2.records()),
             "the replayed event arrives")
    st, doc = api(s, "POST", "/drydock/v1/webhooks/%s/replay?seq=%d" % (wid2, first))
    t.eq(st, 404, "replaying an event that is no longer dead: 404")
    st, doc = api(s, "GET", "/drydock/v1/webhooks/%s/dead-letters" % wid2)
    t.eq([d.get("seq") for d in (doc or {}).get("deliveries", [])], [new[1][0]],
         "one dead letter left")
    st, doc = api(s, "POST", "/drydock/v1/webhooks/%s/replay" % wid2)
    t.eq((st, doc), (200, {"replayed": 1}), "replay the rest")
    wait_for(lambda: (webhook_stats(s, wid2) or {}).get("delivered") == len(new),
             "webhook 2 delivered everything after the replay")
    st, doc = api(s, "GET", "/drydock/v1/webhooks/%s/dead-letters" % wid2)
    t.eq((st, (doc or {}).get("deliveries")), (200, []), "no dead letter left")
    ok2 = [r for r in rx2.records() if r["answered"] == 204]
    t.eq(sorted(r["headers"].get("x-drydock-delivery") for r in ok2),
         sorted("%s-%d" % (wid2, seq) for seq, _ in new), "each replayed event delivered once")
    t.check(all(signature_ok(SECRET2, r) for r in rx2.records()),
            "webhook 2 requests signed with its own secret")
    st, _ = api(s, "POST", "/drydock/v1/webhooks/no-such-hook/replay")
    t.eq(st, 404, "replay for an unknown webhook: 404")
    st, _ = api(s, "GET", "/drydock/v1/webhooks/no-such-hook/dead-letters")
    t.eq(st, 404, "dead letters of an unknown webhook: 404")

    # a non-administrator may read the log but not manage webhooks
    p = subprocess.run([BIN, "admin", "key", "create", "--data", data, "--json"],
                       capture_output=True, text=True)
    t.eq(p.returncode, 0, "admin key create: %s" % p.stderr.strip())
    key = json.loads(p.stdout) if p.returncode == 0 else {}
    auth = basic(key.get("accessKeyId", "x"), key.get("secretAccessKey", "y"))
    st, _ = api(s, "GET", "/drydock/v1/webhooks", auth=auth)
    t.eq(st, 403, "non-admin key: webhook list refused")
    st, _ = api(s, "POST", "/drydock/v1/webhooks/%s/replay" % wid2, auth=auth)
    t.eq(st, 403, "non-admin key: replay refused")
    st, _ = api(s, "GET", "/drydock/v1/events?limit=1", auth=auth)
    t.eq(st, 200, "non-admin key: event log readable")

    # in the end, webhook 1 received every event of the log, the new ones included
    log = event_log(s)
    wait_for(lambda: (webhook_stats(s, wid) or {}).get("delivered") == len(log),
             "webhook 1 delivered the whole log")
    check_deliveries("webhook 1 (final)", log, rx.records(), wid, SECRET1)
    t.eq(s.stop(), 0, "graceful stop")


if __name__ == "__main__":
    main()
