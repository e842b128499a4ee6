# volunteer_hub — two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-clocks bench install dev-install translations assets pdf-libs postgres redis browser migrate demo openapi i18n clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { $(SUDO) apt-get update && $(SUDO) apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

CATALOGUES := $(patsubst %.po,%.mo,$(wildcard volunteer_hub/translations/*/LC_MESSAGES/messages.po))

install: $(VENV)/.installed translations assets pdf-libs
dev-install: $(VENV)/.dev-installed translations assets pdf-libs

# Front-end libraries from the npm registry, as pinned in package.json and package-lock.json (Debian's
# nodejs and npm when missing); the files pages load are copied into a git-ignored static folder.
VENDOR := volunteer_hub/static/vendor
assets: $(VENDOR)/.installed
$(VENDOR)/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "Installing Debian's nodejs and npm..."; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends nodejs npm; }
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/weui/dist/style/weui.min.css node_modules/chart.js/dist/chart.umd.min.js \
		node_modules/zxing-wasm/dist/iife/reader/index.js $(VENDOR)/
	mv $(VENDOR)/index.js $(VENDOR)/zxing-reader.js
	mkdir -p $(VENDOR)/workbox
	cp node_modules/workbox-sw/build/workbox-sw.js $(VENDOR)/workbox/
	for part in core routing strategies precaching; do \
		cp node_modules/workbox-$$part/build/workbox-$$part.prod.js $(VENDOR)/workbox/; done
	cp node_modules/zxing-wasm/dist/reader/zxing_reader.wasm $(VENDOR)/
	touch $@

# Compiled catalogues (.mo) are build output, not committed.
translations: $(CATALOGUES)
%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

# The test suite starts its own throw-away cluster; it only needs the server binaries.
postgres:
	@if command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "PostgreSQL server binaries found."; \
	else \
		echo "Installing PostgreSQL server binaries (Debian package postgresql-15)..."; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends postgresql-15 || \
		$(SUDO) apt-get install -y --no-install-recommends postgresql; \
	fi

# Production keeps rate-limit counters in Redis; the tests that prove it start their own redis-server.
redis:
	@if command -v redis-server >/dev/null 2>&1; then \
		echo "redis-server found."; \
	else \
		echo "Installing Debian's redis-server..."; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends redis-server; \
	fi

# WeasyPrint draws the PDF certificates with Pango, in a CJK font.
pdf-libs:
	@if dpkg -s libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei >/dev/null 2>&1; then \
		echo "Pango and a CJK font found."; \
	else \
		echo "Installing Debian's libpango-1.0-0, libpangoft2-1.0-0 and fonts-wqy-microhei..."; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-wqy-microhei; \
	fi

# The browser tests drive Debian's Chromium through Playwright, with a CJK font for the pages.
browser:
	@if dpkg -s chromium fonts-wqy-microhei >/dev/null 2>&1; then \
		echo "Chromium found."; \
	else \
		echo "Installing Debian's chromium and fonts-wqy-microhei..."; \
		$(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium fonts-wqy-microhei; \
	fi

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) hub demo

# The web server and the scheduler (its own process) together; one Ctrl-C stops both.
run: demo
	@echo "Serving on http://$(HOST):$(PORT) with the scheduler — stop with Ctrl-C."
	PUBLIC_URL=$${PUBLIC_URL:-http://$(HOST):$(PORT)} $(FLASK) hub serve --host $(HOST) --port $(PORT)

# Two worker processes (the CI machine has two cores), each with its own PostgreSQL cluster and Redis;
# worksteal keeps both busy when one draws the slow fuzzing tests.
PARALLEL := -n 2 --dist worksteal
test: dev-install postgres redis browser
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -p no:cacheprovider $(PARALLEL) --durations=15

# The clock-sensitive packages again from fixed instants (ticking; tests/conftest.py --pretend-now):
# either side of the weekly report's Monday 06:00, the Saturday morning peak, New Year's Eve, and a
# minute before the March DST change in a zone that has one. .ci/run runs this after `make test`.
# New Year's Eve runs on both databases (their local-month SQL differs); the others on SQLite, which
# `make test` has already run side by side with PostgreSQL at the real date: half the time.
CLOCK_PACKAGES := tests/reports tests/scheduler tests/themes tests/credits tests/events tests/checkin tests/needs
PRETEND := $(BIN)/python -m pytest -p no:cacheprovider -q $(PARALLEL) --pretend-now
# Monday 06:00 is the weekly report's and the weekly theme's boundary: those packages run either side of it.
MONDAY_PACKAGES := tests/reports tests/scheduler tests/themes
ON_SQLITE := -k "not postgresql"
test-clocks: dev-install postgres
	$(PRETEND) 2026-11-23T05:59+08:00 $(ON_SQLITE) $(MONDAY_PACKAGES)
	$(PRETEND) 2026-11-23T06:01+08:00 $(ON_SQLITE) $(MONDAY_PACKAGES)
	$(PRETEND) 2026-11-28T08:30+08:00 $(ON_SQLITE) $(CLOCK_PACKAGES)
	$(PRETEND) 2026-12-31T23:59+08:00 $(CLOCK_PACKAGES)
	TIMEZONE=America/New_York $(PRETEND) 2026-03-08T01:59-05:00 $(ON_SQLITE) $(CLOCK_PACKAGES)

# Performance figures (not part of `make test`): one table of pgbench, the floor, check-in, redemption and
# two app instances (gunicorn + durable PostgreSQL + Redis on loopback), then the other workloads.
bench: dev-install postgres redis
	$(BIN)/python -m benchmarks.floor
	$(BIN)/python -m benchmarks.fanout
	$(BIN)/python -m benchmarks.load
	$(BIN)/python -m benchmarks.roster_import

# Refresh the committed OpenAPI snapshot after a deliberate API change.
openapi: install
	$(BIN)/python -c "import json; from volunteer_hub import create_app; \
	app = create_app({'SECRET_KEY': 'x', 'SQLALCHEMY_DATABASE_URI': 'sqlite://'}); \
	print(json.dumps(app.test_client().get('/api/v1/openapi.json').json, indent=2, ensure_ascii=False, sort_keys=True))" > docs/openapi.json

# Extract new strings and merge them into the catalogues; then translate the empty entries.
i18n: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_pgettext:1c,2 -k later -o volunteer_hub/translations/messages.pot --no-location --sort-output -w 120 .
	$(BIN)/pybabel update -i volunteer_hub/translations/messages.pot -d volunteer_hub/translations -w 120

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache node_modules $(VENDOR)
	find . -name __pycache__ -prune -exec rm -rf {} +
