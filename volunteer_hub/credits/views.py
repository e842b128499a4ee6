"""Pages: a centre's 文明良票 report with a chart (centre admins)."""
from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.core.charts import bar_chart
from volunteer_hub.core.permissions import is_centre_admin
from volunteer_hub.credits import services
from volunteer_hub.nodes.services import get_node

bp = Blueprint("credits", __name__)


@bp.route("/centres/<int:centre_id>/credits")
@login_required
def report(centre_id):
    centre = get_node(centre_id)
    if centre.kind != "centre" or not is_centre_admin(current_user, centre):
        abort(403)
    months = min(max(request.args.get("months", 6, type=int), 1), 24)
    data = services.centre_report(centre, months=months)
    names = {"minted": _("minted"), "redeemed": _("redeemed"), "expired": _("expired")}
    chart = bar_chart(_("文明良票 per month"), data["labels"],
                      {names[key]: values for key, values in data["series"].items()})
    return render_template("credits/report.html", centre=centre, data=data, chart=chart, names=names)
