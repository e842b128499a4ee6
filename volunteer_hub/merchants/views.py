"""Pages: apply as a merchant; merchants list; a merchant's page (approve and pair, staff, offers)."""
import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.core.forms import ActionForm, attempt, press
from volunteer_hub.core.permissions import is_centre_admin, is_staff_of
from volunteer_hub.credits.services import to_credits
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services
from volunteer_hub.merchants.forms import ApplyForm, OfferEditForm, OfferForm, PairingForm, StaffForm, SuspendForm
from volunteer_hub.nodes.models import Node
from volunteer_hub.nodes.services import get_node, stations_under

bp = Blueprint("merchants", __name__, url_prefix="/merchants")


@bp.route("")
@login_required
def index():
    return render_template("merchants/index.html",
                           merchants=db.session.scalars(services.list_merchants(current_user)).all())


@bp.route("/apply", methods=["GET", "POST"])
@login_required
def apply():
    form = ApplyForm()
    form.centre_id.choices = [(c.id, c.name) for c in db.session.scalars(
        sa.select(Node).where(Node.parent_id.is_(None)).order_by(Node.code))]
    if form.validate_on_submit():
        ok, merchant = attempt(lambda: services.register_merchant(
            current_user, centre=get_node(form.centre_id.data), owner=current_user, name=form.name.data,
            address=form.address.data or "", contact_phone=form.contact_phone.data,
            licence_no=form.licence_no.data), form)
        if ok:
            flash(_("Your application is sent; the practice centre will review it."), "success")
            return redirect(url_for("merchants.show", merchant_id=merchant.id))
    return render_template("merchants/apply.html", form=form), 422 if form.errors or form.form_errors else 200


def _page(merchant, status=200, **forms):
    admin = is_centre_admin(current_user, merchant.centre)
    staff = is_staff_of(current_user, merchant)
    if not (admin or staff or merchant.status == "approved"):
        abort(404)
    pairing = forms.get("pairing") or PairingForm()
    pairing.station_ids.choices = [(s.id, s.name) for s in stations_under(merchant.centre)]
    owner = current_user.id == merchant.owner_id
    return render_template(
        "merchants/show.html", merchant=merchant, admin=admin, staff=staff, owner=owner,
        offers=services.list_offers(merchant, current_user), pairing=pairing,
        staff_form=forms.get("staff_form") or StaffForm(), offer_form=forms.get("offer_form") or OfferForm(),
        suspend_form=forms.get("suspend_form") or SuspendForm(), action_form=ActionForm(),
        people=services.staff_of(current_user, merchant) if admin or owner else None), status


@bp.route("/<int:merchant_id>")
@login_required
def show(merchant_id):
    return _page(services.get_merchant(merchant_id))


@bp.route("/<int:merchant_id>/approve", methods=["POST"])
@login_required
def approve(merchant_id):
    merchant = services.get_merchant(merchant_id)
    form = PairingForm()
    form.station_ids.choices = [(s.id, s.name) for s in stations_under(merchant.centre)]
    if form.validate_on_submit():
        ok, _m = attempt(lambda: services.approve(current_user, merchant, form.station_ids.data), form)
        if ok:
            flash(_("%(name)s is approved and paired.", name=merchant.name), "success")
            return redirect(url_for("merchants.show", merchant_id=merchant.id))
    return _page(merchant, 422, pairing=form)


@bp.route("/<int:merchant_id>/staff", methods=["POST"])
@login_required
def add_staff(merchant_id):
    """Invite a phone to the counter; the answer never says whose phone it is."""
    merchant = services.get_merchant(merchant_id)
    form = StaffForm()
    if form.validate_on_submit():
        ok, _invitation = attempt(lambda: services.invite_staff(current_user, merchant, form.phone.data), form)
        if ok:
            flash(_("The invitation is sent. The holder of the phone decides whether to accept it."), "success")
            return redirect(url_for("merchants.show", merchant_id=merchant.id))
    return _page(merchant, 422, staff_form=form)


