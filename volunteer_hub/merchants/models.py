"""文明商户: partner merchants that accept 文明良票 credits."""
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.extensions import db


class Merchant(CreatedAtMixin, db.Model):
    __tablename__ = "merchants"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    contact_phone: Mapped[str] = mapped_column(sa.String(11))
    licence_no: Mapped[str] = mapped_column(sa.String(32), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")

    centre: Mapped["Node"] = relationship()  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'approved', 'suspended')", name="status"),
    )


register_constraint("uq_merchants_licence_no", "licence_no")
