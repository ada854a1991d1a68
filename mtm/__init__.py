"""The entry points: the `mtm` command line, backfill, the year-end report, the benchmark and the run summary. Above
both the core (pipelines) and the Dagster layer (dagster_project): nothing imports them."""
