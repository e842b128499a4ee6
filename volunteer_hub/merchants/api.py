"""JSON API of 文明商户: apply, approve and pair, staff, offers."""
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.errors import ValidationFailed
from volunteer_hub.core.pagination import page_of
from volunteer_hub.merchants import services
from volunteer_hub.merchants.schemas import MerchantIn, MerchantOut, OfferIn, OfferOut, PairingIn, StaffIn, StaffOut
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


@blp.route("/<int:merchant_id>/staff", methods=["POST"])
@auth_required
@blp.arguments(StaffIn)
@blp.response(201, StaffOut)
def add_staff(data, merchant_id):
    """店员账号 (the centre admin or the merchant's owner)."""
    merchant = services.get_merchant(merchant_id)
    user = services.add_staff(current_user, merchant, **data)
    return {"id": user.id, "name": user.name, "merchant_id": merchant.id}


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
