# council_reports: `make run` to set up and serve, `make test` to run every test.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
# Real DfE statistics for English councils; imported by `make run` when the folder exists.
DFE_DATA ?= ../shared/data/dfe
# The development server runs with DEBUG on unless told otherwise (it serves static files).
export DJANGO_DEBUG ?= true

.PHONY: run serve install migrate test test-postgres lint security format bench backup restore clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

# The task worker (it builds report packs) runs in the background beside the server and is
# stopped when the server stops.
run: migrate
	$(PY) manage.py load_demo --if-empty $(if $(wildcard $(DFE_DATA)),--dfe $(DFE_DATA))
	$(PY) manage.py worker & trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

# Served as in production: gunicorn (WORKERS processes) with WhiteNoise's compressed,
# content-hashed static files and the task worker beside it; DEBUG off, so DJANGO_SECRET_KEY
# must be set (DATABASE_URL for PostgreSQL, REDIS_URL for a shared cache).
WORKERS ?= $(shell echo $$(( 2 * $$(nproc) + 1 )))
serve: migrate
	DJANGO_DEBUG=false $(PY) manage.py collectstatic --noinput -v0
	DJANGO_DEBUG=false $(PY) manage.py worker & trap 'kill $$! 2>/dev/null' EXIT INT TERM; \
	DJANGO_DEBUG=false DJANGO_ALLOWED_HOSTS=$${DJANGO_ALLOWED_HOSTS:-localhost,127.0.0.1} \
	  $(VENV)/bin/gunicorn council_reports.wsgi --bind 127.0.0.1:$(PORT) --workers $(WORKERS) \
	  --access-logfile -

test: install
	$(VENV)/bin/pytest -q

# The same suite on PostgreSQL, against a throwaway database (needs a server on 127.0.0.1).
test-postgres: install
	PGHOST=127.0.0.1 PGUSER=postgres ./.ci/with-postgres $(MAKE) test

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# Static security checks: bandit over the app and benchmarks (medium and high findings fail;
# each accepted one carries a `# nosec` with its reason in the code) and pip-audit over
# everything installed (.ci/pip-audit; accepted advisories in .ci/pip-audit-ignores).
security: install
	$(VENV)/bin/bandit -q -c pyproject.toml -r . --severity-level medium
	./.ci/pip-audit

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Every benchmark in one run at national scale (bench/run.py): prints one table, writes
# bench/results/latest.json and docs/performance.md. Needs PostgreSQL on 127.0.0.1 and wrk.
bench: install
	$(PY) bench/run.py

# The whole database in one checksummed file under backups/ (or BACKUP=path); restore one into
# an empty database with `make restore FILE=backups/...zip`. docs/backup.md says more.
backup: install
	$(PY) manage.py backup $(if $(BACKUP),--output $(BACKUP))

restore: install
	$(if $(FILE),,$(error FILE=path/to/backup.zip is required))
	$(PY) manage.py migrate --noinput
	$(PY) manage.py restore $(FILE)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
