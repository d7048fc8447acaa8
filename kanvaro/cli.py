"""The `kanvaro` command: serve, migrate, create-owner, send-mail, demo, backup, restore."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from kanvaro.settings import Settings


def _migrate(settings: Settings) -> None:
    from kanvaro.migrate import upgrade

    upgrade(settings.database_url)


def listen_url(host: str, port: int) -> str:
    """The address `kanvaro serve --host --port` answers at, as a browser would write it."""
    if host in ("", "0.0.0.0", "::"):
        host = "localhost"
    elif ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    _migrate(settings)
    settings.resolved_secret_key()  # create it once, before workers race for it
    # Links in mail point at the address this server listens on unless KANVARO_BASE_URL says
    # otherwise (docs/decisions.md, "Base URL"); the workers read it from the environment.
    os.environ.setdefault("KANVARO_BASE_URL", listen_url(args.host, args.port))
    uvicorn.run(
        "kanvaro.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=os.environ.get("KANVARO_LOG_LEVEL", "info"),
        access_log=not args.no_access_log,
        proxy_headers=False,
        http="kanvaro.server:NoDelayProtocol",
    )
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    _migrate(settings)
    print("database is up to date")
    return 0


def cmd_create_owner(args: argparse.Namespace, settings: Settings) -> int:
    from kanvaro.seed import create_owner

    password = args.password or os.environ.get("KANVARO_OWNER_PASSWORD") or getpass.getpass()
    _migrate(settings)
    try:
        org_id, user_id = create_owner(settings, organization=args.organization, name=args.name,
                                       email=args.email, password=password)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"created organization {org_id} with owner {args.email} (user {user_id})")
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from kanvaro.demo import demo

    _migrate(settings)
    login = demo(settings)
    print(f"demo organization ready: log in as {login.email} with password {login.password}")
    print("everyone in it has that password:")
    width = max(len(name) for name, _, _ in login.people)
    for name, role, email in login.people:
        print(f"  {name:<{width}}  {role:<15}  {email}")
    return 0


def cmd_send_mail(args: argparse.Namespace, settings: Settings) -> int:
    from kanvaro import mail

    _migrate(settings)
    sent = mail.drain_once(settings)
    print(f"sent {sent} message(s)")
    return 0


def cmd_backup(args: argparse.Namespace, settings: Settings) -> int:
    from kanvaro.backup import BackupError, backup

    try:
        path = backup(settings, args.file)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"backup written to {path}")
    return 0


def cmd_restore(args: argparse.Namespace, settings: Settings) -> int:
    from kanvaro.backup import BackupError, restore

    try:
        restore(settings, args.file)
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"restored {args.file}; `kanvaro serve` applies any newer migrations")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kanvaro", description="Kanvaro project management")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="apply migrations, then serve the app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)
    owner = sub.add_parser("create-owner", help="create an organization and its owner")
    owner.add_argument("--organization", required=True)
    owner.add_argument("--name", required=True)
    owner.add_argument("--email", required=True)
    owner.add_argument("--password", help="prompted for when omitted")
    owner.set_defaults(func=cmd_create_owner)
    sub.add_parser("send-mail", help="deliver the outbox once").set_defaults(func=cmd_send_mail)
    sub.add_parser("demo", help="create a demo organization to look at").set_defaults(func=cmd_demo)
    backup = sub.add_parser("backup", help="write a consistent copy of the database to FILE")
    backup.add_argument("file", type=Path)
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser("restore", help="restore FILE into an empty data directory or database")
    restore.add_argument("file", type=Path)
    restore.set_defaults(func=cmd_restore)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return int(args.func(args, Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())
