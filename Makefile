# One-Click: `make run` starts the whole platform, `make test` passes the tests.
# Both install what is missing first (uv, the locked Python environment) and are safe to repeat.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
UV_VERSION := 0.13.9
# A uv on the PATH is used as it is; otherwise one is installed into .tools/ with pip.
UV ?= $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=
# The suite runs on two workers (pytest-xdist), a test file per worker at a time, so a module's shared
# platform stays in one process; PYTEST_JOBS=0 runs it in this process.
PYTEST_JOBS ?= 2
PYTEST := $(BIN)/pytest -n $(PYTEST_JOBS) --dist loadfile

.DEFAULT_GOAL := help
.PHONY: help install runtime-install sdk-install frontend frontend-lint run test test-fast lint format typecheck catalog bench clean clean-state

help:
	@echo "make run        install what is missing, then start every service on http://127.0.0.1:8090"
	@echo "make test       install what is missing, then run the whole test suite"
	@echo "make frontend   build the web UI (npm ci + npm run build in frontend/)"
	@echo "make lint       ruff (check, format --check) and mypy; svelte-check, eslint and prettier --check for the web UI"
	@echo "make format     ruff format (and its lint fixes) for Python, prettier for the web UI"
	@echo "make catalog    regenerate docs/events.md from the event and RPC models"
	@echo "make bench      run the benchmarks in bench/"
	@echo "make clean      remove the environment; make clean-state removes .oneclick/ (embedded data)"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Re-synced only when a lock or project file changed; `uv sync --frozen` never edits uv.lock.
# `make run` needs only what the services run with; `make test` adds the dev group (test and lint tools).
LOCKED := uv.lock pyproject.toml $(wildcard libs/*/pyproject.toml services/*/pyproject.toml)
$(VENV)/.synced-runtime: $(LOCKED) | $(UV)
	$(UV) sync --frozen --inexact --no-default-groups --python "$(PYTHON)"
	@touch $@

$(VENV)/.synced: $(LOCKED) | $(UV)
	$(UV) sync --frozen --python "$(PYTHON)"
	@touch $@ $(VENV)/.synced-runtime

install: $(VENV)/.synced
runtime-install: $(VENV)/.synced-runtime

# The PocketBase JS SDK the SDK tests drive; without npm those tests skip and say why.
SDK_DIR := tests/sdk
$(SDK_DIR)/node_modules/.installed: $(SDK_DIR)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		(cd $(SDK_DIR) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed) \
			|| echo "npm ci failed: the SDK tests in $(SDK_DIR) will try again or skip"; \
	else echo "npm not found: the SDK tests in $(SDK_DIR) will be skipped"; fi

sdk-install: $(SDK_DIR)/node_modules/.installed

# The web UI (frontend/, SvelteKit), built into frontend/build, which the edge serves at /. npm ci installs
# exactly the committed lock; the build reruns only when a source or the lock changed. Without npm the edge
# serves a page saying the UI is not built and the browser tests skip, saying why.
FRONTEND_DIR := frontend
FRONTEND_SOURCES := $(shell find $(FRONTEND_DIR)/src $(FRONTEND_DIR)/static -type f 2>/dev/null) \
	$(addprefix $(FRONTEND_DIR)/,package.json svelte.config.js vite.config.ts tsconfig.json)
$(FRONTEND_DIR)/node_modules/.installed: $(FRONTEND_DIR)/package-lock.json
	cd $(FRONTEND_DIR) && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.installed

$(FRONTEND_DIR)/build/index.html: $(FRONTEND_DIR)/node_modules/.installed $(FRONTEND_SOURCES)
	cd $(FRONTEND_DIR) && npm run build --silent
	@touch $@

frontend:
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory $(FRONTEND_DIR)/build/index.html; \
	else echo "npm not found: the web UI is not built (the edge serves a placeholder; the browser tests skip)"; fi

run: runtime-install frontend
	$(BIN)/oneclick dev

test: install sdk-install frontend
	$(PYTEST) $(PYTEST_ARGS)

# Everything but the slow end-to-end tests, for a quick loop while developing.
test-fast: install sdk-install frontend
	$(PYTEST) -m "not e2e and not reliability" $(PYTEST_ARGS)

# The web UI's checks (the scripts of frontend/package.json): svelte-check (types), ESLint, Prettier (formatting;
# `npm run format` in frontend/ formats). Without npm, make says so and goes on; the lint tests then skip.
frontend-lint:
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(FRONTEND_DIR)/node_modules/.installed \
		&& cd $(FRONTEND_DIR) && npm run --silent check && npm run --silent lint && npm run --silent format:check; \
	else echo "npm not found: the web UI is not linted (svelte-check, eslint, prettier)"; fi

lint: install frontend-lint
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy libs services

# The formatters: ruff for Python (and its fixable lint findings), prettier for the web UI.
format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	@if command -v npm >/dev/null 2>&1; then \
		$(MAKE) --no-print-directory $(FRONTEND_DIR)/node_modules/.installed && cd $(FRONTEND_DIR) && npm run --silent format; \
	fi

catalog: install
	$(BIN)/oneclick catalog

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .tools .pytest_cache .mypy_cache .ruff_cache $(FRONTEND_DIR)/node_modules $(FRONTEND_DIR)/build $(FRONTEND_DIR)/.svelte-kit

clean-state:
	rm -rf .oneclick
