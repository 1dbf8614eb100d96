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

.PHONY: run test lint translations extract-messages migrate seed worker bench clean help

help:
	@echo "make run    - install, migrate the SQLite database, load demo data, serve on http://127.0.0.1:5000"
	@echo "make test   - install the dev extras and run the whole test suite"
	@echo "make lint   - ruff"

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
	$(BIN)/pybabel update -i portal/translations/messages.pot -d portal/translations --no-fuzzy-matching

migrate: $(RUN_STAMP)
	mkdir -p instance
	$(BIN)/alembic upgrade head

seed: migrate translations
	$(FLASK) portal seed-demo

# Serves with Flask's development server and delivers the outbox to this console every few seconds.
run: seed
	@echo "Serving on http://127.0.0.1:5000 (Ctrl-C stops it)."
	@trap 'kill 0' INT TERM EXIT; \
	  MAIL_BACKEND=console $(FLASK) portal send-mail --watch 3 & \
	  $(FLASK) run --host 127.0.0.1 --port 5000

test: $(DEV_STAMP) translations
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance/portal.sqlite3 .pytest_cache .ruff_cache
