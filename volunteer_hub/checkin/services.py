"""QR check-in tokens, check-in / check-out, hours, the auto-close job and approval."""
import hashlib
import math
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import format_datetime
from flask_babel import gettext as _
from itsdangerous import BadSignature, Signer
from sqlalchemy.orm import contains_eager

from volunteer_hub.checkin.models import Attendance, ScanNonce
from volunteer_hub.checkin.models import AttendanceStatus as A
from volunteer_hub.core import audit, crypto
from volunteer_hub.core.db import insert_ignoring_conflicts, local_date, local_tz, utcnow, week_start
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import managed_roots, require_not_own
from volunteer_hub.credits import services as credits
from volunteer_hub.events.models import ServiceDay, SignUp, SignUpStatus
from volunteer_hub.events.services import get_service_day, list_service_days, require_manage_day
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node
from volunteer_hub.nodes.services import DEFAULT_SETTINGS, in_any_subtree, settings_of
from volunteer_hub.people.models import User
from volunteer_hub.people.services import require_by_phone

ROTATION_SECONDS = 30  # a rotating code is accepted for its own step and the one before: at most 60 s
CLOCK_SKEW = timedelta(minutes=2)  # how far ahead of ours a phone's clock may be
EARLY_MINUTES = 30  # check-in opens this long before the start
# Scan nonces outlive every centre's offline upload window (at most 72 h): a scan sent again within it
# still gets its first answer; one sent later is refused as uploaded too late whatever the nonce says.
NONCE_DAYS = 7


# --- tokens -------------------------------------------------------------------------------

def _signer() -> Signer:
    return Signer(crypto.signing_keys(), salt="volunteer_hub.checkin", digest_method=hashlib.sha256)


def _step(now: datetime) -> int:
    return int(now.timestamp()) // ROTATION_SECONDS


def rotating_token(day: ServiceDay, now: datetime | None = None) -> tuple[str, datetime]:
    """The check-in screen's code and when it stops being accepted."""
    step = _step(now or utcnow())
    token = _signer().sign(f"{day.id}.{step}").decode()
    return token, datetime.fromtimestamp((step + 2) * ROTATION_SECONDS, tz=UTC)


def poster_token(day: ServiceDay) -> str:
    """The printed poster's static code: valid only in the event window and only inside the geofence."""
    if not day.has_geofence:
        raise Conflict(_("A printed poster needs a location and check-in radius, so that a photo of it is useless."))
    return _signer().sign(f"{day.id}.p").decode()


def token_in(text: str) -> str | None:
    """The check-in token in a pasted link (``…/c/<token>``) or the bare token; None for anything else.
    Whether it is valid is for the check-in page to say."""
    text = text.strip()
    path = urlsplit(text).path if "://" in text else text
    token = path.split("/c/", 1)[1] if "/c/" in path else path
    token = token.strip("/")
    return token if token and re.fullmatch(r"[A-Za-z0-9._:-]{8,400}", token) else None


def parse_token(token: str, now: datetime, accept_stale: bool = False) -> tuple[ServiceDay, bool]:
    """The service day a token names and whether it is a poster code; refuses forged or stale codes.

    ``accept_stale``: the code was valid when first opened, and the volunteer logged in since.
    """
    try:
        payload = _signer().unsign(token).decode()
        day_id, step = payload.split(".")
        day_id = int(day_id)
    except (BadSignature, ValueError, UnicodeDecodeError):
        raise Forbidden(_("This check-in code is not valid."), code="invalid_code") from None
    poster = step == "p"
    if not poster and not accept_stale and _step(now) - int(step) not in (0, 1):
        raise Forbidden(_("This check-in code has expired; scan the code on the screen again."), code="expired_code")
    return get_service_day(day_id), poster


# --- geofence and hours --------------------------------------------------------------------

def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(a))


