"""Flask-Login wiring: sessions for pages, bearer tokens for the API, and the device cookie.

A page session holds a random id (``sid``, revoked on logout), the account's session version (in
the user id, see ``User.get_id``), when it was last used and made, and its idle limit, fixed at
log-in by what the account runs (short for staff, long for a volunteer's own phone).
The device cookie is signed and says "this browser has logged in to account N": such a browser is
never held back by wrong passwords typed elsewhere (people.logins).
"""
import secrets
import time

from flask import Flask, after_this_request, current_app, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_smorest import abort
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.orm import joinedload

from volunteer_hub.core import crypto
from volunteer_hub.core.api import bearer_token
from volunteer_hub.core.limits import client_ip
from volunteer_hub.extensions import db, login_manager
from volunteer_hub.people import logins, services
from volunteer_hub.people.models import User, VolunteerProfile

DEVICE_COOKIE = "vh_device"
DEVICE_DAYS = 365
SEEN_EVERY_S = 60  # refresh the idle clock at most once a minute: fewer Set-Cookie headers


def _devices() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(crypto.signing_keys(), salt="login-device")


def device_of_request() -> tuple[int, str] | None:
    """(user id, device id) of a valid device cookie, or None."""
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return None
    try:
        data = _devices().loads(raw, max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("d"), str):
        return None
    return data["u"], data["d"]


def authenticate(phone: str, password: str) -> User | None:
    """people.logins.authenticate for this request's address and device."""
    return logins.authenticate(phone, password, address=client_ip(), device=device_of_request())


def start_session(user: User) -> None:
    """Log ``user`` in on this browser, which becomes a known device of the account."""
    login_user(user)
    now, config = int(time.time()), current_app.config
    idle = config["SESSION_IDLE_MINUTES"] if user.grants else config["SESSION_IDLE_MINUTES_PERSONAL"]
    session.update(sid=logins.new_session_id(), seen=now, born=now, idle=idle * 60)
    device = device_of_request()
    if device is None or device[0] != user.id:
        token = _devices().dumps({"u": user.id, "d": secrets.token_urlsafe(12)})

        @after_this_request
        def remember_device(response):
            config = current_app.config
            response.set_cookie(DEVICE_COOKIE, token, max_age=DEVICE_DAYS * 86400, httponly=True,
                                secure=config["SESSION_COOKIE_SECURE"], samesite="Lax")
            return response


def end_session() -> None:
    """退出登录: this session ends, and so does any copy of its cookie."""
    if current_user.is_authenticated and session.get("sid"):
        logins.revoke_session(current_user, session["sid"])
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _session_user(user_id: str) -> User | None:
    uid, _dot, version = user_id.partition(".")
    if not (uid.isdigit() and version.isdigit()):
        return None  # a cookie from before session versions
    now, config = int(time.time()), current_app.config
    seen, born = session.get("seen", 0), session.get("born", 0)
    idle = min(session.get("idle", 0), config["SESSION_IDLE_MINUTES_PERSONAL"] * 60)
    if now - seen > idle or now - born > config["SESSION_MAX_MINUTES"] * 60:
        return None
    # Every page asks for the roles (the menu) and most for the profile and its station: one statement.
    user = db.session.get(User, int(uid), options=[
        joinedload(User.grants), joinedload(User.profile).joinedload(VolunteerProfile.home_station)])
    if not logins.session_is_live(user, int(version), session.get("sid")):
        return None
    if now - seen >= SEEN_EVERY_S:
        session["seen"] = now
    return user


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
        return _session_user(user_id)

    @login_manager.request_loader
    def load_from_token(_request):
        raw = bearer_token()
        return services.user_for_token(raw) if raw else None

    @login_manager.unauthorized_handler
    def unauthorized():
        if request.path.startswith("/api/"):
            abort(401, message="Authentication required.")
        return redirect(url_for("people.login", next=request.full_path))
