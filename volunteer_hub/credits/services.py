"""The 文明良票 ledger: every change is a balanced transaction with an idempotency key.

Only this module writes ledger rows; other features call it (approval mints here).
"""
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal, InvalidOperation

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager
from sqlalchemy.orm.attributes import set_committed_value

from volunteer_hub.core import audit
from volunteer_hub.core.db import insert_ignoring_conflicts, local_date, local_month, local_tz, utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import manages, require_centre_admin, require_not_own
from volunteer_hub.credits.models import (
    UNITS_PER_CREDIT,
    AccountKind,
    CreditAccount,
    CreditEntry,
    CreditPolicy,
    CreditTransaction,
    ExpiryRule,
    GrantRequest,
    GrantState,
    TransactionKind,
)
from volunteer_hub.credits.money import Credits
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node
from volunteer_hub.nodes.services import in_subtree, settings_of
from volunteer_hub.notifications.messages import later
from volunteer_hub.notifications.services import notify_users
from volunteer_hub.people.models import VolunteerProfile

MAX_ADJUSTMENT_CREDITS = 10_000
MAX_CREDITS = 1_000_000  # any one amount; far above any real one, far below what the columns hold


def to_units(credits) -> int:
    """Credits (1, 1.5, "2.5") to half-credit units; anything finer than half a credit is refused."""
    try:
        value = Decimal(str(credits))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value.copy_abs() > MAX_CREDITS:  # copy_abs: no context, no overflow
        message = _("Give an amount of credits between -%(most)s and %(most)s.", most=MAX_CREDITS)
        raise ValidationFailed(message, {"credits": [message]})
    units = value * UNITS_PER_CREDIT
    if units != units.to_integral_value():
        raise ValidationFailed(_("Credits come in halves."), {"credits": [_("Credits come in halves.")]})
    return int(units)


def to_credits(units: int) -> Credits:
    return Credits(units)


# --- accounts ---------------------------------------------------------------------------------

def _account(kind: AccountKind, create: bool = True, **owner) -> CreditAccount | None:
    """The account of ``kind`` for its owner, created on first use (safe against concurrent creation)."""
    (column, value), = owner.items()
    query = sa.select(CreditAccount).where(CreditAccount.kind == kind, getattr(CreditAccount, column) == value)
    account = db.session.scalar(query)
    if account is None and create:
        db.session.execute(insert_ignoring_conflicts(
            CreditAccount, {"kind": kind, column: value, "balance": 0, "held": 0, "created_at": utcnow()}))
        account = db.session.scalar(query)
    return account


def existing_account(kind: AccountKind, **owner) -> CreditAccount | None:
    """The account of ``kind`` for its owner if it has one; a read never creates accounts."""
    return _account(kind, create=False, **owner)


def wallet(user) -> CreditAccount:
    return _account(AccountKind.WALLET, user_id=user.id)


def issuance_account(centre_id: int) -> CreditAccount:
    return _account(AccountKind.ISSUANCE, centre_id=centre_id)


def expiry_account(centre_id: int) -> CreditAccount:
    return _account(AccountKind.EXPIRY, centre_id=centre_id)


def merchant_account(merchant) -> CreditAccount:
    return _account(AccountKind.MERCHANT, merchant_id=merchant.id)


# --- posting ----------------------------------------------------------------------------------

class InsufficientCredits(Conflict):
    code = "insufficient_credits"


def _lock_order(leg: tuple[CreditAccount, int]) -> tuple[bool, int]:
    """Wallets first, then the accounts many postings share (a merchant's, a centre's), each in id order."""
    account = leg[0]
    return account.kind != AccountKind.WALLET, account.id


def _moved(account: CreditAccount, row) -> None:
    """Put the balance an UPDATE … RETURNING gave on the loaded account, without reading it again."""
    if row is not None:
        set_committed_value(account, "balance", row.balance)
        set_committed_value(account, "held", row.held)


