import pytest

from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.permissions import manages
from volunteer_hub.nodes import services
from volunteer_hub.nodes.models import NodeKind


def test_paths_and_generated_codes(world):
    assert world.centre.path == f"/{world.centre.id}/"
    assert world.p1.path == f"/{world.centre.id}/{world.i1.id}/{world.s1.id}/{world.p1.id}/"
    assert world.i1.code == "T-01" and world.s2.code == "T-01-02" and world.p1.code == "T-01-01-01"
    assert world.p1.ancestor_ids == [world.centre.id, world.i1.id, world.s1.id, world.p1.id]
    assert world.p1.centre_id == world.centre.id


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
