# The SharedLayer's build (template.yaml: SharedLayer, Metadata BuildMethod: makefile).
# `sam build` runs `make build-SharedLayer` in the project root with ARTIFACTS_DIR
# set; the Makefile includes this file. pip installs the orderflow package and its
# runtime dependencies as wheels for the Lambda runtime (Python 3.13, x86_64), not
# for this machine, so no python3.13 on PATH and no compiler are needed. Lambda
# puts the layer's python/ directory on sys.path (/opt/python). The risk model's
# artifact and routing.json go to python/models/, beside the package as in a
# checkout (orderflow.config.MODEL_DIR); the training code in models/ stays out.

LAYER_PYTHON ?= $(firstword $(wildcard $(PYENV_ROOT)/versions/3.13*/bin/python3.13) \
                  $(shell command -v python3.13 2>/dev/null) \
                  $(shell command -v python3 2>/dev/null))

.PHONY: build-SharedLayer
build-SharedLayer:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: run sam build" >&2; exit 1; }
	@# With `sam build --build-in-source` (samconfig.toml, make build) pip builds
	@# in this tree: setuptools' build/ would keep deleted modules in the wheel.
	rm -rf build
	$(LAYER_PYTHON) -m pip install --quiet --disable-pip-version-check \
		--only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.13 \
		--target "$(ARTIFACTS_DIR)/python" .
	mkdir -p "$(ARTIFACTS_DIR)/python/models"
	cp models/risk-model.json models/routing.json "$(ARTIFACTS_DIR)/python/models/"
