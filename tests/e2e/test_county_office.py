"""The county office's week in Chromium: a manager imports a roster from Excel, finds a volunteer, hands
over a password reset link (the volunteer sets the password on their phone), sends an announcement,
records an activity with photos, and exports the month's statistics. Then every management page on
a phone, in Chinese and English: screenshots and axe-core checks."""
import io
import re
from datetime import timedelta

import pytest
from openpyxl import Workbook, load_workbook
from PIL import Image

from tests.e2e.conftest import DESKTOP, FRIDAY, PHONE, Screen
from tests.roster.test_import import id_number

PASSWORD = "Passw0rd!"


@pytest.fixture(scope="module")
def office(live):
    """A centre → institute → station with its manager, a team, and a service day held this morning."""
    from volunteer_hub.events import services as events
    from volunteer_hub.extensions import db
    from volunteer_hub.merchants import services as merchants
    from volunteer_hub.nodes import services as nodes
    from volunteer_hub.people import services as people
    from volunteer_hub.teams import services as teams

    _base, app = live
    with app.app_context():
        root = people.create_admin(name="平台管理员", phone="13900000000", password=PASSWORD)
        centre = nodes.create_node(root, name="吴江区新时代文明实践中心", kind="centre", code="WJ")
        institute = nodes.create_node(root, name="松陵街道实践所", kind="institute", parent_id=centre.id)
        station = nodes.create_node(root, name="城南社区实践站", kind="station", parent_id=institute.id)
        people.create_admin(name="周主任", phone="13900000001", password=PASSWORD, centre=centre)
        manager = people.create_user(name="钱站长", phone="13900000002", password=PASSWORD)
        people.appoint_manager(root, station, manager)
        leader = people.register_volunteer(name="李队长", phone="13800000001", password=PASSWORD,
                                           home_station_id=station.id)
        team = teams.create_team(manager, name="城南卫生环保队", category="environment", node_id=station.id,
                                 leader_id=leader.id)
        start = FRIDAY - timedelta(hours=2)  # 08:00 this Friday
        day = events.create_service_day(manager, node_id=station.id, title="楼道清理", team_ids=[team.id],
                                        starts_at=start, ends_at=start + timedelta(hours=1), capacity=20,
                                        now=start - timedelta(days=1))
        owner = people.create_user(name="孙店长", phone="13900000003", password=PASSWORD)
        shop = merchants.register_merchant(owner, centre=centre, owner=owner, name="城南便民理发店", address="菜场东侧",
                                           contact_phone="13900000003", licence_no="91320509MA1E2E001X")
        merchants.approve(root, shop, [station.id])
        offer = merchants.create_offer(owner, shop, title="理发一次", price=2, stock=5)
        template = events.create_template(manager, node_id=station.id, title="每周六服务", weekday=5,
                                          start_time=start.time(), end_time=(start + timedelta(hours=2)).time(),
                                          capacity=20)
        db.session.commit()
        return {"centre": centre.id, "institute": institute.id, "station": station.id, "team": team.id,
                "day": day.id, "shop": shop.id, "offer": offer.id, "template": template.id}


def roster_file() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "手机号", "所属站点", "身份证号", "志愿服务队", "特长"])
    sheet.append(["张秀英", "13800000011", "城南社区实践站", id_number(11), "城南卫生环保队", "理发、裁缝"])
    sheet.append(["赵建国", "13800000012", "城南社区实践站", "", "城南卫生环保队", "急救"])
    sheet.append(["刘芳", "13800000013", "城南社区实践站", "", "", ""])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def jpeg(colour) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2400, 1600), colour).save(out, "JPEG")
    return out.getvalue()


