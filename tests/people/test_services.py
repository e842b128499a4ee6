from datetime import timedelta

import pytest
import sqlalchemy as sa

from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, ValidationFailed
from volunteer_hub.extensions import db
from volunteer_hub.people import logins, services
from volunteer_hub.people.models import User, VolunteerProfile

ID = "11010519491231002X"


def register(world, **overrides):
    data = {"name": "新志愿者", "phone": "13512345678", "password": "Passw0rd!", "home_station_id": world.s1.id}
    data.update(overrides)
    return services.register_volunteer(**data)


def test_registration_stores_the_id_number_encrypted_and_masked(world):
    user = register(world, id_number=ID.lower(), skills=["急救", " 摄影 ", "急救", ""])
    db.session.commit()
    profile = db.session.get(VolunteerProfile, user.id)
    assert profile.id_number_masked == "1101**********002X"
    assert ID not in profile.id_number_encrypted and ID not in profile.id_number_digest
    from volunteer_hub.core import crypto

    assert crypto.decrypt(profile.id_number_encrypted) == ID
    assert profile.skills == ["急救", "摄影"]
    assert user.password_hash != "Passw0rd!" and user.password_hash.startswith("pbkdf2:")


@pytest.mark.parametrize("overrides,field", [
    ({"name": " "}, "name"), ({"name": "名" * 51}, "name"),
    ({"phone": "12345"}, "phone"), ({"phone": "23812345678"}, "phone"),
    ({"password": "short"}, "password"), ({"password": "onlyletters"}, "password"),
    ({"home_station_id": None}, "home_station_id"), ({"home_station_id": 999999}, "home_station_id"),
    ({"id_number": "11010519491231002"}, "id_number"), ({"id_number": "110105194912310021"}, "id_number"),
    ({"id_number": "110105194902300020"}, "id_number"), ({"skills": ["x" * 31]}, "skills"),
])
def test_each_field_is_validated(world, overrides, field):
    with pytest.raises(ValidationFailed) as caught:
        register(world, **overrides)
    assert field in caught.value.fields
    assert caught.value.fields[field][0]


def test_home_station_must_be_a_station(world):
    with pytest.raises(ValidationFailed) as caught:
        register(world, home_station_id=world.i1.id)
    assert "home_station_id" in caught.value.fields


def test_all_account_errors_are_reported_at_once(world):
    with pytest.raises(ValidationFailed) as caught:
        register(world, name="", phone="1", password="x", home_station_id=None)
    assert set(caught.value.fields) == {"name", "phone", "password", "home_station_id"}


def test_duplicate_phone_and_id_number_are_conflicts(world):
    register(world, id_number=ID)
    with pytest.raises(Conflict) as caught:
        register(world, phone="+86 135-1234-5678")
    assert "phone" in caught.value.fields
    with pytest.raises(Conflict) as caught:
        register(world, phone="13512345679", id_number=ID)
    assert "id_number" in caught.value.fields


def test_failed_registration_writes_nothing(world):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(User))
    with pytest.raises(ValidationFailed):
        register(world, id_number="110105194912310021")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == before


def test_authenticate(world):
    def authenticate(phone, password):
        return logins.authenticate(phone, password, address="203.0.113.1")

    assert authenticate("137 0000 0002", "Passw0rd!") == world.volunteer
    assert world.volunteer.last_login_at is not None
    assert authenticate("13700000002", "wrong-password1") is None
    assert authenticate("13000000000", "Passw0rd!") is None
    world.volunteer.active = False
    assert authenticate("13700000002", "Passw0rd!") is None


def test_tokens_expire_and_can_be_revoked(world):
    raw, token = services.issue_token(world.volunteer)
    assert services.user_for_token(raw) == world.volunteer
    assert token.digest != raw
    assert services.user_for_token(raw + "x") is None
    token.expires_at = utcnow() - timedelta(seconds=1)
    assert services.user_for_token(raw) is None
    raw2, _ = services.issue_token(world.volunteer)
    services.revoke_token(raw2)
    assert services.user_for_token(raw2) is None


def test_update_profile(world):
    services.update_profile(world.volunteer, name="志愿者甲甲", skills=["书法"], id_number=ID,
                            home_station_id=world.s2.id)
    assert world.volunteer.name == "志愿者甲甲"
    assert world.volunteer.profile.home_station == world.s2
    assert world.volunteer.profile.id_number_masked == "1101**********002X"
    # Keeping one's own ID number is not a conflict with oneself.
    services.update_profile(world.volunteer, id_number=ID)
    with pytest.raises(Conflict):
        services.update_profile(world.leader, id_number=ID)


def test_cannot_revoke_own_management(world):
    with pytest.raises(Forbidden):
        services.revoke_manager(world.s1_manager, world.s1, world.s1_manager)


def test_create_admin_twice_is_a_conflict(world):
    with pytest.raises(Conflict):
        services.create_admin(name="平台管理员", phone="13900000000", password="Passw0rd!")
