"""Phones that belong to their owners: one-time codes for registration and password reset.

A code is 6 digits, good for 5 minutes and 5 guesses, once. Asking for one answers the same
whether or not the phone is registered; the text goes only where it can be of use (registration:
a phone without an account; reset: a phone with one). Services flush; wrong guesses are counted in
their own transaction, so the request's rollback cannot undo them.
"""
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from volunteer_hub.core import sms
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, DomainError, ValidationFailed
from volunteer_hub.core.validators import is_mainland_mobile, normalise_phone, password_problem
from volunteer_hub.extensions import db
from volunteer_hub.people import logins
from volunteer_hub.people import services as people
from volunteer_hub.people.models import PhoneCode, User

PURPOSES = ("register", "reset")
CODE_TTL = timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
CODES_PER_HOUR = 5  # per phone and purpose


class TooManyCodes(DomainError):
    status = 429
    code = "too_many_codes"


def _digest(phone: str, purpose: str, code: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _phone(phone: str) -> str:
    phone = normalise_phone(phone or "")
    if not is_mainland_mobile(phone):
        message = _("Enter an 11-digit mainland mobile number, e.g. 13812345678.")
        raise ValidationFailed(message, {"phone": [message]})
    return phone


def request_code(phone: str, purpose: str, ip: str = "", now: datetime | None = None) -> str | None:
    """Make and text a code. Returns it to the caller (pages show it only in debug mode), or None
    when none was made because one was sent under a minute ago. Raises TooManyCodes past the hourly
    limit, the same for every phone."""
    if purpose not in PURPOSES:
        raise ValidationFailed(_("Unknown purpose."), {"purpose": [_("Unknown purpose.")]})
    phone, now = _phone(phone), now or utcnow()
    recent = db.session.scalars(sa.select(PhoneCode.created_at).where(
        PhoneCode.phone == phone, PhoneCode.purpose == purpose, PhoneCode.created_at > now - timedelta(hours=1))
        .order_by(PhoneCode.created_at.desc())).all()
    if len(recent) >= CODES_PER_HOUR:
        raise TooManyCodes(_("Too many codes for this number; try again in an hour."))
    if recent and recent[0] > now - RESEND_AFTER:
        return None
    code = f"{secrets.randbelow(10**6):06d}"
    row = PhoneCode(phone=phone, purpose=purpose, digest=_digest(phone, purpose, code), expires_at=now + CODE_TTL,
                    ip=ip[:45], created_at=now)
    db.session.add(row)
    db.session.flush()
    registered = people.find_by_phone(phone) is not None
    if (purpose == "register") != registered:  # only where it is of use; the caller cannot tell
        text = (_("Your volunteer_hub registration code is %(code)s, valid for 5 minutes.", code=code)
                if purpose == "register" else
                _("Your volunteer_hub password reset code is %(code)s, valid for 5 minutes. If you did not ask "
                  "for it, ignore this message.", code=code))
        sms.send(phone, text, key=f"phone-code:{row.id}")
    return code


def _bad_code() -> ValidationFailed:
    message = _("The code is wrong or has expired; ask for a new one.")
    return ValidationFailed(message, {"code": [message]}, code="bad_code")


def use_code(phone: str, purpose: str, code: str, now: datetime | None = None) -> None:
    """Spend the phone's latest code for ``purpose``: 422 if wrong or expired, 409 if already used."""
    phone, now = normalise_phone(phone or ""), now or utcnow()
    row = db.session.scalar(sa.select(PhoneCode).where(
        PhoneCode.phone == phone, PhoneCode.purpose == purpose).order_by(PhoneCode.id.desc()).limit(1))
    if row is None or row.expires_at <= now or row.attempts >= MAX_ATTEMPTS:
        raise _bad_code()
    if not hmac.compare_digest(row.digest, _digest(phone, purpose, (code or "").strip())):
        # Its own transaction: the guess counts even though this request rolls back.
        with db.engine.begin() as connection:
            connection.execute(sa.update(PhoneCode).where(PhoneCode.id == row.id, PhoneCode.attempts < MAX_ATTEMPTS)
                               .values(attempts=PhoneCode.attempts + 1))
        raise _bad_code()
    used = db.session.execute(sa.update(PhoneCode).where(PhoneCode.id == row.id, PhoneCode.used_at.is_(None))
                              .values(used_at=now).execution_options(synchronize_session=False)).rowcount
    if not used:
        raise Conflict(_("This code has been used already; ask for a new one."), {"code": [_("Used already.")]},
                       code="code_used")


def register_volunteer(*, code: str, **account) -> User:
    """志愿者注册 with the code texted to the phone: nobody registers someone else's number."""
    phone = normalise_phone(account.get("phone") or "")
    errors = people.account_errors(account.get("name"), phone, account.get("password"))
    if not (code or "").strip():
        errors["code"] = [_("Enter the 6-digit code texted to your phone.")]
    if errors:
        raise ValidationFailed(_("The registration is not valid."), errors)
    # The code first: without it, "already registered" would tell anyone which phones have accounts.
    use_code(phone, "register", code)
    people.ensure_phone_free(phone)
    return people.register_volunteer(**account)


def reset_password(*, phone: str, code: str, password: str, now: datetime | None = None) -> User:
    """找回密码: a new password for the phone's account; its sessions and API tokens end, its delays lift."""
    phone, now = normalise_phone(phone or ""), now or utcnow()
    problem = password_problem(password or "", phone)
    if problem:
        message = people.password_message(problem)
        raise ValidationFailed(message, {"password": [message]})
    use_code(phone, "reset", code, now)
    user = people.find_by_phone(phone)
    if user is None:  # a code can exist for an unregistered phone; it resets nothing
        raise _bad_code()
    user.password_hash = people.hash_password(password)
    logins.lift_delays(user)
    logins.end_all_sessions(user, now, reason="password_reset")
    return user
