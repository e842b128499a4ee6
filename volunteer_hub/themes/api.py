"""JSON API of weekly themes (文明提升日)."""
from flask.views import MethodView
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.pagination import page_of
from volunteer_hub.nodes.services import get_node
from volunteer_hub.themes import services
from volunteer_hub.themes.schemas import NoteIn, NoteOut, ThemeIn, ThemeOut, ThemeQuery, ThemeUpdateIn

blp = Blueprint("themes_api", __name__, url_prefix="/api/v1/themes", description="文明提升日主题")


@blp.route("")
class Themes(MethodView):
    decorators = [auth_required]

    @blp.arguments(ThemeQuery, location="query")
    @blp.response(200, ThemeOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Themes reaching a node and set below it, by day; scheduled ones only for its managers."""
        node = get_node(args["node"]) if "node" in args else services.default_node(current_user)
        return page_of(services.list_themes(current_user, node, args.get("from_"), args.get("to")),
                       pagination_parameters)

    @blp.arguments(ThemeIn)
    @blp.response(201, ThemeOut)
    def post(self, data):
        """Plan a theme for a node you manage; it is published at ``publish_at`` to every station below."""
        theme = services.create_theme(current_user, **data)
        return theme


@blp.route("/<int:theme_id>")
class ThemeById(MethodView):
    decorators = [auth_required]

    @blp.response(200, ThemeOut)
    def get(self, theme_id):
        return services.visible_theme(current_user, theme_id)

    @blp.arguments(ThemeUpdateIn)
    @blp.response(200, ThemeOut)
    def put(self, data, theme_id):
        """Edit (managers of the theme's node; stations below add notes instead)."""
        data.pop("node_id", None)
        theme = services.update_theme(current_user, services.get_theme(theme_id), **data)
        return theme

    @blp.response(204)
    def delete(self, theme_id):
        """Withdraw a theme that is not yet published."""
        services.withdraw_theme(current_user, services.get_theme(theme_id))


@blp.route("/<int:theme_id>/notes/<int:node_id>", methods=["PUT"])
@auth_required
@blp.arguments(NoteIn)
@blp.response(200, NoteOut)
def put_note(data, theme_id, node_id):
    """A station's local note on a unified theme (managers of that station)."""
    theme = services.get_theme(theme_id)
    note = services.set_note(current_user, theme, get_node(node_id), data["note"])
    return note or {"node_id": node_id, "node_name": get_node(node_id).name, "note": ""}
