"""志愿服务队: volunteer teams of the "8+N" categories and their members."""
import enum
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_pgettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin, utcnow
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.extensions import db

# The eight standard categories; "other" teams carry their own name (the "N").
STANDARD_CATEGORIES = {
    "theory": lazy_pgettext("team category", "Theory and policy outreach"),  # 理论政策宣讲
    "culture": lazy_pgettext("team category", "Culture and the arts"),  # 文化文艺服务
    "education": lazy_pgettext("team category", "Tutoring and education"),  # 助学支教
    "health": lazy_pgettext("team category", "Health and fitness"),  # 医疗健身
    "science": lazy_pgettext("team category", "Science popularisation"),  # 科学普及
    "legal": lazy_pgettext("team category", "Legal services"),  # 法律服务
    "environment": lazy_pgettext("team category", "Sanitation and environment"),  # 卫生环保
    "poverty": lazy_pgettext("team category", "Help for people in need"),  # 扶贫帮困
}
OTHER = "other"


class Team(CreatedAtMixin, db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    category: Mapped[str] = mapped_column(sa.String(16), index=True)
    custom_category: Mapped[str | None] = mapped_column(sa.String(40))
    description: Mapped[str] = mapped_column(sa.String(2000), default="")
    leader_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)

    node: Mapped["Node"] = relationship()  # noqa: F821
    leader: Mapped["User"] = relationship()  # noqa: F821

    __table_args__ = (
        sa.UniqueConstraint("node_id", "name"),
        sa.CheckConstraint(
            "category IN ('theory', 'culture', 'education', 'health', 'science', 'legal',"
            " 'environment', 'poverty', 'other')",
            name="category",
        ),
        sa.CheckConstraint("(category = 'other') = (custom_category IS NOT NULL)", name="custom_category"),
    )

    @property
    def category_label(self) -> str:
        return self.custom_category if self.category == OTHER else str(STANDARD_CATEGORIES[self.category])


class MembershipStatus(enum.StrEnum):
    PENDING = "pending"  # the volunteer asked to join; the leader decides
    INVITED = "invited"  # the leader invited; the volunteer decides
    ACTIVE = "active"
    REJECTED = "rejected"
    LEFT = "left"  # left or removed


class TeamMembership(CreatedAtMixin, db.Model):
    __tablename__ = "team_memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    team: Mapped[Team] = relationship()
    user: Mapped["User"] = relationship()  # noqa: F821

    __table_args__ = (
        sa.UniqueConstraint("team_id", "user_id"),
        sa.CheckConstraint(
            "status IN ('pending', 'invited', 'active', 'rejected', 'left')", name="status"
        ),
    )


register_constraint("uq_teams_node_id_name", "name")
register_constraint("uq_team_memberships_team_id_user_id", "user_id")
