"""兑换券: a one-time voucher that holds credits until a merchant confirms it."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.extensions import db


class VoucherStatus(enum.StrEnum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class Voucher(CreatedAtMixin, db.Model):
    __tablename__ = "vouchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    offer_id: Mapped[int] = mapped_column(sa.ForeignKey("offers.id"), index=True)
    merchant_id: Mapped[int] = mapped_column(sa.ForeignKey("merchants.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(8), unique=True)
    price: Mapped[int]  # half-credit units, fixed when the voucher is made
    status: Mapped[str] = mapped_column(sa.String(16), default=VoucherStatus.OPEN)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    confirmed_at: Mapped[datetime | None]
    confirmed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    offer: Mapped["Offer"] = relationship()  # noqa: F821
    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint("status IN ('open', 'confirmed', 'cancelled', 'expired')", name="status"),
        sa.CheckConstraint("price > 0", name="price_positive"),
        sa.CheckConstraint("(status = 'confirmed') = (confirmed_at IS NOT NULL)", name="confirmed_has_time"),
        sa.Index("ix_vouchers_merchant_confirmed", "merchant_id", "confirmed_at"),
    )


class VoucherAttempt(CreatedAtMixin, db.Model):
    """Every code typed or scanned at a counter: the log, and what the budget for wrong codes counts,
    per staff account and per merchant (a row for each merchant whose counter the person serves)."""

    __tablename__ = "voucher_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    merchant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("merchants.id"))
    ip: Mapped[str] = mapped_column(sa.String(45))
    code: Mapped[str] = mapped_column(sa.String(16))
    success: Mapped[bool]

    __table_args__ = (
        sa.Index("ix_voucher_attempts_user", "user_id", "created_at"),
        sa.Index("ix_voucher_attempts_merchant", "merchant_id", "created_at"),
    )
