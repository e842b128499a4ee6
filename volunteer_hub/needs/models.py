"""群众点单: residents' requests, dispatched to a team, accepted, served and rated (点单—派单—接单—评单)."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin, utcnow
from volunteer_hub.extensions import db


class NeedState(enum.StrEnum):
    SUBMITTED = "submitted"  # 点单: in the queue of its node
    DISPATCHED = "dispatched"  # 派单: waiting for the team to accept by the deadline
    ACCEPTED = "accepted"  # 接单: a service day serves it
    COMPLETED = "completed"  # served, waiting for the resident's rating
    REVIEWED = "reviewed"  # 评单
    CANCELLED = "cancelled"  # withdrawn by the resident before it was accepted


class Need(CreatedAtMixin, db.Model):
    """One request. ``stage_started_at`` is when it entered its current state: the escalation timers
    count from there, and ``escalated_at`` (cleared on every move) makes each escalation happen once."""

    __tablename__ = "needs"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    node_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), index=True)
    category: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.String(2000))
    address: Mapped[str] = mapped_column(sa.String(200))
    wished_at: Mapped[datetime]
    contact_phone: Mapped[str] = mapped_column(sa.String(11))
    state: Mapped[str] = mapped_column(sa.String(16), default=NeedState.SUBMITTED, index=True)
    stage_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("teams.id"))
    accept_by: Mapped[datetime | None]
    service_day_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_days.id"))
    escalated_at: Mapped[datetime | None]
    dispatched_at: Mapped[datetime | None]  # first dispatch: the dashboard's time to dispatch
    accepted_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    rating: Mapped[int | None]
    review: Mapped[str] = mapped_column(sa.String(1000), default="")
    flagged: Mapped[bool] = mapped_column(default=False)  # a low rating the manager should look at

    resident: Mapped["User"] = relationship()  # noqa: F821
    node: Mapped["Node"] = relationship()  # noqa: F821
    team: Mapped["Team | None"] = relationship()  # noqa: F821
    service_day: Mapped["ServiceDay | None"] = relationship()  # noqa: F821
    events: Mapped[list["NeedEvent"]] = relationship(back_populates="need", order_by="NeedEvent.id")
    photos: Mapped[list["NeedPhoto"]] = relationship(back_populates="need", order_by="NeedPhoto.id")

    __table_args__ = (
        sa.CheckConstraint("state IN ('submitted', 'dispatched', 'accepted', 'completed', 'reviewed', 'cancelled')",
                           name="state"),
        sa.CheckConstraint("(state = 'dispatched') = (accept_by IS NOT NULL)", name="dispatched_has_deadline"),
        sa.CheckConstraint("state NOT IN ('dispatched', 'accepted', 'completed', 'reviewed') OR team_id IS NOT NULL",
                           name="team_once_dispatched"),
        sa.CheckConstraint("state NOT IN ('accepted', 'completed', 'reviewed') OR service_day_id IS NOT NULL",
                           name="accepted_has_service_day"),
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        sa.CheckConstraint("(state = 'reviewed') = (rating IS NOT NULL)", name="reviewed_has_rating"),
        sa.CheckConstraint("category IN ('repair', 'elderly', 'escort', 'shopping', 'company', 'legal', 'other')",
                           name="category"),
    )


class NeedEvent(CreatedAtMixin, db.Model):
    """Every move of a need: who, when, from which state to which, and what was said."""

    __tablename__ = "need_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(sa.String(20))
    from_state: Mapped[str] = mapped_column(sa.String(16))
    to_state: Mapped[str] = mapped_column(sa.String(16))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    need: Mapped[Need] = relationship(back_populates="events")
    actor: Mapped["User | None"] = relationship()  # noqa: F821


class NeedPhoto(CreatedAtMixin, db.Model):
    """A photo kept on disk under instance/needs/; the row records what was checked."""

    __tablename__ = "need_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    need_id: Mapped[int] = mapped_column(sa.ForeignKey("needs.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(80), unique=True)
    content_type: Mapped[str] = mapped_column(sa.String(32))
    size: Mapped[int]

    need: Mapped[Need] = relationship(back_populates="photos")

    __table_args__ = (
        sa.CheckConstraint("content_type IN ('image/png', 'image/jpeg')", name="content_type"),
        sa.CheckConstraint("size > 0", name="size_positive"),
    )
