"""JSON API: tokens, self-registration, the current user."""
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user

from volunteer_hub.core import limits
from volunteer_hub.core.api import Blueprint, auth_required, bearer_token
from volunteer_hub.core.errors import ErrorSchema, refusal
from volunteer_hub.core.permissions import require_manage
from volunteer_hub.nodes.services import get_node
from volunteer_hub.people import logins, services, verification
from volunteer_hub.people.login import authenticate
from volunteer_hub.people.schemas import (
    ManagerIn,
    ManagerOut,
    PasswordChangeIn,
    PasswordResetIn,
    PhoneCodeIn,
    PhoneCodeOut,
    ProfilePatch,
    TokenIn,
    TokenOut,
    UserOut,
    VolunteerIn,
)

blp = Blueprint("people_api", __name__, url_prefix="/api/v1", description="账号与志愿者")


@blp.route("/auth/token")
class Token(MethodView):
    @blp.doc(security=[])
    @limits.login
    @blp.arguments(TokenIn)
    @blp.response(201, TokenOut)
    @blp.alt_response(429, schema=ErrorSchema, description="Too many attempts from this address, or this source "
                                                          "must wait after repeated wrong passwords")
    def post(self, data):
        """Exchange phone and password for a bearer token (rate-limited; wrong passwords earn this source a
        growing wait, never the account's owner on a device that has logged in before)."""
        user = authenticate(data["phone"], data["password"])
        if user is None:  # answered, not raised: the failure is kept and counts towards the delay
            return refusal(401, _("Wrong phone number or password."))
        raw, token = services.issue_token(user)
        return {"token": raw, "expires_at": token.expires_at, "user": user}

    @auth_required
    @blp.response(204)
    def delete(self):
        """Revoke the bearer token of this request."""
        raw = bearer_token()
        if raw:
            services.revoke_token(raw)


@blp.route("/auth/phone-codes", methods=["POST"])
@blp.doc(security=[])
@limits.phone_code
@blp.arguments(PhoneCodeIn)
@blp.response(202, PhoneCodeOut)
@blp.alt_response(429, schema=ErrorSchema, description="Too many codes for this phone or from this address")
def phone_code(data):
    """A one-time 6-digit code by text message, for ``register`` or ``reset`` (valid 5 minutes, 5 tries).
    The answer is the same whether or not the phone is registered."""
    verification.request_code(data["phone"], data["purpose"], limits.client_ip())
    return {"message": _("If this number can use it, a code is on its way; it is valid for 5 minutes.")}


@blp.route("/auth/password-reset", methods=["POST"])
@blp.doc(security=[])
@limits.phone_code
@blp.arguments(PasswordResetIn)
@blp.response(204)
def password_reset(data):
    """找回密码 with the code texted to the phone; every API token of the account ends."""
    verification.reset_password(**data)


@blp.route("/volunteers")
class Volunteers(MethodView):
    @blp.doc(security=[])
    @limits.registration
    @blp.arguments(VolunteerIn)
    @blp.response(201, UserOut)
    def post(self, data):
        """志愿者注册: self-registration with the code texted to the phone; the ID number comes back masked.
        A phone that already has an account gets no code, so the answer never tells who is registered."""
        return verification.register_volunteer(**data)


@blp.route("/me/password", methods=["POST"])
@auth_required
@blp.arguments(PasswordChangeIn)
@blp.response(204)
def change_password(data):
    """修改密码: every session and API token of the account ends, this one included."""
    logins.change_password(current_user._get_current_object(), data["current_password"], data["new_password"])


@blp.route("/me/sessions", methods=["DELETE"])
@auth_required
@blp.response(204)
def end_sessions():
    """在所有设备上退出: every session and API token of the account ends, this one included."""
    logins.end_all_sessions(current_user._get_current_object())


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
        return current_user


# --- who manages a node ---------------------------------------------------------------------

def _manager_out(user, node):
    return {"user_id": user.id, "name": user.name, "node_id": node.id}


@blp.route("/nodes/<int:node_id>/managers")
class NodeManagers(MethodView):
    decorators = [auth_required]

    @blp.response(200, ManagerOut(many=True))
    def get(self, node_id):
        """Managers of this node (managers of the node or above only)."""
        node = get_node(node_id)
        require_manage(current_user, node)
        return [_manager_out(user, node) for user in services.managers_of(node)]

    @blp.arguments(ManagerIn)
    @blp.response(201, ManagerOut)
    def post(self, data, node_id):
        """Appoint a manager of this node and everything below it."""
        node = get_node(node_id)
        user = services.get_user(data["user_id"])
        services.appoint_manager(current_user, node, user)
        return _manager_out(user, node)


@blp.route("/nodes/<int:node_id>/managers/<int:user_id>")
class NodeManager(MethodView):
    decorators = [auth_required]

    @blp.response(204)
    def delete(self, node_id, user_id):
        node = get_node(node_id)
        services.revoke_manager(current_user, node, services.get_user(user_id))
