"""异常看板: what an auditor looks at first in a centre's month of hours and credits.

- people whose approved hours or credits received exceed 3× the median of their station's earners;
- hours and grants received by managers (their own records, approved by a colleague or a manager
  above them, are where self-dealing would hide);
- the share of hand-entered (补录) attendance per station;
- back-dated service days: created after they had begun.
Each row names the record it comes from, so the page can link to it.
"""
import statistics
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from volunteer_hub.checkin.models import Attendance
from volunteer_hub.core.months import month_bounds
from volunteer_hub.core.permissions import Role, require_centre_admin
from volunteer_hub.credits.models import AccountKind, CreditAccount, CreditEntry, CreditTransaction, TransactionKind
from volunteer_hub.credits.services import existing_account, to_credits
from volunteer_hub.events.models import ServiceDay
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node
from volunteer_hub.nodes.services import in_subtree
from volunteer_hub.people.models import Grant, User, VolunteerProfile

OUTLIER_FACTOR = 3


def require_board(actor, centre: Node) -> None:
    require_centre_admin(actor, centre, _("Only the centre's administrators can see its anomaly board."))


def _station_names(centre: Node) -> dict[int, str]:
    return dict(db.session.execute(sa.select(Node.id, Node.name).where(in_subtree(centre))).all())


def _earnings(centre: Node, start: datetime, end: datetime) -> dict[int, dict]:
    """Per volunteer of the centre: home station, approved minutes and credits received this month."""
    people: dict[int, dict] = {}
    minutes = db.session.execute(
        sa.select(Attendance.user_id, VolunteerProfile.home_station_id, sa.func.sum(Attendance.credited_minutes))
        .join(VolunteerProfile, VolunteerProfile.user_id == Attendance.user_id)
        .join(Node, Node.id == VolunteerProfile.home_station_id)
        .where(in_subtree(centre), Attendance.counts, Attendance.approved_at >= start, Attendance.approved_at < end)
        .group_by(Attendance.user_id, VolunteerProfile.home_station_id))
    for user_id, station_id, total in minutes:
        people[user_id] = {"station_id": station_id, "minutes": int(total), "units": 0}
    # Credits come from the centre's issuance account: read its month (an index range), then the wallet side.
    issuance = existing_account(AccountKind.ISSUANCE, centre_id=centre.id)
    issued = aliased(CreditEntry)
    received = db.session.execute(
        sa.select(CreditAccount.user_id, VolunteerProfile.home_station_id, sa.func.sum(CreditEntry.amount))
        .select_from(issued).join(CreditTransaction, CreditTransaction.id == issued.transaction_id)
        .join(CreditEntry, sa.and_(CreditEntry.transaction_id == issued.transaction_id, CreditEntry.amount > 0))
        .join(CreditAccount, sa.and_(CreditAccount.id == CreditEntry.account_id,
                                     CreditAccount.kind == AccountKind.WALLET))
        .join(VolunteerProfile, VolunteerProfile.user_id == CreditAccount.user_id)
        .join(Node, Node.id == VolunteerProfile.home_station_id)
        .where(issued.account_id == getattr(issuance, "id", None), issued.created_at >= start,
               issued.created_at < end, in_subtree(centre),
               CreditTransaction.kind.in_([TransactionKind.MINT, TransactionKind.GRANT]))
        .group_by(CreditAccount.user_id, VolunteerProfile.home_station_id))
    for user_id, station_id, units in received:
        people.setdefault(user_id, {"station_id": station_id, "minutes": 0, "units": 0})["units"] = int(units)
    return people


