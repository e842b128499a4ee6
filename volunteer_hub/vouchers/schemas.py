import marshmallow as ma

from volunteer_hub.core.urls import external_url
from volunteer_hub.core.validators import mask_name, mask_phone
from volunteer_hub.credits.money import CreditsField


class VoucherIn(ma.Schema):
    offer_id = ma.fields.Integer(strict=True, required=True)


class VoucherOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String(metadata={"description": "8 characters, for typing at the counter"})
    url = ma.fields.Function(lambda v: external_url("vouchers.counter", code=v.code),
                             metadata={"description": "for the merchant to open by scanning the QR code"})
    offer_id = ma.fields.Integer()
    title = ma.fields.String(attribute="offer.title")
    price = CreditsField()
    status = ma.fields.String(metadata={"enum": ["open", "confirmed", "cancelled", "expired"]})
    expires_at = ma.fields.DateTime()


class CounterOut(ma.Schema):
    """What merchant staff see: the offer and the volunteer's masked name and phone."""

    id = ma.fields.Integer()
    code = ma.fields.String()
    title = ma.fields.String(attribute="offer.title")
    price = CreditsField()
    status = ma.fields.String()
    volunteer = ma.fields.Function(lambda v: mask_name(v.user.name))
    phone = ma.fields.Function(lambda v: mask_phone(v.user.phone))
    expires_at = ma.fields.DateTime()
    confirmed_at = ma.fields.DateTime(allow_none=True)
