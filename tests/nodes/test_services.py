import pytest
import sqlalchemy as sa

from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import manages
from volunteer_hub.extensions import db
from volunteer_hub.nodes import services
from volunteer_hub.nodes import services as nodes
from volunteer_hub.nodes.models import Node, NodeKind


def test_paths_and_generated_codes(world):
    assert world.centre.path == f"/{world.centre.id}/"
    assert world.p1.path == f"/{world.centre.id}/{world.i1.id}/{world.s1.id}/{world.p1.id}/"
    assert world.i1.code == "T-01" and world.s2.code == "T-01-02" and world.p1.code == "T-01-01-01"
    assert world.p1.ancestor_ids == [world.centre.id, world.i1.id, world.s1.id, world.p1.id]
    assert world.p1.centre_id == world.centre.id


def test_the_sql_centre_of_a_node_is_the_first_id_of_its_path(world):
    # Ids of several digits, at every depth, in more than one centre.
    db.session.execute(sa.text("UPDATE nodes SET path = '/' || :big || substr(path, :cut) WHERE path LIKE :prefix"),
                       {"big": "12345", "cut": len(str(world.centre.id)) + 2, "prefix": f"/{world.centre.id}/%"})
    other = services.create_node(world.admin, name="第二中心", kind="centre")
    institute = services.create_node(world.admin, name="第二所", kind="institute", parent_id=other.id)
    db.session.flush()
    found = dict(db.session.execute(sa.select(Node.id, services.centre_of_node())).all())
    assert found[world.p1.id] == found[world.s2.id] == found[world.centre.id] == 12345
    assert found[institute.id] == found[other.id] == other.id


def test_subtree_is_the_node_and_everything_below(world):
    assert [n.code for n in services.subtree(world.i1)] == ["T-01", "T-01-01", "T-01-01-01", "T-01-02"]
    assert [n.name for n in services.subtree(world.centre, NodeKind.STATION)] == [
        world.s1.name, world.s2.name, world.s3.name]
    assert services.stations_under(world.i2) == [world.s3]


@pytest.mark.parametrize("who,node,allowed", [
    ("admin", "s3", True), ("centre_admin", "p1", True), ("i1_manager", "s2", True), ("i1_manager", "p1", True),
    ("i1_manager", "s3", False), ("i1_manager", "centre", False), ("s1_manager", "p1", True),
    ("s1_manager", "s2", False), ("s2_manager", "s1", False), ("s1_manager", "i1", False),
    ("volunteer", "s1", False), ("leader", "s1", False),
])
def test_nobody_manages_outside_their_subtree(world, who, node, allowed):
    assert manages(getattr(world, who), getattr(world, node)) is allowed


def test_manager_creates_below_own_node_only(world):
    point = services.create_node(world.s1_manager, name="东门菜场实践点", kind="point", parent_id=world.s1.id)
    assert point.parent == world.s1
    with pytest.raises(Forbidden):
        services.create_node(world.s2_manager, name="越界实践点", kind="point", parent_id=world.s1.id)
    with pytest.raises(Forbidden):
        services.create_node(world.centre_admin, name="另一个中心", kind="centre")


@pytest.mark.parametrize("kwargs,field", [
    ({"name": "", "kind": "point", "parent": "s1"}, "name"),
    ({"name": "x" * 101, "kind": "point", "parent": "s1"}, "name"),
    ({"name": "站", "kind": "village", "parent": "s1"}, "kind"),
    ({"name": "站", "kind": "station", "parent": "s1"}, "kind"),
    ({"name": "所", "kind": "institute", "parent": "i1"}, "kind"),
    ({"name": "中心", "kind": "centre", "parent": "i1"}, "parent_id"),
    ({"name": "站", "kind": "station", "parent": None}, "parent_id"),
    ({"name": "点", "kind": "point", "parent": "s1", "code": "bad code!"}, "code"),
    ({"name": "点", "kind": "point", "parent": "s1", "lat": 31.0}, "lat"),
    ({"name": "点", "kind": "point", "parent": "s1", "lat": 91.0, "lon": 120.0}, "lat"),
])
def test_node_validation_names_the_field(world, kwargs, field):
    kwargs = dict(kwargs)  # parametrize shares the dict between the two databases
    parent = kwargs.pop("parent")
    with pytest.raises(ValidationFailed) as caught:
        services.create_node(world.admin, parent_id=getattr(world, parent).id if parent else None, **kwargs)
    assert field in caught.value.fields


