"""Logging in and staying logged in: passwords checked with growing delays per source, sessions that
end for good (登录与会话).

Throttling follows OWASP's advice on lock-out: wrong passwords are counted per account *and* source.
A source is the address (an IPv6 /64), or a device that has logged in to this account before and
shows its signed device cookie. After ``LOGIN_FREE_ATTEMPTS`` failures a source waits 1, 2, 4 …
minutes (at most ``LOGIN_LONGEST_DELAY_MINUTES``) before its next try; sources the account has never
logged in from also share one account-wide allowance (``LOGIN_ACCOUNT_FREE_ATTEMPTS``) against
guessing from many addresses. A known device is never held by what others did, so nobody elsewhere
can lock the owner out; a texted reset code lifts every delay.

Sessions name the account's ``session_version``: changing the password or "log out everywhere"
raises it and ends every session and API token made before. Logging out revokes that one session.
"""
import hashlib
import ipaddress
import math
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

from volunteer_hub.core import audit, crypto
from volunteer_hub.core.db import insert_ignoring_conflicts, utcnow
from volunteer_hub.core.errors import DomainError, ValidationFailed
from volunteer_hub.core.validators import password_problem
from volunteer_hub.extensions import db
from volunteer_hub.people import services as people
from volunteer_hub.people.models import ApiToken, LoginThrottle, RevokedSession, User


class LoginDelayed(DomainError):
    status = 429
    code = "login_delayed"


def source_of(address: str, device_user_id: int | None, device_id: str | None, user: User) -> str:
    """The source a login attempt counts against: the device if it has logged in to ``user`` before."""
    if device_id and device_user_id == user.id:
        return f"device:{device_id}"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "ip:unknown"
    if ip.version == 6:
        if ip.ipv4_mapped:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip:{ipaddress.ip_network(f'{ip}/64', strict=False)}"  # one subscriber holds a /64
    return f"ip:{ip}"


def delay(failures_over: int) -> timedelta:
    """1, 2, 4 … minutes for the 1st, 2nd, 3rd … failure past the allowance, capped."""
    longest = current_app.config["LOGIN_LONGEST_DELAY_MINUTES"]
    return timedelta(minutes=min(2 ** min(failures_over, 20), longest))


def authenticate(phone: str, password: str, *, address: str, device: tuple[int, str] | None = None,
                 now: datetime | None = None) -> User | None:
    """The user, or None for a wrong phone or password (commit either way: failures count). ``device``
    is the (user id, device id) of a valid device cookie. Raises LoginDelayed while this source waits."""
    user = people.find_by_phone(phone or "")
    if user is None:
        # Spend the same time as a real check so timing does not reveal registered numbers.
        check_password_hash(people.dummy_hash(), password or "")
        return None
    now = now or utcnow()
    source = source_of(address, *(device or (None, None)), user)
    throttle = db.session.scalar(sa.select(LoginThrottle).where(LoginThrottle.user_id == user.id,
                                                                LoginThrottle.source == source))
    waits = [throttle.blocked_until if throttle else None]
    if not source.startswith("device:"):
        waits.append(user.locked_until)
    until = max((w for w in waits if w is not None), default=None)
    if until is not None and until > now:
        minutes = math.ceil((until - now).total_seconds() / 60)
        raise LoginDelayed(_("Too many wrong passwords: try again in %(minutes)s minutes, or reset the password "
                             "with a code texted to your phone.", minutes=minutes))
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        _count_failure(user, source, now)
        return None
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.user_id == user.id))
    user.failed_logins, user.locked_until, user.last_login_at = 0, None, now
    return user


def _count_failure(user: User, source: str, now: datetime) -> None:
    # Counted in single UPDATEs, so parallel guesses all count.
    db.session.execute(insert_ignoring_conflicts(LoginThrottle, {
        "user_id": user.id, "source": source, "failures": 0, "updated_at": now}))
    failures = db.session.scalar(
        sa.update(LoginThrottle).where(LoginThrottle.user_id == user.id, LoginThrottle.source == source)
        .values(failures=LoginThrottle.failures + 1, updated_at=now).returning(LoginThrottle.failures))
    free = current_app.config["LOGIN_FREE_ATTEMPTS"]
    if failures >= free:
        db.session.execute(sa.update(LoginThrottle).where(LoginThrottle.user_id == user.id,
                                                          LoginThrottle.source == source)
                           .values(blocked_until=now + delay(failures - free)))
        if failures == free:
            audit.record(None, "login.source_delayed", user, source=source.split(":", 1)[0])
    if not source.startswith("device:"):
        together = db.session.scalar(sa.update(User).where(User.id == user.id)
                                     .values(failed_logins=User.failed_logins + 1).returning(User.failed_logins))
        account_free = current_app.config["LOGIN_ACCOUNT_FREE_ATTEMPTS"]
        if together >= account_free:
            db.session.execute(sa.update(User).where(User.id == user.id)
                               .values(locked_until=now + delay(together - account_free)))
            if together == account_free:
                audit.record(None, "login.account_delayed", user, failures=together)
    db.session.refresh(user)


