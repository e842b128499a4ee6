"""Every endpoint × every role: who is let in, who gets 401/403/404 (or the log-in page).

The table below must name every rule of the URL map, method by method: a new endpoint without
a row fails the test. Each request runs on the same small practice centre, restored from a
snapshot after every request that may write, so one role's change never decides another's answer.
A role that is let in must get a documented answer: for the API a success or validation error that
the OpenAPI document lists for that operation, for a page a success or a form error; no role may
ever get a 5xx. It runs on SQLite and PostgreSQL: a crash can be one database's alone.
"""
import io
import os
import re
import time
from datetime import time as time_of_day
from datetime import timedelta

import pytest
from PIL import Image

from tests.snapshot import Snapshot
from tests.world import World
from volunteer_hub.announcements import services as announcements
from volunteer_hub.certificates import services as certificates
from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.db import local_date, utcnow
from volunteer_hub.credits import services as credits
from volunteer_hub.events import covers, records
from volunteer_hub.events import services as events
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services as merchants
from volunteer_hub.needs import services as needs
from volunteer_hub.notifications import services as notifications
from volunteer_hub.notifications.models import Notification
from volunteer_hub.people import logins, verification
from volunteer_hub.people import services as people
from volunteer_hub.roster import imports
from volunteer_hub.teams import services as teams
from volunteer_hub.themes import services as themes
from volunteer_hub.vouchers import services as vouchers

PNG = b"\x89PNG\r\n\x1a\n" + bytes(32)


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(out, "JPEG")
    return out.getvalue()

ROLES = ("anonymous", "volunteer", "other_volunteer", "leader", "manager", "sibling_manager", "staff",
         "other_staff", "centre_admin", "platform_admin")
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
NOBODY = frozenset()
VOLUNTEERS = frozenset({"volunteer", "other_volunteer", "leader"})


def only(*roles):
    return frozenset(roles)


# The platform admin manages every node; the centre admin the centre and everything under it.
S1_RUNNERS = only("manager", "centre_admin", "platform_admin")      # manage station S1
DAY_RUNNERS = S1_RUNNERS | {"leader"}                  # run the service day: its node's managers, its team's leader
ADMIN = only("centre_admin", "platform_admin")
MANAGERS = S1_RUNNERS | {"sibling_manager"}            # manage some node under the centre
SHOP = only("staff") | ADMIN                   # merchant A's staff, and the centre admin over it
S2_CERTIFIERS = only("sibling_manager") | ADMIN  # manage station S2, where S2's volunteer is certified


class Scene:
    """The practice centre of tests/world.py plus one of everything an endpoint can point at."""

    def __init__(self, world: World):
        self.w = w = world
        now = utcnow().replace(microsecond=0)
        start = now + timedelta(hours=1)
        self.day = events.create_service_day(
            w.s1_manager, node_id=w.s1.id, title="周六环境美化日", team_ids=[w.team.id], starts_at=start,
            ends_at=start + timedelta(hours=3), capacity=10, credits_per_hour=2, lat=31.0, lon=120.0)
        past = now - timedelta(days=2)
        self.past_day = events.create_service_day(
            w.s1_manager, node_id=w.s1.id, title="上周服务日", team_ids=[w.team.id], starts_at=past,
            ends_at=past + timedelta(hours=2), capacity=10, now=past - timedelta(days=1))
        events.sign_up(w.volunteer, self.day)
        opened = now - timedelta(minutes=10)
        self.running_day = events.create_service_day(
            w.s1_manager, node_id=w.s1.id, title="正在进行的服务日", team_ids=[w.team.id], starts_at=opened,
            ends_at=opened + timedelta(hours=3), capacity=10, lat=31.0, lon=120.0, now=opened - timedelta(days=1))
        events.sign_up(w.volunteer, self.running_day, now=opened - timedelta(hours=1))
        # An approved record to reverse (S2's volunteer), approved before the volunteer's is entered.
        self.attendance = checkin.manual_entry(w.s1_manager, self.past_day, phone=w.s2_volunteer.phone,
                                               checked_in_at=past, checked_out_at=past + timedelta(hours=2),
                                               reason="补录")
        checkin.approve(w.centre_admin, self.past_day, "all")
        checkin.manual_entry(w.s1_manager, self.past_day, phone=w.volunteer.phone, checked_in_at=past,
                             checked_out_at=past + timedelta(hours=2), reason="补录")
        self.template = events.create_template(
            w.s1_manager, node_id=w.s1.id, title="每周六服务", weekday=5, start_time=time_of_day(8, 30),
            end_time=time_of_day(10, 30), capacity=20)  # fixed hours: now + 2 h would cross midnight late in the day
        self.staff = people.create_user(name="店长甲", phone="13611110001", password=World.PASSWORD)
        self.shop = merchants.register_merchant(self.staff, centre=w.centre, owner=self.staff, name="东门理发店",
                                                address="东门路 1 号", contact_phone="13611110001",
                                                licence_no="91320509MA1AAAA01X")
        merchants.approve(w.centre_admin, self.shop, [w.s1.id])
        self.other_staff = people.create_user(name="店长乙", phone="13611110002", password=World.PASSWORD)
        self.other_shop = merchants.register_merchant(
            self.other_staff, centre=w.centre, owner=self.other_staff, name="南湖书屋", address="南湖村",
            contact_phone="13611110002", licence_no="91320509MA1AAAA02X")
        merchants.approve(w.centre_admin, self.other_shop, [w.s3.id])
        self.pending_shop = merchants.register_merchant(
            w.outsider, centre=w.centre, owner=w.outsider, name="待审小店", address="西门路",
            contact_phone="13600000001", licence_no="91320509MA1AAAA03X")
        self.offer = merchants.create_offer(self.staff, self.shop, title="理发一次", price=2, stock=10)
        self.clerk = people.create_user(name="店员丙", phone="13611110003", password=World.PASSWORD)
        merchants.answer_invitation(self.clerk, merchants.invite_staff(self.staff, self.shop, self.clerk.phone),
                                    accept=True)
        self.invitation = merchants.invite_staff(self.staff, self.shop, w.volunteer.phone)
        # Codes live 5 minutes; these are dated an hour ahead so that they last a slow run.
        ahead = now + timedelta(hours=1)
        self.register_code = verification.request_code("13512340000", "register", now=ahead)
        self.reset_code = verification.request_code(w.volunteer.phone, "reset", now=ahead)
        self.certificate = certificates.issue(w.s2_volunteer, w.s2_volunteer)
        credits.adjust(w.centre_admin, w.volunteer, 10, "表彰")
        self.grant_request = credits.adjust(w.i1_manager, w.volunteer, 60, "年度表彰")  # above 50 a day: waits
        self.voucher = vouchers.create(w.volunteer, self.offer)
        self.need = needs.submit(w.outsider, node_id=w.s1.id, category="repair", description="楼道堆物需要清理",
                                 address="东门小区 1 幢", wished_at=now + timedelta(days=2),
                                 contact_phone="13600000001", photos=[PNG])
        self.dispatched = needs.submit(w.outsider, node_id=w.s1.id, category="repair",
                                       description="清理楼道小广告", address="东门小区 2 幢",
                                       wished_at=now + timedelta(days=3),
                                       contact_phone="13600000001")
        needs.dispatch(w.s1_manager, self.dispatched, team_id=w.team.id, accept_by=now + timedelta(days=1))
        self.theme = themes.create_theme(w.centre_admin, node_id=w.centre.id, title="文明劝导日",
                                         held_on=local_date(now) + timedelta(days=14), poster=PNG)
        teams.request_to_join(w.s2_volunteer, w.team, w.s2_volunteer)
        teams.request_to_join(w.volunteer, w.team, w.volunteer)
        teams.accept(w.leader, w.team, w.volunteer)
        notifications.configure_webhook(w.centre_admin, w.centre, url="https://sms.example.com/hook")
        self.record = records.save_record(w.leader, self.running_day, summary="清理楼道", people_served=3,
                                          photos=[_jpeg()])
        self.announcement = announcements.send(w.s1_manager, audience="day", target_id=self.day.id, title="周六见",
                                               body="8:20 到场")
        self.upload = imports.upload(w.s1_manager, "姓名,手机号,所属站点\n新人,13512349999,东门社区实践站\n".encode(),
                                     "名册.csv")
        notifications.notify(db.select(db.literal(w.volunteer.id)), key="matrix", kind="theme", title="测试消息")
        covers.set_cover(w.s1_manager, self.running_day, _jpeg())
        db.session.commit()
        self.users = {"platform_admin": w.admin, "volunteer": w.volunteer, "other_volunteer": w.s2_volunteer,
                      "leader": w.leader, "manager": w.s1_manager, "sibling_manager": w.s2_manager, "staff": self.staff,
                      "other_staff": self.other_staff, "centre_admin": w.centre_admin}
        self.tokens = {role: people.issue_token(user)[0] for role, user in self.users.items()}
        db.session.commit()
        self.photo_id = self.need.photos[0].id
        self.record_photo_id = self.record.photos[0].id
        self.message_id = db.session.scalar(db.select(Notification.id).where(Notification.user_id == w.volunteer.id))

    @property
    def reset_link(self) -> str:
        """A reset link for the volunteer, as their station's manager hands it over."""
        return logins.reset_link_token(self.w.volunteer)

    @property
    def checkin_token(self) -> str:
        """The running day's code as its screen shows it now: a code rotates every 30 s, and the matrix
        takes longer than that on a busy machine."""
        return checkin.rotating_token(self.running_day)[0]