def test_the_county_office_week(office, screens, live):
    manager = screens("office", DESKTOP)
    manager.login("13900000002", PASSWORD)

    # 1. Import the roster: the template, a preview, then the import.
    manager.go("/roster/import")
    with manager.page.expect_download() as download:
        manager.page.click("a[href='/roster/import/template.xlsx']")
    assert load_workbook(io.BytesIO(download.value.path().read_bytes())).active["A1"].value == "姓名"
    manager.page.set_input_files("input[name=file]", files=[{
        "name": "城南名册.xlsx", "mimeType": "application/octet-stream", "buffer": roster_file()}])
    manager.page.click("main form button[type=submit]")
    manager.page.wait_for_url(re.compile(r"/roster/import/\d+$"))
    assert "张秀英" in manager.page.inner_text("main") and "导入 3 行" in manager.page.inner_text("main")
    manager.check_accessibility()
    manager.shot("office-1-import-preview")
    manager.page.click("main form button.primary")
    assert "已导入" in manager.page.inner_text("main")
    manager.shot("office-2-imported")

    # 2. Find a volunteer by the last four digits of the phone.
    manager.go("/roster?q=0012")
    manager.page.click("text=赵建国")
    assert "急救" in manager.page.inner_text("main") and "城南卫生环保队" in manager.page.inner_text("main")
    manager.check_accessibility()
    manager.shot("office-3-volunteer-record")

    # 3. A reset link, scanned by the volunteer's own phone; the new password works.
    manager.page.click("text=密码重置链接")
    link = manager.page.inner_text("main code")
    assert "/reset/" in link
    manager.shot("office-4-reset-link")
    elder = screens("elder", PHONE)
    elder.page.goto(link)
    elder.page.fill("input[name=password]", "Lanterns2026")
    elder.shot("office-5-set-password")
    elder.page.click("main form button[type=submit]")
    elder.login("13800000012", "Lanterns2026")
    assert "/login" not in elder.page.url

    # 4. An announcement to the station's volunteers, counted first.
    manager.go(f"/announcements/new?audience=node&target_id={office['station']}")
    manager.page.fill("input[name=title]", "周六集合时间")
    manager.page.fill("textarea[name=body]", "本周六 8:20 在社区广场集合，请带好手套。")
    manager.page.click("button[name=preview]")
    assert "将有 4 人收到" in manager.page.inner_text("main")  # the leader and the three imported
    manager.check_accessibility()
    manager.shot("office-6-announcement-count")
    manager.page.click("button[name=send]")
    assert "已发送给 4 人" in manager.page.inner_text("main")
    elder.go("/inbox")
    assert "周六集合时间" in elder.page.inner_text("main")
    elder.check_accessibility()
    elder.shot("office-7-announcement-received")

    # 5. The activity record of this morning's day, with two photos.
    manager.go(f"/events/{office['day']}/record")
    manager.page.fill("textarea[name=summary]", "清理楼道杂物 12 处，张贴文明提示 20 张。")
    manager.page.fill("input[name=people_served]", "45")
    manager.page.set_input_files("input[name=photos]", files=[
        {"name": "1.jpg", "mimeType": "image/jpeg", "buffer": jpeg("teal")},
        {"name": "2.jpg", "mimeType": "image/jpeg", "buffer": jpeg("orange")}])
    manager.check_accessibility()
    manager.page.click("main form button.primary")
    manager.page.wait_for_url(re.compile(rf"/events/{office['day']}$"))
    assert manager.page.locator(".photo-grid img").count() == 2
    share = manager.page.inner_text("main code")
    manager.shot("office-8-activity-record")
    elder.page.goto(share)  # the link in the WeChat group
    assert "清理楼道杂物" in elder.page.inner_text("main") and "45" in elder.page.inner_text("main")
    for image in elder.page.locator(".photo-grid img").all():  # lazy images load once in view
        image.scroll_into_view_if_needed()
    elder.page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)", timeout=15_000)
    elder.check_accessibility()
    elder.shot("office-9-shared-record")

    # 6. The month's statistics, on screen and as Excel.
    admin = screens("county", DESKTOP)
    admin.login("13900000001", PASSWORD)
    admin.go(f"/nodes/{office['centre']}/statistics?period=2026-11&by=station")
    assert admin.page.locator("figure.chart canvas").count() == 1 and "城南社区实践站" in admin.page.inner_text("main")
    admin.check_accessibility()
    admin.shot("office-10-statistics")
    with admin.page.expect_download() as download:
        admin.page.click("text=下载 Excel")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).worksheets[0]
    assert sheet["A2"].value == "城南社区实践站" and sheet["B2"].value == 1 and sheet["F2"].value == 45


ADMIN, MANAGER, SHOPKEEPER = "13900000000", "13900000002", "13900000003"
PHONE_PAGES = {
    ADMIN: ["/", "/my", "/roster", "/roster/import", "/roster/{volunteer}", "/announcements", "/announcements/new",
            "/events/{day}", "/events/{day}/record", "/events/{day}/rating", "/nodes/{centre}/statistics?period=2026",
            "/nodes/{station}", "/teams/{team}", "/merchants/{shop}", "/events/recurring",
            "/centres/{centre}/reports/national-hours", "/me/password"],
    MANAGER: ["/"],  # a station manager's home: today's days, approvals, requests, themes
    SHOPKEEPER: ["/", "/merchants/{shop}/offers/{offer}/edit"],
}


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_every_office_page_reads_on_a_phone(office, screens, browser, live, language):
    from volunteer_hub.extensions import db
    from volunteer_hub.people.models import User

    with live[1].app_context():
        volunteer = db.session.scalar(db.select(User.id).where(User.phone == "13800000001"))  # the team leader
    values = {**office, "volunteer": volunteer}
    for phone, paths in PHONE_PAGES.items():
        screen = Screen(browser, live[0], "phone", PHONE, language, live[1])
        try:
            screen.login(phone, PASSWORD)
            for number, path in enumerate(paths, start=1):
                url = path.format(**values)
                response = screen.go(url)
                assert response.status == 200, f"{url}: {response.status}"
                # A mobile browser widens its layout to fit what overflows: compare with the phone's own width.
                width = screen.page.evaluate("document.documentElement.scrollWidth")
                assert width <= PHONE["viewport"]["width"], f"{url}: {width} px wide"
                screen.check_accessibility()
                slug = re.sub(r"[^a-z0-9]+", "-", re.sub(r"\d+", "", url.split("?")[0])).strip("-")
                screen.shot(f"tour-{phone[-1]}{number:02d}-{slug}")
        finally:
            screen.close()
