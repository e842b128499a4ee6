"""Weekly themes: planning, local notes, and publication at the set time, exactly once."""
import logging
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from volunteer_hub.core import audit
from volunteer_hub.core.db import local_date, local_midnight, local_tz, utcnow, week_start
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.images import image_type
from volunteer_hub.core.permissions import managed_roots, manages, manages_in, require_manage
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node, NodeKind
from volunteer_hub.nodes.services import get_node, in_subtree
from volunteer_hub.notifications.messages import later
from volunteer_hub.notifications.services import notify, notify_users
from volunteer_hub.people.models import VolunteerProfile
from volunteer_hub.themes.models import Theme, ThemeNote

log = logging.getLogger(__name__)

PUBLISH_TIME = time(9, 0)  # the day before, local time
MAX_POSTER_BYTES = 2 * 1024 * 1024
PLANNING_WEEKS = 8
THEME_NODE_KINDS = (NodeKind.CENTRE, NodeKind.INSTITUTE, NodeKind.STATION)


def default_publish_at(held_on: date) -> datetime:
    """09:00 local time the day before: a zone with daylight saving gets its 09:00, not UTC's."""
    return datetime.combine(held_on - timedelta(days=1), PUBLISH_TIME, tzinfo=local_tz()).astimezone(UTC)


def get_theme(theme_id: int) -> Theme:
    theme = db.session.get(Theme, theme_id)
    if theme is None:
        raise NotFound(_("No such theme: %(id)s.", id=theme_id))
    return theme


def visible_theme(actor, theme_id: int) -> Theme:
    """Published themes are for everyone; a scheduled one for managers of its node and of stations below."""
    theme = get_theme(theme_id)
    if theme.published_at is None and not manages_in(actor, theme.node):
        raise NotFound(_("No such theme: %(id)s.", id=theme_id))
    return theme


def default_node(user) -> Node:
    """Whose themes a user sees by default: their home station's, else the first node they manage."""
    if user.profile is not None:
        return user.profile.home_station
    roots = managed_roots(user)
    if roots:
        return roots[0]
    raise ValidationFailed(_("Say which node."), {"node": [_("Say which node.")]})


# --- scope --------------------------------------------------------------------------------------

def covering(node: Node):
    """SQL condition: themes that reach ``node``: set on it or on a node above it."""
    return Theme.node_id.in_(node.ancestor_ids)


def _overlapping(node: Node, held_on: date, exclude_id: int | None = None) -> Theme | None:
    """A theme on the same day whose scope meets ``node``'s: above it (unified) or below it."""
    query = (sa.select(Theme).join(Node, Theme.node_id == Node.id)
             .where(Theme.held_on == held_on,
                    sa.or_(covering(node), in_subtree(node))))
    if exclude_id is not None:
        query = query.where(Theme.id != exclude_id)
    return db.session.scalars(query.limit(1)).first()


def theme_for_week(node: Node, day: date, published_only: bool = True) -> Theme | None:
    """The theme reaching ``node`` in the week (Monday to Sunday) of ``day``."""
    monday = week_start(day)
    query = (sa.select(Theme).join(Node, Theme.node_id == Node.id)
             .where(covering(node), Theme.held_on.between(monday, monday + timedelta(days=6)))
             .order_by(Theme.held_on, Node.path.desc()))
    if published_only:
        query = query.where(Theme.published_at.is_not(None))
    return db.session.scalars(query.limit(1)).first()


def note_for(theme: Theme, node: Node) -> ThemeNote | None:
    """The local note of ``node``'s nearest station (or itself) on a unified theme."""
    ids = node.ancestor_ids
    notes = [n for n in theme.notes if n.node_id in ids]
    return max(notes, key=lambda n: ids.index(n.node_id)) if notes else None


# --- validation -----------------------------------------------------------------------------------

def _poster_type(poster: bytes | None, errors: dict) -> str | None:
    """The poster's MIME type, from its first bytes (not from what the upload claims)."""
    if poster is None:
        return None
    if len(poster) > MAX_POSTER_BYTES:
        errors["poster"] = [_("The poster is at most 2 MB.")]
        return None
    mime = image_type(poster)
    if mime is None:
        errors["poster"] = [_("The poster must be a PNG or JPEG image.")]
    return mime


