"""JSON API of vouchers: volunteers make and cancel them, merchant staff look them up and confirm."""
from flask.views import MethodView
from flask_login import current_user

from volunteer_hub.core import limits
from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.limits import client_ip
from volunteer_hub.merchants.services import get_offer
from volunteer_hub.vouchers import services
from volunteer_hub.vouchers.schemas import CounterOut, VoucherIn, VoucherOut

blp = Blueprint("vouchers_api", __name__, url_prefix="/api/v1/redemptions", description="兑换券与核销")


@blp.route("")
class Vouchers(MethodView):
    decorators = [auth_required]

    @blp.arguments(VoucherIn)
    @blp.response(201, VoucherOut)
    def post(self, data):
        """兑换: a one-time voucher, valid 10 minutes; it holds the price in your wallet."""
        return services.create(current_user, get_offer(data["offer_id"]))


@blp.route("/<int:voucher_id>")
class MyVoucher(MethodView):
    decorators = [auth_required]

    @blp.response(200, VoucherOut)
    def delete(self, voucher_id):
        """Cancel your open voucher; the hold is released (someone else's voucher is a 404)."""
        return services.cancel(current_user, services.get_voucher_of(current_user, voucher_id))


@blp.route("/<code>")
class VoucherAtCounter(MethodView):
    decorators = [auth_required, limits.voucher_code]

    @blp.response(200, CounterOut)
    def get(self, code):
        """Merchant staff: what a code is for (rate-limited; every attempt is logged)."""
        return services.find_for_counter(current_user, code, client_ip())


@blp.route("/<code>/confirm", methods=["POST"])
@auth_required
@limits.voucher_code
@blp.response(200, CounterOut)
def confirm(code):
    """核销: credits move to the merchant and the stock goes down; twice, or at two counters, redeems once."""
    return services.confirm(current_user, code, client_ip())
