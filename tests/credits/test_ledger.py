from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from volunteer_hub.checkin import services as checkin
from volunteer_hub.core.errors import Conflict, Forbidden, ValidationFailed
from volunteer_hub.credits import services as credits
from volunteer_hub.credits.models import CreditEntry, CreditTransaction
from volunteer_hub.extensions import db


def approved_hours(world, day, user, minutes):
    checkin.manual_entry(world.s1_manager, day, phone=user.phone, checked_in_at=day.starts_at,
                         checked_out_at=day.starts_at + timedelta(minutes=minutes), reason="补录")
    return checkin.approve(world.s1_manager, day, "all")


def test_approval_mints_hours_times_rate_once(world, saturday):
    saturday.credits_per_hour = 3
    rows = approved_hours(world, saturday, world.volunteer, 150)  # 2.5 h × 3 = 7.5 credits
    assert credits.wallet_summary(world.volunteer) == {
        "balance": 7.5, "held": 0, "available": 7.5, "account_id": credits.wallet(world.volunteer).id}
    assert credits.mint_for_attendance(rows[0]).key == f"mint:attendance:{rows[0].id}"  # again: the same posting
    assert checkin.approve(world.s1_manager, saturday, "all") == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CreditTransaction)) == 1
    assert credits.issuance_account(world.centre.id).balance == -15
    assert credits.ledger_problems() == []


def test_units_round_down_to_half_credits(world, saturday):
    saturday.granularity_minutes = 5
    rows = approved_hours(world, saturday, world.volunteer, 25)  # 25 min × 1/h = 0.4166 → 0 half credits
    assert credits.units_for(rows[0]) == 0 and credits.mint_for_attendance(rows[0]) is None
    assert credits.to_units("2.5") == 5 and credits.to_credits(5) == 2.5
    with pytest.raises(ValidationFailed):
        credits.to_units("0.3")


def test_grant_and_claw_back_by_hand(world):
    with pytest.raises(Forbidden):
        credits.adjust(world.s2_manager, world.volunteer, 5, "奖励")
    with pytest.raises(ValidationFailed) as caught:
        credits.adjust(world.s1_manager, world.volunteer, 5, " ")
    assert "reason" in caught.value.fields
    credits.adjust(world.s1_manager, world.volunteer, Decimal("5.5"), "优秀志愿者奖励")
    credits.adjust(world.i1_manager, world.volunteer, -2, "重复计算更正")
    db.session.commit()
    assert credits.wallet_summary(world.volunteer)["balance"] == 3.5
    with pytest.raises(Conflict) as caught:  # never below zero
        credits.adjust(world.s1_manager, world.volunteer, -4, "超额扣回")
    assert caught.value.code == "insufficient_credits"
    db.session.rollback()
    grant = db.session.scalars(sa.select(CreditTransaction).where(CreditTransaction.kind == "grant")).one()
    from volunteer_hub.core.audit import entries_for

    assert entries_for(grant)[0].data == {"user_id": world.volunteer.id, "reason": "优秀志愿者奖励",
                                          "before": 0.0, "after": 5.5}


def test_idempotency_key_posts_once(world):
    credits.adjust(world.s1_manager, world.volunteer, 2, "奖励", key="k1")
    credits.adjust(world.s1_manager, world.volunteer, 2, "奖励", key="k1")
    assert credits.wallet_summary(world.volunteer)["balance"] == 2


def test_unbalanced_postings_are_refused(world):
    wallet = credits.wallet(world.volunteer)
    with pytest.raises(ValueError):
        credits.post("grant", "bad", [(wallet, 5), (credits.issuance_account(world.centre.id), -4)])


def test_cached_balance_check_constraint(world):
    wallet = credits.wallet(world.volunteer)
    wallet.balance = -1
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


operations = st.lists(st.tuples(st.sampled_from(["mint", "grant", "clawback"]), st.integers(1, 4),
                                st.integers(1, 20)), min_size=1, max_size=25)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_random_sequences_keep_the_ledger_sound(world, ops):
    """Whatever happens, entries sum to zero, cached balances equal their entries, no wallet goes negative."""
    people = [world.volunteer, world.leader, world.s2_volunteer]
    expected = {p.id: credits.wallet(p).balance for p in people}
    for op, who, amount in ops:
        person = people[who % 3]
        manager = world.admin
        try:
            if op == "clawback":
                credits.adjust(manager, person, -amount, "随机扣回")
                expected[person.id] -= amount * 2
            else:
                credits.adjust(manager, person, amount, "随机发放")
                expected[person.id] += amount * 2
            db.session.commit()
        except Conflict:
            db.session.rollback()
            assert expected[person.id] < amount * 2  # refused only when it would go below zero
    assert credits.ledger_problems() == []
    assert {p.id: credits.wallet(p).balance for p in people} == expected
    assert db.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(CreditEntry.amount), 0))) == 0
