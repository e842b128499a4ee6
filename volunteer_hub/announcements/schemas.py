"""Schemas of the announcements API."""
import marshmallow as ma

from volunteer_hub.announcements.models import AUDIENCES
from volunteer_hub.core.api import Text


class AudienceIn(ma.Schema):
    audience = ma.fields.String(required=True, validate=ma.validate.OneOf(AUDIENCES),
                                metadata={"description": "team (its members), day (its sign-ups), node (the "
                                                         "volunteers of its stations)"})
    target_id = ma.fields.Integer(required=True, strict=True)


class AnnouncementIn(AudienceIn):
    title = Text(100, required=True)
    body = Text(2000, required=True)


class PreviewOut(ma.Schema):
    audience = ma.fields.String()
    target_id = ma.fields.Integer()
    target_name = ma.fields.String()
    recipients = ma.fields.Integer(metadata={"description": "how many people it would reach now"})


class AnnouncementOut(ma.Schema):
    id = ma.fields.Integer()
    audience = ma.fields.String()
    target_id = ma.fields.Integer()
    target_name = ma.fields.String()
    title = ma.fields.String()
    body = ma.fields.String()
    recipients = ma.fields.Integer()
    created_at = ma.fields.DateTime()
