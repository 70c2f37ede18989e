"""Optional sampling profile of the app's workers under load (`python -m bench.run --profile`).

py-spy (`pip install py-spy`, not a dependency of the app) samples every worker while wrk
drives one scenario; the samples are summed by where the time is spent: our code, SQLAlchemy,
pydantic, FastAPI/Starlette, Jinja2, asyncpg, the event loop. Profiling slows the app down, so
these runs are never the measured ones.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^:()]+)(?::\d+)?\)$")
# First match wins: the package a sampled frame belongs to.
CATEGORIES = (
    ("app: templates (Jinja2)", ("jinja2/", "/templates/")),
    ("SQLAlchemy", ("sqlalchemy/",)),
    ("SQLModel", ("sqlmodel/",)),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("FastAPI", ("fastapi/",)),
    ("Starlette", ("starlette/",)),
    ("asyncpg", ("asyncpg/",)),
    ("uvicorn/httptools", ("uvicorn/", "httptools/")),
    ("PyJWT", ("jwt/",)),
    ("app code", ("/app/",)),
    ("asyncio/uvloop", ("asyncio/", "uvloop/")),
)


def available() -> bool:
    return shutil.which("py-spy", path=str(Path(sys.executable).parent)) is not None or bool(
        shutil.which("py-spy")
    )


def _py_spy() -> str:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else "py-spy"


def start(pid: int, seconds: int, output: Path) -> subprocess.Popen[bytes]:
    command = [
        _py_spy(), "record", "--pid", str(pid), "--subprocesses", "--nonblocking",
        "--rate", "200", "--duration", str(seconds), "--format", "raw", "--output", str(output),
    ]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


# Inclusive shares of a few things worth knowing by name.
MARKERS = (
    ("sync dependency run in the threadpool", "run_in_threadpool (starlette/concurrency.py"),
    ("FastAPI dependency solving", "solve_dependencies (fastapi/"),
    ("SQLAlchemy ORM row loading", "sqlalchemy/orm/loading.py"),
    ("SQLAlchemy statement compile/cache key", "sqlalchemy/sql/"),
    ("asyncpg: opening connections", "connect_utils.py"),
    ("asyncpg: closing connections", "Connection.close (asyncpg/"),
    ("pydantic validation", "model_validate"),
    ("response serialization", "serialize_response (fastapi/"),
    ("Jinja2 rendering", "jinja2/"),
    ("JWT decode", "jwt/api_jwt.py"),
    ("Jinja2 template mtime checks (auto_reload)", "uptodate (jinja2/"),
    ("cookie parsing", "http/cookies.py"),
)
# Leaf frames of threads that wait for work (the event loop's selector, idle pool threads).
# uvloop waits in C, so its idle time shows as the Python frame that started the loop.
IDLE = (
    "Condition.wait (threading.py",
    "select (selectors.py",
    "poll (selectors.py",
    "Runner.run (asyncio/runners.py",
)


def _category(file: str) -> str:
    for name, markers in CATEGORIES:
        if any(marker in file for marker in markers):
            return name
    return "other (stdlib, C)"


def summarize(path: Path, top: int = 12) -> dict[str, Any]:
    """Self time by package, inclusive time by package, and the hottest functions (self)."""
    self_time: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    markers: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [FRAME.match(frame) for frame in stack.split(";")]
        parsed = [(m["function"], m["file"]) for m in frames if m]
        if not parsed:
            continue
        if stack.rsplit(";", 1)[-1].startswith(IDLE):
            continue
        function, file = parsed[-1]
        total += count
        for name, marker in MARKERS:
            if marker in stack:
                markers[name] += count
        self_time[_category(file)] += count
        short = re.sub(r"^.*/site-packages/", "", file)
        short = re.sub(r"^.*/(app|bench)/", r"\1/", short)
        functions[f"{function} ({short})"] += count
        for category in {_category(f) for _, f in parsed}:
            inclusive[category] += count
    if not total:
        return {"samples": 0}
    return {
        "samples": total,
        "self": {name: round(n / total, 3) for name, n in self_time.most_common()},
        "inclusive": {name: round(n / total, 3) for name, n in inclusive.most_common()},
        "markers": {name: round(n / total, 3) for name, n in markers.most_common()},
        "functions": [
            {"function": name, "self": round(n / total, 3)}
            for name, n in functions.most_common(top)
        ],
    }
