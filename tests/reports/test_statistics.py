"""统计 for superiors: every grouping and period on both databases, the year's months, the page with its
charts, the API and the Excel file opened back cell by cell."""
import io
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from tests.roster.test_roster import serve
from tests.test_pages import login
from volunteer_hub.core.errors import Forbidden, ValidationFailed
from volunteer_hub.events import records
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.needs import services as needs
from volunteer_hub.reports import statistics

pytestmark = pytest.mark.clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC), tick=True)


def day_at(world, title, start, teams=()):
    day = events.create_service_day(world.s1_manager, node_id=world.s1.id, title=title, team_ids=list(teams),
                                    starts_at=start, ends_at=start + timedelta(hours=4), capacity=5, lat=31.0,
                                    lon=120.0)
    db.session.commit()
    return day


@pytest.fixture
def november(world, saturday):
    """Saturday 21 Nov (the team's day): 志愿者甲 3 h, 志愿者乙 2 h, 30 people served; Sunday 22 Nov (no
    team): 志愿者甲 1 h; a day in December (甲 2 h) and a cancelled one; a request served and rated 4."""
    serve(world, saturday, world.volunteer, 3)
    serve(world, saturday, world.s2_volunteer, 2)
    records.save_record(world.leader, saturday, summary="清理楼道", people_served=30, now=saturday.ends_at)
    sunday = day_at(world, "周日宣讲", saturday.starts_at + timedelta(days=1))
    serve(world, sunday, world.volunteer, 1)
    december = day_at(world, "十二月服务", saturday.starts_at + timedelta(days=14))
    serve(world, december, world.volunteer, 2)
    cancelled = day_at(world, "取消了", saturday.starts_at + timedelta(days=2))
    events.cancel_service_day(world.s1_manager, cancelled, "下雨")
    need = needs.submit(world.outsider, node_id=world.s1.id, category="repair", description="楼道堆物需要清理",
                        address="东门小区 1 幢", wished_at=saturday.starts_at, contact_phone="13600000001")
    needs.dispatch(world.s1_manager, need, team_id=world.team.id, accept_by=saturday.starts_at)
    needs.accept(world.leader, need, service_day_id=saturday.id)
    needs.complete(world.leader, need, now=saturday.ends_at)
    needs.review(world.outsider, need, rating=4, now=saturday.ends_at)
    db.session.commit()
    return saturday


def lines(result) -> dict:
    return {row["name"]: row for row in result["rows"]}


def test_a_month_by_station_team_category_and_institute(app, world, november):
    by_station = statistics.statistics(world.centre_admin, world.centre, "2026-11", "station")
    s1 = lines(by_station)["东门社区实践站"]
    assert (s1["days_held"], s1["volunteer_times"], s1["volunteers"], s1["hours"]) == (2, 3, 2, 6.0)
    assert (s1["people_served"], s1["credits_minted"], s1["needs_handled"], s1["needs_rating"]) == (30, 6, 1, 4)
    assert by_station["total"]["volunteers"] == 2 and by_station["total"]["days_held"] == 2
    assert by_station["months"] == []

    by_team = lines(statistics.statistics(world.centre_admin, world.centre, "2026-11", "team"))
    assert (by_team["东门卫生环保队"]["volunteer_times"], by_team["东门卫生环保队"]["hours"]) == (2, 5.0)
    assert by_team["东门卫生环保队"]["needs_handled"] == 1 and by_team["东门卫生环保队"]["credits_redeemed"] is None
    assert by_team["未指定服务队"]["days_held"] == 1
    by_category = lines(statistics.statistics(world.centre_admin, world.centre, "2026-11", "category"))
    assert by_category["卫生环保"]["people_served"] == 30
    by_institute = lines(statistics.statistics(world.i1_manager, world.i1, "2026-11", "institute"))
    assert list(by_institute) == ["一号实践所"] and by_institute["一号实践所"]["hours"] == 6.0


def test_a_quarter_and_a_year_with_its_months(app, world, november):
    quarter = statistics.statistics(world.centre_admin, world.centre, "2026-Q4", "station")
    assert quarter["total"]["hours"] == 8.0 and quarter["total"]["days_held"] == 3
    year = statistics.statistics(world.centre_admin, world.centre, "2026", "institute")
    assert [(m["name"], m["hours"]) for m in year["months"]] == [("2026-11", 6.0), ("2026-12", 2.0)]
    assert statistics.statistics(world.centre_admin, world.centre, "2025", "station")["rows"] == []