def post(kind: TransactionKind, key: str, legs: list[tuple[CreditAccount, int]], *, actor=None,
         memo: str = "", attendance_id: int | None = None) -> tuple[CreditTransaction, bool]:
    """Post a balanced transaction once per ``key``: returns (transaction, posted now).

    The entries are written first and the balances last: each leg is a conditional UPDATE of the
    account's cached balance, taken in one order (``_lock_order``) so that concurrent postings cannot
    deadlock, and the shared accounts stay locked only for the last statements and the commit. A leg
    that would leave a wallet or merchant below what it holds fails the whole transaction.
    """
    if sum(amount for _account, amount in legs) != 0 or any(amount == 0 for _account, amount in legs):
        raise ValueError("a transaction's legs must be non-zero and sum to zero")
    now = utcnow()
    transaction_id = db.session.scalar(insert_ignoring_conflicts(CreditTransaction, {
        "kind": kind, "key": key, "memo": memo[:200], "actor_id": getattr(actor, "id", None),
        "attendance_id": attendance_id, "created_at": now}).returning(CreditTransaction.id))
    if transaction_id is None:
        return db.session.scalar(sa.select(CreditTransaction).where(CreditTransaction.key == key)), False
    db.session.execute(sa.insert(CreditEntry), [
        {"transaction_id": transaction_id, "account_id": account.id, "amount": amount, "created_at": now}
        for account, amount in legs])
    transaction = db.session.get(CreditTransaction, transaction_id)
    for account, amount in sorted(legs, key=_lock_order):
        row = db.session.execute(
            sa.update(CreditAccount)
            .where(CreditAccount.id == account.id,
                   sa.or_(CreditAccount.kind == AccountKind.ISSUANCE,
                          CreditAccount.balance + amount >= CreditAccount.held))
            .values(balance=CreditAccount.balance + amount)
            .returning(CreditAccount.balance, CreditAccount.held)
            .execution_options(synchronize_session=False)).one_or_none()
        if row is None:
            raise InsufficientCredits(_("Not enough credits available for this."))
        _moved(account, row)
    return transaction, True


# --- holds (open vouchers) ------------------------------------------------------------------

def hold(account: CreditAccount, units: int) -> None:
    """Reserve credits: the balance stays, the available amount drops. Locks the account row."""
    row = db.session.execute(
        sa.update(CreditAccount).where(CreditAccount.id == account.id,
                                       CreditAccount.balance - CreditAccount.held >= units)
        .values(held=CreditAccount.held + units).returning(CreditAccount.balance, CreditAccount.held)
        .execution_options(synchronize_session=False)).one_or_none()
    if row is None:
        raise InsufficientCredits(_("Not enough credits available for this."))
    _moved(account, row)


class LedgerError(RuntimeError):
    """The books would stop adding up: a bug, never a user's mistake; the request rolls back."""


def release(account: CreditAccount, units: int) -> None:
    """Give back what a voucher held. Releasing more than is held means the books are wrong: refuse."""
    row = db.session.execute(
        sa.update(CreditAccount).where(CreditAccount.id == account.id, CreditAccount.held >= units)
        .values(held=CreditAccount.held - units).returning(CreditAccount.balance, CreditAccount.held)
        .execution_options(synchronize_session=False)).one_or_none()
    if row is None:
        raise LedgerError(f"account {account.id}: release of {units} units, fewer are held")
    _moved(account, row)


def redeem(wallet_account: CreditAccount, till: CreditAccount, units: int, key: str, memo: str) -> CreditTransaction:
    """A held amount moves from the volunteer's wallet to the merchant's account (``till``); the caller
    has released the hold. The merchant's account, shared by its counters, is locked last."""
    transaction, _posted = post(TransactionKind.REDEEM, key, [(wallet_account, -units), (till, units)], memo=memo)
    return transaction


# --- minting and manual adjustments -------------------------------------------------------------

def units_for(attendance) -> int:
    """Approved hours × the day's credits per hour, rounded down to half credits."""
    day = attendance.service_day
    units = Decimal(attendance.credited_minutes) * day.credits_per_hour * UNITS_PER_CREDIT / 60
    return int(units.to_integral_value(rounding=ROUND_FLOOR))


