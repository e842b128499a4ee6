"""批量导入志愿者: volunteers (and their teams) from the spreadsheets centres already keep.

A file is checked as a whole first (试导入, the dry run): every row gets an outcome — new, joins
teams, unchanged, or its errors in the user's language. The import writes only when no row has an
error, in one transaction, and is idempotent: a volunteer already on the roster (same phone, name
and station) is not created again, so importing the same file twice changes nothing the second time.
Imported volunteers have no password: they set one with a texted code (忘记密码) or a reset link.
"""
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import pgettext

from volunteer_hub.core import audit, crypto
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, NotFound, ValidationFailed
from volunteer_hub.core.sheets import SheetProblem, read_rows
from volunteer_hub.core.validators import id_number_problem, is_mainland_mobile, mask_phone, normalise_phone
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node, NodeKind
from volunteer_hub.nodes.services import managed_subtrees
from volunteer_hub.people import services as people
from volunteer_hub.people.models import User, VolunteerProfile
from volunteer_hub.roster.models import RosterUpload
from volunteer_hub.roster.services import require_roster
from volunteer_hub.teams.models import MembershipStatus, Team, TeamMembership

MAX_ROWS = 20_000
MAX_FILE_BYTES = 8 * 1024 * 1024
KEEP_UPLOADS = timedelta(days=2)
# No password yet: werkzeug reads a hash without "$" as matching no password at all.
NO_PASSWORD = "!imported"
SEPARATORS = re.compile(r"[、,，;；/\s]+")

# The template's columns; a header is recognised by any of its names.
COLUMNS = {
    "name": ("姓名", "name"),
    "phone": ("手机号", "手机", "手机号码", "phone"),
    "station": ("所属站点", "站点", "实践站", "station"),
    "id_number": ("身份证号", "身份证号码", "id_number"),
    "teams": ("志愿服务队", "服务队", "teams"),
    "skills": ("特长", "skills"),
}
REQUIRED = ("name", "phone", "station")
TEMPLATE_HEADER = ["姓名", "手机号", "所属站点", "身份证号", "志愿服务队", "特长"]
TEMPLATE_EXAMPLE = ["王小华", "13812345678", "城关实践站", "", "城关理论宣讲队", "急救、摄影"]


class Outcome:
    CREATE = "create"
    JOIN = "join"  # already on the roster; joins teams named in the file
    UNCHANGED = "unchanged"
    ERROR = "error"


@dataclass
class Row:
    number: int  # the row number the spreadsheet shows
    name: str
    phone: str
    station_text: str  # as written, until resolved against the actor's stations and teams
    teams_text: str
    station: Node | None = None
    id_number: str = ""
    teams: list[Team] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    existing: User | None = None
    teams_to_join: list[Team] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        if self.errors:
            return Outcome.ERROR
        if self.existing is None:
            return Outcome.CREATE
        return Outcome.JOIN if self.teams_to_join else Outcome.UNCHANGED

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if is_mainland_mobile(self.phone) else self.phone[:20]


@dataclass
class Report:
    rows: list[Row]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def errors(self) -> list[Row]:
        return [row for row in self.rows if row.errors]

    @property
    def summary(self) -> dict:
        return {"rows": len(self.rows), "created": self.count(Outcome.CREATE), "joined": self.count(Outcome.JOIN),
                "unchanged": self.count(Outcome.UNCHANGED), "errors": self.count(Outcome.ERROR)}


# --- reading ------------------------------------------------------------------------------------------

def _column_positions(header: list[str]) -> dict[str, int]:
    names = {alias.lower(): key for key, aliases in COLUMNS.items() for alias in aliases}
    positions = {}
    for index, title in enumerate(header):
        key = names.get(title.replace("*", "").strip().lower())
        if key and key not in positions:
            positions[key] = index
    missing = [COLUMNS[key][0] for key in REQUIRED if key not in positions]
    if missing:
        raise SheetProblem(_("The first row must name the columns; missing: %(columns)s. Download the template "
                             "to see them.", columns="、".join(missing)))
    return positions


