"""统计: the figures a centre (or an institute, or a station) reports upward, for a month, a quarter or a
year, grouped by institute, station, team, category or month: service days held, volunteer-times
(人次), distinct volunteers, approved hours, people served (from the activity records), credits
minted and redeemed, residents' requests handled and their average rating.

Counts come from approved, unreversed attendance of service days that were not cancelled, held in
the period under the node. A day with two teams counts for each team (and once in the totals);
distinct volunteers are distinct in each group and in the totals, so groups do not add up to them.
Credits redeemed belong to the volunteer's home station: they have no team or category.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from volunteer_hub.checkin.models import Attendance
from volunteer_hub.core import audit
from volunteer_hub.core.db import local_date, local_midnight, utcnow
from volunteer_hub.core.errors import Forbidden, ValidationFailed
from volunteer_hub.core.permissions import is_global_admin, require_manage
from volunteer_hub.credits.models import AccountKind, CreditAccount, CreditEntry, CreditTransaction, TransactionKind
from volunteer_hub.credits.money import Credits
from volunteer_hub.events.models import ActivityRecord, ServiceDay, service_day_teams
from volunteer_hub.extensions import db
from volunteer_hub.merchants.models import Merchant
from volunteer_hub.needs.models import Need, NeedState
from volunteer_hub.nodes.models import Node, NodeKind
from volunteer_hub.nodes.services import centre_of_node, in_subtree, subtree
from volunteer_hub.people.models import VolunteerProfile
from volunteer_hub.teams.models import Team

GROUPINGS = {"institute": _l("Institute"), "station": _l("Station"), "team": _l("Team"),
             "category": _l("Category"), "month": _l("Month")}
_PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")


@dataclass
class Period:
    label: str  # 2026, 2026-Q4 or 2026-11
    start: date
    end: date  # the day after the last

    @property
    def instants(self) -> tuple[datetime, datetime]:
        return local_midnight(self.start), local_midnight(self.end)

    @property
    def is_year(self) -> bool:
        return len(self.label) == 4


def parse_period(text: str | None, now: datetime | None = None) -> Period:
    """``2026`` (a year), ``2026-Q4`` (a quarter) or ``2026-11`` (a month); default this month."""
    text = (text or local_date(now or utcnow()).strftime("%Y-%m")).strip()
    match = _PERIOD.match(text)
    if not match or not 2000 <= int(match.group(1)) <= 2099:
        message = _("Give the period as a year (2026), a quarter (2026-Q4) or a month (2026-11).")
        raise ValidationFailed(message, {"period": [message]})
    year, month, quarter = int(match.group(1)), match.group(2), match.group(3)
    if month:
        first, months = int(month), 1
    elif quarter:
        first, months = (int(quarter) - 1) * 3 + 1, 3
    else:
        first, months = 1, 12
    after = first + months
    end = date(year + (after - 1) // 12, (after - 1) % 12 + 1, 1)
    return Period(text, date(year, first, 1), end)


@dataclass
class Figures:
    """One line of the statistics."""

    key: str
    name: str
    days: set = field(default_factory=set)
    times: int = 0  # 人次
    volunteers: set = field(default_factory=set)
    minutes: int = 0
    people_served: int = 0
    minted: int = 0  # ledger units
    redeemed: int | None = 0
    needs: int = 0
    ratings: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"key": self.key, "name": self.name, "days_held": len(self.days), "volunteer_times": self.times,
                "volunteers": len(self.volunteers), "hours": round(self.minutes / 60, 1),
                "people_served": self.people_served, "credits_minted": Credits(self.minted),
                "credits_redeemed": Credits(self.redeemed) if self.redeemed is not None else None,
                "needs_handled": self.needs,
                "needs_rating": round(sum(self.ratings) / len(self.ratings), 2) if self.ratings else None}


class _Groups:
    """Where a service day, a request or a volunteer's home station falls under the chosen grouping."""

    def __init__(self, root: Node, by: str, days: dict[int, tuple[int, datetime]]):
        self.by = by
        self.nodes = {node.id: node for node in subtree(root)}
        self.level = {"institute": NodeKind.INSTITUTE, "station": NodeKind.STATION}.get(by)
        self.day_teams: dict[int, list[Team]] = defaultdict(list)
        if by in ("team", "category") and days:
            for day_id, team in db.session.execute(
                    sa.select(service_day_teams.c.service_day_id, Team)
                    .join(Team, Team.id == service_day_teams.c.team_id)
                    .where(service_day_teams.c.service_day_id.in_(list(days)))).all():
                self.day_teams[day_id].append(team)
        self.days = days
        self.teams = {team.id: team for teams in self.day_teams.values() for team in teams}

    def of_node(self, node_id: int) -> list[tuple[str, str]]:
        node = self.nodes.get(node_id)
        if node is None:
            return []
        for ancestor_id in [*node.ancestor_ids, node.id]:
            ancestor = self.nodes.get(ancestor_id)
            if ancestor is not None and ancestor.kind == self.level:
                return [(f"node:{ancestor.id}", ancestor.name)]
        return [(f"node:{node.id}", _("%(name)s (directly)", name=node.name))]

    @staticmethod
    def _category(team: Team) -> tuple[str, str]:
        return f"category:{team.category}:{team.custom_category or ''}", team.category_label

    def of_day(self, day_id: int) -> list[tuple[str, str]]:
        node_id, starts_at = self.days[day_id]
        if self.by == "month":
            return [(local_date(starts_at).strftime("%Y-%m"),) * 2]
        if self.by in ("team", "category"):
            teams = self.day_teams.get(day_id)
            if not teams:
                return [("none", _("No team"))]
            if self.by == "team":
                return [(f"team:{team.id}", team.name) for team in teams]
            return sorted({self._category(team) for team in teams})
        return self.of_node(node_id)

    def of_need(self, node_id: int, team_id: int | None, completed_at: datetime):
        if self.by == "month":
            return [(local_date(completed_at).strftime("%Y-%m"),) * 2]
        if self.by in ("team", "category"):  # the team that served it, and that team's category
            team = self.teams.get(team_id) or (db.session.get(Team, team_id) if team_id else None)
            if team is None:
                return [("none", _("No team"))]
            return [(f"team:{team.id}", team.name)] if self.by == "team" else [self._category(team)]
        return self.of_node(node_id)


