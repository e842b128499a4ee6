"""A whole Saturday in Chromium, once in Chinese and once in English: theme → service day → QR check-in
and out → approval → credits → redemption at the counter → a resident's request → the centre's reports.
Volunteers, merchant and resident on 390×844 phones, manager and centre admin on 1280×800 desktops; a
screenshot, an axe-core check and a check for the other language's words at every step."""
import base64
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.e2e.conftest import DESKTOP, PHONE

PASSWORD = "Passw0rd!"
SATURDAY = date(2026, 11, 28)
CHECK_IN = datetime(2026, 11, 28, 0, 35, tzinfo=UTC)  # 08:35 in Asia/Shanghai


@pytest.fixture(scope="module", params=["zh-CN", "en"])
def site_language(request):
    return request.param


@pytest.fixture(scope="module")
def town(live):
    """A centre with one station, its manager, a team and its leader, a volunteer, a merchant with an
    offer, a resident, and this Saturday's unified theme, published."""
    from volunteer_hub.extensions import db
    from volunteer_hub.merchants import services as merchants
    from volunteer_hub.nodes import services as nodes
    from volunteer_hub.people import services as people
    from volunteer_hub.teams import services as teams
    from volunteer_hub.themes import services as themes

    _base, app = live
    with app.app_context():
        root = people.create_admin(name="平台管理员", phone="13900000000", password=PASSWORD)
        centre = nodes.create_node(root, name="吴江区新时代文明实践中心", kind="centre", code="WJ")
        institute = nodes.create_node(root, name="松陵街道实践所", kind="institute", parent_id=centre.id)
        station = nodes.create_node(root, name="城南社区实践站", kind="station", parent_id=institute.id)
        centre_admin = people.create_admin(name="周主任", phone="13900000001", password=PASSWORD, centre=centre)
        manager = people.create_user(name="钱站长", phone="13900000002", password=PASSWORD)
        people.appoint_manager(root, station, manager)
        leader = people.register_volunteer(name="李队长", phone="13800000001", password=PASSWORD,
                                           home_station_id=station.id)
        team = teams.create_team(manager, name="城南卫生环保队", category="environment", node_id=station.id,
                                 leader_id=leader.id)
        people.register_volunteer(name="王小明", phone="13800000002", password=PASSWORD, home_station_id=station.id)
        owner = people.create_user(name="孙店长", phone="13900000003", password=PASSWORD)
        shop = merchants.register_merchant(owner, centre=centre, owner=owner, name="城南便民理发店", address="菜场东侧",
                                           contact_phone="13900000003", licence_no="91320509MA1E2E000X")
        merchants.approve(centre_admin, shop, [station.id])
        offer = merchants.create_offer(owner, shop, title="理发一次", price=2, stock=5)
        people.create_user(name="吴阿姨", phone="13600000000", password=PASSWORD)
        themes.create_theme(centre_admin, node_id=centre.id, title="环境美化日", held_on=SATURDAY,
                            guidance="清理楼道杂物，整治乱堆乱放")
        themes.publish_due()
        db.session.commit()
        return {"centre": centre.id, "station": station.id, "team": team.id, "offer": offer.id}


@pytest.fixture(scope="module")
def state(town):
    """What one step leaves for the next (the day's id, the balance), for this language's run."""
    return {}


def db_scalar(live, query):
    from volunteer_hub.extensions import db

    with live[1].app_context():
        return db.session.scalar(query)


def qr_url(screen, day_id: int) -> str:
    """Read the check-in screen's QR image as a phone camera would: decode the PNG itself."""
    import zxingcpp
    from PIL import Image

    screen.go(f"/events/{day_id}/screen")
    if "/login" in screen.page.url:  # the manager's session timed out since: log in again
        screen.login("13900000002", PASSWORD)
        screen.go(f"/events/{day_id}/screen")
    src = screen.page.get_attribute("img.qr", "src")
    image = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
    [result] = zxingcpp.read_barcodes(image)
    return result.text