@bp.route("/<int:merchant_id>/staff/<int:user_id>/remove", methods=["POST"])
@login_required
def remove_staff(merchant_id, user_id):
    merchant = services.get_merchant(merchant_id)
    return press(lambda: services.remove_staff(current_user, merchant, user_id), _("Removed from the counter."),
                 url_for("merchants.show", merchant_id=merchant.id))


@bp.route("/<int:merchant_id>/invitations/<int:invitation_id>/withdraw", methods=["POST"])
@login_required
def withdraw_invitation(merchant_id, invitation_id):
    merchant = services.get_merchant(merchant_id)
    return press(lambda: services.withdraw_invitation(current_user, merchant, invitation_id),
                 _("The invitation is withdrawn."), url_for("merchants.show", merchant_id=merchant.id))


@bp.route("/<int:merchant_id>/<any(suspend, reinstate):action>", methods=["POST"])
@login_required
def suspend(merchant_id, action):
    """A centre admin suspends (with a reason) or reinstates a merchant."""
    merchant = services.get_merchant(merchant_id)
    form = SuspendForm() if action == "suspend" else ActionForm()
    if form.validate_on_submit():
        ok, _m = attempt(lambda: services.set_suspended(current_user, merchant, suspended=action == "suspend",
                                                       reason=getattr(form, "reason", None) and form.reason.data),
                         form)
        if ok:
            flash(_("%(name)s is suspended.", name=merchant.name) if action == "suspend"
                  else _("%(name)s is approved again.", name=merchant.name), "success")
            return redirect(url_for("merchants.show", merchant_id=merchant.id))
    return _page(merchant, 422, suspend_form=form if action == "suspend" else None)


@bp.route("/invitations", methods=["GET"], endpoint="invitations")
@login_required
def my_invitations():
    """我的邀请: invitations to my phone, to accept or decline."""
    return render_template("merchants/invitations.html", invitations=services.invitations_for(current_user),
                           action_form=ActionForm())


@bp.route("/invitations/<int:invitation_id>/<any(accept, decline):answer>", methods=["POST"])
@login_required
def answer_invitation(invitation_id, answer):
    invitation = services.get_invitation_for(current_user, invitation_id)
    done = (_("You now work at the counter of %(name)s.", name=invitation.merchant.name) if answer == "accept"
            else _("The invitation is declined."))
    return press(lambda: services.answer_invitation(current_user, invitation, accept=answer == "accept"), done,
                 url_for("merchants.invitations"))


@bp.route("/<int:merchant_id>/offers", methods=["POST"])
@login_required
def add_offer(merchant_id):
    merchant = services.get_merchant(merchant_id)
    form = OfferForm()
    if form.validate_on_submit():
        ok, offer = attempt(lambda: services.create_offer(
            current_user, merchant, title=form.title.data, description=form.description.data or "",
            price=form.price.data, stock=form.stock.data, monthly_limit=form.monthly_limit.data), form)
        if ok:
            flash(_("The offer %(title)s is open.", title=offer.title), "success")
            return redirect(url_for("merchants.show", merchant_id=merchant.id))
    return _page(merchant, 422, offer_form=form)


@bp.route("/<int:merchant_id>/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@login_required
def edit_offer(merchant_id, offer_id):
    """编辑 / 补货 / 下架 an offer (the merchant's staff)."""
    merchant = services.get_merchant(merchant_id)
    offer = services.get_offer_of(merchant, offer_id)
    if not is_staff_of(current_user, merchant):
        abort(403)
    form = OfferEditForm(obj=offer, price=to_credits(offer.price).number) if request.method == "GET" \
        else OfferEditForm()
    if form.validate_on_submit():
        ok, _offer = attempt(lambda: services.update_offer(
            current_user, offer, title=form.title.data, description=form.description.data or "",
            price=form.price.data, stock=form.stock.data, monthly_limit=form.monthly_limit.data,
            active=form.active.data), form)
        if ok:
            flash(_("%(name)s is saved.", name=offer.title), "success")
            return redirect(url_for("merchants.show", merchant_id=merchant.id))
    return render_template("merchants/offer_edit.html", merchant=merchant, offer=offer, form=form), \
        422 if form.errors or form.form_errors else 200
