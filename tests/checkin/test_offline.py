"""Retry-safe scans and 离线补传: a scan's nonce gives the first answer again and never a second change;
a scan made offline counts at its claimed time when the code was valid then, the time lies in the day's
window and not ahead, and it is uploaded within the centre's delay. Services, API and page, on both
databases, with 20 parallel retries."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.checkin.test_services import at
from tests.parallel import race, values
from tests.test_concurrency import count
from tests.test_pages import login
from volunteer_hub.checkin import services
from volunteer_hub.checkin.models import Attendance, ScanNonce
from volunteer_hub.core.errors import Forbidden, ValidationFailed
from volunteer_hub.events import services as events
from volunteer_hub.events.models import ServiceDay
from volunteer_hub.extensions import db
from volunteer_hub.nodes import services as nodes
from volunteer_hub.people import services as people

HERE = {"lat": 31.0005, "lon": 120.0}
RETRIES = 20


def code_at(day, minutes):
    return services.rotating_token(day, at(day, minutes))[0]


def test_the_same_nonce_gives_the_first_answer_and_never_a_check_out(saturday, signed_up):
    state, row = services.scan(signed_up, code_at(saturday, 5), now=at(saturday, 5), nonce="scan-0001", **HERE)
    assert state == "checked_in"
    # The answer was lost; the phone retries the same scan an hour later, past the minimum interval.
    again, same = services.scan(signed_up, code_at(saturday, 65), now=at(saturday, 65), nonce="scan-0001", **HERE)
    assert (again, same.id, same.status) == ("checked_in", row.id, "open")
    stored = db.session.get(ScanNonce, (signed_up.id, "scan-0001"))
    assert (stored.state, stored.attendance_id) == ("checked_in", row.id)
    out, row = services.scan(signed_up, code_at(saturday, 66), now=at(saturday, 66), nonce="scan-0002", **HERE)
    assert out == "checked_out" and row.checked_out_at == at(saturday, 66)


def test_nonces_are_forgotten_after_a_week_and_an_old_scan_sent_again_changes_nothing(saturday, signed_up):
    state, row = services.scan(signed_up, code_at(saturday, 5), now=at(saturday, 5), nonce="scan-0001", **HERE)
    services.scan(signed_up, code_at(saturday, 70), now=at(saturday, 70), nonce="scan-0002", **HERE)
    db.session.commit()
    week = timedelta(days=services.NONCE_DAYS)
    assert services.forget_nonces(now=at(saturday, 5) + week - timedelta(minutes=1)) == 0
    assert services.forget_nonces(now=at(saturday, 71) + week) == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ScanNonce)) == 0
    # The first scan arrives again after its nonce was forgotten: far too late to count for anything.
    with pytest.raises(Forbidden):
        services.scan(signed_up, code_at(saturday, 5), now=at(saturday, 70) + week, nonce="scan-0001",
                      scanned_at=at(saturday, 5), **HERE)
    assert db.session.get(Attendance, row.id).checked_out_at == at(saturday, 70)


def test_a_refused_scan_keeps_no_nonce_so_a_retry_is_judged_again(saturday, signed_up):
    with pytest.raises(ValidationFailed):  # no location yet
        services.scan(signed_up, code_at(saturday, 5), now=at(saturday, 5), nonce="scan-0003")
    db.session.rollback()
    assert db.session.get(ScanNonce, (signed_up.id, "scan-0003")) is None
    state, _row = services.scan(signed_up, code_at(saturday, 5), now=at(saturday, 5), nonce="scan-0003", **HERE)
    assert state == "checked_in"


def test_an_offline_scan_counts_at_its_time_and_is_flagged(saturday, signed_up):
    state, row = services.scan(signed_up, code_at(saturday, 0), scanned_at=at(saturday, 0), now=at(saturday, 70),
                               nonce="offline-01", **HERE)
    assert state == "checked_in" and row.checked_in_at == at(saturday, 0) and row.uploaded_later
    assert "uploaded_later" in services.anomalies(row)
    state, row = services.scan(signed_up, code_at(saturday, 150), scanned_at=at(saturday, 150),
                               now=at(saturday, 200), nonce="offline-02", **HERE)
    assert state == "checked_out" and row.credited_minutes == 150


@pytest.mark.parametrize("code_minutes, scanned_minutes, now_minutes, error, code", [
    (-40, -40, 10, Forbidden, "outside_window"),  # before check-in opens (30 min ahead of the start)
    (250, 250, 250, Forbidden, "outside_window"),  # after the end and the grace
    (0, 2, 2, Forbidden, "expired_code"),  # the code had expired when it was scanned
    (10, 10, 7, ValidationFailed, "scanned_in_future"),  # three minutes ahead of the server's clock
    (10, 10, 10 + 12 * 60 + 1, Forbidden, "upload_too_late"),  # beyond the centre's 12 hours
])
def test_offline_scans_that_are_refused(saturday, signed_up, code_minutes, scanned_minutes, now_minutes, error,
                                        code):
    with pytest.raises(error) as refused:
        services.scan(signed_up, code_at(saturday, code_minutes), scanned_at=at(saturday, scanned_minutes),
                      now=at(saturday, now_minutes), nonce="offline-03", **HERE)
    assert refused.value.code == code
    db.session.rollback()
    assert count(Attendance) == 0 and count(ScanNonce) == 0


def test_the_centre_sets_the_delay_and_zero_refuses_offline_scans(saturday, signed_up, world):
    nodes.update_settings(world.centre_admin, world.centre, offline_upload_hours=1)
    with pytest.raises(Forbidden) as refused:
        services.scan(signed_up, code_at(saturday, 10), scanned_at=at(saturday, 10), now=at(saturday, 75), **HERE)
    assert "1 小时" in refused.value.message or "1 hours" in refused.value.message
    with pytest.raises(ValidationFailed):
        nodes.update_settings(world.centre_admin, world.centre, offline_upload_hours=73)


def test_moving_to_another_day_closes_the_first_at_the_new_check_in(saturday, signed_up, world):
    other = events.create_service_day(world.s1_manager, node_id=world.s1.id, title="另一场", team_ids=[world.team.id],
                                      starts_at=at(saturday, 60), ends_at=at(saturday, 240), capacity=5)
    events.sign_up(signed_up, other)
    services.scan(signed_up, code_at(saturday, 0), now=at(saturday, 0), **HERE)
    state, row = services.scan(signed_up, services.rotating_token(other, at(saturday, 90))[0], now=at(saturday, 90))
    assert state == "checked_in"
    first = services.attendance_of(saturday, signed_up)
    assert first.status == "closed" and first.checked_out_at == at(saturday, 90)


def _start_now(day):
    shift = day.starts_at - events.utcnow() + timedelta(minutes=15)
    db.session.execute(sa.update(ServiceDay).where(ServiceDay.id == day.id).values(
        starts_at=day.starts_at - shift, ends_at=day.ends_at - shift, signup_deadline=day.signup_deadline - shift,
        min_interval_minutes=0))
    db.session.commit()
    db.session.refresh(day)


def test_twenty_parallel_retries_of_one_scan_make_one_check_in_and_no_check_out(app, saturday, signed_up):
    _start_now(saturday)
    bearer = {"Authorization": f"Bearer {people.issue_token(signed_up)[0]}"}
    db.session.commit()
    body = {"token": services.rotating_token(saturday)[0], "nonce": "retry-me-0001", **HERE}

    def send(_i):
        response = app.test_client().post("/api/v1/checkins", json=body, headers=bearer)
        return response.status_code, response.json["state"]

    assert values(race(RETRIES, send)) == [(200, "checked_in")] * RETRIES
    # The interval is 0: without the nonce each retry after the first would be a check-out.
    assert values(race(RETRIES, send)) == [(200, "checked_in")] * RETRIES
    assert count(Attendance) == 1 and count(Attendance, Attendance.status == "open") == 1
    assert count(ScanNonce) == 1


def test_the_api_takes_a_nonce_and_a_scan_time(app, saturday, signed_up, api):
    _start_now(saturday)
    client = api(signed_up)
    token = services.rotating_token(saturday)[0]
    bad = client.post("/api/v1/checkins", json={"token": token, "nonce": "short", **HERE})
    assert bad.status_code == 422 and "nonce" in bad.json["error"]["fields"]
    ahead = client.post("/api/v1/checkins", json={"token": token, "nonce": "ahead-0001", **HERE,
                                                  "scanned_at": (events.utcnow() + timedelta(hours=1)).isoformat()})
    assert ahead.status_code == 422 and ahead.json["error"]["code"] == "scanned_in_future"
    done = client.post("/api/v1/checkins", json={"token": token, "nonce": "queued-0001", **HERE,
                                                 "scanned_at": events.utcnow().isoformat()})
    assert done.status_code == 200 and done.json["state"] == "checked_in"
    assert done.json["attendance"]["anomalies"] == ["uploaded_later"]


def test_the_page_uploads_a_queued_scan_and_the_form_counts_once(app, saturday, signed_up, world):
    events.sign_up(world.leader, saturday)
    _start_now(saturday)
    volunteer = login(app.test_client(), signed_up)
    token = services.rotating_token(saturday)[0]
    scan = {"token": token, "nonce": "page-queue-01", "scanned_at": events.utcnow().isoformat(), **HERE}
    first = volunteer.post("/scan/upload", json=scan)
    assert first.status_code == 200 and first.json["state"] == "checked_in" and "已补传" in first.json["message"]
    assert volunteer.post("/scan/upload", json=scan).json["state"] == "checked_in"  # a second tab, same queue
    then = events.utcnow() - timedelta(hours=13)
    late = volunteer.post("/scan/upload", json={**scan, "nonce": "page-queue-02", "scanned_at": then.isoformat(),
                                                "token": services.rotating_token(saturday, then)[0]})
    assert late.status_code == 403 and late.json["error"]["code"] == "upload_too_late"
    assert "12 小时" in late.json["error"]["message"]
    junk = volunteer.post("/scan/upload", json={"token": token})
    assert junk.status_code == 422 and junk.json["error"]["fields"]

    other = login(app.test_client(), world.leader)
    form = {"nonce": "form-nonce-01", **HERE}
    assert other.post(f"/c/{token}", data=form).status_code == 200
    assert other.post(f"/c/{token}", data=form).status_code == 200  # sent twice: still one check-in
    rows = db.session.scalars(sa.select(Attendance).where(Attendance.user_id == world.leader.id)).all()
    assert [(r.status, r.uploaded_later) for r in rows] == [("open", False)]
