from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import FloatField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

KIND_CHOICES = [("institute", _l("Institute")), ("station", _l("Station")), ("point", _l("Point"))]


class NodeForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=100), DataRequired()])
    kind = SelectField(_l("Kind"), choices=KIND_CHOICES)
    code = StringField(_l("Code (optional)"), validators=[Length(max=32), Optional()],
                       description=_l("Generated when left empty."))
    address = StringField(_l("Address"), validators=[Length(max=200), Optional()])
    lat = FloatField(_l("Latitude"), validators=[Optional()])
    lon = FloatField(_l("Longitude"), validators=[Optional()])


class NodeEditForm(FlaskForm):
    name = StringField(_l("Name"), validators=[Length(max=100), DataRequired()])
    address = StringField(_l("Address"), validators=[Length(max=200), Optional()])
    lat = FloatField(_l("Latitude"), validators=[Optional()])
    lon = FloatField(_l("Longitude"), validators=[Optional()])
    parent_id = SelectField(_l("Belongs to"), coerce=int,
                            description=_l("Moving a node moves everything below it along."))


class ManagerForm(FlaskForm):
    phone = StringField(_l("Mobile phone of the new manager"), validators=[Length(max=20), DataRequired()],
                        render_kw={"inputmode": "tel"})


class CentreSettingsForm(FlaskForm):
    default_credits_per_hour = IntegerField(_l("Civility credits per approved hour, usually"),
                                            validators=[InputRequired()])
    max_credits_per_hour = IntegerField(_l("At most, credits per hour"), validators=[InputRequired()])
    back_entry_days = IntegerField(_l("Service days and manual entries may go back (days)"),
                                   validators=[InputRequired()])
    max_day_hours = IntegerField(_l("Longest service day (hours)"), validators=[InputRequired()])
    review_entry_hours = IntegerField(_l("One attendance above this many hours needs a second approver"),
                                      validators=[InputRequired()])
    review_grant_credits = IntegerField(_l("Grants to one volunteer above this many credits a day need a second "
                                           "approver"), validators=[InputRequired()])
    offline_upload_hours = IntegerField(
        _l("Scans made without signal may be uploaded within (hours)"), validators=[InputRequired()],
        description=_l("Such attendance is marked as uploaded later and shown for review; 0 refuses them."))
    star_1 = IntegerField(_l("★ from (hours)"), validators=[InputRequired()])
    star_2 = IntegerField(_l("★★ from (hours)"), validators=[InputRequired()])
    star_3 = IntegerField(_l("★★★ from (hours)"), validators=[InputRequired()])
    star_4 = IntegerField(_l("★★★★ from (hours)"), validators=[InputRequired()])
    star_5 = IntegerField(_l("★★★★★ from (hours)"), validators=[InputRequired()])
