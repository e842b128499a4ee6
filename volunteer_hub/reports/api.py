"""JSON API of weekly reports and the anomaly board."""
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.nodes.services import get_node
from volunteer_hub.reports import anomalies, services, statistics
from volunteer_hub.reports.schemas import (
    AnomalyBoardOut,
    AnomalyQuery,
    ProvinceOut,
    ProvinceQuery,
    StatisticsOut,
    StatisticsQuery,
    WeeklyQuery,
    WeeklyReportOut,
)

blp = Blueprint("reports_api", __name__, url_prefix="/api/v1/reports", description="每周报告与红黑榜")


@blp.route("/weekly", methods=["GET"])
@auth_required
@blp.arguments(WeeklyQuery, location="query")
@blp.response(200, WeeklyReportOut)
def weekly(args):
    """A centre's stations ranked for a week, with the previous week beside (managers in the centre)."""
    centre = get_node(args["centre"])
    services.require_view(current_user, centre)
    return services.report(centre, services.parse_week(args.get("week")))


@blp.route("/anomalies", methods=["GET"])
@auth_required
@blp.arguments(AnomalyQuery, location="query")
@blp.response(200, AnomalyBoardOut)
def anomaly_board(args):
    """异常看板 (the centre's administrators): outliers, managers' own hours, hand-entered shares, back-dated days."""
    centre = get_node(args["centre"])
    anomalies.require_board(current_user, centre)
    return anomalies.board(centre, args.get("month"))


@blp.route("/statistics/<int:node_id>", methods=["GET"])
@auth_required
@blp.arguments(StatisticsQuery, location="query")
@blp.response(200, StatisticsOut)
def node_statistics(args, node_id):
    """统计 of a node's subtree for a month, quarter or year, by institute, station, team, category or
    month (managers of the node); a year also comes month by month."""
    return statistics.statistics(current_user, get_node(node_id), args.get("period"), args["by"])


@blp.route("/province", methods=["GET"])
@auth_required
@blp.arguments(ProvinceQuery, location="query")
@blp.response(200, ProvinceOut)
def province(args):
    """全省汇总: every centre's figures for a month, quarter or year (administrators over all centres)."""
    return statistics.province(current_user, args.get("period"))

