"""The 点单—派单—接单—评单 state machine. Each move is a conditional UPDATE on the state it starts
from, so of two people acting at once one wins and the other gets a 409; each is kept as a NeedEvent."""
import statistics
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from volunteer_hub.core import audit
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.images import EXTENSIONS, image_type
from volunteer_hub.core.permissions import Role, managed_roots, manages
from volunteer_hub.core.validators import is_mainland_mobile, normalise_phone
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.needs.models import Need, NeedEvent, NeedPhoto
from volunteer_hub.needs.models import NeedState as N
from volunteer_hub.nodes.models import Node
from volunteer_hub.nodes.services import get_node, in_any_subtree, in_subtree, managed_subtrees
from volunteer_hub.notifications.messages import later
from volunteer_hub.notifications.services import notify, notify_users
from volunteer_hub.people.models import Grant
from volunteer_hub.teams.models import Team

DISPATCH_WITHIN = timedelta(hours=24)
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
LOW_RATING = 2
# Everyday help residents ask for; team categories (8+N) are about who serves, not what is asked.
CATEGORIES = {"repair": _l("Repairs"), "elderly": _l("Help for the elderly"), "escort": _l("Company to the doctor"),
              "shopping": _l("Shopping for someone"), "company": _l("Someone to talk to"),
              "legal": _l("Legal advice"), "other": lazy_pgettext("request category", "Other")}
STATE_LABELS = {N.SUBMITTED: _l("waiting for dispatch"), N.DISPATCHED: _l("dispatched to a team"),
                N.ACCEPTED: _l("accepted"), N.COMPLETED: _l("served, waiting for the rating"),
                N.REVIEWED: _l("rated"), N.CANCELLED: _l("cancelled")}

ACTION_LABELS = {"submit": _l("asked for help"), "dispatch": _l("dispatched"), "forward": _l("forwarded"),
                 "accept": _l("accepted"), "decline": _l("declined"), "complete": _l("completed"),
                 "review": _l("rated"), "cancel": _l("cancelled")}
# The same moves as verbs, for "you cannot … it now" (a history label such as 已评价 would not read).
ACTION_VERBS = {"submit": lazy_pgettext("request move", "submit"),
                "dispatch": lazy_pgettext("request move", "dispatch"),
                "forward": lazy_pgettext("request move", "forward"),
                "accept": lazy_pgettext("request move", "accept"),
                "decline": lazy_pgettext("request move", "decline"),
                "complete": lazy_pgettext("request move", "complete"),
                "review": lazy_pgettext("request move", "rate"),
                "cancel": lazy_pgettext("request move", "cancel")}


def photo_dir() -> Path:
    return Path(current_app.instance_path) / "needs"


def get_need(need_id: int) -> Need:
    need = db.session.get(Need, need_id)
    if need is None:
        raise NotFound(_("No such request: %(id)s.", id=need_id))
    return need


# --- who is who ---------------------------------------------------------------------------------

def is_resident(user, need: Need) -> bool:
    return need.resident_id == getattr(user, "id", None)


def is_manager_of(user, need: Need) -> bool:
    return manages(user, need.node)


def is_team_side(user, need: Need) -> bool:
    """The team's leader, or a manager of the team's node."""
    team = need.team
    return team is not None and (team.leader_id == getattr(user, "id", None) or manages(user, team.node))


def visible_need(user, need_id: int) -> Need:
    """The resident, managers of its node (and above) and the team it went to see a request; others get 404."""
    need = get_need(need_id)
    if not (is_resident(user, need) or is_manager_of(user, need) or is_team_side(user, need)):
        raise NotFound(_("No such request: %(id)s.", id=need_id))
    return need


def reveal_contact(user, need: Need) -> str:
    """The resident's full phone number, for the managers and team who must call; each look is audited."""
    if not (is_manager_of(user, need) or is_team_side(user, need)):
        raise Forbidden(_("Only the managers and the team handling a request see its contact phone."))
    audit.record(user, "need.contact_revealed", need)
    return need.contact_phone


