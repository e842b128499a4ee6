from datetime import timedelta

import pytest

from volunteer_hub.checkin import services
from volunteer_hub.core import audit
from volunteer_hub.core.errors import Conflict, Forbidden, ValidationFailed
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db

HERE = {"lat": 31.0005, "lon": 120.0}  # ~55 m from the service day
FAR = {"lat": 31.01, "lon": 120.0}  # ~1.1 km


def at(day, minutes):
    return day.starts_at + timedelta(minutes=minutes)


def scan(day, user, minutes, token_minutes=None, **place):
    token, _ = services.rotating_token(day, at(day, minutes if token_minutes is None else token_minutes))
    return services.scan(user, token, now=at(day, minutes), **(place or HERE))


def test_check_in_then_out_and_hours(saturday, signed_up):
    state, row = scan(saturday, signed_up, -20)  # early arrival: travel is not service time
    assert state == "checked_in" and row.status == "open" and row.distance_m == 56
    assert scan(saturday, signed_up, -15)[0] == "unchanged"  # inside the 10 min interval
    state, row = scan(saturday, signed_up, 100)
    assert state == "checked_out" and row.credited_minutes == 90  # 100 min after start, floored to 30
    assert scan(saturday, signed_up, 120)[0] == "unchanged"
    assert row.checked_out_at == at(saturday, 100)


@pytest.mark.parametrize("check_in,check_out,minutes", [
    (-30, 200, 180),  # clipped to the 3 h window at both ends
    (0, 29, 0), (0, 30, 30), (10, 69, 30), (0, 179, 150), (170, 175, 0),
])
def test_rounding_and_clipping(saturday, check_in, check_out, minutes):
    assert services.credited_minutes(saturday, at(saturday, check_in), at(saturday, check_out)) == minutes


def test_forged_and_expired_codes(saturday, signed_up):
    token, expires = services.rotating_token(saturday, at(saturday, 0))
    with pytest.raises(Forbidden) as caught:
        services.scan(signed_up, token[:-2] + "xx", now=at(saturday, 0), **HERE)
    assert caught.value.code == "invalid_code"
    other_day_token = token.replace(f"{saturday.id}.", f"{saturday.id + 1}.", 1)
    with pytest.raises(Forbidden):
        services.scan(signed_up, other_day_token, now=at(saturday, 0), **HERE)
    # A photo of the screen works for at most a minute.
    assert expires - at(saturday, 0) <= timedelta(seconds=60)
    with pytest.raises(Forbidden) as caught:
        services.scan(signed_up, token, now=at(saturday, 1), **HERE)
    assert caught.value.code == "expired_code"
    assert services.scan(signed_up, token, now=at(saturday, 0) + timedelta(seconds=29), **HERE)[0] == "checked_in"


def test_poster_code_only_in_the_window_and_the_geofence(saturday, signed_up):
    poster = services.poster_token(saturday)
    with pytest.raises(Forbidden) as caught:  # the day before
        services.scan(signed_up, poster, now=at(saturday, -24 * 60), **HERE)
    assert caught.value.code == "outside_window"
    with pytest.raises(ValidationFailed):
        services.scan(signed_up, poster, now=at(saturday, 0))  # no location
    with pytest.raises(Forbidden) as caught:
        services.scan(signed_up, poster, now=at(saturday, 0), **FAR)
    assert caught.value.code == "outside_geofence" and "300" in caught.value.message
    assert services.scan(signed_up, poster, now=at(saturday, 0), **HERE)[0] == "checked_in"
    # Replay after the window: refused.
    with pytest.raises(Forbidden):
        services.scan(signed_up, poster, now=saturday.ends_at + timedelta(hours=2), **HERE)


def test_poster_needs_a_geofence(world):
    start = events.utcnow() + timedelta(days=1)
    day = events.create_service_day(world.s1_manager, node_id=world.s1.id, title="无定位", starts_at=start,
                                    ends_at=start + timedelta(hours=1), capacity=3)
    with pytest.raises(Conflict):
        services.poster_token(day)


def test_not_signed_up_and_walk_ins(saturday, world, volunteers):
    with pytest.raises(Forbidden) as caught:
        scan(saturday, world.s2_volunteer, 0)
    assert caught.value.code == "not_signed_up"
    for v in volunteers[:3]:
        events.sign_up(v, saturday)
    with pytest.raises(Forbidden) as caught:
        scan(saturday, volunteers[2], 0)
    assert caught.value.code == "not_signed_up" and "候补" in caught.value.message
    saturday.allow_walk_ins = True
    state, row = scan(saturday, world.s2_volunteer, 0)
    assert state == "checked_in" and row.walk_in and services.anomalies(row) == ["walk_in"]


def test_too_late_to_check_in_but_check_out_in_grace(saturday, signed_up):
    scan(saturday, signed_up, 0)
    state, row = scan(saturday, signed_up, 180 + 30)  # 30 min after the end, within the 60 min grace
    assert state == "checked_out" and row.credited_minutes == 180
    with pytest.raises(Forbidden):
        scan(saturday, signed_up, 180 + 61)