def _local(dt) -> str:
    from volunteer_hub.core.db import local_tz

    return dt.astimezone(local_tz()).strftime("%Y-%m-%dT%H:%M")


def _soon(days=3):
    return utcnow().replace(microsecond=0) + timedelta(days=days)


def _application(s):
    return {"centre_id": s.w.centre.id, "name": "新商户", "address": "东门路 9 号", "contact_phone": "13511112222",
            "licence_no": "91320509MA1BBBB01X"}


def _new_staff(s):
    return {"phone": "13511113333"}


def _new_volunteer(s):
    return {"name": "新志愿者", "phone": "13512340000", "code": s.register_code, "password": "Lanterns42",
            "home_station_id": s.w.s1.id}


# "endpoint METHOD": (URL from the scene, body (JSON for /api, form fields for pages), roles let in).
# A body is a function of the scene so that ids and times are real; a role let in may still get a
# 409 or 422 (the state of the scene), but never 401, 403, 404 or the log-in page.
TABLE = {
    # --- people -----------------------------------------------------------------------------------
    "api-docs.openapi_json GET": (lambda s: "/api/v1/openapi.json", None, EVERYONE),
    "people_api.Token POST": (lambda s: "/api/v1/auth/token",
                              lambda s: {"phone": s.w.volunteer.phone, "password": World.PASSWORD}, EVERYONE),
    "people_api.Token DELETE": (lambda s: "/api/v1/auth/token", None, SIGNED_IN),
    "people_api.Volunteers POST": (lambda s: "/api/v1/volunteers", _new_volunteer, EVERYONE),
    "people_api.Me GET": (lambda s: "/api/v1/me", None, SIGNED_IN),
    "people_api.Me PATCH": (lambda s: "/api/v1/me", lambda s: {"name": "改个名"}, SIGNED_IN),
    "home.index GET": (lambda s: "/", None, EVERYONE),
    "people.login GET": (lambda s: "/login", None, EVERYONE),
    "people.login POST": (lambda s: "/login", lambda s: {"phone": s.w.volunteer.phone, "password": World.PASSWORD},
                          EVERYONE),
    "people.logout POST": (lambda s: "/logout", None, EVERYONE),
    "people.logout_everywhere POST": (lambda s: "/logout-everywhere", None, SIGNED_IN),
    "people.change_password GET": (lambda s: "/me/password", None, SIGNED_IN),
    "people.change_password POST": (lambda s: "/me/password", lambda s: {
        "current_password": World.PASSWORD, "new_password": "Lanterns44"}, SIGNED_IN),
    "people_api.change_password POST": (lambda s: "/api/v1/me/password", lambda s: {
        "current_password": World.PASSWORD, "new_password": "Lanterns44"}, SIGNED_IN),
    "people_api.end_sessions DELETE": (lambda s: "/api/v1/me/sessions", None, SIGNED_IN),
    "people.profile GET": (lambda s: "/me", None, SIGNED_IN),
    "people.profile POST": (lambda s: "/me", lambda s: {"name": "改个名", "home_station_id": s.w.s1.id}, SIGNED_IN),
    "people.set_language POST": (lambda s: "/lang/en", None, EVERYONE),
    "people.signup GET": (lambda s: "/signup", None, EVERYONE),
    "people.phone_code POST": (lambda s: "/phone-code",
                               lambda s: {"sms-phone": "13512340001", "sms-purpose": "register"}, EVERYONE),
    "people.password_reset GET": (lambda s: "/password-reset", None, EVERYONE),
    "people.password_reset POST": (lambda s: "/password-reset", lambda s: {
        "phone": s.w.volunteer.phone, "code": s.reset_code, "password": "Lanterns43"}, EVERYONE),
    "people_api.phone_code POST": (lambda s: "/api/v1/auth/phone-codes",
                                   lambda s: {"phone": "13512340001", "purpose": "register"}, EVERYONE),
    "people_api.password_reset POST": (lambda s: "/api/v1/auth/password-reset", lambda s: {
        "phone": s.w.volunteer.phone, "code": s.reset_code, "password": "Lanterns43"}, EVERYONE),
    "people.signup POST": (lambda s: "/signup", _new_volunteer, EVERYONE),
    # --- nodes ------------------------------------------------------------------------------------
    "nodes_api.Nodes GET": (lambda s: "/api/v1/nodes", None, SIGNED_IN),
    "nodes_api.Nodes POST": (lambda s: "/api/v1/nodes",
                             lambda s: {"name": "新实践点", "kind": "point", "parent_id": s.w.s1.id}, S1_RUNNERS),
    "nodes_api.NodeById GET": (lambda s: f"/api/v1/nodes/{s.w.s1.id}", None, SIGNED_IN),
    "nodes_api.NodeById PATCH": (lambda s: f"/api/v1/nodes/{s.w.s1.id}", lambda s: {"address": "东门路 9 号"},
                                 S1_RUNNERS),
    "home.edit_node POST": (lambda s: f"/nodes/{s.w.s1.id}/edit", lambda s: {
        "name": "东门社区实践站", "address": "东门路 9 号", "parent_id": s.w.i1.id}, S1_RUNNERS),
    "nodes_api.CentreSettings GET": (lambda s: f"/api/v1/centres/{s.w.centre.id}/settings", None, ADMIN),
    "nodes_api.CentreSettings PUT": (lambda s: f"/api/v1/centres/{s.w.centre.id}/settings",
                                     lambda s: {"default_credits_per_hour": 2}, ADMIN),
    "nodes.settings GET": (lambda s: f"/centres/{s.w.centre.id}/settings", None, ADMIN),
    "nodes.settings POST": (lambda s: f"/centres/{s.w.centre.id}/settings", lambda s: {
        "default_credits_per_hour": 2, "max_credits_per_hour": 10, "back_entry_days": 30, "max_day_hours": 12,
        "review_entry_hours": 8, "review_grant_credits": 50, "star_1": 100, "star_2": 300, "star_3": 600,
        "star_4": 1000, "star_5": 1500}, ADMIN),
    "people_api.NodeManagers GET": (lambda s: f"/api/v1/nodes/{s.w.s1.id}/managers", None, S1_RUNNERS),
    "people_api.NodeManagers POST": (lambda s: f"/api/v1/nodes/{s.w.s1.id}/managers",
                                    lambda s: {"user_id": s.w.leader.id}, S1_RUNNERS),
    "people_api.NodeManager DELETE": (lambda s: f"/api/v1/nodes/{s.w.s1.id}/managers/{s.w.s1_manager.id}", None,
                                     ADMIN),
    "nodes.tree GET": (lambda s: "/nodes", None, MANAGERS),
    "home.node GET": (lambda s: f"/nodes/{s.w.s1.id}", None, S1_RUNNERS),
    "home.add_child POST": (lambda s: f"/nodes/{s.w.s1.id}/children",
                             lambda s: {"name": "新实践点", "kind": "point"}, S1_RUNNERS),
    "home.add_manager POST": (lambda s: f"/nodes/{s.w.s1.id}/managers", lambda s: {"phone": s.w.leader.phone},
                               S1_RUNNERS),
    "home.revoke_manager POST": (lambda s: f"/nodes/{s.w.s1.id}/managers/{s.w.s1_manager.id}/revoke", None,
                                  ADMIN),
    # --- teams ------------------------------------------------------------------------------------
    "teams_api.Teams GET": (lambda s: "/api/v1/teams", None, SIGNED_IN),
    "teams_api.Teams POST": (lambda s: "/api/v1/teams", lambda s: {
        "name": "东门助老队", "category": "health", "node_id": s.w.s1.id, "leader_id": s.w.volunteer.id}, S1_RUNNERS),
    "teams_api.TeamById PATCH": (lambda s: f"/api/v1/teams/{s.w.team.id}", lambda s: {"description": "每周六清理河道"},
                                 S1_RUNNERS | {"leader"}),
    "teams.edit POST": (lambda s: f"/teams/{s.w.team.id}/edit", lambda s: {"name": s.w.team.name,
                                                                           "description": "每周六清理河道"},
                        S1_RUNNERS | {"leader"}),
    "teams_api.TeamById GET": (lambda s: f"/api/v1/teams/{s.w.team.id}", None, SIGNED_IN),
    "teams_api.Members GET": (lambda s: f"/api/v1/teams/{s.w.team.id}/members", None, SIGNED_IN),
    "teams_api.Members POST": (lambda s: f"/api/v1/teams/{s.w.team.id}/members",
                               lambda s: {"user_id": s.w.s2_volunteer.id}, DAY_RUNNERS | {"other_volunteer"}),
    "teams_api.accept POST": (lambda s: f"/api/v1/teams/{s.w.team.id}/members/{s.w.s2_volunteer.id}/accept", None,
                              DAY_RUNNERS),
    # The one who asked to join may take the request back.
    "teams_api.decline POST": (lambda s: f"/api/v1/teams/{s.w.team.id}/members/{s.w.s2_volunteer.id}/decline",
                               None, DAY_RUNNERS | {"other_volunteer"}),
    "teams_api.remove DELETE": (lambda s: f"/api/v1/teams/{s.w.team.id}/members/{s.w.volunteer.id}", None,
                                DAY_RUNNERS | {"volunteer"}),
    "teams.index GET": (lambda s: "/teams", None, SIGNED_IN),
    "teams.new GET": (lambda s: "/teams/new", None, MANAGERS),
    "teams.new POST": (lambda s: "/teams/new", lambda s: {
        "name": "东门助老队", "category": "health", "node_id": s.w.s1.id, "leader_phone": s.w.volunteer.phone},
        S1_RUNNERS),
    "teams.show GET": (lambda s: f"/teams/{s.w.team.id}", None, SIGNED_IN),
    "teams.invite POST": (lambda s: f"/teams/{s.w.team.id}/invite", lambda s: {"phone": s.w.s2_volunteer.phone},
                          DAY_RUNNERS),
    "teams.member_action POST": (lambda s: f"/teams/{s.w.team.id}/members/{s.w.s2_volunteer.id}/accept", None,
                                 DAY_RUNNERS),
    # --- service days -----------------------------------------------------------------------------
    "events_api.Events GET": (lambda s: "/api/v1/events", None, SIGNED_IN),
    "events_api.Events POST": (lambda s: "/api/v1/events", lambda s: {
        "node_id": s.w.s1.id, "title": "新服务日", "starts_at": _soon().isoformat(), "team_ids": [s.w.team.id],
        "ends_at": (_soon() + timedelta(hours=2)).isoformat(), "capacity": 5}, DAY_RUNNERS),
    "events_api.EventById GET": (lambda s: f"/api/v1/events/{s.day.id}", None, SIGNED_IN),
    "events_api.EventById DELETE": (lambda s: f"/api/v1/events/{s.day.id}", lambda s: {"reason": "下雨"}, S1_RUNNERS),
    "events_api.Templates GET": (lambda s: "/api/v1/events/templates", None, SIGNED_IN),
    "events_api.Templates POST": (lambda s: "/api/v1/events/templates", lambda s: {
        "node_id": s.w.s1.id, "title": "每周日服务", "weekday": 6, "start_time": "08:30:00", "end_time": "10:30:00",
        "capacity": 10}, S1_RUNNERS),
    "events_api.TemplateById DELETE": (lambda s: f"/api/v1/events/templates/{s.template.id}", None, S1_RUNNERS),
    "events_api.TemplateById PATCH": (lambda s: f"/api/v1/events/templates/{s.template.id}",
                                      lambda s: {"capacity": 25}, S1_RUNNERS),
    "events.pause_recurring POST": (lambda s: f"/events/recurring/{s.template.id}/pause", None, S1_RUNNERS),
    "events_api.sign_up POST": (lambda s: f"/api/v1/events/{s.day.id}/signups", None, VOLUNTEERS),
    "events_api.cancel DELETE": (lambda s: f"/api/v1/events/{s.day.id}/signups/me", None, only("volunteer")),
    "events_api.signup_list GET": (lambda s: f"/api/v1/events/{s.day.id}/signups", None, DAY_RUNNERS),
    "events.index GET": (lambda s: "/events", None, SIGNED_IN),
    "checkin.scanner GET": (lambda s: "/scan", None, SIGNED_IN),
    "checkin.open_code GET": (lambda s: f"/scan/open?code={s.checkin_token}", None, SIGNED_IN),
    "home.mine GET": (lambda s: "/my", None, SIGNED_IN),
    "home.manifest GET": (lambda s: "/manifest.webmanifest", None, EVERYONE),
    "home.service_worker GET": (lambda s: "/sw.js", None, EVERYONE),
    "home.offline GET": (lambda s: "/offline", None, EVERYONE),
    "checkin.upload_scan POST": (lambda s: "/scan/upload", None, SIGNED_IN),
    "events.edit GET": (lambda s: f"/events/{s.day.id}/edit", None, DAY_RUNNERS),
    "events.edit POST": (lambda s: f"/events/{s.day.id}/edit", lambda s: {
        "title": "周六环境美化日", "starts_at": _local(s.day.starts_at), "ends_at": _local(s.day.ends_at),
        "capacity": "12"}, DAY_RUNNERS),
    "events_api.EventById PATCH": (lambda s: f"/api/v1/events/{s.day.id}", lambda s: {"capacity": 12}, DAY_RUNNERS),
    # --- activity records (the running day has one, with a photo), ratings (the past day) ---------------
    "events.record GET": (lambda s: f"/events/{s.running_day.id}/record", None, DAY_RUNNERS),
    "events.record POST": (lambda s: f"/events/{s.running_day.id}/record",
                           lambda s: {"summary": "清理楼道", "people_served": "3"}, DAY_RUNNERS),
    "events.renew_share_link POST": (lambda s: f"/events/{s.running_day.id}/record/share", None, DAY_RUNNERS),
    "events.shared GET": (lambda s: f"/events/shared/{s.record.share_token}", None, EVERYONE),
    "events.shared_photo GET": (lambda s: f"/events/shared/{s.record.share_token}/photos/{s.record_photo_id}.jpg",
                                None, EVERYONE),
    "events_api.ActivityRecordOfDay GET": (lambda s: f"/api/v1/events/{s.running_day.id}/record", None, SIGNED_IN),
    "events_api.ActivityRecordOfDay PUT": (lambda s: f"/api/v1/events/{s.running_day.id}/record",
                                           lambda s: {"summary": "清理楼道", "people_served": 3}, DAY_RUNNERS),
    "events_api.add_photo POST": (lambda s: f"/api/v1/events/{s.running_day.id}/record/photos", None, DAY_RUNNERS),
    "events.cover GET": (lambda s: f"/events/{s.running_day.id}/cover.jpg", None, SIGNED_IN),
    "events_api.put_cover PUT": (lambda s: f"/api/v1/events/{s.running_day.id}/cover", None, DAY_RUNNERS),
    "events_api.delete_cover DELETE": (lambda s: f"/api/v1/events/{s.running_day.id}/cover", None, DAY_RUNNERS),
    "checkin.rate GET": (lambda s: f"/events/{s.past_day.id}/rating", None, SIGNED_IN),
    "checkin.rate POST": (lambda s: f"/events/{s.past_day.id}/rating", lambda s: {"stars": "4"},
                          only("volunteer", "other_volunteer")),
    "checkin_api.rate PUT": (lambda s: f"/api/v1/events/{s.past_day.id}/rating", lambda s: {"stars": 4},
                             only("volunteer", "other_volunteer")),
    "checkin_api.rating_summary GET": (lambda s: f"/api/v1/events/{s.past_day.id}/ratings", None, DAY_RUNNERS),
    # --- announcements: the manager wrote to the day's sign-ups (the volunteer) ------------------------
    "announcements.index GET": (lambda s: "/announcements", None, SIGNED_IN),
    "announcements.new GET": (lambda s: "/announcements/new", None, MANAGERS | {"leader"}),
    "announcements.new POST": (lambda s: "/announcements/new", lambda s: {
        "audience": "team", "team_id": s.w.team.id, "day_id": s.day.id, "node_id": s.w.s1.id, "title": "通知",
        "body": "周六见", "preview": "1"}, DAY_RUNNERS),
    "announcements.show GET": (lambda s: f"/announcements/{s.announcement.id}", None, only("manager", "volunteer")),
    "announcements_api.preview POST": (lambda s: "/api/v1/announcements/preview",
                                       lambda s: {"audience": "team", "target_id": s.w.team.id}, DAY_RUNNERS),
    "announcements_api.send POST": (lambda s: "/api/v1/announcements", lambda s: {
        "audience": "team", "target_id": s.w.team.id, "title": "通知", "body": "周六见"}, DAY_RUNNERS),
    "announcements_api.mine GET": (lambda s: "/api/v1/announcements", None, SIGNED_IN),
    # --- statistics of S1 -------------------------------------------------------------------------------
    "reports.node_statistics GET": (lambda s: f"/nodes/{s.w.s1.id}/statistics", None, S1_RUNNERS),
    "reports.node_statistics_xlsx POST": (lambda s: f"/nodes/{s.w.s1.id}/statistics.xlsx", None, S1_RUNNERS),
    "reports_api.node_statistics GET": (lambda s: f"/api/v1/reports/statistics/{s.w.s1.id}", None, S1_RUNNERS),
    # The province's summary: the administrators over every centre, not a centre's own.
    "reports.province_statistics GET": (lambda s: "/province/statistics", None, only("platform_admin")),
    "reports_api.province GET": (lambda s: "/api/v1/reports/province", None, only("platform_admin")),
    "events.show GET": (lambda s: f"/events/{s.day.id}", None, SIGNED_IN),
    "events.new GET": (lambda s: "/events/new", None, MANAGERS | {"leader"}),
    "events.new POST": (lambda s: "/events/new", lambda s: {
        "title": "新服务日", "node_id": s.w.s1.id, "team_ids": [s.w.team.id], "starts_at": _local(_soon()),
        "ends_at": _local(_soon() + timedelta(hours=2)), "capacity": 5, "credits_per_hour": 1}, DAY_RUNNERS),
    "events.cancel_day POST": (lambda s: f"/events/{s.day.id}/cancel-day", lambda s: {"reason": "下雨"}, S1_RUNNERS),
    "events.signup_action POST": (lambda s: f"/events/{s.day.id}/signup", None, VOLUNTEERS),
    "events.recurring GET": (lambda s: "/events/recurring", None, MANAGERS),
    "events.recurring POST": (lambda s: "/events/recurring", lambda s: {
        "title": "每周日服务", "node_id": s.w.s1.id, "weekday": 6, "start_time": "08:30", "end_time": "10:30",
        "capacity": 10, "credits_per_hour": 1, "days_ahead": 14}, S1_RUNNERS),
    "events.stop_recurring POST": (lambda s: f"/events/recurring/{s.template.id}/stop", None, S1_RUNNERS),
    # --- check-in and hours -----------------------------------------------------------------------
    "checkin_api.checkin_code GET": (lambda s: f"/api/v1/events/{s.day.id}/checkin-code", None, DAY_RUNNERS),
    "checkin_api.image GET": (lambda s: f"/api/v1/events/{s.day.id}/qr.png", None, DAY_RUNNERS),
    "checkin_api.checkin POST": (lambda s: "/api/v1/checkins",
                                 lambda s: {"token": s.checkin_token, "lat": 31.0, "lon": 120.0}, only("volunteer")),
    "checkin_api.DayAttendance GET": (lambda s: f"/api/v1/events/{s.past_day.id}/attendance", None, DAY_RUNNERS),
    "checkin_api.DayAttendance POST": (lambda s: f"/api/v1/events/{s.past_day.id}/attendance", lambda s: {
        "phone": s.w.leader.phone, "checked_in_at": s.past_day.starts_at.isoformat(),
        "checked_out_at": s.past_day.ends_at.isoformat(), "reason": "补录"}, S1_RUNNERS),
    "checkin_api.approve POST": (lambda s: f"/api/v1/events/{s.past_day.id}/attendance/approve",
                                 lambda s: {"ids": "all"}, S1_RUNNERS),
    "checkin_api.reject POST": (lambda s: f"/api/v1/events/{s.past_day.id}/attendance/reject",
                                lambda s: {"ids": [s.attendance.id], "reason": "不实"}, S1_RUNNERS),
    "checkin_api.reverse POST": (lambda s: f"/api/v1/events/{s.past_day.id}/attendance/{s.attendance.id}/reverse",
                                 lambda s: {"reason": "录错"}, S1_RUNNERS),
    "checkin_api.my_hours GET": (lambda s: "/api/v1/me/hours", None, SIGNED_IN),
    "checkin.scan_page GET": (lambda s: f"/c/{s.checkin_token}", None, SIGNED_IN),
    "checkin.scan_page POST": (lambda s: f"/c/{s.checkin_token}", lambda s: {"lat": 31.0, "lon": 120.0},
                               only("volunteer")),
    "checkin.reverse POST": (lambda s: f"/events/{s.past_day.id}/attendance/{s.attendance.id}/reverse",
                             lambda s: {"reason": "录错"}, S1_RUNNERS),
    "checkin.screen GET": (lambda s: f"/events/{s.day.id}/screen", None, DAY_RUNNERS),
    "checkin.image GET": (lambda s: f"/events/{s.day.id}/qr.png", None, DAY_RUNNERS),
    "checkin.attendance GET": (lambda s: f"/events/{s.past_day.id}/attendance", None, DAY_RUNNERS),
    "checkin.attendance POST": (lambda s: f"/events/{s.past_day.id}/attendance", lambda s: {"approve": "all"},
                                S1_RUNNERS),
    "checkin.manual POST": (lambda s: f"/events/{s.past_day.id}/attendance/manual", lambda s: {
        "phone": s.w.leader.phone, "checked_in_at": _local(s.past_day.starts_at),
        "checked_out_at": _local(s.past_day.ends_at), "reason": "补录"}, S1_RUNNERS),
    "checkin.my_hours GET": (lambda s: "/me/hours", None, SIGNED_IN),
    # --- certificates: S2's volunteer holds one, issued at S2 ---------------------------------------
    "certificates_api.mine GET": (lambda s: "/api/v1/me/certificates", None, SIGNED_IN),
    # --- roster -------------------------------------------------------------------------------------
    "roster_api.roster GET": (lambda s: "/api/v1/volunteers", None, MANAGERS),
    "roster_api.show GET": (lambda s: f"/api/v1/volunteers/{s.w.volunteer.id}", None, S1_RUNNERS),
    "roster_api.deactivate POST": (lambda s: f"/api/v1/volunteers/{s.w.volunteer.id}/deactivate",
                                   lambda s: {"reason": "搬离本社区"}, S1_RUNNERS),
    "roster_api.reactivate POST": (lambda s: f"/api/v1/volunteers/{s.w.volunteer.id}/reactivate", None, S1_RUNNERS),
    "roster_api.move POST": (lambda s: f"/api/v1/volunteers/{s.w.volunteer.id}/move",
                             lambda s: {"station_id": s.w.s1.id}, S1_RUNNERS),
    "roster_api.reset_link POST": (lambda s: f"/api/v1/volunteers/{s.w.volunteer.id}/reset-link", None, S1_RUNNERS),
    "roster.reset_link POST": (lambda s: f"/roster/{s.w.volunteer.id}/reset-link", None, S1_RUNNERS),
    "people.reset_by_link GET": (lambda s: f"/reset/{s.reset_link}", None, EVERYONE),
    "people.reset_by_link POST": (lambda s: f"/reset/{s.reset_link}", lambda s: {"password": "Lanterns45"}, EVERYONE),
    "roster.index GET": (lambda s: "/roster", None, MANAGERS),
    "roster_api.import_file POST": (lambda s: "/api/v1/volunteers/import", None, MANAGERS),
    "roster.import_start GET": (lambda s: "/roster/import", None, MANAGERS),
    "roster.import_start POST": (lambda s: "/roster/import", None, MANAGERS),
    "roster.import_template GET": (lambda s: "/roster/import/template.xlsx", None, MANAGERS),
    "roster.import_preview GET": (lambda s: f"/roster/import/{s.upload.id}", None, only("manager")),
    "roster.import_confirm POST": (lambda s: f"/roster/import/{s.upload.id}", None, only("manager")),
    "roster.export POST": (lambda s: "/roster/export.xlsx", None, MANAGERS),
    "roster.show GET": (lambda s: f"/roster/{s.w.volunteer.id}", None, S1_RUNNERS),
    "roster.deactivate POST": (lambda s: f"/roster/{s.w.volunteer.id}/deactivate", lambda s: {"reason": "搬离本社区"},
                               S1_RUNNERS),
    "roster.reactivate POST": (lambda s: f"/roster/{s.w.volunteer.id}/reactivate", None, S1_RUNNERS),
    "roster.move POST": (lambda s: f"/roster/{s.w.volunteer.id}/move", lambda s: {"station_id": s.w.s1.id},
                         S1_RUNNERS),
    "certificates_api.Certificates POST": (lambda s: "/api/v1/certificates", lambda s: {"user_id": s.w.s2_volunteer.id},
                                           S2_CERTIFIERS | {"other_volunteer"}),
    "certificates_api.show GET": (lambda s: f"/api/v1/certificates/{s.certificate.id}", None,
                                  S2_CERTIFIERS | {"other_volunteer"}),
    "certificates_api.revoke POST": (lambda s: f"/api/v1/certificates/{s.certificate.id}/revoke",
                                     lambda s: {"reason": "时长有误"}, S2_CERTIFIERS),
    "certificates_api.verify GET": (lambda s: f"/api/v1/certificates/verify/{s.certificate.token}", None, EVERYONE),
    "certificates.mine GET": (lambda s: "/me/certificates", None, SIGNED_IN),
    "certificates.mine POST": (lambda s: "/me/certificates", None, SIGNED_IN),
    "certificates.show GET": (lambda s: f"/certificates/{s.certificate.id}", None, S2_CERTIFIERS | {"other_volunteer"}),
    "certificates.pdf GET": (lambda s: f"/certificates/{s.certificate.id}.pdf", None,
                             S2_CERTIFIERS | {"other_volunteer"}),
    "certificates.revoke POST": (lambda s: f"/certificates/{s.certificate.id}/revoke", lambda s: {"reason": "有误"},
                                 S2_CERTIFIERS),
    "certificates.verify GET": (lambda s: f"/verify/{s.certificate.token}", None, EVERYONE),
    "certificates.seal GET": (lambda s: f"/centres/{s.w.centre.id}/seal", None, ADMIN),
    "certificates.seal POST": (lambda s: f"/centres/{s.w.centre.id}/seal", lambda s: {}, ADMIN),
    # --- credits ----------------------------------------------------------------------------------
    "credits_api.my_wallet GET": (lambda s: "/api/v1/me/wallet", None, SIGNED_IN),
    "credits_api.adjust POST": (lambda s: "/api/v1/credits/adjustments",
                                lambda s: {"user_id": s.w.volunteer.id, "credits": 1, "reason": "表彰"}, S1_RUNNERS),
    "credits_api.grant_requests GET": (lambda s: "/api/v1/credits/grant-requests", None, SIGNED_IN),
    # The requester (the institute's manager) and the receiver cannot decide; S1's managers can.
    "credits_api.decide_grant POST": (lambda s: f"/api/v1/credits/grant-requests/{s.grant_request.id}/approve",
                                      lambda s: {}, S1_RUNNERS),
    "credits.decide_grant POST": (lambda s: f"/credits/grant-requests/{s.grant_request.id}/approve", lambda s: {},
                                  S1_RUNNERS),
    "credits_api.CreditPolicy GET": (lambda s: f"/api/v1/centres/{s.w.centre.id}/credit-policy", None, ADMIN),
    "credits_api.CreditPolicy PUT": (lambda s: f"/api/v1/centres/{s.w.centre.id}/credit-policy",
                                     lambda s: {"expiry": "end_of_next_year", "warn_days": 30}, ADMIN),
    "credits.adjust GET": (lambda s: "/credits/adjust", None, MANAGERS),
    "credits.adjust POST": (lambda s: "/credits/adjust",
                            lambda s: {"phone": s.w.volunteer.phone, "credits": "1", "reason": "表彰"}, S1_RUNNERS),
    "reports.credits_report GET": (lambda s: f"/centres/{s.w.centre.id}/credits", None, ADMIN),
    "credits.policy POST": (lambda s: f"/centres/{s.w.centre.id}/credits/policy",
                            lambda s: {"expiry": "end_of_next_year", "warn_days": "30"}, ADMIN),
    # --- merchants and vouchers -------------------------------------------------------------------
    "merchants_api.Merchants GET": (lambda s: "/api/v1/merchants", None, SIGNED_IN),
    "merchants_api.Merchants POST": (lambda s: "/api/v1/merchants", _application, SIGNED_IN),
    "merchants_api.approve POST": (lambda s: f"/api/v1/merchants/{s.pending_shop.id}/approve",
                                   lambda s: {"station_ids": [s.w.s1.id]}, ADMIN),
    "merchants_api.Staff GET": (lambda s: f"/api/v1/merchants/{s.shop.id}/staff", None, SHOP),
    "merchants_api.Staff POST": (lambda s: f"/api/v1/merchants/{s.shop.id}/staff", _new_staff, SHOP),
    "merchants_api.remove_staff DELETE": (lambda s: f"/api/v1/merchants/{s.shop.id}/staff/{s.clerk.id}", None, SHOP),
    "merchants_api.suspend POST": (lambda s: f"/api/v1/merchants/{s.shop.id}/suspend", lambda s: {"reason": "投诉"},
                                   ADMIN),
    # Invitations belong to the phone they name: the volunteer's, here.
    "merchants_api.my_invitations GET": (lambda s: "/api/v1/merchants/invitations", None, SIGNED_IN),
    "merchants_api.answer_invitation POST": (
        lambda s: f"/api/v1/merchants/invitations/{s.invitation.id}/accept", None, only("volunteer")),
    "merchants_api.Offers GET": (lambda s: f"/api/v1/merchants/{s.shop.id}/offers", None, SIGNED_IN),
    "merchants_api.Offers POST": (lambda s: f"/api/v1/merchants/{s.shop.id}/offers",
                                  lambda s: {"title": "洗头一次", "price": 1}, only("staff")),
    "merchants_api.update_offer PATCH": (lambda s: f"/api/v1/merchants/{s.shop.id}/offers/{s.offer.id}",
                                         lambda s: {"stock": 12}, only("staff")),
    "merchants.edit_offer GET": (lambda s: f"/merchants/{s.shop.id}/offers/{s.offer.id}/edit", None, only("staff")),
    "merchants.edit_offer POST": (lambda s: f"/merchants/{s.shop.id}/offers/{s.offer.id}/edit", lambda s: {
        "title": "理发一次", "price": "2", "stock": "12", "active": "y"}, only("staff")),
    "merchants.index GET": (lambda s: "/merchants", None, SIGNED_IN),
    "merchants.show GET": (lambda s: f"/merchants/{s.shop.id}", None, SIGNED_IN),
    "merchants.apply GET": (lambda s: "/merchants/apply", None, SIGNED_IN),
    "merchants.apply POST": (lambda s: "/merchants/apply", _application, SIGNED_IN),
    "merchants.approve POST": (lambda s: f"/merchants/{s.pending_shop.id}/approve",
                               lambda s: {"station_ids": [s.w.s1.id]}, ADMIN),
    "merchants.add_staff POST": (lambda s: f"/merchants/{s.shop.id}/staff", _new_staff, SHOP),
    "merchants.remove_staff POST": (lambda s: f"/merchants/{s.shop.id}/staff/{s.clerk.id}/remove", None, SHOP),
    "merchants.withdraw_invitation POST": (
        lambda s: f"/merchants/{s.shop.id}/invitations/{s.invitation.id}/withdraw", None, SHOP),
    "merchants.suspend POST": (lambda s: f"/merchants/{s.shop.id}/suspend", lambda s: {"reason": "投诉"}, ADMIN),
    "merchants.invitations GET": (lambda s: "/merchants/invitations", None, SIGNED_IN),
    "merchants.answer_invitation POST": (lambda s: f"/merchants/invitations/{s.invitation.id}/accept", None,
                                         only("volunteer")),
    "merchants.add_offer POST": (lambda s: f"/merchants/{s.shop.id}/offers",
                                 lambda s: {"title": "洗头一次", "price": "1"}, only("staff")),
    # The offer is for volunteers of S1, the station the merchant is paired with.
    "vouchers_api.Vouchers POST": (lambda s: "/api/v1/redemptions", lambda s: {"offer_id": s.offer.id},
                                 only("volunteer", "leader")),
    "vouchers_api.MyVoucher DELETE": (lambda s: f"/api/v1/redemptions/{s.voucher.id}", None, only("volunteer")),
    "vouchers_api.VoucherAtCounter GET": (lambda s: f"/api/v1/redemptions/{s.voucher.code}", None, only("staff")),
    "vouchers_api.confirm POST": (lambda s: f"/api/v1/redemptions/{s.voucher.code}/confirm", None, only("staff")),
    "vouchers.offers GET": (lambda s: "/offers", None, SIGNED_IN),
    "vouchers.mine GET": (lambda s: "/me/vouchers", None, SIGNED_IN),
    "vouchers.redeem POST": (lambda s: f"/offers/{s.offer.id}/redeem", None, only("volunteer", "leader")),
    "vouchers.voucher GET": (lambda s: f"/vouchers/{s.voucher.id}", None, only("volunteer")),
    "vouchers.cancel POST": (lambda s: f"/vouchers/{s.voucher.id}/cancel", None, only("volunteer")),
    "vouchers.console GET": (lambda s: "/merchant", None, only("staff", "other_staff")),
    "vouchers.console POST": (lambda s: "/merchant", lambda s: {"code": s.voucher.code}, only("staff", "other_staff")),
    "vouchers.counter GET": (lambda s: f"/r/{s.voucher.code}", None, only("staff")),
    "vouchers.counter POST": (lambda s: f"/r/{s.voucher.code}", None, only("staff")),
    "vouchers.settlement GET": (lambda s: f"/merchants/{s.shop.id}/settlement", None, SHOP),
    "vouchers.settlement_csv GET": (lambda s: f"/merchants/{s.shop.id}/settlement.csv", None, SHOP),
    # --- residents' requests ----------------------------------------------------------------------
    "needs_api.Needs POST": (lambda s: "/api/v1/needs", lambda s: {
        "node_id": s.w.s1.id, "category": "escort", "description": "陪老人去医院", "address": "东门小区 5 幢",
        "wished_at": _soon().isoformat(), "contact_phone": "13512345670"}, SIGNED_IN),
    "needs_api.Needs GET": (lambda s: "/api/v1/needs", None, SIGNED_IN),
    "needs_api.show GET": (lambda s: f"/api/v1/needs/{s.need.id}", None, S1_RUNNERS),
    "needs_api.dispatch POST": (lambda s: f"/api/v1/needs/{s.need.id}/dispatch", lambda s: {
        "team_id": s.w.team.id, "accept_by": _soon(1).isoformat()}, S1_RUNNERS),
    "needs_api.forward POST": (lambda s: f"/api/v1/needs/{s.need.id}/forward", lambda s: {"reason": "本站无合适队伍"},
                               S1_RUNNERS),
    "needs_api.accept POST": (lambda s: f"/api/v1/needs/{s.dispatched.id}/accept", lambda s: {}, DAY_RUNNERS),
    "needs_api.decline POST": (lambda s: f"/api/v1/needs/{s.dispatched.id}/decline", lambda s: {"reason": "人手不足"},
                               DAY_RUNNERS),
    "needs_api.complete POST": (lambda s: f"/api/v1/needs/{s.dispatched.id}/complete", None, DAY_RUNNERS),
    "needs_api.review POST": (lambda s: f"/api/v1/needs/{s.dispatched.id}/review", lambda s: {"rating": 5},
                              NOBODY),
    "needs_api.cancel POST": (lambda s: f"/api/v1/needs/{s.need.id}/cancel", lambda s: {"reason": "不需要了"},
                              NOBODY),
    "needs_api.dashboard GET": (lambda s: f"/api/v1/needs/dashboard/{s.w.s1.id}", None, S1_RUNNERS),
    "needs.mine GET": (lambda s: "/needs", None, SIGNED_IN),
    "needs.new GET": (lambda s: "/needs/new", None, SIGNED_IN),
    "needs.new POST": (lambda s: "/needs/new", lambda s: {
        "node_id": s.w.s1.id, "category": "escort", "description": "陪老人去医院", "address": "东门小区 5 幢",
        "wished_at": _local(_soon()), "contact_phone": "13512345670"}, SIGNED_IN),
    "needs.show GET": (lambda s: f"/needs/{s.need.id}", None, S1_RUNNERS),
    "needs.photo GET": (lambda s: f"/needs/{s.need.id}/photos/{s.photo_id}", None, S1_RUNNERS),
    "needs.contact POST": (lambda s: f"/needs/{s.need.id}/contact", None, S1_RUNNERS),
    "needs.act POST": (lambda s: f"/needs/{s.dispatched.id}/decline", lambda s: {"r-reason": "人手不足"},
                       DAY_RUNNERS),
    "needs.queue GET": (lambda s: f"/nodes/{s.w.s1.id}/needs", None, S1_RUNNERS),
    "needs.dashboard GET": (lambda s: f"/nodes/{s.w.s1.id}/needs/dashboard", None, S1_RUNNERS),
    # --- inbox and webhook ------------------------------------------------------------------------
    "notifications_api.inbox GET": (lambda s: "/api/v1/me/notifications", None, SIGNED_IN),
    "notifications_api.mark_read POST": (lambda s: "/api/v1/me/notifications/read", lambda s: {}, SIGNED_IN),
    "notifications_api.CentreWebhook GET": (lambda s: f"/api/v1/centres/{s.w.centre.id}/webhook", None, ADMIN),
    "notifications_api.CentreWebhook PUT": (lambda s: f"/api/v1/centres/{s.w.centre.id}/webhook",
                                            lambda s: {"url": "https://sms.example.com/v2"}, ADMIN),
    "notifications.inbox GET": (lambda s: "/inbox", None, SIGNED_IN),
    "notifications.read_all POST": (lambda s: "/inbox/read-all", None, SIGNED_IN),
    "notifications.open_message POST": (lambda s: f"/inbox/{s.message_id}/open", None, only("volunteer")),
    "notifications.webhook GET": (lambda s: f"/centres/{s.w.centre.id}/webhook", None, ADMIN),
    "notifications.webhook POST": (lambda s: f"/centres/{s.w.centre.id}/webhook",
                                   lambda s: {"url": "https://sms.example.com/v2", "active": "y"}, ADMIN),
    # --- weekly themes ----------------------------------------------------------------------------
    "themes_api.Themes GET": (lambda s: "/api/v1/themes", None, SIGNED_IN),
    "themes_api.Themes POST": (lambda s: "/api/v1/themes", lambda s: {
        "node_id": s.w.s1.id, "title": "东门清洁日", "held_on": (local_date(utcnow()) + timedelta(days=7)).isoformat()},
        S1_RUNNERS),
    # Before its publication a theme is seen by the managers it concerns only.
    "themes_api.ThemeById GET": (lambda s: f"/api/v1/themes/{s.theme.id}", None, MANAGERS),
    "themes_api.ThemeById PUT": (lambda s: f"/api/v1/themes/{s.theme.id}", lambda s: {
        "title": "文明劝导日（改）", "held_on": s.theme.held_on.isoformat()}, ADMIN),
    "themes_api.ThemeById DELETE": (lambda s: f"/api/v1/themes/{s.theme.id}", None, ADMIN),
    "themes_api.put_note PUT": (lambda s: f"/api/v1/themes/{s.theme.id}/notes/{s.w.s1.id}",
                                lambda s: {"note": "东门集合点：广场"}, S1_RUNNERS),
    "themes.calendar GET": (lambda s: "/themes", None, SIGNED_IN),
    "themes.new GET": (lambda s: f"/themes/new?node={s.w.s1.id}", None, S1_RUNNERS),
    "themes.new POST": (lambda s: f"/themes/new?node={s.w.s1.id}", lambda s: {
        "title": "东门清洁日", "held_on": (local_date(utcnow()) + timedelta(days=7)).isoformat()}, S1_RUNNERS),
    "themes.show GET": (lambda s: f"/themes/{s.theme.id}", None, MANAGERS),
    "themes.poster GET": (lambda s: f"/themes/{s.theme.id}/poster", None, MANAGERS),
    "themes.edit GET": (lambda s: f"/themes/{s.theme.id}/edit", None, ADMIN),
    "themes.edit POST": (lambda s: f"/themes/{s.theme.id}/edit", lambda s: {
        "title": "文明劝导日（改）", "held_on": s.theme.held_on.isoformat()}, ADMIN),
    "themes.withdraw POST": (lambda s: f"/themes/{s.theme.id}/withdraw", None, ADMIN),
    "themes.note POST": (lambda s: f"/themes/{s.theme.id}/note/{s.w.s1.id}", lambda s: {"note": "东门集合点：广场"},
                         S1_RUNNERS),
    "themes.copy POST": (lambda s: "/themes/copy", lambda s: {
        "node_id": s.w.centre.id, "start": local_date(utcnow()).isoformat()}, ADMIN),
    # --- reports and jobs -------------------------------------------------------------------------
    "reports_api.weekly GET": (lambda s: f"/api/v1/reports/weekly?centre={s.w.centre.id}", None, MANAGERS),
    "reports_api.anomaly_board GET": (lambda s: f"/api/v1/reports/anomalies?centre={s.w.centre.id}", None, ADMIN),
    "reports.national_hours GET": (lambda s: f"/centres/{s.w.centre.id}/reports/national-hours", None, ADMIN),
    "reports.national_hours POST": (lambda s: f"/centres/{s.w.centre.id}/reports/national-hours", lambda s: {
        "start": "2026-11-01", "end": "2026-11-30"}, ADMIN),
    "reports.anomaly_board GET": (lambda s: f"/centres/{s.w.centre.id}/reports/anomalies", None, ADMIN),
    "reports.anomaly_board_csv GET": (lambda s: f"/centres/{s.w.centre.id}/reports/anomalies.csv", None, ADMIN),
    "reports.weekly GET": (lambda s: f"/centres/{s.w.centre.id}/reports/weekly", None, MANAGERS),
    "reports.weekly_csv GET": (lambda s: f"/centres/{s.w.centre.id}/reports/weekly.csv", None, MANAGERS),
    # The scheduler serves every centre: the platform's administrators only.
    "scheduler_api.jobs GET": (lambda s: "/api/v1/jobs", None, only("platform_admin")),
    "scheduler.jobs GET": (lambda s: "/admin/jobs", None, only("platform_admin")),
}


