"""Form fields for local date-times: pages speak the centre's time zone, the database UTC."""
from datetime import datetime

from wtforms import DateTimeLocalField

from volunteer_hub.core.db import local_tz


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
