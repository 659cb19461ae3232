# Two commands: `make run` (set up and serve the demo on SQLite) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi

.PHONY: run test setup db demo translations lint clean messages screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip wheel setuptools

# Re-install only when the declared dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# A local .env with fresh secrets; never committed (see .gitignore).
.env:
	$(BIN)/python scripts/make_env.py > .env

translations: $(VENV)/.installed
	$(BIN)/pybabel -q compile -d marketplace/translations

setup: $(VENV)/.installed .env translations

db: setup
	$(FLASK) db upgrade
	$(FLASK) regions import marketplace/data/regions_guangzhou.csv

demo: db
	$(FLASK) demo load

# The web server and, beside it, the one scheduler process (lights, expiry, leaderboards).
run: demo
	@$(FLASK) scheduler run & scheduler=$$!; \
	trap 'kill $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

# One pytest worker per core (TEST_WORKERS=0: a single process, e.g. to debug one test).
TEST_WORKERS ?= auto
test: setup
	$(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check marketplace tests scripts wsgi.py

# Regenerate the message catalogs after adding strings (developers only).
messages: setup
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext --project Shanlian -o marketplace/translations/messages.pot .
	$(BIN)/pybabel update -i marketplace/translations/messages.pot -d marketplace/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) instance

# Refresh the README's screenshots from the browser tests (needs chromium and fonts-noto-cjk).
screenshots: setup
	SHANLIAN_SCREENSHOTS=docs/screenshots $(BIN)/pytest -q tests/browser