def _endpoints(app) -> set[str]:
    return {f"{rule.endpoint} {method}" for rule in app.url_map.iter_rules() if rule.endpoint != "static"
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_endpoint_has_a_row(app):
    present = _endpoints(app)
    assert sorted(present - set(TABLE)) == [], "endpoints missing from the authorisation table"
    assert sorted(set(TABLE) - present) == [], "rows for endpoints that no longer exist"


@pytest.fixture
def scene(app, world):
    scene = Scene(world)
    snapshot = Snapshot()
    scene.restore = snapshot.restore
    yield scene
    snapshot.drop()


# Forms whose node list holds only the nodes the user manages: another node is refused as a form
# error (422, "not a valid choice") before any service is asked.
CHOICE_FORMS = {"teams.new POST", "events.new POST", "events.recurring POST"}


def _let_in(key: str, response, api: bool) -> bool:
    if response.status_code in (401, 403, 404) or (key in CHOICE_FORMS and response.status_code == 422):
        return False
    return api or not (response.status_code == 302 and "/login" in response.headers["Location"])


# What a page that lets a role in may answer: the page, a redirect after a change, or a form error.
PAGE_ANSWERS = {200, 302, 303, 409, 422}
SUCCESS_OR_VALIDATION = re.compile(r"2\d\d|400|409|422")


def _documented_answers(app) -> dict[str, set[int]]:
    """``endpoint METHOD`` → the success and validation statuses its OpenAPI operation documents."""
    spec = app.test_client().get("/api/v1/openapi.json").json
    answers = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"].get(path, {}).get(method.lower())
            if operation is not None:
                answers[f"{rule.endpoint} {method}"] = {
                    int(code) for code in operation["responses"] if SUCCESS_OR_VALIDATION.fullmatch(code)}
    answers["api-docs.openapi_json GET"] = {200}  # the document does not describe itself
    return answers


def _request(app, scene, role, method, url, body):
    client = app.test_client()
    api = url.startswith("/api/")
    headers = {}
    if role != "anonymous":
        if api:
            headers["Authorization"] = f"Bearer {scene.tokens[role]}"
        else:
            with client.session_transaction() as session:  # what people.login.start_session writes
                now = int(time.time())
                session.update(_user_id=scene.users[role].get_id(), _fresh=True, sid=f"matrix-{role}", seen=now,
                               born=now, idle=3600)
    if api:
        return client.open(url, method=method, json=body, headers=headers), api
    return client.open(url, method=method, data=body), api


def test_who_is_let_in_at_every_endpoint(app, scene):
    documented = _documented_answers(app)
    wrong = []
    for key, (url, body, allowed) in TABLE.items():
        method = key.rsplit(" ", 1)[1]
        for role in ROLES:
            response, api = _request(app, scene, role, method, url(scene), body(scene) if body else None)
            status = response.status_code
            said = response.json["error"]["message"] if response.is_json and status >= 400 else ""
            if _let_in(key, response, api) != (role in allowed):
                wrong.append(f"{key:40} {role:16} {'let in' if role not in allowed else 'refused'}: "
                             f"{status} {response.headers.get('Location', '')}{said}")
            elif status >= 500 or (role in allowed and status not in (documented[key] if api else PAGE_ANSWERS)):
                wrong.append(f"{key:40} {role:16} undocumented answer: {status} {said}")
            if role in allowed and status == 422 and os.environ.get("MATRIX_DEBUG"):
                print(key, role, response.get_data(as_text=True)[:300])
            if method != "GET" and status < 400 and _let_in(key, response, api):
                scene.restore()  # refusals write nothing; only what was let in and done is undone
    assert not wrong, f"{len(wrong)} answers differ from the table:\n" + "\n".join(wrong)


@pytest.mark.app_config(WTF_CSRF_ENABLED=True)
def test_every_page_form_needs_its_csrf_token(app, scene):
    posts = [key for key in TABLE if key.endswith(" POST") and not TABLE[key][0](scene).startswith("/api/")]
    assert len(posts) >= 40
    for key in posts:
        url, body, _allowed = TABLE[key]
        for role in ("anonymous", "platform_admin"):
            response, _api = _request(app, scene, role, "POST", url(scene), body(scene) if body else None)
            assert response.status_code == 400 and "CSRF" in response.text, (key, role, response.status_code)
    assert _endpoints(app) >= set(posts)
