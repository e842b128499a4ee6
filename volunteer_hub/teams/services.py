"""Teams and their membership: join by request and leader approval, or by invitation."""
import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.core import audit
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import manages, require_manage
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node
from volunteer_hub.nodes.services import get_node, in_subtree
from volunteer_hub.people.models import User
from volunteer_hub.teams.models import (
    OTHER,
    STANDARD_CATEGORIES,
    Team,
    TeamMembership,
)
from volunteer_hub.teams.models import (
    MembershipStatus as S,
)


def get_team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound(_("No such team: %(id)s.", id=team_id))
    return team


def can_lead(user, team: Team) -> bool:
    """The leader, or a manager of the team's node, runs the team."""
    return getattr(user, "id", None) == team.leader_id or manages(user, team.node)


def _require_lead(user, team: Team) -> None:
    if not can_lead(user, team):
        raise Forbidden(_("Only the team leader or a manager of %(node)s can do this.", node=team.node.name))


def _require_volunteer(user: User, field: str) -> None:
    if user.profile is None:
        raise ValidationFailed(_("%(name)s has no volunteer profile.", name=user.name),
                               {field: [_("Only registered volunteers can be team members.")]})


def create_team(actor, *, name: str, category: str, node_id: int, leader_id: int,
                custom_category: str | None = None, description: str = "") -> Team:
    node = get_node(node_id)
    require_manage(actor, node)
    errors: dict[str, list[str]] = {}
    if not name or not name.strip() or len(name.strip()) > 100:
        errors["name"] = [_("Name is 1-100 characters.")]
    if category not in STANDARD_CATEGORIES and category != OTHER:
        errors["category"] = [_("Choose one of the 8 standard categories or 'other'.")]
    elif category == OTHER and not (custom_category or "").strip():
        errors["custom_category"] = [_("Name the local category of an 'other' team.")]
    leader = db.session.get(User, leader_id)
    if leader is None:
        errors["leader_id"] = [_("No such user.")]
    elif leader.profile is None:
        errors["leader_id"] = [_("The leader must be a registered volunteer.")]
    if errors:
        raise ValidationFailed(_("The team is not valid."), errors)
    name = name.strip()
    if db.session.scalar(sa.select(Team.id).where(Team.node_id == node.id, Team.name == name)):
        raise Conflict(_("%(node)s already has a team named %(name)s.", node=node.name, name=name),
                       {"name": [_("Already in use.")]})
    team = Team(node=node, name=name, category=category, leader=leader, description=description or "",
                custom_category=(custom_category or "").strip()[:40] if category == OTHER else None)
    db.session.add(team)
    db.session.flush()
    db.session.add(TeamMembership(team=team, user=leader, status=S.ACTIVE))
    audit.record(actor, "team.create", team, name=name, leader_id=leader.id)
    db.session.flush()
    return team


def list_teams(*, node: Node | None = None, category: str | None = None, q: str | None = None):
    query = sa.select(Team).join(Node, Team.node_id == Node.id).order_by(Node.path, Team.name)
    if node is not None:
        query = query.where(in_subtree(node))
    if category:
        query = query.where(Team.category == category)
    if q:
        query = query.where(Team.name.contains(q, autoescape=True))
    return query


def membership(team: Team, user: User) -> TeamMembership | None:
    return db.session.scalar(sa.select(TeamMembership).where(
        TeamMembership.team_id == team.id, TeamMembership.user_id == user.id))


def members(team: Team, statuses=(S.ACTIVE,)) -> list[TeamMembership]:
    return db.session.scalars(
        sa.select(TeamMembership).join(User, TeamMembership.user_id == User.id)
        .where(TeamMembership.team_id == team.id, TeamMembership.status.in_(list(statuses)))
        .order_by(TeamMembership.status, User.name)
    ).all()


def _set_status(actor, row: TeamMembership, status: S, action: str) -> TeamMembership:
    before = row.status
    row.status = status
    audit.record(actor, action, row, team_id=row.team_id, user_id=row.user_id, before=before, after=status)
    db.session.flush()
    return row


def _open_or_reopen(actor, team: Team, user: User, status: S, action: str) -> TeamMembership:
    row = membership(team, user)
    if row is None:
        row = TeamMembership(team=team, user=user, status=status)
        db.session.add(row)
        db.session.flush()
        audit.record(actor, action, row, team_id=team.id, user_id=user.id, after=status)
        return row
    if row.status == S.ACTIVE:
        raise Conflict(_("%(name)s is already a member.", name=user.name))
    if row.status in (S.PENDING, S.INVITED):
        raise Conflict(_("There is already an open request or invitation for %(name)s.", name=user.name))
    return _set_status(actor, row, status, action)


def request_to_join(actor, team: Team, user: User) -> TeamMembership:
    """申请加入: a volunteer asks for themself; the leader decides."""
    if actor.id != user.id:
        raise Forbidden(_("Volunteers ask to join for themselves; a leader invites others."))
    _require_volunteer(user, "user_id")
    return _open_or_reopen(user, team, user, S.PENDING, "team.request")


