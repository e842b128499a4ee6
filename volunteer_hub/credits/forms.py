"""Forms of the credits pages that other features show too (the policy form is on the centre report)."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField
from wtforms.validators import DataRequired


class PolicyForm(FlaskForm):
    expiry = SelectField(_l("Credits expire"), choices=[
        ("none", _l("Never")), ("end_of_next_year", _l("At the end of the next calendar year"))])
    warn_days = IntegerField(_l("Warn volunteers this many days ahead"), default=30, validators=[DataRequired()])
