"""Form fields for local date-times: pages speak the centre's time zone, the database UTC."""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app
from wtforms import DateTimeLocalField


def local_tz() -> ZoneInfo:
    return ZoneInfo(current_app.config["TIMEZONE"])


def aware(value: datetime | None) -> datetime | None:
    """A naive local time from a form, as an aware time in the configured zone."""
    return value.replace(tzinfo=local_tz()) if value is not None else None


class LocalDateTimeField(DateTimeLocalField):
    """``<input type="datetime-local">`` whose data is timezone-aware in the centre's zone."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = aware(self.data)

    def _value(self):
        return self.data.astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M") if self.data else ""
