# Arctic Sales Development – content hub.
#   make serve   preview the site with live reload on http://127.0.0.1:8000/, and the
#                lead inbox on http://127.0.0.1:8001/ (staff page /staff/)
#   make test    install everything (headless Chromium included) and run all tests
#   make build   strict production build into site/; needs HUB_INBOX_URL (the deployed inbox)
#   make preview-build   the same build for this machine, served on http://127.0.0.1:8000/
#   make new TITLE="Slik coacher du selgerne dine"   start a new article as a draft
#   make check   word count, reading time, LIX and common mistakes for every article
#   make schema  regenerate the editor's JSON Schema for front matter
#   make bench-related   benchmarks for «Liknende artikler» (see bench/RESULTS.md)
#   make bench-reader    page weight and Lighthouse scores (see bench/RESULTS.md)
#   make bench-build     build time against plain Material, preview turnaround (see bench/RESULTS.md)
#   make bench-inbox     the lead inbox under load, and after SIGKILL (see bench/RESULTS.md)
#   make bench-search    search hit rate at 5 for Norwegian queries (see bench/RESULTS.md)
#   make bench-newsletter one issue to 5,000 subscribers over SMTP, exactly once (see bench/RESULTS.md)
#   make bench-stats     statistics: beacons under load, the 90-day report on a year of data (bench/RESULTS.md)
# Both `serve` and `test` set up .venv from the pinned requirements on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Debian packages: wait up to five minutes for another package manager to let go of the lock.
APT    := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300
# Tools from the npm registry, installed into .cache/ on first use (defined
# up here: make expands prerequisites when it reads a rule).
AXE        := .cache/axe/node_modules/axe-core/axe.min.js
VNU        := .cache/vnu/node_modules/vnu-jar/build/dist/vnu.jar
LIGHTHOUSE := .cache/lighthouse/node_modules/.bin/lighthouse
# The web editor at /admin/ (issue 17): Decap CMS and its local backend, pinned (README, «Editoren»).
DECAP        := .cache/decap/node_modules/decap-cms/dist/decap-cms.js
DECAP_SERVER := .cache/decap/node_modules/.bin/decap-server

export NO_MKDOCS_2_WARNING := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: serve build preview-build test new check schema bench-related bench-reader bench-build bench-inbox bench-search bench-newsletter chromium java postgres clean

# A large hub previews with --dirty: a save re-renders the saved page at once;
# listings catch up at the next full build (plugins/hub_speed/preview.py). Above
# the hub-speed plugin's preview_full_rebuild_limit (mkdocs.yml), articles counted
# as the build counts them; asked only when `make serve` runs.
SERVE_OPTIONS = $(shell PYTHONPATH=hooks $(BIN)/python -m hub.site --root . --serve-options 2>/dev/null)
# The lead inbox (python -m inbox) runs beside the preview on 127.0.0.1:8001,
# so the booking and newsletter forms work end to end; it stops with the preview.
# mkdocs.yml is read first, so a mistake in it is one Norwegian line naming the line (hub/site.py).
SITE_CHECK = PYTHONPATH=hooks $(BIN)/python -m hub.site --root .

# The web editor's local backend (decap-server, npm) runs on 127.0.0.1:8081 beside them and
# writes into this checkout; staff open http://127.0.0.1:8000/admin/. It stops with the preview.
serve: $(VENV)/.runtime $(DECAP)
	@$(SITE_CHECK)
	@$(BIN)/python -m inbox & inbox=$$!; \
	BIND_HOST=127.0.0.1 PORT=8081 MODE=fs ORIGIN=http://127.0.0.1:8000 GIT_REPO_DIRECTORY=$(CURDIR) \
	  LOG_LEVEL=warn $(DECAP_SERVER) & editor=$$!; \
	trap 'kill $$inbox $$editor 2>/dev/null' EXIT INT TERM; \
	echo "Editoren: http://127.0.0.1:8000/admin/"; \
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000 --livereload $(SERVE_OPTIONS)

# The published build: HUB_INBOX_URL must name the deployed inbox, or it stops.
build: $(VENV)/.runtime $(DECAP)
	@$(SITE_CHECK)
	$(BIN)/mkdocs build --strict --clean

# The same strict build, made for this machine (site_url and the inbox on
# 127.0.0.1), served from site/ on http://127.0.0.1:8000/ beside the inbox.
preview-build: $(VENV)/.runtime $(DECAP)
	@$(SITE_CHECK)
	HUB_SITE_URL=http://127.0.0.1:8000/ $(BIN)/mkdocs build --strict --clean
	@$(BIN)/python -m inbox & inbox=$$!; \
	BIND_HOST=127.0.0.1 PORT=8081 MODE=fs ORIGIN=http://127.0.0.1:8000 GIT_REPO_DIRECTORY=$(CURDIR) \
	  LOG_LEVEL=warn $(DECAP_SERVER) & editor=$$!; \
	trap 'kill $$inbox $$editor 2>/dev/null' EXIT INT TERM; \
	echo "Det bygde nettstedet: http://127.0.0.1:8000/, editoren: http://127.0.0.1:8000/admin/ (Ctrl+C stopper)"; \
	$(BIN)/python -m http.server --bind 127.0.0.1 --directory site 8000

