"""The soak's moving parts: the app on 2 workers, a PostgreSQL to stop, an SMTP server to stop.

Everything listens on 127.0.0.1 only, and everything started here is stopped by its own pid.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from pathlib import Path
from typing import Any

import httpx2 as httpx
from sqlalchemy import insert
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kanvaro.db import make_engine
from kanvaro.models import (
    AuditEntry,
    Organization,
    OrgRevision,
    Project,
    ProjectMember,
    Task,
    User,
    UserSession,
)
from kanvaro.security import (
    SESSION_COOKIE,
    CookieSigner,
    hash_password,
    mask_csrf,
    new_csrf_secret,
    new_token,
    token_hash,
)
from tests.pg import PostgresServer, _bin, free_port

KANVARO = ROOT / ".venv" / "bin" / "kanvaro"
SECRET = "soak-secret-key-" + "x" * 32
PROJECTS = 4
USERS = 8
TASKS_PER_CLIENT = 4


# -- PostgreSQL that can be stopped and started again ---------------------------------


class PausablePostgres(PostgresServer):
    """tests/pg.py's server, plus stop-and-start on the same data directory and port."""

    def opts(self) -> str:
        return (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")

    def pause(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-o", self.opts(), "-l",
                  str(self.dir / "log"), "-w", "start")


# -- an SMTP server that records every message ----------------------------------------


class Mailbox:
    """aiosmtpd on a fixed port; stop() refuses connections until start() again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[str, str]] = []  # (recipient, Message-ID)
        self.lock = threading.Lock()
        self.controller: Any = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        msg = message_from_bytes(envelope.content)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((rcpt.lower(), str(msg.get("Message-ID", ""))))
        return "250 OK"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"


# -- seeding: an organization, people with sessions, projects with tasks --------------


@dataclass
class Identity:
    """One client's login: its cookie, its CSRF token, and the tasks it owns."""

    user_id: int
    cookie: str
    csrf: str
    tasks: list[int] = field(default_factory=list)


@dataclass
class Seed:
    org_id: int
    projects: list[int]
    owner: Identity
    clients: list[Identity]


def seed(url: str, clients: int) -> Seed:
    """Rows straight into a migrated database, each task with its task.created entry."""
    engine = make_engine(url)
    signer = CookieSigner(SECRET)
    now = datetime.now(UTC)
    pw = hash_password(secrets.token_urlsafe(12))
    audit = 0
    with Session(engine) as db:
        org = Organization(name="Soak Ltd")
        db.add(org)
        db.flush()
        assert org.id is not None
        people = []
        for i in range(USERS + 1):
            user = User(organization_id=org.id, name=f"Soak {i}", email=f"soak{i}@example.com",
                        password_hash=pw, role="owner" if i == 0 else "team_member")
            db.add(user)
            db.flush()
            people.append(user)
        projects = []
        for p in range(PROJECTS):
            project = Project(organization_id=org.id, number=p + 1, name=f"Soak project {p + 1}",
                              status="active", created_by_id=people[0].id)
            db.add(project)
            db.flush()
            projects.append(project)
            for user in people:
                db.add(ProjectMember(organization_id=org.id, project_id=project.id, user_id=user.id))
        org.project_seq = PROJECTS

        def identity(user: User) -> Identity:
            token, csrf = new_token(), new_csrf_secret()
            db.execute(insert(UserSession).values(user_id=user.id, token_hash=token_hash(token),
                                                  created_at=now, last_seen_at=now))
            return Identity(user.id, signer.dumps({"s": token, "c": csrf}), mask_csrf(csrf))  # type: ignore[arg-type]

        owner = identity(people[0])
        idents = [identity(people[i % len(people)]) for i in range(clients)]
        for c, ident in enumerate(idents):
            for k in range(TASKS_PER_CLIENT):
                project = projects[(c + k) % PROJECTS]
                project.task_seq += 1
                task = Task(organization_id=org.id, project_id=project.id, number=project.task_seq,
                            title=f"Seeded {c}.{k}", position=project.task_seq,
                            created_by_id=people[0].id)
                db.add(task)
                db.flush()
                db.add(AuditEntry(organization_id=org.id, actor_id=people[0].id, action="task.created",
                                  entity_type="task", entity_id=task.id, request_id="seed",
                                  changes={"title": [None, task.title]}))
                audit += 1
                ident.tasks.append(task.id)  # type: ignore[arg-type]
        db.add(OrgRevision(organization_id=org.id, shard=0, value=audit))
        db.commit()
        result = Seed(org.id, [p.id for p in projects], owner, idents)  # type: ignore[misc]
    engine.dispose()
    return result


# -- the app: `kanvaro serve --workers 2` ---------------------------------------------


class AppServer:
    """`kanvaro serve --workers N` in its own process group; its log goes to a file."""

    def __init__(self, workdir: Path, database_url: str, *, workers: int = 2,
                 smtp_url: str = "") -> None:
        self.workdir = workdir
        self.port = free_port()
        self.workers = workers
        self.log = workdir / "server.log"
        self.env = {**os.environ, "KANVARO_DATA_DIR": str(workdir / "data"),
                    "KANVARO_DATABASE_URL": database_url, "KANVARO_SECRET_KEY": SECRET,
                    "KANVARO_BASE_URL": f"http://127.0.0.1:{self.port}",
                    "KANVARO_SMTP_URL": smtp_url, "KANVARO_LOG_LEVEL": "warning"}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def migrate(self) -> None:
        subprocess.run([str(KANVARO), "migrate"], env=self.env, check=True, capture_output=True)

    def start(self) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [str(KANVARO), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers), "--no-access-log"],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kanvaro serve exited; see {self.log}")
            try:
                if httpx.get(self.base_url + "/healthz", timeout=2).status_code == 200 \
                        and len(self.worker_pids()) == self.workers:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"kanvaro serve did not come up; see {self.log}")

    def worker_pids(self) -> list[int]:
        """The uvicorn master's children that serve requests."""
        assert self.proc is not None
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                state, ppid_text = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:2]
                ppid = int(ppid_text)
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.proc.pid and state != "Z" and b"multiprocessing" in cmd and b"resource_tracker" not in cmd:
                pids.append(int(entry.name))
        return sorted(pids)

    def client_ports_of(self, pid: int) -> set[int]:
        """Client-side ports of the connections a worker holds (from /proc/net/tcp)."""
        inodes = set()
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
        ports = set()
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            try:
                lines = Path(table).read_text().splitlines()[1:]
            except OSError:
                continue
            for line in lines:
                parts = line.split()
                local, remote, inode = parts[1], parts[2], parts[9]
                if inode in inodes and int(local.rsplit(":", 1)[1], 16) == self.port:
                    ports.add(int(remote.rsplit(":", 1)[1], 16))
        return ports

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


__all__ = ["SESSION_COOKIE", "AppServer", "Identity", "Mailbox", "PausablePostgres", "Seed", "seed"]
