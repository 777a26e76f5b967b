# Everything a fresh clone needs: `make book` builds the site, `make test`
# runs the tests. Both create the virtual environment on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The book's languages, `languages:` in _config.yml (read here before the
# venv exists, hence sed): Korean's font is installed only when it is one.
LANGUAGES := $(shell sed -n 's/^languages:[[:space:]]*\[\(.*\)\].*/\1/p' _config.yml | tr ',' ' ')

.PHONY: help setup browser book translations serve test pdf bench bench-tests lighthouse clean

help:
	@echo "make book   - set up (once) and build the site into _build/html (Korean in _build/html/ko)"
	@echo "make translations - refresh the catalogs in locale/ after the English changed"
	@echo "make test   - set up (once) and run the tests, including a from-scratch build"
	@echo "make serve  - serve _build/html at http://127.0.0.1:8000"
	@echo "make pdf    - the book as one PDF and the site as a zip, in _build/pdf (PDF_LANGUAGE=ko: Korean, all: each language)"
	@echo "make bench  - build times, page weights, playground, lab and CLI speed (medians)"
	@echo "make bench-tests - how long the test suite takes, median of 3 runs (about 30 min)"
	@echo "make lighthouse - Lighthouse scores of every page (_build/lighthouse/scores.md)"
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

# The Nu Html Checker (npm vnu-jar) runs on Java; installed only when missing.
JAVA ?= $(or $(shell command -v java 2>/dev/null),/usr/bin/java)
$(JAVA):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jre-headless

# Lighthouse is large (and slow to run), so it has its own npm folder and is
# installed by `make lighthouse` only, never by `make setup`.
tools/lighthouse/node_modules/.installed: tools/lighthouse/package.json tools/lighthouse/package-lock.json
	cd tools/lighthouse && npm ci --no-audit --no-fund
	touch $@

setup: $(STAMP) node_modules/.installed

# A Korean font, so that the browser tests' screenshots and the Korean PDF
# show Hangul (readers' devices have their own); installed only when missing.
KOREAN_FONT ?= /usr/share/fonts/truetype/nanum
$(KOREAN_FONT):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq fonts-nanum

browser: $(CHROMIUM) $(JAVA) $(if $(filter ko,$(LANGUAGES)),$(KOREAN_FONT))

# English at the root, then every translation under /<language>/ from
# English's execution cache (scripts/build_book.py; strict: -n -W --keep-going).
book: setup
	$(BIN)/python scripts/build_book.py

# After an English edit or a new chapter: extract the messages again and
# merge them into locale/<language>/LC_MESSAGES/*.po (changed ones become
# fuzzy, a new page gets its catalog), then say per page how many messages
# a translator must update. Exits 0: the catalogs are refreshed (the book
# builds meanwhile, untranslated messages in English; `make test` fails
# until they are translated: scripts/translations.py check lists them).
translations: setup
	$(BIN)/python scripts/translations.py update

serve:
	@test -f _build/html/index.html || { echo "No site yet: run 'make book' first"; exit 1; }
	$(BIN)/python -m http.server 8000 --bind 127.0.0.1 --directory _build/html

# The PDF tests read PDFs with Debian's poppler-utils (pdftotext, pdfimages,
# pdftoppm); installed only when missing.
PDFTOTEXT ?= /usr/bin/pdftotext
$(PDFTOTEXT):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq poppler-utils

test: setup browser $(PDFTOTEXT)
	$(BIN)/python -m pytest

# The offline edition (scripts/build_pdf.py): _build/pdf/conv-book.pdf, the
# book printed by Chromium from its single-page build (from the execution
# cache), and _build/pdf/conv-book-site.zip, the site to read from disk.
# `make pdf PDF_LANGUAGE=ko` prints the Korean edition, _build/pdf/ko/;
# PDF_LANGUAGE=all every language of `languages:` (the Pages workflow), then
# the zip with all of them. PDF_FLAGS=--no-zip prints the PDF only;
# PDF_FLAGS=--zip-only makes only the zip, from the PDFs already printed.
PDF_LANGUAGE ?= en
PDF_FLAGS ?=
PDF_LANGUAGES := $(if $(filter all,$(PDF_LANGUAGE)),$(LANGUAGES),$(PDF_LANGUAGE))
pdf: book $(CHROMIUM) $(PDFTOTEXT) $(if $(filter ko,$(PDF_LANGUAGES)),$(KOREAN_FONT))
	$(BIN)/python scripts/build_pdf.py --language $(PDF_LANGUAGE) $(PDF_FLAGS)

# Benchmarks (medians, never timed tests): build times, each page's weight
# as served, the playground's and the lab's update times in Chromium, the CLI on 12 MP.
bench: book browser
	$(BIN)/python scripts/bench.py
	$(BIN)/python scripts/page_weight.py _build/html
	$(BIN)/python scripts/bench_playground.py --site _build/html
	$(BIN)/python scripts/bench_lab.py --site _build/html
	$(BIN)/python scripts/bench_cli.py

# The test suite's time after set-up (12 minutes on 2 cores, the developers' guide),
# median of 3 runs; kept apart from `make bench` because it takes ~30 min.
bench-tests: setup browser $(PDFTOTEXT)
	$(BIN)/python scripts/bench_tests.py

# Lighthouse on every page of the (freshly built) site, served gzip-compressed:
# mobile (its default settings, median of 3 runs) and desktop (preset), all
# four categories; the table goes to _build/lighthouse/scores.md.
lighthouse: book browser tools/lighthouse/node_modules/.installed
	$(BIN)/python scripts/lighthouse.py

clean:
	rm -rf _build