def mint_for_attendance(attendance) -> CreditTransaction | None:
    """Mint the credits of approved attendance. Keyed by the attendance: approving twice mints once."""
    units = units_for(attendance)
    if attendance.approved_at is None or units == 0:
        return None
    centre_id = attendance.service_day.node.centre_id
    transaction, _posted = post(
        TransactionKind.MINT, f"mint:attendance:{attendance.id}",
        [(issuance_account(centre_id), -units), (wallet(attendance.user), units)],
        memo=attendance.service_day.title, attendance_id=attendance.id)
    return transaction


def reverse_mint(attendance, actor, reason: str) -> CreditTransaction | None:
    """冲正: take back exactly what the attendance minted (409 if the volunteer has spent it)."""
    minted = db.session.scalar(sa.select(CreditEntry.amount).join(CreditTransaction).where(
        CreditTransaction.key == f"mint:attendance:{attendance.id}", CreditEntry.amount > 0))
    if not minted:
        return None
    transaction, _posted = post(
        TransactionKind.CLAWBACK, f"reverse:attendance:{attendance.id}",
        [(wallet(attendance.user), -minted), (issuance_account(attendance.service_day.node.centre_id), minted)],
        actor=actor, memo=reason, attendance_id=attendance.id)
    return transaction


def _check_adjustment(actor, user, credits, reason: str) -> tuple[int, str]:
    if user.profile is None:
        raise ValidationFailed(_("Only volunteers have wallets."), {"user_id": [_("Only volunteers have wallets.")]})
    if not manages(actor, user.profile.home_station):
        raise Forbidden(_("Only managers of %(station)s can adjust this volunteer's credits.",
                          station=user.profile.home_station.name))
    require_not_own(actor, user)
    units = to_units(credits)
    errors = {}
    if not 0 < units <= MAX_ADJUSTMENT_CREDITS * UNITS_PER_CREDIT:
        errors["credits"] = [_("Give 0.5 to %(max)s credits.", max=MAX_ADJUSTMENT_CREDITS)]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason; it is kept in the audit trail.")]
    if errors:
        raise ValidationFailed(_("The adjustment is not valid."), errors)
    return units, reason.strip()


def _granted_today(user, now: datetime) -> int:
    """Units granted to the volunteer by hand since local midnight, posted or awaiting review: grants
    split into small ones add up to the same threshold."""
    midnight = datetime.combine(local_date(now), datetime.min.time(), tzinfo=local_tz()).astimezone(UTC)
    posted = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(CreditEntry.amount), 0)).join(CreditTransaction)
        .join(CreditAccount, CreditAccount.id == CreditEntry.account_id)
        .where(CreditTransaction.kind == TransactionKind.GRANT, CreditAccount.kind == AccountKind.WALLET,
               CreditAccount.user_id == user.id, CreditTransaction.created_at >= midnight,
               CreditTransaction.key.not_like("grant:request:%")))
    waiting = db.session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(GrantRequest.units), 0))
        .where(GrantRequest.user_id == user.id, GrantRequest.created_at >= midnight,
               GrantRequest.state != GrantState.REJECTED))
    return int(posted) + int(waiting)


def adjust(actor, user, credits, reason: str, *, key: str | None = None,
           now: datetime | None = None) -> CreditTransaction | GrantRequest:
    """手工调整: positive credits grant, negative claw back (never below zero or what is held).

    A grant that takes the day's grants to the volunteer above the centre's threshold waits for a
    second manager (a GrantRequest); claw-backs take credits away and post at once."""
    now = now or utcnow()
    signed = to_units(credits)  # refuses what is not a number, or too big, before any arithmetic
    units, reason = _check_adjustment(actor, user, abs(signed) / UNITS_PER_CREDIT, reason)
    kind = TransactionKind.GRANT if signed > 0 else TransactionKind.CLAWBACK
    station = user.profile.home_station
    if kind == TransactionKind.GRANT and (
            _granted_today(user, now) + units > settings_of(station).review_grant_credits * UNITS_PER_CREDIT):
        return _request_grant(actor, user, units, reason, key)
    return _post_adjustment(actor, user, kind, units, reason, key or f"{kind}:{uuid.uuid4()}")


