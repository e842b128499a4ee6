"""JSON API of the roster: managers' volunteers, one volunteer's record, deactivation and moves."""
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required, permitted_first
from volunteer_hub.roster import imports, services
from volunteer_hub.roster.schemas import (
    DeactivateIn,
    ImportFileIn,
    ImportQuery,
    ImportReportOut,
    MoveIn,
    ResetLinkOut,
    RosterEntryOut,
    RosterQuery,
    VolunteerOut,
)

blp = Blueprint("roster_api", __name__, url_prefix="/api/v1", description="志愿者名册")


@blp.route("/volunteers", methods=["GET"])
@auth_required
@blp.arguments(RosterQuery, location="query")
@blp.response(200, RosterEntryOut(many=True))
@blp.paginate()
def roster(args, pagination_parameters):
    """志愿者名册: the volunteers of the stations I manage, searched, filtered and sorted (managers)."""
    entries, pagination_parameters.item_count = services.search(
        current_user, page=pagination_parameters.page, per_page=pagination_parameters.page_size, **args)
    return entries


@blp.route("/volunteers/<int:user_id>", methods=["GET"])
@auth_required
@blp.response(200, VolunteerOut)
def show(user_id):
    """One volunteer: teams, service days, hours and credits (managers of their station)."""
    return services.profile(services.get_volunteer(current_user, user_id))


@blp.route("/volunteers/<int:user_id>/deactivate", methods=["POST"])
@auth_required
@blp.arguments(DeactivateIn)
@blp.response(200, VolunteerOut)
def deactivate(data, user_id):
    """停用, with a reason: no more log-ins (every session ends), the history stays."""
    user = services.get_volunteer(current_user, user_id)
    return services.profile(services.set_active(current_user, user, active=False, reason=data["reason"]))


@blp.route("/volunteers/<int:user_id>/reactivate", methods=["POST"])
@auth_required
@blp.response(200, VolunteerOut)
def reactivate(user_id):
    """恢复 a deactivated volunteer."""
    user = services.get_volunteer(current_user, user_id)
    return services.profile(services.set_active(current_user, user, active=True))


@blp.route("/volunteers/<int:user_id>/move", methods=["POST"])
@auth_required
@blp.arguments(MoveIn)
@blp.response(200, VolunteerOut)
def move(data, user_id):
    """调站: to another station I manage."""
    user = services.get_volunteer(current_user, user_id)
    return services.profile(services.move(current_user, user, data["station_id"]))


@blp.route("/volunteers/<int:user_id>/reset-link", methods=["POST"])
@auth_required
@blp.response(201, ResetLinkOut)
def reset_link(user_id):
    """A one-time password reset link for a volunteer of my station, after checking who they are in
    person (never for oneself; audited)."""
    return services.issue_reset_link(current_user, services.get_volunteer(current_user, user_id))


@blp.route("/volunteers/import", methods=["POST"])
@auth_required
@permitted_first(lambda user: services.require_roster(user))
@blp.arguments(ImportQuery, location="query")
@blp.arguments(ImportFileIn, location="files")
@blp.response(200, ImportReportOut)
def import_file(query, files):
    """批量导入 volunteers and their teams from .xlsx or .csv (managers, into their stations). With
    ``dry_run`` it only reports each row's outcome; otherwise every row or none is imported (422
    listing the rows with errors), and importing the same file again changes nothing."""
    upload = files["file"]
    data, filename = upload.read(imports.MAX_FILE_BYTES + 1), upload.filename or ""
    if query["dry_run"]:
        report = imports.check(current_user, data, filename)
    else:
        report = imports.run(current_user, data, filename)
    return {"dry_run": query["dry_run"], "summary": report.summary, "report": report}