def _errors(fields: dict, now: datetime, new_day: bool) -> dict:
    errors: dict[str, list[str]] = {}
    title = fields["title"]
    if not title or len(title) > 100:
        errors["title"] = [_("Title is 1-100 characters.")]
    for name, limit in (("description", 5000), ("guidance", 5000), ("places", 500)):
        if len(fields[name]) > limit:
            errors[name] = [_("At most %(n)s characters.", n=limit)]
    if new_day and fields["held_on"] < local_date(now):
        errors["held_on"] = [_("The day has passed: plan today or later.")]
    if fields["publish_at"] >= local_midnight(fields["held_on"]):
        errors["publish_at"] = [_("Publish before the day begins (by default at 09:00 the day before).")]
    return errors


def _clean(title, description, guidance, places) -> dict:
    return {"title": (title or "").strip(), "description": (description or "").strip(),
            "guidance": (guidance or "").strip(), "places": (places or "").strip()}


def _refuse_overlap(node: Node, held_on: date, exclude_id: int | None = None) -> None:
    other = _overlapping(node, held_on, exclude_id)
    if other is None:
        return
    if other.node_id in node.ancestor_ids:
        message = _("%(node)s has set the unified theme for %(date)s (%(title)s); add a local note to it instead.",
                    node=other.node.name, date=held_on.isoformat(), title=other.title)
    else:
        message = _("%(node)s below has its own theme on %(date)s (%(title)s); choose another day or remove it.",
                    node=other.node.name, date=held_on.isoformat(), title=other.title)
    raise Conflict(message, {"held_on": [message]}, code="theme_overlap")


# --- planning -------------------------------------------------------------------------------------

def create_theme(actor, *, node_id: int, title: str, held_on: date, description: str = "", guidance: str = "",
                 places: str = "", publish_at: datetime | None = None, poster: bytes | None = None,
                 now: datetime | None = None) -> Theme:
    """Plan a theme for a centre, institute or station (and all below it)."""
    now = now or utcnow()
    node = get_node(node_id)
    require_manage(actor, node, _("Only managers of %(node)s can set its themes.", node=node.name))
    fields = {**_clean(title, description, guidance, places), "held_on": held_on,
              "publish_at": publish_at or default_publish_at(held_on)}
    errors = _errors(fields, now, new_day=True)
    if node.node_kind not in THEME_NODE_KINDS:
        errors["node_id"] = [_("Themes are set by a centre, an institute or a station.")]
    poster_type = _poster_type(poster, errors)
    if errors:
        raise ValidationFailed(_("The theme is not valid."), errors)
    _refuse_overlap(node, held_on)
    theme = Theme(node=node, created_by_id=getattr(actor, "id", None), poster=poster, poster_type=poster_type,
                  **fields)
    db.session.add(theme)
    db.session.flush()
    audit.record(actor, "theme.create", theme, node_id=node.id, title=theme.title, held_on=held_on.isoformat())
    return theme


def _refuse_unified(actor, theme: Theme) -> None:
    if manages(actor, theme.node):
        return
    raise Forbidden(_("The theme is unified by %(node)s: only its managers change it. Add a local note for your "
                      "station instead.", node=theme.node.name))


