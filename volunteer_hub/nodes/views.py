"""Pages for managers: the node tree of their subtrees (a node's own page is home.node), and a
centre's settings for its administrators."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from volunteer_hub.core.forms import attempt
from volunteer_hub.nodes import services
from volunteer_hub.nodes.forms import CentreSettingsForm

bp = Blueprint("nodes", __name__)


@bp.route("/nodes")
@login_required
def tree():
    """The whole subtree of every node the user manages, as an indented tree."""
    trees = services.managed_subtrees(current_user)
    if not trees:
        abort(403)
    return render_template("nodes/tree.html", trees=trees)


@bp.route("/centres/<int:centre_id>/settings", methods=["GET", "POST"])
@login_required
def settings(centre_id):
    """A centre's rules for hours and credits (its administrators)."""
    centre = services.get_node(centre_id)
    services.require_centre_settings_admin(current_user, centre)
    current = services.settings_of(centre)
    form = CentreSettingsForm(obj=current)
    if form.validate_on_submit():
        ok, _s = attempt(lambda: services.update_settings(current_user, centre, **{
            name: getattr(form, name).data for name in services.DEFAULT_SETTINGS}), form)
        if ok:
            flash(_("The settings are saved."), "success")
            return redirect(url_for("nodes.settings", centre_id=centre.id))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("nodes/settings.html", centre=centre, form=form, current=current), status
