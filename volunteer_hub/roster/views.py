"""Pages: the roster (志愿者名册) and one volunteer's record, with deactivation, moves and reset links."""
import base64

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.core import qr
from volunteer_hub.core.downloads import xlsx_response
from volunteer_hub.core.forms import ActionForm, attempt, press
from volunteer_hub.core.pagination import Page
from volunteer_hub.core.permissions import is_manager
from volunteer_hub.nodes.models import NodeKind
from volunteer_hub.nodes.services import managed_subtrees
from volunteer_hub.roster import imports, services
from volunteer_hub.roster.forms import DeactivateForm, ImportForm, MoveForm, RosterFilterForm

bp = Blueprint("roster", __name__, url_prefix="/roster")
PER_PAGE = 20
PREVIEW_ROWS = 200  # rows of each kind a preview lists; the counts cover the whole file


def _stations() -> list[tuple[int, str]]:
    return [(node.id, node.name) for _root, nodes in managed_subtrees(current_user) for node in nodes
            if node.kind == NodeKind.STATION]


def _filters(args) -> tuple[RosterFilterForm, dict | None]:
    """The roster's filter form from ``args`` and the filters it gives (None when it is not valid)."""
    form = RosterFilterForm(args)
    form.station_id.choices = [("", _("All my stations"))] + [(str(i), name) for i, name in _stations()]
    if args and not form.validate():
        return form, None
    return form, {"q": form.q.data or None, "station_id": form.station_id.data, "star": form.star.data,
                  "active": {"1": True, "0": False}.get(form.active.data), "min_hours": form.min_hours.data,
                  "max_hours": form.max_hours.data, "include_inactive": form.include_inactive.data,
                  "sort": form.sort.data or "name"}


@bp.route("")
@login_required
def index():
    if not is_manager(current_user):
        abort(403)
    form, filters = _filters(request.args)
    page_number = request.args.get("page", 1, type=int) or 1
    if filters is None:
        return render_template("roster/index.html", form=form, page=Page([], 1, PER_PAGE, 0)), 422
    entries, total = services.search(current_user, page=max(1, page_number), per_page=PER_PAGE, **filters)
    return render_template("roster/index.html", form=form, page=Page(entries, max(1, page_number), PER_PAGE, total),
                           args={k: v for k, v in request.args.items() if k != "page"}, action_form=ActionForm())


@bp.route("/export.xlsx", methods=["POST"])
@login_required
def export():
    """The roster as filtered, as Excel (masked phones, no ID numbers); audited, hence a POST."""
    if not is_manager(current_user) or not ActionForm().validate_on_submit():
        abort(403 if not is_manager(current_user) else 400)
    _form, filters = _filters(request.args)
    if filters is None:
        abort(422)
    header, rows = services.export_rows(current_user, **filters)
    return xlsx_response("roster.xlsx", [(_("Volunteer roster"), header, rows)])


# --- 批量导入 -----------------------------------------------------------------------------------------

def _require_manager() -> None:
    if not is_manager(current_user):
        abort(403)


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_start():
    """Upload a spreadsheet; it is kept (not imported) until its preview is confirmed."""
    _require_manager()
    form = ImportForm()
    if form.validate_on_submit():
        data = form.file.data.read(imports.MAX_FILE_BYTES + 1)
        ok, upload = attempt(lambda: imports.upload(current_user, data, form.file.data.filename or ""), form)
        if ok:
            return redirect(url_for("roster.import_preview", upload_id=upload.id))
    status = 422 if form.errors else 200
    return render_template("roster/import.html", form=form, max_rows=imports.MAX_ROWS), status


@bp.route("/import/template.xlsx")
@login_required
def import_template():
    _require_manager()
    header, rows = imports.template_rows()
    return xlsx_response("volunteers-template.xlsx", [(_("Volunteers"), header, rows)])


@bp.route("/import/<int:upload_id>")
@login_required
def import_preview(upload_id):
    """试导入: what the import would do, row by row; nothing is written."""
    upload = imports.get_upload(current_user, upload_id)
    report = None if upload.imported_at else imports.check(current_user, upload.content, upload.filename)
    return render_template("roster/import_preview.html", upload=upload, report=report, action_form=ActionForm(),
                           shown=PREVIEW_ROWS)


@bp.route("/import/<int:upload_id>", methods=["POST"])
@login_required
def import_confirm(upload_id):
    upload = imports.get_upload(current_user, upload_id)
    if ActionForm().validate_on_submit():
        ok, report = attempt(lambda: imports.import_upload(current_user, upload))
        if ok:
            flash(_("Imported: %(created)s new volunteers, %(joined)s joined teams, %(unchanged)s already on the "
                    "roster.", **report.summary), "success")
    return redirect(url_for("roster.import_preview", upload_id=upload.id))


@bp.route("/<int:user_id>")
@login_required
def show(user_id):
    record = services.profile(services.get_volunteer(current_user, user_id))
    move_form = MoveForm(station_id=record["station"].id)
    move_form.station_id.choices = _stations()
    return render_template("roster/show.html", record=record, deactivate_form=DeactivateForm(), move_form=move_form,
                           action_form=ActionForm())


@bp.route("/<int:user_id>/deactivate", methods=["POST"])
@login_required
def deactivate(user_id):
    user = services.get_volunteer(current_user, user_id)
    form = DeactivateForm()
    if form.validate_on_submit():
        ok, _user = attempt(lambda: services.set_active(current_user, user, active=False, reason=form.reason.data),
                            form)
        if ok:
            flash(_("%(name)s is deactivated; the records stay.", name=user.name), "success")
            return redirect(url_for("roster.show", user_id=user.id))
    for message in [*form.form_errors, *(m for errors in form.errors.values() for m in errors)]:
        flash(message, "error")
    return redirect(url_for("roster.show", user_id=user.id))


@bp.route("/<int:user_id>/reactivate", methods=["POST"])
@login_required
def reactivate(user_id):
    user = services.get_volunteer(current_user, user_id)
    return press(lambda: services.set_active(current_user, user, active=True),
                 _("%(name)s is active again.", name=user.name), url_for("roster.show", user_id=user.id))


@bp.route("/<int:user_id>/move", methods=["POST"])
@login_required
def move(user_id):
    user = services.get_volunteer(current_user, user_id)
    form = MoveForm()
    form.station_id.choices = _stations()
    if form.validate_on_submit():
        ok, _user = attempt(lambda: services.move(current_user, user, form.station_id.data), form)
        if ok:
            flash(_("%(name)s now belongs to %(station)s.", name=user.name, station=user.profile.home_station.name),
                  "success")
    else:
        flash(_("Choose one of your stations."), "error")
    return redirect(url_for("roster.show", user_id=user.id))


@bp.route("/<int:user_id>/reset-link", methods=["POST"])
@login_required
def reset_link(user_id):
    """Shows the one-time link and its QR code for the volunteer to scan, here, in person."""
    user = services.get_volunteer(current_user, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ok, link = attempt(lambda: services.issue_reset_link(current_user, user))
    if not ok:
        return redirect(url_for("roster.show", user_id=user.id))
    qr_png = base64.b64encode(qr.png(link["url"], box_size=6)).decode()
    return render_template("roster/reset_link.html", user=user, link=link, qr_png=qr_png)
