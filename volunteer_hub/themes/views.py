"""Pages: the theme calendar, a theme with its local notes, planning and editing."""
from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.core.db import local_date, local_tz, utcnow, week_start
from volunteer_hub.core.forms import ActionForm, attempt
from volunteer_hub.core.permissions import managed_roots, manages
from volunteer_hub.core.timefields import parse_day
from volunteer_hub.nodes.services import get_node
from volunteer_hub.themes import services
from volunteer_hub.themes.forms import CopyForm, NoteForm, ThemeForm

bp = Blueprint("themes", __name__, url_prefix="/themes")


def _start() -> date:
    try:
        return parse_day(request.args["from"])
    except (KeyError, ValueError):
        return local_date(utcnow())


def _day_or_none(text: str | None) -> date | None:
    try:
        return parse_day(text) if text else None
    except ValueError:
        return None


@bp.route("")
@login_required
def calendar():
    """主题日历: the coming weeks of a node, scheduled, published or missing."""
    node = get_node(request.args.get("node", type=int)) if request.args.get("node") else \
        services.default_node(current_user)
    start = week_start(_start())
    weeks = services.calendar(current_user, node, start)
    return render_template("themes/calendar.html", node=node, weeks=weeks, start=start,
                           prev=start - timedelta(weeks=services.PLANNING_WEEKS),
                           next=start + timedelta(weeks=services.PLANNING_WEEKS),
                           can_plan=manages(current_user, node), copy_form=CopyForm(node_id=node.id, start=start),
                           roots=managed_roots(current_user))


def _poster(form: ThemeForm) -> bytes | None:
    upload = form.poster.data
    return upload.read() if upload and getattr(upload, "filename", "") else None


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    node_id = request.args.get("node", type=int)
    if node_id is None:
        if not managed_roots(current_user):
            abort(403)  # only managers plan themes
        node_id = services.default_node(current_user).id
    node = get_node(node_id)
    if not manages(current_user, node):
        abort(403)
    form = ThemeForm()
    if request.method == "GET":
        form.held_on.data = _day_or_none(request.args.get("date"))
    if form.validate_on_submit():
        ok, theme = attempt(lambda: services.create_theme(
            current_user, node_id=node.id, title=form.title.data, held_on=form.held_on.data,
            description=form.description.data, guidance=form.guidance.data, places=form.places.data,
            publish_at=form.publish_at.data, poster=_poster(form)), form)
        if ok:
            flash(_("The theme is planned; it will be published at %(at)s.",
                    at=theme.publish_at.astimezone(local_tz()).strftime("%Y-%m-%d %H:%M")), "success")
            return redirect(url_for("themes.show", theme_id=theme.id))
    return render_template("themes/form.html", form=form, node=node, theme=None), \
        422 if form.errors or form.form_errors else 200


@bp.route("/<int:theme_id>")
@login_required
def show(theme_id):
    theme = services.visible_theme(current_user, theme_id)
    # The stations below the theme that this user may write a local note for.
    note_nodes = [root for root in managed_roots(current_user) if root.is_within(theme.node) and root != theme.node]
    forms = [NoteForm(prefix=f"n{node.id}", node_id=node.id,
                      note=getattr(services.note_for(theme, node), "note", "")) for node in note_nodes]
    return render_template("themes/show.html", theme=theme, can_edit=manages(current_user, theme.node),
                           note_forms=list(zip(note_nodes, forms, strict=True)), action_form=ActionForm())


@bp.route("/<int:theme_id>/edit", methods=["GET", "POST"])
@login_required
def edit(theme_id):
    theme = services.visible_theme(current_user, theme_id)
    if not manages(current_user, theme.node):
        abort(403)
    form = ThemeForm(obj=theme)
    if form.validate_on_submit():
        ok, _theme = attempt(lambda: services.update_theme(
            current_user, theme, title=form.title.data, held_on=form.held_on.data,
            description=form.description.data, guidance=form.guidance.data, places=form.places.data,
            publish_at=form.publish_at.data, poster=_poster(form)), form)
        if ok:
            flash(_("The theme is saved."), "success")
            return redirect(url_for("themes.show", theme_id=theme.id))
    return render_template("themes/form.html", form=form, node=theme.node, theme=theme), \
        422 if form.errors or form.form_errors else 200


@bp.route("/<int:theme_id>/withdraw", methods=["POST"])
@login_required
def withdraw(theme_id):
    theme = services.visible_theme(current_user, theme_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    node_id = theme.node_id
    ok, _none = attempt(lambda: services.withdraw_theme(current_user, theme))
    if ok:
        flash(_("The theme is withdrawn."), "success")
        return redirect(url_for("themes.calendar", node=node_id))
    return redirect(url_for("themes.show", theme_id=theme_id))


@bp.route("/<int:theme_id>/note/<int:node_id>", methods=["POST"])
@login_required
def note(theme_id, node_id):
    theme = services.visible_theme(current_user, theme_id)
    form = NoteForm(prefix=f"n{node_id}")
    if not form.validate_on_submit():
        abort(400)
    ok, _row = attempt(lambda: services.set_note(current_user, theme, get_node(node_id), form.note.data))
    if ok:
        flash(_("The local note is saved."), "success")
    return redirect(url_for("themes.show", theme_id=theme.id))


@bp.route("/copy", methods=["POST"])
@login_required
def copy():
    form = CopyForm()
    if not form.validate_on_submit():
        abort(400)
    node = get_node(int(form.node_id.data))
    start = _day_or_none(form.start.data)
    if start is None:
        abort(400)
    ok, created = attempt(lambda: services.copy_last_year(current_user, node, start))
    if ok:
        flash(_("%(n)s themes copied from last year.", n=len(created)) if created
              else _("Nothing to copy: last year has no themes for these weeks, or the days are taken."),
              "success" if created else "info")
    return redirect(url_for("themes.calendar", node=node.id, **{"from": start.isoformat()}))


@bp.route("/<int:theme_id>/poster")
@login_required
def poster(theme_id):
    theme = services.visible_theme(current_user, theme_id)
    if theme.poster_type is None:
        abort(404)
    return Response(theme.poster, mimetype=theme.poster_type, headers={"Cache-Control": "private, max-age=3600"})
