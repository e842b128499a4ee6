"""Forms of the roster pages."""
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, FloatField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

SORT_CHOICES = [("name", lazy_pgettext("person", "Name")), ("-hours", _l("Most hours")),
                ("-last_active", _l("Most recently active")), ("-joined", _l("Newest"))]


def _optional_int(value):
    return int(value) if value not in (None, "") else None


class RosterFilterForm(FlaskForm):
    """The roster's filters, read from the query string (a GET form: no CSRF token)."""

    class Meta:
        csrf = False

    q = StringField(_l("Name, skill or last 4 digits of the phone"), validators=[Optional(), Length(max=50)])
    station_id = SelectField(_l("Station"), coerce=_optional_int, validators=[Optional()])
    star = SelectField(_l("Star level"), coerce=_optional_int, validators=[Optional()],
                       choices=[("", _l("Any"))] + [(str(n), str(n)) for n in range(6)])
    active = SelectField(_l("Active in the last 90 days"), validators=[Optional()],
                         choices=[("", _l("Any")), ("1", _l("Yes")), ("0", _l("No"))])
    min_hours = FloatField(_l("At least (hours)"), validators=[Optional(), NumberRange(min=0, max=100_000)])
    max_hours = FloatField(_l("At most (hours)"), validators=[Optional(), NumberRange(min=0, max=100_000)])
    include_inactive = BooleanField(_l("Include deactivated volunteers"))
    sort = SelectField(_l("Sort by"), choices=SORT_CHOICES, default="name")


class DeactivateForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[Length(max=200), DataRequired()],
                         description=_l("Kept in the audit trail."))


class MoveForm(FlaskForm):
    station_id = SelectField(_l("New home station"), coerce=int)


class ImportForm(FlaskForm):
    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[FileRequired(_l("Choose the file to import."))],
                     description=_l("The first row names the columns, as in the template (its Chinese headers) or in "
                                    "English: name, phone and station are required; id_number, teams and skills "
                                    "may be left empty."))
