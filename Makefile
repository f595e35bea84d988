# Every target bootstraps .venv itself: on a fresh machine `make demo` and
# `make test` are the only two commands a person types.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

export TF_CPP_MIN_LOG_LEVEL ?= 2
export HYPOTHESIS_PROFILE ?= ci
export KERAS_BACKEND ?= tensorflow
export NO_MKDOCS_2_WARNING ?= 1

# The suites that prove every component equal to Keras, run under each backend.
BACKEND_SUITES := tests/optimizers tests/test_activations.py tests/test_losses.py \
	tests/layers tests/models tests/test_testing.py kerastoolkit/testing.py

.PHONY: demo test test-tensorflow test-jax test-torch test-fast test-browser lint bench docs \
	docs-serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Re-install when pyproject.toml changes; the stamp lives inside .venv.
$(VENV)/.stamp-run: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev,docs,backends]"
	touch $@ $(VENV)/.stamp-run

demo: $(VENV)/.stamp-run
	$(BIN)/kerastoolkit demo

# The whole suite on TensorFlow, then the equivalence suites on JAX and on
# PyTorch: Keras fixes its backend once per process, so one pytest each.
test: $(VENV)/.stamp-dev
	$(BIN)/ruff check kerastoolkit tests benchmarks
	$(MAKE) --no-print-directory test-tensorflow test-jax test-torch
	@if [ -f mkdocs.yml ]; then $(BIN)/mkdocs build --strict --quiet; fi

test-tensorflow: $(VENV)/.stamp-dev
	KERAS_BACKEND=tensorflow $(BIN)/python -m pytest -q

# The other backends draw fewer hypothesis examples (conftest.py's ci-backend).
BACKEND_PROFILE ?= ci-backend

test-jax: $(VENV)/.stamp-dev
	KERAS_BACKEND=jax HYPOTHESIS_PROFILE=$(BACKEND_PROFILE) $(BIN)/python -m pytest -q $(BACKEND_SUITES)

test-torch: $(VENV)/.stamp-dev
	KERAS_BACKEND=torch HYPOTHESIS_PROFILE=$(BACKEND_PROFILE) $(BIN)/python -m pytest -q $(BACKEND_SUITES)

# A quick loop while developing: the equivalence suites on one backend, no
# docs (e.g. `make test-fast KERAS_BACKEND=jax`).
test-fast: $(VENV)/.stamp-dev
	$(BIN)/python -m pytest -q $(BACKEND_SUITES)

lint: $(VENV)/.stamp-dev
	$(BIN)/ruff check kerastoolkit tests benchmarks

bench: $(VENV)/.stamp-run
	$(BIN)/kerastoolkit bench --backend $(KERAS_BACKEND)

# The site works offline: open site/index.html, or serve it with docs-serve.
docs: $(VENV)/.stamp-dev
	$(BIN)/mkdocs build --strict

docs-serve: $(VENV)/.stamp-dev
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

# Headless Chromium check of the built site (math, search, figures). Installs
# Debian's chromium and chromium-driver first when they are missing.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
test-browser: $(VENV)/.stamp-dev
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		$(SUDO) apt-get update && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y chromium chromium-driver; \
	fi
	$(BIN)/python -m pytest -q tests/test_browser.py

clean:
	rm -rf $(VENV) site demo-output build *.egg-info
