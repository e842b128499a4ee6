"""志愿者名册: search and filters, one volunteer's record, deactivation and moves; service, API, pages."""
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.test_pages import login
from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.core.errors import Forbidden, NotFound, ValidationFailed
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.people import services as people
from volunteer_hub.roster import services
from volunteer_hub.teams import services as teams

HERE = {"lat": 31.0005, "lon": 120.0}


def serve(world, day, user, hours: int) -> None:
    """``user`` checks in at the start of ``day``, out ``hours`` later, and a manager approves."""
    events.sign_up(user, day)
    start = day.starts_at
    checkin.scan(user, checkin.rotating_token(day, start)[0], now=start, **HERE)
    end = start + timedelta(hours=hours)
    checkin.scan(user, checkin.rotating_token(day, end)[0], now=end, **HERE)
    checkin.approve(world.s1_manager, day, [checkin.attendance_of(day, user).id], now=day.ends_at)
    db.session.commit()


@pytest.fixture
def crowd(world, saturday):
    """S1: the volunteer (3 approved hours, first-aid), the leader (none); S2: 志愿者乙."""
    people.update_profile(world.volunteer, skills=["急救", "摄影"])
    serve(world, saturday, world.volunteer, 3)
    return saturday


def names(entries) -> list[str]:
    return [entry.user.name for entry in entries]


def test_a_station_manager_sees_the_volunteers_of_the_station(app, world, crowd):
    entries, total = services.search(world.s1_manager)
    assert names(entries) == sorted(["志愿者甲", "队长"]) and total == 2
    assert {e.user.name: e.hours for e in entries}["志愿者甲"] == 3
    everyone, total = services.search(world.i1_manager)  # the institute sees both its stations
    assert total == 3 and "志愿者乙" in names(everyone)
    with pytest.raises(Forbidden):
        services.search(world.volunteer)


@pytest.mark.parametrize("filters, expected", [
    ({"q": "甲"}, ["志愿者甲"]), ({"q": "急救"}, ["志愿者甲"]), ({"q": "0002"}, ["志愿者甲"]),
    ({"q": "13700000001"}, ["队长"]), ({"q": "0000"}, []), ({"min_hours": 1}, ["志愿者甲"]),
    ({"max_hours": 1}, ["队长"]), ({"active": True}, ["志愿者甲"]), ({"active": False}, ["队长"]),
    ({"star": 0}, ["志愿者甲", "队长"]), ({"star": 1}, []), ({"sort": "-hours"}, ["志愿者甲", "队长"]),
])
def test_search_filters_and_sorts(app, world, crowd, filters, expected):
    entries, total = services.search(world.s1_manager, now=crowd.ends_at + timedelta(days=1), **filters)
    assert names(entries) == (sorted(expected) if "sort" not in filters else expected) and total == len(expected)


def test_filter_by_team_and_station_and_pages(app, world, crowd):
    assert names(services.search(world.i1_manager, team_id=world.team.id)[0]) == ["队长"] or \
        set(names(services.search(world.i1_manager, team_id=world.team.id)[0])) <= {"队长", "志愿者甲"}
    members = {m.user_id for m in teams.members(world.team)}
    found = {e.user.id for e in services.search(world.i1_manager, team_id=world.team.id)[0]}
    assert found == members & {world.volunteer.id, world.leader.id, world.s2_volunteer.id}
    assert names(services.search(world.i1_manager, station_id=world.s2.id)[0]) == ["志愿者乙"]
    first, total = services.search(world.i1_manager, per_page=2, page=1)
    second, _ = services.search(world.i1_manager, per_page=2, page=2)
    assert total == 3 and len(first) == 2 and len(second) == 1 and not set(names(first)) & set(names(second))
    with pytest.raises(ValidationFailed):
        services.search(world.i1_manager, sort="password")


def test_a_volunteer_of_another_station_is_not_found(app, world, crowd):
    assert services.get_volunteer(world.s1_manager, world.volunteer.id) == world.volunteer
    for user_id in (world.s2_volunteer.id, world.s1_manager.id, 10**6):
        with pytest.raises(NotFound):
            services.get_volunteer(world.s1_manager, user_id)


def test_deactivate_keeps_the_history_and_ends_the_sessions(app, world, crowd, api):
    token = api(world.volunteer)
    with pytest.raises(ValidationFailed):
        services.set_active(world.s1_manager, world.volunteer, active=False, reason=" ")
    services.set_active(world.s1_manager, world.volunteer, active=False, reason="搬离本社区")
    db.session.commit()
    assert token.get("/api/v1/me").status_code == 401
    assert names(services.search(world.s1_manager)[0]) == ["队长"]
    assert "志愿者甲" in names(services.search(world.s1_manager, include_inactive=True)[0])
    assert checkin.hours_summary(world.volunteer)["total_hours"] == 3
    services.set_active(world.s1_manager, world.volunteer, active=True)
    db.session.commit()
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == world.volunteer.id,
                                                                    AuditEntry.action.like("volunteer.%"))
                                  .order_by(AuditEntry.id)).all()
    assert actions == ["volunteer.deactivate", "volunteer.activate"]


def test_move_to_another_station_the_manager_runs(app, world, crowd):
    with pytest.raises(Forbidden):  # S1's manager does not run S2
        services.move(world.s1_manager, world.volunteer, world.s2.id)
    with pytest.raises(ValidationFailed):
        services.move(world.i1_manager, world.volunteer, world.i1.id)  # not a station
    services.move(world.i1_manager, world.volunteer, world.s2.id)
    db.session.commit()
    assert world.volunteer.profile.home_station_id == world.s2.id
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "volunteer.move"))
    assert entry.data == {"before": {"home_station_id": world.s1.id}, "after": {"home_station_id": world.s2.id}}


