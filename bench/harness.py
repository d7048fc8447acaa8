"""Servers started the way users start them, wrk runs against them, /proc memory readings."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
BIN = Path(sys.executable).parent
LUA = BENCH / "lua"
THREADS = 1  # two cores: one for wrk, one for the server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) in kB."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in {"VmRSS", "VmHWM"}:
            out[key] = int(value.split()[0])
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (all their threads)."""
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


@dataclass
class Server:
    """`kanvaro serve` (or the floor) in a subprocess, on a free loopback port."""

    argv: list[str]
    env: dict[str, str]
    workers: int
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @classmethod
    def kanvaro(cls, env: dict[str, str], workers: int, log_dir: Path) -> Server:
        port = free_port()
        argv = [str(BIN / "kanvaro"), "serve", "--host", "127.0.0.1", "--port", str(port),
                "--workers", str(workers), "--no-access-log"]
        server = cls(argv, {**os.environ, **env, "KANVARO_LOG_LEVEL": "warning"}, workers, port)
        server.log_path = log_dir / f"kanvaro-{port}.log"
        return server

    @classmethod
    def floor(cls, env: dict[str, str], workers: int, log_dir: Path) -> Server:
        port = free_port()
        argv = [sys.executable, str(BENCH / "floor.py"), "--port", str(port),
                "--workers", str(workers), "--no-access-log"]
        server = cls(argv, {**os.environ, **env, "KANVARO_LOG_LEVEL": "warning"}, workers, port)
        server.log_path = log_dir / f"floor-{port}.log"
        return server

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/healthz") -> Server:
        assert self.log_path is not None
        log = self.log_path.open("wb")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=ROOT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                status, _, _ = request(self, "GET", ready_path)
                if status == 200 and len(self.worker_pids()) >= self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server did not start: {self.log_path.read_text()[-2000:]}")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the server itself with one worker."""
        assert self.proc is not None
        if self.workers == 1:
            return [self.proc.pid]
        pids = []
        for child in _children(self.proc.pid):
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline:
                pids.append(child)
        return pids

    def memory(self) -> dict[str, int]:
        """Largest VmRSS and VmHWM over the workers, in kB."""
        readings = [proc_status(pid) for pid in self.worker_pids()]
        return {"rss_kb": max(r["VmRSS"] for r in readings),
                "hwm_kb": max(r["VmHWM"] for r in readings)}

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def request(server: Server, method: str, path: str, body: str | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One plain HTTP/1.1 request; the body exactly as sent on the wire (no decompression)."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        hdrs = dict(headers or {})
        if body is not None:
            hdrs.setdefault("Content-Type", "application/x-www-form-urlencoded")
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


Req = tuple[str, str, str, dict[str, str]]  # method, path, body, headers


def write_requests(path: Path, reqs: list[Req]) -> Path:
    lines = []
    for method, target, body, headers in reqs:
        hdrs = "|".join(f"{k}: {v}" for k, v in headers.items())
        assert "\t" not in body + hdrs and "|" not in "".join(headers.values())
        lines.append(f"{method}\t{target}\t{body}\t{hdrs}")
    path.write_text("\n".join(lines) + "\n")
    return path


def wrk(server: Server, reqfile: Path | None, *, seconds: float, connections: int) -> dict[str, Any]:
    """Run wrk for `seconds`; returns its counts, latencies (ms), requests/s, server CPU."""
    script = LUA / ("requests.lua" if reqfile else "floor.lua")
    argv = ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
            "--timeout", "10s", "-s", str(script), server.url + "/"]
    if reqfile:
        argv += ["--", str(reqfile)]
    pids = server.worker_pids()
    cpu_before = cpu_seconds(pids)
    out = subprocess.run(argv, capture_output=True, text=True, check=True, cwd=ROOT).stdout
    cpu = cpu_seconds(pids) - cpu_before
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    raw = json.loads(line[len("BENCH "):])
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"] + raw["status"]
    return {
        "requests": raw["requests"],
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50": raw["p50_us"] / 1000, "p90": raw["p90_us"] / 1000, "p99": raw["p99_us"] / 1000,
        "max": raw["max_us"] / 1000, "errors": errors, "raw": raw,
        # CPU the server spent per answer: much less disturbed by other load than req/s
        "cpu_ms": 1000 * cpu / max(1, raw["requests"]),
    }
