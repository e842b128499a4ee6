"""Vouchers: create (hold credits, reserve stock), confirm at the counter (redeem once), cancel, expire."""
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import format_datetime
from flask_babel import gettext as _

from volunteer_hub.core.db import local_tz, utcnow
from volunteer_hub.core.errors import Conflict, DomainError, Forbidden, NotFound
from volunteer_hub.core.months import month_bounds, month_start
from volunteer_hub.core.permissions import staffed_merchant_ids
from volunteer_hub.credits import services as credits
from volunteer_hub.extensions import db
from volunteer_hub.merchants.models import Offer
from volunteer_hub.merchants.services import counter_merchant_ids, get_merchant, offer_open_to
from volunteer_hub.vouchers.models import Voucher, VoucherAttempt
from volunteer_hub.vouchers.models import VoucherStatus as V

VALID_MINUTES = 10
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed at a counter
# Wrong codes allowed in WINDOW, per staff account and per merchant. Not per address: every merchant
# behind one mobile network would share it, and one merchant's throwaway accounts could block another.
FAILURES_PER_ACCOUNT = 10
FAILURES_PER_MERCHANT = 30
WINDOW = timedelta(minutes=15)


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))


def _update_offer(offer_id: int, *where, **values) -> bool:
    """A conditional update of an offer's counters; the loaded object is refreshed on next access."""
    done = db.session.execute(sa.update(Offer).where(Offer.id == offer_id, *where).values(**values)
                              .execution_options(synchronize_session=False)).rowcount == 1
    offer = db.session.identity_map.get(db.session.identity_key(Offer, offer_id))
    if offer is not None:
        db.session.expire(offer, ["stock", "reserved"])
    return done


def _reserve(offer: Offer) -> bool:
    return _update_offer(offer.id, sa.or_(Offer.stock.is_(None), Offer.stock - Offer.reserved >= 1),
                         reserved=Offer.reserved + 1)


def create(user, offer: Offer, now: datetime | None = None) -> Voucher:
    """兑换: hold the price in the wallet and reserve one of the stock, for VALID_MINUTES."""
    now = now or utcnow()
    if not offer_open_to(offer, user, now):
        raise Forbidden(_("This offer is not open to you."))
    expire_due(now, user=user)
    account = credits.wallet(user)
    credits.hold(account, offer.price)  # locks the wallet: this volunteer's vouchers are made one at a time
    if offer.monthly_limit is not None:
        used = db.session.scalar(sa.select(sa.func.count()).select_from(Voucher).where(
            Voucher.user_id == user.id, Voucher.offer_id == offer.id,
            Voucher.status.in_([V.OPEN, V.CONFIRMED]), Voucher.created_at >= month_start(now)))
        if used >= offer.monthly_limit:
            raise Conflict(_("You have used this offer %(n)s times this month, its limit.", n=used),
                           code="monthly_limit")
    if not _reserve(offer):
        raise Conflict(_("This offer is sold out."), code="sold_out")
    voucher = Voucher(offer=offer, merchant_id=offer.merchant_id, user=user, code=_new_code(), price=offer.price,
                      expires_at=now + timedelta(minutes=VALID_MINUTES), created_at=now)
    db.session.add(voucher)
    db.session.flush()
    return voucher


def _close(voucher: Voucher, to_status: V, now: datetime, **values) -> bool:
    """open → another status, conditionally: of concurrent closes exactly one wins."""
    return db.session.execute(
        sa.update(Voucher).where(Voucher.id == voucher.id, Voucher.status == V.OPEN)
        .values(status=to_status, **values).execution_options(synchronize_session=False)).rowcount == 1


def _not_open(voucher: Voucher) -> Conflict:
    """Why a voucher another request closed first cannot be used or cancelled, in words."""
    db.session.refresh(voucher)
    messages = {V.CONFIRMED: _("This voucher has already been redeemed."),
                V.CANCELLED: _("This voucher was cancelled."),
                V.EXPIRED: _("This voucher has expired.")}
    return Conflict(messages.get(voucher.status, _("This voucher cannot be used.")), code="not_open")