def _held(root: Node, start: datetime, end: datetime) -> sa.Select:
    """Service days held (not cancelled) under ``root`` that start in [start, end)."""
    return (sa.select(ServiceDay.id, ServiceDay.node_id, ServiceDay.starts_at)
            .join(Node, Node.id == ServiceDay.node_id)
            .where(in_subtree(root), ServiceDay.cancelled_at.is_(None), ServiceDay.starts_at >= start,
                   ServiceDay.starts_at < end))


def _days(root: Node, start: datetime, end: datetime) -> dict[int, tuple[int, datetime]]:
    return {day_id: (node_id, starts_at)
            for day_id, node_id, starts_at in db.session.execute(_held(root, start, end)).all()}


def _in_days(column, root: Node, start: datetime, end: datetime):
    return column.in_(sa.select(_held(root, start, end).subquery().c.id))


def compute(root: Node, period: Period, by: str) -> dict:
    """The figures of ``root``'s subtree in ``period``, one line per group and the totals."""
    if by not in GROUPINGS:
        message = _("Group by one of: %(names)s.", names=", ".join(GROUPINGS))
        raise ValidationFailed(message, {"by": [message]})
    start, end = period.instants
    days = _days(root, start, end)
    groups = _Groups(root, by, days)
    lines: dict[str, Figures] = {}
    total = Figures("total", _("Total"))

    def add(keys, update):
        for key, name in keys:
            update(lines.setdefault(key, Figures(key, name)))
        update(total)

    for day_id in days:
        add(groups.of_day(day_id), lambda f, d=day_id: f.days.add(d))
    for day_id, user_id, minutes in db.session.execute(
            sa.select(Attendance.service_day_id, Attendance.user_id, Attendance.credited_minutes)
            .where(Attendance.counts, _in_days(Attendance.service_day_id, root, start, end))).all():
        def count(f, u=user_id, m=minutes or 0):
            f.times += 1
            f.volunteers.add(u)
            f.minutes += m
        add(groups.of_day(day_id), count)
    for day_id, served in db.session.execute(
            sa.select(ActivityRecord.service_day_id, ActivityRecord.people_served)
            .where(_in_days(ActivityRecord.service_day_id, root, start, end))).all():
        add(groups.of_day(day_id), lambda f, s=served: setattr(f, "people_served", f.people_served + s))
    for day_id, units in db.session.execute(
            sa.select(Attendance.service_day_id, sa.func.sum(CreditEntry.amount))
            .join(CreditTransaction, CreditTransaction.attendance_id == Attendance.id)
            .join(CreditEntry, CreditEntry.transaction_id == CreditTransaction.id)
            .where(CreditTransaction.kind == TransactionKind.MINT, CreditEntry.amount > 0, Attendance.counts,
                   _in_days(Attendance.service_day_id, root, start, end))
            .group_by(Attendance.service_day_id)).all():
        add(groups.of_day(day_id), lambda f, u=int(units): setattr(f, "minted", f.minted + u))
    for node_id, team_id, completed_at, rating in db.session.execute(
            sa.select(Need.node_id, Need.team_id, Need.completed_at, Need.rating)
            .join(Node, Node.id == Need.node_id)
            .where(in_subtree(root), Need.state.in_([NeedState.COMPLETED, NeedState.REVIEWED]),
                   Need.completed_at >= start, Need.completed_at < end)).all():
        def handled(f, r=rating):
            f.needs += 1
            if r is not None:
                f.ratings.append(r)
        add(groups.of_need(node_id, team_id, completed_at), handled)
    _redeemed(root, start, end, groups, lines, total)
    rows = sorted(lines.values(), key=lambda f: (f.key == "none", f.key if by == "month" else f.name))
    return {"period": period, "by": by, "rows": [f.as_dict() for f in rows], "total": total.as_dict()}


