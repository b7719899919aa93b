# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
DEMO_DIR ?= demo-workspace

.PHONY: demo test lint bench clean install chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(STAMP_RUN)

install: $(STAMP_RUN)

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -qq chromium >/dev/null 2>&1 || \
		{ $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium; } || \
		echo "warning: could not install Debian's chromium; the browser tests will fail"; }

## make demo: generate the retail demo data into a fresh workspace and run the pipeline.
demo: $(STAMP_RUN)
	$(BIN)/personae demo $(DEMO_DIR)

## make test: lint and run the whole test suite on both cores (installs Debian's chromium for
## the browser tests when it is missing and apt-get is available). Each test file runs on
## one worker (module fixtures are built once); the 5k demo workspaces are built once for
## both workers (tests/conftest.py, built_once). TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= 2
test: $(STAMP_TEST) chromium
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=25

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: $(STAMP_RUN)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache build *.egg-info src/*.egg-info
