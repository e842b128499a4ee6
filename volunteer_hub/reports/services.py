"""Reports: the weekly station rankings (红黑榜: service days held, active volunteers, approved hours,
credits redeemed) and a centre's 文明良票 over the months."""
from collections import Counter
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from volunteer_hub.checkin.models import Attendance
from volunteer_hub.core.db import (
    insert_ignoring_conflicts,
    local_date,
    local_midnight,
    local_month,
    local_tz,
    utcnow,
    week_start,
)
from volunteer_hub.core.errors import Forbidden, ValidationFailed
from volunteer_hub.core.permissions import Role, manages_in
from volunteer_hub.core.timefields import parse_day
from volunteer_hub.credits.models import AccountKind, CreditAccount, CreditEntry, CreditTransaction, TransactionKind
from volunteer_hub.credits.services import existing_account, to_credits
from volunteer_hub.events.models import ServiceDay
from volunteer_hub.extensions import db
from volunteer_hub.merchants.models import Merchant
from volunteer_hub.nodes.models import Node, NodeKind
from volunteer_hub.nodes.services import in_subtree
from volunteer_hub.notifications.messages import later
from volunteer_hub.notifications.services import notify
from volunteer_hub.people.models import Grant, VolunteerProfile
from volunteer_hub.reports.models import WeeklyReport

MEASURES = ("service_days", "volunteers", "hours", "redeemed")
CATCH_UP_WEEKS = 4  # a scheduler down for a while still writes the reports of the last four weeks


def last_complete_week(now: datetime) -> date:
    return week_start(local_date(now)) - timedelta(weeks=1)


def parse_week(value: str | None, now: datetime | None = None) -> date:
    """A week given by any of its days (ISO date); default the last complete week."""
    if not value:
        return last_complete_week(now or utcnow())
    try:
        return week_start(parse_day(value))
    except ValueError:
        message = _("Give the week as a date, e.g. 2026-11-16.")
        raise ValidationFailed(message, {"week": [message]}) from None


def can_view(user, centre: Node) -> bool:
    """Managers anywhere in the centre see its ranking: it is addressed to them."""
    return manages_in(user, centre)


def require_view(user, centre: Node) -> None:
    if centre.kind != NodeKind.CENTRE or not can_view(user, centre):
        raise Forbidden(_("Only managers in %(centre)s can see its weekly report.", centre=centre.name))


def _station_of(nodes: list[Node]) -> dict[int, int]:
    """Each node's station (itself or its nearest station above); points count for their station."""
    stations = {n.id for n in nodes if n.kind == NodeKind.STATION}
    result = {}
    for node in nodes:
        for ancestor in reversed(node.ancestor_ids):
            if ancestor in stations:
                result[node.id] = ancestor
                break
    return result


def _tills(centre: Node) -> sa.Select:
    """The accounts of the centre's merchants."""
    return (sa.select(CreditAccount.id).join(Merchant, CreditAccount.merchant_id == Merchant.id)
            .where(Merchant.centre_id == centre.id))


def measure(centre: Node, monday: date) -> dict[int, dict]:
    """The four figures of each station for the week starting ``monday`` (local time)."""
    start, end = local_midnight(monday), local_midnight(monday + timedelta(weeks=1))
    nodes = db.session.scalars(sa.select(Node).where(in_subtree(centre))).all()
    station_of = _station_of(nodes)
    figures = {sid: {"service_days": 0, "volunteers": set(), "hours": 0, "redeemed": 0}
               for sid in set(station_of.values())}
    held = (ServiceDay.cancelled_at.is_(None), ServiceDay.starts_at >= start, ServiceDay.starts_at < end,
            ServiceDay.node_id.in_(list(station_of)))
    for node_id, count in db.session.execute(sa.select(ServiceDay.node_id, sa.func.count())
                                             .where(*held).group_by(ServiceDay.node_id)):
        figures[station_of[node_id]]["service_days"] += count
    attendance = (sa.select(ServiceDay.node_id, Attendance.user_id, Attendance.credited_minutes, Attendance.approved_at)
                  .join(ServiceDay, Attendance.service_day_id == ServiceDay.id).where(*held))
    for node_id, user_id, minutes, approved_at in db.session.execute(attendance):
        row = figures[station_of[node_id]]
        row["volunteers"].add(user_id)
        row["hours"] += minutes if approved_at is not None else 0
    # From the week's entries of the centre's merchants (an index range), to the wallet side of each.
    paid = aliased(CreditEntry)
    redeemed = (sa.select(VolunteerProfile.home_station_id, sa.func.sum(CreditEntry.amount))
                .select_from(paid).join(CreditTransaction, CreditTransaction.id == paid.transaction_id)
                .join(CreditEntry, sa.and_(CreditEntry.transaction_id == paid.transaction_id, CreditEntry.amount < 0))
                .join(CreditAccount, CreditAccount.id == CreditEntry.account_id)
                .join(VolunteerProfile, VolunteerProfile.user_id == CreditAccount.user_id)
                .where(paid.account_id.in_(_tills(centre)), paid.amount > 0, paid.created_at >= start,
                       paid.created_at < end, CreditTransaction.kind == TransactionKind.REDEEM,
                       VolunteerProfile.home_station_id.in_(list(station_of)))
                .group_by(VolunteerProfile.home_station_id))
    for node_id, units in db.session.execute(redeemed):
        figures[station_of[node_id]]["redeemed"] += -to_credits(units).number
    return {sid: {"service_days": row["service_days"], "volunteers": len(row["volunteers"]),
                  "hours": round(row["hours"] / 60, 2), "redeemed": row["redeemed"]}
            for sid, row in figures.items()}


