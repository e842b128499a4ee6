import pytest
from hypothesis import given
from hypothesis import strategies as st

from volunteer_hub.core.validators import (
    _ID_CHECK,
    _ID_WEIGHTS,
    id_number_problem,
    is_mainland_mobile,
    mask_id_number,
    mask_personal_data,
    mask_phone,
    normalise_phone,
    password_problem,
)

VALID_ID = "11010519491231002X"  # the checksum example of GB 11643


def with_check_digit(first17: str) -> str:
    return first17 + _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


@pytest.mark.parametrize("raw,expected", [
    ("13812345678", "13812345678"), ("+86 138-1234-5678", "13812345678"), ("008613812345678", "13812345678"),
])
def test_phone_normalised(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("phone,ok", [
    ("13812345678", True), ("19912345678", True), ("12812345678", False), ("1381234567", False),
    ("138123456789", False), ("23812345678", False), ("1381234567a", False), ("", False),
])
def test_mainland_mobile(phone, ok):
    assert is_mainland_mobile(phone) is ok


def test_known_valid_id_number():
    assert id_number_problem(VALID_ID) is None
    assert id_number_problem(VALID_ID.lower()) is None


@pytest.mark.parametrize("value,problem", [
    ("11010519491231002", "length"), ("1101051949123100212", "length"), ("11010519491231002Y", "length"),
    ("110105194913310028", "birth_date"), ("110105194902300020", "birth_date"), ("110105180001010020", "birth_date"),
    ("110105194912310021", "checksum"),
])
def test_invalid_id_numbers(value, problem):
    assert id_number_problem(value) == problem


@given(st.dates(min_value=__import__("datetime").date(1900, 1, 1), max_value=__import__("datetime").date(2020, 12, 31)),
       st.from_regex(r"\A\d{6}\Z"), st.from_regex(r"\A\d{3}\Z"))
def test_any_id_with_right_check_digit_is_valid_and_any_other_digit_is_not(birth, region, seq):
    number = with_check_digit(region + birth.strftime("%Y%m%d") + seq)
    assert id_number_problem(number) is None
    for wrong in set("0123456789X") - {number[-1]}:
        assert id_number_problem(number[:-1] + wrong) == "checksum"


def test_masks():
    assert mask_id_number("320102199001011234") == "3201**********1234"
    assert mask_phone("13812345678") == "138****5678"
    assert (mask_personal_data("call 13812345678, ID 32010219900101123x; order 123456789012345678901")
            == "call 138****5678, ID 3201**********123x; order 123456789012345678901")


@pytest.mark.parametrize("password,problem", [
    ("short1", "too_short"), ("allletters", "letters_and_digits"), ("12345678", "letters_and_digits"),
    ("x1" * 65, "too_long"), ("Passw0rd", "common"), ("WOAINI1314", "common"), ("Lanterns42", None),
    ("x38123456789", "contains_phone"),
])
def test_password_policy(password, problem):
    assert password_problem(password, phone="13812345678") == problem
