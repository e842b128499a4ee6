"""Who may manage what: a manager manages a node and its whole subtree, nothing outside it."""
from flask_babel import gettext as _

from volunteer_hub.core.errors import Forbidden


def _grants(user, role: str):
    return [g for g in getattr(user, "grants", []) if g.role == role]


def is_global_admin(user) -> bool:
    """中心管理员 with rights over every node (created by ``hub create-admin``)."""
    return any(g.node_id is None for g in _grants(user, "admin"))


def managed_roots(user) -> list:
    """The nodes at the top of each subtree the user manages (admins manage their centre)."""
    return [g.node for g in _grants(user, "manager") + _grants(user, "admin") if g.node is not None]


def can_manage(user, node) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return is_global_admin(user) or any(node.is_within(root) for root in managed_roots(user))


def manages_in(user, node) -> bool:
    """Manages ``node``, or a subtree somewhere below it (a station manager under a centre)."""
    return can_manage(user, node) or any(root.is_within(node) for root in managed_roots(user))


def is_manager(user) -> bool:
    return is_global_admin(user) or bool(managed_roots(user))


def is_centre_admin(user, centre) -> bool:
    return is_global_admin(user) or any(
        g.node_id == centre.id for g in _grants(user, "admin")
    )


def require_centre_admin(user, centre, message: str) -> None:
    """Centre settings (webhook, credit policy): only a centre, and only its administrators."""
    if centre.kind != "centre" or not is_centre_admin(user, centre):
        raise Forbidden(message)


def require_manage(user, node, message: str | None = None) -> None:
    if not can_manage(user, node):
        raise Forbidden(message or _("You do not manage %(name)s (%(code)s).", name=node.name, code=node.code))
