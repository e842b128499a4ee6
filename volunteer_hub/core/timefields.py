"""Date and time fields for forms and API schemas: pages speak the centre's time zone, the database
UTC, and only years the platform can mean are accepted (2000–2099). Without the range, an instant
such as 9999-12-31T20:00-14:00 is valid ISO 8601 but overflows when turned into UTC."""
from datetime import date, datetime

import marshmallow as ma
from flask_babel import lazy_gettext as _l
from wtforms import DateTimeLocalField, ValidationError

from volunteer_hub.core.db import local_tz

FIRST_YEAR, LAST_YEAR = 2000, 2099
OUT_OF_RANGE = _l("Give a date between the years 2000 and 2099.")


def in_range(value: date | datetime) -> bool:
    """Checked on the written value, before any time-zone arithmetic can overflow."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def parse_day(text: str) -> date:
    """An ISO day (2026-11-23) in range; ValueError for anything else."""
    day = date.fromisoformat(text)
    if not in_range(day):
        raise ValueError(f"{text} is outside {FIRST_YEAR}–{LAST_YEAR}")
    return day


def aware(value: datetime | None) -> datetime | None:
    """A naive local time from a form, as an aware time in the configured zone."""
    return value.replace(tzinfo=local_tz()) if value is not None else None


class LocalDateTimeField(DateTimeLocalField):
    """``<input type="datetime-local">`` whose data is timezone-aware in the centre's zone."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = aware(self.data)

    def pre_validate(self, form):
        if self.data is not None and not in_range(self.data):
            self.data = None
            raise ValidationError(str(OUT_OF_RANGE))

    def _value(self):
        return self.data.astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M") if self.data else ""


def _in_range(value) -> None:
    if not in_range(value):
        raise ma.ValidationError(str(OUT_OF_RANGE))


class Instant(ma.fields.AwareDateTime):
    """An ISO 8601 instant with its offset, in 2000–2099."""

    def __init__(self, **kwargs):
        super().__init__(validate=_in_range, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        written = ma.fields.DateTime._deserialize(self, value, attr, data, **kwargs)
        _in_range(written)  # before AwareDateTime's own conversions
        return super()._deserialize(value, attr, data, **kwargs)


class Day(ma.fields.Date):
    """A calendar day in 2000–2099."""

    def __init__(self, **kwargs):
        super().__init__(validate=_in_range, **kwargs)