new: $(VENV)/.runtime
	@PYTHONPATH=hooks $(BIN)/python -m hub.newpost --root . "$(TITLE)"

check: $(VENV)/.runtime
	@PYTHONPATH=hooks $(BIN)/python -m hub.check --root .

schema: $(VENV)/.runtime
	@PYTHONPATH=hooks $(BIN)/python -m hub.schema

bench-related: $(VENV)/.runtime
	$(BIN)/python bench/related_bench.py

$(LIGHTHOUSE):
	npm install --no-audit --no-fund --silent --prefix .cache/lighthouse lighthouse@13.5.0

bench-build: $(VENV)/.runtime
	$(BIN)/python bench/build_bench.py --articles 100 400 1000 --preview 100 1000 --profile

bench-inbox: $(VENV)/.runtime
	$(BIN)/python bench/inbox_bench.py

bench-search: $(VENV)/.test chromium
	$(BIN)/python bench/search_bench.py

# The newsletter (issue 18): aiosmtpd, a test package, is its SMTP sink.
bench-newsletter: $(VENV)/.test
	$(BIN)/python bench/newsletter_bench.py

bench-reader: $(VENV)/.test chromium $(LIGHTHOUSE)
	$(BIN)/python bench/reader_bench.py

# Statistics (issue 19): 100,000 page-view beacons from 50 clients, and the 90-day report on a year of data.
.PHONY: bench-stats
bench-stats: $(VENV)/.runtime
	$(BIN)/python bench/stats_bench.py

# The inbox's tests run against SQLite and against PostgreSQL (.ci/postgres
# installs and starts Debian's server and a role for the tests).
test: $(VENV)/.test chromium postgres $(AXE) $(VNU) $(DECAP) java
	AXE_PATH=$(abspath $(AXE)) VNU_JAR=$(abspath $(VNU)) INBOX_REQUIRE_POSTGRES=1 \
	INBOX_TEST_POSTGRES=$${INBOX_TEST_POSTGRES:-postgresql+psycopg://inbox_test:inbox_test@127.0.0.1:5432/postgres} \
	$(BIN)/python -m pytest

postgres:
	@sh .ci/postgres

# axe-core from the npm registry, for the accessibility check in the browser tests.
$(AXE):
	@command -v npm >/dev/null 2>&1 || \
	  if [ "$$(uname)" = Darwin ]; then brew install node; \
	  else $(APT) update -qq && $(APT) install -y -qq npm; fi
	npm install --no-audit --no-fund --silent --prefix .cache/axe axe-core@4.14.1

# The Nu HTML Checker from the npm registry, for the markup check of every built page
# (tests/test_reader.py). --ignore-scripts: its postinstall would download a Java of its
# own; Java comes from Debian's default-jre-headless instead (the java target).
$(VNU):
	@command -v npm >/dev/null 2>&1 || \
	  if [ "$$(uname)" = Darwin ]; then brew install node; \
	  else $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm; fi
	npm install --no-audit --no-fund --silent --ignore-scripts --prefix .cache/vnu vnu-jar@26.9.27

# Decap CMS (the editor at /admin/, copied into the site by hooks/admin.py) and decap-server
# (its local backend for `make serve`), from the npm registry at pinned versions; nothing from a CDN.
$(DECAP):
	@command -v npm >/dev/null 2>&1 || \
	  if [ "$$(uname)" = Darwin ]; then brew install node; \
	  else $(APT) update -qq && $(APT) install -y -qq npm; fi
	npm install --no-audit --no-fund --silent --prefix .cache/decap decap-cms@3.16.3 decap-server@3.11.3

java:
	@command -v java >/dev/null 2>&1 || \
	  if [ "$$(uname)" = Darwin ]; then brew install openjdk; \
	  else $(SUDO) apt-get -o DPkg::Lock::Timeout=300 update -qq && \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq default-jre-headless; fi

# System packages the tests need, installed only where missing: Debian's
# chromium drives the browser tests through Playwright's executable_path
# (`playwright install` cannot download a browser here), and faketime runs the
# reproducibility test on another day. On macOS, Homebrew's equivalents.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  [ -n "$$CHROMIUM_PATH" ] || \
	  if [ "$$(uname)" = Darwin ]; then brew install --cask chromium; \
	  else $(APT) update -qq && $(APT) install -y -qq chromium; fi
	@command -v faketime >/dev/null 2>&1 || \
	  if [ "$$(uname)" = Darwin ]; then brew install libfaketime; \
	  else $(APT) install -y -qq faketime || \
	    { $(APT) update -qq && $(APT) install -y -qq faketime; }; fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test: requirements-test.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

clean:
	rm -rf site .pytest_cache
