"""Filters every page uses."""
from datetime import UTC, datetime

import pytest
from flask import session
from flask_babel import format_datetime

from volunteer_hub import create_app
from volunteer_hub.core.templating import _DIGITS_ONLY, hours_text, localtime


@pytest.mark.parametrize("value, shown", [(3.0, "3"), (2.5, "2.5"), (1 / 15, "0.07"), (0, "0"), (None, "0"),
                                          (-0.0001, "0"), (12.345, "12.35"), (1000, "1000")])
def test_hours_are_shown_as_people_write_them(value, shown):
    assert hours_text(value) == shown


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Asia/Urumqi", "America/New_York"])
def test_times_of_digits_only_read_as_babel_writes_them(zone):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://", "TIMEZONE": zone})
    moments = [datetime(2026, 11, 21, 17, 5, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, tzinfo=UTC),
               datetime(2026, 3, 8, 7, 30, tzinfo=UTC), datetime(2026, 6, 1, 0, 0)]  # the last naive, as SQLite
    for lang in ("zh_CN", "en"):
        with app.test_request_context("/"):
            session["lang"] = lang
            for moment in moments:
                for pattern in _DIGITS_ONLY:
                    assert localtime(moment, pattern) == format_datetime(moment, pattern)
            assert localtime(moments[0], "MMM") == format_datetime(moments[0], "MMM")  # words: Babel's
            assert localtime(None) == ""
