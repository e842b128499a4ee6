"""签到/签退 records and the hours they give."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.extensions import db


class AttendanceStatus(enum.StrEnum):
    OPEN = "open"  # checked in, not yet out
    CLOSED = "closed"  # checked out
    NO_CHECKOUT = "no_checkout"  # closed by the job after the event: no hours until a manager corrects it


class Attendance(CreatedAtMixin, db.Model):
    """One volunteer at one service day. The unique key makes a double scan one record.

    Four eyes (四眼原则): nobody approves their own row; a row above the centre's review threshold
    needs a first person (the manager who entered it by hand, or a first approver) and a second
    who approves or rejects it: ``first_approved_by_id`` is that first person. A wrong approved row
    is never edited: it is reversed (its credits with it) and a new one may be entered, so the
    history shows both.
    """

    __tablename__ = "attendances"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_day_id: Mapped[int] = mapped_column(sa.ForeignKey("service_days.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    checked_in_at: Mapped[datetime]
    checked_out_at: Mapped[datetime | None]
    credited_minutes: Mapped[int] = mapped_column(default=0)
    manual: Mapped[bool] = mapped_column(default=False)
    walk_in: Mapped[bool] = mapped_column(default=False)
    distance_m: Mapped[int | None]
    # Scanned from the printed poster: presence rests on coordinates the phone reported (自报位置),
    # not on the rotating screen code, so the attendance page asks for a look before approval.
    location_self_reported: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # 离线补传: a scan of this record was made without signal and uploaded later, at its claimed time.
    uploaded_later: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    approved_at: Mapped[datetime | None] = mapped_column(index=True)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # 补录 by this manager
    first_approved_at: Mapped[datetime | None]
    first_approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    rejected_at: Mapped[datetime | None]
    rejected_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reversed_at: Mapped[datetime | None]
    reversed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    service_day: Mapped["ServiceDay"] = relationship()  # noqa: F821
    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821

    __table_args__ = (
        # One standing record per person and day; reversed ones stay beside it as history.
        sa.Index("uq_attendances_service_day_id_user_id", "service_day_id", "user_id", unique=True,
                 sqlite_where=sa.text("reversed_at IS NULL"), postgresql_where=sa.text("reversed_at IS NULL")),
        # A day's records, reversed ones included (reports of a week or month): the unique index above is
        # partial, so queries without "reversed_at IS NULL" scanned the whole table.
        sa.Index("ix_attendances_service_day_id", "service_day_id"),
        sa.CheckConstraint("status IN ('open', 'closed', 'no_checkout')", name="status"),
        sa.CheckConstraint("checked_out_at IS NULL OR checked_out_at >= checked_in_at", name="out_after_in"),
        sa.CheckConstraint("(status = 'closed') = (checked_out_at IS NOT NULL)", name="closed_has_checkout"),
        sa.CheckConstraint("credited_minutes >= 0", name="minutes_non_negative"),
        sa.CheckConstraint("approved_at IS NULL OR status <> 'open'", name="approve_closed_only"),
        sa.CheckConstraint("approved_by_id IS NULL OR approved_by_id <> user_id", name="not_own_approval"),
        sa.CheckConstraint("first_approved_by_id IS NULL OR (first_approved_by_id <> user_id "
                           "AND first_approved_at IS NOT NULL)", name="first_approval"),
        sa.CheckConstraint("entered_by_id IS NULL OR entered_by_id <> user_id", name="not_own_entry"),
        sa.CheckConstraint("approved_by_id IS NULL OR first_approved_by_id IS NULL "
                           "OR approved_by_id <> first_approved_by_id", name="second_person"),
        sa.CheckConstraint("rejected_at IS NULL OR approved_at IS NULL", name="rejected_not_approved"),
        sa.CheckConstraint("reversed_at IS NULL OR (approved_at IS NOT NULL AND reversed_by_id IS NOT NULL)",
                           name="reverse_approved_only"),
    )

    @property
    def hours(self) -> float:
        return self.credited_minutes / 60

    @hybrid_property
    def counts(self) -> bool:
        """Approved and not reversed: these hours are the volunteer's."""
        return self.approved_at is not None and self.reversed_at is None

    @counts.inplace.expression
    @classmethod
    def _counts(cls):
        return sa.and_(cls.approved_at.is_not(None), cls.reversed_at.is_(None))


register_constraint("uq_attendances_service_day_id_user_id", "service_day_id")


class ScanNonce(db.Model):
    """A scan's client nonce: the same scan sent again (a lost answer, an offline queue uploaded from two
    tabs) gets the first answer back and changes nothing."""

    __tablename__ = "scan_nonces"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    nonce: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    attendance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attendances.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(sa.String(16))
    scanned_at: Mapped[datetime]
    received_at: Mapped[datetime]

    __table_args__ = (
        sa.CheckConstraint("state IN ('pending', 'checked_in', 'checked_out', 'unchanged')", name="state"),
    )


class DayRating(CreatedAtMixin, db.Model):
    """服务评价: a participant's 1–5 stars and comment on a service day after it ends; one each."""

    __tablename__ = "day_ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_day_id: Mapped[int] = mapped_column(sa.ForeignKey("service_days.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    stars: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.String(500), default="")

    __table_args__ = (
        sa.UniqueConstraint("service_day_id", "user_id"),
        sa.CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),
    )
register_constraint("uq_day_ratings_service_day_id_user_id", "service_day_id")
