# orderflow: `make run` starts the local stack, `make test` runs every check.
# Both install what is missing first: a Python 3.13 venv for the project, and a
# separate venv for the SAM tools (aws-sam-cli pins an older boto3 than the SDK).

# pyenv keeps the Lambda runtime's Python off PATH: ask pyenv where its root is
# (PYENV_ROOT, else `pyenv root`, else pyenv's default under $HOME).
PYENV_ROOT ?= $(or $(shell pyenv root 2>/dev/null),$(HOME)/.pyenv)
PYTHON ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3.13) \
            $(shell command -v python3.13 2>/dev/null) $(shell command -v python3 2>/dev/null))
VENV := .venv
BIN := $(VENV)/bin
SAM_VENV := .venv-sam
# The AWS CLI (v1, from PyPI) the end-to-end tests drive against the local stack.
AWSCLI_VENV := .venv-awscli
# checkov pins its own boto3 and friends: a third environment, for the scanner.
CHECKOV_VENV := .venv-checkov
# `sam build` needs the Lambda runtime's python3.13 on PATH (no Docker here).
SAM_ENV := SAM_CLI_TELEMETRY=0 PATH="$(dir $(PYTHON)):$$PATH"
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider

.DEFAULT_GOAL := help
include layer.mk

.PHONY: help install run test lint types template build unit workflow e2e browser pytest \
	format clean train bench proof mutation

help:
	@echo "make run    start the local stack with the sample orders (http://127.0.0.1:3000)"
	@echo "make test   lint, types, template validation, unit, workflow and end-to-end tests"
	@echo "make train  retrain the risk model from its seed (models/MODEL_CARD.md)"
	@echo "make bench  every bench/bench_*.py: tables, charts and JSON in bench/results/"
	@echo "make proof  full load, whole-stack kills and the crash matrix: figures, exit 1 on a violation"
	@echo "make mutation  mutation scores of the core modules (mutmut on the fast suites), 95% each"

$(BIN)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "no python3.13 or python3 found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[local,test,ml]'
	@touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --upgrade pip
	$(SAM_VENV)/bin/pip install --quiet aws-sam-cli
	@touch $@

$(AWSCLI_VENV)/.installed:
	$(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/pip install --quiet --upgrade pip
	$(AWSCLI_VENV)/bin/pip install --quiet awscli
	@touch $@

$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/pip install --quiet 'checkov>=3.2,<4'
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

# Offline proof the stack deploys: SAM's and cfn-lint's checks on the template
# and on its translation (scripts/validate_template.py), checkov over both
# (findings fixed, or skipped in the resource's Metadata with the reason), and
# `sam build`, whose artifacts tests/unit/test_build_budget.py measures.
template: $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed
	$(SAM_VENV)/bin/python scripts/validate_template.py
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --skip-download \
		--framework cloudformation -f template.yaml -d .aws-sam/translated
	$(MAKE) --no-print-directory build

# --build-in-source: layer.mk installs from this tree instead of a copy of it
# (which would copy the virtual environments); --cached skips what has not changed.
build: $(SAM_VENV)/.installed
	$(SAM_ENV) $(SAM_VENV)/bin/sam build --cached --parallel --build-in-source

pytest: $(BIN)/.installed $(AWSCLI_VENV)/.installed
	$(PYTEST) tests

unit: $(BIN)/.installed
	$(PYTEST) tests/unit tests/contract

workflow: $(BIN)/.installed
	$(PYTEST) tests/workflow tests/replay

e2e: $(BIN)/.installed $(AWSCLI_VENV)/.installed
	$(PYTEST) tests/e2e

browser: $(BIN)/.installed
	$(PYTEST) tests/browser

$(BIN)/.bench-installed: $(BIN)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[local,test,ml,bench]'
	@touch $@

$(BIN)/.mutation-installed: $(BIN)/.installed pyproject.toml
	$(BIN)/pip install --quiet -e '.[local,test,ml,mutation]'
	@touch $@

# Every bench/bench_*.py in turn; each prints its table and writes bench/results/.
bench: $(BIN)/.bench-installed
	@for f in bench/bench_*.py; do \
		echo "== $$f"; PYTHONPATH=. $(BIN)/python $$f || exit 1; \
	done

# The full proofs (docs/benchmarks.md#proof; make test runs reduced ones), each
# exiting 1 on a violation: 1,000 orders and 200 racing approval POSTs; 200
# faulty orders through 5 SIGKILLs of the whole stack; the crash matrix, then
# again with every recovery killed too.
proof: $(BIN)/.installed
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.stack_kills
	$(BIN)/python -m tests.crash.matrix --full
	$(BIN)/python -m tests.crash.matrix --full --twice

# Mutation testing (not part of `make test`: minutes of CPU): mutmut mutates the
# modules [tool.mutmut] lists, one at a time, and runs the unit and contract
# suites against each mutant; the score per module leaves out the equivalent
# mutants mutation/equivalent.txt lists, and falls short under 95%.
mutation: $(BIN)/.mutation-installed
	$(BIN)/python scripts/mutation_report.py --run

train: $(BIN)/.installed
	$(BIN)/python -m models.train

clean:
	rm -rf $(VENV) $(SAM_VENV) $(AWSCLI_VENV) $(CHECKOV_VENV) .local .aws-sam build *.egg-info mutants