def lift_delays(user: User) -> None:
    """A texted code proved the phone: no source waits any more."""
    db.session.execute(sa.delete(LoginThrottle).where(LoginThrottle.user_id == user.id))
    user.failed_logins, user.locked_until = 0, None


# --- sessions ---------------------------------------------------------------------------------------

def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def session_is_live(user: User | None, version: int, sid: str | None) -> bool:
    """A browser session made under ``version`` with id ``sid`` still counts."""
    if user is None or not user.active or version != user.session_version or not sid:
        return False
    return db.session.get(RevokedSession, sid) is None


def revoke_session(user: User, sid: str, now: datetime | None = None) -> None:
    """退出登录: this session's cookie, and any copy of it, stops working."""
    now = now or utcnow()
    db.session.execute(sa.delete(RevokedSession).where(RevokedSession.expires_at < now))  # no longer needed
    lifetime = timedelta(minutes=current_app.config["SESSION_MAX_MINUTES"])
    db.session.execute(insert_ignoring_conflicts(RevokedSession, {
        "sid": sid, "user_id": user.id, "expires_at": now + lifetime}))


def end_all_sessions(user: User, now: datetime | None = None, *, reason: str = "logout_everywhere") -> None:
    """在所有设备上退出: every session and API token of the account ends."""
    now = now or utcnow()
    db.session.execute(sa.update(User).where(User.id == user.id)
                       .values(session_version=User.session_version + 1))
    db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                       .values(revoked_at=now).execution_options(synchronize_session=False))
    db.session.refresh(user)
    audit.record(user, f"account.{reason}", user)


# --- reset links ---------------------------------------------------------------------------------------

RESET_LINK_HOURS = 24


def _reset_links() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(crypto.signing_keys(), salt="password-reset-link")


def _fingerprint(user: User) -> str:
    # Changes with the password, so a link works once: the reset it makes spends it.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def reset_link_token(user: User) -> str:
    """A one-time token to set a new password, valid RESET_LINK_HOURS, for a link a manager hands over
    in person (people who cannot receive texts). Audited by the caller."""
    return _reset_links().dumps({"u": user.id, "f": _fingerprint(user)})


def user_for_reset_link(token: str) -> User:
    """The account a valid, unused reset link is for. Raises ValidationFailed otherwise."""
    message = _("This link is not valid, was used already or has expired; ask your station for a new one.")
    try:
        data = _reset_links().loads(token or "", max_age=RESET_LINK_HOURS * 3600)
        user = db.session.get(User, int(data["u"]))
    except (BadSignature, KeyError, TypeError, ValueError):
        raise ValidationFailed(message, {"token": [message]}, code="bad_link") from None
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        raise ValidationFailed(message, {"token": [message]}, code="bad_link")
    return user


def reset_with_link(token: str, password: str) -> User:
    """The volunteer sets the new password from the link: every session and token ends, delays lift."""
    user = user_for_reset_link(token)
    problem = password_problem(password or "", user.phone)
    if problem:
        message = people.password_message(problem)
        raise ValidationFailed(message, {"password": [message]})
    user.password_hash = people.hash_password(password)
    lift_delays(user)
    end_all_sessions(user, reason="password_reset_by_link")
    return user


def change_password(user: User, current: str, new: str) -> None:
    """修改密码: the current password proves it is the owner; every other session and token ends."""
    if not check_password_hash(user.password_hash, current or ""):
        message = _("The current password is wrong.")
        raise ValidationFailed(message, {"current_password": [message]})
    problem = password_problem(new or "", user.phone)
    if problem:
        message = people.password_message(problem)
        raise ValidationFailed(message, {"new_password": [message]})
    user.password_hash = people.hash_password(new)
    end_all_sessions(user, reason="password_change")
