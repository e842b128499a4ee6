"""文明商户: partner merchants that accept 文明良票 credits, and their offers."""
import enum
from datetime import datetime

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
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    centre: Mapped["Node"] = relationship()  # noqa: F821
    stations: Mapped[list["Node"]] = relationship(secondary="merchant_stations", order_by="Node.path")  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'approved', 'suspended')", name="status"),
    )


merchant_stations = sa.Table(
    "merchant_stations",  # 结对: the stations whose volunteers a merchant serves
    db.metadata,
    sa.Column("merchant_id", sa.ForeignKey("merchants.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("station_id", sa.ForeignKey("nodes.id"), primary_key=True),
)


class Offer(CreatedAtMixin, db.Model):
    """物品/服务 a merchant offers for 文明良票. ``reserved`` counts open vouchers against the stock."""

    __tablename__ = "offers"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.String(2000), default="")
    price: Mapped[int]  # half-credit units
    stock: Mapped[int | None]  # None: unlimited
    reserved: Mapped[int] = mapped_column(default=0)
    monthly_limit: Mapped[int | None]  # per volunteer per calendar month
    valid_from: Mapped[datetime | None]
    valid_to: Mapped[datetime | None]
    active: Mapped[bool] = mapped_column(default=True)

    merchant: Mapped[Merchant] = relationship()
    stations: Mapped[list["Node"]] = relationship(secondary="offer_stations", order_by="Node.path")  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint("price > 0", name="price_positive"),
        sa.CheckConstraint("stock IS NULL OR stock >= reserved", name="stock_covers_reserved"),
        sa.CheckConstraint("reserved >= 0", name="reserved_non_negative"),
        sa.CheckConstraint("monthly_limit IS NULL OR monthly_limit > 0", name="limit_positive"),
        sa.CheckConstraint("valid_to IS NULL OR valid_from IS NULL OR valid_to > valid_from", name="valid_window"),
    )


offer_stations = sa.Table(
    "offer_stations",  # which stations' volunteers may use an offer; none: all the merchant's paired stations
    db.metadata,
    sa.Column("offer_id", sa.ForeignKey("offers.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("station_id", sa.ForeignKey("nodes.id"), primary_key=True),
)


register_constraint("uq_merchants_licence_no", "licence_no")


class InvitationState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # by the owner or a centre admin, or when the merchant is suspended


class StaffInvitation(CreatedAtMixin, db.Model):
    """店员邀请: staff are added by consent. The invitation names a phone; only the account holding that
    phone accepts or declines it, so nobody is bound to a merchant, or has an account made for them,
    by someone else."""

    __tablename__ = "staff_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(sa.String(11), index=True)
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(sa.String(16), default=InvitationState.PENDING)
    expires_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))  # who accepted or declined

    merchant: Mapped[Merchant] = relationship()

    __table_args__ = (
        sa.CheckConstraint("state IN ('pending', 'accepted', 'declined', 'withdrawn')", name="state"),
        sa.CheckConstraint("(state = 'pending') = (decided_at IS NULL)", name="decided"),
        sa.CheckConstraint("state NOT IN ('accepted', 'declined') OR user_id IS NOT NULL", name="answered_by"),
        # One open invitation per phone and merchant.
        sa.Index("uq_staff_invitations_open", "merchant_id", "phone", unique=True,
                 sqlite_where=sa.text("state = 'pending'"), postgresql_where=sa.text("state = 'pending'")),
    )
register_constraint("uq_staff_invitations_open", "phone")
