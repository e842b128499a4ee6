"""The anomaly board: outliers against their station, managers' own hours, hand entries, back-dated days."""
from datetime import UTC, datetime, timedelta

import pytest

from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.db import utcnow
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.people import services as people
from volunteer_hub.reports import anomalies

pytestmark = pytest.mark.clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))


def _day(world, hours_ago: int, title: str):
    start = utcnow() - timedelta(hours=hours_ago)
    return events.create_service_day(world.s1_manager, node_id=world.s1.id, title=title, starts_at=start,
                                     ends_at=start + timedelta(hours=3), capacity=20, credits_per_hour=1,
                                     now=start - timedelta(days=1))


def _serve(world, day, person, hours: int, approver):
    checkin.manual_entry(world.s1_manager, day, phone=person.phone, checked_in_at=day.starts_at,
                         checked_out_at=day.starts_at + timedelta(hours=hours), reason="补录")
    checkin.approve(approver, day, "all")


@pytest.fixture
def month(world, volunteers):
    """At S1: four volunteers with an hour each, one with twelve; the team leader, also S1's manager,
    with three hours approved by the institute's manager."""
    people.appoint_manager(world.admin, world.s1, world.leader)
    days = [_day(world, 24 * (n + 1), f"服务日{n}") for n in range(4)]
    for person in volunteers[:4]:
        _serve(world, days[0], person, 1, world.s1_manager)
    for day in days:
        _serve(world, day, world.volunteer, 3, world.s1_manager)
    _serve(world, days[1], world.leader, 3, world.i1_manager)
    db.session.commit()
    return days


def test_the_board_finds_what_an_auditor_looks_for(world, month):
    data = anomalies.board(world.centre)
    assert data["month"] == "2026-11"
    assert {(r["name"], r["measure"], r["value"], r["median"]) for r in data["outliers"]} == {
        (world.volunteer.name, "hours", "12", "1"), (world.volunteer.name, "credits", "12", "1")}
    assert [(r["name"], r["approver"], r["hours"]) for r in data["managers_own"]] == [
        (world.leader.name, world.i1_manager.name, "3")]
    assert data["manual_share"] == [{"node_id": world.s1.id, "node": world.s1.name, "records": 9, "manual": 9,
                                     "share": 100}]
    assert sorted(r["service_day_id"] for r in data["back_dated"]) == sorted(d.id for d in month)


def test_another_month_is_empty(world, month):
    data = anomalies.board(world.centre, "2026-10")
    assert data == {"month": "2026-10", "outliers": [], "managers_own": [], "manual_share": [], "back_dated": []}


def test_the_board_is_for_the_centre_admins(world, month, api, client):
    assert api(world.s1_manager).get(f"/api/v1/reports/anomalies?centre={world.centre.id}").status_code == 403
    answer = api(world.centre_admin).get(f"/api/v1/reports/anomalies?centre={world.centre.id}&month=2026-11")
    assert answer.status_code == 200 and len(answer.json["outliers"]) == 2
    assert api(world.centre_admin).get(f"/api/v1/reports/anomalies?centre={world.centre.id}&month=11-2026"
                                       ).status_code == 422
    client.post("/login", data={"phone": world.centre_admin.phone, "password": world.PASSWORD})
    page = client.get(f"/centres/{world.centre.id}/reports/anomalies").get_data(as_text=True)
    assert world.volunteer.name in page and f"/events/{month[1].id}/attendance" in page
    csv = client.get(f"/centres/{world.centre.id}/reports/anomalies.csv")
    assert csv.mimetype == "text/csv" and "manager_own_hours" in csv.get_data(as_text=True)
