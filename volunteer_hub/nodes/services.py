"""Rules of the practice hierarchy. Services flush; the request boundary commits."""
import re

import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.core import audit
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import (
    is_global_admin,
    managed_roots,
    manages,
    require_centre_admin,
    require_manage,
)
from volunteer_hub.core.validators import location_problem
from volunteer_hub.extensions import db
from volunteer_hub.nodes.models import CentreSettings, Node, NodeKind

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,31}$")


def get_node(node_id: int) -> Node:
    node = db.session.get(Node, node_id)
    if node is None:
        raise NotFound(_("No such node: %(id)s.", id=node_id))
    return node


def in_subtree(root: Node):
    """SQL condition: the node is ``root`` or below it."""
    return Node.path.startswith(root.path, autoescape=True)


def centre_of_node():
    """SQL: the id of the node's centre, the first id of its path (/1/4/9/ → 1). Nodes never move, and a
    join to the centres by path prefix compares every node with every centre."""
    if db.session.get_bind().dialect.name == "postgresql":
        return sa.cast(sa.func.split_part(Node.path, "/", 2), sa.Integer)
    rest = sa.func.substr(Node.path, 2)
    return sa.cast(sa.func.substr(rest, 1, sa.func.instr(rest, "/") - 1), sa.Integer)


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


