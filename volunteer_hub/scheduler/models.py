"""A log of scheduled job runs: what ran, what it did, and runs missed while the scheduler was down."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from volunteer_hub.extensions import db


class JobRun(db.Model):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(sa.String(50))
    status: Mapped[str] = mapped_column(sa.String(16))
    scheduled_for: Mapped[datetime]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    summary: Mapped[str] = mapped_column(sa.String(500), default="")

    __table_args__ = (
        sa.CheckConstraint("status IN ('ok', 'error', 'missed')", name="status"),
        sa.Index("ix_job_runs_job", "job_id", "id"),
    )
