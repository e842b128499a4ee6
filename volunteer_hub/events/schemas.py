import marshmallow as ma
from flask_login import current_user
from flask_smorest.fields import Upload

from volunteer_hub.core.api import Text
from volunteer_hub.core.timefields import Day, Instant
from volunteer_hub.core.urls import external_url
from volunteer_hub.events import covers, services


class ServiceDayIn(ma.Schema):
    node_id = ma.fields.Integer(strict=True, required=True)
    title = Text(100, required=True)
    description = Text(2000, load_default="")
    team_ids = ma.fields.List(ma.fields.Integer(strict=True), load_default=list)
    address = Text(200, load_default="")
    lat = ma.fields.Float(load_default=None, allow_none=True)
    lon = ma.fields.Float(load_default=None, allow_none=True)
    checkin_radius_m = ma.fields.Integer(strict=True, load_default=300, allow_none=True,
                                         metadata={"description": "geofence radius; used when lat/lon are given"})
    starts_at = Instant(required=True, metadata={"description": "ISO 8601 with offset"})
    ends_at = Instant(required=True)
    signup_deadline = Instant(load_default=None, allow_none=True)
    capacity = ma.fields.Integer(strict=True, required=True)
    credits_per_hour = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                         metadata={"description": "default: the centre's usual rate"})
    granularity_minutes = ma.fields.Integer(strict=True, load_default=30)
    min_interval_minutes = ma.fields.Integer(strict=True, load_default=10)
    allow_walk_ins = ma.fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "default: yes for a day that starts within the hour (its sign-ups also stay open until "
                       "its end unless signup_deadline says otherwise), else no"})


class ServiceDayPatch(ma.Schema):
    """改活动: only what is sent changes; lat, lon and checkin_radius_m may be null to clear them."""

    title = Text(100)
    description = Text(2000)
    address = Text(200)
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    checkin_radius_m = ma.fields.Integer(strict=True, allow_none=True)
    starts_at = Instant()
    ends_at = Instant()
    signup_deadline = Instant()
    capacity = ma.fields.Integer(strict=True)
    credits_per_hour = ma.fields.Integer(strict=True)
    allow_walk_ins = ma.fields.Boolean()


def _located(day, value):
    return value if services.may_see_location(current_user, day) else None


def _cover_url(day) -> str | None:
    version = covers.version_of(day)
    return external_url("events.cover", day_id=day.id, v=version) if version else None


class ServiceDayOut(ma.Schema):
    id = ma.fields.Integer()
    node_id = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    team_ids = ma.fields.Pluck("TeamRef", "id", many=True, attribute="teams")
    address = ma.fields.String()
    lat = ma.fields.Function(lambda day: _located(day, day.lat), allow_none=True,
                             metadata={"type": "number", "description": "only for those who may sign up or run it"})
    lon = ma.fields.Function(lambda day: _located(day, day.lon), allow_none=True, metadata={"type": "number"})
    checkin_radius_m = ma.fields.Integer(allow_none=True)
    starts_at = ma.fields.DateTime()
    ends_at = ma.fields.DateTime()
    signup_deadline = ma.fields.DateTime()
    capacity = ma.fields.Integer()
    confirmed_count = ma.fields.Integer()
    credits_per_hour = ma.fields.Integer()
    granularity_minutes = ma.fields.Integer()
    min_interval_minutes = ma.fields.Integer()
    allow_walk_ins = ma.fields.Boolean()
    cancelled_at = ma.fields.DateTime(allow_none=True)
    template_id = ma.fields.Integer(allow_none=True, metadata={"description": "the recurring service day it came from"})
    theme_id = ma.fields.Function(lambda day: day.theme_id if day.theme and day.theme.published_at else None,
                                  allow_none=True, metadata={"description": "that week's published theme"})
    cover_url = ma.fields.Function(_cover_url, allow_none=True, metadata={"description": "封面 (JPEG), if it has one"})


class TeamRef(ma.Schema):
    id = ma.fields.Integer()


class EventQuery(ma.Schema):
    station = ma.fields.Integer(metadata={"description": "a station: its service days, those above and its points"})
    from_ = Instant(data_key="from")
    to = Instant()


class CancelIn(ma.Schema):
    reason = Text(200, required=True)


class SignUpOut(ma.Schema):
    service_day_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": ["confirmed", "waitlisted", "cancelled"]})
    waitlist_position = ma.fields.Integer(allow_none=True)