def _rows(data: bytes, filename: str) -> list[Row]:
    if len(data) > MAX_FILE_BYTES:
        raise SheetProblem(_("The file is larger than 8 MB."))
    table = read_rows(data, filename, MAX_ROWS + 1)
    if not table:
        raise SheetProblem(_("The file is empty."))
    (_number, header), body = table[0], table[1:]
    if not body:
        raise SheetProblem(_("The file has a header but no volunteers."))
    if len(body) > MAX_ROWS:
        raise SheetProblem(_("At most %(n)s volunteers per file; split the file.", n=MAX_ROWS))
    positions = _column_positions(header)

    def cell(cells, key):
        index = positions.get(key)
        return cells[index] if index is not None and index < len(cells) else ""

    return [Row(number=number, name=cell(cells, "name"), phone=normalise_phone(cell(cells, "phone")),
                station_text=cell(cells, "station"), teams_text=cell(cells, "teams"),
                id_number=cell(cells, "id_number").upper(), skills=SEPARATORS.split(cell(cells, "skills")))
            for number, cells in body]


# --- checking -----------------------------------------------------------------------------------------

class _Directory:
    """The stations and teams the actor may import into, by name (and stations by code too)."""

    def __init__(self, actor):
        nodes = [node for _root, subtree in managed_subtrees(actor) for node in subtree]
        self.stations_by_code = {node.code: node for node in nodes if node.kind == NodeKind.STATION}
        self.stations_by_name: dict[str, list[Node]] = {}
        for node in self.stations_by_code.values():
            self.stations_by_name.setdefault(node.name, []).append(node)
        node_ids = [node.id for node in nodes]
        self.teams_by_name: dict[str, list[Team]] = {}
        for team in db.session.scalars(sa.select(Team).where(Team.node_id.in_(node_ids))) if node_ids else []:
            self.teams_by_name.setdefault(team.name, []).append(team)

    def station(self, text: str) -> tuple[Node | None, str | None]:
        if not text:
            return None, pgettext("import", "the station is missing")
        if text in self.stations_by_code:
            return self.stations_by_code[text], None
        matches = self.stations_by_name.get(text, [])
        if len(matches) == 1:
            return matches[0], None
        if matches:
            return None, pgettext("import", "several stations are called %(name)s: give the station's code",
                                  name=text)
        return None, pgettext("import", "no station %(name)s among the stations you manage", name=text)

    def team(self, text: str, station: Node | None) -> tuple[Team | None, str | None]:
        matches = self.teams_by_name.get(text, [])
        if len(matches) > 1 and station is not None:  # the same name elsewhere: the one nearest the station
            matches = [team for team in matches if station.is_within(team.node)] or matches
        if len(matches) == 1:
            return matches[0], None
        if matches:
            return None, pgettext("import", "several teams are called %(name)s", name=text)
        return None, pgettext("import", "no team %(name)s in the stations you manage", name=text)


def _in_chunks(values: list, size: int = 900):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _existing_by_phone(phones: list[str]) -> dict[str, User]:
    found = {}
    for chunk in _in_chunks(phones):
        for user in db.session.scalars(sa.select(User).where(User.phone.in_(chunk))
                                       .options(sa.orm.selectinload(User.profile))):
            found[user.phone] = user
    return found


def _existing_by_id_number(rows: list[Row]) -> dict[str, int]:
    """ID number → the user it is registered to (looked up under every key still accepted)."""
    digests = {digest: row.id_number for row in rows if row.id_number
               for digest in crypto.lookup_digests(row.id_number)}
    owners = {}
    for chunk in _in_chunks(list(digests)):
        for digest, user_id in db.session.execute(sa.select(VolunteerProfile.id_number_digest, VolunteerProfile.user_id)
                                                  .where(VolunteerProfile.id_number_digest.in_(chunk))):
            owners[digests[digest]] = user_id
    return owners


