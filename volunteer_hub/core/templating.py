"""Jinja filters and globals shared by every page."""
from datetime import UTC, datetime

from flask import Flask, current_app
from flask_babel import format_datetime, get_locale, get_timezone, pgettext
from flask_babel import gettext as _
from flask_login import current_user

from volunteer_hub.core import permissions
from volunteer_hub.core.permissions import staffed_merchant_ids
from volunteer_hub.core.validators import mask_name, mask_phone


def hours_text(value) -> str:
    """Hours as people write them: at most two decimals, no trailing zeros (3, 2.5, 0.07; never 3.0 or -0)."""
    text = f"{round(float(value or 0), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def listed(items) -> str:
    """Items in a line, with the reader's separator (、 in Chinese, a comma in English)."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def countdown(when, now) -> str:
    """How long until ``when``, in the words of a phone app (还有 2 天 3 小时)."""
    seconds = int((when - now).total_seconds())
    if seconds <= 0:
        return _("Under way")
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    if days:
        return _("In %(d)s days %(h)s hours", d=days, h=hours)
    if hours:
        return _("In %(h)s hours %(m)s minutes", h=hours, m=minutes)
    return _("In %(m)s minutes", m=max(minutes, 1))


# Patterns of digits only read the same in every language: strftime gives Babel's result in a tenth
# of its time (a list of 30 rows formats 30 times).
_DIGITS_ONLY = {"yyyy-MM-dd HH:mm": "%Y-%m-%d %H:%M", "yyyy-MM-dd": "%Y-%m-%d", "HH:mm": "%H:%M",
                "MM-dd HH:mm": "%m-%d %H:%M"}


def localtime(value, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A moment in the reader's time zone (stored times are UTC, naive ones too)."""
    if not value:
        return ""
    if isinstance(value, datetime) and fmt in _DIGITS_ONLY:
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(get_timezone()).strftime(_DIGITS_ONLY[fmt])
    return format_datetime(value, fmt)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["mask_name"] = mask_name
    app.jinja_env.filters["hours"] = hours_text
    app.jinja_env.globals["countdown"] = countdown
    app.jinja_env.filters["listed"] = listed

    @app.context_processor
    def globals_for_pages():
        return {
            "languages": current_app.config["LANGUAGES"],
            "locale": get_locale().language,
            "is_manager": permissions.is_manager(current_user) if current_user.is_authenticated else False,
            "is_merchant_staff": bool(staffed_merchant_ids(current_user)),
        }