def _give_back(voucher: Voucher) -> None:
    credits.release(credits.wallet(voucher.user), voucher.price)
    _update_offer(voucher.offer_id, reserved=Offer.reserved - 1)


def cancel(user, voucher: Voucher, now: datetime | None = None) -> Voucher:
    if voucher.user_id != user.id:
        raise NotFound(_("No such voucher."))
    if not _close(voucher, V.CANCELLED, now or utcnow()):
        raise _not_open(voucher)
    _give_back(voucher)
    db.session.refresh(voucher)
    return voucher


def expire_due(now: datetime | None = None, user=None) -> int:
    """Job (and before each new voucher): open vouchers past their time release their hold."""
    now = now or utcnow()
    query = sa.select(Voucher).where(Voucher.status == V.OPEN, Voucher.expires_at <= now)
    if user is not None:
        query = query.where(Voucher.user_id == user.id)
    expired = 0
    for voucher in db.session.scalars(query).all():
        if _close(voucher, V.EXPIRED, now):
            _give_back(voucher)
            expired += 1
    return expired


def _check_rate(staff, counters: list[int], now: datetime) -> None:
    since = now - WINDOW
    failures = sa.select(sa.func.count()).select_from(VoucherAttempt).where(
        VoucherAttempt.success.is_(False), VoucherAttempt.created_at >= since)
    if db.session.scalar(failures.where(VoucherAttempt.user_id == staff.id)) >= FAILURES_PER_ACCOUNT:
        raise RateLimited(_("Too many wrong codes from this account; wait a quarter of an hour and try again."))
    if len(counters) == 1 and db.session.scalar(
            failures.where(VoucherAttempt.merchant_id == counters[0])) >= FAILURES_PER_MERCHANT:
        raise RateLimited(_("Too many wrong codes at this merchant's counters; wait a quarter of an hour."))


def find_for_counter(staff, code: str, ip: str, now: datetime | None = None) -> Voucher:
    """Look a code up at a counter: rate-limited, logged, and only this merchant's vouchers."""
    now = now or utcnow()
    code = (code or "").strip().upper()[:16]
    counters = counter_merchant_ids(staff)
    _check_rate(staff, counters, now)
    if not counters and staffed_merchant_ids(staff):
        raise Conflict(_("Your merchant is not approved at present: its counter takes no vouchers."),
                       code="merchant_not_active")
    voucher = db.session.scalar(sa.select(Voucher).where(Voucher.code == code, Voucher.merchant_id.in_(counters)))
    if voucher is None:
        _log_failure(staff, counters, ip, code, now)
        raise NotFound(_("No voucher of this merchant has that code."), code="unknown_code")
    return voucher


def _log_failure(staff, counters: list[int], ip: str, code: str, now: datetime) -> None:
    """A wrong code is logged in its own transaction: it must outlive the request's rollback. It counts
    against the merchant when the person serves one counter (someone at several has only the
    account's budget, so that no merchant pays for another's guesses).

    Call it before the request writes anything (SQLite would wait for the request's own lock).
    """
    merchant_id = counters[0] if len(counters) == 1 else None
    with db.engine.begin() as connection:
        connection.execute(sa.insert(VoucherAttempt).values(user_id=staff.id, merchant_id=merchant_id, ip=ip,
                                                            code=code, success=False, created_at=now))