def update_theme(actor, theme: Theme, *, title: str, held_on: date, description: str = "", guidance: str = "",
                 places: str = "", publish_at: datetime | None = None, poster: bytes | None = None,
                 now: datetime | None = None) -> Theme:
    """Edit a theme. Once published its day and publication time are fixed: volunteers were told."""
    _refuse_unified(actor, theme)
    now = now or utcnow()
    fields = {**_clean(title, description, guidance, places), "held_on": held_on,
              "publish_at": publish_at or (theme.publish_at if held_on == theme.held_on
                                           else default_publish_at(held_on))}
    if theme.published_at is not None and (held_on != theme.held_on or fields["publish_at"] != theme.publish_at):
        raise Conflict(_("The theme is published: its day and publication time can no longer change."))
    errors = _errors(fields, now, new_day=held_on != theme.held_on)
    poster_type = _poster_type(poster, errors)
    if errors:
        raise ValidationFailed(_("The theme is not valid."), errors)
    if held_on != theme.held_on:
        _refuse_overlap(theme.node, held_on, exclude_id=theme.id)
    before = {name: str(getattr(theme, name)) for name in fields}
    for name, value in fields.items():
        setattr(theme, name, value)
    if poster is not None:
        theme.poster, theme.poster_type = poster, poster_type
    changed = {name: [before[name], str(value)] for name, value in fields.items() if before[name] != str(value)}
    audit.record(actor, "theme.update", theme, changed=changed, poster=poster is not None)
    db.session.flush()
    return theme


def withdraw_theme(actor, theme: Theme) -> None:
    _refuse_unified(actor, theme)
    if theme.published_at is not None:
        raise Conflict(_("The theme is published and cannot be withdrawn; edit it instead."))
    audit.record(actor, "theme.withdraw", theme, title=theme.title, held_on=theme.held_on.isoformat())
    db.session.delete(theme)
    db.session.flush()


def set_note(actor, theme: Theme, node: Node, note: str) -> ThemeNote | None:
    """A station's local note on a unified theme; an empty note removes it."""
    if node.id == theme.node_id or not node.is_within(theme.node):
        message = _("Local notes are for stations below %(node)s.", node=theme.node.name)
        raise ValidationFailed(message, {"node_id": [message]})
    require_manage(actor, node)
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationFailed(_("The note is not valid."), {"note": [_("At most %(n)s characters.", n=2000)]})
    row = db.session.scalar(sa.select(ThemeNote).where(ThemeNote.theme_id == theme.id, ThemeNote.node_id == node.id))
    if not note:
        if row is not None:
            db.session.delete(row)
            audit.record(actor, "theme.note_remove", theme, node_id=node.id)
        db.session.flush()
        return None
    if row is None:
        row = ThemeNote(theme=theme, node=node, note=note, author_id=actor.id)
        db.session.add(row)
    else:
        row.note, row.author_id = note, actor.id
    db.session.flush()
    audit.record(actor, "theme.note", theme, node_id=node.id, note=note)
    return row


def list_themes(actor, node: Node, start: date | None = None, end: date | None = None) -> sa.Select:
    """Themes reaching ``node`` and those set below it; unpublished ones only for its managers."""
    query = (sa.select(Theme).join(Node, Theme.node_id == Node.id)
             .where(sa.or_(covering(node), in_subtree(node)))
             .order_by(Theme.held_on, Node.path, Theme.id))
    if start is not None:
        query = query.where(Theme.held_on >= start)
    if end is not None:
        query = query.where(Theme.held_on <= end)
    if not manages(actor, node):
        query = query.where(Theme.published_at.is_not(None))
    return query


def calendar(actor, node: Node, start: date, weeks: int = PLANNING_WEEKS) -> list[dict]:
    """The planning view: each week from ``start``'s Monday, its themes and whether one is missing."""
    monday = week_start(start)
    end = monday + timedelta(days=7 * weeks - 1)
    themes = db.session.scalars(list_themes(actor, node, monday, end)).all()
    result = []
    for i in range(weeks):
        first = monday + timedelta(days=7 * i)
        in_week = [t for t in themes if first <= t.held_on <= first + timedelta(days=6)]
        reaching = [t for t in in_week if t.node_id in node.ancestor_ids]
        result.append({"week_start": first, "saturday": first + timedelta(days=5), "themes": in_week,
                       "status": reaching[0].status if reaching else "missing"})
    return result


