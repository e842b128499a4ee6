"""Audit trail: who changed what, when. Rows are only ever added."""

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.extensions import db


class AuditEntry(CreatedAtMixin, db.Model):
    """审计日志 — one row per manual or administrative change."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[int | None]
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    __table_args__ = (sa.Index("ix_audit_entries_object", "object_type", "object_id"),)


def record(actor, action: str, obj, **data) -> AuditEntry:
    """Add an audit entry for ``obj`` in the current transaction."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        action=action,
        object_type=type(obj).__name__,
        object_id=obj.id,
        data=data,
    )
    db.session.add(entry)
    return entry


def entries_for(obj) -> list[AuditEntry]:
    return db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.object_type == type(obj).__name__, AuditEntry.object_id == obj.id)
        .order_by(AuditEntry.id)
    ).all()


def _plain(value):
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def apply_changes(actor, action: str, obj, changes: dict) -> dict:
    """Set the fields in ``changes`` that differ, and record them with their before and after values
    (编辑留痕). Returns what changed, ``{}`` (and no entry) when nothing did."""
    before, after = {}, {}
    for name, value in changes.items():
        if getattr(obj, name) != value:
            before[name], after[name] = _plain(getattr(obj, name)), _plain(value)
            setattr(obj, name, value)
    if after:
        db.session.flush()
        record(actor, action, obj, before=before, after=after)
    return after
