"""Page: the scheduled jobs, their last runs and recent problems (global administrators)."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from volunteer_hub.core.permissions import is_global_admin
from volunteer_hub.scheduler import services

bp = Blueprint("scheduler", __name__)


@bp.route("/admin/jobs")
@login_required
def jobs():
    if not is_global_admin(current_user):
        abort(403)
    return render_template("scheduler/jobs.html", jobs=services.job_rows(), problems=services.recent_problems(),
                           silent=services.is_silent(), last_activity=services.last_activity())
