"""签到/签退 records and the hours they give."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.extensions import db


class AttendanceStatus(enum.StrEnum):
    OPEN = "open"  # checked in, not yet out
    CLOSED = "closed"  # checked out
    NO_CHECKOUT = "no_checkout"  # closed by the job after the event: no hours until a manager corrects it


class Attendance(CreatedAtMixin, db.Model):
    """One volunteer at one service day. The unique key makes a double scan one record."""

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
    approved_at: Mapped[datetime | None] = mapped_column(index=True)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    service_day: Mapped["ServiceDay"] = relationship()  # noqa: F821
    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821

    __table_args__ = (
        sa.UniqueConstraint("service_day_id", "user_id"),
        sa.CheckConstraint("status IN ('open', 'closed', 'no_checkout')", name="status"),
        sa.CheckConstraint("checked_out_at IS NULL OR checked_out_at >= checked_in_at", name="out_after_in"),
        sa.CheckConstraint("(status = 'closed') = (checked_out_at IS NOT NULL)", name="closed_has_checkout"),
        sa.CheckConstraint("credited_minutes >= 0", name="minutes_non_negative"),
        sa.CheckConstraint("approved_at IS NULL OR status <> 'open'", name="approve_closed_only"),
    )

    @property
    def hours(self) -> float:
        return self.credited_minutes / 60


register_constraint("uq_attendances_service_day_id_user_id", "service_day_id")
