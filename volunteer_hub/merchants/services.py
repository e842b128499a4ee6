"""文明商户 registration and staff accounts."""
import re

import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.core import audit
from volunteer_hub.core.errors import Conflict, Forbidden, ValidationFailed
from volunteer_hub.core.permissions import is_centre_admin
from volunteer_hub.core.validators import is_mainland_mobile, normalise_phone
from volunteer_hub.extensions import db
from volunteer_hub.merchants.models import Merchant
from volunteer_hub.nodes.models import Node, NodeKind
from volunteer_hub.people.models import Grant, Role, User

_LICENCE = re.compile(r"^[0-9A-Z]{8,32}$")


def register_merchant(actor, *, centre: Node, name: str, address: str, contact_phone: str,
                      licence_no: str) -> Merchant:
    """A merchant's application to a centre; it starts as pending until a centre admin approves it."""
    contact_phone = normalise_phone(contact_phone)
    licence_no = (licence_no or "").strip().upper()
    errors: dict[str, list[str]] = {}
    if centre.kind != NodeKind.CENTRE:
        errors["centre_id"] = [_("Merchants apply to a centre.")]
    if not name or not name.strip() or len(name.strip()) > 100:
        errors["name"] = [_("Name is 1-100 characters.")]
    if not is_mainland_mobile(contact_phone):
        errors["contact_phone"] = [_("Enter an 11-digit mainland mobile number, e.g. 13812345678.")]
    if not _LICENCE.match(licence_no):
        errors["licence_no"] = [_("A licence number (unified social credit code) is 8-32 letters or digits.")]
    if errors:
        raise ValidationFailed(_("The merchant is not valid."), errors)
    if db.session.scalar(sa.select(Merchant.id).where(Merchant.licence_no == licence_no)):
        raise Conflict(_("This licence number is already registered."), {"licence_no": [_("Already in use.")]})
    merchant = Merchant(centre=centre, name=name.strip(), address=(address or "").strip(),
                        contact_phone=contact_phone, licence_no=licence_no)
    db.session.add(merchant)
    db.session.flush()
    audit.record(actor, "merchant.apply", merchant, name=merchant.name)
    return merchant


def add_staff(actor, merchant: Merchant, user: User) -> Grant:
    grant = Grant(user=user, role=Role.MERCHANT_STAFF, merchant_id=merchant.id,
                  granted_by_id=getattr(actor, "id", None))
    db.session.add(grant)
    db.session.flush()
    audit.record(actor, "grant.merchant_staff", grant, user_id=user.id, merchant_id=merchant.id)
    return grant


def approve(actor, merchant: Merchant) -> Merchant:
    """中心管理员 approves a pending merchant of their centre."""
    if not is_centre_admin(actor, merchant.centre):
        raise Forbidden(_("Only an administrator of %(centre)s can approve merchants.", centre=merchant.centre.name))
    if merchant.status != "pending":
        raise Conflict(_("Only a pending merchant can be approved (it is %(status)s).", status=merchant.status))
    merchant.status = "approved"
    audit.record(actor, "merchant.approve", merchant)
    db.session.flush()
    return merchant
