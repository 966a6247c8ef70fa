# Two commands for a new machine: `make run` and `make test`. Each installs what it needs first.
# Everything installed lives in this folder (.venv, node_modules) except Debian's chromium (apt, as root).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed
# The e2e tests need a browser; `make test` installs Debian's chromium when it is missing.
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test check unit integration e2e bench crm-test solution deps chromium clean

deps: $(PIP_STAMP) $(NODE_STAMP)

$(PIP_STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing Debian's chromium (needed by the browser tests)"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

## run: build the Dynamics solution, start the local stack (Azurite, simulators, the demo CRM page
## with the managed solution imported as an admin would, the app) and print the URLs.
run: deps solution
	$(PY) -m devstack --solution "$$(ls dist/*_managed.zip | tail -1)"

## check: lint, format check and strict typing.
check: $(PIP_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .

## test: everything a change must pass (what CI runs).
test: deps chromium check crm-test
	$(PY) -m pytest

unit: $(PIP_STAMP)
	$(PY) -m pytest tests/unit

integration: deps
	$(PY) -m pytest tests/integration

e2e: deps chromium
	$(PY) -m pytest tests/e2e

## solution: build the Dynamics 365 solution into dist/ (managed + unmanaged zip) and check both.
## OPPORTUNITY_FORM_ID=<guid> adds the Cockpit tab to another opportunity main form.
solution: $(PIP_STAMP)
	$(PY) -m crm.solution --out dist $(if $(OPPORTUNITY_FORM_ID),--form-id $(OPPORTUNITY_FORM_ID))

crm-test:
	@if [ -d crm/tests ]; then node --test crm/tests/; fi

## bench: timing ratios measured in one run (never asserted: these machines are noisy).
bench: deps
	$(PY) -m tests.bench

clean:
	rm -rf .devstack .pytest_cache .mypy_cache .ruff_cache test-artifacts