def copy_last_year(actor, node: Node, start: date, weeks: int = PLANNING_WEEKS, now: datetime | None = None
                   ) -> list[Theme]:
    """Copy ``node``'s themes of the same weeks a year earlier (52 weeks: same weekday), where a day is free."""
    require_manage(actor, node, _("Only managers of %(node)s can set its themes.", node=node.name))
    now = now or utcnow()
    monday = week_start(start)
    year = timedelta(weeks=52)
    old = db.session.scalars(sa.select(Theme).where(
        Theme.node_id == node.id, Theme.held_on.between(monday - year, monday - year + timedelta(days=7 * weeks - 1))
    ).order_by(Theme.held_on)).all()
    created = []
    for theme in old:
        held_on = theme.held_on + year
        if held_on < local_date(now) or _overlapping(node, held_on) is not None:
            continue
        created.append(create_theme(actor, node_id=node.id, title=theme.title, held_on=held_on,
                                    description=theme.description, guidance=theme.guidance, places=theme.places,
                                    poster=theme.poster, now=now))
    return created


# --- publication (a scheduler job) --------------------------------------------------------------

def _claim(theme: Theme, column, now: datetime) -> bool:
    """Set ``column`` if the theme is still unpublished: one scheduler wins, the other sees 0 rows."""
    won = bool(db.session.execute(
        sa.update(Theme).where(Theme.id == theme.id, Theme.published_at.is_(None), Theme.missed_at.is_(None))
        .values({column: now}).execution_options(synchronize_session=False)).rowcount)
    db.session.refresh(theme)
    return won


def volunteers_under(node: Node) -> sa.Select:
    return (sa.select(VolunteerProfile.user_id).join(Node, VolunteerProfile.home_station_id == Node.id)
            .where(in_subtree(node)))


def publish_due(now: datetime | None = None) -> dict:
    """Publish every theme whose time has come and tell each volunteer in scope, once.

    After downtime the job catches up: a theme whose day is still ahead is published (late ones
    beyond the grace are logged and audited); one whose day has passed is marked missed and its
    author told.
    """
    now = now or utcnow()
    grace = timedelta(minutes=current_app.config["SCHEDULER_GRACE_MINUTES"])
    due = db.session.scalars(sa.select(Theme).where(Theme.published_at.is_(None), Theme.missed_at.is_(None),
                                                    Theme.publish_at <= now).order_by(Theme.publish_at)).all()
    counts = {"published": 0, "late": 0, "missed": 0, "notified": 0}
    for theme in due:
        if theme.held_on < local_date(now):
            if _claim(theme, "missed_at", now):
                counts["missed"] += 1
                log.warning("theme %s (%s) was never published: its day %s has passed", theme.id, theme.title,
                            theme.held_on)
                audit.record(None, "theme.missed", theme, publish_at=theme.publish_at.isoformat())
                notify_users([theme.created_by_id] if theme.created_by_id else [], key=f"theme-missed:{theme.id}",
                             kind="theme_missed", link=f"/themes/{theme.id}",
                             title=later("Theme not published: %(title)s", title=theme.title),
                             body=later("The scheduler was not running before %(date)s, so volunteers were not told.",
                                        date=theme.held_on))
            continue
        if not _claim(theme, "published_at", now):
            continue
        told = notify(volunteers_under(theme.node), key=f"theme:{theme.id}", kind="theme",
                      title=later("Civility Day %(date)s: %(title)s", date=theme.held_on, title=theme.title),
                      body=theme.guidance or theme.description, link=f"/themes/{theme.id}",
                      centre_id=theme.node.centre_id, now=now)
        late = now - theme.publish_at > grace
        counts["published"] += 1
        counts["late"] += late
        counts["notified"] += len(told)
        if late:
            log.warning("theme %s published %s late (scheduler was down)", theme.id, now - theme.publish_at)
        audit.record(None, "theme.publish", theme, recipients=len(told), late=late,
                     delay_seconds=int((now - theme.publish_at).total_seconds()))
    return counts


def saturdays_without_theme(node: Node, today: date, weeks: int = 4) -> list[date]:
    """The coming Saturdays (this week's first) whose week has no theme reaching ``node`` yet."""
    saturdays = [today + timedelta(days=(5 - today.weekday()) % 7 + 7 * week) for week in range(weeks)]
    return [day for day in saturdays if theme_for_week(node, day, published_only=False) is None]
