import pytest

from volunteer_hub.core.errors import Conflict, Forbidden, ValidationFailed
from volunteer_hub.teams import services
from volunteer_hub.teams.models import MembershipStatus as S


def status(world, user):
    row = services.membership(world.team, user)
    return row.status if row else None


def test_leader_is_first_member(world):
    assert status(world, world.leader) == S.ACTIVE
    assert world.team.category_label == "卫生环保"


def test_request_then_leader_approves(world):
    services.request_to_join(world.volunteer, world.team, world.volunteer)
    assert status(world, world.volunteer) == S.PENDING
    with pytest.raises(Forbidden):  # a volunteer cannot approve their own request
        services.accept(world.volunteer, world.team, world.volunteer)
    with pytest.raises(Forbidden):  # nor can a manager of a sibling station
        services.accept(world.s2_manager, world.team, world.volunteer)
    services.accept(world.leader, world.team, world.volunteer)
    assert status(world, world.volunteer) == S.ACTIVE


def test_manager_of_the_node_or_above_can_act_as_leader(world):
    services.request_to_join(world.volunteer, world.team, world.volunteer)
    services.accept(world.i1_manager, world.team, world.volunteer)
    assert status(world, world.volunteer) == S.ACTIVE


def test_invitation_is_accepted_only_by_the_invited(world):
    services.invite(world.leader, world.team, world.s2_volunteer)
    assert status(world, world.s2_volunteer) == S.INVITED
    with pytest.raises(Forbidden):
        services.accept(world.leader, world.team, world.s2_volunteer)
    services.accept(world.s2_volunteer, world.team, world.s2_volunteer)
    assert status(world, world.s2_volunteer) == S.ACTIVE


def test_volunteer_cannot_manage_a_team(world):
    services.request_to_join(world.s2_volunteer, world.team, world.s2_volunteer)
    services.accept(world.leader, world.team, world.s2_volunteer)
    with pytest.raises(Forbidden):
        services.invite(world.s2_volunteer, world.team, world.volunteer)
    services.request_to_join(world.volunteer, world.team, world.volunteer)
    with pytest.raises(Forbidden):
        services.accept(world.s2_volunteer, world.team, world.volunteer)
    with pytest.raises(Forbidden):
        services.decline(world.s2_volunteer, world.team, world.volunteer)
    with pytest.raises(Forbidden):
        services.remove(world.volunteer, world.team, world.s2_volunteer)
    with pytest.raises(Forbidden):
        services.change_leader(world.leader, world.team, world.s2_volunteer)
    with pytest.raises(Forbidden):  # asking on someone else's behalf
        services.request_to_join(world.volunteer, world.team, world.s2_volunteer)


def test_decline_reject_and_withdraw(world):
    services.request_to_join(world.volunteer, world.team, world.volunteer)
    services.decline(world.volunteer, world.team, world.volunteer)  # withdraw own request
    assert status(world, world.volunteer) == S.REJECTED
    services.request_to_join(world.volunteer, world.team, world.volunteer)  # may ask again
    services.decline(world.leader, world.team, world.volunteer)
    assert status(world, world.volunteer) == S.REJECTED
    services.invite(world.leader, world.team, world.volunteer)
    services.decline(world.volunteer, world.team, world.volunteer)
    assert status(world, world.volunteer) == S.REJECTED


@pytest.mark.parametrize("setup,action,actor", [
    ("active", "request", "volunteer"), ("active", "invite", "leader"), ("pending", "request", "volunteer"),
    ("pending", "invite", "leader"), ("active", "accept", "leader"), ("active", "decline", "leader"),
    ("left", "accept", "leader"), ("left", "remove", "leader"), ("pending", "remove", "leader"),
    ("rejected", "decline", "leader"),
])
def test_illegal_moves_are_conflicts(world, setup, action, actor):
    v, t, leader = world.volunteer, world.team, world.leader
    services.request_to_join(v, t, v)
    if setup in ("active", "left"):
        services.accept(leader, t, v)
    if setup == "left":
        services.remove(v, t, v)
    if setup == "rejected":
        services.decline(leader, t, v)
    calls = {
        "request": lambda: services.request_to_join(v, t, v),
        "invite": lambda: services.invite(leader, t, v),
        "accept": lambda: services.accept(leader, t, v),
        "decline": lambda: services.decline(leader, t, v),
        "remove": lambda: services.remove(leader, t, v),
    }
    with pytest.raises(Conflict):
        calls[action]()


