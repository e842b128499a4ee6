"""通知公告 and reminders: who may write to whom, the count before sending, inbox and webhook, and the
24 h / 2 h reminders once each; service, API and pages on both databases."""
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.test_pages import login
from volunteer_hub.announcements import services
from volunteer_hub.core.errors import Forbidden, NotFound, ValidationFailed
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.notifications import services as notifications
from volunteer_hub.notifications.models import Notification, WebhookDelivery
from volunteer_hub.roster import services as roster
from volunteer_hub.teams import services as teams

pytestmark = pytest.mark.clock(datetime(2026, 11, 20, 2, 0, tzinfo=UTC), tick=True)


def inbox(user) -> list[str]:
    return db.session.scalars(sa.select(Notification.title).where(Notification.user_id == user.id)
                              .order_by(Notification.id)).all()


def test_a_leader_writes_to_the_team_after_seeing_the_count(app, world):
    teams.request_to_join(world.volunteer, world.team, world.volunteer)
    teams.accept(world.leader, world.team, world.volunteer)
    notifications.configure_webhook(world.centre_admin, world.centre, url="https://sms.example.com/hook")
    assert services.preview(world.leader, "team", world.team.id)["recipients"] == 2  # the leader and a member
    sent = services.send(world.leader, audience="team", target_id=world.team.id, title="周六集合时间调整",
                         body="改为 8:00 在东门广场集合")
    db.session.commit()
    assert sent.recipients == 2 and inbox(world.volunteer) == ["周六集合时间调整"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 1
    assert inbox(world.s2_volunteer) == []


def test_sign_ups_and_a_stations_volunteers(app, world, saturday, volunteers):
    events.sign_up(world.volunteer, saturday)
    events.sign_up(volunteers[0], saturday)
    events.sign_up(volunteers[1], saturday)  # capacity 2: waiting, and still told
    assert services.preview(world.leader, "day", saturday.id)["recipients"] == 3
    roster.set_active(world.s1_manager, volunteers[2], active=False, reason="搬走")
    assert services.preview(world.s1_manager, "node", world.s1.id)["recipients"] == 6  # 2 + 5 - 1 deactivated
    assert services.preview(world.i1_manager, "node", world.i1.id)["recipients"] == 7  # and S2's volunteer
    with pytest.raises(Forbidden):
        services.preview(world.s2_manager, "node", world.s1.id)
    with pytest.raises(Forbidden):
        services.preview(world.volunteer, "team", world.team.id)
    with pytest.raises(Forbidden):
        services.send(world.s2_manager, audience="day", target_id=saturday.id, title="x", body="y")
    with pytest.raises(NotFound):
        services.preview(world.s1_manager, "team", 999999)
    with pytest.raises(ValidationFailed):
        services.preview(world.s1_manager, "everyone", world.s1.id)
    with pytest.raises(ValidationFailed) as refused:
        services.send(world.s1_manager, audience="node", target_id=world.s1.id, title=" ", body="x" * 2001)
    assert set(refused.value.fields) == {"title", "body"}


def test_reminders_24_hours_and_2_hours_before_once_each(app, world, saturday, volunteers):
    events.sign_up(world.volunteer, saturday)
    events.sign_up(volunteers[0], saturday)
    events.sign_up(volunteers[1], saturday)  # waiting: no reminder
    db.session.commit()
    start = saturday.starts_at
    assert services.send_reminders(now=start - timedelta(hours=25)) == {"24h": 0, "2h": 0}
    assert services.send_reminders(now=start - timedelta(hours=23)) == {"24h": 2, "2h": 0}
    assert services.send_reminders(now=start - timedelta(hours=22)) == {"24h": 0, "2h": 0}  # once
    assert services.send_reminders(now=start - timedelta(minutes=110)) == {"24h": 0, "2h": 2}
    assert services.send_reminders(now=start - timedelta(minutes=100)) == {"24h": 0, "2h": 0}
    assert services.send_reminders(now=start + timedelta(minutes=1)) == {"24h": 0, "2h": 0}
    db.session.commit()
    titles = inbox(world.volunteer)
    assert len(titles) == 2 and "周六环境美化日" in titles[0] and titles[1].startswith("两小时后")
    assert inbox(volunteers[1]) == []


def test_a_cancelled_day_sends_no_reminder(app, world, saturday):
    events.sign_up(world.volunteer, saturday)
    events.cancel_service_day(world.s1_manager, saturday, "下雨")
    db.session.commit()
    before = len(inbox(world.volunteer))
    assert services.send_reminders(now=saturday.starts_at - timedelta(hours=3)) == {"24h": 0, "2h": 0}
    assert len(inbox(world.volunteer)) == before


def test_the_pages_and_the_api(app, world, saturday, api):
    events.sign_up(world.volunteer, saturday)
    db.session.commit()
    manager = login(app.test_client(), world.s1_manager)
    form = manager.get(f"/announcements/new?audience=day&target_id={saturday.id}")
    assert form.status_code == 200 and "周六环境美化日" in form.text
    fields = {"audience": "day", "day_id": str(saturday.id), "team_id": str(world.team.id),
              "node_id": str(world.s1.id), "title": "明天别迟到", "body": "8:20 到场签到"}
    counted = manager.post("/announcements/new", data={**fields, "preview": "1"})
    assert counted.status_code == 200 and "将有 1 人收到" in counted.text
    assert inbox(world.volunteer) == []  # the count sent nothing
    assert manager.post("/announcements/new", data={**fields, "title": ""}).status_code == 422
    sent = manager.post("/announcements/new", data={**fields, "send": "1"}, follow_redirects=True)
    assert sent.status_code == 200 and "已发送给 1 人" in sent.text and "明天别迟到" in sent.text
    db.session.expire_all()
    assert inbox(world.volunteer) == ["明天别迟到"]
    announcement_id = db.session.scalar(sa.select(sa.func.max(Notification.id)))
    link = db.session.get(Notification, announcement_id).link
    assert login(app.test_client(), world.volunteer).get(link).status_code == 200
    assert login(app.test_client(), world.s2_volunteer).get(link).status_code == 404
    assert login(app.test_client(), world.volunteer).get("/announcements/new").status_code == 403

    token = api(world.leader)
    preview = token.post("/api/v1/announcements/preview", json={"audience": "team", "target_id": world.team.id})
    assert preview.status_code == 200 and preview.json["recipients"] == 1
    made = token.post("/api/v1/announcements", json={"audience": "team", "target_id": world.team.id,
                                                     "title": "队会", "body": "周五晚七点"})
    assert made.status_code == 201 and made.json["recipients"] == 1
    assert token.get("/api/v1/announcements").json[0]["title"] == "队会"
    refused = api(world.volunteer).post("/api/v1/announcements", json={"audience": "node", "target_id": world.s1.id,
                                                                        "title": "x", "body": "y"})
    assert refused.status_code == 403
    assert token.post("/api/v1/announcements/preview", json={"audience": "x", "target_id": 1}).status_code == 422
