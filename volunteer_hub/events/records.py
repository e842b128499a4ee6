"""活动台账: after (or while) a service day is held, whoever runs it records what happened — a short
summary, up to 9 photos, the number of people served — for the day's page, the statistics and a
link to share in the WeChat group. Photos are checked by their bytes and re-encoded (resized,
turned upright, metadata dropped) before they are stored."""
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.core import audit
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import NotFound, ValidationFailed
from volunteer_hub.core.images import NotAnImage, resized_jpeg
from volunteer_hub.events.models import ActivityPhoto, ActivityRecord, ServiceDay
from volunteer_hub.events.services import require_run
from volunteer_hub.extensions import db

MAX_PHOTOS = 9
MAX_PHOTO_BYTES = 15 * 1024 * 1024  # straight from a phone's camera
MAX_SUMMARY = 2000
MAX_PEOPLE_SERVED = 1_000_000


def record_of(day: ServiceDay) -> ActivityRecord | None:
    return db.session.get(ActivityRecord, day.id)


def _errors(day: ServiceDay, summary: str, people_served, photos: list[bytes], kept: int, now: datetime) -> dict:
    errors = {}
    if day.is_cancelled:
        errors["summary"] = [_("A cancelled service day has no activity record.")]
    elif now < day.starts_at:
        errors["summary"] = [_("The activity record is written once the service day has begun.")]
    elif not 1 <= len(summary) <= MAX_SUMMARY:
        errors["summary"] = [_("Write what happened in 1 to 2000 characters.")]
    if not isinstance(people_served, int) or isinstance(people_served, bool) \
            or not 0 <= people_served <= MAX_PEOPLE_SERVED:
        errors["people_served"] = [_("People served is a whole number from 0 to 1,000,000.")]
    if kept + len(photos) > MAX_PHOTOS:
        errors["photos"] = [_("At most 9 photos per activity (%(kept)s already kept).", kept=kept)]
    elif any(len(data) > MAX_PHOTO_BYTES for data in photos):
        errors["photos"] = [_("A photo is at most 15 MB.")]
    return errors


def _encoded(photos: list[bytes]) -> list[tuple[bytes, int, int]]:
    encoded = []
    for number, data in enumerate(photos, start=1):
        try:
            encoded.append(resized_jpeg(data))
        except NotAnImage:
            message = _("Photo %(n)s is not a PNG or JPEG image that can be opened.", n=number)
            raise ValidationFailed(message, {"photos": [message]}) from None
    return encoded


def save_record(actor, day: ServiceDay, *, summary: str, people_served: int, photos: list[bytes] = (),
                remove_photo_ids=(), now: datetime | None = None) -> ActivityRecord:
    """Write or change the day's record: new photos are added, ``remove_photo_ids`` taken away.
    Audited with before and after (photos by count)."""
    require_run(actor, day)
    now = now or utcnow()
    record = record_of(day)
    summary, photos = (summary or "").strip(), [data for data in photos if data]
    removing = {photo.id for photo in (record.photos if record else []) if photo.id in set(remove_photo_ids)}
    kept = len(record.photos) - len(removing) if record else 0
    errors = _errors(day, summary, people_served, photos, kept, now)
    if errors:
        raise ValidationFailed(_("The activity record is not valid."), errors)
    encoded = _encoded(photos)
    before = _snapshot(record)
    if record is None:
        record = ActivityRecord(service_day_id=day.id, share_token=secrets.token_urlsafe(16), summary=summary,
                                created_at=now)
        db.session.add(record)
    record.summary, record.people_served, record.recorded_by_id, record.updated_at = (
        summary, people_served, actor.id, now)
    record.photos = [photo for photo in record.photos if photo.id not in removing] + [
        ActivityPhoto(content=data, width=width, height=height, created_at=now) for data, width, height in encoded]
    db.session.flush()
    audit.record(actor, "activity.record", day, before=before, after=_snapshot(record))
    return record


def _snapshot(record: ActivityRecord | None) -> dict | None:
    if record is None:
        return None
    return {"summary": record.summary, "people_served": record.people_served, "photos": len(record.photos)}


def new_share_link(actor, day: ServiceDay) -> ActivityRecord:
    """A new share link; the old one stops working (a link forwarded too far)."""
    require_run(actor, day)
    record = record_of(day)
    if record is None:
        raise NotFound(_("This service day has no activity record yet."))
    record.share_token = secrets.token_urlsafe(16)
    audit.record(actor, "activity.share_link_renewed", day)
    db.session.flush()
    return record


def shared(token: str) -> ActivityRecord:
    """The record behind a share link (anyone with the link)."""
    record = db.session.scalar(sa.select(ActivityRecord).where(ActivityRecord.share_token == (token or "")[:32]))
    if record is None or record.service_day.is_cancelled:
        raise NotFound(_("This link does not lead to an activity record (it may have been replaced)."))
    return record


def photo_of(record: ActivityRecord, photo_id: int) -> ActivityPhoto:
    photo = next((p for p in record.photos if p.id == photo_id), None)
    if photo is None:
        raise NotFound(_("No such photo."))
    return photo