def step_1_manager_sees_the_theme_creates_the_day_and_opens_the_screen(town, screens, state, live):
    manager = screens("manager", DESKTOP)
    manager.login("13900000002", PASSWORD)
    assert "环境美化日" in manager.page.inner_text("main")  # this week's unified theme on the home page
    manager.shot("1a-home")
    manager.check_accessibility()
    manager.page.click("text=环境美化日")
    manager.page.click("a[href^='/events/new']")
    assert manager.page.input_value("input[name=title]") == "环境美化日"
    manager.page.fill("input[name=starts_at]", "2026-11-28T08:30")
    manager.page.fill("input[name=ends_at]", "2026-11-28T11:30")
    manager.page.fill("input[name=capacity]", "20")
    manager.page.select_option("select[name=team_ids]", str(town["team"]))
    manager.page.fill("input[name=credits_per_hour]", "1")
    manager.check_accessibility()
    manager.shot("1b-new-service-day")
    manager.page.click("main form button[type=submit].primary")
    manager.page.wait_for_url(re.compile(r"/events/\d+$"))
    state["day"] = int(manager.page.url.rsplit("/", 1)[1])
    manager.page.click(f"a[href='/events/{state['day']}/screen']")
    assert manager.page.is_visible("img.qr")
    manager.check_accessibility()
    manager.shot("1c-check-in-screen")


def step_2_volunteer_signs_up_and_checks_in_and_out_by_scanning(town, screens, state, live, clock):
    from volunteer_hub.checkin.models import Attendance

    volunteer = screens("volunteer", PHONE)
    volunteer.login("13800000002", PASSWORD)
    volunteer.go(f"/events/{state['day']}")
    volunteer.page.click(f"form[action='/events/{state['day']}/signup'] button")
    assert volunteer.say("报名成功", "You are signed up") in volunteer.page.inner_text("body")
    volunteer.check_accessibility()
    volunteer.shot("2a-signed-up")
    volunteer.go("/")  # the home page leads with the day ahead and the scan button
    assert volunteer.say("下一次服务", "Your next service day") in volunteer.page.inner_text("main")
    assert volunteer.page.is_visible("a.big-scan")
    assert volunteer.page.is_visible("nav.tabbar")
    volunteer.check_accessibility()
    volunteer.shot("2a-home")

    clock.move_to(CHECK_IN)
    url = qr_url(screens("manager", DESKTOP), state["day"])
    assert url.startswith(volunteer.base + "/c/")
    volunteer.page.goto(url)
    volunteer.page.wait_for_load_state("networkidle")
    volunteer.check_accessibility()
    volunteer.shot("2b-checked-in")
    status = sa.select(Attendance.status).where(Attendance.service_day_id == state["day"])
    assert db_scalar(live, status) == "open"
    manager = screens("manager", DESKTOP)
    manager.go("/")  # today's day with its live count
    today = manager.page.inner_text(f"section.card:has(a[href='/events/{state['day']}/attendance'])")
    assert manager.say("1 人在岗", "1 on site") in today, today
    manager.shot("2b-manager-home")
    leader = screens("leader", PHONE)  # the day has begun: its sign-up deadline is past
    leader.login("13800000001", PASSWORD)
    leader.go(f"/events/{state['day']}")
    assert leader.page.locator(f"form[action='/events/{state['day']}/signup']").count() == 0
    leader.shot("2b-after-the-deadline")

    clock.move_to(CHECK_IN + timedelta(hours=3))
    volunteer.page.goto(qr_url(screens("manager", DESKTOP), state["day"]))
    volunteer.page.wait_for_load_state("networkidle")
    volunteer.shot("2c-checked-out")
    assert db_scalar(live, status) == "closed"


def step_3_manager_approves_and_the_volunteer_sees_credits_and_stars(town, screens, state, live):
    manager = screens("manager", DESKTOP)
    manager.go(f"/events/{state['day']}/attendance")
    manager.check_accessibility()
    manager.page.click("button[name=all]")
    manager.shot("3a-approved")
    volunteer = screens("volunteer", PHONE)
    volunteer.go("/me/hours")
    text = volunteer.page.inner_text("main")
    assert "2.5" in text  # 08:35 to 11:35, clipped to the 11:30 end, in 30-minute steps
    volunteer.check_accessibility()
    volunteer.shot("3b-my-hours")
    from volunteer_hub.credits.models import CreditAccount

    balance = db_scalar(live, sa.select(CreditAccount.balance).where(CreditAccount.kind == "wallet"))
    assert balance > 0
    state["balance"] = balance


