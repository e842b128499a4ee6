"""Weekly themes: scope, local notes, and publication at 09:00 local the day before, exactly once."""
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.core.errors import Conflict, Forbidden, ValidationFailed
from volunteer_hub.extensions import db
from volunteer_hub.notifications.models import Notification
from volunteer_hub.themes import services
from volunteer_hub.themes.models import Theme

SATURDAY = date(2026, 11, 28)
FRIDAY_0900_SHANGHAI = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # 09:00 in Asia/Shanghai (UTC+8, no DST)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


# Monday 23 November 10:00 in Shanghai: every fixture, the world included, is built then.
pytestmark = [pytest.mark.clock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC)),
              pytest.mark.app_config(TIMEZONE="Asia/Shanghai")]


def inbox(user):
    return db.session.scalars(sa.select(Notification).where(Notification.user_id == user.id)).all()


def run_jobs(app, at):
    with time_machine.travel(at, tick=False):
        result = app.test_cli_runner().invoke(args=["hub", "run-jobs", "--job", "publish-themes"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def test_publication_is_nine_local_the_day_before_and_exactly_once(app, world):
    theme = services.create_theme(world.centre_admin, node_id=world.centre.id, title="环境美化日", held_on=SATURDAY,
                                  guidance="清理楼道杂物")
    db.session.commit()
    assert theme.publish_at == FRIDAY_0900_SHANGHAI

    run_jobs(app, FRIDAY_0900_SHANGHAI - timedelta(seconds=1))
    assert db.session.get(Theme, theme.id).published_at is None
    assert inbox(world.volunteer) == []

    output = run_jobs(app, FRIDAY_0900_SHANGHAI)
    assert "published=1" in output and "notified=3" in output
    assert db.session.get(Theme, theme.id).published_at == FRIDAY_0900_SHANGHAI
    # Every volunteer of every station under the centre, once; managers without a profile are not volunteers.
    for user in (world.volunteer, world.leader, world.s2_volunteer):
        [message] = inbox(user)
        assert "环境美化日" in message.title and message.link == f"/themes/{theme.id}"
    assert inbox(world.s1_manager) == []

    run_jobs(app, FRIDAY_0900_SHANGHAI + timedelta(minutes=1))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 3


@pytest.mark.clock(datetime(2026, 3, 1, 12, tzinfo=UTC))
@pytest.mark.app_config(TIMEZONE="America/New_York")  # DST starts 2026-03-08 02:00
def test_daylight_saving_zone_publishes_at_local_nine(app, world):
    before = services.create_theme(world.admin, node_id=world.centre.id, title="冬令", held_on=date(2026, 3, 8))
    after = services.create_theme(world.admin, node_id=world.centre.id, title="夏令", held_on=date(2026, 3, 9))
    db.session.commit()
    assert before.publish_at == datetime(2026, 3, 7, 14, 0, tzinfo=UTC)  # 09:00 EST (UTC-5)
    assert after.publish_at == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)  # 09:00 EDT (UTC-4)
    run_jobs(app, datetime(2026, 3, 8, 12, 59, 59, tzinfo=UTC))
    assert db.session.get(Theme, before.id).published_at is not None
    assert db.session.get(Theme, after.id).published_at is None
    run_jobs(app, datetime(2026, 3, 8, 13, 0, tzinfo=UTC))
    assert db.session.get(Theme, after.id).published_at == datetime(2026, 3, 8, 13, 0, tzinfo=UTC)


def test_catch_up_after_downtime_publishes_late_within_the_day_and_reports_missed(app, world):
    late = services.create_theme(world.centre_admin, node_id=world.centre.id, title="志愿服务日", held_on=SATURDAY)
    missed = services.create_theme(world.s1_manager, node_id=world.s1.id, title="文明劝导日",
                                   held_on=date(2026, 11, 24))
    db.session.commit()
    # The scheduler was down from Monday until Friday 12:00: three hours past the grace for one theme,
    # and a whole day past the other's day.
    output = run_jobs(app, FRIDAY_0900_SHANGHAI + timedelta(hours=3))
    assert "published=1" in output and "late=1" in output and "missed=1" in output
    assert db.session.get(Theme, late.id).status == "published"
    assert db.session.get(Theme, missed.id).status == "missed"
    assert [m.kind for m in inbox(world.s1_manager)] == ["theme_missed"]
    assert db.session.scalar(sa.select(AuditEntry.data).where(AuditEntry.action == "theme.publish"))["late"] is True
    assert not any(m.kind == "theme" and "文明劝导日" in m.title for m in inbox(world.volunteer))


def test_within_the_grace_a_restart_publishes_on_time_enough(app, world):
    theme = services.create_theme(world.centre_admin, node_id=world.centre.id, title="志愿服务日", held_on=SATURDAY)
    db.session.commit()
    output = run_jobs(app, FRIDAY_0900_SHANGHAI + timedelta(minutes=30))
    assert "published=1" in output and "late=0" in output
    assert db.session.get(Theme, theme.id).published_at is not None


def test_unified_theme_reaches_stations_below_and_stations_only_add_notes(app, world):
    theme = services.create_theme(world.centre_admin, node_id=world.centre.id, title="环境美化日", held_on=SATURDAY)
    db.session.commit()
    with pytest.raises(Conflict) as overlap:
        services.create_theme(world.s1_manager, node_id=world.s1.id, title="我们自己的", held_on=SATURDAY)
    assert "添加本站说明" in overlap.value.message and overlap.value.code == "theme_overlap"
    with pytest.raises(Forbidden):
        services.update_theme(world.s1_manager, theme, title="改名", held_on=SATURDAY)
    note = services.set_note(world.s1_manager, theme, world.s1, "东门广场集合，带扫帚")
    db.session.commit()
    assert services.note_for(theme, world.p1) == note  # a point reads its station's note
    with pytest.raises(Forbidden):
        services.set_note(world.s1_manager, theme, world.s2, "不是我的站")
    with pytest.raises(ValidationFailed):
        services.set_note(world.centre_admin, theme, world.centre, "中心本身")
    assert services.theme_for_week(world.p1, SATURDAY, published_only=False) == theme
    # A theme below, on another day of another week, does not reach other stations.
    own = services.create_theme(world.s2_manager, node_id=world.s2.id, title="西门读书日", held_on=date(2026, 12, 5))
    assert services.theme_for_week(world.s1, date(2026, 12, 5), published_only=False) is None
    assert services.theme_for_week(world.s2, date(2026, 12, 5), published_only=False) == own


def test_validation_and_published_themes_keep_their_day(app, world):
    with pytest.raises(ValidationFailed) as invalid:
        services.create_theme(world.s1_manager, node_id=world.s1.id, title="", held_on=date(2026, 11, 20),
                              publish_at=datetime(2026, 11, 30, tzinfo=UTC), poster=b"GIF89a")
    assert set(invalid.value.fields) == {"title", "held_on", "publish_at", "poster"}
    with pytest.raises(ValidationFailed):
        services.create_theme(world.s1_manager, node_id=world.p1.id, title="点", held_on=SATURDAY)
    theme = services.create_theme(world.s1_manager, node_id=world.s1.id, title="读书日", held_on=SATURDAY, poster=PNG)
    db.session.commit()
    assert theme.poster_type == "image/png"
    services.publish_due(FRIDAY_0900_SHANGHAI)
    with pytest.raises(Conflict):
        services.update_theme(world.s1_manager, theme, title="读书日", held_on=date(2026, 12, 5))
    with pytest.raises(Conflict):
        services.withdraw_theme(world.s1_manager, theme)
    services.update_theme(world.s1_manager, theme, title="读书分享日", held_on=SATURDAY, guidance="带一本书")
    assert theme.title == "读书分享日"


def test_calendar_shows_missing_weeks_and_copies_last_year(app, world):
    with time_machine.travel(datetime(2025, 11, 20, tzinfo=UTC), tick=False):
        services.create_theme(world.centre_admin, node_id=world.centre.id, title="去年环境日",
                              held_on=date(2025, 11, 29))
        services.create_theme(world.centre_admin, node_id=world.centre.id, title="去年劝导日",
                              held_on=date(2025, 12, 6))
    services.create_theme(world.centre_admin, node_id=world.centre.id, title="已定", held_on=date(2026, 12, 5))
    db.session.commit()
    weeks = services.calendar(world.centre_admin, world.centre, date(2026, 11, 23), weeks=3)
    assert [w["status"] for w in weeks] == ["missing", "scheduled", "missing"]
    created = services.copy_last_year(world.centre_admin, world.centre, date(2026, 11, 23), weeks=3)
    db.session.commit()
    # Same weekday 52 weeks on; a week already planned is left alone.
    assert [(t.title, t.held_on) for t in created] == [("去年环境日", SATURDAY)]
    with pytest.raises(Forbidden):
        services.copy_last_year(world.s1_manager, world.centre, date(2026, 11, 23))


def test_api_lists_by_node_and_window_and_hides_scheduled_from_volunteers(app, world, api):
    manager = api(world.centre_admin)
    created = manager.post("/api/v1/themes", json={"node_id": world.centre.id, "title": "环境美化日",
                                                   "held_on": SATURDAY.isoformat(), "guidance": "清理楼道"})
    assert created.status_code == 201, created.json
    assert created.json["publish_at"].startswith("2026-11-27T01:00:00")
    assert created.json["status"] == "scheduled"
    clash = api(world.s1_manager).post("/api/v1/themes", json={"node_id": world.s1.id, "title": "x",
                                                                "held_on": SATURDAY.isoformat()})
    assert clash.status_code == 409 and clash.json["error"]["fields"]["held_on"]
    bad = manager.post("/api/v1/themes", json={"node_id": world.centre.id, "title": "x", "held_on": "2026-11-01",
                                               "publish_at": "2026-11-01T09:00:00"})
    assert bad.status_code == 422
    window = f"?node={world.s1.id}&from=2026-11-23&to=2026-11-29"
    assert [t["title"] for t in api(world.s1_manager).get("/api/v1/themes" + window).json] == ["环境美化日"]
    volunteer = api(world.volunteer)
    assert volunteer.get("/api/v1/themes" + window).json == []
    assert volunteer.get(f"/api/v1/themes/{created.json['id']}").status_code == 404
    note = api(world.s1_manager).put(f"/api/v1/themes/{created.json['id']}/notes/{world.s1.id}",
                                     json={"note": "东门广场集合"})
    assert note.status_code == 200 and note.json["node_name"] == world.s1.name
    services.publish_due(FRIDAY_0900_SHANGHAI)
    db.session.commit()
    listed = volunteer.get("/api/v1/themes" + window).json
    assert listed[0]["status"] == "published" and listed[0]["notes"][0]["note"] == "东门广场集合"
    assert volunteer.get("/api/v1/themes?from=2026-12-01").json == []
    edit = api(world.s1_manager).put(f"/api/v1/themes/{created.json['id']}",
                                     json={"title": "改名", "held_on": SATURDAY.isoformat()})
    assert edit.status_code == 403


def test_pages_plan_show_and_note(app, world, client):
    from io import BytesIO

    client.post("/login", data={"phone": world.centre_admin.phone, "password": world.PASSWORD})
    page = client.get(f"/themes?node={world.centre.id}")
    assert page.status_code == 200 and "status-missing" in page.text
    response = client.post(f"/themes/new?node={world.centre.id}", data={
        "title": "环境美化日", "held_on": SATURDAY.isoformat(), "guidance": "清理楼道",
        "poster": (BytesIO(PNG), "poster.png")}, content_type="multipart/form-data")
    assert response.status_code == 302
    theme = db.session.scalar(sa.select(Theme))
    assert client.get(f"/themes/{theme.id}/poster").data == PNG
    invalid = client.post(f"/themes/new?node={world.centre.id}", data={"title": "x", "held_on": "2026-11-01"})
    assert invalid.status_code == 422
    client.post("/logout")
    client.post("/login", data={"phone": world.s1_manager.phone, "password": world.PASSWORD})
    shown = client.get(f"/themes/{theme.id}")
    assert shown.status_code == 200 and "环境美化日" in shown.text
    saved = client.post(f"/themes/{theme.id}/note/{world.s1.id}", data={f"n{world.s1.id}-note": "东门广场集合"})
    assert saved.status_code == 302
    assert "东门广场集合" in client.get(f"/themes/{theme.id}").text