def test_leave_and_remove(world):
    services.invite(world.leader, world.team, world.volunteer)
    services.accept(world.volunteer, world.team, world.volunteer)
    services.remove(world.volunteer, world.team, world.volunteer)
    assert status(world, world.volunteer) == S.LEFT
    services.request_to_join(world.volunteer, world.team, world.volunteer)
    services.accept(world.leader, world.team, world.volunteer)
    services.remove(world.s1_manager, world.team, world.volunteer)
    assert status(world, world.volunteer) == S.LEFT
    with pytest.raises(Conflict):
        services.remove(world.leader, world.team, world.leader)


def test_change_leader(world):
    with pytest.raises(Conflict):  # not a member yet
        services.change_leader(world.s1_manager, world.team, world.volunteer)
    services.invite(world.leader, world.team, world.volunteer)
    services.accept(world.volunteer, world.team, world.volunteer)
    services.change_leader(world.s1_manager, world.team, world.volunteer)
    assert world.team.leader == world.volunteer
    services.remove(world.volunteer, world.team, world.leader)  # the old leader can now be removed


def test_only_volunteers_join(world):
    with pytest.raises(ValidationFailed):
        services.invite(world.leader, world.team, world.outsider)


@pytest.mark.parametrize("kwargs,field", [
    ({"name": ""}, "name"), ({"category": "sports"}, "category"), ({"category": "other"}, "custom_category"),
    ({"leader": "outsider"}, "leader_id"),
])
def test_team_validation(world, kwargs, field):
    kwargs = dict(kwargs)
    leader = getattr(world, kwargs.pop("leader", "volunteer"))
    data = {"name": "新队", "category": "legal", "node_id": world.s1.id, "leader_id": leader.id, **kwargs}
    with pytest.raises(ValidationFailed) as caught:
        services.create_team(world.s1_manager, **data)
    assert field in caught.value.fields


def test_team_creation_rules(world):
    team = services.create_team(world.i1_manager, name="红色管家", category="other", custom_category="红色管家",
                                node_id=world.s2.id, leader_id=world.s2_volunteer.id)
    assert team.category_label == "红色管家"
    with pytest.raises(Conflict):
        services.create_team(world.i1_manager, name="红色管家", category="legal", node_id=world.s2.id,
                             leader_id=world.s2_volunteer.id)
    with pytest.raises(Forbidden):
        services.create_team(world.s2_manager, name="越界队", category="legal", node_id=world.s1.id,
                             leader_id=world.volunteer.id)
    with pytest.raises(Forbidden):
        services.create_team(world.leader, name="自封队", category="legal", node_id=world.s1.id,
                             leader_id=world.leader.id)


def test_edit_a_team_with_history(app, world, api):
    import sqlalchemy as sa

    from tests.test_pages import login
    from volunteer_hub.core.audit import AuditEntry
    from volunteer_hub.extensions import db

    team = world.team
    services.update_team(world.leader, team, name="东门环保先锋队", description="每周六清理河道")
    with pytest.raises(Forbidden):  # the leader does not change the category or hand over the team
        services.update_team(world.leader, team, category="culture")
    with pytest.raises(ValidationFailed):
        services.update_team(world.s1_manager, team, category="other")  # without its local name
    with pytest.raises(Conflict):  # a new leader must be an active member
        services.update_team(world.s1_manager, team, leader_id=world.s2_volunteer.id)
    services.request_to_join(world.volunteer, team, world.volunteer)
    services.accept(world.leader, team, world.volunteer)
    services.update_team(world.s1_manager, team, category="other", custom_category="河长制",
                         leader_id=world.volunteer.id)
    db.session.commit()
    assert (team.name, team.category_label, team.leader_id) == ("东门环保先锋队", "河长制", world.volunteer.id)
    updates = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "team.update")
                                 .order_by(AuditEntry.id)).all()
    assert updates[0].data["before"]["name"] == "东门卫生环保队" and updates[1].data["after"]["category"] == "other"
    assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "team.leader"))
    patched = api(world.s1_manager).patch(f"/api/v1/teams/{team.id}", json={"description": "河道与楼道"})
    assert patched.status_code == 200 and patched.json["description"] == "河道与楼道"
    assert api(world.s2_manager).patch(f"/api/v1/teams/{team.id}", json={"name": "x"}).status_code == 403
    page = login(app.test_client(), world.volunteer).post(f"/teams/{team.id}/edit",
                                                          data={"name": "东门河长队", "description": ""})
    assert page.status_code == 302  # the new leader edits the name
