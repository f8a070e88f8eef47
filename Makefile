# secaudit: make demo | make test | make lint | make bench
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps test-deps demo test test-future test-browser lint bench clean

install: $(STAMP)

# System packages: nmap for the ports probe; pango, harfbuzz, the Noto CJK fonts and DejaVu Sans Mono for PDF
# reports (WeasyPrint). Installed with apt-get when missing and we are root; otherwise listed.
SYSTEM_PACKAGES := nmap fonts-noto-cjk fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0
# What the test suite uses besides: LibreOffice re-saves a workbook as a user's would, headless
# Chromium renders the report and, under chromedriver, runs the dashboard's sorting and filters and the portal;
# faketime runs the suite a year ahead (make test-future); pdftotext (poppler-utils) reads the PDF as printed;
# PostgreSQL: the suite starts a throw-away cluster on loopback (initdb in a temporary folder) for the shared store;
# redis-server: the zone workers' broker, started by the suite on a loopback port with a password;
# testssl.sh: its JSON is imported as evidence (the suite runs it against a loopback TLS server).
TEST_SYSTEM_PACKAGES := faketime libreoffice-calc-nogui chromium chromium-driver poppler-utils postgresql redis-server \
	testssl.sh

# sslyze, whose JSON the suite imports after running it against loopback targets, in an environment of its own:
# it pins its own cryptography and nassl, and secaudit only reads its output (never imports it).
TOOLS := .tools
SSLYZE_VERSION := 6.3.1
SSLYZE := $(TOOLS)/sslyze/bin/sslyze

system-deps:
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(SYSTEM_PACKAGES)"

test-deps: system-deps $(SSLYZE)
	@$(MAKE) --no-print-directory apt-packages PACKAGES="$(TEST_SYSTEM_PACKAGES)"

$(SSLYZE):
	$(PYTHON) -m venv $(TOOLS)/sslyze
	$(TOOLS)/sslyze/bin/python -m pip install -q 'sslyze==$(SSLYZE_VERSION)'

.PHONY: apt-packages
apt-packages:
	@if command -v dpkg-query >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	  done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = "0" ]; then \
	      echo "installing$$missing with apt-get"; \
	      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	    else \
	      echo "warning: missing system packages:$$missing (sudo apt-get install$$missing)" >&2; \
	    fi; \
	  fi; \
	elif ! command -v nmap >/dev/null 2>&1; then \
	  echo "warning: nmap is not installed; port scans need it" >&2; \
	fi

$(STAMP): pyproject.toml setup.py | system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip >/dev/null
	$(BIN)/python -m pip install -e '.[dev]'
	touch $(STAMP)

demo: install
	./examples/demo.sh

test: install test-deps
	$(BIN)/python -m pytest -q

# The whole suite a year ahead of the calendar: nothing may depend on today's date. Left out:
# tests marked `realtime`, which measure real network deadlines; libfaketime 0.9.10 also shifts
# the monotonic clock, so a probe's watchdog and a socket's timeout no longer agree under it.
test-future: install test-deps
	faketime -f '+365d' $(BIN)/python -m pytest -q -m 'not realtime'

# The browser tests alone: the HTML report in headless Chromium (a screenshot), the dashboard of a
# 200-service portfolio driven through chromedriver (loads, sorts, filters), and an owner answering on
# the portal served by `secaudit serve` (answers, a follow-up, an error in place, submits; the officer sees it).
test-browser: install test-deps
	$(BIN)/python -m pytest -q tests/report/test_browser.py tests/report/test_dashboard_browser.py tests/portal/test_browser.py

lint: install
	$(BIN)/ruff check secaudit tests bench
	$(BIN)/mypy secaudit

# Every benchmark, each figure beside its goal (docs/performance.md records them). Not part of make test.
bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) $(TOOLS) build dist *.egg-info demo-workspace
