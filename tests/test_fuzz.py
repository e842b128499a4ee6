"""Schemathesis fuzzes the live API from its own /api/v1/openapi.json, on SQLite and PostgreSQL.

Two runs, each on the practice centre of the authorisation test (tests/test_authorisation.py: one of
everything an endpoint can point at):

- every operation on its own, as the platform admin (who reaches the deepest code), with valid and
  invalid data: every response must not be a 5xx, have a documented status, match the documented
  schema (errors included), and refuse what the schema says is invalid;
- as each everyday role (volunteer, resident, station manager, merchant staff, centre admin, platform
  admin), on PostgreSQL, every operation on its own and then statefully, chaining calls through the links that
  Schemathesis infers from the document. Generated ids, phones and times are mixed with the scene's
  real ones (the ``flatmap`` hooks below), so requests reach past "not found". The database is put
  back after every write that succeeded and before every stateful scenario.

The role run counts which operations answered a 2xx at least once, prints that coverage, and fails
below COVERAGE: a fuzzer that only ever hears 401/404/422 has tested nothing.
"""
import contextvars
import re
from collections import defaultdict
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import TEST_CONFIG
from tests.snapshot import Snapshot
from tests.test_authorisation import Scene, _jpeg
from tests.world import World
from volunteer_hub import create_app
from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.db import local_date, utcnow
from volunteer_hub.extensions import db
from volunteer_hub.needs import services as needs
from volunteer_hub.people import services as people

