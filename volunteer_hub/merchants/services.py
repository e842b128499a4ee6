"""文明商户: application, approval and pairing with stations (结对), staff accounts, offers."""
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.core import audit, sms
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import (
    Role,
    administered_centre_ids,
    is_centre_admin,
    is_global_admin,
    is_staff_of,
    staffed_merchant_ids,
)
from volunteer_hub.core.validators import is_mainland_mobile, normalise_phone
from volunteer_hub.credits.services import to_units
from volunteer_hub.extensions import db
from volunteer_hub.merchants.models import InvitationState, Merchant, Offer, StaffInvitation, merchant_stations
from volunteer_hub.nodes.models import Node, NodeKind
from volunteer_hub.notifications.messages import later
from volunteer_hub.notifications.services import notify_users
from volunteer_hub.people import services as people
from volunteer_hub.people.models import Grant, User

_LICENCE = re.compile(r"^[0-9A-Z]{8,32}$")


def get_merchant(merchant_id: int) -> Merchant:
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound(_("No such merchant: %(id)s.", id=merchant_id))
    return merchant


def get_offer(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        raise NotFound(_("No such offer: %(id)s.", id=offer_id))
    return offer


def register_merchant(actor, *, centre: Node, name: str, address: str, contact_phone: str,
                      licence_no: str, owner: User | None = None) -> Merchant:
    """A merchant's application to a centre; pending until a centre admin approves and pairs it."""
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
                        contact_phone=contact_phone, licence_no=licence_no, owner_id=getattr(owner, "id", None))
    db.session.add(merchant)
    db.session.flush()
    if owner is not None:
        _grant_staff(actor, merchant, owner)
    audit.record(actor, "merchant.apply", merchant, name=merchant.name)
    return merchant


def approve(actor, merchant: Merchant, station_ids: list[int]) -> Merchant:
    """中心管理员 approves a pending merchant and pairs it with stations of the centre (结对)."""
    if not is_centre_admin(actor, merchant.centre):
        raise Forbidden(_("Only an administrator of %(centre)s can approve merchants.", centre=merchant.centre.name))
    if merchant.status != "pending":
        raise Conflict(_("Only a pending merchant can be approved (it is %(status)s).", status=merchant.status))
    stations = _stations_of_centre(merchant.centre, station_ids)
    merchant.status = "approved"
    merchant.stations = stations
    audit.record(actor, "merchant.approve", merchant, station_ids=[s.id for s in stations])
    db.session.flush()
    return merchant


def _stations_of_centre(centre: Node, station_ids: list[int]) -> list[Node]:
    stations = db.session.scalars(sa.select(Node).where(Node.id.in_(station_ids or [-1]))).all()
    if (not stations or len(stations) != len(set(station_ids))
            or any(s.kind != NodeKind.STATION or s.centre_id != centre.id for s in stations)):
        message = _("Choose one or more stations of %(centre)s.", centre=centre.name)
        raise ValidationFailed(message, {"station_ids": [message]})
    return stations


def _grant_staff(actor, merchant: Merchant, user: User, invited_by: int | None = None) -> Grant:
    if is_staff_of(user, merchant):
        raise Conflict(_("You already work for this merchant."), code="already_staff")
    grant = Grant(user=user, role=Role.MERCHANT_STAFF, merchant_id=merchant.id,
                  granted_by_id=invited_by or getattr(actor, "id", None))
    db.session.add(grant)
    db.session.flush()
    audit.record(actor, "grant.merchant_staff", grant, user_id=user.id, merchant_id=merchant.id)
    return grant


# --- staff, by invitation --------------------------------------------------------------------------

INVITATION_DAYS = 7


def _require_staff_manager(actor, merchant: Merchant) -> None:
    if not (is_centre_admin(actor, merchant.centre) or getattr(actor, "id", None) == merchant.owner_id):
        raise Forbidden(_("Only the merchant's owner or a centre administrator can manage its staff."))


def _require_active(merchant: Merchant) -> None:
    """A pending or suspended merchant has no powers: no offers, no staff, no counter."""
    if merchant.status != "approved":
        raise Conflict(_("%(name)s is not an approved merchant at present.", name=merchant.name),
                       code="merchant_not_active")


