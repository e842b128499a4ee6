"""Declarative base, naming convention and time helpers shared by every model."""
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_tz() -> ZoneInfo:
    """The centre's time zone (``TIMEZONE``): pages, reports and calendar months use it."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_date(moment: datetime) -> date:
    """The calendar day of ``moment`` in the centre's time zone."""
    return moment.astimezone(local_tz()).date()


def local_midnight(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in the centre's time zone."""
    return datetime.combine(day, time(0), tzinfo=local_tz()).astimezone(UTC)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


class UTCDateTime(sa.types.TypeDecorator):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are
    stored as naive UTC and come back marked as UTC. Naive input is refused:
    a naive time is ambiguous between UTC and local time.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store timezone-aware times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    registry = registry(
        metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


# Objects stay readable after the request's commit (the response is built from them) without reloading.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})


def dialect_insert(model):
    """``INSERT`` of the session's database (PostgreSQL or SQLite), which has ``on_conflict_do_nothing``."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(model)


def local_month(column):
    """SQL: the local calendar month (YYYY-MM) of a UTC timestamp column, on PostgreSQL or SQLite."""
    tz = local_tz()
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.func.to_char(sa.func.timezone(tz.key, column), "YYYY-MM")
    hours = datetime.now(tz).utcoffset().total_seconds() / 3600  # SQLite: the zone's offset now
    return sa.func.strftime("%Y-%m", column, f"{hours:+.0f} hours")


def insert_ignoring_conflicts(model, values: dict):
    """``INSERT … ON CONFLICT DO NOTHING`` of one row."""
    return dialect_insert(model).values(**values).on_conflict_do_nothing()


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


@sa.event.listens_for(sa.Engine, "connect")
def _per_connection_settings(dbapi_connection, connection_record):
    module = type(dbapi_connection).__module__
    cursor = dbapi_connection.cursor()
    if module.startswith("sqlite3"):
        # SQLite ignores foreign keys unless asked, per connection.
        cursor.execute("PRAGMA foreign_keys=ON")
    elif module.startswith("psycopg"):
        # The reports' statements cost enough for PostgreSQL to JIT-compile them, and compiling took
        # longer than it saved (on the province: 100–500 ms a statement; the requests dashboard
        # 0.43 → 0.26 s). Committed, so that the pool's rollbacks keep it.
        cursor.execute("SET jit = off")
        dbapi_connection.commit()
    cursor.close()
