"""``flask --app wsgi hub ...``: operator commands."""
import click
from flask.cli import with_appcontext

from volunteer_hub.core.errors import DomainError
from volunteer_hub.extensions import db


@click.group()
def hub():
    """volunteer_hub operations."""


def _fail(exc: DomainError):
    db.session.rollback()
    details = "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.fields.items())
    raise click.ClickException(f"{exc.message} {details}".strip())


@hub.command("create-admin")
@click.option("--name", required=True)
@click.option("--phone", required=True)
@click.option("--password", required=True)
@with_appcontext
def create_admin(name, phone, password):
    """Create a centre admin with rights over every node."""
    from volunteer_hub.people.services import create_admin as create

    try:
        user = create(name=name, phone=phone, password=password)
    except DomainError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"Administrator {user.name} ({user.phone}) created.")


@hub.command("close-checkins")
@with_appcontext
def close_checkins():
    """Close check-ins left open after their service day ended (flagged 'no check-out', no hours)."""
    from volunteer_hub.checkin.services import close_forgotten

    closed = close_forgotten()
    db.session.commit()
    click.echo(f"Closed {closed} open check-ins.")


@hub.command("expire-vouchers")
@with_appcontext
def expire_vouchers():
    """Expire open vouchers past their 10 minutes and release the credits they hold."""
    from volunteer_hub.vouchers.services import expire_due

    expired = expire_due()
    db.session.commit()
    click.echo(f"Expired {expired} vouchers.")


@hub.command("demo")
@with_appcontext
def demo():
    """Load the demo data set (idempotent) and print its log-ins."""
    from volunteer_hub.demo import load_demo

    created, logins = load_demo()
    db.session.commit()
    click.echo("Demo data loaded." if created else "Demo data already present; nothing changed.")
    click.echo("Log-ins (password for all: Demo2026):")
    for role, name, phone in logins:
        click.echo(f"  {role:<16} {name:<8} {phone}")
