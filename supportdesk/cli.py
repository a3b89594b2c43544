"""Operator commands: seed (with --demo, the seeders of supportdesk.demo), create-user, ..."""
import sys

import click
import sqlalchemy as sa

from .extensions import db
from .models import Municipality, Region
from .models.user import ROLES


def register(app):
    register_token_command(app)
    register_scheduler_command(app)
    register_dispatch(app)
    register_backup_command(app)
    register_mail_commands(app)
    register_audit_commands(app)

    @app.cli.command("seed")
    @click.option("--demo", is_flag=True, help="Also add demo accounts and demo data.")
    @click.option("--prefecture", default=None,
                  help="Prefecture pack: file name (nagano), name (長野県) or code (20). "
                       "Default: the PREFECTURE setting, else the default pack.")
    def seed_command(demo, prefecture):
        """Load the prefecture's regions and municipalities and the themes (idempotent)."""
        from .services.packs import PackError
        from .services.seed import seed_reference

        try:
            count = seed_reference(prefecture)
        except PackError as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        click.echo(f"reference data: {count} municipalities")
        if demo:
            from .demo import DEMO_SEEDERS

            for seeder in DEMO_SEEDERS:
                result = seeder()
                db.session.commit()
                click.echo(f"{seeder.__name__}: {result}")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--role", required=True, type=click.Choice(ROLES))
    @click.option("--municipality", "municipality_code", help="JIS code of the municipality.")
    @click.option("--region", "regions", multiple=True, help="Region name (repeatable).")
    @click.option("--name", "display_name", help="Display name (defaults to the e-mail).")
    @click.option("--central", is_flag=True, help="Liaison of the central team (handles the regions without a liaison).")
    def create_user_command(email, role, municipality_code, regions, display_name, central):
        """Create a user; the password is read from standard input."""
        from .services import ValidationFailed
        from .services.accounts.users import create_user

        municipality_id = None
        if municipality_code:
            m = db.session.scalar(sa.select(Municipality).where(Municipality.code == municipality_code))
            if m is None:
                raise click.UsageError(f"unknown municipality code: {municipality_code}")
            municipality_id = m.id
        region_ids = []
        for name in regions:
            r = db.session.scalar(sa.select(Region).where(Region.name == name))
            if r is None:
                raise click.UsageError(f"unknown region: {name}")
            region_ids.append(r.id)
        if sys.stdin.isatty():
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\n")
        try:
            user = create_user(None, email=email, display_name=display_name or email, role=role,
                               password=password, municipality_id=municipality_id,
                               region_ids=region_ids, is_central_team=central)
        except ValidationFailed as exc:
            db.session.rollback()
            raise click.ClickException(str(exc)) from exc
        db.session.commit()
        click.echo(f"created user {user.email} ({user.role})")


def register_token_command(app):
    @app.cli.command("create-token")
    @click.argument("email")
    @click.option("--scope", type=click.Choice(["read", "write"]), default="read")
    @click.option("--days", type=click.IntRange(min=1), default=90, show_default=True,
                  help="Validity in days, at most API_TOKEN_MAX_DAYS.")
    @click.option("--name", default="integration", show_default=True)
    def create_token_command(email, scope, days, name):
        """Issue an API token for a user (e.g. an integration account); prints it once."""
        from .models import User
        from .services import ValidationFailed
        from .services.accounts.api_tokens import create_token

        user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"no user {email}")
        try:
            _token, clear = create_token(user, name=name, scope=scope, days=days)
        except ValidationFailed as exc:
            raise click.ClickException(str(exc)) from None
        db.session.commit()
        click.echo(clear)


def register_scheduler_command(app):
    @app.cli.command("scheduler")
    @click.option("--once", "once", metavar="JOBNAME", help="Run this one job now and exit.")
    @click.option("--list", "list_jobs", is_flag=True, help="List the jobs and their next run.")
    def scheduler_command(once, list_jobs):
        """Run the job scheduler (one leader at a time, guarded by a lease in the database)."""
        import os

        from . import scheduler

        if list_jobs:
            for name, when in scheduler.next_run_times(app).items():
                click.echo(f"{name}\t{when.isoformat() if when else '-'}")
            return
        if once:
            job = scheduler.find_job(app, once)
            if job is None:
                raise click.UsageError(f"unknown job: {once}")
            run = scheduler.run_job(job, holder=f"cli:{os.getpid()}")
            click.echo(f"{job.name}: {run.outcome}, {run.items} items")
            if run.outcome != "ok":
                click.echo(run.error or "", err=True)
                sys.exit(1)
            return
        scheduler.serve(app)
