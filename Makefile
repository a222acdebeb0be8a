# Two commands do everything on a fresh machine (Python 3.11+, no GPU needed):
#   make reproduce   set up .venv and run the experiment on the built-in default
#                    (paper profile with CUDA, otherwise the smoke profile on procedural data)
#   make test        set up .venv and run linters and the test suite
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# The index of torch's CPU wheels; requirements/torch-cpu.txt pins the wheel's sha256.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: setup reproduce test lint

# Every package installs from hashed locks (requirements/compile.sh regenerates them): the
# installer and build backend first, then every dependency but torch, then torch's CPU wheel
# (requirements/torch-cpu.txt; the image installs the CUDA build from torch-cuda.txt), then the
# project itself (from this tree, not hashed) without touching the resolver again.
$(BIN)/artifact: pyproject.toml requirements/build.txt requirements/lock.txt requirements/torch-cpu.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r requirements/build.txt
	$(BIN)/python -m pip install -q --require-hashes --no-deps --no-build-isolation -r requirements/lock.txt
	$(BIN)/python -m pip install -q --require-hashes --no-deps --extra-index-url $(TORCH_INDEX) -r requirements/torch-cpu.txt
	$(BIN)/python -m pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $@

setup: $(BIN)/artifact

reproduce: setup
	$(BIN)/artifact reproduce

lint: setup
	$(BIN)/ruff check artifact tests benchmarks
	$(BIN)/hadolint Dockerfile
	$(BIN)/cffconvert --validate

test: lint
	$(BIN)/python -m pytest -q
