"""Every text column has a length, and no model takes a longer value: one rule for services, pages,
the API and the command line, answered as a 422 naming the field. PostgreSQL enforces the same
lengths in the column types; SQLite (the embedded default) ignores them, so this is its only guard."""
import sqlalchemy as sa
from flask_babel import gettext as _

from volunteer_hub.core.errors import ValidationFailed


def _guard(key: str, length: int):
    def refuse_too_long(target, value, oldvalue, initiator):
        if isinstance(value, str) and len(value) > length:
            message = _("At most %(n)s characters.", n=length)
            raise ValidationFailed(message, {key: [message]})
        return value

    return refuse_too_long


@sa.event.listens_for(sa.orm.Mapper, "mapper_configured")
def _limit_text_columns(mapper, cls) -> None:
    for prop in mapper.column_attrs:
        column = prop.columns[0]
        length = getattr(column.type, "length", None)
        if isinstance(column.type, sa.String) and length and column.table is mapper.local_table:
            sa.event.listen(getattr(cls, prop.key), "set", _guard(prop.key, length), retval=True)
