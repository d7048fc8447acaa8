# Kanvaro: `make run` serves the app; `make test` installs what the tests need and runs them.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
APT := apt-get -o DPkg::Lock::Timeout=600 -y -q
PYTEST := $(BIN)/python -m pytest
# pytest-xdist: the suite waits on databases, servers and Chromium more than on the CPU.
WORKERS ?= 6
# The PostgreSQL pass runs what reads or writes through the database layer; the suites whose
# subject is not the database run in the SQLite pass only: input parsing and rendering
# (hostile input, XSS, Markdown, mail addresses), the request guards (CSRF and Origin, the
# security headers), the route walk (that every route answers) and schemathesis (the API's
# shapes). docs/testing.md says why.
SQLITE_ONLY := $(addprefix --ignore=tests/,reliability/test_markdown_xss.py \
	reliability/test_hostile_input.py reliability/test_xss.py reliability/test_mail_addresses.py \
	reliability/test_csrf_origin.py web/test_hardening.py test_routes_walk.py api/test_schemathesis.py)
BROWSER_WORKERS ?= 2

.PHONY: install run test test-deps system-deps test-sqlite test-postgres test-browser fuzz bench soak screenshots lint clean

install: $(VENV)/.installed static/vendor/htmx.min.js static/vendor/Sortable.min.js static/vendor/icons.svg

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/htmx.min.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js

static/vendor/Sortable.min.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/sortablejs/Sortable.min.js static/vendor/Sortable.min.js

static/vendor/icons.svg: node_modules/.installed kanvaro/icons.py
	$(PYTHON) -m kanvaro.icons node_modules/lucide-static/icons $@

run: install
	$(BIN)/kanvaro serve --host $(HOST) --port $(PORT)

system-deps:
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	test -x /usr/bin/chromium || missing="$$missing chromium"; \
	command -v wrk >/dev/null 2>&1 || missing="$$missing wrk"; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(APT) update >/dev/null && DEBIAN_FRONTEND=noninteractive $(APT) install $$missing >/dev/null; \
	fi

$(VENV)/.test-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

test-deps: install system-deps $(VENV)/.test-installed

test: test-deps
	$(PYTEST) -n $(WORKERS) --ignore=tests/browser
	$(PYTEST) -n $(WORKERS) --ignore=tests/browser $(SQLITE_ONLY) --db=postgres
	$(PYTEST) -n $(BROWSER_WORKERS) tests/browser

test-sqlite: test-deps
	$(PYTEST) -n $(WORKERS) --ignore=tests/browser

test-postgres: test-deps
	$(PYTEST) -n $(WORKERS) --ignore=tests/browser $(SQLITE_ONLY) --db=postgres

test-browser: test-deps
	$(PYTEST) -n $(BROWSER_WORKERS) tests/browser

# Not part of `make test`: the hostile-input properties with fresh random draws, many of them
# (`make test` replays the same 25 per form every run). FUZZ_EXAMPLES=n sets how many.
FUZZ_EXAMPLES ?= 300
fuzz: test-deps
	KANVARO_FUZZ_RANDOM=1 KANVARO_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(PYTEST) tests/reliability/test_hostile_input.py -q

$(VENV)/.bench-installed: $(VENV)/.test-installed
	$(BIN)/pip install -q --disable-pip-version-check py-spy
	touch $@

# Not part of `make test`: 7 to 12 minutes, rewrites its part of bench/README.md, fails on a missed target.
bench: test-deps $(VENV)/.bench-installed
	$(BIN)/python bench/run.py

# Not part of `make test`: the demo in Chromium as PNGs in docs/screenshots/ (about a minute).
screenshots: test-deps
	$(BIN)/python tools/screenshots.py

# Load and faults, about 6 minutes; not part of `make test`. The table goes to bench/README.md.
soak: test-deps
	$(BIN)/python bench/soak.py

lint: test-deps
	$(BIN)/ruff check kanvaro tests

clean:
	rm -rf $(VENV) node_modules static/vendor
