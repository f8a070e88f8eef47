# secaudit: make demo | make test | make lint | make bench
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install system-deps demo test lint bench clean

install: $(STAMP)

# System packages: nmap for the ports probe. Installed with apt-get when missing and we are root.
system-deps:
	@if ! command -v nmap >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing nmap with apt-get"; \
	    apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nmap; \
	  else \
	    echo "warning: nmap is not installed; install it (e.g. 'sudo apt-get install nmap') for port scans" >&2; \
	  fi; \
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

lint: install
	$(BIN)/ruff check secaudit tests bench
	$(BIN)/mypy secaudit

bench: install
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) build dist *.egg-info demo-workspace