def _redeemed(root, start, end, groups: _Groups, lines: dict, total: Figures) -> None:
    """Credits spent at merchants, by the volunteer's home station (teams and categories have none)."""
    when = local_date
    for station_id, created_at, units in db.session.execute(
            sa.select(VolunteerProfile.home_station_id, CreditTransaction.created_at, -CreditEntry.amount)
            .select_from(CreditEntry)
            .join(CreditTransaction, CreditTransaction.id == CreditEntry.transaction_id)
            .join(CreditAccount, sa.and_(CreditAccount.id == CreditEntry.account_id,
                                         CreditAccount.kind == AccountKind.WALLET))
            .join(VolunteerProfile, VolunteerProfile.user_id == CreditAccount.user_id)
            .join(Node, Node.id == VolunteerProfile.home_station_id)
            .where(CreditTransaction.kind == TransactionKind.REDEEM, in_subtree(root),
                   CreditTransaction.created_at >= start, CreditTransaction.created_at < end)).all():
        total.redeemed += int(units)
        if groups.by in ("team", "category"):
            continue
        keys = ([(when(created_at).strftime("%Y-%m"),) * 2] if groups.by == "month"
                else groups.of_node(station_id))
        for key, name in keys:
            line = lines.setdefault(key, Figures(key, name))
            line.redeemed += int(units)
    if groups.by in ("team", "category"):
        for line in lines.values():
            line.redeemed = None


def statistics(actor, node: Node, period_text: str | None, by: str, now: datetime | None = None) -> dict:
    """统计 for managers of ``node``; a year also comes month by month (the year-end view)."""
    require_manage(actor, node, _("Only managers of %(name)s see its statistics.", name=node.name))
    period = parse_period(period_text, now)
    result = compute(node, period, by)
    result["node"] = node
    result["months"] = compute(node, period, "month")["rows"] if period.is_year and by != "month" else []
    return result


HEADER = ["分组", "服务日（场）", "志愿服务（人次）", "志愿者（人）", "服务时长（小时）", "服务群众（人次）",
          "发放文明良票", "兑换文明良票", "办结群众点单", "点单平均评分"]


def _cells(row: dict) -> list:
    def number(value):
        return value.number if isinstance(value, Credits) else value

    return [row["name"], row["days_held"], row["volunteer_times"], row["volunteers"], row["hours"],
            row["people_served"], number(row["credits_minted"]),
            "" if row["credits_redeemed"] is None else number(row["credits_redeemed"]), row["needs_handled"],
            "" if row["needs_rating"] is None else row["needs_rating"]]


def export_sheets(actor, node: Node, period_text: str | None, by: str) -> list[tuple[str, list, list]]:
    """The statistics as spreadsheet sheets (groups with the total, and the months of a year); audited."""
    result = statistics(actor, node, period_text, by)
    sheets = [(f"统计 {result['period'].label}", HEADER,
               [_cells(row) for row in result["rows"]] + [_cells(result["total"])])]
    if result["months"]:
        sheets.append(("按月", HEADER, [_cells(row) for row in result["months"]]))
    audit.record(actor, "export.statistics", node, period=result["period"].label, by=by)
    return sheets