def _memberships(user_ids: list[int]) -> set[tuple[int, int]]:
    """(team, user) pairs already active: joining again would change nothing."""
    pairs = set()
    for chunk in _in_chunks(user_ids):
        pairs.update(db.session.execute(sa.select(TeamMembership.team_id, TeamMembership.user_id).where(
            TeamMembership.user_id.in_(chunk), TeamMembership.status == MembershipStatus.ACTIVE)))
    return pairs


def _check_fields(row: Row, directory: _Directory) -> None:
    name = row.name.strip()
    if not 1 <= len(name) <= 50:
        row.errors.append(pgettext("import", "the name is missing or longer than 50 characters"))
    row.name = name
    if not is_mainland_mobile(row.phone):
        row.errors.append(pgettext("import", "%(phone)s is not an 11-digit mainland mobile number",
                                   phone=row.phone[:20] or "—"))
    row.station, problem = directory.station(row.station_text)
    if problem:
        row.errors.append(problem)
    if row.id_number:
        problem = id_number_problem(row.id_number)
        if problem:
            row.errors.append(people.id_number_message(problem))
    for text in (t for t in SEPARATORS.split(row.teams_text) if t):
        team, problem = directory.team(text, row.station)
        if problem:
            row.errors.append(problem)
        elif team not in row.teams:
            row.teams.append(team)
    try:
        row.skills = people.clean_skills(row.skills)
    except ValidationFailed as exc:
        row.errors.extend(exc.fields["skills"])


def _check_duplicates(rows: list[Row]) -> None:
    first_phone, first_id = {}, {}
    for row in rows:
        if row.phone and row.phone in first_phone:
            row.errors.append(pgettext("import", "the same phone number as row %(row)s", row=first_phone[row.phone]))
        first_phone.setdefault(row.phone, row.number)
        if row.id_number and row.id_number in first_id:
            row.errors.append(pgettext("import", "the same ID number as row %(row)s", row=first_id[row.id_number]))
        first_id.setdefault(row.id_number, row.number)


def _check_existing(rows: list[Row]) -> None:
    users = _existing_by_phone([row.phone for row in rows if is_mainland_mobile(row.phone)])
    id_owners = _existing_by_id_number(rows)
    for row in rows:
        user = users.get(row.phone)
        if user is not None:
            if user.profile is None or user.name != row.name:
                row.errors.append(pgettext("import", "this phone number is already registered to someone else"))
            elif row.station is not None and user.profile.home_station_id != row.station.id:
                row.errors.append(pgettext("import", "already on the roster of %(station)s: move them from the "
                                           "roster instead", station=user.profile.home_station.name))
            else:
                row.existing = user
        owner = id_owners.get(row.id_number)
        if owner is not None and (user is None or owner != user.id):
            row.errors.append(pgettext("import", "this ID number is already registered to someone else"))
    joined = _memberships([row.existing.id for row in rows if row.existing and not row.errors])
    for row in rows:
        if row.existing is not None and not row.errors:
            row.teams_to_join = [team for team in row.teams if (team.id, row.existing.id) not in joined]


def check(actor, data: bytes, filename: str) -> Report:
    """试导入: every row's outcome or errors; writes nothing."""
    require_roster(actor)
    rows = _rows(data, filename)
    directory = _Directory(actor)
    for row in rows:
        _check_fields(row, directory)
    _check_duplicates(rows)
    _check_existing(rows)
    return Report(rows)


# --- importing ----------------------------------------------------------------------------------------

def _create(rows: list[Row], now: datetime) -> dict[int, int]:
    """The new volunteers in three bulk INSERTs; row number → user id."""
    new = [row for row in rows if row.outcome == Outcome.CREATE]
    if not new:
        return {}
    ids = db.session.scalars(sa.insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"name": row.name, "phone": row.phone, "password_hash": NO_PASSWORD, "active": True, "created_at": now}
        for row in new]).all()
    db.session.execute(sa.insert(VolunteerProfile), [
        {"user_id": user_id, "home_station_id": row.station.id, "skills": row.skills, "created_at": now,
         **(people.id_number_columns(row.id_number) if row.id_number else {})}
        for row, user_id in zip(new, ids, strict=True)])
    return {row.number: user_id for row, user_id in zip(new, ids, strict=True)}


