"""Web security: headers, rate limits, lock-out, password policy, personal data in logs and pages."""
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import TEST_CONFIG
from volunteer_hub import create_app
from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import ValidationFailed
from volunteer_hub.extensions import db
from volunteer_hub.needs import services as needs
from volunteer_hub.notifications import services as notifications
from volunteer_hub.people import services as people

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def test_pages_and_api_send_security_headers(client):
    for url in ("/", "/login", "/api/v1/openapi.json", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in headers  # development serves plain http


def test_production_adds_hsts(tmp_path):
    app = create_app({**TEST_CONFIG, "ENV_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                      "SECRET_KEY": "6f1c0e9a2b7d4c3e8f5a1b2c3d4e5f60",
                      "ID_ENCRYPTION_KEY": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                      "PUBLIC_URL": "https://hub.example.cn", "RATELIMIT_STORAGE_URI": "memory://"})
    assert "max-age=31536000" in app.test_client().get("/login").headers["Strict-Transport-Security"]


def test_templates_have_no_inline_script_style_or_handlers():
    # The CSP forbids them; an inline one would silently stop working in the browser.
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", text), path


@pytest.fixture
def limited(app):
    from volunteer_hub.core.limits import limiter

    limiter.reset()  # the counters are the process's, not the app's
    yield app
    limiter.reset()


rate_limits = pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="3 per minute",
                                     RATELIMIT_CHECKIN="2 per minute", RATELIMIT_VOUCHER_CODE="2 per minute")


@rate_limits
def test_login_is_rate_limited_across_page_and_api(limited, client, world):
    wrong = {"phone": "13500000000", "password": "Nope12345"}
    assert client.post("/api/v1/auth/token", json=wrong).status_code == 401
    assert client.post("/login", data=wrong).status_code == 422
    assert client.post("/api/v1/auth/token", json=wrong).status_code == 401
    response = client.post("/api/v1/auth/token", json=wrong)
    assert response.status_code == 429
    assert response.json["error"]["code"] == "rate_limited" and "Retry-After" in response.headers
    page = client.post("/login", data=wrong)
    assert page.status_code == 429 and "<html" in page.text
    assert client.get("/login").status_code == 200  # only attempts are counted


@rate_limits
def test_checkin_and_voucher_codes_are_limited_per_account(limited, client, api, world):
    volunteer, other = api(world.volunteer), api(world.s2_volunteer)
    for _ in range(2):
        assert volunteer.post("/api/v1/checkins", json={"token": "bogus"}).status_code == 403  # forged code
    response = volunteer.post("/api/v1/checkins", json={"token": "bogus"})
    assert response.status_code == 429 and response.json["error"]["code"] == "rate_limited"
    # Another volunteer at the same event (the same address) is not held back.
    assert other.post("/api/v1/checkins", json={"token": "bogus"}).status_code != 429
    for _ in range(2):
        volunteer.get("/api/v1/redemptions/ABCD2345")
    assert volunteer.get("/api/v1/redemptions/ABCD2345").status_code == 429


@pytest.mark.parametrize("password, message", [
    ("Password1", "最常见"), ("abc13812345678", "手机号"), ("short1", "8"), ("onlyletters", "字母和数字"),
])
def test_password_policy(app, password, message):
    with pytest.raises(ValidationFailed) as caught:
        people.create_user(name="张三", phone="13812345678", password=password)
    assert message in caught.value.fields["password"][0]


def test_logs_mask_phones_and_id_numbers(app, caplog, world):
    caplog.set_level(logging.INFO)
    logging.getLogger("volunteer_hub.test").warning("user %s id %s", "13812345678", "32010219900101123X")
    try:
        raise RuntimeError("duplicate key phone=(13712345678)")
    except RuntimeError:
        logging.getLogger("volunteer_hub.test").exception("failed")
    text = caplog.text
    assert "13812345678" not in text and "138****5678" in text
    assert "32010219900101123X" not in text and "3201**********123X" in text
    assert "13712345678" not in text and "137****5678" in text


def test_duplicate_phone_error_is_logged_masked(client, caplog, world):
    caplog.set_level(logging.INFO)
    client.post("/api/v1/volunteers", json={"name": "重复", "phone": world.volunteer.phone, "code": "123456",
                                            "password": "Abcdef123x", "home_station_id": world.s1.id})
    assert world.volunteer.phone not in caplog.text


def test_contact_phone_of_a_request_is_masked_until_revealed_and_audited(app, client, world):
    need = needs.submit(world.outsider, node_id=world.s1.id, category="repair", description="清理楼道杂物",
                        address="东门小区3栋", wished_at=utcnow() + timedelta(days=2), contact_phone="13612345678")
    db.session.commit()
    client.post("/login", data={"phone": world.s1_manager.phone, "password": world.PASSWORD})
    page = client.get(f"/needs/{need.id}").text
    assert "13612345678" not in page and "136****5678" in page
    revealed = client.post(f"/needs/{need.id}/contact")
    assert revealed.status_code == 200 and "tel:13612345678" in revealed.text
    assert db.session.query(AuditEntry).filter_by(action="need.contact_revealed", actor_id=world.s1_manager.id).count()


@pytest.mark.app_config(OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32")
def test_webhooks_carrying_phones_must_use_https(app, world):
    with pytest.raises(ValidationFailed, match="https"):
        notifications.configure_webhook(world.centre_admin, world.centre, url="http://sms.example.com/hook")
    notifications.configure_webhook(world.centre_admin, world.centre, url="https://sms.example.com/hook")
    notifications.configure_webhook(world.centre_admin, world.centre, url="http://127.0.0.1:9000/hook")


def test_ids_past_the_database_integer_are_a_clear_error_not_a_500(client, api, world):
    assert client.get(f"/events/{10**30}").status_code == 404
    admin = api(world.admin)
    assert admin.get(f"/api/v1/nodes/{2**31}").json["error"]["code"] == "not_found"
    response = admin.post("/api/v1/teams", json={"name": "超大编号队", "category": "environment", "node_id": 10**30,
                                                 "leader_id": world.leader.id})
    assert response.status_code in (404, 422) and "error" in response.json
    response = admin.post("/api/v1/me/notifications/read", json={"ids": [2.5]})
    assert response.status_code == 422 and "ids" in response.json["error"]["fields"]
