"""Pages: a volunteer's offers and voucher (QR and code); the merchant's counter and console."""
import base64

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_pgettext
from flask_login import current_user, login_required

from volunteer_hub.core import limits, qr
from volunteer_hub.core.db import local_tz, utcnow
from volunteer_hub.core.downloads import csv_response
from volunteer_hub.core.errors import DomainError
from volunteer_hub.core.forms import ActionForm, attempt
from volunteer_hub.core.limits import client_ip
from volunteer_hub.core.permissions import is_centre_admin, is_staff_of, staffed_merchant_ids
from volunteer_hub.core.urls import external_url
from volunteer_hub.core.validators import mask_name
from volunteer_hub.credits.services import to_credits
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services as merchants
from volunteer_hub.vouchers import services

bp = Blueprint("vouchers", __name__)


@bp.route("/offers")
@login_required
def offers():
    """兑换: offers of the merchants paired with my station."""
    shops = db.session.scalars(merchants.list_merchants(current_user)).all()
    listing = [(shop, merchants.list_offers(shop, current_user)) for shop in shops if shop.status == "approved"]
    return render_template("vouchers/offers.html", listing=listing, action_form=ActionForm())


@bp.route("/offers/<int:offer_id>/redeem", methods=["POST"])
@login_required
def redeem(offer_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    ok, voucher = attempt(lambda: services.create(current_user, merchants.get_offer(offer_id)))
    if not ok:
        return redirect(url_for("vouchers.offers"))
    return redirect(url_for("vouchers.voucher", voucher_id=voucher.id))


STATUS_LABELS = {"open": lazy_pgettext("voucher", "ready to use"), "confirmed": lazy_pgettext("voucher", "redeemed"),
                 "cancelled": lazy_pgettext("voucher", "cancelled"), "expired": lazy_pgettext("voucher", "expired")}


@bp.route("/me/vouchers")
@login_required
def mine():
    """我的兑换券: usable vouchers first, with what is left of their time; then the used and lapsed."""
    now = utcnow()
    page = db.paginate(services.vouchers_of(current_user, now), per_page=20, error_out=False)
    return render_template("vouchers/mine.html", page=page, now=now, status_labels=STATUS_LABELS,
                           shown={v.id: services.shown_status(v, now) for v in page.items})


@bp.route("/vouchers/<int:voucher_id>")
@login_required
def voucher(voucher_id):
    item = services.get_voucher_of(current_user, voucher_id)
    url = external_url("vouchers.counter", code=item.code)
    return render_template("vouchers/voucher.html", voucher=item, action_form=ActionForm(),
                           status_labels=STATUS_LABELS, qr_png=base64.b64encode(qr.png(url, box_size=8)).decode())


@bp.route("/vouchers/<int:voucher_id>/cancel", methods=["POST"])
@login_required
def cancel(voucher_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    ok, _item = attempt(lambda: services.cancel(current_user, services.get_voucher_of(current_user, voucher_id)))
    if ok:
        flash(_("The voucher is cancelled; your credits are available again."), "success")
    return redirect(url_for("vouchers.offers"))


@bp.route("/r/<code>", methods=["GET", "POST"])
@login_required
@limits.voucher_code
def counter(code):
    """Merchant staff scan a voucher's QR code (or type its code on the console) and confirm it."""
    form = ActionForm()
    if request.method == "POST" and form.validate_on_submit():
        ok, item = attempt(lambda: services.confirm(current_user, code, client_ip()))
        if ok:
            flash(_("Redeemed: %(title)s, %(price)s credits.", title=item.offer.title, price=to_credits(item.price)),
                  "success")
            return redirect(url_for("vouchers.console"))
        return redirect(url_for("vouchers.counter", code=code))
    if limits.cross_site_navigation():  # not looked up, not counted: the staff member opens it here
        return render_template("vouchers/counter_open.html", code=code[:16])
    ok, item = attempt(lambda: services.find_for_counter(current_user, code, client_ip()))
    if not ok:
        return redirect(url_for("vouchers.console"))
    return render_template("vouchers/counter.html", voucher=item, form=form, status_labels=STATUS_LABELS,
                           status=services.shown_status(item))


def _settlement_for(merchant_id: int, month: str | None):
    merchant = merchants.get_merchant(merchant_id)
    if not (is_staff_of(current_user, merchant) or is_centre_admin(current_user, merchant.centre)):
        abort(403)
    return services.settlement(merchant, month)


@bp.route("/merchants/<int:merchant_id>/settlement")
@login_required
def settlement(merchant_id):
    """月结对账单: the page."""
    return render_template("vouchers/settlement.html", s=_settlement_for(merchant_id, request.args.get("month")))


@bp.route("/merchants/<int:merchant_id>/settlement.csv")
@login_required
def settlement_csv(merchant_id):
    """月结对账单: CSV for the merchant's books (UTF-8 with BOM so that spreadsheet programs read Chinese)."""
    s = _settlement_for(merchant_id, request.args.get("month"))
    rows = [[v.confirmed_at.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M"), v.code, v.offer.title,
             to_credits(v.price).number, mask_name(v.user.name)] for v in s["vouchers"]]
    rows.append(["total", "", "", to_credits(s["total_units"]).number, ""])
    return csv_response(f"settlement-{s['merchant'].id}-{s['month']}.csv",
                        ["confirmed_at", "code", "offer", "credits", "volunteer"], rows)


@bp.route("/merchant", methods=["GET", "POST"])
@login_required
def console():
    """商户核销台: type a code; today's redemptions."""
    staff_of = staffed_merchant_ids(current_user)
    if not staff_of:
        abort(403)
    code, problem, status = "", None, 200
    if request.method == "POST" and ActionForm().validate_on_submit():
        code = (request.form.get("code") or "").strip().upper()[:16]
        try:  # a wrong code is said beside the input, which keeps what was typed
            voucher = services.find_for_counter(current_user, code, client_ip()) if code else None
        except DomainError as exc:
            db.session.rollback()
            problem, status = exc.message, 429 if exc.status == 429 else 422
        else:
            if voucher is not None:
                return redirect(url_for("vouchers.counter", code=voucher.code))
            problem, status = _("Type the code under the voucher's QR code."), 422
    return render_template("vouchers/console.html", today=services.confirmed_today(staff_of), code=code,
                           problem=problem, merchants=[merchants.get_merchant(m) for m in staff_of]), status