def invite_staff(actor, merchant: Merchant, phone: str, now: datetime | None = None) -> StaffInvitation:
    """店员邀请: the owner or a centre admin names a phone. The answer is the same whether or not the
    phone has an account, and never names its holder; that person accepts or declines."""
    _require_staff_manager(actor, merchant)
    _require_active(merchant)
    now = now or utcnow()
    phone = normalise_phone(phone)
    if not is_mainland_mobile(phone):
        message = _("Enter an 11-digit mainland mobile number, e.g. 13812345678.")
        raise ValidationFailed(message, {"phone": [message]})
    open_one = db.session.scalar(sa.select(StaffInvitation).where(
        StaffInvitation.merchant_id == merchant.id, StaffInvitation.phone == phone,
        StaffInvitation.state == InvitationState.PENDING))
    if open_one is not None and open_one.expires_at > now:
        return open_one
    if open_one is not None:  # expired: withdrawn, and a new one made
        open_one.state, open_one.decided_at = InvitationState.WITHDRAWN, now
        db.session.flush()
    invitation = StaffInvitation(merchant=merchant, phone=phone, invited_by_id=actor.id,
                                 expires_at=now + timedelta(days=INVITATION_DAYS))
    db.session.add(invitation)
    db.session.flush()
    audit.record(actor, "merchant.invite_staff", invitation, merchant_id=merchant.id)
    user = people.find_by_phone(phone)
    title = later("%(merchant)s invites you to work at its counter", merchant=merchant.name)
    if user is not None:
        notify_users([user.id], key=f"staff-invitation:{invitation.id}", kind="invitation", title=title,
                     link="/merchants/invitations", centre_id=merchant.centre_id)
    else:
        sms.send(phone, _("%(title)s. Register with this phone number, then accept it under My invitations.",
                          title=str(title)), key=f"staff-invitation:{invitation.id}", centre_id=merchant.centre_id)
    return invitation


def invitations_for(user, now: datetime | None = None) -> list[StaffInvitation]:
    """Open invitations to the user's phone."""
    return db.session.scalars(sa.select(StaffInvitation).where(
        StaffInvitation.phone == user.phone, StaffInvitation.state == InvitationState.PENDING,
        StaffInvitation.expires_at > (now or utcnow())).order_by(StaffInvitation.id)).all()


def get_invitation_for(user, invitation_id: int) -> StaffInvitation:
    """An invitation to the user's own phone (anyone else's is a 404)."""
    invitation = db.session.get(StaffInvitation, invitation_id)
    if invitation is None or invitation.phone != user.phone:
        raise NotFound(_("No such invitation: %(id)s.", id=invitation_id))
    return invitation


def answer_invitation(user, invitation: StaffInvitation, *, accept: bool,
                      now: datetime | None = None) -> StaffInvitation:
    """The phone's holder accepts (and becomes staff) or declines; each invitation is answered once."""
    now = now or utcnow()
    if invitation.phone != user.phone:
        raise NotFound(_("No such invitation: %(id)s.", id=invitation.id))
    if invitation.state == InvitationState.PENDING and invitation.expires_at <= now:
        raise Conflict(_("This invitation has expired; ask the merchant for a new one."), code="expired")
    if accept:
        _require_active(invitation.merchant)
    answered = db.session.execute(
        sa.update(StaffInvitation).where(StaffInvitation.id == invitation.id,
                                         StaffInvitation.state == InvitationState.PENDING)
        .values(state=InvitationState.ACCEPTED if accept else InvitationState.DECLINED, decided_at=now,
                user_id=user.id).execution_options(synchronize_session=False)).rowcount
    if not answered:
        db.session.refresh(invitation)  # answered or withdrawn by another request meanwhile
        messages = {InvitationState.ACCEPTED: _("This invitation has already been accepted."),
                    InvitationState.DECLINED: _("This invitation has already been declined."),
                    InvitationState.WITHDRAWN: _("This invitation was withdrawn.")}
        raise Conflict(messages.get(invitation.state, _("This invitation cannot be answered.")), code="not_open")
    if accept:
        _grant_staff(user, invitation.merchant, user, invited_by=invitation.invited_by_id)
    audit.record(user, "merchant.accept_invitation" if accept else "merchant.decline_invitation", invitation,
                 merchant_id=invitation.merchant_id)
    db.session.refresh(invitation)
    return invitation


def staff_of(actor, merchant: Merchant) -> dict:
    """Who works at the merchant (they agreed to be named here) and the open invitations, phones masked."""
    _require_staff_manager(actor, merchant)
    staff = db.session.scalars(sa.select(User).join(Grant, Grant.user_id == User.id).where(
        Grant.role == Role.MERCHANT_STAFF, Grant.merchant_id == merchant.id).order_by(User.name)).all()
    invitations = db.session.scalars(sa.select(StaffInvitation).where(
        StaffInvitation.merchant_id == merchant.id, StaffInvitation.state == InvitationState.PENDING)
        .order_by(StaffInvitation.id)).all()
    return {"staff": staff, "invitations": invitations}


