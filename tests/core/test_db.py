from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from volunteer_hub.core.audit import AuditEntry, entries_for
from volunteer_hub.extensions import db
from volunteer_hub.people.models import ApiToken


def test_times_come_back_aware_utc(world):
    local = datetime(2026, 11, 21, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    token = ApiToken(user=world.volunteer, digest="d" * 64, expires_at=local)
    db.session.add(token)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(ApiToken, token.id).expires_at
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == local and stored.hour == 1


def test_naive_times_are_refused(world):
    db.session.add(ApiToken(user=world.volunteer, digest="e" * 64, expires_at=datetime(2026, 1, 1)))
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


def test_created_at_is_set_in_utc(world):
    assert world.centre.created_at.tzinfo == UTC


def test_services_leave_an_audit_trail(world):
    actions = [e.action for e in entries_for(world.team)]
    assert actions == ["team.create"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "grant.manager")) == 3


def test_foreign_keys_are_enforced(world):
    world.team.leader_id = 999_999
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_the_suite_runs_on_the_schema_the_migrations_build(world):
    """tests/conftest.py builds the test databases with the migrations, not create_all(): the
    ledger's and the audit trail's triggers, which no model declares, are there for every test."""
    from alembic.script import ScriptDirectory
    from flask import current_app

    from volunteer_hub.credits import services as credits

    script = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config())
    assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == script.get_current_head()
    credits.adjust(world.s1_manager, world.volunteer, 2, "奖励")
    db.session.commit()
    for statement in ("UPDATE credit_entries SET amount = amount * 10", "DELETE FROM credit_transactions",
                      "UPDATE audit_entries SET actor_id = NULL"):
        with pytest.raises(sa.exc.DatabaseError, match="immutable"):
            db.session.execute(sa.text(statement))
        db.session.rollback()


@pytest.mark.postgresql_only
def test_postgresql_connections_plan_without_jit(app):
    # Set per connection: a new one from the pool, and one after a rolled-back request, are both without.
    assert db.session.scalar(sa.text("SHOW jit")) == "off"
    db.session.rollback()
    with db.engine.connect() as fresh:
        assert fresh.scalar(sa.text("SHOW jit")) == "off"
