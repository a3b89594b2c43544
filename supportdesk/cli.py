"""Operator commands: seed, create-user (more are added by later modules)."""
import sys

import click
import sqlalchemy as sa

from .extensions import db
from .models import Municipality, Region
from .models.user import ROLES

# Functions that add demo data after the demo users exist; each must be idempotent.
DEMO_SEEDERS = []


def register(app):
    register_dispatch(app)

    @app.cli.command("seed")
    @click.option("--demo", is_flag=True, help="Also add demo accounts and demo data.")
    def seed_command(demo):
        """Load the regions, the 41 municipalities and the themes (idempotent)."""
        from .services.seed import seed_demo_users, seed_reference

        count = seed_reference()
        db.session.commit()
        click.echo(f"reference data: {count} municipalities")
        if demo:
            created = seed_demo_users()
            db.session.commit()
            click.echo(f"demo users created: {created}")
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
    @click.option("--central", is_flag=True, help="Liaison of the central team (handles Kobe).")
    def create_user_command(email, role, municipality_code, regions, display_name, central):
        """Create a user; the password is read from standard input."""
        from .services import ValidationFailed
        from .services.users import create_user

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
