"""More than one server (docs/scaling.md): two app instances — two gunicorn masters on two ports, production
settings — in front of one durable PostgreSQL and one Redis, with jobs run by two processes at once.
Limits, sessions, check-ins and jobs hold across them as on one server."""
import http.client
import re
import subprocess
import sys
import urllib.parse
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from benchmarks.checkin import checkin_jobs, seed_day
from benchmarks.harness import ROOT, run_apart, run_load, seeded_app, start_cluster
from tests.test_hardening import PRODUCTION_KEY, production_servers

VOLUNTEERS = 24
LIMIT = 4  # check-in scans a minute, per account


@pytest.fixture(scope="module")
def cluster(postgres_binaries):
    cluster = start_cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def province(cluster):
    """A station's service day under way with volunteers signed up, and the centre's theme due now."""
    from volunteer_hub.core.db import local_date, utcnow
    from volunteer_hub.extensions import db
    from volunteer_hub.themes import services as themes

    url = cluster.create_database("two_instances")
    with seeded_app(url) as (admin, centre, station):
        tokens, code, day_id = seed_day(admin, station, VOLUNTEERS)
        held_on = local_date(utcnow()) + timedelta(days=1)  # published now, for tomorrow
        theme = themes.create_theme(admin, node_id=centre.id, title="两台服务器的主题", held_on=held_on,
                                    publish_at=utcnow())
        db.session.commit()
        theme_id = theme.id
    # The printed code as the servers sign it: with their key.
    from volunteer_hub import create_app
    from volunteer_hub.checkin import services as checkin
    from volunteer_hub.events.models import ServiceDay

    with create_app({"SECRET_KEY": PRODUCTION_KEY, "SQLALCHEMY_DATABASE_URI": url}).app_context():
        code = checkin.poster_token(db.session.get(ServiceDay, day_id))
        db.session.remove()
        db.engine.dispose()
    return url, tokens, code, theme_id


class Browser:
    """A phone's browser against one server or another: it keeps its cookies (production marks them
    Secure; the servers here speak plain HTTP on loopback, so the jar sends them regardless)."""

    def __init__(self):
        self.cookies: dict[str, str] = {}

    def request(self, server, method: str, path: str, form: dict | None = None) -> tuple[int, str, str]:
        host, port = server.url.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        text = response.read().decode()
        conn.close()
        return response.status, response.getheader("Location", ""), text

    def csrf(self, server, path: str) -> str:
        _status, _location, page = self.request(server, "GET", path)
        return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_two_app_instances_share_limits_sessions_check_ins_and_jobs(province, redis_url):
    url, tokens, code, theme_id = province
    with production_servers(url, 2, 2, RATELIMIT_STORAGE_URI=redis_url, RATELIMIT_CHECKIN=f"{LIMIT} per minute",
                            RATELIMIT_LOGIN="50 per minute") as servers:
        a, b = servers
        # Check-ins: every volunteer scans at A and, as a phone retrying on a weak signal, again at B with
        # the same nonce; clients take turns between the two. Each is checked in once.
        jobs = [(method, path, {**body, "nonce": f"scan-{i:04d}"}, token)
                for i, (method, path, body, token) in enumerate(checkin_jobs(tokens, code))]
        _latencies, statuses, _elapsed = run_apart(lambda: run_load([a.url, b.url], jobs + jobs, 8))
        assert Counter(statuses) == {200: 2 * VOLUNTEERS}

        # The check-in limit is one budget per account across both instances.
        extra = [("POST", "/api/v1/checkins", {"token": code, "lat": 31.0001, "lon": 120.0001}, tokens[0])] * 6
        _latencies, statuses, _elapsed = run_apart(lambda: run_load([a.url, b.url], extra, 1))
        assert statuses.count(429) == 6 - (LIMIT - 2), statuses  # two scans of this account were counted above

        # Jobs: the scheduler and an operator's `hub run-jobs` publish the due theme at the same moment.
        env = {"DATABASE_URL": url, "VOLUNTEER_HUB_ENV": "production", "SECRET_KEY": PRODUCTION_KEY,
               "PUBLIC_URL": "https://hub.example.cn", "RATELIMIT_STORAGE_URI": redis_url, "LOG_LEVEL": "WARNING"}
        runs = [subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "hub", "run-jobs", "--job",
                                  "publish-themes"], cwd=ROOT, env={**__import__("os").environ, **env},
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for _ in range(2)]
        for run in runs:
            output, _ = run.communicate(timeout=120)
            assert run.returncode == 0, output

        # Sessions: log in at A, carry on at B; log out at B, and A no longer knows the session.
        phone = volunteer_phone(url)
        browser = Browser()
        status, location, _page = browser.request(a, "POST", "/login", {
            "csrf_token": browser.csrf(a, "/login"), "phone": phone, "password": "Bench2026x"})
        assert status == 302, location
        status, _location, page = browser.request(b, "GET", "/me")
        assert status == 200 and "志愿者0" in page
        stolen = dict(browser.cookies)  # a copy of the cookie, kept after logging out
        status, _location, _page = browser.request(b, "POST", "/logout", {"csrf_token": browser.csrf(b, "/me")})
        assert status == 302
        thief = Browser()
        thief.cookies = stolen
        status, location, _page = thief.request(a, "GET", "/me")
        assert status == 302 and "/login" in location

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM attendances")) == VOLUNTEERS
        assert conn.scalar(sa.text("SELECT count(*) FROM scan_nonces")) == VOLUNTEERS
        told = conn.execute(sa.text("SELECT count(*), count(DISTINCT user_id) FROM notifications WHERE key = :key"),
                            {"key": f"theme:{theme_id}"}).one()
        assert tuple(told) == (VOLUNTEERS, VOLUNTEERS)
        assert conn.scalar(sa.text("SELECT count(*) FROM audit_entries WHERE action = 'theme.publish'")) == 1
    engine.dispose()


def volunteer_phone(url: str) -> str:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        phone = conn.scalar(sa.text("SELECT phone FROM users WHERE name = '志愿者0'"))
    engine.dispose()
    return phone
