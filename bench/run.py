"""`make bench`: Kanvaro under wrk, beside a bare Starlette floor; see bench/README.md.

Usage: .venv/bin/python bench/run.py [--seconds 10] [--quick] [--no-postgres] [--no-write]
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

# run as a script: import the bench package (and tests.pg) from the repository root
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from sqlalchemy import Engine, text

from bench import imports as import_bench
from bench import report
from bench.api import api_token, status_patches, task_list
from bench.collab import comment_post, comment_reqs, digest_run
from bench.harness import (
    BIN,
    ROOT,
    Req,
    Server,
    request,
    write_requests,
    wrk,
)
from bench.probe import InProcess
from bench.seed import (
    SEARCH_WORD,
    Org,
    reset_statuses,
    seed_main,
    seed_scale,
    status_changes,
    target_status,
)
from bench.spy import profile_during
from kanvaro.db import make_engine

SECRET = "kanvaro-bench-secret-key-0123456789"
GZ = {"Accept-Encoding": "gzip, deflate, br"}
CONNECTIONS = 16
SCALE_ROUNDS = 5  # the scale scenario: turns of the 1,000- and 100,000-task servers
MEMORY_REQUESTS = 20_000


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.seconds = 3 if args.quick else args.seconds
        self.scale_seconds = 2 if args.quick else max(3, args.seconds // 2)
        self.tmp = Path(tempfile.mkdtemp(prefix="kanvaro-bench-"))
        self.rows: list[dict[str, Any]] = []  # the table
        self.facts: dict[str, Any] = {}  # everything the targets look at
        self.profiles: dict[str, list[str]] = {}
        self.floors: dict[int, list[float]] = {1: [], 2: []}
        self.floor_servers: dict[int, Server] = {}

    # -- plumbing --------------------------------------------------------------------

    def env(self, name: str, url: str | None = None) -> dict[str, str]:
        data = self.tmp / name
        data.mkdir(exist_ok=True)
        env = {"KANVARO_DATA_DIR": str(data), "KANVARO_SECRET_KEY": SECRET,
               "KANVARO_BASE_URL": "http://127.0.0.1",
               # The API's per-token limit would answer most of a run 429 (issue 13).
               "KANVARO_API_RATE_PER_MINUTE": "100000000"}
        env["KANVARO_DATABASE_URL"] = url or f"sqlite:///{data / 'kanvaro.db'}"
        return env

    def migrate(self, env: dict[str, str]) -> Engine:
        subprocess.run([str(BIN / "kanvaro"), "migrate"], env={**os.environ, **env}, check=True,
                       capture_output=True, cwd=ROOT)
        return make_engine(env["KANVARO_DATABASE_URL"])

    def reqfile(self, name: str, reqs: list[Req]) -> Path:
        return write_requests(self.tmp / f"{name}.tsv", reqs)

    def start_floors(self) -> None:
        env = self.env("floor")
        for workers in (1, 2):
            server = Server.floor(env, workers, self.tmp)
            self.floor_servers[workers] = server.start(ready_path="/")
            wrk(server, None, seconds=1, connections=CONNECTIONS)  # warm up

    def floor_burst(self, workers: int) -> dict[str, float]:
        """The floor measured just before a scenario: the share is against this figure."""
        seconds = 2 if self.args.quick else 3
        result = wrk(self.floor_servers[workers], None, seconds=seconds, connections=CONNECTIONS)
        return {"floor": result["rps"], "floor_cpu_ms": result["cpu_ms"]}

    def floor(self, workers: int) -> float:
        """A longer floor run at the start and the end, for the record."""
        result = wrk(self.floor_servers[workers], None, seconds=max(3, self.seconds // 2),
                     connections=CONNECTIONS)
        self.floors[workers].append(result["rps"])
        log(f"floor, {workers} worker(s): {result['rps']:.0f} req/s, p50 {result['p50']:.1f} ms")
        self.rows.append({"scenario": f"floor: Starlette hello-world ({len(self.floors[workers])})",
                          "config": f"{workers}w", **result, "floor": result["rps"],
                          "floor_cpu_ms": result["cpu_ms"]})
        return float(result["rps"])

    def run(self, name: str, config: str, server: Server, reqs: list[Req], *,
            seconds: float | None = None, connections: int = CONNECTIONS, expect: str = "2xx",
            warm: bool = True, **extra: Any) -> dict[str, Any]:
        path = self.reqfile(re.sub(r"\W+", "-", f"{config}-{name}"), reqs)
        floor = self.floor_burst(server.workers)
        if warm:
            wrk(server, path, seconds=1, connections=connections)
        result = wrk(server, path, seconds=seconds or self.seconds, connections=connections)
        raw = result["raw"]
        ok = raw["c304"] if expect == "304" else raw["c2"]
        result["unexpected"] = raw["c2"] + raw["c3"] + raw["c304"] + raw["c4"] + raw["c5"] - ok
        result["errors"] += result["unexpected"] if expect != "any" else 0
        mem = server.memory()
        row = {"scenario": name, "config": config, **result, "peak_rss_mb": mem["hwm_kb"] / 1024,
               **floor, **extra}
        self.rows.append(row)
        log(f"{config} {name}: {result['rps']:.0f} req/s ({100 * result['rps'] / floor['floor']:.2f}% "
            f"of {floor['floor']:.0f}), CPU {result['cpu_ms']:.2f} ms/req, p50 {result['p50']:.1f} ms, "
            f"p99 {result['p99']:.1f} ms, errors {result['errors']}, "
            f"statuses {({k: raw[k] for k in ('c2', 'c3', 'c304', 'c4', 'c5') if raw[k]})}")
        return row

    # -- the requests ----------------------------------------------------------------

    @staticmethod
    def get(org: Org, path: str, **headers: str) -> Req:
        return ("GET", path, "", {**org.headers(), **GZ, **headers})

    @staticmethod
    def status_post(org: Org, task_id: int, status: str) -> Req:
        body = urlencode({"csrf_token": org.csrf, "status": status})
        return ("POST", f"/tasks/{task_id}/status", body, {
            **org.headers(), **GZ, "HX-Request": "true", "HX-Target": f"status-{task_id}",
            "HX-Current-URL": f"http://127.0.0.1/projects/{org.big_project}/board",
            "X-CSRF-Token": org.csrf, "Content-Type": "application/x-www-form-urlencoded",
        })

    def status_reqs(self, org: Org, rounds: int = 5) -> list[Req]:
        return [self.status_post(org, org.big_tasks[i], target_status(org, i, r))
                for r in range(rounds) for i in range(len(org.big_tasks))]

    def mixed_reqs(self, org: Org) -> list[Req]:
        """Reads and writes as a team uses the app: 1 write in 7 requests."""
        reqs: list[Req] = []
        n = len(org.big_tasks)
        for k in range(5 * n):
            i, r = k % n, k // n
            p = org.projects[k % len(org.projects)]
            reqs += [
                self.status_post(org, org.big_tasks[i], target_status(org, i, r)),
                self.get(org, f"/tasks/{org.big_tasks[(k * 7) % n]}"),
                self.get(org, f"/projects/{org.big_project}/board"),
                self.get(org, f"/projects/{p}"),
                self.get(org, "/projects"),
                self.get(org, f"/projects/{org.big_project}?q={SEARCH_WORD}&page={k % 2 + 1}"),
                self.get(org, f"/projects/{p}/board"),
            ]
        return reqs

    # -- measurements ----------------------------------------------------------------

    def sizes(self, server: Server, req: Req) -> dict[str, Any]:
        """Response bytes as sent on the wire: identity, then gzip."""
        method, path, body, headers = req
        plain = {k: v for k, v in headers.items() if k != "Accept-Encoding"}
        s1, _, raw = request(server, method, path, body or None, plain)
        s2, h2, gz = request(server, method, path, body or None, headers)
        return {"bytes_raw": len(raw), "bytes_gz": len(gz), "status_plain": s1, "status_gz": s2,
                "gzip_on_wire": h2.get("content-encoding") == "gzip", "body": raw}

    def probes(self, url: str, data: str, org: Org, pairs: dict[str, Req]) -> dict[str, Any]:
        """SQL statements and template renders per request, measured in this process."""
        app = InProcess(url, SECRET, self.tmp / data)
        out: dict[str, Any] = {}
        try:
            for name, (method, path, body, headers) in pairs.items():
                app.probe(method, path, body, headers)  # warm: caches, first-use imports
                if method == "POST":  # the warm-up changed the status: move it on again
                    body = body.replace("status=review", "status=testing")
                out[name] = app.probe(method, path, body, headers)
        finally:
            app.close()
        return out

    # -- the scenarios ---------------------------------------------------------------

    def sqlite_main(self) -> None:
        env = self.env("sqlite-main")
        engine = self.migrate(env)
        t0 = time.monotonic()
        org = seed_main(engine, SECRET)
        log(f"seeded the main organization in {time.monotonic() - t0:.1f} s")
        small_task = org.small_tasks[0]
        board = self.get(org, f"/projects/{org.big_project}/board")
        pairs = {
            "status": self.status_post(org, small_task, "review"),
            "board200": board,
            "board5": self.get(org, f"/projects/{org.small_project}/board"),
            "task": self.get(org, f"/tasks/{org.big_tasks[17]}"),
            "projects": self.get(org, "/projects"),
            "comment": comment_post(org, small_task, 0),
        }
        probes = self.probes(env["KANVARO_DATABASE_URL"], "sqlite-main", org, pairs)
        # issue 12: the header's unread count, with 5 unread notifications: no more statements
        with engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO notification (organization_id, user_id, kind, task_id, actor_id, "
                "created_at) SELECT organization_id, :owner, 'commented', id, NULL, "
                "CURRENT_TIMESTAMP FROM task WHERE project_id = :p LIMIT 5"),
                {"owner": org.owner_id, "p": org.small_project})
        unread = self.probes(env["KANVARO_DATABASE_URL"], "sqlite-main", org,
                             {"projects_unread": pairs["projects"]})
        probes.update(unread)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM notification WHERE user_id = :owner"), {"owner": org.owner_id})
        # the 304: the same board again with the ETag it was given, in process
        app = InProcess(env["KANVARO_DATABASE_URL"], SECRET, self.tmp / "sqlite-main")
        try:
            first = app.client.get(board[1], headers=board[3])
            etag = first.headers.get("etag", "")
            probes["board304"] = app.probe("GET", board[1], "", {**board[3], "If-None-Match": etag})
        finally:
            app.close()
        for name, p in probes.items():
            log(f"in process: {name}: HTTP {p.status}, {p.sql} SQL statements, "
                f"templates {sorted(set(p.templates))}")
        self.facts["probes"] = probes
        self.facts["sql_statements"] = {k: p.statements for k, p in probes.items()}

        server = Server.kanvaro(env, 1, self.tmp).start()
        try:
            self.sqlite_main_w1(server, engine, org, probes)
        finally:
            server.stop()
        digest = digest_run(engine, org, self.tmp / "sqlite-main", SECRET)
        log(f"digest run: {digest}")
        self.facts["digest"] = digest
        self.memory(env, engine, org)
        server = Server.kanvaro(env, 2, self.tmp).start()
        try:
            reset_statuses(engine, org)
            before = status_changes(engine, org.id)
            row = self.run("mixed read/write (1 write in 7)", "SQLite 2w", server,
                           self.mixed_reqs(org))
            row["writes"] = status_changes(engine, org.id) - before
        finally:
            server.stop()
        engine.dispose()

    def sqlite_main_w1(self, server: Server, engine: Engine, org: Org,
                       probes: dict[str, Any]) -> None:
        cfg = "SQLite 1w"
        board = self.get(org, f"/projects/{org.big_project}/board")
        # what a first visit of the board downloads
        size = self.sizes(server, board)
        html = size["body"].decode()
        assets = sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)))
        weights = {}
        for asset in assets:
            status, headers, body = request(server, "GET", asset, None, GZ)
            assert status == 200, (asset, status)
            weights[asset.split("?")[0]] = {"wire": len(body),
                                             "gzip": headers.get("content-encoding") == "gzip",
                                             "gz9": len(gzip.compress(_raw(server, asset), 9))}
        self.facts["first_visit"] = {"html": size["bytes_gz"], "assets": weights}
        log(f"first visit of the board: HTML {size['bytes_gz']} B gz, assets {weights}")

        def sized(req: Req) -> dict[str, Any]:
            s = self.sizes(server, req)
            return {"bytes_raw": s["bytes_raw"], "bytes_gz": s["bytes_gz"],
                    "check": (s["status_plain"], s["status_gz"])}

        # the status change: preflight on the 5-task project, measured over the 200 tasks
        status_size = sized(self.status_post(org, org.small_tasks[1], "review"))
        reset_statuses(engine, org)
        before = status_changes(engine, org.id)
        row = self.run("status change (htmx, 200 tasks rotating)", cfg, server,
                       self.status_reqs(org), warm=False, sql=probes["status"].sql, **status_size)
        row["writes"] = status_changes(engine, org.id) - before
        log(f"status changes written: {row['writes']} for {row['requests']} answered")
        self.facts["status"] = row

        self.facts["board200"] = self.run("board, 200 tasks", cfg, server, [board],
                                          sql=probes["board200"].sql, **sized(board))
        board5 = self.get(org, f"/projects/{org.small_project}/board")
        self.facts["board5"] = self.run("board, 5 tasks", cfg, server, [board5],
                                        sql=probes["board5"].sql, **sized(board5))
        tasks = [self.get(org, f"/tasks/{t}") for t in org.big_tasks]
        self.facts["task"] = self.run("task page (200 rotating)", cfg, server, tasks,
                                      sql=probes["task"].sql, **sized(tasks[0]))
        comments = comment_reqs(org)  # issue 12: a comment from the task page, with htmx
        self.facts["comment"] = self.run("comment post (htmx)", cfg, server, comments, warm=False,
                                         sql=probes["comment"].sql, **sized(comments[0]))
        task_list = self.get(org, f"/projects/{org.big_project}")  # issue 11: 50 rows, controls
        self.facts["task_list"] = self.run("task list page (50 rows)", cfg, server, [task_list],
                                           **sized(task_list))
        projects = self.get(org, "/projects")
        self.facts["projects"] = self.run("project list (100 projects)", cfg, server, [projects],
                                          sql=probes["projects"].sql, **sized(projects))
        self.api_rows(server, engine, org)
        status, headers, _ = request(server, "GET", board[1], None, board[3])
        etag = headers.get("etag", "")
        cond = self.get(org, board[1], **{"If-None-Match": etag})
        check = request(server, "GET", cond[1], None, cond[3])
        log(f"If-None-Match {etag}: HTTP {check[0]}, {len(check[2])} bytes")
        self.facts["board304"] = self.run(
            "board again, If-None-Match (304)", cfg, server, [cond], expect="304",
            sql=probes["board304"].sql, bytes_raw=len(check[2]), bytes_gz=len(check[2]),
            templates=len(probes["board304"].templates))

        # Profiles, after the measured runs: the status change under the same 16-connection
        # load (where requests wait), then each hot path on one connection (what one costs).
        pid = server.worker_pids()[0]
        seconds = 4 if self.args.quick else 6
        for name, reqs, conns in (
            ("status change, 16 connections", self.status_reqs(org), CONNECTIONS),
            ("status change, 1 connection", self.status_reqs(org), 1),
            ("board of 200 tasks, 1 connection", [board], 1),
        ):
            reset_statuses(engine, org)
            path = self.reqfile(f"profile-{len(self.profiles)}", reqs)
            load = threading.Thread(target=wrk, args=(server, path),
                                    kwargs={"seconds": seconds + 1, "connections": conns})
            raw = self.tmp / f"profile-{len(self.profiles)}.raw"
            self.profiles[name] = profile_during(pid, seconds, raw, load)
            log(f"profiled {name}")

    def api_rows(self, server: Server, engine: Engine, org: Org) -> None:
        """Issue 13: the JSON API's task list (100 of 200) and its status PATCH, with a token."""
        cfg, token = "SQLite 1w", api_token(engine, org)
        listing = task_list(org, token)
        self.facts["api_list"] = self.run("API task list (limit=100)", cfg, server, [listing],
                                          **self.sized(server, listing))
        reset_statuses(engine, org)
        before = status_changes(engine, org.id)
        row = self.run("API status PATCH (200 tasks rotating)", cfg, server,
                       status_patches(org, token), warm=False)
        row["writes"] = status_changes(engine, org.id) - before
        self.facts["api_patch"] = row

    def sized(self, server: Server, req: Req) -> dict[str, Any]:
        s = self.sizes(server, req)
        return {"bytes_raw": s["bytes_raw"], "bytes_gz": s["bytes_gz"],
                "check": (s["status_plain"], s["status_gz"])}

    def memory(self, env: dict[str, str], engine: Engine, org: Org) -> None:
        """A fresh worker, 20,000 mixed requests; RSS after 10,000 and after 20,000."""
        server = Server.kanvaro(env, 1, self.tmp).start()
        try:
            reset_statuses(engine, org)
            path = self.reqfile("memory", self.mixed_reqs(org))
            start = server.memory()
            floor = self.floor_burst(1)
            done, readings, errors, rate, cpu = 0, {}, 0, 0.0, 0.0
            for mark in (MEMORY_REQUESTS // 2, MEMORY_REQUESTS):
                while done < mark:
                    left = mark - done
                    seconds = 2 if not rate else max(1, min(10, left / rate))
                    r = wrk(server, path, seconds=seconds, connections=CONNECTIONS)
                    raw = r["raw"]
                    done += r["requests"]
                    errors += r["errors"] + raw["c3"] + raw["c304"] + raw["c4"] + raw["c5"]
                    rate = r["rps"]
                    cpu += r["cpu_ms"] * r["requests"]
                readings[mark] = {"requests": done, **server.memory()}
                log(f"memory after {done} mixed requests: {readings[mark]}")
            half, full = readings[MEMORY_REQUESTS // 2], readings[MEMORY_REQUESTS]
            self.facts["memory"] = {"start": start, "half": half, "full": full, "errors": errors}
            self.rows.append({"scenario": f"memory: {done} mixed requests", "config": "SQLite 1w",
                              "rps": rate, "errors": errors, **floor, "cpu_ms": cpu / done,
                              "peak_rss_mb": full["hwm_kb"] / 1024,
                              "note": f"RSS {start['rss_kb'] / 1024:.0f} MB at start, "
                                      f"{half['rss_kb'] / 1024:.1f} MB after {half['requests']}, "
                                      f"{full['rss_kb'] / 1024:.1f} MB after {full['requests']}"})
        finally:
            server.stop()

    def scale(self) -> None:
        """The same pages of a 1,000-task and a 100,000-task organization, one connection.

        Both servers run side by side and are measured in turns, a short run each, several
        rounds: a burst of load on this shared machine then falls on both alike."""
        servers, pages, probes = {}, {}, {}
        try:
            for total in (1_000, 100_000):
                env = self.env(f"scale-{total}")
                engine = self.migrate(env)
                t0 = time.monotonic()
                org = seed_scale(engine, SECRET, total)
                log(f"seeded {total} tasks in {time.monotonic() - t0:.1f} s")
                engine.dispose()
                pages[total] = {
                    "list": [self.get(org, f"/projects/{org.big_project}?page={n}") for n in range(1, 11)],
                    "search": [self.get(org, f"/projects/{org.big_project}?q={SEARCH_WORD}")],
                    "board": [self.get(org, f"/projects/{org.big_project}/board")],
                }
                probes[total] = self.probes(env["KANVARO_DATABASE_URL"], f"scale-{total}", org,
                                            {k: v[0] for k, v in pages[total].items()})
                servers[total] = Server.kanvaro(env, 1, self.tmp).start()
            for name in ("list", "search", "board"):
                runs = []
                for total, server in servers.items():
                    reqs = pages[total][name]
                    s = self.sizes(server, reqs[0])
                    runs.append((f"{total:,} tasks: {name}", server, reqs,
                                 {"sql": probes[total][name].sql, "bytes_raw": s["bytes_raw"],
                                  "bytes_gz": s["bytes_gz"]}))
                for total, row in zip(servers, self.in_turns(runs), strict=True):
                    self.facts.setdefault("scale", {})[(total, name)] = row
        finally:
            for server in servers.values():
                server.stop()

    def in_turns(self, runs: list[tuple[str, Server, list[Req], dict[str, Any]]]) -> list[dict[str, Any]]:
        """Scenarios (one connection) measured in turns, SCALE_ROUNDS short runs each: req/s
        and CPU over all the rounds, p50 and p99 the medians of the rounds'."""
        rounds = 2 if self.args.quick else SCALE_ROUNDS
        seconds = max(1, round(2 * self.scale_seconds / rounds))
        paths = [self.reqfile(re.sub(r"\W+", "-", f"scale-{name}"), reqs) for name, _, reqs, _ in runs]
        floor = self.floor_burst(1)
        for (_, server, _, _), path in zip(runs, paths, strict=True):
            wrk(server, path, seconds=1, connections=1)
        got: list[list[dict[str, Any]]] = [[] for _ in runs]
        for _ in range(rounds):
            for i, ((_, server, _, _), path) in enumerate(zip(runs, paths, strict=True)):
                got[i].append(wrk(server, path, seconds=seconds, connections=1))
        rows = []
        for (name, server, _, extra), results in zip(runs, got, strict=True):
            raw = {k: sum(r["raw"][k] for r in results)
                   for k in ("requests", "duration_us", "connect", "read", "write", "timeout",
                             "status", "c2", "c3", "c304", "c4", "c5")}
            requests = max(1, raw["requests"])
            unexpected = raw["c3"] + raw["c304"] + raw["c4"] + raw["c5"]
            result = {
                "requests": raw["requests"], "rps": raw["requests"] / (raw["duration_us"] / 1e6),
                "p50": statistics.median(r["p50"] for r in results),
                "p90": statistics.median(r["p90"] for r in results),
                "p99": statistics.median(r["p99"] for r in results),
                "max": max(r["max"] for r in results),
                "errors": sum(r["errors"] for r in results) + unexpected, "unexpected": unexpected,
                "cpu_ms": sum(r["cpu_ms"] * r["requests"] for r in results) / requests, "raw": raw,
            }
            row = {"scenario": name, "config": "SQLite 1w", **result,
                   "peak_rss_mb": server.memory()["hwm_kb"] / 1024, **floor, **extra}
            self.rows.append(row)
            each = ", ".join(f"{r['p50']:.1f}" for r in results)
            log(f"SQLite 1w {name}: {result['rps']:.0f} req/s, CPU {result['cpu_ms']:.2f} ms/req, "
                f"p50 {result['p50']:.1f} ms (rounds: {each}), errors {result['errors']}")
            rows.append(row)
        return rows

    def postgres(self) -> None:
        from tests.pg import PostgresServer

        pg = PostgresServer().start()
        try:
            url = pg.create_database("kanvaro_bench")
            env = self.env("pg", url)
            engine = self.migrate(env)
            org = seed_main(engine, SECRET)
            probes = self.probes(url, "pg", org, {
                "status": self.status_post(org, org.small_tasks[0], "review"),
                "board200": self.get(org, f"/projects/{org.big_project}/board"),
            })
            self.facts["pg_probes"] = probes
            server = Server.kanvaro(env, 2, self.tmp).start()
            try:
                reset_statuses(engine, org)
                before = status_changes(engine, org.id)
                row = self.run("mixed read/write (1 write in 7)", "PostgreSQL 2w", server,
                               self.mixed_reqs(org))
                row["writes"] = status_changes(engine, org.id) - before
                self.facts["pg_mixed"] = row
                reset_statuses(engine, org)
                self.facts["pg_status"] = self.run(
                    "status change (htmx, 200 tasks rotating)", "PostgreSQL 2w", server,
                    self.status_reqs(org), warm=False, sql=probes["status"].sql)
                self.run("board, 200 tasks", "PostgreSQL 2w", server,
                         [self.get(org, f"/projects/{org.big_project}/board")],
                         sql=probes["board200"].sql)
            finally:
                server.stop()
                engine.dispose()
        finally:
            pg.stop()

    def main(self) -> int:
        started = time.monotonic()
        log(f"working in {self.tmp}")
        try:
            self.start_floors()
            self.floor(1)
            self.floor(2)
            parts = set(self.args.only.split(","))
            if "sqlite" in parts:
                self.sqlite_main()
                seconds = import_bench.measure()  # issue 13: 10,000 CSV rows, SQLite
                self.facts["import"] = {"seconds": seconds}
                log(f"import of 10,000 CSV rows: {seconds:.1f} s")
            if "scale" in parts:
                self.scale()
            if "postgres" in parts and not self.args.no_postgres:
                self.postgres()
            self.floor(2)
            self.floor(1)
        finally:
            for server in self.floor_servers.values():
                server.stop()
            if not self.args.keep:
                shutil.rmtree(self.tmp, ignore_errors=True)
        elapsed = time.monotonic() - started
        floors = {w: sum(v) / len(v) for w, v in self.floors.items() if v}
        checks = report.targets(self.facts, floors, self.rows)
        text = report.markdown(self.rows, floors, checks, self.profiles, self.facts, elapsed=elapsed,
                               command=" ".join(["bench/run.py", *sys.argv[1:]]),
                               machine=machine())
        print(report.table(self.rows, floors))
        print("\n".join(f"{'PASS' if c['ok'] else 'MISS'}  {c['target']}: {c['measured']}"
                        for c in checks))
        if not self.args.no_write:
            write_readme(text)
            log("wrote bench/README.md")
        missed = [c for c in checks if not c["ok"]]
        log(f"{len(checks) - len(missed)} of {len(checks)} targets met in {elapsed:.0f} s")
        return 1 if missed else 0


def write_readme(text: str) -> None:
    """Our part of bench/README.md; the "## Soak" section (make soak) is kept as it is."""
    readme = ROOT / "bench" / "README.md"
    old = readme.read_text() if readme.exists() else ""
    start = old.find("## Soak\n")
    soak = old[start:] if start != -1 else ""
    readme.write_text(text.rstrip("\n") + ("\n\n" + soak if soak else "\n"))


def _raw(server: Server, path: str) -> bytes:
    return request(server, "GET", path)[2]


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10, help="per scenario (default 10)")
    parser.add_argument("--quick", action="store_true", help="3 s per scenario, for trying it out")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-write", action="store_true", help="leave bench/README.md alone")
    parser.add_argument("--only", default="sqlite,scale,postgres",
                        help="comma-separated parts to run (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    args = parser.parse_args()
    return Bench(args).main()


if __name__ == "__main__":
    sys.exit(main())
