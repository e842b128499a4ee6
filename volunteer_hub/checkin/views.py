"""Pages: scanning a code (/c/<token>), the check-in screen, attendance and approval, my hours,
the printable service record and its public verification page."""
import base64
from datetime import timedelta

import marshmallow as ma
from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from volunteer_hub.checkin import ratings, services
from volunteer_hub.checkin.codes import checkin_url, image_response
from volunteer_hub.checkin.forms import CodeForm, ManualForm, RatingForm, ScanForm
from volunteer_hub.checkin.schemas import CheckinIn
from volunteer_hub.core import limits, qr
from volunteer_hub.core.charts import bar_chart
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import DomainError, ValidationFailed
from volunteer_hub.core.forms import ActionForm, attempt, press
from volunteer_hub.credits import services as credits
from volunteer_hub.events.services import get_service_day, require_run, upcoming_signups
from volunteer_hub.extensions import db

bp = Blueprint("checkin", __name__)

PENDING_MINUTES = 5  # time to log in after opening a valid code
UPLOADED = {"checked_in": _l("Uploaded: checked in at the time of the scan."),
            "checked_out": _l("Uploaded: checked out at the time of the scan."),
            "unchanged": _l("Uploaded: this scan changed nothing (already recorded).")}


@bp.route("/c/<token>", methods=["GET", "POST"])
@limits.checkin
def scan_page(token):
    """Opening the code's URL checks in (or out). Anonymous visitors log in first and come back."""
    now = utcnow()
    pending = session.get("pending_checkin") or {}
    stale_ok = pending.get("token") == token and pending.get("until", 0) >= now.timestamp()
    if not current_user.is_authenticated:
        try:
            services.parse_token(token, now)
        except DomainError as exc:
            return render_template("checkin/result.html", error=exc), exc.status
        session["pending_checkin"] = {"token": token, "until": (now + timedelta(minutes=PENDING_MINUTES)).timestamp()}
        flash(_("Log in to check in."), "info")
        return redirect(url_for("people.login", next=url_for("checkin.scan_page", token=token)))
    form = ScanForm()
    try:
        day, _poster = services.parse_token(token, now, accept_stale=stale_ok)
    except DomainError as exc:
        return render_template("checkin/result.html", error=exc), exc.status
    if not form.validate_on_submit():
        # The page asks for the location where needed (static/checkin.js) and posts itself.
        return render_template("checkin/scan.html", day=day, form=form, token=token)
    try:
        state, row = services.scan(current_user, token, form.lat.data, form.lon.data, now=now,
                                   accept_stale=stale_ok, nonce=form.nonce.data or None)
    except DomainError as exc:
        db.session.rollback()
        return render_template("checkin/result.html", error=exc, day=day), exc.status
    session.pop("pending_checkin", None)
    return render_template("checkin/result.html", state=state, row=row, day=day,
                           next_scan=row.checked_in_at + timedelta(minutes=day.min_interval_minutes))


@bp.route("/scan")
@login_required
def scanner():
    """扫一扫: the camera reads a check-in code (or a voucher's, at a counter) and opens it."""
    return render_template("checkin/scanner.html", form=CodeForm())


@bp.route("/scan/upload", methods=["POST"])
@login_required
@limits.checkin
def upload_scan():
    """离线补传: the page sends a scan it kept while the phone had no signal (static/offline.js), with the
    scan's nonce and time; JSON in and out, so the page can say what became of each."""
    try:
        data = CheckinIn().load(request.get_json(silent=True) or {})
    except ma.ValidationError as exc:
        raise ValidationFailed(_("The scan could not be read."), exc.messages) from None
    if not data["nonce"] or not data["scanned_at"]:
        raise ValidationFailed(_("The scan could not be read."),
                               {"nonce": [_("A queued scan has a nonce and a time.")]})
    state, row = services.scan(current_user, data["token"], data["lat"], data["lon"], nonce=data["nonce"],
                               scanned_at=data["scanned_at"])
    return {"state": state, "day": row.service_day.title, "message": str(UPLOADED[state])}


@bp.route("/scan/open")
@login_required
def open_code():
    """A pasted link or code: to its check-in page (GET only redirects; the check-in page does the rest)."""
    form = CodeForm(request.args)
    token = services.token_in(form.code.data or "") if form.validate() else None
    if token is None:
        form.code.errors = [_("This is not a check-in link of ours.")]
        return render_template("checkin/scanner.html", form=form), 422
    return redirect(url_for("checkin.scan_page", token=token))


@bp.route("/events/<int:day_id>/screen")
@login_required
def screen(day_id):
    """签到大屏: the rotating code; the page reloads itself every 15 seconds."""
    day = get_service_day(day_id)
    require_run(current_user, day)
    rows = services.attendance_list(day)
    if services.is_closed(day):  # cancelled, or past its end and the check-out grace: no code to scan
        qr_png = expires_at = None
    else:
        token, expires_at = services.rotating_token(day)
        qr_png = base64.b64encode(qr.png(checkin_url(token), box_size=8)).decode()
    return render_template("checkin/screen.html", day=day, qr_png=qr_png,
                           expires_at=expires_at, checked_in=sum(1 for r in rows if r.status == "open"),
                           checked_out=sum(1 for r in rows if r.status == "closed"))


