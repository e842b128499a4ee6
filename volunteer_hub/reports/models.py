"""每周报告: a centre's stations ranked for one week, kept as it was computed on the Monday."""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.extensions import db


class WeeklyReport(CreatedAtMixin, db.Model):
    __tablename__ = "weekly_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"))
    week_start: Mapped[date] = mapped_column(sa.Date)  # a Monday, local time
    data: Mapped[dict] = mapped_column(sa.JSON)

    __table_args__ = (sa.UniqueConstraint("centre_id", "week_start"),)
