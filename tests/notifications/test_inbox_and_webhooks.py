"""Inbox fan-out (each user once per event) and webhook deliveries: signed, retried with back-off.
The ``receiver`` (tests/conftest.py) on 127.0.0.1 plays an on-premises gateway the setting allows."""
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Forbidden, ValidationFailed
from volunteer_hub.extensions import db
from volunteer_hub.notifications import services
from volunteer_hub.notifications.models import Notification, WebhookDelivery
from volunteer_hub.people.models import VolunteerProfile


def volunteers_of_centre():
    return sa.select(VolunteerProfile.user_id)


def test_fan_out_tells_each_user_once(app, world):
    told = services.notify(volunteers_of_centre(), key="event:1", kind="theme", title="主题", body="内容")
    again = services.notify(volunteers_of_centre(), key="event:1", kind="theme", title="主题")
    db.session.commit()
    assert sorted(told) == sorted([world.leader.id, world.volunteer.id, world.s2_volunteer.id]) and again == []
    assert services.unread_count(world.volunteer) == 1
    assert services.mark_read(world.volunteer) == 1 and services.unread_count(world.volunteer) == 0


def test_inbox_api_and_pages(app, world, api, client):
    services.notify_users([world.volunteer.id], key="a", kind="theme", title="第一条", link="/themes/1")
    services.notify_users([world.volunteer.id], key="b", kind="weekly_report", title="第二条", link="https://evil.example")
    services.notify_users([world.s2_volunteer.id], key="c", kind="theme", title="别人的")
    db.session.commit()
    me = api(world.volunteer)
    listed = me.get("/api/v1/me/notifications")
    assert [m["title"] for m in listed.json] == ["第二条", "第一条"]
    first = listed.json[1]["id"]
    marked = me.post("/api/v1/me/notifications/read", json={"ids": [first, listed.json[0]["id"] + 100]})
    assert marked.json == {"marked": 1, "unread": 1}
    assert [m["title"] for m in me.get("/api/v1/me/notifications?unread=true").json] == ["第二条"]
    assert api(None).get("/api/v1/me/notifications").status_code == 401

    client.post("/login", data={"phone": world.volunteer.phone, "password": world.PASSWORD})
    page = client.get("/inbox")
    assert page.status_code == 200 and "第二条" in page.text and "别人的" not in page.text
    other = db.session.scalar(sa.select(Notification.id).where(Notification.key == "c"))
    assert client.post(f"/inbox/{other}/open").status_code == 404
    second = listed.json[0]["id"]
    opened = client.post(f"/inbox/{second}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/inbox")  # never off-site
    assert client.post(f"/inbox/{first}/open").headers["Location"] == "/themes/1"
    client.post("/inbox/read-all")
    assert services.unread_count(world.volunteer) == 0
    assert "暂无消息" in client.get("/inbox?unread=1").text


def test_only_centre_admins_configure_the_webhook(app, world, api):
    with pytest.raises(Forbidden):
        services.configure_webhook(world.s1_manager, world.centre, url="https://gw.example/hook")
    with pytest.raises(ValidationFailed):
        services.configure_webhook(world.centre_admin, world.centre, url="ftp://gw.example")
    response = api(world.centre_admin).put(f"/api/v1/centres/{world.centre.id}/webhook",
                                           json={"url": "https://gw.example/hook"})
    assert response.status_code == 200 and len(response.json["secret"]) == 64
    rotated = api(world.centre_admin).put(f"/api/v1/centres/{world.centre.id}/webhook",
                                          json={"url": "https://gw.example/hook", "new_secret": True})
    assert rotated.json["secret"] != response.json["secret"]
    assert api(world.s1_manager).get(f"/api/v1/centres/{world.centre.id}/webhook").status_code == 403


