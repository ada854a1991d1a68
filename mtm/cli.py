"""The `mtm` command line."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")


@click.group(help="Medicare Part D MTM targeting pipeline: find, enroll and prioritise MTM members.")
@click.version_option(package_name="mtm-targeting")
def main() -> None:
    pass


@main.command(help="Run the whole pipeline once (the Dagster asset graph, in-process) and publish the run.")
@click.option("--extract", "extracts", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Extract folder. Repeat to read several deliveries in order (later versions win). "
                   "Default: the bundled data_samples/.")
@click.option("--source", type=click.Choice(["canonical", "synpuf", "synthea"]), default="canonical",
              show_default=True,
              help="Layout of the extract: canonical (input-contract.md), CMS DE-SynPUF, Synthea CSV.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="Evaluate the population as of this date. Default: the extract's extract.toml, else today.")
@click.option("--settings", "settings_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Plan settings TOML (outputs.md). Default: the CMS defaults of the contract year.")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the warehouse, the enrollment ledger and published runs. Default: $MTM_HOME or ./.mtm")
@click.option("--as-known-at", "as_known_at", default=None, metavar="TIMESTAMP",
              help="Audit cut-off: ignore pharmacy and medical claim versions processed after this time "
                   "(YYYY-MM-DD = end of that day, or YYYY-MM-DDTHH:MM:SS); rows without processed_at count as "
                   "known. Rebuilds a universe as it was known then.")
@click.option("--delivery", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="Add one delivery (new and changed claims, events, eligibility) to the extract this home "
                   "already holds: only its files are read; versions are chosen among old and new rows as a "
                   "full read would, and everything downstream is recomputed. When the home's stored staging "
                   "cannot take it (none yet, another code version or layout), the whole extract is read instead "
                   "(--extract folders, else those stored) and the run says so.")
@click.option("--engine", type=click.Choice(["duckdb", "spark"]), default="duckdb", show_default=True,
              help="Which engine runs the SQL models: DuckDB, or Apache Spark SQL (needs pip install '.[spark]' and "
                   "Java 17+; make spark). Reading, checks, exports and publishing are the same either way.")
@click.option("--spark-master", "spark_master", default="local[2]", show_default=True, metavar="URL",
              help="With --engine spark: local[N] or a cluster, e.g. spark://host:7077.")
@click.option("--verbose", is_flag=True, help="Show Dagster's step-by-step log (member ids at most, never PHI).")
def run(extracts, source, as_of, settings_file, home, as_known_at, delivery, engine, spark_master, verbose) -> None:
    from dagster_project.run import RunFailed, run_pipeline, whole_graph_progress
    from pipelines.engine.spark_engine import SparkUnavailable
    from pipelines.run_state.errors import SettingsError
    from pipelines.run_state.run_context import RunContext

    try:
        if delivery is not None:
            extracts, delivery = _plan_delivery(home, list(extracts), delivery, source)
        ctx = RunContext.create(home=home, extract_dirs=list(extracts) or None, as_of=as_of,
                                settings_file=settings_file, source=source, as_known_at=as_known_at,
                                delivery=delivery, engine=engine, spark_master=spark_master)
        if engine == "spark":  # before the run starts: nothing to record as a failed run
            from pipelines.engine.spark_engine import check_available

            check_available()
    except (SettingsError, ValueError, SparkUnavailable) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"mtm run: as of {ctx.as_of}, extract {', '.join(str(d) for d in ctx.extract_dirs)}"
               + (f", SQL models on Spark ({ctx.spark_master})" if engine == "spark" else ""))
    from pipelines.publishing.run_lock import RunLocked

    try:
        folder = run_pipeline(ctx, log_level="INFO" if verbose else "CRITICAL", progress=whole_graph_progress())
    except RunLocked as exc:
        raise click.ClickException(str(exc)) from exc
    except RunFailed as failure:
        click.echo(f"Run FAILED: {failure.error}", err=True)
        click.echo(f"Nothing published was changed. Partial outputs and the reason: {failure.failed_dir}", err=True)
        if (failure.failed_dir / "rejects.csv").exists():
            click.echo(f"Rejected rows and their reasons: {failure.failed_dir / 'rejects.csv'}", err=True)
        sys.exit(1)
    except OSError as exc:  # the home itself is unusable: read-only, full, or not ours
        raise click.ClickException(f"cannot write to the home folder {ctx.home}: {exc.strerror or exc} "
                                   f"({exc.filename or ctx.home}). Nothing published was changed.") from exc
    _print_summary(folder)


def _plan_delivery(home: Path | None, extracts: list[Path], delivery: Path, source: str
                   ) -> tuple[list[Path], Path | None]:
    """The extract folders of a --delivery run, and whether only the delivery is read (else None: a full read)."""
    import duckdb

    from pipelines.ingest.staging_store import committed_extract
    from pipelines.run_state.run_context import default_home, duckdb_config

    home = Path(home or default_home()).resolve()
    warehouse = home / "warehouse.duckdb"
    stored: list[str] = []
    refused: str | None = "this home has no warehouse yet"
    if source != "canonical":
        refused = f"--delivery reads the canonical layout only, not {source}"
    elif warehouse.exists():
        try:  # the runs' own configuration: a connection of an earlier run in this process may still be open
            with duckdb.connect(str(warehouse), config=duckdb_config(home)) as con:
                stored, refused = committed_extract(con)
        except duckdb.ConnectionException:  # an earlier run of this process holds it: open it the way runs do
            from dagster_project.defs.resources import resources_for

            with resources_for(home)["duckdb"].get_connection() as con:
                stored, refused = committed_extract(con)
        except duckdb.IOException as exc:
            raise ValueError(f"the home {home} is busy (another run holds its warehouse): {exc}") from exc
    resolved = [str(p.resolve()) for p in extracts]
    if not refused and resolved and resolved != stored:
        refused = f"--extract names other folders than the stored extract ({', '.join(stored)})"
    if not refused:
        if str(delivery.resolve()) in stored:
            raise ValueError(f"{delivery} is already part of this home's extract; nothing new to add")
        click.echo(f"mtm run --delivery: reading only {delivery}; {len(stored)} earlier folder(s) "
                   "from the stored staging")
        return [Path(d) for d in stored] + [delivery], delivery
    base = extracts or [Path(d) for d in stored]
    if not base:
        raise ValueError(f"cannot add the delivery: {refused}; give the earlier extract with --extract")
    click.echo(f"mtm run --delivery: reading the whole extract ({refused})")
    return [*base, delivery], None


def _print_summary(folder: Path) -> None:
    from mtm.run_summary import summary_lines

    manifest = json.loads((folder / "run_manifest.json").read_text())
    click.echo(f"Published run: {folder}")
    for line in summary_lines(manifest):
        click.echo(line)
    for warning in manifest.get("warnings", []):
        click.echo(f"  WARNING: {warning}")
    blank = manifest.get("measures", {}).get("cms_mtm_blank_fields")
    if blank:
        click.echo(f"  CMS beneficiary file: fields no row could fill (left blank): {', '.join(blank)}")
    _echo_cms_counts(manifest.get("measures", {}).get("cms_mtm"))
    click.echo(f"Files: {', '.join(sorted(p.name for p in folder.iterdir()))}")
    click.echo(f"Latest run: {folder.parent / 'latest'}")


def _echo_cms_counts(cms: dict | None) -> None:
    """The CMS file's counts: rows per contract file, members left out, rows failing a CMS edit by kind."""
    if not cms:
        return
    rows = ", ".join(f"{c} {n}" for c, n in cms.get("rows_by_contract", {}).items()) or "none"
    left_out = sum(cms.get("members_left_out", {}).values())
    click.echo(f"  CMS beneficiary file rows by contract: {rows}; enrollees left out: {left_out} "
               f"{cms.get('members_left_out') or ''} (cms_mtm_problems.csv)")
    errors = {k: v for k, v in cms.get("validation_errors", {}).items() if v}
    warnings = {k: v for k, v in cms.get("validation_warnings", {}).items() if v}
    click.echo(f"  CMS validation: {sum(errors.values())} errors {errors or ''}, {sum(warnings.values())} warnings "
               f"{warnings or ''} (cms_mtm_validation.csv)")


