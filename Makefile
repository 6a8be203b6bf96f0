# The two commands of the README: `make demo` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean postgres-server

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,demo]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/payconsole demo

test: lint postgres-server
	$(BIN)/pytest -n 2 -q

# The tests start PostgreSQL servers of their own (ledger/local_postgres.py), from the server's
# programs: Debian's `postgresql` package when none is installed (about 15 s). Without the
# package's main cluster: nothing is left running after the tests.
postgres-server:
	@if [ -n "$$PAYCONSOLE_PG_BIN" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	    || [ -x "$$(pg_config --bindir 2>/dev/null)/initdb" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=; elif command -v sudo >/dev/null; then sudo=sudo; else \
	    echo "make: the tests need PostgreSQL's server: install Debian's postgresql package" \
	        "as root, or set PAYCONSOLE_PG_BIN to the folder of its initdb" >&2; exit 2; fi; \
	echo "make: installing PostgreSQL's server (Debian's postgresql package) for the tests"; \
	$$sudo mkdir -p /etc/postgresql-common/createcluster.d && \
	echo "create_main_cluster = false" \
	    | $$sudo tee /etc/postgresql-common/createcluster.d/payconsole.conf >/dev/null && \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -qq --no-install-recommends postgresql >/dev/null

bench: $(STAMP) postgres-server
	$(BIN)/python bench/run.py

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache
