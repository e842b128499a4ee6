import marshmallow as ma

from volunteer_hub.core.api import Text
from volunteer_hub.core.timefields import Instant
from volunteer_hub.core.validators import mask_phone
from volunteer_hub.credits.money import CreditsField


class MerchantIn(ma.Schema):
    name = Text(100, required=True)
    address = Text(200, load_default="")
    contact_phone = Text(20, required=True)
    licence_no = Text(32, required=True, metadata={"description": "统一社会信用代码"})
    centre_id = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                  metadata={"description": "defaults to the centre of the applicant's home station"})


class MerchantOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    address = ma.fields.String()
    centre_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"enum": ["pending", "approved", "suspended"]})
    station_ids = ma.fields.Pluck("StationRef", "id", many=True, attribute="stations")


class StationRef(ma.Schema):
    id = ma.fields.Integer()


class PairingIn(ma.Schema):
    station_ids = ma.fields.List(ma.fields.Integer(strict=True), required=True)


class StaffIn(ma.Schema):
    phone = Text(20, required=True, metadata={"description": "the phone to invite"})


class InvitationOut(ma.Schema):
    """The same whatever the phone: it never says whether, or to whom, the phone belongs."""

    id = ma.fields.Integer()
    merchant_id = ma.fields.Integer()
    merchant_name = ma.fields.String(attribute="merchant.name")
    phone = ma.fields.Function(lambda invitation: mask_phone(invitation.phone))
    state = ma.fields.String(metadata={"enum": ["pending", "accepted", "declined", "withdrawn"]})
    expires_at = ma.fields.DateTime()


class StaffMemberOut(ma.Schema):
    user_id = ma.fields.Integer(attribute="id")
    name = ma.fields.String()
    phone = ma.fields.Function(lambda user: mask_phone(user.phone))


class StaffOut(ma.Schema):
    staff = ma.fields.List(ma.fields.Nested(StaffMemberOut))
    invitations = ma.fields.List(ma.fields.Nested(InvitationOut))


class SuspendIn(ma.Schema):
    reason = Text(200, load_default="", metadata={"description": "required to suspend"})


class OfferIn(ma.Schema):
    title = Text(100, required=True)
    description = Text(2000, load_default="")
    price = ma.fields.Decimal(required=True, as_string=False, metadata={"description": "credits, in halves"})
    stock = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                              metadata={"description": "empty: unlimited"})
    monthly_limit = ma.fields.Integer(strict=True, load_default=None, allow_none=True,
                                      metadata={"description": "vouchers per volunteer per month"})
    valid_from = Instant(load_default=None, allow_none=True)
    valid_to = Instant(load_default=None, allow_none=True)
    station_ids = ma.fields.List(ma.fields.Integer(strict=True), load_default=list,
                                 metadata={"description": "empty: every station paired with the merchant"})


class OfferPatch(ma.Schema):
    """Only the fields given change."""

    title = Text(100)
    description = Text(2000)
    price = ma.fields.Decimal(as_string=False, metadata={"description": "credits, in halves; for new vouchers"})
    stock = ma.fields.Integer(strict=True, allow_none=True, metadata={"description": "restock; never below the held"})
    monthly_limit = ma.fields.Integer(strict=True, allow_none=True)
    valid_from = Instant(allow_none=True)
    valid_to = Instant(allow_none=True)
    active = ma.fields.Boolean(metadata={"description": "false withdraws the offer"})


class OfferOut(ma.Schema):
    id = ma.fields.Integer()
    merchant_id = ma.fields.Integer()
    title = ma.fields.String()
    description = ma.fields.String()
    price = CreditsField()
    stock = ma.fields.Integer(allow_none=True)
    available = ma.fields.Function(lambda o: None if o.stock is None else o.stock - o.reserved, allow_none=True)
    monthly_limit = ma.fields.Integer(allow_none=True)
    valid_from = ma.fields.DateTime(allow_none=True)
    valid_to = ma.fields.DateTime(allow_none=True)
    station_ids = ma.fields.Pluck(StationRef, "id", many=True, attribute="stations")
    active = ma.fields.Boolean()
