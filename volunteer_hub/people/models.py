"""People: one user table; volunteer profiles; role grants on nodes; API tokens."""
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from volunteer_hub.core.db import CreatedAtMixin
from volunteer_hub.core.errors import register_constraint
from volunteer_hub.core.permissions import Role
from volunteer_hub.extensions import db


class User(UserMixin, CreatedAtMixin, db.Model):
    """一个人: volunteer, resident, manager or merchant staff; roles come from grants."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    phone: Mapped[str] = mapped_column(sa.String(11), unique=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # Wrong passwords from sources this account has never logged in from, all together, and the delay
    # they have earned (people.services.authenticate); a device that has logged in is never held by it.
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")
    locked_until: Mapped[datetime | None]
    # Part of every session's identity: raised on password change and "log out everywhere", it ends
    # every session and API token issued before.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")

    profile: Mapped["VolunteerProfile | None"] = relationship(
        back_populates="user", foreign_keys="VolunteerProfile.user_id"
    )
    grants: Mapped[list["Grant"]] = relationship(
        back_populates="user", foreign_keys="Grant.user_id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("failed_logins >= 0", name="failed_logins_non_negative"),
        sa.CheckConstraint("session_version >= 1", name="session_version_positive"),
    )

    def get_id(self) -> str:  # flask-login: the session names the version it was made under
        return f"{self.id}.{self.session_version}"

    @property
    def is_active(self) -> bool:  # flask-login: inactive users cannot log in
        return self.active

    @property
    def is_volunteer(self) -> bool:
        return self.profile is not None


class VolunteerProfile(CreatedAtMixin, db.Model):
    """志愿者档案. The ID number is stored encrypted and only ever shown masked."""

    __tablename__ = "volunteer_profiles"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    home_station_id: Mapped[int] = mapped_column(sa.ForeignKey("nodes.id"), index=True)
    id_number_encrypted: Mapped[str | None] = mapped_column(sa.Text)
    id_number_digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(sa.String(18))
    skills: Mapped[list[str]] = mapped_column(sa.JSON, default=list)

    user: Mapped[User] = relationship(back_populates="profile", foreign_keys=[user_id])
    home_station: Mapped["Node"] = relationship()  # noqa: F821

    __table_args__ = (
        sa.CheckConstraint(
            "(id_number_encrypted IS NULL) = (id_number_digest IS NULL)", name="id_number_complete"
        ),
    )


class Grant(CreatedAtMixin, db.Model):
    """A role given to a user on a node (or a merchant)."""

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(sa.String(20))
    node_id: Mapped[int | None] = mapped_column(sa.ForeignKey("nodes.id"), index=True)
    merchant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("merchants.id"), index=True)
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    user: Mapped[User] = relationship(back_populates="grants", foreign_keys=[user_id])
    node: Mapped["Node | None"] = relationship()  # noqa: F821

    @property
    def role_label(self):
        return Role(self.role).label

    __table_args__ = (
        sa.CheckConstraint("role IN ('manager', 'admin', 'merchant_staff')", name="role"),
        sa.CheckConstraint("role <> 'manager' OR node_id IS NOT NULL", name="manager_has_node"),
        sa.CheckConstraint(
            "(role = 'merchant_staff') = (merchant_id IS NOT NULL)", name="merchant_staff_has_merchant"
        ),
        # Partial unique indexes: NULLs are distinct in a plain unique constraint.
        sa.Index(
            "uq_grants_user_id_role_node_id", "user_id", "role", "node_id", unique=True,
            sqlite_where=sa.text("node_id IS NOT NULL"), postgresql_where=sa.text("node_id IS NOT NULL"),
        ),
        sa.Index(
            "uq_grants_user_id_role", "user_id", "role", unique=True,
            sqlite_where=sa.text("node_id IS NULL AND merchant_id IS NULL"),
            postgresql_where=sa.text("node_id IS NULL AND merchant_id IS NULL"),
        ),
        sa.Index(
            "uq_grants_user_id_merchant_id", "user_id", "merchant_id", unique=True,
            sqlite_where=sa.text("merchant_id IS NOT NULL"), postgresql_where=sa.text("merchant_id IS NOT NULL"),
        ),
    )


class ApiToken(CreatedAtMixin, db.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()


class LoginThrottle(db.Model):
    """Wrong passwords for one account from one source: an address (``ip:…``, an IPv6 /64) or a device
    that has logged in to the account before (``device:…``). Each source earns its own growing delay,
    so a guesser elsewhere cannot lock the owner out."""

    __tablename__ = "login_throttles"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(80))
    failures: Mapped[int] = mapped_column(default=0)
    blocked_until: Mapped[datetime | None]
    updated_at: Mapped[datetime]

    __table_args__ = (
        sa.UniqueConstraint("user_id", "source"),
        sa.CheckConstraint("failures >= 0", name="failures_non_negative"),
    )


class RevokedSession(db.Model):
    """A browser session ended by logging out: a copy of its cookie is refused until it would have
    expired anyway (then the row goes)."""

    __tablename__ = "revoked_sessions"

    sid: Mapped[str] = mapped_column(sa.String(43), primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class PhoneCode(CreatedAtMixin, db.Model):
    """A one-time 6-digit code sent to a phone to prove it is the sender's (注册, 找回密码).

    Only an HMAC of the code is kept. ``attempts`` counts wrong guesses (at most 5); ``used_at``
    makes a code good once."""

    __tablename__ = "phone_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(11))
    purpose: Mapped[str] = mapped_column(sa.String(16))
    digest: Mapped[str] = mapped_column(sa.String(64))
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None]
    ip: Mapped[str] = mapped_column(sa.String(45), default="")

    __table_args__ = (
        sa.CheckConstraint("purpose IN ('register', 'reset')", name="purpose"),
        sa.CheckConstraint("attempts >= 0 AND attempts <= 5", name="attempts"),
        sa.Index("ix_phone_codes_phone_purpose", "phone", "purpose", "created_at"),
    )


register_constraint("uq_users_phone", "phone")
register_constraint("uq_volunteer_profiles_id_number_digest", "id_number")
