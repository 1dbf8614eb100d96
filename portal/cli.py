"""The `flask --app app portal ...` commands."""

from __future__ import annotations

import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from portal import db
from portal.core.roles import Role

portal_cli = AppGroup("portal", help="Manage the Promotionskolleg portal.")


@portal_cli.command("seed-demo")
def seed_demo_command() -> None:
    """Load demo data (universities, supervisors, the committee, one account per role, an open round and last year's
    closed round with about forty applications in every state). Running it again changes nothing. Refused in
    production."""
    from portal.demo import seed_demo

    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("seed-demo refuses to run in production (PORTAL_ENV=production).")
    summary = seed_demo()
    db.session.commit()
    click.echo("Demo data is loaded. Sign in at http://127.0.0.1:5000/account/login with one of:")
    for email in summary["accounts"]:  # type: ignore[union-attr]
        click.echo(f"  {email:<28} password: {summary['password']}")
    two_factor = " and ".join(summary["two_factor_accounts"])  # type: ignore[arg-type]
    click.echo(f"{two_factor} sign in with a code after the password (two-factor sign-in):")
    click.echo("  .venv/bin/flask --app app portal demo-code   shows the current code; or add the time-based key")
    click.echo(f"  {summary['two_factor_secret']} to an authenticator app.")
    click.echo(f"Open intake round: {summary['round']}; closed round: {summary['closed_round']}")
    states: dict[str, int] = summary["applications"]  # type: ignore[assignment]
    labels = {"under_review": "under review", "decided": "decided (not released)"}
    listed = ", ".join(
        f"{count} {labels.get(state, state).replace('_', ' ').replace(':', ': ')}" for state, count in states.items()
    )
    click.echo(f"Applications: {sum(states.values())} ({listed})")


@portal_cli.command("demo-code")
def demo_code_command() -> None:
    """Show the code of the demo's authenticator app (the demo's coordinator and administrator sign in with it).
    Refused in production."""
    from portal.demo.two_factor import DEMO_TWO_FACTOR_ACCOUNTS, demo_code

    if current_app.config["PORTAL_ENV"] == "production":
        raise click.ClickException("demo-code refuses to run in production (PORTAL_ENV=production).")
    click.echo(f"{demo_code()}  (for {', '.join(DEMO_TWO_FACTOR_ACCOUNTS)}; a new code every 30 seconds)")


@portal_cli.command("sync-universities")
def sync_universities_command() -> None:
    """Make the universities table match the portal's reference data."""
    from portal.supervisors.services import sync_universities

    changed = sync_universities()
    db.session.commit()
    click.echo(f"Universities synchronised ({changed} changes).")


@portal_cli.command("create-user")
@click.argument("email")
@click.option("--name", prompt=True, help="The person's full name.")
@click.option(
    "--role", "roles", multiple=True, required=True, type=click.Choice([r.value for r in Role]), help="Repeatable."
)
@click.option("--university", help="University code (TUC, UGOE, ... TONGJI); required with --role supervisor.")
@click.option("--language", type=click.Choice(["de", "en", "zh"]), default="en", show_default=True)
@click.option("--timezone", default="Europe/Berlin", show_default=True)
def create_user_command(
    email: str, name: str, roles: tuple[str, ...], university: str | None, language: str, timezone: str
) -> None:
    """Create an account; the password is asked for, never taken as an argument."""
    from portal.accounts.services import AccountError, create_user
    from portal.core.timeutil import is_valid_timezone
    from portal.supervisors.services import create_profile, university_by_code

    if not is_valid_timezone(timezone):
        raise click.BadParameter(f"unknown time zone {timezone!r}", param_hint="--timezone")
    uni = None
    if Role.SUPERVISOR.value in roles:
        uni = university_by_code(university or "")
        if uni is None:
            raise click.BadParameter("a supervisor needs a known university code", param_hint="--university")
    password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_user(
            email=email,
            name=name,
            password=password,
            roles=[Role(r) for r in roles],
            language=language,
            timezone=timezone,
            confirmed=True,
        )
    except AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    if uni is not None:
        create_profile(user, uni)
    db.session.commit()
    click.echo(f"Created {user.email} with roles: {', '.join(roles)}.")


