"""Pages: a centre's 文明良票 report with a chart (centre admins)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DecimalField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired

from volunteer_hub.core.charts import bar_chart
from volunteer_hub.core.forms import commit
from volunteer_hub.core.permissions import is_centre_admin, is_manager
from volunteer_hub.credits import services
from volunteer_hub.nodes.services import get_node
from volunteer_hub.people.services import require_by_phone

bp = Blueprint("credits", __name__)


class AdjustForm(FlaskForm):
    phone = StringField(_l("Volunteer's mobile phone"), validators=[DataRequired()], render_kw={"inputmode": "tel"})
    credits = DecimalField(_l("Credits (negative to claw back)"), places=1, validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=[DataRequired()], description=_l("Kept in the audit trail."))


@bp.route("/credits/adjust", methods=["GET", "POST"])
@login_required
def adjust():
    """手工调整: a manager grants or claws back a volunteer's credits, with a reason."""
    if not is_manager(current_user):
        abort(403)
    form = AdjustForm()
    if form.validate_on_submit():
        ok, _t = commit(lambda: services.adjust(current_user, require_by_phone(form.phone.data),
                                                form.credits.data, form.reason.data), form)
        if ok:
            flash(_("The adjustment is recorded."), "success")
            return redirect(url_for("credits.adjust"))
    return render_template("credits/adjust.html", form=form), 422 if form.errors or form.form_errors else 200


class PolicyForm(FlaskForm):
    expiry = SelectField(_l("Credits expire"), choices=[
        ("none", _l("Never")), ("end_of_next_year", _l("At the end of the next calendar year"))])
    warn_days = IntegerField(_l("Warn volunteers this many days ahead"), default=30, validators=[DataRequired()])


def _centre_for_admin(centre_id):
    centre = get_node(centre_id)
    if centre.kind != "centre" or not is_centre_admin(current_user, centre):
        abort(403)
    return centre


@bp.route("/centres/<int:centre_id>/credits/policy", methods=["POST"])
@login_required
def policy(centre_id):
    centre = _centre_for_admin(centre_id)
    form = PolicyForm()
    if form.validate_on_submit():
        ok, _p = commit(lambda: services.set_policy(current_user, centre, expiry=form.expiry.data,
                                                    warn_days=form.warn_days.data))
        if ok:
            flash(_("The credit policy is saved."), "success")
    else:
        flash(_("Warn 1 to 180 days ahead."), "error")
    return redirect(url_for("credits.report", centre_id=centre.id))


@bp.route("/centres/<int:centre_id>/credits")
@login_required
def report(centre_id):
    centre = _centre_for_admin(centre_id)
    months = min(max(request.args.get("months", 6, type=int), 1), 24)
    data = services.centre_report(centre, months=months)
    names = {"minted": _("minted"), "redeemed": _("redeemed"), "expired": _("expired")}
    chart = bar_chart(_("文明良票 per month"), data["labels"],
                      {names[key]: values for key, values in data["series"].items()})
    return render_template("credits/report.html", centre=centre, data=data, chart=chart, names=names,
                           policy_form=PolicyForm(obj=services.policy_of(centre)))
