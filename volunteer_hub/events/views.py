"""Pages: service days list, a service day (sign up, cancel), new service day, its activity record."""
import io

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_login import current_user, login_required

from volunteer_hub.core.db import utcnow
from volunteer_hub.core.forms import ActionForm, attempt, press
from volunteer_hub.core.permissions import manages
from volunteer_hub.core.urls import external_url
from volunteer_hub.events import covers, records, services
from volunteer_hub.events.forms import ActivityRecordForm, CancelForm, ServiceDayForm, TemplateForm
from volunteer_hub.extensions import db
from volunteer_hub.nodes.services import managed_subtrees

bp = Blueprint("events", __name__, url_prefix="/events")
PHASE_LABELS = {"open": _l("signing up"), "full": _l("full"), "closed": _l("sign-ups closed"),
                "under_way": _l("under way"), "ended": _l("ended"),
                "cancelled": lazy_pgettext("service day", "cancelled")}


@bp.route("")
@login_required
def index():
    page = db.paginate(services.listing_for(current_user), per_page=20, error_out=False)
    return render_template("events/index.html", page=page, can_create=bool(services.creatable(current_user)[0]),
                           phases={day.id: services.phase(day) for day in page.items}, labels=PHASE_LABELS,
                           covers=covers.versions([day.id for day in page.items]))


@bp.route("/<int:day_id>")
@login_required
def show(day_id):
    day = services.visible_day(current_user, day_id)
    mine = services.signup_of(day, current_user)
    runs = services.can_run(current_user, day)
    record = records.record_of(day)
    share_url = external_url("events.shared", token=record.share_token) if record and runs else None
    return render_template("events/show.html", day=day, mine=mine, can_run=runs, share_url=share_url,
                           can_cancel=manages(current_user, day.node) and not day.is_cancelled,
                           signups=services.signups(day) if runs else [],
                           position=services.waitlist_position(mine) if mine else None,
                           record=record, ended=utcnow() >= day.ends_at, signups_open=services.signups_open(day),
                           cover=covers.version_of(day),
                           action_form=ActionForm(), cancel_form=CancelForm())


# --- 活动台账 ---------------------------------------------------------------------------------------

@bp.route("/<int:day_id>/record", methods=["GET", "POST"])
@login_required
def record(day_id):
    """Write or change the day's activity record (those who run the day)."""
    day = services.get_service_day(day_id)
    services.require_run(current_user, day)
    existing = records.record_of(day)
    form = ActivityRecordForm(data={"summary": existing.summary, "people_served": existing.people_served}
                              if existing else None)
    if form.validate_on_submit():
        photos = [f.read(records.MAX_PHOTO_BYTES + 1) for f in form.photos.data or [] if getattr(f, "filename", "")]
        ok, _record = attempt(lambda: records.save_record(
            current_user, day, summary=form.summary.data, people_served=form.people_served.data, photos=photos,
            remove_photo_ids=form.remove_photo_ids.data or []), form)
        if ok:
            flash(_("The activity record is saved."), "success")
            return redirect(url_for("events.show", day_id=day.id))
    status = 422 if form.errors else 200
    return render_template("events/record.html", day=day, form=form, record=existing), status


@bp.route("/<int:day_id>/record/share", methods=["POST"])
@login_required
def renew_share_link(day_id):
    day = services.get_service_day(day_id)
    return press(lambda: records.new_share_link(current_user, day),
                 _("A new share link is made; the old one no longer works."), url_for("events.show", day_id=day.id))


@bp.route("/shared/<token>")
def shared(token):
    """The activity record behind a share link: anyone with the link, no log-in, nobody's personal data."""
    return render_template("events/shared.html", record=records.shared(token))


@bp.route("/shared/<token>/photos/<int:photo_id>.jpg")
def shared_photo(token, photo_id):
    photo = records.photo_of(records.shared(token), photo_id)
    return send_file(io.BytesIO(photo.content), mimetype="image/jpeg", max_age=3600)


@bp.route("/<int:day_id>/cancel-day", methods=["POST"])
@login_required
def cancel_day(day_id):
    day = services.get_service_day(day_id)
    form = CancelForm()
    if form.validate_on_submit():
        ok, _day = attempt(lambda: services.cancel_service_day(current_user, day, form.reason.data))
        if ok:
            flash(_("The service day is cancelled."), "success")
    else:
        flash(_("Give the reason for cancelling, for the volunteers who signed up."), "error")
    return redirect(url_for("events.show", day_id=day.id))


