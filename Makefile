# The two commands: `make run` (whole platform with demo data) and `make test` (full suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS_STAMP := frontend/static/vendor/.installed
PYTEST_ARGS ?=
DRILL_ARGS ?=

.PHONY: install assets run test test-fast lint audit typecheck infra-check e2e-deps pgbouncer-deps stop-services bench bench-quick clean messages backup restore-drill faults soak mutation mutation-survivors

install: $(STAMP) $(ASSETS_STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Front-end packages come from the npm registry and are served by the project (no CDN). The dev
# package axe-core is not served: the browser journeys read node_modules/axe-core/axe.min.js.
$(ASSETS_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p frontend/static/vendor/bootstrap frontend/static/vendor/bootstrap-icons
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/js/bootstrap.bundle.min.js frontend/static/vendor/bootstrap/
	cp -r node_modules/bootstrap-icons/font/bootstrap-icons.min.css node_modules/bootstrap-icons/font/fonts frontend/static/vendor/bootstrap-icons/
	touch $(ASSETS_STAMP)

assets: $(ASSETS_STAMP)

# Debian's Chromium for the browser tests (Playwright drives it; it never downloads a browser).
e2e-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# Debian's PgBouncer for the pooling test and benchmark (devservices/pgbouncer.py starts it).
pgbouncer-deps:
	@test -x /usr/sbin/pgbouncer || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null)

run: install
	$(PY) -m devservices.run

# Two workers on two cores: a third was slower from a clean clone (pytest 25:40 against 21:36).
test: install e2e-deps pgbouncer-deps
	$(PY) -m pytest -n 2 --dist loadfile -q --durations=25 $(PYTEST_ARGS)
	$(MAKE) lint
	$(MAKE) typecheck
	$(MAKE) infra-check

test-fast: install
	$(PY) -m pytest -q -x $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo
	@# bandit warns once per expression on a line that carries a `# nosec`: noise, filtered out.
	$(VENV)/bin/bandit -q -c pyproject.toml -r . --severity-level medium 2> >(grep -v "but no failed test" >&2)

# Known vulnerabilities in the pinned Python and npm packages. Needs the vulnerability databases
# (PyPI's JSON API or OSV, the npm registry's audit endpoint): not part of `make test`, which runs
# offline; it runs in the deployment pipeline (docs/security.md). It fails, saying why, when it
# cannot reach them: a check that cannot run must never pass.
AUDIT_HELP := it found a vulnerability (listed above), or it could not reach its vulnerability database. Run it where the network reaches pypi.org/osv.dev and registry.npmjs.org (the deployment pipeline, docs/security.md)
audit: install
	@status=0; \
	$(VENV)/bin/pip-audit --strict --skip-editable --progress-spinner off \
		|| { echo "make audit FAILED (pip-audit): $(AUDIT_HELP)." >&2; status=1; }; \
	npm audit --audit-level=low \
		|| { echo "make audit FAILED (npm audit): $(AUDIT_HELP)." >&2; status=1; }; \
	exit $$status

typecheck: install
	$(VENV)/bin/mypy .

# Mutation testing of the money and isolation core (docs/adr/0057-mutation-testing.md): not part
# of `make test`, up to an hour on two cores. `make mutation MODULES=tax,pricing` runs some
# modules (mutation/modules.toml); docs/mutation.md is rewritten from every module's last results.
# `make mutation-survivors MODULES=...` reruns only the mutants that survived the last run.
MODULES ?=
mutation: install
	$(PY) -m mutation --modules "$(MODULES)"

mutation-survivors: install
	$(PY) -m mutation --survivors --modules "$(MODULES)"

infra-check:
	@if [ -f infra/check.sh ]; then bash infra/check.sh; else echo "infra/check.sh not present"; fi

stop-services: install
	$(PY) -m devservices stop

# A logical backup of the whole database (roles, every schema, a row-count manifest) into
# .local/backups/<time>/, and the restore drill: a new backup restored into a fresh PostgreSQL,
# compared with its manifest and reconciled against the gateway (the emulator of `make run`).
# DRILL_ARGS="--from .local/backups/<time>" drills an existing backup. docs/reliability.md.
backup: install
	$(PY) -m devservices.backup create

restore-drill: install
	$(PY) -m devservices.backup drill $(DRILL_ARGS)

clean:
	rm -rf .local/media .local/private .local/staticfiles

bench: install pgbouncer-deps
	$(PY) -m bench

bench-quick: install pgbouncer-deps
	$(PY) -m bench --quick

# The fault suite in its long version (docs/reliability.md): every test of tests/faults/ with 100
# worker kills (`make test` runs them with a few). The figures are printed at the end and kept in
# .local/faults-report.json for the reliability page.
FAULTS_KILLS ?= 100
faults: install
	mkdir -p .local
	FAULTS_KILLS=$(FAULTS_KILLS) FAULTS_REPORT=$(CURDIR)/.local/faults-report.json \
		$(PY) -m pytest -p no:xdist -q -s -p no:cacheprovider tests/faults/
	@cat .local/faults-report.json

# The soak (docs/reliability.md): open-loop checkouts, webhooks and shipments for SOAK_SECONDS
# (default 30 minutes) with the worker killed every SOAK_KILL_EVERY seconds, then the checks.
SOAK_SECONDS ?= 1800
SOAK_KILL_EVERY ?= 120
soak: install
	mkdir -p .local
	SOAK_SECONDS=$(SOAK_SECONDS) SOAK_KILL_EVERY=$(SOAK_KILL_EVERY) SOAK_REPORT=$(CURDIR)/.local/soak-report.json \
		$(PY) -m pytest -p no:xdist -q -s -p no:cacheprovider tests/faults/soak.py
	@cat .local/soak-report.json

# Translations: collect every marked string into locale/{de,fr}, then compile the committed .mo files.
I18N_IGNORE := --ignore=.venv --ignore=.venv-infra --ignore=node_modules
messages: install
	$(PY) manage.py makemessages -l de -l fr --no-obsolete $(I18N_IGNORE) --ignore=.local --ignore=tests --ignore=bench --ignore=infra --no-location
	$(PY) manage.py compilemessages $(I18N_IGNORE)