def step_4_volunteer_redeems_and_the_merchant_confirms_at_the_counter(town, screens, state, live):
    from volunteer_hub.credits.models import CreditAccount
    from volunteer_hub.merchants.models import Offer

    volunteer = screens("volunteer", PHONE)
    volunteer.go("/offers")
    volunteer.check_accessibility()
    volunteer.page.click(f"form[action='/offers/{town['offer']}/redeem'] button")
    code = volunteer.page.inner_text("p.big-state").strip()
    assert len(code) == 8
    volunteer.check_accessibility()
    volunteer.shot("4a-voucher")

    merchant = screens("merchant", PHONE)
    merchant.login("13900000003", PASSWORD)
    assert merchant.page.is_visible("a.big-scan[href='/merchant']")  # the merchant's home: scan to redeem
    assert "/teams" not in merchant.page.inner_html("main")  # nothing about joining a team
    merchant.shot("4b-merchant-home")
    merchant.go("/merchant")
    merchant.page.fill("input[name=code]", code.lower())
    merchant.page.click("main form button[type=submit]")
    assert "理发一次" in merchant.page.inner_text("main")
    merchant.check_accessibility()
    merchant.shot("4b-counter")
    merchant.page.click("form button.primary.big")
    merchant.shot("4c-confirmed")

    wallet = sa.select(CreditAccount.balance).where(CreditAccount.kind == "wallet")
    assert db_scalar(live, wallet) == state["balance"] - 4  # 2 credits in half-credit units
    assert db_scalar(live, sa.select(Offer.stock).where(Offer.id == town["offer"])) == 4
    merchant.go("/merchant")
    assert merchant.say("今日核销 (1)", "Today's redemptions (1)") in merchant.page.inner_text("main")
    volunteer.page.reload()
    volunteer.shot("4d-voucher-after")
    volunteer.go("/me/vouchers")  # 我的兑换券: the redeemed voucher, found again
    assert code in volunteer.page.inner_text("main") and volunteer.say("已核销", "redeemed") in \
        volunteer.page.inner_text("main")
    volunteer.check_accessibility()
    volunteer.shot("4e-my-vouchers")


def step_5_a_resident_request_is_dispatched_accepted_served_and_rated(town, screens, state, live, clock):
    from volunteer_hub.needs.models import Need

    resident = screens("resident", PHONE)
    resident.login("13600000000", PASSWORD)
    assert resident.page.is_visible("a[href='/needs/new']")  # the resident's home: ask for help
    assert "/teams" not in resident.page.inner_html("main")
    resident.go("/needs/new")
    categories = resident.page.locator("select[name=category] option").all_inner_texts()
    assert resident.say("维修", "Repairs") in categories and not any("扶贫" in c for c in categories)
    resident.page.select_option("select[name=category]", "repair")
    resident.page.fill("textarea[name=description]", "独居老人家中灯泡坏了，需要帮忙更换")
    resident.page.fill("input[name=address]", "城南社区 12 幢 301 室")
    resident.page.fill("input[name=wished_at]", "2026-11-29T09:00")
    resident.check_accessibility()
    resident.shot("5a-ask")
    resident.page.click("main form button[type=submit].primary")
    resident.page.wait_for_url(re.compile(r"/needs/\d+$"))
    need_id = int(resident.page.url.rsplit("/", 1)[1])

    manager = screens("manager", DESKTOP)
    manager.go(f"/nodes/{town['station']}/needs")
    manager.check_accessibility()
    manager.go(f"/needs/{need_id}")
    manager.page.select_option("select[name=d-team_id]", str(town["team"]))
    manager.page.fill("input[name=d-accept_by]", "2026-11-28T20:00")
    manager.page.click(f"form[action='/needs/{need_id}/dispatch'] button")
    manager.shot("5b-dispatched")

    leader = screens("leader", PHONE)
    leader.login("13800000001", PASSWORD)
    leader.go(f"/needs/{need_id}")
    leader.check_accessibility()
    leader.page.click(f"form[action='/needs/{need_id}/accept'] button")
    leader.shot("5c-accepted")
    clock.move_to(datetime(2026, 11, 29, 3, 0, tzinfo=UTC))  # Sunday 11:00, after the service
    leader.page.reload()
    leader.page.click(f"form[action='/needs/{need_id}/complete'] button")

    resident.page.reload()
    resident.page.select_option("select[name=v-rating]", "5")
    resident.page.fill("textarea[name=v-comment]", "很及时，谢谢")
    resident.page.click(f"form[action='/needs/{need_id}/review'] button")
    resident.check_accessibility()
    resident.shot("5d-rated")
    assert db_scalar(live, sa.select(Need.state).where(Need.id == need_id)) == "reviewed"
    resident.go("/")  # the step tracker: 点单 → 派单 → 接单 → 评单, all reached
    assert resident.page.locator("ol.steps li.done").count() == 4
    resident.shot("5e-resident-home")