def remove_staff(actor, merchant: Merchant, user_id: int) -> None:
    """The owner or a centre admin takes a person off the counter (the owner stays while the merchant does)."""
    _require_staff_manager(actor, merchant)
    if user_id == merchant.owner_id:
        raise Conflict(_("The owner stays on the counter; suspend the merchant instead."), code="owner")
    removed = db.session.execute(sa.delete(Grant).where(
        Grant.role == Role.MERCHANT_STAFF, Grant.merchant_id == merchant.id, Grant.user_id == user_id)).rowcount
    if not removed:
        raise NotFound(_("This person does not work for %(name)s.", name=merchant.name))
    audit.record(actor, "merchant.remove_staff", merchant, user_id=user_id)


def withdraw_invitation(actor, merchant: Merchant, invitation_id: int, now: datetime | None = None) -> None:
    _require_staff_manager(actor, merchant)
    withdrawn = db.session.execute(
        sa.update(StaffInvitation).where(StaffInvitation.id == invitation_id,
                                         StaffInvitation.merchant_id == merchant.id,
                                         StaffInvitation.state == InvitationState.PENDING)
        .values(state=InvitationState.WITHDRAWN, decided_at=now or utcnow())
        .execution_options(synchronize_session=False)).rowcount
    if not withdrawn:
        raise NotFound(_("No open invitation %(id)s at %(name)s.", id=invitation_id, name=merchant.name))
    audit.record(actor, "merchant.withdraw_invitation", merchant, invitation_id=invitation_id)


def set_suspended(actor, merchant: Merchant, *, suspended: bool, reason: str = "",
                  now: datetime | None = None) -> Merchant:
    """A centre admin suspends an approved merchant (its offers close, its counter stops, its open
    invitations are withdrawn) or reinstates a suspended one."""
    if not is_centre_admin(actor, merchant.centre):
        raise Forbidden(_("Only an administrator of %(centre)s can suspend merchants.", centre=merchant.centre.name))
    reason = (reason or "").strip()
    if suspended and not reason:
        message = _("Give the reason for suspending.")
        raise ValidationFailed(message, {"reason": [message]})
    before, after = ("approved", "suspended") if suspended else ("suspended", "approved")
    changed = db.session.execute(sa.update(Merchant).where(Merchant.id == merchant.id, Merchant.status == before)
                                 .values(status=after).execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise Conflict(_("%(name)s is %(status)s.", name=merchant.name, status=merchant.status), code="not_" + before)
    if suspended:
        db.session.execute(sa.update(StaffInvitation).where(StaffInvitation.merchant_id == merchant.id,
                                                            StaffInvitation.state == InvitationState.PENDING)
                           .values(state=InvitationState.WITHDRAWN, decided_at=now or utcnow())
                           .execution_options(synchronize_session=False))
    audit.record(actor, "merchant.suspend" if suspended else "merchant.reinstate", merchant, reason=reason)
    db.session.refresh(merchant)
    return merchant


def counter_merchant_ids(user) -> list[int]:
    """The approved merchants whose counter this user staffs: a suspended merchant's staff confirm nothing."""
    ids = staffed_merchant_ids(user)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Merchant.id).where(Merchant.id.in_(ids), Merchant.status == "approved")))


def list_merchants(user):
    """Volunteers: approved merchants paired with their station; staff: their own; admins: their centre's."""
    query = sa.select(Merchant).order_by(Merchant.name)
    if is_global_admin(user):
        return query
    visible = [Merchant.centre_id.in_(administered_centre_ids(user)), Merchant.id.in_(staffed_merchant_ids(user))]
    if user.profile is not None:
        paired = sa.select(merchant_stations.c.merchant_id).where(
            merchant_stations.c.station_id == user.profile.home_station_id)
        visible.append(sa.and_(Merchant.status == "approved", Merchant.id.in_(paired)))
    return query.where(sa.or_(*visible))


# --- offers -------------------------------------------------------------------------------------

