import marshmallow as ma

from volunteer_hub.core.api import Text
from volunteer_hub.credits.money import CreditsField
from volunteer_hub.reports.statistics import GROUPINGS


class WeeklyQuery(ma.Schema):
    centre = ma.fields.Integer(required=True)
    week = Text(10, metadata={"description": "any day of the week (ISO date); default the last full week"})


class Figures(ma.Schema):
    service_days = ma.fields.Integer()
    volunteers = ma.fields.Integer()
    hours = ma.fields.Float(metadata={"description": "approved hours"})
    redeemed = ma.fields.Float(metadata={"description": "文明良票 credits redeemed by the station's volunteers"})


class StationRow(Figures):
    station_id = ma.fields.Integer()
    name = ma.fields.String()
    rank = ma.fields.Integer()
    flag = ma.fields.String(allow_none=True, metadata={"enum": ["red", "black", None],
                                                       "description": "红榜 (top fifth) or 黑榜 (bottom fifth)"})
    previous = ma.fields.Nested(Figures)


class WeeklyReportOut(ma.Schema):
    centre_id = ma.fields.Integer()
    centre = ma.fields.String()
    week = ma.fields.String(metadata={"description": "the Monday"})
    previous_week = ma.fields.String()
    stored = ma.fields.Boolean(metadata={"description": "false: live figures of a week not yet closed"})
    stations = ma.fields.List(ma.fields.Nested(StationRow))
    totals = ma.fields.Nested(Figures)
    previous_totals = ma.fields.Nested(Figures)


class AnomalyQuery(ma.Schema):
    centre = ma.fields.Integer(required=True)
    month = Text(10, metadata={"description": "YYYY-MM; default this month"})


class OutlierOut(ma.Schema):
    user_id = ma.fields.Integer()
    name = ma.fields.String()
    station = ma.fields.String()
    measure = ma.fields.String(metadata={"enum": ["hours", "credits"]})
    value = ma.fields.String()
    median = ma.fields.String()


class ManagerHoursOut(ma.Schema):
    attendance_id = ma.fields.Integer()
    service_day_id = ma.fields.Integer()
    name = ma.fields.String()
    approver = ma.fields.String()
    hours = ma.fields.String()
    title = ma.fields.String()


class ManualShareOut(ma.Schema):
    node_id = ma.fields.Integer()
    node = ma.fields.String()
    records = ma.fields.Integer()
    manual = ma.fields.Integer()
    share = ma.fields.Integer(metadata={"description": "percent"})


class BackDatedOut(ma.Schema):
    service_day_id = ma.fields.Integer()
    title = ma.fields.String()
    node = ma.fields.String()
    starts_at = ma.fields.DateTime()
    created_at = ma.fields.DateTime()


class AnomalyBoardOut(ma.Schema):
    month = ma.fields.String()
    outliers = ma.fields.List(ma.fields.Nested(OutlierOut))
    managers_own = ma.fields.List(ma.fields.Nested(ManagerHoursOut))
    manual_share = ma.fields.List(ma.fields.Nested(ManualShareOut))
    back_dated = ma.fields.List(ma.fields.Nested(BackDatedOut))


class StatisticsQuery(ma.Schema):
    period = ma.fields.String(validate=ma.validate.Length(max=7),
                              metadata={"description": "2026 (a year: also month by month), 2026-Q4 or 2026-11; "
                                                       "default this month"})
    by = ma.fields.String(load_default="station", validate=ma.validate.OneOf(tuple(GROUPINGS)))


class PeriodFigures(ma.Schema):
    days_held = ma.fields.Integer(metadata={"description": "service days held (not cancelled)"})
    volunteer_times = ma.fields.Integer(metadata={"description": "人次: approved attendances"})
    hours = ma.fields.Float(metadata={"description": "approved hours"})
    credits_minted = CreditsField()
    needs_handled = ma.fields.Integer(metadata={"description": "residents' requests completed"})


class StatisticsRow(PeriodFigures):
    key = ma.fields.String()
    name = ma.fields.String()
    volunteers = ma.fields.Integer(metadata={"description": "distinct volunteers"})
    people_served = ma.fields.Integer(metadata={"description": "from the activity records"})
    credits_redeemed = CreditsField(allow_none=True, metadata={"description": "null for teams and categories"})
    needs_rating = ma.fields.Float(allow_none=True)


class StatisticsOut(ma.Schema):
    node_id = ma.fields.Integer(attribute="node.id")
    node = ma.fields.String(attribute="node.name")
    period = ma.fields.String(attribute="period.label")
    start = ma.fields.Date(attribute="period.start")
    end = ma.fields.Date(attribute="period.end", metadata={"description": "the day after the period"})
    by = ma.fields.String()
    rows = ma.fields.Nested(StatisticsRow, many=True)
    total = ma.fields.Nested(StatisticsRow)
    months = ma.fields.Nested(StatisticsRow, many=True, metadata={"description": "a year, month by month"})


class ProvinceQuery(ma.Schema):
    period = ma.fields.String(validate=ma.validate.Length(max=7),
                              metadata={"description": "2026, 2026-Q4 or 2026-11; default this month"})


class ProvinceTotal(PeriodFigures):
    credits_redeemed = CreditsField(metadata={"description": "at the centres' merchants"})


class ProvinceRow(ProvinceTotal):
    """A centre's line; its credits are the flows of its issuance account (hours and grants, less
    claw-backs) and of its merchants' accounts."""

    centre_id = ma.fields.Integer()
    name = ma.fields.String()
    volunteers = ma.fields.Integer(metadata={"description": "distinct volunteers in the centre"})


class ProvinceOut(ma.Schema):
    period = ma.fields.String(attribute="period.label")
    start = ma.fields.Date(attribute="period.start")
    end = ma.fields.Date(attribute="period.end", metadata={"description": "the day after the period"})
    rows = ma.fields.Nested(ProvinceRow, many=True)
    total = ma.fields.Nested(ProvinceTotal, metadata={"description": "distinct volunteers do not add up across "
                                                                     "centres, so the total has none"})

