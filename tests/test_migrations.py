"""Migrations build the schema from empty on both databases, and match the models exactly."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.conftest import TEST_CONFIG
from volunteer_hub import create_app
from volunteer_hub.extensions import db


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrate.sqlite3'}"
    return request.getfixturevalue("pg_cluster").create_database("volunteer_hub_migrations")


def test_upgrade_from_empty_to_head_matches_the_models(empty_db_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_db_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
            tables = set(sa.inspect(conn).get_table_names())
        assert diff == [], f"models and migrations differ; run `flask db migrate`: {diff}"
        assert set(db.metadata.tables) <= tables
        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def test_ledger_and_audit_rows_cannot_be_edited_or_deleted(empty_db_url):
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": empty_db_url})
    with app.app_context():
        upgrade()
        from tests.world import World
        from volunteer_hub.credits import services as credits

        world = World.build()
        credits.adjust(world.s1_manager, world.volunteer, 2, "奖励")
        db.session.commit()
        for statement in ("UPDATE credit_entries SET amount = amount * 10", "DELETE FROM credit_entries",
                          "UPDATE credit_transactions SET memo = 'x'", "DELETE FROM credit_transactions",
                          # the audit trail of that grant (who, when, before, after) is evidence too
                          "UPDATE audit_entries SET actor_id = NULL", "DELETE FROM audit_entries"):
            with pytest.raises(sa.exc.DatabaseError, match="immutable"):
                db.session.execute(sa.text(statement))
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()
