"""Random sequences of grant, claw-back, voucher, confirm, cancel and expire keep the ledger sound."""
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.merchants.test_merchants import shop  # noqa: F401  (fixture)
from volunteer_hub.core.db import utcnow
from volunteer_hub.core.errors import DomainError
from volunteer_hub.credits import services as credits
from volunteer_hub.extensions import db
from volunteer_hub.merchants import services as merchants
from volunteer_hub.people.models import User
from volunteer_hub.vouchers import services
from volunteer_hub.vouchers.models import Voucher


@pytest.fixture
def offers(world, shop):  # noqa: F811
    owner = db.session.get(User, shop.owner_id)
    made = [merchants.create_offer(owner, shop, title=f"项目{p}", price=p) for p in (1, 2.5, 4)]
    db.session.commit()
    return made


steps = st.lists(st.tuples(st.sampled_from(["grant", "clawback", "voucher", "confirm", "cancel", "expire"]),
                           st.integers(0, 1), st.integers(0, 2), st.integers(1, 6)), min_size=1, max_size=30)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=steps)
def test_ledger_invariants_hold_for_any_sequence(world, offers, ops):
    people = [world.volunteer, world.leader]
    staff = db.session.get(User, offers[0].merchant.owner_id)
    clock = utcnow()
    for op, who, which, amount in ops:
        person = people[who]
        clock += timedelta(minutes=3)
        open_vouchers = db.session.scalars(sa.select(Voucher).where(Voucher.user_id == person.id,
                                                                    Voucher.status == "open")).all()
        try:
            if op == "grant":
                credits.adjust(world.s1_manager, person, amount, "发放")
            elif op == "clawback":
                credits.adjust(world.s1_manager, person, -amount, "扣回")
            elif op == "voucher":
                services.create(person, offers[which], now=clock)
            elif op == "confirm" and open_vouchers:
                services.confirm(staff, open_vouchers[0].code, "127.0.0.1", now=clock)
            elif op == "cancel" and open_vouchers:
                services.cancel(person, open_vouchers[0], now=clock)
            elif op == "expire":
                services.expire_due(now=clock)
            db.session.commit()
        except DomainError:
            db.session.rollback()
        assert credits.ledger_problems() == []
        for p in people:
            summary = credits.wallet_summary(p)
            open_total = db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(Voucher.price), 0)).where(
                Voucher.user_id == p.id, Voucher.status == "open"))
            assert summary["available"] >= 0 and summary["held"] * 2 == open_total
