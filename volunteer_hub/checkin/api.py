"""JSON API of check-in codes, scans, attendance and approval, and my hours."""
from flask.views import MethodView
from flask_login import current_user

from volunteer_hub.checkin import ratings, services
from volunteer_hub.checkin.codes import checkin_url, image_response
from volunteer_hub.checkin.schemas import (
    ApproveIn,
    ApproveOut,
    AttendanceOut,
    CheckinCodeOut,
    CheckinIn,
    CheckinOut,
    HoursOut,
    ManualIn,
    RatingIn,
    RatingOut,
    RatingsOut,
    RejectIn,
    ReversalIn,
)
from volunteer_hub.core import limits
from volunteer_hub.core.api import Blueprint, auth_required
from volunteer_hub.events.services import get_service_day, require_run

blp = Blueprint("checkin_api", __name__, url_prefix="/api/v1", description="扫码签到、工时与审核")

IMAGE = {"200": {"description": "image", "content": {
    "image/png": {"schema": {"type": "string", "format": "binary"}},
    "image/svg+xml": {"schema": {"type": "string"}}}}}


def _run_day(day_id: int):
    day = get_service_day(day_id)
    require_run(current_user, day)
    return day


@blp.route("/events/<int:day_id>/checkin-code", methods=["GET"])
@auth_required
@blp.response(200, CheckinCodeOut)
def checkin_code(day_id):
    """The rotating check-in code (every 30 s; accepted for at most 60 s)."""
    token, expires_at = services.rotating_token(_run_day(day_id))
    return {"token": token, "url": checkin_url(token), "expires_at": expires_at}


@blp.route("/events/<int:day_id>/<any(qr, poster):kind>.<any(png, svg):fmt>", methods=["GET"])
@auth_required
@blp.doc(responses=IMAGE)
def image(day_id, kind, fmt):
    """qr: the current rotating code; poster: the printable A4 poster (needs a geofence)."""
    return image_response(kind, _run_day(day_id), fmt)


@blp.route("/checkins", methods=["POST"])
@auth_required
@limits.checkin
@blp.arguments(CheckinIn)
@blp.response(200, CheckinOut)
def checkin(data):
    """扫码签到/签退 with the token from the QR code (and the phone's location where the event checks it)."""
    state, row = services.scan(current_user, data["token"], data["lat"], data["lon"], nonce=data["nonce"],
                               scanned_at=data["scanned_at"])
    return {"state": state, "attendance": row}


@blp.route("/events/<int:day_id>/attendance")
class DayAttendance(MethodView):
    decorators = [auth_required]

    @blp.response(200, AttendanceOut(many=True))
    def get(self, day_id):
        """Attendance of a service day, with anomalies flagged."""
        return services.attendance_list(_run_day(day_id))

    @blp.arguments(ManualIn)
    @blp.response(201, AttendanceOut)
    def post(self, data, day_id):
        """补录: check a volunteer in or out by hand; the reason goes to the audit trail."""
        return services.manual_entry(current_user, get_service_day(day_id), **data)


@blp.route("/events/<int:day_id>/attendance/approve", methods=["POST"])
@auth_required
@blp.arguments(ApproveIn)
@blp.response(200, ApproveOut)
def approve(data, day_id):
    """审核: approve closed attendance; repeating it approves nothing twice."""
    day = get_service_day(day_id)
    rows = services.approve(current_user, day, data["ids"])
    return {"approved": sorted(r.id for r in rows), "count": len(rows),
            "awaiting_second_person": [r.id for r in services.awaiting_second_person(day)]}


@blp.route("/events/<int:day_id>/attendance/reject", methods=["POST"])
@auth_required
@blp.arguments(RejectIn)
@blp.response(200, AttendanceOut(many=True))
def reject(data, day_id):
    """The second manager turns down rows that wait for them, with a reason."""
    return services.reject(current_user, get_service_day(day_id), data["ids"], data["reason"])


@blp.route("/events/<int:day_id>/attendance/<int:attendance_id>/reverse", methods=["POST"])
@auth_required
@blp.arguments(ReversalIn)
@blp.response(200, AttendanceOut)
def reverse(data, day_id, attendance_id):
    """冲正: approved hours found wrong are reversed with their credits; enter the right ones again by hand."""
    day = get_service_day(day_id)
    return services.reverse(current_user, day, services.get_attendance(day, attendance_id), data["reason"])


@blp.route("/me/hours", methods=["GET"])
@auth_required
@blp.response(200, HoursOut)
def my_hours():
    """My approved hours (all time, this year), star level, and every attendance record."""
    return {**services.hours_summary(current_user), "attendance": services.my_attendance(current_user)}


@blp.route("/events/<int:day_id>/rating", methods=["PUT"])
@auth_required
@blp.arguments(RatingIn)
@blp.response(200, RatingOut)
def rate(data, day_id):
    """服务评价: 1–5 stars and a comment, by those who took part, after the day; again to change it."""
    return ratings.rate(current_user, get_service_day(day_id), **data)


@blp.route("/events/<int:day_id>/ratings", methods=["GET"])
@auth_required
@blp.response(200, RatingsOut)
def rating_summary(day_id):
    """The average rating and the comments, without names (those who run the day)."""
    return ratings.summary(current_user, get_service_day(day_id))
