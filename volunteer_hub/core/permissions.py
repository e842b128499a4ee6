"""Who may do what, answered in one place from a user's grants: a manager manages a node and its
whole subtree, nothing outside it; a centre admin its centre; merchant staff their merchants."""
import enum

from flask_babel import gettext as _
from flask_babel import lazy_pgettext

from volunteer_hub.core.errors import Forbidden


class Role(enum.StrEnum):
    MANAGER = "manager"  # 站点管理员: manages a node and everything below it
    ADMIN = "admin"  # 中心管理员: on a centre, or on no node for rights over every node
    MERCHANT_STAFF = "merchant_staff"  # 商户店员, bound to a merchant

    @property
    def label(self):
        return _LABELS[self]


_LABELS = {
    Role.MANAGER: lazy_pgettext("role", "manager"),
    Role.ADMIN: lazy_pgettext("role", "centre admin"),
    Role.MERCHANT_STAFF: lazy_pgettext("role", "merchant staff"),
}


def _grants(user, role: Role):
    return [g for g in getattr(user, "grants", []) if g.role == role]


def staffed_merchant_ids(user) -> list[int]:
    """The merchants whose counter this user staffs (owner or clerk)."""
    return [g.merchant_id for g in _grants(user, Role.MERCHANT_STAFF)]


def is_staff_of(user, merchant) -> bool:
    return merchant.id in staffed_merchant_ids(user)


def administered_centre_ids(user) -> list[int]:
    """Centres this user administers by a grant on the centre (a global admin has none of these)."""
    return [g.node_id for g in _grants(user, Role.ADMIN) if g.node_id is not None]


def is_global_admin(user) -> bool:
    """中心管理员 with rights over every node (created by ``hub create-admin``)."""
    return any(g.node_id is None for g in _grants(user, Role.ADMIN))


def managed_roots(user) -> list:
    """The nodes at the top of each subtree the user manages (admins manage their centre)."""
    return [g.node for g in _grants(user, Role.MANAGER) + _grants(user, Role.ADMIN) if g.node is not None]


def manages(user, node) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return is_global_admin(user) or any(node.is_within(root) for root in managed_roots(user))


def manages_in(user, node) -> bool:
    """Manages ``node``, or a subtree somewhere below it (a station manager under a centre)."""
    return manages(user, node) or any(root.is_within(node) for root in managed_roots(user))


def is_manager(user) -> bool:
    return is_global_admin(user) or bool(managed_roots(user))


def is_centre_admin(user, centre) -> bool:
    return is_global_admin(user) or centre.id in administered_centre_ids(user)


def require_centre_admin(user, centre, message: str) -> None:
    """Centre settings (webhook, credit policy): only a centre, and only its administrators."""
    if centre.kind != "centre" or not is_centre_admin(user, centre):
        raise Forbidden(message)


class OwnRecord(Forbidden):
    code = "own_record"


def require_not_own(actor, user) -> None:
    """四眼原则: nobody enters, approves, corrects or grants their own hours or credits."""
    if actor.id == user.id:
        raise OwnRecord(_("Nobody approves, enters or corrects their own hours or credits: another manager of "
                          "this node or of a node above it does."))


def require_manage(user, node, message: str | None = None) -> None:
    if not manages(user, node):
        raise Forbidden(message or _("You do not manage %(name)s (%(code)s).", name=node.name, code=node.code))
