"""Validators for Chinese personal data: mainland mobile numbers and ID-card numbers."""
import datetime
import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def normalise_phone(value: str) -> str:
    """Strip spaces, dashes and a +86/0086 prefix from a mobile number."""
    digits = re.sub(r"[\s-]", "", value or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix):]
    return digits


def is_mainland_mobile(value: str) -> bool:
    return bool(_MOBILE.match(value))


def id_number_problem(value: str) -> str | None:
    """Why an 18-digit resident ID number (GB 11643) is invalid, or None if valid."""
    if not re.fullmatch(r"\d{17}[\dXx]", value):
        return "length"
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])

    try:
        datetime.date(year, month, day)
    except ValueError:
        return "birth_date"
    if not 1900 <= year <= datetime.date.today().year:
        return "birth_date"
    if check_digit(value[:17]) != value[17].upper():
        return "checksum"
    return None


def check_digit(first_17: str) -> str:
    """The 18th character of a resident ID number (ISO 7064 MOD 11-2)."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first_17, _ID_WEIGHTS, strict=True)) % 11]


def location_problem(lat: float | None, lon: float | None) -> str | None:
    """Why a latitude/longitude pair is unusable, or None (both missing is fine)."""
    if (lat is None) != (lon is None):
        return "half"
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return "range"
    return None


def mask_id_number(value: str) -> str:
    """``320102199001011234`` → ``3201**********1234``."""
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_name(name: str) -> str:
    """王小华 → 王*华, 王华 → 王*."""
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    return value[:3] + "****" + value[-4:] if len(value) == 11 else "****"


_ID_NUMBERS = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
# A separator as people and URLs write them: space, dash, dot, or their percent-encodings.
_SEP = r"(?:[\s.\-]|%20|%2[Dd])?"
# With or without +86 / 0086 / 86 (a leading + may come percent-encoded from a query string).
_MOBILES = re.compile(rf"(?<!\d)(?:(?:\+|%2[Bb]|00)?86{_SEP})?(1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)")


def mask_personal_data(text: str) -> str:
    """Every mainland mobile number and ID number in free text (log lines, error details), masked."""
    text = _ID_NUMBERS.sub(lambda m: mask_id_number(m.group()), text)
    return _MOBILES.sub(lambda m: mask_phone("".join(m.groups())), text)


# Letter-and-digit passwords that top every leaked-password list (and their Chinese favourites).
COMMON_PASSWORDS = frozenset("""
password1 password123 passw0rd abc12345 abcd1234 a1234567 a12345678 a123456789 qwerty123 qwer1234
1qaz2wsx zxcvbnm123 iloveyou1 woaini1314 woaini520 aa123456 aa12345678 asd12345 asdf1234 admin123
admin1234 test1234 letmein1 welcome1 1234qwer 123456abc 12345678a 123456789a 123qwe123 q1w2e3r4
""".split())


def password_problem(value: str, phone: str | None = None) -> str | None:
    if len(value) < 8:
        return "too_short"
    if len(value) > 128:
        return "too_long"
    if not (re.search(r"[A-Za-z]", value) and re.search(r"\d", value)):
        return "letters_and_digits"
    if value.lower() in COMMON_PASSWORDS:
        return "common"
    if phone and phone[-8:] in value:
        return "contains_phone"
    return None