def build(centre: Node, monday: date) -> dict:
    """The report: stations ranked by approved hours, then service days and volunteers (ties share a
    rank); the previous week beside each; the top fifth flagged red (红榜) and the bottom fifth black
    (黑榜)."""
    this, before = measure(centre, monday), measure(centre, monday - timedelta(weeks=1))
    names = dict(db.session.execute(sa.select(Node.id, Node.name).where(Node.id.in_(list(this)))).all())
    def score(sid):
        return this[sid]["hours"], this[sid]["service_days"], this[sid]["volunteers"]

    order = sorted(this, key=lambda sid: (*(-value for value in score(sid)), names[sid]))
    flagged = max(1, len(order) // 5) if len(order) >= 2 else 0
    tied = Counter(score(sid) for sid in order)
    empty = dict.fromkeys(MEASURES, 0)
    stations = []
    for sid in order:
        # Ties share a rank (1, 1, 3); a tie is flagged only when all of it falls in the flagged fifth,
        # and nobody is red with nothing done, or black for a tie at nothing.
        rank = 1 + sum(1 for other in order if score(other) > score(sid))
        group, nothing = tied[score(sid)], not any(score(sid))
        flag = ("red" if rank + group - 1 <= flagged and not nothing
                else "black" if rank > len(order) - flagged and not (nothing and group > 1) else None)
        stations.append({"station_id": sid, "name": names[sid], "rank": rank, "flag": flag, **this[sid],
                         "previous": before.get(sid, empty)})
    totals = {m: round(sum(s[m] for s in this.values()), 2) for m in MEASURES}
    previous = {m: round(sum(s[m] for s in before.values()), 2) for m in MEASURES}
    return {"centre_id": centre.id, "centre": centre.name, "week": monday.isoformat(),
            "previous_week": (monday - timedelta(weeks=1)).isoformat(), "stations": stations,
            "totals": totals, "previous_totals": previous}


def report(centre: Node, monday: date) -> dict:
    """The stored report of a week, or (for a week not yet closed by the job) the live figures."""
    stored = db.session.scalar(sa.select(WeeklyReport).where(WeeklyReport.centre_id == centre.id,
                                                             WeeklyReport.week_start == monday))
    return {**stored.data, "stored": True} if stored else {**build(centre, monday), "stored": False}


def managers_in(centre: Node) -> sa.Select:
    return (sa.select(Grant.user_id).join(Node, Grant.node_id == Node.id)
            .where(Grant.role.in_([Role.MANAGER, Role.ADMIN]), in_subtree(centre))
            .distinct())


def generate_weekly(now: datetime | None = None) -> dict:
    """Job (Mondays): store each centre's report for the past week, and any of the last few weeks a
    stopped scheduler missed; tell the centre's managers. Stored once per centre and week."""
    now = now or utcnow()
    latest = last_complete_week(now)
    counts = {"reports": 0, "notified": 0}
    earliest = latest - timedelta(weeks=CATCH_UP_WEEKS - 1)
    for centre in db.session.scalars(sa.select(Node).where(Node.kind == NodeKind.CENTRE)).all():
        # Weeks already kept are not computed again; the unique key still settles a race.
        kept = set(db.session.scalars(sa.select(WeeklyReport.week_start).where(
            WeeklyReport.centre_id == centre.id, WeeklyReport.week_start >= earliest)))
        for back in range(CATCH_UP_WEEKS):
            monday = latest - timedelta(weeks=back)
            if local_midnight(monday + timedelta(weeks=1)) <= centre.created_at:
                break  # the centre did not exist yet
            if monday in kept:
                continue
            data = build(centre, monday)
            stored = db.session.scalar(insert_ignoring_conflicts(WeeklyReport, {
                "centre_id": centre.id, "week_start": monday, "data": data, "created_at": now,
            }).returning(WeeklyReport.id))
            if stored is None:
                continue
            counts["reports"] += 1
            black = [s["name"] for s in data["stations"] if s["flag"] == "black"]
            counts["notified"] += len(notify(
                managers_in(centre), key=f"weekly-report:{centre.id}:{monday.isoformat()}", kind="weekly_report",
                title=later("Weekly report of %(centre)s, week of %(week)s", centre=centre.name, week=monday),
                body=later("Approved hours: %(hours)s (previous week %(previous)s). Needing attention: %(black)s.",
                           hours=data["totals"]["hours"], previous=data["previous_totals"]["hours"],
                           black="、".join(black) or "—"),
                link=f"/centres/{centre.id}/reports/weekly?week={monday.isoformat()}", centre_id=None, now=now))
    return counts


# --- the centre's 文明良票 -------------------------------------------------------------------

def centre_credits(centre, months: int = 6, now: datetime | None = None) -> dict:
    """文明良票 of a centre: credits minted, redeemed and expired per month over ``months`` months, per
    station what its wallets received in those months (hours and grants), and what is outstanding.
    Flows are read from the centre's own accounts and its merchants' within the months (an index range
    each), never all of history."""
    now = now or utcnow()
    local = now.astimezone(local_tz())
    labels = []
    year, month = local.year, local.month
    for _i in range(months):
        labels.insert(0, f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    since = local_midnight(date.fromisoformat(labels[0] + "-01"))
    # Reading must not create accounts: a report is a GET.
    issuance = existing_account(AccountKind.ISSUANCE, centre_id=centre.id)
    expiry = existing_account(AccountKind.EXPIRY, centre_id=centre.id)
    bucket = local_month(CreditEntry.created_at).label("month")
    flows = {
        "minted": (CreditEntry.account_id == getattr(issuance, "id", None), -1),  # hours and grants, less claw-backs
        "redeemed": (CreditEntry.account_id.in_(_tills(centre)), 1),
        "expired": (CreditEntry.account_id == getattr(expiry, "id", None), 1),
    }
    series = {}
    for name, (where, sign) in flows.items():
        rows = dict(db.session.execute(sa.select(bucket, sa.func.sum(CreditEntry.amount))
                                       .where(where, CreditEntry.created_at >= since).group_by(bucket)).all())
        series[name] = [sign * to_credits(rows.get(label) or 0).number for label in labels]
    station = sa.select(Node.name, sa.func.coalesce(sa.func.sum(CreditAccount.balance), 0),
                        sa.func.count(CreditAccount.id)) \
        .join(VolunteerProfile, VolunteerProfile.home_station_id == Node.id) \
        .join(CreditAccount, sa.and_(CreditAccount.user_id == VolunteerProfile.user_id,
                                     CreditAccount.kind == AccountKind.WALLET)) \
        .where(in_subtree(centre)).group_by(Node.id, Node.name).order_by(Node.name)
    # What the station's wallets received in the months: hours and grants are a wallet's only credits in
    # (its account's entries by time, an index range per wallet).
    minted_by_station = dict(db.session.execute(
        sa.select(Node.name, sa.func.sum(CreditEntry.amount))
        .select_from(Node).join(VolunteerProfile, VolunteerProfile.home_station_id == Node.id)
        .join(CreditAccount, sa.and_(CreditAccount.user_id == VolunteerProfile.user_id,
                                     CreditAccount.kind == AccountKind.WALLET))
        .join(CreditEntry, CreditEntry.account_id == CreditAccount.id)
        .where(in_subtree(centre), CreditEntry.amount > 0, CreditEntry.created_at >= since)
        .group_by(Node.name)).all())
    stations = [{"name": name, "outstanding": to_credits(balance), "wallets": count,
                 "minted": to_credits(minted_by_station.get(name) or 0)}
                for name, balance, count in db.session.execute(station).all()]
    outstanding = sum(row["outstanding"].units for row in stations)  # every wallet belongs to a station
    return {"labels": labels, "series": series, "outstanding": to_credits(outstanding), "stations": stations}