# --- moves ----------------------------------------------------------------------------------------

def _require_state(need: Need, from_states, action: str) -> None:
    if need.state not in from_states:
        raise Conflict(_("The request is %(state)s: you cannot %(verb)s it now.",
                         state=STATE_LABELS[need.state], verb=ACTION_VERBS[action]), code="illegal_move")


def _move(need: Need, actor, action: str, from_states, to_state: str, now: datetime, data: dict | None = None,
          **values) -> Need:
    _require_state(need, from_states, action)
    was = need.state
    won = db.session.execute(
        sa.update(Need).where(Need.id == need.id, Need.state == was)
        .values(state=to_state, stage_started_at=now, escalated_at=None, **values)
        .execution_options(synchronize_session=False)).rowcount
    if not won:  # someone else moved it first
        raise Conflict(_("Someone else has just changed this request; reload it."), code="illegal_move")
    db.session.add(NeedEvent(need_id=need.id, actor_id=getattr(actor, "id", None), action=action, from_state=was,
                             to_state=to_state, data=data or {}, created_at=now))
    db.session.flush()
    db.session.refresh(need)
    return need


def _reason(reason: str | None) -> str:
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason.")
        raise ValidationFailed(message, {"reason": [message]})
    return reason[:500]


def _save_photos(need: Need, photos: list[bytes]) -> None:
    errors = []
    if len(photos) > MAX_PHOTOS:
        errors.append(_("At most %(n)s photos.", n=MAX_PHOTOS))
    for data in photos:
        if len(data) > MAX_PHOTO_BYTES:
            errors.append(_("A photo is at most 5 MB."))
        elif image_type(data) is None:
            errors.append(_("Photos must be PNG or JPEG images."))
    if errors:
        raise ValidationFailed(_("The request is not valid."), {"photos": sorted(set(errors))})
    folder = photo_dir()
    folder.mkdir(parents=True, exist_ok=True)
    for data in photos:
        mime = image_type(data)
        filename = f"{uuid.uuid4().hex}.{EXTENSIONS[mime]}"
        (folder / filename).write_bytes(data)
        db.session.add(NeedPhoto(need=need, filename=filename, content_type=mime, size=len(data)))


def submit(actor, *, node_id: int, category: str, description: str, address: str, wished_at: datetime,
           contact_phone: str, photos: list[bytes] = (), now: datetime | None = None) -> Need:
    """点单: anyone with an account asks the node that holds the address for help."""
    now = now or utcnow()
    node = get_node(node_id)
    phone = normalise_phone(contact_phone or "")
    description, address = (description or "").strip(), (address or "").strip()
    errors = {}
    if category not in CATEGORIES:
        errors["category"] = [_("Choose a category.")]
    if not 5 <= len(description) <= 2000:
        errors["description"] = [_("Describe the need in 5 to 2000 characters.")]
    if not 1 <= len(address) <= 200:
        errors["address"] = [_("Give the address (at most 200 characters).")]
    if wished_at <= now:
        errors["wished_at"] = [_("The wished time must be in the future.")]
    if not is_mainland_mobile(phone):
        errors["contact_phone"] = [_("Enter an 11-digit mainland mobile number, e.g. 13812345678.")]
    if node.kind == "centre":
        errors["node_id"] = [_("Choose the station or point nearest the address.")]
    if errors:
        raise ValidationFailed(_("The request is not valid."), errors)
    need = Need(resident_id=actor.id, node=node, category=category, description=description, address=address,
                wished_at=wished_at, contact_phone=phone, state=N.SUBMITTED, stage_started_at=now, created_at=now)
    db.session.add(need)
    db.session.flush()
    _save_photos(need, list(photos))
    db.session.add(NeedEvent(need_id=need.id, actor_id=actor.id, action="submit", from_state="",
                             to_state=N.SUBMITTED, data={"node_id": node.id}, created_at=now))
    db.session.flush()
    return need


def _require_manager(actor, need: Need) -> None:
    if not is_manager_of(actor, need):
        raise Forbidden(_("Only managers of %(node)s can do this.", node=need.node.name))


