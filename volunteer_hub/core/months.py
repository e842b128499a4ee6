"""Calendar months in local time (monthly limits, settlements, the anomaly board)."""
from datetime import datetime, timedelta

from flask_babel import gettext as _

from volunteer_hub.core.db import local_tz, utcnow
from volunteer_hub.core.errors import ValidationFailed
from volunteer_hub.core.timefields import in_range


def month_start(now: datetime) -> datetime:
    """The start of ``now``'s local calendar month."""
    return now.astimezone(local_tz()).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_bounds(month: str | None, now: datetime | None = None) -> tuple[datetime, datetime]:
    """``"2026-11"`` (default: this month) → its start and the next month's start, in local time."""
    if month:
        try:
            start = datetime.strptime(month, "%Y-%m").replace(tzinfo=local_tz())
            if not in_range(start):
                raise ValueError(month)
        except ValueError:
            message = _("Give the month as YYYY-MM.")
            raise ValidationFailed(message, {"month": [message]}) from None
    else:
        start = month_start(now or utcnow())
    return start, (start + timedelta(days=32)).replace(day=1)