def _offer_errors(merchant: Merchant, values: dict, reserved: int = 0) -> dict:
    """Field errors of an offer's values (those of a new offer, or an offer after an edit)."""
    errors: dict[str, list[str]] = {}
    title = values["title"]
    if not title or not title.strip() or len(title.strip()) > 100:
        errors["title"] = [_("Title is 1-100 characters.")]
    if values["price"] <= 0:
        errors["price"] = [_("The price is at least half a credit.")]
    stock = values["stock"]
    if stock is not None and stock < 0:
        errors["stock"] = [_("Stock cannot be negative.")]
    elif stock is not None and stock < reserved:
        errors["stock"] = [_("%(n)s vouchers are held against this offer: the stock cannot go below that.",
                             n=reserved)]
    if values["monthly_limit"] is not None and values["monthly_limit"] < 1:
        errors["monthly_limit"] = [_("The monthly limit is at least 1.")]
    if values["valid_from"] and values["valid_to"] and values["valid_to"] <= values["valid_from"]:
        errors["valid_to"] = [_("The end must be after the start.")]
    return errors


def _require_offer_staff(actor, merchant: Merchant) -> None:
    if not is_staff_of(actor, merchant):
        raise Forbidden(_("Only staff of %(merchant)s can manage its offers.", merchant=merchant.name))


def create_offer(actor, merchant: Merchant, *, title: str, price, description: str = "", stock: int | None = None,
                 monthly_limit: int | None = None, valid_from: datetime | None = None,
                 valid_to: datetime | None = None, station_ids: list[int] | None = None) -> Offer:
    """物品/服务: merchant staff manage their own merchant's offers only."""
    _require_offer_staff(actor, merchant)
    if merchant.status != "approved":
        raise Conflict(_("The merchant is not approved yet."))
    units = to_units(price)
    errors = _offer_errors(merchant, {"title": title, "price": units, "stock": stock, "monthly_limit": monthly_limit,
                                      "valid_from": valid_from, "valid_to": valid_to})
    paired = {s.id for s in merchant.stations}
    if station_ids and not set(station_ids) <= paired:
        errors["station_ids"] = [_("Offers can only be for stations paired with the merchant.")]
    if errors:
        raise ValidationFailed(_("The offer is not valid."), errors)
    offer = Offer(merchant=merchant, title=title.strip(), description=description or "", price=units, stock=stock,
                  monthly_limit=monthly_limit, valid_from=valid_from, valid_to=valid_to,
                  stations=[s for s in merchant.stations if s.id in set(station_ids or [])])
    db.session.add(offer)
    db.session.flush()
    audit.record(actor, "offer.create", offer, title=offer.title, price=units)
    return offer


def get_offer_of(merchant: Merchant, offer_id: int) -> Offer:
    """An offer loaded through its merchant: another merchant's offer is a 404."""
    offer = db.session.get(Offer, offer_id)
    if offer is None or offer.merchant_id != merchant.id:
        raise NotFound(_("No such offer at %(merchant)s.", merchant=merchant.name))
    return offer


OFFER_FIELDS = {"title", "description", "price", "stock", "monthly_limit", "valid_from", "valid_to", "active"}


def update_offer(actor, offer: Offer, **changes) -> Offer:
    """编辑 / 补货 / 下架: the merchant's staff change an offer; ``stock`` restocks (never below the
    vouchers held against it), ``active=False`` withdraws it (open vouchers stay good). A new price is
    for new vouchers only. Audited with before and after."""
    _require_offer_staff(actor, offer.merchant)
    unknown = set(changes) - OFFER_FIELDS
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(names)s.", names=", ".join(sorted(unknown))))
    if "price" in changes:
        changes["price"] = to_units(changes["price"])
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
    values = {name: changes.get(name, getattr(offer, name)) for name in OFFER_FIELDS}
    errors = _offer_errors(offer.merchant, values, reserved=offer.reserved)
    if errors:
        raise ValidationFailed(_("The offer is not valid."), errors)
    audit.apply_changes(actor, "offer.update", offer, changes)  # the CHECK on stock >= reserved backs a race
    return offer


def offer_open_to(offer: Offer, user, now: datetime | None = None) -> bool:
    """Whether a volunteer may use an offer now: active, in its window, for their station."""
    now = now or utcnow()
    if not offer.active or offer.merchant.status != "approved" or user.profile is None:
        return False
    if (offer.valid_from and now < offer.valid_from) or (offer.valid_to and now >= offer.valid_to):
        return False
    stations = offer.stations or offer.merchant.stations
    return user.profile.home_station_id in {s.id for s in stations}


def list_offers(merchant: Merchant, user) -> list[Offer]:
    offers = db.session.scalars(sa.select(Offer).where(Offer.merchant_id == merchant.id)
                                .order_by(Offer.created_at.desc())).all()
    if is_staff_of(user, merchant) or is_centre_admin(user, merchant.centre):
        return offers
    return [offer for offer in offers if offer_open_to(offer, user)]
