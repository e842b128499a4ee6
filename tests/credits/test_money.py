"""One type for amounts of 文明良票: as people write them on pages, plain numbers in JSON."""
from decimal import Decimal

import pytest

from volunteer_hub.credits.money import Credits, CreditsField, credits_filter


@pytest.mark.parametrize("units,shown", [(10, "5"), (1, "0.5"), (0, "0"), (-6, "-3"), (-1, "-0.5"),
                                         (Decimal(14), "7")])
def test_amounts_read_as_people_write_them(units, shown):
    assert str(Credits(units)) == shown == credits_filter(units) == credits_filter(Credits(units))
    assert "-0" not in credits_filter(-0) and ".0" not in str(Credits(units))


def test_statement_lines_are_signed():
    assert credits_filter(4, signed=True) == "+2" and credits_filter(-3, signed=True) == "-1.5"
    assert credits_filter(0, signed=True) == "0"


def test_json_gets_plain_numbers_and_amounts_compare_with_numbers():
    field = CreditsField()
    assert field.serialize("price", {"price": 10}) == 5 and isinstance(field.serialize("price", {"price": 10}), int)
    assert field.serialize("price", {"price": 5}) == 2.5
    assert field.serialize("price", {"price": Credits(3)}) == 1.5
    assert Credits(15) == 7.5 and Credits(14) == 7 and Credits(14) != 7.5 and Credits(2) < 2 and Credits(4) >= 2
    assert {1: Credits(2)} == {1: 1} and sum([Credits(2), Credits(3)], Credits(0)) == 2.5
    assert -Credits(4) == -2 and not Credits(0) and float(Credits(3)) == 1.5
