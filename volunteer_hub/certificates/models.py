"""A certificate is a snapshot taken when it is issued; verification shows that, never live data."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.extensions import db


class Certificate(CreatedAtMixin, db.Model):
    """志愿服务记录证明. ``number`` is the centre's code, the year and a sequence; ``token`` is the
    unguessable part of the verification link (it says nothing about the volunteer)."""

    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(64), unique=True)
    token: Mapped[str] = mapped_column(sa.String(43), unique=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), index=True)
    issuing_node_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    handler_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))  # 经办人 (the volunteer, self-service)
    issued_at: Mapped[datetime]
    snapshot: Mapped[dict] = mapped_column(sa.JSON)
    revoked_at: Mapped[datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    revoke_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    issuing_node: Mapped["Node"] = relationship(foreign_keys=[issuing_node_id])  # noqa: F821
    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint("(revoked_at IS NULL) = (revoked_by_id IS NULL)", name="revoked_by"),
    )


class CentreSeal(db.Model):
    """The centre's seal (公章) as a PNG, printed on its certificates."""

    __tablename__ = "centre_seals"

    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), primary_key=True)
    png: Mapped[bytes] = mapped_column(sa.LargeBinary)
    updated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime]


register_constraint("uq_certificates_number", "number")
