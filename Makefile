# The two commands of the README: `make demo` and `make test`. Both set up .venv/ from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000

.PHONY: venv test test-js demo bench bench-quick lint static clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

# JavaScript the browser tests serve locally (htmx), pinned in tests/js/package-lock.json.
TEST_JS := tests/js/node_modules/.installed

$(TEST_JS): tests/js/package.json tests/js/package-lock.json
	cd tests/js && npm ci --no-audit --no-fund --loglevel=error
	touch $@

test-js: $(TEST_JS)

test: venv test-js
	$(PY) -m pytest $(PYTEST_ARGS)

demo: venv
	$(PY) -m tiktok_pixel demo --port $(PORT)

bench: venv
	$(PY) -m benchmarks

bench-quick: venv
	$(PY) -m benchmarks --quick

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

# Rebuild static/tiktok_pixel.js from templates/tiktok_pixel/runtime.js.
static: venv
	$(PY) -c "from tiktok_pixel.runtime import write_static_script; write_static_script()"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
