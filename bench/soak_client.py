"""The soak's clients: threads of mixed reads and writes, each request recorded.

A write counts as acknowledged only when the client saw it succeed: a 303 for a task
creation or an invitation, a 200 fragment showing the new status for a status change.
Each write is matched later to its audit entry by the response's X-Request-ID.
"""

from __future__ import annotations

import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx
from soak_server import SESSION_COOKIE, Identity, Seed

STATUSES = ["todo", "in-progress", "review", "testing", "completed"]
UNAVAILABLE = "Temporarily unavailable"
BADGE = re.compile(r'class="badge st-([a-z-]+)"')


@dataclass
class Result:
    """One request as the client saw it."""

    client: int
    kind: str  # read, status, create, invite
    started: float
    ended: float
    status: int  # 0: no response (transport error)
    error: str = ""
    request_id: str = ""
    port: int = 0  # the client side of the connection it went over
    body_ok: bool = True  # a 5xx shows the right page and no trace
    acked: bool = False
    write: dict[str, Any] = field(default_factory=dict)


class Load:
    """N client threads against base_url until stop(); results in self.results."""

    def __init__(self, base_url: str, seed: Seed, run: str, *, invite_clients: int = 0) -> None:
        self.base_url, self.seed, self.run = base_url, seed, run
        self.invite_clients = invite_clients
        self.results: list[Result] = []
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.threads: list[threading.Thread] = []
        self.t0 = time.monotonic()

    def start(self) -> None:
        self.t0 = time.monotonic()
        for i, ident in enumerate(self.seed.clients):
            self.threads.append(threading.Thread(target=self._client, args=(i, ident), daemon=True))
        for j in range(self.invite_clients):
            n = len(self.seed.clients) + j
            self.threads.append(threading.Thread(target=self._inviter, args=(n, self.seed.owner),
                                                 daemon=True))
        for t in self.threads:
            t.start()

    def stop(self) -> None:
        self.halt.set()
        for t in self.threads:
            t.join(60)

    def now(self) -> float:
        return time.monotonic() - self.t0

    # -- one client ---------------------------------------------------------------

    def _session(self, ident: Identity) -> tuple[httpx.Client, dict[str, int]]:
        conn = {"port": 0}

        def trace(name: str, info: dict[str, Any]) -> None:
            if name == "connection.connect_tcp.complete":
                addr = info["return_value"].get_extra_info("client_addr")
                conn["port"] = int(addr[1]) if addr else 0

        client = httpx.Client(
            base_url=self.base_url, cookies={SESSION_COOKIE: ident.cookie}, timeout=30,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=False,
        )
        client._soak_trace = trace  # type: ignore[attr-defined]
        return client, conn

    def _send(self, client: httpx.Client, conn: dict[str, int], n: int, kind: str, method: str,
              url: str, **kwargs: Any) -> tuple[Result, httpx.Response | None]:
        started = self.now()
        result = Result(client=n, kind=kind, started=started, ended=started, status=0)
        response = None
        try:
            response = client.request(method, url, extensions={"trace": client._soak_trace},  # type: ignore[attr-defined]
                                      **kwargs)
            result.status = response.status_code
            result.request_id = response.headers.get("x-request-id", "")
            if response.status_code >= 500:
                text = response.text
                result.body_ok = (response.status_code == 503 and UNAVAILABLE in text
                                  and "Traceback" not in text)
                result.error = text[:200] if not result.body_ok else ""
        except httpx.HTTPError as exc:
            result.error = f"{type(exc).__name__}: {exc}"[:200]
        result.ended = self.now()
        result.port = conn["port"]
        return result, response

    def _record(self, result: Result) -> None:
        with self.lock:
            self.results.append(result)

    def _client(self, n: int, ident: Identity) -> None:
        rng = random.Random(f"{self.run}-{n}")
        client, conn = self._session(ident)
        known: dict[int, set[str]] = {t: {"todo"} for t in ident.tasks}  # statuses it may have
        projects = self.seed.projects
        seq = 0
        with client:
            while not self.halt.is_set():
                roll = rng.random()
                if roll < 0.35:
                    task_id = rng.choice(ident.tasks)
                    if len(known[task_id]) > 1:  # a write whose fate it did not see
                        result, response = self._send(client, conn, n, "read", "GET",
                                                      f"/tasks/{task_id}")
                        self._record(result)
                        seen = BADGE.search(response.text) if response is not None else None
                        if seen and response is not None and response.status_code == 200:
                            known[task_id] = {seen.group(1)}
                        continue
                    new = rng.choice([s for s in STATUSES if s not in known[task_id]])
                    result, response = self._send(
                        client, conn, n, "status", "POST", f"/tasks/{task_id}/status",
                        data={"status": new, "csrf_token": ident.csrf},
                        headers={"HX-Request": "true"})
                    result.write = {"task_id": task_id, "status": new}
                    if response is not None and response.status_code == 200 \
                            and f"st-{new}" in response.text:
                        result.acked = True
                        known[task_id] = {new}
                    elif response is None or response.status_code >= 500:
                        known[task_id] = known[task_id] | {new}  # it may or may not have happened
                elif roll < 0.50:
                    seq += 1
                    title = f"Soak {self.run} c{n} #{seq}"
                    project_id = rng.choice(projects)
                    result, response = self._send(
                        client, conn, n, "create", "POST", f"/projects/{project_id}/tasks",
                        data={"title": title, "priority": rng.choice(["low", "medium", "high"]),
                              "csrf_token": ident.csrf})
                    result.write = {"title": title, "project_id": project_id}
                    result.acked = response is not None and response.status_code == 303
                else:
                    project_id = rng.choice(projects)
                    url = rng.choice([f"/projects/{project_id}/board", f"/projects/{project_id}",
                                      f"/tasks/{rng.choice(ident.tasks)}", "/projects"])
                    result, response = self._send(client, conn, n, "read", "GET", url)
                self._record(result)

    def _inviter(self, n: int, ident: Identity) -> None:
        client, conn = self._session(ident)
        seq = 0
        with client:
            while not self.halt.is_set():
                seq += 1
                email = f"soak-{self.run}-{n}-{seq}@example.com"
                result, response = self._send(
                    client, conn, n, "invite", "POST", "/team/invitations",
                    data={"email": email, "role": "team_member", "csrf_token": ident.csrf})
                result.write = {"email": email}
                result.acked = response is not None and response.status_code == 303
                self._record(result)
                self.halt.wait(0.5)  # a few invitations a second, not thousands of mails