@portal_cli.command("reset-two-factor")
@click.argument("email")
def reset_two_factor_command(email: str) -> None:
    """Forget the authenticator app and recovery codes of the account with EMAIL (who lost both) and sign it out
    everywhere; coordinators and administrators set up a new app at their next sign-in. Confirm who asks first."""
    from portal.accounts import two_factor
    from portal.accounts.services import find_user_by_email

    user = find_user_by_email(email)
    if user is None:
        raise click.ClickException(f"No account uses {email}.")
    two_factor.reset(user)
    db.session.commit()
    click.echo(f"Two-factor sign-in of {user.email} reset; all its sessions ended.")


@portal_cli.command("send-mail")
@click.option("--watch", type=float, default=None, help="Keep running, looking for due mail every N seconds.")
@click.option("--limit", type=int, default=500, show_default=True, help="At most this many messages per pass.")
def send_mail_command(watch: float | None, limit: int) -> None:
    """Send the waiting emails of the outbox (safe to run in several processes at once)."""
    from portal.core.delivery import deliver_due, transport_from_config

    config = current_app.config
    while True:
        report = deliver_due(
            transport_from_config(config),
            sender=config["MAIL_DEFAULT_SENDER"],
            max_attempts=config["MAIL_MAX_ATTEMPTS"],
            limit=limit,
        )
        db.session.remove()
        if report.sent or report.retried or report.failed or watch is None:
            click.echo(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}")
        if watch is None:
            break
        time.sleep(watch)


@portal_cli.command("remind")
def remind_command() -> None:
    """Daily: remind referees whose link expires within a week and reviewers whose reviews are due within a week;
    applications of rounds whose deadline has passed go under review."""
    from portal.applications.workflow import begin_review_of_closed_rounds
    from portal.core.timeutil import utcnow
    from portal.review.reminders import send_due_reminders

    now = utcnow()
    moved = begin_review_of_closed_rounds(now)
    report = send_due_reminders(now=now)
    db.session.commit()
    if moved:
        click.echo(f"Applications of closed rounds now under review: {moved}.")
    click.echo(
        f"Reminders written to the outbox: {report.total} "
        f"({report.referees} to referees, {report.reviewers} to reviewers)."
    )


@portal_cli.command("daily")
def daily_command() -> None:
    """Once a day, from cron: applications of closed rounds go under review, due reminders are written, rounds whose
    retention period (PURGE_AFTER_DAYS) has passed are purged, bulk mail texts and sent emails older than that period
    are removed. Prints what it did; exits with 1 if a step failed (the other steps still run). Safe to run again."""
    from portal.core.timeutil import utcnow
    from portal.daily import run_daily

    now = utcnow()
    results = run_daily(now)
    for result in results:
        click.echo(f"{now:%Y-%m-%dT%H:%M:%SZ} daily {result.step}: {result.message}", err=result.failed)
    if any(result.failed for result in results):
        raise SystemExit(1)