def confirm(staff, code: str, ip: str, now: datetime | None = None) -> Voucher:
    """核销: the merchant confirms; credits move from wallet to merchant and the stock goes down, once."""
    now = now or utcnow()
    voucher = find_for_counter(staff, code, ip, now)
    if voucher.status == V.OPEN and voucher.expires_at <= now:
        # The hold is released by expire_due (the job, or the volunteer's next voucher).
        raise Conflict(_("This voucher expired at %(t)s.", t=format_datetime(voucher.expires_at, "yyyy-MM-dd HH:mm")),
                       code="expired")
    if not _close(voucher, V.CONFIRMED, now, confirmed_at=now, confirmed_by_id=staff.id):
        raise _not_open(voucher)
    db.session.refresh(voucher)
    wallet, till = credits.wallet(voucher.user), credits.merchant_account(get_merchant(voucher.merchant_id))
    memo = voucher.offer.title
    credits.release(wallet, voucher.price)
    db.session.add(VoucherAttempt(user_id=staff.id, merchant_id=voucher.merchant_id, ip=ip, code=voucher.code,
                                  success=True, created_at=now))
    db.session.flush()
    # The offer's stock and the merchant's account are shared by all its counters: they are locked last,
    # so that a confirm holds them only for its final statements and the commit (wallet, offer,
    # merchant: the order making a voucher takes too). An unlimited offer's stock is NULL and stays NULL.
    _update_offer(voucher.offer_id, reserved=Offer.reserved - 1, stock=Offer.stock - 1)
    credits.redeem(wallet, till, voucher.price, f"redeem:voucher:{voucher.id}", memo=memo)
    return voucher


def confirmed_today(merchant_ids: list[int], now: datetime | None = None) -> list[Voucher]:
    tz = local_tz()
    start = (now or utcnow()).astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    return db.session.scalars(sa.select(Voucher).where(
        Voucher.merchant_id.in_(merchant_ids), Voucher.status == V.CONFIRMED, Voucher.confirmed_at >= start)
        .order_by(Voucher.confirmed_at.desc())).all()


def settlement(merchant, month: str | None = None) -> dict:
    """月结: a merchant's confirmed vouchers in a month, with totals per offer."""
    start, end = month_bounds(month)
    vouchers = db.session.scalars(sa.select(Voucher).where(
        Voucher.merchant_id == merchant.id, Voucher.status == V.CONFIRMED,
        Voucher.confirmed_at >= start, Voucher.confirmed_at < end).order_by(Voucher.confirmed_at)).all()
    per_offer: dict[int, dict] = {}
    for voucher in vouchers:
        row = per_offer.setdefault(voucher.offer_id, {"title": voucher.offer.title, "count": 0, "units": 0})
        row["count"] += 1
        row["units"] += voucher.price
    return {"merchant": merchant, "month": start.strftime("%Y-%m"), "vouchers": vouchers,
            "offers": sorted(per_offer.values(), key=lambda r: -r["units"]),
            "total_units": sum(v.price for v in vouchers)}


def get_voucher_of(owner, voucher_id: int) -> Voucher:
    """A voucher, loaded through its owner: anyone else's is "no such voucher" (404), never a 403
    that would tell it exists."""
    voucher = db.session.scalar(sa.select(Voucher).where(Voucher.id == voucher_id, Voucher.user_id == owner.id))
    if voucher is None:
        raise NotFound(_("No such voucher."))
    return voucher


def _usable(now: datetime | None):
    return sa.and_(Voucher.status == V.OPEN, Voucher.expires_at > (now or utcnow()))


def vouchers_of(user, now: datetime | None = None):
    """我的兑换券: the user's vouchers, those still usable first (soonest to expire), then the rest, newest
    first. A query, for paging."""
    usable = _usable(now)
    return (sa.select(Voucher).where(Voucher.user_id == user.id)
            .order_by(sa.case((usable, 0), else_=1), sa.case((usable, Voucher.expires_at)), Voucher.id.desc()))


def shown_status(voucher: Voucher, now: datetime | None = None) -> str:
    """The status to show: an open voucher past its time is expired, even before the job marks it."""
    if voucher.status == V.OPEN and voucher.expires_at <= (now or utcnow()):
        return V.EXPIRED
    return voucher.status


def open_vouchers(user, now: datetime | None = None) -> list[Voucher]:
    """The user's vouchers still waiting at a counter (我的兑换券), soonest to expire first."""
    return db.session.scalars(sa.select(Voucher).where(Voucher.user_id == user.id, _usable(now))
                              .order_by(Voucher.expires_at)).all()