def _post_adjustment(actor, user, kind: TransactionKind, units: int, reason: str, key: str,
                     **audit_details) -> CreditTransaction:
    issuance = issuance_account(user.profile.home_station.centre_id)
    account = wallet(user)
    before = account.balance
    sign = 1 if kind == TransactionKind.GRANT else -1
    transaction, posted = post(kind, key, [(issuance, -sign * units), (account, sign * units)], actor=actor,
                               memo=reason)
    if posted:
        audit.record(actor, f"credits.{kind}", transaction, user_id=user.id, reason=reason,
                     before=to_credits(before).number, after=to_credits(account.balance).number, **audit_details)
    return transaction


def _request_grant(actor, user, units: int, reason: str, key: str | None) -> GrantRequest:
    if key is not None:
        existing = db.session.scalar(sa.select(GrantRequest).where(GrantRequest.key == key))
        if existing is not None:
            return existing
    request = GrantRequest(user_id=user.id, centre_id=user.profile.home_station.centre_id, units=units,
                           reason=reason[:200], key=key, requested_by_id=actor.id)
    db.session.add(request)
    db.session.flush()
    audit.record(actor, "credits.grant_requested", request, user_id=user.id, credits=to_credits(units).number,
                 reason=reason)
    return request


def get_grant_request(request_id: int) -> GrantRequest:
    request = db.session.get(GrantRequest, request_id)
    if request is None:
        raise NotFound(_("No such grant awaiting review: %(id)s.", id=request_id))
    return request


def decide_grant(actor, request: GrantRequest, *, approve: bool, reason: str = "",
                 now: datetime | None = None) -> GrantRequest:
    """The second manager approves (the grant posts) or rejects (with a reason) a grant awaiting review."""
    user = request.user
    if user.profile is None or not manages(actor, user.profile.home_station):
        raise Forbidden(_("Only managers of the volunteer's station can review this grant."))
    require_not_own(actor, user)
    if actor.id == request.requested_by_id:
        raise Forbidden(_("You asked for this grant; a second manager decides."), code="second_person_required")
    reason = (reason or "").strip()
    if not approve and not reason:
        message = _("Give the reason for rejecting.")
        raise ValidationFailed(message, {"reason": [message]})
    if request.state != GrantState.PENDING:
        raise Conflict(_("This grant has already been decided."), code="already_decided")
    transaction = _post_adjustment(actor, user, TransactionKind.GRANT, request.units, request.reason,
                                   f"grant:request:{request.id}", requested_by=request.requested_by_id) \
        if approve else None
    # Conditional on still pending: of two managers deciding at once one wins, the other's request
    # (and its idempotent posting) rolls back with the 409.
    decided = db.session.execute(
        sa.update(GrantRequest).where(GrantRequest.id == request.id, GrantRequest.state == GrantState.PENDING)
        .values(state=GrantState.APPROVED if approve else GrantState.REJECTED, decided_by_id=actor.id,
                decided_at=now or utcnow(), decision_reason=reason[:200],
                transaction_id=transaction.id if transaction else None)
        .execution_options(synchronize_session=False)).rowcount
    if not decided:
        raise Conflict(_("This grant has already been decided."), code="already_decided")
    if not approve:
        audit.record(actor, "credits.grant_rejected", request, user_id=user.id, reason=reason)
    db.session.refresh(request)
    return request


def grant_requests_for(actor):
    """Grants awaiting review that the actor may decide: their receivers' stations are managed by the actor."""
    requests = db.session.scalars(sa.select(GrantRequest).where(GrantRequest.state == GrantState.PENDING)
                                  .order_by(GrantRequest.id)).all()
    return [r for r in requests if r.user.profile is not None and manages(actor, r.user.profile.home_station)
            and actor.id not in (r.user_id, r.requested_by_id)]


