"""服务日 (service days) and 报名 (sign-ups) with a waiting list."""
import enum
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin, utcnow
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.extensions import db

service_day_teams = sa.Table(
    "service_day_teams",
    db.metadata,
    sa.Column("service_day_id", sa.ForeignKey("service_days.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class ServiceDetails:
    """What a service day and a recurring one have in common: where it is and what it is."""

    node_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.String(2000), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    checkin_radius_m: Mapped[int | None]
    capacity: Mapped[int]
    credits_per_hour: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class ServiceDay(ServiceDetails, CreatedAtMixin, db.Model):
    """An event volunteers sign up for and check in at.

    ``confirmed_count`` mirrors the confirmed sign-ups: it is updated with a
    conditional UPDATE so that concurrent sign-ups can never exceed capacity,
    and the row lock it takes serialises sign-ups and cancellations of one event.
    """

    __tablename__ = "service_days"

    id: Mapped[int] = mapped_column(primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    ends_at: Mapped[datetime]
    signup_deadline: Mapped[datetime]
    confirmed_count: Mapped[int] = mapped_column(default=0)
    granularity_minutes: Mapped[int] = mapped_column(default=30)
    min_interval_minutes: Mapped[int] = mapped_column(default=10)
    allow_walk_ins: Mapped[bool] = mapped_column(default=False)
    cancelled_at: Mapped[datetime | None]
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_day_templates.id", ondelete="SET NULL"))
    theme_id: Mapped[int | None] = mapped_column(sa.ForeignKey("themes.id", ondelete="SET NULL"), index=True)
    # 仅队内可见: a day made to serve a resident's request is for its team, not every volunteer's list.
    team_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    node: Mapped["Node"] = relationship()  # noqa: F821
    teams: Mapped[list["Team"]] = relationship(secondary=service_day_teams, order_by="Team.name")  # noqa: F821
    template: Mapped["ServiceDayTemplate | None"] = relationship()
    theme: Mapped["Theme | None"] = relationship()  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("signup_deadline <= ends_at", name="deadline_before_end"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("confirmed_count >= 0 AND confirmed_count <= capacity", name="within_capacity"),
        sa.CheckConstraint("credits_per_hour >= 0", name="credits_non_negative"),
        sa.CheckConstraint("granularity_minutes IN (1, 5, 10, 15, 30, 60)", name="granularity"),
        sa.CheckConstraint("min_interval_minutes >= 0", name="interval_non_negative"),
        sa.CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="lat_lon_together"),
        sa.CheckConstraint("checkin_radius_m IS NULL OR (lat IS NOT NULL AND checkin_radius_m > 0)",
                           name="geofence_has_centre"),
        # One service day per template and start: two schedulers generating at once make one.
        sa.UniqueConstraint("template_id", "starts_at"),
    )

    @property
    def has_geofence(self) -> bool:
        return self.checkin_radius_m is not None

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


service_day_template_teams = sa.Table(
    "service_day_template_teams",
    db.metadata,
    sa.Column("template_id", sa.ForeignKey("service_day_templates.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("team_id", sa.ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True),
)


class ServiceDayTemplate(ServiceDetails, CreatedAtMixin, db.Model):
    """A recurring service day, e.g. every Saturday 08:30-11:30 at a station: the scheduler creates
    each occurrence ``days_ahead`` days in advance, linked to that week's theme if asked."""

    __tablename__ = "service_day_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    weekday: Mapped[int]  # Monday 0 … Sunday 6
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    link_theme: Mapped[bool] = mapped_column(default=True)
    days_ahead: Mapped[int] = mapped_column(default=14)
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)  # the last day an occurrence may fall on
    active: Mapped[bool] = mapped_column(default=True)  # False: paused (or stopped for good, with ends_on)

    node: Mapped["Node"] = relationship()  # noqa: F821
    teams: Mapped[list["Team"]] = relationship(secondary=service_day_template_teams,  # noqa: F821
                                               order_by="Team.name")

    __table_args__ = (
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),
        sa.CheckConstraint("end_time > start_time", name="ends_after_start"),
        sa.CheckConstraint("capacity > 0", name="capacity_positive"),
        sa.CheckConstraint("credits_per_hour >= 0", name="credits_non_negative"),
        sa.CheckConstraint("days_ahead >= 1 AND days_ahead <= 60", name="days_ahead"),
        sa.CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="lat_lon_together"),
        sa.CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="ends_after_it_starts"),
    )


class SignUpStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"  # 候补: moves up in order when a confirmed volunteer cancels
    CANCELLED = "cancelled"


class SignUp(CreatedAtMixin, db.Model):
    __tablename__ = "signups"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_day_id: Mapped[int] = mapped_column(sa.ForeignKey("service_days.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    # Waiting-list order: set anew each time the volunteer (re)joins the list.
    queued_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    service_day: Mapped[ServiceDay] = relationship()
    user: Mapped["User"] = relationship()  # noqa: F821

    __table_args__ = (
        sa.UniqueConstraint("service_day_id", "user_id"),
        sa.CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled')", name="status"),
        sa.Index("ix_signups_queue", "service_day_id", "status", "queued_at"),
    )


register_constraint("uq_signups_service_day_id_user_id", "service_day_id")


class ActivityRecord(CreatedAtMixin, db.Model):
    """活动台账: what happened at a service day, written by whoever runs it. ``share_token`` makes the
    public link (for the WeChat group) that shows the record without anyone's personal data."""

    __tablename__ = "activity_records"

    service_day_id: Mapped[int] = mapped_column(sa.ForeignKey("service_days.id", ondelete="CASCADE"),
                                                primary_key=True)
    summary: Mapped[str] = mapped_column(sa.String(2000))
    people_served: Mapped[int] = mapped_column(default=0)
    share_token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    service_day: Mapped[ServiceDay] = relationship()
    photos: Mapped[list["ActivityPhoto"]] = relationship(order_by="ActivityPhoto.id", cascade="all, delete-orphan",
                                                         back_populates="record")

    __table_args__ = (
        sa.CheckConstraint("people_served >= 0 AND people_served <= 1000000", name="people_served_range"),
    )


class ActivityPhoto(CreatedAtMixin, db.Model):
    """A photo of an activity record, as stored: re-encoded JPEG at most 1600 px a side, without EXIF
    (so without the phone's GPS position)."""

    __tablename__ = "activity_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    service_day_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activity_records.service_day_id", ondelete="CASCADE"), index=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    width: Mapped[int]
    height: Mapped[int]

    record: Mapped[ActivityRecord] = relationship(back_populates="photos")

    __table_args__ = (
        sa.CheckConstraint("width > 0 AND width <= 1600 AND height > 0 AND height <= 1600", name="size_range"),
    )


class ServiceDayCover(db.Model):
    """封面: the picture a service day's card and page lead with, as stored (re-encoded JPEG, no EXIF)."""

    __tablename__ = "service_day_covers"

    service_day_id: Mapped[int] = mapped_column(sa.ForeignKey("service_days.id", ondelete="CASCADE"),
                                                primary_key=True)
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    width: Mapped[int]
    height: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("width > 0 AND width <= 1200 AND height > 0 AND height <= 1200", name="size_range"),
    )
