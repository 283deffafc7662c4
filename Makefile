# Bemakers integration hub: local development targets.
# `make demo` runs the main job on the local stack; `make test` runs every check.

PYTHON ?= python3
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
export SAM_CLI_TELEMETRY := 0
export PYTHONPATH := shared:.

.PHONY: demo bench test faults fault-suite fuzz unit integration contract lint typecheck cfn-lint sam-validate sam-build clean

$(VENV)/.installed: requirements-dev.txt shared/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	$(PY) -m pip install --quiet --no-deps --editable .
	touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	touch $@

demo: $(VENV)/.installed
	$(PY) -m hubctl demo

# Writes docs/benchmarks.md in about 8 minutes on a fresh clone, installs and build included.
bench: $(VENV)/.installed sam-build
	$(PY) -m hubctl bench --output docs/benchmarks.md

test: lint typecheck cfn-lint sam-validate sam-build
	$(PY) -m pytest

unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit

integration: $(VENV)/.installed
	$(PY) -m pytest tests/integration

contract: $(VENV)/.installed
	$(PY) -m pytest tests/contract

# The fault suite (2,000 orders under injected faults, seeded) and the webhook fuzz test
# (5,000 hypothesis examples). CI runs both after `make test`.
faults: fault-suite fuzz

fault-suite: $(VENV)/.installed
	$(PY) -m hubctl faults --orders 2000 --seed 20261204

fuzz: $(VENV)/.installed
	$(PY) -m pytest tests/fuzz

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check shared functions hubctl tests
	$(VENV)/bin/ruff format --check shared functions hubctl tests

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

cfn-lint: $(VENV)/.installed
	$(VENV)/bin/cfn-lint template.yaml

sam-validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint --region eu-west-1

sam-build: $(SAM_VENV)/.installed
	$(SAM) build --region eu-west-1

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
