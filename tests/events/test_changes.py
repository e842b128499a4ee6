"""Days that work as organised: defaults for a day starting now, changing a published day (and telling
those signed up), holding it again, and the day page offering only what still applies."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.test_pages import login
from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.core.errors import Conflict, Forbidden, ValidationFailed
from volunteer_hub.events import services
from volunteer_hub.events.models import SignUp
from volunteer_hub.extensions import db
from volunteer_hub.notifications.models import Notification

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
pytestmark = pytest.mark.clock(NOW, tick=True)
HERE = {"lat": 31.0005, "lon": 120.0}


def make(world, start, **extra):
    day = services.create_service_day(world.s1_manager, node_id=world.s1.id, title="马上开始", starts_at=start,
                                      ends_at=start + timedelta(hours=2), capacity=2, lat=31.0, lon=120.0, **extra)
    db.session.commit()
    return day


def test_a_day_starting_now_takes_sign_ups_until_its_end_and_walk_ins(app, world, volunteers):
    day = make(world, NOW + timedelta(minutes=10))
    assert day.signup_deadline == day.ends_at and day.allow_walk_ins
    # A volunteer who did not sign up scans the screen's code and is checked in.
    status, row = checkin.scan(volunteers[0], checkin.rotating_token(day, day.starts_at)[0], now=day.starts_at,
                               **HERE)
    assert status == "checked_in" and row.walk_in
    services.sign_up(world.volunteer, day, now=day.starts_at + timedelta(minutes=30))  # still open
    later = make(world, NOW + timedelta(days=2))
    assert later.signup_deadline == later.starts_at and not later.allow_walk_ins
    strict = make(world, NOW + timedelta(minutes=10), allow_walk_ins=False)
    assert not strict.allow_walk_ins


def test_a_published_day_changes_and_those_signed_up_are_told(app, world, saturday, volunteers):
    services.sign_up(world.volunteer, saturday)
    services.sign_up(volunteers[0], saturday)
    services.sign_up(volunteers[1], saturday)  # capacity 2: waiting
    db.session.commit()
    new_start = saturday.starts_at + timedelta(hours=1)
    services.update_service_day(world.s1_manager, saturday, starts_at=new_start,
                                ends_at=new_start + timedelta(hours=3), address="东门广场西侧", capacity=3)
    db.session.commit()
    assert saturday.address == "东门广场西侧" and saturday.capacity == 3
    assert services.signup_of(saturday, volunteers[1]).status == "confirmed"  # the new seat went to the queue
    told = db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "service_day",
                                                                    Notification.title.contains("马上") |
                                                                    Notification.title.contains("周六"))).all()
    assert {world.volunteer.id, volunteers[0].id, volunteers[1].id} <= set(told)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "service_day.update")).one()
    assert entry.data["before"]["address"] != "东门广场西侧" and entry.data["after"]["capacity"] == 3
    services.update_service_day(world.s1_manager, saturday, capacity=3)  # nothing changed: nothing recorded
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "service_day.update")) == 1


def test_what_a_change_may_not_do(app, world, saturday, volunteers):
    services.sign_up(world.volunteer, saturday)
    services.sign_up(volunteers[0], saturday)
    with pytest.raises(ValidationFailed) as lower:
        services.update_service_day(world.s1_manager, saturday, capacity=1)
    assert "capacity" in lower.value.fields
    with pytest.raises(ValidationFailed):
        services.update_service_day(world.s1_manager, saturday, ends_at=saturday.starts_at)
    with pytest.raises(ValidationFailed):
        services.update_service_day(world.s1_manager, saturday, created_by_id=1)
    with pytest.raises(ValidationFailed) as begun:
        services.update_service_day(world.s1_manager, saturday, starts_at=saturday.starts_at + timedelta(hours=1),
                                    now=saturday.starts_at + timedelta(minutes=5))
    assert "starts_at" in begun.value.fields
    with pytest.raises(Conflict):
        services.update_service_day(world.s1_manager, saturday, capacity=5, now=saturday.ends_at)
    with pytest.raises(Forbidden):
        services.update_service_day(world.s2_manager, saturday, capacity=5)
    services.cancel_service_day(world.s1_manager, saturday, "下雨")
    with pytest.raises(Conflict):
        services.update_service_day(world.s1_manager, saturday, capacity=5)


def test_the_pages_change_copy_and_show_only_what_applies(app, world, saturday, api, clock):
    manager = login(app.test_client(), world.s1_manager)
    form = manager.get(f"/events/{saturday.id}/edit")
    assert form.status_code == 200 and "周六环境美化日" in form.text
    changed = manager.post(f"/events/{saturday.id}/edit", data={
        "title": "周六环境美化日（改）", "starts_at": "2026-11-21T09:00", "ends_at": "2026-11-21T12:00",
        "capacity": "5", "checkin_radius_m": "300", "lat": "31.0", "lon": "120.0", "allow_walk_ins": "no"})
    assert changed.status_code == 302, changed.text
    db.session.expire_all()
    assert saturday.title == "周六环境美化日（改）" and saturday.capacity == 5
    bad = manager.post(f"/events/{saturday.id}/edit", data={"title": "x", "starts_at": "2026-11-21T09:00",
                                                              "ends_at": "2026-11-21T08:00", "capacity": "5"})
    assert bad.status_code == 422
    assert login(app.test_client(), world.volunteer).get(f"/events/{saturday.id}/edit").status_code == 403

    copied = manager.get(f"/events/new?copy={saturday.id}")
    assert copied.status_code == 200 and "周六环境美化日（改）" in copied.text and "2026-11-28T09:00" in copied.text
    assert login(app.test_client(), world.s2_manager).get(f"/events/new?copy={saturday.id}").status_code == 403

    volunteer = login(app.test_client(), world.volunteer)
    page = volunteer.get(f"/events/{saturday.id}").text
    assert "报名" in page and "注册" not in page.split("<main", 1)[1]
    clock.move_to(saturday.signup_deadline + timedelta(minutes=1))
    page = volunteer.get(f"/events/{saturday.id}").text
    assert "报名已截止" in page and f"/events/{saturday.id}/signup" not in page
    manager = login(app.test_client(), world.s1_manager)  # a day later: a new session
    assert "签到大屏" in manager.get(f"/events/{saturday.id}").text
    clock.move_to(saturday.ends_at + timedelta(minutes=1))
    ended = login(app.test_client(), world.s1_manager).get(f"/events/{saturday.id}").text
    assert "签到大屏" not in ended and "考勤" in ended and "再办一次" in ended

    patched = api(world.s1_manager).patch(f"/api/v1/events/{saturday.id}", json={"capacity": 9})
    assert patched.status_code == 409  # it has ended


def test_a_cancelled_day_offers_no_check_in(app, world, saturday):
    services.cancel_service_day(world.s1_manager, saturday, "下雨")
    db.session.commit()
    manager = login(app.test_client(), world.s1_manager)
    page = manager.get(f"/events/{saturday.id}").text
    assert "签到大屏" not in page and "考勤与审核" not in page
    screen = manager.get(f"/events/{saturday.id}/screen").text
    assert "已取消" in screen and "data:image/png" not in screen


def test_the_api_changes_a_day(app, world, saturday, api):
    token = api(world.s1_manager)
    changed = token.patch(f"/api/v1/events/{saturday.id}", json={"capacity": 7, "address": "新地点"})
    assert changed.status_code == 200 and changed.json["capacity"] == 7
    assert token.patch(f"/api/v1/events/{saturday.id}", json={"capacity": 0}).status_code == 422
    assert api(world.volunteer).patch(f"/api/v1/events/{saturday.id}", json={"capacity": 7}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignUp)) == 0


def test_each_day_card_says_where_the_day_stands(app, world, saturday, volunteers):
    assert services.phase(saturday) == "open"
    services.sign_up(volunteers[0], saturday)
    services.sign_up(volunteers[1], saturday)
    assert services.phase(saturday) == "full"
    assert services.phase(saturday, now=saturday.starts_at) == "under_way"
    assert services.phase(saturday, now=saturday.ends_at) == "ended"
    db.session.commit()
    page = login(app.test_client(), world.volunteer).get("/events").text
    assert "已满" in page and "phase-full" in page
    services.cancel_service_day(world.s1_manager, saturday, "下雨")
    assert services.phase(saturday) == "cancelled"
