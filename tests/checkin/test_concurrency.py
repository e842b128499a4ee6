"""Parallel sign-ups, scans and approvals: capacity holds, one record, hours approved once."""
from datetime import timedelta

import sqlalchemy as sa

from tests.test_concurrency import PARALLEL, count, in_parallel
from volunteer_hub.checkin import services
from volunteer_hub.checkin.models import Attendance
from volunteer_hub.core import audit
from volunteer_hub.credits import services as credits
from volunteer_hub.events import services as events
from volunteer_hub.events.models import ServiceDay, SignUp
from volunteer_hub.extensions import db
from volunteer_hub.people import services as people


def test_parallel_sign_ups_never_exceed_capacity(app, world, saturday):
    users = [people.register_volunteer(name=f"抢位{i}", phone=f"1350000{i:04d}", password=world.PASSWORD,
                                       home_station_id=world.s1.id) for i in range(PARALLEL)]
    tokens = [people.issue_token(u)[0] for u in users]
    db.session.commit()
    url = f"/api/v1/events/{saturday.id}/signups"
    queue = list(tokens)
    statuses = in_parallel(app, lambda c: c.post(url, headers={"Authorization": f"Bearer {queue.pop()}"}))
    assert statuses == [201] * PARALLEL
    confirmed = count(SignUp, SignUp.service_day_id == saturday.id, SignUp.status == "confirmed")
    assert confirmed == 2 == db.session.get(ServiceDay, saturday.id).confirmed_count
    assert count(SignUp, SignUp.status == "waitlisted") == PARALLEL - 2


def test_parallel_cancellations_promote_each_waiting_volunteer_once(app, world, saturday, volunteers):
    for v in volunteers:
        events.sign_up(v, saturday)
    tokens = [people.issue_token(v)[0] for v in volunteers[:2]]  # the two confirmed cancel at once
    db.session.commit()
    url = f"/api/v1/events/{saturday.id}/signups/me"
    queue = list(tokens) * (PARALLEL // 2)
    statuses = in_parallel(app, lambda c: c.delete(url, headers={"Authorization": f"Bearer {queue.pop()}"}))
    assert statuses.count(200) == 2 and set(statuses) <= {200, 404}
    confirmed = db.session.scalars(sa.select(SignUp.user_id).where(
        SignUp.service_day_id == saturday.id, SignUp.status == "confirmed").order_by(SignUp.user_id)).all()
    assert confirmed == sorted(v.id for v in volunteers[2:4])
    assert db.session.get(ServiceDay, saturday.id).confirmed_count == 2


def _start_now(day):
    shift = day.starts_at - events.utcnow() + timedelta(minutes=15)
    day.starts_at -= shift
    day.ends_at -= shift
    day.signup_deadline -= shift
    db.session.commit()


def test_concurrent_double_scans_make_one_record_and_one_check_out(app, world, saturday):
    events.sign_up(world.volunteer, saturday)
    _start_now(saturday)
    bearer = {"Authorization": f"Bearer {people.issue_token(world.volunteer)[0]}"}
    db.session.commit()
    token, _ = services.rotating_token(saturday)
    body = {"token": token, "lat": 31.0, "lon": 120.0}
    results = []

    def scan(client):
        response = client.post("/api/v1/checkins", json=body, headers=bearer)
        results.append(response.json["state"])
        return response

    assert in_parallel(app, scan) == [200] * PARALLEL
    assert sorted(results) == ["checked_in"] + ["unchanged"] * (PARALLEL - 1)
    assert count(Attendance, Attendance.service_day_id == saturday.id) == 1
    # The minimum interval passes; everyone scans again at once: exactly one check-out.
    db.session.execute(sa.update(ServiceDay).where(ServiceDay.id == saturday.id).values(min_interval_minutes=0))
    db.session.commit()
    results.clear()
    assert in_parallel(app, scan) == [200] * PARALLEL
    assert sorted(results) == ["checked_out"] + ["unchanged"] * (PARALLEL - 1)


def test_parallel_approvals_approve_once(app, world, saturday, volunteers):
    for v in volunteers:
        events.sign_up(v, saturday)
        services.manual_entry(world.s1_manager, saturday, phone=v.phone, checked_in_at=saturday.starts_at,
                              checked_out_at=saturday.ends_at, reason="补录")
    managers = [world.s1_manager, world.i1_manager, world.admin]
    tokens = [people.issue_token(m)[0] for m in managers]
    db.session.commit()
    url = f"/api/v1/events/{saturday.id}/attendance/approve"
    approved = []

    def approve(client):
        response = client.post(url, json={"ids": "all"},
                               headers={"Authorization": f"Bearer {tokens[len(approved) % 3]}"})
        approved.extend(response.json["approved"])
        return response

    assert in_parallel(app, approve) == [200] * PARALLEL
    assert sorted(approved) == sorted(set(approved)) and len(approved) == len(volunteers)
    day_entries = [e for e in audit.entries_for(db.session.get(ServiceDay, saturday.id))
                   if e.action == "attendance.approve"]
    assert sum(len(e.data["attendance_ids"]) for e in day_entries) == len(volunteers)
    # Approval mints: once per attendance, however many managers approved at once.
    db.session.expire_all()
    assert [credits.wallet_summary(v)["balance"] for v in volunteers] == [3.0] * len(volunteers)
    assert credits.ledger_problems() == []
