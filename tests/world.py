"""A small practice centre built through the services, as a user would build it.

centre C ── institute I1 ── station S1 ── point P1
        │                └─ station S2
        └─ institute I2 ── station S3
"""
from dataclasses import dataclass

from volunteer_hub.extensions import db
from volunteer_hub.nodes import services as nodes
from volunteer_hub.people import services as people
from volunteer_hub.teams import services as teams


@dataclass
class World:
    PASSWORD = "Passw0rd!"

    admin: object
    centre: object
    i1: object
    i2: object
    s1: object
    s2: object
    s3: object
    p1: object
    centre_admin: object
    i1_manager: object
    s1_manager: object
    s2_manager: object
    leader: object
    volunteer: object
    s2_volunteer: object
    outsider: object
    team: object

    @classmethod
    def build(cls) -> "World":
        pw = cls.PASSWORD
        admin = people.create_admin(name="平台管理员", phone="13900000000", password=pw)
        centre = nodes.create_node(admin, name="测试区新时代文明实践中心", kind="centre", code="T")
        i1 = nodes.create_node(admin, name="一号实践所", kind="institute", parent_id=centre.id)
        i2 = nodes.create_node(admin, name="二号实践所", kind="institute", parent_id=centre.id)
        s1 = nodes.create_node(admin, name="东门社区实践站", kind="station", parent_id=i1.id, lat=31.0, lon=120.0)
        s2 = nodes.create_node(admin, name="西门社区实践站", kind="station", parent_id=i1.id)
        s3 = nodes.create_node(admin, name="南湖村实践站", kind="station", parent_id=i2.id)
        p1 = nodes.create_node(admin, name="东门广场实践点", kind="point", parent_id=s1.id)
        centre_admin = people.create_admin(name="中心管理员", phone="13900000001", password=pw, centre=centre)
        managers = []
        for phone, name, node in [("13900000002", "所长", i1), ("13900000003", "东门站长", s1),
                                  ("13900000004", "西门站长", s2)]:
            user = people.create_user(name=name, phone=phone, password=pw)
            people.appoint_manager(admin, node, user)
            managers.append(user)
        leader = people.register_volunteer(name="队长", phone="13700000001", password=pw, home_station_id=s1.id)
        volunteer = people.register_volunteer(name="志愿者甲", phone="13700000002", password=pw, home_station_id=s1.id)
        s2_volunteer = people.register_volunteer(name="志愿者乙", phone="13700000003", password=pw,
                                                 home_station_id=s2.id)
        outsider = people.create_user(name="居民", phone="13600000001", password=pw)
        team = teams.create_team(managers[1], name="东门卫生环保队", category="environment", node_id=s1.id,
                                 leader_id=leader.id)
        db.session.commit()
        return cls(admin, centre, i1, i2, s1, s2, s3, p1, centre_admin, *managers, leader, volunteer,
                   s2_volunteer, outsider, team)
