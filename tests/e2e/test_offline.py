"""Checking in where the signal is weak, in Chromium: the site installs as an app (manifest, icons, a
service worker controlling the page, the start page from cache without network); a volunteer whose
phone is offline scans a real code through the fake camera and sees 待上传; back online the scan is
uploaded once (also when two tabs send it), flagged 离线补传, at the time of the scan; a scan kept past
the centre's delay is refused and the page says why."""
import io
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from PIL import Image

from tests.e2e.conftest import DESKTOP, PHONE, Screen
from tests.e2e.test_scanning import PASSWORD, camera_browser, place, y4m  # noqa: F401  (place: fixture)


def wait_until_controlled(page):
    """Until the service worker controls the page: once it is active, a page loaded from then on is."""
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null"), "no service worker controls the page"


def attendance(app, day_id):
    from volunteer_hub.checkin.models import Attendance
    from volunteer_hub.extensions import db

    with app.app_context():
        return db.session.scalars(sa.select(Attendance).where(Attendance.service_day_id == day_id)).all()


def test_the_site_installs_as_an_app_and_opens_without_network(place, live, browser):  # noqa: F811
    base, app = live
    phone = Screen(browser, base, "app", PHONE, app=app)
    try:
        phone.login("13800000002", PASSWORD)
        wait_until_controlled(phone.page)
        href = phone.page.get_attribute("link[rel=manifest]", "href")
        manifest = phone.page.evaluate("(href) => fetch(href).then((r) => r.json())", href)
        assert manifest["name"] and manifest["short_name"] and manifest["start_url"] == "/"
        assert manifest["display"] == "standalone" and manifest["theme_color"]
        sizes = set()
        for icon in manifest["icons"]:
            body = phone.context.request.get(base + icon["src"])
            assert body.status == 200 and body.headers["content-type"] == "image/png"
            image = Image.open(io.BytesIO(body.body()))
            assert f"{image.width}x{image.height}" == icon["sizes"]
            sizes.add((image.width, icon["purpose"]))
        assert {(192, "any"), (512, "any")} <= sizes
        worker = phone.page.evaluate("navigator.serviceWorker.ready.then((r) => r.active.scriptURL)")
        assert worker == base + "/sw.js"

        phone.go("/scan")  # kept for the field while online
        phone.context.set_offline(True)
        response = phone.page.goto(base + "/")  # the start page, from the service worker's cache
        assert response.ok and phone.page.is_visible("#offline-banner")
        phone.shot("offline-1-home-from-cache")
        phone.page.goto(base + "/teams")  # not kept: the offline page says so
        assert phone.page.is_visible("a.big-scan[href='/scan']")
        phone.check_accessibility()
        phone.shot("offline-2-not-kept")
        phone.context.set_offline(False)
    finally:
        phone.close()


