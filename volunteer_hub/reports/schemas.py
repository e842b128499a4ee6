import marshmallow as ma


class WeeklyQuery(ma.Schema):
    centre = ma.fields.Integer(required=True)
    week = ma.fields.String(metadata={"description": "any day of the week (ISO date); default the last full week"})


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