def dispatchable_teams(actor, need: Need) -> list[Team]:
    """The teams ``actor`` may give ``need`` to: teams of nodes they manage, in the request's centre."""
    roots = [root for root, _tree in managed_subtrees(actor)]
    teams = db.session.scalars(sa.select(Team).join(Node, Team.node_id == Node.id)
                               .where(in_any_subtree(roots)).order_by(Team.name)).all()
    return [team for team in teams if team.node.centre_id == need.node.centre_id]


def dispatch(actor, need: Need, *, team_id: int, accept_by: datetime, now: datetime | None = None) -> Need:
    """派单: a manager of the request's node gives it to a team of their subtree, to accept by a deadline."""
    now = now or utcnow()
    _require_manager(actor, need)
    team = db.session.get(Team, team_id)
    errors = {}
    if team not in dispatchable_teams(actor, need):
        errors["team_id"] = [_("Choose a team of a node you manage.")]
    if accept_by <= now:
        errors["accept_by"] = [_("The deadline must be in the future.")]
    if errors:
        raise ValidationFailed(_("The dispatch is not valid."), errors)
    _move(need, actor, "dispatch", [N.SUBMITTED], N.DISPATCHED, now, {"team_id": team.id},
          team_id=team.id, accept_by=accept_by, dispatched_at=need.dispatched_at or now)
    notify_users([team.leader_id] if team.leader_id else [], key=f"need-dispatched:{need.id}:{now.isoformat()}",
                 kind="need", link=f"/needs/{need.id}", centre_id=need.node.centre_id,
                 title=later("New request for %(team)s: accept by %(deadline)s", team=team.name, deadline=accept_by),
                 body=need.description)
    return need


def forward(actor, need: Need, reason: str, now: datetime | None = None) -> Need:
    """No team fits: hand the request up to the parent node's queue."""
    now = now or utcnow()
    _require_manager(actor, need)
    reason = _reason(reason)
    if need.node.parent_id is None:
        raise Conflict(_("A centre has no node above it to forward to."), code="illegal_move")
    parent = need.node.parent
    return _move(need, actor, "forward", [N.SUBMITTED], N.SUBMITTED, now,
                 {"from_node_id": need.node_id, "to_node_id": parent.id, "reason": reason}, node_id=parent.id)


def _require_team(actor, need: Need) -> None:
    if not is_team_side(actor, need):
        raise Forbidden(_("Only the leader of the team it was dispatched to can do this."))


def accept(actor, need: Need, *, service_day_id: int | None = None, starts_at: datetime | None = None,
           hours: int = 2, capacity: int = 10, now: datetime | None = None) -> Need:
    """接单: the team takes it on; a service day (new, or one the team already runs) serves it, so hours
    and credits follow the normal check-in path."""
    now = now or utcnow()
    _require_team(actor, need)
    _require_state(need, [N.DISPATCHED], "accept")  # before a service day is made for nothing
    if service_day_id is not None:
        day = events.get_service_day(service_day_id)
        if not events.can_run(actor, day) or need.team not in day.teams or day.is_cancelled:
            message = _("Choose an upcoming service day of this team.")
            raise ValidationFailed(message, {"service_day_id": [message]})
    else:
        start = starts_at or need.wished_at
        if not 1 <= hours <= 12:
            raise ValidationFailed(_("The service is 1 to 12 hours."), {"hours": [_("The service is 1 to 12 hours.")]})
        # For the team only, and titled by the kind of help: the resident's words stay with the request.
        day = events.create_service_day(
            actor, node_id=need.team.node_id, title=_("Residents' request: %(kind)s", kind=CATEGORIES[need.category]),
            description=need.description, address=need.address, starts_at=start,
            ends_at=start + timedelta(hours=hours), capacity=capacity, team_ids=[need.team_id], checkin_radius_m=None,
            team_only=True, allow_walk_ins=False, now=now)
    _move(need, actor, "accept", [N.DISPATCHED], N.ACCEPTED, now, {"service_day_id": day.id},
          service_day_id=day.id, accept_by=None, accepted_at=now)
    notify_users([need.resident_id], key=f"need-accepted:{need.id}", kind="need", link=f"/needs/{need.id}",
                 title=later("%(team)s will help: %(when)s", team=need.team.name, when=day.starts_at))
    return need


