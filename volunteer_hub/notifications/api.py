"""JSON API of the inbox (``/me/notifications``) and of a centre's webhook."""
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.errors import NotFound
from volunteer_hub.core.pagination import page_of
from volunteer_hub.nodes.services import get_node
from volunteer_hub.notifications import services
from volunteer_hub.notifications.schemas import (
    InboxQuery,
    MarkReadIn,
    MarkReadOut,
    NotificationOut,
    WebhookIn,
    WebhookOut,
)

blp = Blueprint("notifications_api", __name__, url_prefix="/api/v1", description="站内消息与 webhook")


@blp.route("/me/notifications", methods=["GET"])
@auth_required
@blp.arguments(InboxQuery, location="query")
@blp.response(200, NotificationOut(many=True))
@blp.paginate()
def inbox(args, pagination_parameters):
    """My inbox, newest first (``unread=true`` for unread only)."""
    return page_of(services.inbox_query(current_user, args["unread"]), pagination_parameters)


@blp.route("/me/notifications/read", methods=["POST"])
@auth_required
@blp.arguments(MarkReadIn, required=False)  # no body: mark all read
@blp.response(200, MarkReadOut)
def mark_read(data):
    """Mark messages read: the ones listed in ``ids``, or all."""
    marked = services.mark_read(current_user, data["ids"])
    return {"marked": marked, "unread": services.unread_count(current_user)}


def _webhook_out(endpoint):
    return {"centre_id": endpoint.centre_id, "url": endpoint.url, "active": endpoint.active,
            "secret": endpoint.secret}


@blp.route("/centres/<int:centre_id>/webhook")
class CentreWebhook(MethodView):
    decorators = [auth_required]

    @blp.response(200, WebhookOut)
    def get(self, centre_id):
        """The centre's webhook (centre admins)."""
        centre = get_node(centre_id)
        services.require_webhook_admin(current_user, centre)
        endpoint = services.webhook_of(centre)
        if endpoint is None:
            raise NotFound(_("This centre has no webhook yet."))
        return _webhook_out(endpoint)

    @blp.arguments(WebhookIn)
    @blp.response(200, WebhookOut)
    def put(self, data, centre_id):
        """Set the gateway URL that receives every message of the centre's volunteers, signed."""
        endpoint = services.configure_webhook(current_user, get_node(centre_id), **data)
        return _webhook_out(endpoint)
