"""Service days and sign-ups: capacity, waiting list, who may run an event."""
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from volunteer_hub.core import audit
from volunteer_hub.core.db import local_date, local_midnight, local_tz, utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import manages
from volunteer_hub.events.models import ServiceDay, ServiceDayTemplate, SignUp, service_day_teams
from volunteer_hub.events.models import SignUpStatus as S
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node
from volunteer_hub.nodes.services import (
    get_node,
    in_any_subtree,
    in_subtree,
    location_errors,
    managed_subtrees,
    settings_of,
)
from volunteer_hub.notifications.messages import later
from volunteer_hub.notifications.services import notify, notify_users
from volunteer_hub.teams.models import MembershipStatus, Team, TeamMembership
from volunteer_hub.teams.services import list_teams
from volunteer_hub.themes.services import theme_for_week

DEFAULT_RADIUS_M = 300
MAX_CAPACITY = 10_000
# A day that starts within the hour is one organised on the spot: sign-ups stay open until it ends
# and volunteers who did not sign up may check in, unless the organiser says otherwise.
ON_THE_SPOT = timedelta(hours=1)
EDITABLE = ("title", "description", "starts_at", "ends_at", "signup_deadline", "capacity", "address", "lat", "lon",
            "checkin_radius_m", "allow_walk_ins", "credits_per_hour")
TELL_SIGNED_UP = {"title", "starts_at", "ends_at", "address", "lat", "lon"}


def get_service_day(day_id: int) -> ServiceDay:
    day = db.session.get(ServiceDay, day_id)
    if day is None:
        raise NotFound(_("No such service day: %(id)s.", id=day_id))
    return day


def leads_a_team_of(user, day: ServiceDay) -> bool:
    return any(team.leader_id == getattr(user, "id", None) for team in day.teams)


def can_run(user, day: ServiceDay) -> bool:
    """Show the check-in screen and read attendance: managers of the node and the event's team leaders."""
    return manages(user, day.node) or leads_a_team_of(user, day)


def require_run(user, day: ServiceDay) -> None:
    if not can_run(user, day):
        raise Forbidden(_("Only managers of %(node)s or the event's team leaders can do this.", node=day.node.name))


def _require_node_manager(user, node: Node) -> None:
    if not manages(user, node):
        raise Forbidden(_("Only managers of %(node)s can do this.", node=node.name))


def require_manage_day(user, day: ServiceDay) -> None:
    _require_node_manager(user, day.node)


def _validate(data: dict, now: datetime, node: Node) -> dict:
    errors: dict[str, list[str]] = {}
    rules = settings_of(node)
    title = (data.get("title") or "").strip()
    if not title or len(title) > 100:
        errors["title"] = [_("Title is 1-100 characters.")]
    starts, ends, deadline = data["starts_at"], data["ends_at"], data["signup_deadline"]
    if ends <= starts:
        errors["ends_at"] = [_("The end must be after the start.")]
    elif ends <= now:
        errors["ends_at"] = [_("The service day must end in the future.")]
    elif ends - starts > timedelta(hours=rules.max_day_hours):
        errors["ends_at"] = [_("A service day lasts at most %(hours)s hours here.", hours=rules.max_day_hours)]
    if starts < now - timedelta(days=rules.back_entry_days):
        errors["starts_at"] = [_("A service day may start at most %(days)s days back.", days=rules.back_entry_days)]
    if deadline > ends:
        errors["signup_deadline"] = [_("The sign-up deadline must be before the end.")]
    if not 1 <= data["capacity"] <= MAX_CAPACITY:
        errors["capacity"] = [_("Capacity is 1 to %(max)s volunteers.", max=MAX_CAPACITY)]
    if not 0 <= data["credits_per_hour"] <= rules.max_credits_per_hour:
        errors["credits_per_hour"] = [_("Credits per hour are 0 to %(max)s here.", max=rules.max_credits_per_hour)]
    if data["granularity_minutes"] not in (1, 5, 10, 15, 30, 60):
        errors["granularity_minutes"] = [_("Rounding is 1, 5, 10, 15, 30 or 60 minutes.")]
    if not 0 <= data["min_interval_minutes"] <= 240:
        errors["min_interval_minutes"] = [_("The minimum interval is 0 to 240 minutes.")]
    errors.update(location_errors(data.get("lat"), data.get("lon")))
    radius = data.get("checkin_radius_m")
    if radius and not 10 <= radius <= 5000:
        errors["checkin_radius_m"] = [_("The check-in radius is 10 to 5000 metres.")]
    return errors


