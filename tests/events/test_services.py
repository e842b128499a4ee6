from datetime import timedelta

import pytest
import sqlalchemy as sa

from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.events import services
from volunteer_hub.events.models import ServiceDay, SignUp
from volunteer_hub.extensions import db


def test_created_with_defaults(saturday, world):
    assert saturday.checkin_radius_m == 300 and saturday.credits_per_hour == 1
    assert saturday.granularity_minutes == 30 and saturday.min_interval_minutes == 10
    assert saturday.signup_deadline == saturday.starts_at and saturday.teams == [world.team]
    assert saturday.address == world.s1.address


def test_who_creates_service_days(world):
    start = utcnow() + timedelta(days=2)
    kwargs = {"title": "队活动", "starts_at": start, "ends_at": start + timedelta(hours=2), "capacity": 10}
    day = services.create_service_day(world.leader, node_id=world.s1.id, team_ids=[world.team.id], **kwargs)
    assert day.checkin_radius_m is None  # no location, no geofence
    with pytest.raises(Forbidden):  # a leader without their team
        services.create_service_day(world.leader, node_id=world.s1.id, **kwargs)
    with pytest.raises(Forbidden):  # a sibling station's manager
        services.create_service_day(world.s2_manager, node_id=world.s1.id, **kwargs)
    with pytest.raises(Forbidden):
        services.create_service_day(world.volunteer, node_id=world.s1.id, **kwargs)
    assert services.create_service_day(world.i1_manager, node_id=world.s2.id, **kwargs).node == world.s2


@pytest.mark.parametrize("change,field", [
    ({"title": ""}, "title"), ({"ends_at": -1}, "ends_at"), ({"capacity": 0}, "capacity"),
    ({"capacity": 10_001}, "capacity"), ({"credits_per_hour": -1}, "credits_per_hour"),
    ({"granularity_minutes": 7}, "granularity_minutes"), ({"lat": 31.0}, "lat"),
    ({"lat": 31.0, "lon": 120.0, "checkin_radius_m": 5}, "checkin_radius_m"),
    ({"signup_deadline": 5}, "signup_deadline"),
    ({"team_ids": [999]}, "team_ids"),
])
def test_validation(world, change, field):
    start = utcnow() + timedelta(days=1)
    data = {"title": "活动", "starts_at": start, "ends_at": start + timedelta(hours=2), "capacity": 5, **change}
    if data["ends_at"] == -1:
        data["ends_at"] = start - timedelta(hours=1)
    if data.get("signup_deadline") == 5:
        data["signup_deadline"] = start + timedelta(hours=5)
    with pytest.raises(ValidationFailed) as caught:
        services.create_service_day(world.s1_manager, node_id=world.s1.id, **data)
    assert field in caught.value.fields


def test_capacity_and_waiting_list(saturday, world, volunteers):
    a, b, c, d = volunteers[:4]
    assert [services.sign_up(v, saturday).status for v in (a, b, c, d)] == [
        "confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert services.waitlist_position(services.signup_of(saturday, d)) == 2
    with pytest.raises(Conflict):
        services.sign_up(a, saturday)
    services.cancel_signup(a, saturday)  # c moves up
    assert services.signup_of(saturday, c).status == "confirmed"
    assert services.waitlist_position(services.signup_of(saturday, d)) == 1
    services.cancel_signup(d, saturday)  # leaving the waiting list frees nothing
    services.sign_up(a, saturday)  # back at the end of the queue
    assert services.signup_of(saturday, a).status == "waitlisted"
    assert saturday.confirmed_count == 2 == _confirmed(saturday)


def _confirmed(day):
    return db.session.scalar(sa.select(sa.func.count()).select_from(SignUp).where(
        SignUp.service_day_id == day.id, SignUp.status == "confirmed"))


def test_sign_up_rules(saturday, world):
    with pytest.raises(Forbidden):
        services.sign_up(world.outsider, saturday)  # not a volunteer
    with pytest.raises(Conflict):
        services.sign_up(world.volunteer, saturday, now=saturday.signup_deadline + timedelta(seconds=1))
    with pytest.raises(NotFound):
        services.cancel_signup(world.volunteer, saturday)
    services.sign_up(world.volunteer, saturday)
    with pytest.raises(Conflict):
        services.cancel_signup(world.volunteer, saturday, now=saturday.starts_at)


def test_listing_shows_station_and_above(saturday, world):
    start = utcnow() + timedelta(days=3)
    window = {"starts_at": start, "ends_at": start + timedelta(hours=1), "capacity": 5}
    centre_day = services.create_service_day(world.admin, node_id=world.centre.id, title="全区", **window)
    services.create_service_day(world.admin, node_id=world.s2.id, title="西门", **window)
    point_day = services.create_service_day(world.admin, node_id=world.p1.id, title="广场", **window)
    titles = [d.title for d in db.session.scalars(services.list_service_days(station=world.s1))]
    assert titles == ["周六环境美化日", "全区", "广场"]
    assert centre_day.id and point_day.id
    managed = db.session.scalars(services.list_service_days(roots=[world.s2])).all()
    assert [d.title for d in managed] == ["西门"]
    assert db.session.scalars(services.list_service_days(roots=[])).all() == []


def test_confirmed_count_cannot_exceed_capacity_in_the_database(saturday):
    saturday.confirmed_count = 3
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.get(ServiceDay, saturday.id).confirmed_count == 0


def test_cancel_a_service_day(saturday, world):
    services.sign_up(world.volunteer, saturday)
    with pytest.raises(Forbidden):
        services.cancel_service_day(world.leader, saturday, "下雨")
    with pytest.raises(ValidationFailed):
        services.cancel_service_day(world.s1_manager, saturday, " ")
    services.cancel_service_day(world.s1_manager, saturday, "暴雨预警")
    with pytest.raises(Conflict):
        services.cancel_service_day(world.s1_manager, saturday, "再取消")
    with pytest.raises(Conflict):
        services.sign_up(world.leader, saturday)
    assert db.session.scalars(services.list_service_days(station=world.s1)).all() == []
