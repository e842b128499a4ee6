"""JSON API: the scheduled jobs and how they last ran (global administrators)."""
from flask_babel import gettext as _
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.core.errors import Forbidden
from volunteer_hub.core.permissions import is_global_admin
from volunteer_hub.scheduler import services
from volunteer_hub.scheduler.schemas import JobOut

blp = Blueprint("scheduler_api", __name__, url_prefix="/api/v1/jobs", description="定时任务")


@blp.route("", methods=["GET"])
@auth_required
@blp.response(200, JobOut(many=True))
def jobs():
    """Each job, its schedule and its last run."""
    if not is_global_admin(current_user):
        raise Forbidden(_("Only system administrators can see the scheduled jobs."))
    return services.job_rows()
