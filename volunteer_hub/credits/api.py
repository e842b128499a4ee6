"""JSON API of 文明良票: my wallet, and managers' manual adjustments."""
from flask import make_response, request
from flask.views import MethodView
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.credits import services
from volunteer_hub.credits.models import GrantRequest
from volunteer_hub.credits.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    DecisionIn,
    GrantRequestOut,
    PolicyIn,
    PolicyOut,
    WalletOut,
)
from volunteer_hub.extensions import db
from volunteer_hub.nodes.services import get_node
from volunteer_hub.people.services import get_user

blp = Blueprint("credits_api", __name__, url_prefix="/api/v1", description="文明良票")

MAX_ENTRIES = 100


@blp.route("/me/wallet", methods=["GET"])
@auth_required
@blp.response(200, WalletOut)
def my_wallet():
    """My balance, what open vouchers hold, what is available, and my latest entries (newest first).

    Reads only: a voucher past its time holds its credits until the expire-vouchers job (every
    minute) or the volunteer's next voucher releases them, here as on the my-hours page."""
    summary = services.wallet_summary(current_user)
    entries = db.session.scalars(services.entries_query(summary["account_id"]).limit(MAX_ENTRIES)).all()
    return {**summary, "entries": entries}


@blp.route("/credits/adjustments", methods=["POST"])
@auth_required
@blp.arguments(AdjustmentIn)
@blp.response(201, AdjustmentOut)
@blp.alt_response(202, schema=GrantRequestOut, description="Above the centre's threshold: awaits a second manager")
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string"},
                      "description": "repeat a request safely: the same key posts once"}])
def adjust(data):
    """手工调整 by a manager of the volunteer's station: grant (+) or claw back (−), with a reason."""
    user = get_user(data["user_id"])
    key = request.headers.get("Idempotency-Key")
    result = services.adjust(current_user, user, data["credits"], data["reason"],
                             key=f"adjust:{current_user.id}:{key}" if key else None)
    if isinstance(result, GrantRequest):
        # Not the 201 body: a Response passes flask-smorest's serialisation as it is.
        return make_response(GrantRequestOut().dump(result), 202)
    return {"id": result.id, "kind": result.kind, "user_id": user.id,
            "balance": services.wallet_summary(user)["balance"]}


@blp.route("/credits/grant-requests", methods=["GET"])
@auth_required
@blp.response(200, GrantRequestOut(many=True))
def grant_requests():
    """Grants above the centre's threshold that wait for you as the second manager."""
    return services.grant_requests_for(current_user)


@blp.route("/credits/grant-requests/<int:request_id>/<any(approve, reject):decision>", methods=["POST"])
@auth_required
@blp.arguments(DecisionIn)
@blp.response(200, GrantRequestOut)
def decide_grant(data, request_id, decision):
    """The second manager approves (the grant posts) or rejects it (``reason`` required)."""
    return services.decide_grant(current_user, services.get_grant_request(request_id),
                                 approve=decision == "approve", reason=data["reason"])


@blp.route("/centres/<int:centre_id>/credit-policy")
class CreditPolicy(MethodView):
    decorators = [auth_required]

    @blp.response(200, PolicyOut)
    def get(self, centre_id):
        """Whether the centre's credits expire (centre admins)."""
        centre = get_node(centre_id)
        services.require_policy_admin(current_user, centre)
        return services.policy_of(centre)

    @blp.arguments(PolicyIn)
    @blp.response(200, PolicyOut)
    def put(self, data, centre_id):
        """Set expiry: ``none``, or ``end_of_next_year`` (FIFO, volunteers warned ``warn_days`` ahead)."""
        policy = services.set_policy(current_user, get_node(centre_id), **data)
        return policy
