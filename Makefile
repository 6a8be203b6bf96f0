# The two commands of the README: `make demo` and `make test`. Everything else is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-quick clean postgres-server

# pip's HTTP cache keeps nothing on this machine, so every new venv downloaded and resolved
# its ~65 packages from PyPI again (1 to 3 minutes). The wheels of the first install are kept
# in WHEELHOUSE instead (outside the checkout: every clone shares them) and later installs
# resolve from it alone; it is filled from the index again when it lacks something (a new pin).
CACHE := $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/payconsole
WHEELHOUSE ?= $(CACHE)/wheels
export PAYCONSOLE_WHEELHOUSE := $(WHEELHOUSE)
FROM_WHEELHOUSE := --quiet --no-index --find-links $(WHEELHOUSE)
# The wheelhouse also holds what pip builds the editable install with (build-system.requires).
REQUIREMENTS := pip -e '.[dev,demo]'
WHEELS := pip 'setuptools>=68' '.[dev,demo]'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install $(FROM_WHEELHOUSE) --upgrade $(REQUIREMENTS) 2>/dev/null || { \
	    echo "make: filling the wheel cache $(WHEELHOUSE) from the package index"; \
	    $(BIN)/pip wheel --quiet --wheel-dir $(WHEELHOUSE) $(WHEELS) \
	    && rm -f $(WHEELHOUSE)/payconsole-*.whl \
	    && $(BIN)/pip install $(FROM_WHEELHOUSE) --upgrade $(REQUIREMENTS); }
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/payconsole demo

# With PYTHONDONTWRITEBYTECODE set (it is on some machines), every worker re-rewrote the
# asserts of each test module and every subprocess the tests start recompiled the package.
# Three workers on two cores: each test waits on servers and subprocesses part of the time
# (the suite took 409 s with -n 2, 347 s with -n 3 and 338 s with -n 4 on this machine).
test: lint postgres-server
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n 3 -q

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

# One table of figures, each against a baseline of the same run (bench/run.py). Without
# bytecode files every interpreter the benchmarks start recompiled what it imports.
bench: $(STAMP) postgres-server
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python bench/run.py

bench-quick: $(STAMP)
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/python bench/run.py --quick

# mypy's incremental cache, outside the checkout too: a new clone's first check took ~30 s,
# nearly all of it the standard library and the dependencies, the same for every clone
# (mypy re-checks whatever changed, by each file's hash).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	MYPY_CACHE_DIR=$(CACHE)/mypy $(BIN)/mypy

clean:
	rm -rf $(VENV) .pytest_cache