class TemplateIn(ma.Schema):
    node_id = ma.fields.Integer(strict=True, required=True)
    title = Text(100, required=True)
    weekday = ma.fields.Integer(strict=True, required=True, metadata={"description": "Monday 0 … Saturday 5, Sunday 6"})
    start_time = ma.fields.Time(required=True, metadata={"description": "local time, e.g. 08:30", "maxLength": 8})
    end_time = ma.fields.Time(required=True, metadata={"maxLength": 8})
    capacity = ma.fields.Integer(strict=True, required=True)
    team_ids = ma.fields.List(ma.fields.Integer(strict=True), load_default=list)
    description = Text(2000, load_default="")
    address = Text(200, load_default="")
    lat = ma.fields.Float(load_default=None, allow_none=True)
    lon = ma.fields.Float(load_default=None, allow_none=True)
    checkin_radius_m = ma.fields.Integer(strict=True, load_default=300, allow_none=True)
    credits_per_hour = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                         metadata={"description": "default: the centre's usual rate"})
    link_theme = ma.fields.Boolean(load_default=True, metadata={"description": "link each to that week's theme"})
    days_ahead = ma.fields.Integer(strict=True, load_default=14,
                                   metadata={"description": "how far ahead to create them"})
    starts_on = Day(load_default=None, allow_none=True)


class TemplatePatch(ma.Schema):
    """Only the fields given change; occurrences already created stay as they are."""

    title = Text(100)
    description = Text(2000)
    address = Text(200)
    weekday = ma.fields.Integer(strict=True, validate=ma.validate.Range(min=0, max=6))
    start_time = ma.fields.Time(metadata={"maxLength": 8})
    end_time = ma.fields.Time(metadata={"maxLength": 8})
    capacity = ma.fields.Integer(strict=True)
    credits_per_hour = ma.fields.Integer(strict=True)
    link_theme = ma.fields.Boolean()
    days_ahead = ma.fields.Integer(strict=True)
    active = ma.fields.Boolean(metadata={"description": "false pauses, true resumes"})
    ends_on = Day(allow_none=True, metadata={"description": "the last day an occurrence may fall on"})


class TemplateOut(ma.Schema):
    id = ma.fields.Integer()
    node_id = ma.fields.Integer()
    title = ma.fields.String()
    weekday = ma.fields.Integer()
    start_time = ma.fields.Time()
    end_time = ma.fields.Time()
    capacity = ma.fields.Integer()
    team_ids = ma.fields.Pluck("TeamRef", "id", many=True, attribute="teams")
    credits_per_hour = ma.fields.Integer()
    link_theme = ma.fields.Boolean()
    days_ahead = ma.fields.Integer()
    starts_on = ma.fields.Date()
    active = ma.fields.Boolean()
    ends_on = ma.fields.Date(allow_none=True)


class ActivityRecordIn(ma.Schema):
    summary = Text(2000, required=True)
    people_served = ma.fields.Integer(required=True, strict=True,
                                      validate=ma.validate.Range(min=0, max=1_000_000))
    remove_photo_ids = ma.fields.List(ma.fields.Integer(strict=True), load_default=list,
                                      validate=ma.validate.Length(max=9))


class CoverIn(ma.Schema):
    cover = Upload(required=True, metadata={"description": "PNG or JPEG, at most 15 MB; stored resized to "
                                                           "1200 px without its metadata"})


class ActivityPhotoIn(ma.Schema):
    photo = Upload(required=True, metadata={"description": "PNG or JPEG, at most 15 MB; stored resized to "
                                                           "1600 px without its metadata"})


class ActivityPhotoOut(ma.Schema):
    id = ma.fields.Integer()
    url = ma.fields.Function(lambda p: external_url("events.shared_photo", token=p.record.share_token,
                                                    photo_id=p.id))
    width = ma.fields.Integer()
    height = ma.fields.Integer()


class ActivityRecordOut(ma.Schema):
    service_day_id = ma.fields.Integer()
    summary = ma.fields.String()
    people_served = ma.fields.Integer()
    share_url = ma.fields.Function(lambda r: external_url("events.shared", token=r.share_token),
                                   metadata={"description": "public page of the record, without personal data"})
    photos = ma.fields.Nested(ActivityPhotoOut, many=True)
    updated_at = ma.fields.DateTime()