# --- expiry -------------------------------------------------------------------------------------

def policy_of(centre) -> CreditPolicy:
    return db.session.get(CreditPolicy, centre.id) or CreditPolicy(centre_id=centre.id, expiry=ExpiryRule.NONE,
                                                                  warn_days=30)


def require_policy_admin(actor, centre) -> None:
    require_centre_admin(actor, centre, _("Only the centre's administrators can set its credit policy."))


def set_policy(actor, centre, *, expiry: str, warn_days: int = 30) -> CreditPolicy:
    """A centre admin chooses whether credits expire (and how far ahead volunteers are told)."""
    require_policy_admin(actor, centre)
    errors = {}
    if expiry not in set(ExpiryRule):
        errors["expiry"] = [_("Choose: never, or at the end of the next calendar year.")]
    if not 1 <= int(warn_days) <= 180:
        errors["warn_days"] = [_("Warn 1 to 180 days ahead.")]
    if errors:
        raise ValidationFailed(_("The credit policy is not valid."), errors)
    policy = db.session.get(CreditPolicy, centre.id)
    before = (policy.expiry, policy.warn_days) if policy else (ExpiryRule.NONE.value, 30)
    if policy is None:
        policy = CreditPolicy(centre_id=centre.id)
        db.session.add(policy)
    policy.expiry, policy.warn_days, policy.updated_by_id = expiry, int(warn_days), actor.id
    db.session.flush()
    audit.record(actor, "credits.policy", centre, before=list(before), after=[expiry, int(warn_days)])
    return policy


def _boundary(year: int) -> datetime:
    """Credits earned in local ``year`` expire at the start of 1 January two years on."""
    return datetime(year + 2, 1, 1, tzinfo=local_tz()).astimezone(UTC)


def _wallet_flows(centre) -> dict[int, dict]:
    """Per wallet of the centre's volunteers: credits in by local year, credits out, balance, owner."""
    wallets = (sa.select(CreditAccount.id).join(VolunteerProfile, VolunteerProfile.user_id == CreditAccount.user_id)
               .join(Node, Node.id == VolunteerProfile.home_station_id)
               .where(CreditAccount.kind == AccountKind.WALLET, in_subtree(centre)))
    flows = {account_id: {"in": {}, "out": 0, "user_id": user_id, "available": balance - held}
             for account_id, user_id, balance, held in db.session.execute(
                 sa.select(CreditAccount.id, CreditAccount.user_id, CreditAccount.balance, CreditAccount.held)
                 .where(CreditAccount.id.in_(wallets)))}
    month = local_month(CreditEntry.created_at).label("month")
    for account_id, label, amount in db.session.execute(
            sa.select(CreditEntry.account_id, month, sa.func.sum(CreditEntry.amount))
            .where(CreditEntry.account_id.in_(wallets), CreditEntry.amount > 0)
            .group_by(CreditEntry.account_id, month)):
        years = flows[account_id]["in"]
        years[int(label[:4])] = years.get(int(label[:4]), 0) + int(amount)
    for account_id, amount in db.session.execute(
            sa.select(CreditEntry.account_id, sa.func.sum(CreditEntry.amount))
            .where(CreditEntry.account_id.in_(wallets), CreditEntry.amount < 0).group_by(CreditEntry.account_id)):
        flows[account_id]["out"] = -int(amount)
    return flows


def expiring_by(flow: dict, moment: datetime) -> int:
    """FIFO: what earned before ``moment``'s boundary is not covered by everything spent so far."""
    due = sum(amount for year, amount in flow["in"].items() if _boundary(year) <= moment)
    return max(0, due - flow["out"])


