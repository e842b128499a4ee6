"""The attacks that minted credits on the landed app, replayed through the API, with their variants:
each is refused or held for a second person, and nothing is minted. Both databases."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.db import utcnow
from volunteer_hub.credits import services as credits
from volunteer_hub.credits.models import CreditTransaction, GrantRequest
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.people import services as people


def _minted() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CreditTransaction)
                             .where(CreditTransaction.kind.in_(["mint", "grant"])))


def _balance(user) -> str:
    return str(credits.wallet_summary(user)["balance"])


@pytest.fixture
def manager_volunteer(world):
    """The leader of S1's team, a volunteer of S1, is also made S1's manager: the attacker."""
    people.appoint_manager(world.admin, world.s1, world.leader)
    db.session.commit()
    return world.leader


@pytest.fixture
def running_day(world):
    """A service day at S1 that began two hours ago and ends in an hour."""
    start = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    day = events.create_service_day(world.s1_manager, node_id=world.s1.id, title="今日志愿服务",
                                    starts_at=start, ends_at=start + timedelta(hours=3), capacity=10,
                                    credits_per_hour=10)
    db.session.commit()
    return day


def _entry(day, user, minutes=120, **extra):
    start = day.starts_at
    return {"phone": user.phone, "checked_in_at": start.isoformat(),
            "checked_out_at": (start + timedelta(minutes=minutes)).isoformat(), "reason": "现场核实", **extra}


def test_the_three_call_mint_is_refused_at_every_step(world, api, manager_volunteer, running_day):
    attacker = api(manager_volunteer)
    now = utcnow()
    forged = attacker.post("/api/v1/events", json={
        "node_id": world.s1.id, "title": "补录", "starts_at": "2020-01-01T00:00:00+08:00",
        "ends_at": (now + timedelta(hours=1)).isoformat(), "capacity": 1, "credits_per_hour": 100})
    assert forged.status_code == 422
    assert {"starts_at", "ends_at", "credits_per_hour"} <= set(forged.json["error"]["fields"])

    # On a real day of their own station: entering their own hours is refused with a clear code.
    own = attacker.post(f"/api/v1/events/{running_day.id}/attendance", json=_entry(running_day, manager_volunteer))
    assert own.status_code == 403 and own.json["error"]["code"] == "own_record"

    # A colleague enters them honestly; the attacker still cannot approve them, by id or by "all".
    row = api(world.s1_manager).post(f"/api/v1/events/{running_day.id}/attendance",
                                     json=_entry(running_day, manager_volunteer))
    assert row.status_code == 201
    by_id = attacker.post(f"/api/v1/events/{running_day.id}/attendance/approve", json={"ids": [row.json["id"]]})
    assert by_id.status_code == 403 and by_id.json["error"]["code"] == "own_record"
    by_all = attacker.post(f"/api/v1/events/{running_day.id}/attendance/approve", json={"ids": "all"})
    assert by_all.status_code == 200 and by_all.json["approved"] == []
    assert _minted() == 0 and _balance(manager_volunteer) == "0"

    # Someone else approves them: the hours are theirs, once.
    approved = api(world.s1_manager).post(f"/api/v1/events/{running_day.id}/attendance/approve",
                                          json={"ids": "all"})
    assert approved.json["approved"] == [row.json["id"]] and _balance(manager_volunteer) == "20"
    assert credits.ledger_problems() == []


def test_a_manager_of_the_parent_node_cannot_approve_their_own_hours(world, api, running_day):
    parent_manager = people.register_volunteer(name="所长志愿者", phone="13700000009", password=world.PASSWORD,
                                               home_station_id=world.s1.id)
    people.appoint_manager(world.admin, world.i1, parent_manager)
    db.session.commit()
    api(world.s1_manager).post(f"/api/v1/events/{running_day.id}/attendance", json=_entry(running_day, parent_manager))
    answer = api(parent_manager).post(f"/api/v1/events/{running_day.id}/attendance/approve", json={"ids": "all"})
    assert answer.json["approved"] == [] and _minted() == 0
    with pytest.raises(Exception) as refused:
        checkin.manual_entry(parent_manager, running_day, **{**_entry(running_day, parent_manager),
                                                             "checked_in_at": running_day.starts_at,
                                                             "checked_out_at": running_day.ends_at})
    assert getattr(refused.value, "code", None) == "own_record"


def test_a_team_leader_cannot_approve_their_own_day(world, api, running_day):
    running_day.teams.append(world.team)
    db.session.commit()
    api(world.s1_manager).post(f"/api/v1/events/{running_day.id}/attendance", json=_entry(running_day, world.leader))
    answer = api(world.leader).post(f"/api/v1/events/{running_day.id}/attendance/approve", json={"ids": "all"})
    assert answer.status_code == 403 and _minted() == 0


def test_nobody_grants_credits_to_themselves(world, api, manager_volunteer):
    answer = api(manager_volunteer).post("/api/v1/credits/adjustments", json={
        "user_id": manager_volunteer.id, "credits": 5, "reason": "辛苦费"})
    assert answer.status_code == 403 and answer.json["error"]["code"] == "own_record"
    assert _minted() == 0


def test_grants_split_under_the_threshold_add_up_and_wait_for_a_second_manager(world, api):
    manager = api(world.s1_manager)
    grant = {"user_id": world.volunteer.id, "reason": "表彰"}
    for _ in range(5):
        assert manager.post("/api/v1/credits/adjustments", json={**grant, "credits": 10}).status_code == 201
    held = manager.post("/api/v1/credits/adjustments", json={**grant, "credits": 0.5})
    assert held.status_code == 202 and held.json["state"] == "pending"
    assert _balance(world.volunteer) == "50"
    # The requester cannot approve their own request; the receiver cannot either.
    decide = f"/api/v1/credits/grant-requests/{held.json['id']}/approve"
    assert manager.post(decide, json={}).json["error"]["code"] == "second_person_required"
    assert api(world.i1_manager).get("/api/v1/credits/grant-requests").json[0]["id"] == held.json["id"]
    assert api(world.s1_manager).get("/api/v1/credits/grant-requests").json == []
    approved = api(world.i1_manager).post(decide, json={})
    assert approved.status_code == 200 and approved.json["state"] == "approved"
    assert _balance(world.volunteer) == "50.5"
    again = api(world.i1_manager).post(decide, json={})
    assert again.status_code == 409 and _balance(world.volunteer) == "50.5"


def test_a_rejected_grant_posts_nothing_and_needs_a_reason(world, api):
    held = api(world.s1_manager).post("/api/v1/credits/adjustments", json={
        "user_id": world.volunteer.id, "credits": 80, "reason": "年度表彰"})
    assert held.status_code == 202
    reject = f"/api/v1/credits/grant-requests/{held.json['id']}/reject"
    assert api(world.i1_manager).post(reject, json={}).status_code == 422
    rejected = api(world.i1_manager).post(reject, json={"reason": "超出表彰标准"})
    assert rejected.json["state"] == "rejected" and rejected.json["decision_reason"] == "超出表彰标准"
    assert _balance(world.volunteer) == "0"
    assert db.session.get(GrantRequest, held.json["id"]).transaction_id is None


def test_long_hours_need_two_people(world, api, running_day):
    """An entry above the 8 h threshold: the manager who entered it counts as the first person."""
    db.session.execute(sa.text("UPDATE service_days SET starts_at = :s, ends_at = :e WHERE id = :id"),
                       {"s": utcnow() - timedelta(hours=11), "e": utcnow() + timedelta(hours=1),
                        "id": running_day.id})
    db.session.commit()
    db.session.refresh(running_day)
    made = api(world.s1_manager).post(f"/api/v1/events/{running_day.id}/attendance",
                                      json=_entry(running_day, world.volunteer, minutes=9 * 60))
    assert made.status_code == 201 and made.json["first_approved_by_id"] == world.s1_manager.id
    alone = api(world.s1_manager).post(f"/api/v1/events/{running_day.id}/attendance/approve", json={"ids": "all"})
    assert alone.json["approved"] == [] and alone.json["awaiting_second_person"] == [made.json["id"]]
    assert _minted() == 0
    second = api(world.i1_manager).post(f"/api/v1/events/{running_day.id}/attendance/approve", json={"ids": "all"})
    assert second.json["approved"] == [made.json["id"]] and _balance(world.volunteer) == "90"


def test_a_scanned_long_day_is_marked_by_one_and_approved_by_another(world, running_day):
    row = checkin.Attendance(service_day=running_day, user=world.volunteer, status="closed",
                             checked_in_at=running_day.starts_at, checked_out_at=running_day.ends_at,
                             credited_minutes=9 * 60)
    db.session.add(row)
    db.session.commit()
    assert checkin.approve(world.s1_manager, running_day, "all") == []
    assert row.first_approved_by_id == world.s1_manager.id
    assert checkin.approve(world.s1_manager, running_day, "all") == []  # the same person again: nothing
    with pytest.raises(Exception) as refused:
        checkin.reject(world.s1_manager, running_day, [row.id], "太长")
    assert refused.value.code == "second_person_required"
    rejected = checkin.reject(world.i1_manager, running_day, [row.id], "时长不实")
    assert [r.id for r in rejected] == [row.id] and _minted() == 0
    assert checkin.approve(world.centre_admin, running_day, "all") == []  # rejected stays rejected


def test_a_wrong_approved_record_is_reversed_not_edited(world, api, running_day):
    manager = api(world.s1_manager)
    made = manager.post(f"/api/v1/events/{running_day.id}/attendance", json=_entry(running_day, world.volunteer))
    manager.post(f"/api/v1/events/{running_day.id}/attendance/approve", json={"ids": "all"})
    assert _balance(world.volunteer) == "20"
    again = manager.post(f"/api/v1/events/{running_day.id}/attendance", json=_entry(running_day, world.volunteer))
    assert again.status_code == 409 and again.json["error"]["code"] == "already_approved"
    reverse = f"/api/v1/events/{running_day.id}/attendance/{made.json['id']}/reverse"
    assert manager.post(reverse, json={"reason": ""}).status_code == 422
    reversed_ = manager.post(reverse, json={"reason": "时长录错"})
    assert reversed_.status_code == 200 and reversed_.json["reversed_at"] is not None
    assert _balance(world.volunteer) == "0" and checkin.hours_summary(world.volunteer)["total_hours"] == 0
    assert manager.post(reverse, json={"reason": "再来一次"}).status_code == 409
    corrected = manager.post(f"/api/v1/events/{running_day.id}/attendance",
                             json=_entry(running_day, world.volunteer, minutes=60))
    assert corrected.status_code == 201 and corrected.json["id"] != made.json["id"]
    manager.post(f"/api/v1/events/{running_day.id}/attendance/approve", json={"ids": "all"})
    assert _balance(world.volunteer) == "10"
    history = manager.get(f"/api/v1/events/{running_day.id}/attendance").json
    assert sorted((r["id"], r["reversed_at"] is not None) for r in history) == [
        (made.json["id"], True), (corrected.json["id"], False)]
    assert credits.ledger_problems() == []


def test_nobody_is_credited_twice_for_the_same_time(world, api, running_day):
    other = events.create_service_day(world.s1_manager, node_id=world.s1.id, title="同时段的另一活动",
                                      starts_at=running_day.starts_at, ends_at=running_day.ends_at, capacity=5)
    db.session.commit()
    manager = api(world.s1_manager)
    assert manager.post(f"/api/v1/events/{running_day.id}/attendance",
                        json=_entry(running_day, world.volunteer)).status_code == 201
    overlap = manager.post(f"/api/v1/events/{other.id}/attendance", json=_entry(other, world.volunteer))
    assert overlap.status_code == 422 and overlap.json["error"]["code"] == "overlap"
    later = {**_entry(other, world.volunteer), "checked_in_at": (other.starts_at + timedelta(minutes=130)).isoformat(),
             "checked_out_at": other.ends_at.isoformat()}
    assert manager.post(f"/api/v1/events/{other.id}/attendance", json=later).status_code == 201


def test_checking_in_at_a_new_day_checks_out_of_the_open_one(world, running_day):
    running_day.allow_walk_ins = True
    running_day.lat = running_day.lon = None
    next_day = events.create_service_day(world.s1_manager, node_id=world.s1.id, title="下一场",
                                         starts_at=running_day.starts_at + timedelta(hours=1),
                                         ends_at=running_day.ends_at + timedelta(hours=1), capacity=5,
                                         allow_walk_ins=True)
    db.session.commit()
    first_at = running_day.starts_at + timedelta(minutes=5)
    token, _ = checkin.rotating_token(running_day, first_at)
    _state, first = checkin.scan(world.volunteer, token, now=first_at)
    second_at = running_day.starts_at + timedelta(minutes=95)
    token, _ = checkin.rotating_token(next_day, second_at)
    state, second = checkin.scan(world.volunteer, token, now=second_at)
    db.session.refresh(first)
    assert state == "checked_in" and first.status == "closed" and first.checked_out_at == second_at
    assert first.credited_minutes == 90 and second.status == "open"


def test_centre_settings_belong_to_its_admins_and_are_checked(world, api):
    url = f"/api/v1/centres/{world.centre.id}/settings"
    assert api(world.s1_manager).get(url).status_code == 403
    admin = api(world.centre_admin)
    assert admin.get(url).json["max_credits_per_hour"] == 10 and admin.get(url).json["star_5"] == 1500
    bad = admin.put(url, json={"star_2": 50, "default_credits_per_hour": 20})
    assert bad.status_code == 422 and {"star_1", "default_credits_per_hour"} <= set(bad.json["error"]["fields"])
    kunshan = admin.put(url, json={"default_credits_per_hour": 10, "max_credits_per_hour": 20, "star_1": 50})
    assert kunshan.status_code == 200 and kunshan.json["updated_at"] is not None
    day = api(world.s1_manager).post("/api/v1/events", json={
        "node_id": world.s1.id, "title": "昆山标准", "capacity": 3,
        "starts_at": (utcnow() + timedelta(days=1)).isoformat(), "ends_at": (utcnow() + timedelta(days=1, hours=2))
        .isoformat()})
    assert day.status_code == 201 and day.json["credits_per_hour"] == 10
    assert api(world.s1_manager).put(f"/api/v1/centres/{world.s1.id}/settings", json={}).status_code == 403


def test_a_pending_merchant_cannot_bind_or_create_accounts(world, api):
    """The second attack: a resident applies as a merchant, then names other people's phones."""
    resident = api(world.outsider)
    applied = resident.post("/api/v1/merchants", json={
        "name": "空壳小店", "address": "西门路", "contact_phone": "13600000001", "licence_no": "91320509MA1FAKE01X",
        "centre_id": world.centre.id})
    assert applied.status_code == 201 and applied.json["status"] == "pending"
    staff_url = f"/api/v1/merchants/{applied.json['id']}/staff"
    for phone in (world.centre_admin.phone, "13612349999"):
        answer = resident.post(staff_url, json={"phone": phone})
        assert answer.status_code == 409 and answer.json["error"]["code"] == "merchant_not_active"
        assert world.centre_admin.name not in answer.get_data(as_text=True)
    assert people.find_by_phone("13612349999") is None
    assert api(world.centre_admin).get("/api/v1/merchants/invitations").json == []
    # Someone else's pending merchant is not yours to staff either, approved or not.
    assert api(world.volunteer).post(staff_url, json={"phone": world.volunteer.phone}).status_code == 403