def test_a_scan_without_signal_waits_and_is_uploaded_once(place, live, playwright, tmp_path):  # noqa: F811
    from volunteer_hub.checkin import services as checkin
    from volunteer_hub.checkin.codes import checkin_url
    from volunteer_hub.core.db import utcnow
    from volunteer_hub.events.models import ServiceDay
    from volunteer_hub.extensions import db

    base, app = live
    with app.app_context():
        url = checkin_url(checkin.rotating_token(db.session.get(ServiceDay, place["day"]))[0])
    y4m(url, tmp_path / "screen.y4m")
    camera = camera_browser(playwright, tmp_path / "screen.y4m")
    volunteer = Screen(camera, base, "offline", PHONE, app=app)
    volunteer.context.clock.set_system_time(utcnow())  # the phone's clock agrees with the server's (travelled) one
    try:
        volunteer.context.grant_permissions(["geolocation"])
        volunteer.context.set_geolocation({"latitude": 31.0, "longitude": 120.0})
        volunteer.login("13800000002", PASSWORD)
        wait_until_controlled(volunteer.page)
        volunteer.go("/scan")  # opened once online: the phone keeps it
        volunteer.context.set_offline(True)
        volunteer.page.reload()  # no signal in the stairwell; the scanner starts the camera by itself
        volunteer.page.wait_for_selector("[data-offline-queue] li.offline-queued", timeout=30_000)
        assert "待上传" in volunteer.page.inner_text("[data-offline-queue]")
        assert attendance(app, place["day"]) == []
        volunteer.shot("offline-3-waiting")
        [kept] = volunteer.page.evaluate(
            "new Promise((ok) => { const o = indexedDB.open('volunteer-hub', 1); o.onsuccess = () => { const r = "
            "o.result.transaction('scans').objectStore('scans').getAll(); r.onsuccess = () => ok(r.result); }; })")

        second = volunteer.context.new_page()  # a second tab with the same queue (not the scanner: its camera
        second.goto(base + "/offline")  # would read the code again and open it once online)
        logs = []
        volunteer.page.on("console", lambda message: logs.append(message.text))
        volunteer.context.set_offline(False)  # both tabs hear "online" and send what is queued
        try:
            volunteer.page.wait_for_selector("[data-offline-queue] li.offline-uploaded", timeout=30_000)
        except Exception as exc:
            raise AssertionError(f"{volunteer.page.inner_text('[data-offline-queue]')!r} {logs}") from exc
        again = second.evaluate(
            "(item) => fetch('/scan/upload', {method: 'POST', headers: {'Content-Type': 'application/json', "
            "'X-CSRFToken': document.querySelector('meta[name=csrf-token]').content}, body: JSON.stringify("
            "{token: item.token, nonce: item.nonce, scanned_at: item.scannedAt, lat: item.lat, lon: item.lon})})"
            ".then((r) => r.json())", kept)
        assert again["state"] == "checked_in"  # the first answer, once more
        rows = attendance(app, place["day"])
        assert len(rows) == 1 and rows[0].uploaded_later and rows[0].status == "open"
        assert rows[0].checked_in_at == datetime.fromisoformat(kept["scannedAt"].replace("Z", "+00:00"))
        assert "已补传" in volunteer.page.inner_text("[data-offline-queue]")
        volunteer.check_accessibility()
        volunteer.shot("offline-4-uploaded")
    finally:
        volunteer.close()
        camera.close()


def test_a_scan_kept_past_the_delay_is_refused_with_the_reason(place, live, browser):  # noqa: F811
    from volunteer_hub.checkin import services as checkin
    from volunteer_hub.core.db import utcnow
    from volunteer_hub.events.models import ServiceDay
    from volunteer_hub.extensions import db

    base, app = live
    then = utcnow() - timedelta(hours=13)
    with app.app_context():
        token = checkin.rotating_token(db.session.get(ServiceDay, place["day"]), then)[0]
    phone = Screen(browser, base, "late", PHONE, app=app)
    try:
        phone.login("13800000002", PASSWORD)
        phone.go("/scan")
        phone.page.evaluate("(scan) => OfflineQueue.add(scan).then(() => OfflineQueue.flush())",
                            {"token": token, "scannedAt": then.isoformat()})
        phone.page.wait_for_selector("[data-offline-queue] li.offline-refused", timeout=20_000)
        text = phone.page.inner_text("[data-offline-queue]")
        assert "未通过" in text and re.search(r"12\s*小时", text), text
        assert len(attendance(app, place["day"])) <= 1  # nothing new from the late scan
        phone.shot("offline-5-too-late")
    finally:
        phone.close()


def test_the_check_in_screen_says_when_its_code_stops_working_and_catches_up(place, live, browser):  # noqa: F811
    base, app = live
    screen = Screen(browser, base, "screen", DESKTOP, app=app)
    try:
        screen.login("13900000000", PASSWORD)  # the platform admin runs every day
        screen.go(f"/events/{place['day']}/screen")
        screen.context.set_offline(True)
        note = screen.page.locator("#screen-offline")
        note.wait_for(state="visible", timeout=10_000)
        assert re.search(r"\d{1,2}:\d{2}", note.inner_text()) and "海报" in note.inner_text()
        screen.shot("offline-6-screen")
        screen.context.set_offline(False)  # back: the code and the counts are fetched at once
        note.wait_for(state="hidden", timeout=20_000)  # the "online" event, or the next 15-second round
        assert screen.page.get_attribute("img.qr", "src") and screen.page.is_visible("#counts")
    finally:
        screen.close()