def register_dispatch(app):
    @app.cli.command("dispatch")
    @click.option("--once", is_flag=True, help="Deliver what is due now, then exit.")
    @click.option("--interval", default=5.0, show_default=True, help="Seconds between polls.")
    @click.option("--limit", default=None, type=int, help="Messages per batch.")
    def dispatch_command(once, interval, limit):
        """Deliver outbox notifications (mail, chat webhooks); safe to run several at once."""
        import time

        from .notifications.outbox import dispatch_due, drain, new_worker_id

        worker = new_worker_id()
        if once:
            click.echo(f"dispatch: {drain(limit=limit, worker=worker)}")
            return
        click.echo(f"dispatcher {worker} polling every {interval}s (Ctrl-C to stop)")
        try:
            while True:
                stats = dispatch_due(limit=limit, worker=worker)
                if stats["claimed"] == 0:
                    time.sleep(interval)
        except KeyboardInterrupt:
            click.echo("dispatcher stopped")


def register_backup_command(app):
    @app.cli.command("backup")
    @click.argument("dest", type=click.Path(file_okay=False))
    def backup_command(dest):
        """Back up the database and the attachment files into a new folder under DEST."""
        from .services.audit import record_audit
        from .services.backup import BackupFailed, backup_all

        try:
            manifest = backup_all(dest)
        except BackupFailed as exc:
            raise click.ClickException(str(exc)) from exc
        record_audit("backup.created", path=manifest["path"],
                     revision=manifest["database"]["revision"])
        db.session.commit()
        counts = manifest["database"]["counts"]
        click.echo(f"backup written to {manifest['path']}")
        click.echo(f"  database: {manifest['dialect']}, revision {manifest['database']['revision']}, "
                   f"{counts['support_requests']} requests, {counts['audit_logs']} audit rows")
        click.echo(f"  attachments: {manifest['uploads']['count']} files")


def register_mail_commands(app):
    @app.cli.command("mail-in")
    def mail_in_command():
        """Read one RFC 5322 message from standard input (an MTA pipes it) into the desk."""
        from .services.mail_in.imap import receive_and_commit

        raw = sys.stdin.buffer.read()
        try:
            outcome = receive_and_commit(raw)
        except Exception as exc:  # the database is away: ask the MTA to try again later
            click.echo(f"mail-in: temporary failure: {type(exc).__name__}: {exc}", err=True)
            sys.exit(75)  # EX_TEMPFAIL
        click.echo(f"mail-in: {outcome}")

    @app.cli.command("mail-poll")
    @click.option("--limit", default=200, show_default=True, help="Messages per run.")
    def mail_poll_command(limit):
        """Read the unread messages of the IMAP mailbox (MAIL_IMAP_*) into the desk, once."""
        from .services.mail_in.imap import poll_mailbox

        if not app.config.get("MAIL_IMAP_HOST"):
            raise click.ClickException("MAIL_IMAP_HOST is not set")
        counts = poll_mailbox(limit=limit)
        click.echo("mail-poll: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
                                    or "nothing new"))


def register_audit_commands(app):
    @app.cli.group("audit")
    def audit_group():
        """The append-only histories (audit log, request events, survey answers)."""

    @audit_group.command("verify")
    @click.option("--manifest", "manifest_path", type=click.Path(exists=True, dir_okay=False),
                  help="An older backup's manifest.json, whose chain heads must still be there.")
    def verify_command(manifest_path):
        """Walk every hash chain; report the first row that does not match. Exit 1 on a break."""
        import json

        from .services.chain import verify_chains

        heads = None
        if manifest_path:
            with open(manifest_path, encoding="utf-8") as fh:
                heads = json.load(fh).get("database", {}).get("chain_heads")
            if not heads:
                raise click.ClickException(f"{manifest_path} holds no chain heads")
        broken = 0
        for report in verify_chains(heads=heads):
            if report.ok:
                click.echo(f"{report.table}: OK, {report.length} rows "
                           f"({report.redacted} redacted), head id={report.last_id} "
                           f"row_hash={report.last_hash}")
            for brk in report.breaks:
                broken += 1
                click.echo(f"{report.table}: BROKEN at {brk.describe()}", err=True)
        db.session.rollback()
        if broken:
            sys.exit(1)
