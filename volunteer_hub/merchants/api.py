"""JSON API of 文明商户: apply, approve and pair, staff, offers."""
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.errors import ValidationFailed
from volunteer_hub.core.pagination import page_of
from volunteer_hub.merchants import services
from volunteer_hub.merchants.schemas import (
    InvitationOut,
    MerchantIn,
    MerchantOut,
    OfferIn,
    OfferOut,
    OfferPatch,
    PairingIn,
    StaffIn,
    StaffOut,
    SuspendIn,
)
from volunteer_hub.nodes.services import get_node

blp = Blueprint("merchants_api", __name__, url_prefix="/api/v1/merchants", description="文明商户")


def _centre_for(centre_id):
    if centre_id is not None:
        return get_node(centre_id)
    if current_user.profile is not None:
        return get_node(current_user.profile.home_station.centre_id)
    message = _("Say which practice centre the merchant applies to.")
    raise ValidationFailed(message, {"centre_id": [message]})


@blp.route("")
class Merchants(MethodView):
    decorators = [auth_required]

    @blp.response(200, MerchantOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Merchants you may see: paired with your station, yours, or your centre's."""
        return page_of(services.list_merchants(current_user), pagination_parameters)

    @blp.arguments(MerchantIn)
    @blp.response(201, MerchantOut)
    def post(self, data):
        """申请: apply as a 文明商户; you become its owner and first staff account."""
        centre = _centre_for(data.pop("centre_id"))
        merchant = services.register_merchant(current_user, centre=centre, owner=current_user, **data)
        return merchant


@blp.route("/<int:merchant_id>/approve", methods=["POST"])
@auth_required
@blp.arguments(PairingIn)
@blp.response(200, MerchantOut)
def approve(data, merchant_id):
    """审核并结对: a centre admin approves the merchant and pairs it with stations."""
    merchant = services.approve(current_user, services.get_merchant(merchant_id), data["station_ids"])
    return merchant


@blp.route("/<int:merchant_id>/staff")
class Staff(MethodView):
    decorators = [auth_required]

    @blp.response(200, StaffOut)
    def get(self, merchant_id):
        """Who works at the counter, and open invitations (the owner and centre admins)."""
        return services.staff_of(current_user, services.get_merchant(merchant_id))

    @blp.arguments(StaffIn)
    @blp.response(201, InvitationOut)
    def post(self, data, merchant_id):
        """店员邀请 (the owner or a centre admin, approved merchants only): the phone's holder accepts or
        declines; someone without an account is told by text message to register first."""
        return services.invite_staff(current_user, services.get_merchant(merchant_id), data["phone"])


@blp.route("/<int:merchant_id>/staff/<int:user_id>", methods=["DELETE"])
@auth_required
@blp.response(204)
def remove_staff(merchant_id, user_id):
    """Take a person off the counter (the owner stays)."""
    services.remove_staff(current_user, services.get_merchant(merchant_id), user_id)


@blp.route("/<int:merchant_id>/<any(suspend, reinstate):action>", methods=["POST"])
@auth_required
@blp.arguments(SuspendIn)
@blp.response(200, MerchantOut)
def suspend(data, merchant_id, action):
    """A centre admin suspends (``reason`` required) or reinstates the merchant."""
    return services.set_suspended(current_user, services.get_merchant(merchant_id), suspended=action == "suspend",
                                  reason=data["reason"])


@blp.route("/invitations", methods=["GET"])
@auth_required
@blp.response(200, InvitationOut(many=True))
def my_invitations():
    """Open invitations to my phone."""
    return services.invitations_for(current_user)


@blp.route("/invitations/<int:invitation_id>/<any(accept, decline):answer>", methods=["POST"])
@auth_required
@blp.response(200, InvitationOut)
def answer_invitation(invitation_id, answer):
    """Accept (you become staff) or decline an invitation to your phone."""
    return services.answer_invitation(current_user, services.get_invitation_for(current_user, invitation_id),
                                      accept=answer == "accept")


@blp.route("/<int:merchant_id>/offers")
class Offers(MethodView):
    decorators = [auth_required]

    @blp.response(200, OfferOut(many=True))
    def get(self, merchant_id):
        """Offers: all for the merchant's staff and centre admins, open ones for volunteers."""
        return services.list_offers(services.get_merchant(merchant_id), current_user)

    @blp.arguments(OfferIn)
    @blp.response(201, OfferOut)
    def post(self, data, merchant_id):
        """物品/服务 (the merchant's staff)."""
        offer = services.create_offer(current_user, services.get_merchant(merchant_id), **data)
        return offer


@blp.route("/<int:merchant_id>/offers/<int:offer_id>", methods=["PATCH"])
@auth_required
@blp.arguments(OfferPatch)
@blp.response(200, OfferOut)
def update_offer(data, merchant_id, offer_id):
    """编辑 / 补货 / 下架 (the merchant's staff), audited."""
    merchant = services.get_merchant(merchant_id)
    return services.update_offer(current_user, services.get_offer_of(merchant, offer_id), **data)