def _by_centre(query: sa.Select, node_id) -> sa.Select:
    """``query`` grouped by the centre of its node (``node_id``), selecting the centre's id."""
    return (query.add_columns(centre_of_node().label("centre_id")).join(Node, Node.id == node_id)
            .group_by(sa.literal_column("centre_id")))


def province(actor, period_text: str | None, now: datetime | None = None) -> dict:
    """全省汇总: every centre's figures for a period, for the administrators over all centres. Aggregated in
    the database (a province's month is about a million attendance rows); credits are the flows of each
    centre's issuance account (hours and grants, less claw-backs) and of its merchants' accounts."""
    if not is_global_admin(actor):
        raise Forbidden(_("Only administrators over every centre see the whole province."))
    period = parse_period(period_text, now)
    start, end = period.instants
    held = sa.and_(ServiceDay.cancelled_at.is_(None), ServiceDay.starts_at >= start, ServiceDay.starts_at < end)
    lines = {centre.id: {"centre_id": centre.id, "name": centre.name, "days_held": 0, "volunteer_times": 0,
                         "volunteers": 0, "minutes": 0, "minted": 0, "redeemed": 0, "needs_handled": 0}
             for centre in db.session.scalars(sa.select(Node).where(Node.kind == NodeKind.CENTRE).order_by(Node.id))}

    def fill(query, *names):
        for row in db.session.execute(query):
            line = lines[row.centre_id]
            for name in names:
                line[name] += int(getattr(row, name) or 0)

    fill(_by_centre(sa.select(sa.func.count().label("days_held")).select_from(ServiceDay).where(held),
                    ServiceDay.node_id), "days_held")
    fill(_by_centre(sa.select(sa.func.count().label("volunteer_times"),
                              sa.func.count(sa.distinct(Attendance.user_id)).label("volunteers"),
                              sa.func.sum(Attendance.credited_minutes).label("minutes"))
                    .select_from(Attendance).join(ServiceDay, ServiceDay.id == Attendance.service_day_id)
                    .where(held, Attendance.counts), ServiceDay.node_id), "volunteer_times", "volunteers", "minutes")
    # Each account's month is an index range (account, time); a sum per account, then per centre.
    per_account = (sa.select(CreditEntry.account_id, sa.func.sum(CreditEntry.amount).label("amount"))
                   .where(CreditEntry.account_id.in_(sa.select(CreditAccount.id).where(
                       CreditAccount.kind.in_([AccountKind.ISSUANCE, AccountKind.MERCHANT]))),
                          CreditEntry.created_at >= start, CreditEntry.created_at < end)
                   .group_by(CreditEntry.account_id).subquery())
    flows = (sa.select(CreditAccount.kind, CreditAccount.centre_id, Merchant.centre_id, per_account.c.amount)
             .join(per_account, per_account.c.account_id == CreditAccount.id)
             .outerjoin(Merchant, Merchant.id == CreditAccount.merchant_id))
    for kind, centre_id, merchant_centre, amount in db.session.execute(flows):
        if kind == AccountKind.ISSUANCE:
            lines[centre_id]["minted"] += -int(amount)
        else:
            lines[merchant_centre]["redeemed"] += int(amount)
    fill(_by_centre(sa.select(sa.func.count().label("needs_handled")).select_from(Need)
                    .where(Need.state.in_([NeedState.COMPLETED, NeedState.REVIEWED]), Need.completed_at >= start,
                           Need.completed_at < end), Need.node_id), "needs_handled")
    rows = [{**line, "hours": round(line.pop("minutes") / 60, 1), "credits_minted": Credits(line.pop("minted")),
             "credits_redeemed": Credits(line.pop("redeemed"))} for line in lines.values()]
    keys = ("days_held", "volunteer_times", "hours", "needs_handled")
    total = {key: sum(row[key] for row in rows) for key in keys}
    total["credits_minted"] = Credits(sum(row["credits_minted"].units for row in rows))
    total["credits_redeemed"] = Credits(sum(row["credits_redeemed"].units for row in rows))
    return {"period": period, "rows": rows, "total": total}
