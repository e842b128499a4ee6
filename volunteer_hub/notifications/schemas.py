import marshmallow as ma

from volunteer_hub.core.api import Text


class NotificationOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "theme, weekly_report, credit_expiry, service_day, …"})
    title = ma.fields.String(attribute="shown_title", metadata={"description": "in the reader's language"})
    body = ma.fields.String(attribute="shown_body")
    link = ma.fields.String(metadata={"description": "a page of this site, relative"})
    created_at = ma.fields.DateTime()
    read_at = ma.fields.DateTime(allow_none=True)


class InboxQuery(ma.Schema):
    unread = ma.fields.Boolean(load_default=False)


class MarkReadIn(ma.Schema):
    ids = ma.fields.List(ma.fields.Integer(strict=True), load_default=None,
                         metadata={"description": "the messages to mark read; leave out to mark all"})


class MarkReadOut(ma.Schema):
    marked = ma.fields.Integer()
    unread = ma.fields.Integer()


class WebhookIn(ma.Schema):
    url = Text(500, required=True)
    active = ma.fields.Boolean(load_default=True)
    new_secret = ma.fields.Boolean(load_default=False, metadata={"description": "rotate the signing secret"})


class WebhookOut(ma.Schema):
    centre_id = ma.fields.Integer()
    url = ma.fields.String()
    active = ma.fields.Boolean()
    secret = ma.fields.String(metadata={"description": "HMAC-SHA256 key of X-VolunteerHub-Signature"})