@pytest.mark.app_config(OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32")
def test_deliveries_are_signed_and_retried_with_back_off(app, world, receiver):
    gateway = receiver(500, 503)
    endpoint = services.configure_webhook(world.centre_admin, world.centre, url=gateway.url)
    services.notify(volunteers_of_centre(), key="theme:9", kind="theme", title="环境美化日", centre_id=world.centre.id)
    db.session.commit()
    [delivery] = db.session.scalars(sa.select(WebhookDelivery)).all()
    assert len(delivery.payload["recipients"]) == 3 and delivery.payload["recipients"][0]["phone"]

    now = utcnow()
    assert services.deliver_due(now) == {"delivered": 0, "retrying": 1, "failed": 0}
    db.session.commit()
    assert delivery.attempts == 1 and delivery.next_attempt_at == now + timedelta(seconds=30)
    assert services.deliver_due(now + timedelta(seconds=10))["retrying"] == 0  # not yet due
    assert services.deliver_due(now + timedelta(seconds=30))["retrying"] == 1
    assert delivery.next_attempt_at == now + timedelta(seconds=90)  # 30 s, then 60 s
    assert services.deliver_due(now + timedelta(seconds=90))["delivered"] == 1
    db.session.commit()
    assert delivery.status == "delivered" and len(gateway.received) == 3

    headers, body = gateway.received[-1]
    expected = services.sign(endpoint.secret, headers[services.TIMESTAMP_HEADER], body)
    assert headers[services.SIGNATURE_HEADER] == expected
    assert json.loads(body)["title"] == "环境美化日" and headers["X-VolunteerHub-Delivery"] == str(delivery.id)


@pytest.mark.app_config(OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32")
def test_a_delivery_gives_up_after_the_last_attempt(app, world, receiver):
    gateway = receiver(*[500] * services.MAX_ATTEMPTS)
    services.configure_webhook(world.centre_admin, world.centre, url=gateway.url)
    services.notify_users([world.volunteer.id], key="x", kind="theme", title="t", centre_id=world.centre.id)
    db.session.commit()
    moment = utcnow()
    for _attempt in range(services.MAX_ATTEMPTS):
        services.deliver_due(moment)
        moment += services.LONGEST_RETRY
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert delivery.status == "failed" and delivery.attempts == services.MAX_ATTEMPTS
    assert delivery.last_error == "HTTP 500"
    assert services.backoff(20) == services.LONGEST_RETRY


@pytest.mark.app_config(OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32")
def test_an_unreachable_gateway_is_an_error_not_a_crash(app, world):
    services.configure_webhook(world.centre_admin, world.centre, url="http://127.0.0.1:9/closed")
    services.notify_users([world.volunteer.id], key="x", kind="theme", title="t", centre_id=world.centre.id)
    assert services.deliver_due()["retrying"] == 1
    assert db.session.scalar(sa.select(WebhookDelivery.last_error)) == "connect"  # a category, not socket text


@pytest.mark.app_config(SMS_BACKEND="webhook", OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32")
def test_a_text_for_a_phone_without_an_account_goes_to_the_gateway_signed(app, world, receiver):
    from volunteer_hub.core import sms

    gateway = receiver()
    endpoint = services.configure_webhook(world.centre_admin, world.centre, url=gateway.url)
    sms.send("13612345679", "东门理发店邀请您", key="staff-invitation:1", centre_id=world.centre.id)
    sms.send("13612345679", "东门理发店邀请您", key="staff-invitation:1", centre_id=world.centre.id)  # once
    sms.send("13612345679", "无网关的中心", key="other", centre_id=None)  # logged, not sent, no error
    db.session.commit()
    assert services.deliver_due()["delivered"] == 1
    headers, body = gateway.received[0]
    assert headers[services.SIGNATURE_HEADER] == services.sign(endpoint.secret, headers[services.TIMESTAMP_HEADER],
                                                               body)
    sent = json.loads(body)
    assert sent["event"] == "sms" and sent["recipients"] == [{"user_id": None, "name": "", "phone": "13612345679"}]
