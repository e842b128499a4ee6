import marshmallow as ma

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
    reason = ma.fields.String(required=True)


class AdjustmentOut(ma.Schema):
    transaction_id = ma.fields.Integer(attribute="id")
    kind = ma.fields.String()
    user_id = ma.fields.Integer()
    balance = CreditsField()


class PolicyIn(ma.Schema):
    expiry = ma.fields.String(required=True, metadata={"enum": ["none", "end_of_next_year"]})
    warn_days = ma.fields.Integer(strict=True, load_default=30,
                                  metadata={"description": "tell volunteers this many days ahead"})


class PolicyOut(PolicyIn):
    centre_id = ma.fields.Integer()
