import marshmallow as ma

from volunteer_hub.checkin.services import anomalies
from volunteer_hub.core.api import Text
from volunteer_hub.core.timefields import Instant
from volunteer_hub.core.validators import mask_phone


class CheckinCodeOut(ma.Schema):
    token = ma.fields.String()
    url = ma.fields.String()
    expires_at = ma.fields.DateTime()


NONCE = r"^[A-Za-z0-9_-]{8,64}$"


class CheckinIn(ma.Schema):
    token = Text(200, required=True)
    lat = ma.fields.Float(load_default=None, allow_none=True)
    lon = ma.fields.Float(load_default=None, allow_none=True)
    nonce = ma.fields.String(load_default=None, allow_none=True, metadata={
        "description": "the client's name for this scan (8-64 letters, digits, - or _): sent again, it gets the "
                       "first answer back and changes nothing"},
        validate=[ma.validate.Length(max=64), ma.validate.Regexp(NONCE)])
    scanned_at = Instant(load_default=None, allow_none=True, metadata={
        "description": "离线补传: when a scan made offline happened; accepted if the code was valid then, within "
                       "the day's window, not ahead of the server's clock and uploaded within the centre's delay"})


class AttendanceOut(ma.Schema):
    id = ma.fields.Integer()
    service_day_id = ma.fields.Integer()
    user_id = ma.fields.Integer()
    name = ma.fields.String(attribute="user.name")
    phone = ma.fields.Function(lambda row: mask_phone(row.user.phone))
    status = ma.fields.String(metadata={"enum": ["open", "closed", "no_checkout"]})
    checked_in_at = ma.fields.DateTime()
    checked_out_at = ma.fields.DateTime(allow_none=True)
    hours = ma.fields.Float()
    manual = ma.fields.Boolean()
    walk_in = ma.fields.Boolean()
    anomalies = ma.fields.Function(anomalies, metadata={"description": "no_checkout, too_short, manual, walk_in, "
                                                             "self_located (poster and phone location only)"})
    approved_at = ma.fields.DateTime(allow_none=True)
    first_approved_by_id = ma.fields.Integer(allow_none=True,
                                             metadata={"description": "above the review threshold: the first person"})
    rejected_at = ma.fields.DateTime(allow_none=True)
    reversed_at = ma.fields.DateTime(allow_none=True)


class CheckinOut(ma.Schema):
    state = ma.fields.String(metadata={"enum": ["checked_in", "checked_out", "unchanged"]})
    attendance_id = ma.fields.Integer(attribute="attendance.id")
    attendance = ma.fields.Nested(AttendanceOut)


class ManualIn(ma.Schema):
    phone = Text(20, required=True)
    checked_in_at = Instant(required=True)
    checked_out_at = Instant(load_default=None, allow_none=True)
    reason = Text(200, required=True)


class IdsField(ma.fields.Field):
    """A list of ids, or the string "all"."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value == "all":
            return value
        if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return value
        raise ma.ValidationError('Give a list of attendance ids or "all".')


class ApproveIn(ma.Schema):
    ids = IdsField(required=True, metadata={"oneOf": [{"type": "array", "items": {"type": "integer"}},
                                                       {"type": "string", "enum": ["all"]}]})


class ApproveOut(ma.Schema):
    approved = ma.fields.List(ma.fields.Integer())
    count = ma.fields.Integer()
    awaiting_second_person = ma.fields.List(ma.fields.Integer(), metadata={
        "description": "rows above the review threshold that now wait for another manager"})


class RejectIn(ma.Schema):
    ids = ma.fields.List(ma.fields.Integer(strict=True), required=True)
    reason = Text(200, required=True)


class ReversalIn(ma.Schema):
    reason = Text(200, required=True)


class HoursOut(ma.Schema):
    total_hours = ma.fields.Float()
    year_hours = ma.fields.Float()
    star_level = ma.fields.Integer()
    next_star_hours = ma.fields.Integer(allow_none=True)
    attendance = ma.fields.List(ma.fields.Nested(AttendanceOut))


class RatingIn(ma.Schema):
    stars = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=5))
    comment = Text(500, load_default="")


class RatingOut(ma.Schema):
    service_day_id = ma.fields.Integer()
    stars = ma.fields.Integer()
    comment = ma.fields.String()
    created_at = ma.fields.DateTime()


class RatingCommentOut(ma.Schema):
    stars = ma.fields.Integer()
    comment = ma.fields.String()


class RatingsOut(ma.Schema):
    count = ma.fields.Integer()
    average = ma.fields.Float(allow_none=True)
    comments = ma.fields.Nested(RatingCommentOut, many=True, metadata={"description": "without names"})
