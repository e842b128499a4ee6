"""文明提升日: the weekly activity theme, unified for every station under the node that sets it."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin, utcnow
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.extensions import db


class Theme(CreatedAtMixin, db.Model):
    """A theme for one day, over a node and everything below it.

    ``published_at`` is set once, by whichever scheduler wins the conditional UPDATE; the
    notifications it sends are keyed by the theme, so a second scheduler tells nobody twice.
    """

    __tablename__ = "themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    node_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(100))
    description: Mapped[str] = mapped_column(sa.String(2000), default="")
    guidance: Mapped[str] = mapped_column(sa.String(2000), default="")  # what stations should do
    places: Mapped[str] = mapped_column(sa.String(500), default="")  # suggested places
    held_on: Mapped[date] = mapped_column(sa.Date, index=True)
    publish_at: Mapped[datetime] = mapped_column(index=True)
    published_at: Mapped[datetime | None]
    missed_at: Mapped[datetime | None]  # its day passed before it could be published
    poster: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    poster_type: Mapped[str | None] = mapped_column(sa.String(32))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    node: Mapped["Node"] = relationship()  # noqa: F821
    notes: Mapped[list["ThemeNote"]] = relationship(back_populates="theme", order_by="ThemeNote.node_id",
                                                    cascade="all, delete-orphan")

    __table_args__ = (
        sa.UniqueConstraint("node_id", "held_on"),
        sa.CheckConstraint("poster_type IS NULL OR poster_type IN ('image/png', 'image/jpeg')", name="poster_type"),
        sa.CheckConstraint("(poster IS NULL) = (poster_type IS NULL)", name="poster_with_type"),
    )

    @property
    def status(self) -> str:
        if self.published_at is not None:
            return "published"
        return "missed" if self.missed_at is not None else "scheduled"


class ThemeNote(CreatedAtMixin, db.Model):
    """A station's local addition to a unified theme (where, who, what to bring); the title stays unified."""

    __tablename__ = "theme_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(sa.ForeignKey("themes.id", ondelete="CASCADE"))
    node_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"))
    note: Mapped[str] = mapped_column(sa.String(1000))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    theme: Mapped[Theme] = relationship(back_populates="notes")
    node: Mapped["Node"] = relationship()  # noqa: F821

    __table_args__ = (sa.UniqueConstraint("theme_id", "node_id"),)


register_constraint("uq_themes_node_id_held_on", "held_on")
