"""JSON API of service days and sign-ups."""
from flask.views import MethodView
from flask_babel import gettext as _
from flask_login import current_user

from volunteer_hub.core.api import Blueprint, auth_required, permitted_first
from volunteer_hub.core.errors import NotFound
from volunteer_hub.core.pagination import page_of
from volunteer_hub.events import covers, records, services
from volunteer_hub.events.schemas import (
    ActivityPhotoIn,
    ActivityRecordIn,
    ActivityRecordOut,
    CancelIn,
    CoverIn,
    EventQuery,
    ServiceDayIn,
    ServiceDayOut,
    ServiceDayPatch,
    SignUpOut,
    TemplateIn,
    TemplateOut,
    TemplatePatch,
)
from volunteer_hub.nodes.services import get_node

blp = Blueprint("events_api", __name__, url_prefix="/api/v1/events", description="服务日与报名")


def _signup_out(row):
    return {"service_day_id": row.service_day_id, "user_id": row.user_id, "status": row.status,
            "waitlist_position": services.waitlist_position(row)}


@blp.route("")
class Events(MethodView):
    decorators = [auth_required]

    @blp.arguments(EventQuery, location="query")
    @blp.response(200, ServiceDayOut(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Upcoming service days of a station and above (default: your home station, or what you manage)."""
        window = {"start": args.get("from_"), "end": args.get("to")}
        if "station" in args:
            query = services.list_service_days(station=get_node(args["station"]), viewer=current_user, **window)
        else:
            query = services.listing_for(current_user, **window)
        return page_of(query, pagination_parameters)

    @blp.arguments(ServiceDayIn)
    @blp.response(201, ServiceDayOut)
    def post(self, data):
        """Create a service day on a node you manage (or for the team you lead)."""
        day = services.create_service_day(current_user, **data)
        return day


@blp.route("/<int:day_id>")
class EventById(MethodView):
    decorators = [auth_required]

    @blp.response(200, ServiceDayOut)
    def get(self, day_id):
        return services.visible_day(current_user, day_id)

    @blp.arguments(ServiceDayPatch)
    @blp.response(200, ServiceDayOut)
    def patch(self, data, day_id):
        """改活动 (those who run it, until it ends): time, place, capacity…; those signed up are told of a
        new time or place, and more seats go to the waiting list in order."""
        return services.update_service_day(current_user, services.get_service_day(day_id), **data)

    @blp.arguments(CancelIn)
    @blp.response(200, ServiceDayOut)
    def delete(self, data, day_id):
        """取消活动 (managers of the node), with a reason kept in the audit trail."""
        day = services.cancel_service_day(current_user, services.get_service_day(day_id), data["reason"])
        return day


@blp.route("/<int:day_id>/signups", methods=["GET"])
@auth_required
@blp.response(200, SignUpOut(many=True))
def signup_list(day_id):
    """Who signed up and who waits (managers and the day's team leaders)."""
    day = services.get_service_day(day_id)
    services.require_run(current_user, day)
    return [_signup_out(row) for row in services.signups(day)]


@blp.route("/<int:day_id>/signups", methods=["POST"])
@auth_required
@blp.response(201, SignUpOut)
def sign_up(day_id):
    """报名: confirmed while seats are free, else on the waiting list."""
    row = services.sign_up(current_user, services.get_service_day(day_id))
    return _signup_out(row)


@blp.route("/<int:day_id>/signups/me", methods=["DELETE"])
@auth_required
@blp.response(200, SignUpOut)
def cancel(day_id):
    """取消报名; the first on the waiting list moves up."""
    row = services.cancel_signup(current_user, services.get_service_day(day_id))
    return _signup_out(row)


def _record(day):
    record = records.record_of(day)
    if record is None:
        raise NotFound(_("This service day has no activity record yet."))
    return record


@blp.route("/<int:day_id>/record")
class ActivityRecordOfDay(MethodView):
    decorators = [auth_required]

    @blp.response(200, ActivityRecordOut)
    def get(self, day_id):
        """活动台账 of a service day: summary, people served, photos, the share link."""
        return _record(services.get_service_day(day_id))

    @blp.arguments(ActivityRecordIn)
    @blp.response(200, ActivityRecordOut)
    def put(self, data, day_id):
        """Write or change the record (those who run the day); ``remove_photo_ids`` takes photos away."""
        return records.save_record(current_user, services.get_service_day(day_id), **data)


@blp.route("/<int:day_id>/record/photos", methods=["POST"])
@auth_required
@permitted_first(lambda user, day_id: services.require_run(user, services.get_service_day(day_id)))
@blp.arguments(ActivityPhotoIn, location="files")
@blp.response(201, ActivityRecordOut)
def add_photo(files, day_id):
    """Add one photo to the record (at most 9); checked by its bytes, resized, metadata dropped."""
    day = services.get_service_day(day_id)
    record = _record(day)
    data = files["photo"].read(records.MAX_PHOTO_BYTES + 1)
    return records.save_record(current_user, day, summary=record.summary, people_served=record.people_served,
                               photos=[data])


@blp.route("/<int:day_id>/cover", methods=["PUT"])
@auth_required
@permitted_first(lambda user, day_id: services.require_run(user, services.get_service_day(day_id)))
@blp.arguments(CoverIn, location="files")
@blp.response(200, ServiceDayOut)
def put_cover(files, day_id):
    """Give the day a cover picture (封面), replacing any; checked by its bytes, resized, metadata dropped."""
    day = services.get_service_day(day_id)
    covers.set_cover(current_user, day, files["cover"].read(covers.MAX_COVER_BYTES + 1))
    return day


@blp.route("/<int:day_id>/cover", methods=["DELETE"])
@auth_required
@blp.response(204)
def delete_cover(day_id):
    """Take the cover away: the card shows the day's date tile again."""
    covers.remove_cover(current_user, services.get_service_day(day_id))


@blp.route("/templates")
class Templates(MethodView):
    decorators = [auth_required]

    @blp.response(200, TemplateOut(many=True))
    @blp.paginate()
    def get(self, pagination_parameters):
        """Recurring service days in the subtrees you manage."""
        return page_of(services.templates_for(current_user), pagination_parameters)

    @blp.arguments(TemplateIn)
    @blp.response(201, TemplateOut)
    def post(self, data):
        """定期服务日: the scheduler creates each occurrence ``days_ahead`` days in advance."""
        template = services.create_template(current_user, **data)
        return template


@blp.route("/templates/<int:template_id>")
class TemplateById(MethodView):
    decorators = [auth_required]

    @blp.arguments(TemplatePatch)
    @blp.response(200, TemplateOut)
    def patch(self, data, template_id):
        """改 / 暂停 / 结束: change, pause (``active``) or end (``ends_on``) a recurring service day."""
        return services.update_template(current_user, services.get_template(template_id), **data)

    @blp.response(200, TemplateOut)
    def delete(self, template_id):
        """Stop a recurring service day; occurrences already created stay."""
        return services.stop_template(current_user, services.get_template(template_id))
