# The two commands: `make run` (whole platform with demo data) and `make test` (full suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
ASSETS_STAMP := frontend/static/vendor/.installed
PYTEST_ARGS ?=

.PHONY: install assets run test test-fast lint typecheck infra-check e2e-deps stop-services bench bench-quick clean messages

install: $(STAMP) $(ASSETS_STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $(STAMP)

# Front-end packages come from the npm registry and are served by the project (no CDN).
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

run: install
	$(PY) -m devservices.run

test: install e2e-deps
	$(PY) -m pytest -n 2 --dist loadfile -q $(PYTEST_ARGS)
	$(MAKE) lint
	$(MAKE) typecheck
	$(MAKE) infra-check

test-fast: install
	$(PY) -m pytest -q -x $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo

typecheck: install
	$(VENV)/bin/mypy .

infra-check:
	@if [ -f infra/check.sh ]; then bash infra/check.sh; else echo "infra/check.sh not present"; fi

stop-services: install
	$(PY) -m devservices stop

clean:
	rm -rf .local/media .local/private .local/staticfiles

bench: install
	$(PY) -m bench

bench-quick: install
	$(PY) -m bench --quick

# Translations: collect every marked string into locale/{de,fr}, then compile the committed .mo files.
I18N_IGNORE := --ignore=.venv --ignore=.venv-infra --ignore=node_modules
messages: install
	$(PY) manage.py makemessages -l de -l fr --no-obsolete $(I18N_IGNORE) --ignore=.local --ignore=tests --ignore=bench --ignore=infra --no-location
	$(PY) manage.py compilemessages $(I18N_IGNORE)
