"""志愿者名册: the volunteers of the subtrees a manager runs, searched, filtered and sorted, each with
a profile (teams, service days, hours, credits); deactivating (history kept) and moving to another
station. Hours are approved, unreversed attendance; star levels follow the centre's thresholds."""
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.checkin import services as checkin
from volunteer_hub.checkin.models import Attendance
from volunteer_hub.core import audit
from volunteer_hub.core.db import local_date, utcnow
from volunteer_hub.core.errors import Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import is_global_admin, is_manager, managed_roots, manages, require_not_own
from volunteer_hub.core.urls import external_url
from volunteer_hub.core.validators import mask_phone
from volunteer_hub.credits import services as credits
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node, NodeKind
from volunteer_hub.nodes.services import settings_of
from volunteer_hub.people import logins
from volunteer_hub.people.models import User, VolunteerProfile
from volunteer_hub.teams import services as teams
from volunteer_hub.teams.models import MembershipStatus, TeamMembership

SORTS = ("name", "-hours", "-last_active", "-joined")
ACTIVE_WITHIN_DAYS = 90


@dataclass
class Entry:
    """One line of the roster."""

    user: User
    station: Node
    hours: float
    last_active: datetime | None
    star_level: int


def require_roster(actor) -> None:
    if not is_manager(actor):
        raise Forbidden(_("Only managers see the roster of volunteers."))


def _activity():
    """Per volunteer: approved minutes and the last check-in of an approved record."""
    return (sa.select(Attendance.user_id, sa.func.sum(Attendance.credited_minutes).label("minutes"),
                      sa.func.max(Attendance.checked_in_at).label("last_active"))
            .where(Attendance.counts).group_by(Attendance.user_id).subquery())


def _thresholds(actor) -> tuple[int, ...]:
    """The star thresholds of the actor's (first) centre; the platform admin's: the first centre's."""
    roots = managed_roots(actor) or db.session.scalars(
        sa.select(Node).where(Node.parent_id.is_(None)).order_by(Node.code).limit(1)).all()
    return settings_of(roots[0]).star_thresholds


def _hour_range(star: int, thresholds: tuple[int, ...]) -> tuple[int, int | None]:
    """Star level ``star`` (0–5) as [low, high) hours under the thresholds."""
    low = thresholds[star - 1] if star >= 1 else 0
    high = thresholds[star] if star < len(thresholds) else None
    return low, high


def search(actor, *, q: str | None = None, station_id: int | None = None, team_id: int | None = None,
           star: int | None = None, active: bool | None = None, min_hours: float | None = None,
           max_hours: float | None = None, include_inactive: bool = False, sort: str = "name",
           page: int = 1, per_page: int = 20, now: datetime | None = None) -> tuple[list[Entry], int]:
    """The roster page ``page`` and the number of volunteers that match. ``q`` matches the name, the
    last four digits or the whole phone number, or a skill; ``active``: an approved record in the last
    90 days (or none, for False)."""
    require_roster(actor)
    now = now or utcnow()
    activity = _activity()
    minutes = sa.func.coalesce(activity.c.minutes, 0)
    station = sa.orm.aliased(Node)
    query = (sa.select(User, station, minutes, activity.c.last_active)
             .join(VolunteerProfile, VolunteerProfile.user_id == User.id)
             .join(station, station.id == VolunteerProfile.home_station_id)
             .outerjoin(activity, activity.c.user_id == User.id))
    if not is_global_admin(actor):  # the volunteers whose home station is in a subtree the actor runs
        query = query.where(sa.or_(sa.false(), *[station.path.startswith(root.path, autoescape=True)
                                                 for root in managed_roots(actor)]))
    if not include_inactive:
        query = query.where(User.active.is_(True))
    if q and q.strip():
        text = q.strip()
        like = f"%{text}%"
        # Skills are a JSON list, stored with non-ASCII escaped (急救 as \u6025\u6551): search that form.
        as_stored = json.dumps(text)[1:-1]
        conditions = [User.name.ilike(like),
                      sa.cast(VolunteerProfile.skills, sa.String).contains(as_stored, autoescape=True)]
        if text.isdigit() and len(text) in (4, 11):
            conditions.append(User.phone.endswith(text) if len(text) == 4 else User.phone == text)
        query = query.where(sa.or_(*conditions))
    if station_id is not None:
        query = query.where(station.id == station_id)
    if team_id is not None:
        query = query.where(sa.exists().where(TeamMembership.user_id == User.id, TeamMembership.team_id == team_id,
                                              TeamMembership.status == MembershipStatus.ACTIVE))
    thresholds = _thresholds(actor)
    if star is not None:
        low, high = _hour_range(star, thresholds)
        query = query.where(minutes >= low * 60)
        if high is not None:
            query = query.where(minutes < high * 60)
    if min_hours is not None:
        query = query.where(minutes >= min_hours * 60)
    if max_hours is not None:
        query = query.where(minutes <= max_hours * 60)
    if active is not None:
        recent = activity.c.last_active >= now - timedelta(days=ACTIVE_WITHIN_DAYS)
        query = query.where(recent if active else sa.or_(activity.c.last_active.is_(None), sa.not_(recent)))
    order = {"name": [User.name, User.id], "-hours": [minutes.desc(), User.id],
             "-last_active": [activity.c.last_active.desc().nulls_last(), User.id],
             "-joined": [VolunteerProfile.created_at.desc(), User.id]}
    if sort not in order:
        raise ValidationFailed(_("Unknown sort order."), {"sort": [_("Choose one of: %(sorts)s.",
                                                                     sorts=", ".join(SORTS))]})
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    rows = db.session.execute(query.order_by(*order[sort]).limit(per_page).offset((page - 1) * per_page)).all()
    return [Entry(user, home, mins / 60, last, checkin.star_level(mins / 60, thresholds))
            for user, home, mins, last in rows], total


