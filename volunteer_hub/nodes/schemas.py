import marshmallow as ma

from volunteer_hub.nodes.models import NodeKind


class NodeIn(ma.Schema):
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, validate=ma.validate.OneOf([k.value for k in NodeKind]))
    parent_id = ma.fields.Integer(strict=True, load_default=None, allow_none=True)
    code = ma.fields.String(load_default=None, allow_none=True)
    address = ma.fields.String(load_default="")
    lat = ma.fields.Float(load_default=None, allow_none=True)
    lon = ma.fields.Float(load_default=None, allow_none=True)


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
