"""Pages: write an announcement (with the count before sending), what I sent, one announcement."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.announcements import services
from volunteer_hub.announcements.forms import AnnouncementForm
from volunteer_hub.core.forms import attempt
from volunteer_hub.extensions import db

bp = Blueprint("announcements", __name__, url_prefix="/announcements")


@bp.route("")
@login_required
def index():
    page = db.paginate(services.sent_by(current_user), per_page=20, error_out=False)
    return render_template("announcements/index.html", page=page,
                           can_write=any(services.addressable(current_user).values()))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    choices = services.addressable(current_user)
    if not any(choices.values()):
        abort(403)
    form = AnnouncementForm(audience=request.args.get("audience"), team_id=request.args.get("target_id", type=int),
                            day_id=request.args.get("target_id", type=int),
                            node_id=request.args.get("target_id", type=int))
    form.team_id.choices, form.day_id.choices, form.node_id.choices = choices["team"], choices["day"], choices["node"]
    count = None
    if form.validate_on_submit():
        if "preview" in request.form:
            ok, count = attempt(lambda: services.preview(current_user, form.audience.data, form.target_id()), form)
        else:
            ok, sent = attempt(lambda: services.send(current_user, audience=form.audience.data,
                                                     target_id=form.target_id(), title=form.title.data,
                                                     body=form.body.data), form)
            if ok:
                flash(_("Sent to %(n)s people.", n=sent.recipients), "success")
                return redirect(url_for("announcements.index"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("announcements/new.html", form=form, count=count), status


@bp.route("/<int:announcement_id>")
@login_required
def show(announcement_id):
    return render_template("announcements/show.html",
                           announcement=services.get_announcement(current_user, announcement_id))