def creatable(user) -> tuple[list, list]:
    """Where the user may create service days, and the teams they may pick: the nodes they manage
    with those nodes' teams, and the teams they lead with those teams' nodes (create_service_day
    checks each day against the same rule)."""
    nodes = [node for _root, tree in managed_subtrees(user) for node in tree]
    node_ids = {n.id for n in nodes}
    teams = db.session.scalars(list_teams().where(Team.node_id.in_(node_ids))).all() if nodes else []
    led = db.session.scalars(sa.select(Team).where(Team.leader_id == user.id)).all()
    for team in led:
        if team.node_id not in node_ids:
            nodes.append(team.node)
            node_ids.add(team.node_id)
        if team not in teams:
            teams.append(team)
    return nodes, teams


def create_service_day(actor, *, node_id: int, title: str, starts_at: datetime, ends_at: datetime,
                       capacity: int, team_ids=(), description: str = "", address: str = "",
                       lat: float | None = None, lon: float | None = None,
                       checkin_radius_m: int | None = DEFAULT_RADIUS_M, signup_deadline: datetime | None = None,
                       credits_per_hour: int | None = None, granularity_minutes: int = 30,
                       min_interval_minutes: int = 10, allow_walk_ins: bool | None = None,
                       team_only: bool = False, now: datetime | None = None) -> ServiceDay:
    """服务日: created by a manager of the node, or by the leader of the teams it is for. Without a
    deadline sign-ups close at the start, or at the end for a day that starts within the hour; such a
    day also takes walk-ins unless ``allow_walk_ins`` says otherwise."""
    now = now or utcnow()
    on_the_spot = starts_at - now <= ON_THE_SPOT
    if allow_walk_ins is None:
        allow_walk_ins = on_the_spot
    node = get_node(node_id)
    teams = [db.session.get(Team, team_id) for team_id in dict.fromkeys(team_ids)]
    if any(team is None for team in teams):
        raise ValidationFailed(_("The service day is not valid."), {"team_ids": [_("No such team.")]})
    leads_all = bool(teams) and all(t.leader_id == getattr(actor, "id", None) and t.node_id == node.id for t in teams)
    if not (manages(actor, node) or leads_all):
        raise Forbidden(_("Only managers of %(node)s or its team leaders can create service days here.",
                          node=node.name))
    if credits_per_hour is None:
        credits_per_hour = settings_of(node).default_credits_per_hour
    data = {"title": title, "starts_at": starts_at, "ends_at": ends_at, "capacity": capacity,
            "signup_deadline": signup_deadline or (ends_at if on_the_spot else starts_at),
            "credits_per_hour": credits_per_hour,
            "granularity_minutes": granularity_minutes, "min_interval_minutes": min_interval_minutes,
            "lat": lat, "lon": lon, "checkin_radius_m": checkin_radius_m}
    errors = _validate(data, now, node)
    if any(team.node.centre_id != node.centre_id for team in teams):
        errors["team_ids"] = [_("Teams must belong to the same practice centre.")]
    if errors:
        raise ValidationFailed(_("The service day is not valid."), errors)
    data["title"] = title.strip()
    data["checkin_radius_m"] = (checkin_radius_m or None) if lat is not None else None
    if team_only and not teams:
        errors["team_ids"] = [_("A day for its team only needs a team.")]
        raise ValidationFailed(_("The service day is not valid."), errors)
    day = ServiceDay(node=node, teams=teams, description=description or "", address=(address or node.address),
                     allow_walk_ins=allow_walk_ins, team_only=team_only, created_by_id=getattr(actor, "id", None),
                     **data)
    db.session.add(day)
    db.session.flush()
    audit.record(actor, "service_day.create", day, title=day.title, node_id=node.id)
    return day


