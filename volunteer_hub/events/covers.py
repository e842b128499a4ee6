"""封面: the picture a service day's card and page lead with, as volunteers know from 志愿汇. Chosen by
whoever runs the day, checked by its bytes and re-encoded like activity photos (resized, turned upright,
metadata dropped); a copied day (再办一次) keeps its original's cover. A day without one shows a
coloured tile of its date instead."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.core import audit
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import ValidationFailed
from volunteer_hub.core.images import NotAnImage, resized_jpeg
from volunteer_hub.events.models import ServiceDay, ServiceDayCover
from volunteer_hub.events.services import require_run
from volunteer_hub.extensions import db

MAX_COVER_BYTES = 15 * 1024 * 1024  # straight from a phone's camera
LONGEST_SIDE = 1200


def cover_of(day: ServiceDay) -> ServiceDayCover | None:
    return db.session.get(ServiceDayCover, day.id)


def stamp(updated_at: datetime) -> int:
    """A cover's version, for its URL and ETag: a changed cover is a new URL."""
    return int(updated_at.timestamp())


def version_of(day: ServiceDay) -> int | None:
    cover = cover_of(day)
    return stamp(cover.updated_at) if cover else None


def versions(day_ids) -> dict[int, int]:
    """For cards: which of these days have a cover, each with a version for its URL (a changed cover
    is a new URL, so phones may keep the old one cached)."""
    if not day_ids:
        return {}
    rows = db.session.execute(sa.select(ServiceDayCover.service_day_id, ServiceDayCover.updated_at)
                              .where(ServiceDayCover.service_day_id.in_(list(day_ids))))
    return {day_id: stamp(updated) for day_id, updated in rows}


def _store(actor, day: ServiceDay, content: bytes, width: int, height: int, now: datetime) -> ServiceDayCover:
    cover = cover_of(day)
    before = {"cover": cover is not None}
    if cover is None:
        cover = ServiceDayCover(service_day_id=day.id)
        db.session.add(cover)
    cover.content, cover.width, cover.height, cover.updated_at = content, width, height, now
    db.session.flush()
    audit.record(actor, "service_day.cover", day, before=before, after={"cover": True, "bytes": len(content)})
    return cover


def set_cover(actor, day: ServiceDay, data: bytes, now: datetime | None = None) -> ServiceDayCover:
    """Give the day a new cover from an uploaded PNG or JPEG."""
    require_run(actor, day)
    if len(data) > MAX_COVER_BYTES:
        raise ValidationFailed(_("A cover is at most 15 MB."), {"cover": [_("A cover is at most 15 MB.")]})
    try:
        content, width, height = resized_jpeg(data, longest_side=LONGEST_SIDE)
    except NotAnImage:
        message = _("The cover is not a PNG or JPEG image that can be opened.")
        raise ValidationFailed(message, {"cover": [message]}) from None
    return _store(actor, day, content, width, height, now or utcnow())


def copy_cover(actor, original: ServiceDay, day: ServiceDay) -> ServiceDayCover | None:
    """再办一次: the new day starts with the original's cover, if it had one."""
    require_run(actor, original)
    require_run(actor, day)
    cover = cover_of(original)
    return _store(actor, day, cover.content, cover.width, cover.height, utcnow()) if cover else None


def remove_cover(actor, day: ServiceDay) -> None:
    require_run(actor, day)
    cover = cover_of(day)
    if cover is not None:
        db.session.delete(cover)
        db.session.flush()
        audit.record(actor, "service_day.cover", day, before={"cover": True}, after={"cover": False})
