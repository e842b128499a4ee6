"""文明良票: a double-entry ledger. Amounts are integers of half credits."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin, utcnow
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.extensions import db

UNITS_PER_CREDIT = 2  # the smallest amount is half a credit


class AccountKind(enum.StrEnum):
    WALLET = "wallet"  # a volunteer's credits
    MERCHANT = "merchant"  # credits a 文明商户 has taken in
    ISSUANCE = "issuance"  # a centre's source of credits: its balance is minus what it has issued
    EXPIRY = "expiry"  # where a centre's expired credits go


class CreditAccount(CreatedAtMixin, db.Model):
    """``balance`` and ``held`` are cached: balance always equals the sum of the account's entries
    (tests/credits prove it), and conditional updates on them are what stop overspending."""

    __tablename__ = "credit_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    merchant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("merchants.id"))
    centre_id: Mapped[int | None] = mapped_column(sa.ForeignKey("nodes.id"))
    balance: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    held: Mapped[int] = mapped_column(sa.BigInteger, default=0)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('wallet', 'merchant', 'issuance', 'expiry')", name="kind"),
        sa.CheckConstraint("(kind = 'wallet') = (user_id IS NOT NULL)", name="wallet_has_user"),
        sa.CheckConstraint("(kind = 'merchant') = (merchant_id IS NOT NULL)", name="merchant_has_merchant"),
        sa.CheckConstraint("(kind IN ('issuance', 'expiry')) = (centre_id IS NOT NULL)", name="centre_accounts"),
        sa.CheckConstraint("kind = 'issuance' OR balance >= held", name="available_non_negative"),
        sa.CheckConstraint("held >= 0", name="held_non_negative"),
        sa.UniqueConstraint("kind", "user_id"),
        sa.UniqueConstraint("kind", "merchant_id"),
        sa.UniqueConstraint("kind", "centre_id"),
    )


class TransactionKind(enum.StrEnum):
    MINT = "mint"  # approved hours
    GRANT = "grant"  # a manager's manual grant
    CLAWBACK = "clawback"  # a manager's manual correction
    REDEEM = "redeem"  # a voucher confirmed at a merchant
    EXPIRE = "expire"


class CreditTransaction(CreatedAtMixin, db.Model):
    """One posting. ``key`` is its idempotency key: the same event never posts twice."""

    __tablename__ = "credit_transactions"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    key: Mapped[str] = mapped_column(sa.String(100), unique=True)
    memo: Mapped[str] = mapped_column(sa.String(200), default="")
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    attendance_id: Mapped[int | None] = mapped_column(sa.ForeignKey("attendances.id"), index=True)

    entries: Mapped[list["CreditEntry"]] = relationship(back_populates="transaction", order_by="CreditEntry.id")

    __table_args__ = (
        sa.CheckConstraint("kind IN ('mint', 'grant', 'clawback', 'redeem', 'expire')", name="kind"),
    )


class CreditEntry(CreatedAtMixin, db.Model):
    """An immutable movement on one account; a transaction's entries sum to zero."""

    __tablename__ = "credit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(sa.ForeignKey("credit_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("credit_accounts.id"))
    amount: Mapped[int] = mapped_column(sa.BigInteger)

    transaction: Mapped[CreditTransaction] = relationship(back_populates="entries")

    __table_args__ = (
        sa.CheckConstraint("amount <> 0", name="amount_non_zero"),
        sa.Index("ix_credit_entries_account", "account_id", "id"),
        # An account's flows over a period (reports): a range scan, not every entry it ever had.
        sa.Index("ix_credit_entries_account_created", "account_id", "created_at"),
    )


class ExpiryRule(enum.StrEnum):
    NONE = "none"  # credits never expire
    END_OF_NEXT_YEAR = "end_of_next_year"  # earned in 2026, gone after 31 December 2027 (local time)


class CreditPolicy(db.Model):
    """A centre's expiry setting. Credits expire first-in first-out: what was spent came from the oldest."""

    __tablename__ = "credit_policies"

    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), primary_key=True)
    expiry: Mapped[str] = mapped_column(sa.String(20), default=ExpiryRule.NONE)
    warn_days: Mapped[int] = mapped_column(default=30)  # tell volunteers this long before
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        sa.CheckConstraint("expiry IN ('none', 'end_of_next_year')", name="expiry"),
        sa.CheckConstraint("warn_days >= 1 AND warn_days <= 180", name="warn_days"),
    )


register_constraint("uq_credit_transactions_key", "key")


class GrantState(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class GrantRequest(CreatedAtMixin, db.Model):
    """A manual grant above the centre's review threshold (待复核): posted only when a second manager
    approves it. Neither the receiver nor the requester can decide it."""

    __tablename__ = "grant_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), index=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), index=True)
    units: Mapped[int] = mapped_column(sa.BigInteger)
    reason: Mapped[str] = mapped_column(sa.String(200))
    key: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(sa.String(16), default=GrantState.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("credit_transactions.id"))

    user: Mapped["User"] = relationship(foreign_keys=[user_id])  # noqa: F821
    requested_by: Mapped["User"] = relationship(foreign_keys=[requested_by_id])  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint("units > 0", name="units_positive"),
        sa.CheckConstraint("state IN ('pending', 'approved', 'rejected')", name="state"),
        sa.CheckConstraint("requested_by_id <> user_id", name="not_own_request"),
        sa.CheckConstraint("decided_by_id IS NULL OR (decided_by_id <> user_id AND decided_by_id <> requested_by_id)",
                           name="second_person"),
        sa.CheckConstraint("(state = 'pending') = (decided_at IS NULL)", name="decided"),
        sa.CheckConstraint("(state = 'approved') = (transaction_id IS NOT NULL)", name="approved_posted"),
    )


register_constraint("uq_grant_requests_key", "key")
