import marshmallow as ma

from volunteer_hub.core.api import Text
from volunteer_hub.credits.money import CreditsField


class EntryOut(ma.Schema):
    id = ma.fields.Integer()
    credits = CreditsField(attribute="amount", metadata={"description": "signed"})
    kind = ma.fields.String(attribute="transaction.kind",
                            metadata={"enum": ["mint", "grant", "clawback", "redeem", "expire"]})
    memo = ma.fields.String(attribute="transaction.memo")
    created_at = ma.fields.DateTime()


class WalletOut(ma.Schema):
    balance = CreditsField()
    held = CreditsField(metadata={"description": "held by open vouchers"})
    available = CreditsField()
    entries = ma.fields.List(ma.fields.Nested(EntryOut))


class AdjustmentIn(ma.Schema):
    user_id = ma.fields.Integer(strict=True, required=True)
    credits = ma.fields.Decimal(required=True, as_string=False,
                                metadata={"description": "positive grants, negative claws back; in halves"})
    reason = Text(200, required=True)


class AdjustmentOut(ma.Schema):
    transaction_id = ma.fields.Integer(attribute="id")
    kind = ma.fields.String()
    user_id = ma.fields.Integer()
    balance = CreditsField()


class GrantRequestOut(ma.Schema):
    id = ma.fields.Integer()
    state = ma.fields.String(metadata={"enum": ["pending", "approved", "rejected"]})
    user_id = ma.fields.Integer()
    credits = CreditsField(attribute="units")
    reason = ma.fields.String()
    requested_by_id = ma.fields.Integer()
    created_at = ma.fields.DateTime()
    decided_by_id = ma.fields.Integer(allow_none=True)
    decided_at = ma.fields.DateTime(allow_none=True)
    decision_reason = ma.fields.String()
    transaction_id = ma.fields.Integer(allow_none=True)


class DecisionIn(ma.Schema):
    reason = Text(200, load_default="", metadata={"description": "required to reject"})


class PolicyIn(ma.Schema):
    expiry = Text(200, required=True, metadata={"enum": ["none", "end_of_next_year"]})
    warn_days = ma.fields.Integer(strict=True, load_default=30,
                                  metadata={"description": "tell volunteers this many days ahead"})


class PolicyOut(PolicyIn):
    centre_id = ma.fields.Integer()
