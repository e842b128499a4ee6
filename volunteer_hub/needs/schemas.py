import marshmallow as ma

from volunteer_hub.core.api import Text
from volunteer_hub.core.timefields import Instant
from volunteer_hub.needs.services import CATEGORIES


class NeedIn(ma.Schema):
    node_id = ma.fields.Integer(strict=True, required=True,
                                metadata={"description": "the station or point nearest the address"})
    category = ma.fields.String(required=True, validate=ma.validate.OneOf(tuple(CATEGORIES)), metadata={
        "description": "repair, elderly (助老), escort (就医陪护), shopping (代购), company (心理陪伴), legal, other"})
    description = Text(2000, required=True)
    address = Text(200, required=True)
    wished_at = Instant(required=True)
    contact_phone = Text(20, required=True)


class NeedQuery(ma.Schema):
    node = ma.fields.Integer(metadata={"description": "a node's queue (its managers); default: mine and my teams'"})
    state = Text(200, metadata={"enum": ["submitted", "dispatched", "accepted", "completed", "reviewed",
                                                "cancelled"]})


class DispatchIn(ma.Schema):
    team_id = ma.fields.Integer(strict=True, required=True)
    accept_by = Instant(required=True)


class ReasonIn(ma.Schema):
    reason = Text(200, required=True)


class AcceptIn(ma.Schema):
    service_day_id = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                       metadata={"description": "attach to this service day of the team"})
    starts_at = Instant(load_default=None, allow_none=True,
                                        metadata={"description": "default: the wished time"})
    hours = ma.fields.Integer(strict=True, load_default=2)
    capacity = ma.fields.Integer(strict=True, load_default=10)


class ReviewIn(ma.Schema):
    rating = ma.fields.Integer(strict=True, required=True, metadata={"description": "1 to 5"})
    comment = Text(1000, load_default="")


class EventOut(ma.Schema):
    action = ma.fields.String()
    from_state = ma.fields.String()
    to_state = ma.fields.String()
    actor_id = ma.fields.Integer(allow_none=True)
    data = ma.fields.Dict()
    created_at = ma.fields.DateTime()


class NeedOut(ma.Schema):
    id = ma.fields.Integer()
    node_id = ma.fields.Integer()
    category = ma.fields.String()
    description = ma.fields.String()
    address = ma.fields.String()
    wished_at = ma.fields.DateTime()
    state = ma.fields.String()
    team_id = ma.fields.Integer(allow_none=True)
    accept_by = ma.fields.DateTime(allow_none=True)
    service_day_id = ma.fields.Integer(allow_none=True)
    escalated_at = ma.fields.DateTime(allow_none=True)
    rating = ma.fields.Integer(allow_none=True)
    review = ma.fields.String()
    flagged = ma.fields.Boolean()
    photos = ma.fields.Function(lambda need: len(need.photos))
    created_at = ma.fields.DateTime()
    events = ma.fields.List(ma.fields.Nested(EventOut))


class DashboardOut(ma.Schema):
    total = ma.fields.Integer()
    by_state = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    by_category = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer())
    median_hours_to_dispatch = ma.fields.Float(allow_none=True)
    median_hours_to_accept = ma.fields.Float(allow_none=True)
    average_rating = ma.fields.Float(allow_none=True)
    flagged = ma.fields.Integer()
    overdue = ma.fields.Integer()
