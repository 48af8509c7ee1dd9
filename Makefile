# toshokan — the two commands a newcomer needs are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test test-sqlite test-postgres check bench install system-packages demo clean lint format

$(PY):
	@bash scripts/system-packages.sh base
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) manage.py load_demo
	$(PY) manage.py serve --port $(PORT)

demo: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo

test: install
	@bash scripts/system-packages.sh test
	$(PY) manage.py collectstatic --noinput -v 0
	$(PY) -m pytest $(PYTEST_ARGS)

check: install
	$(PY) -m ruff format --check .
	$(PY) -m ruff check .
	$(PY) -m mypy toshokan config
	$(VENV)/bin/lint-imports
	$(PY) manage.py makemigrations --check --dry-run
	DJANGO_SETTINGS_MODULE=config.settings.prod SECRET_KEY=check-only-$$(date +%s)-not-a-real-secret-key-abcdefghijklmnop \
	  ALLOWED_HOSTS=library.example $(PY) manage.py check --deploy --fail-level WARNING

format: install
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: install
	@bash scripts/system-packages.sh bench
	$(PY) -m benchmarks $(BENCH_ARGS)

clean:
	rm -rf var/*.sqlite3 var/index var/test-* .pytest_cache
