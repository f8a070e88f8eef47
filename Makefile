# secaudit: make demo | make test | make lint | make bench
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps demo test test-browser lint bench clean

install: $(STAMP)

# System packages: nmap for the ports probe; pango, harfbuzz and the Noto CJK fonts for PDF
# reports (WeasyPrint). Installed with apt-get when missing and we are root; otherwise listed.
SYSTEM_PACKAGES := nmap fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0

system-deps:
	@if command -v dpkg-query >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(SYSTEM_PACKAGES); do \
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

test: install
	$(BIN)/python -m pytest -q

# The optional browser test: renders the HTML report in headless Chromium and saves a screenshot.
test-browser: install
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; \
	  else echo "error: install chromium first (sudo apt-get install chromium)" >&2; exit 2; fi; \
	fi
	$(BIN)/python -m pytest -q tests/report/test_browser.py

lint: install
	$(BIN)/ruff check secaudit tests bench
	$(BIN)/mypy secaudit

# Every benchmark, each figure beside its goal (docs/performance.md records them). Not part of make test.
bench: install
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info demo-workspace
