from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, SelectField, StringField
from wtforms.validators import DataRequired, Optional

KIND_CHOICES = [("institute", _l("Institute")), ("station", _l("Station")), ("point", _l("Point"))]


class NodeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    code = StringField(_l("Code (optional)"), validators=[Optional()], description=_l("Generated when left empty."))
    address = StringField(_l("Address"), validators=[Optional()])
    lat = FloatField(_l("Latitude"), validators=[Optional()])
    lon = FloatField(_l("Longitude"), validators=[Optional()])


class ManagerForm(FlaskForm):
    phone = StringField(_l("Mobile phone of the new manager"), validators=[DataRequired()],
                        render_kw={"inputmode": "tel"})
