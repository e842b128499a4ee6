import marshmallow as ma

from volunteer_hub.core.api import Text
from volunteer_hub.core.timefields import Day, Instant
from volunteer_hub.core.urls import external_url


class ThemeQuery(ma.Schema):
    node = ma.fields.Integer(metadata={"description": "default: your home station, else the first node you manage"})
    from_ = Day(data_key="from")
    to = ma.fields.Date()


class ThemeIn(ma.Schema):
    node_id = ma.fields.Integer(strict=True, required=True,
                                metadata={"description": "the scope: this node and all below it"})
    title = Text(100, required=True)
    held_on = Day(required=True)
    description = Text(2000, load_default="")
    guidance = Text(2000, load_default="", metadata={"description": "what stations should do"})
    places = Text(500, load_default="", metadata={"description": "suggested places"})
    publish_at = Instant(load_default=None, allow_none=True,
                                         metadata={"description": "default: 09:00 local the day before"})


class ThemeUpdateIn(ThemeIn):
    node_id = ma.fields.Integer(strict=True, load_default=None,
                                metadata={"description": "ignored: a theme keeps its scope"})


class NoteIn(ma.Schema):
    note = Text(1000, required=True, metadata={"description": "empty removes the note"})


class NoteOut(ma.Schema):
    node_id = ma.fields.Integer()
    node_name = ma.fields.String(attribute="node.name")
    note = ma.fields.String()


class ThemeOut(ma.Schema):
    id = ma.fields.Integer()
    node_id = ma.fields.Integer()
    node_name = ma.fields.String(attribute="node.name")
    title = ma.fields.String()
    description = ma.fields.String()
    guidance = ma.fields.String()
    places = ma.fields.String()
    held_on = ma.fields.Date()
    publish_at = ma.fields.DateTime()
    published_at = ma.fields.DateTime(allow_none=True)
    status = ma.fields.String(metadata={"enum": ["scheduled", "published", "missed"]})
    poster_url = ma.fields.Function(
        lambda theme: external_url("themes.poster", theme_id=theme.id) if theme.poster_type else None)
    notes = ma.fields.List(ma.fields.Nested(NoteOut))
