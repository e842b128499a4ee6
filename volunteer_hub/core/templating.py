"""Jinja filters and globals shared by every page."""
from flask import Flask, current_app
from flask_babel import format_datetime, get_locale, pgettext
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


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = lambda value, fmt="yyyy-MM-dd HH:mm": (
        format_datetime(value, fmt) if value else ""
    )
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
