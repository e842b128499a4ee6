"""Pages: a centre's weekly report (红黑榜) and its CSV; a centre's 文明良票 report with its chart."""
from datetime import timedelta

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from volunteer_hub.core.charts import bar_chart
from volunteer_hub.core.downloads import csv_response, xlsx_response
from volunteer_hub.core.forms import ActionForm, attempt
from volunteer_hub.credits import services as credits
from volunteer_hub.credits.forms import PolicyForm
from volunteer_hub.nodes.services import get_node
from volunteer_hub.reports import anomalies, exports, services, statistics

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
    labels = {"service_days": _("Service days held"), "volunteers": _("Volunteers active"),
              "hours": _("Approved hours"), "redeemed": _("Credits redeemed")}
    chart = bar_chart(_("This week's four measures"), [s["name"] for s in data["stations"]],
                      {labels[m]: [s[m] for s in data["stations"]] for m in services.MEASURES})
    return render_template("reports/weekly.html", centre=centre, data=data, measures=services.MEASURES,
                           labels=labels, chart=chart, prev=monday - timedelta(weeks=1),
                           next=monday + timedelta(weeks=1))


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


def _board(centre_id):
    centre = get_node(centre_id)
    anomalies.require_board(current_user, centre)
    return centre, anomalies.board(centre, request.args.get("month") or None)


@bp.route("/centres/<int:centre_id>/reports/anomalies")
@login_required
def anomaly_board(centre_id):
    """异常看板 for the centre's administrators: this month unless ``?month=YYYY-MM``."""
    centre, data = _board(centre_id)
    return render_template("reports/anomalies.html", centre=centre, data=data)


@bp.route("/centres/<int:centre_id>/reports/anomalies.csv")
@login_required
def anomaly_board_csv(centre_id):
    centre, data = _board(centre_id)
    rows = [["outlier", r["name"], r["station"], f'{r["measure"]} {r["value"]}', f'median {r["median"]}', ""]
            for r in data["outliers"]]
    rows += [["manager_own_hours", r["name"], r["title"], f'hours {r["hours"]}', f'approved by {r["approver"]}',
              url_for("checkin.attendance", day_id=r["service_day_id"])] for r in data["managers_own"]]
    rows += [["manual_share", r["node"], "", f'{r["share"]}%', f'{r["manual"]} of {r["records"]}', ""]
             for r in data["manual_share"]]
    rows += [["back_dated_day", r["title"], r["node"], r["starts_at"].isoformat(), r["created_at"].isoformat(),
              url_for("events.show", day_id=r["service_day_id"])] for r in data["back_dated"]]
    return csv_response(f"anomalies-{centre.id}-{data['month']}.csv",
                        ["kind", "subject", "where", "value", "detail", "link"], rows)


@bp.route("/centres/<int:centre_id>/credits")
@login_required
def credits_report(centre_id):
    """The centre's 文明良票 by month and station, and its credit policy (centre admins)."""
    centre = get_node(centre_id)
    credits.require_policy_admin(current_user, centre)
    months = min(max(request.args.get("months", 6, type=int), 1), 24)
    data = services.centre_credits(centre, months=months)
    names = {"minted": _("minted"), "redeemed": _("redeemed"), "expired": _("expired")}
    chart = bar_chart(_("Civility credits per month"), data["labels"],
                      {names[key]: values for key, values in data["series"].items()})
    return render_template("reports/credits.html", centre=centre, data=data, chart=chart, names=names,
                           policy_form=PolicyForm(obj=credits.policy_of(centre)))


class PeriodForm(FlaskForm):
    start = DateField(_l("From"), validators=[DataRequired()])
    end = DateField(_l("To"), validators=[DataRequired()])


@bp.route("/centres/<int:centre_id>/reports/national-hours", methods=["GET", "POST"])
@login_required
def national_hours(centre_id):
    """Hours for the national 志愿服务信息系统: a form, and (POST, audited) the Excel file."""
    centre = get_node(centre_id)
    exports.require_exporter(current_user, centre)
    form = PeriodForm()
    if request.method == "GET":
        form.start.data, form.end.data = exports.period(None, None)
    if form.validate_on_submit():
        ok, rows = attempt(lambda: exports.national_hours(
            current_user, centre, *exports.period(form.start.data, form.end.data)), form)
        if ok:
            return xlsx_response(f"national-hours-{centre.code}-{form.start.data}-{form.end.data}.xlsx",
                                 [(_("Service hours"), exports.NATIONAL_HEADER, rows)])
    return render_template("reports/national_hours.html", centre=centre, form=form), \
        422 if form.errors or form.form_errors else 200


class StatisticsPeriodForm(FlaskForm):
    """A period, read from the query string."""

    class Meta:
        csrf = False

    period = StringField(_l("Period"), validators=[Optional(), Length(max=7)],
                         description=_l("A year (2026), a quarter (2026-Q4) or a month (2026-11)."))


class StatisticsForm(StatisticsPeriodForm):
    by = SelectField(_l("Group by"), choices=list(statistics.GROUPINGS.items()), default="station")


@bp.route("/nodes/<int:node_id>/statistics")
@login_required
def node_statistics(node_id):
    """统计 with charts; a year adds the months (the year-end view)."""
    node = get_node(node_id)
    form = StatisticsForm(request.args)
    if request.args and not form.validate():
        return render_template("reports/statistics.html", node=node, form=form, data=None, charts={}), 422
    ok, data = attempt(lambda: statistics.statistics(current_user, node, form.period.data, form.by.data or "station"),
                       form)
    if not ok:
        return render_template("reports/statistics.html", node=node, form=form, data=None, charts={}), 422
    charts = {}
    for name, rows in (("groups", data["rows"]), ("months", data["months"])):
        if rows:
            charts[name] = bar_chart(_("Hours and volunteer-times"), [row["name"] for row in rows],
                                     {_("Hours"): [row["hours"] for row in rows],
                                      _("Volunteer-times"): [row["volunteer_times"] for row in rows]})
    return render_template("reports/statistics.html", node=node, form=form, data=data, charts=charts,
                           groupings=statistics.GROUPINGS, action_form=ActionForm())


@bp.route("/nodes/<int:node_id>/statistics.xlsx", methods=["POST"])
@login_required
def node_statistics_xlsx(node_id):
    """The statistics as Excel; audited, hence a POST."""
    node = get_node(node_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    by = request.args.get("by") or "station"
    sheets = statistics.export_sheets(current_user, node, request.args.get("period"), by)
    return xlsx_response(f"statistics-{node.code}-{request.args.get('period') or 'month'}-{by}.xlsx", sheets)


@bp.route("/province/statistics")
@login_required
def province_statistics():
    """全省汇总: each centre's figures for the administrators over all centres."""
    form = StatisticsPeriodForm(request.args)
    if request.args and not form.validate():
        return render_template("reports/province.html", form=form, data=None), 422
    ok, data = attempt(lambda: statistics.province(current_user, form.period.data), form)
    if not ok:
        return render_template("reports/province.html", form=form, data=None), 422
    return render_template("reports/province.html", form=form, data=data)

