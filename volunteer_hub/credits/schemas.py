import marshmallow as ma

from volunteer_hub.credits.services import to_credits


class EntryOut(ma.Schema):
    id = ma.fields.Integer()
    credits = ma.fields.Function(lambda entry: to_credits(entry.amount), metadata={"description": "signed"})
    kind = ma.fields.String(attribute="transaction.kind",
                            metadata={"enum": ["mint", "grant", "clawback", "redeem", "expire"]})
    memo = ma.fields.String(attribute="transaction.memo")
    created_at = ma.fields.DateTime()


class WalletOut(ma.Schema):
    balance = ma.fields.Float(metadata={"description": "credits (文明良票)"})
    held = ma.fields.Float(metadata={"description": "held by open vouchers"})
    available = ma.fields.Float()
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
    balance = ma.fields.Float()


class PolicyIn(ma.Schema):
    expiry = ma.fields.String(required=True, metadata={"enum": ["none", "end_of_next_year"]})
    warn_days = ma.fields.Integer(strict=True, load_default=30,
                                  metadata={"description": "tell volunteers this many days ahead"})


class PolicyOut(PolicyIn):
    centre_id = ma.fields.Integer()
