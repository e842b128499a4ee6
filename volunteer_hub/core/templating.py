"""Jinja filters and globals shared by every page."""
from flask import Flask, current_app
from flask_babel import format_datetime, get_locale
from flask_login import current_user

from volunteer_hub.core import permissions
from volunteer_hub.core.permissions import staffed_merchant_ids
from volunteer_hub.core.validators import mask_name, mask_phone


def init_app(app: Flask) -> None:
    app.jinja_env.filters["localtime"] = lambda value, fmt="yyyy-MM-dd HH:mm": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["mask_phone"] = mask_phone
    app.jinja_env.filters["mask_name"] = mask_name

    @app.context_processor
    def globals_for_pages():
        return {
            "languages": current_app.config["LANGUAGES"],
            "locale": get_locale().language,
            "is_manager": permissions.is_manager(current_user) if current_user.is_authenticated else False,
            "is_merchant_staff": bool(staffed_merchant_ids(current_user)),
        }
