"""Fixtures: every ``app`` test runs on SQLite and on a real PostgreSQL the suite starts itself.

Time: a test that needs a fixed instant says so with ``@pytest.mark.clock(instant)``; the clock is
moved there before any other fixture of the test is built, so the world a test sees never depends
on the real date. ``--pretend-now INSTANT`` starts every other test at INSTANT (ticking), which
is how .ci/run checks that nothing breaks on a Monday morning, at New Year or across a DST change.
"""
import contextvars
import os
import shutil
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient
from flask_migrate import upgrade

from tests import pg
from tests.redis_server import RedisServer
from tests.world import World
from volunteer_hub import create_app
from volunteer_hub.core.db import utcnow
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db as _db
from volunteer_hub.people import services as people
from volunteer_hub.people import verification

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "PUBLIC_URL": "http://localhost",  # the test client's host, so links look as a browser would see them
    "WTF_CSRF_ENABLED": False,
    # Every test logs in from 127.0.0.1; tests/core/test_security.py turns the limits on.
    "RATELIMIT_ENABLED": False,
    # Fast hashing keeps the suite quick; production uses scrypt.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
}


def pytest_addoption(parser):
    parser.addoption("--pretend-now", metavar="INSTANT", type=datetime.fromisoformat,
                     help="start every test without a clock marker at INSTANT (ISO 8601 with an offset, e.g. "
                          "2026-12-31T23:59+08:00), the clock ticking from there")


def pytest_configure(config):
    config.addinivalue_line("markers", "clock(instant, tick=False): run the whole test, fixtures included, "
                                       "from this aware instant")
    config.addinivalue_line("markers", "postgresql_only: run on the production database only (the slowest "
                                       "whole-API runs, whose SQLite twin adds minutes and no new path)")


