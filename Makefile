# croupier task runner. `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_WORKERS ?= 2

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found (croupier needs Python 3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@touch $(STAMP)

install: $(STAMP) ## create .venv and install croupier with its pinned dependencies

run: $(STAMP) ## migrate the embedded database, load the demo data and serve on http://127.0.0.1:8000
	$(BIN)/croupier db upgrade
	$(BIN)/croupier demo load
	$(BIN)/croupier serve --host 127.0.0.1 --port 8000

test: $(STAMP) ## run the test suite (PostgreSQL too when CROUPIER_TEST_POSTGRES_URL is set)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(STAMP) ## ruff, mypy (strict on src/) and import-linter (the layer contract)
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP) ## apply ruff's formatter and autofixes
	$(BIN)/ruff format src tests bench migrations
	$(BIN)/ruff check --fix src tests bench migrations

bench: $(STAMP) ## run the ledger benchmark against the embedded database (see docs/benchmarks.md)
	rm -f var/bench.db var/bench.db-wal var/bench.db-shm
	$(BIN)/python bench/ledger.py --database-url sqlite:///var/bench.db --seconds 10 --players 10000 --workers 8 --in-flight 64

lock: ## re-resolve requirements.lock from pyproject.toml (needs uv in .venv)
	$(BIN)/pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean: ## remove the virtualenv and local data
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache

.PHONY: help install run test lint format bench lock clean
