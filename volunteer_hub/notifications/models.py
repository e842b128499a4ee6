"""站内消息 (the in-app inbox) and outgoing webhooks that relay messages to a WeChat or SMS gateway."""
import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.extensions import db
from volunteer_hub.notifications.messages import render


class Notification(CreatedAtMixin, db.Model):
    """One message in one volunteer's inbox. ``key`` names the event: each user gets it once."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(32))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.String(2000), default="")
    link: Mapped[str] = mapped_column(sa.String(255), default="")
    read_at: Mapped[datetime | None]
    # {"title": [msgid, params], "body": [...]}: rendered in the reader's language (messages.render);
    # title and body keep the text in the default language, for the webhook and for older rows.
    message: Mapped[dict | None] = mapped_column(sa.JSON)

    @property
    def shown_title(self) -> str:
        return render((self.message or {}).get("title"), self.title)

    @property
    def shown_body(self) -> str:
        return render((self.message or {}).get("body"), self.body)

    __table_args__ = (
        sa.UniqueConstraint("user_id", "key"),
        sa.Index("ix_notifications_inbox", "user_id", "id"),
    )


class WebhookEndpoint(CreatedAtMixin, db.Model):
    """A centre's outgoing webhook: every message its volunteers get is also POSTed here, signed."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), unique=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    secret: Mapped[str] = mapped_column(sa.String(64))
    active: Mapped[bool] = mapped_column(default=True)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its (next) attempt
    DELIVERED = "delivered"
    FAILED = "failed"  # gave up after the last attempt


class WebhookDelivery(CreatedAtMixin, db.Model):
    """One POST to an endpoint, retried with back-off. ``key`` makes an event enqueue once."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(120))
    event: Mapped[str] = mapped_column(sa.String(50))
    payload: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(16), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")

    endpoint: Mapped[WebhookEndpoint] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("endpoint_id", "key"),
        sa.CheckConstraint("status IN ('pending', 'delivered', 'failed')", name="status"),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
        sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )


register_constraint("uq_webhook_endpoints_centre_id", "centre_id")
