"""Browser tests: the app on a real HTTP server on 127.0.0.1 with PostgreSQL, driven by Playwright in
Debian's Chromium. The server runs in this process so that a controlled clock moves it to Saturday."""
import logging
import os
import re
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
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
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
def site_language():
    """The language the module's screens read the site in; a module may parametrise it to run twice."""
    return "zh-CN"


@pytest.fixture(scope="module")
def clock(site_language):
    with time_machine.travel(FRIDAY, tick=True) as traveller:
        yield traveller


@pytest.fixture(scope="module")
def live(request, pg_cluster, clock, site_language):
    """(base URL, app): a fresh database of the module's own (modules may run side by side on one
    worker's cluster), migrated, served on a free port."""
    from flask_migrate import upgrade

    from volunteer_hub import create_app

    module = request.module.__name__.rsplit(".", 1)[-1]
    url = pg_cluster.create_database(f"e2e_{module}_{site_language.replace('-', '_').lower()}")
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


# What users typed, from the database: names, titles, addresses… are shown as written, in any language.
USER_TEXT = {"nodes": ("name", "address", "code"), "users": ("name",),
             "teams": ("name", "description", "custom_category"),
             "service_days": ("title", "description", "address"), "service_day_templates": ("title", "address"),
             "merchants": ("name", "address", "licence_no"), "offers": ("title", "description"),
             "themes": ("title", "description", "guidance", "places"), "theme_notes": ("note",),
             "needs": ("description", "address", "review"), "day_ratings": ("comment",),
             "activity_records": ("summary",), "announcements": ("title", "body", "target_name"),
             "vouchers": ("code",), "credit_transactions": ("memo",), "grant_requests": ("reason", "decision_reason")}
OTHER_SCRIPT = {"en": re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]+"),
                "zh-CN": re.compile(r"[A-Za-z]{2,}")}
# Latin a Chinese page may hold: file formats, sizes and names that are not translated.
LATIN_IN_CHINESE = {"QR", "PNG", "JPEG", "MB", "KB", "CSV", "EXCEL", "XLS", "XLSX", "PDF", "API", "ID", "WIFI"}
PAGE_TEXT = """() => {
  const lang = document.documentElement.lang;
  const other = el => { const marked = el.closest('[lang]'); return marked && marked.lang !== lang; };
  const skip = el => el.closest('script,style,noscript,template,[translate=no]') || other(el);
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (node.data.trim() && !skip(node.parentElement)) out.push(node.data);
  }
  for (const el of document.body.querySelectorAll('[placeholder],[aria-label],[title],[alt],[data-busy],[data-left]')) {
    if (skip(el)) continue;
    for (const name of ['placeholder', 'aria-label', 'title', 'alt', 'data-busy', 'data-left']) {
      if (el.getAttribute(name)) out.push(el.getAttribute(name));
    }
  }
  return out;
}"""


def user_text(app) -> list[str]:
    """Every text users stored (and its masked form), longest first, to take out of a page before it is read."""
    import sqlalchemy as sa

    from volunteer_hub.core.validators import mask_name
    from volunteer_hub.extensions import db
    from volunteer_hub.people.models import VolunteerProfile

    found = set()
    with app.app_context():
        for table, columns in USER_TEXT.items():
            for column in columns:
                found.update(v for v in db.session.scalars(sa.text(f"SELECT DISTINCT {column} FROM {table}")) if v)
        found.update(mask_name(name) for name in db.session.scalars(sa.text("SELECT name FROM users")))
        for skills in db.session.scalars(sa.select(VolunteerProfile.skills)):
            found.update(skills or ())
    return sorted(found, key=len, reverse=True)


class Screen:
    """A browser context (phone or desktop) for one person, in one language, with screenshots, axe checks
    and a check that the page says nothing in the other language."""

    def __init__(self, browser, base: str, name: str, device: dict, language: str = "zh-CN", app=None):
        self.base, self.name, self.language, self.app = base, name, language, app
        self.context = browser.new_context(locale=language, timezone_id="Asia/Shanghai", **device)
        self.page = self.context.new_page()
        if language != "zh-CN":  # the site speaks Chinese until the footer switches it
            self.go("/")
            with self.page.expect_navigation():  # the switch is a POST: wait for its answer, or the next
                self.page.click(f"footer button[lang={language}]")  # navigation may cancel it
            assert self.page.get_attribute("html", "lang") == language

    def say(self, zh: str, en: str) -> str:
        """The words this screen's reader sees."""
        return zh if self.language == "zh-CN" else en

    def check_language(self):
        """Fail on words of the other language: Chinese characters on an English page, English words on a
        Chinese one, outside what users typed, URLs, and text marked as another language or not to translate."""
        assert self.page.get_attribute("html", "lang") == self.language, self.page.url
        text = "\n".join(self.page.evaluate(PAGE_TEXT))
        text = re.sub(r"https?://\S+|/[\w/.-]+", " ", text)
        for written in user_text(self.app) if self.app else ():
            text = text.replace(written, " ")
        leaks = set(OTHER_SCRIPT[self.language].findall(text))
        if self.language == "zh-CN":
            leaks = {word for word in leaks if word.upper() not in LATIN_IN_CHINESE}
        assert not leaks, f"{self.page.url} ({self.language}) shows {sorted(leaks)}"

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
        """A screenshot for the artifacts, and the language check of the page it shows."""
        ARTIFACTS.mkdir(exist_ok=True)
        suffix = "" if self.language == "zh-CN" else f"-{self.language}"
        self.page.screenshot(path=str(ARTIFACTS / f"{step}-{self.name}{suffix}.png"), full_page=True)
        self.check_language()

    def check_accessibility(self):
        """Fail on serious or critical axe-core violations of the page as it is now. Journeys that run in
        both languages are checked in Chinese (the same markup); the English run checks the language."""
        from axe_playwright_python.sync_playwright import Axe

        if self.language != "zh-CN":
            return
        results = Axe().run(self.page)
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"{self.page.url}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}" for v in bad)

    def close(self):
        self.context.close()


@pytest.fixture(scope="module")
def screens(browser, live, site_language):
    """``screens(name, device)``: one person's screen, made on first use and kept for the module."""
    base, app = live
    made = {}

    def screen(name, device, language=None):
        if name not in made:
            made[name] = Screen(browser, base, name, device, language or site_language, app)
        return made[name]

    yield screen
    for s in made.values():
        s.close()
