"""通知公告: what leaders and managers sent to their people, and to how many."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.extensions import db

AUDIENCES = ("team", "day", "node")


class Announcement(CreatedAtMixin, db.Model):
    """One announcement to a team's members, a service day's sign-ups, or the volunteers of a node."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    audience: Mapped[str] = mapped_column(sa.String(8))
    target_id: Mapped[int]
    target_name: Mapped[str] = mapped_column(sa.String(200))
    title: Mapped[str] = mapped_column(sa.String(100))
    body: Mapped[str] = mapped_column(sa.String(2000))
    recipients: Mapped[int] = mapped_column(default=0)

    sender: Mapped["User | None"] = relationship()  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint("audience IN ('team', 'day', 'node')", name="audience"),
        sa.CheckConstraint("recipients >= 0", name="recipients_non_negative"),
    )