def update_node(actor, node: Node, **changes) -> Node:
    """编辑节点: name, address and location by its managers; ``parent_id`` moves it (and its subtree,
    whose paths follow) under another node of the same centre that the actor also manages.
    Only the given fields change; each change is audited with before and after."""
    require_manage(actor, node)
    allowed = {"name", "address", "lat", "lon", "parent_id"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValidationFailed(_("These fields cannot be changed: %(names)s.", names=", ".join(sorted(unknown))))
    if "name" in changes:
        changes["name"] = (changes["name"] or "").strip()
    if "address" in changes:
        changes["address"] = (changes["address"] or "").strip()
    lat, lon = changes.get("lat", node.lat), changes.get("lon", node.lon)
    errors = {}
    if "name" in changes and not changes["name"]:
        errors["name"] = [_("Name is required.")]
    errors.update(location_errors(lat, lon))
    new_parent = None
    if "parent_id" in changes and changes["parent_id"] != node.parent_id:
        new_parent = _new_parent(actor, node, changes["parent_id"], errors)
    if errors:
        raise ValidationFailed(_("The node is not valid."), errors)
    old_path = node.path
    changed = audit.apply_changes(actor, "node.update", node, changes)
    if new_parent is not None and "parent_id" in changed:
        node.parent = new_parent
        new_path = f"{new_parent.path}{node.id}/"
        # The subtree's paths follow in one statement: every authorisation check reads them.
        db.session.execute(sa.update(Node).where(Node.path.startswith(old_path, autoescape=True))
                           .values(path=sa.literal(new_path) + sa.func.substr(Node.path, len(old_path) + 1))
                           .execution_options(synchronize_session=False))
        db.session.expire_all()
    return node


def possible_parents(actor, node: Node) -> list[Node]:
    """Where ``node`` may belong: its current parent first, then the nodes of a higher level in its
    centre, outside its own subtree, that the actor manages."""
    if node.parent_id is None:
        return []
    candidates = db.session.scalars(sa.select(Node).where(
        Node.path.startswith(f"/{node.centre_id}/", autoescape=True),
        sa.not_(Node.path.startswith(node.path, autoescape=True))).order_by(Node.path)).all()
    fitting = [n for n in candidates if n.node_kind.level < node.node_kind.level
               and (n.id == node.parent_id or manages(actor, n))]
    return sorted(fitting, key=lambda n: n.id != node.parent_id)


def _new_parent(actor, node: Node, parent_id, errors: dict) -> Node | None:
    parent = db.session.get(Node, parent_id) if isinstance(parent_id, int) else None
    if node.parent_id is None:
        errors["parent_id"] = [_("A centre is a root: it has no parent.")]
    elif parent is None:
        errors["parent_id"] = [_("Choose an existing node.")]
    elif parent.is_within(node):
        errors["parent_id"] = [_("A node cannot move below itself.")]
    elif parent.centre_id != node.centre_id:
        errors["parent_id"] = [_("A node stays in its centre: its people, credits and merchants belong there.")]
    elif node.node_kind.level <= parent.node_kind.level:
        errors["parent_id"] = [_("A %(kind)s cannot be placed under a %(parent)s.", kind=node.kind, parent=parent.kind)]
    elif not manages(actor, parent):
        raise Forbidden(_("You can move a node only under a node you manage."))
    return None if errors else parent


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


# --- a centre's rules for hours and credits -------------------------------------------------------

DEFAULT_SETTINGS = {
    "default_credits_per_hour": 1, "max_credits_per_hour": 10, "back_entry_days": 30, "max_day_hours": 12,
    "review_entry_hours": 8, "review_grant_credits": 50, "offline_upload_hours": 12,
    # 《志愿服务记录与证明出具办法》: 一星 100 h … 五星 1500 h
    "star_1": 100, "star_2": 300, "star_3": 600, "star_4": 1000, "star_5": 1500,
}


def settings_of(node: Node) -> CentreSettings:
    """The settings of the node's centre (the defaults if its admins have set none)."""
    return db.session.get(CentreSettings, node.centre_id) or CentreSettings(centre_id=node.centre_id,
                                                                           **DEFAULT_SETTINGS)


def require_centre_settings_admin(actor, centre: Node) -> None:
    require_centre_admin(actor, centre, _("Only the centre's administrators can change its settings."))


def _settings_errors(values: dict) -> dict:
    errors: dict[str, list[str]] = {}
    if not 0 <= values["max_credits_per_hour"] <= 100:
        errors["max_credits_per_hour"] = [_("At most 0 to 100 credits an hour.")]
    if not 0 <= values["default_credits_per_hour"] <= values["max_credits_per_hour"]:
        errors["default_credits_per_hour"] = [_("The usual rate is 0 up to the maximum credits an hour.")]
    if not 0 <= values["back_entry_days"] <= 366:
        errors["back_entry_days"] = [_("Back-entry is 0 to 366 days.")]
    if not 1 <= values["max_day_hours"] <= 24:
        errors["max_day_hours"] = [_("A service day lasts at most 1 to 24 hours.")]
    if not 1 <= values["review_entry_hours"] <= 24:
        errors["review_entry_hours"] = [_("The review threshold for one entry is 1 to 24 hours.")]
    if not 1 <= values["review_grant_credits"] <= 100_000:
        errors["review_grant_credits"] = [_("The review threshold for grants is 1 to 100000 credits.")]
    if not 0 <= values["offline_upload_hours"] <= 72:
        errors["offline_upload_hours"] = [_("Scans made offline may be uploaded within 0 to 72 hours.")]
    stars = [values[f"star_{n}"] for n in range(1, 6)]
    if not 0 < stars[0] or any(a >= b for a, b in zip(stars, stars[1:], strict=False)) or stars[-1] > 100_000:
        errors["star_1"] = [_("Star thresholds are hours that rise from one star to five.")]
    return errors


def update_settings(actor, centre: Node, **changes) -> CentreSettings:
    """A centre admin changes the rules; before and after go to the audit trail."""
    require_centre_settings_admin(actor, centre)
    current = settings_of(centre)
    before = {name: getattr(current, name) for name in DEFAULT_SETTINGS}
    values = {**before, **{name: value for name, value in changes.items() if name in DEFAULT_SETTINGS}}
    errors = _settings_errors(values)
    if errors:
        raise ValidationFailed(_("The settings are not valid."), errors)
    if db.session.get(CentreSettings, centre.id) is None:
        db.session.add(current)
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_by_id, current.updated_at = actor.id, utcnow()
    db.session.flush()
    audit.record(actor, "centre.settings", centre, before=before, after=values)
    return current