def update_service_day(actor, day: ServiceDay, now: datetime | None = None, **changes) -> ServiceDay:
    """改活动: time, place, capacity and the rest of a published day, until it ends; its start no longer
    once it has begun. Capacity goes no lower than those signed up; more seats go to the waiting list
    in order. Audited before and after; a new time or place is told to everyone signed up."""
    require_run(actor, day)
    now = now or utcnow()
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationFailed(_("These cannot be changed: %(names)s.", names=", ".join(sorted(unknown))))
    if day.is_cancelled:
        raise Conflict(_("A cancelled service day cannot be changed."))
    if now >= day.ends_at:
        raise Conflict(_("The service day has ended; its record is corrected through attendance instead."))
    values = {name: getattr(day, name) for name in EDITABLE} | {k: v for k, v in changes.items() if v is not None}
    for optional in ("lat", "lon", "checkin_radius_m"):  # None clears these
        if optional in changes:
            values[optional] = changes[optional]
    values["title"] = (values["title"] or "").strip()
    errors = _validate({**values, "granularity_minutes": day.granularity_minutes,
                        "min_interval_minutes": day.min_interval_minutes}, now, day.node)
    if now >= day.starts_at and values["starts_at"] != day.starts_at:
        errors["starts_at"] = [_("The day has begun: its start can no longer change.")]
    if values["capacity"] < day.confirmed_count:
        errors["capacity"] = [_("%(n)s volunteers are signed up: the capacity cannot be lower.",
                                n=day.confirmed_count)]
    if errors:
        raise ValidationFailed(_("The service day is not valid."), errors)
    if values["lat"] is None:
        values["checkin_radius_m"] = None
    changed = audit.apply_changes(actor, "service_day.update", day, values)
    while "capacity" in changed and _promote_waiting(day) is not None:
        pass
    if TELL_SIGNED_UP & set(changed):
        signed_up = sa.select(SignUp.user_id).where(SignUp.service_day_id == day.id,
                                                    SignUp.status.in_([S.CONFIRMED, S.WAITLISTED]))
        notify(signed_up, key=f"service-day-changed:{day.id}:{now.isoformat()}", kind="service_day",
               title=later("Changed: %(title)s", title=day.title), link=f"/events/{day.id}",
               body=later("Now %(when)s at %(place)s.", when=day.starts_at, place=day.address or day.node.name),
               centre_id=day.node.centre_id, now=now)
    db.session.refresh(day)
    return day


def copy_values(day: ServiceDay) -> dict:
    """A new service day's form filled from ``day``, a week later (再办一次)."""
    week = timedelta(weeks=1)
    return {"title": day.title, "node_id": day.node_id, "team_ids": [team.id for team in day.teams],
            "description": day.description, "starts_at": day.starts_at + week, "ends_at": day.ends_at + week,
            "capacity": day.capacity, "credits_per_hour": day.credits_per_hour, "address": day.address,
            "lat": day.lat, "lon": day.lon, "checkin_radius_m": day.checkin_radius_m or 0,
            "allow_walk_ins": day.allow_walk_ins}


def phase(day: ServiceDay, now: datetime | None = None) -> str:
    """The tag a service day's card shows: cancelled, ended, under_way, full or open (报名中)."""
    now = now or utcnow()
    if day.is_cancelled:
        return "cancelled"
    if now >= day.ends_at:
        return "ended"
    if now >= day.starts_at:
        return "under_way"
    if day.confirmed_count >= day.capacity:
        return "full"
    return "open" if now <= day.signup_deadline else "closed"


def signups_open(day: ServiceDay, now: datetime | None = None) -> bool:
    return not day.is_cancelled and (now or utcnow()) <= day.signup_deadline


def cancel_service_day(actor, day: ServiceDay, reason: str, now: datetime | None = None) -> ServiceDay:
    """取消活动: sign-ups stay as they were (the record of who had signed up); check-in closes."""
    require_manage_day(actor, day)
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason for cancelling, for the volunteers who signed up.")
        raise ValidationFailed(message, {"reason": [message]})
    if day.is_cancelled:
        raise Conflict(_("This service day is cancelled."))
    if (now or utcnow()) >= day.ends_at:
        raise Conflict(_("A service day that has ended cannot be cancelled."))
    day.cancelled_at = now or utcnow()
    audit.record(actor, "service_day.cancel", day, reason=reason)
    db.session.flush()
    notify(sa.select(SignUp.user_id).where(SignUp.service_day_id == day.id, SignUp.status != S.CANCELLED),
           key=f"service-day-cancelled:{day.id}", kind="service_day", link=f"/events/{day.id}",
           title=later("Cancelled: %(title)s", title=day.title), body=reason, centre_id=day.node.centre_id)
    return day


