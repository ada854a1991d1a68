"""``mtm serve`` and ``mtm users add|remove|list|passwd`` (registered on the main ``mtm`` group)."""

from __future__ import annotations

import getpass
import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click

HOME_OPTION = click.option("--home", type=click.Path(file_okay=False, path_type=Path), default=None,
                           help="The home whose published runs are served. Default: $MTM_HOME or ./.mtm")


def _home(home: Path | None) -> Path:
    from pipelines.run_state.run_context import default_home

    return (home or default_home()).resolve()


def _password(prompt: str) -> str:
    """$MTM_PASSWORD when set (scripts), else asked twice without echo."""
    if os.environ.get("MTM_PASSWORD"):
        return os.environ["MTM_PASSWORD"]
    return click.prompt(prompt, hide_input=True, confirmation_prompt=True)


def _operator() -> str:
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


@click.command(help="Start the web portal: runs, dashboard, outreach lists, TMR worklist, member pages, "
                    "recorded contacts (logins and roles: `mtm users`).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port.")
@HOME_OPTION
@click.option("--certfile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="TLS certificate (PEM); with --keyfile the portal serves HTTPS and its cookies are Secure.")
@click.option("--keyfile", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="TLS private key.")
def serve(host, port, home, certfile, keyfile) -> None:
    from pipelines.portal import store
    from pipelines.portal.server import serve as run_server

    home = _home(home)
    con = store.connect(home)
    users = con.execute("SELECT count(*) FROM users").fetchone()[0]
    con.close()
    if not users:
        click.echo("No portal users yet: add one with `mtm users add NAME --role analyst`.", err=True)
    scheme = "https" if certfile and keyfile else "http"
    click.echo(f"MTM portal for {home} on {scheme}://{host}:{port}/ (Ctrl+C stops it)")
    run_server(home, host, port, certfile, keyfile)


@click.group(help="Portal users: name, role (analyst, outreach, pharmacist, quality) and contracts.")
def users() -> None:
    pass


@contextmanager
def _portal_file(home: Path | None):
    """The home's portal file; a user error (unknown user, short password) becomes the command's message."""
    from pipelines.portal import store
    from pipelines.portal.users import UserError

    con = store.connect(_home(home))
    try:
        yield con
    except UserError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        con.close()


def _audited_change(home, action: str, name: str, change, detail=lambda result: ""):
    """Apply one change to a user and write its audit entry in the same portal-file transaction."""
    from pipelines.portal.store import audit

    with _portal_file(home) as con:
        result = change(con)
        audit(con, _operator(), action, name, "cli", detail(result))
    return result


@users.command("add", help="Add a user. The password comes from $MTM_PASSWORD when set, else it is asked.")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(["analyst", "outreach", "pharmacist", "quality"]),
              help="analyst: everything; outreach: outreach lists of their contracts; pharmacist: TMR worklists "
                   "and member pages of their contracts; quality: dashboard and aggregate files.")
@click.option("--contract", "contracts", multiple=True, metavar="ID",
              help="A contract the user works for (repeat). None: every contract.")
@click.option("--new-contract", is_flag=True,
              help="Accept a --contract that no published run of this home has seen yet (a contract about to "
                   "start); without it such a contract is refused, as a likely typo.")
@HOME_OPTION
def users_add(name, role, contracts, new_contract, home) -> None:
    from pipelines.portal.users import add_user

    _check_contracts(_home(home), list(contracts), new_contract)
    user = _audited_change(home, "user_added", name,
                           lambda con: add_user(con, name, role, list(contracts), _password(f"Password for {name}")),
                           lambda user: f"role {role}, contracts {' '.join(user.contracts)}")
    click.echo(f"Added {user.name} ({user.role}; contracts: {', '.join(user.contracts) or 'all'})")


def _check_contracts(home: Path, contracts: list[str], accept_new: bool) -> None:
    """A contract no published run has seen is most likely a typo (H9999 for H1234): refused, naming the
    contracts the runs hold, unless --new-contract says it is meant. With no published run yet there is
    nothing to compare with: a warning."""
    from pipelines.portal.runs import contracts_of, list_runs

    if not contracts:
        return
    runs = list_runs(home)
    seen: set[str] = set()
    for run in runs:
        try:
            seen.update(contracts_of(run))
        except (OSError, ValueError):  # a run folder without a readable member_summary.parquet
            continue
    unseen = [c for c in dict.fromkeys(c.strip().upper() for c in contracts) if c and c not in seen]
    if not unseen:
        return
    if not runs:
        click.echo(f"WARNING: no published run in {home} yet, so contract(s) {', '.join(unseen)} cannot be "
                   "checked against the data", err=True)
    elif accept_new:
        click.echo(f"WARNING: no published run has seen contract(s) {', '.join(unseen)} (accepted: --new-contract)",
                   err=True)
    else:
        raise click.ClickException(
            f"no published run of {home} has seen contract(s) {', '.join(unseen)}; the runs hold "
            f"{', '.join(sorted(seen)) or 'no contract'}. Check the spelling, or add --new-contract for a contract "
            "whose members are not in the data yet.")


@users.command("remove", help="Remove a user (their sessions end; the audit log keeps their entries).")
@click.argument("name")
@HOME_OPTION
def users_remove(name, home) -> None:
    from pipelines.portal.users import remove_user

    _audited_change(home, "user_removed", name, lambda con: remove_user(con, name))
    click.echo(f"Removed {name}")


@users.command("list", help="List users with role and contracts.")
@HOME_OPTION
def users_list(home) -> None:
    from pipelines.portal.users import list_users

    with _portal_file(home) as con:
        for user in list_users(con):
            click.echo(f"{user.name}\t{user.role}\t{' '.join(user.contracts) or 'all contracts'}")


@users.command("passwd", help="Set a user's password ($MTM_PASSWORD or asked); their open sessions end.")
@click.argument("name")
@HOME_OPTION
def users_passwd(name, home) -> None:
    from pipelines.portal.users import set_password

    _audited_change(home, "password_changed", name,
                    lambda con: set_password(con, name, _password(f"New password for {name}")))
    click.echo(f"Password of {name} changed")


@click.group(help="Recorded contacts: import a worked outreach workbook (the portal's contact form, from Excel).")
def contacts() -> None:
    pass


@contacts.command("import", help="Read a worked outreach_list.xlsx back (its Call outcome, Call date, "
                                 "Channel and Call note columns; older workbooks' call_* names too) as "
                                 "recorded contacts: validated like the portal's form, audited, and read by the "
                                 "next run. Refused rows are listed; "
                                 "importing the same workbook again records nothing twice.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "recorded_by", default=None, help="Who worked the list (audit log). Default: cli:<login>.")
@HOME_OPTION
def contacts_import(file, recorded_by, home) -> None:
    from pipelines.portal.contacts import ContactError
    from pipelines.portal.xlsx_import import import_worked_list

    with _portal_file(home) as con:
        try:
            result = import_worked_list(con, _home(home), file, recorded_by or _operator())
        except ContactError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"{file}: {result.rows_worked} worked rows; {result.recorded} recorded, "
               f"{result.already_recorded} already recorded, {len(result.refused)} refused")
    for sheet, row, reason in result.refused:
        click.echo(f"  refused: sheet {sheet}, row {row}: {reason}")
    if result.refused:
        sys.exit(1)
