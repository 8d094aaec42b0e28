"""Test helper: runs Debian's aws CLI (/usr/bin/aws, awscli 2.9.x) against a test server with
the admin key of tests/lib/ddserver.py (or another), isolated from any local AWS configuration."""
import base64
import json
import os
import subprocess
import tempfile
import time

from ddserver import ADMIN_KEY, ADMIN_SECRET, SCRATCH

AWS = "/usr/bin/aws"
REGION = "us-east-1"


def aws_env(key=ADMIN_KEY, secret=ADMIN_SECRET, home=None):
    """An environment for the CLI: only these credentials, region us-east-1, no config files, no
    pager, one attempt per call (server errors are not retried)."""
    home = home or tempfile.mkdtemp(prefix="dd-aws-home-", dir=SCRATCH)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"HOME": home, "AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": "",
                "AWS_CONFIG_FILE": os.path.join(home, "none"),
                "AWS_SHARED_CREDENTIALS_FILE": os.path.join(home, "none"),
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_MAX_ATTEMPTS": "1"})
    return env


def run(s, *args, env=None):
    """Runs `aws --endpoint-url http://<server> --output json ARGS`: (exit code, parsed JSON output
    or None, stderr)."""
    cmd = [AWS, "--endpoint-url", "http://%s" % s.addr, "--output", "json"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env or aws_env(), timeout=120)
    out = json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else None
    return p.returncode, out, p.stderr


def basic(key=ADMIN_KEY, secret=ADMIN_SECRET):
    """An HTTP Basic Authorization value for an access key."""
    return "Basic " + base64.b64encode(("%s:%s" % (key, secret)).encode()).decode()


def poll(fn, timeout=120, interval=0.5):
    """Calls fn until it returns something true or timeout seconds pass; returns the last value."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(interval)
    return last