def credited_minutes(day: ServiceDay, checked_in: datetime, checked_out: datetime) -> int:
    """Time inside the event window, rounded down to the event's granularity: travel is not service."""
    start, end = max(checked_in, day.starts_at), min(checked_out, day.ends_at)
    minutes = max(0, int((end - start).total_seconds() // 60))
    return minutes - minutes % day.granularity_minutes


def grace() -> timedelta:
    """How long after a service day's end check-out stays open; then the job closes open check-ins."""
    return timedelta(minutes=current_app.config["CHECKOUT_GRACE_MINUTES"])


# --- scanning -------------------------------------------------------------------------------

def is_closed(day: ServiceDay, now: datetime | None = None) -> bool:
    """No more scans: the day is cancelled, or over and past the check-out grace."""
    return day.is_cancelled or (now or utcnow()) > day.ends_at + grace()


def attendance_of(day: ServiceDay, user) -> Attendance | None:
    """The person's standing record of the day (reversed ones are history)."""
    return db.session.scalar(sa.select(Attendance).where(
        Attendance.service_day_id == day.id, Attendance.user_id == user.id, Attendance.reversed_at.is_(None)))


def _standing(day: ServiceDay, user) -> tuple[Attendance | None, Attendance | None, str | None]:
    """What a scan decides on, in one round trip: the person's standing record of this day, a record
    still open at another day, and their sign-up status here."""
    signup = sa.select(SignUp.status).where(SignUp.service_day_id == day.id, SignUp.user_id == user.id)
    one = sa.select(sa.literal(1).label("one")).subquery()
    rows = db.session.execute(
        sa.select(signup.scalar_subquery(), Attendance).select_from(one).outerjoin(Attendance, sa.and_(
            Attendance.user_id == user.id, Attendance.reversed_at.is_(None),
            sa.or_(Attendance.service_day_id == day.id, Attendance.status == A.OPEN)))).all()
    records = [row for _status, row in rows if row is not None]
    here = next((row for row in records if row.service_day_id == day.id), None)
    elsewhere = next((row for row in records if row.service_day_id != day.id), None)
    return here, elsewhere, rows[0][0]


def _overlapping(user, start: datetime, end: datetime | None, besides: Attendance | None) -> Attendance | None:
    """Another standing record of the person whose time meets [start, end]: nobody is credited twice."""
    later = end or start
    rows = db.session.scalars(sa.select(Attendance).where(
        Attendance.user_id == user.id, Attendance.reversed_at.is_(None),
        Attendance.id != (besides.id if besides else 0), Attendance.checked_in_at < later)).all()
    return next((row for row in rows if row.status == A.OPEN or row.checked_out_at > start), None)


def _check_place(day: ServiceDay, lat, lon) -> int | None:
    if not day.has_geofence:
        return None
    if lat is None or lon is None:
        message = _("This service day checks your location: allow location access and scan again.")
        raise ValidationFailed(message, {"lat": [message]}, code="location_required")
    distance = distance_m(day.lat, day.lon, lat, lon)
    if distance > day.checkin_radius_m:
        raise Forbidden(_("You are about %(d)s from the service day; check-in works within %(r)s m. "
                          "Ask the organiser to check you in by hand if the location is wrong.",
                          d=about(distance), r=day.checkin_radius_m), code="outside_geofence")
    return round(distance)


def about(metres: float) -> str:
    """A distance as a message gives it: to 100 m, or to the km from 1 km. The exact figure would let
    anyone find an event's coordinates from three wrong guesses."""
    if metres < 950:
        return _("%(n)s m", n=max(100, int(round(metres, -2))))
    return _("%(n)s km", n=round(metres / 1000))


def _may_attend(day: ServiceDay, status: str | None) -> bool:
    """Signed up (``status``) and confirmed, or a walk-in where the event allows them. Returns walk_in."""
    if status == SignUpStatus.CONFIRMED:
        return False
    if day.allow_walk_ins:
        return True
    if status == SignUpStatus.WAITLISTED:
        raise Forbidden(_("You are on the waiting list for this service day, not confirmed."), code="not_signed_up")
    raise Forbidden(_("You are not signed up for this service day, and it does not take walk-ins."),
                    code="not_signed_up")


def scan(user, token: str, lat: float | None = None, lon: float | None = None,
         now: datetime | None = None, accept_stale: bool = False, nonce: str | None = None,
         scanned_at: datetime | None = None) -> tuple[str, Attendance]:
    """扫码: the first scan checks in, a scan after the minimum interval checks out, others change nothing.

    ``nonce``: the client's name for this scan; sent again, it gets the first answer back and changes
    nothing (pretix's scan nonces). ``scanned_at``: a scan made offline and uploaded now (离线补传): it
    counts at that time if the code was valid then, the time lies in the day's window and not ahead,
    and the upload comes within the centre's delay.
    """
    now = now or utcnow()
    if nonce is None:
        return _scan(user, token, lat, lon, now, accept_stale, scanned_at)
    seen = _claim(user, nonce, scanned_at or now, now)
    if seen is not None:
        return seen.state, db.session.get(Attendance, seen.attendance_id)
    state, row = _scan(user, token, lat, lon, now, accept_stale, scanned_at)
    db.session.execute(sa.update(ScanNonce).where(ScanNonce.user_id == user.id, ScanNonce.nonce == nonce)
                       .values(state=state, attendance_id=row.id))
    return state, row


def _claim(user, nonce: str, scanned_at: datetime, now: datetime) -> ScanNonce | None:
    """Take the nonce for this request, or return the scan that took it first. A concurrent request with
    the same nonce waits on the key until the first commits (or rolls back, and then takes it itself)."""
    values = {"user_id": user.id, "nonce": nonce, "state": "pending", "scanned_at": scanned_at, "received_at": now}
    if db.session.scalar(insert_ignoring_conflicts(ScanNonce, values).returning(ScanNonce.nonce)) is not None:
        return None
    return db.session.scalar(sa.select(ScanNonce).where(ScanNonce.user_id == user.id, ScanNonce.nonce == nonce)
                             .execution_options(populate_existing=True))


def _offline_time(scanned_at: datetime, now: datetime) -> datetime:
    """The time a scan made offline counts at; a time ahead of ours is a wrong clock, not a scan."""
    if scanned_at > now + CLOCK_SKEW:
        message = _("The scan's time is in the future; check the phone's clock and scan again.")
        raise ValidationFailed(message, {"scanned_at": [message]}, code="scanned_in_future")
    return min(scanned_at, now)


def _check_upload_delay(day: ServiceDay, scanned_at: datetime, now: datetime) -> None:
    hours = settings_of(day.node).offline_upload_hours
    if now - scanned_at > timedelta(hours=hours):
        raise Forbidden(_("This scan was made offline at %(time)s and uploaded too late: scans without signal "
                          "must be uploaded within %(hours)s hours. Ask the organiser to enter your hours by hand.",
                          time=format_datetime(scanned_at, "yyyy-MM-dd HH:mm"), hours=hours), code="upload_too_late")


def _scan(user, token, lat, lon, now, accept_stale, scanned_at) -> tuple[str, Attendance]:
    offline = scanned_at is not None
    at = _offline_time(scanned_at, now) if offline else now
    day, poster = parse_token(token, at, accept_stale)
    if user.profile is None:
        raise Forbidden(_("Only registered volunteers can check in."))
    if day.is_cancelled:
        raise Conflict(_("This service day is cancelled."))
    if offline:
        _check_upload_delay(day, at, now)
    if poster and not day.has_geofence:  # the geofence was removed after printing
        raise Forbidden(_("This check-in code is not valid."), code="invalid_code")
    if at < day.starts_at - timedelta(minutes=EARLY_MINUTES) or at > day.ends_at + grace():
        raise Forbidden(_("Check-in for this service day is closed."), code="outside_window")
    row, previous, signup = _standing(day, user)
    if row is None:
        distance = _check_place(day, lat, lon)
        walk_in = _may_attend(day, signup)
        if at > day.ends_at:
            raise Forbidden(_("The service day has ended; it is too late to check in."), code="outside_window")
        if previous is not None:  # one place at a time: checking in here checks out there
            _check_out(previous, max(at, previous.checked_in_at))
        return _check_in(day, user, at, distance, walk_in, poster, offline)
    if row.status == A.OPEN and at - row.checked_in_at >= timedelta(minutes=day.min_interval_minutes):
        _check_place(day, lat, lon)
        return _check_out(row, at, poster, offline)
    return "unchanged", row


def _check_in(day, user, now, distance, walk_in, poster=False, offline=False) -> tuple[str, Attendance]:
    # INSERT … ON CONFLICT DO NOTHING: of concurrent first scans one inserts, the others read its row.
    values = {"service_day_id": day.id, "user_id": user.id, "status": A.OPEN, "checked_in_at": now,
              "distance_m": distance, "walk_in": walk_in, "credited_minutes": 0, "manual": False, "created_at": now,
              "location_self_reported": poster, "uploaded_later": offline}
    inserted = db.session.scalar(insert_ignoring_conflicts(Attendance, values).returning(Attendance))
    return ("checked_in", inserted) if inserted is not None else ("unchanged", attendance_of(day, user))


def _check_out(row: Attendance, now: datetime, poster=False, offline=False) -> tuple[str, Attendance]:
    minutes = credited_minutes(row.service_day, row.checked_in_at, now)
    # Conditional: of two concurrent check-out scans only one changes the row.
    done = db.session.execute(
        sa.update(Attendance).where(Attendance.id == row.id, Attendance.status == A.OPEN)
        .values(status=A.CLOSED, checked_out_at=now, credited_minutes=minutes,
                location_self_reported=Attendance.location_self_reported | sa.literal(poster),
                uploaded_later=Attendance.uploaded_later | sa.literal(offline))
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(row)
    return ("checked_out" if done else "unchanged"), row


# --- managers ---------------------------------------------------------------------------------

def _needs_second_person(day: ServiceDay, minutes: int) -> bool:
    return minutes > settings_of(day.node).review_entry_hours * 60


def manual_entry(actor, day: ServiceDay, *, phone: str, checked_in_at: datetime,
                 checked_out_at: datetime | None = None, reason: str, now: datetime | None = None) -> Attendance:
    """补录: a manager checks a volunteer in or out by hand; the reason is kept in the audit trail.

    An entry above the centre's review threshold counts as its first approval: a second manager
    approves or rejects it."""
    require_manage_day(actor, day)
    now = now or utcnow()
    reason = (reason or "").strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Give the reason for the manual entry.")]
    if checked_out_at is not None and checked_out_at < checked_in_at:
        errors["checked_out_at"] = [_("Check-out must be after check-in.")]
    latest = day.ends_at + grace()
    if not day.starts_at - timedelta(hours=12) <= checked_in_at <= latest or (
            checked_out_at is not None and checked_out_at > latest):
        errors["checked_in_at"] = [_("The times must be around the service day.")]
    back = settings_of(day.node).back_entry_days
    if checked_in_at < now - timedelta(days=back):
        errors["checked_in_at"] = [_("Hours can be entered by hand up to %(days)s days back.", days=back)]
    if errors:
        raise ValidationFailed(_("The manual entry is not valid."), errors)
    user = require_by_phone(phone)
    if user.profile is None:
        raise ValidationFailed(_("The manual entry is not valid."), {"phone": [_("This is not a volunteer.")]})
    require_not_own(actor, user)
    row = attendance_of(day, user)
    before = _snapshot(row)
    if row is not None and row.approved_at is not None:
        raise Conflict(_("These hours are already approved; reverse them first, then enter them again."),
                       code="already_approved")
    other = _overlapping(user, checked_in_at, checked_out_at, row)
    if other is not None:
        message = _("%(name)s already has hours at %(title)s in that time; nobody is credited twice.",
                    name=user.name, title=other.service_day.title)
        raise ValidationFailed(message, {"checked_in_at": [message]}, code="overlap")
    if row is None:
        row = Attendance(service_day=day, user=user, checked_in_at=checked_in_at)
        db.session.add(row)
    row.checked_in_at, row.checked_out_at, row.manual, row.entered_by_id = \
        checked_in_at, checked_out_at, True, actor.id
    row.status = A.CLOSED if checked_out_at else A.OPEN
    row.credited_minutes = credited_minutes(day, checked_in_at, checked_out_at) if checked_out_at else 0
    row.rejected_at = row.rejected_by_id = None
    large = _needs_second_person(day, row.credited_minutes)
    row.first_approved_by_id, row.first_approved_at = (actor.id, now) if large else (None, None)
    db.session.flush()
    audit.record(actor, "attendance.manual", row, reason=reason, before=before, after=_snapshot(row),
                 awaits_second_person=large)
    return row


def _snapshot(row: Attendance | None) -> dict | None:
    if row is None:
        return None
    return {"status": row.status, "checked_in_at": row.checked_in_at.isoformat(),
            "checked_out_at": row.checked_out_at.isoformat() if row.checked_out_at else None,
            "credited_minutes": row.credited_minutes}


def close_forgotten(now: datetime | None = None) -> int:
    """Job: open check-ins of events that ended more than the grace period ago become 'no check-out'.

    No hours are invented: the manager sees them flagged and corrects them by hand.
    """
    cutoff = (now or utcnow()) - grace()
    ended = sa.select(ServiceDay.id).where(ServiceDay.ends_at < cutoff)
    return db.session.execute(
        sa.update(Attendance).where(Attendance.status == A.OPEN, Attendance.service_day_id.in_(ended))
        .values(status=A.NO_CHECKOUT, credited_minutes=0).execution_options(synchronize_session=False)).rowcount


def forget_nonces(now: datetime | None = None) -> int:
    """Job: drop scan nonces older than ``NONCE_DAYS`` (one a scan: a province's Saturdays would keep
    tens of millions)."""
    cutoff = (now or utcnow()) - timedelta(days=NONCE_DAYS)
    return db.session.execute(sa.delete(ScanNonce).where(ScanNonce.received_at < cutoff)
                              .execution_options(synchronize_session=False)).rowcount


def anomalies(row: Attendance) -> list[str]:
    flags = []
    if row.status == A.NO_CHECKOUT:
        flags.append("no_checkout")
    if row.status == A.CLOSED and row.credited_minutes == 0:
        flags.append("too_short")
    if row.manual:
        flags.append("manual")
    if row.walk_in:
        flags.append("walk_in")
    if row.location_self_reported:
        flags.append("self_located")
    if row.uploaded_later:
        flags.append("uploaded_later")
    return flags


def attendance_list(day: ServiceDay) -> list[Attendance]:
    return db.session.scalars(sa.select(Attendance).join(User, Attendance.user_id == User.id)
                              .where(Attendance.service_day_id == day.id)
                              .order_by(Attendance.checked_in_at, User.name)).all()


def _pending_where(day: ServiceDay) -> list:
    return [Attendance.service_day_id == day.id, Attendance.approved_at.is_(None), Attendance.status != A.OPEN,
            Attendance.rejected_at.is_(None), Attendance.reversed_at.is_(None)]


def _chosen(day: ServiceDay, actor, ids: list[int] | str) -> list:
    where = _pending_where(day)
    if ids == "all":  # everyone's but the approver's own
        return [*where, Attendance.user_id != actor.id]
    own = db.session.scalar(sa.select(sa.func.count()).select_from(Attendance).where(
        Attendance.id.in_(list(ids)), Attendance.service_day_id == day.id, Attendance.user_id == actor.id))
    if own:
        require_not_own(actor, actor)  # the approver's own row is among them
    return [*where, Attendance.id.in_(list(ids))]


def approve(actor, day: ServiceDay, ids: list[int] | str, now: datetime | None = None) -> list[Attendance]:
    """审核: approve closed attendance of this day. Idempotent: returns only the rows approved now.

    Rows above the review threshold need two people: the first approval marks them, a second
    manager's approval makes them count (``awaiting_second_person`` lists them)."""
    require_manage_day(actor, day)
    now = now or utcnow()
    where = _chosen(day, actor, ids)
    small = Attendance.credited_minutes <= settings_of(day.node).review_entry_hours * 60
    seconded = sa.and_(Attendance.first_approved_by_id.is_not(None), Attendance.first_approved_by_id != actor.id)
    # Conditional UPDATEs … RETURNING: two managers at once approve each row once. Final approvals
    # go first, so that a row this call marks as first-approved is not also approved by it.
    approved_ids = db.session.scalars(
        sa.update(Attendance).where(*where, sa.or_(small, seconded)).values(approved_at=now, approved_by_id=actor.id)
        .returning(Attendance.id).execution_options(synchronize_session=False)).all()
    marked_ids = db.session.scalars(
        sa.update(Attendance).where(*where, ~small, Attendance.first_approved_by_id.is_(None))
        .values(first_approved_at=now, first_approved_by_id=actor.id)
        .returning(Attendance.id).execution_options(synchronize_session=False)).all()
    rows = db.session.scalars(sa.select(Attendance).where(Attendance.id.in_(approved_ids + marked_ids))
                              .execution_options(populate_existing=True)).all()
    if approved_ids:
        audit.record(actor, "attendance.approve", day, attendance_ids=sorted(approved_ids))
    if marked_ids:
        audit.record(actor, "attendance.first_approval", day, attendance_ids=sorted(marked_ids))
    approved = [row for row in rows if row.id in approved_ids]
    for row in approved:
        credits.mint_for_attendance(row)  # in the same transaction: approved hours and their credits land together
    return approved


def awaiting_second_person(day: ServiceDay) -> list[Attendance]:
    return db.session.scalars(sa.select(Attendance).where(
        *_pending_where(day), Attendance.first_approved_by_id.is_not(None)).order_by(Attendance.id)).all()


def reject(actor, day: ServiceDay, ids: list[int], reason: str, now: datetime | None = None) -> list[Attendance]:
    """The second person turns down rows awaiting them; the reason goes to the audit trail."""
    require_manage_day(actor, day)
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason for rejecting.")
        raise ValidationFailed(message, {"reason": [message]})
    where = [*_chosen(day, actor, ids), Attendance.first_approved_by_id.is_not(None)]
    if db.session.scalar(sa.select(sa.func.count()).select_from(Attendance)
                         .where(*where, Attendance.first_approved_by_id == actor.id)):
        raise Forbidden(_("You were the first person on this record; a second manager decides."),
                        code="second_person_required")
    rejected_ids = db.session.scalars(
        sa.update(Attendance).where(*where).values(rejected_at=now or utcnow(), rejected_by_id=actor.id)
        .returning(Attendance.id).execution_options(synchronize_session=False)).all()
    if rejected_ids:
        audit.record(actor, "attendance.reject", day, attendance_ids=sorted(rejected_ids), reason=reason)
    return db.session.scalars(sa.select(Attendance).where(Attendance.id.in_(rejected_ids))
                              .execution_options(populate_existing=True)).all()


def reverse(actor, day: ServiceDay, row: Attendance, reason: str, now: datetime | None = None) -> Attendance:
    """冲正: approved hours found wrong are reversed with the credits they minted; nothing is edited.
    A corrected record may then be entered by hand beside it."""
    require_manage_day(actor, day)
    require_not_own(actor, row.user)
    reason = (reason or "").strip()
    if not reason:
        message = _("Give the reason for the reversal.")
        raise ValidationFailed(message, {"reason": [message]})
    done = db.session.execute(
        sa.update(Attendance).where(Attendance.id == row.id, Attendance.counts)
        .values(reversed_at=now or utcnow(), reversed_by_id=actor.id)
        .execution_options(synchronize_session=False)).rowcount
    if not done:
        raise Conflict(_("Only approved hours that stand can be reversed."), code="not_reversible")
    db.session.refresh(row)
    credits.reverse_mint(row, actor, reason)
    audit.record(actor, "attendance.reverse", row, reason=reason, before=_snapshot(row))
    return row


# --- volunteers' hours ---------------------------------------------------------------------

def _star_thresholds(user) -> tuple[int, ...]:
    """The thresholds of the volunteer's centre (national defaults for someone without a station)."""
    profile = user.profile
    if profile is None:
        return tuple(DEFAULT_SETTINGS[f"star_{n}"] for n in range(1, 6))
    return settings_of(profile.home_station).star_thresholds


def star_level(hours: float, thresholds: tuple[int, ...]) -> int:
    return sum(1 for threshold in thresholds if hours >= threshold)


def next_star(hours: float, thresholds: tuple[int, ...]) -> int | None:
    return next((t for t in thresholds if hours < t), None)


def approved_attendance(user) -> list[Attendance]:
    """The person's approved, standing records, newest first, each with its service day loaded."""
    return db.session.scalars(
        sa.select(Attendance).join(Attendance.service_day).options(contains_eager(Attendance.service_day))
        .where(Attendance.user_id == user.id, Attendance.counts)
        .order_by(ServiceDay.starts_at.desc())).all()


def hours_summary(user, now: datetime | None = None) -> dict:
    """Approved hours, all time and this (local) year, and the star level they give: one query."""
    tz = local_tz()
    year_start = datetime((now or utcnow()).astimezone(tz).year, 1, 1, tzinfo=tz)
    total, this_year = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(Attendance.credited_minutes), 0),
                  sa.func.coalesce(sa.func.sum(sa.case((ServiceDay.starts_at >= year_start,
                                                        Attendance.credited_minutes), else_=0)), 0))
        .join(Attendance.service_day).where(Attendance.user_id == user.id, Attendance.counts)).one()
    hours, thresholds = int(total) / 60, _star_thresholds(user)
    return {"total_hours": hours, "year_hours": int(this_year) / 60, "star_level": star_level(hours, thresholds),
            "next_star_hours": next_star(hours, thresholds)}


