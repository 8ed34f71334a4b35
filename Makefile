# Kiosk build glue. Two entry points for people: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
APT := DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends
DEMO_ARGS ?=

.PHONY: demo test setup python-deps node-deps system-deps lint test-fast test-e2e test-postgres clean

demo: setup
	$(BIN)/kiosk demo $(DEMO_ARGS)

test: setup system-deps lint test-fast test-e2e test-postgres

setup: python-deps node-deps

# Debian splits venv/ensurepip out of python3; install it only when it is missing.
$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { rm -rf $(VENV); apt-get update -q && $(APT) python3-venv && $(PYTHON) -m venv $(VENV); }

$(VENV)/.deps-installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q --disable-pip-version-check uv
	$(BIN)/uv pip install -q --python $(BIN)/python -e '.[dev]'
	@touch $@

python-deps: $(VENV)/.deps-installed

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { apt-get update -q && $(APT) nodejs npm; }
	npm ci --no-audit --no-fund
	@touch $@

node-deps: node_modules/.package-lock.json

# Browser and database for the tests, from Debian's own packages (never a downloaded browser).
system-deps:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v fc-list >/dev/null || missing="$$missing fonts-dejavu-core fontconfig"; \
	if [ -n "$$missing" ]; then apt-get update -q && $(APT) $$missing; fi

lint: python-deps
	$(BIN)/ruff check kiosk tests
	$(BIN)/ruff format --check kiosk tests
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Async and HTTP tests first; Playwright's sync API leaves an event loop behind, so the browser
# tests run in a pytest process of their own.
# tests/faults starts PostgreSQL of its own (several servers, database outage): system-deps.
test-fast: setup system-deps
	$(BIN)/pytest -q -m "not e2e" -p no:playwright

test-e2e: setup system-deps
	$(BIN)/pytest -q -m e2e tests/e2e

# The same suite again on a throwaway PostgreSQL cluster (tests/conftest.py): unit, integration and
# fault tests, the soak included. The browser tests (tests/e2e) stay SQLite-only: they drive the pages
# through a browser, the database work under those pages runs on PostgreSQL in tests/integration here,
# and a second browser run would double the slowest part of `make test`.
test-postgres: setup system-deps
	KIOSK_TEST_DATABASE=postgres $(BIN)/pytest -q -m "not e2e" -p no:playwright tests/unit tests/integration tests/faults

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache
