"""JSON API: tokens, self-registration, the current user."""
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import abort

from volunteer_hub.core import limits
from volunteer_hub.core.api import Blueprint, auth_required, bearer_token
from volunteer_hub.core.errors import ErrorSchema
from volunteer_hub.extensions import db
from volunteer_hub.people import services
from volunteer_hub.people.schemas import ProfilePatch, TokenIn, TokenOut, UserOut, VolunteerIn

blp = Blueprint("people_api", __name__, url_prefix="/api/v1", description="账号与志愿者")


@blp.route("/auth/token")
class Token(MethodView):
    @blp.doc(security=[])
    @limits.login
    @blp.arguments(TokenIn)
    @blp.response(201, TokenOut)
    @blp.alt_response(429, schema=ErrorSchema, description="Too many attempts, or the account is locked")
    def post(self, data):
        """Exchange phone and password for a bearer token (rate-limited; repeated failures lock the account)."""
        user = services.authenticate(data["phone"], data["password"])
        db.session.commit()  # a failure counts towards the lock-out
        if user is None:
            abort(401, message=_("Wrong phone number or password."))
        raw, token = services.issue_token(user)
        db.session.commit()
        return {"token": raw, "expires_at": token.expires_at, "user": user}

    @auth_required
    @blp.response(204)
    def delete(self):
        """Revoke the bearer token of this request."""
        raw = bearer_token()
        if raw:
            services.revoke_token(raw)
            db.session.commit()


@blp.route("/volunteers")
class Volunteers(MethodView):
    @blp.doc(security=[])
    @blp.arguments(VolunteerIn)
    @blp.response(201, UserOut)
    def post(self, data):
        """志愿者注册: self-registration; the ID number comes back masked."""
        user = services.register_volunteer(**data)
        db.session.commit()
        return user


@blp.route("/me")
class Me(MethodView):
    decorators = [auth_required]

    @blp.response(200, UserOut)
    def get(self):
        return current_user

    @blp.arguments(ProfilePatch, required=False)  # every field optional: no body changes nothing
    @blp.response(200, UserOut)
    def patch(self, data):
        services.update_profile(current_user, **data)
        db.session.commit()
        return current_user
