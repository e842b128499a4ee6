"""通知公告 and reminders: leaders and managers write to a team's members, a service day's sign-ups or
the volunteers of a station (or of every station under an institute they run), after seeing how
many will receive it; messages go to the inbox and to the centre's webhook (WeChat/SMS gateway).
The reminder job tells signed-up volunteers 24 hours and 2 hours before their service day, once each."""
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.announcements.models import AUDIENCES, Announcement
from volunteer_hub.core import audit
from volunteer_hub.core.db import local_tz, utcnow
from volunteer_hub.core.errors import Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import manages
from volunteer_hub.events import services as events
from volunteer_hub.events.models import ServiceDay, SignUp, SignUpStatus
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node
from volunteer_hub.nodes.services import get_node, in_subtree
from volunteer_hub.notifications.messages import later
from volunteer_hub.notifications.models import Notification
from volunteer_hub.notifications.services import notify
from volunteer_hub.people.models import User, VolunteerProfile
from volunteer_hub.teams import services as teams
from volunteer_hub.teams.models import MembershipStatus, TeamMembership

REMINDERS = (("24h", timedelta(hours=24)), ("2h", timedelta(hours=2)))


def _target(audience: str, target_id) -> tuple[object, str, Node]:
    """The team, day or node addressed, its name and the node it belongs to."""
    if audience not in AUDIENCES:
        message = _("Choose who receives it: a team, a service day's sign-ups or a station's volunteers.")
        raise ValidationFailed(message, {"audience": [message]})
    if not isinstance(target_id, int) or isinstance(target_id, bool):
        raise NotFound(_("Nothing to send to."))
    if audience == "team":
        team = teams.get_team(target_id)
        return team, team.name, team.node
    if audience == "day":
        day = events.get_service_day(target_id)
        return day, day.title, day.node
    node = get_node(target_id)
    return node, node.name, node


def _require_may_address(actor, audience: str, target) -> None:
    allowed = {"team": lambda: teams.can_lead(actor, target), "day": lambda: events.can_run(actor, target),
               "node": lambda: manages(actor, target)}[audience]()
    if not allowed:
        raise Forbidden(_("You can write only to teams you lead, service days you run and stations you manage."))


def recipients(audience: str, target) -> sa.Select:
    """The active accounts an announcement reaches (a SELECT of user ids)."""
    if audience == "team":
        query = sa.select(TeamMembership.user_id).where(TeamMembership.team_id == target.id,
                                                        TeamMembership.status == MembershipStatus.ACTIVE)
        ids = query.union(sa.select(sa.literal(target.leader_id)))
    elif audience == "day":
        ids = sa.select(SignUp.user_id).where(SignUp.service_day_id == target.id,
                                              SignUp.status.in_([SignUpStatus.CONFIRMED, SignUpStatus.WAITLISTED]))
    else:
        ids = (sa.select(VolunteerProfile.user_id).join(Node, VolunteerProfile.home_station_id == Node.id)
               .where(in_subtree(target)))
    return sa.select(User.id).where(User.id.in_(ids), User.active.is_(True))


def preview(actor, audience: str, target_id) -> dict:
    """How many people would receive it, before sending."""
    target, name, _node = _target(audience, target_id)
    _require_may_address(actor, audience, target)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(recipients(audience, target).subquery()))
    return {"audience": audience, "target_id": target.id, "target_name": name, "recipients": count}


def send(actor, *, audience: str, target_id, title: str, body: str, now: datetime | None = None) -> Announcement:
    now = now or utcnow()
    target, name, node = _target(audience, target_id)
    _require_may_address(actor, audience, target)
    title, body = (title or "").strip(), (body or "").strip()
    errors = {}
    if not 1 <= len(title) <= 100:
        errors["title"] = [_("A title of 1 to 100 characters.")]
    if not 1 <= len(body) <= 2000:
        errors["body"] = [_("The message is 1 to 2000 characters.")]
    if errors:
        raise ValidationFailed(_("The announcement is not valid."), errors)
    announcement = Announcement(sender_id=actor.id, audience=audience, target_id=target.id, target_name=name[:200],
                                title=title, body=body, created_at=now)
    db.session.add(announcement)
    db.session.flush()
    told = notify(recipients(audience, target), key=f"announcement:{announcement.id}", kind="announcement",
                  title=title, body=body, link=f"/announcements/{announcement.id}", centre_id=node.centre_id, now=now)
    announcement.recipients = len(told)
    audit.record(actor, "announcement.send", announcement, audience=audience, target_id=target.id,
                 recipients=len(told))
    db.session.flush()
    return announcement


def sent_by(actor) -> sa.Select:
    return sa.select(Announcement).where(Announcement.sender_id == actor.id).order_by(Announcement.id.desc())


def get_announcement(user, announcement_id: int) -> Announcement:
    """An announcement for its sender or someone it was sent to."""
    announcement = db.session.get(Announcement, announcement_id)
    received = announcement is not None and db.session.scalar(sa.select(sa.exists().where(
        Notification.user_id == user.id, Notification.key == f"announcement:{announcement.id}")))
    if announcement is None or (announcement.sender_id != user.id and not received):
        raise NotFound(_("No such announcement."))
    return announcement


def addressable(actor, now: datetime | None = None) -> dict[str, list[tuple[int, str]]]:
    """What the actor may write to, for the form: teams they lead or manage, service days ahead (or of
    the past week) they run, nodes they manage."""
    now = now or utcnow()
    team_rows = [team for team in db.session.scalars(teams.list_teams()) if teams.can_lead(actor, team)]
    days = db.session.scalars(sa.select(ServiceDay).where(ServiceDay.cancelled_at.is_(None),
                                                          ServiceDay.ends_at >= now - timedelta(days=7))
                              .order_by(ServiceDay.starts_at).limit(500)).all()
    nodes = db.session.scalars(sa.select(Node).order_by(Node.path)).all()
    return {
        "team": [(team.id, team.name) for team in team_rows],
        "day": [(day.id, f"{day.starts_at.astimezone(local_tz()):%m-%d %H:%M} {day.title}") for day in days
                if events.can_run(actor, day)],
        "node": [(node.id, node.name) for node in nodes if node.kind != "point" and manages(actor, node)],
    }


# --- reminders -------------------------------------------------------------------------------------

def send_reminders(now: datetime | None = None) -> dict:
    """Job: confirmed volunteers hear of their service day 24 h before (while more than 2 h remain)
    and again 2 h before; the inbox key makes each reminder once per person, however often it runs."""
    now = now or utcnow()
    counts = {"24h": 0, "2h": 0}
    days = db.session.scalars(sa.select(ServiceDay).where(
        ServiceDay.cancelled_at.is_(None), ServiceDay.starts_at > now,
        ServiceDay.starts_at <= now + REMINDERS[0][1])).all()
    for day in days:
        kind = "2h" if day.starts_at - now <= REMINDERS[1][1] else "24h"
        confirmed = sa.select(SignUp.user_id).where(SignUp.service_day_id == day.id,
                                                    SignUp.status == SignUpStatus.CONFIRMED)
        title = (later("Coming up: %(title)s, %(time)s", title=day.title, time=day.starts_at) if kind == "24h"
                 else later("In two hours: %(title)s, %(time)s", title=day.title, time=day.starts_at))
        told = notify(confirmed, key=f"reminder:{kind}:{day.id}", kind="reminder", title=title,
                      body=day.address or day.node.name, link=f"/events/{day.id}", centre_id=day.node.centre_id,
                      now=now)
        counts[kind] += len(told)
    return counts
