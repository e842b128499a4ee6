"""The practice hierarchy: 新时代文明实践中心 → 实践所 → 实践站 → 实践点."""
import enum

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
