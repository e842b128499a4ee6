"""Pages for managers: the node tree of their subtrees (a node's own page is home.node)."""
from flask import Blueprint, abort, render_template
from flask_login import current_user, login_required

from volunteer_hub.nodes import services

bp = Blueprint("nodes", __name__, url_prefix="/nodes")


@bp.route("")
@login_required
def tree():
    """The whole subtree of every node the user manages, as an indented tree."""
    trees = services.managed_subtrees(current_user)
    if not trees:
        abort(403)
    return render_template("nodes/tree.html", trees=trees)
