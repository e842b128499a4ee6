"""Messages translated when they are read, not when they are sent: an inbox message keeps its catalogue
entry and parameters, so a reader who switches to English reads it in English, with times in the
local time zone and the reader's format. Times and dates are kept as such, not as text."""
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import format_date, format_datetime
from flask_babel import gettext as _

from volunteer_hub.core.db import local_tz


@dataclass(frozen=True)
class Later:
    """A catalogue entry (its English msgid) and its parameters."""

    msgid: str
    params: dict = field(default_factory=dict)

    def stored(self) -> list:
        return [self.msgid, {name: _plain(value) for name, value in self.params.items()}]

    def __str__(self) -> str:
        return render(self.stored())


def later(msgid: str, **params) -> Later:
    """Mark a message for translation when read (``make i18n`` extracts ``later`` as a keyword)."""
    return Later(msgid, params)


def _plain(value):
    if isinstance(value, datetime):
        return {"time": value.isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    return value if isinstance(value, int | float) and not isinstance(value, bool) else str(value)


def _shown(value):
    if isinstance(value, dict) and "time" in value:
        return format_datetime(datetime.fromisoformat(value["time"]).astimezone(local_tz()), "short")
    if isinstance(value, dict) and "date" in value:
        return format_date(date.fromisoformat(value["date"]), "medium")
    return value


def render(stored: list | None, fallback: str = "") -> str:
    """A stored message in the current language; ``fallback`` (the text stored before messages kept
    their catalogue entry) when there is none."""
    if not stored:
        return fallback
    msgid, params = stored
    return _(msgid, **{name: _shown(value) for name, value in params.items()})
