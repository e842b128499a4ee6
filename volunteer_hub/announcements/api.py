"""JSON API of announcements: preview the count, send, list what I sent."""
from flask_login import current_user

from volunteer_hub.announcements import services
from volunteer_hub.announcements.schemas import AnnouncementIn, AnnouncementOut, AudienceIn, PreviewOut
from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.pagination import page_of

blp = Blueprint("announcements_api", __name__, url_prefix="/api/v1", description="通知公告")


@blp.route("/announcements/preview", methods=["POST"])
@auth_required
@blp.arguments(AudienceIn)
@blp.response(200, PreviewOut)
def preview(data):
    """How many people an announcement to this team, day or node would reach (writes nothing)."""
    return services.preview(current_user, data["audience"], data["target_id"])


@blp.route("/announcements", methods=["POST"])
@auth_required
@blp.arguments(AnnouncementIn)
@blp.response(201, AnnouncementOut)
def send(data):
    """Send to a team I lead, a service day I run or a node I manage: inbox and the centre's webhook."""
    return services.send(current_user, **data)


@blp.route("/announcements", methods=["GET"])
@auth_required
@blp.response(200, AnnouncementOut(many=True))
@blp.paginate()
def mine(pagination_parameters):
    """The announcements I sent, newest first."""
    return page_of(services.sent_by(current_user), pagination_parameters)
