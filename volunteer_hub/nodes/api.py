"""JSON API of the practice hierarchy."""
from flask.views import MethodView
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.pagination import page_of
from volunteer_hub.core.permissions import require_manage
from volunteer_hub.extensions import db
from volunteer_hub.nodes import services
from volunteer_hub.nodes.schemas import ManagerIn, ManagerOut, NodeIn, NodeOut, NodeQuery
from volunteer_hub.people import services as people

blp = Blueprint("nodes_api", __name__, url_prefix="/api/v1/nodes", description="实践中心/所/站/点")


@blp.route("")
class Nodes(MethodView):
    decorators = [auth_required]

    @blp.arguments(NodeQuery, location="query")
    @blp.response(200, NodeOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """List nodes, optionally the children of one node or of one kind."""
        return page_of(services.list_nodes(**args), pagination_parameters)

    @blp.arguments(NodeIn)
    @blp.response(201, NodeOut)
    def post(self, data):
        """Create a centre (platform admin) or a child of a node you manage."""
        node = services.create_node(current_user, **data)
        db.session.commit()
        return node


@blp.route("/<int:node_id>")
class NodeById(MethodView):
    decorators = [auth_required]

    @blp.response(200, NodeOut)
    def get(self, node_id):
        return services.get_node(node_id)


def _manager_out(user, node):
    return {"user_id": user.id, "name": user.name, "node_id": node.id}


@blp.route("/<int:node_id>/managers")
class NodeManagers(MethodView):
    decorators = [auth_required]

    @blp.response(200, ManagerOut(many=True))
    def get(self, node_id):
        """Managers of this node (managers of the node or above only)."""
        node = services.get_node(node_id)
        require_manage(current_user, node)
        return [_manager_out(user, node) for user in people.managers_of(node)]

    @blp.arguments(ManagerIn)
    @blp.response(201, ManagerOut)
    def post(self, data, node_id):
        """Appoint a manager of this node and everything below it."""
        node = services.get_node(node_id)
        user = people.get_user(data["user_id"])
        people.appoint_manager(current_user, node, user)
        db.session.commit()
        return _manager_out(user, node)


@blp.route("/<int:node_id>/managers/<int:user_id>")
class NodeManager(MethodView):
    decorators = [auth_required]

    @blp.response(204)
    def delete(self, node_id, user_id):
        node = services.get_node(node_id)
        people.revoke_manager(current_user, node, people.get_user(user_id))
        db.session.commit()
