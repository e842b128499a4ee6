"""Redemption load for benchmarks.floor: merchant counters confirming vouchers of one offer at once
(contention on the offer's stock and the merchant's account), every code sent twice.
"""
import random

from benchmarks.harness import bulk_volunteers, clerk, seeded_app


def seed_vouchers(admin, centre, station, vouchers: int, first: int = 0) -> tuple[list[str], list[str]]:
    """One merchant with one offer, ``vouchers`` volunteers (numbered from ``first``) each holding an open
    voucher; returns the codes and four staff accounts' tokens."""
    from volunteer_hub.credits import services as credits
    from volunteer_hub.extensions import db
    from volunteer_hub.merchants import services as merchants
    from volunteer_hub.people import services as people
    from volunteer_hub.vouchers import services as vouchers_service

    owner = people.create_user(name="店主", phone="13900000001", password="Bench2026x")
    shop = merchants.register_merchant(owner, centre=centre, owner=owner, name="压测商户", address="",
                                       contact_phone="13900000001", licence_no="91320509MA1BENCH0X")
    merchants.approve(admin, shop, [station.id])
    offer = merchants.create_offer(owner, shop, title="理发一次", price=5, stock=vouchers)
    staff = [owner] + [clerk(owner, shop, name=f"店员{i}", phone=f"1390000010{i}") for i in range(3)]
    codes = []
    for user in bulk_volunteers(station, vouchers, first):
        credits.adjust(admin, user, 5, "压测")
        codes.append(vouchers_service.create(user, offer).code)
    tokens = [people.issue_token(s)[0] for s in staff]
    db.session.commit()
    return codes, tokens


def confirm_jobs(codes: list[str], tokens: list[str]) -> list[tuple]:
    """Every code twice, in a shuffled order: the second must be refused."""
    jobs = [("POST", f"/api/v1/redemptions/{code}/confirm", None, random.choice(tokens)) for code in codes * 2]
    random.Random(7).shuffle(jobs)
    return jobs


def seed(database_url: str, vouchers: int) -> tuple[list[str], list[str]]:
    with seeded_app(database_url) as (admin, centre, station):
        return seed_vouchers(admin, centre, station, vouchers)
