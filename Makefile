# Deepfake detection reproductions. `make` (or `make help`) lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= demo
# TensorFlow's build: GPU=1 installs the CUDA one (extra `gpu`), GPU=0 the CPU one (extra `cpu`); by default
# the CUDA one where nvidia-smi lists a GPU. Switching reinstalls (the stamp names the build).
GPU ?= $(shell nvidia-smi -L >/dev/null 2>&1 && echo 1 || echo 0)
TF_BUILD := $(if $(filter 1,$(GPU)),gpu,cpu)
# TORCH=1 adds Keras' PyTorch backend (the extra `torch`; the torch tier of the tests runs where it is installed)
TORCH ?= 0
comma := ,
EXTRAS := dev,$(TF_BUILD)$(if $(filter 1,$(TORCH)),$(comma)torch,)
STAMP := $(VENV)/.installed-$(TF_BUILD)$(if $(filter 1,$(TORCH)),-torch,)

.DEFAULT_GOAL := help
.PHONY: help setup reproduce smoke test test-fast test-paper-profiles lab lint clean clean-artifacts

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@# switching builds: the other one goes first (tensorflow and tensorflow-cpu install the same module)
	@if ls $(VENV)/.installed-* >/dev/null 2>&1; then echo "TensorFlow: switching to the $(TF_BUILD) build"; \
	  $(BIN)/python -m pip uninstall --quiet --yes tensorflow tensorflow-cpu; rm -f $(VENV)/.installed-*; fi
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (dfutils)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install dfutils with its dev tools and TensorFlow's CPU or GPU build (GPU=0/1; TORCH=1 adds PyTorch)

reproduce: setup ## run the demo profile end to end; report in reports/demo/index.html
	$(BIN)/dfutils run params/$(PROFILE).yaml

smoke: setup ## run the tiny CI profile end to end
	$(BIN)/dfutils run params/smoke.yaml

# a worker per core (at most 4), the tests that share a fixture on one worker, handed out in the
# order tests/conftest.py sets (xdist would otherwise put the groups with the most tests first)
PARALLEL := -n auto --maxprocesses 4 --dist loadgroup --no-loadscope-reorder

test: setup ## run the whole test suite (what CI runs), the paper profiles on real layouts included
	$(BIN)/python -m pytest $(PARALLEL)

test-paper-profiles: setup ## only the three paper profiles end to end on real layouts
	$(BIN)/python -m pytest $(PARALLEL) -m paper_profiles

test-fast: setup ## run the tests that take seconds, not minutes
	$(BIN)/python -m pytest $(PARALLEL) -m "not slow"

lab: setup ## open the notebooks in JupyterLab on the project's kernel
	$(BIN)/jupyter lab notebooks/

lint: setup ## ruff over the package, tests and notebooks
	$(BIN)/ruff check dfutils tests notebooks

clean-artifacts: ## delete generated artifacts and reports (keeps the venv)
	rm -rf artifacts reports/*/

clean: clean-artifacts ## delete everything generated, the venv too
	rm -rf $(VENV) *.egg-info .pytest_cache
