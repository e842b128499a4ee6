"""The practice hierarchy: 新时代文明实践中心 → 实践所 → 实践站 → 实践点."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.extensions import db


class NodeKind(enum.StrEnum):
    CENTRE = "centre"  # 新时代文明实践中心 (county)
    INSTITUTE = "institute"  # 实践所 (town / street)
    STATION = "station"  # 实践站 (village / community)
    POINT = "point"  # 实践点

    @property
    def level(self) -> int:
        return list(NodeKind).index(self)


class Node(CreatedAtMixin, db.Model):
    """A place in the practice hierarchy.

    ``path`` is the materialised path of ids (``/1/4/9/``): a subtree is one
    indexed prefix query, which is what every authorisation check needs.
    """

    __tablename__ = "nodes"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    name: Mapped[str] = mapped_column(sa.String(100))
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("nodes.id", ondelete="RESTRICT"), index=True)
    path: Mapped[str] = mapped_column(sa.String(255), default="")

    parent: Mapped["Node | None"] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list["Node"]] = relationship(back_populates="parent", order_by="Node.code")

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('centre', 'institute', 'station', 'point')", name="kind"
        ),
        sa.CheckConstraint("(kind = 'centre') = (parent_id IS NULL)", name="root_is_centre"),
        sa.CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        sa.CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
        sa.CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="lat_lon_together"),
        sa.Index("ix_nodes_path", "path", postgresql_ops={"path": "text_pattern_ops"}),
    )

    @property
    def node_kind(self) -> NodeKind:
        return NodeKind(self.kind)

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to and including this node."""
        return [int(part) for part in self.path.strip("/").split("/") if part]

    @property
    def centre_id(self) -> int:
        return self.ancestor_ids[0]

    def is_within(self, ancestor: "Node") -> bool:
        return self.path.startswith(ancestor.path)

    def __repr__(self) -> str:
        return f"<Node {self.code} {self.kind} {self.name!r}>"


register_constraint("uq_nodes_code", "code")


class CentreSettings(db.Model):
    """A centre's rules for hours and credits, set by its administrators; no row means the defaults
    (``nodes.services.DEFAULT_SETTINGS``)."""

    __tablename__ = "centre_settings"

    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), primary_key=True)
    default_credits_per_hour: Mapped[int]  # 1 h = 10 文明良票 in Kunshan, 1 in Lianyungang
    max_credits_per_hour: Mapped[int]
    back_entry_days: Mapped[int]  # how far back a service day may start or a manual entry go
    max_day_hours: Mapped[int]  # the longest service day
    review_entry_hours: Mapped[int]  # one attendance above this needs a second person
    review_grant_credits: Mapped[int]  # grants to one volunteer above this in a day need a second person
    star_1: Mapped[int]  # 星级志愿者 thresholds in approved hours
    star_2: Mapped[int]
    star_3: Mapped[int]
    star_4: Mapped[int]
    star_5: Mapped[int]
    # 离线补传: a scan made without signal is accepted when uploaded within this many hours.
    offline_upload_hours: Mapped[int] = mapped_column(default=12, server_default="12")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime | None]

    __table_args__ = (
        sa.CheckConstraint("default_credits_per_hour >= 0 AND default_credits_per_hour <= max_credits_per_hour",
                           name="default_rate"),
        sa.CheckConstraint("max_credits_per_hour >= 0 AND max_credits_per_hour <= 100", name="max_rate"),
        sa.CheckConstraint("back_entry_days >= 0 AND back_entry_days <= 366", name="back_entry_days"),
        sa.CheckConstraint("max_day_hours >= 1 AND max_day_hours <= 24", name="max_day_hours"),
        sa.CheckConstraint("review_entry_hours >= 1 AND review_entry_hours <= 24", name="review_entry_hours"),
        sa.CheckConstraint("review_grant_credits >= 1", name="review_grant_credits"),
        sa.CheckConstraint("offline_upload_hours >= 0 AND offline_upload_hours <= 72", name="offline_upload_hours"),
        sa.CheckConstraint("0 < star_1 AND star_1 < star_2 AND star_2 < star_3 AND star_3 < star_4 "
                           "AND star_4 < star_5", name="stars_ascending"),
    )

    @property
    def star_thresholds(self) -> tuple[int, ...]:
        return (self.star_1, self.star_2, self.star_3, self.star_4, self.star_5)
