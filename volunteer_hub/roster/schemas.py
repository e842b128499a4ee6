"""Schemas of the roster API."""
import marshmallow as ma
from flask_smorest.fields import Upload

from volunteer_hub.core.api import Text
from volunteer_hub.core.validators import mask_phone
from volunteer_hub.credits.money import CreditsField
from volunteer_hub.roster.services import SORTS


class RosterQuery(ma.Schema):
    q = Text(50, metadata={"description": "part of the name, a skill, or the phone's last 4 digits (or all 11)"})
    station_id = ma.fields.Integer()
    team_id = ma.fields.Integer()
    star = ma.fields.Integer(validate=ma.validate.Range(min=0, max=5), metadata={"description": "star level 0–5"})
    active = ma.fields.Boolean(metadata={"description": "an approved record in the last 90 days (or none: false)"})
    min_hours = ma.fields.Float(validate=ma.validate.Range(min=0, max=100_000))
    max_hours = ma.fields.Float(validate=ma.validate.Range(min=0, max=100_000))
    include_inactive = ma.fields.Boolean(load_default=False)
    sort = ma.fields.String(load_default="name", validate=ma.validate.OneOf(SORTS))


class RosterEntryOut(ma.Schema):
    user_id = ma.fields.Integer(attribute="user.id")
    name = ma.fields.String(attribute="user.name")
    phone = ma.fields.Function(lambda entry: mask_phone(entry.user.phone))
    station_id = ma.fields.Integer(attribute="station.id")
    station = ma.fields.String(attribute="station.name")
    skills = ma.fields.List(ma.fields.String(), attribute="user.profile.skills")
    hours = ma.fields.Float()
    star_level = ma.fields.Integer()
    last_active = ma.fields.DateTime(allow_none=True, metadata={"description": "last approved check-in"})
    active = ma.fields.Boolean(attribute="user.active")


class RosterMembershipOut(ma.Schema):
    team_id = ma.fields.Integer()
    team = ma.fields.String(attribute="team.name")
    status = ma.fields.String()


class RosterDayOut(ma.Schema):
    service_day_id = ma.fields.Integer()
    title = ma.fields.String(attribute="service_day.title")
    starts_at = ma.fields.DateTime(attribute="service_day.starts_at")
    hours = ma.fields.Float()
    approved = ma.fields.Boolean(attribute="counts")


class VolunteerOut(ma.Schema):
    user_id = ma.fields.Integer(attribute="user.id")
    name = ma.fields.String(attribute="user.name")
    phone = ma.fields.Function(lambda p: mask_phone(p["user"].phone))
    id_number = ma.fields.String(attribute="user.profile.id_number_masked", allow_none=True)
    active = ma.fields.Boolean(attribute="user.active")
    station_id = ma.fields.Integer(attribute="station.id")
    station = ma.fields.String(attribute="station.name")
    skills = ma.fields.List(ma.fields.String(), attribute="user.profile.skills")
    teams = ma.fields.Nested(RosterMembershipOut, many=True)
    days = ma.fields.Nested(RosterDayOut, many=True)
    total_hours = ma.fields.Float(attribute="hours.total_hours")
    year_hours = ma.fields.Float(attribute="hours.year_hours")
    star_level = ma.fields.Integer(attribute="hours.star_level")
    balance = CreditsField(attribute="wallet.balance")


class DeactivateIn(ma.Schema):
    reason = Text(200, required=True)


class MoveIn(ma.Schema):
    station_id = ma.fields.Integer(strict=True, required=True)


class ResetLinkOut(ma.Schema):
    url = ma.fields.String(metadata={"description": "one-time; hand it over in person (e.g. as a QR code)"})
    expires_at = ma.fields.DateTime()


class ImportFileIn(ma.Schema):
    file = Upload(required=True, metadata={
        "description": ".xlsx or .csv; the first row names the columns (姓名, 手机号, 所属站点 required; "
                       "身份证号, 志愿服务队, 特长)"})


class ImportQuery(ma.Schema):
    dry_run = ma.fields.Boolean(load_default=False, metadata={"description": "试导入: check only, write nothing"})


class ImportRowOut(ma.Schema):
    row = ma.fields.Integer(attribute="number", metadata={"description": "the row number the spreadsheet shows"})
    name = ma.fields.String()
    phone = ma.fields.String(attribute="masked_phone")
    outcome = ma.fields.String(metadata={"description": "create, join (teams), unchanged or error"})
    errors = ma.fields.List(ma.fields.String())


class ImportReportOut(ma.Schema):
    dry_run = ma.fields.Boolean()
    rows = ma.fields.Integer(attribute="summary.rows")
    created = ma.fields.Integer(attribute="summary.created")
    joined = ma.fields.Integer(attribute="summary.joined")
    unchanged = ma.fields.Integer(attribute="summary.unchanged")
    errors = ma.fields.Integer(attribute="summary.errors")
    problems = ma.fields.Function(lambda r: ImportRowOut(many=True).dump(r["report"].errors[:200]),
                                  metadata={"description": "the first 200 rows with errors"})
