"""The demo data set: one centre, 2 institutes, 4 stations, 3 teams, 30 volunteers, 2 merchants."""
from datetime import time, timedelta

import sqlalchemy as sa

from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.db import local_date, local_tz, utcnow
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services as merchants
from volunteer_hub.needs import services as needs
from volunteer_hub.nodes import services as nodes
from volunteer_hub.nodes.models import Node
from volunteer_hub.people import services as people
from volunteer_hub.teams import services as teams
from volunteer_hub.themes import services as themes

PASSWORD = "Demo2026"
CENTRE_CODE = "DEMO"

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹"
_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军"]


def _volunteer_name(i: int) -> str:
    return _SURNAMES[i % len(_SURNAMES)] + _GIVEN[i % len(_GIVEN)] + ("华" if i % 7 == 0 else "")


def load_demo() -> tuple[bool, list[tuple[str, str, str]]]:
    """Create the demo practice centre once; return (created, [(role, name, phone)])."""
    logins = [
        ("centre admin", "周主任", "13900000001"),
        ("station manager", "钱站长", "13900000002"),
        ("merchant staff", "孙店长", "13900000003"),
        ("volunteer", _volunteer_name(0), "13800000000"),
        ("resident", "吴阿姨", "13600000000"),
    ]
    if db.session.scalar(sa.select(Node.id).where(Node.code == CENTRE_CODE)):
        return False, logins

    root = people.create_admin(name="系统管理员", phone="13900000000", password=PASSWORD)
    centre = nodes.create_node(root, name="吴江区新时代文明实践中心", kind="centre", code=CENTRE_CODE,
                               address="苏州市吴江区中山南路 1979 号", lat=31.1605, lon=120.6453)
    admin = people.create_admin(name="周主任", phone="13900000001", password=PASSWORD, centre=centre)
    institutes = [
        nodes.create_node(admin, name=name, kind="institute", parent_id=centre.id, address=address)
        for name, address in [("松陵街道新时代文明实践所", "松陵街道"), ("盛泽镇新时代文明实践所", "盛泽镇")]
    ]
    station_specs = [
        (institutes[0], "城南社区新时代文明实践站", 31.150, 120.640),
        (institutes[0], "江城社区新时代文明实践站", 31.165, 120.655),
        (institutes[1], "黄家溪村新时代文明实践站", 30.900, 120.640),
        (institutes[1], "圣塘社区新时代文明实践站", 30.915, 120.660),
    ]
    stations = [
        nodes.create_node(admin, name=name, kind="station", parent_id=inst.id,
                          address=name.removesuffix("新时代文明实践站"), lat=lat, lon=lon)
        for inst, name, lat, lon in station_specs
    ]
    nodes.create_node(admin, name="城南社区文化广场实践点", kind="point", parent_id=stations[0].id)
    manager = people.create_user(name="钱站长", phone="13900000002", password=PASSWORD)
    people.appoint_manager(admin, stations[0], manager)

    volunteers = [
        people.register_volunteer(
            name=_volunteer_name(i), phone=f"138000000{i:02d}", password=PASSWORD,
            home_station_id=stations[i % 4].id, skills=[["摄影", "急救"], ["书法"], ["法律咨询"], []][i % 4],
        )
        for i in range(30)
    ]
    team_specs = [
        ("城南社区卫生环保志愿服务队", "environment", None, stations[0], volunteers[0]),
        ("江城社区理论政策宣讲队", "theory", None, stations[1], volunteers[1]),
        ("盛泽镇“红色管家”志愿服务队", "other", "红色管家", institutes[1], volunteers[2]),
    ]
    for name, category, custom, node, leader in team_specs:
        team = teams.create_team(admin, name=name, category=category, custom_category=custom,
                                 node_id=node.id, leader_id=leader.id)
        for member in volunteers[3:30:3] if category == "environment" else volunteers[4:30:5]:
            teams.request_to_join(member, team, member)
            teams.accept(leader, team, member)

    staff = people.create_user(name="孙店长", phone="13900000003", password=PASSWORD)
    shops = [("城南便民理发店", "城南社区菜场东侧", staff, stations[:2], ("理发一次", 5)),
             ("江城书屋", "江城路 88 号", None, stations[1:3], ("借阅卡一张", 2))]
    for i, (name, address, owner, paired, (offer, price)) in enumerate(shops):
        merchant = merchants.register_merchant(owner or admin, centre=centre, name=name, address=address, owner=owner,
                                               contact_phone=f"1390000001{i}", licence_no=f"91320509MA1DEMO{i:02d}X")
        merchants.approve(admin, merchant, [s.id for s in paired])
        if owner is None:  # staff join by accepting an invitation
            staff = people.create_user(name="江城店员", phone="13900000020", password=PASSWORD)
            merchants.answer_invitation(staff, merchants.invite_staff(admin, merchant, staff.phone), accept=True)
        clerk = owner or people.find_by_phone("13900000020")
        merchants.create_offer(clerk, merchant, title=offer, price=price, stock=50, monthly_limit=2)
    _last_saturday(manager, stations[0], volunteers[0:30:4])
    _coming_saturdays(admin, manager, centre, stations[0])
    resident = people.create_user(name="吴阿姨", phone="13600000000", password=PASSWORD)
    needs.submit(resident, node_id=stations[0].id, category="repair", description="独居老人家中灯泡坏了，需要帮忙更换",
                 address="城南社区 12 幢 301 室", wished_at=utcnow() + timedelta(days=2), contact_phone=resident.phone)
    return True, logins


def _coming_saturdays(admin, manager, centre, station) -> None:
    """The centre's unified themes for the next two Saturdays and the station's weekly service day,
    which the scheduler (``make run`` starts it) creates ahead and links to each week's theme."""
    today = local_date(utcnow())
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    for weeks, (title, guidance) in enumerate([("环境美化日", "清理楼道杂物、整治乱堆乱放"),
                                               ("文明劝导日", "路口劝导文明出行、文明养犬")]):
        # This week's is due at once (so the home pages show it); next week's waits for its Friday.
        themes.create_theme(admin, node_id=centre.id, title=title, held_on=saturday + timedelta(weeks=weeks),
                            guidance=guidance, places="小区出入口、农贸市场、主要路口",
                            publish_at=utcnow() if weeks == 0 else None)
    events.create_template(manager, node_id=station.id, title="周六志愿服务日", weekday=5, start_time=time(8, 30),
                           end_time=time(11, 30), capacity=30, credits_per_hour=2, lat=station.lat, lon=station.lon,
                           days_ahead=14)
    events.generate_from_templates()
    themes.publish_due()


def _last_saturday(manager, station, attendees) -> None:
    """A past service day with approved hours: the demo volunteers have hours and 文明良票 to redeem."""
    today = utcnow().astimezone(local_tz()).replace(
        hour=8, minute=30, second=0, microsecond=0)
    start = today - timedelta(days=(today.weekday() - 5) % 7 or 7)
    day = events.create_service_day(manager, node_id=station.id, title="环境美化日", starts_at=start,
                                    ends_at=start + timedelta(hours=3), capacity=30, credits_per_hour=2,
                                    now=start - timedelta(days=1))
    for volunteer in attendees:
        checkin.manual_entry(manager, day, phone=volunteer.phone, checked_in_at=start,
                             checked_out_at=start + timedelta(hours=3), reason="演示数据")
    checkin.approve(manager, day, "all")
