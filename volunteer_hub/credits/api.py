"""JSON API of 文明良票: my wallet, and managers' manual adjustments."""
from flask import request
from flask.views import MethodView
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.credits import services
from volunteer_hub.credits.schemas import AdjustmentIn, AdjustmentOut, PolicyIn, PolicyOut, WalletOut
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
@blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False, "schema": {"type": "string"},
                      "description": "repeat a request safely: the same key posts once"}])
def adjust(data):
    """手工调整 by a manager of the volunteer's station: grant (+) or claw back (−), with a reason."""
    user = get_user(data["user_id"])
    key = request.headers.get("Idempotency-Key")
    transaction = services.adjust(current_user, user, data["credits"], data["reason"],
                                  key=f"adjust:{current_user.id}:{key}" if key else None)
    return {"id": transaction.id, "kind": transaction.kind, "user_id": user.id,
            "balance": services.wallet_summary(user)["balance"]}


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
