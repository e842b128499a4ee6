"""服务评价: those who took part in a service day (checked in, record not reversed) rate it 1–5
with a comment once it has ended; rating again changes one's rating. Those who run the day see the
average and the comments (without names: an honest comment should not cost a volunteer)."""
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.checkin.models import Attendance, DayRating
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Forbidden, ValidationFailed
from volunteer_hub.events.models import ServiceDay
from volunteer_hub.events.services import require_run
from volunteer_hub.extensions import db


def took_part(user, day: ServiceDay) -> bool:
    return db.session.scalar(sa.select(sa.exists().where(
        Attendance.service_day_id == day.id, Attendance.user_id == user.id, Attendance.reversed_at.is_(None))))


def rating_of(day: ServiceDay, user) -> DayRating | None:
    return db.session.scalar(sa.select(DayRating).where(DayRating.service_day_id == day.id,
                                                        DayRating.user_id == user.id))


def may_rate(user, day: ServiceDay, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= day.ends_at and not day.is_cancelled and took_part(user, day)


def rate(user, day: ServiceDay, *, stars: int, comment: str = "", now: datetime | None = None) -> DayRating:
    now = now or utcnow()
    if not took_part(user, day):
        raise Forbidden(_("Only volunteers who took part in this service day can rate it."))
    comment = (comment or "").strip()
    errors = {}
    if now < day.ends_at or day.is_cancelled:
        errors["stars"] = [_("A service day is rated after it has ended.")]
    elif not isinstance(stars, int) or isinstance(stars, bool) or not 1 <= stars <= 5:
        errors["stars"] = [_("Give 1 to 5 stars.")]
    if len(comment) > 500:
        errors["comment"] = [_("A comment is at most 500 characters.")]
    if errors:
        raise ValidationFailed(_("The rating is not valid."), errors)
    rating = rating_of(day, user)
    if rating is None:
        rating = DayRating(service_day_id=day.id, user_id=user.id, stars=stars, comment=comment, created_at=now)
        db.session.add(rating)
    else:
        rating.stars, rating.comment = stars, comment
    db.session.flush()
    return rating


def summary(actor, day: ServiceDay) -> dict:
    """For those who run the day: how many rated, the average, and the comments (newest first)."""
    require_run(actor, day)
    count, average = db.session.execute(sa.select(sa.func.count(), sa.func.avg(DayRating.stars))
                                         .where(DayRating.service_day_id == day.id)).one()
    comments = db.session.scalars(sa.select(DayRating).where(DayRating.service_day_id == day.id,
                                                             DayRating.comment != "")
                                  .order_by(DayRating.id.desc()).limit(50)).all()
    return {"count": count, "average": round(float(average), 2) if average is not None else None,
            "comments": comments}
