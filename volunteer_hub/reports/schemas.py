import marshmallow as ma

from volunteer_hub.core.api import Text


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
