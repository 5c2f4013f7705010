# The two commands of the README: `make demo` and `make test`. Both set up .venv/ from a fresh clone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 5000

.PHONY: venv npm test test-js demo bench bench-quick lint typecheck docs dist-check js static clean

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


# The page runtime's build and lint tools (terser, eslint), pinned by package-lock.json, into the
# git-ignored node_modules/. Needs node and npm (Debian: apt-get install nodejs npm).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

npm: node_modules/.installed

test: venv npm test-js
	$(PY) -m pytest $(PYTEST_ARGS)

demo: venv
	$(PY) -m tiktok_pixel demo --port $(PORT)

bench: venv
	$(PY) -m benchmarks

bench-quick: venv
	$(PY) -m benchmarks --quick

lint: venv npm typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	node_modules/.bin/eslint --config templates/runtime/eslint.config.mjs templates/runtime

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

# Rebuild static/tiktok_pixel.js and static/tiktok_pixel.inline.json from templates/runtime/runtime.js
# (docs/runtime.md); a test fails while the committed build is stale. `static` is the old name.
js: npm
	node templates/runtime/build.mjs

static: js

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .mypy_cache build dist site *.egg-info