@bp.route("/events/<int:day_id>/<any(qr, poster):kind>.<any(png, svg):fmt>")
@login_required
def image(day_id, kind, fmt):
    day = get_service_day(day_id)
    require_run(current_user, day)
    return image_response(kind, day, fmt)


@bp.route("/events/<int:day_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(day_id):
    """Attendance with anomalies highlighted; bulk approval (or, as the second person, rejection)
    and manual entries for managers."""
    day = get_service_day(day_id)
    require_run(current_user, day)
    action_form, manual_form = ActionForm(), ManualForm()
    if request.method == "POST" and action_form.validate_on_submit():
        ids = "all" if request.form.get("all") else [int(i) for i in request.form.getlist("ids") if i.isdigit()]
        if request.form.get("reject"):
            ok, rows = attempt(lambda: services.reject(current_user, day, [] if ids == "all" else ids,
                                                       request.form.get("reason", "")))
            if ok:
                flash(_("%(n)s attendance records rejected.", n=len(rows)), "success")
        else:
            ok, rows = attempt(lambda: services.approve(current_user, day, ids))
            if ok:
                flash(_("%(n)s attendance records approved.", n=len(rows)), "success")
                waiting = len(services.awaiting_second_person(day))
                if waiting:
                    flash(_("%(n)s records above the centre's limit wait for a second manager.", n=waiting), "info")
        return redirect(url_for("checkin.attendance", day_id=day.id))
    return _render_attendance(day, action_form, manual_form)


@bp.route("/events/<int:day_id>/attendance/<int:attendance_id>/reverse", methods=["POST"])
@login_required
def reverse(day_id, attendance_id):
    """冲正 an approved record with its credits; the record stays, marked, beside any corrected one."""
    day = get_service_day(day_id)
    row = services.get_attendance(day, attendance_id)
    return press(lambda: services.reverse(current_user, day, row, request.form.get("reason", "")),
                 _("%(name)s's hours are reversed; enter the right ones by hand if needed.", name=row.user.name),
                 url_for("checkin.attendance", day_id=day.id))


def _render_attendance(day, action_form, manual_form, status=200):
    rows = services.attendance_list(day)
    return render_template("checkin/attendance.html", day=day, rows=rows, anomalies=services.anomalies,
                           action_form=action_form, manual_form=manual_form,
                           pending=sum(1 for r in rows if r.approved_at is None and r.status != "open"
                                       and r.rejected_at is None),
                           awaiting=bool(services.awaiting_second_person(day)),
                           ratings=ratings.summary(current_user, day)), status


@bp.route("/events/<int:day_id>/rating", methods=["GET", "POST"])
@login_required
def rate(day_id):
    """服务评价 for those who took part, once the day has ended; rating again changes it."""
    day = get_service_day(day_id)
    mine = ratings.rating_of(day, current_user)
    form = RatingForm(data={"stars": mine.stars, "comment": mine.comment} if mine else None)
    if form.validate_on_submit():
        ok, _rating = attempt(lambda: ratings.rate(current_user, day, stars=form.stars.data,
                                                    comment=form.comment.data or ""), form)
        if ok:
            flash(_("Thank you for your rating."), "success")
            return redirect(url_for("events.show", day_id=day.id))
    status = 422 if form.errors else 200
    return render_template("checkin/rate.html", day=day, form=form, may_rate=ratings.may_rate(current_user, day),
                           mine=mine), status


@bp.route("/events/<int:day_id>/attendance/manual", methods=["POST"])
@login_required
def manual(day_id):
    day = get_service_day(day_id)
    form = ManualForm()
    if form.validate_on_submit():
        ok, row = attempt(lambda: services.manual_entry(
            current_user, day, phone=form.phone.data, checked_in_at=form.checked_in_at.data,
            checked_out_at=form.checked_out_at.data, reason=form.reason.data), form)
        if ok:
            flash(_("%(name)s's attendance is recorded.", name=row.user.name), "success")
            return redirect(url_for("checkin.attendance", day_id=day.id))
    require_run(current_user, day)
    return _render_attendance(day, ActionForm(), form, status=422)


@bp.route("/me/hours")
@login_required
def my_hours():
    wallet = credits.wallet_summary(current_user)
    entries = db.session.scalars(credits.entries_query(wallet["account_id"]).limit(10)).all()
    labels, hours = services.weekly_hours(current_user)
    chart = bar_chart(_("Approved hours per week"), labels, {_("hours"): hours})
    page = db.paginate(services.attendance_query(current_user), per_page=20, error_out=False)
    return render_template("checkin/my_hours.html", summary=services.hours_summary(current_user), chart=chart,
                           wallet=wallet, entries=entries, signups=upcoming_signups(current_user), page=page)
