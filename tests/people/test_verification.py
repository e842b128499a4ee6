"""Phones that belong to their owners: codes for registration and password reset."""
import logging
from datetime import UTC, datetime, timedelta

import pytest

from volunteer_hub.core.errors import Conflict, ValidationFailed
from volunteer_hub.extensions import db
from volunteer_hub.people import services as people
from volunteer_hub.people import verification

NEW = "13512345678"


def texts(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "volunteer_hub.core.sms"]


def test_a_code_is_texted_only_where_it_is_of_use(world, caplog):
    caplog.set_level(logging.INFO, logger="volunteer_hub.core.sms")
    assert verification.request_code(NEW, "register") and len(texts(caplog)) == 1
    assert verification.request_code(world.volunteer.phone, "register") and len(texts(caplog)) == 1  # has an account
    assert verification.request_code("13512345670", "reset") and len(texts(caplog)) == 1  # has none
    assert verification.request_code(world.volunteer.phone, "reset") and len(texts(caplog)) == 2
    assert "135****5678" in texts(caplog)[0] and NEW not in texts(caplog)[0]  # the log masks phones


@pytest.mark.clock(datetime(2026, 11, 28, 0, 30, tzinfo=UTC))
def test_a_code_is_good_once_for_five_minutes_and_five_guesses(world, clock):
    code = verification.request_code(NEW, "register")
    db.session.commit()
    verification.use_code(NEW, "register", code)
    with pytest.raises(Conflict) as used:
        verification.use_code(NEW, "register", code)
    assert used.value.code == "code_used"
    db.session.rollback()

    clock.shift(timedelta(minutes=2))  # past the one-minute resend pause
    code = verification.request_code(NEW, "register")
    db.session.commit()
    for _guess in range(verification.MAX_ATTEMPTS):
        with pytest.raises(ValidationFailed):
            verification.use_code(NEW, "register", "000000" if code != "000000" else "111111")
        db.session.rollback()  # the request's rollback does not undo the count
    with pytest.raises(ValidationFailed) as exhausted:
        verification.use_code(NEW, "register", code)
    assert exhausted.value.code == "bad_code"

    clock.shift(timedelta(minutes=2))
    code = verification.request_code(NEW, "register")
    db.session.commit()
    clock.shift(verification.CODE_TTL + timedelta(seconds=1))
    with pytest.raises(ValidationFailed):
        verification.use_code(NEW, "register", code)


@pytest.mark.clock(datetime(2026, 11, 28, 0, 30, tzinfo=UTC))
def test_codes_are_rationed_per_phone(world, clock):
    assert verification.request_code(NEW, "register") is not None
    assert verification.request_code(NEW, "register") is None  # within a minute: none made, none sent
    for _ in range(verification.CODES_PER_HOUR - 1):
        clock.shift(timedelta(minutes=2))
        assert verification.request_code(NEW, "register") is not None
    clock.shift(timedelta(minutes=2))
    with pytest.raises(verification.TooManyCodes):
        verification.request_code(NEW, "register")
    assert verification.request_code("13512345670", "register") is not None  # another phone is not held up


def test_registration_needs_the_code_of_that_phone(world, client, phone_code):
    body = {"name": "新志愿者", "phone": NEW, "password": "Passw0rd!", "home_station_id": world.s1.id}
    other = phone_code("13512345670")
    wrong = client.post("/api/v1/volunteers", json={**body, "code": other})
    assert wrong.status_code == 422 and wrong.json["error"]["code"] == "bad_code"
    assert people.find_by_phone(NEW) is None
    made = client.post("/api/v1/volunteers", json={**body, "code": phone_code(NEW)})
    assert made.status_code == 201


def test_asking_for_a_code_answers_the_same_for_any_phone(world, client):
    registered = client.post("/api/v1/auth/phone-codes", json={"phone": world.volunteer.phone, "purpose": "register"})
    unknown = client.post("/api/v1/auth/phone-codes", json={"phone": NEW, "purpose": "register"})
    assert registered.status_code == unknown.status_code == 202 and registered.json == unknown.json
    bad = client.post("/api/v1/auth/phone-codes", json={"phone": "12", "purpose": "register"})
    assert bad.status_code == 422


def test_password_reset_changes_the_password_and_ends_the_apps(world, client, api, phone_code):
    old_app = api(world.volunteer)
    assert old_app.get("/api/v1/me").status_code == 200
    body = {"phone": world.volunteer.phone, "password": "Lanterns43"}
    assert client.post("/api/v1/auth/password-reset", json={**body, "code": "999999"}).status_code == 422
    weak = client.post("/api/v1/auth/password-reset", json={**body, "code": "1", "password": "abc"})
    assert weak.status_code == 422 and "password" in weak.json["error"]["fields"]
    done = client.post("/api/v1/auth/password-reset", json={**body, "code": phone_code(world.volunteer.phone,
                                                                                         "reset")})
    assert done.status_code == 204
    assert old_app.get("/api/v1/me").status_code == 401
    assert api(world.volunteer, password="Lanterns43").get("/api/v1/me").status_code == 200


def test_a_code_for_an_unregistered_phone_resets_nothing(world, client, phone_code):
    answer = client.post("/api/v1/auth/password-reset", json={
        "phone": NEW, "code": phone_code(NEW, "reset"), "password": "Lanterns43"})
    assert answer.status_code == 422 and answer.json["error"]["code"] == "bad_code"


def test_the_pages_text_a_code_then_register(world, client, app):
    sent = client.post("/phone-code", data={"sms-phone": NEW, "sms-purpose": "register"})
    assert sent.status_code == 302 and f"phone={NEW}" in sent.headers["Location"]
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert f'value="{NEW}"' in page and "开发模式" not in page  # the code shows only in debug mode
    reset = client.get("/password-reset?phone=13700000002").get_data(as_text=True)
    assert 'name="code"' in reset and "/phone-code" in reset


def test_the_debug_page_shows_the_code(world, client, app):
    app.debug = True
    page = client.post("/phone-code", data={"sms-phone": NEW, "sms-purpose": "register"}, follow_redirects=True)
    assert page.status_code == 200 and "开发模式" in page.get_data(as_text=True), page.get_data(as_text=True)[-3000:]
