"""`make run` with the seed's `.env` copied verbatim: it starts, the login page and the static
files answer a stranger, and every other page sends them to the login.

The `.env` is read from the project's root, so the run happens in a scratch copy of the files
`make run` needs: a `.env` in the real working tree would be read by every other test's Settings.
The copy uses the project's virtualenv (never rebuilt: make is told it is up to date).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.core.config import PROJECT_ROOT, Settings
from tests.ops.test_make_run import STARTUP_SECONDS, _free_port, _postgres_running

# The seed's file, byte for byte.
SEED_ENV = """\
EXCLUDED_PATHS = ["/auth/login", "/docs", "/openapi.json", "/redoc"]
SECRET_KEY = ""
ALGORITHM = "HS256"
ACCESS_TOKEN_EXPIRE_MINUTES = 60
DB_USER=
DB_PASSWORD=
DB_HOST=
DB_PORT=
DB_NAME=
"""
NEEDED = ("app", "migrations", "alembic.ini", "Makefile", "pyproject.toml", "requirements.lock")
VENV = PROJECT_ROOT / ".venv"


@pytest.fixture
def seed_copy() -> Iterator[Path]:
    """The project's files and the seed's `.env`, under var/ (the embedded server, run as its
    own OS user when root starts it, can reach that; pytest's tmp is private to root)."""
    root = PROJECT_ROOT / "var" / f"test-seed-env-{os.getpid()}"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    try:
        for name in NEEDED:
            source = PROJECT_ROOT / name
            if source.is_dir():
                shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, root / name)
        (root / ".env").write_text(SEED_ENV)
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _environment(port: int) -> dict[str, str]:
    # Every setting comes from the copied .env; none from the runner's shell.
    env = {
        key: value
        for key, value in os.environ.items()
        if key.lower() not in Settings.model_fields
        and not key.startswith(("TEST_DATABASE_URL", "MAKE", "MFLAGS"))
    }
    env.update(
        PORT=str(port),
        ARGON2_MEMORY_COST="19456",
        ARGON2_TIME_COST="2",
        ARGON2_PARALLELISM="1",
    )
    return env


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


def _stop_with_ctrl_c(process: subprocess.Popen[bytes]) -> None:
    """Ctrl-C in a terminal reaches make and the server alike: the whole process group."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_make_run_starts_with_the_seeds_env(seed_copy: Path, tmp_path: Path) -> None:
    port = _free_port()
    log = tmp_path / "run.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            # VENV points make at the project's virtualenv; -o: never remake it, nor install the
            # front-end packages (only /docs needs them, and this test does not open it).
            [
                "make",
                "run",
                f"VENV={VENV}",
                "-o",
                f"{VENV}/.installed",
                "-o",
                "node_modules/.installed",
            ],
            cwd=seed_copy,
            env=_environment(port),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_up(server, port, log)
        base = f"http://127.0.0.1:{port}"
        login = httpx.get(base + "/auth/login", follow_redirects=False)
        assert login.status_code == 200, login.text
        assert 'name="password"' in login.text
        css = httpx.get(base + "/static/app.css", follow_redirects=False)
        assert css.status_code == 200
        assert css.headers["content-type"].startswith("text/css")
        dashboard = httpx.get(base + "/dashboard", follow_redirects=False)
        assert dashboard.status_code == 303
        assert dashboard.headers["location"] == "/auth/login?next=%2Fdashboard"
        # The seed's list adds the API documentation to what is public.
        assert httpx.get(base + "/openapi.json").status_code == 200
    finally:
        _stop_with_ctrl_c(server)
    output_text = log.read_text()
    assert "Configuration error" not in output_text, output_text
    assert "Traceback" not in output_text, output_text
    # It ran the copy (its own var/ and embedded database), and Ctrl-C stopped that database.
    assert str(seed_copy / "var" / "pg") in output_text, output_text
    assert not _postgres_running(seed_copy / "var" / "pg")