@main.command(help="Year-end submission files of one contract: quality measures and the CMS beneficiary-level "
                    "MTM file, re-computed on a copy of the warehouse (ledger kept across runs, every event of the "
                    "year) as of 31 December, or the latest run of a year not yet over.")
@click.option("--contract", "contract_id", required=True, help="Part D contract, e.g. H1234.")
@click.option("--year", type=click.IntRange(2000, 2100), required=True, help="Measurement / contract year.")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The home whose warehouse and published runs are read. Default: $MTM_HOME or ./.mtm")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder. Default: <home>/reports/<contract>-<year>[-shareable]")
@click.option("--shareable", is_flag=True, default=False,
              help="Write what may be shared outside the plan: quality measures with counts of 1-10 shown as <11 "
                   "(and their complements suppressed), no member-level file.")
def report(contract_id, year, home, out, shareable) -> None:
    from dagster_project.run import RunFailed
    from mtm.year_end import write_report
    from pipelines.run_state.run_context import default_home

    try:
        folder = write_report(Path(home or default_home()), contract_id, year, out, shareable)
    except (ValueError, FileNotFoundError, RuntimeError) as exc:  # RuntimeError: a run holds the home's lock
        raise click.ClickException(str(exc)) from exc
    except RunFailed as failure:
        raise click.ClickException(f"the re-run for the report failed: {failure.error}") from failure
    summary = json.loads((folder / "report.json").read_text())
    click.echo(f"Report for {contract_id} {year} as of {summary['as_of_date']} "
               f"(extract of the run of {summary['source_run']}): {folder}")
    for name, rows in summary["rows"].items():
        click.echo(f"  {name}: {rows} rows")
    if summary["cms_mtm_blank_fields"]:
        click.echo(f"  CMS file fields no row could fill (left blank): {', '.join(summary['cms_mtm_blank_fields'])}")
    _echo_cms_counts(summary.get("cms_mtm"))