def decline(actor, need: Need, reason: str, now: datetime | None = None) -> Need:
    """The team cannot take it: back to the node's queue, with the reason."""
    now = now or utcnow()
    _require_team(actor, need)
    reason = _reason(reason)
    return _move(need, actor, "decline", [N.DISPATCHED], N.SUBMITTED, now,
                 {"team_id": need.team_id, "reason": reason}, team_id=None, accept_by=None)


def complete(actor, need: Need, now: datetime | None = None) -> Need:
    """Served: the team (or a manager of the node) closes it; the resident is asked to rate it."""
    now = now or utcnow()
    if not (is_team_side(actor, need) or is_manager_of(actor, need)):
        raise Forbidden(_("Only the team that accepted it or the node's managers can do this."))
    if need.state == N.ACCEPTED and now < need.service_day.starts_at:
        raise Conflict(_("The service has not started yet."), code="illegal_move")
    _move(need, actor, "complete", [N.ACCEPTED], N.COMPLETED, now, completed_at=now)
    notify_users([need.resident_id], key=f"need-completed:{need.id}", kind="need", link=f"/needs/{need.id}",
                 title=later("How was the help? Rate your request"))
    return need


def review(actor, need: Need, *, rating: int, comment: str = "", now: datetime | None = None) -> Need:
    """评单: the resident rates 1-5; 2 or less is flagged for the node's managers."""
    now = now or utcnow()
    if not is_resident(actor, need):
        raise Forbidden(_("Only the resident who asked can rate the request."))
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise ValidationFailed(_("The rating is not valid."), {"rating": [_("Rate from 1 to 5.")]})
    comment = (comment or "").strip()[:1000]
    flagged = rating <= LOW_RATING
    _move(need, actor, "review", [N.COMPLETED], N.REVIEWED, now, {"rating": rating, "comment": comment},
          rating=rating, review=comment, flagged=flagged)
    if flagged:
        notify(managers_above(need.node), key=f"need-low-rating:{need.id}", kind="need", link=f"/needs/{need.id}",
               title=later("Low rating (%(rating)s/5) for a request at %(node)s", rating=rating, node=need.node.name),
               body=comment)
    return need


def cancel(actor, need: Need, reason: str, now: datetime | None = None) -> Need:
    """The resident withdraws a request that no team has accepted yet."""
    now = now or utcnow()
    if not is_resident(actor, need):
        raise Forbidden(_("Only the resident who asked can cancel the request."))
    reason = _reason(reason)
    return _move(need, actor, "cancel", [N.SUBMITTED, N.DISPATCHED], N.CANCELLED, now, {"reason": reason},
                 accept_by=None)


# --- escalation (a scheduler job) -----------------------------------------------------------------

def managers_above(node: Node) -> sa.Select:
    """Managers whose subtree holds ``node`` (the node's own, and those above it)."""
    return sa.select(Grant.user_id).where(Grant.role.in_([Role.MANAGER, Role.ADMIN]),
                                          Grant.node_id.in_(node.ancestor_ids)).distinct()


def overdue(now: datetime):
    """SQL condition: not dispatched within 24 h, or not accepted by the deadline."""
    return sa.or_(sa.and_(Need.state == N.SUBMITTED, Need.stage_started_at <= now - DISPATCH_WITHIN),
                  sa.and_(Need.state == N.DISPATCHED, Need.accept_by <= now))


