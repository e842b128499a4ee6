"""Accounts, volunteer profiles, role grants and API tokens."""
import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from werkzeug.security import generate_password_hash

from volunteer_hub.core import audit, crypto
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import Role, require_manage
from volunteer_hub.core.validators import (
    id_number_problem,
    is_mainland_mobile,
    mask_id_number,
    normalise_phone,
    password_problem,
)
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node, NodeKind
from volunteer_hub.people.models import ApiToken, Grant, User, VolunteerProfile

MAX_SKILLS = 20

_PASSWORD_MESSAGES = {
    "too_short": lambda: _("Password must be at least 8 characters."),
    "too_long": lambda: _("Password must be at most 128 characters."),
    "letters_and_digits": lambda: _("Password must contain both letters and digits."),
    "common": lambda: _("This password is one of the most common ones; choose another."),
    "contains_phone": lambda: _("The password must not contain your phone number."),
}
_ID_MESSAGES = {
    "length": lambda: _("An ID number has 17 digits followed by a digit or X."),
    "birth_date": lambda: _("The birth date in this ID number is not a real date."),
    "checksum": lambda: _("The check digit of this ID number is wrong."),
}


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user: %(id)s.", id=user_id))
    return user


def find_by_phone(phone: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.phone == normalise_phone(phone)))


def require_by_phone(phone: str, field: str = "phone") -> User:
    """The user registered with ``phone``, or a validation error on ``field`` (forms ask by phone)."""
    user = find_by_phone(phone or "")
    if user is None:
        message = _("Nobody is registered with that phone number.")
        raise ValidationFailed(message, {field: [message]})
    return user


def account_errors(name: str, phone: str, password: str) -> dict:
    errors: dict[str, list[str]] = {}
    if not name or not name.strip():
        errors["name"] = [_("Name is required.")]
    elif len(name.strip()) > 50:
        errors["name"] = [_("Name is at most 50 characters.")]
    if not is_mainland_mobile(phone):
        errors["phone"] = [_("Enter an 11-digit mainland mobile number, e.g. 13812345678.")]
    problem = password_problem(password or "", normalise_phone(phone or ""))
    if problem:
        errors["password"] = [_PASSWORD_MESSAGES[problem]()]
    return errors


def password_message(problem: str) -> str:
    return _PASSWORD_MESSAGES[problem]()


def ensure_phone_free(phone: str) -> None:
    if db.session.scalar(sa.select(User.id).where(User.phone == phone)):
        raise Conflict(_("This phone number is already registered."),
                       {"phone": [_("This phone number is already registered.")]})


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])


def create_user(*, name: str, phone: str, password: str) -> User:
    """An account without a volunteer profile (residents, managers, merchant staff)."""
    phone = normalise_phone(phone)
    errors = account_errors(name, phone, password)
    if errors:
        raise ValidationFailed(_("The account is not valid."), errors)
    ensure_phone_free(phone)
    user = User(name=name.strip(), phone=phone, password_hash=hash_password(password))
    db.session.add(user)
    db.session.flush()
    return user


def _id_number_fields(id_number: str | None, *, exclude_user_id: int | None = None) -> dict:
    if not id_number:
        return {}
    id_number = id_number.strip().upper()
    problem = id_number_problem(id_number)
    if problem:
        raise ValidationFailed(_("The ID number is not valid."), {"id_number": [id_number_message(problem)]})
    taken = db.session.scalar(sa.select(VolunteerProfile.user_id).where(
        VolunteerProfile.id_number_digest.in_(crypto.lookup_digests(id_number))))
    if taken and taken != exclude_user_id:
        raise Conflict(_("This ID number is already registered."),
                       {"id_number": [_("This ID number is already registered.")]})
    return id_number_columns(id_number)


def id_number_message(problem: str) -> str:
    """What is wrong with an ID number, for the ``id_number_problem`` code ``problem``."""
    return _ID_MESSAGES[problem]()


def id_number_columns(id_number: str) -> dict:
    """A checked ID number as stored: encrypted, its lookup digest and its masked form."""
    return {
        "id_number_encrypted": crypto.encrypt(id_number),
        "id_number_digest": crypto.lookup_digest(id_number),
        "id_number_masked": mask_id_number(id_number),
    }


def clean_skills(skills) -> list[str]:
    cleaned = []
    for skill in skills or []:
        skill = str(skill).strip()
        if skill and skill not in cleaned:
            if len(skill) > 30:
                message = _("A skill is at most 30 characters.")
                raise ValidationFailed(message, {"skills": [message]})
            cleaned.append(skill)
    if len(cleaned) > MAX_SKILLS:
        message = _("At most 20 skills.")
        raise ValidationFailed(message, {"skills": [message]})
    return cleaned


def _home_station(station_id: int | None) -> Node:
    station = db.session.get(Node, station_id) if station_id is not None else None
    if station is None or station.kind != NodeKind.STATION:
        raise ValidationFailed(_("Choose your home station."), {"home_station_id": [_("Choose an existing station.")]})
    return station


def register_volunteer(*, name: str, phone: str, password: str, home_station_id: int | None,
                       id_number: str | None = None, skills=None) -> User:
    """志愿者注册: the account and its profile in one transaction."""
    phone = normalise_phone(phone)
    errors = account_errors(name, phone, password)
    try:
        station = _home_station(home_station_id)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    if errors:
        raise ValidationFailed(_("The registration is not valid."), errors)
    id_fields = _id_number_fields(id_number)
    skills = clean_skills(skills)
    ensure_phone_free(phone)
    user = User(name=name.strip(), phone=phone, password_hash=hash_password(password))
    user.profile = VolunteerProfile(home_station=station, skills=skills, **id_fields)
    db.session.add(user)
    db.session.flush()
    return user


