"""文明良票 amounts: one type for every amount the platform shows, sends or compares.

The ledger stores whole half-credits ("units", the smallest amount is half a credit); nothing
outside this package knows that. A ``Credits`` prints as people write amounts ("5", "0.5", "-3",
never "5.0" or "-0"), goes into JSON as a plain number and compares with numbers, so ``balance == 7.5``
reads as it should.
"""
from decimal import Decimal
from functools import total_ordering

import marshmallow as ma

from volunteer_hub.credits.models import UNITS_PER_CREDIT


@total_ordering
class Credits:
    __slots__ = ("units",)

    def __init__(self, units):
        self.units = int(units)  # PostgreSQL sums come back as Decimal

    @property
    def number(self) -> int | float:
        """For JSON and charts: a whole amount as an int, a half as a float."""
        whole, half = divmod(self.units, UNITS_PER_CREDIT)
        return whole if not half else self.units / UNITS_PER_CREDIT

    def __str__(self) -> str:
        return str(self.number)

    def __repr__(self) -> str:
        return f"Credits({self})"

    def __float__(self) -> float:
        return self.units / UNITS_PER_CREDIT

    def _value(self) -> Decimal:
        return Decimal(self.units) / UNITS_PER_CREDIT

    @staticmethod
    def _other(other) -> Decimal | None:
        if isinstance(other, Credits):
            return other._value()
        if isinstance(other, (int, float, Decimal)) and not isinstance(other, bool):
            return Decimal(str(other))
        return None

    def __eq__(self, other) -> bool:
        value = self._other(other)
        return NotImplemented if value is None else self._value() == value

    def __lt__(self, other) -> bool:
        value = self._other(other)
        return NotImplemented if value is None else self._value() < value

    def __hash__(self) -> int:
        return hash(self._value())

    def __add__(self, other):
        return Credits(self.units + other.units) if isinstance(other, Credits) else NotImplemented

    def __sub__(self, other):
        return Credits(self.units - other.units) if isinstance(other, Credits) else NotImplemented

    def __neg__(self):
        return Credits(-self.units)

    def __bool__(self) -> bool:
        return self.units != 0


def credits_filter(amount, signed: bool = False) -> str:
    """Jinja ``|credits``: a stored amount (units) or a ``Credits``, as people write it; ``signed``
    puts a + before gains (a statement line)."""
    value = amount if isinstance(amount, Credits) else Credits(amount or 0)
    return f"+{value}" if signed and value.units > 0 else str(value)


class CreditsField(ma.fields.Field):
    """API: an amount of credits as a plain JSON number (5, 0.5), from a stored amount or a ``Credits``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("metadata", {})
        kwargs["metadata"] = {"type": "number", "description": "文明良票 credits, in steps of 0.5",
                              **kwargs["metadata"]}
        super().__init__(**kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return (value if isinstance(value, Credits) else Credits(value)).number