def weekly_hours(user, weeks: int = 8, now: datetime | None = None) -> tuple[list[str], list[float]]:
    """Approved hours in each of the last ``weeks`` local weeks (Monday first), oldest first."""
    first = week_start(local_date(now or utcnow())) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, datetime.min.time(), tzinfo=local_tz())
    totals = [0] * weeks
    for starts_at, minutes in db.session.execute(
            sa.select(ServiceDay.starts_at, Attendance.credited_minutes).join(Attendance.service_day)
            .where(Attendance.user_id == user.id, Attendance.counts, ServiceDay.starts_at >= since)):
        index = (local_date(starts_at) - first).days // 7
        if 0 <= index < weeks:
            totals[index] += minutes
    labels = [(first + timedelta(weeks=i)).strftime("%m-%d") for i in range(weeks)]
    return labels, [minutes / 60 for minutes in totals]


def attendance_query(user) -> sa.Select:
    """The volunteer's attendance records with their service days, newest first (a page pages it)."""
    return (sa.select(Attendance).join(Attendance.service_day).options(contains_eager(Attendance.service_day))
            .where(Attendance.user_id == user.id).order_by(ServiceDay.starts_at.desc(), Attendance.id.desc()))


def my_attendance(user) -> list[Attendance]:
    return db.session.scalars(attendance_query(user)).all()


