# orderflow: `make run` starts the local stack, `make test` runs every check.
# Both install what is missing first: a Python 3.13 venv for the project, and a
# separate venv for the SAM tools (aws-sam-cli pins an older boto3 than the SDK).

PYTHON ?= $(firstword $(wildcard /root/.pyenv/versions/3.13*/bin/python3.13) \
            $(shell command -v python3.13 2>/dev/null) $(shell command -v python3 2>/dev/null))
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.DEFAULT_GOAL := help
include layer.mk

.PHONY: help install run test lint types template unit workflow e2e browser pytest format clean

help:
	@echo "make run    start the local stack with the sample orders (http://127.0.0.1:3000)"
	@echo "make test   lint, types, template validation, unit, workflow and end-to-end tests"

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "no python3.13 or python3 found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[local,test]'
	@touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	@touch $@

install: $(BIN)/.installed

run: $(BIN)/.installed
	$(BIN)/orderflow up

test: lint types template pytest

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: $(BIN)/.installed
	$(BIN)/mypy

template: $(SAM_VENV)/.installed
	$(SAM_VENV)/bin/python scripts/validate_template.py

pytest: $(BIN)/.installed
	$(PYTEST) tests

unit: $(BIN)/.installed
	$(PYTEST) tests/unit tests/contract

workflow: $(BIN)/.installed
	$(PYTEST) tests/workflow

e2e: $(BIN)/.installed
	$(PYTEST) tests/e2e

browser: $(BIN)/.installed
	$(PYTEST) tests/browser

clean:
	rm -rf $(VENV) $(SAM_VENV) .local .aws-sam build *.egg-info
