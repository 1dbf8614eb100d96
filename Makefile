# The two commands: `make run` (serve the portal with demo data) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
RUN_STAMP := $(VENV)/.stamp-run
DEV_STAMP := $(VENV)/.stamp-dev
PO_FILES := $(wildcard portal/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
PORT ?= 5000

.PHONY: run test lint security translations extract-messages migrate seed worker bench clean help fonts browser xmlsec

help:
	@echo "make run    - install, migrate the SQLite database, load demo data, serve on http://127.0.0.1:5000"
	@echo "make test   - install the dev extras and run the whole test suite"
	@echo "make lint   - ruff"
	@echo "make security - bandit over portal/: fails on any finding of medium severity or above"
	@echo "make bench  - the portal over HTTP (gunicorn + wrk) on 20,000 applications: pages, exports, bench/results/"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(RUN_STAMP)

%.mo: %.po
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

translations: $(RUN_STAMP) $(MO_FILES)

extract-messages: $(DEV_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o portal/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching --ignore-obsolete

# PDFs need a font with Chinese glyphs: PDF_CJK_FONT, else Debian's fonts-noto-cjk (the paths the portal looks at).
# Installed here when root and apt-get can; otherwise only explained, so that `make run` works without root.
CJK_FONTS := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc /usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc

fonts:
	@if [ -n "$$PDF_CJK_FONT" ]; then \
	  [ -f "$$PDF_CJK_FONT" ] || echo "WARNING: PDF_CJK_FONT=$$PDF_CJK_FONT is not a file: PDF downloads will fail."; \
	  exit 0; \
	fi; \
	for font in $(CJK_FONTS); do [ -f "$$font" ] && exit 0; done; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "== installing fonts-noto-cjk from Debian (Chinese glyphs for PDFs)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; } \
	    || echo "WARNING: could not install fonts-noto-cjk: PDF downloads will fail until it is installed."; \
	else \
	  found=$$(fc-list 2>/dev/null | grep -i "Noto Sans CJK" | head -n 1 | cut -d: -f1); \
	  echo "NOTE: no font with Chinese glyphs in $(CJK_FONTS): PDF downloads (and their tests) will fail."; \
	  if [ -n "$$found" ]; then echo "      A Noto CJK font is installed elsewhere: export PDF_CJK_FONT=$$found"; \
	  else echo "      Install it with: sudo apt-get install fonts-noto-cjk (or set PDF_CJK_FONT to a .ttf/.otf/.ttc with Chinese glyphs)"; fi; \
	fi

# Browser tests drive Debian's headless Chromium (Playwright with executable_path: no browser download).
browser:
	@command -v chromium >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "== installing chromium from Debian (for the browser tests)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	    || echo "WARNING: could not install chromium: the browser tests will be skipped (they fail with CI=true)."; \
	else \
	  echo "NOTE: chromium is not installed: the browser tests will be skipped. Install it with: sudo apt-get install chromium"; \
	fi

# SAML sign-in (pysaml2) signs and checks XML with Debian's xmlsec1; installed here when root and apt-get can.
xmlsec:
	@command -v xmlsec1 >/dev/null 2>&1 && exit 0; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "== installing xmlsec1 from Debian (SAML sign-in)"; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xmlsec1 >/dev/null; } \
	    || echo "WARNING: could not install xmlsec1: SAML sign-in (and its tests) will fail."; \
	else \
	  echo "NOTE: xmlsec1 is not installed: SAML sign-in (and its tests) will fail. Install it with: sudo apt-get install xmlsec1"; \
	fi

migrate: $(RUN_STAMP)
	mkdir -p instance
	$(BIN)/alembic upgrade head

seed: migrate translations
	$(FLASK) portal seed-demo

# Serves with Flask's development server and delivers the outbox to this console every few seconds.
run: fonts xmlsec seed
	@echo "Serving on http://127.0.0.1:$(PORT) (Ctrl-C stops it)."
	@# The three processes run in the background; on Ctrl-C (or when one ends) the trap, removed first so that it
	@# cannot signal itself again, stops the others by their ids and waits for them.
	@trap 'trap - INT TERM EXIT; kill -TERM $$pids 2>/dev/null; wait' INT TERM EXIT; \
	  MAIL_BACKEND=console $(FLASK) portal send-mail --watch 3 & pids="$$!"; \
	  $(BIN)/huey_consumer portal.worker.huey --workers 2 --quiet & pids="$$pids $$!"; \
	  $(FLASK) run --host 127.0.0.1 --port $(PORT) & pids="$$pids $$!"; \
	  wait -n

test: $(DEV_STAMP) translations fonts browser xmlsec
	$(BIN)/pytest $(PYTEST_ARGS)

# Speed over HTTP: gunicorn (2 sync workers) under wrk on its own seeded database (SQLite under bench/, or
# BENCH_DATABASE_URL), the exports' time and memory; prints a table, writes bench/results/latest.json (README, "Benchmark").
# wrk is installed from Debian when missing and root; the dossier PDF needs the CJK font (`fonts`).
bench: $(DEV_STAMP) translations fonts
	$(BIN)/python -m tests.bench.run

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

# Findings judged false positives carry `# nosec B### # why` on their line; low-severity ones are only listed.
security: $(DEV_STAMP)
	$(BIN)/bandit -q -r portal --severity-level medium

clean:
	rm -rf $(VENV) instance/portal.sqlite3 .pytest_cache .ruff_cache
