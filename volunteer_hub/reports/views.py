"""Pages: a centre's weekly report (红黑榜) and its CSV."""
from datetime import timedelta

from flask import Blueprint, render_template, request
from flask_login import current_user, login_required

from volunteer_hub.core.downloads import csv_response
from volunteer_hub.nodes.services import get_node
from volunteer_hub.reports import services

bp = Blueprint("reports", __name__)


def _report(centre_id):
    centre = get_node(centre_id)
    services.require_view(current_user, centre)
    monday = services.parse_week(request.args.get("week"))
    return centre, monday, services.report(centre, monday)


@bp.route("/centres/<int:centre_id>/reports/weekly")
@login_required
def weekly(centre_id):
    centre, monday, data = _report(centre_id)
    return render_template("reports/weekly.html", centre=centre, data=data, measures=services.MEASURES,
                           prev=monday - timedelta(weeks=1), next=monday + timedelta(weeks=1))


@bp.route("/centres/<int:centre_id>/reports/weekly.csv")
@login_required
def weekly_csv(centre_id):
    centre, monday, data = _report(centre_id)
    header = ["rank", "station", "flag"]
    for measure in services.MEASURES:
        header += [measure, f"{measure}_previous_week"]
    rows = [[s["rank"], s["name"], s["flag"] or ""]
            + [value for m in services.MEASURES for value in (s[m], s["previous"][m])] for s in data["stations"]]
    return csv_response(f"weekly-{centre.id}-{monday.isoformat()}.csv", header, rows)
