# Every target sets itself up on a fresh clone: it creates .venv, installs what it needs and
# builds the C twins before doing its job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
QUICK ?=

.PHONY: install build test test-c test-py bench lint wheel clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip setuptools wheel "Cython>=3.0"

$(STAMP): $(PY) pyproject.toml setup.py
	$(PY) -m pip install -q -e '.[test,bench,lint]'
	touch $(STAMP)

install: $(STAMP) build

# Rebuilds the extensions in place when a .pyx changed (a no-op otherwise).
build: $(STAMP)
	$(PY) setup.py -q build_ext --inplace

test: install
	$(MAKE) --no-print-directory test-c
	$(MAKE) --no-print-directory test-py

test-c:
	@echo "=== test run 1/2: C extensions ==="
	AIOHTTP_CLONE_REQUIRE_EXTENSIONS=1 $(PY) -m pytest -q $(PYTEST_ARGS)

test-py:
	@echo "=== test run 2/2: pure Python (AIOHTTP_CLONE_NO_EXTENSIONS=1) ==="
	AIOHTTP_CLONE_NO_EXTENSIONS=1 $(PY) -m pytest -q $(PYTEST_ARGS)

bench: install
	$(PY) -m benchmarks $(if $(QUICK),--quick,)

lint: install
	$(BIN)/ruff check aiohttp_clone tests benchmarks setup.py


wheel: $(STAMP)
	rm -rf dist
	$(PY) -m pip wheel -q --no-deps -w dist .
	AIOHTTP_CLONE_NO_EXTENSIONS=1 $(PY) -m pip wheel -q --no-deps -w dist/pure .

clean:
	rm -rf build dist $(VENV) *.egg-info .pytest_cache .hypothesis .benchmarks
	rm -f aiohttp_clone/*.so aiohttp_clone/*.c aiohttp_clone/*.html