# --- one volunteer ------------------------------------------------------------------------------------

def get_volunteer(actor, user_id: int) -> User:
    """A volunteer of the actor's subtrees; anyone else is a 404, as if there were no such person."""
    require_roster(actor)
    user = db.session.get(User, user_id)
    if user is None or user.profile is None or not manages(actor, user.profile.home_station):
        raise NotFound(_("No such volunteer in your stations."))
    return user


def profile(user: User, now: datetime | None = None) -> dict:
    """What a manager sees of one volunteer: teams, service days, hours, credits."""
    return {"user": user, "station": user.profile.home_station, "teams": teams.teams_of(user),
            "days": checkin.my_attendance(user), "hours": checkin.hours_summary(user, now),
            "wallet": credits.wallet_summary(user)}


def set_active(actor, user: User, *, active: bool, reason: str = "") -> User:
    """停用 / 恢复: a deactivated volunteer cannot log in and leaves the roster; hours, credits and
    records stay. Deactivating ends every session and app login at once."""
    reason = (reason or "").strip()
    if not active and not reason:
        message = _("Give the reason; it is kept in the audit trail.")
        raise ValidationFailed(message, {"reason": [message]})
    if user.id == actor.id:
        raise Forbidden(_("You cannot deactivate yourself."), code="own_record")
    if user.active == active:
        return user
    user.active = active
    if not active:
        logins.end_all_sessions(user, reason="deactivated")
    audit.record(actor, "volunteer.activate" if active else "volunteer.deactivate", user, reason=reason)
    db.session.flush()
    return user


def move(actor, user: User, station_id: int) -> User:
    """调站: to another station the actor also manages; teams and history stay as they are."""
    station = db.session.get(Node, station_id) if isinstance(station_id, int) else None
    if station is None or station.kind != NodeKind.STATION:
        message = _("Choose an existing station.")
        raise ValidationFailed(message, {"station_id": [message]})
    if not manages(actor, station):
        raise Forbidden(_("You can move volunteers only to stations you manage."))
    before = user.profile.home_station_id
    if before != station.id:
        user.profile.home_station = station
        audit.record(actor, "volunteer.move", user, before={"home_station_id": before},
                     after={"home_station_id": station.id})
        db.session.flush()
    return user


def issue_reset_link(actor, user: User, now: datetime | None = None) -> dict:
    """找回密码 for someone who cannot receive texts: after checking the volunteer's identity in person,
    a manager of their station hands over a one-time link (shown as a QR code to scan with the
    volunteer's own phone); the volunteer sets the new password. Never for oneself; audited."""
    require_not_own(actor, user)
    now = now or utcnow()
    url = external_url("people.reset_by_link", token=logins.reset_link_token(user))
    audit.record(actor, "password.reset_link_issued", user)
    return {"url": url, "expires_at": now + timedelta(hours=logins.RESET_LINK_HOURS)}


EXPORT_HEADER = ["姓名", "手机号", "所属站点", "特长", "服务时长（小时）", "星级", "最近服务", "状态"]
EXPORT_LIMIT = 50_000


def export_rows(actor, **filters) -> tuple[list[str], list[list]]:
    """The whole filtered roster for a spreadsheet (phones masked, no ID numbers); audited."""
    entries, total = search(actor, page=1, per_page=EXPORT_LIMIT, **filters)
    rows = [[e.user.name, mask_phone(e.user.phone), e.station.name, "、".join(e.user.profile.skills),
             round(e.hours, 2), e.star_level, local_date(e.last_active).isoformat() if e.last_active else "",
             "在册" if e.user.active else "已停用"] for e in entries]
    audit.record(actor, "export.roster", actor, rows=len(rows),
                 filters={k: v for k, v in filters.items() if v not in (None, False, "")})
    return EXPORT_HEADER, rows