def get_attendance(day: ServiceDay, attendance_id: int) -> Attendance:
    row = db.session.get(Attendance, attendance_id)
    if row is None or row.service_day_id != day.id:
        raise NotFound(_("No such attendance record."))
    return row


def today_for(actor, now: datetime | None = None) -> dict:
    """A manager's morning: the service days held today where they manage, with who is on site and who
    has left, and the records waiting for approval across what they manage."""
    now = now or utcnow()
    start = datetime.combine(local_date(now), datetime.min.time(), tzinfo=local_tz())
    roots = managed_roots(actor)
    if not roots:
        return {"days": [], "pending": 0}
    days = db.session.scalars(list_service_days(roots=roots, start=start, end=start + timedelta(days=1))
                              .where(ServiceDay.starts_at >= start)).all()
    counts = {(day_id, status): n for day_id, status, n in db.session.execute(
        sa.select(Attendance.service_day_id, Attendance.status, sa.func.count())
        .where(Attendance.service_day_id.in_([day.id for day in days]), Attendance.reversed_at.is_(None))
        .group_by(Attendance.service_day_id, Attendance.status)).all()} if days else {}
    pending = db.session.scalar(
        sa.select(sa.func.count()).select_from(Attendance).join(ServiceDay).join(Node, Node.id == ServiceDay.node_id)
        .where(Attendance.status == A.CLOSED, Attendance.approved_at.is_(None), Attendance.rejected_at.is_(None),
               Attendance.reversed_at.is_(None), in_any_subtree(roots)))
    return {"days": [{"day": day, "on_site": counts.get((day.id, A.OPEN), 0),
                      "left": counts.get((day.id, A.CLOSED), 0)} for day in days], "pending": pending}
