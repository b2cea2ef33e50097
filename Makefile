# govdata — the four commands. Python 3.11+; everything installs into .venv.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench lint install

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/govdata serve --demo --host $(HOST) --port $(PORT)

# On PostgreSQL a test spends much of its time waiting on the server (a database made from the template per
# test, round trips): four workers keep both cores busy; on SQLite two are enough.
TEST_WORKERS ?= $(if $(GOVDATA_DATABASE_URL),4,2)

test: $(STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

# `make bench SIZE=1m` or `SIZE=10m`: the scale bench instead (`python -m bench.scale`), one table of cost against
# size up to SIZE; SCALE_MD=PATH also writes it as markdown.
SIZE ?=
SCALE_MD ?=

bench: $(STAMP)
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		echo "wrk is not installed: the sharing bench falls back to its Python load generator"
ifeq ($(strip $(SIZE)),)
	$(BIN)/python -m bench $(if $(GOVDATA_DATABASE_URL),--both)
else
	$(BIN)/python -m bench.scale --up-to $(SIZE) $(if $(GOVDATA_DATABASE_URL),--both) \
		$(if $(SCALE_MD),--markdown $(SCALE_MD))
endif

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
