from decimal import Decimal

import pytest

from volunteer_hub.core.downloads import spreadsheet_cell


@pytest.mark.parametrize("value", ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", "=HYPERLINK(\"x\")", "-"])
def test_text_a_spreadsheet_would_evaluate_becomes_text(value):
    assert spreadsheet_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["理发一次", "a=b", "", "2026-11-23 08:30", "'already"])
def test_ordinary_text_is_unchanged(value):
    assert spreadsheet_cell(value) == value


@pytest.mark.parametrize("value", [-2, Decimal("-2.5"), 3.5, "-2.5", "+10", "-7"])
def test_numbers_stay_numbers(value):
    assert spreadsheet_cell(value) == value


def test_none_is_an_empty_cell():
    assert spreadsheet_cell(None) == ""