@main.command(help="Run the pipeline once per as-of date from --from to --to, oldest first (each date an "
                    "ordinary run: same graph, checks and publishing, the ledger carried forward).")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="First as-of date.")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Last as-of date (always run).")
@click.option("--every", type=click.Choice(["month", "week", "day"]), default="week", show_default=True,
              help="Step between as-of dates. month: the same day of each month (a month's last day stays "
                   "the last day: 31 Jan, 28 Feb, 31 Mar).")
@click.option("--extract", "extracts", multiple=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Extract folder (repeatable, later versions win). Default: the bundled data_samples/.")
@click.option("--source", type=click.Choice(["canonical", "synpuf", "synthea"]), default="canonical",
              show_default=True, help="Layout of the extract.")
@click.option("--settings", "settings_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Plan settings TOML. Default: the CMS defaults of each date's contract year.")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for the warehouse, the enrollment ledger and published runs. Default: $MTM_HOME or ./.mtm")
def backfill(start, end, every, extracts, source, settings_file, home) -> None:
    import datetime as dt

    from dagster_project.run import RunFailed
    from mtm.backfill import as_of_dates, run_backfill
    from pipelines.publishing.run_lock import RunLocked
    from pipelines.run_state.errors import SettingsError

    try:
        dates = as_of_dates(dt.date.fromisoformat(start), dt.date.fromisoformat(end), every)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc
    click.echo(f"mtm backfill: {len(dates)} as-of dates from {dates[0]} to {dates[-1]}, every {every}")
    try:
        folders = run_backfill(dates, list(extracts) or None, settings_file, home, source)
    except (SettingsError, RunLocked) as exc:
        raise click.ClickException(str(exc)) from exc
    except RunFailed as failure:
        click.echo(f"Backfill STOPPED: {failure.error}", err=True)
        click.echo(f"Dates before it stay published. Partial outputs and the reason: {failure.failed_dir}", err=True)
        sys.exit(1)
    click.echo(f"Backfill complete: {len(folders)} runs published; latest: {folders[-1].parent / 'latest'}")


@main.command(help="Write a synthetic extract in the canonical layout (realistic drug mix, conditions, costs).")
@click.option("--members", type=click.IntRange(1), required=True, help="Number of members.")
@click.option("--seed", type=int, default=1, show_default=True, help="Random seed; same seed, same files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="Output folder.")
@click.option("--as-of", "as_of", default=None, metavar="YYYY-MM-DD",
              help="As-of date the data is built around (written to extract.toml). Default: today.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True,
              help="File format of the tables.")
@click.option("--ndc-only", is_flag=True, help="Pharmacy claims without generic_name/drug_name (NDC alone, as in "
                                               "most Part D data), NDCs also from FDA-directory products.")
def generate(members, seed, out, as_of, fmt, ndc_only) -> None:
    import datetime as dt

    from pipelines.synth import generate as generate_extract

    day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    counts = generate_extract(members=members, seed=seed, out_dir=out, as_of=day, fmt=fmt, ndc_only=ndc_only)
    click.echo(f"Wrote {out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@main.group(help="Reference data: import a plan's NDC sources into the warehouse, dump the effective tables.")
def reference() -> None:
    pass


@reference.command("import", help="Import NDC -> ingredient facts into the warehouse; they take precedence over "
                                  "the shipped NDC map in every later run.")
@click.option("--fda-ndc-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Folder with the FDA NDC Directory's product.txt and package.txt (tab-separated).")
@click.option("--crosswalk", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The plan's own CSV with columns ndc,ingredient (a combination as 'a / b').")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder holding the warehouse. Default: $MTM_HOME or ./.mtm")
def reference_import(fda_ndc_dir, crosswalk, home) -> None:
    from pipelines.publishing.run_lock import run_lock
    from pipelines.reference.imports import import_crosswalk, import_fda_ndc_directory
    from pipelines.run_state.run_context import default_home

    if not fda_ndc_dir and not crosswalk:
        raise click.UsageError("give --fda-ndc-dir DIR and/or --crosswalk FILE")
    home = (home or default_home()).resolve()
    with run_lock(home):
        import duckdb

        con = duckdb.connect(str(home / "warehouse.duckdb"))
        try:
            for label, path, importer in (("FDA NDC Directory", fda_ndc_dir, import_fda_ndc_directory),
                                          ("crosswalk", crosswalk, import_crosswalk)):
                if path is None:
                    continue
                result = importer(con, path)
                click.echo(f"{label} {path}: {result.read} rows read, {result.matched} imported, "
                           f"{result.unmatched} not matched to an ingredient")
                for row, reason in result.problems[:20]:
                    click.echo(f"  row {row}: {reason}")
                if len(result.problems) > 20:
                    click.echo(f"  ... and {len(result.problems) - 20} more")
        finally:
            con.close()


@reference.command("dump", help="Write the effective reference tables (shipped data + plan imports) as CSV.")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder holding the warehouse (for plan imports). Default: $MTM_HOME or ./.mtm")
def reference_dump(out_dir, home) -> None:
    import duckdb

    from pipelines.reference.dump import dump_reference
    from pipelines.run_state.run_context import default_home

    warehouse = (home or default_home()).resolve() / "warehouse.duckdb"
    con = duckdb.connect()
    try:
        written = dump_reference(con, out_dir, imports_from=warehouse)
    finally:
        con.close()
    click.echo(f"Wrote {len(written)} reference tables to {out_dir}: {', '.join(sorted(written))}")


@main.group(help="The MTM enrollment ledger: seed it from an authoritative roster, show what it holds.")
def ledger() -> None:
    pass


@ledger.command("import", help="Seed the ledger from a roster (CSV or Parquet, input-contract.md "
                               "mtm_enrollment_seed). Seeded rows are never changed by a run; importing the "
                               "same file again changes nothing; a row contradicting the ledger is refused.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Overwrite ledger rows the roster contradicts (they are listed).")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder holding the warehouse. Default: $MTM_HOME or ./.mtm")
def ledger_import(file, replace, home) -> None:
    import duckdb

    from pipelines.publishing.ledger import SeedError, import_seed
    from pipelines.publishing.run_lock import run_lock
    from pipelines.run_state.run_context import default_home

    home = (home or default_home()).resolve()
    with run_lock(home):
        con = duckdb.connect(str(home / "warehouse.duckdb"))
        try:
            result = import_seed(con, file, replace=replace)
        except SeedError as exc:
            raise click.ClickException(str(exc)) from exc
        finally:
            con.close()
    click.echo(f"{file}: {result.read} roster rows; {result.inserted} added, {result.unchanged} already in the "
               f"ledger, {result.confirmed} run rows confirmed as seeded, {result.replaced} replaced")
    for line in result.contradictions[:20]:
        click.echo(f"  replaced: {line}")


@ledger.command("show", help="Ledger rows by contract, contract year and enrollment_source (counts only).")
@click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder holding the warehouse. Default: $MTM_HOME or ./.mtm")
def ledger_show(home) -> None:
    import duckdb

    from pipelines.publishing.ledger import ledger_counts
    from pipelines.run_state.run_context import default_home

    warehouse = (home or default_home()).resolve() / "warehouse.duckdb"
    if not warehouse.exists():
        raise click.ClickException(f"no warehouse at {warehouse}: nothing has been run or imported yet")
    con = duckdb.connect(str(warehouse))
    try:
        rows = ledger_counts(con)
    finally:
        con.close()
    click.echo(f"{'contract':<9} {'year':>4} {'enrollment_source':<21} {'rows':>7} {'seeded opt-outs':>15} "
               "enrollment dates")
    for contract, year, source, n, opt_outs, first, last in rows:
        click.echo(f"{contract:<9} {year:>4} {source:<21} {n:>7} {opt_outs:>15} {first} .. {last}")
    if not rows:
        click.echo("(the ledger is empty)")

@main.group(help="The home itself: its layout version, a consistent backup, a restore (docs/reliability.md).")
def home() -> None:
    pass


_HOME_OPTION = click.option("--home", "home_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                            help="The home folder. Default: $MTM_HOME or ./.mtm")


@home.command("status", help="The home's layout version, this release's, and what the home holds.")
@_HOME_OPTION
def home_status(home_dir) -> None:
    from pipelines.run_state.home_backup import describe
    from pipelines.run_state.home_layout import pending
    from pipelines.run_state.run_context import default_home

    info = describe(home_dir or default_home())
    click.echo(f"home {info['home']}: layout {info['layout_version']} (this release: {info['this_release_layout']}); "
               f"holds {', '.join(info['present']) or 'nothing yet'}")
    if isinstance(info["layout_version"], int):
        for step in pending(info["layout_version"]):
            click.echo(f"  the next run upgrades it (a backup first): layout {step.version}: {step.summary}")


@home.command("backup", help="Copy the home (warehouse, ledger, staged deliveries, metrics history, portal users, "
                             "audit and contacts, events, published runs) into a new folder with a manifest of "
                             "SHA-256 checksums. Waits for no run: refused while one holds the home.")
@click.option("--to", "dest", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="A new (or empty) folder for the backup.")
@_HOME_OPTION
def home_backup(dest, home_dir) -> None:
    from pipelines.publishing.run_lock import RunLocked
    from pipelines.run_state.home_backup import BackupError, backup_home
    from pipelines.run_state.run_context import default_home

    try:
        manifest = backup_home(home_dir or default_home(), dest)
    except (BackupError, RunLocked) as exc:
        raise click.ClickException(str(exc)) from exc
    except OSError as exc:
        raise click.ClickException(f"the backup could not be written to {dest}: {exc.strerror or exc} "
                                   f"({exc.filename or dest}); it is incomplete (no backup.json): delete it") from exc
    size = sum(f.get("bytes", 0) for f in manifest["files"])
    click.echo(f"Backup of {manifest['home']} (layout {manifest['layout_version']}): {dest}, "
               f"{len(manifest['files'])} files, {size:,} bytes, manifest backup.json")


@home.command("restore", help="Check a backup against its manifest, then put it in place of the home's content "
                              "(which moves to <home>/before-restore-<time>/). A damaged or partial backup is "
                              "refused and nothing changes. Stop `mtm serve` first.")
@click.option("--from", "source", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A folder written by mtm home backup.")
@_HOME_OPTION
def home_restore(source, home_dir) -> None:
    from pipelines.publishing.run_lock import RunLocked
    from pipelines.run_state.home_backup import BackupError, restore_home
    from pipelines.run_state.run_context import default_home

    try:
        aside = restore_home(home_dir or default_home(), source)
    except (BackupError, RunLocked) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Restored {source} into {home_dir or default_home()}; its earlier content is in {aside}")


from pipelines.portal.cli import contacts, serve, users  # noqa: E402  (the portal's commands)

main.add_command(serve)
main.add_command(users)
main.add_command(contacts)

if __name__ == "__main__":
    main()