def pytest_collection_modifyitems(config, items):
    """Deselect (not skip) the SQLite variant of ``postgresql_only`` tests, and under ``--pretend-now``
    the tests with a clock marker of their own: they run at their instant whatever is pretended, and
    ``make test`` has run them already."""
    pretend = config.getoption("--pretend-now")
    if pretend is not None and pretend.tzinfo is None:
        raise pytest.UsageError("--pretend-now needs an offset, e.g. 2026-12-31T23:59+08:00")
    kept, dropped = [], []
    for item in items:
        sqlite = getattr(item, "callspec", None) and item.callspec.params.get("db_url") == "sqlite"
        fixed = pretend is not None and item.get_closest_marker("clock") is not None
        (dropped if fixed or (sqlite and item.get_closest_marker("postgresql_only")) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_report_header(config):
    pretend = config.getoption("--pretend-now")
    return [f"pretend-now: {pretend.isoformat()} (TIMEZONE={os.environ.get('TIMEZONE', 'Asia/Shanghai')})"] \
        if pretend else []


@pytest.fixture(autouse=True)
def _travelled_clock(request):
    """Autouse, so it runs before every other function-scoped fixture: the world is built in the
    test's time. Yields the traveller (``clock`` fixture), or None when the real clock runs."""
    marker = request.node.get_closest_marker("clock")
    pretend = request.config.getoption("--pretend-now")
    if marker is not None:
        instant, tick = marker.args[0], marker.kwargs.get("tick", False)
    elif pretend is not None:
        instant, tick = pretend, True
    else:
        yield None
        return
    assert instant.tzinfo is not None, "a clock marker needs an aware instant"
    with time_machine.travel(instant, tick=tick) as traveller:
        yield traveller


@pytest.fixture
def clock(_travelled_clock):
    """The traveller of a ``@pytest.mark.clock`` test, to ``move_to`` or ``shift`` by."""
    assert _travelled_clock is not None, "the clock fixture needs @pytest.mark.clock(instant)"
    return _travelled_clock


@pytest.fixture(scope="session")
def postgres_binaries() -> str:
    """Where initdb and pg_ctl are. Without them the PostgreSQL tests skip, except under CI=true, where that
    is a failure: CI must never pass by skipping what it is there to run."""
    bin_dir = pg.find_bin_dir()
    if bin_dir is None:
        message = "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql-15 (make test does)."
        if os.environ.get("CI") == "true":
            pytest.fail("CI requires the PostgreSQL tests: " + message, pytrace=False)
        pytest.skip(message)
    return bin_dir


@pytest.fixture(scope="session")
def redis_server():
    """A real redis-server (Debian's, installed by make test); skipped without it, failed under CI=true."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server not found; install Debian's redis-server (make test does)."
        if os.environ.get("CI") == "true":
            pytest.fail("CI requires the Redis tests: " + message, pytrace=False)
        pytest.skip(message)
    server = RedisServer(binary)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_server) -> str:
    """An empty Redis for one test."""
    redis_server.flush()
    return redis_server.url


@pytest.fixture(scope="session")
def pg_cluster(postgres_binaries):
    cluster = pg.Cluster(postgres_binaries)
    cluster.start()
    yield cluster
    cluster.stop()


def migrate(url: str) -> str:
    """Build the production schema at ``url`` with the migrations (triggers and constraints included)."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        _db.engine.dispose()
    return url


@pytest.fixture(scope="session")
def pg_url(pg_cluster):
    """One database for the session, migrated once; tests empty it (TRUNCATE) before and after."""
    return migrate(pg_cluster.create_database("volunteer_hub_test"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file migrated once; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("schema") / "migrated.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


def sqlite_copy(template: Path, path: Path) -> str:
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory):
    if request.param == "sqlite":
        # One path per worker, filled afresh for each test: the shared app below keeps its engine's URL.
        path = tmp_path_factory.getbasetemp() / "test.sqlite3"
        return sqlite_copy(request.getfixturevalue("sqlite_template"), path)
    return request.getfixturevalue("pg_url")


def _emptying_script() -> str:
    """SQL that empties the tables holding rows and restarts the sequences that moved. One DELETE each,
    with triggers and foreign keys off (the suite's cluster runs as superuser), so the immutable ledger
    and audit tables can be emptied too: a TRUNCATE of the 49 tables costs 0.3 s, this a few ms."""
    names = [table.name for table in _db.metadata.sorted_tables]
    rows = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT FROM {name})" for name in names)
    moved = ("SELECT quote_ident(s.sequencename) FROM pg_sequences s WHERE s.schemaname = 'public' "
             "AND s.last_value IS NOT NULL")
    used = set(_db.session.execute(sa.text(f"{rows} UNION ALL {moved}")).scalars())
    return ";".join(["SET LOCAL session_replication_role = replica",
                     *(f"DELETE FROM {name}" for name in reversed(names) if name in used),
                     *(f"ALTER SEQUENCE {name} RESTART" for name in used if name not in names)])


def _empty_all_tables():
    # SQLite gets a fresh copy per test; the PostgreSQL database is shared by the session.
    if _db.engine.dialect.name == "postgresql":
        _db.session.connection().exec_driver_sql(_emptying_script())
        _db.session.commit()


class IsolatedClient(FlaskClient):
    """Each request gets its own app context, session and ``g``, as in production.

    Without this, Flask reuses the test's app context, and state such as the
    logged-in user cached in ``g`` leaks from one request to the next.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


_SHARED_APPS: dict[str, tuple] = {}  # per worker: database URL → (app, its settings as built)


def _shared_app(db_url: str):
    """Building the app costs 0.3 s (routes and the OpenAPI document), most of a small test's time:
    tests with the plain settings share one per database, its settings put back before each test."""
    from volunteer_hub.core.limits import limiter

    if db_url not in _SHARED_APPS:
        app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": db_url})
        _SHARED_APPS[db_url] = app, dict(app.config), app.instance_path
    app, settings, instance_path = _SHARED_APPS[db_url]
    app.config.clear()
    app.config.update(settings)  # DEBUG included
    app.instance_path = instance_path
    limiter.enabled = app.config["RATELIMIT_ENABLED"]  # the limiter is global; the last app built set it
    return app


@pytest.fixture
def app(request, db_url):
    """The app on ``db_url``; ``@pytest.mark.app_config(KEY=value)`` adds settings for one test, and
    ``@pytest.mark.own_app`` gives one that the test may change (routes, handlers)."""
    marker = request.node.get_closest_marker("app_config")
    if marker or request.node.get_closest_marker("own_app"):
        app = create_app({**TEST_CONFIG, **(marker.kwargs if marker else {}), "SQLALCHEMY_DATABASE_URI": db_url})
    else:
        app = _shared_app(db_url)
    app.test_client_class = IsolatedClient
    with app.app_context():
        _empty_all_tables()
        yield app
        _db.session.remove()
        _empty_all_tables()
        _db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def world(app):
    """A small practice centre: see tests/world.py."""
    return World.build()


class ApiClient:
    """A test client that speaks JSON with a bearer token."""

    def __init__(self, client, token=None):
        self.client = client
        self.token = token

    def _headers(self):
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def __getattr__(self, method):
        def call(url, json=None, headers=None, **kwargs):
            return getattr(self.client, method)(url, json=json, headers={**self._headers(), **(headers or {})},
                                                **kwargs)

        return call


@pytest.fixture
def phone_code(app):
    """``phone_code(phone, purpose="register")`` → a fresh code for the phone, as its text would carry it."""

    def issue(phone, purpose="register"):
        code = verification.request_code(phone, purpose)
        _db.session.commit()
        return code

    return issue


@pytest.fixture
def api(client):
    """``api(user)`` → an ApiClient logged in as ``user``; ``api(None)`` is anonymous."""

    def for_user(user, password=None):
        if user is None:
            return ApiClient(client)
        response = client.post("/api/v1/auth/token", json={"phone": user.phone, "password": password or World.PASSWORD})
        assert response.status_code == 201, response.json
        return ApiClient(client, response.json["token"])

    return for_user


@pytest.fixture
def saturday(world):
    """A service day at S1 tomorrow 08:30-11:30 UTC+8 equivalent, geofenced, capacity 2."""
    start = (utcnow() + timedelta(days=1)).replace(microsecond=0)
    day = events.create_service_day(
        world.s1_manager, node_id=world.s1.id, title="周六环境美化日", team_ids=[world.team.id],
        starts_at=start, ends_at=start + timedelta(hours=3), capacity=2, lat=31.0, lon=120.0)
    _db.session.commit()
    return day


@pytest.fixture
def volunteers(world):
    """Five more volunteers of S1."""
    made = [people.register_volunteer(name=f"志愿者{i}", phone=f"1360000010{i}", password=world.PASSWORD,
                                      home_station_id=world.s1.id) for i in range(5)]
    _db.session.commit()
    return made


class Receiver:
    """A local HTTP endpoint that answers with the statuses it is given, in turn, and keeps what it got.
    ``location`` goes into every answer's Location header (a redirect)."""

    def __init__(self, statuses, location=None):
        self.statuses = list(statuses)
        self.received = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((self.headers, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                if location:
                    self.send_header("Location", location)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    made = []

    def make(*statuses, location=None):
        made.append(Receiver(statuses, location))
        return made[-1]

    yield make
    for r in made:
        r.close()
