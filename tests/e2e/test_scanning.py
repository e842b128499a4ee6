"""扫一扫 with a real camera pipeline: Chromium's fake camera plays a video of the QR code (a real
browser feature), zxing-wasm reads the frames in the page, and the page opens what it read: a
volunteer checks in from the 扫一扫 tab, and a merchant's counter confirms a voucher."""
import re
from datetime import timedelta

import pytest
import qrcode
import sqlalchemy as sa

from tests.e2e.conftest import CHROMIUM, FLAGS, FRIDAY, PHONE, Screen

PASSWORD = "Passw0rd!"


def y4m(text: str, path, size: int = 480, frames: int = 10) -> None:
    """A short greyscale YUV4MPEG2 video showing ``text`` as a QR code, what a phone held still would see."""
    image = qrcode.make(text, border=4).convert("L").resize((size, size))
    luma = image.tobytes()
    chroma = bytes([128]) * (size // 2) * (size // 2)
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{size} H{size} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _frame in range(frames):
            video.write(b"FRAME\n" + luma + chroma + chroma)


@pytest.fixture(scope="module")
def place(live):
    """A station with a service day under way (walk-ins welcome), a volunteer with credits, a merchant."""
    from volunteer_hub.credits import services as credits
    from volunteer_hub.events import services as events
    from volunteer_hub.extensions import db
    from volunteer_hub.merchants import services as merchants
    from volunteer_hub.nodes import services as nodes
    from volunteer_hub.people import services as people

    _base, app = live
    with app.app_context():
        root = people.create_admin(name="平台管理员", phone="13900000000", password=PASSWORD)
        centre = nodes.create_node(root, name="吴江区新时代文明实践中心", kind="centre", code="WJ")
        station = nodes.create_node(root, name="城南社区实践站", kind="station", parent_id=centre.id)
        admin = people.create_admin(name="周主任", phone="13900000001", password=PASSWORD, centre=centre)
        volunteer = people.register_volunteer(name="王小明", phone="13800000002", password=PASSWORD,
                                              home_station_id=station.id)
        start = FRIDAY - timedelta(minutes=30)
        day = events.create_service_day(root, node_id=station.id, title="扫码签到演练", starts_at=start,
                                        ends_at=start + timedelta(hours=3), capacity=20, allow_walk_ins=True,
                                        now=start - timedelta(days=1))
        credits.adjust(admin, volunteer, 10, "演练")
        owner = people.create_user(name="孙店长", phone="13900000003", password=PASSWORD)
        shop = merchants.register_merchant(owner, centre=centre, owner=owner, name="城南便民理发店", address="菜场东侧",
                                           contact_phone="13900000003", licence_no="91320509MA1E2E002X")
        merchants.approve(admin, shop, [station.id])
        offer = merchants.create_offer(owner, shop, title="理发一次", price=2, stock=5)
        db.session.commit()
        return {"day": day.id, "offer": offer.id}


def camera_browser(playwright, video):
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        *FLAGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        f"--use-file-for-fake-video-capture={video}"])


def test_a_volunteer_checks_in_from_the_scan_tab(place, live, playwright, tmp_path):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from volunteer_hub.checkin import services as checkin
    from volunteer_hub.checkin.codes import checkin_url
    from volunteer_hub.checkin.models import Attendance
    from volunteer_hub.events.models import ServiceDay
    from volunteer_hub.extensions import db

    base, app = live
    with app.app_context():
        url = checkin_url(checkin.rotating_token(db.session.get(ServiceDay, place["day"]))[0])
    assert url.startswith(base + "/c/")
    y4m(url, tmp_path / "screen.y4m")
    browser = camera_browser(playwright, tmp_path / "screen.y4m")
    volunteer = Screen(browser, base, "scanner", PHONE, app=app)
    try:
        volunteer.context.grant_permissions(["geolocation"])
        volunteer.context.set_geolocation({"latitude": 31.0, "longitude": 120.0})
        volunteer.login("13800000002", PASSWORD)
        logs = []  # the page's own words if the camera or the reader fails (a policy header once did)
        volunteer.page.on("console", lambda message: logs.append(message.text))
        volunteer.page.click("nav.tabbar >> text=扫一扫")  # the tab bar's middle tab
        try:
            volunteer.page.wait_for_url(re.compile(r"/c/"), timeout=30_000)  # read from the camera, then opened
        except PlaywrightTimeout as exc:
            raise AssertionError(f"{volunteer.page.inner_text('[data-status]')!r} {logs}") from exc
        volunteer.page.wait_for_load_state("networkidle")
        assert "签到成功" in volunteer.page.inner_text("main")
        volunteer.shot("scan-1-checked-in")
        with app.app_context():
            assert db.session.scalar(sa.select(Attendance.status)
                                     .where(Attendance.service_day_id == place["day"])) == "open"
    finally:
        volunteer.close()
        browser.close()


def test_a_merchant_confirms_a_voucher_with_the_counter_camera(place, live, playwright, browser, tmp_path):
    from volunteer_hub.core.urls import external_url
    from volunteer_hub.extensions import db
    from volunteer_hub.vouchers.models import Voucher

    base, app = live
    volunteer = Screen(browser, base, "voucher", PHONE, app=app)
    volunteer.login("13800000002", PASSWORD)
    volunteer.go("/offers")
    volunteer.page.click(f"form[action='/offers/{place['offer']}/redeem'] button")
    code = volunteer.page.inner_text("p.big-state").strip()
    with app.app_context(), app.test_request_context():
        url = external_url("vouchers.counter", code=code)
    y4m(url, tmp_path / "voucher.y4m")
    camera = camera_browser(playwright, tmp_path / "voucher.y4m")
    merchant = Screen(camera, base, "counter", PHONE, app=app)
    try:
        merchant.login("13900000003", PASSWORD)
        merchant.go("/merchant")
        merchant.page.fill("input[name=code]", "WRONG123")
        merchant.page.click("main form button[type=submit]")
        assert merchant.page.input_value("input[name=code]") == "WRONG123"  # kept, with the error beside it
        assert merchant.page.is_visible("#code-error")
        merchant.page.click("text=打开相机")
        merchant.page.wait_for_url(re.compile(r"/r/"), timeout=30_000)
        assert "理发一次" in merchant.page.inner_text("main")
        merchant.check_accessibility()
        merchant.shot("scan-2-counter")
        assert "剩余" in volunteer.page.inner_text("#voucher-state")  # the voucher counts down meanwhile
        merchant.page.click("form button.primary.big")
        with app.app_context():
            assert db.session.scalar(sa.select(Voucher.status).where(Voucher.code == code)) == "confirmed"
        merchant.shot("scan-3-confirmed")
        volunteer.page.wait_for_selector("text=已核销", timeout=15_000)  # the volunteer's page turns by itself
        volunteer.shot("scan-4-voucher-redeemed")
    finally:
        merchant.close()
        camera.close()
        volunteer.close()
