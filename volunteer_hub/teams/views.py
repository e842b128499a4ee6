"""Pages: team list, team page (join, leave, invitations), member management, new team."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.core.forms import ActionForm, attempt
from volunteer_hub.core.permissions import manages
from volunteer_hub.extensions import db
from volunteer_hub.nodes.services import managed_subtrees
from volunteer_hub.people.services import get_user, require_by_phone
from volunteer_hub.teams import services
from volunteer_hub.teams.forms import InviteForm, TeamEditForm, TeamForm, category_choices
from volunteer_hub.teams.models import MembershipStatus

bp = Blueprint("teams", __name__, url_prefix="/teams")


@bp.route("")
@login_required
def index():
    category = request.args.get("category") or None
    q = (request.args.get("q") or "").strip() or None
    page = db.paginate(services.list_teams(category=category, q=q), per_page=20, error_out=False)
    return render_template("teams/index.html", page=page, category=category, q=q or "",
                           categories=category_choices())


def _edit_form(team, form=None) -> TeamEditForm:
    form = form or TeamEditForm(obj=team)
    form.leader_id.choices = [(m.user_id, m.user.name) for m in services.members(team)]
    if not manages(current_user, team.node):  # a leader edits the name and description only
        for name in ("category", "custom_category", "leader_id"):
            delattr(form, name)
    return form


def _render_team(team, edit_form=None, status=200):
    leads = services.can_lead(current_user, team)
    statuses = [MembershipStatus.ACTIVE] + ([MembershipStatus.PENDING, MembershipStatus.INVITED] if leads else [])
    return render_template("teams/show.html", team=team, leads=leads,
                           members=services.members(team, statuses),
                           mine=services.membership(team, current_user),
                           action_form=ActionForm(), invite_form=InviteForm(),
                           edit_form=_edit_form(team, edit_form) if leads else None), status


@bp.route("/<int:team_id>")
@login_required
def show(team_id):
    return _render_team(services.get_team(team_id))


@bp.route("/<int:team_id>/edit", methods=["POST"])
@login_required
def edit(team_id):
    """编辑队伍: name and description by its leader and managers, category and leader by managers."""
    team = services.get_team(team_id)
    if not services.can_lead(current_user, team):
        abort(403)
    form = _edit_form(team, TeamEditForm())
    if form.validate_on_submit():
        changes = {name: form[name].data for name in ("name", "description", "category", "custom_category",
                                                      "leader_id") if name in form}
        ok, _team = attempt(lambda: services.update_team(current_user, team, **changes), form)
        if ok:
            flash(_("%(name)s is saved.", name=team.name), "success")
            return redirect(url_for("teams.show", team_id=team.id))
    return _render_team(team, edit_form=form, status=422)


_ACTIONS = {
    "join": (services.request_to_join, lambda u: _("Your request to join has been sent to the leader.")),
    "accept": (services.accept, lambda u: _("%(name)s is now a member.", name=u.name)),
    "decline": (services.decline, lambda u: _("The request or invitation of %(name)s is closed.", name=u.name)),
    "remove": (services.remove, lambda u: _("%(name)s has left the team.", name=u.name)),
}


@bp.route("/<int:team_id>/members/<int:user_id>/<action>", methods=["POST"])
@login_required
def member_action(team_id, user_id, action):
    if action not in _ACTIONS or not ActionForm().validate_on_submit():
        abort(400)
    team, user = services.get_team(team_id), get_user(user_id)
    service, message = _ACTIONS[action]
    ok, _row = attempt(lambda: service(current_user, team, user))
    if ok:
        flash(message(user), "success")
    return redirect(url_for("teams.show", team_id=team.id))


@bp.route("/<int:team_id>/invite", methods=["POST"])
@login_required
def invite(team_id):
    team = services.get_team(team_id)
    form = InviteForm()
    if form.validate_on_submit():
        ok, row = attempt(lambda: services.invite(current_user, team, require_by_phone(form.phone.data)))
        if ok:
            flash(_("%(name)s has been invited.", name=row.user.name), "success")
    else:
        flash(_("Enter a phone number."), "error")
    return redirect(url_for("teams.show", team_id=team.id))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    nodes = [node for _root, tree in managed_subtrees(current_user) for node in tree]
    if not nodes:
        abort(403)
    form = TeamForm()
    form.node_id.choices = [(n.id, f"{n.name} ({n.code})") for n in nodes]
    if form.validate_on_submit():
        ok, team = attempt(lambda: services.create_team(
            current_user, name=form.name.data, category=form.category.data,
            custom_category=form.custom_category.data or None, node_id=form.node_id.data,
            leader_id=require_by_phone(form.leader_phone.data, "leader_phone").id,
            description=form.description.data or ""), form, aliases={"leader_id": "leader_phone"})
        if ok:
            flash(_("Team %(name)s is created.", name=team.name), "success")
            return redirect(url_for("teams.show", team_id=team.id))
    return render_template("teams/new.html", form=form), 422 if form.errors or form.form_errors else 200
