"""Flask-Login wiring: sessions for pages, bearer tokens for the API."""
from flask import Flask, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_smorest import abort

from volunteer_hub.core.api import bearer_token
from volunteer_hub.extensions import db, login_manager
from volunteer_hub.people import services
from volunteer_hub.people.models import User


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "people.login"
    login_manager.login_message = _l("Please log in to continue.")

    @login_manager.user_loader
    def load_user(user_id: str):
        # The API authenticates by bearer token only: a browser's cookie must not
        # authorise cross-site writes to CSRF-exempt endpoints.
        if request.path.startswith("/api/"):
            return None
        user = db.session.get(User, int(user_id))
        return user if user is not None and user.active else None

    @login_manager.request_loader
    def load_from_token(_request):
        raw = bearer_token()
        return services.user_for_token(raw) if raw else None

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            abort(401, message="Authentication required.")
        return redirect(url_for("people.login", next=request.full_path))
