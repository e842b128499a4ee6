"""Pages: manual adjustments (managers) and a centre's credit policy (its admins; the form is on the
centre's 文明良票 report, reports.credits_report)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DecimalField, StringField
from wtforms.validators import DataRequired, Length

from volunteer_hub.core.forms import ActionForm, attempt, press
from volunteer_hub.core.permissions import is_manager
from volunteer_hub.credits import services
from volunteer_hub.credits.forms import PolicyForm
from volunteer_hub.credits.models import GrantRequest
from volunteer_hub.credits.money import credits_filter
from volunteer_hub.nodes.services import get_node
from volunteer_hub.people.services import require_by_phone

bp = Blueprint("credits", __name__)
bp.add_app_template_filter(credits_filter, "credits")  # every page shows amounts one way: "5", "0.5"


class AdjustForm(FlaskForm):
    phone = StringField(_l("Volunteer's mobile phone"), validators=[Length(max=20), DataRequired()],
                        render_kw={"inputmode": "tel"})
    credits = DecimalField(_l("Credits (negative to claw back)"), places=1, validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[Length(max=200), DataRequired()],
                         description=_l("Kept in the audit trail."))


@bp.route("/credits/adjust", methods=["GET", "POST"])
@login_required
def adjust():
    """手工调整: a manager grants or claws back a volunteer's credits, with a reason."""
    if not is_manager(current_user):
        abort(403)
    form = AdjustForm()
    if form.validate_on_submit():
        ok, result = attempt(lambda: services.adjust(current_user, require_by_phone(form.phone.data),
                                                    form.credits.data, form.reason.data), form)
        if ok:
            if isinstance(result, GrantRequest):
                flash(_("Above the centre's limit for one day: the grant waits for a second manager."), "info")
            else:
                flash(_("The adjustment is recorded."), "success")
            return redirect(url_for("credits.adjust"))
    return render_template("credits/adjust.html", form=form, requests=services.grant_requests_for(current_user),
                           action_form=ActionForm()), 422 if form.errors or form.form_errors else 200


@bp.route("/credits/grant-requests/<int:request_id>/<any(approve, reject):decision>", methods=["POST"])
@login_required
def decide_grant(request_id, decision):
    """The second manager's decision on a grant above the centre's limit."""
    grant_request = services.get_grant_request(request_id)
    return press(lambda: services.decide_grant(current_user, grant_request, approve=decision == "approve",
                                               reason=request.form.get("reason", "")),
                 _("The grant is approved and posted.") if decision == "approve" else _("The grant is rejected."),
                 url_for("credits.adjust"))


@bp.route("/centres/<int:centre_id>/credits/policy", methods=["POST"])
@login_required
def policy(centre_id):
    centre = get_node(centre_id)
    services.require_policy_admin(current_user, centre)
    form = PolicyForm()
    if form.validate_on_submit():
        ok, _p = attempt(lambda: services.set_policy(current_user, centre, expiry=form.expiry.data,
                                                    warn_days=form.warn_days.data))
        if ok:
            flash(_("The credit policy is saved."), "success")
    else:
        flash(_("Warn 1 to 180 days ahead."), "error")
    return redirect(url_for("reports.credits_report", centre_id=centre.id))
