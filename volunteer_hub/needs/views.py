"""Pages: ask for help, my requests, a request with its history and actions, a node's queue and dashboard."""
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.core.charts import bar_chart
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.forms import ActionForm, attempt
from volunteer_hub.extensions import db
from volunteer_hub.needs import services
from volunteer_hub.needs.forms import AcceptForm, DispatchForm, NeedForm, ReasonForm, ReviewForm
from volunteer_hub.nodes.models import Node, NodeKind
from volunteer_hub.nodes.services import get_node

bp = Blueprint("needs", __name__)


def _category_choices():
    return list(services.CATEGORIES.items())


@bp.route("/needs/new", methods=["GET", "POST"])
@login_required
def new():
    """点单: anyone with an account asks for help."""
    form = NeedForm()
    form.node_id.choices = [(n.id, n.name) for n in db.session.scalars(
        db.select(Node).where(Node.kind.in_([NodeKind.STATION, NodeKind.POINT])).order_by(Node.path))]
    form.category.choices = _category_choices()
    if request.method == "GET":
        form.contact_phone.data = current_user.phone
        if current_user.profile:
            form.node_id.data = current_user.profile.home_station_id
    if form.validate_on_submit():
        photos = [f.read() for f in form.photos.data or [] if getattr(f, "filename", "")]
        ok, need = attempt(lambda: services.submit(
            current_user, node_id=form.node_id.data, category=form.category.data,
            description=form.description.data, address=form.address.data, wished_at=form.wished_at.data,
            contact_phone=form.contact_phone.data, photos=photos), form)
        if ok:
            flash(_("Your request is sent to %(node)s.", node=need.node.name), "success")
            return redirect(url_for("needs.show", need_id=need.id))
    return render_template("needs/new.html", form=form), 422 if form.errors or form.form_errors else 200


@bp.route("/needs")
@login_required
def mine():
    page = db.paginate(services.list_needs(current_user), per_page=20, error_out=False)
    return render_template("needs/list.html", page=page, node=None, labels=services.STATE_LABELS,
                           categories=services.CATEGORIES,
                           overdue=services.is_overdue, state=None)


@bp.route("/nodes/<int:node_id>/needs")
@login_required
def queue(node_id):
    """派单 queue: the subtree's requests, overdue ones in red."""
    node = get_node(node_id)
    state = request.args.get("state") or None
    page = db.paginate(services.list_needs(current_user, node, state), per_page=20, error_out=False)
    return render_template("needs/list.html", page=page, node=node, labels=services.STATE_LABELS,
                           categories=services.CATEGORIES,
                           overdue=services.is_overdue, state=state)


@bp.route("/nodes/<int:node_id>/needs/dashboard")
@login_required
def dashboard(node_id):
    node = get_node(node_id)
    services.require_queue(current_user, node)
    data = services.dashboard(node)
    labels = dict(_category_choices())
    charts = [bar_chart(_("Requests by state"), [str(services.STATE_LABELS[s]) for s in data["by_state"]],
                        {_("requests"): list(data["by_state"].values())}),
              bar_chart(_("Requests by category"), [labels[c] for c in data["by_category"]],
                        {_("requests"): list(data["by_category"].values())})]
    return render_template("needs/dashboard.html", node=node, data=data, charts=charts,
                           labels=services.STATE_LABELS)


def _team_choices(need):
    return [(t.id, f"{t.name} · {t.node.name}") for t in services.dispatchable_teams(current_user, need)]


@bp.route("/needs/<int:need_id>")
@login_required
def show(need_id, contact_phone=None):
    need = services.visible_need(current_user, need_id)
    dispatch_form = DispatchForm(prefix="d")
    dispatch_form.team_id.choices = _team_choices(need) if services.is_manager_of(current_user, need) else []
    return render_template(
        "needs/show.html", need=need, labels=services.STATE_LABELS, categories=services.CATEGORIES,
        actions=services.ACTION_LABELS,
        overdue=services.is_overdue(need),
        resident=services.is_resident(current_user, need), manager=services.is_manager_of(current_user, need),
        team_side=services.is_team_side(current_user, need), dispatch_form=dispatch_form,
        reason_form=ReasonForm(prefix="r"), accept_form=AcceptForm(prefix="a"), review_form=ReviewForm(prefix="v"),
        action_form=ActionForm(), now=utcnow(), contact_phone=contact_phone)


@bp.route("/needs/<int:need_id>/contact", methods=["POST"])
@login_required
def contact(need_id):
    """Shows the full contact phone once, on this response; the look goes to the audit trail."""
    need = services.visible_need(current_user, need_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for("needs.show", need_id=need.id))
    phone = services.reveal_contact(current_user, need)
    return show(need_id, contact_phone=phone)


@bp.route("/needs/<int:need_id>/<any(dispatch, forward, accept, decline, complete, review, cancel):action>",
          methods=["POST"])
@login_required
def act(need_id, action):
    need = services.visible_need(current_user, need_id)
    forms = {"dispatch": lambda: DispatchForm(prefix="d"), "accept": lambda: AcceptForm(prefix="a"),
             "review": lambda: ReviewForm(prefix="v"), "complete": ActionForm}
    form = forms.get(action, lambda: ReasonForm(prefix="r"))()
    if action == "dispatch":
        form.team_id.choices = _team_choices(need)
    if not form.validate_on_submit():
        flash(" ".join(m for messages in form.errors.values() for m in messages) or _("Fill in the form."), "error")
        return redirect(url_for("needs.show", need_id=need.id))
    calls = {
        "dispatch": lambda: services.dispatch(current_user, need, team_id=form.team_id.data,
                                              accept_by=form.accept_by.data),
        "forward": lambda: services.forward(current_user, need, form.reason.data),
        "accept": lambda: services.accept(current_user, need, starts_at=form.starts_at.data, hours=form.hours.data,
                                          capacity=form.capacity.data),
        "decline": lambda: services.decline(current_user, need, form.reason.data),
        "complete": lambda: services.complete(current_user, need),
        "review": lambda: services.review(current_user, need, rating=form.rating.data, comment=form.comment.data),
        "cancel": lambda: services.cancel(current_user, need, form.reason.data),
    }
    ok, _need = attempt(calls[action])
    if ok:
        flash(_("Done: the request is %(state)s.", state=services.STATE_LABELS[need.state]), "success")
    return redirect(url_for("needs.show", need_id=need_id))


@bp.route("/needs/<int:need_id>/photos/<int:photo_id>")
@login_required
def photo(need_id, photo_id):
    need = services.visible_need(current_user, need_id)
    match = next((p for p in need.photos if p.id == photo_id), None)
    if match is None:
        abort(404)
    return send_file(services.photo_path(match), mimetype=match.content_type, max_age=3600)
