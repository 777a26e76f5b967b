# Everything a fresh clone needs: `make book` builds the site, `make test`
# runs the tests. Both create the virtual environment on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Strict: nitpicky, warnings are errors, but report every warning first.
JB_FLAGS ?= -n -W --keep-going

.PHONY: help setup browser book serve test bench clean

help:
	@echo "make book   - set up (once) and build the site into _build/html"
	@echo "make test   - set up (once) and run the tests, including a from-scratch build"
	@echo "make serve  - serve _build/html at http://127.0.0.1:8000"
	@echo "make bench  - time clean and no-change builds (medians of 3 runs)"
	@echo "make clean  - remove _build"

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $@

# Site-testing tools from npm, pinned in package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# The browser tests drive Debian's Chromium (Playwright cannot download one
# here). Installed only when missing; needs root, as on CI.
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium

setup: $(STAMP) node_modules/.installed

browser: $(CHROMIUM)

book: setup
	$(BIN)/jupyter-book build . $(JB_FLAGS)

serve:
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first"; exit 1; }
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory _build/html

test: setup browser
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python scripts/bench.py

clean:
	rm -rf _build
