"""Frozen settings read from the environment (SPEC §7)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


SQLITE_THREADS = 1
POSTGRES_THREADS = 4
# Views that hash or check a password (argon2id: ~0.1 s of C code without the GIL, and
# 64 MiB while it runs) run on threads of their own, so a login does not hold up the pages
# of everyone else. Two at a time keep the two cores busy and a burst of logins at 128 MiB.
PASSWORD_THREADS = 2


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    database_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:8000"
    smtp_url: str = ""
    outbox_dir: Path = Path("var/outbox")
    https: bool = False
    allow_signup: bool = True
    max_body_bytes: int = 1_000_000
    # A file attached to a task (SPEC §8); only its route takes a body over max_body_bytes.
    max_upload_bytes: int = 10_000_000
    run_mail_sender: bool = True  # and the other background loops (kanvaro.background)
    threads: int = 0  # request threads per worker; 0: chosen by database (see request_threads)
    registrations_per_hour: int = 10  # organizations one client address may register an hour
    # Webhooks to loopback, private and link-local addresses (SPEC §13): refused unless set.
    webhook_allow_private: bool = False
    api_rate_per_minute: int = 600  # requests one API token may make a minute (SPEC §13)
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if environ is None else environ)
        data_dir = Path(env.get("KANVARO_DATA_DIR") or "var")
        values: dict[str, object] = {
            "data_dir": data_dir,
            "database_url": env.get("KANVARO_DATABASE_URL")
            or f"sqlite:///{(data_dir / 'kanvaro.db').as_posix()}",
            "secret_key": env.get("KANVARO_SECRET_KEY", ""),
            "base_url": (env.get("KANVARO_BASE_URL") or "http://127.0.0.1:8000").rstrip("/"),
            "smtp_url": env.get("KANVARO_SMTP_URL", ""),
            "outbox_dir": Path(env.get("KANVARO_OUTBOX_DIR") or data_dir / "outbox"),
            "https": _flag(env.get("KANVARO_HTTPS"), False),
            "allow_signup": _flag(env.get("KANVARO_ALLOW_SIGNUP"), True),
            "max_body_bytes": int(env.get("KANVARO_MAX_BODY_BYTES") or 1_000_000),
            "max_upload_bytes": int(env.get("KANVARO_MAX_UPLOAD_BYTES") or 10_000_000),
            "threads": int(env.get("KANVARO_THREADS") or 0),
            "registrations_per_hour": int(env.get("KANVARO_REGISTRATIONS_PER_HOUR") or 10),
            "webhook_allow_private": _flag(env.get("KANVARO_WEBHOOK_ALLOW_PRIVATE"), False),
            "api_rate_per_minute": int(env.get("KANVARO_API_RATE_PER_MINUTE") or 600),
        }
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    def request_threads(self) -> int:
        """How many requests one worker runs at a time (docs/performance.md, "Threads").

        SQLite answers in microseconds without leaving the process, so more threads only
        fight over the GIL: one runs a request at least as fast as sixteen and with half the
        CPU. PostgreSQL answers over a socket, and threads fill each other's waits."""
        if self.threads > 0:
            return self.threads
        return SQLITE_THREADS if self.database_url.startswith("sqlite") else POSTGRES_THREADS

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept in the data directory."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker won the race
            return path.read_text().strip()
        with os.fdopen(fd, "w") as fh:
            fh.write(key)
        return key
