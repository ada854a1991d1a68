# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export GX_ANALYTICS_ENABLED := false
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: install run run-rollover test test-long test-spark spark lint bench clean dagster dev browsers

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check uv==0.13.8
	$(BIN)/uv pip sync -q --python $(BIN)/python --compile-bytecode requirements.lock
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps --compile-bytecode -e .
	touch $(STAMP)

install: $(STAMP)

## Run the whole pipeline on the bundled sample extract and say where the outputs are.
run: $(STAMP)
	$(BIN)/mtm run

## The sample across a year end (home .mtm-rollover): a 2024-12-31 backfill, then 2025-09-30 with
## rollover_enrollees = true, so rolled-over members get their annual CMR offer (every service appears).
run-rollover: $(STAMP)
	$(BIN)/mtm run --as-of 2024-12-31 --settings data_samples/rollover.toml --home .mtm-rollover
	$(BIN)/mtm run --settings data_samples/rollover.toml --home .mtm-rollover

## Debian's Chromium for the browser tests (dashboard, portal, Dagster UI); a no-op when present.
browsers:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null)

## Lint, then the test suite (`dg check defs` included: tests/test_dagster_project.py) except the `long` variants,
## with the type check running beside it. Rules are tested on the model that owns them; a few whole runs test the
## wiring (issue 24).
test: $(STAMP) browsers
	$(BIN)/ruff check .
	@echo "mypy (beside the tests; its report follows theirs)"
	@$(BIN)/mypy > .mypy-report.txt 2>&1 & types=$$!; \
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder -m "not long and not spark"; tests=$$?; \
	wait $$types; typed=$$?; cat .mypy-report.txt; rm -f .mypy-report.txt; \
	test $$tests -eq 0 -a $$typed -eq 0

## The slow reliability variants (SIGKILL at every step, every bad input through `mtm run`, 50 MB lines, large
## property runs): see docs/reliability.md. Bounded: each command is stopped (and fails) after 35 and 10 minutes,
## so `.ci/run` (make test, then make test-long) fits CI's 90 minutes.
test-long: $(STAMP)
	timeout --kill-after=30 35m $(BIN)/pytest -n 2 --dist loadfile -m "long and not spark"
	MTM_LONG_PROPERTIES=1 timeout --kill-after=30 10m $(BIN)/pytest -n 2 tests/test_properties.py

## The Spark engine (issue 31): Java from Debian's packages when `java` is missing, the `spark` extra
## (requirements-spark.lock) on top of the project's lock; `make run` needs neither.
spark: $(STAMP)
	@command -v java >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null)
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements-spark.lock

## Spark (local[2]) against DuckDB on data_samples and a generated 10k-member extract: the run folders' member
## summary, outreach list, quality measures and program metrics must be identical (tests marked `spark`, one at a
## time: Spark takes both cores). Bounded at 30 minutes.
test-spark: spark
	timeout --kill-after=30 30m $(BIN)/pytest -m spark tests/

lint: $(STAMP)
	$(BIN)/ruff check .

## Benchmark at population scale (BENCH_SIZES=10000,100000 by default; e.g. BENCH_SIZES=30000 or 1000000).
## BENCH_FORMATS=parquet,csv,csv.gz; BENCH_BEFORE=DIR runs another source tree side by side (before/after);
## BENCH_DELIVERY=1 also measures a daily delivery (`mtm run --delivery`) on top of each size.
## BENCH_ENGINE=spark also runs each size with `mtm run --engine spark` (BENCH_SPARK_MASTER, default local[2]),
## beside DuckDB on the same extract (installs the spark extra and Java first).
bench: $(STAMP) $(if $(filter spark,$(BENCH_ENGINE)),spark,)
	$(BIN)/python -m mtm.bench $(if $(BENCH_SIZES),--sizes $(BENCH_SIZES),) \
		$(if $(BENCH_FORMATS),--formats $(BENCH_FORMATS),) $(if $(BENCH_BEFORE),--before $(BENCH_BEFORE),) \
		$(if $(BENCH_DELIVERY),--delivery,) $(if $(BENCH_ENGINE),--engine $(BENCH_ENGINE),) \
		$(if $(BENCH_SPARK_MASTER),--spark-master '$(BENCH_SPARK_MASTER)',)

## The Dagster UI on http://127.0.0.1:3000 with the same assets, checks, schedule and sensor.
dagster: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dg dev

## The Dagster UI with the bundled sample wired in: materialise `published_run` to publish a run of it.
dev: $(STAMP)
	mkdir -p .dagster
	MTM_HOME=$(CURDIR)/.mtm-dev DAGSTER_HOME=$(CURDIR)/.dagster PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dg dev

## Regenerate the committed sample extract (data_samples/rollover.toml, hand-written, is kept).
samples: $(STAMP)
	rm -f data_samples/*.csv.gz data_samples/*.csv data_samples/extract.toml && $(BIN)/mtm generate --members 3000 --seed 20251 --out data_samples --as-of 2025-09-30 && gzip -9 data_samples/*.csv

clean:
	rm -rf .mtm .mtm-rollover .pytest_cache
