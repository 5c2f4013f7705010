# The two commands of the README: `make demo` and `make test`. Both set up .venv/ from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000

.PHONY: venv test demo bench bench-quick lint typecheck docs dist-check static clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

test: venv
	$(PY) -m pytest $(PYTEST_ARGS)

demo: venv
	$(PY) -m tiktok_pixel demo --port $(PORT)

bench: venv
	$(PY) -m benchmarks

bench-quick: venv
	$(PY) -m benchmarks --quick

lint: venv typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy --strict over the package and the user-style snippets of tests/typing/ (see pyproject.toml).
typecheck: venv
	$(VENV)/bin/mypy

# The documentation site, with warnings as errors (not --quiet: it would hide them from --strict);
# the generated pages are rewritten first.
docs: venv
	$(PY) docs/gen_pages.py
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# Build wheel + sdist, smoke-test the wheel from fresh virtualenvs outside the checkout, and run
# part of the suite from the unpacked sdist.
dist-check: venv
	PY=$(abspath $(PY)) bash .ci/dist-check

# Rebuild static/tiktok_pixel.js from templates/tiktok_pixel/runtime.js.
static: venv
	$(PY) -c "from tiktok_pixel.runtime import write_static_script; write_static_script()"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build dist site *.egg-info