def _join_teams(rows: list[Row], created: dict[int, int], now: datetime) -> int:
    """Active memberships for the teams each row names (a leaving or refused one is reopened)."""
    wanted = {(team.id, created[row.number]) for row in rows if row.number in created for team in row.teams}
    wanted |= {(team.id, row.existing.id) for row in rows if row.existing for team in row.teams_to_join}
    if not wanted:
        return 0
    user_ids = sorted({user_id for _team, user_id in wanted})
    rows_there = {}
    for chunk in _in_chunks(user_ids):
        for membership in db.session.scalars(sa.select(TeamMembership).where(TeamMembership.user_id.in_(chunk))):
            rows_there[(membership.team_id, membership.user_id)] = membership
    fresh = []
    for pair in sorted(wanted):
        if pair in rows_there:
            rows_there[pair].status = MembershipStatus.ACTIVE
        else:
            fresh.append({"team_id": pair[0], "user_id": pair[1], "status": MembershipStatus.ACTIVE,
                          "created_at": now, "updated_at": now})
    if fresh:
        db.session.execute(sa.insert(TeamMembership), fresh)
    return len(wanted)


def run(actor, data: bytes, filename: str, now: datetime | None = None) -> Report:
    """导入: all rows or none. Any row with an error → 422 with every row's errors, nothing written."""
    now = now or utcnow()
    report = check(actor, data, filename)
    if report.errors:
        raise ImportRefused(report)
    created = _create(report.rows, now)
    memberships = _join_teams(report.rows, created, now)
    audit.record(actor, "roster.import", actor, filename=filename[:200], sha256=hashlib.sha256(data).hexdigest(),
                 memberships=memberships, **report.summary)
    db.session.flush()
    return report


class ImportRefused(ValidationFailed):
    """The file has rows with errors; the report says which."""

    def __init__(self, report: Report):
        n = len(report.errors)
        super().__init__(_("%(n)s rows have errors; nothing was imported. Correct them and upload the file again.",
                           n=n), {"rows": [f"{row.number}: {'; '.join(row.errors)}" for row in report.errors[:200]]})
        self.report = report


# --- uploads kept for the preview page ------------------------------------------------------------------

def upload(actor, data: bytes, filename: str, now: datetime | None = None) -> RosterUpload:
    """Keep an uploaded file for its preview; a file that cannot be read at all is refused here."""
    require_roster(actor)
    _rows(data, filename)
    row = RosterUpload(uploaded_by_id=actor.id, filename=(filename or "upload")[:200], content=data,
                       sha256=hashlib.sha256(data).hexdigest(), created_at=now or utcnow())
    db.session.add(row)
    db.session.flush()
    return row


def get_upload(actor, upload_id: int) -> RosterUpload:
    """One's own upload; anyone else's is a 404."""
    require_roster(actor)
    row = db.session.get(RosterUpload, upload_id)
    if row is None or row.uploaded_by_id != actor.id:
        raise NotFound(_("No such upload."))
    return row


def import_upload(actor, row: RosterUpload, now: datetime | None = None) -> Report:
    if row.imported_at is not None:
        raise Conflict(_("This file has already been imported."), code="already_imported")
    now = now or utcnow()
    report = run(actor, row.content, row.filename, now)
    row.imported_at, row.content, row.summary = now, b"", report.summary
    db.session.flush()
    return report


def tidy_uploads(now: datetime | None = None) -> dict:
    """Job: uploads never imported are dropped after two days (they hold personal data)."""
    cutoff = (now or utcnow()) - KEEP_UPLOADS
    removed = db.session.execute(sa.delete(RosterUpload).where(RosterUpload.imported_at.is_(None),
                                                               RosterUpload.created_at < cutoff)).rowcount
    return {"removed": removed}


def template_rows() -> tuple[list[str], list[list[str]]]:
    return TEMPLATE_HEADER, [TEMPLATE_EXAMPLE]