def test_duplicate_code_is_a_conflict(world):
    with pytest.raises(Conflict) as caught:
        services.create_node(world.admin, name="重复", kind="point", parent_id=world.s2.id, code="T-01-01")
    assert "code" in caught.value.fields


def test_unknown_parent_is_not_found(world):
    with pytest.raises(NotFound):
        services.create_node(world.admin, name="点", kind="point", parent_id=424242)


def test_edit_a_node_with_history(app, world):
    nodes.update_node(world.s1_manager, world.s1, name="东门社区新时代文明实践站", address="东门路 8 号")
    db.session.commit()
    assert world.s1.name == "东门社区新时代文明实践站"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "node.update"))
    assert entry.data == {"before": {"name": "东门社区实践站", "address": ""},
                          "after": {"name": "东门社区新时代文明实践站", "address": "东门路 8 号"}}
    nodes.update_node(world.s1_manager, world.s1, name="东门社区新时代文明实践站")  # nothing changes: no entry
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "node.update")) == 1
    with pytest.raises(ValidationFailed):
        nodes.update_node(world.s1_manager, world.s1, lat=31.0, lon=None)
    with pytest.raises(ValidationFailed):
        nodes.update_node(world.s1_manager, world.s1, name=" ")
    with pytest.raises(Forbidden):
        nodes.update_node(world.s2_manager, world.s1, name="别人的站")


def test_moving_a_node_moves_its_subtree(app, world, api):
    # S1 (with point P1 below it) moves from institute I1 to I2.
    with pytest.raises(Forbidden):  # the station's own manager does not run I2
        nodes.update_node(world.s1_manager, world.s1, parent_id=world.i2.id)
    nodes.update_node(world.centre_admin, world.s1, parent_id=world.i2.id)
    db.session.commit()
    s1, p1 = db.session.get(Node, world.s1.id), db.session.get(Node, world.p1.id)
    assert s1.path == f"{world.i2.path}{s1.id}/" and p1.path == f"{s1.path}{p1.id}/"
    assert p1.is_within(world.i2) and not p1.is_within(world.i1)
    assert manages(world.s1_manager, p1)  # the station's manager still runs what is below it
    assert not manages(world.i1_manager, p1)  # the old institute no longer does
    for bad in (world.p1.id, world.s2.id, world.s1.id, 10**6):  # below itself, a sibling station, itself, nothing
        with pytest.raises(ValidationFailed):
            nodes.update_node(world.centre_admin, world.s1, parent_id=bad)
    other = nodes.create_node(world.admin, name="邻区中心", kind="centre", code="N")
    other_institute = nodes.create_node(world.admin, name="邻区实践所", kind="institute", parent_id=other.id)
    with pytest.raises(ValidationFailed):  # never into another centre
        nodes.update_node(world.admin, world.s1, parent_id=other_institute.id)
    db.session.commit()
    moved = api(world.centre_admin).patch(f"/api/v1/nodes/{world.s1.id}", json={"parent_id": world.i1.id})
    assert moved.status_code == 200 and moved.json["parent_id"] == world.i1.id
    assert api(world.s2_manager).patch(f"/api/v1/nodes/{world.s1.id}", json={"name": "x"}).status_code == 403
    assert api(world.s1_manager).patch(f"/api/v1/nodes/{world.s1.id}", json={"code": "X"}).status_code == 422


def test_the_node_page_edits(app, world):
    from tests.test_pages import login

    admin = login(app.test_client(), world.centre_admin)
    page = admin.get(f"/nodes/{world.s1.id}")
    assert page.status_code == 200 and "编辑" in page.text and world.i2.name in page.text
    saved = admin.post(f"/nodes/{world.s1.id}/edit", data={"name": "东门站", "address": "东门路", "lat": "31.1",
                                                            "lon": "120.1", "parent_id": world.i1.id})
    db.session.expire_all()
    assert saved.status_code == 302 and db.session.get(Node, world.s1.id).name == "东门站"
    bad = admin.post(f"/nodes/{world.s1.id}/edit", data={"name": "东门站", "lat": "31.1", "parent_id": world.i1.id})
    assert bad.status_code == 422
