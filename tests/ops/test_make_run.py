"""`make run`'s command on the embedded PostgreSQL, as a newcomer runs it: no database
configured, a fresh `var/` folder; first run prints a demo admin once; Ctrl-C stops the server
and the database; the second run keeps the data."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil

from app.core.config import PROJECT_ROOT

# Settings that would point the server at another database must not leak in from outside.
DROPPED = ("DB_", "APP_DB", "APP_DATABASE_URL", "DATABASE_URL", "TEST_DATABASE_URL", "PORT")
STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _environment(var_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED)}
    env.update(
        VAR_DIR=str(var_dir),
        ARGON2_MEMORY_COST="19456",
        ARGON2_TIME_COST="2",
        ARGON2_PARALLELISM="1",
    )
    return env


def _serve(var_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "app.manage", "serve", "--port", str(port)],
        cwd=PROJECT_ROOT,
        env=_environment(var_dir),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def _wait_until_up(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("the server did not start:\n" + log.read_text())


def _postgres_running(data_dir: Path) -> bool:
    for process in psutil.process_iter(["name", "cmdline"]):
        if process.info["name"] == "postgres" and str(data_dir) in " ".join(
            process.info["cmdline"] or []
        ):
            return True
    return False


def _stop_with_ctrl_c(process: subprocess.Popen[bytes], log: Path) -> str:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return log.read_text()


def test_make_run_twice_on_the_embedded_database(tmp_path: Path) -> None:
    # Under the project's var/, like `make run`'s own (pytest's tmp is private to root, and
    # the embedded server runs as its own OS user when started by root).
    var_dir = PROJECT_ROOT / "var" / f"test-run-{os.getpid()}"
    shutil.rmtree(var_dir, ignore_errors=True)
    try:
        _run_twice(var_dir, tmp_path)
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def _run_twice(var_dir: Path, tmp_path: Path) -> None:
    port = _free_port()
    first_log = tmp_path / "first.log"
    server = _serve(var_dir, port, first_log)
    try:
        _wait_until_up(server, port, first_log)
        home = httpx.get(f"http://127.0.0.1:{port}/", follow_redirects=False)
        assert home.status_code == 303
        assert home.headers["location"].startswith("/auth/login")
        first_output = first_log.read_text()
        password = re.search(r"password:\s+(\S+)", first_output)
        assert password, first_output
        login = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"email": "admin@example.com", "password": password.group(1)},
        )
        assert login.status_code == 200, login.text
        teacher = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/teachers",
            json={
                "email": "kept@example.com",
                "password": "Kept-Teacher-1!",
                "name": "Kept",
                "surname": "Teacher",
            },
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
        assert teacher.status_code == 201, teacher.text
    finally:
        output = _stop_with_ctrl_c(server, first_log)
    assert server.returncode is not None
    assert "Stopping the embedded PostgreSQL" in output
    assert not _postgres_running(var_dir / "pg"), "Ctrl-C left PostgreSQL running"

    second_log = tmp_path / "second.log"
    server = _serve(var_dir, port, second_log)
    try:
        _wait_until_up(server, port, second_log)
        again = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/auth/login",
            json={"email": "kept@example.com", "password": "Kept-Teacher-1!"},
        )
        assert again.status_code == 200, again.text
    finally:
        output = _stop_with_ctrl_c(server, second_log)
    # The demo password is printed once, on the first run only.
    assert "password:" not in output
    assert not _postgres_running(var_dir / "pg")
