"""No secret that travels in a URL reaches a log line (issue 9, item 9)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from pathlib import Path

import httpx2 as httpx

from kanvaro.logs import REDACTED, RedactSecrets, redact
from kanvaro.routes import ROUTES
from tests.pg import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET = "Zq3-very-secret-token_value"


def _access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's access logger makes it."""
    return logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1,
                             '%s - "%s %s HTTP/%s" %d', ("127.0.0.1:5000", "GET", path, "1.1", 200),
                             None)


def test_the_filter_redacts_the_token_of_an_invitation_link():
    record = _access_record(f"/invitations/{SECRET}?x=1")
    assert RedactSecrets().filter(record)
    line = record.getMessage()
    assert SECRET not in line
    assert f"/invitations/{REDACTED}?x=1" in line


def test_every_token_route_of_the_table_is_redacted():
    secret = {"token", "feed_token"}  # an invitation's, a calendar link's
    token_routes = [r for r in ROUTES if secret & set(r.param_convertors)]
    assert len(token_routes) >= 3, "the route table has token URLs: this test must see them"
    for route in token_routes:
        path = route.path_format.format(**{k: SECRET if k in secret else "7"
                                           for k in route.param_convertors})
        assert SECRET not in redact(path), route.path


def test_paths_without_a_secret_are_left_alone():
    for path in ("/projects/3", "/tasks/14/edit", "/team/invitations/5/revoke", "/invitations"):
        assert redact(path) == path


def test_a_served_invitation_link_leaves_no_token_in_the_access_log(tmp_path):
    env = {**os.environ, "KANVARO_DATA_DIR": str(tmp_path / "data"), "KANVARO_SECRET_KEY": "k" * 32,
           "KANVARO_LOG_LEVEL": "info"}
    env.pop("KANVARO_DATABASE_URL", None)
    port = free_port()
    proc = subprocess.Popen([str(ROOT / ".venv" / "bin" / "kanvaro"), "serve", "--port", str(port)],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert proc.poll() is None, "kanvaro serve exited"
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        assert httpx.get(f"{url}/invitations/{SECRET}", timeout=5).status_code == 404
        assert httpx.get(f"{url}/projects/9", timeout=5).status_code == 303
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)
    output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    assert f"/invitations/{REDACTED}" in output, output[-2000:]
    assert "/projects/9" in output  # the log itself is still written
    assert SECRET not in output