def _outliers(people: dict[int, dict], names: dict[int, str]) -> list[dict]:
    by_station: dict[int, list[dict]] = {}
    for person in people.values():
        by_station.setdefault(person["station_id"], []).append(person)
    rows = []
    for user_id, person in people.items():
        peers = by_station[person["station_id"]]
        for measure in ("minutes", "units"):
            earners = [p[measure] for p in peers if p[measure] > 0]
            median = statistics.median(earners) if earners else 0
            if median and person[measure] > OUTLIER_FACTOR * median:
                rows.append({"user_id": user_id, "station": names[person["station_id"]],
                             "measure": "hours" if measure == "minutes" else "credits",
                             "value": _shown(measure, person[measure]), "median": _shown(measure, median)})
    # Names only of those flagged: a county has thousands of people with hours in a month.
    flagged = {row["user_id"] for row in rows}
    users = dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(flagged))).all())
    for row in rows:
        row["name"] = users[row["user_id"]]
    return sorted(rows, key=lambda r: (r["station"], r["name"], r["measure"]))


def _shown(measure: str, amount) -> str:
    return f"{amount / 60:g}" if measure == "minutes" else str(to_credits(int(amount)))


def _managers_own(centre: Node, start: datetime, end: datetime) -> list[dict]:
    """Approved hours of people who manage a node of this centre (their own, approved by someone else)."""
    managers = sa.select(Grant.user_id).join(Node, Node.id == Grant.node_id).where(
        Grant.role.in_([Role.MANAGER, Role.ADMIN]), in_subtree(centre))
    approver = aliased(User)
    rows = db.session.execute(
        sa.select(Attendance.id, Attendance.service_day_id, User.name, approver.name, Attendance.credited_minutes,
                  ServiceDay.title)
        .join(User, User.id == Attendance.user_id).join(approver, approver.id == Attendance.approved_by_id)
        .join(ServiceDay, ServiceDay.id == Attendance.service_day_id).join(Node, Node.id == ServiceDay.node_id)
        .where(in_subtree(centre), Attendance.user_id.in_(managers), Attendance.counts,
               Attendance.approved_at >= start, Attendance.approved_at < end)
        .order_by(Attendance.id))
    return [{"attendance_id": a_id, "service_day_id": day_id, "name": name, "approver": by,
             "hours": f"{minutes / 60:g}", "title": title} for a_id, day_id, name, by, minutes, title in rows]


def _manual_share(centre: Node, start: datetime, end: datetime, names: dict[int, str]) -> list[dict]:
    rows = db.session.execute(
        sa.select(ServiceDay.node_id, sa.func.count(), sa.func.sum(sa.case((Attendance.manual, 1), else_=0)))
        .join(Attendance, Attendance.service_day_id == ServiceDay.id).join(Node, Node.id == ServiceDay.node_id)
        .where(in_subtree(centre), Attendance.reversed_at.is_(None), ServiceDay.starts_at >= start,
               ServiceDay.starts_at < end)
        .group_by(ServiceDay.node_id))
    share = [{"node_id": node_id, "node": names[node_id], "records": int(total), "manual": int(manual or 0),
              "share": round(100 * int(manual or 0) / int(total))} for node_id, total, manual in rows]
    return sorted(share, key=lambda r: (-r["share"], r["node"]))


def _back_dated(centre: Node, start: datetime, end: datetime, names: dict[int, str]) -> list[dict]:
    days = db.session.scalars(
        sa.select(ServiceDay).join(Node, Node.id == ServiceDay.node_id)
        .where(in_subtree(centre), ServiceDay.created_at > ServiceDay.starts_at, ServiceDay.created_at >= start,
               ServiceDay.created_at < end).order_by(ServiceDay.created_at))
    return [{"service_day_id": d.id, "title": d.title, "node": names[d.node_id], "starts_at": d.starts_at,
             "created_at": d.created_at} for d in days]


def board(centre: Node, month: str | None = None, now: datetime | None = None) -> dict:
    start, end = month_bounds(month, now)
    names = _station_names(centre)
    people = _earnings(centre, start, end)
    return {"month": start.strftime("%Y-%m"), "outliers": _outliers(people, names),
            "managers_own": _managers_own(centre, start, end), "manual_share": _manual_share(centre, start, end, names),
            "back_dated": _back_dated(centre, start, end, names)}
