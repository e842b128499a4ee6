import marshmallow as ma

from volunteer_hub.core.api import Text
from volunteer_hub.nodes.models import NodeKind


class NodeIn(ma.Schema):
    name = Text(100, required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in NodeKind]))
    parent_id = ma.fields.Integer(strict=True, load_default=None, allow_none=True)
    code = Text(32, load_default=None, allow_none=True)
    address = Text(200, load_default="")
    lat = ma.fields.Float(load_default=None, allow_none=True)
    lon = ma.fields.Float(load_default=None, allow_none=True)


class NodePatch(ma.Schema):
    """Only the fields given change."""

    name = Text(100)
    address = Text(200)
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    parent_id = ma.fields.Integer(strict=True, metadata={"description": "move the node (and its subtree) here"})


class NodeOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String()
    name = ma.fields.String()
    code = ma.fields.String()
    address = ma.fields.String()
    lat = ma.fields.Float(allow_none=True)
    lon = ma.fields.Float(allow_none=True)
    parent_id = ma.fields.Integer(allow_none=True)


class NodeQuery(ma.Schema):
    parent_id = ma.fields.Integer()
    kind = ma.fields.String(validate=ma.validate.OneOf([k.value for k in NodeKind]))


class CentreSettingsIn(ma.Schema):
    """Any subset of the settings; what is left out keeps its value."""

    default_credits_per_hour = ma.fields.Integer(strict=True)
    max_credits_per_hour = ma.fields.Integer(strict=True)
    back_entry_days = ma.fields.Integer(strict=True)
    max_day_hours = ma.fields.Integer(strict=True)
    review_entry_hours = ma.fields.Integer(strict=True)
    review_grant_credits = ma.fields.Integer(strict=True)
    offline_upload_hours = ma.fields.Integer(strict=True)
    star_1 = ma.fields.Integer(strict=True)
    star_2 = ma.fields.Integer(strict=True)
    star_3 = ma.fields.Integer(strict=True)
    star_4 = ma.fields.Integer(strict=True)
    star_5 = ma.fields.Integer(strict=True)


class CentreSettingsOut(CentreSettingsIn):
    centre_id = ma.fields.Integer()
    updated_at = ma.fields.DateTime(allow_none=True)
