"""Weekly report (红黑榜): the four figures per station, the previous week beside, stored once, managers told."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.merchants.test_merchants import shop  # noqa: F401  (fixture)
from volunteer_hub.checkin import services as checkin
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services as merchants
from volunteer_hub.notifications.models import Notification
from volunteer_hub.people.models import User
from volunteer_hub.reports import services
from volunteer_hub.reports.models import WeeklyReport
from volunteer_hub.vouchers import services as vouchers

WEEK = date(2026, 11, 16)  # a Monday
REPORT_TIME = datetime(2026, 11, 22, 22, 0, tzinfo=UTC)  # Monday 23 November 06:00 in Asia/Shanghai

# The centre is founded on Monday 9 November, a week before the reported one; the instants are Shanghai's.
pytestmark = [pytest.mark.clock(datetime(2026, 11, 9, 2, 0, tzinfo=UTC)),
              pytest.mark.app_config(TIMEZONE="Asia/Shanghai")]


def held_day(world, node, manager, start, volunteers, minutes=120, approve=True):
    day = events.create_service_day(manager, node_id=node.id, title="服务", starts_at=start,
                                    ends_at=start + timedelta(hours=3), capacity=10, now=start - timedelta(days=1))
    for user in volunteers:
        checkin.manual_entry(manager, day, phone=user.phone, checked_in_at=start,
                             checked_out_at=start + timedelta(minutes=minutes), reason="补录")
    if approve:
        checkin.approve(manager, day, "all")
    return day


@pytest.fixture
def weeks(clock, app, world, shop):  # noqa: F811
    saturday = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
    clock.move_to(saturday + timedelta(hours=4))
    held_day(world, world.s1, world.s1_manager, saturday, [world.volunteer, world.leader])  # 4 h approved
    held_day(world, world.p1, world.s1_manager, saturday - timedelta(days=2), [world.volunteer])  # a point of S1
    held_day(world, world.s2, world.s2_manager, saturday, [world.s2_volunteer], approve=False)  # not yet approved
    held_day(world, world.s2, world.s2_manager, saturday - timedelta(weeks=1), [world.s2_volunteer], minutes=180)
    offer = merchants.create_offer(db.session.get(User, shop.owner_id), shop, title="理发一次", price=3)
    voucher = vouchers.create(world.volunteer, offer)
    vouchers.confirm(db.session.get(User, shop.owner_id), voucher.code, "127.0.0.1")
    db.session.commit()
    clock.move_to(REPORT_TIME)


def test_figures_ranking_and_previous_week(world, weeks):
    data = services.build(world.centre, WEEK)
    rows = {row["name"]: row for row in data["stations"]}
    s1, s2, s3 = rows[world.s1.name], rows[world.s2.name], rows[world.s3.name]
    assert {k: s1[k] for k in services.MEASURES} == {"service_days": 2, "volunteers": 2, "hours": 6.0, "redeemed": 3}
    assert {k: s2[k] for k in services.MEASURES} == {"service_days": 1, "volunteers": 1, "hours": 0, "redeemed": 0}
    assert s2["previous"]["hours"] == 3.0 and s1["previous"]["hours"] == 0
    assert [r["name"] for r in data["stations"]] == [world.s1.name, world.s2.name, world.s3.name]
    assert (s1["flag"], s2["flag"], s3["flag"]) == ("red", None, "black")
    assert data["totals"]["hours"] == 6.0 and data["previous_totals"]["hours"] == 3.0


def test_job_stores_once_and_tells_managers(app, world, weeks):
    first = services.generate_weekly()
    again = services.generate_weekly()
    db.session.commit()
    assert first["reports"] >= 1 and again == {"reports": 0, "notified": 0}
    stored = db.session.scalar(sa.select(WeeklyReport).where(WeeklyReport.week_start == WEEK))
    assert stored.data["stations"][0]["name"] == world.s1.name
    told = set(db.session.scalars(sa.select(Notification.user_id).where(Notification.kind == "weekly_report")))
    assert told == {world.centre_admin.id, world.i1_manager.id, world.s1_manager.id, world.s2_manager.id}
    message = db.session.scalar(sa.select(Notification).where(Notification.user_id == world.s1_manager.id))
    assert world.s3.name in message.body and message.link.endswith(f"week={WEEK.isoformat()}")


def test_api_page_and_csv(app, world, weeks, api, client):
    services.generate_weekly()
    db.session.commit()
    response = api(world.s1_manager).get(f"/api/v1/reports/weekly?centre={world.centre.id}&week=2026-11-18")
    assert response.status_code == 200 and response.json["week"] == WEEK.isoformat() and response.json["stored"]
    live = api(world.s1_manager).get(f"/api/v1/reports/weekly?centre={world.centre.id}&week=2026-11-25")
    assert live.json["stored"] is False
    assert api(world.volunteer).get(f"/api/v1/reports/weekly?centre={world.centre.id}").status_code == 403
    assert api(world.s1_manager).get(f"/api/v1/reports/weekly?centre={world.centre.id}&week=soon").status_code == 422
    client.post("/login", data={"phone": world.centre_admin.phone, "password": world.PASSWORD})
    page = client.get(f"/centres/{world.centre.id}/reports/weekly?week={WEEK.isoformat()}")
    assert page.status_code == 200 and world.s1.name in page.text and "flag-black" in page.text
    csv = client.get(f"/centres/{world.centre.id}/reports/weekly.csv?week={WEEK.isoformat()}")
    lines = csv.data.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("rank,station,flag,service_days,service_days_previous_week")
    assert lines[1].startswith(f"1,{world.s1.name},red,2,0,2,0,6.0,0")


def test_ties_share_a_rank_and_a_tie_at_nothing_is_not_black(app, world, clock):
    saturday = datetime(2026, 11, 21, 0, 30, tzinfo=UTC)
    clock.move_to(saturday + timedelta(hours=4))
    held_day(world, world.s1, world.s1_manager, saturday, [world.volunteer])
    db.session.commit()
    clock.move_to(REPORT_TIME)
    rows = {row["name"]: row for row in services.build(world.centre, WEEK)["stations"]}
    s1, s2, s3 = rows[world.s1.name], rows[world.s2.name], rows[world.s3.name]
    assert (s1["rank"], s2["rank"], s3["rank"]) == (1, 2, 2)
    assert (s1["flag"], s2["flag"], s3["flag"]) == ("red", None, None)
    quiet = {row["flag"] for row in services.build(world.centre, WEEK - timedelta(weeks=1))["stations"]}
    assert quiet == {None}  # a week when nothing happened anywhere: nobody red, nobody black