@portal_cli.command("purge")
@click.option("--round", "round_name", required=True, help="The intake round's name, e.g. 'Intake 2026'.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (for cron).")
def purge_command(round_name: str, yes: bool) -> None:
    """Delete the personal data and files of a round's applicants who were not admitted.

    PURGE_AFTER_DAYS (default 180) after the round's decisions were released, this deletes the applications on the
    waiting list, not admitted, withdrawn or never submitted, with their degrees, documents and files, referees and
    letters, supervisors' statements, review assignments and reviews, conflicts and decisions. An applicant's account
    is deleted too when it has no other application left and holds no other role (supervisor, committee,
    coordinator, admin). Admitted candidates' records are never touched.

    Refused while the round is open, while any of its applications waits for a decision or its release, and while
    the period has not passed for every released decision. Asks for confirmation unless --yes is given; the audit
    log records the purge with counts only.
    """
    from portal.core.timeutil import utcnow
    from portal.privacy.services import PurgeRefused, find_round, plan_purge, purge, round_names

    intake = find_round(round_name)
    if intake is None:
        known = ", ".join(round_names()) or "none"
        raise click.ClickException(f"There is no intake round named {round_name!r} (known rounds: {known}).")
    try:
        plan = plan_purge(intake, now=utcnow())
    except PurgeRefused as refusal:
        raise click.ClickException(f"Nothing was deleted. {refusal}") from refusal
    if not plan.applications:
        click.echo(f"{intake.name}: nothing to delete ({plan.kept_admitted} admitted candidates are kept).")
        return
    outcomes = plan.by_outcome
    click.echo(
        f"{intake.name}: the decisions were released up to {plan.last_release:%Y-%m-%d}, more than {plan.days} days "
        "ago (PURGE_AFTER_DAYS)."
    )
    click.echo(
        f"To delete: {len(plan.applications)} applications of applicants who were not admitted "
        f"({outcomes['waiting_list']} waiting list, {outcomes['reject']} not admitted, "
        f"{outcomes['withdrawn']} withdrawn, {outcomes['draft']} never submitted) with {plan.documents} documents "
        f"and their files, {plan.referees} referees and their letters, statements, reviews and decisions; "
        f"{len(plan.accounts)} applicant accounts with no other application or role."
    )
    click.echo(f"Kept: {plan.kept_admitted} admitted candidates.")
    if not yes:
        click.confirm("Delete these records and files for good?", abort=True)
    counts = purge(plan)
    db.session.commit()
    click.echo(
        f"Deleted {counts['applications']} applications, {counts['documents']} documents (files removed), "
        f"{counts['referees']} referees, {counts['statements']} statements, {counts['assignments']} review "
        f"assignments, {counts['reviews']} reviews, {counts['decisions']} decisions and {counts['accounts']} "
        "accounts. The audit log records the purge (counts only)."
    )


@portal_cli.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder: Path) -> None:
    """Write a consistent copy of the database (SQLite's online backup, or pg_dump) and of PORTAL_DATA_DIR into
    FOLDER (new or empty), with manifest.json listing every file's SHA-256 and every table's row count."""
    from portal.backups.manifest import BackupError
    from portal.backups.service import make_backup

    try:
        summary = make_backup(db.get_engine(current_app), Path(current_app.config["PORTAL_DATA_DIR"]), folder)
    except BackupError as error:
        raise click.ClickException(f"No backup was made. {error}") from error
    click.echo(
        f"Backup written to {folder}: the {summary.manifest.dialect} database ({len(summary.manifest.tables)} tables, "
        f"{summary.rows} rows) and {summary.data_files} files of PORTAL_DATA_DIR, {summary.megabytes:.1f} MB; "
        "manifest.json lists every file's SHA-256."
    )


@portal_cli.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(folder: Path) -> None:
    """Restore a backup made by `portal backup` into this installation, whose database and PORTAL_DATA_DIR must be
    empty. Every checksum of the backup is checked first, and the restored files and row counts after."""
    from portal.backups.manifest import BackupError
    from portal.backups.service import restore_backup

    try:
        summary = restore_backup(db.get_engine(current_app), Path(current_app.config["PORTAL_DATA_DIR"]), folder)
    except BackupError as error:
        raise click.ClickException(str(error)) from error
    revision = summary.manifest.revision or "none recorded"
    click.echo(
        f"Restored the backup of {summary.manifest.created_at} and verified it: {len(summary.manifest.tables)} tables "
        f"with {summary.rows} rows, {summary.data_files} files, every checksum matches. Schema revision: {revision} "
        "(run `alembic upgrade head` if this version of the portal is newer)."
    )
