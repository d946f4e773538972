# Quick start: `make demo`, then `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SAMPLE_HOME ?= .kurume-hub
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export GX_ANALYTICS_ENABLED := false

.PHONY: install demo demo-fresh test dev portal bench bench-scale bench-portal bench-console lint clean

install: $(VENV)/.installed

# Re-installs when the dependencies change; the dbt manifest is prepared here (never committed).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/python -m orchestration.dbt_manifest
	touch $@

demo: install
	$(BIN)/kurume-hub demo --home $(SAMPLE_HOME)

# The demo from the samples only: deletes the sample home first (keeps .venv).
demo-fresh: install
	$(BIN)/kurume-hub demo --fresh --home $(SAMPLE_HOME)

# Two processes (the machines have two cores); a module's tests stay in one (shared homes).
test: install
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

dev: install
	@[ -d $(SAMPLE_HOME)/submissions ] || $(BIN)/kurume-hub init --sample --home $(SAMPLE_HOME)
	KURUME_HUB_HOME=$(abspath $(SAMPLE_HOME)) DAGSTER_HOME=$(abspath $(SAMPLE_HOME))/dagster \
		$(BIN)/dagster dev -m orchestration.definitions

# The members' portal on the sample home (built first when it has no release), with demo
# accounts whose passwords are printed at each start.
portal: install
	@[ -e $(SAMPLE_HOME)/releases/latest ] || $(BIN)/kurume-hub demo --home $(SAMPLE_HOME)
	$(BIN)/kurume-hub serve --home $(SAMPLE_HOME) --demo-accounts

# Time from upload to result page in the portal (issue 13 figures). BENCH_HOME: a built home
# to copy (default: the sample home when built, else one is built in a temporary folder).
BENCH_OUT ?= /tmp/portal_upload_bench
bench-portal: install
	$(BIN)/python -m tests.benchmarks.portal_upload --out $(BENCH_OUT) \
		$(if $(BENCH_HOME),--home $(BENCH_HOME),$(if $(wildcard $(SAMPLE_HOME)/releases/latest),--home $(SAMPLE_HOME)))

# Time from pressing 「ビルドを実行」 in the secretariat's console to the result on the page,
# against `kurume-hub build` in a terminal (issue 14 figure).
bench-console: install
	$(BIN)/python -m tests.benchmarks.console_build --out /tmp/console_build_bench \
		$(if $(BENCH_HOME),--home $(BENCH_HOME),$(if $(wildcard $(SAMPLE_HOME)/releases/latest),--home $(SAMPLE_HOME)))

# A build against the import floor, by scenario and stage (issue 15 targets). BENCH_HOME: a
# built home to copy for the scenarios that start from one (default: built here).
bench: install
	$(BIN)/python -m tests.benchmarks.build --out /tmp/build_bench \
		$(if $(BENCH_HOME),--home $(BENCH_HOME))

# A build of synthetic areas of 24, 200 and 1,741 members against the same SQL run directly
# on DuckDB (issue 16 targets; ~15 min, most of it the 1,741-member area). SCALE_SIZES:
# other member counts, comma-separated.
bench-scale: install
	$(BIN)/python -m tests.benchmarks.scale --out /tmp/scale_bench \
		$(if $(SCALE_SIZES),--sizes $(SCALE_SIZES))

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) $(SAMPLE_HOME) dbt_project/target dbt_project/logs
