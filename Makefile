# SpinStack: the two commands are `make demo` and `make test`. Everything runs through scripts/env, which builds
# and caches the environment (a Debian sid root with Python 3.14 where the host has no Python >= 3.14.2).

ENV := scripts/env
PYTEST := $(ENV) python -m pytest
# The engine, the store, the Sonos room, the emulator and the project's shape need no Home Assistant: they run
# without its pytest plugin (which blocks sockets and
# also slows asyncio down with its debug checks), proving they do not lean on it.
PURE_TESTS := tests/engine tests/store tests/insights tests/history tests/plugins tests/forwarding tests/sonos tests/emulator tests/fakes tests/architecture
# The Home Assistant glue, with Home Assistant's own test plugin: config flow, and end to end (a real Home Assistant
# test instance, real SoCo over real HTTP against emulated speakers, a real SQLite file).
HA_TESTS := tests/integration tests/e2e
# Real Home Assistant processes (their own sockets: no test plugin): the panel in headless Chromium, and Home
# Assistant killed while it counts plays.
SYSTEM_TESTS := tests/browser tests/system
PLAYS ?= 1000000

.PHONY: test lint types unit frontend env bench demo clean help

help:
	@echo "make test    lint, types and every test (installs what it needs)"
	@echo "make bench   benchmarks, JSON on stdout (PLAYS=1000000 by default)"
	@echo "make demo    a real Home Assistant with SpinStack and emulated speakers"

env:
	@$(ENV) true

test: lint types frontend unit

# The panel (frontend/): installed from its lock file, type-checked, and rebuilt in memory; fails if the bundle
# committed in custom_components/spinstack/frontend/ differs from that build. Uses the machine's Node.js (>= 20).
frontend:
	@command -v npm >/dev/null || { echo "make frontend: Node.js >= 20 and npm are needed (Debian: apt-get install nodejs npm)" >&2; exit 1; }
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	cd frontend && npm run --silent check
	cd frontend && npm run --silent verify

lint: env
	$(ENV) ruff check .
	$(ENV) ruff format --check .

types: env
	$(ENV) mypy

unit: env
	$(ENV) rm -f .coverage .coverage.*
	$(PYTEST) -p no:homeassistant --cov --cov-report= --cov-fail-under=0 $(PURE_TESTS)
	$(PYTEST) --cov --cov-append --cov-report= --cov-fail-under=0 --timeout 120 $(HA_TESTS)
	$(PYTEST) -p no:homeassistant --timeout 300 $(SYSTEM_TESTS)
	$(ENV) python -m coverage report

bench: env
	@PLAYS=$(PLAYS) $(ENV) python -m bench

demo: env
	@$(ENV) python scripts/demo.py

clean:
	rm -rf .venv .coverage .coverage.* .mypy_cache .ruff_cache .scratch