def step_6_the_centre_admin_reads_the_weekly_report_and_the_credits_chart(town, screens, state, live):
    admin = screens("admin", DESKTOP)
    admin.login("13900000001", PASSWORD)
    admin.go(f"/centres/{town['centre']}/reports/weekly?week=2026-11-23")
    assert "城南社区实践站" in admin.page.inner_text("main")
    admin.check_accessibility()
    admin.shot("6a-weekly-report")
    admin.go(f"/centres/{town['centre']}/credits")
    assert admin.page.is_visible("figure.chart canvas")
    assert admin.page.title().startswith(admin.say("文明良票统计", "Civility credits report"))
    admin.check_accessibility()
    admin.shot("6b-credits")
    phone = screens("admin-phone", PHONE)
    phone.login("13900000001", PASSWORD)
    phone.go(f"/centres/{town['centre']}/reports/weekly?week=2026-11-23")
    phone.shot("6c-weekly-report")


def step_7_error_pages_in_both_languages_show_no_trace(town, screens, live):
    visitor = screens("visitor", PHONE)
    response = visitor.go("/no/such/page")
    assert response.status == 404 and "Traceback" not in visitor.page.content()
    first = visitor.page.inner_text("main")
    visitor.check_accessibility()
    visitor.shot("7a-not-found")
    other = "en" if visitor.language == "zh-CN" else "zh-CN"
    with visitor.page.expect_navigation():  # the switch is a POST: let it finish before the next page
        visitor.page.click(f"footer button[lang={other}]")
    visitor.language = other
    visitor.go("/no/such/page")
    assert visitor.page.inner_text("main") != first and visitor.page.get_attribute("html", "lang") == other
    visitor.check_accessibility()
    visitor.go("/login")
    visitor.page.click("main form button[type=submit]")  # empty form: errors beside the inputs
    assert visitor.page.locator(".error").count() >= 1
    visitor.check_accessibility()
    visitor.shot("7b-login-errors-switched")


def test_a_whole_saturday(town, screens, state, live, clock):
    """The steps in order, in one test: each leaves the next what it needs, so no test runner may split them."""
    step_1_manager_sees_the_theme_creates_the_day_and_opens_the_screen(town, screens, state, live)
    step_2_volunteer_signs_up_and_checks_in_and_out_by_scanning(town, screens, state, live, clock)
    step_3_manager_approves_and_the_volunteer_sees_credits_and_stars(town, screens, state, live)
    step_4_volunteer_redeems_and_the_merchant_confirms_at_the_counter(town, screens, state, live)
    step_5_a_resident_request_is_dispatched_accepted_served_and_rated(town, screens, state, live, clock)
    step_6_the_centre_admin_reads_the_weekly_report_and_the_credits_chart(town, screens, state, live)
    step_7_error_pages_in_both_languages_show_no_trace(town, screens, live)