def test_auto_close_flags_instead_of_inventing_hours(saturday, signed_up):
    scan(saturday, signed_up, 0)
    assert services.close_forgotten(now=saturday.ends_at + timedelta(minutes=59)) == 0
    assert services.close_forgotten(now=saturday.ends_at + timedelta(minutes=61)) == 1
    assert services.close_forgotten(now=saturday.ends_at + timedelta(minutes=62)) == 0  # idempotent
    row = services.attendance_of(saturday, signed_up)
    db.session.refresh(row)
    assert row.status == "no_checkout" and row.credited_minutes == 0 and services.anomalies(row) == ["no_checkout"]
    assert scan(saturday, signed_up, 180 + 30)[0] == "unchanged"


def test_manual_entry_with_reason_and_audit(saturday, world):
    with pytest.raises(ValidationFailed) as caught:
        services.manual_entry(world.s1_manager, saturday, phone=world.volunteer.phone,
                              checked_in_at=at(saturday, 0), reason=" ")
    assert "reason" in caught.value.fields
    with pytest.raises(Forbidden):
        services.manual_entry(world.s2_manager, saturday, phone=world.volunteer.phone,
                              checked_in_at=at(saturday, 0), reason="手机没电")
    with pytest.raises(Forbidden):  # a team leader runs the screen but does not enter hours
        services.manual_entry(world.leader, saturday, phone=world.volunteer.phone,
                              checked_in_at=at(saturday, 0), reason="手机没电")
    row = services.manual_entry(world.s1_manager, saturday, phone=world.volunteer.phone,
                                checked_in_at=at(saturday, 0), reason="手机没电")
    assert row.status == "open" and row.manual
    row = services.manual_entry(world.s1_manager, saturday, phone=world.volunteer.phone,
                                checked_in_at=at(saturday, 0), checked_out_at=at(saturday, 125), reason="补签退")
    assert row.status == "closed" and row.credited_minutes == 120 and services.anomalies(row) == ["manual"]
    entries = audit.entries_for(row)
    assert [e.data["reason"] for e in entries] == ["手机没电", "补签退"]
    assert entries[1].data["before"]["status"] == "open" and entries[1].data["after"]["credited_minutes"] == 120


def test_approval_is_idempotent(saturday, signed_up, world, volunteers):
    events.sign_up(volunteers[0], saturday)
    scan(saturday, signed_up, 0)
    scan(saturday, signed_up, 60)
    scan(saturday, volunteers[0], 0)  # still open: not approvable
    with pytest.raises(Forbidden):
        services.approve(world.leader, saturday, "all")
    first = services.approve(world.s1_manager, saturday, "all")
    assert [r.user_id for r in first] == [signed_up.id] and first[0].approved_by_id == world.s1_manager.id
    assert services.approve(world.i1_manager, saturday, "all") == []
    assert services.approve(world.s1_manager, saturday, [first[0].id]) == []
    with pytest.raises(Conflict):  # approved hours are not edited by hand
        services.manual_entry(world.s1_manager, saturday, phone=signed_up.phone, checked_in_at=at(saturday, 0),
                              checked_out_at=at(saturday, 170), reason="改")


def test_hours_summary_and_star_level(saturday, signed_up, world):
    scan(saturday, signed_up, 0)
    scan(saturday, signed_up, 150)
    assert services.hours_summary(signed_up)["total_hours"] == 0  # pending until approved
    services.approve(world.s1_manager, saturday, "all")
    summary = services.hours_summary(signed_up, now=saturday.starts_at)
    assert summary == {"total_hours": 2.5, "year_hours": 2.5, "star_level": 0, "next_star_hours": 100}
    national = (100, 300, 600, 1000, 1500)
    assert [services.star_level(h, national) for h in (99.5, 100, 299, 300, 600, 1000, 1499, 1500, 5000)] == [
        0, 1, 1, 2, 3, 4, 4, 5, 5]


def test_my_hours_costs_the_same_few_statements_for_one_day_or_thirty(app, saturday, signed_up, world):
    """The page and the API read hours with sums and one joined list, not a service day per attendance."""
    import sqlalchemy as sa

    from tests.test_pages import login

    def statements(path):
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731  (statement text)
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(path).status_code == 200
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    services.manual_entry(world.s1_manager, saturday, phone=signed_up.phone, checked_in_at=saturday.starts_at,
                          checked_out_at=saturday.ends_at, reason="补录")
    services.approve(world.i1_manager, saturday, "all")
    db.session.commit()
    client = login(app.test_client(), signed_up)
    one = statements("/me/hours")
    for n in range(29):
        day = events.create_service_day(world.s1_manager, node_id=world.s1.id, title=f"服务 {n}",
                                        starts_at=saturday.starts_at - timedelta(days=n + 1),
                                        ends_at=saturday.ends_at - timedelta(days=n + 1), capacity=5,
                                        now=saturday.starts_at - timedelta(days=n + 2))
        services.manual_entry(world.s1_manager, day, phone=signed_up.phone, checked_in_at=day.starts_at,
                              checked_out_at=day.ends_at, reason="补录")
        services.approve(world.i1_manager, day, "all")
    db.session.commit()
    assert statements("/me/hours") == one
    # Thirty records: the newest 20, then the rest on a second page.
    first, second = client.get("/me/hours").text, client.get("/me/hours?page=2").text
    assert first.count("<tr><td>") == 20 and "/me/hours?page=2#attendance" in first
    assert second.count("<tr><td>") == 10 and "<td>服务 28</td>" in second and "<td>服务 28</td>" not in first