def update_profile(user: User, *, name: str | None = None, skills=None, id_number: str | None = None,
                   home_station_id: int | None = None) -> User:
    if name is not None:
        if not name.strip() or len(name.strip()) > 50:
            raise ValidationFailed(_("The profile is not valid."), {"name": [_("Name is 1-50 characters.")]})
        user.name = name.strip()
    profile = user.profile
    if profile is not None:
        if skills is not None:
            profile.skills = clean_skills(skills)
        if id_number:
            for key, value in _id_number_fields(id_number, exclude_user_id=user.id).items():
                setattr(profile, key, value)
        if home_station_id is not None and home_station_id != profile.home_station_id:
            profile.home_station = _home_station(home_station_id)
    # The audit names the changed fields, never the values: the ID number stays out of logs.
    given = {"name": name, "skills": skills, "id_number": id_number, "home_station_id": home_station_id}
    audit.record(user, "profile.update", user, fields=sorted(k for k, v in given.items() if v is not None))
    db.session.flush()
    return user


def dummy_hash() -> str:
    cache = current_app.extensions.setdefault("volunteer_hub_dummy_hash", {})
    if "hash" not in cache:
        cache["hash"] = hash_password(secrets.token_hex(8))
    return cache["hash"]


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, ApiToken]:
    raw = secrets.token_urlsafe(32)
    token = ApiToken(user=user, digest=_digest(raw),
                     expires_at=utcnow() + timedelta(days=current_app.config["API_TOKEN_TTL_DAYS"]))
    db.session.add(token)
    db.session.flush()
    return raw, token


def user_for_token(raw: str) -> User | None:
    # One query for the token, its user and the volunteer profile: this runs on every API request.
    token = db.session.scalar(
        sa.select(ApiToken).where(ApiToken.digest == _digest(raw))
        .options(joinedload(ApiToken.user).joinedload(User.profile)))
    if token is None or token.revoked_at is not None or token.expires_at <= utcnow():
        return None
    return token.user if token.user.active else None


def revoke_token(raw: str) -> None:
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.digest == _digest(raw)))
    if token is not None and token.revoked_at is None:
        token.revoked_at = utcnow()


def appoint_manager(actor, node: Node, user: User) -> Grant:
    """站点管理员: give ``user`` the management of ``node`` and its subtree."""
    require_manage(actor, node)
    existing = db.session.scalar(sa.select(Grant).where(
        Grant.user_id == user.id, Grant.role == Role.MANAGER, Grant.node_id == node.id))
    if existing:
        raise Conflict(_("%(name)s already manages this node.", name=user.name))
    grant = Grant(user=user, role=Role.MANAGER, node=node, granted_by_id=getattr(actor, "id", None))
    db.session.add(grant)
    db.session.flush()
    audit.record(actor, "grant.manager", grant, user_id=user.id, node_id=node.id)
    return grant


def revoke_manager(actor, node: Node, user: User) -> None:
    require_manage(actor, node)
    grant = db.session.scalar(sa.select(Grant).where(
        Grant.user_id == user.id, Grant.role == Role.MANAGER, Grant.node_id == node.id))
    if grant is None:
        raise NotFound(_("%(name)s does not manage this node.", name=user.name))
    if user.id == getattr(actor, "id", None):
        raise Forbidden(_("You cannot revoke your own management."))
    audit.record(actor, "grant.revoke", grant, user_id=user.id, node_id=node.id)
    db.session.delete(grant)
    db.session.flush()


def managers_of(node: Node) -> list[User]:
    return db.session.scalars(
        sa.select(User).join(Grant, Grant.user_id == User.id)
        .where(Grant.node_id == node.id, Grant.role == Role.MANAGER).order_by(User.name)
    ).all()


def create_admin(*, name: str, phone: str, password: str, centre: Node | None = None) -> User:
    """中心管理员: on ``centre``, or over every node when no centre is given."""
    user = find_by_phone(phone)
    if user is None:
        user = create_user(name=name, phone=phone, password=password)
    elif any(g.role == Role.ADMIN and g.node_id == getattr(centre, "id", None) for g in user.grants):
        raise Conflict(_("This user is already an administrator."))
    grant = Grant(user=user, role=Role.ADMIN, node=centre)
    db.session.add(grant)
    db.session.flush()
    audit.record(None, "grant.admin", grant, user_id=user.id, node_id=getattr(centre, "id", None))
    return user


def rotate_id_numbers(batch: int = 500) -> int:
    """Re-encrypt every stored ID number (and its digest) under the current key; returns how many.
    Safe to run again: rows already under the current key come out the same."""
    done, last = 0, 0
    while True:
        profiles = db.session.scalars(sa.select(VolunteerProfile).where(
            VolunteerProfile.id_number_encrypted.is_not(None), VolunteerProfile.user_id > last)
            .order_by(VolunteerProfile.user_id).limit(batch)).all()
        if not profiles:
            return done
        for profile in profiles:
            plain = crypto.decrypt(profile.id_number_encrypted)
            profile.id_number_encrypted = crypto.encrypt(plain)
            profile.id_number_digest = crypto.lookup_digest(plain)
        last, done = profiles[-1].user_id, done + len(profiles)
        db.session.commit()
