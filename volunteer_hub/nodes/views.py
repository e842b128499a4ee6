"""Pages for managers: the node tree of their subtrees, a node's page with children, managers, teams."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.core.forms import ActionForm, commit
from volunteer_hub.core.permissions import can_manage
from volunteer_hub.extensions import db
from volunteer_hub.nodes import services
from volunteer_hub.nodes.forms import ManagerForm, NodeForm
from volunteer_hub.nodes.models import Node
from volunteer_hub.people import services as people
from volunteer_hub.teams.services import list_teams

bp = Blueprint("nodes", __name__, url_prefix="/nodes")


@bp.route("")
@login_required
def tree():
    """The whole subtree of every node the user manages, as an indented tree."""
    trees = services.managed_subtrees(current_user)
    if not trees:
        abort(403)
    return render_template("nodes/tree.html", trees=trees)


def _managed_node(node_id: int) -> Node:
    node = services.get_node(node_id)
    if not can_manage(current_user, node):
        abort(403)
    return node


def _render_node(node, node_form=None, manager_form=None, status=200):
    return render_template(
        "nodes/show.html", node=node, managers=people.managers_of(node),
        teams=db.session.scalars(list_teams(node=node)).all(),
        node_form=node_form or NodeForm(), manager_form=manager_form or ManagerForm(),
        action_form=ActionForm(),
    ), status


@bp.route("/<int:node_id>")
@login_required
def show(node_id):
    return _render_node(_managed_node(node_id))


@bp.route("/<int:node_id>/children", methods=["POST"])
@login_required
def add_child(node_id):
    node = _managed_node(node_id)
    form = NodeForm()
    if form.validate_on_submit():
        ok, child = commit(lambda: services.create_node(
            current_user, name=form.name.data, kind=form.kind.data, parent_id=node.id, code=form.code.data or None,
            address=form.address.data or "", lat=form.lat.data, lon=form.lon.data), form)
        if ok:
            flash(_("%(name)s is created.", name=child.name), "success")
            return redirect(url_for("nodes.show", node_id=node.id))
    return _render_node(node, node_form=form, status=422)


@bp.route("/<int:node_id>/managers", methods=["POST"])
@login_required
def add_manager(node_id):
    node = _managed_node(node_id)
    form = ManagerForm()
    if form.validate_on_submit():
        ok, grant = commit(lambda: people.appoint_manager(current_user, node, people.require_by_phone(form.phone.data)),
                           form)
        if ok:
            flash(_("%(name)s now manages %(node)s.", name=grant.user.name, node=node.name), "success")
            return redirect(url_for("nodes.show", node_id=node.id))
    return _render_node(node, manager_form=form, status=422)


@bp.route("/<int:node_id>/managers/<int:user_id>/revoke", methods=["POST"])
@login_required
def revoke_manager(node_id, user_id):
    node = _managed_node(node_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    ok, _result = commit(lambda: people.revoke_manager(current_user, node, people.get_user(user_id)))
    if ok:
        flash(_("The management is revoked."), "success")
    return redirect(url_for("nodes.show", node_id=node.id))