def expire_and_warn(now: datetime | None = None) -> dict:
    """Job (daily): move expired credits to the centre's expiry account and warn volunteers ahead.

    Each posting's key is the wallet, the boundary and what had gone out before it: two runs
    that see the same ledger post once; credits held by an open voucher expire on a later run.
    """
    now = now or utcnow()
    counts = {"expired_wallets": 0, "expired_credits": 0, "warned": 0}
    policies = db.session.scalars(sa.select(CreditPolicy).where(CreditPolicy.expiry != ExpiryRule.NONE)).all()
    for policy in policies:
        centre = db.session.get(Node, policy.centre_id)
        next_boundary = _boundary(now.astimezone(local_tz()).year - 1)
        for account_id, flow in _wallet_flows(centre).items():
            units = min(expiring_by(flow, now), flow["available"])
            if units > 0:
                boundary = max(_boundary(year) for year in flow["in"] if _boundary(year) <= now)
                transaction, posted = post(
                    TransactionKind.EXPIRE, f"expire:{account_id}:{boundary.date()}:{flow['out']}",
                    [(db.session.get(CreditAccount, account_id), -units), (expiry_account(centre.id), units)],
                    memo=_("Expired (earned before %(date)s)", date=local_date(boundary)))
                if posted:
                    counts["expired_wallets"] += 1
                    counts["expired_credits"] += to_credits(units).number
                    notify_users([flow["user_id"]], key=f"credits-expired:{transaction.id}", kind="credit_expiry",
                                 link="/me/hours", centre_id=centre.id,
                                 title=later("%(credits)s civility credits have expired", credits=to_credits(units)))
                    flow["out"] += units
            upcoming = expiring_by(flow, next_boundary) if next_boundary > now else 0
            if upcoming and now >= next_boundary - timedelta(days=policy.warn_days):
                day = local_date(next_boundary - timedelta(seconds=1))
                counts["warned"] += len(notify_users(
                    [flow["user_id"]], key=f"credit-expiry-warning:{next_boundary.date()}", kind="credit_expiry",
                    link="/offers", centre_id=centre.id,
                    title=later("%(credits)s civility credits expire after %(date)s: redeem them before then",
                                credits=to_credits(upcoming), date=day)))
    return counts


# --- reports ------------------------------------------------------------------------------------

# --- reading ------------------------------------------------------------------------------------

def wallet_summary(user) -> dict:
    account = db.session.scalar(sa.select(CreditAccount).where(
        CreditAccount.kind == AccountKind.WALLET, CreditAccount.user_id == user.id))
    balance, held = (account.balance, account.held) if account else (0, 0)
    return {"balance": to_credits(balance), "held": to_credits(held), "available": to_credits(balance - held),
            "account_id": account.id if account else None}


def entries_query(account_id: int | None):
    """An account's entries, newest first, each with its transaction (kind, reason) in the same query."""
    return (sa.select(CreditEntry).join(CreditEntry.transaction).options(contains_eager(CreditEntry.transaction))
            .where(CreditEntry.account_id == (account_id or 0)).order_by(CreditEntry.id.desc()))


def ledger_problems() -> list[str]:
    """What is wrong with the ledger, if anything: unbalanced transactions, cached balances that
    differ from their entries, wallets below zero. Empty means sound."""
    problems = []
    unbalanced = db.session.scalars(sa.select(CreditEntry.transaction_id).group_by(CreditEntry.transaction_id)
                                    .having(sa.func.sum(CreditEntry.amount) != 0)).all()
    problems += [f"transaction {t} does not sum to zero" for t in unbalanced]
    sums = sa.select(CreditEntry.account_id, sa.func.sum(CreditEntry.amount).label("total")) \
        .group_by(CreditEntry.account_id).subquery()
    rows = db.session.execute(sa.select(CreditAccount.id, CreditAccount.kind, CreditAccount.balance,
                                        CreditAccount.held, sa.func.coalesce(sums.c.total, 0))
                              .outerjoin(sums, sums.c.account_id == CreditAccount.id)).all()
    for account_id, kind, balance, held, total in rows:
        if balance != total:
            problems.append(f"account {account_id}: cached balance {balance} but entries sum to {total}")
        if kind != AccountKind.ISSUANCE and balance - held < 0:
            problems.append(f"account {account_id}: available below zero")
    return problems