PHOTO = _jpeg()  # a real JPEG for the photo and cover uploads

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          negative_data_rejection]
ROLE_CHECKS = [check for check in CHECKS if check is not negative_data_rejection]
EXAMPLES = 8
ROLE_EXAMPLES = 4  # per operation and role
SCENARIOS, STEPS = 12, 8  # stateful, per role
COVERAGE = 0.90
QUIET = settings(deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


def isolated(call, *args, **kwargs):
    """Each request in its own context, as in production: no ``g`` or session carried between requests."""
    return contextvars.Context().run(call, *args, **kwargs)


@pytest.fixture
def admin_token(api, world, saturday):
    return api(world.admin).token


# The document is the same whatever the database: load it once, from an app on an in-memory one.
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": "sqlite://"}))
# The token is sent with every case; tests/test_authorisation.py covers calls without one.
schema.config.generation.update(with_security_parameters=False)


@schema.parametrize()
@settings(QUIET, max_examples=EXAMPLES)
def test_api_holds_to_its_schema(case, app, admin_token):
    # Sent to the test's own app, on SQLite or PostgreSQL, with a world and a service day in it.
    isolated(case.call_and_validate, app=app, headers={"Authorization": f"Bearer {admin_token}"}, checks=CHECKS)


def known_values(s: Scene) -> dict[str, list]:
    """Real values of the scene by the names the API gives them (path, query and body alike), the most
    useful first: Hypothesis tries the first ones most."""
    w, now = s.w, utcnow().replace(microsecond=0)
    soon = now + timedelta(days=2)
    return {
        "day_id": [s.day.id, s.past_day.id, s.running_day.id], "service_day_id": [s.running_day.id],
        "node_id": [w.s1.id, w.p1.id, w.centre.id, w.i1.id, w.s2.id], "parent_id": [w.i1.id, w.centre.id, w.s1.id],
        "home_station_id": [w.s1.id, w.s2.id], "station": [w.s1.id], "station_id": [w.s1.id, w.s2.id],
        "node": [w.s1.id, w.centre.id],
        "centre": [w.centre.id], "centre_id": [w.centre.id], "station_ids": [[w.s1.id], [w.s1.id, w.s3.id]],
        "team_id": [w.team.id], "team_ids": [[w.team.id]], "leader_id": [w.leader.id],
        "user_id": [w.s2_volunteer.id, s.newcomer.id, w.volunteer.id, w.s1_manager.id, w.outsider.id, s.clerk.id],
        "template_id": [s.template.id], "merchant_id": [s.pending_shop.id, s.shop.id, s.other_shop.id],
        "voucher_id": [s.voucher.id], "code": [s.voucher.code], "offer_id": [s.offer.id],
        "theme_id": [s.theme.id], "need_id": [s.need.id, s.dispatched.id, s.serving.id, s.served.id],
        "ids": ["all", [s.message_id], [s.attendance.id]], "attendance_id": [s.attendance.id],
        "request_id": [s.grant_request.id], "certificate_id": [s.certificate.id], "invitation_id": [s.invitation.id],
        "answer": ["accept", "decline"],
        "action": ["suspend", "reinstate"], "decision": ["approve", "reject"],
        "default_credits_per_hour": [2], "max_credits_per_hour": [10], "back_entry_days": [30],
        "max_day_hours": [12], "review_entry_hours": [8], "review_grant_credits": [50], "star_1": [100],
        "star_2": [300], "star_3": [600], "star_4": [1000], "star_5": [1500],
        "phone": ["13512345678", w.volunteer.phone, w.s2_volunteer.phone, "13512340000"],
        "contact_phone": ["13512345678"], "purpose": ["register", "reset"],
        "password": [World.PASSWORD, "Lanterns42x"], "licence_no": ["91320509MA1CCCC01X"],
        "url": ["https://sms.example.com/hook"], "category": ["environment", "repair"], "credits": [2], "price": [2],
        "starts_at": [soon.isoformat()], "ends_at": [(soon + timedelta(hours=3)).isoformat()],
        "signup_deadline": [(soon - timedelta(hours=1)).isoformat()], "wished_at": [soon.isoformat()],
        "accept_by": [(now + timedelta(days=1)).isoformat()], "start_time": ["08:30"], "end_time": ["11:30"],
        "held_on": [(local_date(now) + timedelta(days=21)).isoformat()], "week": [local_date(now).isoformat()],
        "checked_in_at": [s.past_day.starts_at.isoformat()], "checked_out_at": [s.past_day.ends_at.isoformat()],
        "lat": [31.0], "lon": [120.0], "checkin_radius_m": [500], "capacity": [10], "credits_per_hour": [1],
        "granularity_minutes": [30], "min_interval_minutes": [10], "weekday": [5], "days_ahead": [14],
        "starts_on": [local_date(soon).isoformat()], "title": ["周六志愿服务日"], "name": ["新的名字"],
        "reason": ["临时有事"], "note": ["广场集合"], "address": ["东门路 1 号"], "description": ["清理楼道"],
        "rating": [4], "hours": [2], "audience": ["team", "day", "node"],
        "target_id": [s.w.team.id, s.day.id, s.w.s1.id], "body": ["周六见"], "summary": ["清理楼道"],
        "people_served": [3], "stars": [4], "comment": ["很好"], "photo": [PHOTO], "cover": [PHOTO],
        # Rotates every 30 s: refreshed before each operation and scenario (fresh_token below).
        "token": [s.checkin_token],
    }


def body_only(s: Scene) -> dict[str, list]:
    """Names that mean one thing in a body and another in a path: a node's kind (qr or poster in a
    path), a texted code (a voucher's code in a path)."""
    return {"kind": ["station"], "code": [s.register_code, s.reset_code]}


def together(s: Scene) -> dict[str, dict]:
    """Values that only work as a set (a code belongs to its phone and purpose; hours to their day), by
    the path of the operation that takes them, in its path or its body: offered whole, first."""
    past = s.past_day
    return {"/api/v1/volunteers": {"phone": "13512340000", "code": s.register_code},
            "/api/v1/auth/password-reset": {"phone": s.w.volunteer.phone, "code": s.reset_code},
            "/api/v1/events/{day_id}/attendance": {
                "day_id": past.id, "phone": s.w.volunteer.phone, "checked_in_at": past.starts_at.isoformat(),
                "checked_out_at": past.ends_at.isoformat()},
            "/api/v1/events/{day_id}/attendance/{attendance_id}/reverse": {"day_id": past.id},
            "/api/v1/merchants/{merchant_id}/staff/{user_id}": {"merchant_id": s.shop.id, "user_id": s.clerk.id},
            "/api/v1/merchants/{merchant_id}/{action}": {"merchant_id": s.shop.id, "action": "suspend"},
            "/api/v1/certificates/verify/{token}": {"token": s.certificate.token},
            "/api/v1/needs": {"node_id": s.w.s1.id, "category": "repair"},
            "/api/v1/announcements": {"audience": "team", "target_id": s.w.team.id},
            "/api/v1/announcements/preview": {"audience": "team", "target_id": s.w.team.id},
            "/api/v1/events/{day_id}/record": {"day_id": s.running_day.id},
            "/api/v1/events/{day_id}/rating": {"day_id": s.past_day.id},
            # A scan of now (the token rotates: refreshed before each operation) with a nonce of its own.
            "/api/v1/checkins": {"lat": 31.0, "lon": 120.0, "scanned_at": None, "nonce": None},
            "/api/v1/events/{day_id}/cover": {"day_id": s.running_day.id},
            "/api/v1/events/{day_id}/record/photos": {"day_id": s.running_day.id}}


def _mixed(values, known: dict) -> st.SearchStrategy:
    """Each value as generated, or one of the scene's real values of that name. Hypothesis leans to the
    first choices, so the real ones come first: the generated one still comes up, less often."""
    if not isinstance(values, dict):
        return st.just(values)
    return st.fixed_dictionaries({
        name: st.sampled_from([*known[name], value]) if known.get(name) else st.just(value)
        for name, value in values.items()})


def _with_set(strategy: st.SearchStrategy, values: dict, sets: dict[str, dict], path: str) -> st.SearchStrategy:
    """Each drawn dict, or first the same with the operation's set of values that fit it."""
    if not isinstance(values, dict):
        return strategy
    fitting = {name: value for name, value in sets.get(path, {}).items() if name in values}
    return strategy.flatmap(lambda drawn: st.sampled_from([{**drawn, **fitting}, drawn] if fitting else [drawn]))


def _hook_known_values(target, known: dict, in_bodies: dict, sets: dict[str, dict]) -> None:
    @target.hook("flatmap_path_parameters")
    def _path(context, path_parameters):
        return _with_set(_mixed(path_parameters, known), path_parameters, sets, context.operation.path)

    @target.hook("flatmap_query")
    def _query(context, query):
        return _mixed(query, known)

    @target.hook("flatmap_body")
    def _body(context, body):
        return _with_set(_mixed(body, {**known, **in_bodies}), body, sets, context.operation.path)


FUZZED_ROLES = ("volunteer", "leader", "resident", "manager", "staff", "centre_admin", "platform_admin")
WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def fuzz_scene(world) -> Scene:
    """The authorisation test's scene, and what the fuzzing needs beyond it."""
    scene = Scene(world)
    scene.tokens["resident"] = people.issue_token(world.outsider)[0]
    # A volunteer of S1 in no team yet, for invitations and join requests to succeed.
    scene.newcomer = people.register_volunteer(name="新来的志愿者", phone="13512340001", password=World.PASSWORD,
                                               home_station_id=world.s1.id)
    # Requests further along: one served by the day under way (to complete), one completed (to rate).
    scene.serving, scene.served = (needs.submit(world.outsider, node_id=world.s1.id, category="repair",
                                                description=f"楼道灯坏了 {i}", address="东门小区 3 幢",
                                                wished_at=utcnow() + timedelta(days=1), contact_phone="13600000001")
                                   for i in range(2))
    for need in (scene.serving, scene.served):
        needs.dispatch(world.s1_manager, need, team_id=world.team.id, accept_by=utcnow() + timedelta(days=1))
        needs.accept(world.leader, need, service_day_id=scene.running_day.id)
    needs.complete(world.leader, scene.served)
    db.session.commit()
    return scene


@pytest.mark.postgresql_only  # 70 s more on SQLite; the schema and hostile-value runs cover both databases
def test_every_role_reaches_the_api_and_never_crashes_it(app, world):
    scene = fuzz_scene(world)
    known = known_values(scene)
    snapshot = Snapshot()
    live = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    # Valid data only: the hooks swap generated values for real ones, which would turn invalid data valid.
    live.config.generation.update(with_security_parameters=False, modes=[GenerationMode.POSITIVE])
    _hook_known_values(live, known, body_only(scene), together(scene))
    operations = [result.ok() for result in live.get_all_operations()]
    answered = defaultdict(set)

    def fresh_token():
        known["token"] = [checkin.rotating_token(scene.running_day)[0]]

    def send(case, token):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        response = isolated(case.call)
        answered[f"{case.operation.method.upper()} {case.operation.path}"].add(response.status_code)
        isolated(case.validate_response, response, checks=ROLE_CHECKS)
        return response

    def each_operation_alone(token):
        for operation in operations:
            fresh_token()

            @settings(QUIET, max_examples=ROLE_EXAMPLES)
            @given(case=operation.as_strategy())
            def one_operation(case):
                response = send(case, token)
                if case.method.upper() in WRITES and response.status_code < 300:
                    snapshot.restore()  # the next example starts from the same scene

            one_operation()

    def chained(token):
        class Workflow(live.as_state_machine()):
            def setup(self):
                snapshot.restore()
                fresh_token()

            def call(self, case, **kwargs):
                return send(case, token)

            def validate_response(self, response, case, additional_checks=None, **kwargs):
                pass  # validated in send()

        Workflow.run(settings=settings(QUIET, max_examples=SCENARIOS, stateful_step_count=STEPS))
        snapshot.restore()

    try:
        for role in FUZZED_ROLES:
            each_operation_alone(scene.tokens[role])
            chained(scene.tokens[role])
    finally:
        snapshot.drop()

    names = [f"{operation.method.upper()} {operation.path}" for operation in operations]
    reached = [name for name in names if any(200 <= status < 300 for status in answered[name])]
    print(f"\nfuzzing coverage: {len(reached)} of {len(names)} operations answered a 2xx at least once "
          f"({len(reached) / len(names):.0%})")
    for name in sorted(set(names) - set(reached)):
        print(f"  never a 2xx: {name} {sorted(answered[name])}")
    assert len(reached) >= COVERAGE * len(names)


# Values an attacker sent to the landed app that Hypothesis rarely draws (issue #16): out-of-range
# instants, numbers too big or not numbers, 100,000 characters, JSON nested past the parser's depth.
HOSTILE = {
    "date-time": ["9999-12-31T20:00:00-14:00", "0001-01-01T00:00:00+14:00"],
    "date": ["9999-12-31", "0001-01-01"],
    "number": [1e308, -1e308, "sNaN", "1E+999999999"],
    "integer": [2**63, -(2**63) - 1],
    "string": ["x" * 100_000],
}
DEEP = ["[" * 100_000 + "]" * 100_000, '{"a":' * 3_000 + "1" + "}" * 3_000]


def _resolve(spec: dict, node: dict) -> dict:
    while "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _kind(prop: dict) -> str:
    return prop.get("format") if prop.get("format") in ("date-time", "date") else prop.get("type", "string")


def test_hostile_values_never_crash_the_api(app, world):
    """Every body field and every query parameter of every operation, one hostile value at a time in an
    otherwise real request, and whole bodies nested too deep: never a 5xx, always the error body."""
    scene = fuzz_scene(world)
    known = known_values(scene)
    spec = app.test_client().get("/api/v1/openapi.json").json
    client, headers = app.test_client(), {"Authorization": f"Bearer {scene.tokens['platform_admin']}"}
    snapshot, sent = Snapshot(), 0

    def send(method, path, **kwargs):
        nonlocal sent
        response = isolated(client.open, path, method=method, headers=headers, **kwargs)
        sent += 1
        assert response.status_code < 500, (method, path, kwargs.get("query_string"), str(kwargs.get("json"))[:200],
                                            response.status_code)
        if response.status_code >= 400:
            assert "error" in response.json, (method, path, response.status_code)
        elif method != "GET":
            snapshot.restore()

    try:
        for template, operations in spec["paths"].items():
            path = template
            for name in re.findall(r"{(\w+)}", template):
                path = path.replace(f"{{{name}}}", str((known.get(name) or [1])[0]))
            for method, operation in operations.items():
                if method not in ("get", "post", "put", "patch", "delete"):
                    continue  # path-level "parameters"
                method = method.upper()
                query = {p["name"]: p.get("schema", {}) for p in operation.get("parameters", []) if p["in"] == "query"}
                for name, prop in query.items():
                    for value in HOSTILE.get(_kind(prop), []):
                        send(method, path, query_string={name: value})
                content = operation.get("requestBody", {}).get("content", {}).get("application/json")
                if not content:
                    continue
                body_schema = _resolve(spec, content["schema"])
                fields = body_schema.get("properties", {})
                base = {name: known[name][0] for name in fields if known.get(name)}
                for name, prop in fields.items():
                    for value in HOSTILE.get(_kind(_resolve(spec, prop)), []):
                        send(method, path, json={**base, name: value})
                for body in DEEP:
                    send(method, path, data=body, content_type="application/json")
    finally:
        snapshot.drop()
    assert sent > 300
