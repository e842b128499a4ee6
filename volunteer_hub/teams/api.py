"""JSON API of teams and membership."""
from flask.views import MethodView
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.pagination import page_of
from volunteer_hub.nodes.services import get_node
from volunteer_hub.people.services import get_user
from volunteer_hub.teams import services
from volunteer_hub.teams.models import MembershipStatus
from volunteer_hub.teams.schemas import MemberIn, MembershipOut, TeamIn, TeamOut, TeamPatch, TeamQuery

blp = Blueprint("teams_api", __name__, url_prefix="/api/v1/teams", description="志愿服务队")


@blp.route("")
class Teams(MethodView):
    decorators = [auth_required]

    @blp.arguments(TeamQuery, location="query")
    @blp.response(200, TeamOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Teams, optionally of one node's subtree or one category."""
        node = get_node(args.pop("node_id")) if "node_id" in args else None
        return page_of(services.list_teams(node=node, **args), pagination_parameters)

    @blp.arguments(TeamIn)
    @blp.response(201, TeamOut)
    def post(self, data):
        """Create a team on a node you manage; its leader becomes its first member."""
        team = services.create_team(current_user, **data)
        return team


@blp.route("/<int:team_id>")
class TeamById(MethodView):
    decorators = [auth_required]

    @blp.response(200, TeamOut)
    def get(self, team_id):
        return services.get_team(team_id)

    @blp.arguments(TeamPatch)
    @blp.response(200, TeamOut)
    def patch(self, data, team_id):
        """编辑: name and description (leader, managers); category and leader (managers)."""
        return services.update_team(current_user, services.get_team(team_id), **data)


@blp.route("/<int:team_id>/members")
class Members(MethodView):
    decorators = [auth_required]

    @blp.response(200, MembershipOut(many=True))
    def get(self, team_id):
        """Active members; the leader and managers also see open requests and invitations."""
        team = services.get_team(team_id)
        statuses = [MembershipStatus.ACTIVE]
        if services.can_lead(current_user, team):
            statuses += [MembershipStatus.PENDING, MembershipStatus.INVITED]
        return services.members(team, statuses)

    @blp.arguments(MemberIn)
    @blp.response(201, MembershipOut)
    def post(self, data, team_id):
        """Ask to join (your own user_id) or invite a volunteer (leader or manager)."""
        row = services.add_member(current_user, services.get_team(team_id), get_user(data["user_id"]))
        return row


def _act(action, team_id, user_id):
    row = action(current_user, services.get_team(team_id), get_user(user_id))
    return row


@blp.route("/<int:team_id>/members/<int:user_id>/accept", methods=["POST"])
@auth_required
@blp.response(200, MembershipOut)
def accept(team_id, user_id):
    """The leader approves a request, or the invited volunteer accepts."""
    return _act(services.accept, team_id, user_id)


@blp.route("/<int:team_id>/members/<int:user_id>/decline", methods=["POST"])
@auth_required
@blp.response(200, MembershipOut)
def decline(team_id, user_id):
    """The leader rejects a request, or the invited volunteer declines."""
    return _act(services.decline, team_id, user_id)


@blp.route("/<int:team_id>/members/<int:user_id>", methods=["DELETE"])
@auth_required
@blp.response(200, MembershipOut)
def remove(team_id, user_id):
    """Leave the team, or remove a member (leader or manager)."""
    return _act(services.remove, team_id, user_id)
