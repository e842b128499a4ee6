"""点单—派单—接单—评单: every legal and illegal move by each role, escalation on a controlled clock,
photo limits, and who sees what."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.extensions import db
from volunteer_hub.needs import services
from volunteer_hub.needs.models import NeedEvent, NeedPhoto
from volunteer_hub.notifications.models import Notification

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


pytestmark = pytest.mark.clock(NOW)


def ask(world, resident=None, **overrides):
    values = {"node_id": world.p1.id, "category": "shopping", "description": "独居老人需要帮忙买菜",
              "address": "东门社区 3 栋 201", "wished_at": NOW + timedelta(days=2), "contact_phone": "13600000001"}
    return services.submit(resident or world.outsider, **{**values, **overrides})


def dispatched(world):
    need = ask(world)
    return services.dispatch(world.s1_manager, need, team_id=world.team.id, accept_by=NOW + timedelta(hours=12))


def test_the_whole_path_and_its_history(app, world, clock):
    need = ask(world)
    services.dispatch(world.s1_manager, need, team_id=world.team.id, accept_by=NOW + timedelta(hours=12))
    services.accept(world.leader, need, hours=2, capacity=5)
    assert need.service_day.teams == [world.team] and need.service_day.starts_at == need.wished_at
    clock.move_to(need.wished_at + timedelta(hours=3))
    services.complete(world.leader, need)
    services.review(world.outsider, need, rating=5, comment="很及时")
    db.session.commit()
    assert need.state == "reviewed" and not need.flagged
    assert [(e.action, e.from_state, e.to_state) for e in need.events] == [
        ("submit", "", "submitted"), ("dispatch", "submitted", "dispatched"), ("accept", "dispatched", "accepted"),
        ("complete", "accepted", "completed"), ("review", "completed", "reviewed")]
    assert all(e.actor_id for e in need.events)
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "need")))
    assert told == {world.leader.id, world.outsider.id}


# action: (who may, states it may start from)
MOVES = {
    "dispatch": ({"manager"}, {"submitted"}),
    "forward": ({"manager"}, {"submitted"}),
    "accept": ({"leader", "manager"}, {"dispatched"}),  # the manager here also manages the team's node
    "decline": ({"leader", "manager"}, {"dispatched"}),
    "complete": ({"leader", "manager"}, {"accepted"}),
    "review": ({"resident"}, {"completed"}),
    "cancel": ({"resident"}, {"submitted", "dispatched"}),
}


def reach(world, state, clock):
    need = ask(world)
    if state == "submitted":
        return need
    services.dispatch(world.s1_manager, need, team_id=world.team.id, accept_by=NOW + timedelta(hours=12))
    if state == "dispatched":
        return need
    if state == "cancelled":
        return services.cancel(world.outsider, need, "不需要了")
    services.accept(world.leader, need)
    if state == "accepted":
        return need
    clock.move_to(need.wished_at + timedelta(hours=3))
    services.complete(world.leader, need)
    if state == "completed":
        return need
    return services.review(world.outsider, need, rating=4)


def call(world, action, actor, need):
    args = {"dispatch": {"team_id": world.team.id, "accept_by": need.wished_at + timedelta(days=5)},
            "forward": {"reason": "本站没有合适的队伍"}, "accept": {}, "decline": {"reason": "人手不足"},
            "complete": {}, "review": {"rating": 3}, "cancel": {"reason": "已解决"}}[action]
    return getattr(services, action)(actor, need, **args)


@pytest.mark.parametrize("state", ["submitted", "dispatched", "accepted", "completed", "reviewed", "cancelled"])
def test_every_move_from_every_state_by_every_role(app, world, clock, state):
    roles = {"manager": world.s1_manager, "leader": world.leader, "resident": world.outsider,
             "stranger": world.s2_manager}
    for action, (allowed, from_states) in MOVES.items():
        for role, actor in roles.items():
            clock.move_to(NOW)
            need = reach(world, state, clock)
            db.session.commit()
            if role in allowed and state in from_states:
                if action == "complete":
                    clock.move_to(need.wished_at + timedelta(hours=3))
                call(world, action, actor, need)
                db.session.commit()
                assert need.events[-1].action == action, (action, role, state)
                continue
            # The right person at the wrong time gets 409; anyone else 403 (the team's side is only the
            # right person once the request went to the team).
            needs_team = action in ("accept", "decline") or (action == "complete" and role == "leader")
            right_person = role in allowed and (need.team_id is not None or not needs_team)
            with pytest.raises(Conflict if right_person else Forbidden):
                call(world, action, actor, need)
            db.session.rollback()


def test_complete_waits_for_the_service_and_rating_is_checked(app, world, clock):
    need = reach(world, "accepted", clock)
    with pytest.raises(Conflict):
        services.complete(world.leader, need)
    clock.move_to(need.wished_at)
    services.complete(world.leader, need)
    with pytest.raises(ValidationFailed):
        services.review(world.outsider, need, rating=6)
    services.review(world.outsider, need, rating=1, comment="没人来")
    db.session.commit()
    assert need.flagged
    told = set(db.session.scalars(sa.select(Notification.user_id)
                                  .where(Notification.key == f"need-low-rating:{need.id}")))
    assert world.s1_manager.id in told and world.i1_manager.id in told


def test_decline_returns_to_the_queue_and_forward_goes_up(app, world, clock):
    need = dispatched(world)
    services.decline(world.leader, need, "周末人手不足")
    assert (need.state, need.team_id, need.accept_by) == ("submitted", None, None)
    with pytest.raises(ValidationFailed):
        services.forward(world.s1_manager, need, "")
    services.forward(world.s1_manager, need, "本站没有合适的队伍")
    assert need.node_id == world.s1.id  # from the point up to its station
    services.forward(world.s1_manager, need, "再往上")
    assert need.node_id == world.i1.id
    with pytest.raises(Forbidden):  # the station manager no longer manages where it is
        services.forward(world.s1_manager, need, "再往上")


def test_dispatch_rules(app, world, clock):
    need = ask(world)
    from volunteer_hub.teams import services as teams

    s2_team = teams.create_team(world.s2_manager, name="西门队", category="health", node_id=world.s2.id,
                                leader_id=world.s2_volunteer.id)
    with pytest.raises(ValidationFailed) as invalid:
        services.dispatch(world.s1_manager, need, team_id=s2_team.id, accept_by=NOW - timedelta(hours=1))
    assert set(invalid.value.fields) == {"team_id", "accept_by"}
    services.dispatch(world.i1_manager, need, team_id=s2_team.id, accept_by=NOW + timedelta(hours=1))
    assert need.team == s2_team


def test_parallel_accepts_make_one_service_day(app, world, clock):
    from tests.test_concurrency import in_parallel

    need = dispatched(world)
    db.session.commit()
    token = app.test_client().post("/api/v1/auth/token", json={"phone": world.leader.phone,
                                                               "password": world.PASSWORD}).json["token"]
    statuses = in_parallel(app, lambda client: client.post(f"/api/v1/needs/{need.id}/accept", json={},
                                                           headers={"Authorization": f"Bearer {token}"}))
    assert statuses.count(200) == 1 and set(statuses) <= {200, 409}
    from volunteer_hub.events.models import ServiceDay

    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ServiceDay)) == 1


def test_escalation_after_24_hours_and_after_the_deadline_once(app, world, clock):
    waiting = ask(world)
    late = dispatched(world)
    db.session.commit()
    clock.move_to(NOW + timedelta(hours=11, minutes=59))
    assert services.escalate_overdue() == {"escalated": 0}
    clock.move_to(NOW + timedelta(hours=12))
    assert services.escalate_overdue() == {"escalated": 1}  # the dispatched one missed its deadline
    assert services.is_overdue(late) and not services.is_overdue(waiting)
    clock.move_to(NOW + timedelta(hours=24))
    assert services.escalate_overdue() == {"escalated": 1}  # the other was not dispatched in 24 h
    assert services.escalate_overdue() == {"escalated": 0}
    db.session.commit()
    # The parent node's managers (the point's station, and those above) are told, once each.
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.key.like("need-escalated:%"))).all()
    assert sorted(told) == sorted([world.s1_manager.id, world.i1_manager.id, world.centre_admin.id] * 2)
    # A move starts a new stage: overdue again later means escalated again.
    services.decline(world.leader, late, "来不及")
    clock.move_to(NOW + timedelta(hours=48, minutes=1))
    assert services.escalate_overdue() == {"escalated": 1}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedEvent)
                             .where(NeedEvent.action == "escalate")) == 3


def test_photos_are_checked_and_kept_under_instance(app, world, clock):
    with pytest.raises(ValidationFailed) as invalid:
        ask(world, photos=[b"GIF89a..."])
    assert invalid.value.fields["photos"]
    with pytest.raises(ValidationFailed):
        ask(world, photos=[PNG] * 4)
    with pytest.raises(ValidationFailed):
        ask(world, photos=[PNG + b"\x00" * services.MAX_PHOTO_BYTES])
    need = ask(world, photos=[PNG, b"\xff\xd8\xff\xe0" + b"\x00" * 16])
    db.session.commit()
    assert [p.content_type for p in need.photos] == ["image/png", "image/jpeg"]
    path = services.photo_path(need.photos[0])
    assert path.read_bytes() == PNG and str(path).startswith(app.instance_path)


def test_validation(app, world, clock):
    with pytest.raises(ValidationFailed) as invalid:
        ask(world, category="magic", description="帮", address="", wished_at=NOW - timedelta(hours=1),
            contact_phone="12345", node_id=world.centre.id)
    assert set(invalid.value.fields) == {"category", "description", "address", "wished_at", "contact_phone",
                                         "node_id"}


def test_residents_see_only_their_own(app, world, clock, api):
    mine = ask(world)
    theirs = ask(world, resident=world.s2_volunteer)
    db.session.commit()
    assert [n.id for n in db.session.scalars(services.list_needs(world.outsider))] == [mine.id]
    with pytest.raises(NotFound):
        services.visible_need(world.outsider, theirs.id)
    with pytest.raises(NotFound):
        services.visible_need(world.leader, mine.id)  # not yet dispatched to the leader's team
    with pytest.raises(Forbidden):
        services.list_needs(world.s2_manager, world.s1)
    resident = api(world.outsider)
    assert [n["id"] for n in resident.get("/api/v1/needs").json] == [mine.id]
    assert resident.get(f"/api/v1/needs/{theirs.id}").status_code == 404
    assert resident.get(f"/api/v1/needs?node={world.s1.id}").status_code == 403
    queue = api(world.s1_manager).get(f"/api/v1/needs?node={world.s1.id}&state=submitted").json
    assert [n["id"] for n in queue] == [theirs.id, mine.id]  # both asked at a point of S1


def test_api_path(app, world, clock, api):
    resident, manager, leader = api(world.outsider), api(world.s1_manager), api(world.leader)
    created = resident.post("/api/v1/needs", json={
        "node_id": world.p1.id, "category": "shopping", "description": "独居老人需要帮忙买菜", "address": "3 栋 201",
        "wished_at": (NOW + timedelta(days=2)).isoformat(), "contact_phone": "13600000001"})
    assert created.status_code == 201, created.json
    need_id = created.json["id"]
    assert resident.post(f"/api/v1/needs/{need_id}/accept", json={}).status_code == 403
    first = manager.post(f"/api/v1/needs/{need_id}/dispatch", json={
        "team_id": world.team.id, "accept_by": (NOW + timedelta(hours=6)).isoformat()})
    assert first.status_code == 200, first.json
    again = manager.post(f"/api/v1/needs/{need_id}/dispatch", json={
        "team_id": world.team.id, "accept_by": (NOW + timedelta(hours=6)).isoformat()})
    assert again.status_code == 409 and again.json["error"]["code"] == "illegal_move"
    accepted = leader.post(f"/api/v1/needs/{need_id}/accept", json={"hours": 3})
    assert accepted.status_code == 200 and accepted.json["service_day_id"]
    early = resident.post(f"/api/v1/needs/{need_id}/review", json={"rating": 5}, headers={"Accept-Language": "zh-CN"})
    assert early.status_code == 409 and "现在不能评价" in early.json["error"]["message"]  # a verb, not 已评价
    with time_machine.travel(NOW + timedelta(days=2, hours=4), tick=False):
        assert leader.post(f"/api/v1/needs/{need_id}/complete").status_code == 200
        reviewed = resident.post(f"/api/v1/needs/{need_id}/review", json={"rating": 2, "comment": "迟到"})
    assert reviewed.status_code == 200 and reviewed.json["flagged"] is True
    dashboard = manager.get(f"/api/v1/needs/dashboard/{world.s1.id}").json
    assert dashboard["by_state"]["reviewed"] == 1 and dashboard["average_rating"] == 2
    assert dashboard["median_hours_to_dispatch"] == 0 and dashboard["flagged"] == 1
    assert resident.get(f"/api/v1/needs/dashboard/{world.s1.id}").status_code == 403


def test_pages(app, world, clock, client):
    from io import BytesIO

    client.post("/login", data={"phone": world.outsider.phone, "password": world.PASSWORD})
    assert client.get("/needs/new").status_code == 200
    response = client.post("/needs/new", data={
        "node_id": world.p1.id, "category": "shopping", "description": "独居老人需要帮忙买菜", "address": "3 栋 201",
        "wished_at": "2026-11-25T09:00", "contact_phone": "13600000001", "photos": [(BytesIO(PNG), "a.png")]},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    need = db.session.scalar(sa.select(NeedPhoto)).need
    assert client.get(f"/needs/{need.id}/photos/{need.photos[0].id}").data == PNG
    assert "独居老人" in client.get("/needs").text
    bad = client.post("/needs/new", data={"node_id": world.p1.id, "category": "shopping", "description": "帮",
                                          "address": "x", "wished_at": "2026-11-25T09:00", "contact_phone": "1"})
    assert bad.status_code == 422
    client.post("/logout")
    client.post("/login", data={"phone": world.s1_manager.phone, "password": world.PASSWORD})
    assert "独居老人" in client.get(f"/nodes/{world.s1.id}/needs").text
    assert client.get(f"/nodes/{world.s1.id}/needs/dashboard").status_code == 200
    client.post(f"/needs/{need.id}/dispatch", data={"d-team_id": world.team.id, "d-accept_by": "2026-11-24T09:00"})
    db.session.expire_all()
    assert need.state == "dispatched"
    client.post("/logout")
    client.post("/login", data={"phone": world.leader.phone, "password": world.PASSWORD})
    client.post(f"/needs/{need.id}/accept", data={"a-hours": 2, "a-capacity": 5})
    db.session.expire_all()
    assert need.state == "accepted"


def test_requests_have_everyday_categories_and_their_day_is_the_teams_only(app, world, api):
    from volunteer_hub.events import services as events
    from volunteer_hub.teams import services as teams

    assert set(services.CATEGORIES) == {"repair", "elderly", "escort", "shopping", "company", "legal", "other"}
    with pytest.raises(ValidationFailed):
        ask(world, category="poverty")  # a team category is not what residents ask for
    need = dispatched(world)
    services.accept(world.leader, need, hours=2, capacity=5)
    db.session.commit()
    day = need.service_day
    assert day.team_only and "买菜" not in day.title and "代购" in day.title
    assert day not in db.session.scalars(events.listing_for(world.volunteer)).all()  # not a member
    with pytest.raises(NotFound):
        events.visible_day(world.volunteer, day.id)
    with pytest.raises(Forbidden):
        events.sign_up(world.volunteer, day)
    assert api(world.volunteer).get(f"/api/v1/events/{day.id}").status_code == 404
    teams.request_to_join(world.volunteer, world.team, world.volunteer)
    teams.accept(world.leader, world.team, world.volunteer)
    db.session.commit()
    assert day in db.session.scalars(events.listing_for(world.volunteer)).all()
    assert events.sign_up(world.volunteer, day).status == "confirmed"
    assert events.visible_day(world.s1_manager, day.id) is day
