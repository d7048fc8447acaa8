"""`make soak`: load and faults against `kanvaro serve --workers 2`, then check every write.

Runs (32 clients of mixed reads and writes each, all on 127.0.0.1):
  sqlite / postgres   60 s steady: no 5xx, no failed request
  postgres-outage     PostgreSQL stopped for 10 s mid-run: only 503 pages meanwhile,
                      recovered within 5 s of its return
  worker-kill         one worker SIGKILLed mid-run: only requests it held fail
  smtp-outage         the SMTP server down for 15 s while invitations go out: each mail
                      delivered once it is back, exactly once
After each run every acknowledged write must be in the database with its audit entry, and
nothing may be half-written. The table is printed and kept in bench/README.md ("Soak").
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from soak_check import check
from soak_client import Load, Result
from soak_server import ROOT, AppServer, Mailbox, PausablePostgres, seed
from sqlalchemy import func, select

from kanvaro.db import make_engine
from kanvaro.models import EmailOutbox

README = ROOT / "bench" / "README.md"
OUTAGE_AT, OUTAGE_FOR, RECOVER_WITHIN = 25.0, 10.0, 5.0
SMTP_DOWN_AT, SMTP_DOWN_FOR, MAIL_DRAIN = 5.0, 15.0, 90.0


@dataclass
class Run:
    name: str
    db: str  # sqlite or postgres
    fault: str = ""
    requests: int = 0
    errors: int = 0  # 5xx answers plus requests without an answer
    status_5xx: Counter[int] = field(default_factory=Counter)
    acked: int = 0
    found: int = 0
    audit_found: int = 0
    unacked_committed: int = 0
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def summarize(run: Run, results: list[Result]) -> None:
    run.requests = len(results)
    run.errors = sum(1 for r in results if r.status == 0 or r.status >= 500)
    run.status_5xx = Counter(r.status for r in results if r.status >= 500)


def verify(run: Run, url: str, org_id: int, results: list[Result], server: AppServer) -> None:
    result = check(url, org_id, results)
    run.acked, run.found, run.audit_found = result.acked, result.found, result.audit_found
    run.unacked_committed = result.unacked_committed
    run.problems += result.problems
    if not (run.acked == run.found == run.audit_found):
        run.problems.append(f"{run.acked} writes acknowledged, {run.found} found, "
                            f"{run.audit_found} with their audit entry")
    if run.acked == 0:
        run.problems.append("no write was acknowledged: the load did not run")
    bad_pages = [r for r in results if r.status >= 500 and not r.body_ok]
    if bad_pages:
        run.problems.append(f"{len(bad_pages)} 5xx without the 503 page, e.g. "
                            f"{bad_pages[0].status}: {bad_pages[0].error!r}")
    traces = server.log_text().count("Traceback")
    if traces and run.name != "postgres-outage":  # there, each 503 logs its cause
        run.problems.append(f"{traces} traceback(s) in the server log {server.log}")


# -- the runs --------------------------------------------------------------------------


def run_load(run: Run, url: str, workdir: Path, duration: float, clients: int,
             fault: Callable[[AppServer, Load], None] | None = None, *, smtp_url: str = "",
             invite_clients: int = 0) -> tuple[AppServer, Load, int]:
    server = AppServer(workdir, url, smtp_url=smtp_url)
    server.migrate()
    data = seed(url, clients)
    server.start()
    load = Load(server.base_url, data, run.name, invite_clients=invite_clients)
    started = time.monotonic()
    try:
        load.start()
        if fault is not None:
            fault(server, load)
        while load.now() < duration:
            time.sleep(0.2)
        load.stop()
    except BaseException:
        load.halt.set()
        server.stop()
        raise
    run.seconds = time.monotonic() - started
    summarize(run, load.results)
    return server, load, data.org_id


def steady(run: Run, url: str, workdir: Path, duration: float, clients: int) -> None:
    server, load, org_id = run_load(run, url, workdir, duration, clients)
    try:
        failed = [r for r in load.results if r.status == 0 or r.status >= 500]
        if failed:
            run.problems.append(f"{len(failed)} failed request(s), e.g. {failed[0].kind} "
                                f"{failed[0].status} {failed[0].error!r}")
    finally:
        server.stop()
    verify(run, url, org_id, load.results, server)


def postgres_outage(run: Run, url: str, workdir: Path, duration: float, clients: int,
                    pg: PausablePostgres) -> None:
    times: dict[str, float] = {}

    def fault(server: AppServer, load: Load) -> None:
        while load.now() < OUTAGE_AT:
            time.sleep(0.1)
        times["stop"] = load.now()
        pg.pause()
        times["stopped"] = load.now()
        while load.now() < times["stop"] + OUTAGE_FOR:
            time.sleep(0.1)
        pg.resume()
        times["back"] = load.now()

    server, load, org_id = run_load(run, url, workdir, duration, clients, fault)
    try:
        res = load.results
        back = times["back"]
        down = [r for r in res if r.status >= 500]
        others = [r for r in res if r.status > 0 and r.status >= 500 and r.status != 503]
        no_answer = [r for r in res if r.status == 0]
        late = [r for r in down if r.started > back + RECOVER_WITHIN]
        ok_after = [r.ended - back for r in res if r.started >= back and 0 < r.status < 500]
        recovered = max(0.0, max((r.ended for r in down), default=back) - back)
        run.notes.append(
            f"PostgreSQL down {times['stop']:.1f}-{back:.1f} s: {len(down)} answers 503 "
            f"(page checked), first success {min(ok_after, default=-1):.1f} s and last 503 "
            f"{recovered:.1f} s after its return")
        if not down:
            run.problems.append("no request saw the outage: the fault did not take effect")
        if others:
            run.problems.append(f"{len(others)} 5xx other than 503: {Counter(r.status for r in others)}")
        if no_answer:
            run.problems.append(f"{len(no_answer)} request(s) without an answer, e.g. {no_answer[0].error}")
        if late:
            run.problems.append(f"{len(late)} 503 more than {RECOVER_WITHIN:.0f} s after the "
                                f"database returned (last at +{recovered:.1f} s)")
        if not ok_after or min(ok_after) > RECOVER_WITHIN:
            run.problems.append("no successful request within 5 s of the database's return")
    finally:
        server.stop()
    verify(run, url, org_id, load.results, server)


def worker_kill(run: Run, url: str, workdir: Path, duration: float, clients: int) -> None:
    info: dict[str, object] = {}

    def fault(server: AppServer, load: Load) -> None:
        while load.now() < duration / 2:
            time.sleep(0.1)
        pids = server.worker_pids()
        victim = pids[0]
        info["ports"] = server.client_ports_of(victim)
        info["at"] = load.now()
        os.kill(victim, signal.SIGKILL)
        info["victim"], info["workers"] = victim, pids
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and len(server.worker_pids()) < len(pids):
            time.sleep(0.2)
        info["after"] = server.worker_pids()

    server, load, org_id = run_load(run, url, workdir, duration, clients, fault)
    try:
        ports: set[int] = info["ports"]  # type: ignore[assignment]
        at: float = info["at"]  # type: ignore[assignment]
        failed = [r for r in load.results if r.status == 0 or r.status >= 500]
        held = [r for r in failed if r.status == 0 and r.port in ports and r.started <= at + 0.5]
        other = [r for r in failed if r not in held]
        run.notes.append(
            f"worker {info['victim']} of {info['workers']} SIGKILLed at {at:.1f} s holding "
            f"{len(ports)} connection(s): {len(held)} request(s) in flight on it failed, "
            f"{len(other)} other failure(s); workers afterwards {info['after']}")
        if not ports:
            run.problems.append("the killed worker held no connection: the fault proved nothing")
        if other:
            run.problems.append(f"{len(other)} request(s) not held by the killed worker failed, "
                                f"e.g. {other[0].kind} {other[0].status} {other[0].error!r}")
    finally:
        server.stop()
    verify(run, url, org_id, load.results, server)


def smtp_outage(run: Run, url: str, workdir: Path, duration: float, clients: int) -> None:
    mailbox = Mailbox()
    mailbox.start()
    times: dict[str, float] = {}

    def fault(server: AppServer, load: Load) -> None:
        while load.now() < SMTP_DOWN_AT:
            time.sleep(0.1)
        mailbox.stop()
        times["down"] = load.now()
        while load.now() < SMTP_DOWN_AT + SMTP_DOWN_FOR:
            time.sleep(0.1)
        mailbox.start()
        times["back"] = load.now()

    try:
        server, load, org_id = run_load(run, url, workdir, duration, clients, fault,
                                        smtp_url=mailbox.url(), invite_clients=2)
        try:
            engine = make_engine(url)
            deadline = time.monotonic() + MAIL_DRAIN
            pending, total = -1, 0
            while time.monotonic() < deadline:
                with engine.connect() as db:
                    pending = db.scalar(select(func.count()).select_from(EmailOutbox)
                                        .where(EmailOutbox.status != "sent")) or 0
                    total = db.scalar(select(func.count()).select_from(EmailOutbox)) or 0
                if pending == 0:
                    break
                time.sleep(1)
            drained = load.now()
            engine.dispose()
        finally:
            server.stop()
    finally:
        mailbox.stop()
    invites = [r for r in load.results if r.kind == "invite"]
    acked = {r.write["email"] for r in invites if r.acked}
    during = [r for r in invites if r.acked and times["down"] <= r.started <= times["back"]]
    received = Counter(to for to, _ in mailbox.messages)
    ids = Counter(mid for _, mid in mailbox.messages)
    run.notes.append(
        f"SMTP down {times['down']:.1f}-{times['back']:.1f} s: {len(acked)} invitations accepted "
        f"({len(during)} while it was down), {len(mailbox.messages)} mails delivered of {total} "
        f"in the outbox, all sent by {drained:.0f} s, duplicates {sum(c - 1 for c in ids.values())}")
    if not during:
        run.problems.append("no invitation was accepted while SMTP was down")
    if pending:
        run.problems.append(f"{pending} mail(s) still undelivered {MAIL_DRAIN:.0f} s after the load")
    not_once = {e: received[e] for e in acked if received[e] != 1}
    if not_once:
        run.problems.append(f"{len(not_once)} invitation mail(s) not delivered exactly once: "
                            f"{list(not_once.items())[:3]}")
    if len(mailbox.messages) != total or any(c != 1 for c in ids.values()):
        run.problems.append(f"{len(mailbox.messages)} deliveries for {total} outbox rows")
    failed = [r for r in load.results if r.status == 0 or r.status >= 500]
    if failed:
        run.problems.append(f"{len(failed)} failed request(s), e.g. {failed[0].kind} "
                            f"{failed[0].status} {failed[0].error!r}")
    verify(run, url, org_id, load.results, server)


# -- the table -------------------------------------------------------------------------


HEADER = ("run", "db", "fault", "seconds", "requests", "errors", "5xx", "writes acked",
          "writes found", "audit entries found", "unacked but committed", "result")


def table(runs: list[Run]) -> str:
    rows = [HEADER] + [(
        r.name, r.db, r.fault or "-", f"{r.seconds:.0f}", str(r.requests), str(r.errors),
        ", ".join(f"{n}×{s}" for s, n in sorted(r.status_5xx.items())) or "0",
        str(r.acked), str(r.found), str(r.audit_found), str(r.unacked_committed),
        "ok" if r.ok else "FAIL",
    ) for r in runs]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|" + "|".join("---" for _ in HEADER) + "|")
    return "\n".join(lines)


def readme_section(runs: list[Run], clients: int) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    notes = "\n".join(f"- {r.name}: {n}" for r in runs for n in r.notes)
    problems = "\n".join(f"- {r.name}: {p}" for r in runs for p in r.problems)
    return (
        "## Soak\n\n"
        f"`make soak` (bench/soak.py), latest run {when} on {os.cpu_count()} CPUs (load average "
        f"{os.getloadavg()[0]:.0f} at the end, shared with other work: request counts here are "
        f"not throughput figures; see the benchmark for those): {clients} "
        "clients of mixed reads and writes (status changes, task creations, pages) against "
        "`kanvaro serve --workers 2`; the smtp-outage run adds 2 clients sending invitations. "
        "*errors* are 5xx answers plus requests without an answer; *writes found* are "
        "acknowledged writes stored as asked; *audit entries found* are those with exactly "
        "one audit entry of their request. After every run the checker also finds no task "
        "without its `task.created` entry, every task's status and version matching its "
        "audit log, gapless task numbers and the organization's revision equal to its audit "
        "entries plus mail attempts.\n\n"
        f"{table(runs)}\n\n{notes}\n" + (f"\nProblems:\n{problems}\n" if problems else "")
    )


def keep_in_readme(section: str) -> None:
    """Replace the "## Soak" section of bench/README.md, leaving every other section alone."""
    text = README.read_text() if README.exists() else "# Benchmarks\n"
    start = text.find("## Soak\n")
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end != -1 else "")
    README.write_text(text)


# -- main --------------------------------------------------------------------------------


RUNS = ["sqlite", "postgres", "postgres-outage", "worker-kill", "smtp-outage"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--only", default=",".join(RUNS), help="comma-separated runs")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per run")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--no-readme", action="store_true", help="do not update bench/README.md")
    args = parser.parse_args()
    chosen = [name for name in args.only.split(",") if name]
    unknown = set(chosen) - set(RUNS)
    if unknown:
        parser.error(f"unknown run(s): {', '.join(sorted(unknown))}")
    root = Path(tempfile.mkdtemp(prefix="kanvaro-soak-"))
    pg: PausablePostgres | None = None
    runs: list[Run] = []
    try:
        if any(name.startswith("postgres") for name in chosen):
            pg = PausablePostgres().start()
        for name in chosen:
            workdir = root / name
            workdir.mkdir()
            db = "postgres" if name.startswith("postgres") else "sqlite"
            fault = {"postgres-outage": "PostgreSQL stopped 10 s", "worker-kill": "SIGKILL a worker",
                     "smtp-outage": "SMTP down 15 s"}.get(name, "")
            run = Run(name, db, fault)
            duration = min(args.duration, 40.0) if name == "smtp-outage" else args.duration
            print(f"== {name}: {args.clients} clients, {duration:.0f} s"
                  f"{', ' + fault if fault else ''}", flush=True)
            try:
                url = (pg.create_database("soak_" + name.replace("-", "_")) if pg and db == "postgres"
                       else f"sqlite:///{workdir / 'data' / 'kanvaro.db'}")
                if name == "postgres-outage":
                    assert pg is not None
                    postgres_outage(run, url, workdir, args.duration, args.clients, pg)
                elif name == "worker-kill":
                    worker_kill(run, url, workdir, args.duration, args.clients)
                elif name == "smtp-outage":
                    smtp_outage(run, url, workdir, duration, args.clients)
                else:
                    steady(run, url, workdir, args.duration, args.clients)
            except Exception as exc:  # noqa: BLE001 (a broken run fails; the others still go)
                run.problems.append(f"the run broke: {type(exc).__name__}: {exc}")
            runs.append(run)
            for note in run.notes:
                print(f"   {note}")
            for problem in run.problems:
                print(f"   PROBLEM: {problem}")
            print(f"   {run.requests} requests, {run.errors} errors, {run.acked} writes acknowledged, "
                  f"{run.found} found, {run.audit_found} with their audit entry: "
                  f"{'ok' if run.ok else 'FAIL'}", flush=True)
    finally:
        if pg is not None:
            pg.stop()
    print()
    print(table(runs))
    if not args.no_readme:
        keep_in_readme(readme_section(runs, args.clients))
        print(f"\nkept in {README.relative_to(ROOT)}")
    failed = [r for r in runs if not r.ok]
    if failed:
        print(f"\nFAILED: {', '.join(r.name for r in failed)}; logs under {root}")
        return 1
    shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
