"""The load benchmark (`make bench`): generate or reuse the datasets, start the real app the way
production would (uvicorn, several workers) and the limit app, log real users in, drive the hot
paths with wrk, and write a Markdown + JSON report to bench/results/.

    python -m bench.run                 # 1% and 100%: growth, limit ratios, writes (~10 min)
    python -m bench.run --quick         # 1% only, short runs, everything once (development)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import resource
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from app.core.config import PROJECT_ROOT
from bench import limit_app, profile, report
from bench.content import build_templates, json_text, template_index
from bench.generate import DEFAULT_SEED, SHARED_PASSWORD, Marker, ensure_dataset
from bench.pgserver import BenchServer, create_database, database_name, drop_database, start_server

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
WORK_DIR = PROJECT_ROOT / "var" / "bench-run"
LUA_SCRIPT = PROJECT_ROOT / "bench" / "wrk" / "rotate.lua"
APP_ROLE = "tutor_app"
REAL_PORT, LIMIT_PORT = 8791, 8792
ASSIGN_BATCH = 30


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    kind: str  # "read" (compared with the limit app) or "write"


SCENARIOS = (
    Scenario("student_todo", "Student: assignment list (todo)", "read"),
    Scenario("student_assignment", "Student: one assignment with its lesson", "read"),
    Scenario("teacher_students", "Teacher: student list", "read"),
    Scenario("teacher_student_assignments", "Teacher: one student's assignments", "read"),
    Scenario("dashboard_teacher", "Teacher dashboard (HTML)", "read"),
    Scenario("dashboard_student", "Student dashboard (HTML)", "read"),
    Scenario("submit", "Student: submit a quiz (grading)", "write"),
    Scenario("assign_bulk", "Teacher: assign a lesson to 30 students", "write"),
)


@dataclass
class Options:
    scales: list[float]
    limit_scales: list[float]
    write_scales: list[float]
    duration: int
    warmup: int
    read_connections: int
    write_connections: int
    workers: int
    students: int
    teachers: int
    assign_teachers: int
    seed: int
    quick: bool
    only: list[str] = field(default_factory=list)
    app_env: dict[str, str] = field(default_factory=dict)
    output: str = str(RESULTS_DIR)
    profile: bool = False
    # Seconds the whole run may spend waiting for other jobs on the host to calm down.
    quiet_budget: float = 120.0


@dataclass
class Session:
    user_id: int
    cookie: str
    csrf: str


@dataclass
class Phase:
    """One scale: its dataset, users, and the request files of every scenario."""

    scale: float
    marker: Marker
    database: str
    students: list[dict[str, Any]] = field(default_factory=list)
    teachers: list[dict[str, Any]] = field(default_factory=list)
    # Teachers with at least ASSIGN_BATCH students, who do the bulk assignments.
    assigners: list[dict[str, Any]] = field(default_factory=list)
    sessions: dict[int, Session] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    warmup_files: dict[str, Path] = field(default_factory=dict)
    entry_counts: dict[str, int] = field(default_factory=dict)


# --- processes


def _venv_python() -> str:
    return sys.executable


def _app_env(
    server: BenchServer, database: str, secret: str, extra: dict[str, str]
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DB_", "APP_DB", "DATABASE_URL", "APP_DATABASE_URL"))
    }
    env.update(
        ENVIRONMENT="production",
        SECRET_KEY=secret,
        DATABASE_URL=server.dsn(database),
        APP_DATABASE_URL=server.dsn(database, APP_ROLE),
        BENCH_APP_DSN=server.dsn(database, APP_ROLE),
        # The whole run fits in one access token: renewal is not what is measured.
        ACCESS_TOKEN_EXPIRE_MINUTES="240",  # noqa: S106 - minutes, not a secret
        PYTHONWARNINGS="ignore",
    )
    env.update(extra)
    return env


@contextmanager
def serve(target: str, port: int, workers: int, env: dict[str, str]) -> Iterator[psutil.Process]:
    """uvicorn with N worker processes (uvloop, httptools, no access log), stopped at the end."""
    command = [
        _venv_python(), "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers), "--no-access-log", "--log-level", "warning",
        "--loop", "uvloop", "--http", "httptools",
    ]  # fmt: skip
    log = open(WORK_DIR / f"{target.split(':')[0].replace('.', '_')}.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)  # noqa: S603
    try:
        wait_healthy(port, process, f"{WORK_DIR}/*.log")
        yield psutil.Process(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_healthy(port: int, process: subprocess.Popen[bytes], logs: str) -> None:
    """Until the server on 127.0.0.1:`port` answers /healthz (60 s at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited; see {logs}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server on port {port} did not become healthy")


def workers_of(master: psutil.Process) -> list[psutil.Process]:
    return [
        child
        for child in master.children(recursive=True)
        if "resource_tracker" not in " ".join(child.cmdline())
    ]


def _rss(master: psutil.Process) -> list[float]:
    """Resident memory of each worker, MB."""
    return [round(worker.memory_info().rss / 2**20, 1) for worker in workers_of(master)]


def _cpu(processes: list[psutil.Process]) -> float:
    total = 0.0
    for process in processes:
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def _postgres_cpu(postmaster: psutil.Process) -> float:
    """The server's CPU: its live processes plus the exited ones the postmaster has reaped
    (connections the pool closed during the run)."""
    times = postmaster.cpu_times()
    return (
        times.user + times.system + times.children_user + times.children_system
        + _cpu(postmaster.children())
    )  # fmt: skip


def _busy_cpu() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- users, sessions and request files


async def _owner_fetch(server: BenchServer, database: str, sql: str, *args: Any) -> list[Any]:
    connection = await server.connect(database)
    try:
        return list(await connection.fetch(sql, *args))
    finally:
        await connection.close()


async def pick_users(server: BenchServer, phase: Phase, options: Options) -> None:
    rng = random.Random(f"{options.seed}:users")  # noqa: S311 - sampling, not security
    students = await _owner_fetch(
        server,
        phase.database,
        "SELECT s.id AS student_id, s.user_id, s.teacher_id, u.email FROM students s"
        " JOIN users u ON u.id = s.user_id ORDER BY s.id",
    )
    teachers = await _owner_fetch(
        server,
        phase.database,
        "SELECT u.id AS user_id, u.email, count(s.id) AS students FROM users u"
        " JOIN students s ON s.teacher_id = u.id WHERE u.role = 'teacher' GROUP BY u.id"
        " ORDER BY u.id",
    )
    phase.students = [dict(r) for r in rng.sample(students, min(options.students, len(students)))]
    phase.teachers = [dict(r) for r in rng.sample(teachers, min(options.teachers, len(teachers)))]
    if phase.scale in options.write_scales:
        big = [dict(r) for r in teachers if r["students"] >= ASSIGN_BATCH]
        phase.assigners = rng.sample(big, min(options.assign_teachers, len(big)))


async def log_in(phase: Phase, port: int) -> float:
    """Real logins through POST /api/v1/auth/login; returns the seconds it took."""
    started = time.monotonic()
    people = [(s["user_id"], s["email"]) for s in phase.students]
    people += [(t["user_id"], t["email"]) for t in phase.teachers]
    chosen = {user_id for user_id, _ in people}
    people += [(t["user_id"], t["email"]) for t in phase.assigners if t["user_id"] not in chosen]
    semaphore = asyncio.Semaphore(8)

    async def one(user_id: int, email: str) -> None:
        # A client per login: each person has their own cookie jar, like a browser.
        async with (
            semaphore,
            httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client,
        ):
            response = await client.post(
                "/api/v1/auth/login", json={"email": email, "password": SHARED_PASSWORD}
            )
        if response.status_code != 200:
            raise SystemExit(f"login of {email} failed: {response.status_code} {response.text}")
        access = response.cookies["access_token"]
        csrf = response.cookies["csrftoken"]
        phase.sessions[user_id] = Session(user_id, f"access_token={access}; csrftoken={csrf}", csrf)

    await asyncio.gather(*(one(user_id, email) for user_id, email in people))
    return time.monotonic() - started


def _line(method: str, path: str, session: Session, body: str = "") -> str:
    return f"{method}\t{path}\t{session.cookie}\t{session.csrf if method != 'GET' else ''}\t{body}"


async def write_request_files(server: BenchServer, phase: Phase, options: Options) -> None:
    rng = random.Random(f"{options.seed}:requests")  # noqa: S311 - sampling, not security
    templates = build_templates(options.seed)
    student_ids = [s["student_id"] for s in phase.students]
    teacher_of = {s["student_id"]: s["teacher_id"] for s in phase.students}
    assignments = await _owner_fetch(
        server,
        phase.database,
        "SELECT a.student_id, a.id, a.lesson_id, a.status FROM lesson_assignments a"
        " JOIN unnest($1::bigint[], $2::bigint[]) AS t(teacher_id, student_id)"
        " ON a.teacher_id = t.teacher_id AND a.student_id = t.student_id ORDER BY a.id",
        [teacher_of[sid] for sid in student_ids],
        student_ids,
    )
    by_student: dict[int, list[Any]] = {}
    for row in assignments:
        by_student.setdefault(row["student_id"], []).append(row)
    lines: dict[str, list[str]] = {scenario.name: [] for scenario in SCENARIOS}
    submits = []
    for student in phase.students:
        session = phase.sessions[student["user_id"]]
        lines["student_todo"].append(_line("GET", "/api/v1/assignments?bucket=todo", session))
        lines["dashboard_student"].append(_line("GET", "/dashboard", session))
        mine = by_student.get(student["student_id"], [])
        for row in rng.sample(mine, min(3, len(mine))):
            lines["student_assignment"].append(
                _line("GET", f"/api/v1/assignments/{row['id']}", session)
            )
        for row in mine:
            if row["status"] in ("assigned", "in_progress"):
                answers = templates[template_index(row["lesson_id"])].answer_sets[1].answers
                body = json_text({"answers": answers, "time_spent_seconds": 60})
                submits.append(
                    _line("POST", f"/api/v1/assignments/{row['id']}/submit", session, body)
                )
    lines["submit"] = submits

    teacher_ids = [t["user_id"] for t in phase.teachers]
    roster = await _owner_fetch(
        server,
        phase.database,
        "SELECT teacher_id, id FROM students WHERE teacher_id = ANY($1::bigint[]) ORDER BY id",
        teacher_ids,
    )
    students_of: dict[int, list[int]] = {}
    for row in roster:
        students_of.setdefault(row["teacher_id"], []).append(row["id"])
    for teacher in phase.teachers:
        session = phase.sessions[teacher["user_id"]]
        lines["teacher_students"].append(_line("GET", "/api/v1/students", session))
        lines["dashboard_teacher"].append(_line("GET", "/dashboard", session))
        mine = students_of.get(teacher["user_id"], [])
        for sid in rng.sample(mine, min(3, len(mine))):
            lines["teacher_student_assignments"].append(
                _line("GET", f"/api/v1/assignments?student_id={sid}", session)
            )
    lines["assign_bulk"] = await _assign_lines(server, phase, rng)

    WORK_DIR.mkdir(parents=True, exist_ok=True)
    writes = {scenario.name for scenario in SCENARIOS if scenario.kind == "write"}
    for name, entries in lines.items():
        if name != "assign_bulk":  # already in its order
            rng.shuffle(entries)
        stem = WORK_DIR / f"{database_name(phase.scale)}-{name}"
        # Writes warm up on lines of their own: the measured run must never repeat a submit
        # (a repeat is an idempotent no-op, cheap, and would flatter the numbers).
        measured = len(entries) - len(entries) // 5 if name in writes else len(entries)
        path = stem.with_suffix(".tsv")
        path.write_text("\n".join(entries[:measured]) + "\n")
        phase.files[name] = path
        phase.warmup_files[name] = path
        if measured < len(entries):
            phase.warmup_files[name] = stem.with_name(stem.name + "-warmup.tsv")
            phase.warmup_files[name].write_text("\n".join(entries[measured:]) + "\n")
        phase.entry_counts[name] = measured


async def _assign_lines(server: BenchServer, phase: Phase, rng: random.Random) -> list[str]:
    """Requests of 30 students each: per (teacher, published lesson) the students who do not
    have it yet, in chunks of 30 (a last short chunk is topped up with students who have it,
    which the app skips with ON CONFLICT DO NOTHING), so nearly every row is a real insert."""
    if not phase.assigners:
        return []
    teacher_ids = [t["user_id"] for t in phase.assigners]
    roster: dict[int, list[int]] = {}
    for row in await _owner_fetch(
        server,
        phase.database,
        "SELECT teacher_id, id FROM students WHERE teacher_id = ANY($1::bigint[]) ORDER BY id",
        teacher_ids,
    ):
        roster.setdefault(row["teacher_id"], []).append(row["id"])
    rows = await _owner_fetch(
        server,
        phase.database,
        """
        SELECT l.teacher_id, l.id AS lesson_id,
               array_agg(s.id ORDER BY s.id) FILTER (WHERE a.id IS NULL) AS lacking
        FROM lessons l
        JOIN students s ON s.teacher_id = l.teacher_id
        LEFT JOIN lesson_assignments a
          ON a.teacher_id = l.teacher_id AND a.lesson_id = l.id AND a.student_id = s.id
        WHERE l.teacher_id = ANY($1::bigint[]) AND l.status = 'published'
        GROUP BY l.teacher_id, l.id ORDER BY l.teacher_id, l.id
        """,
        teacher_ids,
    )
    chunks: list[tuple[int, float, str]] = []
    for row in rows:
        lacking = list(row["lacking"] or [])
        session = phase.sessions[row["teacher_id"]]
        for start in range(0, len(lacking), ASSIGN_BATCH):
            chunk = lacking[start : start + ASSIGN_BATCH]
            real = len(chunk)
            if real < ASSIGN_BATCH:
                others = sorted(set(roster[row["teacher_id"]]) - set(lacking))
                chunk += rng.sample(others, min(len(others), ASSIGN_BATCH - real))
            body = json_text({"lesson_id": row["lesson_id"], "student_ids": chunk})
            line = _line("POST", "/api/v1/assignments", session, body)
            chunks.append((real, rng.random(), line))
    # Most new rows first (the file is read from the top; writes warm up on its tail).
    chunks.sort(key=lambda item: (-item[0], item[1]))
    return [line for _, _, line in chunks]


# --- one wrk run


@dataclass
class Measured:
    wrk: dict[str, Any]
    cpu: dict[str, float]
    statements: dict[str, Any]
    started_at: datetime


def _wrk(path: Path, port: int, connections: int, seconds: int) -> dict[str, Any]:
    threads = min(2, connections)
    command = [
        "wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
        "-s", str(LUA_SCRIPT), f"http://127.0.0.1:{port}", "--", str(path), str(threads),
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603
    for line in output.stdout.splitlines():
        if line.startswith("WRK_JSON "):
            result: dict[str, Any] = json.loads(line.removeprefix("WRK_JSON "))
            return result
    raise SystemExit(f"wrk printed no summary:\n{output.stdout}\n{output.stderr}")


async def _reset_statements(server: BenchServer, database: str) -> None:
    connection = await server.connect(database)
    try:
        await connection.execute("SELECT pg_stat_statements_reset()")
    finally:
        await connection.close()


async def _statements(server: BenchServer, database: str, requests: int) -> dict[str, Any]:
    rows = await _owner_fetch(
        server,
        database,
        """
        SELECT calls, total_exec_time, mean_exec_time, total_plan_time, plans, rows, query
        FROM pg_stat_statements
        WHERE userid = $1::regrole AND dbid = (SELECT oid FROM pg_database WHERE datname = $2)
        ORDER BY total_exec_time DESC
        """,
        APP_ROLE,
        database,
    )
    calls = sum(row["calls"] for row in rows)
    db_ms = sum(row["total_exec_time"] for row in rows)
    plan_ms = sum(row["total_plan_time"] for row in rows)
    top = [
        {
            "per_request": round(row["calls"] / max(requests, 1), 2),
            "mean_ms": round(row["mean_exec_time"], 3),
            "plan_ms": round(row["total_plan_time"] / max(row["calls"], 1), 3),
            "share": round(row["total_exec_time"] / db_ms, 3) if db_ms else 0,
            "query": re.sub(r"\s+", " ", row["query"])[:160],
        }
        for row in rows[:6]
    ]
    frequent = [row for row in rows if row["calls"] >= requests / 2]
    return {
        "sql": sorted({_normalized(row["query"]) for row in frequent} - {"BEGIN", "COMMIT"}),
        "per_request": round(calls / max(requests, 1), 2),
        "db_ms_per_request": round(db_ms / max(requests, 1), 3),
        "plan_ms_per_request": round(plan_ms / max(requests, 1), 3),
        "top": top,
    }


QUIET_CORES = 0.3


async def wait_for_quiet(options: Options) -> float:
    """Before a measured run, wait (within the run's budget) until the rest of the host uses
    less than QUIET_CORES; returns the busy cores found at the start."""
    while True:
        busy = await asyncio.to_thread(psutil.cpu_percent, 1.0) * (os.cpu_count() or 1) / 100
        if busy < QUIET_CORES or options.quiet_budget <= 0:
            return round(busy, 2)
        await asyncio.sleep(2)
        options.quiet_budget -= 3


def _normalized(query: str) -> str:
    """A statement as pg_stat_statements shows it, minus what may differ between two clients
    sending the same SQL: literals, parameter numbers and casts, comments, white space."""
    query = re.sub(r"/\*.*?\*/", "", query)
    query = re.sub(r"'[^']*'", "?", query)
    query = re.sub(r"\$\d+(::[A-Za-z ]+(\([\d, ]+\))?)?", "?", query)
    query = re.sub(r"\b\d+\b", "?", query)
    return re.sub(r"\s+", " ", query).strip()


async def measure(
    server: BenchServer,
    database: str,
    path: Path,
    warmup_path: Path,
    port: int,
    connections: int,
    options: Options,
    app: psutil.Process,
) -> Measured:
    host_busy = await wait_for_quiet(options)
    await asyncio.to_thread(_wrk, warmup_path, port, connections, options.warmup)
    await _reset_statements(server, database)
    postmaster = psutil.Process(server.postmaster_pid())
    app_processes = [app, *workers_of(app)]
    sessions_before = await _sessions(server, database)
    before = (_cpu(app_processes), _postgres_cpu(postmaster), _children_cpu(), _busy_cpu())
    started_at = datetime.now(UTC)
    started = time.monotonic()
    result = await asyncio.to_thread(_wrk, path, port, connections, options.duration)
    elapsed = time.monotonic() - started
    after = (_cpu(app_processes), _postgres_cpu(postmaster), _children_cpu(), _busy_cpu())
    app_cores, pg_cores, wrk_cores, busy = (
        (b - a) / elapsed for a, b in zip(before, after, strict=True)
    )
    cpu = {
        "host_busy_before": host_busy,
        "app": round(app_cores, 2),
        "postgres": round(pg_cores, 2),
        "wrk": round(wrk_cores, 2),
        "other": round(max(0.0, busy - app_cores - pg_cores - wrk_cores), 2),
    }
    statements = await _statements(server, database, result["requests"])
    # Sessions opened during the run (minus the one this query opens): a pool that keeps
    # closing and reopening connections shows up here.
    statements["new_connections"] = await _sessions(server, database) - sessions_before - 1
    return Measured(result, cpu, statements, started_at)


async def _sessions(server: BenchServer, database: str) -> int:
    rows = await _owner_fetch(
        server,
        database,
        "SELECT sessions FROM pg_stat_database WHERE datname = current_database()",
    )
    return int(rows[0][0])


def summarize(measured: Measured, connections: int) -> dict[str, Any]:
    wrk = measured.wrk
    seconds = wrk["duration_us"] / 1e6
    errors = wrk["errors"]
    socket_errors = errors["connect"] + errors["read"] + errors["write"] + errors["timeout"]
    latency = wrk["latency_us"]
    return {
        "connections": connections,
        "requests": wrk["requests"],
        "rps": round(wrk["requests"] / seconds, 1),
        "p50_ms": round(latency["p50"] / 1000, 2),
        "p95_ms": round(latency["p95"] / 1000, 2),
        "p99_ms": round(latency["p99"] / 1000, 2),
        "max_ms": round(latency["max"] / 1000, 2),
        "errors": socket_errors + wrk["non_2xx"] + wrk["redirects"],
        "error_detail": {**errors, "non_2xx": wrk["non_2xx"], "redirects": wrk["redirects"]},
        "wraps": wrk["wraps"],
        "cpu_cores": measured.cpu,
        "statements": measured.statements,
    }


# --- EXPLAIN, as the app role with the tenant set


def _now() -> datetime:
    return datetime.now(UTC)


EXPLAIN_CASES = (
    ("student todo list (page)", "student", "todo_page"),
    ("one assignment (student)", "student", "one"),
    ("teacher: one student's assignments (page)", "teacher", "teacher_page"),
    ("RLS alone: count(*) of lesson_assignments as the teacher, no WHERE", "teacher", "rls"),
)


async def explain(server: BenchServer, phase: Phase) -> list[dict[str, Any]]:
    student = phase.students[0]
    teacher_id = student["teacher_id"]
    assignment = await _owner_fetch(
        server,
        phase.database,
        "SELECT id FROM lesson_assignments WHERE teacher_id = $1 AND student_id = $2 LIMIT 1",
        teacher_id,
        student["student_id"],
    )
    page = {"teacher_id": teacher_id, "student_id": student["student_id"], "now": _now()}
    page.update(page_limit=50, page_offset=0)
    one = limit_app.ONE_ASSIGNMENT
    statements = {
        "todo_page": (limit_app.LISTS["todo"].sql, limit_app.LISTS["todo"].args(**page)),
        "one": (
            one.sql,
            one.args(
                teacher_id=teacher_id,
                assignment_id=assignment[0]["id"],
                student_id=student["student_id"],
            ),
        ),
        "teacher_page": (limit_app.LISTS[None].sql, limit_app.LISTS[None].args(**page)),
        "rls": ("SELECT count(*) FROM lesson_assignments", []),
    }
    connection = await server.connect(phase.database, APP_ROLE)
    results = []
    try:
        for title, role, key in EXPLAIN_CASES:
            sql, params = statements[key]
            user_id = student["user_id"] if role == "student" else teacher_id
            for mode in ("custom", "generic"):
                async with connection.transaction():
                    await connection.execute(
                        f"SELECT set_config('app.user_id', '{user_id}', true),"
                        f" set_config('app.teacher_id', '{teacher_id}', true),"
                        f" set_config('app.role', '{role}', true)"
                    )
                    plan_mode = "force_generic_plan" if mode == "generic" else "force_custom_plan"
                    await connection.execute(f"SET LOCAL plan_cache_mode = {plan_mode}")
                    rows = await connection.fetch(
                        f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}", *params
                    )
                plan = "\n".join(row[0] for row in rows)
                scanned = sorted(
                    {
                        found
                        for line in plan.splitlines()
                        if "never executed" not in line
                        for found in re.findall(r" on (lesson_assignments_p\d\d)", line)
                    }
                )
                removed = [int(n) for n in re.findall(r"Subplans Removed: (\d+)", plan)]
                results.append(
                    {
                        "title": title,
                        "plan_mode": mode,
                        "partitions_scanned": scanned,
                        "subplans_removed": removed,
                        "plan": plan,
                    }
                )
    finally:
        await connection.close()
    return results


# --- the run


async def prepare_phase(server: BenchServer, scale: float, options: Options) -> Phase:
    marker = await ensure_dataset(server, scale, options.seed)
    source = database_name(scale)
    database = f"{source}_run"
    started = time.monotonic()
    await drop_database(server, database)
    await create_database(server, database, template=source)
    connection = await server.connect(database)
    try:
        await connection.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
    finally:
        await connection.close()
    print(f"  fresh copy {database} in {time.monotonic() - started:.1f}s")
    phase = Phase(scale=scale, marker=marker, database=database)
    await pick_users(server, phase, options)
    return phase


def _print_result(label: str, summary: dict[str, Any]) -> None:
    cpu = summary["cpu_cores"]
    print(
        f"    {label:<38} {summary['rps']:>8.1f} req/s  p50 {summary['p50_ms']:>6.2f}  "
        f"p95 {summary['p95_ms']:>6.2f}  p99 {summary['p99_ms']:>6.2f} ms  "
        f"err {summary['errors']}  cpu app {cpu['app']} pg {cpu['postgres']} "
        f"wrk {cpu['wrk']} other {cpu['other']}"
    )


async def run_phase(
    server: BenchServer, scale: float, options: Options, secret: str
) -> dict[str, Any]:
    print(f"Scale {scale:g}:")
    phase = await prepare_phase(server, scale, options)
    env = _app_env(server, phase.database, secret, options.app_env)
    with_limit = scale in options.limit_scales
    with_writes = scale in options.write_scales
    results: dict[str, Any] = {"scale": scale, "scenarios": {}}
    with ExitStack() as stack:
        results["code"] = report.code_fingerprint()
        real = stack.enter_context(serve("app.main:app", REAL_PORT, options.workers, env))
        rss_started = _rss(real)
        seconds = await log_in(phase, REAL_PORT)
        rss_logged_in = _rss(real)
        print(f"  logged in {len(phase.sessions)} users in {seconds:.1f}s")
        await write_request_files(server, phase, options)
        limit = None
        if with_limit:
            limit = stack.enter_context(
                serve("bench.limit_app:app", LIMIT_PORT, options.workers, env)
            )
        for scenario in SCENARIOS:
            if scenario.kind == "write" and not with_writes:
                continue
            if options.only and scenario.name not in options.only:
                continue
            read = scenario.kind == "read"
            connections = options.read_connections if read else options.write_connections
            path = phase.files[scenario.name]
            warmup_path = phase.warmup_files[scenario.name]
            entry: dict[str, Any] = {
                "title": scenario.title,
                "kind": scenario.kind,
                "entries": phase.entry_counts[scenario.name],
            }
            measured = await measure(
                server, phase.database, path, warmup_path, REAL_PORT, connections, options, real
            )
            entry["real"] = summarize(measured, connections)
            _print_result(f"{scenario.name} (app)", entry["real"])
            if scenario.kind == "write":
                entry["rows_created"] = await _rows_since(
                    server, phase.database, measured, scenario.name
                )
            if options.profile:
                entry["profile"] = await _profile(real, path, connections, options, scenario)
            if limit is not None and read:
                measured = await measure(
                    server,
                    phase.database,
                    path,
                    warmup_path,
                    LIMIT_PORT,
                    connections,
                    options,
                    limit,
                )
                entry["limit"] = summarize(measured, connections)
                _print_result(f"{scenario.name} (limit)", entry["limit"])
                entry["ratio"] = round(entry["real"]["rps"] / entry["limit"]["rps"], 3)
                app_sql = set(entry["real"]["statements"]["sql"])
                limit_sql = set(entry["limit"]["statements"]["sql"])
                entry["same_sql"] = app_sql == limit_sql
                if not entry["same_sql"]:
                    print(f"      the limit app's SQL differs from the app's for {scenario.name}")
                    entry["sql_only_in_app"] = sorted(app_sql - limit_sql)
                    entry["sql_only_in_limit"] = sorted(limit_sql - app_sql)
            results["scenarios"][scenario.name] = entry
        results["rss_mb"] = {
            "app": _rss(real),
            "app_at_start": rss_started,
            "app_after_logins": rss_logged_in,
            "limit": _rss(limit) if limit else [],
        }
    results["explain"] = await explain(server, phase)
    # The copy has served its purpose (the dataset itself stays for the next run).
    await drop_database(server, phase.database)
    results["dataset"] = {
        "database": database_name(scale),
        "generated_at": phase.marker.generated_at,
        "generation_seconds": phase.marker.generation_seconds,
        "counts": phase.marker.counts,
        "size_gb": round(phase.marker.database_bytes / 1e9, 2),
        "sampled_students": len(phase.students),
        "sampled_teachers": len(phase.teachers),
        "login_seconds": round(seconds, 1),
    }
    return results


async def _profile(
    app: psutil.Process, path: Path, connections: int, options: Options, scenario: Scenario
) -> dict[str, Any]:
    """An extra (unmeasured) run of the scenario with py-spy sampling every worker."""
    output = WORK_DIR / f"profile-{path.stem}.txt"
    sampler = profile.start(app.pid, options.duration + 1, output)
    await asyncio.sleep(1)
    await asyncio.to_thread(_wrk, path, REAL_PORT, connections, options.duration)
    await asyncio.to_thread(sampler.wait)
    summary = profile.summarize(output)
    print(f"      profile {scenario.name}: {summary.get('inclusive')}")
    return summary


async def _rows_since(server: BenchServer, database: str, measured: Measured, name: str) -> int:
    """Rows the measured run really wrote: attempts for submits, assignments for bulk assigning
    (a repeated submit or an already assigned student writes nothing)."""
    sql = {
        "submit": "SELECT count(*) FROM assignment_attempts WHERE submitted_at >= $1",
        "assign_bulk": "SELECT count(*) FROM lesson_assignments WHERE assigned_at >= $1",
    }[name]
    rows = await _owner_fetch(server, database, sql, measured.started_at)
    return int(rows[0][0])


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is missing: `apt-get install wrk` (make bench installs it)")
    output = subprocess.run(["wrk", "-v"], capture_output=True, text=True)  # noqa: S607
    return output.stdout.split("\n")[0].split(" Copyright")[0]


def parse_options() -> tuple[Options, bool]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1%% only, 5 s runs")
    parser.add_argument("--duration", type=int, help="measured seconds per scenario (15)")
    parser.add_argument("--warmup", type=int, help="warm-up seconds per scenario (3)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--read-connections", type=int, default=32)
    parser.add_argument("--write-connections", type=int, default=16)
    parser.add_argument("--students", type=int, default=400, help="students logged in")
    parser.add_argument("--teachers", type=int, default=200, help="teachers logged in")
    parser.add_argument(
        "--assign-teachers", type=int, default=400, help="teachers logged in for bulk assigning"
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--keep-server", action="store_true")
    parser.add_argument(
        "--quiet-budget",
        type=float,
        help="seconds the run may wait for other jobs on the host to go quiet (120; quick 20)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="also sample the app with py-spy (extra runs)"
    )
    parser.add_argument(
        "--scale", type=float, action="append", help="run only these scales (repeatable)"
    )
    parser.add_argument("--only", help="comma-separated scenario names")
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra settings for both apps, e.g. DB_POOL_SIZE=20 (experiments)",
    )
    parser.add_argument(
        "--output",
        help="where the report goes (bench/results; --quick: var/bench-run/quick-results)",
    )
    args = parser.parse_args()
    if args.quick:
        scales, limit_scales, write_scales = [0.01], [0.01], [0.01]
    else:
        scales, limit_scales, write_scales = [0.01, 1.0], [1.0], [1.0]
    if args.scale:
        scales = sorted(args.scale)
        limit_scales = write_scales = [scales[-1]]
    return Options(
        scales=scales,
        limit_scales=limit_scales,
        write_scales=write_scales,
        duration=args.duration or (5 if args.quick else 15),
        warmup=args.warmup or (1 if args.quick else 3),
        read_connections=args.read_connections,
        write_connections=args.write_connections,
        workers=args.workers,
        students=args.students,
        teachers=args.teachers,
        assign_teachers=args.assign_teachers,
        seed=args.seed,
        quick=args.quick,
        only=[name for name in (args.only or "").split(",") if name],
        app_env=dict(item.split("=", 1) for item in args.app_env),
        output=args.output or str(WORK_DIR / "quick-results" if args.quick else RESULTS_DIR),
        profile=args.profile,
        quiet_budget=args.quiet_budget
        if args.quiet_budget is not None
        else (20 if args.quick else 120),
    ), args.keep_server


def main() -> None:
    options, keep_server = parse_options()
    wrk_version = ensure_wrk()
    if options.profile and not profile.available():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
    started = time.monotonic()
    code_at_start = report.code_fingerprint()
    commit_at_start = report.current_commit()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    server = start_server()
    secret = secrets.token_urlsafe(48)
    try:
        phases = [
            asyncio.run(run_phase(server, scale, options, secret)) for scale in options.scales
        ]
        pg_version = asyncio.run(server.scalar("SHOW server_version"))
    finally:
        if not keep_server:
            server.stop()
    document = report.build(
        phases=phases,
        options=options.__dict__,
        wrk_version=wrk_version,
        pg_version=str(pg_version),
        total_seconds=round(time.monotonic() - started, 1),
        finished_at=datetime.now(UTC),
        code_at_start=code_at_start,
        commit_at_start=commit_at_start,
    )
    paths = report.write(document, Path(options.output))
    print(f"Report: {paths[0]} (also {paths[1].name}, latest.md, latest.json)")
    print(report.targets_summary(document))
    if document["app"]["changed_during_run"]:
        print("WARNING: the app's code changed during the run; run it again", file=sys.stderr)


if __name__ == "__main__":
    main()