def visible_to(station: Node):
    """SQL condition: service days of this station, the nodes above it and the points below it."""
    ancestors = station.ancestor_ids
    return sa.or_(ServiceDay.node_id.in_(ancestors), in_subtree(station))


def _open_to(user):
    """SQL condition: days for everyone, and team-only days of the user's active teams."""
    member = (sa.select(service_day_teams.c.service_day_id)
              .join(TeamMembership, TeamMembership.team_id == service_day_teams.c.team_id)
              .where(TeamMembership.user_id == getattr(user, "id", None),
                     TeamMembership.status == MembershipStatus.ACTIVE))
    led = (sa.select(service_day_teams.c.service_day_id).join(Team, Team.id == service_day_teams.c.team_id)
           .where(Team.leader_id == getattr(user, "id", None)))
    return sa.or_(ServiceDay.team_only.is_(False), ServiceDay.id.in_(member), ServiceDay.id.in_(led))


def may_see(user, day: ServiceDay) -> bool:
    """A team-only day is for its team, those who run it and the managers above; any other day for all."""
    if not day.team_only or can_run(user, day):
        return True
    return db.session.scalar(sa.select(sa.exists().where(
        TeamMembership.user_id == getattr(user, "id", None), TeamMembership.status == MembershipStatus.ACTIVE,
        TeamMembership.team_id.in_([team.id for team in day.teams]))))


def visible_day(user, day_id: int) -> ServiceDay:
    """A service day the user may see; a team-only day of another team is a 404."""
    day = get_service_day(day_id)
    if not may_see(user, day):
        raise NotFound(_("No such service day: %(id)s.", id=day_id))
    return day


def list_service_days(*, station: Node | None = None, roots: list[Node] | None = None,
                      start: datetime | None = None, end: datetime | None = None, viewer=None):
    """Upcoming service days for a volunteer's station (as ``viewer`` may see them), or in the subtrees
    a manager runs."""
    query = (sa.select(ServiceDay).join(Node, ServiceDay.node_id == Node.id)
             .where(ServiceDay.cancelled_at.is_(None)).order_by(ServiceDay.starts_at, ServiceDay.id))
    if station is not None:
        query = query.where(visible_to(station), _open_to(viewer))
    elif roots is not None:
        query = query.where(in_any_subtree(roots))
    query = query.where(ServiceDay.ends_at >= (start or utcnow()))
    if end is not None:
        query = query.where(ServiceDay.starts_at <= end)
    return query


def listing_for(user, start: datetime | None = None, end: datetime | None = None):
    """The service days a user sees by default: their station's as a volunteer, else those they manage."""
    if user.profile is not None:
        return list_service_days(station=user.profile.home_station, start=start, end=end, viewer=user)
    return list_service_days(roots=[root for root, _tree in managed_subtrees(user)], start=start, end=end)


def signup_of(day: ServiceDay, user) -> SignUp | None:
    return db.session.scalar(sa.select(SignUp).where(SignUp.service_day_id == day.id, SignUp.user_id == user.id))


