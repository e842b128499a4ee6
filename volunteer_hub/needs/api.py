"""JSON API of residents' requests (点单—派单—接单—评单)."""
from flask.views import MethodView
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.pagination import page_of
from volunteer_hub.needs import services
from volunteer_hub.needs.schemas import (
    AcceptIn,
    DashboardOut,
    DispatchIn,
    NeedIn,
    NeedOut,
    NeedQuery,
    ReasonIn,
    ReviewIn,
)
from volunteer_hub.nodes.services import get_node

blp = Blueprint("needs_api", __name__, url_prefix="/api/v1/needs", description="群众点单—派单—接单—评单")


@blp.route("")
class Needs(MethodView):
    decorators = [auth_required]

    @blp.arguments(NeedQuery, location="query")
    @blp.response(200, NeedOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """A node's queue (``node``, its managers) or my own requests and my teams'; filter by ``state``."""
        node = get_node(args["node"]) if "node" in args else None
        return page_of(services.list_needs(current_user, node, args.get("state")), pagination_parameters)

    @blp.arguments(NeedIn)
    @blp.response(201, NeedOut)
    def post(self, data):
        """点单 (any account; photos go through the page)."""
        return services.submit(current_user, **data)


@blp.route("/<int:need_id>", methods=["GET"])
@auth_required
@blp.response(200, NeedOut)
def show(need_id):
    return services.visible_need(current_user, need_id)


def _act(need_id, move, **kwargs):
    return move(current_user, services.visible_need(current_user, need_id), **kwargs)


@blp.route("/<int:need_id>/dispatch", methods=["POST"])
@auth_required
@blp.arguments(DispatchIn)
@blp.response(200, NeedOut)
def dispatch(data, need_id):
    """派单 to a team, with a deadline to accept (managers of the request's node)."""
    return _act(need_id, services.dispatch, **data)


@blp.route("/<int:need_id>/forward", methods=["POST"])
@auth_required
@blp.arguments(ReasonIn)
@blp.response(200, NeedOut)
def forward(data, need_id):
    """No team fits: up to the parent node's queue."""
    return _act(need_id, services.forward, **data)


@blp.route("/<int:need_id>/accept", methods=["POST"])
@auth_required
@blp.arguments(AcceptIn)
@blp.response(200, NeedOut)
def accept(data, need_id):
    """接单 (the team's leader): a service day serves it."""
    return _act(need_id, services.accept, **data)


@blp.route("/<int:need_id>/decline", methods=["POST"])
@auth_required
@blp.arguments(ReasonIn)
@blp.response(200, NeedOut)
def decline(data, need_id):
    return _act(need_id, services.decline, **data)


@blp.route("/<int:need_id>/complete", methods=["POST"])
@auth_required
@blp.response(200, NeedOut)
def complete(need_id):
    return _act(need_id, services.complete)


@blp.route("/<int:need_id>/review", methods=["POST"])
@auth_required
@blp.arguments(ReviewIn)
@blp.response(200, NeedOut)
def review(data, need_id):
    """评单 (the resident): 1-5 and a comment."""
    return _act(need_id, services.review, **data)


@blp.route("/<int:need_id>/cancel", methods=["POST"])
@auth_required
@blp.arguments(ReasonIn)
@blp.response(200, NeedOut)
def cancel(data, need_id):
    return _act(need_id, services.cancel, **data)


@blp.route("/dashboard/<int:node_id>", methods=["GET"])
@auth_required
@blp.response(200, DashboardOut)
def dashboard(node_id):
    """Requests below a node by state and category, medians and ratings (its managers)."""
    node = get_node(node_id)
    services.require_queue(current_user, node)
    return services.dashboard(node)
