"""Browser tests: the app on a real HTTP server on 127.0.0.1 with PostgreSQL, driven by Playwright in
Debian's Chromium. The server runs in this process so that a controlled clock moves it to Saturday."""
import logging
import os
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from werkzeug.serving import make_server

from tests.conftest import TEST_CONFIG

logging.getLogger("werkzeug").setLevel(logging.WARNING)

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-quic"]
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
FRIDAY = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # Friday 10:00 in Asia/Shanghai: this week's theme is out


@pytest.fixture(scope="session")
def playwright():
    if not os.path.exists(CHROMIUM):
        message = "Debian's chromium is not installed (make test installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def clock():
    with time_machine.travel(FRIDAY, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="module")
def live(request, pg_cluster, clock):
    """(base URL, app): a fresh database of the module's own (modules may run side by side on one
    worker's cluster), migrated, served on a free port."""
    from flask_migrate import upgrade

    from volunteer_hub import create_app

    url = pg_cluster.create_database(f"e2e_{request.module.__name__.rsplit('.', 1)[-1]}")
    app = create_app({**TEST_CONFIG, "TESTING": False, "WTF_CSRF_ENABLED": True, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade(directory=str(app.extensions["migrate"].directory))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["PUBLIC_URL"] = f"http://127.0.0.1:{server.server_port}"  # what the QR codes point at
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app
    server.shutdown()
    with app.app_context():
        from volunteer_hub.extensions import db

        db.engine.dispose()


class Screen:
    """A browser context (phone or desktop) for one person, with screenshots and axe checks."""

    def __init__(self, browser, base: str, name: str, device: dict):
        self.base, self.name = base, name
        self.context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", **device)
        self.page = self.context.new_page()

    def go(self, path: str):
        response = self.page.goto(self.base + path)
        assert response.status < 500, f"{path}: {response.status}"
        return response

    def login(self, phone: str, password: str):
        self.go("/login")
        self.page.fill("input[name=phone]", phone)
        self.page.fill("input[name=password]", password)
        self.page.click("main form button[type=submit]")
        self.page.wait_for_load_state()

    def shot(self, step: str):
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{step}-{self.name}.png"), full_page=True)

    def check_accessibility(self):
        """Fail on serious or critical axe-core violations of the page as it is now."""
        from axe_playwright_python.sync_playwright import Axe

        results = Axe().run(self.page)
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"{self.page.url}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in bad)

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def screens(browser, live):
    """``screens(name, device)``: one person's screen, made on first use and kept for the module."""
    base, _app = live
    made = {}

    def screen(name, device):
        if name not in made:
            made[name] = Screen(browser, base, name, device)
        return made[name]

    yield screen
    for s in made.values():
        s.close()