def _take_seat(day: ServiceDay) -> bool:
    """Atomically take a seat if one is free; also locks the event row until commit."""
    result = db.session.execute(
        sa.update(ServiceDay).where(ServiceDay.id == day.id, ServiceDay.confirmed_count < ServiceDay.capacity)
        .values(confirmed_count=ServiceDay.confirmed_count + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _move(row: SignUp, from_statuses, to_status: str, **values) -> bool:
    """Conditionally change a sign-up's status: of concurrent requests only one wins the row."""
    result = db.session.execute(
        sa.update(SignUp).where(SignUp.id == row.id, SignUp.status.in_(list(from_statuses)))
        .values(status=to_status, **values).execution_options(synchronize_session=False))
    return result.rowcount == 1


def may_see_location(user, day: ServiceDay) -> bool:
    """An event's exact coordinates are for those who may sign up for it (volunteers of its centre) and
    those who run it; to anyone else the address is enough."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.profile is not None and user.profile.home_station.centre_id == day.node.centre_id:
        return True
    return manages(user, day.node)


def sign_up(user, day: ServiceDay, now: datetime | None = None) -> SignUp:
    """报名: a seat if one is free, else the waiting list."""
    now = now or utcnow()
    if user.profile is None:
        raise Forbidden(_("Only registered volunteers can sign up."))
    if day.is_cancelled:
        raise Conflict(_("This service day is cancelled."))
    if now > day.signup_deadline:
        raise Conflict(_("Sign-up closed at the deadline."))
    if user.profile.home_station.centre_id != day.node.centre_id:
        raise Forbidden(_("This service day belongs to another practice centre."))
    if not may_see(user, day):
        raise Forbidden(_("This service day is for its team's members."))
    # First own the row (a unique insert, or a conditional re-activation), then take a seat:
    # a seat is only ever counted for a row this transaction holds.
    row = signup_of(day, user)
    if row is None:
        row = SignUp(service_day=day, user=user, status=S.WAITLISTED, queued_at=now)
        db.session.add(row)
        db.session.flush()
    elif not _move(row, [S.CANCELLED], S.WAITLISTED, queued_at=now):
        raise Conflict(_("You are already signed up (%(status)s).", status=row.status))
    if _take_seat(day):
        _move(row, [S.WAITLISTED], S.CONFIRMED)
    db.session.refresh(row)
    db.session.refresh(day)
    return row


def cancel_signup(user, day: ServiceDay, now: datetime | None = None) -> SignUp:
    """取消报名: a freed seat goes to the first volunteer on the waiting list."""
    now = now or utcnow()
    row = signup_of(day, user)
    if row is None or row.status == S.CANCELLED:
        raise NotFound(_("You are not signed up for this service day."))
    if now >= day.starts_at:
        raise Conflict(_("The service day has started; ask the organiser instead."))
    was = row.status
    if not _move(row, [was], S.CANCELLED):  # a concurrent cancel won
        raise NotFound(_("You are not signed up for this service day."))
    if was == S.CONFIRMED:
        # Give the seat back: this UPDATE locks the event row, so promotions are serialised.
        db.session.execute(sa.update(ServiceDay).where(ServiceDay.id == day.id)
                           .values(confirmed_count=ServiceDay.confirmed_count - 1)
                           .execution_options(synchronize_session=False))
        _promote_waiting(day)
    db.session.refresh(row)
    db.session.refresh(day)
    return row


def _promote_waiting(day: ServiceDay) -> SignUp | None:
    first = db.session.scalar(
        sa.select(SignUp).where(SignUp.service_day_id == day.id, SignUp.status == S.WAITLISTED)
        .order_by(SignUp.queued_at, SignUp.id).limit(1))
    if first is None or not _take_seat(day):
        return None
    _move(first, [S.WAITLISTED], S.CONFIRMED)
    audit.record(None, "signup.promoted", first, service_day_id=day.id, user_id=first.user_id)
    db.session.flush()
    notify_users([first.user_id], key=f"signup-promoted:{first.id}:{first.queued_at.isoformat()}",
                 kind="service_day", link=f"/events/{day.id}", centre_id=day.node.centre_id,
                 title=later("A seat came free: you are signed up for %(title)s", title=day.title))
    return first


def waitlist_position(row: SignUp) -> int | None:
    if row.status != S.WAITLISTED:
        return None
    return db.session.scalar(sa.select(sa.func.count()).select_from(SignUp).where(
        SignUp.service_day_id == row.service_day_id, SignUp.status == S.WAITLISTED,
        sa.tuple_(SignUp.queued_at, SignUp.id) <= sa.tuple_(row.queued_at, row.id)))


def upcoming_signups(user, now: datetime | None = None) -> list[SignUp]:
    return db.session.scalars(
        sa.select(SignUp).join(ServiceDay, SignUp.service_day_id == ServiceDay.id)
        .where(SignUp.user_id == user.id, SignUp.status != S.CANCELLED,
               ServiceDay.ends_at >= (now or utcnow()) - timedelta(hours=1))
        .order_by(ServiceDay.starts_at)).all()


def signups(day: ServiceDay) -> list[SignUp]:
    return db.session.scalars(sa.select(SignUp).where(SignUp.service_day_id == day.id, SignUp.status != S.CANCELLED)
                              .order_by(SignUp.status, SignUp.queued_at, SignUp.id)).all()


# --- recurring service days ------------------------------------------------------------------------

def _occurrence(template: ServiceDayTemplate, day: date) -> tuple[datetime, datetime]:
    tz = local_tz()
    return (datetime.combine(day, template.start_time, tzinfo=tz).astimezone(UTC),
            datetime.combine(day, template.end_time, tzinfo=tz).astimezone(UTC))


def create_template(actor, *, node_id: int, title: str, weekday: int, start_time: time, end_time: time,
                    capacity: int, team_ids=(), description: str = "", address: str = "", lat: float | None = None,
                    lon: float | None = None, checkin_radius_m: int | None = DEFAULT_RADIUS_M,
                    credits_per_hour: int | None = None, link_theme: bool = True, days_ahead: int = 14,
                    starts_on: date | None = None, now: datetime | None = None) -> ServiceDayTemplate:
    """定期服务日, e.g. every Saturday 08:30-11:30 at a station (managers of the node)."""
    now = now or utcnow()
    node = get_node(node_id)
    _require_node_manager(actor, node)
    if credits_per_hour is None:
        credits_per_hour = settings_of(node).default_credits_per_hour
    teams = [db.session.get(Team, team_id) for team_id in dict.fromkeys(team_ids)]
    errors = _template_errors(node, teams, {"title": title, "weekday": weekday, "start_time": start_time,
                                            "end_time": end_time, "capacity": capacity,
                                            "credits_per_hour": credits_per_hour, "days_ahead": days_ahead,
                                            "lat": lat, "lon": lon, "checkin_radius_m": checkin_radius_m})
    if errors:
        raise ValidationFailed(_("The recurring service day is not valid."), errors)
    template = ServiceDayTemplate(
        node=node, teams=teams, title=title.strip(), description=description or "", address=address or node.address,
        lat=lat, lon=lon, checkin_radius_m=(checkin_radius_m or None) if lat is not None else None, weekday=weekday,
        start_time=start_time, end_time=end_time, capacity=capacity, credits_per_hour=credits_per_hour,
        link_theme=link_theme, days_ahead=days_ahead, starts_on=starts_on or local_date(now),
        created_by_id=actor.id)
    db.session.add(template)
    db.session.flush()
    audit.record(actor, "service_day_template.create", template, node_id=node.id, title=template.title)
    return template


def _template_errors(node, teams, values: dict) -> dict:
    """Field errors of a recurring service day's values (new, or after an edit)."""
    errors = {}
    if any(team is None or team.node.centre_id != node.centre_id for team in teams):
        errors["team_ids"] = [_("Teams must belong to the same practice centre.")]
    if not 0 <= values["weekday"] <= 6:
        errors["weekday"] = [_("Choose a day of the week.")]
    if not 1 <= values["days_ahead"] <= 60:
        errors["days_ahead"] = [_("Create service days 1 to 60 days ahead.")]
    # The same checks as a single service day, on a sample occurrence.
    sample_start = datetime.combine(date(2000, 1, 1), values["start_time"], tzinfo=UTC)
    sample_end = datetime.combine(date(2000, 1, 1), values["end_time"], tzinfo=UTC)
    errors.update(_validate(
        {"title": values["title"], "starts_at": sample_start, "ends_at": sample_end, "signup_deadline": sample_start,
         "capacity": values["capacity"], "credits_per_hour": values["credits_per_hour"], "granularity_minutes": 30,
         "min_interval_minutes": 10, "lat": values["lat"], "lon": values["lon"],
         "checkin_radius_m": values["checkin_radius_m"]},
        sample_start - timedelta(days=1), node))
    if "ends_at" in errors:
        errors["end_time"] = errors.pop("ends_at")
    return errors


TEMPLATE_FIELDS = {"title", "description", "address", "weekday", "start_time", "end_time", "capacity",
                   "credits_per_hour", "link_theme", "days_ahead", "active", "ends_on"}


def update_template(actor, template: ServiceDayTemplate, **changes) -> ServiceDayTemplate:
    """改 / 暂停 / 结束 a recurring service day: a change applies to the occurrences created from now
    on (those already created stay as they are); ``active`` pauses and resumes; ``ends_on`` is the
    last day an occurrence may fall on. Audited with before and after."""
    _require_node_manager(actor, template.node)
    unknown = set(changes) - TEMPLATE_FIELDS
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(names)s.", names=", ".join(sorted(unknown))))
    values = {name: changes.get(name, getattr(template, name)) for name in TEMPLATE_FIELDS}
    values.update(lat=template.lat, lon=template.lon, checkin_radius_m=template.checkin_radius_m)
    errors = _template_errors(template.node, template.teams, values)
    if values["ends_on"] is not None and values["ends_on"] < template.starts_on:
        errors["ends_on"] = [_("The last day cannot be before the first.")]
    if errors:
        raise ValidationFailed(_("The recurring service day is not valid."), errors)
    if "title" in changes:
        changes["title"] = changes["title"].strip()
    audit.apply_changes(actor, "service_day_template.update", template, changes)
    return template


def get_template(template_id: int) -> ServiceDayTemplate:
    template = db.session.get(ServiceDayTemplate, template_id)
    if template is None:
        raise NotFound(_("No such recurring service day: %(id)s.", id=template_id))
    return template


def stop_template(actor, template: ServiceDayTemplate, now: datetime | None = None) -> ServiceDayTemplate:
    """结束: no new occurrences, for good (it ends today); those already created stay."""
    _require_node_manager(actor, template.node)
    if template.active:
        template.active = False
        template.ends_on = max(local_date(now or utcnow()), template.starts_on)
        audit.record(actor, "service_day_template.stop", template)
    db.session.flush()
    return template


def templates_for(user) -> sa.Select:
    roots = [root for root, _tree in managed_subtrees(user)]
    return (sa.select(ServiceDayTemplate).join(Node, ServiceDayTemplate.node_id == Node.id)
            .where(in_any_subtree(roots))
            .order_by(ServiceDayTemplate.active.desc(), Node.path, ServiceDayTemplate.weekday, ServiceDayTemplate.id))


def _generate(template: ServiceDayTemplate, now: datetime) -> int:
    today = local_date(now)
    created = 0
    for offset in range(template.days_ahead + 1):
        day = today + timedelta(days=offset)
        if day < template.starts_on or day.weekday() != template.weekday or (
                template.ends_on is not None and day > template.ends_on):
            continue
        starts, ends = _occurrence(template, day)
        # One occurrence a day, whatever time it was created for: a template's new time must not add a second.
        exists = sa.select(ServiceDay.id).where(ServiceDay.template_id == template.id,
                                                ServiceDay.starts_at >= local_midnight(day),
                                                ServiceDay.starts_at < local_midnight(day + timedelta(days=1)))
        if starts <= now or db.session.scalar(exists) is not None:
            continue
        try:
            with db.session.begin_nested():  # another scheduler may create it at the same moment
                occurrence = ServiceDay(
                    node=template.node, teams=list(template.teams), template=template, title=template.title,
                    description=template.description, address=template.address, lat=template.lat,
                    lon=template.lon, checkin_radius_m=template.checkin_radius_m, starts_at=starts, ends_at=ends,
                    signup_deadline=starts, capacity=template.capacity, credits_per_hour=template.credits_per_hour,
                    created_by_id=template.created_by_id)
                db.session.add(occurrence)
        except IntegrityError:
            continue
        audit.record(None, "service_day.generate", occurrence, template_id=template.id)
        created += 1
    return created


def generate_from_templates(now: datetime | None = None) -> dict:
    """Job: create each active template's occurrences up to its ``days_ahead`` and link each upcoming
    occurrence to the theme of its week once one is planned."""
    now = now or utcnow()
    templates = db.session.scalars(sa.select(ServiceDayTemplate).where(ServiceDayTemplate.active.is_(True))).all()
    created = sum(_generate(template, now) for template in templates)
    unlinked = db.session.scalars(
        sa.select(ServiceDay).join(ServiceDayTemplate, ServiceDay.template_id == ServiceDayTemplate.id)
        .where(ServiceDayTemplate.link_theme.is_(True), ServiceDay.theme_id.is_(None), ServiceDay.starts_at > now,
               ServiceDay.cancelled_at.is_(None))).all()
    linked = 0
    for day in unlinked:
        theme = theme_for_week(day.node, local_date(day.starts_at), published_only=False)
        if theme is not None:
            day.theme_id = theme.id
            linked += 1
    db.session.flush()
    return {"created": created, "linked": linked}
