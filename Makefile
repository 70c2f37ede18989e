# Two commands: `make run` and `make test`. Everything else is what they need.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
# The newest interpreter >= 3.11 that actually runs (a pyenv shim may exist and fail).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' >/dev/null 2>&1 \
	&& { command -v $$p; break; }; done)

.PHONY: help run test lint typecheck e2e-deps clean-var messages lock

help:
	@echo "make run   - start the platform on http://127.0.0.1:8000 (embedded PostgreSQL)"
	@echo "make test  - lint, type-check and run the whole test suite"
	@echo "make bench - the load benchmark, report in bench/results/latest.md (bench-quick: 1% only)"
	@echo "make lock  - upgrade the pinned dependencies in requirements.lock"

# Exactly the lock: every package pinned with its hashes, nothing resolved at install time.
$(VENV)/.installed: pyproject.toml requirements.lock
	@test -n "$(PYTHON)" || { echo "No Python >= 3.11 found" >&2; exit 1; }
	@echo "Using $(PYTHON) ($$($(PYTHON) --version))"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	@touch $@

# The front-end packages (/docs's Swagger UI), exactly package-lock.json, from the npm registry:
# the app serves them itself and never loads a CDN at run time. Debian's nodejs and npm when the
# machine has no npm. --ignore-scripts: no package's install script runs (swagger-ui-dist's
# dependency @scarf/scarf has one that reports the install).
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
		echo "Installing Debian's nodejs and npm for the front-end packages ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=warn
	@touch $@

# The one command that upgrades the dependencies: re-resolve pyproject.toml to the newest
# releases for Python >= 3.11 on every platform, with hashes; then `make test` and commit.
lock: $(VENV)/.installed
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
		--generate-hashes --upgrade --no-header --quiet -o requirements.lock

run: $(VENV)/.installed node_modules/.installed
	$(PY) -m app.manage serve

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy app migrations tests bench

# Browser tests drive Debian's chromium (never a downloaded browser build).
e2e-deps:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: $(VENV)/.installed node_modules/.installed e2e-deps lint typecheck
	$(PY) -m pytest

clean-var:
	rm -rf var/test-*

# Re-extract the msgids (see babel.cfg) into app/locale/messages.pot and merge them into every
# catalog under app/locale; then translate what is new or fuzzy in the ru catalog
# (tests/test_i18n.py fails until every msgid has a Russian translation).
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --ignore-dirs '.* __pycache__ var' \
		--project 'Tutor Platform' -o app/locale/messages.pot .
	$(VENV)/bin/pybabel update -i app/locale/messages.pot -d app/locale --ignore-obsolete

# The load benchmark (bench/, issue 5); never part of `make test`. Installs Debian's wrk when it
# is missing, generates (or reuses) the datasets under var/bench-pg, writes bench/results/.
.PHONY: bench bench-quick bench-deps

bench-deps:
	@command -v wrk >/dev/null 2>&1 || { \
		echo "Installing Debian's wrk for the load benchmark ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

bench: $(VENV)/.installed node_modules/.installed bench-deps
	$(PY) -m bench.run

# 1% dataset only, 5-second runs: every scenario once, for development.
bench-quick: $(VENV)/.installed node_modules/.installed bench-deps
	$(PY) -m bench.run --quick
