"""Recurring service days: created ahead by the scheduler, once, and linked to their week's theme."""
from datetime import UTC, date, datetime, time

import pytest
import sqlalchemy as sa

from volunteer_hub.core.errors import Forbidden, ValidationFailed
from volunteer_hub.events import services
from volunteer_hub.events.models import ServiceDay
from volunteer_hub.extensions import db
from volunteer_hub.themes import services as themes

MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


pytestmark = [pytest.mark.clock(MONDAY), pytest.mark.app_config(TIMEZONE="Asia/Shanghai")]


def saturday_template(world, **overrides):
    values = {"node_id": world.s1.id, "title": "周六志愿服务日", "weekday": 5, "start_time": time(8, 30),
              "end_time": time(11, 30), "capacity": 20, "team_ids": [world.team.id], "days_ahead": 14,
              "lat": 31.0, "lon": 120.0}
    return services.create_template(world.s1_manager, **{**values, **overrides})


def days():
    return db.session.scalars(sa.select(ServiceDay).order_by(ServiceDay.starts_at)).all()


def test_generates_each_saturday_within_days_ahead_once_in_local_time(app, world, clock):
    template = saturday_template(world)
    db.session.commit()
    assert services.generate_from_templates() == {"created": 2, "linked": 0}
    assert services.generate_from_templates() == {"created": 0, "linked": 0}
    db.session.commit()
    first, second = days()
    assert first.starts_at == datetime(2026, 11, 28, 0, 30, tzinfo=UTC)  # 08:30 in Asia/Shanghai
    assert second.starts_at.date() == date(2026, 12, 5)
    assert first.teams == [world.team] and first.template_id == template.id and first.has_geofence
    clock.move_to(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
    assert services.generate_from_templates()["created"] == 1  # 12 December comes into the window
    services.stop_template(world.s1_manager, template)
    clock.move_to(datetime(2026, 12, 7, 2, 0, tzinfo=UTC))
    assert services.generate_from_templates()["created"] == 0


def test_links_occurrences_to_the_week_theme_once_it_is_planned(app, world, clock):
    saturday_template(world)
    unlinked = saturday_template(world, title="周六读书会", link_theme=False, start_time=time(14, 0),
                                 end_time=time(16, 0))
    services.generate_from_templates()
    themes.create_theme(world.centre_admin, node_id=world.centre.id, title="环境美化日", held_on=date(2026, 11, 28))
    result = services.generate_from_templates()
    db.session.commit()
    assert result == {"created": 0, "linked": 1}
    linked = [d for d in days() if d.theme_id]
    assert [(d.title, d.starts_at.date()) for d in linked] == [("周六志愿服务日", date(2026, 11, 28))]
    assert all(d.theme_id is None for d in days() if d.template_id == unlinked.id)


def test_template_rules(app, world, clock, api):
    with pytest.raises(Forbidden):
        services.create_template(world.s2_manager, node_id=world.s1.id, title="x", weekday=5,
                                 start_time=time(8), end_time=time(9), capacity=5)
    with pytest.raises(ValidationFailed) as invalid:
        services.create_template(world.s1_manager, node_id=world.s1.id, title="", weekday=7, start_time=time(11),
                                 end_time=time(9), capacity=0, days_ahead=90)
    assert set(invalid.value.fields) >= {"title", "weekday", "end_time", "capacity", "days_ahead"}
    created = api(world.s1_manager).post("/api/v1/events/templates", json={
        "node_id": world.s1.id, "title": "周六志愿服务日", "weekday": 5, "start_time": "08:30", "end_time": "11:30",
        "capacity": 20})
    assert created.status_code == 201, created.json
    assert [t["title"] for t in api(world.s1_manager).get("/api/v1/events/templates").json] == ["周六志愿服务日"]
    assert api(world.s2_manager).get("/api/v1/events/templates").json == []
    stopped = api(world.s1_manager).delete(f"/api/v1/events/templates/{created.json['id']}")
    assert stopped.status_code == 200 and stopped.json["active"] is False


def test_recurring_page(app, world, client, clock):
    client.post("/login", data={"phone": world.s1_manager.phone, "password": world.PASSWORD})
    assert "暂无定期服务日" in client.get("/events/recurring").text
    response = client.post("/events/recurring", data={
        "title": "周六志愿服务日", "node_id": world.s1.id, "weekday": 5, "start_time": "08:30", "end_time": "11:30",
        "capacity": 20, "credits_per_hour": 1, "days_ahead": 14, "link_theme": "y"})
    assert response.status_code == 302
    assert "周六志愿服务日" in client.get("/events/recurring").text
    bad = client.post("/events/recurring", data={"title": "x", "node_id": world.s1.id, "weekday": 5,
                                                 "start_time": "11:30", "end_time": "08:30", "capacity": 20,
                                                 "days_ahead": 14})
    assert bad.status_code == 422


def test_change_pause_and_end_a_recurring_day_with_history(app, world, clock, api):
    from volunteer_hub.core.audit import AuditEntry

    template = saturday_template(world)
    db.session.commit()
    assert services.generate_from_templates()["created"] == 2  # 28 November and 5 December
    services.update_template(world.s1_manager, template, title="周六清洁日", start_time=time(9, 0),
                             end_time=time(11, 0), days_ahead=21)
    db.session.commit()
    assert services.generate_from_templates()["created"] == 1  # 12 December, at the new time
    first, second, third = days()
    assert first.title == "周六志愿服务日" and third.title == "周六清洁日"  # created ones stay as they were
    assert third.starts_at == datetime(2026, 12, 12, 1, 0, tzinfo=UTC)
    with pytest.raises(ValidationFailed):
        services.update_template(world.s1_manager, template, end_time=time(8, 0))
    with pytest.raises(Forbidden):
        services.update_template(world.s2_manager, template, active=False)
    services.update_template(world.s1_manager, template, active=False)  # paused
    clock.move_to(datetime(2026, 11, 30, 2, 0, tzinfo=UTC))
    assert services.generate_from_templates()["created"] == 0
    services.update_template(world.s1_manager, template, active=True, ends_on=date(2026, 12, 19))  # resumed…
    assert services.generate_from_templates()["created"] == 1  # 19 December
    clock.move_to(datetime(2026, 12, 14, 2, 0, tzinfo=UTC))
    assert services.generate_from_templates()["created"] == 0  # …and ended
    db.session.commit()
    changes = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "service_day_template.update")
                                 .order_by(AuditEntry.id)).all()
    assert changes[0].data["before"]["title"] == "周六志愿服务日"
    assert changes[0].data["after"]["start_time"] == "09:00:00"
    patched = api(world.s1_manager).patch(f"/api/v1/events/templates/{template.id}", json={"capacity": 30})
    assert patched.status_code == 200 and patched.json["capacity"] == 30
    assert api(world.s1_manager).patch(f"/api/v1/events/templates/{template.id}",
                                       json={"ends_on": "2026-01-01"}).status_code == 422
