"""JSON API of the practice hierarchy."""
from flask.views import MethodView
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.pagination import page_of
from volunteer_hub.nodes import services
from volunteer_hub.nodes.schemas import CentreSettingsIn, CentreSettingsOut, NodeIn, NodeOut, NodePatch, NodeQuery

blp = Blueprint("nodes_api", __name__, url_prefix="/api/v1", description="实践中心/所/站/点")


@blp.route("/nodes")
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
        return node


@blp.route("/nodes/<int:node_id>")
class NodeById(MethodView):
    decorators = [auth_required]

    @blp.response(200, NodeOut)
    def get(self, node_id):
        return services.get_node(node_id)

    @blp.arguments(NodePatch)
    @blp.response(200, NodeOut)
    def patch(self, data, node_id):
        """编辑: name, address, location, or the parent (moving the subtree along), by its managers."""
        return services.update_node(current_user, services.get_node(node_id), **data)


@blp.route("/centres/<int:centre_id>/settings")
class CentreSettings(MethodView):
    decorators = [auth_required]

    @blp.response(200, CentreSettingsOut)
    def get(self, centre_id):
        """A centre's rules for hours and credits (its administrators)."""
        centre = services.get_node(centre_id)
        services.require_centre_settings_admin(current_user, centre)
        return services.settings_of(centre)

    @blp.arguments(CentreSettingsIn)
    @blp.response(200, CentreSettingsOut)
    def put(self, data, centre_id):
        """Change the rate, the limits, the review thresholds or the star thresholds (audited)."""
        return services.update_settings(current_user, services.get_node(centre_id), **data)
