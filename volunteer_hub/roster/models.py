"""Spreadsheets uploaded for import, kept between the preview (试导入) and the import itself."""
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.extensions import db


class RosterUpload(CreatedAtMixin, db.Model):
    """One uploaded file of volunteers. Its bytes are dropped once imported (the digest stays, for
    the audit trail); unimported uploads are tidied away after two days."""

    __tablename__ = "roster_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    content: Mapped[bytes] = mapped_column(sa.LargeBinary)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    imported_at: Mapped[datetime | None]
    summary: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    uploaded_by: Mapped["User"] = relationship()  # noqa: F821
