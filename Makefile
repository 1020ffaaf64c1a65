# The two commands a newcomer needs: `make demo` and `make test`. Each installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
BUNDLE := neo_notebook/static/widget.js
JS_SRC := $(wildcard js/src/*.ts js/src/*.css) js/build.mjs js/package.json

.PHONY: demo test install js lint typecheck bench clean

demo: install ## Start the emulator and JupyterLab on the quickstart notebook
	$(BIN)/neo-notebook demo

test: install chromium ## Run every test: front-end units, Python, emulator, notebooks, browser
	cd js && npm test
	$(BIN)/python -m pytest tests notebooks --nbval-lax

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

js/node_modules/.package-lock.json: js/package.json js/package-lock.json
	cd js && npm ci --no-audit --no-fund

$(BUNDLE): js/node_modules/.package-lock.json $(JS_SRC)
	cd js && npm run build

js: $(BUNDLE)

# The bundle is built above, so the editable install skips hatch-jupyter-builder's own
# npm build (a wheel build still runs it, and refuses to finish without the bundle).
$(STAMP): pyproject.toml $(BIN)/python $(BUNDLE)
	SKIP_JUPYTER_BUILDER=1 $(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Browser tests drive Debian's Chromium; install it when missing and we may.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "Chromium is missing: install Debian's 'chromium' package (sudo apt-get install chromium)"; exit 1; \
	  fi; }

lint: install
	$(BIN)/ruff check neo_notebook tests benchmarks
	$(BIN)/ruff format --check neo_notebook tests benchmarks
	cd js && npm run lint

typecheck: install
	$(BIN)/mypy
	cd js && npm run typecheck

bench: install
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) js/node_modules neo_notebook/static