def is_overdue(need: Need, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (need.state == N.SUBMITTED and need.stage_started_at <= now - DISPATCH_WITHIN) or (
        need.state == N.DISPATCHED and need.accept_by <= now)


def escalate_overdue(now: datetime | None = None) -> dict:
    """Job: tell the parent node's managers of each request left too long, once per stage."""
    now = now or utcnow()
    escalated = 0
    for need in db.session.scalars(sa.select(Need).where(overdue(now), Need.escalated_at.is_(None))).all():
        won = db.session.execute(sa.update(Need).where(Need.id == need.id, Need.escalated_at.is_(None),
                                                       Need.state == need.state)
                                 .values(escalated_at=now).execution_options(synchronize_session=False)).rowcount
        if not won:
            continue
        escalated += 1
        target = need.node.parent or need.node
        db.session.add(NeedEvent(need_id=need.id, action="escalate", from_state=need.state, to_state=need.state,
                                 data={"to_node_id": target.id}, created_at=now))
        notify(managers_above(target), key=f"need-escalated:{need.id}:{need.stage_started_at.isoformat()}",
               kind="need", link=f"/needs/{need.id}", centre_id=need.node.centre_id,
               title=later("Overdue request at %(node)s: %(state)s", node=need.node.name,
                       state=STATE_LABELS[need.state]), body=need.description, now=now)
    return {"escalated": escalated}


# --- reading --------------------------------------------------------------------------------------

def require_queue(actor, node: Node) -> None:
    if not manages(actor, node):
        raise Forbidden(_("Only managers of %(node)s can see its requests.", node=node.name))


def list_needs(actor, node: Node | None = None, state: str | None = None) -> sa.Select:
    """A node's queue (its managers: the whole subtree), else my own requests and my teams'."""
    query = sa.select(Need).join(Node, Need.node_id == Node.id).order_by(Need.id.desc())
    if node is not None:
        require_queue(actor, node)
        query = query.where(in_subtree(node))
    else:
        led = sa.select(Team.id).where(Team.leader_id == actor.id)
        query = query.where(sa.or_(Need.resident_id == actor.id, Need.team_id.in_(led)))
    if state:
        if state not in set(N):
            raise ValidationFailed(_("Unknown state."), {"state": [_("Unknown state.")]})
        query = query.where(Need.state == state)
    return query


def default_queue_node(actor) -> Node | None:
    roots = managed_roots(actor)
    return roots[0] if roots else None


def dashboard(node: Node, now: datetime | None = None) -> dict:
    """Requests below a node: by state and category, median hours to dispatch and to accept, ratings.
    Counted in the database; only the two time columns the medians need come back row by row."""
    now = now or utcnow()
    below = sa.select(Node.id).where(in_subtree(node))
    mine = Need.node_id.in_(below)

    def counts(column):
        return dict(db.session.execute(sa.select(column, sa.func.count()).where(mine).group_by(column)).all())

    by_state, by_category = counts(Need.state), counts(Need.category)
    total, rating, flagged, late = db.session.execute(sa.select(
        sa.func.count(), sa.func.avg(Need.rating), sa.func.count().filter(Need.flagged),
        sa.func.count().filter(overdue(now))).where(mine)).one()
    times = db.session.execute(sa.select(Need.created_at, Need.dispatched_at, Need.accepted_at)
                               .where(mine, Need.dispatched_at.is_not(None))).all()

    def median_hours(pairs):
        values = [(end - start).total_seconds() / 3600 for start, end in pairs if start and end]
        return round(statistics.median(values), 1) if values else None

    return {"total": total, "by_state": {state: by_state.get(state, 0) for state in N},
            "by_category": {c: by_category.get(c, 0) for c in CATEGORIES},
            "median_hours_to_dispatch": median_hours((created, sent) for created, sent, _taken in times),
            "median_hours_to_accept": median_hours((sent, taken) for _created, sent, taken in times),
            "average_rating": round(float(rating), 2) if rating is not None else None,
            "flagged": flagged, "overdue": late}


def photo_path(photo: NeedPhoto) -> Path:
    return photo_dir() / photo.filename


def waiting_dispatch(actor) -> int:
    """Requests waiting to be dispatched in the subtrees the actor manages."""
    return sum(db.session.scalar(sa.select(sa.func.count()).select_from(
        list_needs(actor, root, N.SUBMITTED).subquery())) for root in managed_roots(actor))
