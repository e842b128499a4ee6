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


@hub.command("run-jobs")
@click.option("--job", "job_ids", multiple=True, help="Run only these jobs (default: all).")
@with_appcontext
def run_jobs(job_ids):
    """Run every scheduled job once, doing what is due now, and exit."""
    from volunteer_hub.scheduler.jobs import BY_ID, JOBS
    from volunteer_hub.scheduler.services import run_job

    unknown = [job_id for job_id in job_ids if job_id not in BY_ID]
    if unknown:
        raise click.BadParameter(f"unknown job(s) {', '.join(unknown)}; known: {', '.join(BY_ID)}")
    failed = 0
    for job in [BY_ID[job_id] for job_id in job_ids] or JOBS:
        run = run_job(job)
        failed += run.status != "ok"
        click.echo(f"{job.id:<22} {run.status:<6} {run.summary}")
    if failed:
        raise click.ClickException(f"{failed} job(s) failed; see the log.")


@hub.command("scheduler")
@with_appcontext
def scheduler():
    """Run the scheduler in this process until stopped (one per deployment)."""
    from flask import current_app

    from volunteer_hub.scheduler.services import serve

    serve(current_app._get_current_object())


@hub.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host, port):
    """Development: the web server and the scheduler (its own process) together; Ctrl-C stops both."""
    import signal
    import subprocess
    import sys

    from flask import current_app
    from flask.cli import ScriptInfo
    from werkzeug.serving import run_simple

    app_path = click.get_current_context().find_object(ScriptInfo).app_import_path or "wsgi"
    scheduler = subprocess.Popen([sys.executable, "-m", "flask", "--app", app_path, "hub", "scheduler"])
    # Ctrl-C ends the server even when started from a shell that ignores it in the background (Python
    # then leaves SIGINT ignored); SIGTERM ends it the same way, so that the scheduler is stopped with it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_args: signal.raise_signal(signal.SIGINT))
    try:
        run_simple(host, port, current_app._get_current_object(), threaded=True)
    finally:
        if scheduler.poll() is None:
            scheduler.send_signal(signal.SIGINT)
        try:
            scheduler.wait(timeout=30)
        except subprocess.TimeoutExpired:
            scheduler.kill()


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


@hub.command("rotate-keys")
@with_appcontext
def rotate_keys():
    """Re-encrypt every stored ID number under ID_ENCRYPTION_KEY. Rotation: put the old key in
    ID_ENCRYPTION_KEY_FALLBACKS (and the old SECRET_KEY in SECRET_KEY_FALLBACKS), the new one in its
    place, restart, run this; the old encryption key can go once it has finished."""
    from volunteer_hub.people.services import rotate_id_numbers

    click.echo(f"{rotate_id_numbers()} ID numbers re-encrypted under the current key.")


@hub.command("export")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Archive to write (default: backup-<time>.tar.gz here).")
@with_appcontext
def export(output):
    """Write a consistent backup archive: every table as JSON lines, the photos, a manifest."""
    from volunteer_hub.backup.services import export_archive
    from volunteer_hub.core.db import utcnow

    output = output or f"backup-{utcnow():%Y%m%d-%H%M%S}.tar.gz"
    manifest = export_archive(output)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"{output}: {rows} rows in {len(manifest['tables'])} tables, {len(manifest['files'])} files, "
               f"schema {manifest['schema_revision']}, checksum {manifest['checksum'][:16]}…")


@hub.command("import")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@with_appcontext
def import_(archive):
    """Restore an archive into an empty database, then migrate it to this code's schema."""
    import tarfile

    from flask_migrate import upgrade

    from volunteer_hub.backup.services import import_archive, read_manifest, schema_revision

    try:
        with tarfile.open(archive, "r:gz") as tar:
            revision = read_manifest(tar)["schema_revision"]
        with db.engine.connect() as conn:
            fresh = schema_revision(conn) is None
        if fresh:  # a new database: build the archive's schema first
            upgrade(revision=revision)
        manifest = import_archive(archive)
    except (DomainError, tarfile.TarError) as exc:
        raise click.ClickException(getattr(exc, "message", str(exc))) from exc
    upgrade()
    rows = sum(t["rows"] for t in manifest["tables"].values())
    click.echo(f"Restored {rows} rows and {len(manifest['files'])} files from {archive} (schema {revision}); "
               "the database is now at the newest schema.")
