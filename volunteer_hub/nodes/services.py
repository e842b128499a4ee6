"""Rules of the practice hierarchy. Services flush; the request boundary commits."""
import re

import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.core import audit
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import is_global_admin, managed_roots, require_manage
from volunteer_hub.core.validators import location_problem
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import Node, NodeKind

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")


def get_node(node_id: int) -> Node:
    node = db.session.get(Node, node_id)
    if node is None:
        raise NotFound(_("No such node: %(id)s.", id=node_id))
    return node


def in_subtree(root: Node):
    """SQL condition: the node is ``root`` or below it."""
    return Node.path.startswith(root.path, autoescape=True)


def in_any_subtree(roots: list[Node]):
    """SQL condition: the node is in one of the subtrees (none at all for no roots)."""
    return sa.or_(sa.false(), *[in_subtree(root) for root in roots])


def subtree(root: Node, kind: NodeKind | None = None) -> list[Node]:
    query = sa.select(Node).where(in_subtree(root)).order_by(Node.path)
    if kind:
        query = query.where(Node.kind == kind)
    return db.session.scalars(query).all()


def _next_code(parent: Node | None) -> str:
    if parent is None:
        count = db.session.scalar(sa.select(sa.func.count()).where(Node.parent_id.is_(None)))
        return f"C{count + 1:02d}"
    count = db.session.scalar(sa.select(sa.func.count()).where(Node.parent_id == parent.id))
    return f"{parent.code}-{count + 1:02d}"


def _validate(name, kind, parent, code, lat, lon) -> dict:
    errors: dict[str, list[str]] = {}
    if not name or not name.strip():
        errors["name"] = [_("Name is required.")]
    elif len(name.strip()) > 100:
        errors["name"] = [_("Name is at most 100 characters.")]
    if kind not in NodeKind.__members__.values():
        errors["kind"] = [_("Kind must be one of centre, institute, station, point.")]
    elif kind == NodeKind.CENTRE and parent is not None:
        errors["parent_id"] = [_("A centre is a root: it has no parent.")]
    elif kind != NodeKind.CENTRE and parent is None:
        errors["parent_id"] = [_("An institute, station or point needs a parent node.")]
    elif parent is not None and NodeKind(kind).level <= parent.node_kind.level:
        errors["kind"] = [_("A %(kind)s cannot be placed under a %(parent)s.", kind=kind, parent=parent.kind)]
    if code is not None and not _CODE.match(code):
        errors["code"] = [_("Code is 1-32 letters, digits or dashes.")]
    errors.update(location_errors(lat, lon))
    return errors


def location_errors(lat: float | None, lon: float | None) -> dict:
    """Field errors for a node's or a service day's location."""
    messages = {"half": lambda: _("Give both latitude and longitude, or neither."),
                "range": lambda: _("Latitude must be within ±90 and longitude within ±180.")}
    problem = location_problem(lat, lon)
    return {"lat": [messages[problem]()]} if problem else {}


def create_node(actor, *, name: str, kind: str, parent_id: int | None = None, code: str | None = None,
                address: str = "", lat: float | None = None, lon: float | None = None) -> Node:
    """Create a centre (global admin only) or a child of a node the actor manages."""
    parent = get_node(parent_id) if parent_id is not None else None
    if parent is None:
        if not is_global_admin(actor):
            raise Forbidden(_("Only a platform administrator can create a centre."))
    else:
        require_manage(actor, parent)
    errors = _validate(name, kind, parent, code, lat, lon)
    if errors:
        raise ValidationFailed(_("The node is not valid."), errors)
    code = code or _next_code(parent)
    if db.session.scalar(sa.select(Node.id).where(Node.code == code)):
        raise Conflict(_("Code %(code)s is already used.", code=code), {"code": [_("Already in use.")]})
    node = Node(kind=kind, name=name.strip(), code=code, address=(address or "").strip(),
                lat=lat, lon=lon, parent=parent)
    db.session.add(node)
    db.session.flush()
    node.path = f"{parent.path if parent else '/'}{node.id}/"
    audit.record(actor, "node.create", node, name=node.name, kind=kind, parent_id=parent_id)
    db.session.flush()
    return node


def managed_subtrees(user) -> list[tuple[Node, list[Node]]]:
    """Each subtree the user manages, root first: every centre for the platform administrator."""
    if is_global_admin(user):
        roots = db.session.scalars(sa.select(Node).where(Node.parent_id.is_(None)).order_by(Node.code)).all()
    else:
        roots = managed_roots(user)
    return [(root, subtree(root)) for root in roots]


def list_nodes(parent_id: int | None = None, kind: str | None = None):
    query = sa.select(Node).order_by(Node.path)
    if parent_id is not None:
        query = query.where(Node.parent_id == parent_id)
    if kind:
        query = query.where(Node.kind == kind)
    return query


def stations_under(root: Node | None = None) -> list[Node]:
    query = sa.select(Node).where(Node.kind == NodeKind.STATION).order_by(Node.path)
    if root is not None:
        query = query.where(in_subtree(root))
    return db.session.scalars(query).all()
