import marshmallow as ma

from volunteer_hub.certificates.services import verify_url
from volunteer_hub.core.api import Text


class ServiceOut(ma.Schema):
    title = ma.fields.String()
    place = ma.fields.String()
    date = ma.fields.String()
    hours = ma.fields.Float()
    organiser = ma.fields.String()


class SnapshotOut(ma.Schema):
    """What the certificate said when it was issued (the name is masked for anyone but its holder)."""

    masked_name = ma.fields.String()
    masked_id = ma.fields.String(allow_none=True)
    centre = ma.fields.String()
    issuer = ma.fields.String()
    handler = ma.fields.String()
    services = ma.fields.List(ma.fields.Nested(ServiceOut))
    total_hours = ma.fields.Float()
    star_level = ma.fields.Integer()


class CertificateOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    issued_at = ma.fields.DateTime()
    revoked_at = ma.fields.DateTime(allow_none=True)
    revoke_reason = ma.fields.String()
    snapshot = ma.fields.Nested(SnapshotOut)
    verify_url = ma.fields.Function(verify_url)


class VerifiedOut(ma.Schema):
    number = ma.fields.String()
    issued_at = ma.fields.DateTime()
    revoked = ma.fields.Function(lambda c: c.revoked_at is not None)
    snapshot = ma.fields.Nested(SnapshotOut)


class IssueIn(ma.Schema):
    user_id = ma.fields.Integer(strict=True, required=True)


class RevokeIn(ma.Schema):
    reason = Text(200, required=True)