def test_the_api(app, world, crowd, api):
    manager = api(world.s1_manager)
    listed = manager.get("/api/v1/volunteers?q=急救&page_size=10")
    assert listed.status_code == 200 and [v["name"] for v in listed.json] == ["志愿者甲"]
    assert listed.json[0]["phone"] == "137****0002" and listed.json[0]["hours"] == 3
    assert "X-Pagination" in listed.headers
    record = manager.get(f"/api/v1/volunteers/{world.volunteer.id}").json
    assert record["total_hours"] == 3 and record["days"][0]["approved"] and record["phone"] == "137****0002"
    assert manager.get(f"/api/v1/volunteers/{world.s2_volunteer.id}").status_code == 404
    assert api(world.volunteer).get("/api/v1/volunteers").status_code == 403
    assert manager.get("/api/v1/volunteers?sort=phone").status_code == 422
    moved = api(world.i1_manager).post(f"/api/v1/volunteers/{world.volunteer.id}/move",
                                       json={"station_id": world.s2.id})
    assert moved.status_code == 200 and moved.json["station_id"] == world.s2.id
    off = api(world.i1_manager).post(f"/api/v1/volunteers/{world.volunteer.id}/deactivate", json={"reason": "去世"})
    assert off.status_code == 200 and off.json["active"] is False
    back = api(world.i1_manager).post(f"/api/v1/volunteers/{world.volunteer.id}/reactivate")
    assert back.status_code == 200 and back.json["active"] is True


def test_the_pages(app, world, crowd):
    manager = login(app.test_client(), world.s1_manager)
    page = manager.get("/roster")
    assert page.status_code == 200 and "志愿者甲" in page.text and "137****0002" in page.text
    assert "13700000002" not in page.text
    assert "志愿者甲" not in manager.get("/roster?q=队长").text
    assert manager.get("/roster?min_hours=-1").status_code == 422
    assert "没有符合" in manager.get("/roster?q=没有这个人").text
    record = manager.get(f"/roster/{world.volunteer.id}")
    assert record.status_code == 200 and "急救" in record.text and "周六环境美化日" in record.text
    assert manager.get(f"/roster/{world.s2_volunteer.id}").status_code == 404
    done = manager.post(f"/roster/{world.volunteer.id}/deactivate", data={"reason": "搬家"})
    db.session.refresh(world.volunteer)
    assert done.status_code == 302 and not world.volunteer.active
    assert login(app.test_client(), world.s2_volunteer).get("/roster").status_code == 403


def test_a_manager_hands_over_a_one_time_reset_link(app, world, crowd, api):
    link = services.issue_reset_link(world.s1_manager, world.volunteer)
    db.session.commit()
    token = link["url"].rsplit("/reset/", 1)[1]
    assert link["url"].startswith("http://localhost/reset/")
    with pytest.raises(Forbidden):  # never for oneself, even for a manager who volunteers
        services.issue_reset_link(world.s1_manager, world.s1_manager)
    browser = app.test_client()
    page = browser.get(f"/reset/{token}")
    assert page.status_code == 200 and "志**甲" in page.text
    weak = browser.post(f"/reset/{token}", data={"password": "short"})
    assert weak.status_code == 422
    assert browser.post(f"/reset/{token}", data={"password": "Lanterns77"}).status_code == 302
    assert api(world.volunteer, "Lanterns77").get("/api/v1/me").status_code == 200
    again = browser.post(f"/reset/{token}", data={"password": "Lanterns78"})  # a link works once
    assert again.status_code == 422 and "已使用" in again.text
    assert browser.get("/reset/forged-token").status_code == 422
    actions = db.session.scalars(sa.select(AuditEntry.action).where(AuditEntry.object_id == world.volunteer.id)
                                 .order_by(AuditEntry.id)).all()
    assert "password.reset_link_issued" in actions and "account.password_reset_by_link" in actions
    issued = api(world.s1_manager).post(f"/api/v1/volunteers/{world.volunteer.id}/reset-link")
    assert issued.status_code == 201 and "/reset/" in issued.json["url"]
    assert api(world.s2_manager).post(f"/api/v1/volunteers/{world.volunteer.id}/reset-link").status_code == 404
    shown = login(app.test_client(), world.s1_manager).post(f"/roster/{world.volunteer.id}/reset-link")
    assert shown.status_code == 200 and "data:image/png;base64," in shown.text


def test_the_roster_as_excel(app, world, crowd):
    import io

    from openpyxl import load_workbook

    manager = login(app.test_client(), world.s1_manager)
    response = manager.post("/roster/export.xlsx?q=急救")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    cells = [[c.value for c in row] for row in load_workbook(io.BytesIO(response.data)).active.iter_rows()]
    assert cells[0] == services.EXPORT_HEADER
    assert cells[1][:6] == ["志愿者甲", "137****0002", "东门社区实践站", "急救、摄影", 3, 0] and len(cells) == 2
    assert "13700000002" not in str(cells)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "export.roster"))
    assert entry.data == {"rows": 1, "filters": {"q": "急救", "sort": "name"}}
    assert manager.post("/roster/export.xlsx?min_hours=-1").status_code == 422
    assert login(app.test_client(), world.s2_volunteer).post("/roster/export.xlsx").status_code == 403
