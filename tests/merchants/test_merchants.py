from datetime import timedelta

import pytest

from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import Conflict, Forbidden, ValidationFailed
from volunteer_hub.core.permissions import is_staff_of
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services

APPLICATION = {"name": "东门便民理发店", "address": "东门菜场东侧", "contact_phone": "13612345678",
               "licence_no": "91320509MA1TEST01X"}


@pytest.fixture
def shop(world):
    """An approved merchant paired with S1 and S2, owned by a merchant account."""
    from volunteer_hub.people import services as people

    owner = people.create_user(name="理发店老板", phone="13612345678", password=world.PASSWORD)
    merchant = services.register_merchant(owner, centre=world.centre, owner=owner, **APPLICATION)
    services.approve(world.centre_admin, merchant, [world.s1.id, world.s2.id])
    db.session.commit()
    return merchant


def test_apply_approve_and_pair(world):
    merchant = services.register_merchant(world.volunteer, centre=world.centre, owner=world.volunteer,
                                          **APPLICATION)
    assert merchant.status == "pending" and is_staff_of(world.volunteer, merchant)
    with pytest.raises(Forbidden):
        services.approve(world.s1_manager, merchant, [world.s1.id])  # a station manager is not a centre admin
    with pytest.raises(ValidationFailed):
        services.approve(world.centre_admin, merchant, [world.i1.id])  # an institute is not a station
    with pytest.raises(ValidationFailed):
        services.approve(world.centre_admin, merchant, [])
    services.approve(world.centre_admin, merchant, [world.s1.id, world.s3.id])
    assert merchant.status == "approved" and merchant.stations == [world.s1, world.s3]
    with pytest.raises(Conflict):
        services.approve(world.centre_admin, merchant, [world.s1.id])
    with pytest.raises(Conflict):
        services.register_merchant(world.leader, centre=world.centre, **APPLICATION)  # licence taken


@pytest.mark.parametrize("change,field", [
    ({"name": ""}, "name"), ({"contact_phone": "123"}, "contact_phone"), ({"licence_no": "abc"}, "licence_no"),
])
def test_application_validation(world, change, field):
    with pytest.raises(ValidationFailed) as caught:
        services.register_merchant(world.volunteer, centre=world.centre, **{**APPLICATION, **change})
    assert field in caught.value.fields


def test_staff_accounts(world, shop):
    owner = db.session.get(type(world.volunteer), shop.owner_id)
    clerk = services.add_staff(owner, shop, name="店员", phone="13612345679", password=world.PASSWORD)
    assert is_staff_of(clerk, shop)
    with pytest.raises(Forbidden):
        services.add_staff(clerk, shop, name="店员2", phone="13612345670", password=world.PASSWORD)
    with pytest.raises(Conflict):
        services.add_staff(world.centre_admin, shop, name="店员", phone="13612345679", password=world.PASSWORD)


def test_offers_by_own_staff_only(world, shop):
    owner = db.session.get(type(world.volunteer), shop.owner_id)
    with pytest.raises(Forbidden):
        services.create_offer(world.s1_manager, shop, title="理发", price=5)
    with pytest.raises(ValidationFailed) as caught:
        services.create_offer(owner, shop, title="", price=0, stock=-1, station_ids=[world.s3.id])
    assert set(caught.value.fields) == {"title", "price", "stock", "station_ids"}
    offer = services.create_offer(owner, shop, title="理发一次", price="4.5", stock=10, monthly_limit=2)
    assert offer.price == 9
    only_s2 = services.create_offer(owner, shop, title="洗头", price=1, station_ids=[world.s2.id])
    assert services.offer_open_to(offer, world.volunteer) and not services.offer_open_to(only_s2, world.volunteer)
    assert services.offer_open_to(only_s2, world.s2_volunteer)
    later = services.create_offer(owner, shop, title="新年特惠", price=2, valid_from=utcnow() + timedelta(days=30))
    assert not services.offer_open_to(later, world.volunteer)
    assert [o.title for o in services.list_offers(shop, world.volunteer)] == ["理发一次"]
    assert len(services.list_offers(shop, owner)) == 3


def test_who_sees_which_merchants(world, shop):
    other = services.register_merchant(world.s2_volunteer, centre=world.centre, owner=world.s2_volunteer,
                                       **{**APPLICATION, "licence_no": "91320509MA1TEST02X"})
    db.session.commit()
    names = lambda user: [m.name for m in db.session.scalars(services.list_merchants(user))]  # noqa: E731
    assert names(world.volunteer) == [shop.name]  # approved and paired with S1
    assert names(world.s2_volunteer) == [shop.name, other.name]  # paired with S2, and the one they own
    assert sorted(names(world.centre_admin)) == sorted([shop.name, other.name])
    assert names(world.outsider) == []