@pytest.mark.parametrize("period", ["2026-13", "2026-Q5", "26", "1999", "2026-11-01", "x"])
def test_a_bad_period_is_a_clear_error(app, world, period):
    with pytest.raises(ValidationFailed) as refused:
        statistics.statistics(world.centre_admin, world.centre, period, "station")
    assert "period" in refused.value.fields


def test_only_managers_of_the_node(app, world):
    with pytest.raises(Forbidden):
        statistics.statistics(world.s1_manager, world.centre, "2026", "station")
    with pytest.raises(Forbidden):
        statistics.statistics(world.volunteer, world.s1, "2026", "station")


def test_the_page_the_api_and_the_excel_file(app, world, november, api):
    admin = login(app.test_client(), world.centre_admin)
    page = admin.get(f"/nodes/{world.centre.id}/statistics?period=2026&by=station")
    assert page.status_code == 200 and "data-chart" in page.text
    assert "逐月统计" in page.text and "东门社区实践站" in page.text
    assert admin.get(f"/nodes/{world.centre.id}/statistics?period=2026-14").status_code == 422
    assert login(app.test_client(), world.volunteer).get(f"/nodes/{world.s1.id}/statistics").status_code == 403

    got = api(world.centre_admin).get(f"/api/v1/reports/statistics/{world.centre.id}?period=2026-11&by=team")
    assert got.status_code == 200 and got.json["total"]["hours"] == 6.0 and got.json["start"] == "2026-11-01"
    assert api(world.s2_manager).get(f"/api/v1/reports/statistics/{world.s1.id}").status_code == 403
    assert api(world.centre_admin).get(f"/api/v1/reports/statistics/{world.centre.id}?by=x").status_code == 422

    sheet = admin.post(f"/nodes/{world.centre.id}/statistics.xlsx?period=2026&by=station")
    assert sheet.status_code == 200 and sheet.headers["Cache-Control"] == "no-store"
    workbook = load_workbook(io.BytesIO(sheet.data))
    groups, months = workbook.worksheets
    assert [c.value for c in groups[1]][:5] == statistics.HEADER[:5]
    assert [c.value for c in groups[2]] == ["东门社区实践站", 3, 4, 2, 8, 30, 8, 0, 1, 4]
    assert [c.value for c in groups[3]][0] == "合计" and [c.value for c in months[2]][:5] == ["2026-11", 2, 3, 2, 6]


def test_the_province_summary_counts_every_centre(app, world, november, api):
    """全省汇总 for the administrators over all centres: one line a centre, counted in the database."""
    summary = statistics.province(world.admin, "2026-11")
    ours = {row["name"]: row for row in summary["rows"]}[world.centre.name]
    assert (ours["days_held"], ours["volunteer_times"], ours["volunteers"], ours["hours"]) == (2, 3, 2, 6.0)
    assert ours["needs_handled"] == 1
    # Credits are the month's flows of the centre's issuance account: December's day was approved now too.
    assert ours["credits_minted"] == 8 and ours["credits_redeemed"] == 0
    assert summary["total"]["hours"] == 6.0 and summary["total"]["volunteer_times"] == 3
    assert statistics.province(world.admin, "2025")["total"]["hours"] == 0
    with pytest.raises(Forbidden):
        statistics.province(world.centre_admin, "2026-11")
    with pytest.raises(ValidationFailed):
        statistics.province(world.admin, "2026-13")

    page = login(app.test_client(), world.admin).get("/province/statistics?period=2026-11")
    assert page.status_code == 200 and world.centre.name in page.text and "全省汇总" in page.text
    assert login(app.test_client(), world.admin).get("/province/statistics?period=x").status_code == 422
    body = api(world.admin).get("/api/v1/reports/province?period=2026-11").json
    assert {row["name"]: row["hours"] for row in body["rows"]}[world.centre.name] == 6.0
    assert api(world.centre_admin).get("/api/v1/reports/province").status_code == 403