@bp.route("/<int:day_id>/<any(signup, cancel):action>", methods=["POST"])
@login_required
def signup_action(day_id, action):
    day = services.get_service_day(day_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    call = services.sign_up if action == "signup" else services.cancel_signup
    ok, row = attempt(lambda: call(current_user, day))
    if ok:
        messages = {"confirmed": _("You are signed up."),
                    "waitlisted": _("The day is full: you are on the waiting list."),
                    "cancelled": _("Your sign-up is cancelled.")}
        flash(messages[row.status], "success")
    return redirect(url_for("events.show", day_id=day.id))


def _uploaded_cover(form) -> bytes | None:
    upload = form.cover.data
    return upload.read(covers.MAX_COVER_BYTES + 1) if getattr(upload, "filename", "") else None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    nodes, teams = services.creatable(current_user)
    if not nodes:
        abort(403)
    original = None
    if copied := request.args.get("copy", type=int):  # 再办一次: filled from an earlier day, a week later
        original = services.get_service_day(copied)
        services.require_run(current_user, original)
    if original and request.method == "GET":
        values = services.copy_values(original)
        form = ServiceDayForm(data={**values, "allow_walk_ins": "yes" if values["allow_walk_ins"] else "no"})
    else:
        form = ServiceDayForm()
    del form.remove_cover
    form.node_id.choices = [(n.id, f"{n.name} ({n.code})") for n in nodes]
    form.team_ids.choices = [(t.id, t.name) for t in teams]
    if request.method == "GET" and request.args.get("title"):
        form.title.data = request.args["title"]

    def publish():
        day = services.create_service_day(
            current_user, node_id=form.node_id.data, title=form.title.data, team_ids=form.team_ids.data or [],
            description=form.description.data or "", starts_at=form.starts_at.data, ends_at=form.ends_at.data,
            signup_deadline=form.signup_deadline.data, capacity=form.capacity.data,
            credits_per_hour=form.credits_per_hour.data,
            address=form.address.data or "", lat=form.lat.data, lon=form.lon.data,
            checkin_radius_m=form.checkin_radius_m.data, allow_walk_ins=form.walk_ins())
        if upload := _uploaded_cover(form):
            covers.set_cover(current_user, day, upload)
        elif original:
            covers.copy_cover(current_user, original, day)
        return day

    if form.validate_on_submit():
        ok, day = attempt(publish, form)
        if ok:
            flash(_("The service day is published."), "success")
            return redirect(url_for("events.show", day_id=day.id))
    return render_template("events/new.html", form=form, copied=original), \
        422 if form.errors or form.form_errors else 200


@bp.route("/<int:day_id>/edit", methods=["GET", "POST"])
@login_required
def edit(day_id):
    """改活动: time, place, capacity and the rest; the signed-up volunteers are told of a new time or place."""
    day = services.get_service_day(day_id)
    services.require_run(current_user, day)
    form = ServiceDayForm(obj=day, allow_walk_ins="yes" if day.allow_walk_ins else "no")
    del form.node_id, form.team_ids
    has_cover = covers.cover_of(day) is not None
    if not has_cover:
        del form.remove_cover

    def change():
        services.update_service_day(
            current_user, day, title=form.title.data, description=form.description.data or "",
            starts_at=form.starts_at.data, ends_at=form.ends_at.data,
            signup_deadline=form.signup_deadline.data, capacity=form.capacity.data,
            credits_per_hour=form.credits_per_hour.data, address=form.address.data or "", lat=form.lat.data,
            lon=form.lon.data, checkin_radius_m=form.checkin_radius_m.data or None,
            allow_walk_ins=form.walk_ins())
        if upload := _uploaded_cover(form):
            covers.set_cover(current_user, day, upload)
        elif has_cover and form.remove_cover.data:
            covers.remove_cover(current_user, day)

    if form.validate_on_submit():
        ok, _result = attempt(change, form)
        if ok:
            flash(_("The service day is changed; those signed up are told of a new time or place."), "success")
            return redirect(url_for("events.show", day_id=day.id))
    return render_template("events/edit.html", form=form, day=day), 422 if form.errors or form.form_errors else 200


@bp.route("/<int:day_id>/cover.jpg")
@login_required
def cover(day_id):
    """The day's cover for whoever may see the day; its URL carries a version, so it is cached long."""
    picture = covers.cover_of(services.visible_day(current_user, day_id))
    if picture is None:
        abort(404)
    response = send_file(io.BytesIO(picture.content), mimetype="image/jpeg", max_age=7 * 86400,
                         etag=f"{day_id}-{covers.stamp(picture.updated_at)}", conditional=True)
    response.cache_control.private = True
    response.cache_control.public = False
    return response


@bp.route("/recurring", methods=["GET", "POST"])
@login_required
def recurring():
    """定期服务日: managers set a weekly service day once; the scheduler creates each occurrence ahead."""
    nodes = [node for _root, tree in managed_subtrees(current_user) for node in tree]
    if not nodes:
        abort(403)
    form = TemplateForm()
    form.node_id.choices = [(n.id, f"{n.name} ({n.code})") for n in nodes]
    form.team_ids.choices = [(t.id, t.name) for t in services.creatable(current_user)[1]]
    if form.validate_on_submit():
        ok, _template = attempt(lambda: services.create_template(
            current_user, node_id=form.node_id.data, title=form.title.data, weekday=form.weekday.data,
            start_time=form.start_time.data, end_time=form.end_time.data, capacity=form.capacity.data,
            team_ids=form.team_ids.data or [], address=form.address.data or "", lat=form.lat.data,
            lon=form.lon.data, credits_per_hour=form.credits_per_hour.data, link_theme=form.link_theme.data,
            days_ahead=form.days_ahead.data), form)
        if ok:
            flash(_("Saved: the service days are created ahead by the scheduler."), "success")
            return redirect(url_for("events.recurring"))
    page = db.paginate(services.templates_for(current_user), per_page=20, error_out=False)
    return render_template("events/recurring.html", form=form, page=page, action_form=ActionForm()), \
        422 if form.errors or form.form_errors else 200


@bp.route("/recurring/<int:template_id>/<any(pause, resume):action>", methods=["POST"])
@login_required
def pause_recurring(template_id, action):
    """暂停 / 恢复: no occurrences are created while paused; those created stay."""
    template = services.get_template(template_id)
    done = _("Paused: no new service days until you resume.") if action == "pause" else \
        _("Resumed: the scheduler creates the service days ahead again.")
    return press(lambda: services.update_template(current_user, template, active=action == "resume"), done,
                 url_for("events.recurring"))


@bp.route("/recurring/<int:template_id>/stop", methods=["POST"])
@login_required
def stop_recurring(template_id):
    if not ActionForm().validate_on_submit():
        abort(400)
    ok, _template = attempt(lambda: services.stop_template(current_user, services.get_template(template_id)))
    if ok:
        flash(_("Stopped: no new service days will be created."), "success")
    return redirect(url_for("events.recurring"))