def invite(actor, team: Team, user: User) -> TeamMembership:
    """邀请: the leader invites a volunteer, who accepts or declines."""
    _require_lead(actor, team)
    _require_volunteer(user, "user_id")
    return _open_or_reopen(actor, team, user, S.INVITED, "team.invite")


def add_member(actor, team: Team, user: User) -> TeamMembership:
    """One entry point for the API: asking for oneself, inviting for others."""
    if actor.id == user.id and not can_lead(actor, team):
        return request_to_join(actor, team, user)
    return invite(actor, team, user)


def _row_for(team: Team, user: User) -> TeamMembership:
    row = membership(team, user)
    if row is None:
        raise NotFound(_("%(name)s has no membership in this team.", name=user.name))
    return row


def accept(actor, team: Team, user: User) -> TeamMembership:
    """Leader approves a request, or the invited volunteer accepts."""
    row = _row_for(team, user)
    if row.status == S.PENDING:
        _require_lead(actor, team)
    elif row.status == S.INVITED:
        if actor.id != user.id:
            raise Forbidden(_("Only the invited volunteer can accept an invitation."))
    else:
        raise Conflict(_("Only an open request or invitation can be accepted (it is %(status)s).", status=row.status))
    return _set_status(actor, row, S.ACTIVE, "team.accept")


def decline(actor, team: Team, user: User) -> TeamMembership:
    """Leader rejects a request, or the invited volunteer declines (either may withdraw their own)."""
    row = _row_for(team, user)
    if row.status not in (S.PENDING, S.INVITED):
        raise Conflict(_("Only an open request or invitation can be declined (it is %(status)s).", status=row.status))
    if actor.id != user.id:
        _require_lead(actor, team)
    return _set_status(actor, row, S.REJECTED, "team.decline")


def remove(actor, team: Team, user: User) -> TeamMembership:
    """A member leaves, or the leader removes them. The leader cannot leave their own team."""
    row = _row_for(team, user)
    if row.status != S.ACTIVE:
        raise Conflict(_("%(name)s is not an active member.", name=user.name))
    if actor.id != user.id:
        _require_lead(actor, team)
    if user.id == team.leader_id:
        raise Conflict(_("The leader cannot leave; appoint another leader first."))
    return _set_status(actor, row, S.LEFT, "team.remove")


def update_team(actor, team: Team, **changes) -> Team:
    """编辑队伍: its leader or a node manager changes the name and description; the category and the
    leader (an active member) are for the node's managers. Audited with before and after."""
    allowed = {"name", "description", "category", "custom_category", "leader_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(names)s.", names=", ".join(sorted(unknown))))
    _require_lead(actor, team)
    if {"category", "custom_category", "leader_id"} & set(changes):
        require_manage(actor, team.node, _("Only a manager of %(node)s changes a team's category or leader.",
                                           node=team.node.name))
    leader_id = changes.pop("leader_id", team.leader_id)
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    category = changes.get("category", team.category)
    custom = (changes.get("custom_category", team.custom_category) or "").strip()
    errors: dict[str, list[str]] = {}
    if "name" in changes and not 1 <= len(changes["name"]) <= 100:
        errors["name"] = [_("Name is 1-100 characters.")]
    if category not in STANDARD_CATEGORIES and category != OTHER:
        errors["category"] = [_("Choose one of the 8 standard categories or 'other'.")]
    elif category == OTHER and not custom:
        errors["custom_category"] = [_("Name the local category of an 'other' team.")]
    if errors:
        raise ValidationFailed(_("The team is not valid."), errors)
    if "category" in changes or "custom_category" in changes:
        changes["custom_category"] = custom[:40] if category == OTHER else None
    if changes.get("name", team.name) != team.name and db.session.scalar(sa.select(Team.id).where(
            Team.node_id == team.node_id, Team.name == changes["name"], Team.id != team.id)):
        raise Conflict(_("%(node)s already has a team named %(name)s.", node=team.node.name, name=changes["name"]),
                       {"name": [_("Already in use.")]})
    audit.apply_changes(actor, "team.update", team, changes)
    if leader_id != team.leader_id:
        leader = db.session.get(User, leader_id) if isinstance(leader_id, int) else None
        if leader is None:
            raise ValidationFailed(_("No such user."), {"leader_id": [_("No such user.")]})
        change_leader(actor, team, leader)
    return team


def change_leader(actor, team: Team, user: User) -> Team:
    require_manage(actor, team.node)
    row = membership(team, user)
    if row is None or row.status != S.ACTIVE:
        raise Conflict(_("The new leader must be an active member of the team."))
    audit.record(actor, "team.leader", team, before=team.leader_id, after=user.id)
    team.leader = user
    db.session.flush()
    return team


def teams_of(user: User) -> list[TeamMembership]:
    return db.session.scalars(
        sa.select(TeamMembership).where(TeamMembership.user_id == user.id,
                                        TeamMembership.status.in_([S.ACTIVE, S.PENDING, S.INVITED]))
        .order_by(TeamMembership.created_at)
    ).all()