def test_an_approved_merchant_binds_nobody_without_their_consent(world, api):
    owner = people.create_user(name="店主", phone="13612340001", password=world.PASSWORD)
    db.session.commit()
    applied = api(owner).post("/api/v1/merchants", json={
        "name": "东门书屋", "address": "东门路", "contact_phone": "13612340001", "licence_no": "91320509MA1BOOK01X",
        "centre_id": world.centre.id})
    api(world.centre_admin).post(f"/api/v1/merchants/{applied.json['id']}/approve", json={"station_ids": [world.s1.id]})
    staff_url = f"/api/v1/merchants/{applied.json['id']}/staff"
    registered = api(owner).post(staff_url, json={"phone": world.centre_admin.phone})
    unregistered = api(owner).post(staff_url, json={"phone": "13612349999"})
    assert registered.status_code == unregistered.status_code == 201
    assert registered.json.keys() == unregistered.json.keys() and "name" not in registered.json
    assert people.find_by_phone("13612349999") is None
    listed = api(owner).get(staff_url).json
    assert [p["name"] for p in listed["staff"]] == ["店主"]  # the invited are not named until they accept
    counter = api(world.centre_admin).get("/api/v1/redemptions/ANYCODE")
    assert counter.status_code == 404  # not staff anywhere until they accept
    declined = api(world.centre_admin).post(f"/api/v1/merchants/invitations/{registered.json['id']}/decline")
    assert declined.status_code == 200 and declined.json["state"] == "declined"
    assert [p["name"] for p in api(owner).get(staff_url).json["staff"]] == ["店主"]


def test_star_levels_follow_the_centre(world, api, running_day):
    api(world.s1_manager).post(f"/api/v1/events/{running_day.id}/attendance", json=_entry(running_day, world.volunteer))
    api(world.i1_manager).post(f"/api/v1/events/{running_day.id}/attendance/approve", json={"ids": "all"})
    assert api(world.volunteer).get("/api/v1/me/hours").json["star_level"] == 0  # 2 h, national 1★ at 100 h
    api(world.centre_admin).put(f"/api/v1/centres/{world.centre.id}/settings",
                                json={"star_1": 1, "star_2": 2, "star_3": 50, "star_4": 60, "star_5": 70})
    hours = api(world.volunteer).get("/api/v1/me/hours").json
    assert hours["star_level"] == 2 and hours["next_star_hours"] == 50
